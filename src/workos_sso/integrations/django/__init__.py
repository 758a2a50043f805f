"""Sign in with WorkOS SSO in a Django project: a reusable app, its URLs and an auth backend.

Add ``"workos_sso.integrations.django"`` to ``INSTALLED_APPS``, the backend
``"workos_sso.integrations.django.backends.WorkOSBackend"`` to ``AUTHENTICATION_BACKENDS``,
``path("sso/", include("workos_sso.integrations.django.urls"))`` to the URLs and one
``WORKOS_SSO`` dict to the settings; ``manage.py check`` says what is missing. The views run
the sign-in flow the Flask and Starlette integrations share, with the same names: ``WorkOSSSO``,
``SignInRefused``, ``current_user``, ``login_required`` and the ``on_sign_in(request, result)``
hook (``WORKOS_SSO["ON_SIGN_IN"]``); ``access_token_required`` checks bearer access tokens for
a JSON API. See docs/integrations/django.md.

This package imports Django; ``import workos_sso`` does not.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("django") is None:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "workos_sso.integrations.django needs Django: pip install 'workos-sso[django]'"
    )

from workos_sso import SignInRefused

from .conf import WorkOSSSO
from .users import access_token_required, current_user, login_required

__all__ = [
    "SignInRefused",
    "WorkOSSSO",
    "access_token_required",
    "current_user",
    "login_required",
]
