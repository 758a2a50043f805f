"""No secret reaches anything a user can see: repr, str, tracebacks, DEBUG logs, cassettes.

The live sweep runs the whole flow against the emulator and some failures on purpose, then
searches every string a user could print or log for the API keys, access tokens, the
authorization code and the logout token. The cassette sweep runs offline in the default run and
checks every recorded file for anything that looks like a credential.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import emulator
from tests.clients import make_client
from workos_sso import (
    AuthenticationError,
    InvalidGrantError,
    NotFoundError,
    SSOClient,
    WorkOSError,
    unstructure,
)
from workos_sso.testing import complete_sign_in

CASSETTES = emulator.ROOT / "cassettes"
REDIRECT_URI = "http://localhost:8000/callback"
WRONG_API_KEY = "sk_test_not_a_key_the_emulator_knows"


def _texts_of(value: object) -> list[str]:
    """What a user sees of a value: repr() and str(), and a traceback for an exception."""
    texts = [repr(value), str(value), f"{value}", f"{value!r}"]
    if isinstance(value, BaseException):
        texts.append("".join(traceback.format_exception(type(value), value, value.__traceback__)))
        texts.extend(repr(arg) for arg in value.args)
    return texts


def _leaks(texts: Iterable[str], secrets: dict[str, str]) -> list[str]:
    return [
        f"{name} found in: {text[:300]!r}"
        for text in texts
        for name, secret in secrets.items()
        if secret in text
    ]


# --- live: the whole flow and its failures ----------------------------------------------------


def _sign_in(sso: SSOClient, organization: str) -> str:
    url = sso.get_authorization_url(
        redirect_uri=REDIRECT_URI,
        organization=organization,
        state="sweep-state",
        login_hint="alice@foo-corp.com",
    )
    callback = complete_sign_in(url)
    assert callback.state == "sweep-state"
    return callback.code


@pytest.mark.live
def test_no_secret_in_repr_str_errors_or_debug_logs(
    emulator_url: str, caplog: pytest.LogCaptureFixture, client_kind: str
) -> None:
    # emulator_url rather than the sso fixture: this test needs a real server in every mode.
    base_url = emulator_url
    caplog.set_level(logging.DEBUG, logger="workos_sso")
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    caplog.set_level(logging.DEBUG, logger="asyncio")
    sso = make_client(
        client_kind,
        api_key=emulator.SECRETS_API_KEY,
        client_id=emulator.CLIENT_ID,
        base_url=base_url,
        max_retry_wait=1.0,
    )
    seen: list[object] = [sso, getattr(sso, "client", sso)]
    errors: list[WorkOSError] = []

    # The whole flow.
    [connection] = list(sso.list_connections(domain="foo-corp.com"))
    assert connection.organization_id is not None
    code = _sign_in(sso, connection.organization_id)
    result = sso.get_profile_and_token(code)
    profile = sso.get_profile(result.access_token)
    logout = sso.authorize_logout(profile_id=profile.id)
    logout_url = sso.get_logout_url(logout.logout_token)
    # 100 a page: by now the emulator holds the bulk tests' thousand connections, and a smaller
    # page would spend much of this key's 999 requests a minute on one walk per client kind.
    pager = sso.list_connections(limit=100)
    pages = list(pager.pages())
    fetched = sso.get_connection(connection.id)
    seen += [result, result.profile, profile, logout, connection, fetched, pager, *pages]
    seen += [item for page in pages for item in page.data]
    assert profile.email == "alice@foo-corp.com"
    assert logout.logout_token in logout_url  # the URL is for the browser, not for logs

    # Failures, each of which has a secret in the request that caused it.
    with pytest.raises(InvalidGrantError) as reused:
        sso.get_profile_and_token(code)
    errors.append(reused.value)
    tampered_token = result.access_token[:-6] + "AAAAAA"
    with pytest.raises(AuthenticationError) as bad_token:
        sso.get_profile(tampered_token)
    errors.append(bad_token.value)
    with pytest.raises(NotFoundError) as missing:
        sso.get_connection("conn_01DOESNOTEXIST0000000000")
    errors.append(missing.value)
    with make_client(
        client_kind,
        api_key=WRONG_API_KEY,
        client_id=emulator.CLIENT_ID,
        base_url=base_url,
        max_retries=0,
    ) as wrong_key_client:
        seen += [wrong_key_client, getattr(wrong_key_client, "client", wrong_key_client)]
        with pytest.raises(AuthenticationError) as wrong_key:
            list(wrong_key_client.list_connections())
        errors.append(wrong_key.value)
        with pytest.raises(AuthenticationError) as wrong_key_get:
            wrong_key_client.get_connection(connection.id)
        errors.append(wrong_key_get.value)
    # Made up at run time: a literal would show in the traceback's source lines.
    made_up_code = f"sso_code_{uuid.uuid4().hex}"
    with pytest.raises(InvalidGrantError) as unknown_code:
        sso.get_profile_and_token(made_up_code)
    errors.append(unknown_code.value)

    secrets = {
        "API key": emulator.SECRETS_API_KEY,
        "wrong API key": WRONG_API_KEY,
        "access token": result.access_token,
        "tampered access token": tampered_token,
        "authorization code": code,
        "made-up code": made_up_code,
        "logout token": logout.logout_token,
    }
    assert all(len(secret) >= 12 for secret in secrets.values())

    records = caplog.records
    log_texts = [caplog.text, *(record.getMessage() for record in records)]
    log_texts += [repr(record.args) for record in records]
    texts = [text for value in [*seen, *errors] for text in _texts_of(value)] + log_texts
    assert _leaks(texts, secrets) == []

    # The sweep looked at real output: the client logged every call, urllib3 its connections.
    client_lines = [r.getMessage() for r in records if r.name == "workos_sso"]
    for call in ("POST /sso/token", "GET /sso/profile", "POST /sso/logout/authorize"):
        assert any(call in line for line in client_lines), call
    if client_kind == "sync":
        # urllib3 logs each connection and response; aiohttp logs nothing per request, so the
        # async run has no transport lines to search (any it had were searched above).
        assert any(r.name.startswith("urllib3") for r in records)
    assert len(errors) == 6
    # Secrets the user is meant to have are still there, just not in repr(); and the sweep
    # does find them where they are.
    assert unstructure(result)["access_token"] == result.access_token
    assert unstructure(logout)["logout_token"] == logout.logout_token
    assert _leaks([repr(unstructure(result)), logout_url], secrets) == [
        f"access token found in: {repr(unstructure(result))[:300]!r}",
        f"logout token found in: {logout_url[:300]!r}",
    ]
    sso.close()


# --- offline: every cassette -----------------------------------------------------------------

_SECRET_PATTERNS = {
    "API key": re.compile(r"sk_(?:test|live)_[A-Za-z0-9_]+"),
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{6,}"),
    "authorization code": re.compile(r"sso_code_[A-Za-z0-9]+"),
    "logout token": re.compile(r"sso_logout_[A-Za-z0-9]+"),
    "bearer credential": re.compile(r"Bearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    "form client_secret": re.compile(r"client_secret=(?!REDACTED\b)[^&\s'\"]*"),
    "Authorization header line": re.compile(r"(?im)^\s*['\"]?authorization['\"]?\s*:"),
}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _client_secrets(value: Any) -> Iterator[Any]:
    """Every value under a ``client_secret`` key, in YAML and in JSON bodies stored as strings."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "client_secret":
                yield item
            else:
                yield from _client_secrets(item)
    elif isinstance(value, list):
        for item in value:
            yield from _client_secrets(item)
    elif isinstance(value, str) and value.lstrip().startswith(("{", "[")):
        try:
            decoded = json.loads(value)
        except ValueError:
            return
        yield from _client_secrets(decoded)


def _header_names(document: Any) -> Iterator[str]:
    for interaction in (document or {}).get("interactions", []):
        for part in ("request", "response"):
            headers = (interaction.get(part) or {}).get("headers") or {}
            yield from headers


def cassette_findings(path: Path) -> list[str]:
    """Everything in one cassette file that looks like a credential."""
    raw = path.read_text(encoding="utf-8")
    document = yaml.safe_load(raw)
    # YAML folds long strings over lines; search the unfolded strings as well as the raw file.
    texts = [raw, *_strings(document)]
    findings = [
        f"{path.name}: {kind} {match.group(0)[:40]!r}"
        for kind, pattern in _SECRET_PATTERNS.items()
        for text in texts
        for match in pattern.finditer(text)
    ]
    findings += [
        f"{path.name}: client_secret {secret!r}"
        for secret in _client_secrets(document)
        if secret != "REDACTED"
    ]
    findings += [
        f"{path.name}: {name} header"
        for name in _header_names(document)
        if name.lower() in ("authorization", "proxy-authorization", "cookie", "set-cookie")
    ]
    return findings


def _cassette_files() -> list[Path]:
    return sorted(path for path in CASSETTES.rglob("*") if path.is_file())


def test_cassettes_exist_to_be_swept() -> None:
    assert len(_cassette_files()) >= 5  # the scenario tests' recordings


@pytest.mark.parametrize("cassette", _cassette_files(), ids=lambda path: path.name)
def test_cassette_holds_no_secret(cassette: Path) -> None:
    assert cassette_findings(cassette) == []


def test_cassettes_still_show_what_scrubbing_left() -> None:
    # The scrubbed placeholders prove the recordings went through the token exchange at all.
    redacted = [path for path in _cassette_files() if "REDACTED" in path.read_text()]
    assert redacted, "no cassette went through the token exchange; the sweep proves little"


DIRTY_CASSETTE_FIXTURE = """\
interactions:
- request:
    body: '{"client_id": "client_01X", "client_secret": "sk_live_realkey123", "grant_type":
      "authorization_code", "code": "sso_code_01ABCDEF"}'
    headers:
      Authorization:
      - Bearer sk_test_leakedkey999
    method: POST
    uri: http://127.0.0.1:4100/sso/token?client_secret=hunter2hunter2
  response:
    body:
      string: '{"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9mIn0.c2ln",
        "logout_token": "sso_logout_01XYZ"}'
    headers: {}
    status: {code: 200, message: OK}
version: 1
"""


def test_the_sweep_finds_each_kind_of_secret(tmp_path: Path) -> None:
    dirty = tmp_path / "dirty.yaml"
    dirty.write_text(DIRTY_CASSETTE_FIXTURE)
    findings = "\n".join(cassette_findings(dirty))
    for kind in [
        *_SECRET_PATTERNS,
        "client_secret 'sk_live_realkey123'",
        "Authorization header",
    ]:
        assert kind in findings, kind


def test_the_sweep_passes_a_scrubbed_fixture(tmp_path: Path) -> None:
    clean = tmp_path / "clean.yaml"
    clean.write_text(
        DIRTY_CASSETTE_FIXTURE.replace("sk_live_realkey123", "REDACTED")
        .replace("sso_code_01ABCDEF", "REDACTED")
        .replace("      Authorization:\n      - Bearer sk_test_leakedkey999\n", "      {}\n")
        .replace("    headers:\n      {}\n", "    headers: {}\n")
        .replace("client_secret=hunter2hunter2", "client_secret=REDACTED")
        .replace("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9mIn0.c2ln", "REDACTED")
        .replace("sso_logout_01XYZ", "REDACTED")
    )
    assert cassette_findings(clean) == []
