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

Only the standard library does the cryptography: ``secrets`` for randomness, ``hmac`` with
SHA-256 for signatures, ``hmac.compare_digest`` for every comparison of secret values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, Union
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
    MissingStateError,
    NoSSOForDomainError,
    OAuthFailedError,
    OrganizationInvalidError,
    ProfileNotAllowedOutsideOrganizationError,
    SignInError,
    SignInRedirectUriMismatchError,
    SignInServerError,
    StateExpiredError,
    StateMismatchError,
    StateTamperedError,
    UnexpectedOrganizationError,
    UnsafeReturnToError,
)
from ._models import Connection, ConnectionState, Profile, ProfileAndToken, Provider, Role
from ._pkce import PKCE

if TYPE_CHECKING:
    from ._async import AsyncSSOClient

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

#: How long a sign-in may take, in seconds: WorkOS's authorization codes also live 10 minutes.
DEFAULT_STATE_MAX_AGE = 600
_NONCE_BYTES = 24
_MAX_RETURN_TO_CHARS = 2048
_MAX_STATE_CHARS = 4096
_MAX_DESCRIPTION_CHARS = 500
# Derives a key used for nothing else from the app's secret (often also its cookie-signing key).
_KEY_PURPOSE = b"workos_sso sign-in state v1"

Secret = Union[str, bytes]
Clock = Callable[[], float]

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


# --- return_to ------------------------------------------------------------------------------


def validate_return_to(path: str) -> str:
    """Return ``path`` if it is a same-site relative path, else raise.

    Accepted: ``/``, ``/projects/7?tab=files#top``. Refused: absolute URLs
    (``https://evil.example``), scheme-relative ones (``//evil.example``), paths that do not
    start with ``/``, backslashes (``/\\evil.example`` is ``//evil.example`` to browsers) and
    whitespace or control characters (browsers drop tabs and newlines inside URLs).

    Raises:
        UnsafeReturnToError: the path could send the user to another site.
    """
    if not isinstance(path, str) or not path:
        raise UnsafeReturnToError("return_to must be a non-empty string path.")
    if len(path) > _MAX_RETURN_TO_CHARS:
        raise UnsafeReturnToError(f"return_to is longer than {_MAX_RETURN_TO_CHARS} characters.")
    if not path.startswith("/") or path.startswith("//"):
        raise UnsafeReturnToError("return_to must start with a single '/'.")
    if "\\" in path:
        raise UnsafeReturnToError("return_to must not contain backslashes.")
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in path):
        raise UnsafeReturnToError("return_to must not contain whitespace or control characters.")
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        raise UnsafeReturnToError("return_to must be a path on this site, not a URL.")
    return path


def safe_return_to(path: Optional[str], *, default: str = "/") -> str:
    """``path`` if it is a safe same-site path (see ``validate_return_to``), else ``default``.

    For values taken straight from a request, such as a ``?next=`` parameter.

    Example:
        ```python
        return_to = safe_return_to(request.args.get("next"))
        ```
    """
    validate_return_to(default)
    if path is None:
        return default
    try:
        return validate_return_to(path)
    except UnsafeReturnToError:
        return default


# --- state ----------------------------------------------------------------------------------


@attrs.frozen
class SignInState:
    """A sign-in in progress, as carried by the ``state`` parameter.

    Attributes:
        value: the string to put in the authorization URL and in the user's session.
        nonce: the random part that makes every state unique.
        expires_at: Unix time after which the state is refused.
        return_to: where to send the user once signed in (a same-site path).
        organization: the organization id the sign-in was started for, if any.
        connection: the connection id the sign-in was started for, if any.
        signed: whether ``value`` carries an HMAC-SHA256 signature.
    """

    value: str = attrs.field(repr=False)
    nonce: str = attrs.field(repr=False)
    expires_at: int
    return_to: str = "/"
    organization: Optional[str] = None
    connection: Optional[str] = None
    signed: bool = False


def create_state(
    *,
    return_to: str = "/",
    organization: Optional[str] = None,
    connection: Optional[str] = None,
    secret: Optional[Secret] = None,
    max_age: int = DEFAULT_STATE_MAX_AGE,
    clock: Clock = time.time,
) -> SignInState:
    """Create a fresh state for one sign-in.

    Store ``state.value`` in the user's session and pass it as ``state`` to the authorization
    URL (``start_sign_in`` does both steps but the storing). The value holds the nonce, the
    ``return_to`` path, the organization or connection and the expiry; with a ``secret`` it is
    also signed with HMAC-SHA256, so it cannot be altered even where the session itself is not
    tamper-proof. Without one, equality with the session's copy is what protects it.

    Args:
        return_to: where to send the user after signing in; a same-site path.
        organization: the organization id the sign-in is for; the callback refuses profiles of
            any other organization.
        connection: the connection id the sign-in is for; checked the same way.
        secret: a server-side secret (at least 16 bytes) to sign the state with, such as the
            app's secret key; a key for states only is derived from it.
        max_age: seconds the state stays valid.
        clock: returns the current Unix time; for tests.

    Raises:
        UnsafeReturnToError: ``return_to`` is not a same-site path.
        InvalidParameterError: an empty id, a short secret or a ``max_age`` below 1.
    """
    validate_return_to(return_to)
    for name, value in (("organization", organization), ("connection", connection)):
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidParameterError(f"{name} must be a non-empty string.")
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 1:
        raise InvalidParameterError("max_age must be a whole number of seconds, 1 or more.")
    key = None if secret is None else _state_key(secret)
    nonce = secrets.token_urlsafe(_NONCE_BYTES)
    expires_at = int(clock()) + max_age
    payload: dict[str, Any] = {"n": nonce, "e": expires_at, "r": return_to}
    if organization is not None:
        payload["o"] = organization
    if connection is not None:
        payload["c"] = connection
    encoded = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    value = encoded if key is None else f"{encoded}.{_sign(key, encoded)}"
    return SignInState(
        value=value,
        nonce=nonce,
        expires_at=expires_at,
        return_to=return_to,
        organization=organization,
        connection=connection,
        signed=key is not None,
    )


def verify_state(
    received: Optional[str],
    *,
    expected: Union[str, SignInState, None],
    secret: Optional[Secret] = None,
    clock: Clock = time.time,
) -> SignInState:
    """Check the ``state`` a callback received against the one stored in the user's session.

    Args:
        received: the callback's ``state`` query parameter.
        expected: what the session stored when the sign-in started (``state.value``, or the
            ``SignInState``); ``None`` if the session has none. Remove it from the session
            before calling, so that a state is only ever accepted once.
        secret: the secret the state was signed with; required for signed states.
        clock: returns the current Unix time; for tests.

    Returns:
        The decoded state, with its ``return_to``, ``organization`` and ``connection``.

    Raises:
        MissingStateError: no state in the callback, or none in the session.
        StateTamperedError: the signature does not match (altered, forged, other secret), or
            the value is malformed.
        StateMismatchError: the state is not the one this session started.
        StateExpiredError: the state is older than its ``max_age``.
    """
    if isinstance(expected, SignInState):
        expected = expected.value
    if not received:
        raise MissingStateError("The callback has no state parameter.")
    if not expected:
        raise MissingStateError(
            "This session has no sign-in in progress (the session cookie may have expired, "
            "or the sign-in was started in another browser)."
        )
    if not isinstance(received, str) or len(received) > _MAX_STATE_CHARS:
        raise StateTamperedError("The callback's state is malformed.")
    key = None if secret is None else _state_key(secret)
    encoded, dot, signature = received.partition(".")
    if key is not None:
        if not dot or not hmac.compare_digest(signature.encode(), _sign(key, encoded).encode()):
            raise StateTamperedError("The callback's state does not carry a valid signature.")
    elif dot:
        raise StateTamperedError("The callback's state is signed; pass the secret to verify it.")
    if not hmac.compare_digest(received.encode(), str(expected).encode()):
        raise StateMismatchError("The callback's state is not the one this session started.")
    state = _decode(encoded, value=received, signed=key is not None)
    if clock() >= state.expires_at:
        raise StateExpiredError("The sign-in was started too long ago and its state expired.")
    return state


def _state_key(secret: Secret) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    if not isinstance(raw, bytes) or len(raw) < 16:
        raise InvalidParameterError("secret must be a string or bytes of at least 16 bytes.")
    return hmac.new(raw, _KEY_PURPOSE, hashlib.sha256).digest()


def _sign(key: bytes, encoded: str) -> str:
    return _b64encode(hmac.new(key, encoded.encode(), hashlib.sha256).digest())


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(encoded: str, *, value: str, signed: bool) -> SignInState:
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise StateTamperedError("The callback's state is malformed.") from exc
    if not isinstance(payload, dict):
        raise StateTamperedError("The callback's state is malformed.")
    nonce, expires_at, return_to = payload.get("n"), payload.get("e"), payload.get("r")
    organization, connection = payload.get("o"), payload.get("c")
    if (
        not isinstance(nonce, str)
        or not isinstance(expires_at, int)
        or not isinstance(return_to, str)
        or not all(item is None or isinstance(item, str) for item in (organization, connection))
    ):
        raise StateTamperedError("The callback's state is malformed.")
    return SignInState(
        value=value,
        nonce=nonce,
        expires_at=expires_at,
        return_to=validate_return_to(return_to),
        organization=organization,
        connection=connection,
        signed=signed,
    )


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

        An optional field that is absent reads as ``None``, so records saved by an earlier
        version (before ``name`` was kept) still load.

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
