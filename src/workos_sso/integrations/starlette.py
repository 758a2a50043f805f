"""Sign-in with WorkOS SSO for Starlette and FastAPI apps, on ``AsyncSSOClient``.

```python
from starlette.applications import Starlette
from starlette.routing import Mount

from workos_sso.integrations.starlette import WorkOSSSO

sso = WorkOSSSO(secret_key=SECRET_KEY, allowed_organizations=["org_01..."])  # WORKOS_* for the rest
app = Starlette(
    routes=[Mount("/auth", sso.router)],
    middleware=[sso.session_middleware()],  # Starlette's SessionMiddleware, set up for sign-in
    lifespan=sso.lifespan,  # checks the session middleware; closes the client when the app stops
)
```

The router has ``GET /login``, ``POST /login/email``, ``GET /callback`` and ``POST /logout``;
FastAPI apps ``app.include_router(sso.api_router())``. What they decide (the policy, the checks
of a callback, the messages, what the session keeps) is the shared flow of
``workos_sso.integrations``; this module only moves Starlette's requests, session and responses.
A refused sign-in ends on the sign-in page, where ``pop_message(request)`` says why, and leaves
an established session as it was.

Only Starlette is imported; FastAPI only by ``api_router()``, which a FastAPI app calls.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Callable, Optional, Union
from urllib.parse import parse_qs

import attrs
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route, Router

from .._async_client import AsyncSSOClient
from .._config import check_redirect_uri, is_local_development
from .._errors import ConfigurationError, SignInRefused
from .._login import SessionUser, SignInResult
from .._models import AccessTokenClaims
from .._state import Secret
from ._bearer import BearerRefusal, check_bearer_async
from ._drive import run_async
from ._flow import (
    AcceptSignIn,
    Effect,
    EndSession,
    Refusal,
    SignInFlow,
    StartSession,
    Steps,
    with_next,
)
from ._policy import SignInPolicy, check_secret_key, check_site_path

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = [
    "SignInHook",
    "SignInRefused",
    "WorkOSSSO",
    "current_user",
    "login_required",
    "pop_message",
    "require_user",
]

#: ``on_sign_in(request, result)``, plain or ``async``: the ``SessionUser`` to keep, ``None`` for
#: the profile's, or raise ``SignInRefused("a sentence for the user")``.
SignInHook = Callable[
    [Request, SignInResult], Union[Optional[SessionUser], Awaitable[Optional[SessionUser]]]
]

_MESSAGE_KEY = "workos_sso.message"
_MAX_FORM_BYTES = 16 * 1024  # the email form: an address and a path
_NO_SESSION = (
    "workos_sso.integrations.starlette needs Starlette's SessionMiddleware, which gives the "
    "signed-in user a new session cookie: add middleware=[sso.session_middleware()] to the app."
)


# --- the current user -----------------------------------------------------------------------


def _session(connection: HTTPConnection) -> Any:
    if "session" not in connection.scope:
        raise ConfigurationError(_NO_SESSION)
    return connection.session


def current_user(request: HTTPConnection) -> Optional[SessionUser]:
    """The signed-in user, or ``None``.

    Raises:
        ConfigurationError: the app has no ``SessionMiddleware``.
    """
    return SignInFlow.current_user(_session(request))


def pop_message(request: HTTPConnection) -> Optional[str]:
    """Why the last sign-in was refused (a fixed sentence, or the hook's), once; else ``None``.

    Escape it like any text put into HTML (templates do; ``html.escape`` in an f-string).
    """
    message = _session(request).pop(_MESSAGE_KEY, None)
    return message if isinstance(message, str) else None


def require_user(request: Request) -> SessionUser:
    """The signed-in user, or ``HTTPException(401)``: a FastAPI dependency
    (``user: SessionUser = Depends(require_user)``), or a call in a Starlette endpoint."""
    user = current_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="Sign in first.")
    return user


def login_required(login_url: str = "/login") -> Callable[[Request], SessionUser]:
    """A dependency like ``require_user`` that redirects to ``login_url`` (with ``?next=``, the
    page asked for) instead of answering 401.

    ``Depends(login_required("/auth/login"))`` in FastAPI; in Starlette, call the result with the
    request and let the ``HTTPException`` (303 with ``Location``) answer.
    """

    def dependency(request: Request) -> SessionUser:
        user = current_user(request)
        if user is None:
            wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            location = with_next(login_url, wanted)
            raise HTTPException(status_code=303, headers={"Location": location})
        return user

    return dependency


# --- the extension --------------------------------------------------------------------------


class WorkOSSSO:
    """The sign-in routes of one app, and the ``AsyncSSOClient`` they share.

    docs/integrations/starlette.md has the settings table. Each ``WORKOS_*`` named below is
    read from ``environ`` when the argument is not given.

    Args:
        secret_key: the app's secret: signs the session cookie and each sign-in's state.
            Outside plain-HTTP loopback: 32 bytes or more, and not a placeholder.
        redirect_uri: the callback's absolute URL, as registered at WorkOS
            (``WORKOS_REDIRECT_URI``); https except on loopback.
        api_key: ``WORKOS_API_KEY``.
        client_id: ``WORKOS_CLIENT_ID``.
        base_url: ``WORKOS_BASE_URL`` (optional: the emulator in development and tests).
        environ: where the ``WORKOS_*`` variables are read; ``os.environ`` by default.
        default_organization: where ``/login`` without a selector signs in
            (``WORKOS_ORGANIZATION_ID``).
        allowed_organizations: the organization ids that may sign in, or ``"*"``; unset, the
            default organization only (or, without one, every organization, with a warning).
        allowed_providers: the social providers that may sign in (``"GoogleOAuth"``...); none
            by default.
        pkce: send a PKCE challenge with each sign-in (off: WorkOS's spec lists no
            ``code_verifier`` for SSO's token request).
        on_sign_in: the hook for completed sign-ins (``SignInHook``).
        sign_in_page: where refusals land, with their message (a path on this site).
        after_sign_out: where sign-out ends when the identity provider's session cannot be
            ended too (a path on this site).
        client_options: passed on to ``AsyncSSOClient`` (``timeout``, ``max_retries``...).

    Raises:
        ConfigurationError: a setting is missing or malformed (the message names it), or the
            ``async`` extra (aiohttp) is not installed.
    """

    def __init__(
        self,
        *,
        secret_key: Secret,
        redirect_uri: Optional[str] = None,
        api_key: Optional[str] = None,
        client_id: Optional[str] = None,
        base_url: Optional[str] = None,
        environ: Optional[Mapping[str, str]] = None,
        default_organization: Optional[str] = None,
        allowed_organizations: Union[Iterable[str], str, None] = None,
        allowed_providers: Optional[Iterable[str]] = None,
        pkce: bool = False,
        on_sign_in: Optional[SignInHook] = None,
        sign_in_page: str = "/",
        after_sign_out: str = "/",
        client_options: Optional[Mapping[str, Any]] = None,
    ) -> None:
        env = os.environ if environ is None else environ

        def setting(name: str, value: Optional[str], variable: str) -> Optional[str]:
            if value is None or value == "":
                return env.get(variable, "").strip() or None
            if not isinstance(value, str) or value != value.strip():
                raise ConfigurationError(f"{name} must be a string without surrounding spaces.")
            return value

        self.redirect_uri: str = check_redirect_uri(
            setting("redirect_uri", redirect_uri, "WORKOS_REDIRECT_URI"),
            setting="redirect_uri (or WORKOS_REDIRECT_URI)",
        )
        self.secret_key: Secret = check_secret_key(
            secret_key, redirect_uri=self.redirect_uri, setting="secret_key"
        )
        self.policy: SignInPolicy = SignInPolicy.from_settings(
            allowed_organizations=allowed_organizations,
            allowed_providers=allowed_providers,
            default_organization=setting(
                "default_organization", default_organization, "WORKOS_ORGANIZATION_ID"
            ),
            organizations_setting="allowed_organizations",
            providers_setting="allowed_providers",
            default_setting="default_organization (or WORKOS_ORGANIZATION_ID)",
        )
        if not isinstance(pkce, bool):
            raise ConfigurationError("pkce must be True or False.")
        if on_sign_in is not None and not callable(on_sign_in):
            raise ConfigurationError("on_sign_in must be a function of (request, result).")
        self.on_sign_in: Optional[SignInHook] = on_sign_in
        sign_in_page = check_site_path(sign_in_page, setting="sign_in_page")
        after_sign_out = check_site_path(after_sign_out, setting="after_sign_out")
        arguments = dict(client_options or {})
        required = {
            "api_key": (api_key, "WORKOS_API_KEY"),
            "client_id": (client_id, "WORKOS_CLIENT_ID"),
        }
        for name, (value, variable) in required.items():
            arguments[name] = setting(name, value, variable)
            if arguments[name] is None:
                raise ConfigurationError(f"{name} is missing: pass it, or set {variable}.")
        base_url = setting("base_url", base_url, "WORKOS_BASE_URL")
        if base_url is not None:
            arguments["base_url"] = base_url
        self._client_arguments: dict[str, Any] = arguments
        # Checks the client's settings and the async extra; it connects on first use only.
        self._client: Optional[AsyncSSOClient] = AsyncSSOClient(**arguments)
        self._flow = SignInFlow(
            client=self._client,
            redirect_uri=self.redirect_uri,
            secret=self.secret_key,
            policy=self.policy,
            sign_in_page=sign_in_page,
            after_sign_out=after_sign_out,
            pkce=pkce,
        )

    @property
    def default_organization(self) -> Optional[str]:
        """Where ``/login`` without a selector signs in, if anywhere."""
        return self.policy.default_organization

    # --- the client and the app's life -----------------------------------------------------

    @property
    def client(self) -> AsyncSSOClient:
        """The ``AsyncSSOClient``; after ``aclose()``, the next use makes a new one."""
        if self._client is None:
            self._client = AsyncSSOClient(**self._client_arguments)
        return self._client

    @property
    def flow(self) -> SignInFlow:
        """The shared sign-in flow, on the current client."""
        if self._flow.client is not self.client:
            self._flow = attrs.evolve(self._flow, client=self.client)
        return self._flow

    async def aclose(self) -> None:
        """Close the client (its connections)."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    @asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """The app's lifespan, or part of it: checks the app's session, closes the client.

        ``Starlette(lifespan=sso.lifespan)`` or ``FastAPI(lifespan=sso.lifespan)``; in a
        lifespan of the app's own, ``async with sso.lifespan(app): yield``.

        Raises:
            ConfigurationError: the app has no Starlette ``SessionMiddleware``: sign-in must
                give the user a new session, which another session may not do.
        """
        _check_session_middleware(app)
        try:
            yield
        finally:
            await self.aclose()

    def session_middleware(self) -> Middleware:
        """Starlette's ``SessionMiddleware`` as sign-in needs it: signed with ``secret_key``,
        ``SameSite=Lax`` (the cookie comes along on the identity provider's redirect back),
        always ``HttpOnly``, and ``Secure`` unless ``redirect_uri`` is plain-HTTP loopback.
        Needs ``itsdangerous`` (in the ``fastapi`` extra)."""
        from starlette.middleware.sessions import SessionMiddleware

        secret = self.secret_key
        return Middleware(
            SessionMiddleware,
            secret_key=secret.decode("latin-1") if isinstance(secret, bytes) else secret,
            same_site="lax",
            https_only=not is_local_development(self.redirect_uri),
        )

    # --- bearer tokens --------------------------------------------------------------------

    async def require_access_token(self, request: Request) -> AccessTokenClaims:
        """The claims of the request's WorkOS access token, or ``HTTPException``.

        A FastAPI dependency for a JSON API
        (``claims: AccessTokenClaims = Depends(sso.require_access_token)``), or an ``await`` in a
        Starlette endpoint. Reads ``Authorization: Bearer <token>`` and checks it offline with
        [`verify_access_token`][workos_sso.AsyncSSOClient.verify_access_token] and
        ``allowed_organizations``. A refusal is ``401`` with ``WWW-Authenticate: Bearer
        error="invalid_token"`` and no detail; a key set that cannot be fetched, ``503``. The
        claims are also kept as ``request.state.access_token_claims``. Needs the ``jwt`` extra.
        """
        checked = await check_bearer_async(
            self.client, request.headers.get("Authorization"), self.policy
        )
        if isinstance(checked, BearerRefusal):
            raise HTTPException(status_code=checked.status, headers=dict(checked.headers))
        request.state.access_token_claims = checked
        return checked

    # --- the routes -----------------------------------------------------------------------

    @property
    def routes(self) -> list[BaseRoute]:
        """``/login``, ``/login/email``, ``/callback`` and ``/logout``, to add to an app's own."""
        return [
            Route("/login", self.login, methods=["GET"], name="workos_sso_login"),
            Route("/login/email", self.login_by_email, methods=["POST"], name="workos_sso_email"),
            Route("/callback", self.callback, methods=["GET"], name="workos_sso_callback"),
            Route("/logout", self.logout, methods=["POST"], name="workos_sso_logout"),
        ]

    @property
    def router(self) -> Router:
        """A router of ``routes``, to mount (``Mount("/auth", sso.router)``); a mounted router
        never runs a lifespan: give the app ``lifespan``."""
        return Router(routes=self.routes)

    def api_router(self) -> APIRouter:
        """The routes as a FastAPI ``APIRouter``: ``app.include_router(sso.api_router())``, with
        ``prefix="/auth"`` or none. It carries ``lifespan``, which FastAPI merges into the app's.
        Imports FastAPI (this method only)."""
        from fastapi import APIRouter

        router = APIRouter(lifespan=self.lifespan)
        router.routes.extend(self.routes)
        return router

    async def login(self, request: Request) -> Response:
        """``GET /login``: start a sign-in (``?organization=``, ``connection``, ``provider``)."""
        return await self._answer(request, lambda flow, s: flow.login(request.query_params, s))

    async def login_by_email(self, request: Request) -> Response:
        """``POST /login/email``: start a sign-in at the connection of the email's domain."""
        form = await _read_form(request)
        return await self._answer(
            request, lambda flow, s: flow.login_by_email(form, s, request.headers)
        )

    async def callback(self, request: Request) -> Response:
        """``GET /callback``: check the sign-in, start a new session for the user."""
        return await self._answer(request, lambda flow, s: flow.callback(request.query_params, s))

    async def logout(self, request: Request) -> Response:
        """``POST /logout``: end the session here and, when it can, at the identity provider."""
        return await self._answer(request, lambda flow, s: flow.logout(s, request.headers))

    async def _answer(
        self, request: Request, route: Callable[[SignInFlow, Any], Steps]
    ) -> Response:
        session = _session(request)
        flow = self.flow
        effects = functools.partial(self._effect, request)
        answer = await run_async(route(flow, session), flow.client, effects)
        if isinstance(answer, Refusal):
            session[_MESSAGE_KEY] = answer.message  # the session is otherwise left as it was
        return RedirectResponse(answer.location, status_code=303)

    def _effect(self, request: Request, effect: Effect) -> Any:
        if isinstance(effect, AcceptSignIn):
            # A SessionUser, None, or an awaitable of one (run_async awaits it).
            return None if self.on_sign_in is None else self.on_sign_in(request, effect.result)
        assert isinstance(effect, (StartSession, EndSession))
        # The cookie is the session: emptied, it is replaced whole (no id to keep).
        request.session.clear()
        return None


async def _read_form(request: Request) -> dict[str, list[str]]:
    """A urlencoded form, read by hand (no python-multipart); too large a body reads as empty."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM_BYTES:
            return {}
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def _check_session_middleware(app: object) -> None:
    """Sign-in needs Starlette's cookie session, which a new sign-in replaces whole."""
    try:
        from starlette.middleware.sessions import SessionMiddleware
    except ImportError:  # itsdangerous is missing, so the app cannot be using it
        raise ConfigurationError(
            _NO_SESSION + " It needs itsdangerous: pip install 'workos-sso[fastapi]'."
        ) from None
    for middleware in getattr(app, "user_middleware", None) or ():
        cls = getattr(middleware, "cls", None)
        if isinstance(cls, type) and issubclass(cls, SessionMiddleware):
            return
    raise ConfigurationError(
        _NO_SESSION + " Another session middleware may keep a session's id across sign-in, "
        "so an id planted before it would stay valid after it (session fixation)."
    )
