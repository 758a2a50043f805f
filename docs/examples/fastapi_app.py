"""Sign in with WorkOS SSO in a FastAPI app: a complete, copyable recipe, async end to end.

Run it against the emulator (``python tests/emulator.py`` prints its URL)::

    pip install 'workos-sso[async]' fastapi uvicorn itsdangerous
    export WORKOS_API_KEY=sk_test_default WORKOS_CLIENT_ID=client_01TESTCLIENT
    export WORKOS_BASE_URL=http://127.0.0.1:4100          # the emulator; omit for WorkOS
    export WORKOS_REDIRECT_URI=http://127.0.0.1:8000/callback
    export WORKOS_ORGANIZATION_ID=org_...                  # optional: the "Sign in" button's
    python docs/examples/fastapi_app.py

Routes: ``/`` (sign-in page, or who is signed in), ``/login?organization=...&next=/path``,
``POST /login/email``, ``/callback`` (must match ``WORKOS_REDIRECT_URI``) and ``POST /logout``.
The session is Starlette's signed cookie (``SessionMiddleware``, which needs ``itsdangerous``).
Every call to WorkOS goes through one ``AsyncSSOClient``, made when the app starts (inside its
event loop) and closed when it stops, so no request ever blocks a worker thread.

Tenancy: ``handle_callback`` refuses a profile from any organization other than the one the
sign-in was started for. That proves where the sign-in came from, not which of *your* tenants
the user belongs to: a real app maps ``profile.organization_id`` to its own tenant (refusing an
organization it has no tenant for) and never grants access on the email address alone. This
recipe takes the organization from ``/login?organization=`` so the demo can reach any
organization; a real app decides the organization on the server, for example from the subdomain
or its own tenant table.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from html import escape
from typing import Optional
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.middleware.sessions import SessionMiddleware

from workos_sso import (
    AsyncSSOClient,
    InvalidGrantError,
    NoSSOForDomainError,
    SessionUser,
    SignInError,
    StateError,
    UnexpectedOrganizationError,
    WorkOSError,
    handle_callback_async,
    safe_return_to,
    start_sign_in_async,
)

logger = logging.getLogger(__name__)

# What the user sees when a callback is refused. Every case ends on the sign-in page: most are
# harmless (an old tab, a reload, a back button) and a fresh sign-in takes a few seconds.
EXPIRED = "Your sign-in expired or was already used. Please sign in again."
WRONG_ORGANIZATION = "That account belongs to another organization. Please sign in again."


def is_local_development(redirect_uri: str) -> bool:
    """Plain-HTTP loopback: the only place a session cookie may go without ``Secure``."""
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")


def render(message: Optional[str], user: Optional[SessionUser], organization: str) -> str:
    parts = ['<!doctype html><html lang="en"><head><meta charset="utf-8">',
             "<title>FastAPI SSO example</title></head><body>"]  # fmt: skip
    if message:
        parts.append(f'<p id="message">{escape(message)}</p>')
    if user:
        names = escape(f"{user.first_name or ''} {user.last_name or ''}")
        parts.append(
            f'<p id="user">Signed in as <strong id="email">{escape(user.email)}</strong> '
            f'({names}), organization <code id="organization">'
            f"{escape(user.organization_id or '')}</code>.</p>"
            '<form method="post" action="/logout"><button id="sign-out">Sign out</button></form>'
        )
    else:
        parts.append("<h1>Sign in</h1>")
        if organization:
            parts.append(
                f'<p><a id="sign-in" href="/login?organization={escape(organization)}">'
                "Sign in</a></p>"
            )
        parts.append(
            '<form method="post" action="/login/email"><label>Work email '
            '<input id="email-input" name="email" type="email" required></label>'
            '<button id="sign-in-email">Continue with SSO</button></form>'
        )
    parts.append("</body></html>")
    return "".join(parts)


def create_app(environ: Optional[Mapping[str, str]] = None) -> FastAPI:
    env = os.environ if environ is None else environ
    redirect_uri = env["WORKOS_REDIRECT_URI"]
    default_organization = env.get("WORKOS_ORGANIZATION_ID", "")
    # Made here so a missing setting fails at start-up; it opens its connections inside the
    # app's event loop on first use, and the lifespan closes them when the app stops.
    sso = AsyncSSOClient.from_env(environ=env)
    # Without APP_SECRET_KEY every restart signs everyone out, which is fine on a laptop only.
    secret_key = env.get("APP_SECRET_KEY") or secrets.token_hex(32)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with sso:
            yield

    app = FastAPI(lifespan=lifespan)
    # Starlette's session cookie is always HttpOnly; Lax lets it come along on the top-level
    # redirect back from the identity provider.
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        same_site="lax",
        https_only=not is_local_development(redirect_uri),
    )

    def back_to_sign_in(request: Request, message: str) -> RedirectResponse:
        request.session.clear()
        request.session["message"] = message
        return RedirectResponse("/", status_code=303)

    def redirect_to(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> str:
        user = request.session.get("user")
        message = request.session.pop("message", None)
        return render(message, SessionUser.from_dict(user) if user else None, default_organization)

    @app.get("/login")
    async def login(
        request: Request, organization: Optional[str] = None, next: Optional[str] = None
    ) -> RedirectResponse:
        # Demo only: the query string picks the organization. A real app decides it on the server
        # (from the subdomain, or its own tenant table); the callback then checks the user came
        # back from that organization.
        chosen = organization or default_organization
        if not chosen:
            return back_to_sign_in(request, "Choose an organization, or use your work email.")
        start = await start_sign_in_async(
            sso,
            redirect_uri=redirect_uri,
            organization=chosen,
            return_to=safe_return_to(next),
            secret=secret_key,
        )
        request.session["sso_state"] = start.state.value
        return redirect_to(start.url)

    @app.post("/login/email")
    async def login_by_email(request: Request) -> RedirectResponse:
        # A plain urlencoded form, read by hand so the recipe needs no python-multipart.
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        email = form.get("email", [""])[0]
        try:
            start = await start_sign_in_async(
                sso, redirect_uri=redirect_uri, email=email, secret=secret_key
            )
        except NoSSOForDomainError as error:
            # Where the app has another way to sign in (passwords, magic links), go there.
            return back_to_sign_in(request, f"{error.domain} does not use single sign-on here.")
        except WorkOSError:
            return back_to_sign_in(request, "Enter a work email address such as jane@example.com.")
        request.session["sso_state"] = start.state.value
        return redirect_to(start.url)

    @app.get("/callback")
    async def callback(request: Request) -> RedirectResponse:
        try:
            result = await handle_callback_async(
                sso,
                request.query_params,
                # Popped, so this state is good for one callback only.
                expected_state=request.session.pop("sso_state", None),
                secret=secret_key,
            )
        except (StateError, InvalidGrantError):
            return back_to_sign_in(request, EXPIRED)
        except UnexpectedOrganizationError:
            return back_to_sign_in(request, WRONG_ORGANIZATION)
        except SignInError as error:
            logger.warning("SSO sign-in failed: %s", error)
            return back_to_sign_in(request, f"Sign-in failed ({error.error}). Please try again.")
        except WorkOSError as error:
            logger.warning("SSO callback refused: %s", error)
            return back_to_sign_in(request, "Sign-in failed. Please try again.")
        # The check above proves which organization the sign-in came from. Before granting access,
        # a real app maps result.profile.organization_id to its own tenant (and refuses one it has
        # no tenant for); it never grants access on the email address alone.
        request.session.clear()  # a fresh session for the signed-in user
        request.session["user"] = SessionUser.from_profile(result.profile).to_dict()
        return redirect_to(result.return_to)

    @app.post("/logout")
    async def logout(request: Request) -> RedirectResponse:
        user = request.session.get("user")
        request.session.clear()
        if not user:
            return redirect_to("/")
        try:
            # Ends the identity provider's session too, not just ours.
            logout = await sso.authorize_logout(profile_id=SessionUser.from_dict(user).id)
        except WorkOSError:
            return redirect_to("/")
        return redirect_to(logout.logout_url)

    return app


if __name__ == "__main__":
    import uvicorn

    port = urlsplit(os.environ["WORKOS_REDIRECT_URI"]).port or 8000
    uvicorn.run(create_app(), host="127.0.0.1", port=port)
