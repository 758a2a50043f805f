"""The HTTP layer: a pooled ``requests`` session, timeouts, urllib3 retries and error mapping.

The transport knows nothing of models: it sends a request and gives back decoded JSON, or raises
one of the errors in ``_errors``. Retries happen inside urllib3 through :class:`_SafeRetry`, so
they share the connection pool and honour ``Retry-After`` without a loop of our own.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Optional, Union, cast

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
)
from urllib3.exceptions import ReadTimeoutError as _ReadTimeoutError
from urllib3.util.retry import Retry

from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
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
)

if TYPE_CHECKING:
    from typing_extensions import Self

logger = logging.getLogger("workos_sso")

Timeout = Union[float, tuple[float, float]]

#: No SSO response comes near this; a larger body is a misdirected or hostile server.
MAX_BODY_BYTES = 16 * 1024 * 1024
_MAX_MESSAGE_CHARS = 500
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_BACKOFF_FACTOR = 0.5
#: urllib3 reads a retried answer's whole body to reuse its connection; past this size (or
#: with no size given) the connection is dropped instead, so a hostile body cannot stall a retry.
_DRAIN_LIMIT = 64 * 1024

# The spec's OAuth codes, plus the emulator's names for the same failures.
_OAUTH_ERRORS: dict[str, type[OAuthError]] = {
    "invalid_grant": InvalidGrantError,
    "invalid_code": InvalidGrantError,
    "expired_code": InvalidGrantError,
    "invalid_client": InvalidClientError,
    "unauthorized_client": UnauthorizedClientError,
    "redirect_uri_mismatch": RedirectUriMismatchError,
    "invalid_redirect_uri": RedirectUriMismatchError,
}
_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


class _SafeRetry(Retry):
    """urllib3's Retry with the rules a single-use authorization code needs.

    * GET and DELETE retry on connection errors, read errors, 429 and 5xx.
    * POST retries only when the server cannot have acted on it: the connection was never
      established (urllib3 retries those for every method) or the answer was 429.
    * A ``Retry-After`` longer than ``max_retry_wait`` stops retrying at once, so the caller
      gets a RateLimitError instead of a request that hangs for a minute.
    * Backoff is exponential with jitter and capped at ``max_retry_wait``.
    """

    def __init__(self, *args: Any, max_retry_wait: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_retry_wait = max_retry_wait

    def new(self, **kwargs: Any) -> Self:
        retry = super().new(**kwargs)
        retry.max_retry_wait = self.max_retry_wait
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() not in _IDEMPOTENT_METHODS:
            return status_code == 429 and bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, *args: Any, **kwargs: Any) -> Self:
        response = kwargs.get("response")
        if response is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_retry_wait:
                # With raise_on_status off, urllib3 hands back this response as it is.
                raise MaxRetryError(cast(Any, kwargs.get("_pool")), kwargs.get("url") or "", None)
        retry = super().increment(*args, **kwargs)
        if response is not None:
            # Reached only when this response will be retried, so its body is never read.
            _discard_unless_small(response)
        return retry

    def get_retry_after(self, response: Any) -> Optional[float]:
        # urllib3 raises on a Retry-After it cannot parse, which would surface as a network
        # error; a header that says nothing usable is treated as absent, so backoff applies.
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None

    def get_backoff_time(self) -> float:
        retries_so_far = len(self.history)
        if retries_so_far <= 1:
            ceiling = self.backoff_factor
        else:
            ceiling = self.backoff_factor * (2 ** (retries_so_far - 1))
        ceiling = min(ceiling, self.max_retry_wait)
        # "Equal jitter": never less than half the exponential step, so backoff still grows.
        return float(random.uniform(ceiling / 2, ceiling))


def _discard_unless_small(response: Any) -> None:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) <= _DRAIN_LIMIT:
        return  # urllib3 drains it and the connection goes back to the pool
    response.close()  # closes the socket, so the drain that follows reads nothing
    response.release_conn()  # the pool reconnects the closed connection when it is next used


def build_retry(*, max_retries: int, max_retry_wait: float) -> _SafeRetry:
    return _SafeRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        redirect=0,
        allowed_methods=_IDEMPOTENT_METHODS,
        status_forcelist=_RETRY_STATUSES,
        backoff_factor=_BACKOFF_FACTOR,
        raise_on_status=False,
        raise_on_redirect=False,
        respect_retry_after_header=True,
        max_retry_wait=max_retry_wait,
    )


class Transport:
    """Sends requests to one WorkOS API base URL with one API key."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        user_agent: str,
        timeout: Timeout,
        max_retries: int,
        max_retry_wait: float,
        session: Optional[requests.Session] = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._retry = build_retry(max_retries=max_retries, max_retry_wait=max_retry_wait)
        adapter = HTTPAdapter(max_retries=self._retry, pool_connections=1, pool_maxsize=32)
        # Mounted for the API's base URL only: a session the user passes in keeps its own
        # adapters for every other host.
        self._session.mount(self.base_url + "/", adapter)
        if self._owns_session:
            # A session that trusts the environment reads the proxy variables (scanning all of
            # os.environ) and ~/.netrc again on every request. Every request of this client goes
            # to one host, so read them once here, as httpx does when a client is created. This
            # also stops a ~/.netrc entry from replacing the API key with Basic credentials.
            found = self._session.merge_environment_settings(
                self.base_url + "/", {}, None, None, None
            )
            self._session.trust_env = False
            self._session.proxies = found["proxies"]
            self._session.verify = found["verify"]
        self._headers: MutableMapping[str, str] = {
            "Accept": "application/json",
            "User-Agent": user_agent,
            "Authorization": f"Bearer {api_key}",
        }
        # The session the client made has no hooks, auth, cookies or mounts of anyone else's to
        # honour, so its requests go straight to the adapter: Session.send would otherwise merge
        # settings, copy headers and parse cookies on every call, a sixth of a call's time. The
        # headers are merged here once, as Session.send would merge them each time.
        self._adapter = adapter
        self._direct = self._owns_session
        if self._direct:
            # A new session's own headers are all text (Accept-Encoding, Connection, ...).
            merged = cast("CaseInsensitiveDict[str]", CaseInsensitiveDict(self._session.headers))
            merged.update(self._headers)
            self._headers = merged

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, str]] = None,
        json_body: Optional[Mapping[str, Any]] = None,
        bearer: Optional[str] = None,
        secrets: Iterable[str] = (),
        decode: bool = True,
        gone_after_retry_ok: bool = False,
    ) -> Any:
        """Send a request and return its decoded JSON body (``None`` when the body is empty).

        ``bearer`` replaces the API key in the Authorization header (``GET /sso/profile`` takes
        the user's access token). ``secrets`` are removed from every error message. With
        ``decode`` off, a successful answer's body is ignored (a DELETE has nothing to say).
        With ``gone_after_retry_ok``, a 404 that answers a retry counts as success: the attempt
        before it may have done the work (a DELETE whose answer was lost).
        """
        headers = self._headers
        if bearer is not None or json_body is not None:
            headers = dict(headers)
            if bearer is not None:
                headers["Authorization"] = f"Bearer {bearer}"
        data = None
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(json_body, separators=(",", ":")).encode()
        hidden = (self._api_key, *secrets) if bearer is None else (self._api_key, bearer, *secrets)
        started = time.perf_counter()
        try:
            if self._direct:
                response = self._send_direct(method, path, params, data, headers)
            else:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=False,
                    stream=True,
                    # An explicit auth keeps requests from applying ~/.netrc or session.auth,
                    # either of which would replace the API key in the Authorization header.
                    auth=_keep_headers,
                )
            try:
                body = _read_body(response)
            finally:
                response.close()
        except requests.RequestException as exc:
            error = _transport_error(exc, method, path, hidden)
            logger.debug(
                "%s %s failed after %.1f ms: %s", method, path, _ms_since(started), error.message
            )
            raise error from None
        status = response.status_code
        request_id = response.headers.get("X-Request-ID")
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.1f ms (attempt %d, request id %s)",
                method,
                path,
                status,
                _ms_since(started),
                _attempts(response),
                request_id,
            )
        if 200 <= status < 300:
            return _decode_json(body, method, path) if body and decode else None
        if status == 404 and gone_after_retry_ok and _attempts(response) > 1:
            return None
        raise _api_error(response, body, request_id, hidden, self._retry)

    def _send_direct(
        self,
        method: str,
        path: str,
        params: Optional[Mapping[str, str]],
        data: Optional[bytes],
        headers: MutableMapping[str, str],
    ) -> requests.Response:
        # What Session.send does for a session without auth, cookies or hooks: the same
        # PreparedRequest steps, then the adapter (which retries, through urllib3, as before).
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method)
        prepared.prepare_url(self.base_url + path, params)
        prepared.prepare_headers(headers)
        prepared.prepare_body(data, None)
        return self._adapter.send(
            prepared,
            stream=True,
            timeout=self._timeout,
            verify=True if self._session.verify is None else self._session.verify,
            cert=self._session.cert,
            proxies=self._session.proxies,
        )


def _attempts(response: requests.Response) -> int:
    """How many times urllib3 sent the request that got this response."""
    return len(getattr(getattr(response.raw, "retries", None), "history", ())) + 1


def _keep_headers(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _read_body(response: requests.Response) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLargeError
    # urllib3 2 raises on a body cut short of its Content-Length; urllib3 1.26 does so only when
    # asked, and otherwise returns what came, which may even parse as JSON.
    if getattr(response.raw, "enforce_content_length", True) is False:
        response.raw.enforce_content_length = True
    chunks = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


class _TooLargeError(requests.RequestException):
    def __init__(self) -> None:
        super().__init__(f"the response body is larger than {MAX_BODY_BYTES} bytes")


def _decode_json(body: bytes, method: str, path: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers both malformed JSON and bytes that are not UTF-8/16/32;
        # RecursionError, arrays or objects nested thousands deep.
        raise DecodeError(
            f"The response to {method} {path} is not valid JSON ({len(body)} bytes)."
        ) from None


def redact(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a secret that contains another is removed whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def _transport_error(
    exc: requests.RequestException, method: str, path: str, secrets: Iterable[str]
) -> Union[NetworkError, DecodeError]:
    if isinstance(exc, _TooLargeError):
        return DecodeError(f"The response to {method} {path} was refused: {exc}.")
    reason: object = exc
    if exc.args and isinstance(exc.args[0], MaxRetryError):
        reason = exc.args[0].reason
    timed_out = isinstance(exc, requests.Timeout) or (
        isinstance(reason, (ConnectTimeoutError, _ReadTimeoutError))
        and not isinstance(reason, NewConnectionError)
    )
    if timed_out:
        # urllib3's timeout errors hold (connection, text); the text alone reads better.
        reason_args = getattr(reason, "args", ())
        said = reason_args[-1] if reason_args and isinstance(reason_args[-1], str) else reason
        return RequestTimeoutError(redact(f"{method} {path} timed out: {said}", secrets))
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        # The server answered, with a body its own Content-Encoding cannot undo.
        return DecodeError(
            f"The response to {method} {path} could not be decompressed (Content-Encoding)."
        )
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        detail = "the connection broke while the response was being read"
    else:
        detail = str(reason)
    message = redact(f"{method} {path} failed: {detail}", secrets)[:_MAX_MESSAGE_CHARS]
    if method.upper() not in _IDEMPOTENT_METHODS and not isinstance(reason, NewConnectionError):
        # A refused or unresolvable connection never carried the request (and was retried).
        message += " The server may have received the request; it was not sent again."
    return NetworkError(message)


def _api_error(
    response: requests.Response,
    body: bytes,
    request_id: Optional[str],
    secrets: Iterable[str],
    retry: Retry,
) -> APIError:
    status = response.status_code
    payload: Any = None
    if body:
        try:
            payload = json.loads(body)
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
        kind = "an empty body" if not body else "a body that is not a WorkOS error"
        reason = response.reason if isinstance(response.reason, str) else ""
        # The reason phrase is the server's text too, so it is redacted like the body's fields.
        reason = redact(reason, secrets)[:60]
        message = f"The server answered {status} {reason} with {kind}".replace("  ", " ")
    common: dict[str, Any] = {"status_code": status, "code": code, "request_id": request_id}

    oauth_class = _OAUTH_ERRORS.get(code or "")
    if oauth_class is None and status == 400 and oauth_error:
        oauth_class = OAuthError
    if oauth_class is not None:
        return oauth_class(message, error_description=description, **common)
    if 300 <= status < 400:
        return APIError(f"Unexpected redirect ({status}); redirects are not followed.", **common)
    error_class = _STATUS_ERRORS.get(status) or (ServerError if status >= 500 else APIError)
    if error_class is RateLimitError:
        return RateLimitError(message, retry_after=_retry_after(response, retry), **common)
    if error_class is UnprocessableEntityError:
        errors = payload.get("errors")
        field_errors = (
            [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        )
        return UnprocessableEntityError(message, errors=field_errors, **common)
    return error_class(message, **common)


def _retry_after(response: requests.Response, retry: Retry) -> Optional[float]:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(retry.parse_retry_after(value))
    except Exception:  # an unparseable header is as good as none
        return None
