"""workos_sso.integrations.flask: the extension, through Flask's test client.

Offline, WorkOS is a loopback server (``tests/loopback.py``) that answers the token exchange, the
connection lookup and the logout; the tests marked ``live`` sign in at the emulator instead.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any, Optional
from urllib.parse import parse_qs, urlencode, urlsplit

import attrs
import pytest
import requests

from tests import emulator
from tests.loopback import (
    LOOPBACK_API_KEY,
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
from workos_sso import ConfigurationError, SessionUser, SignInResult, WorkOSError

flask = pytest.importorskip("flask")

from workos_sso.integrations.flask import (  # noqa: E402
    EXPIRED,
    WRONG_ORGANIZATION,
    SignInRefused,
    WorkOSSSO,
    current_user,
    get_current_user,
    login_required,
)

REDIRECT_URI = "http://127.0.0.1:5000/callback"
SECRET = "flask-integration-tests-0123456789"
FIXTURE_ORGANIZATION = "org_01FIXTUREORGANIZATION00001"
OTHER_ORGANIZATION = "org_01OTHERORGANIZATION000001"


def _config(base_url: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "WORKOS_API_KEY": LOOPBACK_API_KEY,
        "WORKOS_CLIENT_ID": LOOPBACK_CLIENT_ID,
        "WORKOS_BASE_URL": base_url,
        "WORKOS_REDIRECT_URI": REDIRECT_URI,
        "SECRET_KEY": SECRET,
    }
    config.update(overrides)
    return {key: value for key, value in config.items() if value is not None}


def make_app(config: dict[str, Any], **options: Any) -> tuple[Any, WorkOSSSO]:
    """An app with the extension, a home page that shows the messages, and a protected page."""
    app = flask.Flask(__name__)
    app.config.update(config)
    sso = WorkOSSSO(app, **options)

    @app.get("/")
    def home() -> dict[str, Any]:
        user = get_current_user()
        return {
            "messages": flask.get_flashed_messages(category_filter=["workos_sso"]),
            "user": None if user is None else user.to_dict(),
            "session": sorted(flask.session.keys()),
        }

    @app.get("/account")
    @login_required
    def account() -> str:
        return f"account of {current_user.email}"

    @app.get("/whoami")
    def whoami() -> str:
        return flask.render_template_string(
            "{% if current_user %}{{ current_user.email }}{% else %}nobody{% endif %}"
        )

    return app, sso


def _connections_page() -> dict[str, Any]:
    """The fixture connection (the fixture profile's), serving fixture.example."""
    page = {"before": None, "after": None}
    return {"object": "list", "data": [connection_fixture()], "list_metadata": page}


@pytest.fixture
def workos(loopback: LoopbackServer) -> LoopbackServer:
    """WorkOS on a loopback server: a token exchange for the fixture profile, and the rest."""
    loopback.always(
        Route(
            {
                "/sso/token": Reply.json(200, profile_and_token_fixture()),
                "/connections": Reply.json(200, _connections_page()),
                "/sso/logout/authorize": Reply.json(201, logout_authorization_fixture()),
            }
        )
    )
    return loopback


@pytest.fixture
def client(workos: LoopbackServer) -> Any:
    app, _ = make_app(_config(workos.url))
    return app.test_client()


def _home(client: Any) -> dict[str, Any]:
    reply = client.get("/")
    assert reply.status_code == 200
    result: dict[str, Any] = reply.get_json()
    return result


def _start(client: Any, path: str = f"/login?organization={FIXTURE_ORGANIZATION}") -> str:
    """Start a sign-in; return the authorization URL it redirects to."""
    reply = client.get(path)
    assert reply.status_code == 302, reply.get_data(as_text=True)
    assert "/sso/authorize?" in reply.location
    return str(reply.location)


def _callback_for(authorize: str, code: str = "code-0001") -> str:
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    return "/callback?" + urlencode({"code": code, "state": state})


def _sign_in(client: Any, path: str = f"/login?organization={FIXTURE_ORGANIZATION}") -> Any:
    return client.get(_callback_for(_start(client, path)))


def _session_cookie(client: Any) -> Optional[str]:
    cookie = client.get_cookie("session")
    return None if cookie is None else str(cookie.value)


# --- importing -------------------------------------------------------------------------------


def test_import_workos_sso_does_not_import_flask() -> None:
    code = (
        "import sys, workos_sso, workos_sso.integrations\n"
        "print(sorted(m for m in ('flask', 'werkzeug') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"WORKOS_REDIRECT_URI": None}, "WORKOS_REDIRECT_URI"),
        ({"WORKOS_API_KEY": None}, "WORKOS_API_KEY"),
        ({"WORKOS_CLIENT_ID": ""}, "WORKOS_CLIENT_ID"),
        ({"WORKOS_API_KEY": "not-a-key"}, "WORKOS_API_KEY"),
        ({"WORKOS_BASE_URL": "http://api.example.com"}, "WORKOS_BASE_URL"),
        ({"WORKOS_REDIRECT_URI": "callback"}, "WORKOS_REDIRECT_URI"),
        ({"WORKOS_REDIRECT_URI": "http://app.example.com/callback"}, "WORKOS_REDIRECT_URI"),
        ({"WORKOS_REDIRECT_URI": "https://app.example.com/"}, "WORKOS_REDIRECT_URI"),
        ({"WORKOS_REDIRECT_URI": 42}, "WORKOS_REDIRECT_URI"),
        ({"WORKOS_ORGANIZATION_ID": " org_1"}, "WORKOS_ORGANIZATION_ID"),
        ({"WORKOS_SSO_SIGN_IN_PAGE": "//evil.example"}, "WORKOS_SSO_SIGN_IN_PAGE"),
        ({"WORKOS_SSO_AFTER_SIGN_OUT": "https://evil.example/"}, "WORKOS_SSO_AFTER_SIGN_OUT"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SESSION_COOKIE_SAMESITE": "Strict"}, "SESSION_COOKIE_SAMESITE"),
    ],
)
def test_a_missing_or_malformed_setting_is_named(overrides: dict[str, Any], named: str) -> None:
    app = flask.Flask(__name__)
    app.config.update(_config("http://127.0.0.1:9"))
    for key, value in overrides.items():
        if value is None:
            app.config.pop(key, None)
        else:
            app.config[key] = value
    with pytest.raises(ConfigurationError, match=named):
        WorkOSSSO(app)
    assert "workos_sso" not in app.extensions


def test_init_app_later_and_on_several_apps(workos: LoopbackServer) -> None:
    sso = WorkOSSSO()
    first, second = flask.Flask("first"), flask.Flask("second")
    first.config.update(_config(workos.url))
    second.config.update(_config(workos.url, WORKOS_REDIRECT_URI="http://localhost:6000/sso/cb"))
    sso.init_app(first)
    sso.init_app(second)
    assert first.extensions["workos_sso"] is sso is second.extensions["workos_sso"]
    assert "/callback" in {rule.rule for rule in first.url_map.iter_rules()}
    assert "/sso/cb" in {rule.rule for rule in second.url_map.iter_rules()}
    with second.test_request_context():
        assert sso.client.base_url == workos.url
    reply = second.test_client().get("/login?organization=org_1")
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A6000%2Fsso%2Fcb" in reply.location


def test_a_client_of_the_apps_own_replaces_the_api_settings(workos: LoopbackServer) -> None:
    from workos_sso import SSOClient

    with SSOClient(api_key=LOOPBACK_API_KEY, client_id="client_01OWN", base_url=workos.url) as own:
        app, _ = make_app(_config(workos.url, WORKOS_API_KEY=None), client=own)
        assert "client_id=client_01OWN" in _start(app.test_client())


def test_url_prefix_moves_the_routes_but_not_the_callback(workos: LoopbackServer) -> None:
    app, _ = make_app(_config(workos.url), url_prefix="/auth")
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/auth/login", "/auth/login/email", "/auth/logout", "/callback"} <= rules
    client = app.test_client()
    assert client.get("/account").location == "/auth/login?next=%2Faccount"
    _sign_in(client, f"/auth/login?organization={FIXTURE_ORGANIZATION}")
    assert _home(client)["user"]["email"] == "ada@fixture.example"
    with pytest.raises(ConfigurationError, match="url_prefix"):
        WorkOSSSO(url_prefix="auth/")


# --- the session cookie ----------------------------------------------------------------------


def test_cookie_is_httponly_lax_and_not_secure_on_loopback(client: Any) -> None:
    [cookie] = client.get(f"/login?organization={FIXTURE_ORGANIZATION}").headers.getlist(
        "Set-Cookie"
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_cookie_is_secure_outside_loopback() -> None:
    app, _ = make_app(_config("http://127.0.0.1:9", WORKOS_REDIRECT_URI="https://a.example/cb"))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_cookie_settings_of_the_app_are_kept() -> None:
    app, _ = make_app(_config("http://127.0.0.1:9", SESSION_COOKIE_SECURE=True))
    assert app.config["SESSION_COOKIE_SECURE"] is True  # on loopback, where the default is False


# --- signing in ------------------------------------------------------------------------------


def test_sign_in_by_organization(client: Any, workos: LoopbackServer) -> None:
    authorize = _start(client, f"/login?organization={FIXTURE_ORGANIZATION}&next=/after?x=1")
    query = parse_qs(urlsplit(authorize).query)
    assert query["organization"] == [FIXTURE_ORGANIZATION]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert "." in query["state"][0]  # signed with the app's secret key
    reply = client.get(_callback_for(authorize))
    assert reply.status_code == 302
    assert reply.location == "/after?x=1"
    home = _home(client)
    assert home["user"]["email"] == "ada@fixture.example"
    assert home["user"]["organization_id"] == FIXTURE_ORGANIZATION
    assert home["session"] == ["workos_sso.user"]  # the state is gone, and only ids are kept
    [token_request] = [r for r in workos.requests if r.url_path == "/sso/token"]
    assert b"code-0001" in token_request.body
    assert client.get("/whoami").get_data(as_text=True) == "ada@fixture.example"


def test_default_organization_and_other_selectors(workos: LoopbackServer) -> None:
    app, _ = make_app(_config(workos.url, WORKOS_ORGANIZATION_ID=FIXTURE_ORGANIZATION))
    client = app.test_client()
    assert parse_qs(urlsplit(_start(client, "/login")).query)["organization"] == [
        FIXTURE_ORGANIZATION
    ]
    by_connection = parse_qs(urlsplit(_start(client, "/login?connection=conn_1")).query)
    assert by_connection["connection"] == ["conn_1"]
    assert "organization" not in by_connection
    by_provider = parse_qs(urlsplit(_start(client, "/login?provider=GoogleOAuth")).query)
    assert by_provider["provider"] == ["GoogleOAuth"]


def test_login_without_a_selector_or_with_two_goes_back(client: Any) -> None:
    reply = client.get("/login")
    assert (reply.status_code, reply.location) == (302, "/")
    assert _home(client)["messages"] == ["Choose an organization, or sign in with your work email."]
    client.get("/login?organization=org_1&connection=conn_1")
    assert "Choose one" in _home(client)["messages"][0]


def test_an_unsafe_next_is_ignored(client: Any) -> None:
    reply = _sign_in(client, f"/login?organization={FIXTURE_ORGANIZATION}&next=//evil.example")
    assert reply.location == "/"


def test_sign_in_by_email_domain(client: Any, workos: LoopbackServer) -> None:
    reply = client.post("/login/email", data={"email": "ada@fixture.example", "next": "/a"})
    query = parse_qs(urlsplit(reply.location).query)
    assert query["connection"] == ["conn_01FIXTURECONNECTION000001"]
    assert query["login_hint"] == ["ada@fixture.example"]
    assert client.get(_callback_for(reply.location)).location == "/a"
    assert _home(client)["user"]["email"] == "ada@fixture.example"


def test_email_without_sso_or_malformed_goes_back(client: Any) -> None:
    client.post("/login/email", data={"email": "jane@no-sso.example"})
    assert _home(client)["messages"] == ["no-sso.example does not use single sign-on here."]
    client.post("/login/email", data={"email": "not an email"})
    assert _home(client)["messages"] == ["Enter a work email address such as jane@example.com."]


def test_email_lookup_failure_goes_back(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(401, {"message": "Unauthorized"}))
    app, _ = make_app(_config(loopback.url))
    client = app.test_client()
    reply = client.post("/login/email", data={"email": "ada@fixture.example"})
    assert reply.location == "/"
    assert _home(client)["messages"] == ["Sign-in failed. Please try again."]


# --- the callback's refusals -----------------------------------------------------------------


def test_state_is_single_use(client: Any, workos: LoopbackServer) -> None:
    callback = _callback_for(_start(client))
    client.get(callback)
    assert _home(client)["user"] is not None
    reply = client.get(callback)  # a reload, the back button
    assert reply.location == "/"
    home = _home(client)
    assert home["messages"] == [EXPIRED]
    assert home["user"] is None
    # The second callback never reached WorkOS: its state was gone from the session.
    assert len([r for r in workos.requests if r.url_path == "/sso/token"]) == 1


def test_tampered_state_is_refused(client: Any, workos: LoopbackServer) -> None:
    authorize = _start(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    payload, _, signature = state.partition(".")
    client.get("/callback?" + urlencode({"code": "c", "state": f"{payload}.{signature[::-1]}"}))
    assert _home(client) == {"messages": [EXPIRED], "user": None, "session": []}
    assert workos.requests == []


def test_callback_in_another_browser_is_refused(workos: LoopbackServer) -> None:
    app, _ = make_app(_config(workos.url))
    callback = _callback_for(_start(app.test_client()))
    victim = app.test_client()
    victim.get(callback)
    assert _home(victim)["messages"] == [EXPIRED]


def test_profile_from_another_organization_is_refused(client: Any) -> None:
    _sign_in(client, f"/login?organization={OTHER_ORGANIZATION}")
    home = _home(client)
    assert home["messages"] == [WRONG_ORGANIZATION]
    assert home["user"] is None


def test_spent_code_is_refused(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(400, {"error": "invalid_grant", "error_description": "spent"}))
    app, _ = make_app(_config(loopback.url))
    client = app.test_client()
    _sign_in(client)
    assert _home(client)["messages"] == [EXPIRED]


def test_error_from_workos_is_shown(client: Any) -> None:
    _start(client)
    client.get("/callback?" + urlencode({"error": "access_denied", "state": "x"}))
    assert _home(client)["messages"] == ["Sign-in failed (access_denied). Please try again."]


# --- the on_sign_in hook ---------------------------------------------------------------------


def test_the_hook_maps_the_sign_in_to_the_apps_user(workos: LoopbackServer) -> None:
    seen: list[SignInResult] = []
    app, sso = make_app(_config(workos.url))

    @sso.on_sign_in
    def map_tenant(result: SignInResult) -> SessionUser:
        seen.append(result)
        flask.session["tenant"] = "tenant-7"
        return attrs.evolve(SessionUser.from_profile(result.profile), role="owner")

    client = app.test_client()
    _sign_in(client, f"/login?organization={FIXTURE_ORGANIZATION}&next=/x")
    [result] = seen
    assert result.profile.email == "ada@fixture.example"
    assert result.return_to == "/x"
    home = _home(client)
    assert home["user"]["role"] == "owner"
    assert home["session"] == ["tenant", "workos_sso.user"]


def test_the_hook_can_refuse(workos: LoopbackServer) -> None:
    def refuse(result: SignInResult) -> Optional[SessionUser]:
        raise SignInRefused("Your organization has no account here.")

    app, _ = make_app(_config(workos.url), on_sign_in=refuse)
    client = app.test_client()
    reply = _sign_in(client)
    assert (reply.status_code, reply.location) == (302, "/")
    assert _home(client) == {
        "messages": ["Your organization has no account here."],
        "user": None,
        "session": [],
    }
    assert isinstance(SignInRefused(), WorkOSError)


def test_refusals_land_on_the_configured_sign_in_page(workos: LoopbackServer) -> None:
    app, _ = make_app(_config(workos.url, WORKOS_SSO_SIGN_IN_PAGE="/signin"))
    assert app.test_client().get("/login").location == "/signin"


# --- the session -----------------------------------------------------------------------------


def test_sign_in_starts_a_fresh_session(client: Any) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by an attacker, or left by a previous user"
    authorize = _start(client)
    before = _session_cookie(client)
    client.get(_callback_for(authorize))
    after = _session_cookie(client)
    assert before is not None
    assert after is not None
    assert after != before
    assert "planted" not in _home(client)["session"]


def test_login_required_redirects_to_sign_in_and_back(client: Any) -> None:
    reply = client.get("/account?tab=1")
    assert reply.status_code == 302
    assert reply.location == "/login?next=%2Faccount%3Ftab%3D1"
    # No organization in the query and no default: the sign-in page asks, keeping next.
    assert client.get(reply.location).location == "/?next=%2Faccount%3Ftab%3D1"
    back = _sign_in(client, f"/login?organization={FIXTURE_ORGANIZATION}&next=/account?tab=1")
    assert back.location == "/account?tab=1"
    assert client.get(back.location).get_data(as_text=True) == "account of ada@fixture.example"


def test_login_required_answers_401_to_json_requests(client: Any) -> None:
    assert client.get("/account", headers={"Accept": "application/json"}).status_code == 401


def test_a_malformed_session_user_is_nobody(client: Any) -> None:
    with client.session_transaction() as session:
        session["workos_sso.user"] = {"id": 7}
    assert client.get("/account").status_code == 302
    assert client.get("/whoami").get_data(as_text=True) == "nobody"


# --- signing out -----------------------------------------------------------------------------


def test_sign_out_is_post_only(client: Any) -> None:
    _sign_in(client)
    assert client.get("/logout").status_code == 405
    assert _home(client)["user"] is not None


def test_sign_out_ends_the_identity_providers_session_too(
    client: Any, workos: LoopbackServer
) -> None:
    _sign_in(client)
    reply = client.post("/logout")
    assert reply.location == logout_authorization_fixture()["logout_url"]
    assert _home(client)["user"] is None
    [logout] = [r for r in workos.requests if r.url_path == "/sso/logout/authorize"]
    assert json.loads(logout.body)["profile_id"] == "prof_01FIXTUREPROFILE0000000001"
    assert client.post("/logout").location == "/"  # nobody signed in: nothing to end


def test_sign_out_stays_local_when_workos_refuses(loopback: LoopbackServer) -> None:
    def answer(request: RecordedRequest) -> Reply:
        if request.url_path == "/sso/token":
            return Reply.json(200, profile_and_token_fixture())
        return Reply.json(400, {"message": "connection_invalid"})

    loopback.always(Route({"/sso/token": answer, "/sso/logout/authorize": answer}))
    app, _ = make_app(_config(loopback.url, WORKOS_SSO_AFTER_SIGN_OUT="/bye"))
    client = app.test_client()
    _sign_in(client)
    assert client.post("/logout").location == "/bye"
    assert _home(client)["user"] is None


# --- live, at the emulator -------------------------------------------------------------------


def _follow_authorization(url: str) -> str:
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    return f"{location.path}?{location.query}"


@pytest.fixture
def emulator_app(emulator_url: str) -> tuple[Any, dict[str, str]]:
    organizations = emulator.seeded_organizations(emulator_url)
    tenants = {organizations["foo"]: "foo-tenant"}

    def map_tenant(result: SignInResult) -> Optional[SessionUser]:
        tenant = tenants.get(str(result.profile.organization_id))
        if tenant is None:
            raise SignInRefused("Your organization has no account here.")
        flask.session["tenant"] = tenant
        return None

    app, _ = make_app(
        _config(
            emulator_url,
            WORKOS_API_KEY=emulator.INTEGRATIONS_API_KEY,
            WORKOS_CLIENT_ID=emulator.CLIENT_ID,
        ),
        on_sign_in=map_tenant,
    )
    return app, organizations


@pytest.mark.live
def test_live_sign_in_maps_a_tenant_and_refuses_an_unknown_one(
    emulator_app: tuple[Any, dict[str, str]],
) -> None:
    app, organizations = emulator_app
    client = app.test_client()
    client.get(_follow_authorization(_start(client, f"/login?organization={organizations['foo']}")))
    home = _home(client)
    assert home["user"]["email"] == "user@foo-corp.com"
    assert home["session"] == ["tenant", "workos_sso.user"]
    callback = _follow_authorization(_start(client, f"/login?organization={organizations['foo']}"))
    client.get(callback)
    client.get(callback)  # replayed
    assert _home(client)["messages"] == [EXPIRED]

    reply = client.post("/login/email", data={"email": "bob@bar.example"})
    client.get(_follow_authorization(reply.location))
    assert _home(client) == {
        "messages": ["Your organization has no account here."],
        "user": None,
        "session": [],
    }


@pytest.mark.live
def test_live_sign_out_at_the_emulator(
    emulator_app: tuple[Any, dict[str, str]], emulator_url: str
) -> None:
    app, organizations = emulator_app
    client = app.test_client()
    client.get(_follow_authorization(_start(client, f"/login?organization={organizations['foo']}")))
    reply = client.post("/logout")
    logout = urlsplit(reply.location)
    assert logout.path == "/sso/logout"
    assert requests.get(f"{emulator_url}/sso/logout?{logout.query}", timeout=10).status_code == 200
    assert _home(client)["user"] is None


# --- the example app -------------------------------------------------------------------------


def _example() -> Any:
    """docs/examples/flask_app.py, loaded as a module of its own."""
    path = emulator.ROOT / "docs" / "examples" / "flask_app.py"
    spec = importlib.util.spec_from_file_location("flask_example_app", path)
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def test_the_example_apps_hook_refuses_organizations_not_allowed(workos: LoopbackServer) -> None:
    example = _example()
    env = {
        **{key: str(value) for key, value in _config(workos.url).items()},
        "APP_SECRET_KEY": SECRET,
        "ALLOWED_ORGANIZATIONS": f"{OTHER_ORGANIZATION},org_01THIRD",
    }
    client = example.create_app(env).test_client()
    assert client.get("/account").location == "/login?next=%2Faccount"
    _sign_in(client)
    page = client.get("/").get_data(as_text=True)
    assert "Your organization has no account here." in page
    assert "Signed in as" not in page

    env["ALLOWED_ORGANIZATIONS"] = FIXTURE_ORGANIZATION
    client = example.create_app(env).test_client()
    _sign_in(client)
    assert client.get("/account").get_json() == {
        "email": "ada@fixture.example",
        "organization": FIXTURE_ORGANIZATION,
    }


def test_the_example_page_passes_next_on(workos: LoopbackServer) -> None:
    example = _example()
    env = {key: str(value) for key, value in _config(workos.url).items()}
    client = example.create_app({**env, "APP_SECRET_KEY": SECRET}).test_client()
    page = client.get(client.get("/login?next=/account").location).get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/account">' in page
    reply = client.post("/login/email", data={"email": "ada@fixture.example", "next": "/account"})
    assert client.get(_callback_for(reply.location)).location == "/account"
