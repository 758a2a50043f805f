"""HTTP for the WorkOS API without I/O: the request and answer types, the body limits, the retry
policy, and how an answer that is not a success becomes a typed error.

``_protocol`` builds each operation on these; the transports fill ``Response`` and ``Fault``
from their HTTP library and otherwise know nothing of WorkOS.
"""

from __future__ import annotations

import enum
import json
import random
import time
from collections.abc import Iterable, Mapping
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any, NamedTuple, Optional, Union

from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DecodeError,
    InvalidClientError,
    InvalidGrantError,
    NetworkError,
    NotFoundError,
    OAuthError,
    PermissionDeniedError,
    RateLimitError,
    RedirectUriMismatchError,
    RequestTimeoutError,
    ServerError,
    UnauthorizedClientError,
    UnprocessableEntityError,
    UnsupportedGrantTypeError,
    WorkOSError,
)

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_ERROR_BODY_BYTES",
    "Action",
    "BodyReader",
    "Fault",
    "FaultKind",
    "Outcome",
    "ParticularErrors",
    "Pause",
    "Request",
    "Response",
    "RetryPolicy",
    "api_error",
    "decode_json",
    "fault_error",
    "redact",
    "retry_after",
]

#: No SSO response comes near this; a larger body is a misdirected or hostile server.
MAX_BODY_BYTES = 16 * 1024 * 1024
#: An error's body only carries a message: past this much, the rest is not read, so a huge or
#: endless error body can neither exhaust memory nor stall a retry.
MAX_ERROR_BODY_BYTES = 64 * 1024
_MAX_MESSAGE_CHARS = 500
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The first retry waits up to this long; each later one up to twice as long as the one before.
BACKOFF_SECONDS = 0.5

# The spec's OAuth codes, plus the emulator's names for the same failures.
_OAUTH_ERRORS: dict[str, type[OAuthError]] = {
    "invalid_grant": InvalidGrantError,
    "invalid_code": InvalidGrantError,
    "expired_code": InvalidGrantError,
    "invalid_client": InvalidClientError,
    "unauthorized_client": UnauthorizedClientError,
    "unsupported_grant_type": UnsupportedGrantTypeError,
    "redirect_uri_mismatch": RedirectUriMismatchError,
    "invalid_redirect_uri": RedirectUriMismatchError,
}
_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


# --- What goes over the wire ------------------------------------------------------------------


# The wire's value types are named tuples rather than attrs classes: immutable and compared by
# value all the same, and far cheaper to define, which `import workos_sso` pays for.

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class Request(NamedTuple):
    """One HTTP request to the API, ready for a transport to send.

    ``headers`` are only those this request adds to or changes in the client's own headers
    (:attr:`SSOProtocol.headers`). ``secrets`` are values to keep out of every error message.
    """

    method: str
    path: str
    params: Optional[Mapping[str, str]] = None
    body: Optional[bytes] = None
    headers: Mapping[str, str] = _NO_HEADERS
    secrets: tuple[str, ...] = ()

    @property
    def idempotent(self) -> bool:
        """Whether sending it twice has the same effect as sending it once."""
        return self.method in IDEMPOTENT_METHODS

    def __repr__(self) -> str:  # headers, body and secrets may hold credentials
        return f"Request({self.method} {self.path})"


class Response(NamedTuple):
    """What the server answered: status, headers (case-insensitive lookups) and the body."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def request_id(self) -> Optional[str]:
        return self.headers.get("X-Request-ID")

    def __repr__(self) -> str:  # the body may echo credentials back
        return f"Response({self.status} {self.reason}, {len(self.body)} bytes)"


class FaultKind(enum.Enum):
    """Why no usable answer came back, as far as retrying and reporting need to know."""

    #: The connection could not be made (refused, unresolvable): the request was never sent.
    CONNECT = "connect"
    #: Connecting took longer than the connect timeout: the request was never sent.
    CONNECT_TIMEOUT = "connect timeout"
    #: The answer took longer than the read timeout: the server may have acted on the request.
    READ_TIMEOUT = "read timeout"
    #: The connection broke, or the answer was not HTTP, after the request was sent.
    BROKEN = "broken"
    #: The body was larger than MAX_BODY_BYTES.
    TOO_LARGE = "too large"
    #: The body could not be undone from its Content-Encoding.
    UNDECODABLE = "undecodable"


class Fault(NamedTuple):
    """A request that got no usable answer; ``detail`` is the HTTP library's own words."""

    kind: FaultKind
    detail: str = ""

    @property
    def request_never_sent(self) -> bool:
        return self.kind in (FaultKind.CONNECT, FaultKind.CONNECT_TIMEOUT)


class Pause(NamedTuple):
    """Wait this many seconds before the next attempt."""

    seconds: float


Outcome = Union[Response, Fault]
Action = Union[Request, Pause]


class BodyReader:
    """Collects an answer's body as a transport reads it, within the size limits.

    A transport feeds it chunks while :meth:`add` returns True, then asks for the
    :meth:`outcome`. A successful answer larger than ``MAX_BODY_BYTES`` is a ``Fault``; an
    error answer is cut at ``MAX_ERROR_BODY_BYTES`` and keeps its status. A transport that
    stops early closes the connection instead of returning it to its pool.
    """

    __slots__ = ("_chunks", "_limit", "_size", "_status", "too_large")

    def __init__(self, status: int, declared_length: Optional[int]) -> None:
        self._status = status
        self._limit = MAX_BODY_BYTES if 200 <= status < 300 else MAX_ERROR_BODY_BYTES
        self._chunks: list[bytes] = []
        self._size = 0
        self.too_large = declared_length is not None and declared_length > self._limit

    @property
    def wants_more(self) -> bool:
        return not self.too_large

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk``; False once the limit is passed and reading should stop."""
        room = self._limit - self._size
        self._chunks.append(chunk[:room])
        self._size += len(chunk)
        self.too_large = self._size > self._limit
        return not self.too_large

    def outcome(self, reason: str, headers: Mapping[str, str]) -> Outcome:
        if self.too_large and 200 <= self._status < 300:
            return Fault(FaultKind.TOO_LARGE)
        return Response(self._status, reason, headers, b"".join(self._chunks))


# --- Retrying ---------------------------------------------------------------------------------


class RetryPolicy(NamedTuple):
    """Which failed attempts are tried again, and after how long.

    * A request that was never sent (the connection could not be made) is retried whatever
      its method: the server cannot have acted on it.
    * Idempotent requests (GET, DELETE) are also retried after a broken connection, a read
      timeout, 429 and 5xx.
    * Any other request (POST) is retried only after 429, which says it was not processed: a
      token exchange sent twice would spend its single-use code.
    * The wait doubles from attempt to attempt with jitter, capped at ``max_retry_wait``; a
      ``Retry-After`` is obeyed instead, unless it asks for longer than ``max_retry_wait``: then
      the answer is returned at once (a ``RateLimitError`` for a 429).
    """

    max_retries: int
    max_retry_wait: float

    def delay(self, request: Request, outcome: Outcome, attempt: int) -> Optional[float]:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to stop here."""
        if attempt > self.max_retries:
            return None
        if isinstance(outcome, Fault):
            if outcome.kind in (FaultKind.TOO_LARGE, FaultKind.UNDECODABLE):
                return None  # the server answered; asking again gets the same answer
            if outcome.request_never_sent or request.idempotent:
                return self.backoff(attempt)
            return None
        if outcome.status not in RETRY_STATUSES:
            return None
        if not request.idempotent and outcome.status != 429:
            return None
        wait = retry_after(outcome.headers)
        if wait is None:
            return self.backoff(attempt)
        return wait if wait <= self.max_retry_wait else None

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": never under half of the step, so it grows."""
        ceiling = min(BACKOFF_SECONDS * 2 ** (attempt - 1), self.max_retry_wait)
        return random.uniform(ceiling / 2, ceiling)


def retry_after(headers: Mapping[str, str]) -> Optional[float]:
    """The ``Retry-After`` header in seconds (from a number or an HTTP date), if usable."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None  # a header that says nothing usable is treated as absent
    if moment is None or moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


ParticularErrors = Mapping[tuple[int, Optional[str]], type[APIError]]


# --- Reading answers --------------------------------------------------------------------------


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    # Longest first, so a secret that contains another is removed whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def decode_json(body: bytes, request: Request) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers both malformed JSON and bytes that are not UTF-8/16/32;
        # RecursionError, arrays or objects nested thousands deep.
        raise DecodeError(
            f"The response to {request.method} {request.path} is not valid JSON "
            f"({len(body)} bytes)."
        ) from None


def fault_error(fault: Fault, request: Request, secrets: Iterable[str]) -> WorkOSError:
    """The error a request that got no usable answer raises."""
    what = f"{request.method} {request.path}"
    if fault.kind is FaultKind.TOO_LARGE:
        return DecodeError(
            f"The response to {what} was refused: the response body is larger than "
            f"{MAX_BODY_BYTES} bytes."
        )
    if fault.kind is FaultKind.UNDECODABLE:
        return DecodeError(f"The response to {what} could not be decompressed (Content-Encoding).")
    if fault.kind in (FaultKind.CONNECT_TIMEOUT, FaultKind.READ_TIMEOUT):
        step = "connecting" if fault.kind is FaultKind.CONNECT_TIMEOUT else "reading the response"
        message = f"{what} timed out while {step}"
        if fault.detail:
            message += f": {fault.detail}"
        return RequestTimeoutError(redact(message, secrets)[:_MAX_MESSAGE_CHARS])
    detail = fault.detail or "the connection failed"
    message = redact(f"{what} failed: {detail}", secrets)[:_MAX_MESSAGE_CHARS]
    if not request.idempotent and not fault.request_never_sent:
        message += " The server may have received the request; it was not sent again."
    return NetworkError(message)


def api_error(
    response: Response,
    secrets: Iterable[str],
    particular: ParticularErrors = MappingProxyType({}),
) -> APIError:
    """The typed error for a non-2xx answer, from its status and its JSON body.

    ``particular`` maps a ``(status, code)`` to the class it means for one operation; a code of
    ``None`` matches any code.
    """
    status = response.status
    payload: Any = None
    if response.body:
        try:
            payload = json.loads(response.body)
        except (ValueError, RecursionError):
            payload = None
    if not isinstance(payload, dict):
        payload = {}

    def text_field(name: str) -> Optional[str]:
        value = payload.get(name)
        # Redact before cutting: a cut through a secret would leave most of it unrecognised.
        return redact(value, secrets)[:_MAX_MESSAGE_CHARS] if isinstance(value, str) else None

    oauth_error = text_field("error")
    code = oauth_error or text_field("code")
    description = text_field("error_description")
    message = description or text_field("message")
    if not message:
        kind = "an empty body" if not response.body else "a body that is not a WorkOS error"
        # The reason phrase is the server's text too, so it is redacted like the body's fields.
        reason = redact(response.reason or "", secrets)[:60]
        message = f"The server answered {status} {reason} with {kind}".replace("  ", " ")
    request_id = response.request_id
    common: dict[str, Any] = {
        "status_code": status,
        "code": code,
        # A header is the server's text too: a hostile one could echo the key back in it.
        "request_id": None if request_id is None else redact(request_id, secrets)[:200],
    }

    chosen = particular.get((status, code)) or particular.get((status, None))
    if chosen is not None:
        return chosen(message, **common)
    oauth_class = _OAUTH_ERRORS.get(code or "")
    if oauth_class is None and status == 400 and oauth_error:
        oauth_class = OAuthError
    if oauth_class is not None:
        return oauth_class(message, error_description=description, **common)
    if 300 <= status < 400:
        return APIError(f"Unexpected redirect ({status}); redirects are not followed.", **common)
    error_class = _STATUS_ERRORS.get(status) or (ServerError if status >= 500 else APIError)
    if error_class is RateLimitError:
        return RateLimitError(message, retry_after=retry_after(response.headers), **common)
    if error_class is UnprocessableEntityError:
        errors = payload.get("errors")
        field_errors = (
            [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        )
        return UnprocessableEntityError(message, errors=field_errors, **common)
    return error_class(message, **common)
