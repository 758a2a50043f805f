"""Client configuration: the constructor and ``from_env``, validation, what each option does,
and the lifecycle (context manager, ``close``, a session or ``http_client`` of the caller's).

Every test runs once per kind of client (``SSOClient`` and ``AsyncSSOClient``, through the
``client_kind`` fixture), except those about a ``requests.Session`` passed in, which only the
sync client takes; the async client's ``http_client`` has tests of its own here. What an option
does is checked by its effect on the wire (requests counted, time taken), never by reading the
client's private attributes.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Union

import aiohttp
import pytest
import requests

from tests.clients import BlockingAsyncClient, make_client
from tests.clock import FakeClock
from tests.loopback import LoopbackServer, NeverAnswer, Reply
from tests.payload_fixtures import connection_fixture
from workos_sso import (
    AsyncSSOClient,
    ConfigurationError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SSOClient,
    WorkOSError,
)

pytestmark = pytest.mark.usefixtures("client_kind")

#: For the tests of a ``requests.Session`` passed in: only SSOClient takes one.
sync_only = pytest.mark.parametrize("client_kind", ["sync"], indirect=True)
#: For the tests of an ``aiohttp.ClientSession`` passed in: only AsyncSSOClient takes one.
async_only = pytest.mark.parametrize("client_kind", ["async"], indirect=True)

API_KEY = "sk_test_config_tests_secret_value"
CLIENT_ID = "client_01CONFIGTESTS"
CONNECTION_ID = str(connection_fixture()["id"])

Client = Union[SSOClient, BlockingAsyncClient]


Make = Callable[..., Client]


@pytest.fixture
def make(client_kind: str) -> Make:
    """Makes a client of the test's kind with the test's key and client id."""

    def make(**overrides: Any) -> Client:
        return make_client(client_kind, **{"api_key": API_KEY, "client_id": CLIENT_ID, **overrides})

    return make


@pytest.fixture
def client_class(client_kind: str) -> type[Union[SSOClient, AsyncSSOClient]]:
    return AsyncSSOClient if client_kind == "async" else SSOClient


def own(client: Client) -> Union[SSOClient, AsyncSSOClient]:
    """The library's client itself, not the blocking wrapper around an async one."""
    return client.client if isinstance(client, BlockingAsyncClient) else client


@contextlib.contextmanager
def from_env(
    client_class: type[Union[SSOClient, AsyncSSOClient]], **arguments: Any
) -> Iterator[Client]:
    """``from_env`` of the test's kind of client, closed at the end of the block."""
    created = client_class.from_env(**arguments)
    client: Client = (
        BlockingAsyncClient.around(created) if isinstance(created, AsyncSSOClient) else created
    )
    with client:
        yield client


def env_fixture(**overrides: str) -> dict[str, str]:
    environ = {"WORKOS_API_KEY": API_KEY, "WORKOS_CLIENT_ID": CLIENT_ID}
    environ.update(overrides)
    return environ


# --- api key and client id ------------------------------------------------------------------


def test_valid_arguments_make_a_client_with_the_default_base_url(make: Make) -> None:
    with make() as client:
        assert client.client_id == CLIENT_ID
        assert client.base_url == "https://api.workos.com"


@pytest.mark.parametrize("key", ["sk_test_abc", "sk_live_abc", "sk_anything"])
def test_keys_starting_sk_are_accepted_and_sent_as_given(
    key: str, loopback: LoopbackServer, make: Make
) -> None:
    loopback.always(Reply.json(200, connection_fixture()))
    with make(api_key=key, base_url=loopback.url, max_retries=0) as client:
        client.get_connection("conn_1")
    assert [request.headers["authorization"] for request in loopback.requests] == [f"Bearer {key}"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("", "api_key is missing"),
        ("   ", "api_key is missing"),
        (123, "api_key is missing"),
        ("pk_test_abc", "must start with 'sk_'"),
        ("client_01ABC", "must start with 'sk_'"),
        ("SK_TEST_ABC", "must start with 'sk_'"),
        (" sk_test_abc", "no spaces"),
        ("sk_test_abc\n", "no spaces"),
    ],
)
def test_missing_or_malformed_key_names_the_variable(key: Any, expected: str, make: Make) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(api_key=key)
    message = str(caught.value)
    assert expected in message
    assert "WORKOS_API_KEY" in message


@pytest.mark.parametrize(
    ("client_id", "expected"),
    [
        ("", "client_id is missing"),
        (None, "client_id is missing"),
        ("01ABC", "must start with 'client_'"),
        ("sk_test_abc", "must start with 'client_'"),
        ("client_01 ", "no spaces"),
    ],
)
def test_missing_or_malformed_client_id_names_the_variable(
    client_id: Any, expected: str, make: Make
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(client_id=client_id)
    assert expected in str(caught.value)
    assert "WORKOS_CLIENT_ID" in str(caught.value)


def test_malformed_key_is_not_echoed_in_the_message(make: Make) -> None:
    wrong = "pk_live_this_is_secret_material"
    with pytest.raises(ConfigurationError) as caught:
        make(api_key=wrong)
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value)


def test_configuration_error_is_a_workos_error_and_a_value_error(make: Make) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(api_key="nope")
    assert isinstance(caught.value, WorkOSError)
    assert isinstance(caught.value, ValueError)


# --- base_url -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://api.workos.com", "https://api.workos.com"),
        ("https://api.workos.com/", "https://api.workos.com"),
        ("https://proxy.example/workos/", "https://proxy.example/workos"),
        ("  https://api.workos.com  ", "https://api.workos.com"),
        ("http://localhost:4100", "http://localhost:4100"),
        ("http://127.0.0.1:4100/", "http://127.0.0.1:4100"),
        ("http://127.5.6.7", "http://127.5.6.7"),
        ("http://[::1]:4100", "http://[::1]:4100"),
        ("https://10.0.0.5:8443", "https://10.0.0.5:8443"),
    ],
)
def test_accepted_base_urls_are_normalized(base_url: str, expected: str, make: Make) -> None:
    with make(base_url=base_url) as client:
        assert client.base_url == expected


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://api.workos.com", "https"),
        ("http://10.0.0.5:4100", "https"),
        ("http://localhost.example.com", "https"),
        ("ftp://api.workos.com", "http(s) URL"),
        ("api.workos.com", "http(s) URL"),
        ("https://", "http(s) URL"),
        ("", "http(s) URL"),
        ("https://api.workos.com?x=1", "query"),
        ("https://api.workos.com/#frag", "fragment"),
        ("https://user:pass@api.workos.com", "credentials"),
        ("https://user@api.workos.com", "credentials"),
    ],
)
def test_rejected_base_urls_say_why_and_name_the_variable(
    base_url: str, expected: str, make: Make
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(base_url=base_url)
    assert expected in str(caught.value)
    assert "WORKOS_BASE_URL" in str(caught.value)


def test_base_url_with_credentials_does_not_echo_them(make: Make) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(base_url="https://admin:hunter2-password@api.workos.com")
    assert "hunter2-password" not in str(caught.value)


def test_base_url_must_be_a_string(make: Make) -> None:
    with pytest.raises(ConfigurationError, match="WORKOS_BASE_URL"):
        make(base_url=b"https://api.workos.com")


# --- retries and other options --------------------------------------------------------------


@pytest.mark.parametrize("max_retries", [0, 1, 3, 10])
def test_max_retries_is_how_many_times_a_failed_request_is_repeated(
    max_retries: int, loopback: LoopbackServer, make: Make
) -> None:
    loopback.always(Reply.json(503, {"message": "busy"}))
    # max_retry_wait=0 caps the backoff at nothing, so ten retries take no time.
    with (
        make(base_url=loopback.url, max_retries=max_retries, max_retry_wait=0) as client,
        pytest.raises(ServerError),
    ):
        client.get_connection("conn_1")
    assert loopback.request_count == 1 + max_retries


@pytest.mark.parametrize("max_retries", [-1, 1.5, "3", None, True, False])
def test_max_retries_must_be_a_whole_number_zero_or_more(max_retries: Any, make: Make) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        make(max_retries=max_retries)


@pytest.mark.parametrize("max_retry_wait", [0, 0.5, 10, 60.0])
def test_max_retry_wait_is_the_longest_retry_after_the_client_waits_for(
    max_retry_wait: float, loopback: LoopbackServer, pause_clock: FakeClock, make: Make
) -> None:
    longer = str(int(max_retry_wait) + 1)  # whole seconds, just over the limit
    loopback.script(
        Reply.json(429, {"message": "slow down"}, headers={"Retry-After": "0"}),
        Reply.json(429, {"message": "slow down"}, headers={"Retry-After": longer}),
    )
    with (
        make(base_url=loopback.url, max_retries=3, max_retry_wait=max_retry_wait) as client,
        pytest.raises(RateLimitError) as caught,
    ):
        client.get_connection("conn_1")
    # "Retry-After: 0" is within any limit, so it was retried; the longer one was not waited
    # for: the error came at once, with the server's wait for the caller to honour.
    assert loopback.request_count == 2
    assert caught.value.retry_after == float(longer)
    assert pause_clock.pauses == [0.0]


def test_a_retry_after_within_max_retry_wait_is_waited_for_then_retried(
    loopback: LoopbackServer, pause_clock: FakeClock, make: Make
) -> None:
    loopback.script(
        Reply.json(429, {"message": "slow down"}, headers={"Retry-After": "1"}),
        Reply.json(200, connection_fixture()),
    )
    with make(base_url=loopback.url, max_retries=1, max_retry_wait=1.5) as client:
        connection = client.get_connection(CONNECTION_ID)
    assert connection.id == CONNECTION_ID
    assert loopback.request_count == 2
    assert pause_clock.pauses == [1.0]  # the server's second, as asked, before the retry


def test_max_retry_wait_also_caps_the_backoff(
    loopback: LoopbackServer, pause_clock: FakeClock, make: Make
) -> None:
    # Without Retry-After the backoff would start at 0.5 s and double; capped at 0.1 s, three
    # retries take at most 0.3 s between them.
    loopback.always(Reply.json(503, {"message": "busy"}))
    with (
        make(base_url=loopback.url, max_retries=3, max_retry_wait=0.1) as client,
        pytest.raises(ServerError),
    ):
        client.get_connection(CONNECTION_ID)
    assert loopback.request_count == 4
    pauses = pause_clock.pauses
    assert len(pauses) == 3
    assert all(0.05 <= pause <= 0.1 for pause in pauses), pauses  # equal jitter: half the cap+


@pytest.mark.parametrize("max_retry_wait", [-0.1, -5, "10", None, True, float("nan")])
def test_max_retry_wait_must_be_a_number_zero_or_more(max_retry_wait: Any, make: Make) -> None:
    with pytest.raises(ConfigurationError, match="max_retry_wait"):
        make(max_retry_wait=max_retry_wait)


@pytest.mark.parametrize(
    "timeout",
    [None, 0, -1, math.nan, math.inf, "5", True, (1.0,), (1.0, 2.0, 3.0), (1.0, None), [1, 2]],
)
def test_a_timeout_that_is_not_positive_seconds_is_a_configuration_error(
    timeout: Any, make: Make
) -> None:
    # None would mean "wait for ever"; the rest used to fail on the first request instead.
    with pytest.raises(ConfigurationError, match="timeout must be a positive number"):
        make(timeout=timeout)


@pytest.mark.sleeps  # a real read timeout, on the wall clock
@pytest.mark.parametrize(
    ("timeout", "expected"),
    [(0.15, 0.15), ((5.0, 0.15), 0.15), ((0.05, 0.4), 0.4)],
    ids=["one number", "read part of a pair", "connect part is not the read timeout"],
)
def test_a_server_that_never_answers_times_out_after_the_read_timeout(
    loopback: LoopbackServer, timeout: Any, expected: float, make: Make
) -> None:
    loopback.always(NeverAnswer(seconds=expected + 3.0))
    with make(base_url=loopback.url, timeout=timeout, max_retries=0) as client:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError) as caught:
            client.get_connection(CONNECTION_ID)
        elapsed = time.monotonic() - started
    assert expected - 0.02 <= elapsed < expected + 1.5, elapsed
    assert "reading the response" in str(caught.value)
    assert loopback.request_count == 1


def test_all_options_are_keyword_only(client_class: type[Union[SSOClient, AsyncSSOClient]]) -> None:
    cls: Any = client_class
    with pytest.raises(TypeError):
        cls(API_KEY, CLIENT_ID)
    with pytest.raises(TypeError):
        cls(API_KEY, client_id=CLIENT_ID)
    with pytest.raises(TypeError):
        cls.from_env({})


def test_unknown_option_is_a_type_error(make: Make) -> None:
    with pytest.raises(TypeError):
        make(retries=3)


# --- from_env -------------------------------------------------------------------------------


def test_from_env_reads_key_client_id_and_base_url(
    client_class: type[Union[SSOClient, AsyncSSOClient]],
) -> None:
    environ = env_fixture(WORKOS_BASE_URL="http://127.0.0.1:4100/")
    with from_env(client_class, environ=environ) as client:
        assert client.client_id == CLIENT_ID
        assert client.base_url == "http://127.0.0.1:4100"


def test_from_env_without_base_url_uses_the_default(
    client_class: type[Union[SSOClient, AsyncSSOClient]],
) -> None:
    with from_env(client_class, environ=env_fixture()) as client:
        assert client.base_url == "https://api.workos.com"
    with from_env(client_class, environ=env_fixture(WORKOS_BASE_URL="  ")) as client:
        assert client.base_url == "https://api.workos.com"


def test_from_env_strips_surrounding_whitespace(
    client_class: type[Union[SSOClient, AsyncSSOClient]],
) -> None:
    environ = {"WORKOS_API_KEY": f" {API_KEY}\n", "WORKOS_CLIENT_ID": f"{CLIENT_ID} "}
    with from_env(client_class, environ=environ) as client:
        assert client.client_id == CLIENT_ID


@pytest.mark.parametrize("variable", ["WORKOS_API_KEY", "WORKOS_CLIENT_ID"])
@pytest.mark.parametrize("absent", ["missing", "empty", "blank"])
def test_from_env_missing_variable_is_named(
    variable: str, absent: str, client_class: type[Union[SSOClient, AsyncSSOClient]]
) -> None:
    environ = env_fixture()
    if absent == "missing":
        del environ[variable]
    else:
        environ[variable] = "" if absent == "empty" else "   "
    with pytest.raises(ConfigurationError) as caught:
        client_class.from_env(environ=environ)
    assert variable in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WORKOS_API_KEY", "pk_test_abc"),
        ("WORKOS_CLIENT_ID", "01ABC"),
        ("WORKOS_BASE_URL", "http://api.workos.com"),
        ("WORKOS_BASE_URL", "not a url"),
        ("WORKOS_BASE_URL", "https://api.workos.com?debug=1"),
    ],
)
def test_from_env_malformed_variable_is_named(
    variable: str, value: str, client_class: type[Union[SSOClient, AsyncSSOClient]]
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        client_class.from_env(environ=env_fixture(**{variable: value}))
    assert variable in str(caught.value)


def test_from_env_passes_options_on(
    loopback: LoopbackServer, client_class: type[Union[SSOClient, AsyncSSOClient]]
) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        client_class.from_env(environ=env_fixture(), max_retries=-1)
    loopback.always(NeverAnswer())
    environ = env_fixture(WORKOS_BASE_URL=loopback.url)
    with from_env(client_class, environ=environ, max_retries=0, timeout=0.15) as client:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            client.get_connection(CONNECTION_ID)
        elapsed = time.monotonic() - started
    assert 0.12 < elapsed < 2.0  # the 0.15 s timeout, not the default 30 s
    assert loopback.request_count == 1  # and max_retries=0: no second attempt
    assert loopback.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_from_env_defaults_to_the_process_environment(
    monkeypatch: pytest.MonkeyPatch, client_class: type[Union[SSOClient, AsyncSSOClient]]
) -> None:
    monkeypatch.setenv("WORKOS_API_KEY", API_KEY)
    monkeypatch.setenv("WORKOS_CLIENT_ID", "client_01FROMPROCESS")
    monkeypatch.delenv("WORKOS_BASE_URL", raising=False)
    with from_env(
        client_class,
    ) as client:
        assert client.client_id == "client_01FROMPROCESS"
    monkeypatch.delenv("WORKOS_API_KEY")
    with pytest.raises(ConfigurationError, match="WORKOS_API_KEY"):
        client_class.from_env()


# --- repr -----------------------------------------------------------------------------------


def test_repr_and_str_show_no_key(make: Make) -> None:
    with make(base_url="http://127.0.0.1:4100") as client:
        for text in (repr(client), str(client), f"{client!r}", f"{client}"):
            assert API_KEY not in text
            assert "sk_" not in text
        assert CLIENT_ID in repr(client)
        assert "127.0.0.1:4100" in repr(client)


def test_base_url_and_client_id_are_read_only(make: Make) -> None:
    with make(base_url="https://api.example/") as wrapper:
        client = own(wrapper)
        assert (client.base_url, client.client_id) == ("https://api.example", CLIENT_ID)
        # Changing either would make the URLs the client builds disagree with where it sends.
        with pytest.raises(AttributeError):
            client.base_url = "https://elsewhere.example"  # type: ignore[misc]
        with pytest.raises(AttributeError):
            client.client_id = "client_other"  # type: ignore[misc]
        assert (client.base_url, client.client_id) == ("https://api.example", CLIENT_ID)


# --- lifecycle: the context manager and sessions --------------------------------------------


@pytest.fixture
def server(loopback: LoopbackServer) -> LoopbackServer:
    """A loopback server that answers every request with a connection."""
    loopback.always(Reply.json(200, connection_fixture()))
    return loopback


def test_context_manager_returns_the_client_and_closes_its_connections(
    server: LoopbackServer, make: Make
) -> None:
    with make(base_url=server.url) as wrapper:
        client = own(wrapper)
        # `with` gives SSOClient itself; `async with` gives AsyncSSOClient itself.
        if isinstance(client, AsyncSSOClient):
            assert wrapper.wait(client.__aenter__()) is client
        else:
            assert client.__enter__() is client
        wrapper.get_connection("conn_1")
        wrapper.get_connection("conn_2")
        # Both requests went over one pooled keep-alive connection.
        assert server.wait_for_open_connections(1) == 1
        if isinstance(client, AsyncSSOClient):
            wrapper.wait(client.__aexit__(None, None, None))
        else:
            client.__exit__(None, None, None)
        # Leaving the block closed the connection.
        assert server.wait_for_open_connections(0) == 0
    assert len(server.requests) == 2


def test_close_releases_connections_without_a_with_block(
    server: LoopbackServer, make: Make
) -> None:
    client = make(base_url=server.url)
    client.get_connection("conn_1")
    assert server.wait_for_open_connections(1) == 1
    client.close()
    assert server.wait_for_open_connections(0) == 0


def test_context_manager_closes_even_when_the_block_raises(
    server: LoopbackServer, client_kind: str
) -> None:
    def use_then_fail() -> None:
        with SSOClient(api_key=API_KEY, client_id=CLIENT_ID, base_url=server.url) as client:
            client.get_connection("conn_1")
            raise RuntimeError("user code failed")

    async def use_then_fail_async() -> None:
        async with AsyncSSOClient(
            api_key=API_KEY, client_id=CLIENT_ID, base_url=server.url
        ) as client:
            await client.get_connection("conn_1")
            raise RuntimeError("user code failed")

    failing = (
        (lambda: asyncio.run(use_then_fail_async())) if client_kind == "async" else use_then_fail
    )
    with pytest.raises(RuntimeError, match="user code failed"):
        failing()
    assert server.request_count == 1
    assert server.wait_for_open_connections(0) == 0


@sync_only
def test_a_session_passed_in_is_used_and_left_open(server: LoopbackServer, make: Make) -> None:
    session = requests.Session()
    session.headers["X-Custom"] = "from-user-session"
    try:
        with make(base_url=server.url, session=session) as client:
            client.get_connection("conn_1")
        assert server.requests[0].headers["x-custom"] == "from-user-session"
        # Closing the client leaves the user's session and its pooled connection alone.
        assert server.wait_for_open_connections(0, timeout=0.3) == 1
        with session.get(f"{server.url}/still-usable", timeout=5) as response:
            assert response.status_code == 200
        # A live Response keeps its socket's file object, and so the socket, open.
        del response
        assert server.open_connections == 1
    finally:
        session.close()
    assert server.wait_for_open_connections(0) == 0


@sync_only
def test_client_key_is_not_sent_to_other_hosts_through_a_shared_session(
    server: LoopbackServer, second_loopback: LoopbackServer, make: Make
) -> None:
    second_loopback.always(Reply.json(200, {"other": True}))
    with requests.Session() as session:
        with make(base_url=server.url, session=session) as client:
            client.get_connection("conn_1")
            session.get(f"{second_loopback.url}/elsewhere", timeout=5)
        assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
        assert "authorization" not in second_loopback.requests[0].headers


@async_only
def test_an_http_client_passed_in_is_used_and_left_open(server: LoopbackServer) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession(headers={"X-Custom": "from-user-session"}) as session:
            async with AsyncSSOClient(
                api_key=API_KEY, client_id=CLIENT_ID, base_url=server.url, http_client=session
            ) as sso:
                await sso.get_connection("conn_1")
            # Closing the client leaves the caller's session, and its pooled connection, alone.
            assert not session.closed
            assert await asyncio.to_thread(server.wait_for_open_connections, 0, timeout=0.3) == 1
            async with session.get(f"{server.url}/still-usable") as response:
                assert response.status == 200
        assert session.closed

    asyncio.run(scenario())
    assert server.requests[0].headers["x-custom"] == "from-user-session"
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    assert [request.connection for request in server.requests] == [1, 1]
    assert server.wait_for_open_connections(0) == 0


@async_only
def test_client_key_is_not_sent_to_other_hosts_through_a_shared_http_client(
    server: LoopbackServer, second_loopback: LoopbackServer
) -> None:
    second_loopback.always(Reply.json(200, {"other": True}))

    async def scenario() -> None:
        async with (
            aiohttp.ClientSession() as session,
            AsyncSSOClient(
                api_key=API_KEY, client_id=CLIENT_ID, base_url=server.url, http_client=session
            ) as sso,
        ):
            await sso.get_connection("conn_1")
            async with session.get(f"{second_loopback.url}/elsewhere") as response:
                assert response.status == 200

    asyncio.run(scenario())
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    assert "authorization" not in second_loopback.requests[0].headers


# --- credentials from the environment never replace the API key -----------------------------


@pytest.fixture
def netrc_for_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login intruder password from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert os.environ["NETRC"] == str(netrc)


@pytest.mark.usefixtures("netrc_for_loopback")
def test_a_netrc_entry_never_replaces_the_api_key(server: LoopbackServer, make: Make) -> None:
    with make(base_url=server.url) as sso:
        sso.get_connection(CONNECTION_ID)
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}"


@sync_only
@pytest.mark.usefixtures("netrc_for_loopback")
def test_a_netrc_entry_never_replaces_the_api_key_through_a_session_passed_in(
    server: LoopbackServer, make: Make
) -> None:
    with requests.Session() as session, make(base_url=server.url, session=session) as sso:
        sso.get_connection(CONNECTION_ID)
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}"


@sync_only
def test_a_session_with_its_own_auth_still_sends_the_api_key(
    server: LoopbackServer, make: Make
) -> None:
    with requests.Session() as session:
        session.auth = ("someone", "else")
        with make(base_url=server.url, session=session) as sso:
            sso.get_connection(CONNECTION_ID)
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
