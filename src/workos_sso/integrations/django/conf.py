"""The ``WORKOS_SSO`` settings dict, read when it is needed so that ``override_settings`` works.

Keys (see docs/integrations/django.md):

``API_KEY``, ``CLIENT_ID`` (required)
    The WorkOS API key (``sk_...``) and client id (``client_...``).
``REDIRECT_URI`` (required)
    The absolute URL of the callback view, exactly as registered at WorkOS.
``BASE_URL``
    The API's address; the default is WorkOS's. Set it to the emulator's in development.
``ORGANIZATION``
    The organization the login view signs in with when the request names none.
``LINK_BY_EMAIL``
    ``False`` (the default): a profile is linked to a Django user by its profile id only. ``True``
    also links a profile seen for the first time to the one existing user with its email address.
    Only for identity providers you trust to own their addresses: the admin of any connected
    identity provider can mint any address.
``LOGIN_REDIRECT``
    Where a sign-in without a ``next`` ends; the default is Django's ``LOGIN_REDIRECT_URL``.
``LOGOUT_REDIRECT``
    Where sign-out ends when WorkOS has no logout page for the session; the default is Django's
    ``LOGOUT_REDIRECT_URL``, else ``"/"``.
``SIGN_IN_PAGE``
    The page that shows a refused sign-in's message (through ``django.contrib.messages``) and
    offers to sign in again; default ``"/"``.
``TIMEOUT``, ``MAX_RETRIES``
    Passed to the ``SSOClient``.

Each of ``LOGIN_REDIRECT``, ``LOGOUT_REDIRECT`` and ``SIGN_IN_PAGE`` may be a path or a URL name.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Optional

import attrs
from django.conf import settings
from django.core.signals import setting_changed
from django.shortcuts import resolve_url

from workos_sso import SSOClient
from workos_sso._config import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT

SETTING = "WORKOS_SSO"
KNOWN_KEYS = frozenset(
    {
        "API_KEY",
        "CLIENT_ID",
        "REDIRECT_URI",
        "BASE_URL",
        "ORGANIZATION",
        "LINK_BY_EMAIL",
        "LOGIN_REDIRECT",
        "LOGOUT_REDIRECT",
        "SIGN_IN_PAGE",
        "TIMEOUT",
        "MAX_RETRIES",
    }
)


@attrs.frozen
class SSOSettings:
    """The ``WORKOS_SSO`` dict, with defaults filled in (``manage.py check`` checks the values)."""

    api_key: str = attrs.field(repr=False)
    client_id: str
    redirect_uri: str
    base_url: str = DEFAULT_BASE_URL
    organization: Optional[str] = None
    link_by_email: bool = False
    login_redirect: Optional[str] = None
    logout_redirect: Optional[str] = None
    sign_in_page: str = "/"
    timeout: Any = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES

    def resolved_login_redirect(self) -> str:
        """Where a sign-in without ``next`` ends, as a URL."""
        return str(resolve_url(self.login_redirect or settings.LOGIN_REDIRECT_URL))

    def resolved_logout_redirect(self) -> str:
        """Where sign-out ends without a logout page at WorkOS, as a URL."""
        return str(resolve_url(self.logout_redirect or settings.LOGOUT_REDIRECT_URL or "/"))

    def resolved_sign_in_page(self) -> str:
        """Where refusals end, as a URL."""
        return str(resolve_url(self.sign_in_page))


def raw_settings() -> Optional[Mapping[str, Any]]:
    """``settings.WORKOS_SSO`` as it is, or None when it is missing."""
    value = getattr(settings, SETTING, None)
    return value if isinstance(value, Mapping) else None


def sso_settings() -> SSOSettings:
    """The current ``WORKOS_SSO`` settings.

    Raises:
        django.core.exceptions.ImproperlyConfigured: the dict or a required key is missing
            (``manage.py check`` says the same, earlier).
    """
    from django.core.exceptions import ImproperlyConfigured

    raw = raw_settings()
    if raw is None:
        raise ImproperlyConfigured(f"Set {SETTING} in the settings (manage.py check says how).")
    for key in ("API_KEY", "CLIENT_ID", "REDIRECT_URI"):
        if not raw.get(key):
            raise ImproperlyConfigured(f"Set {SETTING}['{key}'] (manage.py check says how).")
    return SSOSettings(
        api_key=raw["API_KEY"],
        client_id=raw["CLIENT_ID"],
        redirect_uri=raw["REDIRECT_URI"],
        base_url=raw.get("BASE_URL") or DEFAULT_BASE_URL,
        organization=raw.get("ORGANIZATION") or None,
        link_by_email=raw.get("LINK_BY_EMAIL", False) is True,
        login_redirect=raw.get("LOGIN_REDIRECT"),
        logout_redirect=raw.get("LOGOUT_REDIRECT"),
        sign_in_page=raw.get("SIGN_IN_PAGE") or "/",
        timeout=raw.get("TIMEOUT", DEFAULT_TIMEOUT),
        max_retries=raw.get("MAX_RETRIES", DEFAULT_MAX_RETRIES),
    )


_clients: dict[tuple[object, ...], SSOClient] = {}
_clients_lock = threading.Lock()


def get_client() -> SSOClient:
    """The process's ``SSOClient`` for the current settings (made once, shared by all threads)."""
    current = sso_settings()
    key = (
        current.api_key,
        current.client_id,
        current.base_url,
        repr(current.timeout),
        current.max_retries,
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = SSOClient(
                api_key=current.api_key,
                client_id=current.client_id,
                base_url=current.base_url,
                timeout=current.timeout,
                max_retries=current.max_retries,
            )
            _clients[key] = client
        return client


def _forget_clients(*, setting: str, **kwargs: Any) -> None:
    """Close the clients made for old settings (``override_settings`` in tests)."""
    if setting != SETTING:
        return
    with _clients_lock:
        old = list(_clients.values())
        _clients.clear()
    for client in old:
        client.close()


setting_changed.connect(_forget_clients, dispatch_uid="workos_sso_forget_clients")
