"""Every exception workos-sso raises, top to bottom.

All of them derive from :class:`WorkOSError`, so one ``except WorkOSError`` catches anything the
library raises. Each class carries a ``hint``: one sentence on what to do next, which is appended
to the message. No message ever holds the API key, an access token or an authorization code: the
transport removes them from anything a server echoes back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Optional

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "DecodeError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidParameterError",
    "NetworkError",
    "NotFoundError",
    "OAuthError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectUriMismatchError",
    "RequestTimeoutError",
    "ServerError",
    "UnauthorizedClientError",
    "UnprocessableEntityError",
    "WorkOSError",
]


class WorkOSError(Exception):
    """The base of every error raised by workos-sso."""

    hint: ClassVar[str] = ""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class ConfigurationError(WorkOSError, ValueError):
    """The API key, client id or base URL is missing or malformed.

    Raised by :class:`~workos_sso.SSOClient` and :meth:`~workos_sso.SSOClient.from_env` before any
    request is made. The message names the environment variable to set.
    """


class InvalidParameterError(WorkOSError, ValueError):
    """A method was called with an argument the API would reject (checked before any request).

    For example no or two selectors for the authorization URL, or a ``limit`` outside 1 to 100.
    """


class NetworkError(WorkOSError):
    """The request did not get an HTTP response: DNS failure, refused or reset connection.

    Requests that are safe to repeat were already retried ``max_retries`` times.
    """

    hint = "Check that the base URL is right and the WorkOS API is reachable from this host."


class RequestTimeoutError(NetworkError):
    """No response came within the client's connect or read timeout."""

    hint = (
        "The server did not answer in time; try again later, or raise the client's timeout "
        "if your network is slow."
    )


class DecodeError(WorkOSError):
    """A response body was not the JSON the API promises (not JSON, wrong shape, too large)."""

    hint = "The server answered with something other than the WorkOS API's JSON; check base_url."


class PaginationError(WorkOSError):
    """The server returned a page cursor it had returned before, which would loop forever."""


class APIError(WorkOSError):
    """The WorkOS API answered with an error status.

    Attributes:
        status_code: the HTTP status.
        code: the machine-readable error code from the body, if any.
        request_id: the ``X-Request-ID`` header, to quote to WorkOS support.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        details = [f"HTTP {self.status_code}"]
        if self.code:
            details.append(f"code {self.code}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        text = f"{self.message} ({', '.join(details)})"
        return f"{text}. {self.hint}" if self.hint else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status_code={self.status_code!r}, "
            f"code={self.code!r}, request_id={self.request_id!r})"
        )


class BadRequestError(APIError):
    """HTTP 400: the API rejected the request's parameters."""

    hint = "Check the parameters against the WorkOS API reference."


class AuthenticationError(APIError):
    """HTTP 401: the API key (or, for ``get_profile``, the access token) was not accepted."""

    hint = (
        "Check WORKOS_API_KEY: it must be a current key of the same environment as the "
        "client id (sk_test_ for staging, sk_live_ for production)."
    )


class PermissionDeniedError(APIError):
    """HTTP 403: the key may not act on this resource."""

    hint = "The API key's environment cannot see this resource; check you use the right key."


class NotFoundError(APIError):
    """HTTP 404: no such connection, profile or route."""

    hint = "Check the id, and that it belongs to the environment of this API key."


class UnprocessableEntityError(APIError):
    """HTTP 422: the request was well formed but invalid; ``errors`` lists the field errors."""

    hint = "See the field errors for what to change."

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        errors: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, request_id=request_id)
        self.errors = tuple(errors)


class RateLimitError(APIError):
    """HTTP 429: too many requests.

    ``retry_after`` is the number of seconds the server asked to wait, or ``None``. The client
    waits by itself when that is no longer than ``max_retry_wait``; this error means the wait
    was longer, or the retries ran out.
    """

    hint = "Wait retry_after seconds before trying again, and spread out bulk jobs."

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, request_id=request_id)
        self.retry_after = retry_after


class ServerError(APIError):
    """HTTP 5xx: WorkOS had a problem. Safe requests were already retried."""

    hint = "This is on WorkOS's side; try again shortly and quote the request id if it persists."


class OAuthError(APIError):
    """The token exchange failed with an OAuth error (``error`` and ``error_description``).

    Raised as itself for an OAuth error code this library does not know; the known codes raise
    the subclasses below.
    """

    hint = "Send the user back to sign in; log the error for the developers."

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        error_description: Optional[str] = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, request_id=request_id)
        self.error = code
        self.error_description = error_description


class InvalidGrantError(OAuthError):
    """The authorization code is invalid, expired (codes live 10 minutes) or was already used."""

    hint = (
        "Redirect the user to sign in again. Exchange each code once, right away: a callback "
        "that runs twice (a reload, a hot-reloading dev server) spends the code on the first run."
    )


class InvalidClientError(OAuthError):
    """The client id or API key is not valid for this environment."""

    hint = (
        "Check WORKOS_CLIENT_ID matches the WorkOS dashboard, and that the API key is of the "
        "same environment (sk_test_ for staging, sk_live_ for production)."
    )


class UnauthorizedClientError(OAuthError):
    """The client may not use this grant, or SSO is not enabled for it."""

    hint = "Check that SSO is configured for this client id in the WorkOS dashboard."


class RedirectUriMismatchError(OAuthError):
    """The redirect URI is not registered for the client, or not exactly as registered."""

    hint = (
        "Add the exact redirect URI (scheme, host, port, path and trailing slash) under "
        "Redirects in the WorkOS dashboard."
    )
