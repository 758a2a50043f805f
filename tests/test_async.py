"""What only the async client does: lazy loading, event loops, cancellation, its pool.

Everything both clients share (requests, retries, errors, paging, secrets) is tested once for
both kinds through the ``client_kind`` fixture; this module covers the rest, and the load of a
thousand concurrent calls against the emulator.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests import emulator
from tests.loopback import (
    LOOPBACK_API_KEY,
    LOOPBACK_CLIENT_ID,
    CloseBeforeAnswer,
    LoopbackServer,
    NeverAnswer,
    RecordedRequest,
    Reply,
    ResetMidBody,
    Route,
)
from tests.payload_fixtures import connection_fixture, connection_list_fixture
from workos_sso import (
    AsyncPager,
    AsyncSSOClient,
    ConfigurationError,
    Connection,
    NetworkError,
    SSOClient,
)
from workos_sso._config import POOL_SIZE

ROOT = Path(__file__).resolve().parent.parent


def _client(server: LoopbackServer, **options: Any) -> AsyncSSOClient:
    settings: dict[str, Any] = {
        "api_key": LOOPBACK_API_KEY,
        "client_id": LOOPBACK_CLIENT_ID,
        "base_url": server.url,
        "timeout": (2.0, 5.0),
        "max_retries": 0,
    }
    settings.update(options)
    return AsyncSSOClient(**settings)


def _python(code: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return completed.stdout.strip()


# --- Loading ------------------------------------------------------------------------------------


def test_the_async_client_loads_aiohttp_only_when_one_is_made() -> None:
    loaded = _python(
        "import sys\n"
        "from workos_sso import AsyncSSOClient\n"
        "before = 'aiohttp' in sys.modules\n"
        "AsyncSSOClient(api_key='sk_test_x', client_id='client_x')\n"
        "print(before, 'aiohttp' in sys.modules)"
    )
    assert loaded == "False True"


def test_without_the_async_extra_the_client_names_the_install_command() -> None:
    said = _python(
        "import sys\n"
        "sys.modules['aiohttp'] = None  # what an environment without aiohttp looks like\n"
        "from workos_sso import AsyncSSOClient, ConfigurationError\n"
        "try:\n"
        "    AsyncSSOClient(api_key='sk_test_x', client_id='client_x')\n"
        "except ConfigurationError as error:\n"
        "    print(str(error).splitlines()[0])\n"
    )
    assert "pip install 'workos-sso[async]'" in said


# --- The same surface ---------------------------------------------------------------------------

IO_METHODS = (
    "get_profile_and_token",
    "get_profile",
    "get_connection",
    "delete_connection",
    "authorize_logout",
)
PLAIN_METHODS = ("get_authorization_url", "get_logout_url", "get_jwks_url", "list_connections")


@pytest.mark.parametrize("name", IO_METHODS + PLAIN_METHODS)
def test_every_method_has_the_sync_signature(name: str) -> None:
    sync_method = getattr(SSOClient, name)
    async_method = getattr(AsyncSSOClient, name)
    assert inspect.iscoroutinefunction(async_method) is (name in IO_METHODS)
    sync_signature = inspect.signature(sync_method)
    async_signature = inspect.signature(async_method)
    assert list(async_signature.parameters) == list(sync_signature.parameters)
    for parameter, expected in zip(
        async_signature.parameters.values(), sync_signature.parameters.values()
    ):
        assert (parameter.kind, parameter.default) == (expected.kind, expected.default)
    if name == "list_connections":
        assert async_signature.return_annotation == "AsyncPager[Connection]"
    else:
        assert async_signature.return_annotation == sync_signature.return_annotation


def test_the_constructors_differ_only_in_the_callers_http_client() -> None:
    sync_parameters = dict(inspect.signature(SSOClient).parameters)
    async_parameters = dict(inspect.signature(AsyncSSOClient).parameters)
    assert sync_parameters.pop("session").default is None
    assert async_parameters.pop("http_client").default is None
    assert [(p.name, p.kind, p.default) for p in async_parameters.values()] == [
        (p.name, p.kind, p.default) for p in sync_parameters.values()
    ]


def test_from_env_and_repr() -> None:
    sso = AsyncSSOClient.from_env(
        environ={"WORKOS_API_KEY": "sk_test_secret_from_env", "WORKOS_CLIENT_ID": "client_e"}
    )
    assert isinstance(sso, AsyncSSOClient)
    assert repr(sso) == "AsyncSSOClient(client_id='client_e', base_url='https://api.workos.com')"
    assert "sk_test_secret_from_env" not in repr(sso)
    with pytest.raises(ConfigurationError, match="WORKOS_API_KEY"):
        AsyncSSOClient.from_env(environ={"WORKOS_CLIENT_ID": "client_e"})


# --- Event loops and closing --------------------------------------------------------------------


def test_a_client_belongs_to_the_event_loop_it_first_ran_in(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(200, connection_fixture()))
    sso = _client(loopback)
    first_loop, second_loop = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        first = first_loop.run_until_complete(sso.get_connection("conn_1"))
        assert isinstance(first, Connection)
        with pytest.raises(ConfigurationError, match="one client per event loop"):
            second_loop.run_until_complete(sso.get_connection("conn_1"))
        assert loopback.request_count == 1  # refused before anything was sent
    finally:
        first_loop.run_until_complete(sso.aclose())
        first_loop.close()
        second_loop.close()


def test_a_closed_client_refuses_to_send(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(200, connection_fixture()))

    async def scenario() -> None:
        async with _client(loopback) as sso:
            await sso.get_connection("conn_1")
        with pytest.raises(ConfigurationError, match="closed"):
            await sso.get_connection("conn_1")

    asyncio.run(scenario())
    assert loopback.wait_for_open_connections(0) == 0  # aclose() closed the pooled connection


def test_a_callers_http_client_is_used_and_left_open(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(200, connection_fixture()))

    async def scenario() -> bool:
        async with aiohttp.ClientSession(headers={"X-Caller": "mine"}) as session:
            async with _client(loopback, http_client=session) as sso:
                await sso.get_connection("conn_1")
            return session.closed

    assert asyncio.run(scenario()) is False
    (request,) = loopback.requests
    assert request.headers["x-caller"] == "mine"
    assert request.headers["authorization"] == f"Bearer {LOOPBACK_API_KEY}"


# --- Cancellation and the pool -------------------------------------------------------------------


def test_cancelled_calls_leave_no_connection_checked_out(loopback: LoopbackServer) -> None:
    # As many silent answers as the pool has connections: if a cancelled call kept its
    # connection, the call after them would wait for a free one for ever.
    loopback.script(*[NeverAnswer() for _ in range(POOL_SIZE)])
    loopback.always(Reply.json(200, connection_fixture()))

    async def scenario() -> Connection:
        async with _client(loopback) as sso:
            stuck = [asyncio.ensure_future(sso.get_connection("conn_1")) for _ in range(POOL_SIZE)]
            while loopback.request_count < POOL_SIZE:
                await asyncio.sleep(0.01)
            for call in stuck:
                call.cancel()
            results = await asyncio.gather(*stuck, return_exceptions=True)
            assert all(isinstance(result, asyncio.CancelledError) for result in results)
            return await asyncio.wait_for(sso.get_connection("conn_1"), timeout=5)

    assert isinstance(asyncio.run(scenario()), Connection)
    assert loopback.request_count == POOL_SIZE + 1


def test_a_cancelled_body_read_closes_its_connection(loopback: LoopbackServer) -> None:
    # The answer's head arrives, its body never does: cancelling mid-body must not hand the
    # half-read connection back to the pool for the next call to trip over.
    half_answered = Reply(
        status=200,
        body=b"",
        headers={"Content-Type": "application/json", "Content-Length": "5000"},
    )
    loopback.script(half_answered)
    loopback.always(Reply.json(200, connection_fixture()))

    async def scenario() -> Connection:
        async with _client(loopback) as sso:
            call = asyncio.ensure_future(sso.get_connection("conn_1"))
            await asyncio.sleep(0.3)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            return await asyncio.wait_for(sso.get_connection("conn_1"), timeout=5)

    assert isinstance(asyncio.run(scenario()), Connection)
    first, second = loopback.requests
    assert first.connection != second.connection


def test_the_pool_bounds_how_many_connections_are_open(loopback: LoopbackServer) -> None:
    in_flight = 0
    most_in_flight = 0
    lock = threading.Lock()

    def slow_answer(_request: RecordedRequest) -> Reply:
        nonlocal in_flight, most_in_flight
        with lock:
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
        time.sleep(0.05)
        with lock:
            in_flight -= 1
        return Reply.json(200, connection_fixture())

    loopback.always(Route({"/connections/conn_1": slow_answer}))
    calls = POOL_SIZE * 3

    async def scenario() -> list[Connection]:
        async with _client(loopback) as sso:
            return await asyncio.gather(*[sso.get_connection("conn_1") for _ in range(calls)])

    assert len(asyncio.run(scenario())) == calls
    assert loopback.connections_accepted <= POOL_SIZE
    assert most_in_flight == POOL_SIZE  # the pool was used to its bound, not beyond


# --- async for ----------------------------------------------------------------------------------


def test_async_for_walks_every_page_and_resumes_after_a_network_error(
    loopback: LoopbackServer,
) -> None:
    pages = {
        None: connection_list_fixture(1, after="cursor_1", first=1),
        "cursor_1": connection_list_fixture(1, after=None, first=2),
    }
    breaks = [ResetMidBody()]  # the second page's first answer breaks off mid-body

    def page_for(request: RecordedRequest) -> Any:
        after = dict(request.query).get("after")
        if after == "cursor_1" and breaks:
            return breaks.pop()
        return Reply.json(200, pages[after])

    loopback.always(Route({"/connections": page_for}))

    async def scenario() -> list[str]:
        seen: list[str] = []
        async with _client(loopback) as sso:
            pager = sso.list_connections(limit=1)
            assert isinstance(pager, AsyncPager)
            seen.append((await pager.__anext__()).id)
            with pytest.raises(NetworkError):
                await pager.__anext__()
            async for connection in pager:  # the same pager picks up at the failed page
                seen.append(connection.id)
            page_ids = [[c.id for c in page.data] async for page in pager.pages()]
        assert page_ids == [["conn_01FIXTURE00001"], ["conn_01FIXTURE00002"]]
        return seen

    assert asyncio.run(scenario()) == ["conn_01FIXTURE00001", "conn_01FIXTURE00002"]


# --- Load against the emulator ------------------------------------------------------------------


def _established_to(port: int) -> int:
    """This process's TCP connections to ``port`` open right now (Linux's /proc).

    /proc/net/tcp lists every socket of the machine, among them those of other test processes
    talking to the same emulator; a socket is this process's when one of its descriptors
    points at the socket's inode.
    """
    own_sockets = set()
    for descriptor in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            own_sockets.add(target[len("socket:[") : -1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            # fields[3] "01" is ESTABLISHED; fields[9] is the socket's inode.
            if remote_port == port and fields[3] == "01" and fields[9] in own_sockets:
                count += 1
    return count


@pytest.mark.live
@pytest.mark.rate_limited
def test_a_thousand_concurrent_calls_through_one_client(emulator_url: str) -> None:
    port = int(emulator_url.rsplit(":", 1)[1])
    most_open = 0

    async def watch(done: asyncio.Event) -> None:
        nonlocal most_open
        while not done.is_set():
            most_open = max(most_open, _established_to(port))
            await asyncio.sleep(0.005)

    with SSOClient(
        api_key=emulator.DEFAULT_API_KEY, client_id=emulator.CLIENT_ID, base_url=emulator_url
    ) as setup:
        (wanted,) = setup.list_connections(domain="foo-corp.com")

    async def scenario() -> list[Connection]:
        # A key of its own. The emulator allows each key 999 requests a minute and answers the
        # thousandth with a 429 and a Retry-After of the rest of the minute: with a wait limit
        # above that, the client waits and retries it instead of raising RateLimitError.
        async with AsyncSSOClient(
            api_key=emulator.LOAD_API_KEY,
            client_id=emulator.CLIENT_ID,
            base_url=emulator_url,
            max_retry_wait=61.0,
        ) as sso:
            done = asyncio.Event()
            watcher = asyncio.ensure_future(watch(done))
            try:
                return await asyncio.gather(*[sso.get_connection(wanted.id) for _ in range(1000)])
            finally:
                done.set()
                await watcher

    results = asyncio.run(scenario())
    assert len(results) == 1000
    assert all(connection == wanted for connection in results)
    assert 0 < most_open <= POOL_SIZE


# --- aiohttp's own resend ------------------------------------------------------------------------


def _get_twice_on_one_connection(server: LoopbackServer) -> None:
    """With aiohttp's defaults, a GET that succeeds, then one on the same kept-alive connection
    that is dropped."""

    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            url = f"{server.url}/connections/conn_1"
            async with session.get(url) as response:
                await response.read()
            with pytest.raises(aiohttp.ClientError):
                async with session.get(url) as response:
                    await response.read()

    asyncio.run(main())


def test_aiohttp_by_default_resends_a_get_its_kept_alive_connection_dropped(
    loopback: LoopbackServer,
) -> None:
    # The behaviour the client turns off. Should this fail, aiohttp no longer resends and the
    # setting in _async_transport can go.
    loopback.script(Reply.json(200, connection_fixture()), CloseBeforeAnswer(), CloseBeforeAnswer())

    _get_twice_on_one_connection(loopback)

    assert loopback.request_count == 3


def test_aiohttp_honours_the_clients_no_resend_setting(loopback: LoopbackServer) -> None:
    # max_retries=0 is one attempt per call even on a reused connection, where aiohttp would
    # resend by itself: this fails if aiohttp stops honouring the setting that turns that off.
    loopback.script(Reply.json(200, connection_fixture()), CloseBeforeAnswer(), CloseBeforeAnswer())

    async def main() -> None:
        async with _client(loopback, max_retries=0) as sso:
            await sso.get_connection("conn_1")
            with pytest.raises(NetworkError):
                await sso.get_connection("conn_1")

    asyncio.run(main())

    assert loopback.request_count == 2
    assert loopback.connections_accepted == 1
