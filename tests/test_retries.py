"""The retry rules, counted at a real server on loopback.

Every test here counts the requests that actually arrived (``loopback.requests``), so "retried"
and "not retried" are facts about the wire, not about the client's bookkeeping. Waits are kept
to fractions of a second with small ``max_retry_wait`` values; time bounds are loose on purpose
(a loaded machine only ever makes things slower, so lower bounds are exact and upper bounds are
generous).
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import re
import socket
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from tests.clock import FakeClock
from tests.loopback import (
    LOOPBACK_API_KEY,
    Action,
    CloseBeforeAnswer,
    LoopbackServer,
    NeverAnswer,
    Reply,
    ResetMidBody,
    TruncatedBody,
    client_for,
    closed_port,
)
from tests.payload_fixtures import (
    connection_fixture,
    connection_list_fixture,
    logout_authorization_fixture,
    profile_and_token_fixture,
)
from workos_sso import (
    NetworkError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SSOClient,
    WorkOSError,
    __version__,
    _protocol,
    _wire,
)
from workos_sso._protocol import RetryPolicy

pytestmark = pytest.mark.usefixtures("client_kind")

CODE = "code_loopback_0123456789abcdef"
ACCESS_TOKEN = "at_loopback_secret_0123456789"
CONNECTION_ID = str(connection_fixture()["id"])

Call = Callable[[SSOClient], Any]

#: The idempotent operations: (HTTP method, the call, a reply it succeeds with).
IDEMPOTENT: dict[str, tuple[str, Call, Reply]] = {
    "get_connection": (
        "GET",
        lambda sso: sso.get_connection(CONNECTION_ID),
        Reply.json(200, connection_fixture()),
    ),
    "list_connections": (
        "GET",
        lambda sso: list(sso.list_connections()),
        Reply.json(200, connection_list_fixture(1, after=None)),
    ),
    "delete_connection": (
        "DELETE",
        lambda sso: sso.delete_connection(CONNECTION_ID),
        Reply(status=204),
    ),
}
#: The POST operations: the single-use code exchange and the logout authorization.
NON_IDEMPOTENT: dict[str, tuple[str, Call, Reply]] = {
    "get_profile_and_token": (
        "POST",
        lambda sso: sso.get_profile_and_token(CODE),
        Reply.json(200, profile_and_token_fixture()),
    ),
    "authorize_logout": (
        "POST",
        lambda sso: sso.authorize_logout(profile_id="prof_01LOOPBACK"),
        Reply.json(200, logout_authorization_fixture()),
    ),
}
RETRY_STATUSES = (429, 500, 502, 503, 504)
#: One call of each kind, for servers that never answer: a GET and the code exchange.
CALLS: dict[str, Call] = {
    "GET": IDEMPOTENT["get_connection"][1],
    "POST": NON_IDEMPOTENT["get_profile_and_token"][1],
}


def _busy(status: int) -> Reply:
    return Reply.json(status, {"message": f"busy ({status})"})


def _gaps(server: LoopbackServer) -> list[float]:
    """Seconds between consecutive requests as the server received them."""
    times = [request.received_at for request in server.requests]
    return [later - earlier for earlier, later in zip(times, times[1:])]


#: One debug line per attempt, from the protocol core that both clients share.
_ATTEMPT_LINE = re.compile(
    r"^(?P<method>GET|POST|DELETE) (?P<path>/\S*) "
    r"(?:-> (?P<status>\d{3})|failed \((?P<fault>[a-z ]+)\)) in (?P<ms>\d+\.\d) ms "
    r"\(attempt (?P<attempt>\d+), request id (?P<request_id>\S+)\)$"
)


def _attempts(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    """The per-attempt debug lines of logger ``workos_sso``, parsed; every line must parse."""
    matches = []
    for record in caplog.records:
        if record.name == "workos_sso":
            match = _ATTEMPT_LINE.match(record.getMessage())
            assert match is not None, record.getMessage()
            matches.append(match)
    return matches


@pytest.fixture
def recorded_pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the retry policy chose, in order, whichever client drives it."""
    pauses: list[float] = []
    original = RetryPolicy.delay

    def recording(self: RetryPolicy, *args: Any, **kwargs: Any) -> Any:
        wait = original(self, *args, **kwargs)
        if wait is not None:
            pauses.append(wait)
        return wait

    monkeypatch.setattr(RetryPolicy, "delay", recording)
    return pauses


# --- idempotent requests ---------------------------------------------------------------------


@pytest.mark.parametrize("status", RETRY_STATUSES)
@pytest.mark.parametrize("operation", sorted(IDEMPOTENT))
def test_idempotent_requests_retry_until_the_attempts_run_out(
    loopback: LoopbackServer, operation: str, status: int
) -> None:
    method, call, _ = IDEMPOTENT[operation]
    loopback.always(_busy(status))
    with (
        client_for(loopback, max_retries=2, max_retry_wait=0.01) as sso,
        pytest.raises(RateLimitError if status == 429 else ServerError) as caught,
    ):
        call(sso)

    assert caught.value.status_code == status
    assert [request.method for request in loopback.requests] == [method] * 3


@pytest.mark.parametrize("operation", sorted(IDEMPOTENT))
def test_idempotent_requests_succeed_when_the_server_recovers(
    loopback: LoopbackServer, operation: str
) -> None:
    method, call, success = IDEMPOTENT[operation]
    loopback.script(_busy(503), _busy(429), _busy(500), success)
    with client_for(loopback, max_retries=3, max_retry_wait=0.01) as sso:
        call(sso)

    assert [request.method for request in loopback.requests] == [method] * 4


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501, 505])
def test_other_statuses_are_not_retried(loopback: LoopbackServer, status: int) -> None:
    loopback.always(_busy(status))
    with (
        client_for(loopback, max_retries=3, max_retry_wait=0.01) as sso,
        pytest.raises(WorkOSError),
    ):
        sso.get_connection(CONNECTION_ID)

    assert loopback.request_count == 1


def test_a_closed_connection_before_the_answer_is_retried_for_get(
    loopback: LoopbackServer,
) -> None:
    loopback.script(CloseBeforeAnswer(), CloseBeforeAnswer(), Reply.json(200, connection_fixture()))
    with client_for(loopback, max_retries=2, max_retry_wait=0.01) as sso:
        connection = sso.get_connection(CONNECTION_ID)

    assert connection.id == CONNECTION_ID
    assert loopback.request_count == 3


def test_a_read_timeout_is_retried_for_get(loopback: LoopbackServer) -> None:
    loopback.script(NeverAnswer(), Reply.json(200, connection_fixture()))
    with client_for(loopback, timeout=(2.0, 0.3), max_retries=1, max_retry_wait=0.01) as sso:
        connection = sso.get_connection(CONNECTION_ID)

    assert connection.id == CONNECTION_ID
    assert loopback.request_count == 2
    # The first attempt waited out the read timeout (less a little for the server thread to
    # record its arrival late on a busy machine).
    assert _gaps(loopback)[0] >= 0.25


def test_a_read_timeout_that_persists_raises_a_timeout_error(loopback: LoopbackServer) -> None:
    loopback.always(NeverAnswer())
    with (
        client_for(loopback, timeout=(2.0, 0.05), max_retries=2, max_retry_wait=0.01) as sso,
        pytest.raises(RequestTimeoutError),
    ):
        list(sso.list_connections())

    assert loopback.request_count == 3


#: How each HTTP library words a refused connection (the detail after "failed: ").
REFUSED_DETAIL = {"sync": "Connection refused", "async": "Connect call failed"}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_connection_refused_is_retried_with_backoff(
    caplog: pytest.LogCaptureFixture, client_kind: str, method: str, pause_clock: FakeClock
) -> None:
    caplog.set_level(logging.DEBUG, logger="workos_sso")
    nobody = f"http://127.0.0.1:{closed_port()}"
    with (
        client_for(nobody, kind=client_kind, max_retries=3, max_retry_wait=0.1) as sso,
        pytest.raises(NetworkError) as caught,
    ):
        CALLS[method](sso)

    assert type(caught.value) is NetworkError
    path = "/connections/" + CONNECTION_ID if method == "GET" else "/sso/token"
    assert str(caught.value).startswith(f"{method} {path} failed: ")
    assert REFUSED_DETAIL[client_kind] in str(caught.value)
    # Refused means never sent: the error must not suggest the code may have been spent.
    assert "may have received" not in str(caught.value)
    # No server to count at: one debug line per attempt, and three backoffs between them,
    # each between half the 0.1 s cap and all of it.
    attempts = _attempts(caplog)
    assert [match["attempt"] for match in attempts] == ["1", "2", "3", "4"]
    assert {match["fault"] for match in attempts} == {"connect"}
    assert {match["method"] for match in attempts} == {method}
    assert len(pause_clock.pauses) == 3
    assert all(0.05 <= pause <= 0.1 for pause in pause_clock.pauses), pause_clock.pauses


#: Answers whose body breaks off after the head: reset mid-body, or closed short of its length.
BROKEN_BODIES: dict[str, Action] = {
    "reset-mid-body": ResetMidBody(),
    "shorter-than-content-length": TruncatedBody(),
}


@pytest.mark.parametrize("broken", sorted(BROKEN_BODIES))
@pytest.mark.parametrize("operation", sorted(IDEMPOTENT))
def test_a_body_that_breaks_off_is_retried_for_idempotent_requests(
    loopback: LoopbackServer, operation: str, broken: str
) -> None:
    # The body is read inside the attempt, so a body cut short fails the attempt like a
    # dropped connection does, and is retried like one.
    method, call, success = IDEMPOTENT[operation]
    loopback.script(BROKEN_BODIES[broken], BROKEN_BODIES[broken], success)
    with client_for(loopback, max_retries=2, max_retry_wait=0.01) as sso:
        call(sso)

    assert [request.method for request in loopback.requests] == [method] * 3


@pytest.mark.parametrize("broken", sorted(BROKEN_BODIES))
@pytest.mark.parametrize("operation", sorted(IDEMPOTENT))
def test_a_body_that_always_breaks_off_uses_every_attempt(
    loopback: LoopbackServer, operation: str, broken: str
) -> None:
    method, call, _ = IDEMPOTENT[operation]
    loopback.always(BROKEN_BODIES[broken])
    with (
        client_for(loopback, max_retries=2, max_retry_wait=0.01) as sso,
        pytest.raises(NetworkError) as caught,
    ):
        call(sso)

    assert type(caught.value) is NetworkError
    assert "connection broke while the response was being read" in str(caught.value)
    assert "may have received" not in str(caught.value)
    assert [request.method for request in loopback.requests] == [method] * 3


# --- POST: the single-use code -----------------------------------------------------------------


@pytest.mark.parametrize("broken", sorted(BROKEN_BODIES))
@pytest.mark.parametrize("operation", sorted(NON_IDEMPOTENT))
def test_post_is_never_retried_after_its_body_breaks_off(
    loopback: LoopbackServer, operation: str, broken: str
) -> None:
    _, call, success = NON_IDEMPOTENT[operation]
    loopback.script(BROKEN_BODIES[broken], success)
    with (
        client_for(loopback, max_retries=3, max_retry_wait=0.01) as sso,
        pytest.raises(NetworkError) as caught,
    ):
        call(sso)

    assert type(caught.value) is NetworkError
    assert "connection broke while the response was being read" in str(caught.value)
    assert "may have received the request" in str(caught.value)
    assert loopback.request_count == 1


@pytest.mark.parametrize("operation", sorted(NON_IDEMPOTENT))
def test_post_is_retried_after_429(loopback: LoopbackServer, operation: str) -> None:
    _, call, success = NON_IDEMPOTENT[operation]
    loopback.script(_busy(429), _busy(429), success)
    with client_for(loopback, max_retries=3, max_retry_wait=0.01) as sso:
        call(sso)

    requests = loopback.requests
    assert [request.method for request in requests] == ["POST"] * 3
    assert len({request.body for request in requests}) == 1  # the same request each time


@pytest.mark.parametrize("operation", sorted(NON_IDEMPOTENT))
def test_post_429_forever_uses_every_attempt(loopback: LoopbackServer, operation: str) -> None:
    _, call, _ = NON_IDEMPOTENT[operation]
    loopback.always(_busy(429))
    with (
        client_for(loopback, max_retries=2, max_retry_wait=0.01) as sso,
        pytest.raises(RateLimitError),
    ):
        call(sso)

    assert loopback.request_count == 3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("operation", sorted(NON_IDEMPOTENT))
def test_post_is_never_retried_after_a_5xx(
    loopback: LoopbackServer, operation: str, status: int
) -> None:
    _, call, success = NON_IDEMPOTENT[operation]
    loopback.script(_busy(status), success)
    with (
        client_for(loopback, max_retries=3, max_retry_wait=0.01) as sso,
        pytest.raises(ServerError) as caught,
    ):
        call(sso)

    assert caught.value.status_code == status
    assert loopback.request_count == 1


@pytest.mark.parametrize("operation", sorted(NON_IDEMPOTENT))
def test_post_is_never_retried_after_a_read_timeout(
    loopback: LoopbackServer, operation: str
) -> None:
    _, call, success = NON_IDEMPOTENT[operation]
    loopback.script(NeverAnswer(), success)
    with (
        client_for(loopback, timeout=(2.0, 0.05), max_retries=3, max_retry_wait=0.01) as sso,
        pytest.raises(RequestTimeoutError),
    ):
        call(sso)

    assert loopback.request_count == 1


@pytest.mark.parametrize("operation", sorted(NON_IDEMPOTENT))
def test_post_is_never_retried_after_the_connection_closes(
    loopback: LoopbackServer, operation: str
) -> None:
    _, call, success = NON_IDEMPOTENT[operation]
    loopback.script(CloseBeforeAnswer(), success)
    with (
        client_for(loopback, max_retries=3, max_retry_wait=0.01) as sso,
        pytest.raises(NetworkError) as caught,
    ):
        call(sso)

    assert type(caught.value) is NetworkError
    assert "may have received the request" in str(caught.value)
    assert loopback.request_count == 1


# --- Retry-After -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_is_honoured(
    loopback: LoopbackServer, status: int, pause_clock: FakeClock
) -> None:
    # Backoff alone would wait at most max_retry_wait (2 s) but at least 0.25 s, with jitter;
    # only the header explains a wait of exactly one second.
    loopback.script(
        Reply.json(status, {"message": "wait"}, {"Retry-After": "1"}),
        Reply.json(200, connection_fixture()),
    )
    with client_for(loopback, max_retries=1, max_retry_wait=2.0) as sso:
        sso.get_connection(CONNECTION_ID)

    assert loopback.request_count == 2
    assert pause_clock.pauses == [1.0]


def test_retry_after_as_an_http_date_is_honoured(
    loopback: LoopbackServer, pause_clock: FakeClock
) -> None:
    # An HTTP-date has whole seconds, so "two seconds from now" is one to two seconds away.
    when = email.utils.formatdate(time.time() + 2, usegmt=True)
    loopback.script(
        Reply.json(429, {"message": "wait"}, {"Retry-After": when}),
        Reply.json(200, profile_and_token_fixture()),
    )
    with client_for(loopback, max_retries=1, max_retry_wait=3.0) as sso:
        sso.get_profile_and_token(CODE)

    assert loopback.request_count == 2
    [pause] = pause_clock.pauses
    assert 0.9 <= pause <= 2.0


@pytest.mark.parametrize("form", ["seconds", "http-date"])
@pytest.mark.parametrize("operation", ["get_connection", "get_profile_and_token"])
def test_retry_after_beyond_max_retry_wait_raises_at_once(
    loopback: LoopbackServer, operation: str, form: str
) -> None:
    if form == "seconds":
        header, low, high = "120", 120.0, 120.0
    else:
        header = email.utils.formatdate(time.time() + 3600, usegmt=True)
        low, high = 3590.0, 3600.0
    _, call, success = {**IDEMPOTENT, **NON_IDEMPOTENT}[operation]
    loopback.script(Reply.json(429, {"message": "later"}, {"Retry-After": header}), success)
    started = time.monotonic()
    with (
        client_for(loopback, max_retries=3, max_retry_wait=0.2) as sso,
        pytest.raises(RateLimitError) as caught,
    ):
        call(sso)

    assert time.monotonic() - started < 5.0  # not the minutes the server asked for
    assert caught.value.retry_after is not None
    assert low <= caught.value.retry_after <= high
    assert loopback.request_count == 1


# --- backoff -----------------------------------------------------------------------------------


#: The documented schedule (docs/retries.md): retry n waits between half and all of
#: 0.5 * 2**(n-1) seconds, capped at max_retry_wait.
DOCUMENTED_FIRST_STEP = 0.5


@pytest.mark.parametrize("max_retry_wait", [10.0, 1.5, 0.3])
def test_backoff_doubles_with_jitter_and_stops_at_the_cap(max_retry_wait: float) -> None:
    # The protocol's own unit, without I/O: the schedule both clients follow.
    policy = RetryPolicy(max_retries=8, max_retry_wait=max_retry_wait)
    for attempt in range(1, 9):
        ceiling = min(DOCUMENTED_FIRST_STEP * 2 ** (attempt - 1), max_retry_wait)
        waits = [policy.backoff(attempt) for _ in range(300)]
        assert ceiling / 2 <= min(waits) <= max(waits) <= ceiling
        assert max(waits) - min(waits) > ceiling / 10  # jitter, not a fixed wait


def test_retry_policy_backs_off_for_a_retryable_answer_until_the_retries_run_out() -> None:
    policy = RetryPolicy(max_retries=3, max_retry_wait=10.0)
    request = _wire.Request("GET", "/connections")
    busy = _wire.Response(503, "Busy", {}, b"")
    waits = [policy.delay(request, busy, attempt) for attempt in (1, 2, 3)]
    assert all(wait is not None for wait in waits)
    assert policy.delay(request, busy, 4) is None  # the fourth attempt was the last
    # The documented schedule with its jitter: 0.25 to 0.5 s, 0.5 to 1 s, 1 to 2 s.
    first, second, third = (float(wait) for wait in waits)
    assert 0.25 <= first <= 0.5 <= second <= 1.0 <= third <= 2.0


@pytest.mark.sleeps  # the pauses really pass on the wall clock, between requests at the server
def test_backoff_grows_between_attempts(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch, recorded_pauses: list[float]
) -> None:
    # A smaller first step than the real 0.5 s keeps this test short; the doubling is the same.
    monkeypatch.setattr(_protocol, "BACKOFF_SECONDS", 0.04)
    loopback.always(_busy(503))
    with (
        client_for(loopback, max_retries=4, max_retry_wait=10.0) as sso,
        pytest.raises(ServerError),
    ):
        sso.get_connection(CONNECTION_ID)

    gaps = _gaps(loopback)
    assert len(gaps) == len(recorded_pauses) == 4
    # The client really waited each pause out before sending again.
    for gap, pause in zip(gaps, recorded_pauses):
        assert gap >= pause * 0.98
    # Equal jitter on a doubling step: a wait is never shorter than the one before it, and
    # two retries later it is at least twice as long.
    assert recorded_pauses == sorted(recorded_pauses)
    for earlier, later in zip(recorded_pauses, recorded_pauses[2:]):
        assert later >= 2 * earlier * 0.999
    assert recorded_pauses[-1] > 0.04  # beyond the first step's ceiling


def test_backoff_is_capped_by_max_retry_wait(
    loopback: LoopbackServer, pause_clock: FakeClock
) -> None:
    # Uncapped, four retries would wait at least 0.25 + 0.5 + 1 + 2 = 3.75 s.
    loopback.always(_busy(502))
    with (
        client_for(loopback, max_retries=4, max_retry_wait=0.05) as sso,
        pytest.raises(ServerError),
    ):
        sso.get_connection(CONNECTION_ID)

    assert loopback.request_count == 5
    assert len(pause_clock.pauses) == 4
    assert all(0.025 <= pause <= 0.05 for pause in pause_clock.pauses), pause_clock.pauses


def test_every_backoff_stays_within_max_retry_wait(
    loopback: LoopbackServer, recorded_pauses: list[float], pause_clock: FakeClock
) -> None:
    # The real schedule would reach 0.5 + 1 + 2 + 4 s; the cap holds each wait to 0.12 s,
    # and jitter keeps each between half of it and all of it.
    loopback.always(_busy(503))
    with (
        client_for(loopback, max_retries=4, max_retry_wait=0.12) as sso,
        pytest.raises(ServerError),
    ):
        sso.get_connection(CONNECTION_ID)

    assert loopback.request_count == 5
    assert len(recorded_pauses) == 4
    assert all(0.06 <= pause <= 0.12 for pause in recorded_pauses)
    assert pause_clock.pauses == recorded_pauses  # the client took each pause it was given


# --- max_retries=0 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (_busy(503), ServerError),
        (_busy(429), RateLimitError),
        (CloseBeforeAnswer(), NetworkError),
        (CloseBeforeAnswer(reset=True), NetworkError),
        (ResetMidBody(), NetworkError),
        (TruncatedBody(), NetworkError),
        (NeverAnswer(), RequestTimeoutError),
    ],
    ids=["503", "429", "closed", "reset", "reset-mid-body", "short-body", "silent"],
)
def test_max_retries_zero_means_one_attempt(
    loopback: LoopbackServer, action: Any, expected: type[WorkOSError]
) -> None:
    loopback.always(action)
    with client_for(loopback, timeout=(2.0, 0.2), max_retries=0) as sso, pytest.raises(expected):
        sso.get_connection(CONNECTION_ID)

    assert loopback.request_count == 1


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
@pytest.mark.parametrize("operation", sorted(IDEMPOTENT))
def test_a_connection_dropped_every_time_is_sent_once_per_attempt(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture, operation: str, reset: bool
) -> None:
    # max_retries counts every resend: the HTTP library must not add attempts of its own.
    caplog.set_level(logging.DEBUG, logger="workos_sso")
    method, call, _ = IDEMPOTENT[operation]
    loopback.always(CloseBeforeAnswer(reset=reset))
    with (
        client_for(loopback, max_retries=2, max_retry_wait=0.01) as sso,
        pytest.raises(NetworkError),
    ):
        call(sso)

    assert [match["attempt"] for match in _attempts(caplog)] == ["1", "2", "3"]
    assert [request.method for request in loopback.requests] == [method] * 3


# --- what every request carries ----------------------------------------------------------------


def test_every_attempt_names_the_library_and_carries_the_key(
    loopback: LoopbackServer, client_kind: str
) -> None:
    loopback.script(_busy(503), Reply.json(200, connection_fixture()))
    with client_for(loopback, max_retries=1, max_retry_wait=0.01) as sso:
        sso.get_connection(CONNECTION_ID)

    assert loopback.request_count == 2
    for request in loopback.requests:
        agent = request.headers["user-agent"]
        assert agent.startswith(f"workos-sso-python/{__version__} ")
        assert "python/" in agent
        # The HTTP library the client of this kind sends through.
        assert ("requests/" if client_kind == "sync" else "aiohttp/") in agent
        assert request.headers["authorization"] == f"Bearer {LOOPBACK_API_KEY}"
        assert request.headers["accept"] == "application/json"


# --- timeouts come from the client's options ---------------------------------------------------


@pytest.mark.parametrize("timeout", [0.15, (2.0, 0.15)], ids=["one-number", "connect-read"])
def test_read_timeout_comes_from_the_client_options(loopback: LoopbackServer, timeout: Any) -> None:
    loopback.always(NeverAnswer())
    started = time.monotonic()
    with (
        client_for(loopback, timeout=timeout, max_retries=0) as sso,
        pytest.raises(RequestTimeoutError) as caught,
    ):
        sso.get_connection(CONNECTION_ID)
    elapsed = time.monotonic() - started

    assert 0.14 <= elapsed < 4.0
    assert str(caught.value).startswith(
        f"GET /connections/{CONNECTION_ID} timed out while reading the response: "
    )
    assert loopback.request_count == 1


@pytest.fixture
def unresponsive_port() -> Iterator[int]:
    """A loopback port whose listen queue is full, so a new connection's SYN goes unanswered."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):  # a non-blocking connect is under way
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.05)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_connect_timeout_comes_from_the_client_options_and_is_retried(
    unresponsive_port: int, caplog: pytest.LogCaptureFixture, method: str, client_kind: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="workos_sso")
    started = time.monotonic()
    url = f"http://127.0.0.1:{unresponsive_port}"
    # The read timeout is far longer: only the connect timeout can end this quickly.
    with (
        client_for(
            url, kind=client_kind, timeout=(0.1, 30.0), max_retries=1, max_retry_wait=0.01
        ) as sso,
        pytest.raises(RequestTimeoutError) as caught,
    ):
        CALLS[method](sso)
    elapsed = time.monotonic() - started

    assert type(caught.value) is RequestTimeoutError
    message = str(caught.value)
    path = "/connections/" + CONNECTION_ID if method == "GET" else "/sso/token"
    assert message.startswith(f"{method} {path} timed out while connecting: ")
    # A connection never made carries no request, so POST is retried here too.
    attempts = _attempts(caplog)
    assert [match["attempt"] for match in attempts] == ["1", "2"]
    assert {match["fault"] for match in attempts} == {"connect timeout"}
    assert 0.19 <= elapsed < 10.0


# --- debug logging -----------------------------------------------------------------------------


def test_debug_log_has_one_line_per_attempt(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    loopback.script(
        Reply.json(503, {"message": "busy"}, {"X-Request-ID": "req_first"}),
        Reply.json(429, {"message": "busy"}, {"X-Request-ID": "req_second"}),
        Reply.json(200, connection_fixture(), {"X-Request-ID": "req_third"}),
    )
    with client_for(loopback, max_retries=2, max_retry_wait=0.01) as sso:
        sso.get_connection(CONNECTION_ID)

    attempts = _attempts(caplog)
    assert [(m["attempt"], m["status"], m["request_id"]) for m in attempts] == [
        ("1", "503", "req_first"),
        ("2", "429", "req_second"),
        ("3", "200", "req_third"),
    ]
    for match in attempts:
        assert match["method"] == "GET"
        assert match["path"] == f"/connections/{CONNECTION_ID}"
        assert match["fault"] is None
        assert float(match["ms"]) > 0


def test_debug_log_of_an_error_answer(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    loopback.script(Reply.json(404, {"message": "gone"}, {"X-Request-ID": "req_404"}))
    with client_for(loopback) as sso, pytest.raises(WorkOSError):
        sso.delete_connection(CONNECTION_ID)

    (match,) = _attempts(caplog)
    assert (match["method"], match["status"], match["attempt"]) == ("DELETE", "404", "1")
    assert match["path"] == f"/connections/{CONNECTION_ID}"
    assert match["request_id"] == "req_404"


def test_debug_log_of_failed_attempts_names_the_failure(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    loopback.script(
        CloseBeforeAnswer(),
        NeverAnswer(),
        ResetMidBody(),
        Reply.json(200, connection_list_fixture(1, after=None), {"X-Request-ID": "req_ok"}),
    )
    with client_for(loopback, timeout=(2.0, 0.2), max_retries=3, max_retry_wait=0.01) as sso:
        list(sso.list_connections())

    attempts = _attempts(caplog)
    assert [(m["attempt"], m["fault"], m["status"], m["request_id"]) for m in attempts] == [
        ("1", "broken", None, "None"),
        ("2", "read timeout", None, "None"),
        ("3", "broken", None, "None"),
        ("4", None, "200", "req_ok"),
    ]
    assert {(m["method"], m["path"]) for m in attempts} == {("GET", "/connections")}
    assert float(attempts[1]["ms"]) >= 190  # the read timeout was waited out


def test_debug_log_never_holds_a_secret(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture, client_kind: str
) -> None:
    # Every logger at DEBUG: the HTTP library's own (urllib3, aiohttp) are searched too.
    caplog.set_level(logging.DEBUG)
    echo = f"{LOOPBACK_API_KEY} {CODE} {ACCESS_TOKEN}"
    loopback.script(
        Reply.json(429, {"message": echo}),
        Reply.json(200, profile_and_token_fixture()),
        Reply.json(401, {"message": echo}),
        CloseBeforeAnswer(),
        NeverAnswer(),
    )
    with client_for(loopback, timeout=(2.0, 0.2), max_retries=1, max_retry_wait=0.01) as sso:
        sso.get_profile_and_token(CODE)
        with pytest.raises(WorkOSError):
            sso.get_profile(ACCESS_TOKEN)
        with pytest.raises(NetworkError):
            sso.authorize_logout(profile_id="prof_01LOOPBACK")
        with pytest.raises(RequestTimeoutError):
            sso.get_profile_and_token(CODE)

    attempts = _attempts(caplog)
    assert [(m["method"], m["path"], m["status"] or m["fault"]) for m in attempts] == [
        ("POST", "/sso/token", "429"),
        ("POST", "/sso/token", "200"),
        ("GET", "/sso/profile", "401"),
        ("POST", "/sso/logout/authorize", "broken"),
        ("POST", "/sso/token", "read timeout"),
    ]
    secrets = (
        LOOPBACK_API_KEY,
        CODE,
        ACCESS_TOKEN,
        str(profile_and_token_fixture()["access_token"]),
    )
    if client_kind == "sync":  # urllib3 logs each connection and request line at DEBUG
        assert any(record.name.startswith("urllib3") for record in caplog.records)
    for record in caplog.records:
        for secret in secrets:
            assert secret not in record.getMessage(), (record.name, record.getMessage())
    for secret in secrets:
        assert secret not in caplog.text


def test_a_retried_delete_that_meets_404_counts_as_done(loopback: LoopbackServer) -> None:
    # The first attempt reached the server (which deleted the connection) but its answer was
    # lost to the read timeout; the retry then finds nothing to delete.
    loopback.script(NeverAnswer(), Reply.json(404, {"message": "Connection not found"}))
    with client_for(loopback, timeout=(2.0, 0.3), max_retries=1, max_retry_wait=0.01) as sso:
        assert sso.delete_connection(CONNECTION_ID) is None

    assert [(r.method, r.path) for r in loopback.requests] == [
        ("DELETE", f"/connections/{CONNECTION_ID}")
    ] * 2


def test_a_first_attempt_404_on_delete_is_still_not_found(loopback: LoopbackServer) -> None:
    loopback.script(Reply.json(404, {"message": "Connection not found"}))
    with client_for(loopback, max_retries=2) as sso, pytest.raises(NotFoundError):
        sso.delete_connection(CONNECTION_ID)

    assert loopback.request_count == 1


def test_a_delete_answered_with_a_body_that_is_not_json_succeeds(
    loopback: LoopbackServer,
) -> None:
    # The connection is deleted; an odd body must not turn that into a DecodeError.
    loopback.script(
        Reply(status=200, body=b"<html>deleted</html>", headers={"Content-Type": "text/html"})
    )
    with client_for(loopback) as sso:
        assert sso.delete_connection(CONNECTION_ID) is None

    assert loopback.request_count == 1


# --- Idempotency keys -------------------------------------------------------------------------


def test_every_post_carries_its_own_idempotency_key(loopback: LoopbackServer) -> None:
    loopback.script(
        Reply.json(200, profile_and_token_fixture()),
        Reply.json(200, profile_and_token_fixture()),
        Reply.json(200, logout_authorization_fixture()),
        Reply.json(200, connection_fixture()),
    )
    with client_for(loopback) as sso:
        sso.get_profile_and_token("code_1")
        sso.get_profile_and_token("code_2")
        sso.authorize_logout(profile_id="prof_1")
        sso.get_connection("conn_1")
    *posts, get = loopback.requests
    keys = [request.headers["idempotency-key"] for request in posts]
    assert len(set(keys)) == 3
    assert all(len(key) >= 32 for key in keys)
    assert "idempotency-key" not in get.headers


def test_a_retried_post_keeps_its_idempotency_key(loopback: LoopbackServer) -> None:
    loopback.script(
        Reply.json(429, {"message": "slow down"}, headers={"Retry-After": "0"}),
        Reply.json(200, profile_and_token_fixture()),
    )
    with client_for(loopback, max_retries=2) as sso:
        sso.get_profile_and_token("code_1")
    first, retry = loopback.requests
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
