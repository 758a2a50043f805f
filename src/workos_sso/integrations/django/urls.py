"""``path("sso/", include("workos_sso.integrations.django.urls"))``: the app's routes.

Named in the ``workos_sso`` namespace: ``workos_sso:login`` (set ``LOGIN_URL`` to it),
``workos_sso:login_email``, ``workos_sso:callback`` (``WORKOS_SSO["REDIRECT_URI"]`` is its
absolute URL) and ``workos_sso:logout``.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "workos_sso"

urlpatterns: list[URLPattern] = [
    path("login/", views.login, name="login"),
    path("login/email/", views.login_by_email, name="login_email"),
    path("callback/", views.callback, name="callback"),
    path("logout/", views.logout, name="logout"),
]
