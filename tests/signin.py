"""URL helpers for the live sign-in tests.

Following the emulator's ``/sso/authorize`` redirect is the plugin's
``workos_sso.testing.complete_sign_in``, which apps' own test suites use too; these helpers
read and change the URLs around it.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

__all__ = ["callback_query", "with_query"]


def callback_query(callback_url: str) -> dict[str, str]:
    """The first value of each query parameter of a callback URL: ``code``, ``state``..."""
    return {key: values[0] for key, values in parse_qs(urlsplit(callback_url).query).items()}


def with_query(url: str, **changes: str) -> str:
    """``url`` with some query parameters replaced: to send a sign-in elsewhere, or forge one."""
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))
