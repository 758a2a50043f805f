"""Client configuration: ``SSOClient(...)`` and ``SSOClient.from_env``, validation and lifecycle."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.loopback import LoopbackServer, NeverAnswer, Reply
from tests.payload_fixtures import connection_fixture
from workos_sso import (
    ConfigurationError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SSOClient,
    WorkOSError,
)

API_KEY = "sk_test_config_tests_secret_value"
CLIENT_ID = "client_01CONFIGTESTS"


def make(**overrides: Any) -> SSOClient:
    options: dict[str, Any] = {"api_key": API_KEY, "client_id": CLIENT_ID, **overrides}
    return SSOClient(**options)


def env_fixture(**overrides: str) -> dict[str, str]:
    environ = {"WORKOS_API_KEY": API_KEY, "WORKOS_CLIENT_ID": CLIENT_ID}
    environ.update(overrides)
    return environ


# --- api key and client id ------------------------------------------------------------------


def test_valid_arguments_make_a_client_with_the_default_base_url() -> None:
    with make() as client:
        assert client.client_id == CLIENT_ID
        assert client.base_url == "https://api.workos.com"


@pytest.mark.parametrize("key", ["sk_test_abc", "sk_live_abc", "sk_anything"])
def test_keys_starting_sk_are_accepted_and_sent_as_given(
    key: str, loopback: LoopbackServer
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
        (None, "api_key is missing"),
        (123, "api_key is missing"),
        ("pk_test_abc", "must start with 'sk_'"),
        ("client_01ABC", "must start with 'sk_'"),
        ("SK_TEST_ABC", "must start with 'sk_'"),
        (" sk_test_abc", "no spaces"),
        ("sk_test_abc\n", "no spaces"),
    ],
)
def test_missing_or_malformed_key_names_the_variable(key: Any, expected: str) -> None:
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
def test_missing_or_malformed_client_id_names_the_variable(client_id: Any, expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(client_id=client_id)
    assert expected in str(caught.value)
    assert "WORKOS_CLIENT_ID" in str(caught.value)


def test_malformed_key_is_not_echoed_in_the_message() -> None:
    wrong = "pk_live_this_is_secret_material"
    with pytest.raises(ConfigurationError) as caught:
        make(api_key=wrong)
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value)


def test_configuration_error_is_a_workos_error_and_a_value_error() -> None:
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
def test_accepted_base_urls_are_normalized(base_url: str, expected: str) -> None:
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
def test_rejected_base_urls_say_why_and_name_the_variable(base_url: str, expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(base_url=base_url)
    assert expected in str(caught.value)
    assert "WORKOS_BASE_URL" in str(caught.value)


def test_base_url_with_credentials_does_not_echo_them() -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(base_url="https://admin:hunter2-password@api.workos.com")
    assert "hunter2-password" not in str(caught.value)


def test_base_url_must_be_a_string() -> None:
    with pytest.raises(ConfigurationError, match="WORKOS_BASE_URL"):
        make(base_url=b"https://api.workos.com")


# --- retries and other options --------------------------------------------------------------


@pytest.mark.parametrize("max_retries", [0, 1, 3, 10])
def test_max_retries_is_how_many_times_a_failed_request_is_repeated(
    max_retries: int, loopback: LoopbackServer
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
def test_max_retries_must_be_a_whole_number_zero_or_more(max_retries: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        make(max_retries=max_retries)


@pytest.mark.parametrize("max_retry_wait", [0, 0.5, 10, 60.0])
def test_max_retry_wait_is_the_longest_retry_after_the_client_waits_for(
    max_retry_wait: float, loopback: LoopbackServer
) -> None:
    longer = str(int(max_retry_wait) + 1)  # whole seconds, just over the limit
    loopback.script(
        Reply.json(429, {"message": "slow down"}, headers={"Retry-After": "0"}),
        Reply.json(429, {"message": "slow down"}, headers={"Retry-After": longer}),
    )
    with make(base_url=loopback.url, max_retries=3, max_retry_wait=max_retry_wait) as client:
        assert client._transport._retry.max_retry_wait == max_retry_wait
        started = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            client.get_connection("conn_1")
    # "Retry-After: 0" is within any limit, so it was retried; the longer one was not waited
    # for: the error came at once, with the server's wait for the caller to honour.
    assert loopback.request_count == 2
    assert caught.value.retry_after == float(longer)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("max_retry_wait", [-0.1, -5, "10", None, True, float("nan")])
def test_max_retry_wait_must_be_a_number_zero_or_more(max_retry_wait: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_retry_wait"):
        make(max_retry_wait=max_retry_wait)


def test_all_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        SSOClient(API_KEY, CLIENT_ID)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        SSOClient(API_KEY, client_id=CLIENT_ID)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        SSOClient.from_env({})  # type: ignore[call-arg]


def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        make(retries=3)


# --- from_env -------------------------------------------------------------------------------


def test_from_env_reads_key_client_id_and_base_url() -> None:
    environ = env_fixture(WORKOS_BASE_URL="http://127.0.0.1:4100/")
    with SSOClient.from_env(environ=environ) as client:
        assert client.client_id == CLIENT_ID
        assert client.base_url == "http://127.0.0.1:4100"


def test_from_env_without_base_url_uses_the_default() -> None:
    with SSOClient.from_env(environ=env_fixture()) as client:
        assert client.base_url == "https://api.workos.com"
    with SSOClient.from_env(environ=env_fixture(WORKOS_BASE_URL="  ")) as client:
        assert client.base_url == "https://api.workos.com"


def test_from_env_strips_surrounding_whitespace() -> None:
    environ = {"WORKOS_API_KEY": f" {API_KEY}\n", "WORKOS_CLIENT_ID": f"{CLIENT_ID} "}
    with SSOClient.from_env(environ=environ) as client:
        assert client.client_id == CLIENT_ID


@pytest.mark.parametrize("variable", ["WORKOS_API_KEY", "WORKOS_CLIENT_ID"])
@pytest.mark.parametrize("absent", ["missing", "empty", "blank"])
def test_from_env_missing_variable_is_named(variable: str, absent: str) -> None:
    environ = env_fixture()
    if absent == "missing":
        del environ[variable]
    else:
        environ[variable] = "" if absent == "empty" else "   "
    with pytest.raises(ConfigurationError) as caught:
        SSOClient.from_env(environ=environ)
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
def test_from_env_malformed_variable_is_named(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SSOClient.from_env(environ=env_fixture(**{variable: value}))
    assert variable in str(caught.value)


def test_from_env_passes_options_on(loopback: LoopbackServer) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        SSOClient.from_env(environ=env_fixture(), max_retries=-1)
    loopback.always(NeverAnswer())
    environ = env_fixture(WORKOS_BASE_URL=loopback.url)
    with SSOClient.from_env(environ=environ, max_retries=0, timeout=0.3) as client:
        assert client._transport._timeout == 0.3
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            client.get_connection("conn_1")
    assert 0.25 < time.monotonic() - started < 2.0  # the 0.3 s timeout, not the default
    assert loopback.request_count == 1  # and max_retries=0: no second attempt


def test_from_env_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKOS_API_KEY", API_KEY)
    monkeypatch.setenv("WORKOS_CLIENT_ID", "client_01FROMPROCESS")
    monkeypatch.delenv("WORKOS_BASE_URL", raising=False)
    with SSOClient.from_env() as client:
        assert client.client_id == "client_01FROMPROCESS"
    monkeypatch.delenv("WORKOS_API_KEY")
    with pytest.raises(ConfigurationError, match="WORKOS_API_KEY"):
        SSOClient.from_env()


# --- repr -----------------------------------------------------------------------------------


def test_repr_and_str_show_no_key() -> None:
    with make(base_url="http://127.0.0.1:4100") as client:
        for text in (repr(client), str(client), f"{client!r}", f"{client}"):
            assert API_KEY not in text
            assert "sk_" not in text
        assert CLIENT_ID in repr(client)
        assert "127.0.0.1:4100" in repr(client)


# --- lifecycle: the context manager and sessions --------------------------------------------


@pytest.fixture
def server(loopback: LoopbackServer) -> LoopbackServer:
    """A loopback server that answers every request with a connection."""
    loopback.always(Reply.json(200, connection_fixture()))
    return loopback


def test_context_manager_returns_the_client_and_closes_its_connections(
    server: LoopbackServer,
) -> None:
    with make(base_url=server.url) as client:
        assert isinstance(client, SSOClient)
        client.get_connection("conn_1")
        client.get_connection("conn_2")
        # Both requests went over one pooled keep-alive connection.
        assert server.wait_for_open_connections(1) == 1
    assert server.wait_for_open_connections(0) == 0
    assert len(server.requests) == 2


def test_close_releases_connections_without_a_with_block(server: LoopbackServer) -> None:
    client = make(base_url=server.url)
    client.get_connection("conn_1")
    assert server.wait_for_open_connections(1) == 1
    client.close()
    assert server.wait_for_open_connections(0) == 0


def test_context_manager_closes_even_when_the_block_raises(server: LoopbackServer) -> None:
    def use_then_fail() -> None:
        with make(base_url=server.url) as client:
            client.get_connection("conn_1")
            raise RuntimeError("user code failed")

    with pytest.raises(RuntimeError, match="user code failed"):
        use_then_fail()
    assert server.wait_for_open_connections(0) == 0


def test_a_session_passed_in_is_used_and_left_open(server: LoopbackServer) -> None:
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


def test_client_key_is_not_sent_to_other_hosts_through_a_shared_session(
    server: LoopbackServer, second_loopback: LoopbackServer
) -> None:
    second_loopback.always(Reply.json(200, {"other": True}))
    with requests.Session() as session:
        with make(base_url=server.url, session=session) as client:
            client.get_connection("conn_1")
            session.get(f"{second_loopback.url}/elsewhere", timeout=5)
        assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
        assert "authorization" not in second_loopback.requests[0].headers
