"""System checks (``manage.py check``): each names the ``WORKOS_SSO`` key or setting at fault."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch

from workos_sso import ConfigurationError
from workos_sso._config import (
    API_KEY_PREFIX,
    CLIENT_ID_PREFIX,
    check_base_url,
    check_max_retries,
    check_prefixed,
    check_redirect_uri,
    check_timeout,
)
from workos_sso.integrations._policy import check_secret_key

from .conf import KNOWN_KEYS, SETTING, key_name, load_on_sign_in, raw_settings, sso_settings

BACKEND = "workos_sso.integrations.django.backends.WorkOSBackend"
APP = "workos_sso.integrations.django"


def _error(key: str, message: str, hint: str, number: int) -> Error:
    return Error(
        f"{SETTING}['{key}'] {message}", hint=hint, obj=SETTING, id=f"workos_sso.E{number:03d}"
    )


def _detail(error: ConfigurationError) -> str:
    """What the message says is wrong, without the argument's name and the variable to check."""
    text = str(error).split(": check ")[0].rstrip(".")
    return text.split(" ", 1)[-1]


def _prefixed(prefix: str, argument: str) -> Callable[[object], object]:
    def check(value: object) -> object:
        check_prefixed(argument, value, prefix)
        return value

    return check


def _check_redirect_uri(value: object) -> object:
    return check_redirect_uri(value, setting="redirect_uri")


#: key, required, its check, the hint, the error number.
_KEYS: Sequence[tuple[str, bool, Callable[[object], object], str, int]] = (
    (
        "API_KEY",
        True,
        _prefixed(API_KEY_PREFIX, "api_key"),
        "The WorkOS API key, sk_..., from the dashboard (API Keys); read it from the "
        "environment rather than writing it in the settings file.",
        2,
    ),
    (
        "CLIENT_ID",
        True,
        _prefixed(CLIENT_ID_PREFIX, "client_id"),
        "The WorkOS client id, client_..., from the dashboard (API Keys).",
        3,
    ),
    (
        "REDIRECT_URI",
        True,
        _check_redirect_uri,
        "The absolute URL of the callback view (for example "
        "https://app.example.com/sso/callback/), as registered at WorkOS.",
        4,
    ),
    (
        "BASE_URL",
        False,
        check_base_url,
        "Leave it out for WorkOS itself; http is only for an emulator on localhost.",
        5,
    ),
    ("TIMEOUT", False, check_timeout, "Seconds, or a (connect, read) pair of seconds.", 6),
    ("MAX_RETRIES", False, check_max_retries, "A whole number, 0 or more.", 7),
)


_STRING_KEYS = ("ORGANIZATION", "LOGIN_REDIRECT", "LOGOUT_REDIRECT", "SIGN_IN_PAGE")


def check_settings(
    app_configs: Optional[Sequence[Any]] = None, **kwargs: Any
) -> list[CheckMessage]:
    """The ``WORKOS_SSO`` dict: present, its required keys set, every value well formed."""
    raw = raw_settings()
    if raw is None:
        missing = not hasattr(settings, SETTING)
        return [
            Error(
                f"{SETTING} is {'missing' if missing else 'not a dict'}.",
                hint=f"Set {SETTING} = {{'API_KEY': ..., 'CLIENT_ID': ..., 'REDIRECT_URI': ...}} "
                "in the settings.",
                obj=SETTING,
                id="workos_sso.E001",
            )
        ]
    messages: list[CheckMessage] = []
    faulty: set[str] = set()  # the keys found missing or malformed
    for key, required, check, hint, number in _KEYS:
        value = raw.get(key)
        if value is None or value == "":
            if required:
                messages.append(_error(key, "is missing.", hint, number))
                faulty.add(key)
            continue
        try:
            check(value)
        except ConfigurationError as error:
            messages.append(_error(key, f"is malformed: it {_detail(error)}.", hint, number))
            faulty.add(key)
    for key in ("LINK_BY_EMAIL", "PKCE"):
        if not isinstance(raw.get(key, False), bool):
            messages.append(_error(key, "must be True or False.", "Leave it False.", 8))
    for key in _STRING_KEYS:
        if raw.get(key) is not None and not isinstance(raw[key], str):
            messages.append(_error(key, "must be a string.", "A path, a URL name or an id.", 9))
            faulty.add(key)
    # What is read from the whole dict, once the keys it needs are well formed.
    if not faulty & {"API_KEY", "CLIENT_ID", "REDIRECT_URI"}:
        if not faulty & set(_STRING_KEYS):
            messages.extend(_check_pages())
            messages.extend(_check_policy())
        messages.extend(_check_secret_key(raw["REDIRECT_URI"]))
    try:
        load_on_sign_in(raw.get("ON_SIGN_IN"))
    except ConfigurationError as error:
        messages.append(
            Error(
                str(error),
                hint="A function on_sign_in(request, result) returning a SessionUser or None, "
                "or its dotted path such as 'myapp.sso.on_sign_in'.",
                obj=SETTING,
                id="workos_sso.E015",
            )
        )
    for key in sorted(set(raw) - KNOWN_KEYS, key=str):
        messages.append(
            Warning(
                f"{SETTING} has an unknown key {key!r}.",
                hint=f"The keys are {', '.join(sorted(KNOWN_KEYS))}.",
                obj=SETTING,
                id="workos_sso.W001",
            )
        )
    return messages


def _check_pages() -> list[CheckMessage]:
    """The pages: paths on this site once resolved (a URL name must resolve)."""
    hint = "A path on this site such as '/', or a URL name such as 'home'."
    try:
        sso_settings().pages()
    except NoReverseMatch as error:
        message = f"A page in {SETTING} (or LOGIN_REDIRECT_URL) is not a path: {error}"
        return [Error(message, hint=hint, obj=SETTING, id="workos_sso.E009")]
    except ConfigurationError as error:
        return [Error(str(error), hint=hint, obj=SETTING, id="workos_sso.E009")]
    return []


def _check_policy() -> list[CheckMessage]:
    """Who may sign in: well-formed lists, and a warning when every organization may."""
    current = sso_settings()
    try:
        current.policy()
    except ConfigurationError as error:
        return [
            Error(
                str(error),
                hint=f"{key_name('ALLOWED_ORGANIZATIONS')} is a list of organization ids (or "
                f"'*' for every one), {key_name('ALLOWED_PROVIDERS')} a list of social "
                "providers such as ['GoogleOAuth'], and ORGANIZATION one of the allowed.",
                obj=SETTING,
                id="workos_sso.E014",
            )
        ]
    if current.allowed_organizations is None and current.organization is None:
        return [
            Warning(
                f"{key_name('ALLOWED_ORGANIZATIONS')} is not set and there is no "
                f"{key_name('ORGANIZATION')}: every organization of the WorkOS environment "
                "can sign in.",
                hint=f"Set {key_name('ALLOWED_ORGANIZATIONS')} to the organization ids allowed "
                "here, or to '*' to allow every organization on purpose.",
                obj=SETTING,
                id="workos_sso.W003",
            )
        ]
    return []


def _check_secret_key(redirect_uri: str) -> list[CheckMessage]:
    """``SECRET_KEY`` signs the sign-in state and the session: no placeholder outside local
    development; and an https redirect URI wants a ``Secure`` session cookie."""
    found: list[CheckMessage] = []
    try:
        try:
            secret = settings.SECRET_KEY
        except ImproperlyConfigured:  # Django's own answer to an empty one
            secret = None
        check_secret_key(secret, redirect_uri=redirect_uri, setting="SECRET_KEY")
    except ConfigurationError as error:
        found.append(
            Error(
                str(error),
                hint="Read it from the environment in production; the check is relaxed only "
                "while REDIRECT_URI is plain http on localhost.",
                obj="SECRET_KEY",
                id="workos_sso.E013",
            )
        )
    if urlsplit(redirect_uri).scheme == "https" and not settings.SESSION_COOKIE_SECURE:
        found.append(
            Warning(
                f"{key_name('REDIRECT_URI')} is https but SESSION_COOKIE_SECURE is off: the "
                "session cookie would also travel over plain http.",
                hint="Set SESSION_COOKIE_SECURE = True (and CSRF_COOKIE_SECURE = True) in the "
                "production settings.",
                obj="SESSION_COOKIE_SECURE",
                id="workos_sso.W004",
            )
        )
    return found


def check_callback_route(
    app_configs: Optional[Sequence[Any]] = None, **kwargs: Any
) -> list[CheckMessage]:
    """``REDIRECT_URI``'s path is routed to the callback view (when the project has URLs)."""
    from django.urls import Resolver404, resolve

    from . import views

    raw = raw_settings()
    uri = raw.get("REDIRECT_URI") if raw is not None else None
    if not getattr(settings, "ROOT_URLCONF", None):
        return []
    try:
        uri = check_redirect_uri(uri, setting="redirect_uri")
    except ConfigurationError:
        return []  # check_settings says so
    path = urlsplit(uri).path or "/"
    try:
        routed = resolve(path).func is views.callback
    except Resolver404:
        routed = False
    if routed:
        return []
    return [
        Warning(
            f"{SETTING}['REDIRECT_URI'] has the path {path}, which is not routed to the "
            "callback view: WorkOS will send users back to a page that cannot sign them in.",
            hint="include('workos_sso.integrations.django.urls') in the URLconf and set "
            "REDIRECT_URI to the absolute URL of workos_sso:callback (with any SCRIPT_NAME "
            "prefix, this warning may be silenced).",
            obj=SETTING,
            id="workos_sso.W002",
        )
    ]


def check_project(app_configs: Optional[Sequence[Any]] = None, **kwargs: Any) -> list[CheckMessage]:
    """The backend, apps and middleware the sign-in needs."""
    messages: list[CheckMessage] = []
    if BACKEND not in settings.AUTHENTICATION_BACKENDS:
        messages.append(
            Error(
                f"AUTHENTICATION_BACKENDS does not list {BACKEND}.",
                hint=f"Add {BACKEND!r} to AUTHENTICATION_BACKENDS (keep ModelBackend too if "
                "the project also signs in with passwords).",
                obj="AUTHENTICATION_BACKENDS",
                id="workos_sso.E010",
            )
        )
    for app in ("django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"):
        if app not in settings.INSTALLED_APPS:
            messages.append(
                Error(
                    f"INSTALLED_APPS does not list {app}, which {APP} needs.",
                    hint=f"Add {app!r} to INSTALLED_APPS.",
                    obj="INSTALLED_APPS",
                    id="workos_sso.E011",
                )
            )
    for middleware in (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ):
        if middleware not in settings.MIDDLEWARE:
            messages.append(
                Error(
                    f"MIDDLEWARE does not list {middleware}, which {APP} needs.",
                    hint=f"Add {middleware!r} to MIDDLEWARE.",
                    obj="MIDDLEWARE",
                    id="workos_sso.E012",
                )
            )
    return messages
