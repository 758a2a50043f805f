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
    AccessTokenError,
    AccessTokenRejectedError,
    AmbiguousConnectionSelectorError,
    APIError,
    AuthenticationError,
    BadRequestError,
    CallbackError,
    ConfigurationError,
    ConflictError,
    ConnectionInvalidError,
    ConnectionStrategyInvalidError,
    ConnectionUnlinkedError,
    DecodeError,
    ExpiredAccessTokenError,
    InvalidAccessTokenError,
    InvalidClientError,
    InvalidConnectionSelectorError,
    InvalidGrantError,
    InvalidParameterError,
    JWKSError,
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
    SignInRefused,
    SignInServerError,
    SingleLogoutUnavailableError,
    StateError,
    StateExpiredError,
    StateMismatchError,
    StateTamperedError,
    UnauthorizedClientError,
    UnexpectedOrganizationError,
    UnprocessableEntityError,
    UnsafeReturnToError,
    UnsupportedGrantTypeError,
    WorkOSError,
)
from ._models import (
    AccessTokenClaims,
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
from ._pagination import AsyncPager, Pager
from ._version import __version__

if TYPE_CHECKING:
    from ._async_client import AsyncSSOClient
    from ._login import *
    from ._pkce import PKCE

__all__ = [
    "DEFAULT_STATE_MAX_AGE",
    "PKCE",
    "APIError",
    "AccessDeniedError",
    "AccessTokenClaims",
    "AccessTokenError",
    "AccessTokenRejectedError",
    "AmbiguousConnectionSelectorError",
    "AsyncPager",
    "AsyncSSOClient",
    "AuthenticationError",
    "BadRequestError",
    "CallbackError",
    "ConfigurationError",
    "ConflictError",
    "Connection",
    "ConnectionDomain",
    "ConnectionInvalidError",
    "ConnectionState",
    "ConnectionStrategyInvalidError",
    "ConnectionType",
    "ConnectionUnlinkedError",
    "DecodeError",
    "ExpiredAccessTokenError",
    "InvalidAccessTokenError",
    "InvalidClientError",
    "InvalidConnectionSelectorError",
    "InvalidGrantError",
    "InvalidParameterError",
    "JWKSError",
    "LogoutAuthorization",
    "MissingStateError",
    "NetworkError",
    "NoSSOForDomainError",
    "NotFoundError",
    "OAuthError",
    "OAuthFailedError",
    "OAuthTokens",
    "Order",
    "OrganizationInvalidError",
    "Page",
    "Pager",
    "PaginationError",
    "PermissionDeniedError",
    "Profile",
    "ProfileAndToken",
    "ProfileNotAllowedOutsideOrganizationError",
    "Provider",
    "RateLimitError",
    "RedirectUriMismatchError",
    "RequestTimeoutError",
    "Role",
    "SSOClient",
    "ServerError",
    "SessionUser",
    "SignInError",
    "SignInRedirectUriMismatchError",
    "SignInRefused",
    "SignInResult",
    "SignInServerError",
    "SignInStart",
    "SignInState",
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
    "__version__",
    "create_state",
    "find_connection_for_email",
    "find_connection_for_email_async",
    "handle_callback",
    "handle_callback_async",
    "safe_return_to",
    "start_sign_in",
    "start_sign_in_async",
    "unstructure",
    "validate_return_to",
    "verify_state",
]

# The login-flow helpers are imported on first use, so a script or a serverless function that
# only calls the API does not pay for them at start-up (docs/performance.md has the figures);
# so are PKCE, and AsyncSSOClient, whose module loads aiohttp and asyncio only when an async
# client is made.
# Each is a name of __all__ that is not imported above, with the module that defines it; type
# checkers see the imports under TYPE_CHECKING.
_LAZY_MODULES: dict[str, str] = {
    "AsyncSSOClient": "_async_client",
    "PKCE": "_pkce",
    "DEFAULT_STATE_MAX_AGE": "_login",
    "SessionUser": "_login",
    "SignInResult": "_login",
    "SignInStart": "_login",
    "SignInState": "_login",
    "create_state": "_login",
    "find_connection_for_email": "_login",
    "find_connection_for_email_async": "_login",
    "handle_callback": "_login",
    "handle_callback_async": "_login",
    "safe_return_to": "_login",
    "start_sign_in": "_login",
    "start_sign_in_async": "_login",
    "validate_return_to": "_login",
    "verify_state": "_login",
}
# Checked against _login.__all__ by the tests, so the two modules cannot drift apart.
_LOGIN_NAMES = frozenset(name for name, module in _LAZY_MODULES.items() if module == "_login")


def __getattr__(name: str) -> Any:
    module_name = _LAZY_MODULES.get(name)
    if module_name is not None:
        import importlib

        value = getattr(importlib.import_module(f".{module_name}", __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY_MODULES})
