"""Sign-in with WorkOS SSO for Flask: an extension that adds the routes, a decorator and a user.

```python
from flask import Flask
from workos_sso.integrations.flask import WorkOSSSO, current_user, login_required

app = Flask(__name__)
app.config.from_prefixed_env()  # SECRET_KEY, WORKOS_REDIRECT_URI, WORKOS_ALLOWED_ORGANIZATIONS...
sso = WorkOSSSO(app)
```

The extension registers a blueprint named ``workos_sso`` with ``GET /login``,
``POST /login/email``, ``GET <the path of WORKOS_REDIRECT_URI>`` and ``POST /logout``. What they
decide (the policy, the checks of a callback, the messages, what the session keeps) is the
shared flow of ``workos_sso.integrations``; this module only moves Flask's requests, session and
responses. A refused sign-in ends on the sign-in page with a message flashed in the
``workos_sso`` category, and leaves an established session as it was.

Importing this module imports Flask; ``import workos_sso`` does not.
"""

from __future__ import annotations

import functools
import os
import weakref
from collections.abc import Mapping
from typing import Any, Callable, Optional, TypeVar, cast
from urllib.parse import urlsplit

import attrs
from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Request, Response

from .._client import SSOClient
from .._config import check_redirect_uri, is_local_development
from .._errors import ConfigurationError, SignInRefused
from .._login import SessionUser, SignInResult
from .._models import AccessTokenClaims
from ._bearer import BearerRefusal, check_bearer
from ._drive import run
from ._flow import (
    AcceptSignIn,
    Effect,
    EndSession,
    Redirect,
    SignInFlow,
    StartSession,
    Steps,
    with_next,
)
from ._policy import SignInPolicy, check_secret_key, check_site_path

__all__ = [
    "FLASH_CATEGORY",
    "SignInHook",
    "SignInRefused",
    "WorkOSSSO",
    "access_token_claims",
    "access_token_required",
    "current_user",
    "get_current_user",
    "login_required",
]

#: The category of the messages the extension flashes (``get_flashed_messages``).
FLASH_CATEGORY = "workos_sso"

F = TypeVar("F", bound=Callable[..., Any])
#: ``on_sign_in(request, result)``: the ``SessionUser`` to keep, ``None`` for the profile's, or
#: raise ``SignInRefused("a sentence for the user")``.
SignInHook = Callable[[Request, SignInResult], Optional[SessionUser]]

# Read from app.config, else from the environment (the quickstart exports them).
_FROM_ENVIRONMENT = (
    "WORKOS_API_KEY",
    "WORKOS_CLIENT_ID",
    "WORKOS_BASE_URL",
    "WORKOS_REDIRECT_URI",
    "WORKOS_ORGANIZATION_ID",
)


@attrs.frozen
class _AppState:
    extension: WorkOSSSO
    client: SSOClient
    flow: SignInFlow
    callback_path: str


class WorkOSSSO:
    """The Flask extension: ``WorkOSSSO(app)``, or ``sso = WorkOSSSO()`` then ``init_app(app)``.

    Settings, read from ``app.config`` by ``init_app`` (those named ``WORKOS_*`` in the first
    two rows also from the environment); docs/integrations/flask.md has the table:

    * ``WORKOS_API_KEY``, ``WORKOS_CLIENT_ID`` (unless ``client`` is given), ``WORKOS_BASE_URL``.
    * ``WORKOS_REDIRECT_URI`` (required), ``WORKOS_ORGANIZATION_ID`` (the default organization).
    * ``WORKOS_ALLOWED_ORGANIZATIONS``: organization ids, or ``"*"``; unset, only
      ``WORKOS_ORGANIZATION_ID`` (or, without it, every organization, with a warning).
    * ``WORKOS_ALLOWED_PROVIDERS``: social providers allowed (none by default).
    * ``WORKOS_SSO_PKCE`` (``False``), ``WORKOS_SSO_SIGN_IN_PAGE`` and
      ``WORKOS_SSO_AFTER_SIGN_OUT`` (``"/"``).
    * ``SECRET_KEY`` (required): signs the session and each sign-in's state.

    Args:
        app: the app to set up now; leave it out and call ``init_app`` later.
        url_prefix: put ``/login`` and ``/logout`` under this path (``"/auth"``); the
            callback's path is always ``WORKOS_REDIRECT_URI``'s.
        on_sign_in: the hook for completed sign-ins (see ``on_sign_in``).
        client: an ``SSOClient`` to use instead of one made from the settings.

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
        """Register the hook that runs after a sign-in passed every check; usable as a decorator.

        It gets the request and the [`SignInResult`][workos_sso.SignInResult], before the new
        session starts, and returns the ``SessionUser`` to keep (or ``None`` for the
        profile's), or raises ``SignInRefused("message")``; a refusal leaves the session as it
        was.
        """
        self._on_sign_in = hook
        return hook

    @property
    def client(self) -> SSOClient:
        """The current app's ``SSOClient`` (inside a request or app context)."""
        return _state().client

    def init_app(self, app: Flask) -> None:
        """Read and check the settings, register the routes, secure the session cookie.

        Raises:
            ConfigurationError: a setting is missing or malformed; the message names it.
        """
        config = _Config(app.config)
        redirect_uri = check_redirect_uri(
            config.text("WORKOS_REDIRECT_URI", required=True),
            setting="app.config['WORKOS_REDIRECT_URI']",
        )
        secret = check_secret_key(
            app.config.get("SECRET_KEY"),
            redirect_uri=redirect_uri,
            setting="app.config['SECRET_KEY']",
        )
        _check_session_interface(app)
        _secure_session_cookie(app, redirect_uri)
        policy = SignInPolicy.from_settings(
            allowed_organizations=app.config.get("WORKOS_ALLOWED_ORGANIZATIONS"),
            allowed_providers=app.config.get("WORKOS_ALLOWED_PROVIDERS"),
            default_organization=config.text("WORKOS_ORGANIZATION_ID"),
            organizations_setting="app.config['WORKOS_ALLOWED_ORGANIZATIONS']",
            providers_setting="app.config['WORKOS_ALLOWED_PROVIDERS']",
            default_setting="app.config['WORKOS_ORGANIZATION_ID']",
        )
        pages = {
            name: check_site_path(config.text(name) or "/", setting=f"app.config[{name!r}]")
            for name in ("WORKOS_SSO_SIGN_IN_PAGE", "WORKOS_SSO_AFTER_SIGN_OUT")
        }
        pkce = app.config.get("WORKOS_SSO_PKCE", False)
        if not isinstance(pkce, bool):
            raise ConfigurationError("app.config['WORKOS_SSO_PKCE'] must be True or False.")
        # Last: the client holds a connection pool, which a refused setting must not leave open.
        client = self._client if self._client is not None else config.client()
        flow = SignInFlow(
            client=client,
            redirect_uri=redirect_uri,
            secret=secret,
            policy=policy,
            sign_in_page=pages["WORKOS_SSO_SIGN_IN_PAGE"],
            after_sign_out=pages["WORKOS_SSO_AFTER_SIGN_OUT"],
            pkce=pkce,
        )
        self._states[app] = _AppState(
            extension=self, client=client, flow=flow, callback_path=urlsplit(redirect_uri).path
        )
        app.extensions["workos_sso"] = self
        self._add_routes(app)
        app.context_processor(lambda: {"current_user": get_current_user()})

    def _add_routes(self, app: Flask) -> None:
        blueprint = Blueprint("workos_sso", __name__)
        prefix = self.url_prefix
        add = blueprint.add_url_rule
        add(f"{prefix}/login", "login", _login, methods=["GET"])
        add(f"{prefix}/login/email", "login_email", _login_email, methods=["POST"])
        add(self._states[app].callback_path, "callback", _callback, methods=["GET"])
        add(f"{prefix}/logout", "logout", _logout, methods=["POST"])
        app.register_blueprint(blueprint)

    def _state_for(self, app: Flask) -> _AppState:
        try:
            return self._states[app]
        except KeyError:
            raise RuntimeError("WorkOSSSO.init_app(app) was not called for this app.") from None


# --- settings -------------------------------------------------------------------------------


@attrs.frozen
class _Config:
    """``app.config``, falling back to the environment for the ``WORKOS_*`` connection settings."""

    config: Mapping[str, Any]

    def text(self, key: str, *, required: bool = False) -> Optional[str]:
        value = self.config.get(key)
        if value is None and key in _FROM_ENVIRONMENT:
            value = os.environ.get(key) or None
        if value is None or (isinstance(value, str) and not value.strip() and not required):
            if required:
                raise ConfigurationError(
                    f"Set app.config[{key!r}] (or the environment variable {key})."
                )
            return None
        if not isinstance(value, str) or not value.strip() or value != value.strip():
            raise ConfigurationError(
                f"app.config[{key!r}] must be a non-empty string without surrounding spaces."
            )
        return value

    def client(self) -> SSOClient:
        api_key = cast(str, self.text("WORKOS_API_KEY", required=True))
        client_id = cast(str, self.text("WORKOS_CLIENT_ID", required=True))
        base_url = self.text("WORKOS_BASE_URL")
        try:
            if base_url is None:
                return SSOClient(api_key=api_key, client_id=client_id)
            return SSOClient(api_key=api_key, client_id=client_id, base_url=base_url)
        except ConfigurationError as error:
            # The client's message names the variable, which is also the config key.
            raise ConfigurationError(f"app.config: {error}") from None


def _check_session_interface(app: Flask) -> None:
    """Sign-in must start a session under a new id: a cookie session, or one that regenerates."""
    interface = app.session_interface
    if isinstance(interface, SecureCookieSessionInterface):
        return  # the cookie is the session: a new one replaces it whole
    if not callable(getattr(interface, "regenerate", None)):
        raise ConfigurationError(
            f"{type(interface).__name__} cannot give a session a new id at sign-in, so a "
            "session id planted before sign-in would stay valid after it (session fixation). "
            "Use Flask's cookie sessions, or Flask-Session 0.6 or later (its regenerate())."
        )


def _secure_session_cookie(app: Flask, redirect_uri: str) -> None:
    """HttpOnly, SameSite=Lax, Secure except on plain-HTTP localhost: where Flask's default is."""
    wanted = {
        "SESSION_COOKIE_HTTPONLY": True,
        # Lax: the cookie comes along on the top-level redirect back from the identity provider.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not is_local_development(redirect_uri),
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
    return SignInFlow.current_user(session)


#: The signed-in user, a proxy for ``get_current_user()``: false when nobody is signed in
#: (test it with ``if current_user:``, never ``is None``). Also in every template's context.
current_user: Any = LocalProxy(get_current_user)


def login_required(view: F) -> F:
    """Let only signed-in users into a view; send anyone else to sign in, then back.

    A browser is redirected to ``/login`` with ``?next=`` the page it asked for; a request
    that asks for JSON only gets ``401 Unauthorized``.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if get_current_user() is not None:
            return view(*args, **kwargs)
        accepted = request.accept_mimetypes
        if accepted.accept_json and not accepted.accept_html:
            abort(401)
        wanted = request.full_path if request.query_string else request.path
        return redirect(with_next(f"{_state().extension.url_prefix}/login", wanted))

    return cast(F, wrapper)


_CLAIMS_KEY = "workos_sso_access_token_claims"


def access_token_required(view: F) -> F:
    """Let into a view of a JSON API only requests with a good WorkOS access token.

    Reads ``Authorization: Bearer <token>``, checks it offline with
    [`verify_access_token`][workos_sso.SSOClient.verify_access_token] and the app's
    ``WORKOS_ALLOWED_ORGANIZATIONS``, and gives the view the claims through
    [`access_token_claims`][workos_sso.integrations.flask.access_token_claims]. Any refusal is
    ``401`` with ``WWW-Authenticate: Bearer error="invalid_token"`` and no detail; a key set
    that cannot be fetched, ``503``. Needs the ``jwt`` extra.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state = _state()
        checked = check_bearer(
            state.client, request.headers.get("Authorization"), state.flow.policy
        )
        if isinstance(checked, BearerRefusal):
            return Response(status=checked.status, headers=dict(checked.headers))
        setattr(g, _CLAIMS_KEY, checked)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def access_token_claims() -> AccessTokenClaims:
    """The claims of this request's access token, in a view under ``access_token_required``.

    Raises:
        RuntimeError: the view is not decorated with ``access_token_required``.
    """
    claims = g.get(_CLAIMS_KEY)
    if not isinstance(claims, AccessTokenClaims):
        raise RuntimeError("access_token_claims() is for views under @access_token_required.")
    return claims


# --- the views: the flow's routes, in Flask's terms -----------------------------------------


def _state() -> _AppState:
    extension = current_app.extensions.get("workos_sso")
    if not isinstance(extension, WorkOSSSO):
        raise RuntimeError("WorkOSSSO(app) or init_app(app) was not called for this app.")
    return extension._state_for(cast(Flask, current_app._get_current_object()))  # type: ignore[attr-defined]


def _respond(route: Callable[[SignInFlow], Steps]) -> Response:
    state = _state()
    answer = run(route(state.flow), state.client, _framework_effect)
    if not isinstance(answer, Redirect):
        flash(answer.message, FLASH_CATEGORY)
    return redirect(answer.location)


def _framework_effect(effect: Effect) -> Optional[SessionUser]:
    if isinstance(effect, AcceptSignIn):
        hook = _state().extension._on_sign_in
        return None if hook is None else hook(request, effect.result)
    if isinstance(effect, StartSession):
        session.clear()
        # A server-side session needs a new id too; Flask's cookie session has none.
        regenerate = getattr(current_app.session_interface, "regenerate", None)
        if callable(regenerate):
            regenerate(session)
        return None
    assert isinstance(effect, EndSession)
    session.clear()
    return None


def _login() -> Response:
    return _respond(lambda flow: flow.login(request.args, session))


def _login_email() -> Response:
    return _respond(lambda flow: flow.login_by_email(request.form, session, request.headers))


def _callback() -> Response:
    return _respond(lambda flow: flow.callback(request.args, session))


def _logout() -> Response:
    return _respond(lambda flow: flow.logout(session, request.headers))
