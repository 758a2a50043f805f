"""Where the command line points: flags, then the environment, then a ``.env`` file.

A base URL from ``.env`` is used only together with an API key from the same file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .._config import DEFAULT_BASE_URL

__all__ = ["SETTINGS", "Settings", "parse_dotenv", "read_dotenv", "resolve_settings"]

#: Each setting: its name, its environment variable and its flag.
SETTINGS = (
    ("api_key", "WORKOS_API_KEY", "--api-key"),
    ("client_id", "WORKOS_CLIENT_ID", "--client-id"),
    ("base_url", "WORKOS_BASE_URL", "--base-url"),
    ("redirect_uri", "WORKOS_REDIRECT_URI", "--redirect-uri"),
)


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
    for name, variable, flag in SETTINGS:
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
