"""Sign in with WorkOS SSO in a Flask app, on the ``workos_sso.integrations.flask`` extension.

Run it against the emulator (``python tests/emulator.py`` prints its URL)::

    pip install 'workos-sso[flask]'
    export WORKOS_API_KEY=sk_test_default WORKOS_CLIENT_ID=client_01TESTCLIENT
    export WORKOS_BASE_URL=http://127.0.0.1:4100          # the emulator; omit for WorkOS
    export WORKOS_REDIRECT_URI=http://127.0.0.1:5000/callback
    export WORKOS_ORGANIZATION_ID=org_...                  # the "Sign in" button's organization
    python docs/examples/flask_app.py

The extension adds ``/login?organization=...&next=/path``, ``POST /login/email``, ``/callback``
(the path of ``WORKOS_REDIRECT_URI``) and ``POST /logout``; this app adds ``/`` (the sign-in
page, or who is signed in) and ``/account`` (signed-in users only).

Who may sign in: ``WORKOS_ALLOWED_ORGANIZATIONS`` (comma-separated ids, or ``*``); unset, only
``WORKOS_ORGANIZATION_ID``. The extension refuses any other organization at ``/login`` and again
at the callback, so the app's pages never see a user from elsewhere. The page below prints
the messages and the user through Jinja, which escapes them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Optional
from urllib.parse import urlsplit

from flask import Flask, get_flashed_messages, render_template_string

from workos_sso.integrations.flask import WorkOSSSO, current_user, login_required

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flask SSO example</title></head>
<body>
  {% for message in messages %}<p id="message">{{ message }}</p>{% endfor %}
  {% if current_user %}
    <p id="user">Signed in as <strong id="email">{{ current_user.email }}</strong>
      ({{ current_user.first_name or "" }} {{ current_user.last_name or "" }}), organization
      <code id="organization">{{ current_user.organization_id }}</code>.</p>
    <form method="post" action="{{ url_for('workos_sso.logout') }}">
      <button id="sign-out">Sign out</button></form>
  {% else %}
    <h1>Sign in</h1>
    {% if organization %}
      <p><a id="sign-in" href="{{ url_for('workos_sso.login', organization=organization,
        next=request.args.get('next')) }}">Sign in</a></p>
    {% endif %}
    <form method="post" action="{{ url_for('workos_sso.login_email') }}">
      <label>Work email <input id="email-input" name="email" type="email" required></label>
      {% if request.args.get('next') %}
        <input type="hidden" name="next" value="{{ request.args.get('next') }}">{% endif %}
      <button id="sign-in-email">Continue with SSO</button>
    </form>
  {% endif %}
</body></html>
"""

SETTINGS = (
    "WORKOS_API_KEY",
    "WORKOS_CLIENT_ID",
    "WORKOS_BASE_URL",
    "WORKOS_REDIRECT_URI",
    "WORKOS_ORGANIZATION_ID",
)


def create_app(environ: Optional[Mapping[str, str]] = None) -> Flask:
    env = os.environ if environ is None else environ
    app = Flask(__name__)
    app.config.update({key: env[key] for key in SETTINGS if env.get(key)})
    allowed = env.get("WORKOS_ALLOWED_ORGANIZATIONS")
    if allowed:
        app.config["WORKOS_ALLOWED_ORGANIZATIONS"] = (
            "*" if allowed == "*" else [org for org in allowed.split(",") if org]
        )
    # Without APP_SECRET_KEY every restart signs everyone out, which is fine on a laptop only.
    app.secret_key = env.get("APP_SECRET_KEY") or secrets.token_hex(32)
    WorkOSSSO(app)

    @app.get("/")
    def home() -> str:
        return render_template_string(
            PAGE,
            messages=get_flashed_messages(category_filter=["workos_sso"]),
            organization=app.config.get("WORKOS_ORGANIZATION_ID"),
        )

    @app.get("/account")
    @login_required
    def account() -> dict[str, Optional[str]]:
        return {"email": current_user.email, "organization": current_user.organization_id}

    return app


if __name__ == "__main__":
    port = urlsplit(os.environ["WORKOS_REDIRECT_URI"]).port or 5000
    create_app().run(host="127.0.0.1", port=port)
