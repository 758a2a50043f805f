"""Who may sign in through the framework integrations, what a refusal says, and their settings.

``SignInPolicy`` holds the allowed organizations and social providers; ``RefusalReason`` gives
every refusal one fixed sentence; ``check_secret_key`` and ``check_site_path`` check the settings
each framework reads its own way. ``_flow`` applies them; nothing here knows a framework.
"""

from __future__ import annotations

import enum
import hmac
import warnings
from collections.abc import Iterable
from typing import Optional

import attrs

from .._config import is_local_development
from .._errors import ConfigurationError, UnsafeReturnToError
from .._login import SignInResult
from .._state import Secret, validate_return_to

__all__ = [
    "ANY_ORGANIZATION",
    "RefusalReason",
    "SignInPolicy",
    "check_secret_key",
    "check_site_path",
]

#: The value of an allowed-organizations setting that admits every organization.
ANY_ORGANIZATION = "*"


# --- what a refusal says ----------------------------------------------------------------------


class RefusalReason(str, enum.Enum):
    """Why a sign-in was refused; each reason has one fixed sentence for the user."""

    #: No selector, and no default organization: the sign-in page asks.
    CHOOSE = "choose"
    #: More than one selector, or one WorkOS would not take.
    ONE_SELECTOR = "one_selector"
    #: The email form got something that is not an address.
    BAD_EMAIL = "bad_email"
    #: No active connection serves the email's domain.
    NO_SSO_FOR_DOMAIN = "no_sso_for_domain"
    #: The organization (or the connection's, or the profile's) is not allowed here.
    ORGANIZATION_NOT_ALLOWED = "organization_not_allowed"
    #: The social provider is not allowed here.
    PROVIDER_NOT_ALLOWED = "provider_not_allowed"
    #: No pending sign-in, or a state that is not its own, spent or too old; or a spent code.
    EXPIRED = "expired"
    #: The user cancelled at the identity provider, or it denied the sign-in.
    DENIED = "denied"
    #: WorkOS says the connection or organization is not set up to sign in.
    MISCONFIGURED = "misconfigured"
    #: The account is not a member of the organization it signed in through.
    OUTSIDE_ORGANIZATION = "outside_organization"
    #: The app's ``on_sign_in`` hook refused; its own message is shown.
    APP_REFUSED = "app_refused"
    #: Anything else: WorkOS unreachable or failing, an unknown error code.
    FAILED = "failed"

    @property
    def message(self) -> str:
        """The sentence shown to the user."""
        return _MESSAGES[self]

    @classmethod
    def for_error_code(cls, code: str) -> RefusalReason:
        """The reason for a callback's ``error`` code; any code not documented is ``FAILED``."""
        return _REASON_BY_ERROR_CODE.get(code, cls.FAILED)


_MESSAGES = {
    RefusalReason.CHOOSE: "Choose your organization, or sign in with your work email.",
    RefusalReason.ONE_SELECTOR: "Choose one organization, connection or provider to sign in.",
    RefusalReason.BAD_EMAIL: "Enter a work email address such as jane@example.com.",
    RefusalReason.NO_SSO_FOR_DOMAIN: "That email address does not use single sign-on here.",
    RefusalReason.ORGANIZATION_NOT_ALLOWED: "That organization cannot sign in to this site.",
    RefusalReason.PROVIDER_NOT_ALLOWED: "That way of signing in is not available on this site.",
    RefusalReason.EXPIRED: "Your sign-in expired or was already used. Please sign in again.",
    RefusalReason.DENIED: "The sign-in was cancelled or denied. Please sign in again.",
    RefusalReason.MISCONFIGURED: (
        "Single sign-on is not set up for your organization yet. Please contact your administrator."
    ),
    RefusalReason.OUTSIDE_ORGANIZATION: (
        "That account is not a member of the organization. Please sign in with your work account."
    ),
    RefusalReason.APP_REFUSED: "You cannot sign in to this site with that account.",
    RefusalReason.FAILED: "Sign-in failed. Please try again.",
}

# The documented ``error`` codes of a callback, by what the user can do about them; any other
# code (and ``oauth_failed``, ``server_error``) is FAILED.
_REASON_BY_ERROR_CODE = {
    "access_denied": RefusalReason.DENIED,
    "ambiguous_connection_selector": RefusalReason.MISCONFIGURED,
    "connection_invalid": RefusalReason.MISCONFIGURED,
    "connection_strategy_invalid": RefusalReason.MISCONFIGURED,
    "connection_unlinked": RefusalReason.MISCONFIGURED,
    "invalid_connection_selector": RefusalReason.MISCONFIGURED,
    "organization_invalid": RefusalReason.MISCONFIGURED,
    "redirect_uri_mismatch": RefusalReason.MISCONFIGURED,
    "profile_not_allowed_outside_organization": RefusalReason.OUTSIDE_ORGANIZATION,
}


# --- settings and policy ----------------------------------------------------------------


def check_site_path(value: object, *, setting: str) -> str:
    """A same-site path setting (the sign-in page, where sign-out ends)."""
    try:
        return validate_return_to(value)  # type: ignore[arg-type]
    except UnsafeReturnToError:
        raise ConfigurationError(
            f"{setting} must be a path on this site, such as /sign-in: one leading '/', and no "
            "scheme, host, backslash, space or control character."
        ) from None


# The secret keys the docs and the frameworks' tutorials show: an app that ships one signs its
# session cookies with a key anyone can read.
_PLACEHOLDER_SECRETS = frozenset(
    {
        b"change-me",
        b"changeme",
        b"dev",
        b"secret",
        b"secret-key",
        b"your-secret-key",
        b"a-long-random-value-for-local-development",
    }
)
_MIN_SECRET_BYTES = 32


def check_secret_key(secret: object, *, redirect_uri: str, setting: str) -> Secret:
    """The app's secret: present, and outside local development long and not a placeholder."""
    raw = secret.encode() if isinstance(secret, str) else secret
    if not isinstance(raw, bytes) or not raw.strip():
        raise ConfigurationError(
            f"Set {setting} to a random value (python -c 'import secrets; "
            "print(secrets.token_hex(32))'): it signs the session and the sign-in state."
        )
    if is_local_development(redirect_uri):
        return raw if isinstance(secret, bytes) else raw.decode()
    placeholder = raw.lower() in _PLACEHOLDER_SECRETS or raw.startswith(b"django-insecure-")
    if placeholder or len(raw) < _MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"{setting} is {'a placeholder' if placeholder else 'too short'}: anyone could "
            f"sign session cookies with it. Use {_MIN_SECRET_BYTES} random bytes or more "
            "(python -c 'import secrets; print(secrets.token_hex(32))'), kept out of the code."
        )
    return raw if isinstance(secret, bytes) else raw.decode()


def _id_list(value: object, *, setting: str, example: str) -> frozenset[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigurationError(f"{setting} must be a list such as [{example!r}].")
    ids = list(value)
    for item in ids:
        if not isinstance(item, str) or not item or item != item.strip():
            raise ConfigurationError(f"{setting} must hold non-empty strings only.")
    return frozenset(ids)


@attrs.frozen
class SignInPolicy:
    """Who may sign in: the allowed organizations and social providers.

    Attributes:
        organizations: the allowed organization ids, or ``None`` for every organization of the
            WorkOS environment.
        providers: the allowed social providers (``"GoogleOAuth"``...); empty: none.
        default_organization: where ``/login`` without a selector signs in, if anywhere.
    """

    organizations: Optional[frozenset[str]]
    providers: frozenset[str]
    default_organization: Optional[str]

    @classmethod
    def from_settings(
        cls,
        *,
        allowed_organizations: object,
        allowed_providers: object,
        default_organization: Optional[str],
        organizations_setting: str,
        providers_setting: str,
        default_setting: str,
    ) -> SignInPolicy:
        """Read the settings; unset organizations mean the default one only, else every one.

        Raises:
            ConfigurationError: a malformed list, or a default organization outside the list.
        """
        if default_organization is not None and (
            not isinstance(default_organization, str) or not default_organization.strip()
        ):
            raise ConfigurationError(f"{default_setting} must be an organization id.")
        organizations: Optional[frozenset[str]]
        if allowed_organizations == ANY_ORGANIZATION:
            organizations = None
        elif allowed_organizations is None:
            if default_organization is None:
                organizations = None
                warnings.warn(
                    f"{organizations_setting} is not set and there is no {default_setting}: "
                    "every organization of the WorkOS environment can sign in. Set it to the "
                    f"organization ids allowed here, or to {ANY_ORGANIZATION!r} to say so.",
                    UserWarning,
                    stacklevel=3,
                )
            else:
                organizations = frozenset({default_organization})
        else:
            organizations = _id_list(
                allowed_organizations, setting=organizations_setting, example="org_01H..."
            )
            if default_organization is not None and default_organization not in organizations:
                raise ConfigurationError(
                    f"{default_setting} {default_organization!r} is not in {organizations_setting}."
                )
        providers = (
            frozenset()
            if allowed_providers is None
            else _id_list(allowed_providers, setting=providers_setting, example="GoogleOAuth")
        )
        return cls(
            organizations=organizations,
            providers=providers,
            default_organization=default_organization,
        )

    def allows_organization(self, organization_id: Optional[str]) -> bool:
        """Whether a sign-in into this organization (``None``: no organization) is allowed."""
        if organization_id is None:
            return False
        if self.organizations is None:
            return True
        return any(hmac.compare_digest(organization_id, allowed) for allowed in self.organizations)

    def selector_refusal(self, selector: str, value: str) -> Optional[RefusalReason]:
        """Why ``/login`` may not start a sign-in with this selector, or ``None``."""
        if selector == "organization" and not self.allows_organization(value):
            return RefusalReason.ORGANIZATION_NOT_ALLOWED
        if selector == "provider" and value not in self.providers:
            return RefusalReason.PROVIDER_NOT_ALLOWED
        # A connection's organization is known only from the profile: checked at the callback.
        return None

    def profile_refusal(
        self, result: SignInResult, provider: Optional[str]
    ) -> Optional[RefusalReason]:
        """Why the callback may not sign this profile in, or ``None``.

        ``provider`` is the social provider the pending sign-in was started with, if any.
        """
        profile = result.profile
        if provider is not None:
            # A social sign-in: the profile must come from the provider the sign-in asked for.
            if provider in self.providers and str(profile.connection_type) == provider:
                return None
            return RefusalReason.PROVIDER_NOT_ALLOWED
        if not self.allows_organization(profile.organization_id):
            return RefusalReason.ORGANIZATION_NOT_ALLOWED
        return None
