"""``workos-sso verify``: the probe's pure pieces offline, and the probe against real apps.

The live tests (``nox -s emulator``) run each app as its own process on a loopback port,
configured with the emulator, and run the command in-process: the three recipes in
docs/examples must pass, and each app in tests/verify_apps plants one fault the probe must name.
"""

from __future__ import annotations

import html
import json
import math
import os
import secrets
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import urlencode

import pytest
import requests

from tests import emulator
from tests.app_server import free_port, recipe_command, running_app
from tests.loopback import LoopbackServer, RecordedRequest, Reply, Route, closed_port
from workos_sso._cli import main
from workos_sso._cli.browser import (
    Browser,
    Hop,
    HostPolicy,
    RefusedHost,
    parse_set_cookie,
    resolve_location,
    where,
    with_query,
)
from workos_sso._cli.verify_attacks import altered, check_forged_callback, check_reflected_error
from workos_sso._cli.verify_checks import (
    CHECK_NAMES,
    check_authorize_params,
    check_state,
    check_state_entropy,
    cookie_flaws,
    estimate_state_bits,
)
from workos_sso._cli.verify_probe import Probe, VerifyOptions

BROKEN_APP = Path(__file__).resolve().parent / "verify_apps" / "broken_app.py"
EVERY_CHECK = list(CHECK_NAMES)


# --- pure pieces (offline) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "enough"),
    [
        (secrets.token_urlsafe(32), True),  # 43 base64url characters: about 256 bits
        (secrets.token_hex(16), True),  # 32 hex digits: 128 bits exactly
        (secrets.token_hex(15), False),  # 120 bits
        ("12345678901234567890", False),  # 20 digits: about 66 bits
        ("abc", False),
        ("", False),
        ("=" * 40, False),  # padding carries nothing
    ],
    # Named by position: the random states differ in each pytest process (xdist's workers too).
    ids=["urlsafe-32", "hex-16", "hex-15", "digits", "abc", "empty", "padding"],
)
def test_state_entropy_by_length_and_alphabet(state: str, enough: bool) -> None:
    assert (estimate_state_bits(state) >= 128) is enough


def test_state_entropy_alphabet_grows_with_unusual_characters() -> None:
    # base64url plus "." (a signed state): 65 symbols, not the 64 of base64url.
    assert estimate_state_bits("a-b.c") == pytest.approx(5 * math.log2(65))
    assert estimate_state_bits("ff") == 8.0  # hex, even without every hex digit present
    assert estimate_state_bits("0123") == pytest.approx(4 * math.log2(10))


def test_set_cookie_attributes_are_read_from_the_raw_header() -> None:
    flask = parse_set_cookie("session=eyJhIjoxfQ.abc; HttpOnly; Path=/; SameSite=Lax")
    assert flask is not None
    assert (flask.name, flask.http_only, flask.secure, flask.same_site) == (
        "session",
        True,
        False,
        "Lax",
    )
    assert not flask.deletes
    starlette = parse_set_cookie('session="x y"; path=/; Max-Age=1209600; httponly; samesite=lax')
    assert starlette is not None
    assert (starlette.value, starlette.http_only, starlette.same_site) == ("x y", True, "lax")
    secure = parse_set_cookie("__Host-id=1; Secure; SameSite=Strict")
    assert secure is not None
    assert (secure.secure, secure.http_only, secure.same_site) == (True, False, "Strict")
    plain = parse_set_cookie("sso_state=abc")
    assert plain is not None
    assert (plain.http_only, plain.same_site) == (False, None)
    assert parse_set_cookie("no equals sign; HttpOnly") is None
    assert "abc" not in repr(plain)  # a cookie's value stays out of its repr


@pytest.mark.parametrize(
    "header",
    [
        "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/",
        "session=x; Max-Age=0",
        "session=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "session=",
    ],
)
def test_set_cookie_that_removes_the_cookie(header: str) -> None:
    cookie = parse_set_cookie(header, now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert cookie is not None
    assert cookie.deletes


def test_host_policy_allows_loopback_and_the_configured_emulator_only() -> None:
    local = HostPolicy()
    for url in ("http://127.0.0.1:5000/login", "http://localhost/x", "https://[::1]:8443/"):
        assert local.allows(url), url
    for url in (
        "https://evil.example/",
        "http://10.0.0.1/",
        "https://api.workos.com/sso/authorize",
        "ftp://127.0.0.1/",
        "javascript:alert(1)",
        "//evil.example",
    ):
        assert not local.allows(url), url
    configured = HostPolicy("https://emulator.internal:4100")
    assert configured.allows("https://emulator.internal:4100/sso/authorize?x=1")
    assert not configured.allows("https://emulator.internal:4101/sso/authorize")
    assert not configured.allows("http://emulator.internal:4100/sso/authorize")
    assert not configured.allows("https://other.internal:4100/")
    # An IPv6 emulator, however its address is written.
    assert HostPolicy("http://[fd00::1]:4100").allows("http://[FD00:0::1]:4100/sso/authorize")


def test_browser_refuses_to_request_a_host_outside_the_policy() -> None:
    with Browser(HostPolicy(), timeout=1.0) as browser, pytest.raises(RefusedHost):
        browser.request("GET", "https://evil.example/")


PAGE = "http://127.0.0.1:5000/callback?code=1"


@pytest.mark.parametrize(
    ("location", "browser_goes_to"),
    [
        ("/me?tab=1", "http://127.0.0.1:5000/me?tab=1"),
        ("me#top", "http://127.0.0.1:5000/me"),
        ("?a=b", "http://127.0.0.1:5000/callback?a=b"),
        # A backslash is a slash to a browser, before the query.
        ("/\\evil.example", "http://evil.example/"),
        ("\\\\evil.example/x", "http://evil.example/x"),
        ("/me?q=a\\b", "http://127.0.0.1:5000/me?q=a\\b"),
        # Tabs and newlines are dropped; percent-encoded ones are only a path.
        ("/\t/evil.example", "http://evil.example/"),
        ("/\n/evil.example", "http://evil.example/"),
        ("/%09/evil.example", "http://127.0.0.1:5000/%09/evil.example"),
        ("///evil.example", "http://evil.example/"),
        # Another scheme than the page's is followed by a host; the page's own, by a path.
        ("https:evil.example", "https://evil.example/"),
        ("http:evil.example", "http://127.0.0.1:5000/evil.example"),
        # The last "@" ends the userinfo; a backslash ends the host before any "@".
        ("http://a\\@127.0.0.1/", "http://a/@127.0.0.1/"),
        ("http://evil@127.0.0.1:5000/x", "http://127.0.0.1:5000/x"),
        ("http://127.0.0.1:5000@evil.example/", "http://evil.example/"),
        ("HTTP://Evil%2Eexample:80/", "http://evil.example/"),
        ("javascript:alert(1)", "javascript:alert(1)"),
    ],
)
def test_a_location_is_read_as_a_browser_reads_it(location: str, browser_goes_to: str) -> None:
    assert resolve_location(PAGE, location) == browser_goes_to


def test_a_location_that_a_browser_reads_as_another_host_is_never_requested(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python's urlsplit finds 127.0.0.1 in these Locations; a browser, and urllib3 for the
    # first, find another host. Every connection the probe opens is recorded.
    import urllib3.util.connection

    connected: list[str] = []
    original = urllib3.util.connection.create_connection

    def recording(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        connected.append(address[0])
        return original(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", recording)
    netloc = f"127.0.0.1:{loopback.port}"
    loopback.always(
        Route(
            {
                "/backslash": Reply.redirect(f"http://evil.example\\@{netloc}/landed"),
                "/userinfo": Reply.redirect(f"http://probe:secret@{netloc}/landed"),
                "/landed": Reply(200, "landed"),
            }
        )
    )
    with Browser(HostPolicy(), timeout=2.0) as browser:
        [hop] = browser.follow(f"{loopback.url}/backslash")
        assert hop.location == f"http://evil.example/@{netloc}/landed"
        with pytest.raises(RefusedHost):
            browser.request("GET", f"http://evil.example\\@{netloc}/landed")
        # Userinfo names no other host: followed to this one, without the credentials.
        hops = browser.follow(f"{loopback.url}/userinfo")
    assert [hop.status for hop in hops] == [302, 200]
    assert [request.url_path for request in loopback.requests] == [
        "/backslash",
        "/userinfo",
        "/landed",
    ]
    assert "authorization" not in loopback.requests[-1].headers
    assert set(connected) == {"127.0.0.1"}


def test_the_host_of_the_request_actually_sent_is_checked(loopback: LoopbackServer) -> None:
    # Past the browser's own check, straight to its session: urllib3 would connect to
    # "evil.example" here, and the transport refuses before it does.
    with Browser(HostPolicy(), timeout=2.0) as browser, pytest.raises(RefusedHost):
        browser.session.get(f"http://evil.example\\@127.0.0.1:{loopback.port}/")
    assert loopback.requests == []


def test_url_helpers_keep_secrets_out_and_change_one_parameter() -> None:
    assert where("http://127.0.0.1:5000/callback?code=abc&state=xyz#f") == (
        "http://127.0.0.1:5000/callback"
    )
    changed = with_query("http://h/cb?code=1&state=2", {"state": None, "next": "/a"})
    assert changed == "http://h/cb?code=1&next=%2Fa"
    state = secrets.token_urlsafe(32)
    tampered = altered(state)
    assert tampered != state
    assert len(tampered) == len(state)
    assert sum(a != b for a, b in zip(state, tampered)) == 1


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        (
            "client_id=client_1&response_type=code&organization=org_1&redirect_uri=http%3A%2F%2F"
            "127.0.0.1%2Fcb",
            "PASS",
            "organization",
        ),
        (
            "client_id=client_1&response_type=token&organization=org_1&redirect_uri=http%3A%2F%2Fh",
            "FAIL",
            "response_type is token",
        ),
        (
            "client_id=client_1&response_type=code&organization=org_1&connection=conn_1"
            "&redirect_uri=http%3A%2F%2Fh",
            "FAIL",
            "exactly one",
        ),
        ("response_type=code&provider=GoogleOAuth", "FAIL", "no client_id; no redirect_uri"),
    ],
)
def test_authorize_params(query: str, status: str, words: str) -> None:
    check = check_authorize_params(f"http://127.0.0.1:4100/sso/authorize?{query}")
    assert check.status == status
    assert words in check.detail


def test_state_checks_never_show_the_state() -> None:
    state = secrets.token_urlsafe(32)
    checks = [
        check_state(state, secrets.token_urlsafe(32)),
        check_state(state, state),
        check_state(None, None),
        check_state_entropy(state),
        check_state_entropy("1234"),
    ]
    assert [check.status for check in checks] == ["PASS", "FAIL", "FAIL", "PASS", "FAIL"]
    assert all(state not in f"{check.detail} {check.fix}" for check in checks)
    assert "43 chars" in checks[0].detail


@pytest.mark.parametrize(
    ("login_url", "header", "flaws"),
    [
        ("http://127.0.0.1:5000/login", "s=1; HttpOnly; SameSite=Lax", []),
        ("http://127.0.0.1:5000/login", "s=1; HttpOnly; SameSite=Strict", []),
        ("http://127.0.0.1:5000/login", "s=1; SameSite=Lax", ["HttpOnly"]),
        ("http://127.0.0.1:5000/login", "s=1; HttpOnly", ["no SameSite"]),
        ("http://127.0.0.1:5000/login", "s=1; HttpOnly; SameSite=None; Secure", ["None", "http"]),
        # Never sent back over http: the sign-in cannot complete, and the flaw says so.
        ("http://127.0.0.1:5000/login", "s=1; HttpOnly; SameSite=Lax; Secure", ["plain http"]),
        ("https://127.0.0.1:5000/login", "s=1; HttpOnly; SameSite=Lax", ["Secure"]),
        ("https://127.0.0.1:5000/login", "s=1; HttpOnly; SameSite=Lax; Secure", []),
    ],
)
def test_cookie_flags_expected_of_a_session(login_url: str, header: str, flaws: list[str]) -> None:
    cookie = parse_set_cookie(header)
    assert cookie is not None
    found = cookie_flaws(cookie, Probe(VerifyOptions(login_url=login_url)).https)
    assert len(found) == len(flaws)
    for flaw, words in zip(found, flaws):
        assert words in flaw


def test_verify_refuses_a_login_url_off_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--login-url", "https://app.example.com/login"]) == 2
    assert "loopback" in capsys.readouterr().err
    assert main(["verify", "--login-url", "file:///etc/passwd"]) == 2
    code = main(
        [
            "verify",
            "--login-url",
            "http://127.0.0.1:5000/login",
            "--protected-url",
            "https://app.example.com/me",
        ]
    )
    assert code == 2


def test_verify_without_an_app_fails_the_first_check_as_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"http://127.0.0.1:{closed_port()}/login"
    assert main(["verify", "--login-url", url, "--json", "--timeout", "2"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    assert [check["name"] for check in document["checks"]] == EVERY_CHECK
    first, *rest = document["checks"]
    assert first["status"] == "FAIL"
    assert "could not be reached" in first["detail"]
    assert first["fix"]
    assert {check["status"] for check in rest} == {"SKIP"}


def test_a_redirect_uri_off_this_machine_is_never_requested(
    loopback: LoopbackServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # One loopback server plays both the app and the emulator; the app's redirect URI is on
    # another host, which the probe must report and leave alone.
    state = secrets.token_urlsafe(32)
    remote = "https://app.example.com/callback"
    authorize = f"{loopback.url}/sso/authorize?" + urlencode(
        {
            "client_id": "client_1",
            "response_type": "code",
            "organization": "org_1",
            "redirect_uri": remote,
            "state": state,
        }
    )
    code = "sso_code_" + secrets.token_hex(12)
    loopback.always(
        Route(
            {
                "/login": Reply.redirect(authorize),
                "/sso/authorize": Reply.redirect(f"{remote}?code={code}&state={state}"),
            }
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKOS_BASE_URL", raising=False)
    assert main(["verify", "--login-url", f"{loopback.url}/login", "--timeout", "2"]) == 1
    text = capsys.readouterr().out
    assert "FAIL  emulator sign-in  the redirect_uri, https://app.example.com/callback, is not" in (
        text
    )
    assert state not in text
    assert code not in text
    paths = [request.url_path for request in loopback.requests]
    assert paths == ["/login", "/login", "/sso/authorize"]  # two sign-ins start; one goes on


class ScriptedSignIn:
    """An app and its emulator, both played by one loopback server: a sign-in that always works
    (code ``good``, one fixed state) and a callback whose refusals each test writes.
    """

    def __init__(self, loopback: LoopbackServer) -> None:
        self.loopback = loopback
        self.state = secrets.token_urlsafe(32)
        self.callback_url = f"{loopback.url}/callback"
        self.authorize_url = f"{loopback.url}/sso/authorize?" + urlencode(
            {
                "client_id": "client_1",
                "response_type": "code",
                "organization": "org_1",
                "redirect_uri": self.callback_url,
                "state": self.state,
            }
        )

    def serve(
        self,
        refuse: Callable[[RecordedRequest], Reply],
        pages: Optional[dict[str, Callable[[RecordedRequest], Reply]]] = None,
    ) -> None:
        """``refuse`` answers every callback but the good one; ``pages`` are more of the app's."""

        def callback(request: RecordedRequest) -> Reply:
            query = dict(request.query)
            if query.get("code") == "good" and query.get("state") == self.state:
                return Reply(302, headers={"Location": "/me", "Set-Cookie": SIGNED_IN_COOKIE})
            return refuse(request)

        def me(request: RecordedRequest) -> Reply:
            signed_in = "session=user" in request.headers.get("cookie", "")
            return Reply(200, "Signed in") if signed_in else Reply(401, "Sign in first")

        self.loopback.always(
            Route(
                {
                    "/login": Reply.redirect(self.authorize_url),
                    "/sso/authorize": Reply.redirect(
                        f"{self.callback_url}?code=good&state={self.state}"
                    ),
                    "/callback": callback,
                    "/me": me,
                    **(pages or {}),
                }
            )
        )

    def probe(self, *, protected: bool = True) -> Probe:
        protected_url = f"{self.loopback.url}/me" if protected else None
        probe = Probe(VerifyOptions(f"{self.loopback.url}/login", protected_url=protected_url))
        # What a passing protected page check would have found.
        probe.can_see_sessions = protected
        return probe


SIGNED_IN_COOKIE = "session=user; HttpOnly; SameSite=Lax; Path=/"


def _error_page(render: Callable[[str], str]) -> Callable[[RecordedRequest], Reply]:
    return lambda request: Reply(400, render(dict(request.query).get("error", "")))


@pytest.mark.parametrize(
    ("refuse", "status", "words"),
    [
        (
            _error_page(lambda error: f"<p>Sign-in failed ({error}).</p>"),
            "FAIL",
            "reflects text from the callback's query into the page",
        ),
        (
            _error_page(lambda error: f"<p>Sign-in failed ({html.escape(error)}).</p>"),
            "WARN",
            "escaped",
        ),
        (_error_page(lambda error: "<p>Sign-in failed.</p>"), "PASS", "did not come back"),
        # Through a redirect, to a page of the same app that prints the message.
        (
            lambda request: Reply.redirect(
                "/?" + urlencode({"message": dict(request.query).get("error_description", "")})
            ),
            "FAIL",
            "HTML sent as error_description came back unescaped from GET",
        ),
    ],
)
def test_reflected_error(
    loopback: LoopbackServer,
    refuse: Callable[[RecordedRequest], Reply],
    status: str,
    words: str,
) -> None:
    app = ScriptedSignIn(loopback)

    def home(request: RecordedRequest) -> Reply:
        return Reply(200, f"<p>{dict(request.query).get('message', '')}</p>")

    app.serve(refuse, {"/": home})
    check = check_reflected_error(app.probe())
    assert (check.status, check.name) == (status, "reflected error"), check
    assert words in check.detail
    assert (check.fix is None) is (status == "PASS")


@pytest.mark.parametrize(
    ("refuse", "status", "words"),
    [
        (lambda request: Reply(400, "Sign-in failed."), "PASS", "left the session alone"),
        (
            lambda request: Reply(
                400, "Sign-in failed.", {"Set-Cookie": "session=; Max-Age=0; Path=/"}
            ),
            "FAIL",
            "a callback without state, opened while signed in, signed the user out",
        ),
        (
            lambda request: Reply(
                400,
                "Sign-in failed.",
                {"Set-Cookie": "session=; Max-Age=0; Path=/"} if "error" in request.path else {},
            ),
            "FAIL",
            "error=access_denied and no state, opened while signed in, signed the user out",
        ),
        (lambda request: Reply(500, "Oops"), "FAIL", "answered HTTP 500"),
    ],
)
def test_forged_callback(
    loopback: LoopbackServer,
    refuse: Callable[[RecordedRequest], Reply],
    status: str,
    words: str,
) -> None:
    app = ScriptedSignIn(loopback)
    app.serve(refuse)
    check = check_forged_callback(app.probe())
    assert (check.status, check.name) == (status, "forged callback"), check
    assert words in check.detail
    forged = [request for request in loopback.requests if request.url_path == "/callback"][1:]
    assert forged, "no forged callback was sent"
    assert all(dict(request.query).get("state") is None for request in forged)
    assert "session=user" in forged[0].headers.get("cookie", "")  # sent as the signed-in user


def test_forged_callback_is_skipped_without_a_protected_url(loopback: LoopbackServer) -> None:
    app = ScriptedSignIn(loopback)
    app.serve(lambda request: Reply(400, "Sign-in failed."))
    check = check_forged_callback(app.probe(protected=False))
    assert check.status == "SKIP"
    assert "without --protected-url" in check.detail
    assert loopback.requests == []  # nothing is tried that could not be judged


# --- against running apps (live) -------------------------------------------------------------


@pytest.fixture(scope="module")
def organization(emulator_url: str) -> str:
    return emulator.seeded_organizations(emulator_url)["foo"]


def _app_env(emulator_url: str, port: int, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "WORKOS_API_KEY": emulator.VERIFY_API_KEY,
        "WORKOS_CLIENT_ID": emulator.CLIENT_ID,
        "WORKOS_BASE_URL": emulator_url,
        "WORKOS_REDIRECT_URI": f"http://127.0.0.1:{port}/callback",
        "APP_SECRET_KEY": "verify-tests-secret-0123456789abcdef",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


class Seen:
    """Every code, state and cookie value the probe handled, to look for in its output."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def record(self, hop: Hop) -> None:
        from workos_sso._cli.browser import query_of

        for url in (hop.url, hop.location or ""):
            for name in ("code", "state"):
                self.secrets.update(query_of(url).get(name, []))
        self.secrets.update(cookie.value for cookie in hop.set_cookies)
        # Short values ("null", "1") would match ordinary words in the output.
        self.secrets = {value for value in self.secrets if len(value) >= 16}


#: What ``verify`` did: its exit code, its JSON document and its text.
Verified = tuple[int, dict[str, Any], str]


# The emulator counts every request without an API key (the browser's /sso/authorize and the
# apps' code exchanges among them) against one budget of 1,000 a minute per emulator, and one run
# of the probe makes a few hundred: so these tests have an emulator of their own, and a run waits
# for the next minute's budget when this one's is nearly spent.
_REQUESTS_ONE_RUN_MAKES_AT_MOST = 400


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    """An emulator of this module's own, on a port chosen here (see above)."""
    with emulator.Emulator(port=free_port()) as running:
        yield running.url


def _wait_for_the_emulators_budget(emulator_url: str) -> None:
    answer = requests.get(f"{emulator_url}/health", timeout=10)
    remaining = int(answer.headers.get("X-RateLimit-Remaining", "1000"))
    if remaining < _REQUESTS_ONE_RUN_MAKES_AT_MOST:
        reset = int(answer.headers["X-RateLimit-Reset"])
        time.sleep(max(0.0, reset - time.time()) + 1)


@pytest.fixture
def verify_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    emulator_url: str,
) -> Callable[..., Verified]:
    """``verify_cli(*arguments)`` runs ``verify --json`` against the emulator and then the same
    as text, and checks that neither shows a code, state or cookie value the probe handled.
    """

    def run(*arguments: str) -> Verified:
        monkeypatch.chdir(tmp_path)  # no stray .env
        for variable in ("WORKOS_API_KEY", "WORKOS_CLIENT_ID", "WORKOS_BASE_URL"):
            monkeypatch.delenv(variable, raising=False)
        seen = Seen()
        original = Browser.request

        def recording(self: Browser, method: str, url: str, data: Optional[Any] = None) -> Hop:
            hop = original(self, method, url, data)
            seen.record(hop)
            return hop

        monkeypatch.setattr(Browser, "request", recording)
        argv = ["verify", *arguments, "--base-url", emulator_url]
        _wait_for_the_emulators_budget(emulator_url)
        code = main([*argv, "--json"])
        document = json.loads(capsys.readouterr().out)
        assert main(argv) == code
        text = capsys.readouterr().out
        assert seen.secrets, "the probe saw no code or state at all"
        for secret in seen.secrets:
            assert secret not in text, "a code, state or cookie value was printed"
            assert secret not in json.dumps(document)
        return code, document, text

    return run


def _statuses(document: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in document["checks"]}


def checks_by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in document["checks"]}


# The recipes in docs/examples pass every check, the forged callback and the reflected error
# included: a refused or forged callback leaves the session alone, and no query text is shown.
@pytest.mark.live
@pytest.mark.rate_limited  # shares its emulator's anonymous budget: see above
@pytest.mark.parametrize("framework", ["flask", "fastapi", "django"])
def test_the_recipes_pass(
    framework: str,
    emulator_url: str,
    organization: str,
    verify_cli: Callable[..., Verified],
) -> None:
    port = free_port()
    env = _app_env(emulator_url, port, WORKOS_ORGANIZATION_ID=organization)
    with running_app(recipe_command(framework, port), env, port) as app:
        code, document, text = verify_cli(
            "--login-url",
            f"{app}/login?organization={organization}",
            "--protected-url",
            f"{app}/",
            "--signed-in-text",
            "Signed in as",
        )
    assert code == 0, text
    assert document["ok"] is True
    assert _statuses(document) == dict.fromkeys(EVERY_CHECK, "PASS"), text
    assert len(text.splitlines()) == len(EVERY_CHECK)
    assert all(line.startswith("PASS  ") for line in text.splitlines())


@pytest.mark.live
@pytest.mark.rate_limited  # shares its emulator's anonymous budget: see above
@pytest.mark.parametrize("framework", ["flask", "fastapi"])
def test_the_recipes_pass_signing_in_by_email(
    framework: str,
    emulator_url: str,
    verify_cli: Callable[..., Verified],
) -> None:
    # Django's recipe wants a CSRF token on its form, which the probe does not send.
    port = free_port()
    with running_app(recipe_command(framework, port), _app_env(emulator_url, port), port) as app:
        code, document, text = verify_cli(
            "--login-url",
            f"{app}/login/email",
            "--email",
            "alice@foo-corp.com",
            "--protected-url",
            f"{app}/",
            "--signed-in-text",
            "alice@foo-corp.com",
        )
    assert code == 0, text
    assert _statuses(document) == dict.fromkeys(EVERY_CHECK, "PASS"), text
    assert document["checks"][0]["detail"].startswith("POST ")
    assert "connection" in document["checks"][1]["detail"]


@pytest.fixture(scope="module")
def broken_apps(emulator_url: str) -> Iterator[dict[str, str]]:
    """Every fault of tests/verify_apps/broken_app.py (and none), each running; fault -> URL."""
    import contextlib

    from tests.verify_apps.broken_app import FAULTS

    with contextlib.ExitStack() as stack:
        urls = {}
        for fault in FAULTS:
            port = free_port()
            env = _app_env(emulator_url, port, FAULT=fault, PORT=str(port))
            urls[fault] = stack.enter_context(
                running_app([sys.executable, str(BROKEN_APP)], env, port)
            )
        yield urls


@pytest.fixture
def verify_broken_app(
    broken_apps: dict[str, str], organization: str, verify_cli: Callable[..., Verified]
) -> Callable[..., Verified]:
    """``verify_broken_app(fault, *arguments, protected=True)`` runs ``verify_cli`` on the app
    with ``fault``, signing in to the seeded organization, with ``/me`` as its protected page.
    """

    def run(fault: str, *arguments: str, protected: bool = True) -> Verified:
        app = broken_apps[fault]
        login = ["--login-url", f"{app}/login?organization={organization}"]
        return verify_cli(
            *login, *(["--protected-url", f"{app}/me"] if protected else []), *arguments
        )

    return run


@pytest.mark.live
@pytest.mark.rate_limited  # shares its emulator's anonymous budget: see above
@pytest.mark.parametrize(
    ("fault", "failing", "named"),
    [
        ("", set(), ""),
        (
            "no-state-check",
            {"altered state", "missing state", "foreign state"},
            "the app signed the browser in",
        ),
        ("state-cookie", {"sign-in cookies"}, "not HttpOnly"),
        ("replay", {"replay"}, "the app signed the browser in"),
        ("open-redirect", {"open redirect"}, "with next=//evil.example"),
        ("backslash-next", {"open redirect"}, "with next=/\\evil.example"),
        ("urlsplit-next", {"open redirect"}, "with next=http://evil.example\\@127.0.0.1:"),
        ("reflected-error", {"reflected error"}, "reflects text from the callback's query"),
        ("forged-signs-out", {"forged callback"}, "signed the user out"),
    ],
)
def test_each_planted_fault_is_named(
    fault: str,
    failing: set[str],
    named: str,
    verify_broken_app: Callable[..., Verified],
) -> None:
    code, document, text = verify_broken_app(fault)
    statuses = _statuses(document)
    assert {name for name, status in statuses.items() if status == "FAIL"} == failing, text
    assert set(statuses.values()) <= {"PASS", "FAIL"}, text
    assert code == (1 if failing else 0)
    assert document["ok"] is not failing
    for check in document["checks"]:
        if check["status"] == "FAIL":
            assert check["fix"], check
            assert f"FAIL  {check['name']}" in text
            assert named in check["detail"], check


@pytest.mark.live
@pytest.mark.rate_limited  # shares its emulator's anonymous budget: see above
def test_without_a_protected_url_the_attacks_only_warn(
    verify_broken_app: Callable[..., Verified],
) -> None:
    code, document, _ = verify_broken_app("no-state-check", protected=False)
    statuses = _statuses(document)
    assert statuses["protected page"] == "WARN"
    for name in ("replay", "altered state", "missing state", "foreign state", "access denied"):
        assert statuses[name] == "WARN"
    checks = checks_by_name(document)
    assert statuses["forged callback"] == "SKIP"
    assert "without --protected-url" in checks["forged callback"]["detail"]
    assert code == 0  # warnings never fail the run


@pytest.mark.live
@pytest.mark.rate_limited  # shares its emulator's anonymous budget: see above
def test_a_protected_url_that_was_passed_is_not_asked_for_again(
    verify_broken_app: Callable[..., Verified],
) -> None:
    # A signed-in text no page shows: the protected page check fails, so the attacks cannot see
    # sessions, and their advice must point at that line, not at a flag already given.
    code, document, text = verify_broken_app("", "--signed-in-text", "text that no page shows")
    statuses = _statuses(document)
    assert statuses["protected page"] == "FAIL"
    assert statuses["replay"] == "WARN"
    assert statuses["forged callback"] == "SKIP"
    assert "Pass --protected-url" not in text, text
    assert "see its line" in checks_by_name(document)["replay"]["fix"]
    assert code == 1


@pytest.mark.live
@pytest.mark.rate_limited  # shares its emulator's anonymous budget: see above
def test_a_secure_session_cookie_on_plain_http_is_named(
    verify_broken_app: Callable[..., Verified],
) -> None:
    # The browser keeps a Secure cookie off http, so the state never reaches the callback:
    # every line that sees the consequence says why, not just that no session was made.
    code, document, text = verify_broken_app("secure-cookie")
    assert code == 1
    checks = checks_by_name(document)
    exactly = "is Secure but the app is served over plain http"
    for name in ("sign-in cookies", "callback", "protected page"):
        assert checks[name]["status"] == "FAIL", text
        assert exactly in checks[name]["detail"], text
        assert "only when the app is served over https" in checks[name]["fix"]
