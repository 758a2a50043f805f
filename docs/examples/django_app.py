"""Sign in with WorkOS SSO in Django, as one file: a project on ``workos_sso.integrations.django``.

In a real project the settings go to ``settings.py``, the view to ``views.py`` and the routes to
``urls.py``, and ``manage.py migrate`` creates the tables. Run it against the emulator
(``python tests/emulator.py`` prints its URL)::

    pip install 'workos-sso[django]'
    export WORKOS_API_KEY=sk_test_default WORKOS_CLIENT_ID=client_01TESTCLIENT
    export WORKOS_BASE_URL=http://127.0.0.1:4100          # the emulator; omit for WorkOS
    export WORKOS_REDIRECT_URI=http://127.0.0.1:8000/callback
    export WORKOS_ORGANIZATION_ID=org_...                  # the "Sign in" button's organization
    python docs/examples/django_app.py runserver 127.0.0.1:8000

Routes: ``/`` (sign-in page, or who is signed in), ``/account`` (``@login_required``),
``/login?organization=...&next=/path``, ``POST /login/email``, ``/callback`` (must match
``WORKOS_REDIRECT_URI``) and ``POST /logout``: the integration's views, routed here without
the trailing slashes its ``urls.py`` has, so that every recipe has the same routes.

Who may sign in: ``WORKOS_ALLOWED_ORGANIZATIONS`` (comma-separated ids, or ``*``); unset, only
``WORKOS_ORGANIZATION_ID``. The views refuse any other organization at ``/login`` and again at
the callback, and the backend links a user by profile id, never by email alone. A real app
also maps ``result.profile.organization_id`` to its own tenant in an ``ON_SIGN_IN`` hook,
raising ``SignInRefused`` for an organization it has no tenant for. The page below prints the
messages and the user through Django's templates, which escape them.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from urllib.parse import urlencode, urlsplit

import django
from django.conf import settings

REDIRECT_URI = os.environ["WORKOS_REDIRECT_URI"]
# The integration accepts a plain-http redirect URI on localhost only: local development.
LOCAL_DEVELOPMENT = REDIRECT_URI.startswith("http://")
ALLOWED = os.environ.get("WORKOS_ALLOWED_ORGANIZATIONS")

settings.configure(
    DEBUG=False,
    # Without APP_SECRET_KEY every restart signs everyone out, which is fine on a laptop only.
    SECRET_KEY=os.environ.get("APP_SECRET_KEY") or secrets.token_hex(32),
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=[urlsplit(REDIRECT_URI).hostname or "localhost", "testserver"],
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "workos_sso.integrations.django",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ],
    AUTHENTICATION_BACKENDS=["workos_sso.integrations.django.backends.WorkOSBackend"],
    WORKOS_SSO={
        "API_KEY": os.environ.get("WORKOS_API_KEY"),
        "CLIENT_ID": os.environ.get("WORKOS_CLIENT_ID"),
        "REDIRECT_URI": REDIRECT_URI,
        "BASE_URL": os.environ.get("WORKOS_BASE_URL"),
        "ORGANIZATION": os.environ.get("WORKOS_ORGANIZATION_ID"),
        # A list of organization ids, or "*" for every organization of the environment.
        "ALLOWED_ORGANIZATIONS": ALLOWED if ALLOWED in (None, "*") else ALLOWED.split(","),
    },
    LOGIN_URL="/login",
    LOGIN_REDIRECT_URL="/",
    # A throwaway database: this file creates its tables at start (below).
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(tempfile.mkdtemp(prefix="django-sso-"), "db.sqlite3"),
        }
    },
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "context_processors": [
                    "django.contrib.auth.context_processors.auth",  # {{ user }}
                    "django.contrib.messages.context_processors.messages",  # why a sign-in failed
                ]
            },
        }
    ],
    SESSION_COOKIE_HTTPONLY=True,
    # Lax: the cookie comes along on the top-level redirect back from the identity provider.
    SESSION_COOKIE_SAMESITE="Lax",
    # Secure in production; plain-http localhost development has no https to send it over.
    SESSION_COOKIE_SECURE=not LOCAL_DEVELOPMENT,
    CSRF_COOKIE_SECURE=not LOCAL_DEVELOPMENT,
    # The forms carry the token ({% csrf_token %}), so no script needs to read the cookie.
    CSRF_COOKIE_HTTPONLY=True,
)
django.setup()

# Everything below needs the settings above.
from django.core.management import call_command, execute_from_command_line  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.http import require_GET  # noqa: E402

from workos_sso.integrations.django import current_user, login_required, views  # noqa: E402

# What `manage.py migrate` does in a real project.
call_command("migrate", verbosity=0, interactive=False)

PAGE = engines["django"].from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Django SSO example</title></head>
<body>
  {% for message in messages %}<p id="message">{{ message }}</p>{% endfor %}
  {% if user.is_authenticated %}
    <p id="user">Signed in as <strong id="email">{{ user.email }}</strong>
      ({{ user.first_name }} {{ user.last_name }}), organization
      <code id="organization">{{ sso_user.organization_id }}</code>, account
      <code id="account">{{ user.pk }}</code>.</p>
    <form method="post" action="/logout">{% csrf_token %}
      <button id="sign-out">Sign out</button></form>
  {% else %}
    <h1>Sign in</h1>
    {% if sign_in_url %}
      <p><a id="sign-in" href="{{ sign_in_url }}">Sign in</a></p>
    {% endif %}
    <form method="post" action="/login/email">{% csrf_token %}
      <label>Work email <input id="email-input" name="email" type="email" required></label>
      {% if next %}<input type="hidden" name="next" value="{{ next }}">{% endif %}
      <button id="sign-in-email">Continue with SSO</button>
    </form>
  {% endif %}
</body></html>
"""
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # Where /login sent the user to sign in from (it adds ?next= when it needs to ask): both
    # ways in pass it on, so the user ends where they were going.
    next_path = request.GET.get("next", "")
    organization = settings.WORKOS_SSO.get("ORGANIZATION")
    query = {"organization": organization, **({"next": next_path} if next_path else {})}
    context = {
        # The organization, role and profile id of the sign-in behind request.user.
        "sso_user": current_user(request),
        "sign_in_url": "/login?" + urlencode(query) if organization else "",
        "next": next_path,
    }
    return HttpResponse(PAGE.render(context, request))


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"Your account: {request.user.get_username()}", content_type="text/plain")


urlpatterns = [
    path("", home),
    path("account", account),
    # Or, with the trailing slashes of most Django projects (/sso/login/, /sso/callback/, ...):
    # path("sso/", include("workos_sso.integrations.django.urls")),
    path("login", views.login),
    path("login/email", views.login_by_email),
    path("callback", views.callback),
    path("logout", views.logout),
]

if __name__ == "__main__":
    execute_from_command_line(sys.argv)
