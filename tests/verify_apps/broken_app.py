"""A small Flask sign-in with one deliberate fault, for the ``verify`` probe to find.

Without ``FAULT`` it does everything right, by hand (no ``start_sign_in``/``handle_callback``),
the way an app written against the bare API would. ``FAULT`` plants exactly one mistake:

``no-state-check``
    the callback never compares ``state`` with the one it handed out;
``state-cookie``
    the state lives in its own cookie, readable by page scripts (no ``HttpOnly``);
``replay``
    the callback remembers each code's profile and signs in again when the code comes back;
``open-redirect``
    ``/login?next=`` is followed blindly after sign-in.

Run with ``PORT``, ``FAULT`` and the usual ``WORKOS_*`` variables; ``/me`` is the protected page.
"""

from __future__ import annotations

import hmac
import os
import secrets
from typing import Union

from flask import Flask, redirect, request, session
from werkzeug.wrappers import Response

from workos_sso import SSOClient, WorkOSError

FAULTS = ("", "no-state-check", "state-cookie", "replay", "open-redirect")


def create_app(fault: str) -> Flask:
    assert fault in FAULTS, f"unknown FAULT {fault!r}"
    sso = SSOClient.from_env()
    redirect_uri = os.environ["WORKOS_REDIRECT_URI"]
    app = Flask(__name__)
    app.secret_key = secrets.token_hex(32)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    profiles_by_code: dict[str, str] = {}

    @app.get("/login")
    def login() -> Response:
        state = secrets.token_urlsafe(32)
        url = sso.get_authorization_url(
            redirect_uri=redirect_uri, organization=request.args["organization"], state=state
        )
        next_path = request.args.get("next", "/me")
        if fault != "open-redirect" and not (next_path.startswith("/") and "//" not in next_path):
            next_path = "/me"
        response = redirect(url)
        session["next"] = next_path
        if fault == "state-cookie":
            response.set_cookie("sso_state", state, samesite="Lax", httponly=False)
        else:
            session["state"] = state
        return response

    @app.get("/callback")
    def callback() -> Union[Response, tuple[str, int]]:
        if "error" in request.args:
            session.clear()
            return "Sign-in failed.", 400
        if fault == "state-cookie":
            expected = request.cookies.get("sso_state", "")
        else:
            expected = session.pop("state", "")
        given = request.args.get("state", "")
        if fault != "no-state-check" and not (expected and hmac.compare_digest(expected, given)):
            session.clear()
            return "Your sign-in expired. Please sign in again.", 400
        code = request.args.get("code", "")
        if fault == "replay" and code in profiles_by_code:
            email = profiles_by_code[code]
        else:
            try:
                email = sso.get_profile_and_token(code).profile.email
            except WorkOSError:
                session.clear()
                return "Your sign-in expired. Please sign in again.", 400
            profiles_by_code[code] = email
        next_path = session.get("next", "/me")
        session.clear()
        session["user"] = email
        response = redirect(next_path)
        response.delete_cookie("sso_state")
        return response

    @app.get("/me")
    def me() -> Union[str, tuple[str, int]]:
        user = session.get("user")
        return (f"Signed in as {user}", 200) if user else ("Sign in first.", 401)

    return app


if __name__ == "__main__":
    create_app(os.environ.get("FAULT", "")).run(host="127.0.0.1", port=int(os.environ["PORT"]))
