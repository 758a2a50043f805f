"""The data the SSO API returns, as frozen, slotted attrs classes, and its enumerations.

Models know nothing of HTTP. Enumerated fields are typed ``Enum | str``: a value this version does
not know (a connection type WorkOS adds tomorrow) is kept as its plain string instead of failing.
Every enum is a ``str`` subclass, so ``connection.connection_type == "OktaSAML"`` holds either way.
Fields that real servers omit or send as ``null`` default to ``None`` or an empty value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Generic, Optional, TypeVar, Union

import attrs

__all__ = [
    "AccessTokenClaims",
    "Connection",
    "ConnectionDomain",
    "ConnectionState",
    "ConnectionType",
    "LogoutAuthorization",
    "OAuthTokens",
    "Order",
    "Page",
    "Profile",
    "ProfileAndToken",
    "Provider",
    "Role",
]


class _StrEnum(str, enum.Enum):
    """A ``str`` enum whose ``str()`` and ``format()`` give the wire value on every Python."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


class ConnectionType(_StrEnum):
    """The identity provider and protocol of a connection, as the API names them."""

    Pending = "Pending"
    ADFSSAML = "ADFSSAML"
    AdpOidc = "AdpOidc"
    AppleOAuth = "AppleOAuth"
    Auth0Migration = "Auth0Migration"
    Auth0SAML = "Auth0SAML"
    AzureSAML = "AzureSAML"
    BitbucketOAuth = "BitbucketOAuth"
    CasSAML = "CasSAML"
    ClassLinkSAML = "ClassLinkSAML"
    CleverOIDC = "CleverOIDC"
    CloudflareSAML = "CloudflareSAML"
    CyberArkSAML = "CyberArkSAML"
    DiscordOAuth = "DiscordOAuth"
    DuoSAML = "DuoSAML"
    EntraIdOIDC = "EntraIdOIDC"
    GenericOIDC = "GenericOIDC"
    GenericSAML = "GenericSAML"
    GitHubOAuth = "GitHubOAuth"
    GitLabOAuth = "GitLabOAuth"
    GoogleOAuth = "GoogleOAuth"
    GoogleOIDC = "GoogleOIDC"
    GoogleSAML = "GoogleSAML"
    IntuitOAuth = "IntuitOAuth"
    JumpCloudSAML = "JumpCloudSAML"
    KeycloakSAML = "KeycloakSAML"
    LastPassSAML = "LastPassSAML"
    LinkedInOAuth = "LinkedInOAuth"
    LoginGovOidc = "LoginGovOidc"
    MagicLink = "MagicLink"
    MicrosoftOAuth = "MicrosoftOAuth"
    MiniOrangeSAML = "MiniOrangeSAML"
    NetIqSAML = "NetIqSAML"
    OktaOIDC = "OktaOIDC"
    OktaSAML = "OktaSAML"
    OneLoginSAML = "OneLoginSAML"
    OracleSAML = "OracleSAML"
    PingFederateSAML = "PingFederateSAML"
    PingOneSAML = "PingOneSAML"
    RipplingSAML = "RipplingSAML"
    SalesforceSAML = "SalesforceSAML"
    ShibbolethGenericSAML = "ShibbolethGenericSAML"
    ShibbolethSAML = "ShibbolethSAML"
    SimpleSamlPhpSAML = "SimpleSamlPhpSAML"
    SalesforceOAuth = "SalesforceOAuth"
    SlackOAuth = "SlackOAuth"
    TestIdp = "TestIdp"
    VercelMarketplaceOAuth = "VercelMarketplaceOAuth"
    VercelOAuth = "VercelOAuth"
    VMwareSAML = "VMwareSAML"
    XeroOAuth = "XeroOAuth"


class ConnectionState(_StrEnum):
    """Where a connection is in its life: only ``active`` connections can sign users in."""

    requires_type = "requires_type"
    draft = "draft"
    active = "active"
    validating = "validating"
    inactive = "inactive"
    deleting = "deleting"


class Provider(_StrEnum):
    """The OAuth providers that the ``provider`` selector of the authorization URL accepts."""

    AppleOAuth = "AppleOAuth"
    BitbucketOAuth = "BitbucketOAuth"
    GitHubOAuth = "GitHubOAuth"
    GitLabOAuth = "GitLabOAuth"
    GoogleOAuth = "GoogleOAuth"
    IntuitOAuth = "IntuitOAuth"
    LinkedInOAuth = "LinkedInOAuth"
    MicrosoftOAuth = "MicrosoftOAuth"
    SalesforceOAuth = "SalesforceOAuth"
    SlackOAuth = "SlackOAuth"
    VercelMarketplaceOAuth = "VercelMarketplaceOAuth"
    VercelOAuth = "VercelOAuth"
    XeroOAuth = "XeroOAuth"


class Order(_StrEnum):
    """The sort order of a list by creation time; the API's default is ``desc``."""

    normal = "normal"
    desc = "desc"
    asc = "asc"


def _hidden(_value: object) -> str:
    # Secrets stay out of repr() so a logged model cannot leak them.
    return "'***'"


@attrs.frozen
class Role:
    """A role assigned to the user by the identity provider's group mapping.

    Attributes:
        slug: the role's identifier, such as ``"admin"``.
    """

    slug: str


@attrs.frozen
class Profile:
    """The user who signed in, as their identity provider describes them.

    Trust ``organization_id`` and ``connection_id`` to decide where a user belongs, never the
    email domain: an identity provider's admin can give a user any email address.
    ``raw_attributes`` and ``custom_attributes`` may hold personal data; keep them out of
    sessions and logs.

    Attributes:
        id: the profile's id (``prof_...``), stable for this user and connection.
        connection_id: the connection the user signed in through.
        connection_type: that connection's type; a plain ``str`` if this version does not know it.
        idp_id: the user's id at the identity provider.
        email: the email address the identity provider holds for the user.
        organization_id: the organization of the connection; ``None`` for OAuth providers used
            without an organization.
        first_name: the given name, when the identity provider sends one.
        last_name: the family name, when the identity provider sends one.
        name: the full name, when the identity provider sends one.
        role: the role the organization's group mapping gives the user, if any.
        roles: every role the mapping gives the user, if any.
        groups: the user's groups at the identity provider, if it sends them.
        custom_attributes: attributes mapped in the connection's settings (hidden from ``repr``).
        raw_attributes: everything the identity provider sent (hidden from ``repr``).
        object: always ``"profile"``.
    """

    id: str
    connection_id: str
    connection_type: Union[ConnectionType, str]
    idp_id: str
    email: str
    organization_id: Optional[str] = None
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    name: Optional[str] = None
    role: Optional[Role] = None
    roles: Optional[tuple[Role, ...]] = None
    groups: Optional[tuple[str, ...]] = None
    # Mappings stay out of the hash (a dict cannot be hashed); they still count for equality.
    custom_attributes: Mapping[str, Any] = attrs.field(factory=dict, repr=False, hash=False)
    raw_attributes: Mapping[str, Any] = attrs.field(factory=dict, repr=False, hash=False)
    object: str = "profile"


@attrs.frozen
class OAuthTokens:
    """The identity provider's own OAuth tokens, returned when the connection asks for them.

    Attributes:
        provider: the OAuth provider that issued them, such as ``"GoogleOAuth"``.
        access_token: the provider's access token (hidden from ``repr``).
        refresh_token: the provider's refresh token, if any (hidden from ``repr``).
        expires_at: when ``access_token`` expires, in seconds since the epoch.
        scopes: the scopes the provider granted.
    """

    provider: str
    access_token: str = attrs.field(repr=_hidden)
    refresh_token: Optional[str] = attrs.field(default=None, repr=_hidden)
    expires_at: Optional[int] = None
    scopes: tuple[str, ...] = ()


@attrs.frozen
class ProfileAndToken:
    """What [`get_profile_and_token`][workos_sso.SSOClient.get_profile_and_token] returns.

    Attributes:
        access_token: a token for [`get_profile`][workos_sso.SSOClient.get_profile]; a secret,
            hidden from ``repr``.
        profile: the user who signed in.
        expires_in: seconds until ``access_token`` expires, when the server says.
        token_type: ``"Bearer"``, when the server says.
        oauth_tokens: the identity provider's own tokens, when the connection returns them.
    """

    access_token: str = attrs.field(repr=_hidden)
    profile: Profile
    expires_in: Optional[int] = None
    token_type: Optional[str] = None
    oauth_tokens: Optional[OAuthTokens] = None


@attrs.frozen
class ConnectionDomain:
    """A domain whose users sign in through the connection.

    Attributes:
        id: the domain record's id.
        domain: the domain name, such as ``"foo-corp.com"``.
        object: always ``"connection_domain"``.
    """

    id: str
    domain: str
    object: str = "connection_domain"


@attrs.frozen
class Connection:
    """An SSO connection between an organization and its identity provider.

    Attributes:
        id: the connection's id (``conn_...``).
        name: a human-readable name, usually the organization's (``None`` if not sent).
        connection_type: the provider and protocol; a plain ``str`` if this version does not
            know it.
        state: ``active`` connections can sign users in; a plain ``str`` if unknown.
        created_at: when it was created (timezone-aware).
        updated_at: when it last changed (timezone-aware).
        organization_id: the organization it belongs to.
        domains: the email domains it serves.
        status: deprecated by WorkOS in favour of ``state``.
        options: provider-specific settings, when the API sends them.
        object: always ``"connection"``.
    """

    id: str
    connection_type: Union[ConnectionType, str]
    state: Union[ConnectionState, str]
    created_at: datetime
    updated_at: datetime
    name: Optional[str] = None
    organization_id: Optional[str] = None
    domains: tuple[ConnectionDomain, ...] = ()
    #: Deprecated by WorkOS in favour of ``state``; ``linked`` or ``unlinked`` when present.
    status: Optional[str] = None
    options: Optional[Mapping[str, Any]] = attrs.field(default=None, hash=False)
    object: str = "connection"


@attrs.frozen
class LogoutAuthorization:
    """What [`authorize_logout`][workos_sso.SSOClient.authorize_logout] returns.

    Attributes:
        logout_url: where to send the user's browser to sign out (hidden from ``repr``).
        logout_token: the token inside that URL, for
            [`get_logout_url`][workos_sso.SSOClient.get_logout_url] (hidden from ``repr``).
    """

    logout_url: str = attrs.field(repr=_hidden)
    logout_token: str = attrs.field(repr=_hidden)


T = TypeVar("T")


@attrs.frozen
class AccessTokenClaims:
    """What [`verify_access_token`][workos_sso.SSOClient.verify_access_token] found in a token.

    Attributes:
        profile_id: the ``sub`` claim: the [`Profile`][workos_sso.Profile] id of the user.
        organization_id: the ``org_id`` claim, or ``None`` when the token has none.
        issued_at: the ``iat`` claim as an aware UTC datetime, or ``None`` when absent.
        expires_at: the ``exp`` claim as an aware UTC datetime.
        raw: every claim of the token as received, read-only (claims WorkOS adds later too).
    """

    profile_id: str
    organization_id: Optional[str]
    issued_at: Optional[datetime]
    expires_at: datetime
    raw: Mapping[str, Any] = attrs.field(repr=False, eq=False)


@attrs.frozen
class Page(Generic[T]):
    """One page of a list: its items and the cursors to the pages before and after it.

    ``after`` is ``None`` on the last page, ``before`` on the first.

    Attributes:
        data: the items of this page.
        before: the cursor to pass as ``before=`` for the previous page.
        after: the cursor to pass as ``after=`` for the next page.
    """

    data: tuple[T, ...]
    before: Optional[str] = None
    after: Optional[str] = None
