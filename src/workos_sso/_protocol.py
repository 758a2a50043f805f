"""The WorkOS SSO protocol without I/O: what to send, how to read the answer, when to retry.

Both clients are thin shells around this module. For each operation :class:`SSOProtocol`
builds a :class:`Call`: the :class:`Request` to send and the function that reads its answer
into a model or a typed error. :func:`exchange` runs one call as a generator that yields what
to do (send this :class:`Request`, or wait for this :class:`Pause`) and is sent back what
happened (a :class:`Response` or a :class:`Fault`), so the retry policy lives here once and a
transport only moves bytes::

    steps = exchange(call, policy)
    action = next(steps)
    while True:
        try:
            action = steps.send(transport.perform(action))  # `await` in the async shell
        except StopIteration as finished:
            return finished.value

Nothing here opens a socket, sleeps or reads a clock other than for log timings.
"""

from __future__ import annotations

import enum
import json
import logging
import random
import time
from collections.abc import Generator, Iterable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any, Callable, Generic, Literal, NamedTuple, Optional, TypeVar, Union
from urllib.parse import quote, urlencode, urlsplit

from ._config import ClientOptions
from ._convert import structure, structure_page
from ._errors import (
    AccessTokenError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    DecodeError,
    InvalidClientError,
    InvalidGrantError,
    InvalidParameterError,
    NetworkError,
    NotFoundError,
    OAuthError,
    PermissionDeniedError,
    RateLimitError,
    RedirectUriMismatchError,
    RequestTimeoutError,
    ServerError,
    SingleLogoutUnavailableError,
    UnauthorizedClientError,
    UnprocessableEntityError,
    UnsupportedGrantTypeError,
    WorkOSError,
)
from ._models import (
    Connection,
    ConnectionType,
    LogoutAuthorization,
    Order,
    Page,
    Profile,
    ProfileAndToken,
    Provider,
    _StrEnum,
)

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_ERROR_BODY_BYTES",
    "BodyReader",
    "Call",
    "Fault",
    "FaultKind",
    "Pause",
    "Request",
    "Response",
    "RetryPolicy",
    "SSOProtocol",
    "exchange",
    "redact",
]

logger = logging.getLogger("workos_sso")

T = TypeVar("T")

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
_SCRIPT_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})

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


# --- One call ---------------------------------------------------------------------------------


ParticularErrors = Mapping[tuple[int, Optional[str]], type[APIError]]


class Call(Generic[T]):
    """An operation's request and how to read a successful answer to it.

    ``read`` receives the decoded JSON body (``None`` for an empty one, or when ``decode`` is
    off and the body is ignored). With ``gone_after_retry_ok``, a 404 that answers a retry
    counts as success: the attempt before it may have done the work and lost its answer.
    ``errors`` names the error class for a ``(status, code)`` that means something particular
    for this operation (``code`` ``None`` matches any code), ahead of the general mapping.
    """

    __slots__ = ("decode", "errors", "gone_after_retry_ok", "read", "request")

    def __init__(
        self,
        request: Request,
        read: Callable[[Any], T],
        *,
        decode: bool = True,
        gone_after_retry_ok: bool = False,
        errors: ParticularErrors = MappingProxyType({}),
    ) -> None:
        self.request = request
        self.read = read
        self.decode = decode
        self.gone_after_retry_ok = gone_after_retry_ok
        self.errors = errors


def exchange(
    call: Call[T], policy: RetryPolicy, *, hidden: Sequence[str] = ()
) -> Generator[Action, Optional[Outcome], T]:
    """Run ``call``: yield each request to send and each pause to take, return the result.

    The driver sends back a ``Response`` or a ``Fault`` for every ``Request`` yielded, and
    ``None`` after a ``Pause``. ``hidden`` are secrets (the API key) kept out of messages.
    """
    request = call.request
    secrets = (*hidden, *request.secrets)
    attempt = 1
    while True:
        started = time.perf_counter()
        outcome = yield request
        if outcome is None:
            raise TypeError("exchange() must be sent the outcome of each request")
        _log_attempt(request, outcome, attempt, started, secrets)
        wait = policy.delay(request, outcome, attempt)
        if wait is None:
            break
        yield Pause(wait)
        attempt += 1
    if isinstance(outcome, Fault):
        raise fault_error(outcome, request, secrets)
    if 200 <= outcome.status < 300:
        decoded = decode_json(outcome.body, request) if outcome.body and call.decode else None
        return call.read(decoded)
    if outcome.status == 404 and call.gone_after_retry_ok and attempt > 1:
        return call.read(None)
    raise api_error(outcome, secrets, call.errors)


def _log_attempt(
    request: Request, outcome: Outcome, attempt: int, started: float, secrets: Sequence[str]
) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    elapsed = (time.perf_counter() - started) * 1000
    if isinstance(outcome, Fault):
        said = f"failed ({outcome.kind.value})"
        request_id = None
    else:
        said = f"-> {outcome.status}"
        request_id = outcome.request_id and redact(outcome.request_id, secrets)[:200]
    logger.debug(
        "%s %s %s in %.1f ms (attempt %d, request id %s)",
        request.method,
        request.path,
        said,
        elapsed,
        attempt,
        request_id,
    )


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


# --- The operations ---------------------------------------------------------------------------


class SSOProtocol:
    """Every operation of the SSO API as a :class:`Call`, and the URLs built locally.

    Arguments are validated here, so both clients refuse the same input with the same
    ``InvalidParameterError`` before anything is sent.
    """

    __slots__ = ("headers", "options")

    def __init__(self, options: ClientOptions, *, user_agent: str) -> None:
        self.options = options
        #: Sent with every request unless the request's own headers replace them. A public
        #: client has no key, so its requests carry no Authorization header at all.
        self.headers: dict[str, str] = {"Accept": "application/json", "User-Agent": user_agent}
        if options.api_key is not None:
            self.headers["Authorization"] = f"Bearer {options.api_key}"

    @property
    def secrets(self) -> tuple[str, ...]:
        """What never appears in an error message: the API key."""
        return () if self.options.api_key is None else (self.options.api_key,)

    def _require_api_key(self, operation: str) -> None:
        if self.options.api_key is None:
            raise ConfigurationError(
                f"{operation} needs the API key, and this is a public client (made without "
                "api_key): pass api_key, or set WORKOS_API_KEY and leave out public_client."
            )

    # --- Built locally ---

    def authorization_url(
        self,
        *,
        redirect_uri: str,
        connection: Optional[str],
        organization: Optional[str],
        provider: Union[Provider, str, None],
        state: Optional[str],
        domain_hint: Optional[str],
        login_hint: Optional[str],
        nonce: Optional[str],
        provider_scopes: Optional[Sequence[str]],
        provider_query_params: Optional[Mapping[str, str]],
        prompt: Optional[Literal["login"]],
        client_id: Optional[str],
        code_challenge: Optional[str],
    ) -> str:
        selectors = {"connection": connection, "organization": organization, "provider": provider}
        chosen = [name for name, value in selectors.items() if value is not None]
        if len(chosen) != 1:
            given = f" (got {' and '.join(chosen)})" if chosen else ""
            raise InvalidParameterError(
                "Pass exactly one of connection, organization or provider to choose where the "
                f"user signs in{given}."
            )
        if not all(
            value is None or (isinstance(value, str) and value) for value in selectors.values()
        ):
            raise InvalidParameterError(f"{chosen[0]} must be a non-empty string.")
        redirect_parts = urlsplit(redirect_uri) if isinstance(redirect_uri, str) else None
        if redirect_parts is None or not redirect_parts.scheme or not redirect_parts.netloc:
            raise InvalidParameterError(
                "redirect_uri must be an absolute URL such as https://app.example.com/callback."
            )
        if redirect_parts.scheme.lower() in _SCRIPT_SCHEMES:
            # Native apps may use their own schemes, but these would run code in the browser.
            raise InvalidParameterError(
                f"redirect_uri must not use the {redirect_parts.scheme}: scheme."
            )
        if prompt is not None and prompt != "login":
            raise InvalidParameterError('prompt accepts only "login".')
        query: list[tuple[str, str]] = [
            ("client_id", client_id or self.options.client_id),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            (chosen[0], str(selectors[chosen[0]])),
        ]
        optional = (
            ("state", state),
            ("domain_hint", domain_hint),
            ("login_hint", login_hint),
            ("nonce", nonce),
            ("prompt", prompt),
        )
        for name, value in optional:
            if value is not None:
                query.append((name, text(name, value)))
        if provider_scopes is not None:
            if isinstance(provider_scopes, str):
                raise InvalidParameterError("provider_scopes must be a list of scopes.")
            scopes = [text("provider_scopes", scope) for scope in provider_scopes]
            if scopes:
                query.append(("provider_scopes", ",".join(scopes)))
        if code_challenge is not None:
            from ._pkce import check_challenge  # PKCE is loaded only by those who use it

            query.append(("code_challenge", check_challenge(code_challenge)))
            query.append(("code_challenge_method", "S256"))
        if provider_query_params is not None:
            if not isinstance(provider_query_params, Mapping):
                raise InvalidParameterError("provider_query_params must be a mapping.")
            for key, value in provider_query_params.items():
                name = f"provider_query_params[{text('provider_query_params', key)}]"
                query.append((name, text(name, value)))
        return f"{self.options.base_url}/sso/authorize?{urlencode(query, quote_via=quote)}"

    def logout_url(self, logout_token: str) -> str:
        token = required_text("logout_token", logout_token)
        return f"{self.options.base_url}/sso/logout?{urlencode({'token': token}, quote_via=quote)}"

    def jwks_url(self, client_id: Optional[str]) -> str:
        segment = path_segment("client_id", client_id or self.options.client_id)
        return f"{self.options.base_url}/sso/jwks/{segment}"

    # --- Sent to the API ---

    def profile_and_token(self, code: str, code_verifier: Optional[str]) -> Call[ProfileAndToken]:
        code = required_text("code", code)
        if code_verifier is None:
            self._require_api_key("A code exchange without a PKCE code_verifier")
        body = {
            "client_id": self.options.client_id,
            "grant_type": "authorization_code",
            "code": code,
        }
        hidden: tuple[str, ...] = (code,)
        if self.options.api_key is not None:
            body["client_secret"] = self.options.api_key
        if code_verifier is not None:
            from ._pkce import check_verifier

            body["code_verifier"] = check_verifier(code_verifier)
            hidden += (code_verifier,)
        return _json_call(
            _post("/sso/token", body, secrets=hidden), ProfileAndToken, "POST /sso/token"
        )

    def profile(self, access_token: str) -> Call[Profile]:
        token = required_text("access_token", access_token)
        request = Request(
            "GET", "/sso/profile", headers={"Authorization": f"Bearer {token}"}, secrets=(token,)
        )
        # The credential here is the user's access token, not the API key.
        return _json_call(
            request, Profile, "GET /sso/profile", errors={(401, None): AccessTokenError}
        )

    def connection_filters(
        self,
        *,
        connection_type: Union[ConnectionType, str, None],
        domain: Optional[str],
        organization_id: Optional[str],
        search: Optional[str],
        limit: Optional[int],
        order: Union[Order, str, None],
    ) -> dict[str, str]:
        """The query parameters every page of a connection list is fetched with."""
        self._require_api_key("Listing connections")
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100
        ):
            raise InvalidParameterError("limit must be a whole number from 1 to 100.")
        filters: dict[str, str] = {}
        for name, value in (
            ("connection_type", connection_type),
            ("domain", domain),
            ("organization_id", organization_id),
            ("search", search),
            ("order", order),
        ):
            if value is not None:
                filters[name] = text(name, value)
        if limit is not None:
            filters["limit"] = str(limit)
        return filters

    def connections_page(
        self, filters: Mapping[str, str], before: Optional[str], after: Optional[str]
    ) -> Call[Page[Connection]]:
        params = dict(filters)
        if before is not None:
            params["before"] = before
        if after is not None:
            params["after"] = after
        return Call(
            Request("GET", "/connections", params=params),
            lambda data: structure_page(data, Connection, what="GET /connections"),
        )

    def connection(self, connection_id: str) -> Call[Connection]:
        self._require_api_key("Getting a connection")
        path = f"/connections/{path_segment('connection_id', connection_id)}"
        return _json_call(Request("GET", path), Connection, "GET /connections/{id}")

    def delete_connection(self, connection_id: str) -> Call[None]:
        self._require_api_key("Deleting a connection")
        path = f"/connections/{path_segment('connection_id', connection_id)}"
        # A retried DELETE whose first attempt did the work meets a 404: the connection is
        # gone either way, which is what the caller asked for.
        return Call(Request("DELETE", path), _ignore, decode=False, gone_after_retry_ok=True)

    def authorize_logout(self, profile_id: str) -> Call[LogoutAuthorization]:
        self._require_api_key("Single logout")
        body = {"profile_id": required_text("profile_id", profile_id)}
        return _json_call(
            _post("/sso/logout/authorize", body),
            LogoutAuthorization,
            "POST /sso/logout/authorize",
            # Only OpenID Connect connections support single logout.
            errors={(400, "connection_invalid"): SingleLogoutUnavailableError},
        )


def _post(path: str, body: Mapping[str, str], *, secrets: tuple[str, ...] = ()) -> Request:
    encoded = json.dumps(body, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        # Made once per call, so every retry of the call carries the same key and WorkOS can
        # tell a retry from a new request.
        "Idempotency-Key": _idempotency_key(),
    }
    return Request("POST", path, body=encoded, headers=headers, secrets=secrets)


def _idempotency_key() -> str:
    import uuid  # only POSTs need it, so `import workos_sso` does not pay for it

    return str(uuid.uuid4())


def _json_call(
    request: Request,
    model: type[T],
    what: str,
    *,
    errors: ParticularErrors = MappingProxyType({}),
) -> Call[T]:
    return Call(request, lambda data: structure(data, model, what=what), errors=errors)


def _ignore(_data: Any) -> None:
    return None


# --- Argument checks --------------------------------------------------------------------------


def text(name: str, value: object) -> str:
    """A string argument's value (an enum member's own value), or InvalidParameterError."""
    if isinstance(value, _StrEnum):
        return str(value.value)
    if isinstance(value, str):
        return value
    raise InvalidParameterError(f"{name} must be a string, not {type(value).__name__}.")


def required_text(name: str, value: object) -> str:
    checked = text(name, value)
    if not checked:
        raise InvalidParameterError(f"{name} must not be empty.")
    return checked


def path_segment(name: str, value: object) -> str:
    # Quoting everything, "/" included, keeps an id like "../sso/token" inside its segment.
    checked = required_text(name, value)
    if checked in (".", ".."):
        # A dot segment is resolved away by HTTP libraries before sending: ".." would reach "/".
        raise InvalidParameterError(f"{name} must be an id, not {checked!r}.")
    return quote(checked, safe="")
