"""The WorkOS SSO protocol without I/O: what to send, how to read the answer, when to retry.

Both clients are thin shells around this module, ``_wire`` (requests and answers) and
``_error_mapping`` (answers to typed errors). For each operation :class:`SSOProtocol` builds a
:class:`Call`: the :class:`Request` to send and the function that reads its answer into a model
or a typed error. :meth:`SSOProtocol.run` runs one
call as a generator that yields what to do (send this :class:`Request`, or wait for this
:class:`Pause`) and is sent back what happened (a :class:`Response` or a :class:`Fault`), so
the retry policy and the secrets to hide are applied in one place and a transport only moves
bytes::

    steps = protocol.run(call)
    action = next(steps)
    while True:
        try:
            action = steps.send(transport.perform(action))  # `await` in the async shell
        except StopIteration as finished:
            return finished.value

Nothing here opens a socket, sleeps or reads a clock other than for log timings.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Generator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Callable, Generic, Literal, NamedTuple, Optional, TypeVar, Union
from urllib.parse import quote, urlencode, urlsplit

from ._config import ClientOptions
from ._convert import structure, structure_page
from ._error_mapping import (
    ErrorOverrides,
    api_error,
    decode_json,
    fault_error,
    redact,
    retry_after,
)
from ._errors import (
    AccessTokenRejectedError,
    ConfigurationError,
    DecodeError,
    InvalidParameterError,
    SingleLogoutUnavailableError,
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
from ._wire import Action, Fault, FaultKind, Outcome, Pause, Request

__all__ = ["Call", "ConnectionListing", "RetryPolicy", "SSOProtocol", "exchange"]

logger = logging.getLogger("workos_sso")


T = TypeVar("T")
_SCRIPT_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The first retry waits up to this long; each later one up to twice as long as the one before.
BACKOFF_SECONDS = 0.5


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


# --- One call ---------------------------------------------------------------------------------


class Call(Generic[T]):
    """An operation's request and how to read a successful answer to it.

    ``read`` receives the decoded JSON body (``None`` for an empty one, or when ``decode`` is
    off and the body is ignored). With ``gone_after_retry_ok``, a 404 that answers a retry
    counts as success: the attempt before it may have done the work and lost its answer.
    ``overrides`` names the error class for a ``(status, code)`` that means something particular
    for this operation (``code`` ``None`` matches any code), ahead of the general mapping.
    """

    __slots__ = ("decode", "gone_after_retry_ok", "overrides", "read", "request")

    def __init__(
        self,
        request: Request,
        read: Callable[[Any], T],
        *,
        decode: bool = True,
        gone_after_retry_ok: bool = False,
        overrides: ErrorOverrides = MappingProxyType({}),
    ) -> None:
        self.request = request
        self.read = read
        self.decode = decode
        self.gone_after_retry_ok = gone_after_retry_ok
        self.overrides = overrides


def exchange(
    call: Call[T], policy: RetryPolicy, *, secrets: Sequence[str] = ()
) -> Generator[Action, Optional[Outcome], T]:
    """Run ``call``: yield each request to send and each pause to take, return the result.

    The driver sends back a ``Response`` or a ``Fault`` for every ``Request`` yielded, and
    ``None`` after a ``Pause``. ``secrets`` (the API key) are kept out of messages, with the
    request's own.
    """
    request = call.request
    secrets = (*secrets, *request.secrets)
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
    raise api_error(outcome, secrets, call.overrides)


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


# --- The operations ---------------------------------------------------------------------------


class ConnectionListing:
    """A connection list whose filters and opening cursors were checked: what a pager walks.

    ``page(before, after)`` is the call for one page; ``before`` and ``after`` are the cursors
    the walk opens with.
    """

    __slots__ = ("after", "before", "filters")

    def __init__(
        self, filters: Mapping[str, str], *, before: Optional[str], after: Optional[str]
    ) -> None:
        self.filters = filters
        self.before = before
        self.after = after

    def page(self, before: Optional[str], after: Optional[str]) -> Call[Page[Connection]]:
        params = dict(self.filters)
        if before is not None:
            params["before"] = before
        if after is not None:
            params["after"] = after
        return Call(
            Request("GET", "/connections", params=params),
            lambda data: structure_page(data, Connection, what="GET /connections"),
        )


class SSOProtocol:
    """Every operation of the SSO API as a :class:`Call`, the URLs built locally, and
    :meth:`run`, which carries a call through the retry policy.

    Arguments are validated here, so both clients refuse the same input with the same
    ``InvalidParameterError`` before anything is sent.
    """

    __slots__ = ("headers", "options", "policy")

    def __init__(self, options: ClientOptions, *, user_agent: str) -> None:
        self.options = options
        self.policy = RetryPolicy(
            max_retries=options.max_retries, max_retry_wait=options.max_retry_wait
        )
        #: Sent with every request unless the request's own headers replace them. A public
        #: client has no key, so its requests carry no Authorization header at all.
        self.headers: dict[str, str] = {"Accept": "application/json", "User-Agent": user_agent}
        if options.api_key is not None:
            self.headers["Authorization"] = f"Bearer {options.api_key}"

    @property
    def secrets(self) -> tuple[str, ...]:
        """What never appears in an error message: the API key."""
        return () if self.options.api_key is None else (self.options.api_key,)

    def run(self, call: Call[T]) -> Generator[Action, Optional[Outcome], T]:
        """Run ``call`` under this client's retry policy, keeping the API key out of errors.

        The generator :func:`exchange` describes: a client sends back the outcome of each
        action until it returns the result or raises the typed error.
        """
        return exchange(call, self.policy, secrets=self.secrets)

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
                query.append((name, check_text(name, value)))
        if provider_scopes is not None:
            if isinstance(provider_scopes, str):
                raise InvalidParameterError("provider_scopes must be a list of scopes.")
            scopes = [check_text("provider_scopes", scope) for scope in provider_scopes]
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
                name = f"provider_query_params[{check_text('provider_query_params', key)}]"
                query.append((name, check_text(name, value)))
        return f"{self.options.base_url}/sso/authorize?{urlencode(query, quote_via=quote)}"

    def logout_url(self, logout_token: str) -> str:
        token = check_required_text("logout_token", logout_token)
        return f"{self.options.base_url}/sso/logout?{urlencode({'token': token}, quote_via=quote)}"

    def jwks_url(self, client_id: Optional[str]) -> str:
        segment = check_path_segment("client_id", client_id or self.options.client_id)
        return f"{self.options.base_url}/sso/jwks/{segment}"

    # --- Sent to the API ---

    def profile_and_token(self, code: str, code_verifier: Optional[str]) -> Call[ProfileAndToken]:
        code = check_required_text("code", code)
        if code_verifier is None:
            self._require_api_key("A code exchange without a PKCE code_verifier")
        body = {
            "client_id": self.options.client_id,
            "grant_type": "authorization_code",
            "code": code,
        }
        secrets: tuple[str, ...] = (code,)
        if self.options.api_key is not None:
            body["client_secret"] = self.options.api_key
        if code_verifier is not None:
            from ._pkce import check_verifier

            body["code_verifier"] = check_verifier(code_verifier)
            secrets += (code_verifier,)
        return _json_call(
            _post("/sso/token", body, secrets=secrets), ProfileAndToken, "POST /sso/token"
        )

    def profile(self, access_token: str) -> Call[Profile]:
        token = check_required_text("access_token", access_token)
        request = Request(
            "GET", "/sso/profile", headers={"Authorization": f"Bearer {token}"}, secrets=(token,)
        )
        # The credential here is the user's access token, not the API key.
        return _json_call(
            request, Profile, "GET /sso/profile", overrides={(401, None): AccessTokenRejectedError}
        )

    def jwks(self) -> Call[tuple[Mapping[str, Any], ...]]:
        """The client's key set: the JSON Web Keys that sign its access tokens.

        A GET, so retried like any other; the keys are public, and a public client may fetch
        them. Returns the key objects as received; which of them are usable is for the
        verifier (``_tokens``) to decide.
        """
        path = f"/sso/jwks/{check_path_segment('client_id', self.options.client_id)}"
        return Call(Request("GET", path), _read_jwks)

    def list_connections(
        self,
        *,
        connection_type: Union[ConnectionType, str, None],
        domain: Optional[str],
        organization_id: Optional[str],
        search: Optional[str],
        limit: Optional[int],
        before: Optional[str],
        after: Optional[str],
        order: Union[Order, str, None],
    ) -> ConnectionListing:
        """Check a connection list's filters and opening cursors, before any page is fetched."""
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
                filters[name] = check_text(name, value)
        if limit is not None:
            filters["limit"] = str(limit)
        return ConnectionListing(
            filters,
            before=None if before is None else check_text("before", before),
            after=None if after is None else check_text("after", after),
        )

    def connection(self, connection_id: str) -> Call[Connection]:
        self._require_api_key("Getting a connection")
        path = f"/connections/{check_path_segment('connection_id', connection_id)}"
        return _json_call(Request("GET", path), Connection, "GET /connections/{id}")

    def delete_connection(self, connection_id: str) -> Call[None]:
        self._require_api_key("Deleting a connection")
        path = f"/connections/{check_path_segment('connection_id', connection_id)}"
        # A retried DELETE whose first attempt did the work meets a 404: the connection is
        # gone either way, which is what the caller asked for.
        return Call(Request("DELETE", path), _ignore, decode=False, gone_after_retry_ok=True)

    def authorize_logout(self, profile_id: str) -> Call[LogoutAuthorization]:
        self._require_api_key("Single logout")
        body = {"profile_id": check_required_text("profile_id", profile_id)}
        return _json_call(
            _post("/sso/logout/authorize", body),
            LogoutAuthorization,
            "POST /sso/logout/authorize",
            # Only OpenID Connect connections support single logout.
            overrides={(400, "connection_invalid"): SingleLogoutUnavailableError},
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
    overrides: ErrorOverrides = MappingProxyType({}),
) -> Call[T]:
    return Call(request, lambda data: structure(data, model, what=what), overrides=overrides)


def _read_jwks(data: Any) -> tuple[Mapping[str, Any], ...]:
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list):
        raise DecodeError(
            'The response to GET /sso/jwks/{client_id} is not a key set (no "keys" list).'
        )
    return tuple(MappingProxyType(key) for key in keys if isinstance(key, dict))


def _ignore(_data: Any) -> None:
    return None


# --- Argument checks --------------------------------------------------------------------------


def check_text(name: str, value: object) -> str:
    """A string argument's value (an enum member's own value), or InvalidParameterError."""
    if isinstance(value, _StrEnum):
        return str(value.value)
    if isinstance(value, str):
        return value
    raise InvalidParameterError(f"{name} must be a string, not {type(value).__name__}.")


def check_required_text(name: str, value: object) -> str:
    checked = check_text(name, value)
    if not checked:
        raise InvalidParameterError(f"{name} must not be empty.")
    return checked


def check_path_segment(name: str, value: object) -> str:
    # Quoting everything, "/" included, keeps an id like "../sso/token" inside its segment.
    checked = check_required_text(name, value)
    if checked in (".", ".."):
        # A dot segment is resolved away by HTTP libraries before sending: ".." would reach "/".
        raise InvalidParameterError(f"{name} must be an id, not {checked!r}.")
    return quote(checked, safe="")
