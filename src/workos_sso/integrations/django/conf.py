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
``ALLOWED_ORGANIZATIONS``
    The organization ids that may sign in, or ``"*"`` for every organization of the WorkOS
    environment. Unset: ``ORGANIZATION`` only, or, without one, every organization (and
    ``manage.py check`` warns).
``ALLOWED_PROVIDERS``
    The social providers (``"GoogleOAuth"``...) that may sign in; unset: none.
``PKCE``
    ``True`` adds a PKCE challenge to each sign-in; default ``False``.
``ON_SIGN_IN``
    The app's hook, a callable or its dotted path: ``on_sign_in(request, result)`` returns the
    ``SessionUser`` to keep, ``None`` for the profile's, or raises ``SignInRefused``.
``LINK_BY_EMAIL``
    ``False`` (the default): a profile is linked to a Django user by its profile id only. ``True``
    also links a profile seen for the first time to the one existing user with its email address,
    unless that user is staff, a superuser or already linked to a WorkOS profile, and only for
    profiles of allowed organizations. Only for identity providers you trust to own their
    addresses: the admin of any connected identity provider can mint any address.
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

Each of ``LOGIN_REDIRECT``, ``LOGOUT_REDIRECT`` and ``SIGN_IN_PAGE`` may be a path on this site
or a URL name.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional

import attrs
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.shortcuts import resolve_url
from django.utils.module_loading import import_string

from workos_sso import ConfigurationError, SessionUser, SignInResult, SSOClient
from workos_sso._config import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from workos_sso.integrations._flow import SignInFlow
from workos_sso.integrations._policy import (
    ANY_ORGANIZATION,
    SignInPolicy,
    check_secret_key,
    check_site_path,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

SETTING = "WORKOS_SSO"
KNOWN_KEYS = frozenset(
    {
        "API_KEY",
        "CLIENT_ID",
        "REDIRECT_URI",
        "BASE_URL",
        "ORGANIZATION",
        "ALLOWED_ORGANIZATIONS",
        "ALLOWED_PROVIDERS",
        "PKCE",
        "ON_SIGN_IN",
        "LINK_BY_EMAIL",
        "LOGIN_REDIRECT",
        "LOGOUT_REDIRECT",
        "SIGN_IN_PAGE",
        "TIMEOUT",
        "MAX_RETRIES",
    }
)

#: The app's hook: the ``SessionUser`` to keep, ``None`` for the profile's; raise
#: ``SignInRefused`` to refuse.
OnSignIn = Callable[["HttpRequest", SignInResult], Optional[SessionUser]]


def key_name(key: str) -> str:
    """How messages name a key: ``WORKOS_SSO['KEY']``."""
    return f"{SETTING}[{key!r}]"


@attrs.frozen
class SSOSettings:
    """The ``WORKOS_SSO`` dict, with defaults filled in (``manage.py check`` checks the values)."""

    api_key: str = attrs.field(repr=False)
    client_id: str
    redirect_uri: str
    base_url: str = DEFAULT_BASE_URL
    organization: Optional[str] = None
    allowed_organizations: object = None
    allowed_providers: object = None
    pkce: bool = False
    on_sign_in: object = None
    link_by_email: bool = False
    login_redirect: Optional[str] = None
    logout_redirect: Optional[str] = None
    sign_in_page: str = "/"
    timeout: Any = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES

    def resolved_login_redirect(self) -> str:
        """Where a sign-in without ``next`` ends, as a URL."""
        return _resolve(self.login_redirect or settings.LOGIN_REDIRECT_URL)

    def resolved_logout_redirect(self) -> str:
        """Where sign-out ends without a logout page at WorkOS, as a URL."""
        return _resolve(self.logout_redirect or settings.LOGOUT_REDIRECT_URL or "/")

    def resolved_sign_in_page(self) -> str:
        """Where refusals end, as a URL."""
        return _resolve(self.sign_in_page)

    def pages(self) -> tuple[str, str, str]:
        """The sign-in page, where sign-out ends and where sign-in ends by default, checked.

        Raises:
            ConfigurationError: one is not a path on this site.
            django.urls.NoReverseMatch: one is a URL name the URLconf does not have.
        """
        return (
            check_site_path(self.resolved_sign_in_page(), setting=page_setting("SIGN_IN_PAGE")),
            check_site_path(
                self.resolved_logout_redirect(),
                setting=page_setting("LOGOUT_REDIRECT", "LOGOUT_REDIRECT_URL"),
            ),
            check_site_path(
                self.resolved_login_redirect(),
                setting=page_setting("LOGIN_REDIRECT", "LOGIN_REDIRECT_URL"),
            ),
        )

    def policy(self) -> SignInPolicy:
        """Who may sign in.

        Unset organizations without a default admit every organization, as in Flask and
        Starlette; here ``manage.py check`` warns instead of a ``UserWarning`` at each start.

        Raises:
            ConfigurationError: a malformed list, or ``ORGANIZATION`` outside the list.
        """
        allowed = self.allowed_organizations
        if allowed is None and self.organization is None:
            allowed = ANY_ORGANIZATION
        return SignInPolicy.from_settings(
            allowed_organizations=allowed,
            allowed_providers=self.allowed_providers,
            default_organization=self.organization,
            organizations_setting=key_name("ALLOWED_ORGANIZATIONS"),
            providers_setting=key_name("ALLOWED_PROVIDERS"),
            default_setting=key_name("ORGANIZATION"),
        )


def _resolve(value: str) -> str:
    # A path as it is (no URLconf needed); anything else a URL name, as resolve_url reads it.
    return value if value.startswith("/") else str(resolve_url(value))


def page_setting(key: str, django_setting: Optional[str] = None) -> str:
    """The setting a page comes from: ``WORKOS_SSO[key]`` when set, else Django's own."""
    raw = raw_settings() or {}
    return key_name(key) if raw.get(key) or django_setting is None else django_setting


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
    raw = raw_settings()
    if raw is None:
        raise ImproperlyConfigured(f"Set {SETTING} in the settings (manage.py check says how).")
    for key in ("API_KEY", "CLIENT_ID", "REDIRECT_URI"):
        if not raw.get(key):
            raise ImproperlyConfigured(f"Set {key_name(key)} (manage.py check says how).")
    return SSOSettings(
        api_key=raw["API_KEY"],
        client_id=raw["CLIENT_ID"],
        redirect_uri=raw["REDIRECT_URI"],
        base_url=raw.get("BASE_URL") or DEFAULT_BASE_URL,
        organization=raw.get("ORGANIZATION") or None,
        allowed_organizations=raw.get("ALLOWED_ORGANIZATIONS"),
        allowed_providers=raw.get("ALLOWED_PROVIDERS"),
        pkce=raw.get("PKCE", False) is True,
        on_sign_in=raw.get("ON_SIGN_IN"),
        link_by_email=raw.get("LINK_BY_EMAIL", False) is True,
        login_redirect=raw.get("LOGIN_REDIRECT"),
        logout_redirect=raw.get("LOGOUT_REDIRECT"),
        sign_in_page=raw.get("SIGN_IN_PAGE") or "/",
        timeout=raw.get("TIMEOUT", DEFAULT_TIMEOUT),
        max_retries=raw.get("MAX_RETRIES", DEFAULT_MAX_RETRIES),
    )


def load_on_sign_in(value: object) -> Optional[OnSignIn]:
    """``ON_SIGN_IN`` as a callable: itself, or the object at its dotted path.

    Raises:
        ConfigurationError: a path that does not import, or something that is not callable.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as error:
            raise ConfigurationError(f"{key_name('ON_SIGN_IN')} does not import: {error}") from None
    if not callable(value):
        raise ConfigurationError(
            f"{key_name('ON_SIGN_IN')} must be a function on_sign_in(request, result), or its "
            "dotted path."
        )
    hook: OnSignIn = value
    return hook


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


@attrs.frozen
class WorkOSSSO:
    """The sign-in of the current settings: the flow, its client and the app's hook.

    The views get it with ``WorkOSSSO.current()``; it is made once per settings (a change of
    ``WORKOS_SSO``, ``SECRET_KEY`` or the URLs the pages name makes a new one), shared by all
    threads.

    Attributes:
        flow: the routes, the policy, the pages (``workos_sso.integrations._flow.SignInFlow``).
        client: the ``SSOClient`` the views ask WorkOS with.
        on_sign_in: ``WORKOS_SSO["ON_SIGN_IN"]``, loaded, or ``None``.
        link_by_email: ``WORKOS_SSO["LINK_BY_EMAIL"]``.
    """

    flow: SignInFlow
    client: SSOClient
    on_sign_in: Optional[OnSignIn] = None
    link_by_email: bool = False

    @classmethod
    def current(cls) -> WorkOSSSO:
        """The object for the current settings (see ``get_sso``)."""
        return get_sso()

    @property
    def policy(self) -> SignInPolicy:
        """Who may sign in."""
        return self.flow.policy


_sso: Optional[tuple[tuple[object, ...], WorkOSSSO]] = None
_sso_lock = threading.Lock()


def get_sso() -> WorkOSSSO:
    """The ``WorkOSSSO`` of the current settings, made once per settings.

    Raises:
        django.core.exceptions.ImproperlyConfigured: a setting is missing or malformed
            (``manage.py check`` names it, earlier).
    """
    global _sso
    current = sso_settings()
    client = get_client()
    try:
        pages = current.pages()
        key = (client, current, settings.SECRET_KEY, pages)
        with _sso_lock:
            if _sso is not None and _sso[0] == key:
                return _sso[1]
        secret = check_secret_key(
            settings.SECRET_KEY, redirect_uri=current.redirect_uri, setting="SECRET_KEY"
        )
        sign_in_page, after_sign_out, default_next = pages
        flow = SignInFlow(
            client=client,
            redirect_uri=current.redirect_uri,
            secret=secret,
            policy=current.policy(),
            sign_in_page=sign_in_page,
            after_sign_out=after_sign_out,
            default_next=default_next,
            pkce=current.pkce,
        )
        made = WorkOSSSO(
            flow=flow,
            client=client,
            on_sign_in=load_on_sign_in(current.on_sign_in),
            link_by_email=current.link_by_email,
        )
    except ConfigurationError as error:
        raise ImproperlyConfigured(f"{error} (manage.py check says more).") from None
    with _sso_lock:
        _sso = (key, made)
    return made


def _forget_clients(*, setting: str, **kwargs: Any) -> None:
    """Close the clients made for old settings (``override_settings`` in tests)."""
    global _sso
    if setting != SETTING:
        return
    with _clients_lock:
        old = list(_clients.values())
        _clients.clear()
    with _sso_lock:
        _sso = None
    for client in old:
        client.close()


setting_changed.connect(_forget_clients, dispatch_uid="workos_sso_forget_clients")
