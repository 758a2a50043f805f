"""workos-sso: a typed client for the WorkOS Single Sign-On API.

Start with :class:`SSOClient`::

    from workos_sso import SSOClient

    sso = SSOClient.from_env()
    url = sso.get_authorization_url(redirect_uri="https://app.example.com/callback",
                                    organization="org_123", state=state)
"""

from ._client import SSOClient
from ._convert import unstructure
from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DecodeError,
    InvalidClientError,
    InvalidGrantError,
    InvalidParameterError,
    NetworkError,
    NotFoundError,
    OAuthError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RedirectUriMismatchError,
    RequestTimeoutError,
    ServerError,
    UnauthorizedClientError,
    UnprocessableEntityError,
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
]
