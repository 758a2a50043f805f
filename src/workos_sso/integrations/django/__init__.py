"""Sign in with WorkOS SSO in a Django project: a reusable app, its URLs and an auth backend.

Add ``"workos_sso.integrations.django"`` to ``INSTALLED_APPS``, the backend
``"workos_sso.integrations.django.backends.WorkOSBackend"`` to ``AUTHENTICATION_BACKENDS``,
``path("sso/", include("workos_sso.integrations.django.urls"))`` to the URLs and one
``WORKOS_SSO`` dict to the settings; ``manage.py check`` says what is missing. See
docs/integrations/django.md.

This package imports Django; ``import workos_sso`` does not.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("django") is None:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "workos_sso.integrations.django needs Django: pip install 'workos-sso[django]'"
    )

from .signals import sign_in_completed
from .users import current_sso_user

__all__ = ["current_sso_user", "sign_in_completed"]
