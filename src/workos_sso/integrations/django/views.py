"""The sign-in, callback and sign-out views (``urls.py`` routes them; a project may too).

Every refusal ends on ``WORKOS_SSO["SIGN_IN_PAGE"]`` with a short message through
``django.contrib.messages`` (shown if the project installs it), signed out, never with a 500.
"""

from __future__ import annotations

import logging
from typing import Optional

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from workos_sso import (
    InvalidGrantError,
    NoSSOForDomainError,
    SessionUser,
    SignInError,
    SignInStart,
    StateError,
    UnexpectedOrganizationError,
    WorkOSError,
    handle_callback,
    safe_return_to,
    start_sign_in,
)

from .backends import WorkOSBackend
from .conf import get_client, sso_settings
from .signals import sign_in_completed
from .users import SESSION_STATE_KEY, SESSION_USER_KEY

logger: logging.Logger = logging.getLogger("workos_sso.integrations.django")

EXPIRED = "Your sign-in expired or was already used. Please sign in again."
WRONG_ORGANIZATION = "That account belongs to another organization. Please sign in again."
NOT_ALLOWED = "This account cannot sign in here."
CHOOSE = "Choose an organization, or use your work email."
ENTER_EMAIL = "Enter a work email address such as jane@example.com."
FAILED = "Sign-in failed. Please try again."


def back_to_sign_in(request: HttpRequest, message: str) -> HttpResponse:
    """Sign out, and show ``message`` on the sign-in page."""
    auth.logout(request)
    messages.error(request, message, fail_silently=True)
    return HttpResponseRedirect(sso_settings().resolved_sign_in_page())


def _return_to(request: HttpRequest, value: Optional[str]) -> str:
    default = sso_settings().resolved_login_redirect()
    return safe_return_to(value, default=safe_return_to(default))


def _redirect_to_workos(request: HttpRequest, start: SignInStart) -> HttpResponse:
    # Popped by the callback, so this state is good for one callback only.
    request.session[SESSION_STATE_KEY] = start.state.value
    return HttpResponseRedirect(start.url)


@never_cache
@require_GET
def login(request: HttpRequest) -> HttpResponse:
    """Start a sign-in: ``?organization=``, ``?connection=`` or ``?provider=`` (at most one;
    none means ``WORKOS_SSO["ORGANIZATION"]``), and ``?next=`` for where to end (same site only).

    This is the view for ``LOGIN_URL``, so ``@login_required`` pages send users here.
    """
    current = sso_settings()
    selectors = {
        name: request.GET[name]
        for name in ("organization", "connection", "provider")
        if request.GET.get(name)
    }
    if not selectors and current.organization:
        selectors = {"organization": current.organization}
    if len(selectors) != 1:
        return back_to_sign_in(request, CHOOSE)
    try:
        start = start_sign_in(
            get_client(),
            redirect_uri=current.redirect_uri,
            return_to=_return_to(request, request.GET.get(REDIRECT_FIELD_NAME)),
            secret=settings.SECRET_KEY,
            **selectors,  # type: ignore[arg-type]
        )
    except WorkOSError as error:
        logger.warning("SSO sign-in could not start: %s", error)
        return back_to_sign_in(request, FAILED)
    return _redirect_to_workos(request, start)


@never_cache
@csrf_protect
@require_POST
def login_by_email(request: HttpRequest) -> HttpResponse:
    """Start a sign-in at the SSO connection of the posted ``email``'s domain."""
    current = sso_settings()
    try:
        start = start_sign_in(
            get_client(),
            redirect_uri=current.redirect_uri,
            email=request.POST.get("email", ""),
            return_to=_return_to(request, request.POST.get(REDIRECT_FIELD_NAME)),
            secret=settings.SECRET_KEY,
        )
    except NoSSOForDomainError as error:
        return back_to_sign_in(request, f"{error.domain} does not use single sign-on here.")
    except WorkOSError:
        return back_to_sign_in(request, ENTER_EMAIL)
    return _redirect_to_workos(request, start)


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Finish a sign-in: check the state and the organization, link the user, sign in."""
    try:
        result = handle_callback(
            get_client(),
            request.GET,
            expected_state=request.session.pop(SESSION_STATE_KEY, None),
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
        return back_to_sign_in(request, FAILED)
    try:
        with transaction.atomic():
            user = auth.authenticate(request, sso_result=result)
            if user is None:
                return back_to_sign_in(request, NOT_ALLOWED)
            sign_in_completed.send(sender=WorkOSBackend, request=request, user=user, result=result)
    except PermissionDenied as refusal:
        return back_to_sign_in(request, str(refusal) or NOT_ALLOWED)
    # A new session key for the signed-in user (auth.login rotates it).
    auth.login(request, user)
    request.session[SESSION_USER_KEY] = SessionUser.from_profile(result.profile).to_dict()
    return HttpResponseRedirect(result.return_to)


@never_cache
@csrf_protect
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out here, then at the identity provider through WorkOS when it can."""
    data = request.session.get(SESSION_USER_KEY)
    auth.logout(request)
    fallback = HttpResponseRedirect(sso_settings().resolved_logout_redirect())
    profile_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(profile_id, str):
        return fallback
    try:
        # Ends the identity provider's session too, not just ours.
        authorization = get_client().authorize_logout(profile_id=profile_id)
    except WorkOSError:
        return fallback
    return HttpResponseRedirect(authorization.logout_url)
