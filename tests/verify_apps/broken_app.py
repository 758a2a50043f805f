"""A small Flask sign-in with one deliberate fault, for the ``verify`` probe to find.

Without ``FAULT`` it does everything right, by hand (no ``start_sign_in``/``handle_callback``),
the way an app written against the bare API would: a refused callback removes only the pending
sign-in, its messages are fixed sentences, and ``next`` must be a same-site path.
``FAULT`` plants exactly one mistake:

``no-state-check``
    the callback never compares ``state`` with the one it handed out;
``state-cookie``
    the state lives in its own cookie, readable by page scripts (no ``HttpOnly``);
``replay``
    the callback remembers each code's profile and signs in again when the code comes back;
``open-redirect``
    ``/login?next=`` is followed blindly after sign-in;
``backslash-next``
    ``next`` is checked with ``startswith("/") and not startswith("//")``, which ``/\\evil``
    and ``/<tab>/evil`` pass: browsers read both as ``//evil``;
``urlsplit-next``
    an absolute ``next`` is accepted when Python's ``urlsplit`` finds this app's host in it,
    as it does in ``http://evil.example\\@127.0.0.1:PORT/`` (a browser goes to evil.example);
``reflected-error``
    a refused callback's page prints the query's ``error`` without escaping it;
``forged-signs-out``
    any refused callback clears the whole session, so a forged one signs the user out;
``secure-cookie``
    the session cookie is ``Secure`` although the app is served over plain http.

Werkzeug percent-encodes a backslash in a ``Location`` (``/%5Cevil`` is a path to a browser),
which other stacks do not; the two ``next`` faults write their ``Location`` below Werkzeug, as
such an app would send it.

Run with ``PORT``, ``FAULT`` and the usual ``WORKOS_*`` variables; ``/me`` is the protected page.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Iterable
from typing import Any, Callable, Optional, Union
from urllib.parse import urlsplit

from flask import Flask, redirect, request, session
from werkzeug.wrappers import Response

from workos_sso import SSOClient, WorkOSError, safe_return_to

FAULTS = (
    "",
    "no-state-check",
    "state-cookie",
    "replay",
    "open-redirect",
    "backslash-next",
    "urlsplit-next",
    "reflected-error",
    "forged-signs-out",
    "secure-cookie",
)
#: The pending sign-in's keys in the session: all a refused callback may remove.
PENDING = ("state", "next")
#: A header the app sets for the middleware below to send as ``Location``, unencoded.
RAW_LOCATION = "X-Raw-Location"
#: The faults whose redirect after sign-in keeps a backslash as it was written.
RAW_LOCATION_FAULTS = ("backslash-next", "urlsplit-next")


def send_raw_location(wsgi_app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """WSGI middleware: ``Location`` becomes the ``X-Raw-Location`` header's value, as set."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(
            status: str, headers: list[tuple[str, str]], exc_info: Optional[Any] = None
        ) -> Any:
            raw = [value for name, value in headers if name == RAW_LOCATION]
            if raw:
                headers = [
                    (name, value)
                    for name, value in headers
                    if name not in ("Location", RAW_LOCATION)
                ]
                headers.append(("Location", raw[0]))
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return middleware


def create_app(fault: str) -> Flask:
    assert fault in FAULTS, f"unknown FAULT {fault!r}"
    sso = SSOClient.from_env()
    redirect_uri = os.environ["WORKOS_REDIRECT_URI"]
    app = Flask(__name__)
    app.secret_key = secrets.token_hex(32)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=fault == "secure-cookie",
    )
    profiles_by_code: dict[str, str] = {}

    def post_login_target(next_path: str) -> str:
        if fault == "open-redirect":
            return next_path
        if fault == "backslash-next":
            return (
                next_path if next_path.startswith("/") and not next_path.startswith("//") else "/me"
            )
        if fault == "urlsplit-next" and urlsplit(next_path).hostname == request.host.split(":")[0]:
            return next_path
        return safe_return_to(next_path, default="/me")

    def refuse(message: str) -> tuple[str, int]:
        if fault == "forged-signs-out":
            session.clear()
        else:
            # An established session survives a refused callback; only the sign-in in progress
            # ends.
            for key in PENDING:
                session.pop(key, None)
        return message, 400

    @app.get("/login")
    def login() -> Response:
        state = secrets.token_urlsafe(32)
        url = sso.get_authorization_url(
            redirect_uri=redirect_uri, organization=request.args["organization"], state=state
        )
        response = redirect(url)
        session["next"] = post_login_target(request.args.get("next", "/me"))
        if fault == "state-cookie":
            response.set_cookie("sso_state", state, samesite="Lax", httponly=False)
        else:
            session["state"] = state
        return response

    @app.get("/callback")
    def callback() -> Union[Response, tuple[str, int]]:
        if "error" in request.args:
            if fault == "reflected-error":
                return refuse(f"<p>Sign-in failed: {request.args['error']}</p>")
            return refuse("Sign-in failed.")
        if fault == "state-cookie":
            expected = request.cookies.get("sso_state", "")
        else:
            expected = session.pop("state", "")
        given = request.args.get("state", "")
        if fault != "no-state-check" and not (expected and hmac.compare_digest(expected, given)):
            return refuse("Your sign-in expired. Please sign in again.")
        code = request.args.get("code", "")
        if fault == "replay" and code in profiles_by_code:
            email = profiles_by_code[code]
        else:
            try:
                email = sso.get_profile_and_token(code).profile.email
            except WorkOSError:
                return refuse("Your sign-in expired. Please sign in again.")
            profiles_by_code[code] = email
        next_path = session.get("next", "/me")
        session.clear()
        session["user"] = email
        response = redirect(next_path)
        if fault in RAW_LOCATION_FAULTS:
            response.headers[RAW_LOCATION] = next_path
        response.delete_cookie("sso_state")
        return response

    @app.get("/me")
    def me() -> Union[str, tuple[str, int]]:
        user = session.get("user")
        return (f"Signed in as {user}", 200) if user else ("Sign in first.", 401)

    if fault in RAW_LOCATION_FAULTS:
        app.wsgi_app = send_raw_location(app.wsgi_app)  # type: ignore[method-assign]
    return app


if __name__ == "__main__":
    create_app(os.environ.get("FAULT", "")).run(host="127.0.0.1", port=int(os.environ["PORT"]))
