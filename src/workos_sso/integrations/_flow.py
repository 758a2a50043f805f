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

import logging
import time
from collections.abc import Generator, Iterable, Mapping, MutableMapping
from typing import Any, Optional, Protocol, Union
from urllib.parse import urlencode, urlsplit

import attrs

from .._config import check_redirect_uri
from .._errors import (
    CallbackError,
    InvalidGrantError,
    InvalidParameterError,
    NoSSOForDomainError,
    SignInError,
    SignInRefused,
    StateError,
    UnexpectedOrganizationError,
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
from .._state import DEFAULT_STATE_MAX_AGE, Clock, Secret, safe_return_to
from ._policy import RefusalReason, SignInPolicy

__all__ = [
    "SESSION_PENDING_KEY",
    "SESSION_USER_KEY",
    "AcceptSignIn",
    "AuthorizeLogout",
    "EndSession",
    "ExchangeCode",
    "FindConnection",
    "Redirect",
    "Refusal",
    "SignInFlow",
    "StartSession",
    "with_next",
]

logger: logging.Logger = logging.getLogger("workos_sso.integrations")

#: The session key of the signed-in user: ``SessionUser.to_dict()``.
SESSION_USER_KEY = "workos_sso.user"
#: The session key of the sign-in in progress: its state, PKCE verifier and provider.
SESSION_PENDING_KEY = "workos_sso.pending"
_SELECTORS = ("organization", "connection", "provider")


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


class Headers(Protocol):
    """A request's headers, as any framework gives them: what has ``items()``."""

    def items(self) -> Iterable[tuple[str, str]]: ...


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

    def login_by_email(self, form: Params, session: Session, headers: Headers) -> Steps:
        """``POST /login/email``: start a sign-in at the connection of the email's domain.

        A form posted from another site is turned away without a word: its answer must set no
        cookie (see ``is_cross_site``).
        """
        if self.is_cross_site(headers):
            return Redirect(self.sign_in_page)
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
            return self.refuse(RefusalReason.for_error_code(error.error))
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

    def logout(self, session: Session, headers: Headers) -> Steps:
        """``POST /logout``: end the session, then the identity provider's when WorkOS can.

        An empty session, or a form posted from another site, is left alone (see
        ``is_cross_site``).
        """
        if not list(session.keys()) or self.is_cross_site(headers):
            return Redirect(self.after_sign_out)
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

    def is_cross_site(self, headers: Headers) -> bool:
        """Whether a POST comes from a page of another site: ``Sec-Fetch-Site``, else ``Origin``.

        ``SameSite=Lax`` keeps the session cookie off such a post, so the app sees an empty
        session; but the post is a top-level navigation, and the browser stores any cookie its
        answer sets, replacing the signed-in one. So it must change no session at all.
        """
        fetch_site = _header(headers, "sec-fetch-site")
        if fetch_site is not None:
            return fetch_site.strip().lower() == "cross-site"
        origin = _header(headers, "origin")
        if origin is None:
            return False  # an older browser, or a client that is not a browser
        parts = urlsplit(self.redirect_uri)
        return origin.strip().lower() != f"{parts.scheme}://{parts.netloc}".lower()

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


def _header(headers: Headers, name: str) -> Optional[str]:
    """A header's value by its lower-case name, from any mapping (frameworks' are not dicts)."""
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value)
    return None


def with_next(page: str, next_path: Optional[str]) -> str:
    """``page`` with ``?next=next_path`` (or ``&next=``), unless there is no next to keep."""
    if next_path is None or next_path == "/":
        return page
    return page + ("&" if "?" in page else "?") + urlencode({"next": next_path})
