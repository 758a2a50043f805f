"""Who is signed in: ``current_user(request)`` and the ``login_required`` view decorator; and
for a JSON API, the ``access_token_required`` view decorator (bearer access tokens)."""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, TypeVar, overload

from django.http import HttpRequest, HttpResponseBase

from workos_sso import SessionUser
from workos_sso.integrations._flow import SESSION_USER_KEY, SignInFlow

__all__ = ["SESSION_USER_KEY", "access_token_required", "current_user", "login_required"]

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])

#: The URL name of the login view, where ``login_required`` sends signed-out users.
LOGIN_VIEW = "workos_sso:login"


def current_user(request: HttpRequest) -> Optional[SessionUser]:
    """The WorkOS profile (as a ``SessionUser``) the current session signed in with, or None.

    ``request.user`` is the Django user; this adds what only the sign-in knows, such as the
    organization id and the role (or what the ``ON_SIGN_IN`` hook chose to keep). None when
    nobody is signed in, or the user signed in another way (the admin's password form, for
    example).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return SignInFlow.current_user(request.session)


def _login_url() -> str:
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(LOGIN_VIEW)
    except NoReverseMatch:
        # The views routed without the app's urls.py (and so its namespace): LOGIN_URL.
        from django.shortcuts import resolve_url

        return str(resolve_url(settings.LOGIN_URL))


@overload
def login_required(view: _View) -> _View: ...
@overload
def login_required(*, login_url: Optional[str] = None) -> Callable[[_View], _View]: ...


def login_required(view: Optional[_View] = None, *, login_url: Optional[str] = None) -> Any:
    """Send a visitor without a WorkOS sign-in to the login view, with ``?next=`` this page.

    ``login_url`` (a path or URL name) defaults to ``workos_sso:login``, else ``LOGIN_URL``.
    A user signed in another way (the admin's password form) has no ``current_user`` and is
    sent to sign in with WorkOS too; Django's own ``login_required`` accepts any sign-in.

    Example:
        ```python
        @login_required
        def account(request):
            return render(request, "account.html", {"sso_user": current_user(request)})
        ```
    """

    def decorate(function: _View) -> _View:
        @functools.wraps(function)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if current_user(request) is not None:
                return function(request, *args, **kwargs)
            # Imported here: django.contrib.auth.views needs the app registry, and this module
            # is imported with the package.
            from django.contrib.auth.views import redirect_to_login
            from django.shortcuts import resolve_url

            target = str(resolve_url(login_url)) if login_url is not None else _login_url()
            return redirect_to_login(request.get_full_path(), target)

        return wrapped  # type: ignore[return-value]

    return decorate if view is None else decorate(view)


def access_token_required(view: _View) -> _View:
    """Let into a view of a JSON API only requests with a good WorkOS access token.

    Reads ``Authorization: Bearer <token>``, checks it offline with
    [`verify_access_token`][workos_sso.SSOClient.verify_access_token] and
    ``WORKOS_SSO["ALLOWED_ORGANIZATIONS"]``, and sets ``request.access_token_claims`` (an
    [`AccessTokenClaims`][workos_sso.AccessTokenClaims]) for the view. A refusal is ``401`` with
    ``WWW-Authenticate: Bearer error="invalid_token"`` and no detail; a key set that cannot be
    fetched, ``503``. The view is exempt from Django's CSRF check: the token comes in a header a
    browser never adds by itself, so it is not a cookie another site could ride on. Works on
    ``async def`` views too. Needs the ``jwt`` extra.

    Example:
        ```python
        @access_token_required
        def me(request):
            return JsonResponse({"profile_id": request.access_token_claims.profile_id})
        ```
    """
    import inspect

    from django.http import HttpResponse

    from workos_sso.integrations._bearer import BearerRefusal, check_bearer

    from .conf import WorkOSSSO

    def check(request: HttpRequest) -> Optional[HttpResponse]:
        sso = WorkOSSSO.current()
        checked = check_bearer(sso.client, request.headers.get("Authorization"), sso.policy)
        if isinstance(checked, BearerRefusal):
            return HttpResponse(status=checked.status, headers=dict(checked.headers))
        request.access_token_claims = checked  # type: ignore[attr-defined]
        return None

    wrapped: Any
    if inspect.iscoroutinefunction(view):
        from asgiref.sync import sync_to_async

        @functools.wraps(view)
        async def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # The check may fetch the key set with the sync client: off the event loop.
            refusal = await sync_to_async(check)(request)
            if refusal is not None:
                return refusal
            return await view(request, *args, **kwargs)  # type: ignore[no-any-return]

    else:

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            refusal = check(request)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

    # What django.views.decorators.csrf.csrf_exempt sets, for sync and async views alike.
    wrapped.csrf_exempt = True
    return wrapped  # type: ignore[no-any-return]
