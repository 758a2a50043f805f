"""workos_sso.integrations.flask: what only Flask has (settings, cookie, session interface...).

The sign-in behaviour shared by the three frameworks is in ``test_contract.py``. Offline, WorkOS
is a loopback server (``tests/loopback.py``); the tests marked ``live`` sign in at the emulator.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Optional
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests import emulator
from tests.integrations.harness import answer_as_workos
from tests.loopback import LOOPBACK_API_KEY, LOOPBACK_CLIENT_ID, LoopbackServer
from tests.payload_fixtures import (
    profile_and_token_fixture,
)
from workos_sso import ConfigurationError, SessionUser, SignInRefused, SignInResult

flask = pytest.importorskip("flask")

from werkzeug.wrappers import Request  # noqa: E402

from workos_sso.integrations.flask import (  # noqa: E402
    WorkOSSSO,
    current_user,
    get_current_user,
    login_required,
)

REDIRECT_URI = "http://127.0.0.1:5000/callback"
SECRET = "flask-integration-tests-0123456789"
FIXTURE_ORGANIZATION = "org_01FIXTUREORGANIZATION00001"
OTHER_ORGANIZATION = "org_01OTHERORGANIZATION000001"
ENVIRONMENT = ("WORKOS_API_KEY", "WORKOS_CLIENT_ID", "WORKOS_BASE_URL", "WORKOS_REDIRECT_URI")


@pytest.fixture(autouse=True)
def _no_workos_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The extension falls back to WORKOS_* variables: the developer's own must not leak in."""
    for name in (*ENVIRONMENT, "WORKOS_ORGANIZATION_ID"):
        monkeypatch.delenv(name, raising=False)


def _config(base_url: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "WORKOS_API_KEY": LOOPBACK_API_KEY,
        "WORKOS_CLIENT_ID": LOOPBACK_CLIENT_ID,
        "WORKOS_BASE_URL": base_url,
        "WORKOS_REDIRECT_URI": REDIRECT_URI,
        "WORKOS_ORGANIZATION_ID": FIXTURE_ORGANIZATION,
        "SECRET_KEY": SECRET,
    }
    config.update(overrides)
    return {key: value for key, value in config.items() if value is not None}


def make_app(config: dict[str, Any], **options: Any) -> Any:
    """An app with the extension, a home page that shows the messages, and a protected page."""
    app = flask.Flask(__name__)
    app.config.update(config)
    WorkOSSSO(app, **options)

    @app.get("/")
    def home() -> dict[str, Any]:
        user = get_current_user()
        return {
            "messages": flask.get_flashed_messages(category_filter=["workos_sso"]),
            "user": None if user is None else user.to_dict(),
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

    return app


@pytest.fixture
def workos(loopback: LoopbackServer) -> LoopbackServer:
    """WorkOS on a loopback server: a token exchange for the fixture profile, and the rest."""
    return answer_as_workos(loopback)


def _home(client: Any) -> dict[str, Any]:
    reply = client.get("/")
    assert reply.status_code == 200
    result: dict[str, Any] = reply.get_json()
    return result


def _start(client: Any, path: str = "/login") -> str:
    """Start a sign-in; return the authorization URL it redirects to."""
    reply = client.get(path)
    assert reply.status_code == 302, reply.get_data(as_text=True)
    assert "/sso/authorize?" in reply.location, reply.location
    return str(reply.location)


def _callback_for(authorize: str, code: str = "code-0001") -> str:
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    return "/callback?" + urlencode({"code": code, "state": state})


def _sign_in(client: Any, path: str = "/login") -> Any:
    return client.get(_callback_for(_start(client, path)))


# --- importing -------------------------------------------------------------------------------


def test_sign_in_refused_is_the_one_of_workos_sso() -> None:
    from workos_sso.integrations import flask as integration

    assert integration.SignInRefused is SignInRefused


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
        ({"WORKOS_REDIRECT_URI": "https://a@app.example.com/cb"}, "WORKOS_REDIRECT_URI"),
        ({"WORKOS_REDIRECT_URI": 42}, "WORKOS_REDIRECT_URI"),
        ({"WORKOS_ORGANIZATION_ID": " org_1"}, "WORKOS_ORGANIZATION_ID"),
        ({"WORKOS_SSO_SIGN_IN_PAGE": "//evil.example"}, "WORKOS_SSO_SIGN_IN_PAGE"),
        ({"WORKOS_SSO_AFTER_SIGN_OUT": "https://evil.example/"}, "WORKOS_SSO_AFTER_SIGN_OUT"),
        ({"WORKOS_ALLOWED_ORGANIZATIONS": FIXTURE_ORGANIZATION}, "WORKOS_ALLOWED_ORGANIZATIONS"),
        ({"WORKOS_ALLOWED_ORGANIZATIONS": [OTHER_ORGANIZATION]}, "WORKOS_ORGANIZATION_ID"),
        ({"WORKOS_ALLOWED_PROVIDERS": "GoogleOAuth"}, "WORKOS_ALLOWED_PROVIDERS"),
        ({"WORKOS_SSO_PKCE": "yes"}, "WORKOS_SSO_PKCE"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
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


@pytest.mark.parametrize(
    "secret",
    ["a-long-random-value-for-local-development", "change-me", "x" * 31, "django-insecure-" * 3],
)
def test_a_placeholder_or_short_secret_key_is_refused_over_https(secret: str) -> None:
    https = "https://app.example.com/callback"
    app = flask.Flask(__name__)
    app.config.update(_config("http://127.0.0.1:9", WORKOS_REDIRECT_URI=https, SECRET_KEY=secret))
    with pytest.raises(ConfigurationError, match=r"SECRET_KEY.*(placeholder|too short)"):
        WorkOSSSO(app)
    # On plain-HTTP loopback (development) the same key is accepted.
    make_app(_config("http://127.0.0.1:9", SECRET_KEY=secret))


def test_settings_fall_back_to_the_environment(
    workos: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quickstart exports WORKOS_*: a Flask app must not send users to WorkOS's own API."""
    for key, value in _config(workos.url).items():
        if key.startswith("WORKOS_"):
            monkeypatch.setenv(key, value)
    app = make_app({"SECRET_KEY": SECRET})
    with app.test_request_context():
        assert app.extensions["workos_sso"].client.base_url == workos.url
    assert _start(app.test_client()).startswith(f"{workos.url}/sso/authorize?")
    # app.config wins over the environment.
    app = make_app({"SECRET_KEY": SECRET, "WORKOS_REDIRECT_URI": "http://localhost:6000/cb"})
    assert {"/cb"} <= {rule.rule for rule in app.url_map.iter_rules()}


def test_unset_organizations_without_a_default_warn_and_name_the_setting() -> None:
    with pytest.warns(UserWarning, match="WORKOS_ALLOWED_ORGANIZATIONS"):
        make_app(_config("http://127.0.0.1:9", WORKOS_ORGANIZATION_ID=None))


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
    reply = second.test_client().get("/login")
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A6000%2Fsso%2Fcb" in reply.location


def test_a_client_of_the_apps_own_replaces_the_api_settings(workos: LoopbackServer) -> None:
    from workos_sso import SSOClient

    with SSOClient(api_key=LOOPBACK_API_KEY, client_id="client_01OWN", base_url=workos.url) as own:
        app = make_app(_config(workos.url, WORKOS_API_KEY=None), client=own)
        assert "client_id=client_01OWN" in _start(app.test_client())


def test_url_prefix_moves_the_routes_but_not_the_callback(workos: LoopbackServer) -> None:
    app = make_app(_config(workos.url), url_prefix="/auth")
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/auth/login", "/auth/login/email", "/auth/logout", "/callback"} <= rules
    client = app.test_client()
    assert client.get("/account").location == "/auth/login?next=%2Faccount"
    _sign_in(client, "/auth/login")
    assert _home(client)["user"]["email"] == "ada@fixture.example"
    with pytest.raises(ConfigurationError, match="url_prefix"):
        WorkOSSSO(url_prefix="auth/")


# --- the session ----------------------------------------------------------------------------


def test_cookie_is_secure_outside_loopback() -> None:
    app = make_app(_config("http://127.0.0.1:9", WORKOS_REDIRECT_URI="https://a.example/cb"))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_cookie_settings_of_the_app_are_kept() -> None:
    app = make_app(_config("http://127.0.0.1:9", SESSION_COOKIE_SECURE=True))
    assert app.config["SESSION_COOKIE_SECURE"] is True  # on loopback, where the default is False


class _ServerSideSessions(flask.sessions.SessionInterface):  # type: ignore[misc]
    """A server-side session store that keeps ids in memory, and can give a session a new id."""

    def __init__(self, *, can_regenerate: bool) -> None:
        self.store: dict[str, dict[str, Any]] = {}
        self.regenerated = 0
        if not can_regenerate:
            self.regenerate = None

    def open_session(self, app: Any, request: Any) -> Any:
        sid = request.cookies.get("sid") or f"sid-{len(self.store)}"
        session = flask.sessions.SecureCookieSession(self.store.get(sid, {}))
        session.sid = sid
        return session

    def save_session(self, app: Any, session: Any, response: Any) -> None:
        self.store[session.sid] = dict(session)
        response.set_cookie("sid", session.sid, httponly=True)

    def regenerate(self, session: Any) -> None:  # type: ignore[no-redef]
        self.regenerated += 1
        session.sid = f"sid-{len(self.store)}-new"


def test_a_session_that_cannot_get_a_new_id_is_refused_at_start_up() -> None:
    app = flask.Flask(__name__)
    app.config.update(_config("http://127.0.0.1:9"))
    app.session_interface = _ServerSideSessions(can_regenerate=False)
    with pytest.raises(ConfigurationError, match="new id"):
        WorkOSSSO(app)


def test_a_server_side_session_gets_a_new_id_at_sign_in(workos: LoopbackServer) -> None:
    app = flask.Flask(__name__)
    app.config.update(_config(workos.url))
    sessions = _ServerSideSessions(can_regenerate=True)
    app.session_interface = sessions
    WorkOSSSO(app)
    client = app.test_client()
    authorize = _start(client)
    planted = client.get_cookie("sid").value
    client.get(_callback_for(authorize))
    assert sessions.regenerated == 1
    assert client.get_cookie("sid").value != planted
    assert "workos_sso.user" not in sessions.store[planted]


# --- the current user ------------------------------------------------------------------------


def test_current_user_is_in_templates_and_false_when_nobody(workos: LoopbackServer) -> None:
    client = make_app(_config(workos.url)).test_client()
    assert client.get("/whoami").get_data(as_text=True) == "nobody"
    _sign_in(client)
    assert client.get("/whoami").get_data(as_text=True) == "ada@fixture.example"
    assert client.get("/account").get_data(as_text=True) == "account of ada@fixture.example"


def test_login_required_answers_401_to_json_requests(workos: LoopbackServer) -> None:
    client = make_app(_config(workos.url)).test_client()
    assert client.get("/account", headers={"Accept": "application/json"}).status_code == 401
    reply = client.get("/account?tab=keys")
    assert reply.location == "/login?next=%2Faccount%3Ftab%3Dkeys"


def test_a_malformed_session_user_is_nobody(workos: LoopbackServer) -> None:
    client = make_app(_config(workos.url)).test_client()
    with client.session_transaction() as session:
        session["workos_sso.user"] = {"id": 7}
    assert _home(client)["user"] is None


def test_the_hook_gets_flasks_request_and_its_user_is_kept(workos: LoopbackServer) -> None:
    seen: list[Any] = []

    def hook(request: Request, result: SignInResult) -> Optional[SessionUser]:
        seen.append((request.path, result.profile.id))
        return SessionUser(id=result.profile.id, email="alias@fixture.example", connection_id="c")

    client = make_app(_config(workos.url), on_sign_in=hook).test_client()
    _sign_in(client)
    assert seen == [("/callback", profile_and_token_fixture()["profile"]["id"])]
    assert _home(client)["user"]["email"] == "alias@fixture.example"


# --- live, at the emulator -------------------------------------------------------------------


def _follow_authorization(url: str) -> str:
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    return f"{location.path}?{location.query}"


@pytest.mark.live
def test_live_sign_in_and_out_at_the_emulator(emulator_url: str) -> None:
    organizations = emulator.seeded_organizations(emulator_url)
    config = _config(
        emulator_url,
        WORKOS_API_KEY=emulator.INTEGRATIONS_API_KEY,
        WORKOS_CLIENT_ID=emulator.CLIENT_ID,
        WORKOS_ORGANIZATION_ID=organizations["foo"],
    )
    client = make_app(config).test_client()
    client.get(_follow_authorization(_start(client)))
    assert _home(client)["user"]["organization_id"] == organizations["foo"]
    # An organization outside the allowed ones is refused before anything goes to WorkOS.
    reply = client.get(f"/login?organization={organizations['bar']}")
    assert reply.location == "/"
    assert _home(client)["user"]["organization_id"] == organizations["foo"]
    logout = urlsplit(client.post("/logout").location)
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


def _example_env(base_url: str, **changes: str) -> dict[str, str]:
    env = {key: str(value) for key, value in _config(base_url).items() if key != "SECRET_KEY"}
    return {**env, "APP_SECRET_KEY": SECRET, **changes}


def test_the_example_app_signs_in_within_its_allowed_organizations(workos: LoopbackServer) -> None:
    example = _example()
    env = _example_env(workos.url, WORKOS_ALLOWED_ORGANIZATIONS=f"{OTHER_ORGANIZATION},org_01X")
    env.pop("WORKOS_ORGANIZATION_ID")
    client = example.create_app(env).test_client()
    assert client.get("/account").location == "/login?next=%2Faccount"
    reply = client.get(f"/login?organization={FIXTURE_ORGANIZATION}")
    page = client.get(reply.location).get_data(as_text=True)
    assert "That organization cannot sign in to this site." in page
    assert "Signed in as" not in page

    client = example.create_app(_example_env(workos.url)).test_client()
    _sign_in(client)
    assert client.get("/account").get_json() == {
        "email": "ada@fixture.example",
        "organization": FIXTURE_ORGANIZATION,
    }


def test_the_example_page_passes_next_on_and_escapes_it(workos: LoopbackServer) -> None:
    example = _example()
    env = _example_env(workos.url)
    env.pop("WORKOS_ORGANIZATION_ID")
    client = example.create_app({**env, "WORKOS_ALLOWED_ORGANIZATIONS": "*"}).test_client()
    page = client.get(client.get("/login?next=/account").location).get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/account">' in page
    page = client.get('/?next="><script>x()</script>').get_data(as_text=True)
    assert "<script>x()" not in page
    reply = client.post("/login/email", data={"email": "ada@fixture.example", "next": "/account"})
    assert client.get(_callback_for(reply.location)).location == "/account"
