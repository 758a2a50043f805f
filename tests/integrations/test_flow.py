"""``workos_sso.integrations._flow`` alone: no framework, no socket.

Each route is a generator. These tests drive it by hand, the way h11's tests drive a connection:
plain dicts for the query and the session, ``send`` for what an effect returned, ``throw`` for
what it raised, and assertions on every effect yielded and on the final ``Redirect`` or
``Refusal``. ``_drive`` (which pumps the same generators against a client) gets a fake client.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import warnings
from collections.abc import Iterator
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

import attrs
import pytest

from tests.loopback import LOOPBACK_API_KEY, LOOPBACK_CLIENT_ID
from tests.payload_fixtures import (
    connection_fixture,
    logout_authorization_fixture,
    profile_and_token_fixture,
)
from workos_sso import (
    ConfigurationError,
    Connection,
    InvalidGrantError,
    LogoutAuthorization,
    NoSSOForDomainError,
    ProfileAndToken,
    ServerError,
    SessionUser,
    SignInRefused,
    SSOClient,
    WorkOSError,
)
from workos_sso._convert import structure
from workos_sso.integrations import _drive
from workos_sso.integrations._flow import (
    SESSION_PENDING_KEY,
    SESSION_USER_KEY,
    AcceptSignIn,
    AuthorizeLogout,
    EndSession,
    ExchangeCode,
    FindConnection,
    Redirect,
    Refusal,
    Response,
    SignInFlow,
    StartSession,
    Steps,
    with_next,
)
from workos_sso.integrations._policy import (
    ANY_ORGANIZATION,
    RefusalReason,
    SignInPolicy,
    check_secret_key,
    check_site_path,
)

ORGANIZATION = "org_01FIXTUREORGANIZATION00001"
CONNECTION = "conn_01FIXTURECONNECTION000001"
OTHER = "org_01OTHERORGANIZATION000001"
EMAIL = "ada@fixture.example"
SECRET = "flow-tests-secret-0123456789abcdef-0123"
REDIRECT_URI = "https://app.example.com/callback"
NOW = 1_800_000_000.0

SETTINGS_NAMES = {
    "organizations_setting": "ORGS",
    "providers_setting": "PROVIDERS",
    "default_setting": "DEFAULT",
}


# --- making flows and answers -----------------------------------------------------------------


@pytest.fixture
def client() -> Iterator[SSOClient]:
    """Builds authorization URLs only: nothing listens at its base URL, and nothing is sent."""
    with SSOClient(
        api_key=LOOPBACK_API_KEY, client_id=LOOPBACK_CLIENT_ID, base_url="http://127.0.0.1:9"
    ) as made:
        yield made


def policy(
    organizations: Optional[frozenset[str]] = frozenset({ORGANIZATION}),
    providers: frozenset[str] = frozenset(),
    default: Optional[str] = None,
) -> SignInPolicy:
    return SignInPolicy(
        organizations=organizations, providers=providers, default_organization=default
    )


def make_flow(client: SSOClient, **changes: Any) -> SignInFlow:
    settings: dict[str, Any] = {
        "client": client,
        "redirect_uri": REDIRECT_URI,
        "secret": SECRET,
        "policy": policy(),
        "sign_in_page": "/sign-in",
        "after_sign_out": "/bye",
        "default_next": "/",
        "clock": lambda: NOW,
    }
    settings.update(changes)
    return SignInFlow(**settings)


def answer_of(steps: Steps, value: Any = None) -> Response:
    """Send ``value`` and expect the route to finish."""
    with pytest.raises(StopIteration) as finished:
        steps.send(value)
    answer: Response = finished.value.value
    return answer


def thrown_answer(steps: Steps, error: BaseException) -> Response:
    with pytest.raises(StopIteration) as finished:
        steps.throw(error)
    answer: Response = finished.value.value
    return answer


def first(steps: Steps) -> Any:
    """The first effect, or the answer if the route finishes without one."""
    try:
        return next(steps)
    except StopIteration as finished:
        return finished.value


def profile_and_token(**profile: Any) -> ProfileAndToken:
    payload = profile_and_token_fixture()
    payload["profile"].update(profile)
    return structure(payload, ProfileAndToken, what="the token answer")


def connection(**changes: Any) -> Connection:
    return structure({**connection_fixture(CONNECTION), **changes}, Connection, what="connection")


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def started(flow: SignInFlow, session: dict[str, Any], **query: str) -> str:
    """``login`` with this query, which must go to WorkOS; the authorization URL."""
    answer = first(flow.login(query, session))
    assert isinstance(answer, Redirect), answer
    return answer.location


def callback_query(url: str, code: str = "code-0001") -> dict[str, str]:
    return {"code": code, "state": query_of(url)["state"]}


SIGNED_IN = SessionUser(id="prof_before", email="before@fixture.example", connection_id=CONNECTION)


# --- login ------------------------------------------------------------------------------------


def test_login_without_a_selector_or_default_asks_and_keeps_next(client: SSOClient) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {}
    answer = first(flow.login({"next": "/reports?tab=1"}, session))
    assert answer == Refusal(
        RefusalReason.CHOOSE, "/sign-in?next=%2Freports%3Ftab%3D1", RefusalReason.CHOOSE.message
    )
    assert session == {}
    # An unsafe next is dropped, not carried to the sign-in page.
    assert first(flow.login({"next": "//evil.example"}, session)).location == "/sign-in"


def test_login_goes_to_the_default_organization_and_keeps_a_pending_sign_in(
    client: SSOClient,
) -> None:
    flow = make_flow(client, policy=policy(default=ORGANIZATION))
    session: dict[str, Any] = {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    url = started(flow, session, next="/after")
    assert url.startswith("http://127.0.0.1:9/sso/authorize?")
    query = query_of(url)
    assert query["organization"] == ORGANIZATION
    assert query["redirect_uri"] == REDIRECT_URI
    assert "code_challenge" not in query
    assert session[SESSION_PENDING_KEY] == {
        "state": query["state"],
        "code_verifier": None,
        "provider": None,
    }
    assert session[SESSION_USER_KEY] == SIGNED_IN.to_dict()  # nothing else touched


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"organization": OTHER}, RefusalReason.ORGANIZATION_NOT_ALLOWED),
        ({"provider": "GoogleOAuth"}, RefusalReason.PROVIDER_NOT_ALLOWED),
        ({"organization": ORGANIZATION, "connection": CONNECTION}, RefusalReason.ONE_SELECTOR),
        ({"organization": ORGANIZATION, "provider": "GoogleOAuth"}, RefusalReason.ONE_SELECTOR),
    ],
)
def test_login_refuses_before_workos(
    client: SSOClient, query: dict[str, str], reason: RefusalReason
) -> None:
    session: dict[str, Any] = {}
    answer = first(make_flow(client).login(query, session))
    assert answer == Refusal(reason, "/sign-in", reason.message)
    assert session == {}


def test_login_takes_a_connection_whose_organization_is_checked_later(client: SSOClient) -> None:
    session: dict[str, Any] = {}
    query = query_of(started(make_flow(client), session, connection=CONNECTION))
    assert query["connection"] == CONNECTION
    assert "organization" not in query


def test_login_with_a_listed_provider_remembers_it(client: SSOClient) -> None:
    flow = make_flow(client, policy=policy(providers=frozenset({"GoogleOAuth"})))
    session: dict[str, Any] = {}
    assert query_of(started(flow, session, provider="GoogleOAuth"))["provider"] == "GoogleOAuth"
    assert session[SESSION_PENDING_KEY]["provider"] == "GoogleOAuth"


def test_login_with_pkce_keeps_the_verifier_of_the_challenge(client: SSOClient) -> None:
    session: dict[str, Any] = {}
    query = query_of(started(make_flow(client, pkce=True), session, organization=ORGANIZATION))
    verifier = session[SESSION_PENDING_KEY]["code_verifier"]
    assert query["code_challenge_method"] == "S256"
    digest = hashlib.sha256(verifier.encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == query["code_challenge"]


def test_login_takes_the_first_of_repeated_values(client: SSOClient) -> None:
    session: dict[str, Any] = {}
    url = started(make_flow(client), session, organization=ORGANIZATION)
    assert query_of(url)["organization"] == ORGANIZATION
    answer = first(make_flow(client).login({"organization": [OTHER, ORGANIZATION]}, session))
    assert isinstance(answer, Refusal)
    assert answer.reason is RefusalReason.ORGANIZATION_NOT_ALLOWED


# --- login by email ---------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["", "   ", "not-an-email", "@fixture.example"])
def test_login_by_email_refuses_what_is_not_an_address(client: SSOClient, email: str) -> None:
    answer = first(make_flow(client).login_by_email({"email": email}, {}, {}))
    assert answer == Refusal(RefusalReason.BAD_EMAIL, "/sign-in", RefusalReason.BAD_EMAIL.message)


def test_login_by_email_asks_for_the_connection_and_goes_there(client: SSOClient) -> None:
    session: dict[str, Any] = {}
    steps = make_flow(client).login_by_email({"email": f"  {EMAIL} ", "next": "/r"}, session, {})
    assert next(steps) == FindConnection(EMAIL)
    answer = answer_of(steps, connection())
    assert isinstance(answer, Redirect)
    query = query_of(answer.location)
    assert (query["connection"], query["login_hint"]) == (CONNECTION, EMAIL)
    assert SESSION_PENDING_KEY in session


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (NoSSOForDomainError("none", domain="fixture.example"), RefusalReason.NO_SSO_FOR_DOMAIN),
        (ServerError("down", status_code=503), RefusalReason.FAILED),
        (connection(organization_id=OTHER), RefusalReason.ORGANIZATION_NOT_ALLOWED),
    ],
    ids=["no-sso", "workos-down", "outside"],
)
def test_login_by_email_refusals(client: SSOClient, outcome: Any, reason: RefusalReason) -> None:
    session: dict[str, Any] = {}
    steps = make_flow(client).login_by_email({"email": EMAIL, "next": "/r"}, session, {})
    assert isinstance(next(steps), FindConnection)
    if isinstance(outcome, BaseException):
        answer = thrown_answer(steps, outcome)
    else:
        answer = answer_of(steps, outcome)
    assert answer == Refusal(reason, "/sign-in?next=%2Fr", reason.message)
    assert session == {}


# --- the callback -----------------------------------------------------------------------------


def test_a_sign_in_from_start_to_end(client: SSOClient) -> None:
    flow = make_flow(client, pkce=True)
    session: dict[str, Any] = {"kept": "until sign-in"}
    url = started(flow, session, organization=ORGANIZATION, next="/reports")
    verifier = session[SESSION_PENDING_KEY]["code_verifier"]
    steps = flow.callback(callback_query(url), session)
    assert next(steps) == ExchangeCode("code-0001", verifier)
    assert SESSION_PENDING_KEY not in session  # popped before anything else
    answer = profile_and_token()
    accept = steps.send(answer)
    assert isinstance(accept, AcceptSignIn)
    assert accept.result.profile == answer.profile
    assert accept.result.return_to == "/reports"
    user = SessionUser.from_profile(answer.profile)
    assert steps.send(None) == StartSession(user)
    session.clear()  # what the adapter does for StartSession
    assert answer_of(steps) == Redirect("/reports")
    assert session == {SESSION_USER_KEY: user.to_dict()}
    assert flow.current_user(session) == user


def test_a_callback_without_a_pending_sign_in_is_refused_without_a_request(
    client: SSOClient,
) -> None:
    flow = make_flow(client)
    url = started(flow, {}, organization=ORGANIZATION)  # in another session
    session: dict[str, Any] = {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    answer = first(flow.callback(callback_query(url), session))
    assert answer == Refusal(RefusalReason.EXPIRED, "/sign-in", RefusalReason.EXPIRED.message)
    assert session == {SESSION_USER_KEY: SIGNED_IN.to_dict()}


@pytest.mark.parametrize(
    "pending",
    [
        "a string",
        {"state": None},
        {"state": 7},
        {"code_verifier": "v"},
        {"state": "s", "provider": ["GoogleOAuth"]},
    ],
)
def test_a_malformed_pending_sign_in_is_no_pending_sign_in(client: SSOClient, pending: Any) -> None:
    session: dict[str, Any] = {SESSION_PENDING_KEY: pending}
    answer = first(make_flow(client).callback({"code": "c", "state": "s"}, session))
    assert isinstance(answer, Refusal)
    assert answer.reason is RefusalReason.EXPIRED
    assert session == {}


@pytest.mark.parametrize(
    "change",
    ["tampered", "another secret", "missing", "expired", "no code"],
)
def test_a_bad_state_is_refused_and_spends_the_pending_sign_in(
    client: SSOClient, change: str
) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    url = started(flow, session, organization=ORGANIZATION)
    query = callback_query(url)
    if change == "tampered":
        query["state"] = query["state"][:-2] + ("AA" if query["state"][-2:] != "AA" else "BB")
    elif change == "another secret":
        other = make_flow(client, secret="another-secret-0123456789abcdef-0123")
        query["state"] = query_of(started(other, {}, organization=ORGANIZATION))["state"]
        session[SESSION_PENDING_KEY]["state"] = query["state"]
    elif change == "missing":
        del query["state"]
    elif change == "expired":
        flow = attrs.evolve(flow, clock=lambda: NOW + flow.state_max_age + 1)
    else:
        del query["code"]
    answer = first(flow.callback(query, session))
    assert answer == Refusal(RefusalReason.EXPIRED, "/sign-in", RefusalReason.EXPIRED.message)
    assert session == {SESSION_USER_KEY: SIGNED_IN.to_dict()}


HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("access_denied", RefusalReason.DENIED),
        ("ambiguous_connection_selector", RefusalReason.MISCONFIGURED),
        ("connection_invalid", RefusalReason.MISCONFIGURED),
        ("connection_strategy_invalid", RefusalReason.MISCONFIGURED),
        ("connection_unlinked", RefusalReason.MISCONFIGURED),
        ("invalid_connection_selector", RefusalReason.MISCONFIGURED),
        ("organization_invalid", RefusalReason.MISCONFIGURED),
        ("redirect_uri_mismatch", RefusalReason.MISCONFIGURED),
        ("profile_not_allowed_outside_organization", RefusalReason.OUTSIDE_ORGANIZATION),
        ("oauth_failed", RefusalReason.FAILED),
        ("server_error", RefusalReason.FAILED),
        (HOSTILE, RefusalReason.FAILED),
    ],
)
def test_an_error_callback_is_a_fixed_sentence(
    client: SSOClient, error: str, reason: RefusalReason
) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    state = query_of(started(flow, session, organization=ORGANIZATION))["state"]
    query = {"error": error, "error_description": HOSTILE * 50, "state": state}
    answer = first(flow.callback(query, session))
    assert answer == Refusal(reason, "/sign-in", reason.message)
    assert session == {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    # Without any pending sign-in too (a forged link): the same sentence, nothing else gone.
    assert first(flow.callback({"error": error}, session)) == answer
    assert session == {SESSION_USER_KEY: SIGNED_IN.to_dict()}


def test_every_reason_has_its_own_sentence_free_of_markup() -> None:
    sentences = [reason.message for reason in RefusalReason]
    assert len(set(sentences)) == len(sentences)
    for sentence in sentences:
        assert sentence.endswith(".")
        assert not set(sentence) & set("<>&\"'{}")


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (InvalidGrantError("spent", status_code=400, code="invalid_grant"), RefusalReason.EXPIRED),
        (ServerError("down", status_code=500), RefusalReason.FAILED),
        (WorkOSError("unreachable"), RefusalReason.FAILED),
    ],
)
def test_a_failed_code_exchange_is_refused(
    client: SSOClient, error: WorkOSError, reason: RefusalReason
) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    steps = flow.callback(
        callback_query(started(flow, session, organization=ORGANIZATION)), session
    )
    assert isinstance(next(steps), ExchangeCode)
    assert thrown_answer(steps, error) == Refusal(reason, "/sign-in", reason.message)
    assert session == {SESSION_USER_KEY: SIGNED_IN.to_dict()}


def test_a_profile_of_another_organization_than_asked_is_refused(client: SSOClient) -> None:
    flow = make_flow(client, policy=policy(organizations=None))
    session: dict[str, Any] = {}
    steps = flow.callback(
        callback_query(started(flow, session, organization=ORGANIZATION)), session
    )
    next(steps)
    reason = RefusalReason.ORGANIZATION_NOT_ALLOWED
    # UnexpectedOrganizationError inside: the state named another organization.
    assert answer_of(steps, profile_and_token(organization_id=OTHER)) == Refusal(
        reason, "/sign-in", reason.message
    )


def test_a_connections_profile_outside_the_policy_is_refused(client: SSOClient) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {}
    steps = flow.callback(callback_query(started(flow, session, connection=CONNECTION)), session)
    assert isinstance(next(steps), ExchangeCode)
    answer = answer_of(steps, profile_and_token(organization_id=OTHER))
    assert isinstance(answer, Refusal)
    assert answer.reason is RefusalReason.ORGANIZATION_NOT_ALLOWED
    assert session == {}


@pytest.mark.parametrize(
    ("connection_type", "allowed"),
    [("GoogleOAuth", True), ("OktaSAML", False), ("MicrosoftOAuth", False)],
)
def test_a_provider_sign_in_must_come_back_from_that_provider(
    client: SSOClient, connection_type: str, allowed: bool
) -> None:
    flow = make_flow(client, policy=policy(providers=frozenset({"GoogleOAuth"})))
    session: dict[str, Any] = {}
    steps = flow.callback(callback_query(started(flow, session, provider="GoogleOAuth")), session)
    next(steps)
    profile = profile_and_token(connection_type=connection_type, organization_id=None)
    if allowed:
        assert isinstance(steps.send(profile), AcceptSignIn)
        return
    reason = RefusalReason.PROVIDER_NOT_ALLOWED
    assert answer_of(steps, profile) == Refusal(reason, "/sign-in", reason.message)


def _at_accept(flow: SignInFlow, session: dict[str, Any]) -> Steps:
    steps = flow.callback(
        callback_query(started(flow, session, organization=ORGANIZATION)), session
    )
    next(steps)
    assert isinstance(steps.send(profile_and_token()), AcceptSignIn)
    return steps


@pytest.mark.parametrize("refusal", [SignInRefused("Staff only."), SignInRefused()])
def test_the_hook_refusing_keeps_the_session(client: SSOClient, refusal: SignInRefused) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    steps = _at_accept(flow, session)
    answer = thrown_answer(steps, refusal)
    assert answer == Refusal(RefusalReason.APP_REFUSED, "/sign-in", refusal.message)
    assert session == {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    assert SignInRefused().message == RefusalReason.APP_REFUSED.message


def test_the_hook_may_return_a_user_of_its_own(client: SSOClient) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {}
    steps = _at_accept(flow, session)
    mine = SessionUser(id="app-7", email="ada@app.example", connection_id=CONNECTION, role="x")
    assert steps.send(mine) == StartSession(mine)
    assert answer_of(steps) == Redirect("/")
    assert session[SESSION_USER_KEY] == mine.to_dict()


@pytest.mark.parametrize("wrong", [{"id": "x"}, "user", 7])
def test_the_hook_returning_anything_else_is_a_bug(client: SSOClient, wrong: Any) -> None:
    steps = _at_accept(make_flow(client), {})
    with pytest.raises(TypeError, match="on_sign_in must return a SessionUser or None"):
        steps.send(wrong)


# --- logout -----------------------------------------------------------------------------------


def test_logout_ends_the_session_then_the_identity_providers(client: SSOClient) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    steps = flow.logout(session, {})
    assert next(steps) == EndSession()
    assert steps.send(None) == AuthorizeLogout(SIGNED_IN.id)
    logout = structure(logout_authorization_fixture(), LogoutAuthorization, what="logout")
    assert answer_of(steps, logout) == Redirect(logout.logout_url)


def test_logout_when_workos_fails_ends_here(client: SSOClient) -> None:
    steps = make_flow(client).logout({SESSION_USER_KEY: SIGNED_IN.to_dict()}, {})
    next(steps)
    assert isinstance(steps.send(None), AuthorizeLogout)
    assert thrown_answer(steps, ServerError("down", status_code=502)) == Redirect("/bye")


@pytest.mark.parametrize("record", ["junk", {"id": "prof_1"}])
def test_logout_without_a_user_only_ends_the_session(client: SSOClient, record: Any) -> None:
    steps = make_flow(client).logout({SESSION_USER_KEY: record}, {})
    assert next(steps) == EndSession()
    assert answer_of(steps) == Redirect("/bye")


def test_logout_leaves_an_empty_session_alone(client: SSOClient) -> None:
    """Ending it would set a cookie: the browser's own may be signed in (a cross-site post)."""
    assert first(make_flow(client).logout({}, {})) == Redirect("/bye")


# --- forms posted from another site -----------------------------------------------------------

CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"sec-fetch-site": "Cross-Site", "Origin": "https://app.example.com"},
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://app.example.com"},
]
SAME_SITE = [
    {},
    {"Sec-Fetch-Site": "same-origin", "Origin": "https://app.example.com"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "https://APP.example.com"},
]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_a_cross_site_post_changes_no_session(client: SSOClient, headers: dict[str, str]) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    assert flow.is_cross_site(headers)
    assert first(flow.logout(session, headers)) == Redirect("/bye")
    assert first(flow.login_by_email({"email": EMAIL}, session, headers)) == Redirect("/sign-in")
    assert session == {SESSION_USER_KEY: SIGNED_IN.to_dict()}


@pytest.mark.parametrize("headers", SAME_SITE)
def test_a_same_site_post_is_taken(client: SSOClient, headers: dict[str, str]) -> None:
    flow = make_flow(client)
    assert not flow.is_cross_site(headers)
    session: dict[str, Any] = {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    assert next(flow.logout(session, headers)) == EndSession()
    assert isinstance(first(flow.login_by_email({"email": EMAIL}, {}, headers)), FindConnection)


# --- _drive: the same generators against a client ---------------------------------------------


class FakeClient:
    """What ``_drive`` asks of a client, answering from payload fixtures; records the calls."""

    def __init__(self, failure: Optional[WorkOSError] = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.failure = failure

    def get_profile_and_token(self, code: str, *, code_verifier: Optional[str]) -> ProfileAndToken:
        self.calls.append(("token", (code, code_verifier)))
        if self.failure is not None:
            raise self.failure
        return profile_and_token()

    def authorize_logout(self, *, profile_id: str) -> LogoutAuthorization:
        self.calls.append(("logout", profile_id))
        return structure(logout_authorization_fixture(), LogoutAuthorization, what="logout")


class AsyncFakeClient(FakeClient):
    async def get_profile_and_token(  # type: ignore[override]
        self, code: str, *, code_verifier: Optional[str]
    ) -> ProfileAndToken:
        return super().get_profile_and_token(code, code_verifier=code_verifier)

    async def authorize_logout(self, *, profile_id: str) -> LogoutAuthorization:  # type: ignore[override]
        return super().authorize_logout(profile_id=profile_id)


def test_run_asks_workos_itself_and_the_adapter_for_the_rest(client: SSOClient) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {}
    url = started(flow, session, organization=ORGANIZATION)
    fake = FakeClient()
    effects: list[Any] = []

    def framework(effect: Any) -> None:
        effects.append(effect)

    answer = _drive.run(flow.callback(callback_query(url), session), fake, framework)  # type: ignore[arg-type]
    assert answer == Redirect("/")
    assert fake.calls == [("token", ("code-0001", None))]
    assert [type(effect) for effect in effects] == [AcceptSignIn, StartSession]


def test_run_throws_the_hooks_refusal_and_workos_errors_into_the_route(client: SSOClient) -> None:
    flow = make_flow(client)

    def refuse(effect: Any) -> None:
        raise SignInRefused("No.")

    session: dict[str, Any] = {}
    url = started(flow, session, organization=ORGANIZATION)
    answer = _drive.run(flow.callback(callback_query(url), session), FakeClient(), refuse)  # type: ignore[arg-type]
    assert answer == Refusal(RefusalReason.APP_REFUSED, "/sign-in", "No.")
    url = started(flow, session, organization=ORGANIZATION)
    failing = FakeClient(InvalidGrantError("spent", status_code=400, code="invalid_grant"))
    answer = _drive.run(flow.callback(callback_query(url), session), failing, refuse)  # type: ignore[arg-type]
    assert isinstance(answer, Refusal)
    assert answer.reason is RefusalReason.EXPIRED


def test_run_lets_a_bug_in_the_adapter_through(client: SSOClient) -> None:
    flow = make_flow(client)

    def broken(effect: Any) -> None:
        raise KeyError("a bug")

    session: dict[str, Any] = {}
    url = started(flow, session, organization=ORGANIZATION)
    with pytest.raises(KeyError):
        _drive.run(flow.callback(callback_query(url), session), FakeClient(), broken)  # type: ignore[arg-type]


def test_run_async_awaits_the_client_and_an_async_hook(client: SSOClient) -> None:
    flow = make_flow(client)
    session: dict[str, Any] = {SESSION_USER_KEY: SIGNED_IN.to_dict()}
    mine = SessionUser(id="app-7", email="ada@app.example", connection_id=CONNECTION)

    async def framework(effect: Any) -> Optional[SessionUser]:
        return mine if isinstance(effect, AcceptSignIn) else None

    url = started(flow, session, organization=ORGANIZATION)
    fake = AsyncFakeClient()
    steps = flow.callback(callback_query(url), session)
    answer = asyncio.run(_drive.run_async(steps, fake, framework))  # type: ignore[arg-type]
    assert answer == Redirect("/")
    assert session[SESSION_USER_KEY] == mine.to_dict()
    logout = asyncio.run(_drive.run_async(flow.logout(session, {}), fake, framework))  # type: ignore[arg-type]
    assert logout == Redirect(logout_authorization_fixture()["logout_url"])
    assert fake.calls[-1] == ("logout", "app-7")


# --- the policy from settings -----------------------------------------------------------------


def from_settings(
    organizations: object = None, providers: object = None, default: Optional[str] = None
) -> SignInPolicy:
    return SignInPolicy.from_settings(
        allowed_organizations=organizations,
        allowed_providers=providers,
        default_organization=default,
        **SETTINGS_NAMES,
    )


def test_unset_organizations_without_a_default_admit_any_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="ORGS is not set and there is no DEFAULT") as caught:
        read = from_settings()
    assert caught[0].filename == __file__  # stacklevel points at the adapter's call
    assert read.organizations is None
    assert read.allows_organization(OTHER)
    assert not read.allows_organization(None)
    assert read.providers == frozenset()


@pytest.mark.parametrize(
    ("organizations", "default", "expected"),
    [
        (None, ORGANIZATION, frozenset({ORGANIZATION})),
        (ANY_ORGANIZATION, None, None),
        (ANY_ORGANIZATION, ORGANIZATION, None),
        ([ORGANIZATION, OTHER], OTHER, frozenset({ORGANIZATION, OTHER})),
        ((ORGANIZATION,), None, frozenset({ORGANIZATION})),
        ([], None, frozenset()),
    ],
)
def test_the_allowed_organizations(
    organizations: object, default: Optional[str], expected: Optional[frozenset[str]]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read = from_settings(organizations, ["GoogleOAuth"], default)
    assert read.organizations == expected
    assert read.default_organization == default
    assert read.providers == frozenset({"GoogleOAuth"})


@pytest.mark.parametrize(
    ("organizations", "providers", "default", "named"),
    [
        ("org_1", None, None, r"ORGS must be a list such as \[.org_01H"),
        (b"*", None, None, r"ORGS must be a list such as \[.org_01H"),
        (7, None, None, r"ORGS must be a list such as \[.org_01H"),
        ([ORGANIZATION, ""], None, None, "ORGS must hold non-empty strings"),
        ([" org_1"], None, None, "ORGS must hold non-empty strings"),
        ([ORGANIZATION, 7], None, None, "ORGS must hold non-empty strings"),
        ([ORGANIZATION], None, OTHER, f"DEFAULT '{OTHER}' is not in ORGS"),
        (None, None, "", "DEFAULT must be an organization id"),
        (None, None, "  ", "DEFAULT must be an organization id"),
        (None, "GoogleOAuth", ORGANIZATION, r"PROVIDERS must be a list such as \[.GoogleOAuth.\]"),
        (None, ["GoogleOAuth", None], ORGANIZATION, "PROVIDERS must hold non-empty strings"),
    ],
)
def test_malformed_policy_settings_are_refused(
    organizations: object, providers: object, default: Optional[str], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        from_settings(organizations, providers, default)


def test_an_allowed_organization_must_match_exactly() -> None:
    read = policy()
    assert read.allows_organization(ORGANIZATION)
    for near in (ORGANIZATION.lower(), ORGANIZATION + " ", ORGANIZATION[:-1], ""):
        assert not read.allows_organization(near)


# --- the other settings -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   ", b"", 7, ["secret"]])
def test_a_secret_key_is_required(value: object) -> None:
    with pytest.raises(ConfigurationError, match="Set SECRET_KEY to a random value"):
        check_secret_key(value, redirect_uri="http://127.0.0.1:5000/callback", setting="SECRET_KEY")


@pytest.mark.parametrize(
    "value",
    [
        "change-me",
        "CHANGEME",
        "dev",
        "secret",
        "secret-key",
        "your-secret-key",
        "a-long-random-value-for-local-development",
        "django-insecure-" + "x" * 40,
        b"secret",
    ],
)
def test_a_placeholder_secret_is_refused_outside_local_development(value: object) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY is a placeholder"):
        check_secret_key(value, redirect_uri=REDIRECT_URI, setting="SECRET_KEY")
    # On plain-HTTP loopback it is only development.
    local = "http://127.0.0.1:5000/callback"
    assert check_secret_key(value, redirect_uri=local, setting="SECRET_KEY") == value


def test_a_short_secret_is_refused_outside_local_development() -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY is too short"):
        check_secret_key("x" * 31, redirect_uri=REDIRECT_URI, setting="SECRET_KEY")
    # Bytes count, not characters: 11 three-byte characters are 33 bytes.
    assert check_secret_key("€" * 11, redirect_uri=REDIRECT_URI, setting="S") == "€" * 11
    assert check_secret_key(b"y" * 32, redirect_uri=REDIRECT_URI, setting="S") == b"y" * 32
    assert check_secret_key("x" * 31, redirect_uri="http://localhost/cb", setting="S") == "x" * 31


@pytest.mark.parametrize("value", ["/", "/sign-in", "/sign-in?next=%2F", "/a/b#c"])
def test_a_site_path_setting(value: str) -> None:
    assert check_site_path(value, setting="SIGN_IN_PAGE") == value


@pytest.mark.parametrize(
    "value", ["", "sign-in", "//evil.example", "/\\evil.example", "https://x.example/", "/a b", 7]
)
def test_a_site_path_setting_must_stay_on_the_site(value: object) -> None:
    with pytest.raises(ConfigurationError, match="SIGN_IN_PAGE must be a path on this site"):
        check_site_path(value, setting="SIGN_IN_PAGE")


@pytest.mark.parametrize(
    "redirect_uri", ["http://app.example.com/callback", "/callback", "ftp://127.0.0.1/cb"]
)
def test_a_flow_checks_its_redirect_uri(client: SSOClient, redirect_uri: str) -> None:
    with pytest.raises(ConfigurationError):
        make_flow(client, redirect_uri=redirect_uri)


@pytest.mark.parametrize(
    ("page", "next_path", "expected"),
    [
        ("/", "/reports", "/?next=%2Freports"),
        ("/sign-in?tab=sso", "/r?x=1", "/sign-in?tab=sso&next=%2Fr%3Fx%3D1"),
        ("/sign-in", None, "/sign-in"),
        ("/sign-in", "/", "/sign-in"),
    ],
)
def test_with_next(page: str, next_path: Optional[str], expected: str) -> None:
    assert with_next(page, next_path) == expected


def test_current_user_reads_only_a_well_formed_record() -> None:
    assert SignInFlow.current_user({SESSION_USER_KEY: SIGNED_IN.to_dict()}) == SIGNED_IN
    junk: list[Any] = [None, "x", [], {"email": "a@b.example"}, {"id": 7, "email": "e"}]
    for record in junk:
        assert SignInFlow.current_user({SESSION_USER_KEY: record}) is None
