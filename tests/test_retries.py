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

from tests.loopback import (
    LOOPBACK_API_KEY,
    CloseBeforeAnswer,
    LoopbackServer,
    NeverAnswer,
    Reply,
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
    _transport,
)

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


def _urllib3_retry_lines(caplog: pytest.LogCaptureFixture) -> int:
    # urllib3 logs one "Retrying (...)" warning per retry of a connection-level failure.
    return sum(
        1
        for record in caplog.records
        if record.name.startswith("urllib3") and record.getMessage().startswith("Retrying (")
    )


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
    assert _gaps(loopback)[0] >= 0.29  # the first attempt waited out the read timeout


def test_a_read_timeout_that_persists_raises_a_timeout_error(loopback: LoopbackServer) -> None:
    loopback.always(NeverAnswer())
    with (
        client_for(loopback, timeout=(2.0, 0.2), max_retries=2, max_retry_wait=0.01) as sso,
        pytest.raises(RequestTimeoutError),
    ):
        list(sso.list_connections())

    assert loopback.request_count == 3


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_connection_refused_is_retried_with_backoff(
    caplog: pytest.LogCaptureFixture, method: str
) -> None:
    caplog.set_level(logging.WARNING, logger="urllib3")
    nobody = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    with (
        client_for(nobody, max_retries=3, max_retry_wait=0.1) as sso,
        pytest.raises(NetworkError) as caught,
    ):
        CALLS[method](sso)
    elapsed = time.monotonic() - started

    assert type(caught.value) is NetworkError
    assert "refused" in str(caught.value)
    # Refused means never sent: the error must not suggest the code may have been spent.
    assert "may have received" not in str(caught.value)
    # No server to count at: urllib3's own retry lines, and three backoffs of at least 0.05 s.
    assert _urllib3_retry_lines(caplog) == 3
    assert elapsed >= 0.15


# --- POST: the single-use code -----------------------------------------------------------------


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
        client_for(loopback, timeout=(2.0, 0.2), max_retries=3, max_retry_wait=0.01) as sso,
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
def test_retry_after_in_seconds_is_honoured(loopback: LoopbackServer, status: int) -> None:
    # Backoff alone would wait at most max_retry_wait (2 s) but at least 0.25 s; only the
    # header explains a wait of a whole second.
    loopback.script(
        Reply.json(status, {"message": "wait"}, {"Retry-After": "1"}),
        Reply.json(200, connection_fixture()),
    )
    with client_for(loopback, max_retries=1, max_retry_wait=2.0) as sso:
        sso.get_connection(CONNECTION_ID)

    assert loopback.request_count == 2
    assert _gaps(loopback)[0] >= 0.95


def test_retry_after_as_an_http_date_is_honoured(loopback: LoopbackServer) -> None:
    # An HTTP-date has whole seconds, so "two seconds from now" is one to two seconds away.
    when = email.utils.formatdate(time.time() + 2, usegmt=True)
    loopback.script(
        Reply.json(429, {"message": "wait"}, {"Retry-After": when}),
        Reply.json(200, profile_and_token_fixture()),
    )
    with client_for(loopback, max_retries=1, max_retry_wait=3.0) as sso:
        sso.get_profile_and_token(CODE)

    assert loopback.request_count == 2
    assert _gaps(loopback)[0] >= 0.9


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


@pytest.mark.parametrize("max_retry_wait", [10.0, 1.5, 0.3])
def test_backoff_doubles_with_jitter_and_stops_at_the_cap(max_retry_wait: float) -> None:
    # The schedule itself, exactly: the k-th retry waits between half of and all of
    # min(0.5 * 2**(k-1), max_retry_wait).
    retry = _transport.build_retry(max_retries=8, max_retry_wait=max_retry_wait)
    for attempt in range(1, 8):
        retry = retry.increment("GET", "/connections", error=ConnectionResetError())
        ceiling = min(_transport._BACKOFF_FACTOR * 2 ** (attempt - 1), max_retry_wait)
        waits = [retry.get_backoff_time() for _ in range(200)]
        assert ceiling / 2 <= min(waits) <= max(waits) <= ceiling
        assert max(waits) - min(waits) > ceiling / 10  # jitter, not a fixed wait


def test_backoff_grows_between_attempts(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A smaller step than the real 0.5 s keeps this test short; the doubling is the same.
    monkeypatch.setattr(_transport, "_BACKOFF_FACTOR", 0.04)
    loopback.always(_busy(503))
    with (
        client_for(loopback, max_retries=4, max_retry_wait=10.0) as sso,
        pytest.raises(ServerError),
    ):
        sso.get_connection(CONNECTION_ID)

    gaps = _gaps(loopback)
    assert len(gaps) == 4
    # Waits are at least half of 0.04, 0.08, 0.16, 0.32 s; the last exceeds the first's ceiling.
    for gap, least in zip(gaps, (0.02, 0.04, 0.08, 0.16)):
        assert gap >= least * 0.98
    assert gaps[-1] > 0.04


def test_backoff_is_capped_by_max_retry_wait(loopback: LoopbackServer) -> None:
    # Uncapped, four retries would wait at least 0.25 + 0.5 + 1 + 2 = 3.75 s.
    loopback.always(_busy(502))
    started = time.monotonic()
    with (
        client_for(loopback, max_retries=4, max_retry_wait=0.05) as sso,
        pytest.raises(ServerError),
    ):
        sso.get_connection(CONNECTION_ID)
    elapsed = time.monotonic() - started

    assert loopback.request_count == 5
    assert elapsed < 2.5
    assert all(gap >= 0.024 for gap in _gaps(loopback))


# --- max_retries=0 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (_busy(503), ServerError),
        (_busy(429), RateLimitError),
        (CloseBeforeAnswer(), NetworkError),
        (NeverAnswer(), RequestTimeoutError),
    ],
    ids=["503", "429", "closed", "silent"],
)
def test_max_retries_zero_means_one_attempt(
    loopback: LoopbackServer, action: Any, expected: type[WorkOSError]
) -> None:
    loopback.always(action)
    with client_for(loopback, timeout=(2.0, 0.2), max_retries=0) as sso, pytest.raises(expected):
        sso.get_connection(CONNECTION_ID)

    assert loopback.request_count == 1


# --- what every request carries ----------------------------------------------------------------


def test_every_attempt_names_the_library_and_carries_the_key(loopback: LoopbackServer) -> None:
    loopback.script(_busy(503), Reply.json(200, connection_fixture()))
    with client_for(loopback, max_retries=1, max_retry_wait=0.01) as sso:
        sso.get_connection(CONNECTION_ID)

    assert loopback.request_count == 2
    for request in loopback.requests:
        agent = request.headers["user-agent"]
        assert agent.startswith(f"workos-sso-python/{__version__} ")
        assert "python/" in agent
        assert "requests/" in agent
        assert request.headers["authorization"] == f"Bearer {LOOPBACK_API_KEY}"
        assert request.headers["accept"] == "application/json"


# --- timeouts come from the client's options ---------------------------------------------------


@pytest.mark.parametrize("timeout", [0.3, (2.0, 0.3)], ids=["one-number", "connect-read"])
def test_read_timeout_comes_from_the_client_options(loopback: LoopbackServer, timeout: Any) -> None:
    loopback.always(NeverAnswer())
    started = time.monotonic()
    with (
        client_for(loopback, timeout=timeout, max_retries=0) as sso,
        pytest.raises(RequestTimeoutError) as caught,
    ):
        sso.get_connection(CONNECTION_ID)
    elapsed = time.monotonic() - started

    assert 0.29 <= elapsed < 4.0
    assert "timed out" in str(caught.value)
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
    unresponsive_port: int, caplog: pytest.LogCaptureFixture, method: str
) -> None:
    caplog.set_level(logging.WARNING, logger="urllib3")
    started = time.monotonic()
    url = f"http://127.0.0.1:{unresponsive_port}"
    # The read timeout is far longer: only the connect timeout can end this quickly.
    with (
        client_for(url, timeout=(0.25, 30.0), max_retries=1, max_retry_wait=0.01) as sso,
        pytest.raises(RequestTimeoutError) as caught,
    ):
        CALLS[method](sso)
    elapsed = time.monotonic() - started

    assert "connect timeout=0.25" in str(caught.value)
    # A connection never made carries no request, so POST is retried here too.
    assert _urllib3_retry_lines(caplog) == 1
    assert 0.49 <= elapsed < 10.0


# --- debug logging -----------------------------------------------------------------------------

_LOG_LINE = re.compile(
    r"^(?P<method>GET|POST|DELETE) (?P<path>/\S*) -> (?P<status>\d{3}) in (?P<ms>\d+\.\d) ms "
    r"\(attempt (?P<attempt>\d+), request id (?P<request_id>\S+)\)$"
)


def _workos_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "workos_sso"]


def test_debug_log_has_method_path_status_duration_attempt_and_request_id(
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

    lines = _workos_lines(caplog)
    assert len(lines) == 1
    match = _LOG_LINE.match(lines[0])
    assert match is not None, lines[0]
    assert match["method"] == "GET"
    assert match["path"] == f"/connections/{CONNECTION_ID}"
    assert match["status"] == "200"
    assert match["attempt"] == "3"
    assert match["request_id"] == "req_third"
    assert float(match["ms"]) > 0


def test_debug_log_of_an_error_answer(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    loopback.script(Reply.json(404, {"message": "gone"}, {"X-Request-ID": "req_404"}))
    with client_for(loopback) as sso, pytest.raises(WorkOSError):
        sso.delete_connection(CONNECTION_ID)

    (line,) = _workos_lines(caplog)
    match = _LOG_LINE.match(line)
    assert match is not None, line
    assert (match["method"], match["status"], match["attempt"]) == ("DELETE", "404", "1")
    assert match["request_id"] == "req_404"


def test_debug_log_never_holds_a_secret(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
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

    workos_lines = _workos_lines(caplog)
    assert len(workos_lines) == 4
    assert any("failed after" in line for line in workos_lines)
    for secret in (
        LOOPBACK_API_KEY,
        CODE,
        ACCESS_TOKEN,
        profile_and_token_fixture()["access_token"],
    ):
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
