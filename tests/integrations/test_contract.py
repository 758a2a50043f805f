"""The contract of the three framework integrations: one set of probes, run against each.

Every test here asks for ``sites`` (through the ``framework`` fixture), so it runs once against
Flask, Django and Starlette, each a small app built by ``harness.py`` from the same neutral
settings. WorkOS is a loopback server (``tests/loopback.py``) answering the token exchange with
the fixture profile (changed per test through ``WorkOS.profile``), the connection lookup and the
logout authorization. The probes are what a user or an attacker can do with a browser: sign in,
replay, forge, tamper, pass hostile ``next`` values, pick organizations and providers outside
the policy, and look at the cookies.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import re
import uuid
from typing import Any, Optional
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest

import workos_sso
from tests.integrations.harness import REMEMBERED_KEY, Answer, Browser, Harness, Sites
from tests.loopback import (
    LOOPBACK_CLIENT_ID,
    LoopbackServer,
    RecordedRequest,
    Reply,
    Route,
)
from tests.payload_fixtures import (
    connection_fixture,
    logout_authorization_fixture,
    profile_and_token_fixture,
)
from workos_sso import SessionUser, SignInRefused, SignInResult
from workos_sso._state import validate_return_to
from workos_sso.integrations._flow import SESSION_PENDING_KEY, SESSION_USER_KEY
from workos_sso.integrations._policy import RefusalReason

FIXTURE_ORGANIZATION = "org_01FIXTUREORGANIZATION00001"
FIXTURE_CONNECTION = "conn_01FIXTURECONNECTION000001"
FIXTURE_EMAIL = "ada@fixture.example"
OTHER_ORGANIZATION = "org_01OTHERORGANIZATION000001"
#: Searched for in every page, header and cookie after a hostile callback.
MARKER = "zq7mk3xssmarker"
#: Django's own session keys beside the integration's.
FRAMEWORK_SESSION_KEYS = {"_auth_user_id", "_auth_user_backend", "_auth_user_hash"}


class WorkOS:
    """The loopback server as WorkOS: ``profile``/``connection`` change what it answers."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server
        self.url = server.url
        # A profile id of its own per test: Django keeps the users of every test in one database,
        # and refuses a known profile that comes back from another organization.
        self.profile_id = f"prof_01CONTRACT{uuid.uuid4().hex.upper()}"
        self.profile: dict[str, Any] = {}
        self.connection: dict[str, Any] = {}
        self.token_reply: Optional[Reply] = None
        server.always(
            Route(
                {
                    "/sso/token": self._token,
                    "/connections": self._connections,
                    "/sso/logout/authorize": Reply.json(201, logout_authorization_fixture()),
                }
            )
        )

    def _token(self, request: RecordedRequest) -> Reply:
        if self.token_reply is not None:
            return self.token_reply
        payload = profile_and_token_fixture()
        payload["profile"]["id"] = self.profile_id
        payload["profile"].update(self.profile)
        return Reply.json(200, payload)

    def _connections(self, request: RecordedRequest) -> Reply:
        connection = {**connection_fixture(FIXTURE_CONNECTION), **self.connection}
        page = {"before": None, "after": None}
        return Reply.json(200, {"object": "list", "data": [connection], "list_metadata": page})

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [request for request in self.server.requests if request.url_path == path]


@pytest.fixture
def workos(loopback: LoopbackServer) -> WorkOS:
    return WorkOS(loopback)


# --- helpers --------------------------------------------------------------------------------


def start(browser: Browser, query: Optional[dict[str, str]] = None) -> str:
    """``GET /login?...``, which must go to WorkOS; the authorization URL."""
    harness = browser.harness
    wanted = {"organization": FIXTURE_ORGANIZATION} if query is None else query
    answer = browser.get(f"{harness.login_path}?{urlencode(wanted)}")
    assert answer.is_redirect, (answer.status, answer.body[:300])
    location = str(answer.location)
    assert location.startswith(harness.settings.workos_url + "/sso/authorize?"), location
    return location


def authorize_query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def callback_for(harness: Harness, authorize: str, code: str = "code-0001") -> str:
    state = authorize_query(authorize)["state"]
    return f"{harness.callback_path}?{urlencode({'code': code, 'state': state})}"


def sign_in(browser: Browser, query: Optional[dict[str, str]] = None) -> Answer:
    """Start a sign-in and come back with a code: the callback's answer."""
    return browser.get(callback_for(browser.harness, start(browser, query)))


def refused(answer: Answer, harness: Harness, page: Optional[str] = None) -> str:
    """The answer sends the browser to the sign-in page; the path it lands on."""
    assert answer.is_redirect, (answer.status, answer.body[:300])
    location = str(answer.location)
    path = urlsplit(location).path
    assert path == (page or harness.settings.sign_in_page), location
    assert not urlsplit(location).netloc, location
    return location


def shown(browser: Browser, reason: RefusalReason) -> None:
    """The sign-in page shows the reason's sentence, and only it."""
    assert browser.page().messages == [reason.message]


def everything_seen(browser: Browser) -> str:
    """Every body, Location and Set-Cookie this browser got, as one text."""
    parts: list[str] = []
    for answer in browser.answers:
        parts.extend((answer.body, answer.location or "", *answer.set_cookies))
    return "\n".join(parts)


def lands_on_host(location: str, base: str = "https://app.example.com/auth/callback") -> str:
    """The host a browser goes to for this ``Location``, read the way browsers read URLs:
    leading C0 controls and spaces dropped, tabs and newlines removed, ``\\`` as ``/``."""
    cleaned = location.lstrip("".join(chr(code) for code in range(0x21)))
    cleaned = re.sub("[\t\n\r]", "", cleaned).replace("\\", "/")
    return str(urlsplit(urljoin(base, cleaned)).netloc)


# --- the public names -------------------------------------------------------------------------


def test_the_same_names_in_every_integration(sites: Sites) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    module = importlib.import_module(f"workos_sso.integrations.{harness.framework}")
    for name in ("WorkOSSSO", "SignInRefused", "current_user", "login_required"):
        assert hasattr(module, name), name
    assert module.SignInRefused is workos_sso.SignInRefused
    assert issubclass(SignInRefused, workos_sso.WorkOSError)
    for old in ("EXPIRED", "WRONG_ORGANIZATION", "USER_KEY", "MESSAGE_KEY", "SESSION_USER_KEY"):
        assert not hasattr(module, old), f"{old} is still in {module.__name__}"


# --- sign-in ----------------------------------------------------------------------------------


def test_sign_in_goes_to_workos_and_comes_back_signed_in(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    assert harness.start_up_warnings == []
    browser = harness.browser()
    authorize = start(browser, {"organization": FIXTURE_ORGANIZATION, "next": "/reports?x=1"})
    query = authorize_query(authorize)
    assert query["organization"] == FIXTURE_ORGANIZATION
    assert query["client_id"] == LOOPBACK_CLIENT_ID
    assert query["redirect_uri"] == harness.redirect_uri
    assert query["response_type"] == "code"
    assert query["state"]
    assert "code_challenge" not in query  # PKCE is off unless configured
    assert workos.server.requests == []  # the authorization URL is built, not requested

    answer = browser.get(callback_for(harness, authorize))
    assert answer.is_redirect
    assert answer.location == "/reports?x=1"
    (token,) = workos.requests_to("/sso/token")
    assert token.json()["code"] == "code-0001"
    assert "code_verifier" not in token.json()
    page = browser.page()
    assert page.messages == []
    assert page.email == FIXTURE_EMAIL
    assert page.authenticated
    assert page.user is not None
    assert page.user["organization_id"] == FIXTURE_ORGANIZATION
    # The session keeps the user (no token, no raw attributes) and no pending sign-in.
    assert set(page.session) - FRAMEWORK_SESSION_KEYS == {SESSION_USER_KEY}
    assert "fixture-access-token" not in everything_seen(browser)


def test_the_protected_page_sends_a_signed_out_user_to_sign_in_and_back(
    sites: Sites, workos: WorkOS
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION], sign_in_page="/sign-in")
    browser = harness.browser()
    to_login = browser.get(harness.protected_path)
    assert to_login.is_redirect
    login = urlsplit(str(to_login.location))
    assert login.path == harness.login_path
    assert parse_qs(login.query)["next"] == [harness.protected_path]
    # /login without an organization asks on the sign-in page, and keeps next.
    asked = browser.get(str(to_login.location))
    location = refused(asked, harness, "/sign-in")
    assert parse_qs(urlsplit(location).query)["next"] == [harness.protected_path]
    assert browser.page("/sign-in").messages == [RefusalReason.CHOOSE.message]
    # Choosing the organization there ends on the protected page, signed in.
    back = sign_in(browser, {"organization": FIXTURE_ORGANIZATION, "next": "/account"})
    assert back.location == harness.protected_path
    account = browser.get(harness.protected_path)
    assert account.status == 200
    assert account.json() == {"email": FIXTURE_EMAIL}


def test_the_protected_page_keeps_its_query_in_next(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    wanted = f"{harness.protected_path}?tab=1&x=%2F"
    to_login = browser.get(wanted)
    kept = parse_qs(urlsplit(str(to_login.location)).query)["next"]
    assert kept == [wanted]
    back = sign_in(browser, {"organization": FIXTURE_ORGANIZATION, "next": kept[0]})
    assert back.location == wanted
    assert browser.get(wanted).status == 200


# --- the state --------------------------------------------------------------------------------


def test_a_replayed_callback_is_refused_and_the_session_survives(
    sites: Sites, workos: WorkOS
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    callback = callback_for(harness, start(browser))
    assert browser.get(callback).is_redirect
    assert browser.page().email == FIXTURE_EMAIL
    refused(browser.get(callback), harness)
    page = browser.page()
    assert page.messages == [RefusalReason.EXPIRED.message]
    assert page.email == FIXTURE_EMAIL
    assert len(workos.requests_to("/sso/token")) == 1


def _tamper(value: str) -> str:
    middle = len(value) // 2
    swapped = "A" if value[middle] != "A" else "B"
    return value[:middle] + swapped + value[middle + 1 :]


def test_a_tampered_state_is_refused_and_spends_the_sign_in(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    authorize = start(browser)
    state = authorize_query(authorize)["state"]
    forged = {"code": "code-0001", "state": _tamper(state)}
    refused(browser.get(f"{harness.callback_path}?{urlencode(forged)}"), harness)
    shown(browser, RefusalReason.EXPIRED)
    assert workos.requests_to("/sso/token") == []
    # The pending sign-in was good for one callback: the genuine one now finds none.
    refused(browser.get(callback_for(harness, authorize)), harness)
    page = browser.page()
    assert page.messages == [RefusalReason.EXPIRED.message]
    assert page.user is None
    assert workos.requests_to("/sso/token") == []


def test_another_sessions_state_is_refused(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    victim, attacker = harness.browser(), harness.browser()
    victims = start(victim)
    start(attacker)
    # The attacker's browser brings back the victim's code and state.
    refused(attacker.get(callback_for(harness, victims)), harness)
    page = attacker.page()
    assert page.messages == [RefusalReason.EXPIRED.message]
    assert page.user is None
    assert workos.requests_to("/sso/token") == []
    # The victim's own sign-in is untouched.
    assert victim.get(callback_for(harness, victims)).is_redirect
    assert victim.page().email == FIXTURE_EMAIL


@pytest.mark.parametrize("query", [{"code": "code-0001"}, {"code": "code-0001", "state": ""}])
def test_a_callback_without_a_state_is_refused(
    sites: Sites, workos: WorkOS, query: dict[str, str]
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    start(browser)
    refused(browser.get(f"{harness.callback_path}?{urlencode(query)}"), harness)
    assert browser.page().messages == [RefusalReason.EXPIRED.message]
    assert workos.requests_to("/sso/token") == []


def test_a_callback_without_a_sign_in_is_refused(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    refused(browser.get(f"{harness.callback_path}?code=c&state=s"), harness)
    page = browser.page()
    assert page.messages == [RefusalReason.EXPIRED.message]
    assert page.user is None


# --- what WorkOS sends back -------------------------------------------------------------------

HOSTILE_HTML = f"<img src=x onerror=alert(1)>{MARKER}"
LONG_DESCRIPTION = (f"<script>alert('{MARKER}')</script> " + "x" * 80) * 60


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (HOSTILE_HTML, RefusalReason.FAILED),
        ("access_denied", RefusalReason.DENIED),
        ("organization_invalid", RefusalReason.MISCONFIGURED),
        ("profile_not_allowed_outside_organization", RefusalReason.OUTSIDE_ORGANIZATION),
        ("server_error", RefusalReason.FAILED),
    ],
)
def test_an_error_callback_shows_a_fixed_sentence_and_nothing_of_the_query(
    sites: Sites, workos: WorkOS, error: str, reason: RefusalReason
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    state = authorize_query(start(browser))["state"]
    query = {"error": error, "error_description": LONG_DESCRIPTION, "state": state}
    refused(browser.get(f"{harness.callback_path}?{urlencode(query)}"), harness)
    page = browser.page()
    assert page.messages == [reason.message]
    assert page.user is None
    assert SESSION_PENDING_KEY not in page.session
    seen = everything_seen(browser)
    assert MARKER not in seen
    assert "onerror" not in seen
    assert "<script" not in seen
    assert workos.requests_to("/sso/token") == []


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.json(400, {"error": "invalid_grant", "error_description": MARKER}), "expired"),
        (Reply.json(500, {"message": MARKER}), "failed"),
    ],
)
def test_a_failed_code_exchange_is_refused_and_the_session_survives(
    sites: Sites, workos: WorkOS, reply: Reply, reason: str
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    sign_in(browser)
    workos.token_reply = reply
    refused(sign_in(browser), harness)
    page = browser.page()
    assert page.messages == [RefusalReason(reason).message]
    assert page.email == FIXTURE_EMAIL
    assert MARKER not in everything_seen(browser)


# --- forged callbacks while signed in -----------------------------------------------------------


@pytest.mark.parametrize("forgery", ["no state", "error", "error with state", "reload"])
def test_a_forged_callback_does_not_sign_the_user_out(
    sites: Sites, workos: WorkOS, forgery: str
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    authorize = start(browser)
    used = callback_for(harness, authorize)
    assert browser.get(used).is_redirect
    before = browser.page()
    assert before.email == FIXTURE_EMAIL
    forged = {
        "no state": f"{harness.callback_path}?code=forged-code",
        "error": f"{harness.callback_path}?error=access_denied",
        "error with state": f"{harness.callback_path}?"
        + urlencode({"error": "access_denied", "state": authorize_query(authorize)["state"]}),
        "reload": used,
    }[forgery]
    refused(browser.get(forged), harness)
    after = browser.page()
    assert after.user == before.user
    assert after.authenticated
    assert len(after.messages) == 1
    assert len(workos.requests_to("/sso/token")) == 1


def test_a_forged_callback_during_a_sign_in_spends_only_the_pending_one(
    sites: Sites, workos: WorkOS
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    sign_in(browser)
    browser.remember()
    start(browser)  # a second sign-in, pending
    refused(browser.get(f"{harness.callback_path}?error=access_denied"), harness)
    page = browser.page()
    assert page.messages == [RefusalReason.DENIED.message]
    assert page.email == FIXTURE_EMAIL
    assert SESSION_PENDING_KEY not in page.session
    assert REMEMBERED_KEY in page.session  # nothing else of the session went


# --- next ---------------------------------------------------------------------------------------

HOSTILE_NEXT = [
    "//x.example",
    "/\\x.example",
    "\\\\x.example",
    "https:x.example",
    "https://x.example/",
    "http:/x.example",
    "///x.example",
    "/\t/x.example",
    "/\n/x.example",
    "\t//x.example",
    "\r\n//x.example",
    " //x.example",
    "/%2F%2Fx.example",
    "/%5Cx.example",
    "%2F%2Fx.example",
    "/\u3000/x.example",
    "\u3000//x.example",
    "/\u2028/x.example",
    "/\u00a0/x.example",
    "javascript:alert(1)",
    "/\u202e/x.example",
    "\ufeff//x.example",
    "/\uff0f/x.example",
    "/.//x.example",
    "/%09/x.example",
    "/%0d%0aSet-Cookie:%20x=1",
]


@pytest.mark.parametrize("hostile", HOSTILE_NEXT, ids=ascii)
def test_a_hostile_next_never_leaves_the_site(sites: Sites, workos: WorkOS, hostile: str) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    back = sign_in(browser, {"organization": FIXTURE_ORGANIZATION, "next": hostile})
    assert back.is_redirect
    location = str(back.location)
    assert lands_on_host(location) == "app.example.com", location
    assert validate_return_to(location) == location
    assert browser.page().email == FIXTURE_EMAIL
    # /login without an organization keeps only a safe next for the sign-in page.
    asked = browser.get(f"{harness.login_path}?{urlencode({'next': hostile})}")
    page_url = refused(asked, harness)
    assert lands_on_host(page_url) == "app.example.com"
    for kept in parse_qs(urlsplit(page_url).query).get("next", []):
        assert validate_return_to(kept) == kept
        assert lands_on_host(kept) == "app.example.com"


def test_a_same_site_next_survives_a_sign_in_page_with_a_query(
    sites: Sites, workos: WorkOS
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    asked = browser.get(f"{harness.login_path}?{urlencode({'next': '/reports/7?tab=a&b=c'})}")
    location = refused(asked, harness)
    assert parse_qs(urlsplit(location).query)["next"] == ["/reports/7?tab=a&b=c"]
    back = sign_in(browser, {"organization": FIXTURE_ORGANIZATION, "next": "/reports/7?tab=a&b=c"})
    assert back.location == "/reports/7?tab=a&b=c"


# --- the policy: organizations ------------------------------------------------------------------


def test_an_organization_outside_the_list_is_refused_before_workos(
    sites: Sites, workos: WorkOS
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    asked = browser.get(f"{harness.login_path}?organization={OTHER_ORGANIZATION}")
    refused(asked, harness)
    assert workos.url not in str(asked.location)
    page = browser.page()
    assert page.messages == [RefusalReason.ORGANIZATION_NOT_ALLOWED.message]
    assert SESSION_PENDING_KEY not in page.session
    assert workos.server.requests == []


@pytest.mark.parametrize(
    "selector",
    [{"connection": FIXTURE_CONNECTION}, {"organization": FIXTURE_ORGANIZATION}],
    ids=["connection", "organization"],
)
def test_a_profile_from_outside_the_list_is_refused_at_the_callback(
    sites: Sites, workos: WorkOS, selector: dict[str, str]
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    authorize = start(browser, selector)
    assert authorize_query(authorize).items() >= selector.items()
    workos.profile = {"organization_id": OTHER_ORGANIZATION}
    refused(browser.get(callback_for(harness, authorize)), harness)
    page = browser.page()
    assert page.messages == [RefusalReason.ORGANIZATION_NOT_ALLOWED.message]
    assert page.user is None
    assert not page.authenticated


def test_a_connection_inside_the_list_signs_in(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    assert sign_in(browser, {"connection": FIXTURE_CONNECTION}).location == "/"
    assert browser.page().email == FIXTURE_EMAIL


@pytest.mark.parametrize("organization", [FIXTURE_ORGANIZATION, OTHER_ORGANIZATION])
def test_sign_in_by_email_goes_only_to_an_allowed_organization(
    sites: Sites, workos: WorkOS, organization: str
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    workos.connection = {"organization_id": organization}
    browser = harness.browser()
    answer = browser.post(harness.login_email_path, {"email": FIXTURE_EMAIL, "next": "/r"})
    assert workos.requests_to("/connections")
    if organization == OTHER_ORGANIZATION:
        location = refused(answer, harness)
        assert parse_qs(urlsplit(location).query)["next"] == ["/r"]
        page = browser.page()
        assert page.messages == [RefusalReason.ORGANIZATION_NOT_ALLOWED.message]
        assert SESSION_PENDING_KEY not in page.session
        return
    assert answer.is_redirect
    query = authorize_query(str(answer.location))
    assert query["connection"] == FIXTURE_CONNECTION
    assert query["login_hint"] == FIXTURE_EMAIL
    assert browser.get(callback_for(harness, str(answer.location))).location == "/r"
    assert browser.page().email == FIXTURE_EMAIL


@pytest.mark.parametrize("email", ["not-an-email", ""])
def test_sign_in_by_email_refuses_what_is_not_an_address(
    sites: Sites, workos: WorkOS, email: str
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    refused(browser.post(harness.login_email_path, {"email": email}), harness)
    shown(browser, RefusalReason.BAD_EMAIL)
    assert workos.server.requests == []


def test_the_default_organization_alone_when_the_list_is_unset(
    sites: Sites, workos: WorkOS
) -> None:
    harness = sites(default_organization=FIXTURE_ORGANIZATION)
    assert harness.start_up_warnings == []
    browser = harness.browser()
    assert authorize_query(start(browser, {}))["organization"] == FIXTURE_ORGANIZATION
    refused(browser.get(f"{harness.login_path}?organization={OTHER_ORGANIZATION}"), harness)
    shown(browser, RefusalReason.ORGANIZATION_NOT_ALLOWED)


def test_the_default_organization_with_a_list_allows_the_list(sites: Sites, workos: WorkOS) -> None:
    harness = sites(
        default_organization=FIXTURE_ORGANIZATION,
        allowed_organizations=[FIXTURE_ORGANIZATION, OTHER_ORGANIZATION],
    )
    browser = harness.browser()
    assert authorize_query(start(browser, {}))["organization"] == FIXTURE_ORGANIZATION
    other = start(browser, {"organization": OTHER_ORGANIZATION})
    assert authorize_query(other)["organization"] == OTHER_ORGANIZATION


def test_unset_organizations_without_a_default_admit_any_with_a_warning(
    sites: Sites, workos: WorkOS, framework: str
) -> None:
    harness = sites()
    setting = {
        "flask": "WORKOS_ALLOWED_ORGANIZATIONS",
        "django": 'WORKOS_SSO["ALLOWED_ORGANIZATIONS"]',
        "starlette": "allowed_organizations",
    }[framework]
    assert len(harness.start_up_warnings) == 1, harness.start_up_warnings
    assert setting in harness.start_up_warnings[0].replace("'", '"')
    browser = harness.browser()
    refused(browser.get(harness.login_path), harness)
    shown(browser, RefusalReason.CHOOSE)
    workos.profile = {"organization_id": OTHER_ORGANIZATION}
    sign_in(browser, {"organization": OTHER_ORGANIZATION})
    assert browser.page().email == FIXTURE_EMAIL


def test_any_organization_with_a_star(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations="*")
    assert harness.start_up_warnings == []
    browser = harness.browser()
    workos.profile = {"organization_id": OTHER_ORGANIZATION}
    sign_in(browser, {"organization": OTHER_ORGANIZATION})
    page = browser.page()
    assert page.user is not None
    assert page.user["organization_id"] == OTHER_ORGANIZATION


def test_two_selectors_are_refused(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    both = {"organization": FIXTURE_ORGANIZATION, "connection": FIXTURE_CONNECTION}
    refused(browser.get(f"{harness.login_path}?{urlencode(both)}"), harness)
    shown(browser, RefusalReason.ONE_SELECTOR)


# --- the policy: social providers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "asked"),
    [(None, "GoogleOAuth"), (["GoogleOAuth"], "MicrosoftOAuth"), ([], "GoogleOAuth")],
)
def test_an_unlisted_provider_is_refused_before_workos(
    sites: Sites, workos: WorkOS, allowed: Optional[list[str]], asked: str
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION], allowed_providers=allowed)
    browser = harness.browser()
    refused(browser.get(f"{harness.login_path}?provider={asked}"), harness)
    page = browser.page()
    assert page.messages == [RefusalReason.PROVIDER_NOT_ALLOWED.message]
    assert SESSION_PENDING_KEY not in page.session


def test_a_listed_provider_signs_in(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION], allowed_providers=["GoogleOAuth"])
    browser = harness.browser()
    authorize = start(browser, {"provider": "GoogleOAuth"})
    assert authorize_query(authorize)["provider"] == "GoogleOAuth"
    workos.profile = {"connection_type": "GoogleOAuth", "organization_id": None}
    assert browser.get(callback_for(harness, authorize)).is_redirect
    page = browser.page()
    assert page.email == FIXTURE_EMAIL
    assert page.messages == []


def test_a_provider_sign_in_that_comes_back_from_another_connection_is_refused(
    sites: Sites, workos: WorkOS
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION], allowed_providers=["GoogleOAuth"])
    browser = harness.browser()
    authorize = start(browser, {"provider": "GoogleOAuth"})
    workos.profile = {"connection_type": "OktaSAML"}
    refused(browser.get(callback_for(harness, authorize)), harness)
    page = browser.page()
    assert page.messages == [RefusalReason.PROVIDER_NOT_ALLOWED.message]
    assert page.user is None


# --- the app's hook -----------------------------------------------------------------------------

STAFF_ONLY = "Only the staff of Fixture Corp may sign in here."


def test_the_hook_refusing_shows_its_message_and_keeps_the_session(
    sites: Sites, workos: WorkOS
) -> None:
    seen: list[str] = []

    def on_sign_in(request: Any, result: SignInResult) -> Optional[SessionUser]:
        seen.append(result.profile.email)
        if result.profile.email != FIXTURE_EMAIL:
            raise SignInRefused(STAFF_ONLY)
        return None

    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION], on_sign_in=on_sign_in)
    stranger = harness.browser()
    workos.profile = {"email": "mallory@fixture.example"}
    refused(sign_in(stranger), harness)
    page = stranger.page()
    assert page.messages == [STAFF_ONLY]
    assert page.user is None
    assert not page.authenticated

    # Signed in, then refused on a second sign-in: the first session stays.
    browser = harness.browser()
    workos.profile = {}
    sign_in(browser)
    browser.remember()
    workos.profile = {"email": "mallory@fixture.example"}
    refused(sign_in(browser), harness)
    page = browser.page()
    assert page.messages == [STAFF_ONLY]
    assert page.email == FIXTURE_EMAIL
    assert page.authenticated
    assert REMEMBERED_KEY in page.session
    assert seen == ["mallory@fixture.example", FIXTURE_EMAIL, "mallory@fixture.example"]


def test_the_hook_may_keep_a_user_of_its_own(sites: Sites, workos: WorkOS) -> None:
    mine = SessionUser(
        id="app-user-7",
        email="ada@app.example",
        connection_id=FIXTURE_CONNECTION,
        organization_id=FIXTURE_ORGANIZATION,
        role="editor",
    )
    calls: list[tuple[Any, SignInResult]] = []

    def on_sign_in(request: Any, result: SignInResult) -> Optional[SessionUser]:
        calls.append((request, result))
        return mine

    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION], on_sign_in=on_sign_in)
    browser = harness.browser()
    assert sign_in(browser).is_redirect
    assert browser.page().user == mine.to_dict()
    ((request, result),) = calls
    assert request is not None
    assert result.profile.id == workos.profile_id
    assert result.profile.organization_id == FIXTURE_ORGANIZATION


# --- sign-out -----------------------------------------------------------------------------------


def test_sign_out_is_by_post_only(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    sign_in(browser)
    by_get = browser.get(harness.logout_path)
    assert by_get.status == 405 or not by_get.is_redirect, by_get.status
    assert browser.page().email == FIXTURE_EMAIL
    assert workos.requests_to("/sso/logout/authorize") == []

    answer = browser.post(harness.logout_path)
    assert answer.is_redirect
    assert answer.location == logout_authorization_fixture()["logout_url"]
    (authorize,) = workos.requests_to("/sso/logout/authorize")
    assert authorize.json()["profile_id"] == workos.profile_id
    page = browser.page()
    assert page.user is None
    assert not page.authenticated
    # Signed out already: sign-out goes to the after-sign-out page, without WorkOS.
    again = browser.post(harness.logout_path)
    assert (again.is_redirect, again.location) == (True, "/")
    assert len(workos.requests_to("/sso/logout/authorize")) == 1


# --- cookies and the session --------------------------------------------------------------------


def _attributes(header: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


@pytest.mark.parametrize("https", [False, True], ids=["loopback-http", "https"])
def test_the_session_cookie_flags(sites: Sites, workos: WorkOS, https: bool) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION], https=https)
    browser = harness.browser()
    authorize = start(browser)
    signed_in = browser.get(callback_for(harness, authorize))
    assert browser.page().email == FIXTURE_EMAIL
    for answer in (browser.answers[0], signed_in):
        header = answer.cookie(harness.session_cookie_name)
        assert header is not None, answer.set_cookies
        attributes = _attributes(header)
        assert "httponly" in attributes, header
        assert attributes.get("samesite", "").lower() == "lax", header
        assert ("secure" in attributes) is https, header


def test_sign_in_starts_a_new_session(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    attacker = harness.browser()
    attacker.remember()
    planted = attacker.session_cookie
    assert planted
    victim = harness.browser()
    victim.set_session_cookie(planted)
    assert REMEMBERED_KEY in victim.page().session  # the victim now shares the session
    sign_in(victim)
    page = victim.page()
    assert page.email == FIXTURE_EMAIL
    assert REMEMBERED_KEY not in page.session
    assert victim.session_cookie != planted
    # The planted cookie is not a signed-in session.
    assert attacker.page().user is None
    assert attacker.session_cookie != victim.session_cookie


# --- PKCE -----------------------------------------------------------------------------------------


def test_pkce_sends_a_challenge_and_its_verifier(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION], pkce=True)
    browser = harness.browser()
    authorize = start(browser)
    query = authorize_query(authorize)
    assert query["code_challenge_method"] == "S256"
    assert browser.get(callback_for(harness, authorize)).is_redirect
    (token,) = workos.requests_to("/sso/token")
    verifier = token.json()["code_verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == query["code_challenge"]
    assert browser.page().email == FIXTURE_EMAIL


# --- settings and answers -----------------------------------------------------------------------


def _named(flask: str, django: str, starlette: str) -> dict[str, str]:
    """The setting as each framework's message names it."""
    return {
        "flask": f"app.config['{flask}']" if flask != "SECRET_KEY" else flask,
        "django": f"WORKOS_SSO['{django}']" if django != "SECRET_KEY" else django,
        "starlette": starlette,
    }


BAD_SETTINGS = [
    pytest.param(
        {"sign_in_page": "//evil.example"},
        _named("WORKOS_SSO_SIGN_IN_PAGE", "SIGN_IN_PAGE", "sign_in_page"),
        id="sign-in-page-off-site",
    ),
    pytest.param(
        {"https": True, "secret": "change-me"},
        _named("SECRET_KEY", "SECRET_KEY", "secret_key"),
        id="placeholder-secret",
    ),
    pytest.param(
        {"https": True, "secret": "0123456789abcdef"},
        _named("SECRET_KEY", "SECRET_KEY", "secret_key"),
        id="short-secret",
    ),
    pytest.param(
        {"allowed_organizations": FIXTURE_ORGANIZATION},
        _named("WORKOS_ALLOWED_ORGANIZATIONS", "ALLOWED_ORGANIZATIONS", "allowed_organizations"),
        id="organizations-not-a-list",
    ),
    pytest.param(
        {
            "allowed_organizations": [FIXTURE_ORGANIZATION],
            "default_organization": OTHER_ORGANIZATION,
        },
        _named("WORKOS_ORGANIZATION_ID", "ORGANIZATION", "default_organization"),
        id="default-outside-the-list",
    ),
    pytest.param(
        {"allowed_organizations": [FIXTURE_ORGANIZATION], "allowed_providers": "GoogleOAuth"},
        _named("WORKOS_ALLOWED_PROVIDERS", "ALLOWED_PROVIDERS", "allowed_providers"),
        id="providers-not-a-list",
    ),
]


@pytest.mark.parametrize(("settings", "named"), BAD_SETTINGS)
def test_bad_settings_are_refused_at_start_up(
    sites: Sites, framework: str, settings: dict[str, Any], named: dict[str, str]
) -> None:
    if framework != "django":
        with pytest.raises(workos_sso.ConfigurationError, match=re.escape(named[framework])):
            sites(**settings)
        return
    # Django: manage.py check reports it, and the first sign-in refuses to run on it.
    harness = sites(**settings)
    assert any(named["django"] in error for error in harness.start_up_errors), (
        harness.start_up_errors
    )
    with pytest.raises(Exception, match=re.escape(named["django"])):
        harness.browser().get(f"{harness.login_path}?organization={FIXTURE_ORGANIZATION}")


def test_redirects_use_the_frameworks_status(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    expected = 303 if harness.framework == "starlette" else 302
    browser = harness.browser()
    authorize = start(browser)
    answers = [
        browser.answers[-1],
        browser.get(callback_for(harness, authorize)),
        browser.get(callback_for(harness, authorize)),  # refused
        browser.post(harness.logout_path),
    ]
    assert [answer.status for answer in answers] == [expected] * 4


def test_a_repeated_parameter_is_read_once_the_same_way(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    # The first value counts, for the policy and for WorkOS alike.
    twice = f"organization={OTHER_ORGANIZATION}&organization={FIXTURE_ORGANIZATION}"
    refused(browser.get(f"{harness.login_path}?{twice}"), harness)
    shown(browser, RefusalReason.ORGANIZATION_NOT_ALLOWED)
    twice = f"organization={FIXTURE_ORGANIZATION}&organization={OTHER_ORGANIZATION}"
    answer = browser.get(f"{harness.login_path}?{twice}")
    assert answer.is_redirect
    assert authorize_query(str(answer.location))["organization"] == FIXTURE_ORGANIZATION


def test_starting_a_sign_in_by_email_is_post_only(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    answer = browser.get(f"{harness.login_email_path}?{urlencode({'email': FIXTURE_EMAIL})}")
    assert answer.status == 405 or workos.url not in str(answer.location), answer.status
    assert workos.server.requests == []


@pytest.mark.parametrize("hostile", ["//x.example", "/\\x.example", "/\t/x.example", "https:x"])
def test_a_hostile_next_from_the_email_form_never_leaves_the_site(
    sites: Sites, workos: WorkOS, hostile: str
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    answer = browser.post(harness.login_email_path, {"email": FIXTURE_EMAIL, "next": hostile})
    back = browser.get(callback_for(harness, str(answer.location)))
    assert back.location == "/"
    workos.connection = {"organization_id": OTHER_ORGANIZATION}
    answer = browser.post(harness.login_email_path, {"email": FIXTURE_EMAIL, "next": hostile})
    assert refused(answer, harness) == harness.settings.sign_in_page


def test_signing_in_as_another_user_replaces_the_session(sites: Sites, workos: WorkOS) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    browser = harness.browser()
    sign_in(browser)
    browser.remember()
    first_cookie = browser.session_cookie
    workos.profile = {
        "id": f"prof_01OTHER{uuid.uuid4().hex.upper()}",
        "email": "bo@fixture.example",
    }
    sign_in(browser)
    page = browser.page()
    assert page.email == "bo@fixture.example"
    assert page.authenticated
    assert REMEMBERED_KEY not in page.session
    assert browser.session_cookie != first_cookie


def test_sign_out_ends_on_the_after_sign_out_page(sites: Sites, loopback: LoopbackServer) -> None:
    workos = WorkOS(loopback)
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION], after_sign_out="/signed-out")
    browser = harness.browser()
    assert browser.post(harness.logout_path).location == "/signed-out"  # nobody signed in
    sign_in(browser)
    loopback.always(Route({"/sso/logout/authorize": Reply.json(500, {"message": MARKER})}))
    assert browser.post(harness.logout_path).location == "/signed-out"
    page = browser.page("/signed-out")
    assert page.user is None
    assert page.messages == []
    assert len(workos.requests_to("/sso/logout/authorize")) == 1


@pytest.mark.parametrize(
    ("route", "form"),
    [("logout", {}), ("login_email", {"email": FIXTURE_EMAIL}), ("login_email", {"email": "x"})],
    ids=["logout", "login-email", "login-email-refused"],
)
def test_a_form_posted_from_another_site_does_not_sign_the_user_out(
    sites: Sites, workos: WorkOS, route: str, form: dict[str, str]
) -> None:
    harness = sites(allowed_organizations=[FIXTURE_ORGANIZATION])
    victim = harness.browser()
    sign_in(victim)
    # SameSite=Lax keeps the session cookie off a cross-site POST, so the app sees no session;
    # but the post is a top-level navigation, so the browser stores any cookie the answer sets:
    # a session cookie set here replaces the signed-in one.
    answer = harness.cross_site_post(getattr(harness, f"{route}_path"), form)
    assert answer.cookie(harness.session_cookie_name) is None, answer.set_cookies
