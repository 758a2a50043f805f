"""A browser driven by hand for ``verify``, and the HTTP pieces it reads: dates, cookies, URLs.

It keeps a cookie jar and follows redirects one hop at a time, so each hop can be checked and
none reaches a host the :class:`HostPolicy` does not allow. A ``Location`` is read the way a
browser reads it (:func:`resolve_location`), not the way Python's ``urllib.parse`` does: the two
disagree on backslashes, tabs and slashes, and an app judged by the wrong parser can look safe
while a real browser leaves the site.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qs, unquote, urlencode, urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import parse_url

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
    "resolve_location",
    "web_origin",
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


# --- URLs as a browser reads them -------------------------------------------------------------

#: The schemes the probe may request, with their default ports. Both are "special" schemes in
#: the WHATWG URL standard, the only kind whose parsing differs from ``urllib.parse``'s here.
_WEB_SCHEMES = {"http": 80, "https": 443}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
#: Browsers strip these from both ends of a URL, and tabs and newlines from everywhere in it.
_C0_CONTROL_OR_SPACE = "".join(chr(code) for code in range(0x21))
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
#: Characters a host may not hold once percent-decoded (WHATWG's forbidden domain code points,
#: a few of them): a URL with one is one no browser opens.
_FORBIDDEN_IN_HOST = frozenset(" \x00#%/:<>?@[\\]^|")

#: (scheme, host, port): what a browser connects to.
Origin = tuple[str, str, int]


def _trimmed(url: str) -> str:
    return url.strip(_C0_CONTROL_OR_SPACE).translate(_TAB_OR_NEWLINE)


def _backslashes_as_slashes(reference: str) -> str:
    """For http(s), browsers read ``\\`` as ``/`` in the authority and path (not the query)."""
    cut = min((index for index in map(reference.find, "?#") if index >= 0), default=len(reference))
    return reference[:cut].replace("\\", "/") + reference[cut:]


def _host_as_sent(host: str) -> Optional[str]:
    """The host a browser connects to for ``host`` as written in a URL; ``None`` if invalid.

    Browsers percent-decode a host (``evil%2Eexample`` is ``evil.example``) and lower-case it.
    """
    if host.startswith("[") and host.endswith("]"):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            return None
    decoded = unquote(host).lower()
    if not decoded or _FORBIDDEN_IN_HOST & set(decoded):
        return None
    return decoded


def _from_authority(scheme: str, rest: str) -> Optional[str]:
    """``scheme://`` + ``rest`` (the text after the slashes), rebuilt without userinfo or
    fragment; ``None`` when a browser would refuse it (no host, a bad port or host).
    """
    end = min((index for index in map(rest.find, "/?#") if index >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    # The last "@" ends the userinfo, which a browser keeps out of the host it connects to.
    host_and_port = authority.rpartition("@")[2]
    bracket = host_and_port.rfind("]")
    colon = host_and_port.rfind(":")
    if colon > bracket:
        written_host, port = host_and_port[:colon], host_and_port[colon + 1 :]
    else:
        written_host, port = host_and_port, ""
    host = _host_as_sent(written_host)
    if host is None or (port and not port.isdigit()):
        return None
    port_part = f":{int(port)}" if port and int(port) != _WEB_SCHEMES[scheme] else ""
    path_and_query = tail.partition("#")[0]
    if not path_and_query.startswith("/"):
        path_and_query = "/" + path_and_query
    return f"{scheme}://{host}{port_part}{path_and_query}"


def web_url(url: str) -> Optional[str]:
    """An absolute http(s) URL as a browser reads it, rebuilt so that every other parser reads
    the same host; ``None`` for another scheme or a URL a browser would refuse.

    ``http://evil.example\\@127.0.0.1/`` is ``http://evil.example/@127.0.0.1/`` to a browser,
    whereas ``urllib.parse`` finds the host 127.0.0.1 in it.
    """
    text = _trimmed(url)
    match = _SCHEME.match(text)
    if match is None:
        return None
    scheme = match.group()[:-1].lower()
    if scheme not in _WEB_SCHEMES:
        return None
    # Any number of slashes (or backslashes) may stand between the scheme and the host.
    return _from_authority(scheme, _backslashes_as_slashes(text[match.end() :]).lstrip("/"))


def resolve_location(base: str, location: str) -> str:
    """Where a browser goes for ``Location: location`` on the page at ``base`` (an http(s) URL).

    A subset of the WHATWG URL parser, the part that decides the host: tabs and newlines are
    dropped, ``\\`` is ``/`` before the query, ``//``, ``/\\`` and ``\\\\`` begin an authority,
    ``https:evil.example`` on an http page is ``https://evil.example/`` and ``http:path`` on an
    http page is a path. Anything that is not http(s) comes back as it was, for the host policy
    to refuse.
    """
    text = _trimmed(location)
    base_scheme = urlsplit(base).scheme.lower()
    match = _SCHEME.match(text)
    if match is not None:
        scheme = match.group()[:-1].lower()
        if scheme not in _WEB_SCHEMES:
            return text
        rest = _backslashes_as_slashes(text[match.end() :])
        if scheme == base_scheme and not rest.startswith("//"):
            # "http:/path" or "http:path" on an http page is a reference to the same site.
            relative = rest if rest.startswith("/") else "./" + rest
            return web_url(urljoin(base, relative)) or text
        return _from_authority(scheme, rest.lstrip("/")) or text
    relative = _backslashes_as_slashes(text)
    if relative.startswith("//"):
        return _from_authority(base_scheme, relative.lstrip("/")) or text
    return web_url(urljoin(base, relative)) or text


def web_origin(url: str) -> Optional[Origin]:
    """The scheme, host and port a browser connects to for ``url``; ``None`` if it would not."""
    canonical = web_url(url)
    if canonical is None:
        return None
    parts = urlsplit(canonical)
    scheme = parts.scheme
    return scheme, (parts.hostname or "").lower(), parts.port or _WEB_SCHEMES[scheme]


class HostPolicy:
    """Which URLs the probe may request: loopback ones, and the configured emulator's.

    ``emulator_url`` is the WorkOS base URL the app under test was configured with; without it
    only loopback is allowed, which covers an emulator on this machine.
    """

    def __init__(self, emulator_url: Optional[str] = None) -> None:
        self.emulator_url = emulator_url.rstrip("/") if emulator_url else None
        self._emulator = web_origin(emulator_url) if emulator_url else None

    def allows(self, url: str) -> bool:
        origin = web_origin(url)
        return origin is not None and self.allows_origin(origin)

    def allows_origin(self, origin: Origin) -> bool:
        scheme, host, _ = origin
        if scheme not in _WEB_SCHEMES or not host:
            return False
        return is_loopback(host.strip("[]")) or origin == self._emulator


def is_local_url(url: str) -> bool:
    """Whether ``url`` names a host on this machine (see ``is_loopback``), as a browser reads it."""
    origin = web_origin(url)
    return origin is not None and is_loopback(origin[1].strip("[]"))


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


class RefusedHost(requests.RequestException):
    """The flow led to a URL the host policy does not allow; it was not requested.

    A ``RequestException``, so that every step that handles a failed request handles this too.
    """

    def __init__(self, url: str) -> None:
        super().__init__(f"refused to request {where(url)}")
        self.url = url


@dataclass(frozen=True)
class Hop:
    """One request and its answer."""

    method: str
    url: str
    status: int
    #: The ``Location``, made absolute as a browser would (:func:`resolve_location`); ``None``
    #: unless the answer is a redirect.
    location: Optional[str]
    set_cookies: tuple[SetCookie, ...]
    text: str = field(repr=False)


class _PolicyAdapter(HTTPAdapter):
    """Checks the host of each request as urllib3 will connect to it, just before it is sent.

    The last line of defence: whatever the probe meant to request, a URL that reaches the
    network layer with a host outside the policy (because two URL parsers disagreed) is refused.
    """

    def __init__(self, policy: HostPolicy) -> None:
        super().__init__()
        self.policy = policy

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Union[float, tuple[float, float], tuple[float, None], None] = None,
        verify: Union[bool, str] = True,
        cert: Union[bytes, str, tuple[Union[bytes, str], Union[bytes, str]], None] = None,
        proxies: Optional[Mapping[str, str]] = None,
    ) -> requests.Response:
        url = request.url or ""
        sent = parse_url(url)
        scheme = (sent.scheme or "").lower()
        # urllib3 keeps the brackets of an IPv6 host; web_origin, like urlsplit, drops them.
        host = (sent.host or "").lower().strip("[]")
        origin = (scheme, host, sent.port or _WEB_SCHEMES.get(scheme, 0))
        if not self.policy.allows_origin(origin):
            raise RefusedHost(url)
        return super().send(request, stream, timeout, verify, cert, proxies)


class Browser:
    """A cookie jar that follows redirects one hop at a time, only to allowed hosts."""

    def __init__(self, policy: HostPolicy, timeout: float) -> None:
        self.policy = policy
        self.timeout = timeout
        self.session = requests.Session()
        # Proxies and .netrc from the environment must not see loopback traffic or add headers.
        self.session.trust_env = False
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, _PolicyAdapter(policy))

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
        # The URL as a browser reads it, rebuilt so that requests and urllib3 read the same host.
        target = web_url(url)
        if target is None or not self.policy.allows(target):
            raise RefusedHost(url)
        response = self.session.request(
            method, target, data=data, allow_redirects=False, timeout=self.timeout, stream=True
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
            url=target,
            status=response.status_code,
            location=resolve_location(target, location) if redirect and location else None,
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
