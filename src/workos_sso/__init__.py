"""workos-sso: a typed client for the WorkOS Single Sign-On API.

Start with :class:`SSOClient`::

    from workos_sso import SSOClient

    sso = SSOClient.from_env()
    url = sso.get_authorization_url(redirect_uri="https://app.example.com/callback",
                                    organization="org_123", state=state)
"""

from typing import TYPE_CHECKING, Any

from ._client import SSOClient
from ._convert import unstructure
from ._errors import (
    AccessDeniedError,
    AmbiguousConnectionSelectorError,
    APIError,
    AuthenticationError,
    BadRequestError,
    CallbackError,
    ConfigurationError,
    ConnectionInvalidError,
    ConnectionStrategyInvalidError,
    ConnectionUnlinkedError,
    DecodeError,
    InvalidClientError,
    InvalidConnectionSelectorError,
    InvalidGrantError,
    InvalidParameterError,
    MissingStateError,
    NetworkError,
    NoSSOForDomainError,
    NotFoundError,
    OAuthError,
    OAuthFailedError,
    OrganizationInvalidError,
    PaginationError,
    PermissionDeniedError,
    ProfileNotAllowedOutsideOrganizationError,
    RateLimitError,
    RedirectUriMismatchError,
    RequestTimeoutError,
    ServerError,
    SignInError,
    SignInRedirectUriMismatchError,
    SignInServerError,
    StateError,
    StateExpiredError,
    StateMismatchError,
    StateTamperedError,
    UnauthorizedClientError,
    UnexpectedOrganizationError,
    UnprocessableEntityError,
    UnsafeReturnToError,
    WorkOSError,
)
from ._models import (
    Connection,
    ConnectionDomain,
    ConnectionState,
    ConnectionType,
    LogoutAuthorization,
    OAuthTokens,
    Order,
    Page,
    Profile,
    ProfileAndToken,
    Provider,
    Role,
)
from ._pagination import Pager
from ._version import __version__

# The login-flow helpers are imported on first use, so a script or a serverless function that
# only calls the API does not pay for them at start-up (about a third of this package's own
# import time). Type checkers see them as ordinary imports.
_LOGIN_NAMES = frozenset(
    {
        "DEFAULT_STATE_MAX_AGE",
        "SessionUser",
        "SignInResult",
        "SignInStart",
        "SignInState",
        "create_state",
        "find_connection_for_email",
        "handle_callback",
        "safe_return_to",
        "start_sign_in",
        "validate_return_to",
        "verify_state",
    }
)

if TYPE_CHECKING:
    from ._login import (
        DEFAULT_STATE_MAX_AGE,
        SessionUser,
        SignInResult,
        SignInStart,
        SignInState,
        create_state,
        find_connection_for_email,
        handle_callback,
        safe_return_to,
        start_sign_in,
        validate_return_to,
        verify_state,
    )


def __getattr__(name: str) -> Any:
    if name in _LOGIN_NAMES:
        from . import _login

        value = getattr(_login, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LOGIN_NAMES})


__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "Connection",
    "ConnectionDomain",
    "ConnectionState",
    "ConnectionType",
    "DecodeError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidParameterError",
    "LogoutAuthorization",
    "NetworkError",
    "NotFoundError",
    "OAuthError",
    "OAuthTokens",
    "Order",
    "Page",
    "Pager",
    "PaginationError",
    "PermissionDeniedError",
    "Profile",
    "ProfileAndToken",
    "Provider",
    "RateLimitError",
    "RedirectUriMismatchError",
    "RequestTimeoutError",
    "Role",
    "SSOClient",
    "ServerError",
    "UnauthorizedClientError",
    "UnprocessableEntityError",
    "WorkOSError",
    "__version__",
    "unstructure",
    "AccessDeniedError",
    "AmbiguousConnectionSelectorError",
    "CallbackError",
    "ConnectionInvalidError",
    "ConnectionStrategyInvalidError",
    "ConnectionUnlinkedError",
    "InvalidConnectionSelectorError",
    "MissingStateError",
    "NoSSOForDomainError",
    "OAuthFailedError",
    "OrganizationInvalidError",
    "ProfileNotAllowedOutsideOrganizationError",
    "SignInError",
    "SignInRedirectUriMismatchError",
    "SignInServerError",
    "StateError",
    "StateExpiredError",
    "StateMismatchError",
    "StateTamperedError",
    "UnexpectedOrganizationError",
    "UnsafeReturnToError",
    "DEFAULT_STATE_MAX_AGE",
    "SessionUser",
    "SignInResult",
    "SignInStart",
    "SignInState",
    "create_state",
    "find_connection_for_email",
    "handle_callback",
    "safe_return_to",
    "start_sign_in",
    "validate_return_to",
    "verify_state",
]
