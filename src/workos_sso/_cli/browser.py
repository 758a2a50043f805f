"""A browser driven by hand for ``verify``, and the HTTP pieces it reads: dates, cookies, URLs.

It keeps a cookie jar and follows redirects one hop at a time, so each hop can be checked and
none reaches a host the :class:`HostPolicy` does not allow.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import requests

from .._config import is_loopback

__all__ = [
    "Browser",
    "Hop",
    "HostPolicy",
    "RefusedHost",
    "SetCookie",
    "is_local_url",
    "parse_http_date",
    "parse_set_cookie",
    "query_of",
    "where",
    "with_query",
]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_MAX_HOPS = 10
_MAX_BODY_BYTES = 1_000_000


@dataclass(frozen=True)
class SetCookie:
    """One ``Set-Cookie`` header, with the attributes the checks need."""

    name: str
    value: str = field(repr=False)
    http_only: bool = False
    secure: bool = False
    #: As the app wrote it (``Lax``, ``strict``...), or ``None`` when it sent none.
    same_site: Optional[str] = None
    #: The header removes the cookie (empty, ``Max-Age<=0`` or ``Expires`` in the past).
    deletes: bool = False


def parse_set_cookie(header: str, *, now: Optional[datetime] = None) -> Optional[SetCookie]:
    """Read a raw ``Set-Cookie`` header; ``None`` when it has no ``name=value`` pair.

    Parsed by hand because requests' cookie jar forgets ``HttpOnly`` and ``SameSite``.
    """
    first, *attributes = header.split(";")
    name, equals, value = first.partition("=")
    name = name.strip()
    if not equals or not name:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    http_only = secure = False
    same_site: Optional[str] = None
    deletes = not value
    moment = now or datetime.now(timezone.utc)
    for attribute in attributes:
        key, _, argument = attribute.partition("=")
        key = key.strip().lower()
        argument = argument.strip()
        if key == "httponly":
            http_only = True
        elif key == "secure":
            secure = True
        elif key == "samesite":
            same_site = argument or None
        elif key == "max-age":
            # Browsers ignore a malformed Max-Age, and so do we.
            with contextlib.suppress(ValueError):
                deletes = deletes or int(argument) <= 0
        elif key == "expires":
            deletes = deletes or _in_the_past(argument, moment)
    return SetCookie(name, value, http_only, secure, same_site, deletes)


def _in_the_past(date: str, now: datetime) -> bool:
    expires = parse_http_date(date)
    return expires is not None and expires <= now.timestamp()


def parse_http_date(value: Optional[str]) -> Optional[float]:
    """An HTTP date (``Date``, ``Expires``) as a POSIX timestamp; ``None`` if unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:  # Python 3.9 returns None for some malformed dates
        return None  # type: ignore[unreachable]
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


class HostPolicy:
    """Which URLs the probe may request: loopback ones, and the configured emulator's.

    ``emulator_url`` is the WorkOS base URL the app under test was configured with; without it
    only loopback is allowed, which covers an emulator on this machine.
    """

    def __init__(self, emulator_url: Optional[str] = None) -> None:
        self.emulator_url = emulator_url.rstrip("/") if emulator_url else None
        self._emulator = _origin(emulator_url) if emulator_url else None

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return False
        if is_loopback(parts.hostname.lower()):
            return True
        return self._emulator is not None and _origin(url) == self._emulator


def is_local_url(url: str) -> bool:
    """Whether ``url`` names a host on this machine (see ``is_loopback``)."""
    host = urlsplit(url).hostname
    return bool(host) and is_loopback(str(host))


def where(url: str) -> str:
    """A URL without its query and fragment, which may hold a code or a state."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def with_query(url: str, changes: Mapping[str, Optional[str]]) -> str:
    """``url`` with parameters replaced, added, or (for ``None``) removed."""
    parts = urlsplit(url)
    pairs = [
        (key, value)
        for key, values in parse_qs(parts.query, keep_blank_values=True).items()
        for value in values
        if key not in changes
    ]
    pairs += [(key, value) for key, value in changes.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(pairs)))


# --- A browser, by hand ----------------------------------------------------------------------


class RefusedHost(Exception):
    """The flow led to a URL the host policy does not allow; it was not requested."""

    def __init__(self, url: str) -> None:
        super().__init__(f"refused to request {where(url)}")
        self.url = url


@dataclass(frozen=True)
class Hop:
    """One request and its answer."""

    method: str
    url: str
    status: int
    #: The ``Location``, made absolute; ``None`` unless the answer is a redirect.
    location: Optional[str]
    set_cookies: tuple[SetCookie, ...]
    text: str = field(repr=False)


class Browser:
    """A cookie jar that follows redirects one hop at a time, only to allowed hosts."""

    def __init__(self, policy: HostPolicy, timeout: float) -> None:
        self.policy = policy
        self.timeout = timeout
        self.session = requests.Session()
        # Proxies and .netrc from the environment must not see loopback traffic or add headers.
        self.session.trust_env = False

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value or "" for cookie in self.session.cookies}

    def copy(self) -> Browser:
        """Another browser holding the same cookies, as this one holds them now."""
        twin = Browser(self.policy, self.timeout)
        twin.session.cookies.update(self.session.cookies.copy())
        return twin

    def request(self, method: str, url: str, data: Optional[Mapping[str, str]] = None) -> Hop:
        if not self.policy.allows(url):
            raise RefusedHost(url)
        response = self.session.request(
            method, url, data=data, allow_redirects=False, timeout=self.timeout, stream=True
        )
        try:
            body = response.raw.read(_MAX_BODY_BYTES, decode_content=True) or b""
            raw_cookies = _raw_set_cookies(response)
        finally:
            response.close()
        location = response.headers.get("Location")
        redirect = response.status_code in _REDIRECT_STATUSES and location is not None
        return Hop(
            method=method,
            url=url,
            status=response.status_code,
            location=urljoin(url, location) if redirect and location is not None else None,
            set_cookies=tuple(
                cookie for cookie in map(parse_set_cookie, raw_cookies) if cookie is not None
            ),
            text=body.decode(response.encoding or "utf-8", errors="replace"),
        )

    def follow(
        self,
        url: str,
        *,
        data: Optional[Mapping[str, str]] = None,
        stop: Callable[[str], bool] = lambda url: False,
    ) -> list[Hop]:
        """Request ``url`` and follow its redirects until a page, a ``stop`` URL or a host that
        may not be requested; the last hop's ``location`` says where it stopped.
        """
        hops: list[Hop] = []
        method = "POST" if data is not None else "GET"
        while len(hops) < _MAX_HOPS:
            hop = self.request(method, url, data)
            hops.append(hop)
            if hop.location is None or stop(hop.location) or not self.policy.allows(hop.location):
                break
            if hop.status not in (307, 308):
                method, data = "GET", None
            url = hop.location
        return hops


def _raw_set_cookies(response: requests.Response) -> list[str]:
    headers: Any = getattr(response.raw, "headers", None)
    if headers is not None and hasattr(headers, "getlist"):
        return [str(value) for value in headers.getlist("Set-Cookie")]
    value = response.headers.get("Set-Cookie")
    return [value] if value else []
