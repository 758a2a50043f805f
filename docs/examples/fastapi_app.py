"""Sign in with WorkOS SSO in a FastAPI app, on ``workos_sso.integrations.starlette``.

Run it against the emulator (``python tests/emulator.py`` prints its URL)::

    pip install 'workos-sso[fastapi]' uvicorn
    export WORKOS_API_KEY=sk_test_default WORKOS_CLIENT_ID=client_01TESTCLIENT
    export WORKOS_BASE_URL=http://127.0.0.1:4100          # the emulator; omit for WorkOS
    export WORKOS_REDIRECT_URI=http://127.0.0.1:8000/callback
    export WORKOS_ORGANIZATION_ID=org_...                  # the "Sign in" button's organization
    python docs/examples/fastapi_app.py

The integration brings ``/login?organization=...&next=/path``, ``POST /login/email``,
``/callback`` (must match ``WORKOS_REDIRECT_URI``) and ``POST /logout``, on one
``AsyncSSOClient``; the app adds ``/``, the sign-in page or who is signed in.

Who may sign in: ``WORKOS_ALLOWED_ORGANIZATIONS`` (comma-separated ids, or ``*``); unset, only
``WORKOS_ORGANIZATION_ID``. The integration refuses any other organization at ``/login`` and
again at the callback. The page escapes everything it prints: the message, and the user's
names, which come from the identity provider. A real app also passes ``on_sign_in=`` to map
``profile.organization_id`` to its own tenant: see docs/integrations/starlette.md.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from html import escape
from typing import Optional
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from workos_sso import SessionUser
from workos_sso.integrations.starlette import WorkOSSSO, current_user, pop_message


def render(
    message: Optional[str], user: Optional[SessionUser], organization: str, next_path: str
) -> str:
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
            query = {"organization": organization, **({"next": next_path} if next_path else {})}
            parts.append(
                f'<p><a id="sign-in" href="/login?{escape(urlencode(query))}">Sign in</a></p>'
            )
        hidden = (
            f'<input type="hidden" name="next" value="{escape(next_path)}">' if next_path else ""
        )
        parts.append(
            '<form method="post" action="/login/email"><label>Work email '
            '<input id="email-input" name="email" type="email" required></label>'
            f'{hidden}<button id="sign-in-email">Continue with SSO</button></form>'
        )
    parts.append("</body></html>")
    return "".join(parts)


def create_app(environ: Optional[Mapping[str, str]] = None) -> FastAPI:
    env = os.environ if environ is None else environ
    allowed = env.get("WORKOS_ALLOWED_ORGANIZATIONS")
    sso = WorkOSSSO(
        # Without APP_SECRET_KEY every restart signs everyone out, which is fine on a laptop only.
        secret_key=env.get("APP_SECRET_KEY") or secrets.token_hex(32),
        # The rest from WORKOS_API_KEY, WORKOS_CLIENT_ID, WORKOS_REDIRECT_URI, WORKOS_BASE_URL
        # and WORKOS_ORGANIZATION_ID; a missing or malformed one fails here, at start-up.
        environ=env,
        allowed_organizations=(
            None if not allowed else "*" if allowed == "*" else [o for o in allowed.split(",") if o]
        ),
    )
    app = FastAPI(middleware=[sso.session_middleware()])
    # With the router comes sso.lifespan: it checks the session middleware at start-up and
    # closes the client's connections when the app stops.
    app.include_router(sso.api_router())

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> str:
        message = pop_message(request)
        next_path = request.query_params.get("next", "")
        return render(message, current_user(request), sso.default_organization or "", next_path)

    return app


if __name__ == "__main__":
    import uvicorn

    port = urlsplit(os.environ["WORKOS_REDIRECT_URI"]).port or 8000
    uvicorn.run(create_app(), host="127.0.0.1", port=port)
