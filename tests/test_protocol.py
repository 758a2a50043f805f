"""Tests for ``workos_sso._protocol``: the exchange fed outcomes by hand, with no socket.

Each row gives the operation, the outcomes a server would produce, one per request, and the
actions the exchange must yield in return (a request, written ``"GET /path"``, or a pause, written
as its length in seconds) with the result or the typed error it ends with. Jitter is taken out
(every backoff waits its full step: 0.5, 1, 2 seconds) and the clock is frozen, so the pauses are
exact.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from email.utils import formatdate
from types import SimpleNamespace
from typing import Any, Callable, Optional, Union

import pytest

from tests.payload_fixtures import connection_fixture, profile_and_token_fixture
from workos_sso import (
    AuthenticationError,
    Connection,
    DecodeError,
    InvalidGrantError,
    NetworkError,
    NotFoundError,
    ProfileAndToken,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    WorkOSError,
    _error_mapping,
    _protocol,
)
from workos_sso._config import ClientOptions
from workos_sso._protocol import Call, SSOProtocol
from workos_sso._wire import Fault, FaultKind, Outcome, Pause, Request, Response

API_KEY = "sk_test_protocol_0123456789"
CODE = "code_01PROTOCOLTEST"
NOW = 1_800_000_000.0

Operation = Callable[[SSOProtocol], Call[Any]]
Written = Union[str, float]

GET: Operation = lambda protocol: protocol.connection("conn_1")  # noqa: E731
DELETE: Operation = lambda protocol: protocol.delete_connection("conn_1")  # noqa: E731
TOKEN: Operation = lambda protocol: protocol.profile_and_token(CODE, None)  # noqa: E731

GET_SENT = "GET /connections/conn_1"
DELETE_SENT = "DELETE /connections/conn_1"
TOKEN_SENT = "POST /sso/token"


def reply(status: int, body: Union[bytes, dict[str, Any], None] = None, **headers: str) -> Response:
    encoded = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
    names = {name.replace("_", "-"): value for name, value in headers.items()}
    return Response(status, "Reason", names, encoded)


CONNECTION_OK = reply(200, connection_fixture("conn_1"))
TOKEN_OK = reply(200, profile_and_token_fixture())
DELETED = reply(204)
BROKEN = Fault(FaultKind.BROKEN, "connection reset")
REFUSED = Fault(FaultKind.CONNECT, "connection refused")
CONNECT_TIMEOUT = Fault(FaultKind.CONNECT_TIMEOUT)
READ_TIMEOUT = Fault(FaultKind.READ_TIMEOUT)
UNAVAILABLE = reply(503, {"message": "Try later"})


def protocol_for(*, max_retries: int = 3, max_retry_wait: float = 10.0) -> SSOProtocol:
    options = ClientOptions.check(
        api_key=API_KEY,
        client_id="client_protocol",
        base_url="https://api.example.test",
        timeout=5.0,
        max_retries=max_retries,
        max_retry_wait=max_retry_wait,
    )
    return SSOProtocol(options, user_agent="test")


def drive(
    protocol: SSOProtocol,
    call: Call[Any],
    outcomes: Sequence[Outcome],
    requests: Optional[list[Request]] = None,
) -> tuple[list[Written], Any]:
    """Run ``call``, answering each request with the next outcome; the actions and the end.

    The requests themselves are appended to ``requests`` when it is given.
    """
    answers = iter(outcomes)
    actions: list[Written] = []
    steps = protocol.run(call)
    try:
        action = next(steps)
        while True:
            if isinstance(action, Request):
                actions.append(f"{action.method} {action.path}")
                if requests is not None:
                    requests.append(action)
                answer = next(answers, None)
                assert answer is not None, f"an unexpected request: {actions}"
                action = steps.send(answer)
            else:
                assert isinstance(action, Pause)
                actions.append(action.seconds)
                action = steps.send(None)
    except StopIteration as finished:
        ended: Any = finished.value
    except WorkOSError as error:
        ended = error
    assert next(answers, None) is None, "the exchange stopped before every outcome was used"
    return actions, ended


@pytest.fixture(autouse=True)
def _exact_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_protocol, "random", SimpleNamespace(uniform=lambda low, high: high))
    monkeypatch.setattr(_error_mapping, "time", SimpleNamespace(time=lambda: NOW))


def http_date(seconds_from_now: float) -> str:
    return formatdate(NOW + seconds_from_now, usegmt=True)


# (id, operation, outcomes, expected actions, expected result: a value, a class or an error
# class, and the options of the client)
CASES: list[tuple[str, Operation, list[Outcome], list[Written], Any, dict[str, Any]]] = [
    # Idempotent requests: retried after faults, 429 and 5xx, with a doubling backoff.
    ("get answered at once", GET, [CONNECTION_OK], [GET_SENT], Connection, {}),
    (
        "get retried after 503",
        GET,
        [UNAVAILABLE, CONNECTION_OK],
        [GET_SENT, 0.5, GET_SENT],
        Connection,
        {},
    ),
    (
        "get retried after a broken connection and a read timeout",
        GET,
        [BROKEN, READ_TIMEOUT, CONNECTION_OK],
        [GET_SENT, 0.5, GET_SENT, 1.0, GET_SENT],
        Connection,
        {},
    ),
    (
        "get gives up after max_retries",
        GET,
        [UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE],
        [GET_SENT, 0.5, GET_SENT, 1.0, GET_SENT, 2.0, GET_SENT],
        ServerError,
        {},
    ),
    (
        "the backoff is capped at max_retry_wait",
        GET,
        [READ_TIMEOUT, READ_TIMEOUT, READ_TIMEOUT, READ_TIMEOUT],
        [GET_SENT, 0.5, GET_SENT, 0.75, GET_SENT, 0.75, GET_SENT],
        RequestTimeoutError,
        {"max_retry_wait": 0.75},
    ),
    (
        "no retry with max_retries=0",
        GET,
        [UNAVAILABLE],
        [GET_SENT],
        ServerError,
        {"max_retries": 0},
    ),
    ("get not retried after 404", GET, [reply(404)], [GET_SENT], NotFoundError, {}),
    # Not idempotent: a token exchange is resent only when it cannot have reached the server.
    ("token not retried after 503", TOKEN, [UNAVAILABLE], [TOKEN_SENT], ServerError, {}),
    (
        "token not retried after a broken connection",
        TOKEN,
        [BROKEN],
        [TOKEN_SENT],
        NetworkError,
        {},
    ),
    (
        "token not retried after a read timeout",
        TOKEN,
        [READ_TIMEOUT],
        [TOKEN_SENT],
        RequestTimeoutError,
        {},
    ),
    (
        "token retried when the connection was refused",
        TOKEN,
        [REFUSED, CONNECT_TIMEOUT, TOKEN_OK],
        [TOKEN_SENT, 0.5, TOKEN_SENT, 1.0, TOKEN_SENT],
        ProfileAndToken,
        {},
    ),
    (
        "token retried after 429, which was not processed",
        TOKEN,
        [reply(429), TOKEN_OK],
        [TOKEN_SENT, 0.5, TOKEN_SENT],
        ProfileAndToken,
        {},
    ),
    # Retry-After, in seconds and as an HTTP date, obeyed up to max_retry_wait.
    (
        "retry-after in seconds",
        TOKEN,
        [reply(429, Retry_After="3"), TOKEN_OK],
        [TOKEN_SENT, 3.0, TOKEN_SENT],
        ProfileAndToken,
        {},
    ),
    (
        "retry-after as a date",
        GET,
        [reply(503, Retry_After=http_date(7)), CONNECTION_OK],
        [GET_SENT, 7.0, GET_SENT],
        Connection,
        {},
    ),
    (
        "retry-after as a date in the past",
        GET,
        [reply(429, Retry_After=http_date(-30)), CONNECTION_OK],
        [GET_SENT, 0.0, GET_SENT],
        Connection,
        {},
    ),
    (
        "an unreadable retry-after is ignored",
        GET,
        [reply(429, Retry_After="soon"), CONNECTION_OK],
        [GET_SENT, 0.5, GET_SENT],
        Connection,
        {},
    ),
    (
        "retry-after over the wait limit raises at once",
        GET,
        [reply(429, Retry_After="60")],
        [GET_SENT],
        RateLimitError,
        {},
    ),
    (
        "a date over the wait limit raises at once",
        TOKEN,
        [reply(429, Retry_After=http_date(3600))],
        [TOKEN_SENT],
        RateLimitError,
        {},
    ),
    (
        "a 503 asking for too long is not retried",
        GET,
        [reply(503, Retry_After="11")],
        [GET_SENT],
        ServerError,
        {},
    ),
    # Truncated and oversized bodies: the server did answer, so asking again is no use.
    (
        "a success body over the size limit",
        GET,
        [Fault(FaultKind.TOO_LARGE)],
        [GET_SENT],
        DecodeError,
        {},
    ),
    (
        "a body that cannot be decompressed",
        GET,
        [Fault(FaultKind.UNDECODABLE)],
        [GET_SENT],
        DecodeError,
        {},
    ),
    (
        "a success body cut short",
        GET,
        [reply(200, b'{"object": "connection", "id": "conn')],
        [GET_SENT],
        DecodeError,
        {},
    ),
    (
        "an error body cut short keeps its status",
        GET,
        [reply(404, b'{"message": "Connection not fo')],
        [GET_SENT],
        NotFoundError,
        {},
    ),
    # A 404 that answers a retry of a delete: the attempt before it did the work.
    ("delete answered at once", DELETE, [DELETED], [DELETE_SENT], None, {}),
    ("delete of a missing connection", DELETE, [reply(404)], [DELETE_SENT], NotFoundError, {}),
    (
        "a 404 answering a retried delete is success",
        DELETE,
        [UNAVAILABLE, reply(404)],
        [DELETE_SENT, 0.5, DELETE_SENT],
        None,
        {},
    ),
    (
        "a 404 answering a delete retried after a broken connection",
        DELETE,
        [BROKEN, reply(404)],
        [DELETE_SENT, 0.5, DELETE_SENT],
        None,
        {},
    ),
]


@pytest.mark.parametrize(
    ("operation", "outcomes", "actions", "expected", "options"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_exchange_yields_the_actions_of_each_retry_rule(
    operation: Operation,
    outcomes: list[Outcome],
    actions: list[Written],
    expected: Any,
    options: dict[str, Any],
) -> None:
    protocol = protocol_for(**options)

    done, ended = drive(protocol, operation(protocol), outcomes)

    assert done == actions
    if isinstance(expected, type):
        assert isinstance(ended, expected), ended
    else:
        assert ended == expected


def test_a_rate_limit_over_the_wait_limit_says_how_long_to_wait() -> None:
    protocol = protocol_for()

    _, error = drive(protocol, GET(protocol), [reply(429, Retry_After=http_date(90))])

    assert isinstance(error, RateLimitError)
    assert error.retry_after == 90.0


def test_a_broken_token_exchange_says_it_was_not_sent_again() -> None:
    protocol = protocol_for()

    _, error = drive(protocol, TOKEN(protocol), [BROKEN])

    assert isinstance(error, NetworkError)
    assert "not sent again" in str(error)


def test_a_retried_post_keeps_its_idempotency_key() -> None:
    protocol = protocol_for()
    sent: list[Request] = []

    drive(protocol, TOKEN(protocol), [reply(429), TOKEN_OK], sent)

    keys = [request.headers.get("Idempotency-Key") for request in sent]
    assert len(keys) == 2
    assert keys[0] is not None
    assert keys[0] == keys[1]


@pytest.mark.parametrize(
    ("operation", "outcome", "secret", "error_class"),
    [
        (GET, reply(401, {"message": f"Key {API_KEY} revoked"}), API_KEY, AuthenticationError),
        (
            TOKEN,
            reply(400, {"error": "invalid_grant", "error_description": f"Code {CODE} used"}),
            CODE,
            InvalidGrantError,
        ),
        (TOKEN, Fault(FaultKind.BROKEN, f"peer said {API_KEY}"), API_KEY, NetworkError),
    ],
    ids=["API key in a message", "code in a description", "API key in a fault"],
)
def test_run_keeps_the_key_and_the_request_secrets_out_of_errors(
    operation: Operation, outcome: Outcome, secret: str, error_class: type[WorkOSError]
) -> None:
    protocol = protocol_for()

    _, error = drive(protocol, operation(protocol), [outcome])

    assert isinstance(error, error_class)
    assert secret not in str(error)
    assert secret not in repr(error)


def test_the_policy_comes_from_the_options() -> None:
    protocol = protocol_for(max_retries=5, max_retry_wait=2.5)

    assert (protocol.policy.max_retries, protocol.policy.max_retry_wait) == (5, 2.5)


def test_the_exchange_must_be_sent_an_outcome_for_each_request() -> None:
    protocol = protocol_for()
    steps = protocol.run(GET(protocol))
    next(steps)

    with pytest.raises(TypeError):
        steps.send(None)
