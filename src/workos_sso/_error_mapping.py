"""Turns an answer that is not a success into the typed error it means.

The status and OAuth code tables, the message read from the body with every secret removed,
and ``Retry-After``.

``_protocol`` calls :func:`api_error` for an error status and :func:`fault_error` for a request
that got no usable answer; both return one of the classes of ``_errors``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any, Optional

from . import _wire
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
from ._wire import Fault, FaultKind, Request, Response

__all__ = [
    "ErrorOverrides",
    "api_error",
    "decode_json",
    "fault_error",
    "redact",
    "retry_after",
]

_MAX_MESSAGE_CHARS = 500

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

#: The error class a ``(status, code)`` means for one operation, ahead of the tables above; a
#: code of ``None`` matches any code.
ErrorOverrides = Mapping[tuple[int, Optional[str]], type[APIError]]


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
            f"{_wire.MAX_BODY_BYTES} bytes."
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
    overrides: ErrorOverrides = MappingProxyType({}),
) -> APIError:
    """The typed error for a non-2xx answer, from its status and its JSON body.

    ``overrides`` maps a ``(status, code)`` to the class it means for one operation; a code of
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

    chosen = overrides.get((status, code)) or overrides.get((status, None))
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
