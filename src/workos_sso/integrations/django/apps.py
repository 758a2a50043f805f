"""The app's configuration: label ``workos_sso``; its system checks are registered when ready."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class WorkOSSSOConfig(AppConfig):
    """``INSTALLED_APPS`` entry ``"workos_sso.integrations.django"``."""

    name = "workos_sso.integrations.django"
    label = "workos_sso"
    verbose_name: str = "WorkOS SSO"
    default_auto_field: str = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the system checks."""
        from .checks import check_callback_route, check_project, check_settings

        checks.register(check_settings)
        checks.register(check_project)
        checks.register(check_callback_route, checks.Tags.urls)
