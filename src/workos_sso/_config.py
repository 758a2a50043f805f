"""A client's options and the rules they must follow, shared by both clients and ``doctor``.

``SSOClient``, ``AsyncSSOClient`` and the CLI's ``doctor`` all check the API key, the client id,
the base URL, the timeout and the retry settings with the functions here, so a setting that one
of them accepts is accepted by all of them, with the same message when it is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional, Union
from urllib.parse import urlsplit

import attrs

from ._errors import ConfigurationError, InvalidParameterError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_LEEWAY",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_WAIT",
    "DEFAULT_TIMEOUT",
    "POOL_SIZE",
    "ClientOptions",
    "Timeout",
    "check_base_url",
    "check_leeway",
    "check_prefixed",
    "check_timeout",
    "is_loopback",
    "options_from_env",
]

#: A number of seconds for both connecting and reading, or a ``(connect, read)`` pair.
Timeout = Union[float, tuple[float, float]]

DEFAULT_BASE_URL = "https://api.workos.com"
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_RETRY_WAIT = 10.0
#: Seconds of clock skew ``verify_access_token`` allows on a token's ``exp``, ``nbf`` and ``iat``.
DEFAULT_LEEWAY = 30.0
MAX_LEEWAY = 300.0
#: Connections each client keeps open to the API; the async client also never opens more.
POOL_SIZE = 32

API_KEY_PREFIX = "sk_"
CLIENT_ID_PREFIX = "client_"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
#: Where ``from_env`` reads each option, and the variable a message about it names.
ENVIRONMENT_VARIABLES = {
    "api_key": "WORKOS_API_KEY",
    "client_id": "WORKOS_CLIENT_ID",
    "base_url": "WORKOS_BASE_URL",
}


@attrs.frozen
class ClientOptions:
    """The checked options of one client. Build it with :meth:`check`.

    ``api_key`` is ``None`` for a public client: one that signs users in with PKCE and never
    holds the key (a command-line tool, a desktop app, a sign-in host).
    """

    api_key: Optional[str] = attrs.field(repr=False)
    client_id: str
    base_url: str
    timeout: tuple[float, float]
    max_retries: int
    max_retry_wait: float

    @classmethod
    def check(
        cls,
        *,
        api_key: object,
        client_id: object,
        base_url: object,
        timeout: object,
        max_retries: object,
        max_retry_wait: object,
    ) -> ClientOptions:
        """Validate every option, raising ``ConfigurationError`` naming the first one at fault."""
        if api_key is not None:
            check_prefixed("api_key", api_key, API_KEY_PREFIX)
        check_prefixed("client_id", client_id, CLIENT_ID_PREFIX)
        return cls(
            api_key=None if api_key is None else str(api_key),
            client_id=str(client_id),
            base_url=check_base_url(base_url),
            timeout=check_timeout(timeout),
            max_retries=check_max_retries(max_retries),
            max_retry_wait=check_max_retry_wait(max_retry_wait),
        )

    def evolve(self, **changes: Any) -> ClientOptions:
        """A copy with some options changed, checked like the originals."""
        values = attrs.asdict(self, recurse=False)
        values.update(changes)
        return ClientOptions.check(**values)


def options_from_env(environ: Mapping[str, str], *, public_client: bool) -> dict[str, str]:
    """The constructor arguments ``from_env`` takes from ``environ``.

    A public client never takes the API key, even when ``WORKOS_API_KEY`` is set.

    Raises:
        ConfigurationError: ``WORKOS_CLIENT_ID`` (or, unless ``public_client``,
            ``WORKOS_API_KEY``) is unset or blank.
    """
    optional = {"base_url"}
    values: dict[str, str] = {}
    for argument, variable in ENVIRONMENT_VARIABLES.items():
        if public_client and argument == "api_key":
            continue
        value = environ.get(variable, "").strip()
        if value:
            values[argument] = value
        elif argument not in optional:
            raise ConfigurationError(f"Set the environment variable {variable}.")
    return values


def check_prefixed(argument: str, value: object, prefix: str) -> None:
    """Refuse a missing value, or one without ``prefix`` or with surrounding spaces."""
    variable = ENVIRONMENT_VARIABLES[argument]
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{argument} is missing: pass it, or set {variable}.")
    if not value.startswith(prefix) or value != value.strip():
        raise ConfigurationError(
            f"{argument} must start with {prefix!r} and have no spaces: check {variable}."
        )


def check_timeout(timeout: object) -> tuple[float, float]:
    """A ``(connect, read)`` pair of positive, finite seconds from a number or a pair."""

    def seconds(value: object) -> bool:
        return (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and 0 < value < float("inf")  # also refuses NaN
        )

    if seconds(timeout):
        return (float(timeout), float(timeout))  # type: ignore[arg-type]
    if isinstance(timeout, tuple) and len(timeout) == 2 and all(map(seconds, timeout)):
        return (float(timeout[0]), float(timeout[1]))
    # None would mean "wait for ever", which no sign-in request should do.
    raise ConfigurationError(
        "timeout must be a positive number of seconds, or a (connect, read) pair of them."
    )


def check_max_retries(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigurationError("max_retries must be a whole number, 0 or more.")
    return value


def check_max_retry_wait(value: object) -> float:
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not value >= 0  # also refuses NaN, which compares false to everything
    ):
        raise ConfigurationError("max_retry_wait must be a number of seconds, 0 or more.")
    return float(value)


def check_leeway(leeway: object) -> float:
    """Seconds of clock skew for ``verify_access_token``: a number from 0 to ``MAX_LEEWAY``."""
    if (
        not isinstance(leeway, (int, float))
        or isinstance(leeway, bool)
        or not 0 <= leeway <= MAX_LEEWAY  # also refuses NaN
    ):
        raise InvalidParameterError(f"leeway must be a number of seconds from 0 to {MAX_LEEWAY:g}.")
    return float(leeway)


def check_base_url(base_url: object) -> str:
    """The base URL without a trailing slash, if it is a safe place to send the API key."""
    if not isinstance(base_url, str):
        raise ConfigurationError("base_url must be a string: check WORKOS_BASE_URL.")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url must be an http(s) URL such as {DEFAULT_BASE_URL}: check WORKOS_BASE_URL."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(
            "base_url must not have a query, fragment or credentials: check WORKOS_BASE_URL."
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        # The API key travels in every request; plain HTTP is only for a local emulator.
        raise ConfigurationError(
            "base_url must use https except for localhost: check WORKOS_BASE_URL."
        )
    return base_url.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost`` or a loopback address."""
    if host in _LOOPBACK_NAMES:
        return True
    import ipaddress  # only needed for a plain-http base URL, so kept off the import path

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- settings of the framework integrations ---------------------------------------------------
# One rule each, for Flask, Django and Starlette alike; ``setting`` is the name the app's own
# configuration uses (``app.config['WORKOS_REDIRECT_URI']``, ``WORKOS_SSO['REDIRECT_URI']``...).


def check_redirect_uri(value: object, *, setting: str) -> str:
    """The callback's absolute URL: https (plain http on loopback only), a path, no query."""
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise ConfigurationError(f"{setting} must be the callback's absolute URL.")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{setting} must be an absolute URL such as https://app.example.com/callback."
        )
    if parts.username is not None or parts.password is not None or "\\" in value:
        raise ConfigurationError(f"{setting} must not hold credentials or backslashes.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(f"{setting} must use https except for localhost.")
    if parts.path in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{setting} must name the callback's path, such as /callback, and have no query "
            "or fragment."
        )
    return value


def is_local_development(redirect_uri: str) -> bool:
    """Plain-HTTP loopback: the only place a session cookie may go without ``Secure``."""
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and is_loopback(parts.hostname or "")
