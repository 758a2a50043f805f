"""Every exception workos-sso raises, top to bottom.

All of them derive from ``WorkOSError``, so one ``except WorkOSError`` catches anything the
library raises. Each class carries a ``hint``: one sentence on what to do next, which is appended
to the message. No message ever holds the API key, an access token or an authorization code: the
transport removes them from anything a server echoes back.

The classes below are defined in this order::

    WorkOSError
    ├── ConfigurationError (also ValueError)
    ├── InvalidParameterError (also ValueError)
    ├── NetworkError
    │   └── RequestTimeoutError
    ├── DecodeError
    ├── PaginationError
    ├── AccessTokenError
    │   ├── InvalidAccessTokenError
    │   ├── ExpiredAccessTokenError
    │   └── AccessTokenRejectedError
    ├── JWKSError
    ├── APIError
    │   ├── BadRequestError
    │   │   └── SingleLogoutUnavailableError
    │   ├── AuthenticationError
    │   │   └── AccessTokenRejectedError
    │   ├── PermissionDeniedError
    │   ├── NotFoundError
    │   ├── ConflictError
    │   ├── UnprocessableEntityError
    │   ├── RateLimitError
    │   ├── ServerError
    │   └── OAuthError
    │       ├── InvalidGrantError
    │       ├── InvalidClientError
    │       ├── UnauthorizedClientError
    │       ├── UnsupportedGrantTypeError
    │       └── RedirectUriMismatchError
    ├── UnsafeReturnToError (also ValueError)
    ├── StateError
    │   ├── MissingStateError
    │   ├── StateMismatchError
    │   ├── StateTamperedError
    │   └── StateExpiredError
    ├── CallbackError
    ├── SignInError
    │   ├── AccessDeniedError
    │   ├── AmbiguousConnectionSelectorError
    │   ├── ConnectionInvalidError
    │   ├── ConnectionStrategyInvalidError
    │   ├── ConnectionUnlinkedError
    │   ├── InvalidConnectionSelectorError
    │   ├── OrganizationInvalidError
    │   ├── OAuthFailedError
    │   ├── SignInServerError
    │   ├── ProfileNotAllowedOutsideOrganizationError
    │   └── SignInRedirectUriMismatchError
    ├── UnexpectedOrganizationError
    ├── NoSSOForDomainError
    └── SignInRefused

``AccessTokenRejectedError`` is drawn twice because it has two bases: it is the 401 that
``get_profile`` receives for a token WorkOS refuses, so both an ``except AccessTokenError`` around
token checks and an ``except AuthenticationError`` around API calls catch it. The other access
token errors come from ``verify_access_token``, which decides offline and has no HTTP status to
report.

Down to ``RedirectUriMismatchError`` they come from making a client and calling the API; the rest
come from the login flow (``workos_sso._login``).

Two problems have a class in each group: ``ServerError`` and ``SignInServerError``,
``RedirectUriMismatchError`` and ``SignInRedirectUriMismatchError``. They share no base on
purpose. The API ones are subclasses of ``APIError``, read from an HTTP response (``status_code``,
``request_id``), and code that retries or reports failed API calls catches them; the sign-in
ones come from the callback URL (``error``, ``state``), where the only remedy is to send the
user back to sign in. A common base would let an ``except ServerError`` around API calls catch
a callback error it cannot retry. Catch a pair with a tuple when both need the same handling.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Optional

__all__ = [
    "APIError",
    "AccessDeniedError",
    "AccessTokenError",
    "AccessTokenRejectedError",
    "AmbiguousConnectionSelectorError",
    "AuthenticationError",
    "BadRequestError",
    "CallbackError",
    "ConfigurationError",
    "ConflictError",
    "ConnectionInvalidError",
    "ConnectionStrategyInvalidError",
    "ConnectionUnlinkedError",
    "DecodeError",
    "ExpiredAccessTokenError",
    "InvalidAccessTokenError",
    "InvalidClientError",
    "InvalidConnectionSelectorError",
    "InvalidGrantError",
    "InvalidParameterError",
    "JWKSError",
    "MissingStateError",
    "NetworkError",
    "NoSSOForDomainError",
    "NotFoundError",
    "OAuthError",
    "OAuthFailedError",
    "OrganizationInvalidError",
    "PaginationError",
    "PermissionDeniedError",
    "ProfileNotAllowedOutsideOrganizationError",
    "RateLimitError",
    "RedirectUriMismatchError",
    "RequestTimeoutError",
    "ServerError",
    "SignInError",
    "SignInRedirectUriMismatchError",
    "SignInRefused",
    "SignInServerError",
    "SingleLogoutUnavailableError",
    "StateError",
    "StateExpiredError",
    "StateMismatchError",
    "StateTamperedError",
    "UnauthorizedClientError",
    "UnexpectedOrganizationError",
    "UnprocessableEntityError",
    "UnsafeReturnToError",
    "UnsupportedGrantTypeError",
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

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own pickling calls ``cls(*args)``, which fails for the classes whose
        # constructor has required keyword-only arguments. Rebuild through the constructor with
        # each keyword-only argument read back from the attribute of the same name, then restore
        # the instance dictionary for the attributes the constructor derives.
        keywords = {name: getattr(self, name) for name in _keyword_only(type(self))}
        return (_rebuild, (type(self), self.message, keywords), dict(self.__dict__))


def _keyword_only(cls: type[WorkOSError]) -> tuple[str, ...]:
    """The names of the keyword-only arguments of ``cls``'s constructor."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    return tuple(p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY)


def _rebuild(cls: type[WorkOSError], message: str, keywords: dict[str, Any]) -> WorkOSError:
    """Unpickle an error: call its constructor with the arguments ``__reduce__`` saved."""
    return cls(message, **keywords)


class ConfigurationError(WorkOSError, ValueError):
    """The API key, client id or base URL is missing or malformed.

    Raised by ``SSOClient`` and ``SSOClient.from_env`` before any
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

    hint = (
        "Check that base_url points at the WorkOS API; if it does, WorkOS sent something this "
        "version cannot read: report it, with the message above."
    )


class PaginationError(WorkOSError):
    """The server returned a page cursor it had returned before, which would loop forever."""


class AccessTokenError(WorkOSError):
    """A user's access token was not accepted.

    Raised as a subclass: by ``verify_access_token``, which checks the token offline
    (``InvalidAccessTokenError``, ``ExpiredAccessTokenError``), and by ``get_profile``, where
    WorkOS refused it (``AccessTokenRejectedError``, which is also an ``APIError`` with an HTTP
    status). An API that receives the token as a bearer credential answers 401 to any of them.

    Attributes:
        reason: what failed, in a few words (``"the token expired"``). Neither the reason nor
            the message ever holds the token.
    """

    hint = "Ask the client for a new access token: the user signs in again."

    def __init__(self, message: str, *, reason: Optional[str] = None) -> None:
        super().__init__(message)
        self.reason: str = message if reason is None else reason


class InvalidAccessTokenError(AccessTokenError):
    """The access token is not one WorkOS issued for this client, as checked offline.

    It is not a JWT, is signed with another algorithm than RS256 or by a key that is not in
    the client's JWKS, its signature does not match, its audience is another client id, its
    issuer another API, a claim is missing or malformed, or it is not valid yet.
    """


class ExpiredAccessTokenError(AccessTokenError):
    """The access token checked out but its ``exp`` has passed (tokens live about an hour)."""

    hint = "Access tokens live about an hour: the user signs in again for a new one."


class JWKSError(WorkOSError):
    """The key set (JWKS) that verifies access tokens could not be fetched or read.

    Nothing is known about the token then: answer "try again later" (503), not 401. The error
    from the request that failed is the ``__cause__``. After a failed fetch, verifications
    raise this at once for a few seconds rather than asking again.
    """

    hint = (
        "Check that base_url points at the WorkOS API and that it is reachable from this host; "
        "keys already fetched keep working meanwhile."
    )


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


class SingleLogoutUnavailableError(BadRequestError):
    """``authorize_logout`` was refused (``connection_invalid``): the profile's connection does
    not support single logout, which needs an OpenID Connect connection."""

    hint = (
        "Single logout works only for users of OpenID Connect connections; for this user, end "
        "your app's own session instead."
    )


class AuthenticationError(APIError):
    """HTTP 401: the API key was not accepted.

    ``get_profile`` raises the subclass ``AccessTokenRejectedError`` instead: the credential
    there is the user's access token.
    """

    hint = (
        "Check WORKOS_API_KEY: it must be a current key of the same environment as the "
        "client id (sk_test_ for staging, sk_live_ for production)."
    )


class AccessTokenRejectedError(AuthenticationError, AccessTokenError):
    """HTTP 401 from ``get_profile``: the user's access token expired or was revoked.

    The credential there is the access token from the token exchange, not the API key. Both an
    ``AuthenticationError`` (with ``status_code``) and an ``AccessTokenError``.
    """

    hint = "The access token expired or was revoked: send the user through sign-in again."


class PermissionDeniedError(APIError):
    """HTTP 403: the key may not act on this resource."""

    hint = "The API key's environment cannot see this resource; check you use the right key."


class NotFoundError(APIError):
    """HTTP 404: no such connection, profile or route."""

    hint = "Check the id, and that it belongs to the environment of this API key."


class ConflictError(APIError):
    """HTTP 409: the request conflicts with the resource's current state (for example, the same
    ``Idempotency-Key`` sent with a different request)."""

    hint = "Fetch the resource's current state before trying again."


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
        self.errors: tuple[Mapping[str, Any], ...] = tuple(errors)


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


class UnsupportedGrantTypeError(OAuthError):
    """The token endpoint does not support the grant type sent (``unsupported_grant_type``)."""

    hint = (
        "This client sends grant_type=authorization_code; check base_url points at the WorkOS "
        "API, and report it if it does."
    )


class RedirectUriMismatchError(OAuthError):
    """The redirect URI is not registered for the client, or not exactly as registered."""

    hint = (
        "Add the exact redirect URI (scheme, host, port, path and trailing slash) under "
        "Redirects in the WorkOS dashboard."
    )


# --- The login flow (workos_sso._login) ---------------------------------------------------------


class UnsafeReturnToError(WorkOSError, ValueError):
    """A ``return_to`` is not a same-site relative path such as ``/projects?tab=2``.

    Refused: anything with a scheme or host (``https://evil.example``, ``//evil.example``),
    backslashes, whitespace or control characters, which browsers may read as another site.
    """

    hint = "Pass a path on this site that starts with a single '/', or use safe_return_to()."


class StateError(WorkOSError):
    """The ``state`` of a sign-in callback did not check out; no session may be created.

    The subclasses say why. The usual causes are harmless (an old tab, cookies cleared, a second
    browser), so show the sign-in page again rather than an error page.
    """

    hint = "Send the user back to sign in; a fresh sign-in creates a fresh state."


class MissingStateError(StateError):
    """The callback has no ``state``, or the user's session holds none to compare it with."""


class StateMismatchError(StateError):
    """The callback's ``state`` is not the one stored in this user's session.

    Either the sign-in was started in another browser or tab that has since started a newer one,
    or someone is trying to plant their own sign-in in this browser (login CSRF).
    """


class StateTamperedError(StateError):
    """A signed ``state`` failed its HMAC check or is malformed: it was altered or forged.

    Also raised when the secret that verifies it differs from the secret that signed it.
    """


class StateExpiredError(StateError):
    """The ``state`` is older than its ``max_age``: the sign-in was started too long ago."""


class CallbackError(WorkOSError):
    """The callback URL has neither a ``code`` nor an ``error``: it was not sent by WorkOS."""

    hint = "Start sign-in from the app's sign-in page; do not open the callback URL directly."


class SignInError(WorkOSError):
    """WorkOS sent the user back with ``error=...`` instead of a code.

    Raised as itself for an error code this library does not know; the documented codes raise
    the subclasses below.

    Attributes:
        error: the ``error`` code exactly as received.
        error_description: WorkOS's explanation, if any (show it to developers, not users).
        state: the ``state`` from the callback, unverified.
    """

    hint = "Show the user a short message and a link back to sign in; log the error."

    def __init__(
        self,
        message: str,
        *,
        error: str,
        error_description: Optional[str] = None,
        state: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.error = error
        self.error_description = error_description
        self.state = state

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(error={self.error!r}, "
            f"error_description={self.error_description!r})"
        )


class AccessDeniedError(SignInError):
    """``access_denied``: the user declined, or the identity provider refused them."""

    hint = "The user may not use this app; let them try another account or contact their admin."


class AmbiguousConnectionSelectorError(SignInError):
    """``ambiguous_connection_selector``: the organization has several connections to pick."""

    hint = "Start sign-in with a connection id instead of the organization id."


class ConnectionInvalidError(SignInError):
    """``connection_invalid``: the connection does not exist or cannot be used."""

    hint = "Check the connection id, and that the connection is active in the WorkOS dashboard."


class ConnectionStrategyInvalidError(SignInError):
    """``connection_strategy_invalid``: the connection's type does not support this sign-in."""

    hint = "Check the connection's type and provider settings in the WorkOS dashboard."


class ConnectionUnlinkedError(SignInError):
    """``connection_unlinked``: the connection was never fully set up, or was unlinked."""

    hint = "Ask the organization's admin to finish setting up the connection."


class InvalidConnectionSelectorError(SignInError):
    """``invalid_connection_selector``: the connection, organization or provider was not valid."""

    hint = "Pass exactly one valid connection, organization or provider when starting sign-in."


class OrganizationInvalidError(SignInError):
    """``organization_invalid``: the organization does not exist or has no usable connection."""

    hint = "Check the organization id, and that it has an active connection."


class OAuthFailedError(SignInError):
    """``oauth_failed``: the OAuth provider did not complete the sign-in."""

    hint = "Let the user try again; check the provider's client id and secret if it persists."


class SignInServerError(SignInError):
    """``server_error``: WorkOS or the identity provider failed during sign-in.

    The callback's counterpart of ``ServerError``; the module docstring says why the two share no
    base class.
    """

    hint = "Let the user try again shortly; quote the error description to WorkOS if it persists."


class ProfileNotAllowedOutsideOrganizationError(SignInError):
    """``profile_not_allowed_outside_organization``: the user's email domain is not one of the
    organization's domains, and the organization does not allow outside profiles."""

    hint = "Add the user's domain to the organization, or allow profiles outside it in WorkOS."


class SignInRedirectUriMismatchError(SignInError):
    """``redirect_uri_mismatch``: the ``redirect_uri`` is not registered for the client.

    The same problem as ``RedirectUriMismatchError``, reported on the callback instead of by
    the token exchange; the module docstring says why the two share no base class.
    """

    hint: ClassVar[str] = RedirectUriMismatchError.hint


class UnexpectedOrganizationError(WorkOSError):
    """The profile belongs to another organization (or connection) than the sign-in was for.

    An identity provider's admin can give a user any email address, so only the organization a
    sign-in was started for proves where the user belongs. No session may be created.

    Attributes:
        expected: the organization (or connection) id the state carried.
        actual: the id on the profile (``None`` when the profile has none).
        selector: ``"organization"`` or ``"connection"``.
    """

    hint = "Refuse the sign-in and send the user back to sign in through their own organization."

    def __init__(
        self, message: str, *, expected: str, actual: Optional[str], selector: str
    ) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual
        self.selector = selector


class NoSSOForDomainError(WorkOSError):
    """No active SSO connection serves this email domain.

    Attributes:
        domain: the domain, lower-cased, as looked up.
    """

    hint = "Offer another way to sign in, or add the domain to a connection in WorkOS."

    def __init__(self, message: str, *, domain: str) -> None:
        super().__init__(message)
        self.domain = domain


class SignInRefused(WorkOSError):
    """The app refuses a sign-in that WorkOS completed: raised by an ``on_sign_in`` hook.

    The framework integrations catch it, forget the pending sign-in and show ``message`` on the
    sign-in page; a session that was already signed in stays as it was. The message is the
    app's own sentence, so write one fit for the user to read, free of secrets and of anything
    copied from the profile: ``raise SignInRefused("Your account here is disabled.")``.
    """

    def __init__(self, message: str = "You cannot sign in to this site with that account.") -> None:
        super().__init__(message)
