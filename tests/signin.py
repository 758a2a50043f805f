"""Sign in through the emulator as a browser would, for the live tests.

The emulator's ``/sso/authorize`` signs the user in at once (it has no login page) and answers
with a redirect to the app's callback, carrying ``code`` and ``state``. A test that needs a code
follows that one redirect by hand and stops there, as the app's callback is not running.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests

__all__ = ["callback_query", "follow_authorization", "with_query"]


def follow_authorization(url: str, *, redirect_uri: Optional[str] = None) -> str:
    """Request an authorization URL at the emulator; return the callback URL it redirects to.

    With ``redirect_uri``, the callback must be that URL (plus its query).
    """
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location: str = response.headers["Location"]
    if redirect_uri is not None:
        assert location.startswith(redirect_uri + "?"), location
    return location


def callback_query(callback_url: str) -> dict[str, str]:
    """The first value of each query parameter of a callback URL: ``code``, ``state``..."""
    return {key: values[0] for key, values in parse_qs(urlsplit(callback_url).query).items()}


def with_query(url: str, **changes: str) -> str:
    """``url`` with some query parameters replaced: to send a sign-in elsewhere, or forge one."""
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))
