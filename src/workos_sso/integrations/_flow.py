"""The sign-in flow of the framework integrations, written once, without a framework or I/O.

Each route is a generator. It takes the request's query (or form) and the session as plain
mappings, yields what only the adapter can do (ask WorkOS, run the app's hook, start or end a
session) and returns the answer: a ``Redirect``, or a ``Refusal`` to show on the sign-in page.
``_drive`` pumps these generators with a sync or an async client; the Flask, Django and
Starlette modules move requests, sessions and responses, and decide nothing.

The rules, in one place:

* the selector (``organization``, ``connection``, ``provider``, or an email's connection) must
  pass the ``SignInPolicy`` before anything goes to WorkOS, and the profile must pass it again
  at the callback;
* the pending sign-in (its state, PKCE verifier and provider) lives in the session and is good
  for one callback; a refused callback removes it and nothing else, so an established session
  survives a forged or replayed callback;
* a refusal shows a fixed sentence chosen by its reason: nothing from the query string or from
  WorkOS's answer reaches a page;
* ``next`` is a same-site path or the default;
* the session keeps a ``SessionUser``, never a token or the profile's raw attributes.
"""

from __future__ import annotations

import enum
import hmac
import logging
import time
import warnings
from collections.abc import Generator, Iterable, Mapping, MutableMapping
from typing import Any, Optional, Union
from urllib.parse import urlencode

import attrs

from .._config import check_redirect_uri, is_local_development
from .._errors import (
    CallbackError,
    ConfigurationError,
    InvalidGrantError,
    InvalidParameterError,
    NoSSOForDomainError,
    SignInError,
    SignInRefused,
    StateError,
    UnexpectedOrganizationError,
    UnsafeReturnToError,
    WorkOSError,
)
from .._login import (
    SessionUser,
    SignInResult,
    _email_domain,
    _finish_sign_in,
    _first_values,
    _read_callback,
    _start,
)
from .._models import Connection, LogoutAuthorization, ProfileAndToken
from .._state import DEFAULT_STATE_MAX_AGE, Clock, Secret, safe_return_to, validate_return_to

__all__ = [
    "ANY_ORGANIZATION",
    "SESSION_PENDING_KEY",
    "SESSION_USER_KEY",
    "AcceptSignIn",
    "AuthorizeLogout",
    "EndSession",
    "ExchangeCode",
    "FindConnection",
    "Redirect",
    "Refusal",
    "RefusalReason",
    "SignInFlow",
    "SignInPolicy",
    "StartSession",
    "check_secret_key",
    "check_site_path",
    "with_next",
]

logger: logging.Logger = logging.getLogger("workos_sso.integrations")

#: The session key of the signed-in user: ``SessionUser.to_dict()``.
SESSION_USER_KEY = "workos_sso.user"
#: The session key of the sign-in in progress: its state, PKCE verifier and provider.
SESSION_PENDING_KEY = "workos_sso.pending"
#: The value of an allowed-organizations setting that admits every organization.
ANY_ORGANIZATION = "*"

_SELECTORS = ("organization", "connection", "provider")


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


# --- what a route answers -------------------------------------------------------------------


@attrs.frozen
class Redirect:
    """Send the browser to ``location`` (303 after a POST, any redirect after a GET)."""

    location: str


@attrs.frozen
class Refusal:
    """Show ``message`` on the sign-in page at ``location``; the session stays as it is."""

    reason: RefusalReason
    location: str
    message: str


Response = Union[Redirect, Refusal]


# --- what a route asks the adapter to do ----------------------------------------------------


@attrs.frozen
class FindConnection:
    """Look up the active connection of ``email``'s domain; send back the ``Connection``."""

    email: str = attrs.field(repr=False)


@attrs.frozen
class ExchangeCode:
    """Exchange the code at WorkOS; send back the ``ProfileAndToken``."""

    code: str = attrs.field(repr=False)
    code_verifier: Optional[str] = attrs.field(repr=False)


@attrs.frozen
class AuthorizeLogout:
    """Ask WorkOS for the logout URL of ``profile_id``; send back the ``LogoutAuthorization``."""

    profile_id: str


@attrs.frozen
class AcceptSignIn:
    """Run the app's ``on_sign_in`` hook (and Django's backend) on the checked sign-in.

    Send back the ``SessionUser`` to keep, or ``None`` for the profile's; throw
    ``SignInRefused`` in to refuse.
    """

    result: SignInResult


@attrs.frozen
class StartSession:
    """Replace the session with a new, empty one under a new id, for ``user``."""

    user: SessionUser


@attrs.frozen
class EndSession:
    """Sign out: empty the session (and drop it, where it lives on the server)."""


Effect = Union[
    FindConnection, ExchangeCode, AuthorizeLogout, AcceptSignIn, StartSession, EndSession
]
Steps = Generator[Effect, Any, Response]
Session = MutableMapping[str, Any]
Params = Mapping[str, Any]


# --- settings -------------------------------------------------------------------------------


def check_site_path(value: object, *, setting: str) -> str:
    """A same-site path setting (the sign-in page, where sign-out ends)."""
    try:
        return validate_return_to(value)  # type: ignore[arg-type]
    except UnsafeReturnToError as error:
        raise ConfigurationError(f"{setting} must be a path on this site: {error}") from None


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


def _id_list(value: object, *, setting: str, prefix: str) -> frozenset[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigurationError(f"{setting} must be a list of ids such as ['{prefix}01H...'].")
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
                allowed_organizations, setting=organizations_setting, prefix="org_"
            )
            if default_organization is not None and default_organization not in organizations:
                raise ConfigurationError(
                    f"{default_setting} {default_organization!r} is not in {organizations_setting}."
                )
        providers = (
            frozenset()
            if allowed_providers is None
            else _id_list(allowed_providers, setting=providers_setting, prefix="")
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


# --- the flow -------------------------------------------------------------------------------


@attrs.frozen
class _Pending:
    """The sign-in in progress, as kept in the session (plain strings, for any serializer)."""

    state: str
    code_verifier: Optional[str] = None
    provider: Optional[str] = None

    @classmethod
    def pop(cls, session: Session) -> Optional[_Pending]:
        data = session.pop(SESSION_PENDING_KEY, None)
        if not isinstance(data, Mapping):
            return None
        values = {name: data.get(name) for name in ("state", "code_verifier", "provider")}
        if not all(value is None or isinstance(value, str) for value in values.values()):
            return None
        if values["state"] is None:
            return None
        return cls(**values)  # type: ignore[arg-type]


@attrs.frozen
class SignInFlow:
    """The four routes of sign-in, for one app's settings.

    Attributes:
        client: an ``SSOClient`` or ``AsyncSSOClient``; the flow only builds authorization URLs
            with it (no request); the adapter makes the calls the flow asks for.
        redirect_uri: the callback's URL, as registered at WorkOS.
        secret: the app's secret, which signs each state.
        policy: who may sign in.
        sign_in_page: where refusals land, with their message.
        after_sign_out: where sign-out ends when the identity provider's cannot be ended too.
        default_next: where a sign-in without ``next`` ends.
        pkce: whether sign-ins carry a PKCE challenge (the verifier stays in the session).
        state_max_age: how many seconds a sign-in may take.
        clock: the current Unix time; for tests.
    """

    client: Any
    redirect_uri: str
    secret: Secret = attrs.field(repr=False)
    policy: SignInPolicy
    sign_in_page: str = "/"
    after_sign_out: str = "/"
    default_next: str = "/"
    pkce: bool = False
    state_max_age: int = DEFAULT_STATE_MAX_AGE
    clock: Clock = time.time

    def __attrs_post_init__(self) -> None:
        check_redirect_uri(self.redirect_uri, setting="redirect_uri")

    # --- the routes -----------------------------------------------------------------------

    def login(self, query: Params, session: Session) -> Steps:
        """``GET /login``: start a sign-in at the selector of the query, or the default one."""
        yield from ()
        params = _first_values(query)
        next_path = safe_return_to(params.get("next"), default=self.default_next)
        selectors = {name: params[name] for name in _SELECTORS if params.get(name)}
        if not selectors:
            if self.policy.default_organization is None:
                return self.refuse(RefusalReason.CHOOSE, next_path=next_path)
            selectors = {"organization": self.policy.default_organization}
        if len(selectors) != 1:
            return self.refuse(RefusalReason.ONE_SELECTOR, next_path=next_path)
        ((selector, value),) = selectors.items()
        refusal = self.policy.selector_refusal(selector, value)
        if refusal is not None:
            return self.refuse(refusal, next_path=next_path)
        return self._go_to_workos(session, next_path, **{selector: value})

    def login_by_email(self, form: Params, session: Session) -> Steps:
        """``POST /login/email``: start a sign-in at the connection of the email's domain."""
        params = _first_values(form)
        next_path = safe_return_to(params.get("next"), default=self.default_next)
        email = params.get("email", "").strip()
        try:
            _email_domain(email)
        except InvalidParameterError:
            return self.refuse(RefusalReason.BAD_EMAIL, next_path=next_path)
        try:
            connection: Connection = yield FindConnection(email)
        except NoSSOForDomainError:
            return self.refuse(RefusalReason.NO_SSO_FOR_DOMAIN, next_path=next_path)
        except WorkOSError as error:
            logger.warning("SSO sign-in by email could not start: %s", error)
            return self.refuse(RefusalReason.FAILED, next_path=next_path)
        if not self.policy.allows_organization(connection.organization_id):
            return self.refuse(RefusalReason.ORGANIZATION_NOT_ALLOWED, next_path=next_path)
        return self._go_to_workos(
            session,
            next_path,
            organization=connection.organization_id,
            connection=connection.id,
            login_hint=email,
        )

    def callback(self, query: Params, session: Session) -> Steps:
        """``GET <callback>``: check the callback, exchange the code, apply the policy."""
        pending = _Pending.pop(session)  # good for one callback, whatever it carries
        try:
            code, state = _read_callback(
                query,
                expected_state=None if pending is None else pending.state,
                secret=self.secret,
                clock=self.clock,
            )
        except SignInError as error:
            # Logged as WorkOS sent it (made printable by _login); never shown.
            logger.info("SSO callback with an error: %s", error)
            return self.refuse(_REASON_BY_ERROR_CODE.get(error.error, RefusalReason.FAILED))
        except (StateError, CallbackError):
            return self.refuse(RefusalReason.EXPIRED)
        assert pending is not None  # verify_state refused a callback without one
        try:
            answer: ProfileAndToken = yield ExchangeCode(code, pending.code_verifier)
        except InvalidGrantError:
            return self.refuse(RefusalReason.EXPIRED)
        except WorkOSError as error:
            logger.warning("SSO code exchange failed: %s", error)
            return self.refuse(RefusalReason.FAILED)
        try:
            result = _finish_sign_in(state, answer)
        except UnexpectedOrganizationError as error:
            logger.warning("SSO sign-in refused: %s", error)
            return self.refuse(RefusalReason.ORGANIZATION_NOT_ALLOWED)
        refusal = self.policy.profile_refusal(result, pending.provider)
        if refusal is not None:
            logger.warning(
                "SSO sign-in of profile %s (organization %s) refused: %s",
                result.profile.id,
                result.profile.organization_id,
                refusal.value,
            )
            return self.refuse(refusal)
        try:
            user = yield AcceptSignIn(result)
        except SignInRefused as refused:
            logger.info("SSO sign-in of profile %s refused by the app.", result.profile.id)
            return Refusal(RefusalReason.APP_REFUSED, self.sign_in_page, refused.message)
        if user is None:
            user = SessionUser.from_profile(result.profile)
        elif not isinstance(user, SessionUser):
            raise TypeError(
                f"on_sign_in must return a SessionUser or None, not {type(user).__name__}."
            )
        yield StartSession(user)
        session[SESSION_USER_KEY] = user.to_dict()
        return Redirect(result.return_to)

    def logout(self, session: Session) -> Steps:
        """``POST /logout``: end the session, then the identity provider's when WorkOS can."""
        user = self.current_user(session)
        yield EndSession()
        if user is None:
            return Redirect(self.after_sign_out)
        try:
            logout: LogoutAuthorization = yield AuthorizeLogout(user.id)
        except WorkOSError as error:
            logger.info("Signed out here only: %s", error)
            return Redirect(self.after_sign_out)
        return Redirect(logout.logout_url)

    # --- helpers for the adapters ---------------------------------------------------------

    @staticmethod
    def current_user(session: Mapping[str, Any]) -> Optional[SessionUser]:
        """The session's signed-in user, or ``None`` (also for a record it cannot read)."""
        data = session.get(SESSION_USER_KEY)
        if not isinstance(data, Mapping):
            return None
        try:
            return SessionUser.from_dict(data)
        except InvalidParameterError:
            return None

    def refuse(self, reason: RefusalReason, *, next_path: Optional[str] = None) -> Refusal:
        """A refusal landing on the sign-in page, with ``?next=`` when it is not the default."""
        keep = next_path if next_path != self.default_next else None
        return Refusal(reason, with_next(self.sign_in_page, keep), reason.message)

    def _go_to_workos(
        self,
        session: Session,
        next_path: str,
        *,
        organization: Optional[str] = None,
        connection: Optional[str] = None,
        provider: Optional[str] = None,
        login_hint: Optional[str] = None,
    ) -> Response:
        try:
            start = _start(
                self.client,
                redirect_uri=self.redirect_uri,
                organization=organization,
                connection=connection,
                provider=provider,
                return_to=next_path,
                secret=self.secret,
                max_age=self.state_max_age,
                login_hint=login_hint,
                domain_hint=None,
                nonce=None,
                prompt=None,
                provider_scopes=None,
                pkce=self.pkce,
                clock=self.clock,
            )
        except InvalidParameterError:
            return self.refuse(RefusalReason.ONE_SELECTOR, next_path=next_path)
        pending = {"state": start.state.value, "code_verifier": start.code_verifier}
        pending["provider"] = provider
        session[SESSION_PENDING_KEY] = pending
        return Redirect(start.url)


def with_next(page: str, next_path: Optional[str]) -> str:
    """``page`` with ``?next=next_path`` (or ``&next=``), unless there is no next to keep."""
    if next_path is None or next_path == "/":
        return page
    return page + ("&" if "?" in page else "?") + urlencode({"next": next_path})
