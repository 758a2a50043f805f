"""The ``workos-sso`` command line: offline units, then every command against the emulator.

Commands run in-process through ``main(argv)`` with captured output, and a few through a real
``python -m workos_sso`` / ``workos-sso`` process to prove the entry points. Every test runs in
an empty working directory with the ``WORKOS_*`` variables cleared, so neither a developer's
``.env`` nor their shell can leak in.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import admin, emulator
from tests.loopback import LoopbackServer, RecordedRequest, Reply, Route, closed_port
from tests.payload_fixtures import connection_list_fixture
from workos_sso import NetworkError, NotFoundError, WorkOSError, __version__
from workos_sso._cli import main
from workos_sso._cli.browser import parse_http_date
from workos_sso._cli.doctor import (
    check_api_key,
    check_client_id,
    check_clock,
    check_environment,
    check_redirect_uri,
    clock_skew_check,
)
from workos_sso._cli.output import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    Progress,
    TableWriter,
    cell,
    error_line,
    format_fields,
    format_table,
    json_document,
)
from workos_sso._cli.settings import Settings, parse_dotenv, resolve_settings
from workos_sso.testing import complete_sign_in

API_KEY = emulator.DEFAULT_API_KEY
CLIENT_ID = emulator.CLIENT_ID
REDIRECT_URI = "http://localhost:8000/callback"
WRONG_API_KEY = "sk_test_this_key_does_not_exist_42"
SETTING_VARIABLES = ("WORKOS_API_KEY", "WORKOS_CLIENT_ID", "WORKOS_BASE_URL", "WORKOS_REDIRECT_URI")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


class TerminalInput(io.StringIO):
    """Standard input that says it is a terminal, with the user's typed answer in it."""

    def isatty(self) -> bool:
        return True


class TerminalOutput(io.StringIO):
    """Standard error that says it is a terminal, to see what a person would see."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for variable in SETTING_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


@pytest.fixture
def emulator_env(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the command line at the emulator through the environment, as a user would."""
    monkeypatch.setenv("WORKOS_API_KEY", API_KEY)
    monkeypatch.setenv("WORKOS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("WORKOS_BASE_URL", emulator_url)
    return emulator_url


#: A doctor line: the status, the check's name (words joined by single spaces), its detail.
_DOCTOR_LINE = re.compile(r"(PASS|WARN|FAIL|SKIP)  (\S+(?: \S+)*) {2,}(.*)")


def _doctor_statuses(output: str) -> dict[str, str]:
    """Each check's status by name, in output order; every line must be a check line."""
    statuses = {}
    for line in output.splitlines():
        match = _DOCTOR_LINE.fullmatch(line)
        assert match is not None, line
        statuses[match[2]] = match[1]
    return statuses


def _connection_flags(base_url: str) -> list[str]:
    """The flags that point a command at ``base_url`` with the emulator's key and client id."""
    return ["--api-key", API_KEY, "--client-id", CLIENT_ID, "--base-url", base_url]


def _settings(
    api_key: Optional[str] = API_KEY,
    client_id: Optional[str] = CLIENT_ID,
    base_url: str = "https://api.workos.com",
    redirect_uri: Optional[str] = None,
) -> Settings:
    return Settings(
        api_key=api_key,
        client_id=client_id,
        base_url=base_url,
        redirect_uri=redirect_uri,
        sources={},
    )


# --- .env and settings (offline) -----------------------------------------------------------

DOTENV_FIXTURE = """\
# a comment line, then a blank one

WORKOS_API_KEY=sk_test_plain
export WORKOS_CLIENT_ID = client_exported
   WORKOS_BASE_URL="http://127.0.0.1:4100"   # trailing comment after quotes
SINGLE='literal \\n #not a comment'
DOUBLE="line one\\nline \\"two\\""
BARE=value with spaces # comment
HASH_INSIDE=abc#def
EMPTY=
not an assignment
9STARTS_WITH_DIGIT=ignored
REPEATED=first
REPEATED=second
UNCLOSED="no end
"""


def test_parse_dotenv_reads_assignments_quotes_and_comments() -> None:
    assert parse_dotenv(DOTENV_FIXTURE) == {
        "WORKOS_API_KEY": "sk_test_plain",
        "WORKOS_CLIENT_ID": "client_exported",
        "WORKOS_BASE_URL": "http://127.0.0.1:4100",
        "SINGLE": "literal \\n #not a comment",
        "DOUBLE": 'line one\nline "two"',
        "BARE": "value with spaces",
        "HASH_INSIDE": "abc#def",
        "EMPTY": "",
        "REPEATED": "second",
        "UNCLOSED": '"no end',
    }


def test_parse_dotenv_of_nothing_useful_is_empty() -> None:
    assert parse_dotenv("") == {}
    assert parse_dotenv("# only a comment\n\n   \njust words\n") == {}


def test_flags_win_over_environment_which_wins_over_dotenv() -> None:
    dotenv = {
        "WORKOS_API_KEY": "sk_test_dotenv",
        "WORKOS_CLIENT_ID": "client_dotenv",
        "WORKOS_BASE_URL": "http://127.0.0.1:1",
        "WORKOS_REDIRECT_URI": "http://localhost/dotenv",
    }
    environ = {"WORKOS_API_KEY": "sk_test_environ", "WORKOS_CLIENT_ID": "  "}
    settings = resolve_settings(
        {"api_key": None, "client_id": None, "base_url": "http://127.0.0.1:2"},
        environ=environ,
        dotenv=dotenv,
    )
    assert settings.api_key == "sk_test_environ"
    assert settings.client_id == "client_dotenv"  # a blank variable counts as unset
    assert settings.base_url == "http://127.0.0.1:2"
    assert settings.redirect_uri == "http://localhost/dotenv"
    assert settings.sources == {
        "api_key": "environment variable WORKOS_API_KEY",
        "client_id": "WORKOS_CLIENT_ID in .env",
        "base_url": "--base-url",
        "redirect_uri": "WORKOS_REDIRECT_URI in .env",
    }
    assert "sk_test_environ" not in repr(settings)


def test_default_base_url_when_nothing_sets_it() -> None:
    settings = resolve_settings({}, environ={}, dotenv={})
    assert settings.base_url == "https://api.workos.com"
    assert settings.api_key is None


def test_dotenv_in_the_working_directory_is_read_and_overridden(
    capsys: pytest.CaptureFixture[str], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated / ".env").write_text(
        "WORKOS_CLIENT_ID=client_from_dotenv\nWORKOS_REDIRECT_URI=http://localhost:9000/cb\n"
    )

    def client_id_in_url(*argv: str) -> str:
        result = _run(capsys, *argv, "authorize-url", "--organization", "org_1")
        assert result.code == 0, result.err
        query = parse_qs(urlsplit(result.out.strip()).query)
        assert query["redirect_uri"] == ["http://localhost:9000/cb"]
        return query["client_id"][0]

    assert client_id_in_url() == "client_from_dotenv"
    monkeypatch.setenv("WORKOS_CLIENT_ID", "client_from_environment")
    assert client_id_in_url() == "client_from_environment"
    assert client_id_in_url("--client-id", "client_from_flag") == "client_from_flag"


def test_dotenv_base_url_is_ignored_when_the_api_key_comes_from_elsewhere() -> None:
    dotenv = {"WORKOS_BASE_URL": "https://evil.example", "WORKOS_CLIENT_ID": "client_dotenv"}
    for flags, environ in (
        ({}, {"WORKOS_API_KEY": "sk_live_from_environment"}),
        ({"api_key": "sk_live_from_flag"}, {}),
        ({}, {}),  # no key at all: the file's URL would still shape what a later key meets
    ):
        settings = resolve_settings(flags, environ=environ, dotenv=dotenv, dotenv_path="/repo/.env")
        assert settings.base_url == "https://api.workos.com"
        assert "base_url" not in settings.sources
        assert settings.client_id == "client_dotenv"  # the rest of the file still counts
        (warning,) = settings.warnings
        assert "WORKOS_BASE_URL" in warning
        assert "/repo/.env" in warning
        assert "sk_live" not in warning


def test_dotenv_base_url_is_used_with_the_api_key_from_the_same_file() -> None:
    dotenv = {"WORKOS_API_KEY": "sk_test_dotenv", "WORKOS_BASE_URL": "http://127.0.0.1:4100"}
    settings = resolve_settings({}, environ={}, dotenv=dotenv)
    assert settings.base_url == "http://127.0.0.1:4100"
    assert settings.sources["base_url"] == "WORKOS_BASE_URL in .env"
    assert settings.warnings == ()

    from_environment = resolve_settings(
        {}, environ={"WORKOS_BASE_URL": "http://127.0.0.1:4200"}, dotenv=dotenv
    )
    assert from_environment.base_url == "http://127.0.0.1:4200"  # only .env's URL is in doubt
    assert from_environment.warnings == ()


def test_a_cloned_dotenv_cannot_send_the_environments_key_to_its_own_host(
    capsys: pytest.CaptureFixture[str],
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    loopback: LoopbackServer,
) -> None:
    loopback.always(Reply.json(401, {"message": "Unauthorized"}))
    (isolated / ".env").write_text(f"WORKOS_BASE_URL={loopback.url}\n")
    monkeypatch.setenv("WORKOS_API_KEY", "sk_test_users_own_key")
    monkeypatch.setenv("WORKOS_CLIENT_ID", CLIENT_ID)
    # authorize-url builds its URL from the base URL and sends nothing, so the host it
    # names shows which base URL won without any request leaving the machine.
    result = _run(
        capsys, "authorize-url", "--organization", "org_1", "--redirect-uri", REDIRECT_URI
    )
    assert result.code == 0, result.err
    assert urlsplit(result.out.strip()).netloc == "api.workos.com"
    assert loopback.requests == []
    warning_lines = [line for line in result.err.splitlines() if "warning" in line]
    assert warning_lines == [
        f"workos-sso: warning: ignoring WORKOS_BASE_URL in {isolated / '.env'}: the API key "
        "does not come from that file, so it is not sent to a URL the file chose"
    ]

    (isolated / ".env").write_text(
        f"WORKOS_API_KEY=sk_test_from_the_file\nWORKOS_BASE_URL={loopback.url}\n"
    )
    monkeypatch.delenv("WORKOS_API_KEY")
    same_file = _run(capsys, "connections", "list")
    assert same_file.code == 1  # the server answers 401
    assert "warning" not in same_file.err
    authorizations = [request.headers.get("authorization") for request in loopback.requests]
    assert authorizations == ["Bearer sk_test_from_the_file"]


# --- Output formatting (offline) -----------------------------------------------------------


def test_format_table_aligns_every_column() -> None:
    lines = format_table(["ID", "NAME"], [["conn_1", "Short"], ["conn_22222", "A longer name"]])
    assert lines == [
        "ID          NAME",
        "conn_1      Short",
        "conn_22222  A longer name",
    ]


def test_format_fields_aligns_values() -> None:
    assert format_fields([("id", "x"), ("connection type", "OktaSAML"), ("name", "-")]) == [
        "id               x",
        "connection type  OktaSAML",
        "name             -",
    ]


def test_cell_renders_nothing_as_dash_and_neutralises_control_characters() -> None:
    assert cell(None) == "-"
    assert cell("") == "-"
    assert cell("Evil\x1b[2Jname\nnext") == "Evil\\x1b[2Jname\\nnext"
    assert cell({"b": 1, "a": "é"}) == '{"a": "é", "b": 1}'


def test_table_writer_sizes_columns_from_the_first_batch_and_streams_the_rest() -> None:
    stream = io.StringIO()
    writer = TableWriter(stream, ["ID", "NAME"])
    writer.write([["a", "first"]])
    first = stream.getvalue()
    assert first == "ID  NAME\na   first\n"
    writer.write([["bb", "second"]])
    assert stream.getvalue() == first + "bb  second\n"


def test_json_document_has_sorted_keys() -> None:
    text = json_document({"b": 1, "a": {"d": 2, "c": 3}})
    assert text.index('"a"') < text.index('"b"')
    assert text.index('"c"') < text.index('"d"')
    assert json.loads(text) == {"a": {"c": 3, "d": 2}, "b": 1}


def test_progress_is_drawn_only_on_a_terminal() -> None:
    piped = io.StringIO()
    progress = Progress(piped)
    progress.show("10 connections")
    progress.clear()
    assert piped.getvalue() == ""

    terminal = TerminalOutput()
    progress = Progress(terminal)
    progress.show("10 connections")
    progress.clear()
    assert terminal.getvalue().startswith("\r10 connections")
    assert terminal.getvalue().endswith("\r")


# --- Usage errors (offline) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no-command"),
        pytest.param(["fly"], id="unknown-command"),
        pytest.param(["connections"], id="no-action"),
        pytest.param(["connections", "list", "--limit", "0"], id="limit-too-small"),
        pytest.param(["connections", "list", "--limit", "101"], id="limit-too-large"),
        pytest.param(["connections", "list", "--limit", "ten"], id="limit-not-a-number"),
        pytest.param(["connections", "list", "--order", "sideways"], id="bad-order"),
        pytest.param(["connections", "get"], id="get-without-id"),
        pytest.param(["authorize-url", "--redirect-uri", REDIRECT_URI], id="no-selector"),
        pytest.param(
            ["authorize-url", "--organization", "org_1", "--connection", "conn_1"],
            id="two-selectors",
        ),
        pytest.param(["logout"], id="logout-without-profile"),
        pytest.param(["version", "--bogus"], id="unknown-flag"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    result = _run(capsys, *argv)
    assert result.code == 2
    assert result.out == ""
    assert "usage: workos-sso" in result.err
    assert "error:" in result.err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run(capsys, "--help")
    assert result.code == 0
    assert "doctor" in result.out
    assert "Exit codes" in result.out


def test_missing_api_key_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run(capsys, "--client-id", CLIENT_ID, "connections", "list")
    assert result.code == 2
    assert "WORKOS_API_KEY" in result.err


def test_malformed_api_key_is_a_usage_error_and_not_echoed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    malformed = "pk_looks_like_a_publishable_key_123"
    result = _run(capsys, "--api-key", malformed, "--client-id", CLIENT_ID, "connections", "list")
    assert result.code == 2
    assert "sk_" in result.err
    assert malformed not in result.err + result.out


def test_authorize_url_needs_a_redirect_uri(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run(capsys, "--client-id", CLIENT_ID, "authorize-url", "--organization", "org_1")
    assert result.code == 2
    assert "--redirect-uri" in result.err


def test_authorize_url_rejects_a_relative_redirect_uri(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run(
        capsys,
        "--client-id",
        CLIENT_ID,
        "authorize-url",
        "--organization",
        "org_1",
        "--redirect-uri",
        "/callback",
    )
    assert result.code == 2
    assert "absolute" in result.err


def test_authorize_url_builds_every_option_without_an_api_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = _run(
        capsys,
        "--client-id",
        CLIENT_ID,
        "--base-url",
        "http://127.0.0.1:1",
        "authorize-url",
        "--provider",
        "GoogleOAuth",
        "--redirect-uri",
        REDIRECT_URI,
        "--state",
        "st",
        "--login-hint",
        "a@b.example",
        "--domain-hint",
        "b.example",
        "--nonce",
        "n1",
        "--scope",
        "openid",
        "--scope",
        "email",
        "--prompt-login",
    )
    assert result.code == 0, result.err
    url = urlsplit(result.out.strip())
    assert f"{url.scheme}://{url.netloc}{url.path}" == "http://127.0.0.1:1/sso/authorize"
    assert parse_qs(url.query) == {
        "client_id": [CLIENT_ID],
        "redirect_uri": [REDIRECT_URI],
        "response_type": ["code"],
        "provider": ["GoogleOAuth"],
        "state": ["st"],
        "login_hint": ["a@b.example"],
        "domain_hint": ["b.example"],
        "nonce": ["n1"],
        "prompt": ["login"],
        "provider_scopes": ["openid,email"],
    }
    as_json = _run(
        capsys,
        "--client-id",
        CLIENT_ID,
        "authorize-url",
        "--connection",
        "conn_1",
        "--redirect-uri",
        REDIRECT_URI,
        "--json",
    )
    assert json.loads(as_json.out)["url"].startswith("https://api.workos.com/sso/authorize?")


def test_delete_refuses_without_yes_when_stdin_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even a "y" arriving through a pipe is not a confirmation.
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    result = _run(
        capsys,
        *_connection_flags(f"http://127.0.0.1:{closed_port()}"),
        "connections",
        "delete",
        "conn_1",
    )
    assert result.code == 2
    assert "--yes" in result.err
    assert result.out == ""


def test_error_line_ends_the_message_as_a_sentence_before_the_hint() -> None:
    refused = NetworkError("GET /connections failed: [Errno 111] Connection refused")
    assert error_line(refused) == (
        "NetworkError: GET /connections failed: [Errno 111] Connection refused. "
        + NetworkError.hint
    )
    # A message that already ends a sentence, and an error without a hint, are left alone.
    not_found = NotFoundError("Connection not found", status_code=404)
    assert error_line(not_found) == f"NotFoundError: {not_found}"
    assert error_line(WorkOSError("Something failed")) == "WorkOSError: Something failed"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from workos_sso import __version__

    assert _run(capsys, "version").out == f"workos-sso {__version__}\n"
    assert json.loads(_run(capsys, "version", "--json").out) == {"version": __version__}


# --- doctor checks (offline) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("redirect_uri", "status"),
    [
        pytest.param(None, WARN, id="missing"),
        pytest.param("/callback", FAIL, id="relative"),
        pytest.param("app.example.com/callback", FAIL, id="no-scheme"),
        pytest.param("ftp://app.example.com/callback", FAIL, id="wrong-scheme"),
        pytest.param("http://app.example.com/callback", FAIL, id="http-outside-localhost"),
        pytest.param("https://app.example.com/callback#frag", FAIL, id="fragment"),
        pytest.param("https://app.example.com/callback/", WARN, id="trailing-slash"),
        pytest.param("https://app.example.com/", WARN, id="root-with-slash"),
        pytest.param("https://app.example.com/callback", PASS, id="https"),
        pytest.param("http://localhost:3000/callback", PASS, id="http-localhost"),
        pytest.param("http://127.0.0.1:3000/callback", PASS, id="http-loopback-address"),
    ],
)
def test_doctor_redirect_uri_check(redirect_uri: Optional[str], status: str) -> None:
    check = check_redirect_uri(redirect_uri)
    assert check.status == status
    assert (check.fix is None) == (status == PASS)


@pytest.mark.parametrize(
    ("api_key", "status", "words"),
    [
        pytest.param(None, FAIL, "no API key is set", id="missing"),
        pytest.param("pk_test_abcdefgh", FAIL, "does not start with sk_", id="wrong-prefix"),
        pytest.param("sk_test_abcdefgh", PASS, "test (staging)", id="test"),
        pytest.param("sk_live_abcdefgh", PASS, "live (production)", id="live"),
        pytest.param("sk_other_abcdefgh", PASS, "an sk_ key", id="other"),
    ],
)
def test_doctor_api_key_check(api_key: Optional[str], status: str, words: str) -> None:
    check = check_api_key(_settings(api_key=api_key))
    assert check.status == status
    assert words in check.detail
    assert "abcdefgh" not in check.detail + (check.fix or "")


@pytest.mark.parametrize(
    ("client_id", "status"),
    [(None, FAIL), ("01TESTCLIENT", FAIL), ("client_01TESTCLIENT", PASS)],
)
def test_doctor_client_id_check(client_id: Optional[str], status: str) -> None:
    assert check_client_id(_settings(client_id=client_id)).status == status


@pytest.mark.parametrize(
    ("api_key", "base_url", "redirect_uri", "status", "words"),
    [
        ("sk_test_x", "https://api.workos.com", None, PASS, "the WorkOS API"),
        ("sk_test_x", "http://127.0.0.1:4100", None, PASS, "local server"),
        ("sk_live_x", "https://api.workos.com", "https://app.example.com/cb", PASS, "production"),
        ("sk_live_x", "http://localhost:4100", None, WARN, "live (production) key is sent"),
        ("sk_live_x", "https://api.workos.com", "http://localhost:3000/cb", WARN, "this machine"),
        ("sk_odd_x", "https://api.workos.com", None, WARN, "neither"),
        ("sk_test_x", "https://proxy.example.com", None, PASS, "custom base URL"),
        (None, "https://api.workos.com", None, SKIP, "until the API key passes"),
        ("pk_test_x", "https://api.workos.com", None, SKIP, "until the API key passes"),
    ],
)
def test_doctor_environment_check(
    api_key: Optional[str], base_url: str, redirect_uri: Optional[str], status: str, words: str
) -> None:
    check = check_environment(_settings(api_key, base_url=base_url, redirect_uri=redirect_uri))
    assert check.status == status
    assert words in check.detail


def test_parse_http_date() -> None:
    assert parse_http_date("Sat, 28 Nov 2026 15:13:56 GMT") == 1795878836.0
    assert parse_http_date(None) is None
    assert parse_http_date("not a date") is None


def test_clock_skew_check_thresholds() -> None:
    assert clock_skew_check(3.0).status == PASS
    assert clock_skew_check(-59.0).status == PASS
    behind = clock_skew_check(300.0)
    assert behind.status == WARN
    assert "300 s behind" in behind.detail
    ahead = clock_skew_check(-120.0)
    assert ahead.status == WARN
    assert "120 s ahead of" in ahead.detail


def _connection_pages(pages: int) -> Callable[[RecordedRequest], Reply]:
    """Answers for ``GET /connections``: ``pages`` pages of two connections, linked by cursors."""

    def page_for(request: RecordedRequest) -> Reply:
        after = dict(request.query).get("after", "page_0")
        number = int(after.split("_")[1]) + 1
        cursor = f"page_{number}" if number < pages else None
        page = connection_list_fixture(2, before=None, after=cursor, first=(number - 1) * 2)
        return Reply.json(200, page)

    return page_for


def _dated(offset_seconds: float) -> Callable[[RecordedRequest], Reply]:
    """Answers whose Date header is the time they are sent, moved ``offset_seconds`` off."""
    return lambda request: Reply(
        headers={"Date": formatdate(time.time() + offset_seconds, usegmt=True)}
    )


def test_list_flags_become_query_parameters(
    capsys: pytest.CaptureFixture[str], loopback: LoopbackServer
) -> None:
    loopback.always(
        Route({"/connections": Reply.json(200, connection_list_fixture(0, after=None))})
    )
    result = _run(
        capsys,
        *_connection_flags(loopback.url),
        "connections",
        "list",
        "--domain",
        "foo-corp.com",
        "--organization-id",
        "org_1",
        "--type",
        "OktaSAML",
        "--search",
        "Okta prod",
        "--limit",
        "5",
        "--order",
        "asc",
        "--after",
        "conn_9",
    )
    assert result.code == 0, result.err
    assert result.lines == ["ID  NAME  TYPE  STATE  ORGANIZATION  DOMAINS  CREATED"]
    [request] = loopback.requests
    assert request.url_path == "/connections"
    assert parse_qs(urlsplit(request.path).query) == {
        "domain": ["foo-corp.com"],
        "organization_id": ["org_1"],
        "connection_type": ["OktaSAML"],
        "search": ["Okta prod"],
        "limit": ["5"],
        "order": ["asc"],
        "after": ["conn_9"],
    }


class _RequestCountingOutput(io.StringIO):
    """Standard output that notes, at each write, how many requests the server has seen."""

    def __init__(self, server: LoopbackServer) -> None:
        super().__init__()
        self.server = server
        self.requests_at_write: list[int] = []

    def write(self, text: str) -> int:
        self.requests_at_write.append(self.server.request_count)
        return super().write(text)


class _ClosedPipe(io.StringIO):
    """Standard output whose reader has gone (``| head -1`` has its line): writes fail."""

    def __init__(self, lines_before_closing: int) -> None:
        super().__init__()
        self.room = lines_before_closing

    def write(self, text: str) -> int:
        if self.room <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.room -= text.count("\n")
        return super().write(text)


@pytest.mark.parametrize("output", [[], ["--json"]], ids=["table", "json-lines"])
def test_a_closed_output_pipe_ends_quietly_and_not_with_the_api_failure_status(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    loopback: LoopbackServer,
    output: list[str],
) -> None:
    loopback.always(Route({"/connections": _connection_pages(3)}))
    stdout = _ClosedPipe(lines_before_closing=1)
    monkeypatch.setattr(sys, "stdout", stdout)
    code = main([*_connection_flags(loopback.url), "connections", "list", "--all", *output])
    # 141 = 128 + SIGPIPE, what a shell shows for a Unix tool a closed pipe ended; 1 would say
    # the API or the network failed.
    assert code == 141
    assert capsys.readouterr().err == ""
    assert len(stdout.getvalue().splitlines()) == 1
    assert loopback.request_count < 3  # it stopped walking once nobody was reading


def test_a_real_closed_pipe_ends_the_process_quietly(
    isolated: Path, loopback: LoopbackServer
) -> None:
    # `workos-sso connections list --all --json | head -1`, with head's side played here: the
    # second page is only served once the reader has taken its line and gone.
    reader_gone = threading.Event()

    def second_page_after_the_reader_left(request: RecordedRequest) -> Reply:
        if dict(request.query).get("after"):
            reader_gone.wait(10)
        return _connection_pages(2)(request)

    loopback.always(Route({"/connections": second_page_after_the_reader_left}))
    clean = {key: value for key, value in os.environ.items() if key not in SETTING_VARIABLES}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workos_sso",
            *_connection_flags(loopback.url),
            *["connections", "list", "--all", "--json", "--limit", "2"],
        ],
        env=clean,
        cwd=isolated,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    reader_gone.set()
    try:
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert json.loads(first)["id"] == "conn_01FIXTURE00000"
    assert process.stderr.read() == b""
    process.stderr.close()
    assert code == 141


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flag_prints_the_version(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    result = _run(capsys, flag)
    assert result.code == 0
    assert result.out == f"workos-sso {__version__}\n"
    assert _run(capsys, "version").out == result.out  # the same as the command


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        pytest.param(["connectoins", "list"], "did you mean 'connections'?", id="command"),
        pytest.param(["connections", "lst"], "did you mean 'list'?", id="subcommand"),
        pytest.param(["doctr"], "did you mean 'doctor'?", id="doctor"),
        pytest.param(
            ["connections", "list", "--domian", "foo-corp.com"],
            "did you mean '--domain'?",
            id="flag",
        ),
        pytest.param(
            ["connections", "list", "--orgnization-id=org_1"],
            "did you mean '--organization-id'?",
            id="flag=value",
        ),
        pytest.param(
            ["connections", "list", "--order", "dsc"], "did you mean 'desc'?", id="choice"
        ),
    ],
)
def test_a_mistyped_command_or_flag_gets_a_suggestion(
    capsys: pytest.CaptureFixture[str], argv: list[str], suggestion: str
) -> None:
    result = _run(capsys, *argv)
    assert result.code == 2
    assert result.out == ""
    [error] = [line for line in result.err.splitlines() if ": error: " in line]
    assert error.endswith(suggestion), error


@pytest.mark.parametrize("argv", [["zzzzzz"], ["connections", "list", "--zzzzzz"]])
def test_nothing_close_gets_no_suggestion(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    result = _run(capsys, *argv)
    assert result.code == 2
    assert "did you mean" not in result.err
    assert "zzzzzz" in result.err


@pytest.mark.parametrize("output", [[], ["--json"]], ids=["table", "json-lines"])
def test_list_all_prints_each_page_before_fetching_the_next(
    monkeypatch: pytest.MonkeyPatch, loopback: LoopbackServer, output: list[str]
) -> None:
    loopback.always(Route({"/connections": _connection_pages(3)}))
    stdout = _RequestCountingOutput(loopback)
    monkeypatch.setattr(sys, "stdout", stdout)
    code = main([*_connection_flags(loopback.url), "connections", "list", "--all", *output])
    assert code == 0
    assert loopback.request_count == 3
    lines = stdout.getvalue().splitlines()
    ids = (
        [line.split()[0] for line in lines[1:]]
        if not output
        else [json.loads(line)["id"] for line in lines]
    )
    assert ids == [f"conn_01FIXTURE{n:05d}" for n in range(6)]
    # The first page's rows were written while only one request had been made, and so on.
    assert stdout.requests_at_write[0] == 1
    assert sorted(stdout.requests_at_write) == stdout.requests_at_write
    assert set(stdout.requests_at_write) == {1, 2, 3}


def test_doctor_clock_check_reads_the_date_header_of_a_real_server(
    loopback: LoopbackServer,
) -> None:
    loopback.script(Route({"/health": _dated(-600)}), Route({"/health": _dated(0)}))
    check = check_clock(loopback.url)
    assert check.status == WARN
    # The Date header has whole seconds, so the measured skew is within a second of 600.
    measured = re.search(r"(\d+) s ahead of the server", check.detail)
    assert measured is not None, check.detail
    assert 599 <= int(measured[1]) <= 601
    assert [request.path for request in loopback.requests] == ["/health"]
    assert check_clock(loopback.url).status == PASS


def test_doctor_without_settings_fails_before_any_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = _run(capsys, "doctor")
    assert result.code == 1
    statuses = _doctor_statuses(result.out)
    assert statuses["api key"] == FAIL
    assert statuses["client id"] == FAIL
    assert statuses["api access"] == SKIP
    assert all("Fix:" in line for line in result.lines if line.startswith(FAIL))


def test_doctor_names_no_key_in_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    lines = _run(capsys, "doctor").lines
    assert lines[0] == (
        "FAIL  api key       no API key is set. "
        "Fix: Set WORKOS_API_KEY in the environment or .env, or pass --api-key."
    )
    assert lines[1] == (
        "FAIL  client id     no client id is set. "
        "Fix: Set WORKOS_CLIENT_ID in the environment or .env, or pass --client-id."
    )


@pytest.mark.parametrize(
    ("variables", "names"),
    [
        ({}, ["api key", "client id"]),
        (
            {
                "WORKOS_API_KEY": "pk_test_0123456789",
                "WORKOS_CLIENT_ID": "01TESTCLIENT",
                "WORKOS_BASE_URL": "http://api.example.com",
            },
            ["api key", "client id", "base url"],
        ),
        (
            {"WORKOS_API_KEY": API_KEY, "WORKOS_BASE_URL": "ftp://example.com"},
            ["client id", "base url"],
        ),
    ],
    ids=["missing", "malformed", "bad-base-url"],
)
def test_doctor_findings_are_one_sentence_in_variables_and_flags(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    names: list[str],
) -> None:
    for variable, value in variables.items():
        monkeypatch.setenv(variable, value)
    result = _run(capsys, "doctor")
    assert result.code == 1
    failed = {}
    for line in result.lines:
        match = _DOCTOR_LINE.fullmatch(line)
        assert match is not None, line
        if match[1] == FAIL:
            failed[match[2]] = match[3]
    assert sorted(failed) == sorted(names)
    sentence_break = re.compile(r"[\w)]\. [A-Z]")
    for text in failed.values():
        finding, _, fix = text.partition(" Fix: ")
        # One sentence for what was found, one for what to do, and they do not repeat.
        assert finding.endswith("."), finding
        assert not sentence_break.search(finding), finding
        assert fix.endswith("."), fix
        assert not sentence_break.search(fix), fix
        words = set(re.findall(r"[A-Z_]{6,}|--[a-z-]+", finding))
        assert not words & set(re.findall(r"[A-Z_]{6,}|--[a-z-]+", fix)), text
        # The command line's names, never the Python arguments.
        for argument in ("api_key", "client_id", "base_url"):
            assert argument not in text, text


# --- Against the emulator ------------------------------------------------------------------

live = pytest.mark.live


def _organization_with_connections(base_url: str, count: int) -> tuple[str, list[str]]:
    organization = admin.create_organization(base_url, f"CLI {uuid.uuid4().hex[:8]}")
    ids = admin.create_connections(base_url, organization, count, api_keys=emulator.SPARE_API_KEYS)
    return organization, ids


@live
def test_connections_list_prints_a_table(
    capsys: pytest.CaptureFixture[str], emulator_env: str
) -> None:
    result = _run(capsys, "connections", "list", "--domain", "foo-corp.com")
    assert result.code == 0, result.err
    header, row = result.lines
    assert header.split() == ["ID", "NAME", "TYPE", "STATE", "ORGANIZATION", "DOMAINS", "CREATED"]
    assert "Foo Corp Okta" in row
    assert row[header.index("STATE") :].startswith("active ")
    assert row.index("OktaSAML") == header.index("TYPE")
    assert API_KEY not in result.out + result.err


@live
def test_connections_list_json_and_filters(
    capsys: pytest.CaptureFixture[str], emulator_env: str
) -> None:
    result = _run(capsys, "connections", "list", "--domain", "bar.example", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert result.out == json_document(document)  # keys sorted, stable layout
    assert [item["name"] for item in document["data"]] == ["Bar Inc Entra ID"]
    assert document["list_metadata"].keys() == {"before", "after"}

    by_type = json.loads(_run(capsys, "connections", "list", "--type", "OktaSAML", "--json").out)
    assert {item["connection_type"] for item in by_type["data"]} == {"OktaSAML"}
    organization = document["data"][0]["organization_id"]
    in_organization = json.loads(
        _run(capsys, "connections", "list", "--organization-id", organization, "--json").out
    )
    assert {item["name"] for item in in_organization["data"]} >= {
        "Bar Inc Entra ID",
        "Bar Inc Draft SAML",
    }
    # The emulator ignores ``search``; test_list_flags_become_query_parameters covers it.
    assert _run(capsys, "connections", "list", "--search", "Draft").code == 0


@live
def test_connections_list_all_streams_json_lines_over_many_pages(
    capsys: pytest.CaptureFixture[str], emulator_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    organization, created = _organization_with_connections(emulator_env, 130)
    one_page = _run(capsys, "connections", "list", "--organization-id", organization)
    assert len(one_page.lines) == 1 + 10  # the API's default page size, then a hint
    assert "--after" in one_page.err

    result = _run(
        capsys, "connections", "list", "--organization-id", organization, "--all", "--json"
    )
    assert result.code == 0, result.err
    records = [json.loads(line) for line in result.lines]
    assert len(records) == 130
    assert sorted(record["id"] for record in records) == sorted(created)
    assert result.err == ""  # standard error is not a terminal here: no progress

    terminal = TerminalOutput()
    monkeypatch.setattr(sys, "stderr", terminal)
    table = _run(
        capsys,
        "connections",
        "list",
        "--organization-id",
        organization,
        "--all",
        "--limit",
        "50",
        "--order",
        "asc",
    )
    assert table.code == 0
    assert len(table.lines) == 1 + 130
    assert [line.split()[0] for line in table.lines[1:]] == created  # oldest first
    assert "130 connections, 3 pages fetched" in terminal.getvalue()


@live
def test_connections_get(capsys: pytest.CaptureFixture[str], emulator_env: str) -> None:
    listing = json.loads(
        _run(capsys, "connections", "list", "--domain", "foo-corp.com", "--json").out
    )
    connection_id = listing["data"][0]["id"]

    table = _run(capsys, "connections", "get", connection_id)
    assert table.code == 0
    fields = {line.split("  ", 1)[0]: line.split("  ", 1)[1].strip() for line in table.lines}
    assert fields["id"] == connection_id
    assert fields["name"] == "Foo Corp Okta"
    assert fields["domains"] == "foo-corp.com"

    as_json = json.loads(_run(capsys, "connections", "get", connection_id, "--json").out)
    assert as_json["id"] == connection_id
    assert as_json["domains"][0]["domain"] == "foo-corp.com"

    missing = _run(capsys, "connections", "get", "conn_01NOSUCHCONNECTION0000000")
    assert missing.code == 1
    assert missing.out == ""
    assert "NotFoundError" in missing.err
    assert "HTTP 404" in missing.err
    assert "Check the id" in missing.err  # the typed error's hint


@live
def test_connections_delete_confirms_on_a_terminal(
    capsys: pytest.CaptureFixture[str], emulator_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, (first, second) = _organization_with_connections(emulator_env, 2)

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    refused = _run(capsys, "connections", "delete", first)
    assert refused.code == 2
    assert "--yes" in refused.err

    monkeypatch.setattr(sys, "stdin", TerminalInput("n\n"))
    declined = _run(capsys, "connections", "delete", first)
    assert declined.code == 1
    assert "[y/N]" in declined.err
    assert "nothing was deleted" in declined.err
    assert _run(capsys, "connections", "get", first).code == 0

    monkeypatch.setattr(sys, "stdin", TerminalInput("y\n"))
    confirmed = _run(capsys, "connections", "delete", first)
    assert confirmed.code == 0
    assert confirmed.out == f"Deleted connection {first}.\n"
    assert _run(capsys, "connections", "get", first).code == 1

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    scripted = _run(capsys, "connections", "delete", second, "--yes", "--json")
    assert scripted.code == 0
    assert json.loads(scripted.out) == {"deleted": True, "id": second}
    assert _run(capsys, "connections", "get", second).code == 1


def _sign_in_code(capsys: pytest.CaptureFixture[str], *, login_hint: str, domain: str) -> str:
    """Run ``authorize-url`` and follow the URL as a browser would, to the code."""
    listing = json.loads(_run(capsys, "connections", "list", "--domain", domain, "--json").out)
    organization = listing["data"][0]["organization_id"]
    built = _run(
        capsys,
        "authorize-url",
        "--organization",
        organization,
        "--redirect-uri",
        REDIRECT_URI,
        "--state",
        "cli-state",
        "--login-hint",
        login_hint,
    )
    assert built.code == 0, built.err
    callback = complete_sign_in(built.out.strip())
    assert callback.state == "cli-state"
    return callback.code


@live
def test_sign_in_exchange_profile_and_logout(
    capsys: pytest.CaptureFixture[str], emulator_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _sign_in_code(capsys, login_hint="alice@foo-corp.com", domain="foo-corp.com")
    exchanged = _run(capsys, "exchange", code, "--json")
    assert exchanged.code == 0, exchanged.err
    result = json.loads(exchanged.out)
    assert result["profile"]["email"] == "alice@foo-corp.com"
    assert "raw_attributes" not in result["profile"]
    assert "custom_attributes" not in result["profile"]
    token = result["access_token"]
    assert token

    again = _run(capsys, "exchange", code)
    assert again.code == 1
    assert "InvalidGrantError" in again.err
    assert "sign in again" in again.err  # the hint
    assert code not in again.err

    profile = _run(capsys, "profile", token)
    assert profile.code == 0
    assert "alice@foo-corp.com" in profile.out
    assert "raw attributes" not in profile.out
    assert token not in profile.out

    with_raw = json.loads(_run(capsys, "profile", token, "--json", "--raw").out)
    assert with_raw["raw_attributes"]["email"] == "alice@foo-corp.com"
    raw_table = _run(capsys, "--raw", "profile", token)
    assert "raw attributes" in raw_table.out

    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    from_stdin = json.loads(_run(capsys, "profile", "-", "--json").out)
    assert from_stdin["id"] == result["profile"]["id"]

    bad_token = _run(capsys, "profile", "not-a-real-access-token")
    assert bad_token.code == 1
    assert "Error" in bad_token.err

    logout = _run(capsys, "logout", "--profile-id", result["profile"]["id"])
    assert logout.code == 0
    assert "/sso/logout" in logout.out
    logout_json = json.loads(
        _run(capsys, "logout", "--profile-id", result["profile"]["id"], "--json").out
    )
    assert list(logout_json) == ["logout_url"]
    unknown = _run(capsys, "logout", "--profile-id", "prof_01NOSUCHPROFILE00000000000", "--json")
    assert unknown.code == 1
    assert unknown.out == ""
    assert "NotFoundError" in unknown.err


@live
def test_exchange_table_shows_the_access_token(
    capsys: pytest.CaptureFixture[str], emulator_env: str
) -> None:
    code = _sign_in_code(capsys, login_hint="bob@bar.example", domain="bar.example")
    result = _run(capsys, "exchange", code)
    assert result.code == 0, result.err
    fields = {line.split("  ", 1)[0]: line.split("  ", 1)[1].strip() for line in result.lines}
    assert fields["email"] == "bob@bar.example"
    assert fields["access token"].count(".") == 2  # a JWT: the reason to run exchange
    assert API_KEY not in result.out + result.err


@live
def test_api_errors_exit_1_with_the_typed_message_and_hint(
    capsys: pytest.CaptureFixture[str], emulator_env: str
) -> None:
    result = _run(capsys, "--api-key", WRONG_API_KEY, "connections", "list")
    assert result.code == 1
    assert result.out == ""
    assert "AuthenticationError" in result.err
    assert "Check WORKOS_API_KEY" in result.err
    assert WRONG_API_KEY not in result.err

    unreachable = _run(
        capsys, "--base-url", f"http://127.0.0.1:{closed_port()}", "connections", "list"
    )
    assert unreachable.code == 1
    assert "NetworkError" in unreachable.err
    # The refusal and the hint read as two sentences.
    assert "refused. Check that the base URL" in unreachable.err


@live
def test_doctor_passes_against_the_emulator(
    capsys: pytest.CaptureFixture[str], emulator_env: str
) -> None:
    result = _run(capsys, "doctor", "--redirect-uri", REDIRECT_URI)
    assert result.code == 0, result.out
    names = list(_doctor_statuses(result.out))
    assert names == [
        "api key",
        "client id",
        "base url",
        "environment",
        "redirect uri",
        "api access",
        "connections",
        "clock",
    ]
    assert all(line.startswith(PASS) for line in result.lines), result.out
    connections_line = result.lines[6]
    assert "active" in connections_line
    assert "draft" in connections_line
    assert API_KEY not in result.out + result.err

    as_json = json.loads(_run(capsys, "doctor", "--json").out)
    assert as_json["ok"] is True
    assert {check["name"]: check["status"] for check in as_json["checks"]}["redirect uri"] == WARN


@live
def test_doctor_fails_with_a_wrong_key(
    capsys: pytest.CaptureFixture[str], emulator_env: str
) -> None:
    result = _run(capsys, "--api-key", WRONG_API_KEY, "doctor")
    assert result.code == 1
    [access] = [line for line in result.lines if " api access " in line]
    assert access.startswith(FAIL)
    assert "refused" in access
    assert "Fix: Check WORKOS_API_KEY" in access
    assert WRONG_API_KEY not in result.out + result.err


@live
def test_doctor_fails_on_an_unreachable_host(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    result = _run(
        capsys,
        *_connection_flags(f"http://127.0.0.1:{closed_port()}"),
        "doctor",
    )
    assert result.code == 1
    statuses = _doctor_statuses(result.out)
    assert statuses["api access"] == FAIL
    assert statuses["connections"] == SKIP
    assert statuses["clock"] == SKIP
    assert "unreachable" in result.out
    assert time.monotonic() - started < 15


@live
def test_dotenv_settings_reach_the_emulator(
    capsys: pytest.CaptureFixture[str],
    emulator_url: str,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (isolated / ".env").write_text(
        f"WORKOS_API_KEY={API_KEY}\nWORKOS_CLIENT_ID='{CLIENT_ID}'\n"
        f'WORKOS_BASE_URL="{emulator_url}"  # the emulator\n'
    )
    result = _run(capsys, "connections", "list", "--domain", "foo-corp.com", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["data"][0]["name"] == "Foo Corp Okta"

    # The environment wins over .env; a key from there no longer trusts .env's base URL, so
    # the URL has to come from the environment too.
    monkeypatch.setenv("WORKOS_API_KEY", WRONG_API_KEY)
    monkeypatch.setenv("WORKOS_BASE_URL", emulator_url)
    assert _run(capsys, "connections", "list").code == 1
    flagged = _run(capsys, "--api-key", API_KEY, "connections", "list")  # the flag wins over both
    assert flagged.code == 0


# --- Real processes: the entry points ------------------------------------------------------


def _process(
    argv: Sequence[str], *, env: dict[str, str], cwd: Path, command: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    base = list(command) or [sys.executable, "-m", "workos_sso"]
    clean = {key: value for key, value in os.environ.items() if key not in SETTING_VARIABLES}
    return subprocess.run(
        [*base, *argv],
        env={**clean, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@live
def test_python_dash_m_lists_connections_and_refuses_unconfirmed_delete(
    emulator_url: str, isolated: Path
) -> None:
    env = {
        "WORKOS_API_KEY": API_KEY,
        "WORKOS_CLIENT_ID": CLIENT_ID,
        "WORKOS_BASE_URL": emulator_url,
    }
    listed = _process(
        ["connections", "list", "--domain", "foo-corp.com", "--json"], env=env, cwd=isolated
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["data"][0]["name"] == "Foo Corp Okta"

    _, (connection_id,) = _organization_with_connections(emulator_url, 1)
    refused = _process(["connections", "delete", connection_id], env=env, cwd=isolated)
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    assert _process(["connections", "get", connection_id], env=env, cwd=isolated).returncode == 0

    usage = _process(["connections", "list", "--limit", "500"], env=env, cwd=isolated)
    assert usage.returncode == 2


@live
def test_python_dash_m_doctor_reports_an_unreachable_host(isolated: Path) -> None:
    env = {
        "WORKOS_API_KEY": API_KEY,
        "WORKOS_CLIENT_ID": CLIENT_ID,
        "WORKOS_BASE_URL": f"http://127.0.0.1:{closed_port()}",
    }
    result = _process(["doctor"], env=env, cwd=isolated)
    assert result.returncode == 1
    assert _doctor_statuses(result.stdout)["api access"] == FAIL


def test_console_script_is_installed(isolated: Path) -> None:
    from workos_sso import __version__

    script = Path(sys.executable).parent / ("workos-sso.exe" if os.name == "nt" else "workos-sso")
    assert script.exists(), "install the package (pip install -e .) to get the console script"
    result = _process(["version"], env={}, cwd=isolated, command=[str(script)])
    assert result.returncode == 0
    assert result.stdout == f"workos-sso {__version__}\n"
