"""Hostile and broken servers: every fault ends in a documented, typed outcome.

Each test sets a loopback server (``tests/loopback.py``) misbehaving in one way and asserts two
things: what the user sees (success, or exactly which ``WorkOSError`` subclass), and how many
requests the server received. ``pytest.raises`` names the exact class, so a bare ``requests``,
``aiohttp``, ``json``, ``KeyError`` or ``RecursionError`` escaping the client fails the test.
Every case runs against both clients (``client_kind``): the same fault must end the same way.

The run's summary line counts these cases (the ``hostile`` marker; see ``tests/conftest.py``).
``docs/reliability.md`` lists them in a table.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any, Callable, Union

import pytest

from tests.clock import FakeClock
from tests.loopback import (
    LOOPBACK_API_KEY,
    CloseBeforeAnswer,
    EnormousBody,
    LoopbackServer,
    NeverAnswer,
    RawBytes,
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
    profile_fixture,
)
from workos_sso import (
    APIError,
    AuthenticationError,
    BadRequestError,
    DecodeError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SSOClient,
    WorkOSError,
    _wire,
)

pytestmark = [pytest.mark.hostile, pytest.mark.usefixtures("client_kind")]

CODE = "code_loopback_0123456789abcdef"
CONNECTION_ID = str(connection_fixture()["id"])

Call = Callable[[SSOClient], Any]
GET_CONNECTION: Call = lambda sso: sso.get_connection(CONNECTION_ID)  # noqa: E731
LIST_CONNECTIONS: Call = lambda sso: list(sso.list_connections())  # noqa: E731
EXCHANGE_CODE: Call = lambda sso: sso.get_profile_and_token(CODE)  # noqa: E731
AUTHORIZE_LOGOUT: Call = lambda sso: sso.authorize_logout(profile_id="prof_01LOOPBACK")  # noqa: E731


#: How each HTTP library words a refused connection (the detail after "failed: ").
REFUSED_DETAIL = {"sync": "Connection refused", "async": "Connect call failed"}
#: How each HTTP library words a read timeout (the detail after "reading the response: ").
READ_TIMEOUT_DETAIL = {"sync": "read timeout=0.1", "async": "Timeout on reading data"}


def _raises(expected: type[WorkOSError], call: Call, sso: SSOClient) -> WorkOSError:
    """Run ``call`` and return its error, which must be exactly ``expected``."""
    with pytest.raises(WorkOSError) as caught:
        call(sso)
    assert type(caught.value) is expected, repr(caught.value)
    # What a user prints: a sentence and a hint, never a traceback's worth of body.
    assert len(str(caught.value)) < 800
    return caught.value


# --- the connection itself -------------------------------------------------------------------


@pytest.mark.parametrize("call", [GET_CONNECTION, EXCHANGE_CODE], ids=["GET", "POST"])
def test_connection_refused(call: Call, client_kind: str, pause_clock: FakeClock) -> None:
    with client_for(
        f"http://127.0.0.1:{closed_port()}", kind=client_kind, max_retries=2, max_retry_wait=0.05
    ) as sso:
        error = _raises(NetworkError, call, sso)

    assert REFUSED_DETAIL[client_kind] in str(error)
    # Never sent, so nothing suggests the server may have acted on it.
    assert "may have received" not in str(error)
    assert str(error).endswith(NetworkError.hint)
    # Two backoffs, each between half the 0.05 s cap and all of it.
    assert len(pause_clock.pauses) == 2
    assert all(0.025 <= pause <= 0.05 for pause in pause_clock.pauses), pause_clock.pauses


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_connection_dropped_before_the_answer_is_retried_for_get(
    loopback: LoopbackServer, reset: bool
) -> None:
    loopback.script(CloseBeforeAnswer(reset=reset), Reply.json(200, connection_fixture()))
    with client_for(loopback, max_retries=1) as sso:
        assert GET_CONNECTION(sso).id == CONNECTION_ID

    assert loopback.request_count == 2


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_connection_dropped_before_the_answer_without_retries_is_one_request(
    loopback: LoopbackServer, reset: bool
) -> None:
    # max_retries=0 is one attempt: the HTTP library must not resend the GET by itself.
    loopback.script(CloseBeforeAnswer(reset=reset), Reply.json(200, connection_fixture()))
    with client_for(loopback, max_retries=0) as sso:
        _raises(NetworkError, GET_CONNECTION, sso)

    assert loopback.request_count == 1


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_connection_dropped_before_the_answer_is_not_retried_for_post(
    loopback: LoopbackServer, reset: bool
) -> None:
    loopback.script(CloseBeforeAnswer(reset=reset), Reply.json(200, profile_and_token_fixture()))
    with client_for(loopback, max_retries=3) as sso:
        error = _raises(NetworkError, EXCHANGE_CODE, sso)

    assert "may have received the request" in str(error)
    assert loopback.request_count == 1


@pytest.mark.parametrize("call", [GET_CONNECTION, LIST_CONNECTIONS], ids=["get", "list"])
def test_reset_in_the_middle_of_a_body_is_retried_for_get(
    loopback: LoopbackServer, call: Call
) -> None:
    # The body is read inside the attempt: a body that breaks off fails the attempt, and an
    # idempotent request is sent again.
    page = connection_list_fixture(1, after=None)
    success = Reply.json(200, connection_fixture() if call is GET_CONNECTION else page)
    loopback.script(ResetMidBody(), success)
    with client_for(loopback, max_retries=3) as sso:
        call(sso)

    assert [request.method for request in loopback.requests] == ["GET", "GET"]


def test_reset_in_the_middle_of_a_body_without_retries(loopback: LoopbackServer) -> None:
    loopback.script(ResetMidBody(), Reply.json(200, connection_fixture()))
    with client_for(loopback, max_retries=0) as sso:
        error = _raises(NetworkError, GET_CONNECTION, sso)

    assert "connection broke while the response was being read" in str(error)
    assert "may have received" not in str(error)
    assert loopback.request_count == 1


def test_reset_in_the_middle_of_a_body_every_time(loopback: LoopbackServer) -> None:
    loopback.always(ResetMidBody())
    with client_for(loopback, max_retries=2) as sso:
        error = _raises(NetworkError, GET_CONNECTION, sso)

    assert "connection broke while the response was being read" in str(error)
    assert loopback.request_count == 3


@pytest.mark.parametrize("call", [AUTHORIZE_LOGOUT, EXCHANGE_CODE], ids=["logout", "token"])
def test_reset_in_the_middle_of_a_body_is_not_retried_for_post(
    loopback: LoopbackServer, call: Call
) -> None:
    loopback.script(ResetMidBody(), Reply.json(200, connection_fixture()))
    with client_for(loopback, max_retries=3) as sso:
        error = _raises(NetworkError, call, sso)

    assert "connection broke while the response was being read" in str(error)
    assert "may have received the request" in str(error)
    assert [request.method for request in loopback.requests] == ["POST"]


COMPLETE_JSON = json.dumps(connection_fixture()).encode()


SHORT_BODIES = pytest.mark.parametrize(
    ("sent", "declared_length"),
    [
        (b'{"id": "conn_', 500),
        (b'{"id": "conn_', 50_000),
        # What did arrive parses as a whole connection: only the length shows it was cut.
        (COMPLETE_JSON, len(COMPLETE_JSON) + 100),
    ],
    ids=["cut-json", "cut-json-long", "valid-prefix"],
)


@SHORT_BODIES
def test_body_shorter_than_its_content_length_is_retried_for_get(
    loopback: LoopbackServer, sent: bytes, declared_length: int
) -> None:
    loopback.script(
        TruncatedBody(sent=sent, declared_length=declared_length),
        Reply.json(200, {**connection_fixture(), "name": "The whole answer"}),
    )
    with client_for(loopback, max_retries=3) as sso:
        # The answer is the retry's, never the part of the first that happened to parse.
        assert GET_CONNECTION(sso).name == "The whole answer"

    assert loopback.request_count == 2


@SHORT_BODIES
def test_body_shorter_than_its_content_length_every_time(
    loopback: LoopbackServer, sent: bytes, declared_length: int
) -> None:
    loopback.always(TruncatedBody(sent=sent, declared_length=declared_length))
    with client_for(loopback, max_retries=2) as sso:
        error = _raises(NetworkError, GET_CONNECTION, sso)

    assert "connection broke" in str(error)
    assert loopback.request_count == 3


@SHORT_BODIES
def test_body_shorter_than_its_content_length_without_retries(
    loopback: LoopbackServer, sent: bytes, declared_length: int
) -> None:
    loopback.script(TruncatedBody(sent=sent, declared_length=declared_length))
    with client_for(loopback, max_retries=0) as sso:
        error = _raises(NetworkError, GET_CONNECTION, sso)

    assert "connection broke" in str(error)
    assert loopback.request_count == 1


@SHORT_BODIES
def test_body_shorter_than_its_content_length_is_not_retried_for_post(
    loopback: LoopbackServer, sent: bytes, declared_length: int
) -> None:
    loopback.script(
        TruncatedBody(sent=sent, declared_length=declared_length),
        Reply.json(200, profile_and_token_fixture()),
    )
    with client_for(loopback, max_retries=3) as sso:
        error = _raises(NetworkError, EXCHANGE_CODE, sso)

    assert "connection broke" in str(error)
    assert "may have received the request" in str(error)
    assert loopback.request_count == 1


def test_accept_and_never_answer_get(loopback: LoopbackServer, client_kind: str) -> None:
    loopback.always(NeverAnswer())
    started = time.monotonic()
    with client_for(loopback, timeout=(1.0, 0.1), max_retries=2, max_retry_wait=0.05) as sso:
        error = _raises(RequestTimeoutError, LIST_CONNECTIONS, sso)
    elapsed = time.monotonic() - started

    assert str(error).startswith("GET /connections timed out while reading the response: ")
    assert READ_TIMEOUT_DETAIL[client_kind] in str(error)
    assert loopback.request_count == 3
    # Three read timeouts of 0.1 s (the backoffs between them are on the fake clock), never
    # the 30 s default.
    assert 0.29 <= elapsed < 6.0


def test_accept_and_never_answer_post(loopback: LoopbackServer) -> None:
    loopback.always(NeverAnswer())
    started = time.monotonic()
    with client_for(loopback, timeout=(1.0, 0.1), max_retries=2, max_retry_wait=0.05) as sso:
        error = _raises(RequestTimeoutError, EXCHANGE_CODE, sso)

    assert str(error).startswith("POST /sso/token timed out while reading the response: ")
    assert loopback.request_count == 1  # a code that may have been spent is not sent again
    assert 0.09 <= time.monotonic() - started < 4.0


@pytest.mark.parametrize("call", [GET_CONNECTION, EXCHANGE_CODE], ids=["GET", "POST"])
def test_a_server_that_does_not_speak_http(loopback: LoopbackServer, call: Call) -> None:
    loopback.always(RawBytes())
    with client_for(loopback, max_retries=2) as sso:
        _raises(NetworkError, call, sso)

    # No status line came back: a read error, retried for GET only.
    assert loopback.request_count == (3 if call is GET_CONNECTION else 1)


# --- error statuses ----------------------------------------------------------------------------


def test_5xx_then_success(loopback: LoopbackServer) -> None:
    loopback.script(
        Reply.json(500, {"message": "oops"}),
        Reply(status=502, body="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}),
        Reply(status=503, body=""),
        Reply.json(200, connection_fixture()),
    )
    with client_for(loopback, max_retries=3) as sso:
        assert GET_CONNECTION(sso).id == CONNECTION_ID

    assert loopback.request_count == 4


def test_5xx_forever(loopback: LoopbackServer, pause_clock: FakeClock) -> None:
    loopback.always(Reply.json(503, {"message": "down"}, {"X-Request-ID": "req_last"}))
    with client_for(loopback, max_retries=3, max_retry_wait=0.1) as sso:
        error = _raises(ServerError, GET_CONNECTION, sso)

    assert isinstance(error, APIError)
    assert error.request_id == "req_last"
    assert loopback.request_count == 1 + 3
    # Three waits, each between max_retry_wait / 2 and max_retry_wait.
    assert len(pause_clock.pauses) == 3
    assert all(0.05 <= pause <= 0.1 for pause in pause_clock.pauses), pause_clock.pauses


def test_5xx_forever_on_post_is_one_request(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(500, {"message": "down"}))
    with client_for(loopback, max_retries=3) as sso:
        _raises(ServerError, EXCHANGE_CODE, sso)

    assert loopback.request_count == 1


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
def test_5xx_with_an_enormous_body_is_retried_without_reading_it(
    loopback: LoopbackServer, declare_length: bool
) -> None:
    # An error's body only carries a message: the client stops reading it early and drops the
    # connection, so a server streaming without end cannot stall the retry.
    enormous = EnormousBody(64 * 1024 * 1024, declare_length=declare_length, status=503)
    loopback.script(enormous, Reply.json(200, connection_fixture()))
    with client_for(loopback, max_retries=1) as sso:
        assert GET_CONNECTION(sso).id == CONNECTION_ID

    assert loopback.request_count == 2
    assert enormous.finished.wait(15), "the server was still sending"
    assert enormous.bytes_sent < enormous.total_bytes // 2


@pytest.mark.parametrize("call", [GET_CONNECTION, EXCHANGE_CODE], ids=["GET", "POST"])
def test_5xx_with_an_enormous_body_is_a_server_error_once_retries_run_out(
    loopback: LoopbackServer, call: Call
) -> None:
    enormous = EnormousBody(64 * 1024 * 1024, declare_length=False, status=503)
    loopback.always(enormous)
    with client_for(loopback, max_retries=0) as sso:
        error = _raises(ServerError, call, sso)

    assert isinstance(error, ServerError)
    assert error.status_code == 503
    assert loopback.request_count == 1
    assert enormous.finished.wait(15), "the server was still sending"
    assert enormous.bytes_sent < enormous.total_bytes // 2


# --- 429 and Retry-After -----------------------------------------------------------------------


def test_429_with_a_short_retry_after_waits_and_succeeds(
    loopback: LoopbackServer, pause_clock: FakeClock
) -> None:
    loopback.script(
        Reply.json(429, {"message": "slow down"}, {"Retry-After": "1"}),
        Reply.json(200, profile_and_token_fixture()),
    )
    with client_for(loopback, max_retries=2, max_retry_wait=2.0) as sso:
        assert EXCHANGE_CODE(sso).profile.email == profile_fixture()["email"]

    first, second = loopback.requests
    assert pause_clock.pauses == [1.0]  # the second the server asked for, before the resend
    assert first.body == second.body


@pytest.mark.parametrize("call", [GET_CONNECTION, EXCHANGE_CODE], ids=["GET", "POST"])
def test_429_with_a_long_retry_after_raises_at_once(loopback: LoopbackServer, call: Call) -> None:
    loopback.script(
        Reply.json(429, {"message": "slow down"}, {"Retry-After": "600"}),
        Reply.json(200, connection_fixture()),
    )
    started = time.monotonic()
    with client_for(loopback, max_retries=3, max_retry_wait=1.0) as sso:
        error = _raises(RateLimitError, call, sso)

    assert isinstance(error, RateLimitError)
    assert error.retry_after == 600.0
    assert loopback.request_count == 1
    assert time.monotonic() - started < 5.0


def test_429_with_a_far_http_date_raises_at_once(loopback: LoopbackServer) -> None:
    when = email.utils.formatdate(time.time() + 1800, usegmt=True)
    loopback.script(Reply.json(429, {"message": "later"}, {"Retry-After": when}))
    with client_for(loopback, max_retries=3, max_retry_wait=1.0) as sso:
        error = _raises(RateLimitError, GET_CONNECTION, sso)

    assert isinstance(error, RateLimitError)
    assert error.retry_after is not None
    assert 1790 <= error.retry_after <= 1800
    assert loopback.request_count == 1


def test_429_with_an_http_date_in_the_past_retries_after_backoff(loopback: LoopbackServer) -> None:
    when = email.utils.formatdate(time.time() - 60, usegmt=True)
    loopback.script(
        Reply.json(429, {"message": "now"}, {"Retry-After": when}),
        Reply.json(200, connection_fixture()),
    )
    with client_for(loopback, max_retries=1, max_retry_wait=0.05) as sso:
        assert GET_CONNECTION(sso).id == CONNECTION_ID

    assert loopback.request_count == 2


@pytest.mark.parametrize("header", ["soon", "-5", "1.5", "Tue, 99 Foo 2026"])
def test_429_with_an_unreadable_retry_after_falls_back_to_backoff(
    loopback: LoopbackServer, header: str
) -> None:
    loopback.script(
        Reply.json(429, {"message": "busy"}, {"Retry-After": header}),
        Reply.json(200, connection_fixture()),
    )
    with client_for(loopback, max_retries=1, max_retry_wait=0.05) as sso:
        assert GET_CONNECTION(sso).id == CONNECTION_ID

    assert loopback.request_count == 2


def test_429_forever_with_an_unreadable_retry_after(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(429, {"message": "busy"}, {"Retry-After": "whenever"}))
    with client_for(loopback, max_retries=2, max_retry_wait=0.05) as sso:
        error = _raises(RateLimitError, EXCHANGE_CODE, sso)

    assert isinstance(error, RateLimitError)
    assert error.retry_after is None
    assert loopback.request_count == 3


# --- bodies that are not the JSON promised -----------------------------------------------------

HTML = "<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>"
BODIES: dict[str, tuple[Union[bytes, str], dict[str, str]]] = {
    "html": (HTML, {"Content-Type": "text/html"}),
    "empty": ("", {}),
    "cut-json": ('{"id": "conn_01", "name": ', {"Content-Type": "application/json"}),
    "not-utf8": (b'{"id": "caf\xe9", "name": "\xff\xfe"}', {"Content-Type": "application/json"}),
    "nested": ("[" * 100_000, {"Content-Type": "application/json"}),
    "bad-gzip": (b"this is not gzip", {"Content-Encoding": "gzip"}),
}


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_unreadable_body_on_200(loopback: LoopbackServer, kind: str) -> None:
    body, headers = BODIES[kind]
    loopback.script(Reply(status=200, body=body, headers=headers))
    with client_for(loopback, max_retries=3) as sso:
        error = _raises(DecodeError, GET_CONNECTION, sso)

    assert str(error).endswith(DecodeError.hint)
    assert "nginx" not in str(error)
    assert loopback.request_count == 1


@pytest.mark.parametrize("kind", sorted(BODIES))
@pytest.mark.parametrize(
    ("status", "expected"),
    [(400, BadRequestError), (401, AuthenticationError), (404, NotFoundError)],
)
def test_unreadable_body_on_an_error_status(
    loopback: LoopbackServer, kind: str, status: int, expected: type[APIError]
) -> None:
    body, headers = BODIES[kind]
    loopback.script(Reply(status=status, body=body, headers=headers))
    with client_for(loopback, max_retries=3) as sso:
        # A body that cannot even be decompressed is refused before the status is looked at.
        error = _raises(DecodeError if kind == "bad-gzip" else expected, GET_CONNECTION, sso)

    if isinstance(error, APIError):
        assert error.status_code == status
        assert error.message.startswith(f"The server answered {status}")
    assert "nginx" not in str(error)
    assert loopback.request_count == 1


@pytest.mark.parametrize("kind", ["html", "empty", "not-utf8", "nested"])
def test_unreadable_body_on_5xx_is_retried_then_a_server_error(
    loopback: LoopbackServer, kind: str
) -> None:
    body, headers = BODIES[kind]
    loopback.always(Reply(status=502, body=body, headers=headers))
    with client_for(loopback, max_retries=2) as sso:
        error = _raises(ServerError, GET_CONNECTION, sso)

    assert isinstance(error, ServerError)
    assert error.status_code == 502
    assert loopback.request_count == 3


def test_truncated_body_on_an_error_status(loopback: LoopbackServer) -> None:
    # The status line arrived, but an answer is only read once its body is whole: the broken
    # attempt is retried, and the retry's complete 404 is the answer.
    loopback.script(
        TruncatedBody(status=404, sent=b'{"message": "Not f'),
        Reply.json(404, {"message": "Not found", "code": "entity_not_found"}),
    )
    with client_for(loopback, max_retries=3) as sso:
        error = _raises(NotFoundError, GET_CONNECTION, sso)

    assert isinstance(error, NotFoundError)
    assert error.code == "entity_not_found"
    assert loopback.request_count == 2


def test_truncated_body_on_an_error_status_without_retries(loopback: LoopbackServer) -> None:
    loopback.script(TruncatedBody(status=404, sent=b'{"message": "Not f'))
    with client_for(loopback, max_retries=0) as sso:
        _raises(NetworkError, GET_CONNECTION, sso)

    assert loopback.request_count == 1


WRONG_SHAPES: dict[str, tuple[Call, Any]] = {
    "connection-is-a-list": (GET_CONNECTION, [connection_fixture()]),
    "connection-is-null": (GET_CONNECTION, None),
    "connection-is-a-string": (GET_CONNECTION, "conn_01"),
    "connection-without-id": (
        GET_CONNECTION,
        {k: v for k, v in connection_fixture().items() if k != "id"},
    ),
    "connection-id-is-a-number": (GET_CONNECTION, {**connection_fixture(), "id": 7}),
    "connection-bad-timestamp": (GET_CONNECTION, {**connection_fixture(), "created_at": "Monday"}),
    "connection-domains-is-a-string": (GET_CONNECTION, {**connection_fixture(), "domains": "x"}),
    "list-without-data": (LIST_CONNECTIONS, {"list_metadata": {}}),
    "list-data-is-an-object": (LIST_CONNECTIONS, {"data": {"id": "x"}, "list_metadata": {}}),
    "list-item-is-a-number": (LIST_CONNECTIONS, {"data": [1], "list_metadata": {}}),
    "list-cursor-is-a-number": (
        LIST_CONNECTIONS,
        {"data": [], "list_metadata": {"before": None, "after": 5}},
    ),
    "token-without-profile": (EXCHANGE_CODE, {"access_token": "at_0123456789abcdef"}),
    "token-profile-is-a-list": (EXCHANGE_CODE, {**profile_and_token_fixture(), "profile": []}),
    "token-access-token-is-a-number": (
        EXCHANGE_CODE,
        {**profile_and_token_fixture(), "access_token": 12345},
    ),
    "logout-empty-object": (AUTHORIZE_LOGOUT, {}),
    "logout-token-is-null": (
        AUTHORIZE_LOGOUT,
        {**logout_authorization_fixture(), "logout_token": None},
    ),
}


@pytest.mark.parametrize("case", sorted(WRONG_SHAPES))
def test_200_with_json_of_the_wrong_shape(loopback: LoopbackServer, case: str) -> None:
    call, payload = WRONG_SHAPES[case]
    loopback.script(Reply.json(200, payload))
    with client_for(loopback, max_retries=3) as sso:
        error = _raises(DecodeError, call, sso)

    assert LOOPBACK_API_KEY not in str(error)
    assert loopback.request_count == 1


# --- enormous bodies ---------------------------------------------------------------------------


@pytest.fixture
def small_body_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    """Lower the body cap to 256 KiB, so "enormous" costs a test a few MiB, not 16."""
    cap = 256 * 1024
    monkeypatch.setattr(_wire, "MAX_BODY_BYTES", cap)
    return cap


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
def test_enormous_body_is_refused_without_reading_it_all(
    loopback: LoopbackServer, small_body_cap: int, declare_length: bool
) -> None:
    enormous = EnormousBody(64 * 1024 * 1024, declare_length=declare_length, status=200)
    loopback.script(enormous)
    with client_for(loopback, max_retries=3) as sso:
        error = _raises(DecodeError, GET_CONNECTION, sso)

    assert f"larger than {small_body_cap} bytes" in str(error)
    assert loopback.request_count == 1
    assert enormous.finished.wait(15), "the server was still sending"
    # What the kernel's socket buffers held is all the server got out: far from the whole body.
    assert enormous.bytes_sent < enormous.total_bytes // 2


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("status", "expected"),
    [(400, BadRequestError), (401, AuthenticationError), (404, NotFoundError)],
)
def test_enormous_error_body_keeps_its_status_without_reading_it_all(
    loopback: LoopbackServer, declare_length: bool, status: int, expected: type[APIError]
) -> None:
    enormous = EnormousBody(64 * 1024 * 1024, declare_length=declare_length, status=status)
    loopback.script(enormous)
    with client_for(loopback, max_retries=3) as sso:
        error = _raises(expected, GET_CONNECTION, sso)

    assert isinstance(error, APIError)
    assert error.status_code == status
    assert error.message.startswith(f"The server answered {status}")
    assert loopback.request_count == 1
    assert enormous.finished.wait(15), "the server was still sending"
    assert enormous.bytes_sent < enormous.total_bytes // 2


def test_error_body_under_the_error_cap_is_read_whole(loopback: LoopbackServer) -> None:
    padding = "x" * (_wire.MAX_ERROR_BODY_BYTES - 1000)
    body = {"padding": padding, "message": "Told at the very end", "code": "late"}
    loopback.script(Reply.json(400, body))
    with client_for(loopback) as sso:
        error = _raises(BadRequestError, GET_CONNECTION, sso)

    assert isinstance(error, BadRequestError)
    assert (error.message, error.code) == ("Told at the very end", "late")


def test_body_just_under_the_cap_is_read(loopback: LoopbackServer, small_body_cap: int) -> None:
    padding = "x" * (small_body_cap - len(str(connection_fixture())) - 200)
    loopback.script(Reply.json(200, {**connection_fixture(), "padding": padding}))
    with client_for(loopback) as sso:
        assert GET_CONNECTION(sso).id == CONNECTION_ID


# --- redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("call", [GET_CONNECTION, EXCHANGE_CODE], ids=["GET", "POST"])
def test_redirect_to_another_host_is_not_followed(
    loopback: LoopbackServer, second_loopback: LoopbackServer, status: int, call: Call
) -> None:
    second_loopback.always(Reply.json(200, connection_fixture()))
    loopback.script(Reply.redirect(f"{second_loopback.url}/connections/stolen", status=status))
    with client_for(loopback, max_retries=3) as sso:
        error = _raises(APIError, call, sso)

    assert isinstance(error, APIError)
    assert error.status_code == status
    assert "redirect" in str(error).lower()
    assert loopback.request_count == 1
    # The other host heard nothing: neither the request nor the key in its header.
    assert second_loopback.request_count == 0


@pytest.mark.parametrize(
    ("call", "path"),
    [(GET_CONNECTION, f"/connections/{CONNECTION_ID}"), (EXCHANGE_CODE, "/sso/token")],
    ids=["GET", "POST"],
)
def test_redirect_to_the_same_host_is_not_followed_either(
    loopback: LoopbackServer, call: Call, path: str
) -> None:
    loopback.script(Reply.redirect(f"{loopback.url}/connections/elsewhere", status=307))
    with client_for(loopback, max_retries=3) as sso:
        _raises(APIError, call, sso)

    assert [request.path for request in loopback.requests] == [path]
