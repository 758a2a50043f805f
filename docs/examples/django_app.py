"""Sign in with WorkOS SSO in Django, as one file: a complete, copyable recipe.

In a real project the settings go to ``settings.py``, the views to ``views.py`` and the routes to
``urls.py``; nothing else changes. Run it against the emulator (``python tests/emulator.py``
prints its URL)::

    pip install workos-sso django
    export WORKOS_API_KEY=sk_test_default WORKOS_CLIENT_ID=client_01TESTCLIENT
    export WORKOS_BASE_URL=http://127.0.0.1:4100          # the emulator; omit for WorkOS
    export WORKOS_REDIRECT_URI=http://127.0.0.1:8000/callback
    export WORKOS_ORGANIZATION_ID=org_...                  # optional: the "Sign in" button's
    python docs/examples/django_app.py runserver 127.0.0.1:8000

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

import logging
import os
import secrets
import sys
from typing import Optional
from urllib.parse import urlsplit

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

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

REDIRECT_URI = os.environ["WORKOS_REDIRECT_URI"]
DEFAULT_ORGANIZATION = os.environ.get("WORKOS_ORGANIZATION_ID", "")
_redirect = urlsplit(REDIRECT_URI)
LOCAL_DEVELOPMENT = _redirect.scheme == "http" and _redirect.hostname in (
    "localhost",
    "127.0.0.1",
    "::1",
)

settings.configure(
    DEBUG=False,
    # Without APP_SECRET_KEY every restart signs everyone out, which is fine on a laptop only.
    SECRET_KEY=os.environ.get("APP_SECRET_KEY") or secrets.token_hex(32),
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=[_redirect.hostname or "localhost", "testserver"],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
    ],
    INSTALLED_APPS=[],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
    # A signed cookie needs no database; any session engine works the same way.
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    SESSION_COOKIE_HTTPONLY=True,
    # Lax: the cookie comes along on the top-level redirect back from the identity provider.
    SESSION_COOKIE_SAMESITE="Lax",
    SESSION_COOKIE_SECURE=not LOCAL_DEVELOPMENT,
    CSRF_COOKIE_SECURE=not LOCAL_DEVELOPMENT,
)
django.setup()

from django.template import engines  # noqa: E402  (needs the settings above)

logger = logging.getLogger(__name__)
sso = SSOClient.from_env()

PAGE = engines["django"].from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Django SSO example</title></head>
<body>
  {% if message %}<p id="message">{{ message }}</p>{% endif %}
  {% if user %}
    <p id="user">Signed in as <strong id="email">{{ user.email }}</strong>
      ({{ user.first_name|default:"" }} {{ user.last_name|default:"" }}), organization
      <code id="organization">{{ user.organization_id }}</code>.</p>
    <form method="post" action="/logout">{% csrf_token %}
      <button id="sign-out">Sign out</button></form>
  {% else %}
    <h1>Sign in</h1>
    {% if organization %}
      <p><a id="sign-in" href="/login?organization={{ organization|urlencode }}">Sign in</a></p>
    {% endif %}
    <form method="post" action="/login/email">{% csrf_token %}
      <label>Work email <input id="email-input" name="email" type="email" required></label>
      <button id="sign-in-email">Continue with SSO</button>
    </form>
  {% endif %}
</body></html>
"""
)

# What the user sees when a callback is refused. Every case ends on the sign-in page: most are
# harmless (an old tab, a reload, a back button) and a fresh sign-in takes a few seconds.
EXPIRED = "Your sign-in expired or was already used. Please sign in again."
WRONG_ORGANIZATION = "That account belongs to another organization. Please sign in again."


def back_to_sign_in(request: HttpRequest, message: str) -> HttpResponse:
    request.session.flush()
    request.session["message"] = message
    return HttpResponseRedirect("/")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.session.get("user")
    context = {
        "message": request.session.pop("message", None),
        "user": SessionUser.from_dict(user) if user else None,
        "organization": DEFAULT_ORGANIZATION,
    }
    return HttpResponse(PAGE.render(context, request))


@require_GET
def login(request: HttpRequest) -> HttpResponse:
    # Demo only: the query string picks the organization. A real app decides it on the server
    # (from the subdomain, or its own tenant table); the callback then checks the user came
    # back from that organization.
    chosen: Optional[str] = request.GET.get("organization") or DEFAULT_ORGANIZATION
    if not chosen:
        return back_to_sign_in(request, "Choose an organization, or use your work email.")
    start = start_sign_in(
        sso,
        redirect_uri=REDIRECT_URI,
        organization=chosen,
        return_to=safe_return_to(request.GET.get("next")),
        secret=settings.SECRET_KEY,
    )
    request.session["sso_state"] = start.state.value
    return HttpResponseRedirect(start.url)


@require_POST
def login_by_email(request: HttpRequest) -> HttpResponse:
    try:
        start = start_sign_in(
            sso,
            redirect_uri=REDIRECT_URI,
            email=request.POST.get("email", ""),
            secret=settings.SECRET_KEY,
        )
    except NoSSOForDomainError as error:
        # Where the app has another way to sign in (passwords, magic links), go there.
        return back_to_sign_in(request, f"{error.domain} does not use single sign-on here.")
    except WorkOSError:
        return back_to_sign_in(request, "Enter a work email address such as jane@example.com.")
    request.session["sso_state"] = start.state.value
    return HttpResponseRedirect(start.url)


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    try:
        result = handle_callback(
            sso,
            request.GET,
            # Popped, so this state is good for one callback only.
            expected_state=request.session.pop("sso_state", None),
            secret=settings.SECRET_KEY,
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
    request.session.cycle_key()  # a new session key for the signed-in user
    request.session["user"] = SessionUser.from_profile(result.profile).to_dict()
    return HttpResponseRedirect(result.return_to)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    user = request.session.get("user")
    request.session.flush()
    if not user:
        return HttpResponseRedirect("/")
    try:
        # Ends the identity provider's session too, not just ours.
        authorization = sso.authorize_logout(profile_id=SessionUser.from_dict(user).id)
    except WorkOSError:
        return HttpResponseRedirect("/")
    return HttpResponseRedirect(authorization.logout_url)


urlpatterns = [
    path("", home),
    path("login", login),
    path("login/email", login_by_email),
    path("callback", callback),
    path("logout", logout),
]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
