"""The login-flow helpers: state, return_to, the callback, domain routing, the session record.

Everything runs offline except the tests marked ``live``, which sign in against the emulator
(``nox -s emulator``) because only a real code exchange proves the callback's success path.

The tests of ``handle_callback``, ``start_sign_in`` and ``find_connection_for_email`` run once
per kind of client (the ``client_kind`` fixture, through the ``offline_sso`` and ``live_sso``
fixtures): with ``SSOClient`` and those functions, and with the ``AsyncSSOClient`` itself and
their ``*_async`` twins (see ``handle``, ``begin`` and ``find`` below). The state, return_to and
session-record tests need no client and run once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Optional
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests import admin, emulator
from tests.clients import Client, begin, find, handle, make_client
from tests.loopback import LoopbackServer, Reply, client_for
from tests.payload_fixtures import (
    connection_fixture,
    connection_list_fixture,
    profile_and_token_fixture,
)
from tests.signin import with_query
from workos_sso import (
    AccessDeniedError,
    AmbiguousConnectionSelectorError,
    CallbackError,
    ConnectionInvalidError,
    ConnectionStrategyInvalidError,
    ConnectionUnlinkedError,
    InvalidConnectionSelectorError,
    InvalidGrantError,
    InvalidParameterError,
    MissingStateError,
    NoSSOForDomainError,
    OAuthFailedError,
    OrganizationInvalidError,
    Profile,
    ProfileNotAllowedOutsideOrganizationError,
    Role,
    SessionUser,
    SignInError,
    SignInRedirectUriMismatchError,
    SignInServerError,
    StateError,
    StateExpiredError,
    StateMismatchError,
    StateTamperedError,
    UnexpectedOrganizationError,
    UnsafeReturnToError,
    WorkOSError,
    create_state,
    safe_return_to,
    validate_return_to,
    verify_state,
)
from workos_sso.testing import complete_sign_in

SECRET = "a-test-secret-that-is-long-enough"
REDIRECT_URI = "http://localhost:8000/callback"


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def offline_sso(client_kind: str) -> Iterator[Client]:
    """A client whose base URL has nothing listening: any request it sent would fail loudly."""
    with make_client(
        client_kind,
        api_key="sk_test_offline",
        client_id="client_offline",
        base_url="http://127.0.0.1:9",
        max_retries=0,
    ) as client:
        yield client


# --- state ----------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, SECRET, SECRET.encode()])
def test_state_round_trip_keeps_its_payload(secret: Optional[str]) -> None:
    clock = FrozenClock()
    state = create_state(
        return_to="/projects/7?tab=files",
        organization="org_1",
        connection="conn_1",
        secret=secret,
        max_age=300,
        clock=clock,
    )
    verified = verify_state(state.value, expected=state.value, secret=secret, clock=clock)
    assert verified == state
    assert verified.return_to == "/projects/7?tab=files"
    assert verified.organization == "org_1"
    assert verified.connection == "conn_1"
    assert verified.expires_at == int(clock.now) + 300
    assert verified.signed is (secret is not None)


def test_states_are_random_and_url_safe() -> None:
    values = {create_state(secret=SECRET).value for _ in range(50)}
    assert len(values) == 50
    for value in values:
        assert urlencode({"state": value}) == f"state={value}"


def test_state_repr_hides_the_value_and_nonce() -> None:
    state = create_state(secret=SECRET, organization="org_1")
    assert state.value not in repr(state)
    assert state.nonce not in repr(state)
    assert "org_1" in repr(state)


def test_expected_state_may_be_the_state_object() -> None:
    state = create_state()
    assert verify_state(state.value, expected=state).nonce == state.nonce


def _flip_last_char(text: str) -> str:
    return text[:-1] + ("A" if text[-1] != "A" else "B")


def test_signed_state_with_altered_payload_is_tampered() -> None:
    state = create_state(secret=SECRET, organization="org_1")
    payload, _, signature = state.value.partition(".")
    forged_payload = create_state(secret=None, organization="org_2").value
    forged = f"{forged_payload}.{signature}"
    with pytest.raises(StateTamperedError):
        verify_state(forged, expected=forged, secret=SECRET)
    assert payload != forged_payload


def test_signed_state_with_altered_signature_is_tampered() -> None:
    state = create_state(secret=SECRET)
    forged = _flip_last_char(state.value)
    with pytest.raises(StateTamperedError):
        verify_state(forged, expected=state.value, secret=SECRET)


def test_signed_state_without_signature_is_tampered() -> None:
    state = create_state(secret=SECRET)
    unsigned = state.value.partition(".")[0]
    with pytest.raises(StateTamperedError):
        verify_state(unsigned, expected=unsigned, secret=SECRET)


def test_state_checked_with_another_secret_is_tampered() -> None:
    state = create_state(secret=SECRET)
    with pytest.raises(StateTamperedError) as caught:
        verify_state(state.value, expected=state.value, secret="another-secret-just-as-long")
    assert SECRET not in str(caught.value)


def test_signed_state_checked_without_the_secret_is_refused() -> None:
    state = create_state(secret=SECRET)
    with pytest.raises(StateTamperedError, match="pass the secret"):
        verify_state(state.value, expected=state.value)


def test_unsigned_state_with_altered_payload_is_a_mismatch() -> None:
    state = create_state(organization="org_1")
    with pytest.raises(StateMismatchError):
        verify_state(_flip_last_char(state.value), expected=state.value)


def test_state_from_another_sign_in_is_a_mismatch() -> None:
    mine = create_state(secret=SECRET)
    theirs = create_state(secret=SECRET)
    with pytest.raises(StateMismatchError):
        verify_state(theirs.value, expected=mine.value, secret=SECRET)


@pytest.mark.parametrize(("received", "expected"), [(None, "x"), ("", "x"), ("x", None), ("x", "")])
def test_missing_state_on_either_side(received: Optional[str], expected: Optional[str]) -> None:
    with pytest.raises(MissingStateError):
        verify_state(received, expected=expected)


def test_malformed_state_is_tampered() -> None:
    with pytest.raises(StateTamperedError):
        verify_state("!!not-base64!!", expected="!!not-base64!!")
    not_an_object = "WzFd"  # base64url of the JSON list [1]
    with pytest.raises(StateTamperedError):
        verify_state(not_an_object, expected=not_an_object)


def test_state_expires_after_max_age() -> None:
    clock = FrozenClock()
    state = create_state(secret=SECRET, max_age=600, clock=clock)
    clock.now += 599
    assert verify_state(state.value, expected=state.value, secret=SECRET, clock=clock)
    clock.now += 1
    with pytest.raises(StateExpiredError) as caught:
        verify_state(state.value, expected=state.value, secret=SECRET, clock=clock)
    assert isinstance(caught.value, StateError)
    assert "sign in" in str(caught.value)


@pytest.mark.parametrize("secret", ["", "short", b"0123456789abcde"])
def test_short_secret_is_refused(secret: Any) -> None:
    with pytest.raises(InvalidParameterError):
        create_state(secret=secret)


@pytest.mark.parametrize("max_age", [0, -1, 1.5, True])
def test_bad_max_age_is_refused(max_age: Any) -> None:
    with pytest.raises(InvalidParameterError):
        create_state(max_age=max_age)


@pytest.mark.parametrize("organization", ["", 7])
def test_bad_organization_is_refused(organization: Any) -> None:
    with pytest.raises(InvalidParameterError):
        create_state(organization=organization)


# --- return_to ------------------------------------------------------------------------------

UNSAFE_RETURN_TO = [
    "//evil.example",
    "//evil.example/path",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/path\\..\\x",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\nSet-Cookie: x=1",
    "/nul\x00",
    "/del\x7f",
    "/ /evil.example",
    "/\u2028/evil.example",
    "/\u200b/evil.example",
    " /leading-space",
    "",
    "/" + "a" * 2048,
]


@pytest.mark.parametrize("path", UNSAFE_RETURN_TO)
def test_unsafe_return_to_is_refused(path: str) -> None:
    with pytest.raises(UnsafeReturnToError):
        validate_return_to(path)
    with pytest.raises(UnsafeReturnToError):
        create_state(return_to=path)
    assert safe_return_to(path) == "/"


@pytest.mark.parametrize(
    "path", ["/", "/dashboard", "/projects/7?tab=files#top", "/%2F%2Fevil.example", "/caf%C3%A9"]
)
def test_same_site_paths_are_accepted(path: str) -> None:
    assert validate_return_to(path) == path
    assert safe_return_to(path, default="/home") == path


def test_safe_return_to_defaults() -> None:
    assert safe_return_to(None) == "/"
    assert safe_return_to("//evil.example", default="/home") == "/home"
    with pytest.raises(UnsafeReturnToError):
        safe_return_to("/ok", default="https://evil.example")


def test_unsafe_return_to_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="single '/'"):
        validate_return_to("//evil.example")


# --- the callback: errors (no request is ever sent) -------------------------------------------

SIGN_IN_ERROR_CODES = {
    "access_denied": AccessDeniedError,
    "ambiguous_connection_selector": AmbiguousConnectionSelectorError,
    "connection_invalid": ConnectionInvalidError,
    "connection_strategy_invalid": ConnectionStrategyInvalidError,
    "connection_unlinked": ConnectionUnlinkedError,
    "invalid_connection_selector": InvalidConnectionSelectorError,
    "organization_invalid": OrganizationInvalidError,
    "oauth_failed": OAuthFailedError,
    "server_error": SignInServerError,
    "profile_not_allowed_outside_organization": ProfileNotAllowedOutsideOrganizationError,
    "redirect_uri_mismatch": SignInRedirectUriMismatchError,
}


@pytest.mark.parametrize(("code", "error_class"), sorted(SIGN_IN_ERROR_CODES.items()))
def test_each_documented_error_code_raises_its_class(
    offline_sso: Client, code: str, error_class: type[SignInError]
) -> None:
    query = {"error": code, "error_description": "Something went wrong.", "state": "abc"}
    with pytest.raises(error_class) as caught:
        handle(offline_sso, query, expected_state="abc")
    error = caught.value
    assert type(error) is error_class
    assert isinstance(error, SignInError)
    assert isinstance(error, WorkOSError)
    assert error.error == code
    assert error.error_description == "Something went wrong."
    assert error.state == "abc"
    assert code in str(error)
    assert error.hint
    assert error_class.__doc__


def test_unknown_error_code_keeps_its_string(offline_sso: Client) -> None:
    url = f"{REDIRECT_URI}?error=brand_new_error&state=s1"
    with pytest.raises(SignInError) as caught:
        handle(offline_sso, url, expected_state="s1")
    assert type(caught.value) is SignInError
    assert caught.value.error == "brand_new_error"
    assert caught.value.error_description is None
    assert caught.value.state == "s1"


@pytest.mark.parametrize(
    "query",
    [
        "error=access_denied&error_description=Why?&state=s",
        "?error=access_denied&error_description=Why?&state=s",
        "/callback?error=access_denied&error_description=Why?&state=s",
        f"{REDIRECT_URI}?error=access_denied&error_description=Why?&state=s",
    ],
)
def test_a_question_mark_inside_a_value_does_not_make_a_query_string_a_url(
    offline_sso: Client, query: str
) -> None:
    with pytest.raises(AccessDeniedError) as caught:
        handle(offline_sso, query, expected_state="s")
    assert caught.value.error == "access_denied"
    assert caught.value.error_description == "Why?"
    assert caught.value.state == "s"


def test_error_description_cannot_forge_log_lines(offline_sso: Client) -> None:
    query = {"error": "access_denied", "error_description": "no\nFAKE LOG LINE" + "x" * 1000}
    with pytest.raises(AccessDeniedError) as caught:
        handle(offline_sso, query, expected_state="s")
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 700
    assert caught.value.error_description is not None
    assert caught.value.error_description.startswith("no\nFAKE")


@pytest.mark.parametrize(
    "query", [{}, {"state": "s"}, {"code": "", "state": "s"}, "", f"{REDIRECT_URI}?state=s"]
)
def test_callback_without_code_or_error(offline_sso: Client, query: Any) -> None:
    with pytest.raises(CallbackError):
        handle(offline_sso, query, expected_state="s")


def test_state_is_checked_before_the_code_is_exchanged(offline_sso: Client) -> None:
    state = create_state(secret=SECRET)
    other = create_state(secret=SECRET)
    query = {"code": "code_1", "state": other.value}
    # A NetworkError here would mean the client tried to exchange the code first.
    with pytest.raises(StateMismatchError):
        handle(offline_sso, query, expected_state=state.value, secret=SECRET)
    with pytest.raises(MissingStateError):
        handle(offline_sso, {"code": "code_1"}, expected_state=state.value)
    with pytest.raises(MissingStateError):
        handle(offline_sso, query, expected_state=None, secret=SECRET)


class RepeatedParams(Mapping[str, str]):
    """A fixture shaped like Django's QueryDict: ``[key]`` is the *last* value, ``getlist`` all."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key for key, _ in self._pairs))

    def __len__(self) -> int:
        return len(dict.fromkeys(key for key, _ in self._pairs))

    def __getitem__(self, key: str) -> str:
        return [value for name, value in self._pairs if name == key][-1]

    def getlist(self, key: str) -> list[str]:
        return [value for name, value in self._pairs if name == key]


@pytest.mark.parametrize(
    "query",
    [
        "error=access_denied&error=server_error&state=s",
        "?error=access_denied&error=server_error&state=s",
        f"{REDIRECT_URI}?error=access_denied&error=server_error&state=s#fragment",
        {"error": ["access_denied", "server_error"], "state": ["s"]},
        {"error": ("access_denied",), "state": b"s"},
        RepeatedParams([("error", "access_denied"), ("error", "server_error"), ("state", "s")]),
    ],
)
def test_callback_query_shapes_take_the_first_value(offline_sso: Client, query: Any) -> None:
    with pytest.raises(AccessDeniedError) as caught:
        handle(offline_sso, query, expected_state="s")
    assert caught.value.state == "s"


def test_callback_query_of_the_wrong_type_is_refused(offline_sso: Client) -> None:
    with pytest.raises(InvalidParameterError):
        handle(offline_sso, ["code", "x"], expected_state="s")  # type: ignore[arg-type]


# --- domain routing (offline part) ------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "",
        "no-at-sign",
        "@foo-corp.com",
        "jane@",
        "jane@localhost",
        "jane@foo corp.com",
        "jane@foo/corp.com",
        42,
    ],
)
def test_malformed_email_is_refused_before_any_request(offline_sso: Client, email: Any) -> None:
    with pytest.raises(InvalidParameterError):
        find(offline_sso, email)


def test_start_sign_in_needs_exactly_one_selector(offline_sso: Client) -> None:
    with pytest.raises(InvalidParameterError):
        begin(offline_sso, redirect_uri=REDIRECT_URI)
    with pytest.raises(InvalidParameterError):
        begin(offline_sso, redirect_uri=REDIRECT_URI, organization="org_1", email="a@b.example")


def test_start_sign_in_by_organization_builds_url_and_state(offline_sso: Client) -> None:
    start = begin(
        offline_sso,
        redirect_uri=REDIRECT_URI,
        organization="org_1",
        return_to="/after",
        secret=SECRET,
    )
    query = parse_qs(urlsplit(start.url).query)
    assert query["organization"] == ["org_1"]
    assert query["state"] == [start.state.value]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert start.state.organization == "org_1"
    assert start.state.connection is None
    assert start.state.return_to == "/after"
    assert start.state.signed


# --- against a loopback server: the requests the helpers send -------------------------------

FIXTURE_ORGANIZATION = str(profile_and_token_fixture()["profile"]["organization_id"])


@pytest.mark.usefixtures("client_kind")
def test_domain_routing_pages_until_an_active_connection_serves_the_domain(
    loopback: LoopbackServer,
) -> None:
    inactive = {**connection_fixture("conn_01INACTIVE"), "state": "inactive"}
    elsewhere = {
        **connection_fixture("conn_01ELSEWHERE"),
        "domains": [{**connection_fixture()["domains"][0], "domain": "other.example"}],
    }
    first_page = connection_list_fixture(0, after="cursor_page_2")
    first_page["data"] = [inactive, elsewhere]
    second_page = connection_list_fixture(1, after="cursor_page_3")
    loopback.script(Reply.json(200, first_page), Reply.json(200, second_page))
    with client_for(loopback) as sso:
        found = find(sso, "  Jane@Fixture.Example. ")
    assert found.id == second_page["data"][0]["id"]
    queries = [parse_qs(urlsplit(request.path).query) for request in loopback.requests]
    # The lower-cased domain on both pages; the page after the match is never fetched.
    assert queries == [
        {"domain": ["fixture.example"]},
        {"domain": ["fixture.example"], "after": ["cursor_page_2"]},
    ]


@pytest.mark.usefixtures("client_kind")
def test_domain_routing_without_a_match_reads_every_page_then_says_so(
    loopback: LoopbackServer,
) -> None:
    inactive = {**connection_fixture("conn_01INACTIVE"), "state": "inactive"}
    page = connection_list_fixture(0, after=None)
    page["data"] = [inactive]
    loopback.script(Reply.json(200, page))
    with client_for(loopback) as sso, pytest.raises(NoSSOForDomainError) as caught:
        find(sso, "jane@fixture.example")
    assert caught.value.domain == "fixture.example"
    assert loopback.request_count == 1


@pytest.mark.usefixtures("client_kind")
def test_callback_exchanges_the_code_once_and_returns_the_sign_in(
    loopback: LoopbackServer,
) -> None:
    loopback.script(Reply.json(200, profile_and_token_fixture()))
    state = create_state(organization=FIXTURE_ORGANIZATION, return_to="/next", secret=SECRET)
    query = {"code": "code_loopback_exchange", "state": state.value}
    with client_for(loopback) as sso:
        result = handle(sso, query, expected_state=state.value, secret=SECRET)
    assert result.profile.organization_id == FIXTURE_ORGANIZATION
    assert result.return_to == "/next"
    assert result.state == state
    [sent] = loopback.requests
    assert (sent.method, urlsplit(sent.path).path) == ("POST", "/sso/token")
    body = json.loads(sent.body)
    assert (body["code"], body["grant_type"]) == ("code_loopback_exchange", "authorization_code")


@pytest.mark.usefixtures("client_kind")
def test_callback_refuses_a_profile_of_another_organization_after_the_exchange(
    loopback: LoopbackServer,
) -> None:
    loopback.script(Reply.json(200, profile_and_token_fixture()))
    state = create_state(organization="org_01SOMEONEELSE")
    with client_for(loopback) as sso, pytest.raises(UnexpectedOrganizationError) as caught:
        handle(sso, {"code": "code_1", "state": state.value}, expected_state=state)
    assert (caught.value.expected, caught.value.actual) == (
        "org_01SOMEONEELSE",
        FIXTURE_ORGANIZATION,
    )
    assert caught.value.selector == "organization"
    assert loopback.request_count == 1


# --- session record -------------------------------------------------------------------------


@pytest.fixture
def profile_fixture() -> Profile:
    """A hand-made profile with raw and custom attributes that must stay out of sessions."""
    return Profile(
        id="prof_1",
        connection_id="conn_1",
        connection_type="OktaSAML",
        idp_id="idp_1",
        email="jane@foo-corp.com",
        organization_id="org_1",
        first_name="Jane",
        last_name="Doe",
        name="Jane Q. Doe",
        role=Role(slug="admin"),
        custom_attributes={"salary": 100},
        raw_attributes={"ssn": "000-00-0000"},
    )


def test_session_user_keeps_only_the_minimal_fields(profile_fixture: Profile) -> None:
    user = SessionUser.from_profile(profile_fixture)
    data = user.to_dict()
    assert data == {
        "id": "prof_1",
        "email": "jane@foo-corp.com",
        "connection_id": "conn_1",
        "organization_id": "org_1",
        "first_name": "Jane",
        "last_name": "Doe",
        "role": "admin",
        "name": "Jane Q. Doe",
    }
    text = json.dumps(data)
    assert "ssn" not in text
    assert "salary" not in text
    assert SessionUser.from_dict(json.loads(text)) == user


def test_session_user_without_optional_fields(profile_fixture: Profile) -> None:
    import attrs

    bare = attrs.evolve(profile_fixture, organization_id=None, role=None, first_name=None)
    user = SessionUser.from_profile(bare)
    assert user.role is None
    assert SessionUser.from_dict(json.loads(json.dumps(user.to_dict()))) == user


def test_session_user_reads_a_record_without_an_optional_field(profile_fixture: Profile) -> None:
    record = SessionUser.from_profile(profile_fixture).to_dict()
    del record["name"]
    user = SessionUser.from_dict(record)
    assert user.name is None
    assert user.first_name == "Jane"
    assert user.role == "admin"


@pytest.mark.parametrize(
    "data",
    [
        {"email": "a@b.example", "connection_id": "c"},
        {"id": "p", "email": "a@b.example", "connection_id": 3},
        {"id": "p", "email": "a@b.example", "connection_id": "c", "role": {"slug": "x"}},
        ["id", "p"],
    ],
)
def test_session_user_from_malformed_data(data: Any) -> None:
    with pytest.raises(InvalidParameterError):
        SessionUser.from_dict(data)


# --- live against the emulator --------------------------------------------------------------


@pytest.fixture
def live_sso(emulator_url: str, client_kind: str) -> Iterator[Client]:
    """A client on the emulator itself, never a cassette: these tests spend real codes."""
    with make_client(
        client_kind,
        api_key=emulator.DEFAULT_API_KEY,
        client_id=emulator.CLIENT_ID,
        base_url=emulator_url,
        max_retry_wait=1.0,
    ) as client:
        yield client


def _follow_authorization(url: str) -> str:
    """Do what the browser does at the emulator: return the callback URL it redirects to."""
    return complete_sign_in(url, redirect_uri=REDIRECT_URI).url


def _seeded_organization(sso: Client, domain: str) -> str:
    organization = find(sso, f"someone@{domain}").organization_id
    assert organization is not None
    return organization


@pytest.mark.live
def test_sign_in_by_organization_end_to_end(live_sso: Client) -> None:
    organization = _seeded_organization(live_sso, "foo-corp.com")
    start = begin(
        live_sso,
        redirect_uri=REDIRECT_URI,
        organization=organization,
        login_hint="alice@foo-corp.com",
        return_to="/welcome",
        secret=SECRET,
    )
    callback_url = _follow_authorization(start.url)

    result = handle(live_sso, callback_url, expected_state=start.state.value, secret=SECRET)
    assert result.profile.email == "alice@foo-corp.com"
    assert result.profile.organization_id == organization
    assert result.return_to == "/welcome"
    assert result.profile_and_token.access_token
    assert SessionUser.from_profile(result.profile).email == "alice@foo-corp.com"

    # The same callback again (a reload, a replay): the code is spent.
    with pytest.raises(InvalidGrantError):
        handle(live_sso, callback_url, expected_state=start.state.value, secret=SECRET)


@pytest.mark.live
def test_refused_state_leaves_the_code_unspent(live_sso: Client) -> None:
    organization = _seeded_organization(live_sso, "bar.example")
    start = begin(live_sso, redirect_uri=REDIRECT_URI, organization=organization)
    callback_url = _follow_authorization(start.url)
    with pytest.raises(StateMismatchError):
        handle(live_sso, callback_url, expected_state=create_state().value)
    result = handle(live_sso, callback_url, expected_state=start.state)
    assert result.profile.organization_id == organization


@pytest.mark.live
def test_profile_from_another_organization_is_refused(live_sso: Client) -> None:
    foo = _seeded_organization(live_sso, "foo-corp.com")
    bar = _seeded_organization(live_sso, "bar.example")
    start = begin(live_sso, redirect_uri=REDIRECT_URI, organization=foo, secret=SECRET)
    # The user edits the authorization URL to sign in at Bar's identity provider instead; the
    # state still says Foo.
    callback_url = _follow_authorization(with_query(start.url, organization=bar))
    with pytest.raises(UnexpectedOrganizationError) as caught:
        handle(live_sso, callback_url, expected_state=start.state.value, secret=SECRET)
    assert caught.value.expected == foo
    assert caught.value.actual == bar
    assert caught.value.selector == "organization"


@pytest.mark.live
def test_profile_from_another_connection_is_refused(live_sso: Client, emulator_url: str) -> None:
    organization = admin.create_organization(emulator_url, "Two Connections Ltd")
    first, second = admin.create_connections(
        emulator_url, organization, 2, domains=["two-connections.example"]
    )
    start = begin(live_sso, redirect_uri=REDIRECT_URI, connection=first, secret=SECRET)
    callback_url = _follow_authorization(with_query(start.url, connection=second))
    with pytest.raises(UnexpectedOrganizationError) as caught:
        handle(live_sso, callback_url, expected_state=start.state.value, secret=SECRET)
    assert caught.value.selector == "connection"
    assert (caught.value.expected, caught.value.actual) == (first, second)


@pytest.mark.live
def test_domain_routing_finds_the_active_connection(live_sso: Client) -> None:
    connection = find(live_sso, "Alice@Foo-Corp.COM")
    assert connection.name == "Foo Corp Okta"
    assert any(entry.domain == "foo-corp.com" for entry in connection.domains)


@pytest.mark.live
def test_domain_without_sso_says_so(live_sso: Client) -> None:
    with pytest.raises(NoSSOForDomainError) as caught:
        find(live_sso, "jane@no-sso-here.example")
    assert caught.value.domain == "no-sso-here.example"
    assert "no-sso-here.example" in str(caught.value)


@pytest.mark.live
def test_sign_in_by_email_end_to_end(live_sso: Client) -> None:
    start = begin(live_sso, redirect_uri=REDIRECT_URI, email="bob@bar.example", secret=SECRET)
    query = parse_qs(urlsplit(start.url).query)
    assert query["connection"] == [start.state.connection]
    assert query["login_hint"] == ["bob@bar.example"]
    assert start.state.organization is not None
    callback_url = _follow_authorization(start.url)
    result = handle(live_sso, callback_url, expected_state=start.state.value, secret=SECRET)
    assert result.profile.email == "bob@bar.example"
    assert result.profile.connection_id == start.state.connection
    assert result.profile.organization_id == start.state.organization


def test_the_login_helpers_load_on_first_use_and_the_lazy_names_match_the_module() -> None:
    import subprocess
    import sys

    import workos_sso
    from workos_sso import _login

    # workos_sso lists the helper names itself, so that importing it does not load _login;
    # the two lists must not drift apart.
    assert set(_login.__all__) == workos_sso._LOGIN_NAMES
    assert set(workos_sso.__all__) >= workos_sso._LOGIN_NAMES
    # Every public name is either in the lazy table or imported with the package.
    assert set(workos_sso._LAZY_MODULES) <= set(workos_sso.__all__)
    for name in set(workos_sso.__all__) - set(workos_sso._LAZY_MODULES):
        assert name in vars(workos_sso), name
    code = (
        "import sys, workos_sso\n"
        "before = 'workos_sso._login' in sys.modules\n"
        "workos_sso.handle_callback\n"
        "print(before, 'workos_sso._login' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]


# --- Social providers ---------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["GoogleOAuth", "MicrosoftOAuth", "GitHubOAuth", "AppleOAuth"])
@pytest.mark.usefixtures("client_kind")
def test_start_sign_in_with_a_social_provider(loopback: LoopbackServer, provider: str) -> None:
    with client_for(loopback) as sso:
        start = begin(
            sso,
            redirect_uri=REDIRECT_URI,
            provider=provider,
            nonce="n0nce",
            domain_hint="example.com",
            prompt="login",
            provider_scopes=["openid", "email"],
        )
    query = {key: values[0] for key, values in parse_qs(urlsplit(start.url).query).items()}
    assert query["provider"] == provider
    assert "organization" not in query
    assert "connection" not in query
    assert (query["nonce"], query["domain_hint"], query["prompt"]) == (
        "n0nce",
        "example.com",
        "login",
    )
    assert query["provider_scopes"] == "openid,email"
    assert query["state"] == start.state.value
    assert start.state.organization is None
    assert start.code_verifier is None
    assert loopback.request_count == 0


@pytest.mark.usefixtures("client_kind")
def test_start_sign_in_takes_exactly_one_selector(loopback: LoopbackServer) -> None:
    with client_for(loopback) as sso, pytest.raises(InvalidParameterError, match="provider"):
        begin(sso, redirect_uri=REDIRECT_URI, provider="GoogleOAuth", organization="org_1")
