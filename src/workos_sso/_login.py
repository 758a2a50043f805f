"""The login flow in a web app: start a sign-in, check its callback, keep a small session.

Four pieces, each usable alone:

* ``start_sign_in`` builds the authorization URL together with a ``SignInState``: a
  random, optionally HMAC-signed ``state`` that remembers where the sign-in was started
  (organization or connection), where to send the user afterwards, and until when it is valid.
  Store ``state.value`` in the user's session, then redirect to ``url``.
* ``handle_callback`` takes the callback's query, checks the state against the session,
  turns ``error=...`` into typed exceptions, exchanges the code, and refuses a profile from
  another organization than the one the sign-in was started for.
* ``find_connection_for_email`` routes an email address to its domain's SSO connection.
* ``SessionUser`` is the minimal, JSON-friendly record of who signed in.

The ``state`` and ``return_to`` helpers, and the cryptography, live in ``_state``; they are
re-exported here, so this module's ``__all__`` is every login helper ``workos_sso`` loads on
first use.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Optional, Union
from urllib.parse import parse_qs, urlsplit

import attrs

from ._client import SSOClient
from ._errors import (
    AccessDeniedError,
    AmbiguousConnectionSelectorError,
    CallbackError,
    ConnectionInvalidError,
    ConnectionStrategyInvalidError,
    ConnectionUnlinkedError,
    InvalidConnectionSelectorError,
    InvalidParameterError,
    NoSSOForDomainError,
    OAuthFailedError,
    OrganizationInvalidError,
    ProfileNotAllowedOutsideOrganizationError,
    SignInError,
    SignInRedirectUriMismatchError,
    SignInServerError,
    UnexpectedOrganizationError,
)
from ._models import Connection, ConnectionState, Profile, ProfileAndToken, Provider, Role
from ._pkce import PKCE
from ._state import (
    DEFAULT_STATE_MAX_AGE,
    Clock,
    Secret,
    SignInState,
    create_state,
    safe_return_to,
    validate_return_to,
    verify_state,
)

if TYPE_CHECKING:
    from ._async_client import AsyncSSOClient

__all__ = [
    "DEFAULT_STATE_MAX_AGE",
    "SessionUser",
    "SignInResult",
    "SignInStart",
    "SignInState",
    "create_state",
    "find_connection_for_email",
    "find_connection_for_email_async",
    "handle_callback",
    "handle_callback_async",
    "safe_return_to",
    "start_sign_in",
    "start_sign_in_async",
    "validate_return_to",
    "verify_state",
]

_MAX_DESCRIPTION_CHARS = 500

_SIGN_IN_ERRORS: dict[str, type[SignInError]] = {
    "access_denied": AccessDeniedError,
    "ambiguous_connection_selector": AmbiguousConnectionSelectorError,
    "connection_invalid": ConnectionInvalidError,
    "connection_strategy_invalid": ConnectionStrategyInvalidError,
    "connection_unlinked": ConnectionUnlinkedError,
    "invalid_connection_selector": InvalidConnectionSelectorError,
    "organization_invalid": OrganizationInvalidError,
    "oauth_failed": OAuthFailedError,
    "server_error": SignInServerError,
    "profile_not_allowed_outside_organization": ProfileNotAllowedOutsideOrganizationError,
    "redirect_uri_mismatch": SignInRedirectUriMismatchError,
}


# --- starting a sign-in ---------------------------------------------------------------------


@attrs.frozen
class SignInStart:
    """What ``start_sign_in`` returns: redirect to ``url``, store ``state.value``.

    Attributes:
        url: the authorization URL to redirect the browser to.
        state: the sign-in's state; keep ``state.value`` in the user's session.
        code_verifier: with ``pkce=True``, the PKCE verifier: keep it in the user's session
            too, and pass it to ``handle_callback``. Never put it in ``state`` or a URL: it
            must not travel through the browser. Hidden from ``repr``.
    """

    url: str
    state: SignInState
    code_verifier: Optional[str] = attrs.field(default=None, repr=False)


def start_sign_in(
    sso: SSOClient,
    *,
    redirect_uri: str,
    organization: Optional[str] = None,
    connection: Optional[str] = None,
    email: Optional[str] = None,
    provider: Union[Provider, str, None] = None,
    return_to: str = "/",
    secret: Optional[Secret] = None,
    max_age: int = DEFAULT_STATE_MAX_AGE,
    login_hint: Optional[str] = None,
    domain_hint: Optional[str] = None,
    nonce: Optional[str] = None,
    prompt: Optional[Literal["login"]] = None,
    provider_scopes: Optional[Sequence[str]] = None,
    pkce: bool = False,
    clock: Clock = time.time,
) -> SignInStart:
    """Create a state and the authorization URL for one sign-in, in one call.

    Pass exactly one of ``organization``, ``connection``, ``email`` or ``provider``. With
    ``email`` the domain's connection is looked up (``find_connection_for_email``) and the
    email becomes the ``login_hint``. With ``provider`` (``"GoogleOAuth"``,
    ``"MicrosoftOAuth"``, ``"GitHubOAuth"``, ``"AppleOAuth"``) the user signs in with that
    social provider, with no organization. The state remembers the organization and
    connection, so that ``handle_callback`` can refuse a profile from anywhere else.

    ``login_hint``, ``domain_hint``, ``nonce``, ``prompt`` and ``provider_scopes`` are passed
    on to the authorization URL. With ``pkce=True`` the URL carries a PKCE challenge and
    ``code_verifier`` of the result holds its verifier: keep it in the session with the state
    and pass it to ``handle_callback`` (required for a public client).

    Example:
        In a Flask view:

        ```python
        start = start_sign_in(sso, redirect_uri=REDIRECT_URI, organization=org_id,
                              secret=app.secret_key)
        session["sso_state"] = start.state.value
        return redirect(start.url)
        ```

    Raises:
        NoSSOForDomainError: ``email``'s domain has no active connection; fall back to
            another way to sign in.
        InvalidParameterError: no selector or several, or a malformed email address.
        UnsafeReturnToError: ``return_to`` is not a same-site path.
    """
    _check_one_selector(organization, connection, email, provider)
    if email is not None:
        found = find_connection_for_email(sso, email)
        connection, organization = found.id, found.organization_id
        login_hint = login_hint if login_hint is not None else email.strip()
    return _start(
        sso,
        redirect_uri=redirect_uri,
        organization=organization,
        connection=connection,
        provider=provider,
        return_to=return_to,
        secret=secret,
        max_age=max_age,
        login_hint=login_hint,
        domain_hint=domain_hint,
        nonce=nonce,
        prompt=prompt,
        provider_scopes=provider_scopes,
        pkce=pkce,
        clock=clock,
    )


async def start_sign_in_async(
    sso: AsyncSSOClient,
    *,
    redirect_uri: str,
    organization: Optional[str] = None,
    connection: Optional[str] = None,
    email: Optional[str] = None,
    provider: Union[Provider, str, None] = None,
    return_to: str = "/",
    secret: Optional[Secret] = None,
    max_age: int = DEFAULT_STATE_MAX_AGE,
    login_hint: Optional[str] = None,
    domain_hint: Optional[str] = None,
    nonce: Optional[str] = None,
    prompt: Optional[Literal["login"]] = None,
    provider_scopes: Optional[Sequence[str]] = None,
    pkce: bool = False,
    clock: Clock = time.time,
) -> SignInStart:
    """Create a state and the authorization URL for one sign-in, with an ``AsyncSSOClient``.

    The same as [`start_sign_in`][workos_sso.start_sign_in], with the email lookup awaited.
    """
    _check_one_selector(organization, connection, email, provider)
    if email is not None:
        found = await find_connection_for_email_async(sso, email)
        connection, organization = found.id, found.organization_id
        login_hint = login_hint if login_hint is not None else email.strip()
    return _start(
        sso,
        redirect_uri=redirect_uri,
        organization=organization,
        connection=connection,
        provider=provider,
        return_to=return_to,
        secret=secret,
        max_age=max_age,
        login_hint=login_hint,
        domain_hint=domain_hint,
        nonce=nonce,
        prompt=prompt,
        provider_scopes=provider_scopes,
        pkce=pkce,
        clock=clock,
    )


def _check_one_selector(*selectors: object) -> None:
    if sum(value is not None for value in selectors) != 1:
        raise InvalidParameterError(
            "Pass exactly one of organization, connection, email or provider to start a sign-in."
        )


def _start(
    sso: Union[SSOClient, AsyncSSOClient],
    *,
    redirect_uri: str,
    organization: Optional[str],
    connection: Optional[str],
    provider: Union[Provider, str, None],
    return_to: str,
    secret: Optional[Secret],
    max_age: int,
    login_hint: Optional[str],
    domain_hint: Optional[str],
    nonce: Optional[str],
    prompt: Optional[Literal["login"]],
    provider_scopes: Optional[Sequence[str]],
    pkce: bool,
    clock: Clock,
) -> SignInStart:
    state = create_state(
        return_to=return_to,
        organization=organization,
        connection=connection,
        secret=secret,
        max_age=max_age,
        clock=clock,
    )
    verifier = PKCE.generate() if pkce else None
    # A connection is the narrower selector: with both known, it is the one to use.
    url = sso.get_authorization_url(
        redirect_uri=redirect_uri,
        connection=connection,
        organization=None if connection is not None else organization,
        provider=provider,
        state=state.value,
        login_hint=login_hint,
        domain_hint=domain_hint,
        nonce=nonce,
        prompt=prompt,
        provider_scopes=provider_scopes,
        code_challenge=None if verifier is None else verifier.code_challenge,
    )
    code_verifier = None if verifier is None else verifier.code_verifier
    return SignInStart(url=url, state=state, code_verifier=code_verifier)


def find_connection_for_email(sso: SSOClient, email: str) -> Connection:
    """Find the active SSO connection for an email address's domain.

    Use it to route "sign in with your work email" forms. The domain only chooses where the
    user signs in; who they are and which organization they belong to comes from the profile.

    Raises:
        NoSSOForDomainError: no active connection lists the domain (``error.domain`` says
            which); fall back to another way to sign in.
        InvalidParameterError: ``email`` is not an address with a domain.
    """
    domain = _email_domain(email)
    for connection in sso.list_connections(domain=domain):
        if _serves_domain(connection, domain):
            return connection
    raise _no_sso_for(domain)


async def find_connection_for_email_async(sso: AsyncSSOClient, email: str) -> Connection:
    """Find the active SSO connection for an email address's domain, with an ``AsyncSSOClient``.

    The same as [`find_connection_for_email`][workos_sso.find_connection_for_email].
    """
    domain = _email_domain(email)
    async for connection in sso.list_connections(domain=domain):
        if _serves_domain(connection, domain):
            return connection
    raise _no_sso_for(domain)


def _serves_domain(connection: Connection, domain: str) -> bool:
    return connection.state == ConnectionState.active and any(
        entry.domain.lower() == domain for entry in connection.domains
    )


def _no_sso_for(domain: str) -> NoSSOForDomainError:
    return NoSSOForDomainError(f"No active SSO connection for the domain {domain}.", domain=domain)


def _email_domain(email: str) -> str:
    if not isinstance(email, str):
        raise InvalidParameterError("email must be a string.")
    local, at, domain = email.strip().rpartition("@")
    domain = domain.lower().rstrip(".")
    valid = (
        bool(at and local and domain)
        and "." in domain
        and all(char.isalnum() or char in "-." for char in domain)
    )
    if not valid:
        raise InvalidParameterError("email must be an address such as jane@example.com.")
    return domain


# --- the callback ---------------------------------------------------------------------------


@attrs.frozen
class SignInResult:
    """A completed sign-in: the profile and token, and the state it was started with."""

    profile_and_token: ProfileAndToken
    state: SignInState

    @property
    def profile(self) -> Profile:
        """The signed-in user's profile."""
        return self.profile_and_token.profile

    @property
    def return_to(self) -> str:
        """Where to send the user now: the same-site path given when the sign-in started."""
        return self.state.return_to


Query = Union[str, Mapping[str, Any]]
_URL_WITH_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def handle_callback(
    sso: SSOClient,
    query: Query,
    *,
    expected_state: Union[str, SignInState, None],
    secret: Optional[Secret] = None,
    code_verifier: Optional[str] = None,
    clock: Clock = time.time,
) -> SignInResult:
    """Finish a sign-in from the callback's query.

    In order: an ``error=`` from WorkOS raises its ``SignInError``; a missing code raises
    ``CallbackError``; the state is verified (``verify_state``); the code is exchanged;
    and the profile must belong to the organization (and connection) the state carries.

    Args:
        sso: the client.
        query: the callback URL, its query string, or the framework's query mapping
            (``request.args``, ``request.GET``, ``request.query_params``, a plain dict). Of a
            repeated parameter only the first value counts.
        expected_state: the state stored in the session when the sign-in started; pop it from
            the session first, so it cannot be used twice.
        secret: the secret the state was signed with, if it was.
        code_verifier: the PKCE verifier from ``start_sign_in(..., pkce=True)``, kept in the
            session; required for a public client.
        clock: returns the current Unix time; for tests.

    Raises:
        SignInError: one subclass per documented ``error`` code, or itself for others.
        CallbackError: neither ``code`` nor ``error``.
        StateError: the state is missing, mismatched, tampered with or expired.
        InvalidGrantError: the code expired or was already used; send the user to sign in.
        UnexpectedOrganizationError: the profile is from another organization or connection.
    """
    code, state = _read_callback(query, expected_state=expected_state, secret=secret, clock=clock)
    return _finish_sign_in(state, sso.get_profile_and_token(code, code_verifier=code_verifier))


async def handle_callback_async(
    sso: AsyncSSOClient,
    query: Query,
    *,
    expected_state: Union[str, SignInState, None],
    secret: Optional[Secret] = None,
    code_verifier: Optional[str] = None,
    clock: Clock = time.time,
) -> SignInResult:
    """Finish a sign-in from the callback's query, with an ``AsyncSSOClient``.

    The same checks, in the same order and with the same errors, as
    [`handle_callback`][workos_sso.handle_callback]; only the code exchange is awaited.
    """
    code, state = _read_callback(query, expected_state=expected_state, secret=secret, clock=clock)
    result = await sso.get_profile_and_token(code, code_verifier=code_verifier)
    return _finish_sign_in(state, result)


def _read_callback(
    query: Query,
    *,
    expected_state: Union[str, SignInState, None],
    secret: Optional[Secret],
    clock: Clock,
) -> tuple[str, SignInState]:
    """The code to exchange and the verified state, or the error the callback carries."""
    params = _first_values(query)
    error = params.get("error")
    if error:
        description = params.get("error_description")
        error_class = _SIGN_IN_ERRORS.get(error, SignInError)
        message = f"Sign-in failed with error {_printable(error)}"
        if description:
            message += f": {_printable(description)}"
        raise error_class(
            message + ".", error=error, error_description=description, state=params.get("state")
        )
    code = params.get("code")
    if not code:
        raise CallbackError("The callback has neither a code nor an error.")
    state = verify_state(params.get("state"), expected=expected_state, secret=secret, clock=clock)
    return code, state


def _finish_sign_in(state: SignInState, result: ProfileAndToken) -> SignInResult:
    """Refuse a profile from another organization or connection than the state names."""
    profile = result.profile
    for selector, expected, actual in (
        ("organization", state.organization, profile.organization_id),
        ("connection", state.connection, profile.connection_id),
    ):
        if expected is not None and (actual is None or not hmac.compare_digest(expected, actual)):
            raise UnexpectedOrganizationError(
                f"The sign-in was started for {selector} {expected}, but the profile belongs to "
                f"{selector} {actual}.",
                expected=expected,
                actual=actual,
                selector=selector,
            )
    return SignInResult(profile_and_token=result, state=state)


def _first_values(query: Query) -> dict[str, str]:
    if isinstance(query, str):
        text = query.strip().split("#", 1)[0]
        # A "?" is legal inside a query value ("error_description=Why?"), so its presence does
        # not make the text a URL; only a scheme or a leading "/" does.
        if _URL_WITH_SCHEME.match(text) or text.startswith("/"):
            text = urlsplit(text).query
        elif text.startswith("?"):
            text = text[1:]
        return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}
    if not isinstance(query, Mapping):
        raise InvalidParameterError("query must be a URL, a query string or a mapping.")
    getlist = getattr(query, "getlist", None)
    params: dict[str, str] = {}
    for key in query:
        # Django's QueryDict and Starlette's QueryParams return the *last* value for [key];
        # getlist() gives every value in order on them and on Werkzeug's MultiDict.
        value: Any = getlist(key) if callable(getlist) else query[key]
        if isinstance(value, (list, tuple)):
            value = value[0] if value else ""
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            params[str(key)] = value
    return params


def _printable(text: str) -> str:
    # error and error_description come from the URL, so anyone can write them; keep them from
    # forging log lines.
    cleaned = "".join(char if char.isprintable() else "?" for char in text)
    if len(cleaned) > _MAX_DESCRIPTION_CHARS:
        cleaned = cleaned[:_MAX_DESCRIPTION_CHARS] + "..."
    return cleaned


# --- session --------------------------------------------------------------------------------


@attrs.frozen
class SessionUser:
    """The minimal record of a signed-in user to keep in a session.

    Only identifiers, the email, the names and the role slug: never the raw or custom
    attributes, which may hold personal data the app does not need, nor any token.
    ``to_dict()`` is JSON-serialisable; ``from_dict()`` reads it back.
    """

    id: str
    email: str
    connection_id: str
    organization_id: Optional[str] = None
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    role: Optional[str] = None
    #: The full name as the identity provider sends it (some send only this, not the parts).
    name: Optional[str] = None

    @classmethod
    def from_profile(cls, profile: Profile) -> SessionUser:
        """The session record for a profile (from ``handle_callback`` or the client)."""
        return cls(
            id=profile.id,
            email=profile.email,
            connection_id=profile.connection_id,
            organization_id=profile.organization_id,
            first_name=profile.first_name,
            last_name=profile.last_name,
            role=profile.role.slug if isinstance(profile.role, Role) else None,
            name=profile.name,
        )

    def to_dict(self) -> dict[str, Optional[str]]:
        """A plain dict of strings (and ``None``), for a session or ``json.dumps``."""
        return {
            "id": self.id,
            "email": self.email,
            "connection_id": self.connection_id,
            "organization_id": self.organization_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "role": self.role,
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionUser:
        """Read back a record made by ``to_dict``; unknown keys are ignored.

        An optional field that is absent reads as ``None``, so a record that lacks one
        (``name``, say) still loads.

        Raises:
            InvalidParameterError: a required field is missing, or a field is not a string.
        """
        if not isinstance(data, Mapping):
            raise InvalidParameterError("A session user must be a mapping.")
        values: dict[str, Optional[str]] = {}
        for field in attrs.fields(cls):
            value = data.get(field.name)
            required = field.default is attrs.NOTHING
            if (value is None and required) or (value is not None and not isinstance(value, str)):
                raise InvalidParameterError(
                    f"The session user's {field.name} must be a string"
                    + (" and is required." if required else " or null.")
                )
            values[field.name] = value
        return cls(**values)  # type: ignore[arg-type]
