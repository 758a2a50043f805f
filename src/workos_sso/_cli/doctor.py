"""``workos-sso doctor``: are the settings right, does the API answer, is the clock right?

The key, client id and base URL are judged by the client's own rules (``_config``), so a setting
``doctor`` passes is one ``SSOClient`` accepts.
"""

from __future__ import annotations

import re
import time
from typing import Optional
from urllib.parse import urlsplit

from .. import AuthenticationError, ConfigurationError, NetworkError, SSOClient, WorkOSError
from .._config import (
    API_KEY_PREFIX,
    CLIENT_ID_PREFIX,
    DEFAULT_BASE_URL,
    check_prefixed,
    is_loopback,
)
from .._config import check_base_url as check_base_url_setting
from .browser import is_local_url, parse_http_date
from .output import FAIL, PASS, SKIP, WARN, Check, error_line, sentence
from .settings import Settings

__all__ = [
    "check_api_access",
    "check_api_key",
    "check_base_url",
    "check_client_id",
    "check_clock",
    "check_connections",
    "check_environment",
    "check_redirect_uri",
    "clock_skew_check",
    "run_doctor",
]

#: Beyond this difference from the server's clock, token lifetimes start to misbehave.
CLOCK_SKEW_WARNING_SECONDS = 60.0
_LABELS = {"test": "staging", "live": "production"}


def _source(settings: Settings, name: str) -> str:
    source = settings.sources.get(name)
    return f" (from {source})" if source else ""


def _key_environment(api_key: str) -> Optional[str]:
    """``"test"`` or ``"live"`` from the key's prefix; ``None`` for any other key."""
    for environment in ("test", "live"):
        if api_key.startswith(f"{API_KEY_PREFIX}{environment}_"):
            return environment
    return None


def _prefix_check(
    name: str, settings: Settings, argument: str, prefix: str, missing_fix: str, wrong_fix: str
) -> Optional[Check]:
    """A failing check when the client would refuse the setting, else ``None``.

    The client's own rule decides, so a value ``doctor`` passes is one ``SSOClient`` accepts;
    the words are the command line's (variables and flags, never the Python argument). The
    value is never echoed, as it may be a secret pasted into the wrong variable.
    """
    value = getattr(settings, argument)
    try:
        check_prefixed(argument, value, prefix)
    except ConfigurationError:
        if not value:
            return Check(name, FAIL, f"no {_NOUNS[argument]} is set.", missing_fix)
        detail = (
            f"the {_NOUNS[argument]}{_source(settings, argument)} does not start with "
            f"{prefix}, or has spaces around it."
        )
        return Check(name, FAIL, detail, wrong_fix)
    return None


#: How doctor names each setting in a sentence.
_NOUNS = {"api_key": "API key", "client_id": "client id", "base_url": "base URL"}


def check_api_key(settings: Settings) -> Check:
    failed = _prefix_check(
        "api key",
        settings,
        "api_key",
        API_KEY_PREFIX,
        "Set WORKOS_API_KEY in the environment or .env, or pass --api-key.",
        "Copy the secret key (sk_test_... or sk_live_...) from the WorkOS dashboard.",
    )
    if failed is not None:
        return failed
    environment = _key_environment(settings.api_key or "")
    kind = f"a {environment} ({_LABELS[environment]}) key" if environment else "an sk_ key"
    return Check("api key", PASS, f"{kind} is set{_source(settings, 'api_key')}.")


def check_client_id(settings: Settings) -> Check:
    failed = _prefix_check(
        "client id",
        settings,
        "client_id",
        CLIENT_ID_PREFIX,
        "Set WORKOS_CLIENT_ID in the environment or .env, or pass --client-id.",
        "Copy the client id (client_...) from the WorkOS dashboard.",
    )
    if failed is not None:
        return failed
    return Check("client id", PASS, f"{settings.client_id}{_source(settings, 'client_id')}.")


#: The client's rule for a base URL, minus its Python name and its pointer to the variable.
_BASE_URL_RULE = re.compile(r"^base_url (?P<rule>.*?)(?:: check WORKOS_BASE_URL)?\.?$")


def check_base_url(settings: Settings) -> Check:
    try:
        check_base_url_setting(settings.base_url)
    except ConfigurationError as exc:
        match = _BASE_URL_RULE.match(exc.message)
        rule = match["rule"] if match else exc.message.rstrip(".")
        detail = f"the base URL{_source(settings, 'base_url')} {rule}."
        return Check(
            "base url",
            FAIL,
            detail,
            "Correct it, or leave the base URL unset to use the WorkOS API.",
        )
    source = _source(settings, "base_url") or " (the default)"
    return Check("base url", PASS, f"{settings.base_url}{source}.")


def check_environment(settings: Settings) -> Check:
    """Does the kind of key (test or live) suit the server and redirect URI it is used with?"""
    if check_api_key(settings).status == FAIL:
        return Check("environment", SKIP, "skipped until the API key passes.")
    kind = _key_environment(settings.api_key or "")
    if kind is None:
        return Check(
            "environment",
            WARN,
            "the key is neither sk_test_ nor sk_live_, so its environment is unknown.",
            "Use the staging key (sk_test_) or the production key (sk_live_) from the dashboard.",
        )
    local_api = is_local_url(settings.base_url)
    if kind == "live" and local_api:
        return Check(
            "environment",
            WARN,
            f"a live (production) key is sent to a local server, {settings.base_url}.",
            "Use a sk_test_ key with the emulator or a local proxy; keep live keys in production.",
        )
    redirect = settings.redirect_uri
    if kind == "live" and redirect and is_local_url(redirect):
        return Check(
            "environment",
            WARN,
            "a live (production) key with a redirect URI on this machine.",
            "Develop locally with the staging key (sk_test_); production redirects to your "
            "https domain.",
        )
    if local_api:
        where = "a local server (the emulator?)"
    elif settings.base_url == DEFAULT_BASE_URL:
        where = "the WorkOS API"
    else:
        where = f"a custom base URL, {settings.base_url}"
    return Check("environment", PASS, f"{kind} key ({_LABELS[kind]}) against {where}.")


def check_redirect_uri(redirect_uri: Optional[str]) -> Check:
    """The rules the dashboard and browsers hold a redirect URI to, checked before sign-in."""
    if not redirect_uri:
        return Check(
            "redirect uri",
            WARN,
            "no redirect URI to check.",
            "Set WORKOS_REDIRECT_URI (or pass --redirect-uri) to the callback URL registered "
            "in the dashboard.",
        )
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Check(
            "redirect uri",
            FAIL,
            f"{redirect_uri!r} is not an absolute http(s) URL.",
            "Use the full callback URL, such as https://app.example.com/callback.",
        )
    if parts.fragment:
        return Check(
            "redirect uri",
            FAIL,
            f"{redirect_uri} has a #fragment, which a redirect URI may not have.",
            "Remove the part from # on.",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return Check(
            "redirect uri",
            FAIL,
            f"{redirect_uri} uses http on a host other than localhost.",
            "Use https; plain http is accepted only for localhost during development.",
        )
    if parts.path.endswith("/"):
        return Check(
            "redirect uri",
            WARN,
            f"{redirect_uri} ends with a slash.",
            "Redirect URIs must match the dashboard exactly: check it is registered with the "
            "trailing slash, or drop the slash in both places.",
        )
    return Check("redirect uri", PASS, f"{redirect_uri} is absolute and uses a suitable scheme.")


def check_api_access(client: SSOClient) -> tuple[Check, Optional[WorkOSError]]:
    """One small list call: the server answers and accepts the key."""
    try:
        client.list_connections(limit=1).pages().__next__()
    except AuthenticationError as exc:
        detail = f"the API key was refused (HTTP {exc.status_code}: {sentence(exc.message)})"
        return Check("api access", FAIL, detail, exc.hint), exc
    except NetworkError as exc:
        detail = f"the API is unreachable: {sentence(exc.message)}"
        return Check("api access", FAIL, detail, exc.hint), exc
    except WorkOSError as exc:
        return Check("api access", FAIL, error_line(exc), None), exc
    return Check("api access", PASS, f"{client.base_url} answered and accepted the key."), None


def check_connections(client: SSOClient) -> Check:
    counts: dict[str, int] = {}
    try:
        for connection in client.list_connections(limit=100):
            state = str(connection.state)
            counts[state] = counts.get(state, 0) + 1
    except WorkOSError as exc:
        return Check("connections", FAIL, f"listing connections failed: {exc}", None)
    total = sum(counts.values())
    breakdown = ", ".join(f"{count} {state}" for state, count in sorted(counts.items()))
    if not total:
        return Check(
            "connections",
            FAIL,
            "this environment has no connection.",
            "Create a connection for a test organization in the WorkOS dashboard.",
        )
    noun = "connection" if total == 1 else "connections"
    if not counts.get("active"):
        return Check(
            "connections",
            FAIL,
            f"{total} {noun} ({breakdown}), none active.",
            "Finish setting up a connection with its identity provider so it becomes active.",
        )
    return Check("connections", PASS, f"{total} {noun}: {breakdown}.")


def clock_skew_check(skew_seconds: float) -> Check:
    """``skew_seconds`` is the server's time minus ours: positive when our clock is behind."""
    direction = "behind" if skew_seconds > 0 else "ahead of"
    size = abs(skew_seconds)
    if size > CLOCK_SKEW_WARNING_SECONDS:
        return Check(
            "clock",
            WARN,
            f"this machine's clock is {size:.0f} s {direction} the server's.",
            "Turn on time synchronisation (NTP); token expiry checks depend on the clock.",
        )
    return Check("clock", PASS, f"within {max(size, 1.0):.0f} s of the server's clock.")


def check_clock(base_url: str, *, timeout: float = 5.0) -> Check:
    """Compare the local clock with the ``Date`` header of any answer from the server."""
    import requests  # a dependency of the library anyway; only doctor needs it here

    started = time.time()
    try:
        # The health route needs no key, so none is sent; any status carries a Date header.
        response = requests.get(
            f"{base_url}/health", timeout=timeout, allow_redirects=False, stream=True
        )
    except requests.RequestException as exc:
        detail = f"the server could not be asked the time: {sentence(str(exc))}"
        return Check("clock", WARN, detail, None)
    finished = time.time()
    server_date = response.headers.get("Date")
    response.close()
    server_time = parse_http_date(server_date)
    if server_time is None:
        return Check("clock", WARN, "the server's answer has no usable Date header.", None)
    # The Date header is whole seconds; the midpoint of the round trip is our best guess.
    return clock_skew_check(server_time - (started + finished) / 2)


def run_doctor(settings: Settings) -> list[Check]:
    """Every check in order; those that need the API are skipped when the settings fail."""
    checks = [
        check_api_key(settings),
        check_client_id(settings),
        check_base_url(settings),
        check_environment(settings),
        check_redirect_uri(settings.redirect_uri),
    ]
    if any(check.status == FAIL for check in checks[:3]):
        reason = "skipped until the settings above pass."
        return [
            *checks,
            Check("api access", SKIP, reason),
            Check("connections", SKIP, reason),
            Check("clock", SKIP, reason),
        ]
    # One retry at most: doctor should report an unreachable host quickly, not patiently.
    with SSOClient(
        # Both are present: the checks above would have failed otherwise.
        api_key=settings.api_key or "",
        client_id=settings.client_id or "",
        base_url=settings.base_url,
        timeout=(3.0, 15.0),
        max_retries=1,
        max_retry_wait=2.0,
    ) as client:
        access, error = check_api_access(client)
        checks.append(access)
        if error is None:
            checks.append(check_connections(client))
        else:
            checks.append(Check("connections", SKIP, "skipped: the API is not usable."))
    if isinstance(error, NetworkError):
        checks.append(Check("clock", SKIP, "skipped: the server is unreachable."))
    else:
        checks.append(check_clock(settings.base_url))
    return checks
