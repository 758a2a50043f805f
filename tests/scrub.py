"""Remove secrets from requests and responses before VCR writes them to a cassette.

Scrubbed at record time: the Authorization header (by the VCR config), ``client_secret`` and
``code`` in token requests, access tokens and logout tokens in responses, and authorization codes
in redirect locations. ``tests/test_secrets.py`` fails if anything slips through.
"""

from __future__ import annotations

import json
import re
from typing import Any

REDACTED = "REDACTED"
# `code` only in requests: in responses it is the error code, which tests need to see.
_REQUEST_SECRET_KEYS = frozenset({"client_secret", "code"})
_RESPONSE_SECRET_KEYS = frozenset({"access_token", "refresh_token", "logout_token"})
_CODE_IN_URL = re.compile(r"([?&](?:code|token|logout_token)=)[^&#\s]+")


def _scrub_json(body: Any, secret_keys: frozenset[str]) -> Any:
    if isinstance(body, (bytes, str)) and body:
        text = body.decode() if isinstance(body, bytes) else body
        try:
            data = json.loads(text)
        except ValueError:
            return body
        scrubbed = json.dumps(_scrub_value(data, secret_keys))
        return scrubbed.encode() if isinstance(body, bytes) else scrubbed
    return body


def _scrub_value(value: Any, secret_keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED
            if key in secret_keys and isinstance(item, str)
            else _scrub_value(item, secret_keys)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub_value(item, secret_keys) for item in value]
    if isinstance(value, str):
        return _CODE_IN_URL.sub(rf"\g<1>{REDACTED}", value)
    return value


def scrub_request(request: Any) -> Any:
    request.body = _scrub_json(request.body, _REQUEST_SECRET_KEYS)
    request.uri = _CODE_IN_URL.sub(rf"\g<1>{REDACTED}", request.uri)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body", {})
    if "string" in body:
        body["string"] = _scrub_json(body["string"], _RESPONSE_SECRET_KEYS)
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() == "location":
            headers[name] = [
                _CODE_IN_URL.sub(rf"\g<1>{REDACTED}", value) for value in headers[name]
            ]
        elif name.lower() == "content-length" and "string" in body:
            # The scrubbed body is shorter; a stale length would read as a truncated response.
            headers[name] = [str(len(_as_bytes(body["string"])))]
    return response


def _as_bytes(body: Any) -> bytes:
    return body if isinstance(body, bytes) else str(body).encode()
