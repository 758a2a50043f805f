"""The ``workos-sso`` command line: connections, sign-in helpers, ``doctor`` and ``verify``.

Run as ``workos-sso ...`` or ``python -m workos_sso ...``. Standard library only (argparse), so
installing the package adds no dependency. Settings come from flags, then the environment, then a
``.env`` file in the working directory, in that order of precedence; a base URL from ``.env`` is
used only together with an API key from the same file.

Exit codes: 0 success, 1 the API or the network failed (or a deletion was cancelled), 2 a usage
error (bad flags, missing or malformed settings). ``doctor`` and ``verify`` exit 1 when any check
fails.

Nothing here is imported by ``workos_sso`` itself, so the library's import time does not pay for
argparse and friends.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Callable, Optional, TextIO
from urllib.parse import urlsplit

from . import _config
from ._client import SSOClient
from ._config import DEFAULT_BASE_URL, is_loopback
from ._convert import unstructure
from ._errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidParameterError,
    NetworkError,
    WorkOSError,
)
from ._models import Connection, Order, Profile, ProfileAndToken, Provider
from ._version import __version__

__all__ = ["main"]

PROG = "workos-sso"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

#: Beyond this difference from the server's clock, token lifetimes start to misbehave.
CLOCK_SKEW_WARNING_SECONDS = 60.0
#: Stands in for the API key when a command builds a URL locally and never sends a request.
_UNSENT_API_KEY = "sk_unused_building_urls_only"
_SETTINGS = (
    ("api_key", "WORKOS_API_KEY", "--api-key"),
    ("client_id", "WORKOS_CLIENT_ID", "--client-id"),
    ("base_url", "WORKOS_BASE_URL", "--base-url"),
    ("redirect_uri", "WORKOS_REDIRECT_URI", "--redirect-uri"),
)
_PROFILE_PRIVATE_FIELDS = ("raw_attributes", "custom_attributes")


class UsageError(Exception):
    """A mistake in how the command was called; reported with exit code 2."""


# --- Settings and .env ---------------------------------------------------------------------


_DOTENV_ASSIGNMENT = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*")
_DOUBLE_QUOTE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def parse_dotenv(text: str) -> dict[str, str]:
    """Read ``KEY=VALUE`` lines the way most ``.env`` tools do, without expanding variables.

    Blank lines and ``#`` comments are skipped, as are lines that are not assignments; an
    ``export`` prefix is allowed. A value may be single-quoted (taken literally), double-quoted
    (``\\n``, ``\\t``, ``\\"`` and ``\\\\`` are unescaped) or bare (a `` #`` starts a comment).
    A later line wins over an earlier one with the same key.
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _DOTENV_ASSIGNMENT.fullmatch(line)
        if match is not None:
            key, raw_value = match.groups()
            values[key] = _dotenv_value(raw_value)
    return values


def _dotenv_value(raw: str) -> str:
    if raw.startswith("'"):
        end = raw.find("'", 1)
        return raw[1:end] if end > 0 else raw
    if raw.startswith('"'):
        chars: list[str] = []
        index = 1
        while index < len(raw):
            char = raw[index]
            if char == "\\" and index + 1 < len(raw):
                following = raw[index + 1]
                chars.append(_DOUBLE_QUOTE_ESCAPES.get(following, "\\" + following))
                index += 2
                continue
            if char == '"':
                return "".join(chars)
            chars.append(char)
            index += 1
        return raw  # no closing quote: keep the line as written rather than guess
    return re.split(r"\s#", raw, maxsplit=1)[0].strip()


def read_dotenv(directory: Path) -> dict[str, str]:
    """The assignments of ``directory/.env``, or nothing when there is no such file."""
    path = directory / ".env"
    if not path.is_file():
        return {}
    return parse_dotenv(path.read_text(encoding="utf-8", errors="replace"))


@dataclass(frozen=True)
class Settings:
    """Where the command line points: credentials, API and redirect URI, with their sources."""

    api_key: Optional[str] = field(repr=False)
    client_id: Optional[str]
    base_url: str
    redirect_uri: Optional[str]
    #: For each setting given, where it came from: a flag, the environment or ``.env``.
    sources: Mapping[str, str]
    #: One line each about settings that were found but deliberately not used.
    warnings: tuple[str, ...] = ()


def resolve_settings(
    flags: Mapping[str, Optional[str]],
    *,
    environ: Mapping[str, str],
    dotenv: Mapping[str, str],
    dotenv_path: str = ".env",
) -> Settings:
    """Flags win over environment variables, which win over ``.env``; empty values are unset.

    A base URL from ``.env`` counts only when the API key comes from that same file. A
    repository can ship a ``.env``; if its ``WORKOS_BASE_URL`` could combine with the user's own
    key from the environment or a flag, any command run in a clone would send that key to
    whatever host the repository named. Such a base URL is ignored, with a warning that names
    ``dotenv_path``.
    """
    values: dict[str, Optional[str]] = {}
    sources: dict[str, str] = {}
    for name, variable, flag in _SETTINGS:
        candidates = (
            (flags.get(name), flag),
            (environ.get(variable), f"environment variable {variable}"),
            (dotenv.get(variable), f"{variable} in .env"),
        )
        values[name] = None
        for value, source in candidates:
            if value is not None and value.strip():
                values[name] = value.strip()
                sources[name] = source
                break
    warnings: list[str] = []
    key_from_dotenv = sources.get("api_key") == "WORKOS_API_KEY in .env"
    if sources.get("base_url") == "WORKOS_BASE_URL in .env" and not key_from_dotenv:
        values["base_url"] = None
        del sources["base_url"]
        warnings.append(
            f"ignoring WORKOS_BASE_URL in {dotenv_path}: the API key does not come from "
            f"that file, so it is not sent to a URL the file chose"
        )
    return Settings(
        api_key=values["api_key"],
        client_id=values["client_id"],
        base_url=values["base_url"] or DEFAULT_BASE_URL,
        redirect_uri=values["redirect_uri"],
        sources=sources,
        warnings=tuple(warnings),
    )


# --- Output --------------------------------------------------------------------------------


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def cell(value: object) -> str:
    """Render one value for a table: ``-`` for nothing, control characters made visible.

    Names come from identity-provider admins; an escape sequence in one must not reach the
    terminal as a command.
    """
    if value is None or value == "" or value == () or value == []:
        return "-"
    if isinstance(value, datetime):
        text = value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        text = str(value)
    return _CONTROL_CHARACTERS.sub(lambda match: repr(match.group())[1:-1], text)


def column_widths(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[int]:
    widths = [len(header) for header in headers]
    for row in rows:
        for index, text in enumerate(row):
            widths[index] = max(widths[index], len(text))
    return widths


def format_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(text.ljust(width) for text, width in zip(cells, widths)).rstrip()


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns separated by two spaces, under an upper-case header row."""
    widths = column_widths(headers, rows)
    return [format_row(headers, widths), *(format_row(row, widths) for row in rows)]


def format_fields(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """One ``name  value`` line per field, the values aligned: a table for a single record."""
    width = max((len(name) for name, _ in pairs), default=0)
    return [f"{name.ljust(width)}  {value}".rstrip() for name, value in pairs]


class TableWriter:
    """Writes a table whose rows arrive in batches (pages), without holding them all.

    The column widths come from the header and the first batch; a longer value later just
    pushes its row's following columns right, which keeps every row readable.
    """

    def __init__(self, stream: TextIO, headers: Sequence[str]) -> None:
        self._stream = stream
        self._headers = headers
        self._widths: Optional[list[int]] = None

    def write(self, rows: Sequence[Sequence[str]]) -> None:
        if self._widths is None:
            self._widths = column_widths(self._headers, rows)
            self._stream.write(format_row(self._headers, self._widths) + "\n")
        for row in rows:
            self._stream.write(format_row(row, self._widths) + "\n")
        self._stream.flush()


def json_document(data: object) -> str:
    """A single JSON document with sorted keys, so output is stable from run to run."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def json_line(data: object) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


class Progress:
    """A one-line counter on standard error, drawn only when standard error is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._enabled = _is_terminal(stream)
        self._width = 0

    def show(self, text: str) -> None:
        if self._enabled:
            self._stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
            self._stream.flush()

    def clear(self) -> None:
        if self._enabled and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._width = 0
            self._stream.flush()


def error_line(error: WorkOSError) -> str:
    """``Name: message. hint``: the message ends as a sentence before the hint starts.

    Messages that quote a lower layer (a refused connection, say) end without a full stop, and
    ``str(error)`` joins message and hint with a bare space.
    """
    text = str(error)
    hint = error.hint
    if hint and text.endswith(f" {hint}"):
        text = f"{_sentence(text[: -len(hint)])} {hint}"
    return f"{type(error).__name__}: {text}"


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream is no terminal
        return False


CONNECTION_HEADERS = ("ID", "NAME", "TYPE", "STATE", "ORGANIZATION", "DOMAINS", "CREATED")


def connection_row(connection: Connection) -> list[str]:
    return [
        cell(connection.id),
        cell(connection.name),
        cell(connection.connection_type),
        cell(connection.state),
        cell(connection.organization_id),
        cell(", ".join(domain.domain for domain in connection.domains)),
        cell(connection.created_at),
    ]


def connection_fields(connection: Connection) -> list[tuple[str, str]]:
    return [
        ("id", cell(connection.id)),
        ("name", cell(connection.name)),
        ("type", cell(connection.connection_type)),
        ("state", cell(connection.state)),
        ("organization", cell(connection.organization_id)),
        ("domains", cell(", ".join(domain.domain for domain in connection.domains))),
        ("created", cell(connection.created_at)),
        ("updated", cell(connection.updated_at)),
    ]


def profile_fields(profile: Profile, *, raw: bool) -> list[tuple[str, str]]:
    pairs = [
        ("id", cell(profile.id)),
        ("email", cell(profile.email)),
        ("first name", cell(profile.first_name)),
        ("last name", cell(profile.last_name)),
        ("name", cell(profile.name)),
        ("organization", cell(profile.organization_id)),
        ("connection", cell(profile.connection_id)),
        ("connection type", cell(profile.connection_type)),
        ("idp id", cell(profile.idp_id)),
        ("role", cell(profile.role.slug if profile.role else None)),
        ("roles", cell(", ".join(role.slug for role in profile.roles or ()))),
        ("groups", cell(", ".join(profile.groups or ()))),
    ]
    if raw:
        pairs.append(("custom attributes", cell(dict(profile.custom_attributes))))
        pairs.append(("raw attributes", cell(dict(profile.raw_attributes))))
    return pairs


def profile_json(profile: Profile, *, raw: bool) -> dict[str, Any]:
    """A profile as JSON; the attribute maps, which may hold personal data, only with ``raw``."""
    data = unstructure(profile)
    if not raw:
        for name in _PROFILE_PRIVATE_FIELDS:
            data.pop(name, None)
    return data


def exchange_json(result: ProfileAndToken, *, raw: bool) -> dict[str, Any]:
    data = unstructure(result)
    data["profile"] = profile_json(result.profile, raw=raw)
    oauth_tokens = data.get("oauth_tokens")
    if isinstance(oauth_tokens, dict) and not raw:
        # The identity provider's own tokens grant access beyond WorkOS: only on request.
        for name in ("access_token", "refresh_token"):
            if oauth_tokens.get(name) is not None:
                oauth_tokens[name] = "***"
    return data


# --- doctor --------------------------------------------------------------------------------

PASS = "PASS"
WARN = "WARN"
FAIL = "FAIL"
SKIP = "SKIP"


@dataclass(frozen=True)
class Check:
    """One line of ``doctor``: what was checked, how it went, and what to do about it."""

    name: str
    status: str
    detail: str
    fix: Optional[str] = None

    def line(self, name_width: int) -> str:
        text = f"{self.status}  {self.name.ljust(name_width)}  {self.detail}"
        return f"{text} Fix: {self.fix}" if self.fix else text


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _source(settings: Settings, name: str) -> str:
    source = settings.sources.get(name)
    return f" (from {source})" if source else ""


def check_api_key(settings: Settings) -> Check:
    key = settings.api_key
    where = "Set WORKOS_API_KEY in the environment or .env, or pass --api-key."
    if not key:
        return Check("api key", FAIL, "no API key is set.", where)
    if not key.startswith("sk_"):
        # Never echo the value: it may be a real key pasted into the wrong variable.
        return Check(
            "api key",
            FAIL,
            f"the API key does not start with sk_{_source(settings, 'api_key')}.",
            "Copy the secret key (sk_test_... or sk_live_...) from the WorkOS dashboard.",
        )
    if key.startswith("sk_test_"):
        kind = "a test (staging) key"
    elif key.startswith("sk_live_"):
        kind = "a live (production) key"
    else:
        kind = "an sk_ key"
    return Check("api key", PASS, f"{kind} is set{_source(settings, 'api_key')}.")


def check_client_id(settings: Settings) -> Check:
    client_id = settings.client_id
    if not client_id:
        return Check(
            "client id",
            FAIL,
            "no client id is set.",
            "Set WORKOS_CLIENT_ID in the environment or .env, or pass --client-id.",
        )
    if not client_id.startswith("client_"):
        return Check(
            "client id",
            FAIL,
            f"{client_id!r} does not start with client_{_source(settings, 'client_id')}.",
            "Copy the client id (client_...) from the WorkOS dashboard.",
        )
    return Check("client id", PASS, f"{client_id}{_source(settings, 'client_id')}.")


def check_base_url(settings: Settings) -> Check:
    try:
        _config.check_base_url(settings.base_url)
    except ConfigurationError as exc:
        return Check("base url", FAIL, exc.message, "Fix WORKOS_BASE_URL or --base-url.")
    source = _source(settings, "base_url") or " (the default)"
    return Check("base url", PASS, f"{settings.base_url}{source}.")


def _is_local_url(url: str) -> bool:
    host = urlsplit(url).hostname
    return bool(host) and is_loopback(str(host))


def check_environment(settings: Settings) -> Check:
    """Does the kind of key (test or live) suit the server and redirect URI it is used with?"""
    key = settings.api_key or ""
    if not key.startswith("sk_"):
        return Check("environment", SKIP, "skipped until the API key passes.")
    if key.startswith("sk_test_"):
        kind = "test"
    elif key.startswith("sk_live_"):
        kind = "live"
    else:
        return Check(
            "environment",
            WARN,
            "the key is neither sk_test_ nor sk_live_, so its environment is unknown.",
            "Use the staging key (sk_test_) or the production key (sk_live_) from the dashboard.",
        )
    local_api = _is_local_url(settings.base_url)
    if kind == "live" and local_api:
        return Check(
            "environment",
            WARN,
            f"a live (production) key is sent to a local server, {settings.base_url}.",
            "Use a sk_test_ key with the emulator or a local proxy; keep live keys in production.",
        )
    redirect = settings.redirect_uri
    if kind == "live" and redirect and _is_local_url(redirect):
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
    label = "staging" if kind == "test" else "production"
    return Check("environment", PASS, f"{kind} key ({label}) against {where}.")


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
        detail = f"the API key was refused (HTTP {exc.status_code}: {_sentence(exc.message)})"
        return Check("api access", FAIL, detail, exc.hint), exc
    except NetworkError as exc:
        detail = f"the API is unreachable: {_sentence(exc.message)}"
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


def parse_http_date(value: Optional[str]) -> Optional[float]:
    """A ``Date`` header as a POSIX timestamp, or ``None`` when it is missing or unreadable."""
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
        detail = f"the server could not be asked the time: {_sentence(str(exc))}"
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


# --- Commands ------------------------------------------------------------------------------


@dataclass
class Context:
    args: argparse.Namespace
    settings: Settings
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO

    @property
    def as_json(self) -> bool:
        return bool(self.args.json)

    @property
    def raw(self) -> bool:
        return bool(self.args.raw)

    def client(self, *, needs_api_key: bool = True) -> SSOClient:
        settings = self.settings
        api_key = settings.api_key
        if not api_key:
            if needs_api_key:
                raise UsageError(
                    "no API key: set WORKOS_API_KEY (in the environment or .env) or pass --api-key."
                )
            api_key = _UNSENT_API_KEY
        if not settings.client_id:
            raise UsageError(
                "no client id: set WORKOS_CLIENT_ID (in the environment or .env) or pass "
                "--client-id."
            )
        return SSOClient(api_key=api_key, client_id=settings.client_id, base_url=settings.base_url)

    def write_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.stdout.write(line + "\n")


def command_connections_list(ctx: Context) -> int:
    args = ctx.args
    page_size = args.limit if args.limit is not None else (100 if args.all else None)
    with ctx.client() as client:
        pager = client.list_connections(
            connection_type=args.type,
            domain=args.domain,
            organization_id=args.organization_id,
            search=args.search,
            limit=page_size,
            order=args.order,
            before=args.before,
            after=args.after,
        )
        if not args.all:
            page = next(pager.pages())
            if ctx.as_json:
                ctx.stdout.write(
                    json_document(
                        {
                            "data": [unstructure(item) for item in page.data],
                            "list_metadata": {"before": page.before, "after": page.after},
                        }
                    )
                )
            else:
                ctx.write_lines(
                    format_table(CONNECTION_HEADERS, [connection_row(c) for c in page.data])
                )
                backwards = args.before is not None and args.after is None
                cursor = page.before if backwards else page.after
                if cursor:
                    flag = "--before" if backwards else "--after"
                    ctx.stderr.write(f"More connections: add {flag} {cursor}, or --all.\n")
            return EXIT_OK
        progress = Progress(ctx.stderr)
        table = TableWriter(ctx.stdout, CONNECTION_HEADERS)
        count = 0
        try:
            for number, page in enumerate(pager.pages(), start=1):
                # Each page is written and dropped before the next is fetched.
                progress.clear()
                if ctx.as_json:
                    for connection in page.data:
                        ctx.stdout.write(json_line(unstructure(connection)))
                    ctx.stdout.flush()
                else:
                    table.write([connection_row(connection) for connection in page.data])
                count += len(page.data)
                progress.show(f"{count} connections, {number} pages fetched...")
        finally:
            progress.clear()
    return EXIT_OK


def command_connections_get(ctx: Context) -> int:
    with ctx.client() as client:
        connection = client.get_connection(ctx.args.connection_id)
    if ctx.as_json:
        ctx.stdout.write(json_document(unstructure(connection)))
    else:
        ctx.write_lines(format_fields(connection_fields(connection)))
    return EXIT_OK


def command_connections_delete(ctx: Context) -> int:
    connection_id: str = ctx.args.connection_id
    interactive = not ctx.args.yes
    if interactive and not _is_terminal(ctx.stdin):
        raise UsageError(
            "refusing to delete without --yes: standard input is not a terminal to confirm on."
        )
    with ctx.client() as client:
        if interactive:
            connection = client.get_connection(connection_id)
            ctx.stderr.write(
                f"Delete connection {connection.id} ({cell(connection.name)}, "
                f"{cell(connection.state)})? Its users can no longer sign in through it. [y/N] "
            )
            ctx.stderr.flush()
            answer = ctx.stdin.readline().strip().lower()
            if answer not in ("y", "yes"):
                ctx.stderr.write("Cancelled: nothing was deleted.\n")
                return EXIT_FAILURE
        client.delete_connection(connection_id)
    if ctx.as_json:
        ctx.stdout.write(json_document({"deleted": True, "id": connection_id}))
    else:
        ctx.stdout.write(f"Deleted connection {connection_id}.\n")
    return EXIT_OK


def command_authorize_url(ctx: Context) -> int:
    args = ctx.args
    redirect_uri = ctx.settings.redirect_uri
    if not redirect_uri:
        raise UsageError("no redirect URI: pass --redirect-uri or set WORKOS_REDIRECT_URI.")
    # Building the URL sends nothing, so the API key is not required for this command.
    with ctx.client(needs_api_key=False) as client:
        url = client.get_authorization_url(
            redirect_uri=redirect_uri,
            connection=args.connection,
            organization=args.organization,
            provider=args.provider,
            state=args.state,
            login_hint=args.login_hint,
            domain_hint=args.domain_hint,
            nonce=args.nonce,
            provider_scopes=args.scope,
            prompt="login" if args.prompt_login else None,
        )
    if ctx.as_json:
        ctx.stdout.write(json_document({"url": url}))
    else:
        ctx.stdout.write(url + "\n")
    return EXIT_OK


def command_exchange(ctx: Context) -> int:
    code = _argument_or_stdin(ctx, ctx.args.code, "code")
    with ctx.client() as client:
        result = client.get_profile_and_token(code)
    # The access token is printed: getting it is the reason to run this command.
    if ctx.as_json:
        ctx.stdout.write(json_document(exchange_json(result, raw=ctx.raw)))
    else:
        pairs = [
            ("access token", cell(result.access_token)),
            ("token type", cell(result.token_type)),
            ("expires in", cell(None if result.expires_in is None else f"{result.expires_in} s")),
            *profile_fields(result.profile, raw=ctx.raw),
        ]
        if result.oauth_tokens is not None:
            pairs.append(("oauth provider", cell(result.oauth_tokens.provider)))
        ctx.write_lines(format_fields(pairs))
    return EXIT_OK


def command_profile(ctx: Context) -> int:
    token = _argument_or_stdin(ctx, ctx.args.access_token, "access token")
    with ctx.client() as client:
        profile = client.get_profile(token)
    if ctx.as_json:
        ctx.stdout.write(json_document(profile_json(profile, raw=ctx.raw)))
    else:
        ctx.write_lines(format_fields(profile_fields(profile, raw=ctx.raw)))
    return EXIT_OK


def command_logout(ctx: Context) -> int:
    with ctx.client() as client:
        logout = client.authorize_logout(profile_id=ctx.args.profile_id)
    if ctx.as_json:
        ctx.stdout.write(json_document({"logout_url": logout.logout_url}))
    else:
        ctx.stdout.write(logout.logout_url + "\n")
    return EXIT_OK


def command_version(ctx: Context) -> int:
    if ctx.as_json:
        ctx.stdout.write(json_document({"version": __version__}))
    else:
        ctx.stdout.write(f"{PROG} {__version__}\n")
    return EXIT_OK


def write_checks(ctx: Context, checks: Sequence[Check]) -> int:
    """One line per check (or ``{"ok", "checks"}`` with --json); exit 1 when any failed."""
    failed = any(check.status == FAIL for check in checks)
    if ctx.as_json:
        document = {"ok": not failed, "checks": [vars(check) for check in checks]}
        ctx.stdout.write(json_document(document))
    else:
        width = max(len(check.name) for check in checks)
        ctx.write_lines(check.line(width) for check in checks)
    return EXIT_FAILURE if failed else EXIT_OK


def command_doctor(ctx: Context) -> int:
    return write_checks(ctx, run_doctor(ctx.settings))


def command_verify(ctx: Context) -> int:
    from ._verify import VerifyOptions, run_verify  # imported here: it needs this module

    args = ctx.args
    for flag, url in (("--login-url", args.login_url), ("--protected-url", args.protected_url)):
        web = url is not None and urlsplit(url).scheme in ("http", "https")
        if url is not None and not (web and _is_local_url(url)):
            raise UsageError(f"{flag} must be an http(s) URL on this machine (loopback).")
    # Only an explicitly configured base URL joins loopback on the allow-list: never WorkOS's
    # default, which would show a real sign-in page and not redirect back.
    emulator_url = ctx.settings.base_url if "base_url" in ctx.settings.sources else None
    options = VerifyOptions(
        login_url=args.login_url,
        email=args.email,
        protected_url=args.protected_url,
        signed_in_text=args.signed_in_text,
        emulator_url=emulator_url,
        timeout=args.timeout,
    )
    return write_checks(ctx, run_verify(options))


def _argument_or_stdin(ctx: Context, value: str, what: str) -> str:
    """``-`` reads the value from standard input, keeping it out of shell history and ``ps``."""
    if value != "-":
        return value
    text = ctx.stdin.readline().strip()
    if not text:
        raise UsageError(f"expected the {what} on standard input, got nothing.")
    return text


# --- Parser --------------------------------------------------------------------------------


def _page_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError("must be from 1 to 100")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 300:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 300")
    return value


def _add_global_options(parser: argparse.ArgumentParser, *, in_subcommand: bool) -> None:
    # Accepted before and after the command; a subcommand leaves unset what it was not given.
    unset: Any = argparse.SUPPRESS if in_subcommand else None
    flag_unset: Any = argparse.SUPPRESS if in_subcommand else False
    group = parser.add_argument_group("settings and output")
    group.add_argument(
        "--api-key",
        metavar="KEY",
        default=unset,
        help="WorkOS API key (default: $WORKOS_API_KEY); the environment keeps it out of ps",
    )
    group.add_argument(
        "--client-id", metavar="ID", default=unset, help="client id (default: $WORKOS_CLIENT_ID)"
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=unset,
        help=f"API root (default: $WORKOS_BASE_URL or {DEFAULT_BASE_URL})",
    )
    group.add_argument(
        "--json", action="store_true", default=flag_unset, help="print JSON instead of a table"
    )
    group.add_argument(
        "--raw",
        action="store_true",
        default=flag_unset,
        help="include profiles' raw and custom attributes and identity-provider tokens",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The WorkOS SSO API from the command line. Settings come from flags, the "
        "environment, then a .env file in the working directory.",
        epilog="Exit codes: 0 success, 1 API or network error, 2 usage error.",
    )
    _add_global_options(parser, in_subcommand=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        parent: Any, name: str, handler: Callable[[Context], int], help_text: str
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(
            name, help=help_text, description=help_text
        )
        _add_global_options(sub, in_subcommand=True)
        sub.set_defaults(handler=handler)
        return sub

    connections = commands.add_parser(
        "connections", help="list, show or delete connections", description="Connections."
    )
    connection_commands = connections.add_subparsers(
        dest="connections_command", metavar="ACTION", required=True
    )
    listing = command(
        connection_commands, "list", command_connections_list, "list connections (one page)"
    )
    listing.add_argument("--domain", help="only connections for this email domain")
    listing.add_argument("--organization-id", metavar="ID", help="only this organization's")
    listing.add_argument("--type", metavar="TYPE", help="only this connection type (OktaSAML...)")
    listing.add_argument("--search", metavar="TEXT", help="search connection names")
    listing.add_argument(
        "--limit", type=_page_size, metavar="N", help="page size, 1 to 100 (API default 10)"
    )
    listing.add_argument("--order", choices=[order.value for order in Order])
    listing.add_argument("--before", metavar="CURSOR", help="the page before this cursor")
    listing.add_argument("--after", metavar="CURSOR", help="the page after this cursor")
    listing.add_argument(
        "--all",
        action="store_true",
        help="walk every page, printing as pages arrive (JSON lines with --json)",
    )

    get = command(connection_commands, "get", command_connections_get, "show one connection")
    get.add_argument("connection_id", metavar="ID")
    delete = command(
        connection_commands, "delete", command_connections_delete, "delete a connection"
    )
    delete.add_argument("connection_id", metavar="ID")
    delete.add_argument(
        "-y", "--yes", action="store_true", help="do not ask (required when not on a terminal)"
    )

    authorize = command(
        commands, "authorize-url", command_authorize_url, "build a sign-in URL (sends nothing)"
    )
    selector = authorize.add_mutually_exclusive_group(required=True)
    selector.add_argument("--connection", metavar="ID", help="a connection id")
    selector.add_argument("--organization", metavar="ID", help="an organization id")
    selector.add_argument(
        "--provider",
        metavar="PROVIDER",
        help=f"an OAuth provider: {', '.join(provider.value for provider in Provider)}",
    )
    authorize.add_argument(
        "--redirect-uri", metavar="URL", help="callback URL (default: $WORKOS_REDIRECT_URI)"
    )
    authorize.add_argument("--state", help="opaque value echoed back to the callback")
    authorize.add_argument("--login-hint", metavar="EMAIL", help="pre-fill the user's email")
    authorize.add_argument("--domain-hint", metavar="DOMAIN", help="pre-fill the domain")
    authorize.add_argument("--nonce", help="echoed back in the ID token")
    authorize.add_argument(
        "--scope", action="append", metavar="SCOPE", help="extra provider scope (repeatable)"
    )
    authorize.add_argument(
        "--prompt-login", action="store_true", help="make the identity provider ask again"
    )

    exchange = command(
        commands, "exchange", command_exchange, "exchange a code for a profile and access token"
    )
    exchange.add_argument("code", metavar="CODE", help="the callback's code, or - for stdin")
    profile = command(commands, "profile", command_profile, "show an access token's profile")
    profile.add_argument("access_token", metavar="ACCESS_TOKEN", help="the token, or - for stdin")
    logout = command(commands, "logout", command_logout, "print a profile's logout URL")
    logout.add_argument("--profile-id", metavar="ID", required=True)
    command(commands, "version", command_version, "print the version")
    doctor = command(
        commands, "doctor", command_doctor, "check settings, API access and connections"
    )
    doctor.add_argument(
        "--redirect-uri", metavar="URL", help="callback URL (default: $WORKOS_REDIRECT_URI)"
    )
    verify = command(
        commands,
        "verify",
        command_verify,
        "sign in to a running app through the emulator and check the flow and its defences",
    )
    verify.add_argument(
        "--login-url", metavar="URL", required=True, help="the app's sign-in route (loopback)"
    )
    verify.add_argument(
        "--email", metavar="ADDRESS", help="sign in by posting email=ADDRESS to --login-url"
    )
    verify.add_argument(
        "--protected-url", metavar="URL", help="a page only a signed-in browser reaches"
    )
    verify.add_argument(
        "--signed-in-text",
        metavar="TEXT",
        help="text the protected page shows only when signed in (for pages that answer 200 "
        "to everyone)",
    )
    verify.add_argument(
        "--timeout", type=_seconds, default=10.0, metavar="SECONDS", help="per request (10)"
    )
    return parser


# --- Entry point ---------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    stdin, stdout, stderr = sys.stdin, sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help (0) and on usage errors (2)
        code = exit_.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE)
    flags = {name: getattr(args, name, None) for name, _, _ in _SETTINGS}
    try:
        settings = resolve_settings(
            flags,
            environ=os.environ,
            dotenv=read_dotenv(Path.cwd()),
            dotenv_path=str(Path.cwd() / ".env"),
        )
    except OSError as exc:
        stderr.write(f"{PROG}: error: cannot read .env: {exc}\n")
        return EXIT_USAGE
    for warning in settings.warnings:
        stderr.write(f"{PROG}: warning: {warning}\n")
    context = Context(args=args, settings=settings, stdin=stdin, stdout=stdout, stderr=stderr)
    try:
        result: int = args.handler(context)
    except (UsageError, ConfigurationError, InvalidParameterError) as exc:
        stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    except WorkOSError as exc:
        stderr.write(f"{PROG}: {error_line(exc)}\n")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        stderr.write("\n")
        return 130
    except BrokenPipeError:
        # The reader (head, less) went away; say nothing more and leave quietly.
        _silence(stdout)
        return EXIT_FAILURE
    return result


def _silence(stream: TextIO) -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (captured output): nothing will be flushed to a closed pipe
