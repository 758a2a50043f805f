"""Sign in with WorkOS SSO in a Flask app: a complete, copyable recipe.

Run it against the emulator (``python tests/emulator.py`` prints its URL)::

    pip install workos-sso flask
    export WORKOS_API_KEY=sk_test_default WORKOS_CLIENT_ID=client_01TESTCLIENT
    export WORKOS_BASE_URL=http://127.0.0.1:4100          # the emulator; omit for WorkOS
    export WORKOS_REDIRECT_URI=http://127.0.0.1:5000/callback
    export WORKOS_ORGANIZATION_ID=org_...                  # optional: the "Sign in" button's
    python docs/examples/flask_app.py

Routes: ``/`` (sign-in page, or who is signed in), ``/login?organization=...&next=/path``,
``POST /login/email``, ``/callback`` (must match ``WORKOS_REDIRECT_URI``) and ``POST /logout``.

Tenancy: ``handle_callback`` refuses a profile from any organization other than the one the
sign-in was started for. That proves where the sign-in came from, not which of *your* tenants
the user belongs to: a real app maps ``profile.organization_id`` to its own tenant (refusing an
organization it has no tenant for) and never grants access on the email address alone. This
recipe takes the organization from ``/login?organization=`` so the demo can reach any
organization; a real app decides the organization on the server, for example from the subdomain
or its own tenant table.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Optional
from urllib.parse import urlsplit

from flask import Flask, redirect, render_template_string, request, session
from werkzeug.wrappers import Response

from workos_sso import (
    InvalidGrantError,
    NoSSOForDomainError,
    SessionUser,
    SignInError,
    SSOClient,
    StateError,
    UnexpectedOrganizationError,
    WorkOSError,
    handle_callback,
    safe_return_to,
    start_sign_in,
)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flask SSO example</title></head>
<body>
  {% if message %}<p id="message">{{ message }}</p>{% endif %}
  {% if user %}
    <p id="user">Signed in as <strong id="email">{{ user.email }}</strong>
      ({{ user.first_name or "" }} {{ user.last_name or "" }}), organization
      <code id="organization">{{ user.organization_id }}</code>.</p>
    <form method="post" action="/logout"><button id="sign-out">Sign out</button></form>
  {% else %}
    <h1>Sign in</h1>
    {% if organization %}
      <p><a id="sign-in" href="/login?organization={{ organization }}">Sign in</a></p>
    {% endif %}
    <form method="post" action="/login/email">
      <label>Work email <input id="email-input" name="email" type="email" required></label>
      <button id="sign-in-email">Continue with SSO</button>
    </form>
  {% endif %}
</body></html>
"""

# What the user sees when a callback is refused. Every case ends on the sign-in page: most are
# harmless (an old tab, a reload, a back button) and a fresh sign-in takes a few seconds.
EXPIRED = "Your sign-in expired or was already used. Please sign in again."
WRONG_ORGANIZATION = "That account belongs to another organization. Please sign in again."


def is_local_development(redirect_uri: str) -> bool:
    """Plain-HTTP loopback: the only place a session cookie may go without ``Secure``."""
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")


def create_app(environ: Optional[Mapping[str, str]] = None) -> Flask:
    env = os.environ if environ is None else environ
    redirect_uri = env["WORKOS_REDIRECT_URI"]
    organization = env.get("WORKOS_ORGANIZATION_ID", "")
    sso = SSOClient.from_env(environ=env)

    app = Flask(__name__)
    # Without APP_SECRET_KEY every restart signs everyone out, which is fine on a laptop only.
    app.secret_key = env.get("APP_SECRET_KEY") or secrets.token_hex(32)
    state_secret = app.secret_key
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        # Lax: the cookie comes along on the top-level redirect back from the identity provider.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not is_local_development(redirect_uri),
    )

    def page(message: Optional[str] = None) -> str:
        user = session.get("user")
        return render_template_string(
            PAGE,
            message=message or session.pop("message", None),
            user=SessionUser.from_dict(user) if user else None,
            organization=organization,
        )

    def back_to_sign_in(message: str) -> Response:
        session.clear()
        session["message"] = message
        return redirect("/")

    @app.get("/")
    def home() -> str:
        return page()

    @app.get("/login")
    def login() -> Response:
        # Demo only: the query string picks the organization. A real app decides it on the server
        # (from the subdomain, or its own tenant table); the callback then checks the user came
        # back from that organization.
        chosen = request.args.get("organization") or organization
        if not chosen:
            return back_to_sign_in("Choose an organization, or sign in with your work email.")
        start = start_sign_in(
            sso,
            redirect_uri=redirect_uri,
            organization=chosen,
            return_to=safe_return_to(request.args.get("next")),
            secret=state_secret,
        )
        session["sso_state"] = start.state.value
        return redirect(start.url)

    @app.post("/login/email")
    def login_by_email() -> Response:
        try:
            start = start_sign_in(
                sso, redirect_uri=redirect_uri, email=request.form["email"], secret=state_secret
            )
        except NoSSOForDomainError as error:
            # Where the app has another way to sign in (passwords, magic links), go there.
            return back_to_sign_in(f"{error.domain} does not use single sign-on here.")
        except WorkOSError:
            return back_to_sign_in("Enter a work email address such as jane@example.com.")
        session["sso_state"] = start.state.value
        return redirect(start.url)

    @app.get("/callback")
    def callback() -> Response:
        try:
            result = handle_callback(
                sso,
                request.args,
                # Popped, so this state is good for one callback only.
                expected_state=session.pop("sso_state", None),
                secret=state_secret,
            )
        except (StateError, InvalidGrantError):
            return back_to_sign_in(EXPIRED)
        except UnexpectedOrganizationError:
            return back_to_sign_in(WRONG_ORGANIZATION)
        except SignInError as error:
            app.logger.warning("SSO sign-in failed: %s", error)
            return back_to_sign_in(f"Sign-in failed ({error.error}). Please try again.")
        except WorkOSError as error:
            app.logger.warning("SSO callback refused: %s", error)
            return back_to_sign_in("Sign-in failed. Please try again.")
        # The check above proves which organization the sign-in came from. Before granting access,
        # a real app maps result.profile.organization_id to its own tenant (and refuses one it has
        # no tenant for); it never grants access on the email address alone.
        session.clear()  # a fresh session for the signed-in user, against session fixation
        session["user"] = SessionUser.from_profile(result.profile).to_dict()
        return redirect(result.return_to)

    @app.post("/logout")
    def logout() -> Response:
        user = session.get("user")
        session.clear()
        if not user:
            return redirect("/")
        try:
            # Ends the identity provider's session too, not just ours.
            logout = sso.authorize_logout(profile_id=SessionUser.from_dict(user).id)
        except WorkOSError:
            return redirect("/")
        return redirect(logout.logout_url)

    return app


if __name__ == "__main__":
    port = urlsplit(os.environ["WORKOS_REDIRECT_URI"]).port or 5000
    create_app().run(host="127.0.0.1", port=port)
