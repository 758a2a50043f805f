"""The sign-in, callback and sign-out views (``urls.py`` routes them; a project may too).

Each view runs one route of the shared sign-in flow (``workos_sso.integrations._flow``) and
turns its answer into a response: a redirect, or a refusal's fixed sentence through
``django.contrib.messages`` (shown if the project installs it) and a redirect to
``WORKOS_SSO["SIGN_IN_PAGE"]``. A refusal never signs anyone out: a forged or replayed callback
leaves an established session as it was.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any, Optional, cast

from django.contrib import auth, messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from workos_sso import SessionUser, SignInRefused, SignInResult
from workos_sso.integrations._drive import run
from workos_sso.integrations._flow import (
    AcceptSignIn,
    Effect,
    EndSession,
    Redirect,
    Response,
    StartSession,
    Steps,
)

from .conf import WorkOSSSO

__all__ = ["callback", "login", "login_by_email", "logout"]

logger: logging.Logger = logging.getLogger("workos_sso.integrations.django")


def _session(request: HttpRequest) -> MutableMapping[str, Any]:
    # SessionBase has the mapping methods the flow uses (get, pop, [] =), without the ABC.
    return cast(MutableMapping[str, Any], request.session)


class _Effects:
    """What the flow asks of Django during one request: the hook, the backend, ``auth``."""

    def __init__(self, request: HttpRequest, sso: WorkOSSSO) -> None:
        self.request = request
        self.sso = sso
        self.user: Optional[AbstractBaseUser] = None

    def __call__(self, effect: Effect) -> Any:
        if isinstance(effect, AcceptSignIn):
            return self.accept(effect.result)
        if isinstance(effect, StartSession):
            self.start_session()
            return None
        if isinstance(effect, EndSession):
            auth.logout(self.request)
            return None
        raise TypeError(f"not an effect for the Django views: {effect!r}")

    def accept(self, result: SignInResult) -> Optional[SessionUser]:
        """The app's hook, then the backend, in one transaction: a refusal saves nothing."""
        profile_id = result.profile.id
        try:
            with transaction.atomic():
                hook = self.sso.on_sign_in
                kept = hook(self.request, result) if hook is not None else None
                user = auth.authenticate(self.request, sso_result=result)
                if user is None:
                    logger.warning(
                        "SSO sign-in of profile %s refused by the authentication backends.",
                        profile_id,
                    )
                    raise SignInRefused()
        except IntegrityError as error:
            # Not the race the backend handles: a user it cannot save. A refusal, not a 500.
            logger.warning("SSO sign-in of profile %s refused: %s", profile_id, error)
            raise SignInRefused() from None
        except PermissionDenied:
            logger.warning("SSO sign-in of profile %s refused: permission denied.", profile_id)
            raise SignInRefused() from None
        self.user = user
        return kept

    def start_session(self) -> None:
        """A new session under a new key, holding nothing of the one before, for the user."""
        assert self.user is not None, "StartSession before AcceptSignIn"
        self.request.session.flush()
        auth.login(self.request, self.user)


def _respond(request: HttpRequest, sso: WorkOSSSO, steps: Steps) -> HttpResponse:
    answer: Response = run(steps, sso.client, _Effects(request, sso))
    if not isinstance(answer, Redirect):
        messages.error(request, answer.message, fail_silently=True)
    return HttpResponseRedirect(answer.location)


@never_cache
@require_GET
def login(request: HttpRequest) -> HttpResponse:
    """Start a sign-in: ``?organization=``, ``?connection=`` or ``?provider=`` (at most one;
    none means ``WORKOS_SSO["ORGANIZATION"]``), and ``?next=`` for where to end (same site only).

    Without a selector or a default organization, the sign-in page asks, with ``?next=``.
    This is the view for ``LOGIN_URL``, so ``@login_required`` pages send users here.
    """
    sso = WorkOSSSO.current()
    return _respond(request, sso, sso.flow.login(request.GET, _session(request)))


@never_cache
@csrf_protect
@require_POST
def login_by_email(request: HttpRequest) -> HttpResponse:
    """Start a sign-in at the SSO connection of the posted ``email``'s domain (and ``next``)."""
    sso = WorkOSSSO.current()
    return _respond(
        request, sso, sso.flow.login_by_email(request.POST, _session(request), request.headers)
    )


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Finish a sign-in: check the state, the code and the policy; link the user; sign in."""
    sso = WorkOSSSO.current()
    return _respond(request, sso, sso.flow.callback(request.GET, _session(request)))


@never_cache
@csrf_protect
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out here, then at the identity provider through WorkOS when it can."""
    sso = WorkOSSSO.current()
    return _respond(request, sso, sso.flow.logout(_session(request), request.headers))
