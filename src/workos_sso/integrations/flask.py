"""Sign-in with WorkOS SSO for Flask: an extension that adds the routes, a decorator and a user.

```python
from flask import Flask
from workos_sso.integrations.flask import WorkOSSSO, current_user, login_required

app = Flask(__name__)
app.config.from_prefixed_env()  # WORKOS_API_KEY, WORKOS_CLIENT_ID, WORKOS_REDIRECT_URI, ...
sso = WorkOSSSO(app)
```

The extension registers a blueprint named ``workos_sso`` with four routes:

* ``GET /login`` starts a sign-in: ``?organization=``, ``?connection=`` or ``?provider=`` (else
  ``WORKOS_ORGANIZATION_ID``), and ``?next=`` for where to go afterwards (same-site paths only).
* ``POST /login/email`` starts a sign-in from a form's ``email`` field, at the connection of the
  address's domain.
* ``GET <the path of WORKOS_REDIRECT_URI>`` finishes it: checks the single-use state, refuses a
  profile from another organization, runs the app's ``on_sign_in`` hook, and starts a fresh
  session for the signed-in user.
* ``POST /logout`` signs out, at the identity provider too where WorkOS can.

Every refused sign-in ends on the sign-in page (``WORKOS_SSO_SIGN_IN_PAGE``, ``/`` by default)
with a short message, flashed in the ``workos_sso`` category.

Importing this module imports Flask; ``import workos_sso`` does not.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Mapping
from typing import Any, Callable, Optional, TypeVar, Union, cast
from urllib.parse import urlencode, urlsplit

import attrs
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
)
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from .._client import SSOClient
from .._config import is_loopback
from .._errors import (
    ConfigurationError,
    InvalidGrantError,
    InvalidParameterError,
    NoSSOForDomainError,
    SignInError,
    StateError,
    UnexpectedOrganizationError,
    UnsafeReturnToError,
    WorkOSError,
)
from .._login import (
    SessionUser,
    SignInResult,
    handle_callback,
    safe_return_to,
    start_sign_in,
    validate_return_to,
)

__all__ = [
    "EXPIRED",
    "FLASH_CATEGORY",
    "SESSION_STATE_KEY",
    "SESSION_USER_KEY",
    "WRONG_ORGANIZATION",
    "SignInHook",
    "SignInRefused",
    "WorkOSSSO",
    "current_user",
    "get_current_user",
    "login_required",
]

#: Where the signed-in user is kept in Flask's session: ``SessionUser.to_dict()``.
SESSION_USER_KEY = "workos_sso.user"
#: Where the state of a sign-in in progress is kept in Flask's session, until its callback.
SESSION_STATE_KEY = "workos_sso.state"
#: The category of the messages the extension flashes (``get_flashed_messages``).
FLASH_CATEGORY = "workos_sso"

#: The message for a callback with a missing, spent, altered or expired state or code.
EXPIRED = "Your sign-in expired or was already used. Please sign in again."
#: The message for a profile from another organization than the sign-in was started for.
WRONG_ORGANIZATION = "That account belongs to another organization. Please sign in again."
_REFUSED = "You cannot sign in to this site with that account."
_FAILED = "Sign-in failed. Please try again."
_NO_SELECTOR = "Choose an organization, or sign in with your work email."
_BAD_EMAIL = "Enter a work email address such as jane@example.com."

F = TypeVar("F", bound=Callable[..., Any])
#: The ``on_sign_in`` hook: the completed sign-in in, the session's user (or ``None`` for
#: ``SessionUser.from_profile(result.profile)``) out; raise ``SignInRefused`` to refuse.
SignInHook = Callable[[SignInResult], Optional[SessionUser]]


class SignInRefused(WorkOSError):
    """Raise it in an ``on_sign_in`` hook to refuse a sign-in WorkOS completed.

    For example for an organization the app has no tenant for, or a user it has disabled. The
    user lands on the sign-in page with ``message`` (keep it short and free of secrets); the
    session stays signed out.
    """

    def __init__(self, message: str = _REFUSED) -> None:
        super().__init__(message)
        self.message = message


@attrs.frozen
class _Settings:
    redirect_uri: str
    callback_path: str
    organization: Optional[str]
    sign_in_page: str
    after_sign_out: str


@attrs.frozen
class _AppState:
    extension: WorkOSSSO
    client: SSOClient
    settings: _Settings


class WorkOSSSO:
    """The Flask extension: ``WorkOSSSO(app)``, or ``sso = WorkOSSSO()`` then ``init_app(app)``.

    Settings, read from ``app.config`` by ``init_app``:

    * ``WORKOS_API_KEY`` and ``WORKOS_CLIENT_ID`` (required unless ``client`` is given),
      ``WORKOS_BASE_URL`` (optional: the emulator in development).
    * ``WORKOS_REDIRECT_URI`` (required): the callback URL registered at WorkOS; its path is the
      callback route's. Plain HTTP only on localhost.
    * ``WORKOS_ORGANIZATION_ID`` (optional): the organization ``/login`` signs in to when the
      query names none.
    * ``WORKOS_SSO_SIGN_IN_PAGE`` (``"/"``): where refused sign-ins land, with a flashed message.
    * ``WORKOS_SSO_AFTER_SIGN_OUT`` (``"/"``): where sign-out lands when the identity provider's
      session cannot be ended too.
    * ``SECRET_KEY`` (required, 16 bytes or more): signs Flask's session and the sign-in state.

    ``init_app`` also makes the session cookie ``HttpOnly`` and ``SameSite=Lax``, and ``Secure``
    unless ``WORKOS_REDIRECT_URI`` is plain-HTTP localhost, wherever the app left Flask's default.

    Args:
        app: the app to set up now; leave it out and call ``init_app`` later.
        url_prefix: put the sign-in and sign-out routes under this path (``"/auth"``: the
            routes become ``/auth/login`` ...); the callback's path is always
            ``WORKOS_REDIRECT_URI``'s.
        on_sign_in: the hook for completed sign-ins (see ``on_sign_in``).
        client: an ``SSOClient`` to use instead of one made from the ``WORKOS_*`` settings:
            for other timeouts, a ``requests.Session`` of the app's, or tests.

    Raises:
        ConfigurationError: a setting is missing or malformed; the message names it.
    """

    def __init__(
        self,
        app: Optional[Flask] = None,
        *,
        url_prefix: str = "",
        on_sign_in: Optional[SignInHook] = None,
        client: Optional[SSOClient] = None,
    ) -> None:
        if not isinstance(url_prefix, str) or (
            url_prefix and (not url_prefix.startswith("/") or url_prefix.endswith("/"))
        ):
            raise ConfigurationError(
                "url_prefix must be empty or a path such as '/auth' (no trailing slash)."
            )
        self.url_prefix = url_prefix
        self._on_sign_in = on_sign_in
        self._client = client
        self._states: weakref.WeakKeyDictionary[Flask, _AppState] = weakref.WeakKeyDictionary()
        if app is not None:
            self.init_app(app)

    def on_sign_in(self, hook: SignInHook) -> SignInHook:
        """Register the hook that runs after WorkOS completed a sign-in; usable as a decorator.

        The hook gets the [`SignInResult`][workos_sso.SignInResult] (``result.profile``,
        ``result.return_to``) once the state, the code and the organization are checked, in the
        new session (anything it puts in ``session`` stays with the signed-in user). It maps
        the profile to the app's own user and tenant, and returns the ``SessionUser`` to keep
        (or ``None`` for ``SessionUser.from_profile(result.profile)``), or raises
        ``SignInRefused("message")`` to refuse the sign-in.

        Example:
            ```python
            @sso.on_sign_in
            def check_tenant(result):
                tenant = TENANTS.get(result.profile.organization_id)
                if tenant is None:
                    raise SignInRefused("Your organization has no account here.")
                session["tenant"] = tenant
                return None
            ```
        """
        self._on_sign_in = hook
        return hook

    @property
    def client(self) -> SSOClient:
        """The current app's ``SSOClient`` (inside a request or app context)."""
        return _state().client

    def init_app(self, app: Flask) -> None:
        """Read the settings from ``app.config``, register the routes, secure the cookie.

        Raises:
            ConfigurationError: a setting is missing or malformed; the message names it.
        """
        config = app.config
        settings = _read_settings(config)
        _check_secret_key(app)
        _secure_session_cookie(app, settings.redirect_uri)
        # Last: the client holds a connection pool, which a refused setting must not leave open.
        client = self._client if self._client is not None else _client_from(config)
        self._states[app] = _AppState(extension=self, client=client, settings=settings)
        app.extensions["workos_sso"] = self
        app.register_blueprint(self._blueprint(settings))
        app.context_processor(lambda: {"current_user": get_current_user()})

    def _blueprint(self, settings: _Settings) -> Blueprint:
        blueprint = Blueprint("workos_sso", __name__)
        prefix = self.url_prefix
        blueprint.add_url_rule(f"{prefix}/login", "login", _login, methods=["GET"])
        blueprint.add_url_rule(
            f"{prefix}/login/email", "login_email", _login_email, methods=["POST"]
        )
        blueprint.add_url_rule(settings.callback_path, "callback", _callback, methods=["GET"])
        blueprint.add_url_rule(f"{prefix}/logout", "logout", _logout, methods=["POST"])
        return blueprint

    def _state_for(self, app: Flask) -> _AppState:
        try:
            return self._states[app]
        except KeyError:
            raise RuntimeError("WorkOSSSO.init_app(app) was not called for this app.") from None


# --- settings -------------------------------------------------------------------------------


def _setting(config: Mapping[str, Any], key: str, *, required: bool) -> Optional[str]:
    value = config.get(key)
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise ConfigurationError(f"Set app.config[{key!r}] for workos_sso.")
        return None
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise ConfigurationError(
            f"app.config[{key!r}] must be a non-empty string without surrounding spaces."
        )
    return value


def _path_setting(config: Mapping[str, Any], key: str) -> str:
    value = _setting(config, key, required=False) or "/"
    try:
        return validate_return_to(value)
    except UnsafeReturnToError as error:
        raise ConfigurationError(f"app.config[{key!r}]: {error}") from None


def _read_settings(config: Mapping[str, Any]) -> _Settings:
    redirect_uri = cast(str, _setting(config, "WORKOS_REDIRECT_URI", required=True))
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            "app.config['WORKOS_REDIRECT_URI'] must be an absolute URL such as "
            "https://app.example.com/callback."
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            "app.config['WORKOS_REDIRECT_URI'] must use https except for localhost."
        )
    if parts.path in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(
            "app.config['WORKOS_REDIRECT_URI'] must name the callback's path, such as "
            "/callback, and have no query or fragment."
        )
    return _Settings(
        redirect_uri=redirect_uri,
        callback_path=parts.path,
        organization=_setting(config, "WORKOS_ORGANIZATION_ID", required=False),
        sign_in_page=_path_setting(config, "WORKOS_SSO_SIGN_IN_PAGE"),
        after_sign_out=_path_setting(config, "WORKOS_SSO_AFTER_SIGN_OUT"),
    )


def _check_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY")
    raw = key.encode() if isinstance(key, str) else key
    if not isinstance(raw, bytes) or len(raw) < 16:
        raise ConfigurationError(
            "Set app.config['SECRET_KEY'] (app.secret_key) to a random value of 16 bytes or "
            "more: it signs the session and the sign-in state."
        )


def _client_from(config: Mapping[str, Any]) -> SSOClient:
    api_key = cast(str, _setting(config, "WORKOS_API_KEY", required=True))
    client_id = cast(str, _setting(config, "WORKOS_CLIENT_ID", required=True))
    base_url = _setting(config, "WORKOS_BASE_URL", required=False)
    try:
        if base_url is None:
            return SSOClient(api_key=api_key, client_id=client_id)
        return SSOClient(api_key=api_key, client_id=client_id, base_url=base_url)
    except ConfigurationError as error:
        # The client's message names the variable, which is also the config key.
        raise ConfigurationError(f"app.config: {error}") from None


def _secure_session_cookie(app: Flask, redirect_uri: str) -> None:
    """HttpOnly, SameSite=Lax, Secure except on plain-HTTP localhost: where Flask's default is."""
    parts = urlsplit(redirect_uri)
    local = parts.scheme == "http" and is_loopback(parts.hostname or "")
    wanted = {
        "SESSION_COOKIE_HTTPONLY": True,
        # Lax: the cookie comes along on the top-level redirect back from the identity provider.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not local,
    }
    for key, value in wanted.items():
        if app.config.get(key) == Flask.default_config.get(key):
            app.config[key] = value
    samesite = app.config.get("SESSION_COOKIE_SAMESITE")
    if isinstance(samesite, str) and samesite.lower() == "strict":
        raise ConfigurationError(
            "app.config['SESSION_COOKIE_SAMESITE'] = 'Strict' keeps the session cookie off the "
            "redirect back from the identity provider, so no sign-in could finish: use 'Lax'."
        )


# --- the current user -----------------------------------------------------------------------


def get_current_user() -> Optional[SessionUser]:
    """The signed-in user of this request's session, or ``None``."""
    data = session.get(SESSION_USER_KEY)
    if not isinstance(data, Mapping):
        return None
    try:
        return SessionUser.from_dict(data)
    except InvalidParameterError:
        return None


#: The signed-in user, a proxy for ``get_current_user()``: false when nobody is signed in
#: (test it with ``if current_user:``, never ``is None``). Also in every template's context.
current_user: Any = LocalProxy(get_current_user)


def login_required(view: F) -> F:
    """Let only signed-in users into a view; send anyone else to sign in, then back.

    A browser is redirected to the ``/login`` route with ``?next=`` the page it asked for; a
    request that asks for JSON only gets ``401 Unauthorized``.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if get_current_user() is not None:
            return view(*args, **kwargs)
        accepted = request.accept_mimetypes
        if accepted.accept_json and not accepted.accept_html:
            abort(401)
        wanted = request.path
        if request.query_string:
            wanted += "?" + request.query_string.decode("latin-1")
        login = f"{_state().extension.url_prefix}/login?{urlencode({'next': wanted})}"
        return redirect(login)

    return cast(F, wrapper)


# --- the views ------------------------------------------------------------------------------


def _state() -> _AppState:
    extension = current_app.extensions.get("workos_sso")
    if not isinstance(extension, WorkOSSSO):
        raise RuntimeError("WorkOSSSO(app) or init_app(app) was not called for this app.")
    return extension._state_for(cast(Flask, current_app._get_current_object()))  # type: ignore[attr-defined]


def _back_to_sign_in(message: str, *, return_to: Optional[str] = None) -> Response:
    session.clear()
    flash(message, FLASH_CATEGORY)
    page = _state().settings.sign_in_page
    if return_to is not None and return_to != "/":
        # The sign-in page's links and forms can pass it on as next.
        page += ("&" if "?" in page else "?") + urlencode({"next": return_to})
    return redirect(page)


def _secret() -> Union[str, bytes]:
    return cast(Union[str, bytes], current_app.config["SECRET_KEY"])


def _login() -> Response:
    state = _state()
    selectors = {
        name: request.args.get(name) or None for name in ("organization", "connection", "provider")
    }
    if not any(selectors.values()):
        if state.settings.organization is None:
            # Nothing says where to sign in: the sign-in page asks, keeping next.
            return _back_to_sign_in(
                _NO_SELECTOR, return_to=safe_return_to(request.args.get("next"))
            )
        selectors["organization"] = state.settings.organization
    try:
        start = start_sign_in(
            state.client,
            redirect_uri=state.settings.redirect_uri,
            organization=selectors["organization"],
            connection=selectors["connection"],
            provider=selectors["provider"],
            return_to=safe_return_to(request.args.get("next")),
            secret=_secret(),
        )
    except InvalidParameterError:
        return _back_to_sign_in("Choose one organization, connection or provider to sign in.")
    session[SESSION_STATE_KEY] = start.state.value
    return redirect(start.url)


def _login_email() -> Response:
    state = _state()
    try:
        start = start_sign_in(
            state.client,
            redirect_uri=state.settings.redirect_uri,
            email=request.form.get("email", ""),
            return_to=safe_return_to(request.form.get("next")),
            secret=_secret(),
        )
    except NoSSOForDomainError as error:
        return _back_to_sign_in(f"{error.domain} does not use single sign-on here.")
    except InvalidParameterError:
        return _back_to_sign_in(_BAD_EMAIL)
    except WorkOSError as error:
        current_app.logger.warning("SSO sign-in could not start: %s", error)
        return _back_to_sign_in(_FAILED)
    session[SESSION_STATE_KEY] = start.state.value
    return redirect(start.url)


def _callback() -> Response:
    state = _state()
    try:
        result = handle_callback(
            state.client,
            request.args,
            # Popped, so this state is good for one callback only.
            expected_state=session.pop(SESSION_STATE_KEY, None),
            secret=_secret(),
        )
    except (StateError, InvalidGrantError):
        return _back_to_sign_in(EXPIRED)
    except UnexpectedOrganizationError:
        return _back_to_sign_in(WRONG_ORGANIZATION)
    except SignInError as error:
        current_app.logger.warning("SSO sign-in failed: %s", error)
        return _back_to_sign_in(f"Sign-in failed ({error.error}). Please try again.")
    except WorkOSError as error:
        current_app.logger.warning("SSO callback refused: %s", error)
        return _back_to_sign_in(_FAILED)
    _new_session()
    hook = state.extension._on_sign_in
    try:
        user = hook(result) if hook is not None else None
    except SignInRefused as refusal:
        current_app.logger.info("SSO sign-in refused by the app: %s", refusal.message)
        return _back_to_sign_in(refusal.message)
    if user is None:
        user = SessionUser.from_profile(result.profile)
    session[SESSION_USER_KEY] = user.to_dict()
    return redirect(result.return_to)


def _new_session() -> None:
    """A fresh session for the signed-in user, against session fixation."""
    session.clear()
    # Server-side sessions (Flask-Session) also need a new id; a cookie session has none.
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if callable(regenerate):
        regenerate(session)


def _logout() -> Response:
    state = _state()
    user = get_current_user()
    session.clear()
    if user is None:
        return redirect(state.settings.after_sign_out)
    try:
        # Ends the identity provider's session too, not just ours.
        logout = state.client.authorize_logout(profile_id=user.id)
    except WorkOSError as error:
        current_app.logger.info("SSO sign-out stayed local: %s", error)
        return redirect(state.settings.after_sign_out)
    return redirect(logout.logout_url)
