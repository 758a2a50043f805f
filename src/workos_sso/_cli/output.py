"""What the command line writes: tables, JSON, and the check lines of ``doctor`` and ``verify``.

Every value shown in a table goes through :func:`cell`, which makes control characters visible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional, TextIO

from .. import Connection, Profile, ProfileAndToken, WorkOSError, unstructure

__all__ = [
    "CONNECTION_HEADERS",
    "EXIT_CLOSED_PIPE",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "FAIL",
    "PASS",
    "SKIP",
    "WARN",
    "Check",
    "Progress",
    "TableWriter",
    "cell",
    "connection_fields",
    "connection_row",
    "error_line",
    "exchange_fields",
    "exchange_json",
    "format_fields",
    "format_table",
    "is_terminal",
    "json_document",
    "json_line",
    "profile_fields",
    "profile_json",
    "sentence",
    "write_checks",
]

EXIT_OK = 0
#: The API or the network failed, a check failed, or a deletion was cancelled.
EXIT_FAILURE = 1
#: Bad flags, or missing or malformed settings.
EXIT_USAGE = 2
#: Standard output was closed early (``| head``): 128 + SIGPIPE, as for a Unix tool it ends.
EXIT_CLOSED_PIPE = 141
_PROFILE_PRIVATE_FIELDS = ("raw_attributes", "custom_attributes")


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
        self._enabled = is_terminal(stream)
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


def is_terminal(stream: object) -> bool:
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


def exchange_fields(result: ProfileAndToken, *, raw: bool) -> list[tuple[str, str]]:
    # The access token is shown: getting it is the reason to run ``exchange``.
    pairs = [
        ("access token", cell(result.access_token)),
        ("token type", cell(result.token_type)),
        ("expires in", cell(None if result.expires_in is None else f"{result.expires_in} s")),
        *profile_fields(result.profile, raw=raw),
    ]
    if result.oauth_tokens is not None:
        pairs.append(("oauth provider", cell(result.oauth_tokens.provider)))
    return pairs


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


# The status of a check, the first word of its line.
PASS = "PASS"
WARN = "WARN"
FAIL = "FAIL"
SKIP = "SKIP"


@dataclass(frozen=True)
class Check:
    """One line of ``doctor`` or ``verify``: what was checked, how it went, what to do next."""

    name: str
    status: str
    detail: str
    fix: Optional[str] = None

    def line(self, name_width: int) -> str:
        text = f"{self.status}  {self.name.ljust(name_width)}  {self.detail}"
        return f"{text} Fix: {self.fix}" if self.fix else text


def sentence(text: str) -> str:
    """``text`` stripped and ending with a full stop (or its own ``!`` or ``?``)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def error_line(error: WorkOSError) -> str:
    """``Name: message. hint``: the message ends as a sentence before the hint starts.

    Messages that quote a lower layer (a refused connection, say) end without a full stop, and
    ``str(error)`` joins message and hint with a bare space.
    """
    text = str(error)
    hint = error.hint
    if hint and text.endswith(f" {hint}"):
        text = f"{sentence(text[: -len(hint)])} {hint}"
    return f"{type(error).__name__}: {text}"


def write_checks(stream: TextIO, checks: Sequence[Check], *, as_json: bool) -> int:
    """One line per check (or ``{"ok", "checks"}`` as JSON); exit 1 when any failed."""
    failed = any(check.status == FAIL for check in checks)
    if as_json:
        document = {"ok": not failed, "checks": [vars(check) for check in checks]}
        stream.write(json_document(document))
    else:
        width = max(len(check.name) for check in checks)
        stream.writelines(check.line(width) + "\n" for check in checks)
    return EXIT_FAILURE if failed else EXIT_OK
