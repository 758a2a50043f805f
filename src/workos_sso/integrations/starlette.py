"""Sign-in with WorkOS SSO for Starlette and FastAPI apps, on ``AsyncSSOClient``.

```python
from starlette.applications import Starlette
from starlette.routing import Mount

from workos_sso.integrations.starlette import WorkOSSSO

sso = WorkOSSSO(secret_key=SECRET_KEY)  # WORKOS_API_KEY, WORKOS_CLIENT_ID, WORKOS_REDIRECT_URI
app = Starlette(
    routes=[Mount("/auth", sso.router)],
    middleware=[sso.session_middleware()],  # Starlette's SessionMiddleware, set up for sign-in
    lifespan=sso.lifespan,  # closes the AsyncSSOClient when the app stops
)
```

The router has ``GET /login`` (``?organization=``, ``?connection=`` or ``?provider=``, and
``?next=``), ``POST /login/email`` (a form with ``email``, and ``next``), ``GET /callback`` and
``POST /logout``; FastAPI apps ``app.include_router(sso.api_router())``.
``current_user(request)`` gives the signed-in ``SessionUser`` (or ``None``);
``require_user`` is the same as a FastAPI dependency that answers 401 without one, and
``login_required(...)`` one that redirects to the sign-in instead.

The security decisions are made here, once: the state is signed with ``secret_key``, kept in the
session and popped at the callback (good for one callback); a profile from another organization
than the sign-in was started for is refused; the session is cleared at sign-in; ``next`` must be
a same-site path; sign-out ends the identity provider's session too when it can; and every
refusal ends on the sign-in page with a short message (``pop_message``), never an error page.

Only Starlette is imported; FastAPI only by ``api_router()``, which a FastAPI app calls.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route, Router

from .._async import AsyncSSOClient
from .._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    ClientOptions,
)
from .._errors import (
    ConfigurationError,
    InvalidGrantError,
    InvalidParameterError,
    NoSSOForDomainError,
    SignInError,
    StateError,
    UnexpectedOrganizationError,
    WorkOSError,
)
from .._login import (
    SessionUser,
    SignInResult,
    handle_callback_async,
    safe_return_to,
    start_sign_in_async,
)
from .._state import Secret

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = [
    "EXPIRED",
    "MESSAGE_KEY",
    "STATE_KEY",
    "USER_KEY",
    "WRONG_ORGANIZATION",
    "SignInHook",
    "SignInRefused",
    "WorkOSSSO",
    "current_user",
    "is_local_development",
    "login_required",
    "pop_message",
    "require_user",
]

logger: logging.Logger = logging.getLogger(__name__)

#: Session keys: the pending sign-in's state, the signed-in user, the message for the sign-in page.
STATE_KEY = "workos_sso_state"
USER_KEY = "workos_sso_user"
MESSAGE_KEY = "workos_sso_message"

# What the user sees when a sign-in is refused. Most refusals are harmless (an old tab, a reload,
# a back button) and a fresh sign-in takes a few seconds.
EXPIRED = "Your sign-in expired or was already used. Please sign in again."
WRONG_ORGANIZATION = "That account belongs to another organization. Please sign in again."
CHOOSE = "Choose an organization, or use your work email."
FAILED = "Sign-in failed. Please try again."


class SignInRefused(Exception):
    """Raised by an ``on_sign_in`` hook to refuse a completed sign-in.

    The session stays cleared and the user lands on the sign-in page with ``message``.
    """

    def __init__(self, message: str = "You cannot sign in to this app.") -> None:
        super().__init__(message)
        self.message: str = message


#: ``on_sign_in(request, result)``, plain or ``async``: runs after the callback's checks, on the
#: fresh (cleared) session, before the user is stored. Map ``result.profile`` to the app's own
#: user and tenant (store what you need in ``request.session``), or raise ``SignInRefused``.
SignInHook = Callable[[Request, SignInResult], Optional[Awaitable[None]]]


def _session(connection: HTTPConnection) -> Any:
    if "session" not in connection.scope:
        raise RuntimeError(
            "workos_sso.integrations.starlette needs Starlette's SessionMiddleware: add "
            "Middleware(SessionMiddleware, secret_key=..., same_site='lax') to the app."
        )
    return connection.session


def current_user(request: HTTPConnection) -> Optional[SessionUser]:
    """The signed-in user, or ``None``.

    Raises:
        RuntimeError: the app has no ``SessionMiddleware``.
    """
    data = _session(request).get(USER_KEY)
    if not data:
        return None
    try:
        return SessionUser.from_dict(data)
    except InvalidParameterError:  # a session written by something else: not signed in
        return None


def pop_message(request: HTTPConnection) -> Optional[str]:
    """The message for the sign-in page (why a sign-in was refused), once; else ``None``."""
    message = _session(request).pop(MESSAGE_KEY, None)
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
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            separator = "&" if "?" in login_url else "?"
            location = f"{login_url}{separator}{urlencode({'next': path})}"
            raise HTTPException(status_code=303, headers={"Location": location})
        return user

    return dependency


def is_local_development(redirect_uri: str) -> bool:
    """Plain-HTTP loopback: the only place a session cookie may go without ``Secure``."""
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")


class WorkOSSSO:
    """The sign-in routes of one app, and the ``AsyncSSOClient`` they share.

    Args:
        secret_key: signs each sign-in's state; use the app's secret (``SessionMiddleware``'s
            key). Required: a random one per process would break sign-ins across workers.
        redirect_uri: the callback's full URL, registered at WorkOS; else
            ``WORKOS_REDIRECT_URI``.
        api_key, client_id, base_url: else ``WORKOS_API_KEY``, ``WORKOS_CLIENT_ID`` and
            ``WORKOS_BASE_URL`` (optional).
        environ: where to read those variables; defaults to ``os.environ``.
        default_organization: the organization ``GET /login`` signs in to without a selector;
            else ``WORKOS_ORGANIZATION_ID`` if set.
        on_sign_in: a hook run on each completed sign-in (see ``SignInHook``).
        sign_in_page: where a refusal sends the user (with a message); ``"/"`` by default.
        after_sign_out: where sign-out ends when the identity provider's session cannot be
            ended too.
        client_options: passed on to ``AsyncSSOClient`` (``timeout``, ``max_retries``, ...).

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
        on_sign_in: Optional[SignInHook] = None,
        sign_in_page: str = "/",
        after_sign_out: str = "/",
        client_options: Optional[Mapping[str, Any]] = None,
    ) -> None:
        env = os.environ if environ is None else environ
        if not secret_key:
            raise ConfigurationError("secret_key is missing: pass the app's secret key.")
        redirect_uri = redirect_uri or env.get("WORKOS_REDIRECT_URI", "").strip()
        if not redirect_uri:
            raise ConfigurationError(
                "redirect_uri is missing: pass it, or set WORKOS_REDIRECT_URI."
            )
        self.secret_key: Secret = secret_key
        self.redirect_uri: str = redirect_uri
        self.default_organization: Optional[str] = (
            default_organization or env.get("WORKOS_ORGANIZATION_ID", "").strip() or None
        )
        self.on_sign_in: Optional[SignInHook] = on_sign_in
        self.sign_in_page: str = sign_in_page
        self.after_sign_out: str = after_sign_out
        self._client_arguments: dict[str, Any] = {
            "api_key": api_key or env.get("WORKOS_API_KEY", "").strip() or None,
            "client_id": client_id or env.get("WORKOS_CLIENT_ID", "").strip() or None,
            "base_url": base_url or env.get("WORKOS_BASE_URL", "").strip() or DEFAULT_BASE_URL,
            **(client_options or {}),
        }
        self._check_settings()
        self._client: Optional[AsyncSSOClient] = None

    def _check_settings(self) -> None:
        """Fail at start-up, not at the first sign-in, on a missing setting or extra."""
        arguments = self._client_arguments
        if arguments["api_key"] is None:
            raise ConfigurationError("api_key is missing: pass it, or set WORKOS_API_KEY.")
        ClientOptions.check(
            api_key=arguments["api_key"],
            client_id=arguments["client_id"],
            base_url=arguments["base_url"],
            timeout=arguments.get("timeout", DEFAULT_TIMEOUT),
            max_retries=arguments.get("max_retries", DEFAULT_MAX_RETRIES),
            max_retry_wait=arguments.get("max_retry_wait", DEFAULT_MAX_RETRY_WAIT),
        )
        try:
            from .. import _async_transport  # noqa: F401  (aiohttp, the async extra)
        except ImportError as exc:
            raise ConfigurationError(
                "workos_sso.integrations.starlette needs the fastapi or async extra: "
                "pip install 'workos-sso[fastapi]'"
            ) from exc

    # --- the client -----------------------------------------------------------------------

    @property
    def client(self) -> AsyncSSOClient:
        """The ``AsyncSSOClient``: made on first use, inside the app's event loop."""
        if self._client is None:
            self._client = AsyncSSOClient(**self._client_arguments)
        return self._client

    async def aclose(self) -> None:
        """Close the client (its connections); the next use makes a new one."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    @asynccontextmanager
    async def lifespan(self, _app: object = None) -> AsyncIterator[None]:
        """The app's lifespan, or part of it: closes the client when the app stops.

        ``Starlette(lifespan=sso.lifespan)`` or ``FastAPI(lifespan=sso.lifespan)``; in a
        lifespan of the app's own, ``async with sso.lifespan(app): yield``.
        """
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
            secret_key=secret.decode() if isinstance(secret, bytes) else secret,
            same_site="lax",
            https_only=not is_local_development(self.redirect_uri),
        )

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
        """A router of ``routes``, to mount (``Mount("/auth", sso.router)``); it does not run
        the lifespan, which a mounted router never does: give the app ``lifespan``."""
        return Router(routes=self.routes)

    def api_router(self) -> APIRouter:
        """The routes as a FastAPI ``APIRouter``: ``app.include_router(sso.api_router())``, with
        ``prefix="/auth"`` or none. It carries ``lifespan``, which FastAPI merges into the app's,
        so the client is closed when the app stops. Imports FastAPI (this method only)."""
        from fastapi import APIRouter

        router = APIRouter(lifespan=self.lifespan)
        router.routes.extend(self.routes)
        return router

    def _back_to_sign_in(self, request: Request, message: str) -> RedirectResponse:
        session = _session(request)
        session.clear()
        session[MESSAGE_KEY] = message
        return RedirectResponse(self.sign_in_page, status_code=303)

    async def login(self, request: Request) -> Response:
        """``GET /login``: start a sign-in by organization, connection or provider."""
        _session(request)
        query = request.query_params
        names = ("organization", "connection", "provider")
        selectors = {name: query[name] for name in names if query.get(name)}
        if not selectors and self.default_organization:
            selectors = {"organization": self.default_organization}
        if len(selectors) != 1:
            return self._back_to_sign_in(request, CHOOSE)
        try:
            start = await start_sign_in_async(
                self.client,
                redirect_uri=self.redirect_uri,
                return_to=safe_return_to(query.get("next")),
                secret=self.secret_key,
                organization=selectors.get("organization"),
                connection=selectors.get("connection"),
                provider=selectors.get("provider"),
            )
        except WorkOSError as error:
            logger.warning("SSO sign-in could not start: %s", error)
            return self._back_to_sign_in(request, FAILED)
        _session(request)[STATE_KEY] = start.state.value
        return RedirectResponse(start.url, status_code=303)

    async def login_by_email(self, request: Request) -> Response:
        """``POST /login/email``: start a sign-in at the connection of the email's domain."""
        _session(request)
        # A urlencoded form, read by hand: no python-multipart needed.
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        email = form.get("email", [""])[0]
        try:
            start = await start_sign_in_async(
                self.client,
                redirect_uri=self.redirect_uri,
                email=email,
                return_to=safe_return_to(form.get("next", [None])[0]),
                secret=self.secret_key,
            )
        except NoSSOForDomainError as error:
            return self._back_to_sign_in(
                request, f"{error.domain} does not use single sign-on here."
            )
        except InvalidParameterError:
            return self._back_to_sign_in(
                request, "Enter a work email address such as jane@example.com."
            )
        except WorkOSError as error:
            logger.warning("SSO sign-in by email could not start: %s", error)
            return self._back_to_sign_in(request, FAILED)
        _session(request)[STATE_KEY] = start.state.value
        return RedirectResponse(start.url, status_code=303)

    async def callback(self, request: Request) -> Response:
        """``GET /callback``: check the sign-in, rotate the session, store the user."""
        session = _session(request)
        try:
            result = await handle_callback_async(
                self.client,
                request.query_params,
                expected_state=session.pop(STATE_KEY, None),  # popped: good for one callback
                secret=self.secret_key,
            )
        except (StateError, InvalidGrantError):
            return self._back_to_sign_in(request, EXPIRED)
        except UnexpectedOrganizationError:
            return self._back_to_sign_in(request, WRONG_ORGANIZATION)
        except SignInError as error:
            logger.warning("SSO sign-in failed: %s", error)
            message = f"Sign-in failed ({error.error}). Please try again."
            return self._back_to_sign_in(request, message)
        except WorkOSError as error:
            logger.warning("SSO callback refused: %s", error)
            return self._back_to_sign_in(request, FAILED)
        session.clear()  # a fresh session for the signed-in user
        if self.on_sign_in is not None:
            try:
                outcome = self.on_sign_in(request, result)
                if inspect.isawaitable(outcome):
                    await outcome
            except SignInRefused as refused:
                return self._back_to_sign_in(request, refused.message)
        session[USER_KEY] = SessionUser.from_profile(result.profile).to_dict()
        return RedirectResponse(result.return_to, status_code=303)

    async def logout(self, request: Request) -> Response:
        """``POST /logout``: end the session here and, when it can, at the identity provider."""
        user = current_user(request)
        _session(request).clear()
        if user is None:
            return RedirectResponse(self.after_sign_out, status_code=303)
        try:
            logout = await self.client.authorize_logout(profile_id=user.id)
        except WorkOSError as error:
            logger.info("Signed out here only: %s", error)
            return RedirectResponse(self.after_sign_out, status_code=303)
        return RedirectResponse(logout.logout_url, status_code=303)
