"""workos_sso.integrations.starlette: what only Starlette and FastAPI have.

The settings and their environment fallback, the lifespan (the session-middleware check, the
client closed), FastAPI's router and dependencies, and the async hook. The sign-in behaviour
shared by the three frameworks is in ``test_contract.py``. Offline, WorkOS is a loopback server
(``tests/loopback.py``); the test marked ``live`` signs in at the emulator.

Starlette's TestClient is entered as a server runs the app: one event loop for every request,
and the lifespan.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Optional
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount
from starlette.routing import Route as StarletteRoute
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from tests import emulator
from tests.integrations.harness import answer_as_workos
from tests.loopback import LOOPBACK_API_KEY, LOOPBACK_CLIENT_ID, LoopbackServer
from workos_sso import ConfigurationError, SessionUser, SignInRefused, SignInResult
from workos_sso.integrations.starlette import (
    WorkOSSSO,
    current_user,
    login_required,
    pop_message,
    require_user,
)

SECRET = "starlette-integration-tests-0123456789"
REDIRECT_URI = "http://127.0.0.1:5000/auth/callback"
OFFLINE = "http://127.0.0.1:9"  # nothing listens there
FIXTURE_ORGANIZATION = "org_01FIXTUREORGANIZATION00001"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def _env(base_url: str = OFFLINE, /, **changes: Optional[str]) -> dict[str, str]:
    env: dict[str, Optional[str]] = {
        "WORKOS_API_KEY": LOOPBACK_API_KEY,
        "WORKOS_CLIENT_ID": LOOPBACK_CLIENT_ID,
        "WORKOS_BASE_URL": base_url,
        "WORKOS_REDIRECT_URI": REDIRECT_URI,
        "WORKOS_ORGANIZATION_ID": FIXTURE_ORGANIZATION,
        **changes,
    }
    return {name: value for name, value in env.items() if value is not None}


def _sso(base_url: str = OFFLINE, **options: Any) -> WorkOSSSO:
    return WorkOSSSO(secret_key=SECRET, environ=_env(base_url), **options)


async def _home(request: Request) -> JSONResponse:
    user = current_user(request)
    return JSONResponse({"user": user and user.to_dict(), "message": pop_message(request)})


def _app(sso: WorkOSSSO, *, middleware: Optional[list[Middleware]] = None) -> Starlette:
    return Starlette(
        routes=[StarletteRoute("/", _home), Mount("/auth", sso.router)],
        middleware=[sso.session_middleware()] if middleware is None else middleware,
        lifespan=sso.lifespan,
    )


@pytest.fixture
def workos(loopback: LoopbackServer) -> LoopbackServer:
    """WorkOS on a loopback server: a token exchange for the fixture profile, and the rest."""
    return answer_as_workos(loopback)


def _sign_in(
    client: TestClient, login: str = "/auth/login", callback: str = "/auth/callback"
) -> Any:
    """Start a sign-in and come back with a code for its state; return the callback's reply."""
    start = client.get(login)
    assert start.status_code == 303, start.text
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    return client.get(f"{callback}?" + urlencode({"code": "code-0001", "state": state}))


# --- importing -------------------------------------------------------------------------------


def test_sign_in_refused_is_the_one_of_workos_sso() -> None:
    from workos_sso.integrations import starlette as integration

    assert integration.SignInRefused is SignInRefused


# --- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "options", "named"),
    [
        ({"WORKOS_REDIRECT_URI": None}, {}, "WORKOS_REDIRECT_URI"),
        ({"WORKOS_API_KEY": None}, {}, "WORKOS_API_KEY"),
        ({"WORKOS_CLIENT_ID": ""}, {}, "WORKOS_CLIENT_ID"),
        ({"WORKOS_API_KEY": "not-a-key"}, {}, "WORKOS_API_KEY"),
        ({"WORKOS_BASE_URL": "http://api.example.com"}, {}, "WORKOS_BASE_URL"),
        ({"WORKOS_REDIRECT_URI": "http://app.example.com/callback"}, {}, "redirect_uri"),
        ({"WORKOS_REDIRECT_URI": "https://app.example.com/"}, {}, "redirect_uri"),
        ({"WORKOS_REDIRECT_URI": "https://a@app.example.com/cb"}, {}, "redirect_uri"),
        ({}, {"redirect_uri": "callback"}, "redirect_uri"),
        ({}, {"sign_in_page": "//evil.example"}, "sign_in_page"),
        ({}, {"sign_in_page": "/\\evil.example"}, "sign_in_page"),
        ({}, {"after_sign_out": "https://evil.example/"}, "after_sign_out"),
        ({}, {"allowed_organizations": FIXTURE_ORGANIZATION}, "allowed_organizations"),
        ({}, {"allowed_organizations": ["org_01OTHER"]}, "default_organization"),
        ({}, {"allowed_providers": "GoogleOAuth"}, "allowed_providers"),
        ({}, {"default_organization": " org_1"}, "default_organization"),
        ({}, {"pkce": "yes"}, "pkce"),
        ({}, {"on_sign_in": "myapp.hooks.on_sign_in"}, "on_sign_in"),
        ({}, {"secret_key": ""}, "secret_key"),
        ({}, {"client_options": {"timeout": -1}}, "timeout"),
    ],
)
def test_a_missing_or_malformed_setting_is_named(
    changes: dict[str, Optional[str]], options: dict[str, Any], named: str
) -> None:
    options = {"secret_key": SECRET, **options}
    with pytest.raises(ConfigurationError, match=named):
        WorkOSSSO(environ=_env(**changes), **options)


@pytest.mark.parametrize(
    "secret", ["change-me", "x" * 31, b"a-long-random-value-for-local-development"]
)
def test_a_placeholder_or_short_secret_key_is_refused_over_https(secret: Any) -> None:
    https = _env(WORKOS_REDIRECT_URI="https://app.example.com/callback")
    with pytest.raises(ConfigurationError, match=r"secret_key.*(placeholder|too short)"):
        WorkOSSSO(secret_key=secret, environ=https)
    WorkOSSSO(secret_key=secret, environ=_env())  # plain-HTTP loopback: development


def test_settings_fall_back_to_the_environment(
    workos: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in _env(workos.url).items():
        monkeypatch.setenv(name, value)
    sso = WorkOSSSO(secret_key=SECRET)  # environ: os.environ
    assert sso.client.base_url == workos.url
    assert sso.default_organization == FIXTURE_ORGANIZATION
    with TestClient(_app(sso), follow_redirects=False) as client:
        authorize = client.get("/auth/login").headers["location"]
    assert authorize.startswith(f"{workos.url}/sso/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["organization"] == [FIXTURE_ORGANIZATION]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["client_id"] == [LOOPBACK_CLIENT_ID]
    # Arguments win over the environment.
    sso = WorkOSSSO(
        secret_key=SECRET,
        redirect_uri="http://localhost:6000/sso/cb",
        client_id="client_01OWN",
        base_url=OFFLINE,
        default_organization="org_01OWN",
    )
    assert (sso.redirect_uri, sso.client.client_id) == (
        "http://localhost:6000/sso/cb",
        "client_01OWN",
    )
    assert (sso.client.base_url, sso.default_organization) == (OFFLINE, "org_01OWN")


def test_unset_organizations_without_a_default_warn_and_name_the_setting() -> None:
    with pytest.warns(UserWarning, match="allowed_organizations") as caught:
        WorkOSSSO(secret_key=SECRET, environ=_env(WORKOS_ORGANIZATION_ID=None))
    assert caught[0].filename == __file__  # the warning points at the app's code


def test_allowed_organizations_and_providers_reach_the_policy() -> None:
    sso = _sso(allowed_organizations=["org_01OTHER", FIXTURE_ORGANIZATION])
    assert sso.policy.organizations == frozenset({"org_01OTHER", FIXTURE_ORGANIZATION})
    assert sso.policy.providers == frozenset()
    sso = WorkOSSSO(
        secret_key=SECRET,
        environ=_env(WORKOS_ORGANIZATION_ID=None),
        allowed_organizations="*",
        allowed_providers=["GoogleOAuth"],
    )
    assert sso.policy.organizations is None
    assert sso.policy.providers == frozenset({"GoogleOAuth"})


def test_pkce_sends_a_challenge_and_keeps_the_verifier_for_the_exchange(
    workos: LoopbackServer,
) -> None:
    sso = _sso(workos.url, pkce=True)
    with TestClient(_app(sso), follow_redirects=False) as client:
        authorize = parse_qs(urlsplit(client.get("/auth/login").headers["location"]).query)
        assert authorize["code_challenge_method"] == ["S256"]
        state = authorize["state"][0]
        client.get("/auth/callback?" + urlencode({"code": "code-0001", "state": state}))
        assert client.get("/").json()["user"]["email"] == "ada@fixture.example"
    [token] = [request for request in workos.requests if request.path == "/sso/token"]
    verifier = json.loads(token.body)["code_verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == authorize["code_challenge"][0]


# --- the session cookie and the lifespan -----------------------------------------------------


@pytest.mark.parametrize(
    ("redirect_uri", "secure"),
    [(REDIRECT_URI, False), ("https://app.example.com/auth/callback", True)],
)
def test_session_middleware_is_httponly_lax_and_secure_outside_loopback(
    redirect_uri: str, secure: bool
) -> None:
    sso = WorkOSSSO(secret_key=SECRET, environ=_env(WORKOS_REDIRECT_URI=redirect_uri))
    with TestClient(_app(sso), follow_redirects=False) as client:
        cookie = client.get("/auth/login").headers["set-cookie"].lower()
    assert cookie.startswith("session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert ("; secure" in cookie) is secure


def test_the_lifespan_closes_the_client() -> None:
    sso = _sso()
    with TestClient(_app(sso)):
        during = sso.client
        assert sso.client is during  # one client for the app's life
        assert sso.flow.client is during
    assert sso.client is not during  # closed at shutdown: the next use makes a new one
    assert sso.flow.client is sso.client


class _ServerSideSessions:
    """A session middleware of another kind: it keeps one session id across sign-in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["session"] = {}
        await self.app(scope, receive, send)


@pytest.mark.parametrize("middleware", [[], [Middleware(_ServerSideSessions)]])
def test_without_starlettes_session_middleware_the_app_does_not_start(
    middleware: list[Middleware],
) -> None:
    app = _app(_sso(), middleware=middleware)
    with (
        pytest.raises(ConfigurationError, match=r"SessionMiddleware.*session_middleware\(\)"),
        TestClient(app),
    ):
        pass


def test_session_middleware_added_by_the_app_itself_is_accepted(workos: LoopbackServer) -> None:
    from starlette.middleware.sessions import SessionMiddleware

    sso = _sso(workos.url)
    app = _app(sso, middleware=[])
    app.add_middleware(SessionMiddleware, secret_key=SECRET, same_site="lax")
    with TestClient(app, follow_redirects=False) as client:
        assert _sign_in(client).headers["location"] == "/"
        assert client.get("/").json()["user"]["email"] == "ada@fixture.example"


def test_the_lifespan_inside_the_apps_own() -> None:
    sso = _sso()
    events = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with sso.lifespan(app):
            events.append("started")
            yield
        events.append("stopped")

    app = Starlette(middleware=[sso.session_middleware()], lifespan=lifespan)
    with TestClient(app):
        during = sso.client
    assert events == ["started", "stopped"]
    assert sso.client is not during


def test_without_a_session_the_error_says_what_to_add() -> None:
    request = Request({"type": "http"})
    for read in (current_user, pop_message):
        with pytest.raises(ConfigurationError, match=r"sso\.session_middleware\(\)"):
            read(request)
    sso = _sso()
    app = Starlette(routes=[Mount("/auth", sso.router)])  # no lifespan: no check at start-up
    with TestClient(app) as client, pytest.raises(ConfigurationError, match="SessionMiddleware"):
        client.get("/auth/login")


def test_current_user_and_pop_message_read_the_session() -> None:
    user = {"id": "prof_1", "email": "a@b.example", "connection_id": "conn_1"}
    assert current_user(Request({"type": "http", "session": {"workos_sso.user": user}}))
    assert (
        current_user(Request({"type": "http", "session": {"workos_sso.user": {"id": 5}}})) is None
    )
    session: dict[str, Any] = {"workos_sso.message": "Why."}
    assert pop_message(Request({"type": "http", "session": session})) == "Why."
    assert pop_message(Request({"type": "http", "session": session})) is None


def test_an_oversized_email_form_is_read_as_empty(workos: LoopbackServer) -> None:
    with TestClient(_app(_sso(workos.url)), follow_redirects=False) as client:
        body = b"email=ada%40fixture.example&next=%2F" + b"x" * 20_000
        reply = client.post("/auth/login/email", content=body, headers=FORM)
        assert reply.headers["location"] == "/"
        assert client.get("/").json()["message"].startswith("Enter a work email address")
        reply = client.post(
            "/auth/login/email", content=b"email=ada%40fixture.example", headers=FORM
        )
        assert "/sso/authorize?" in reply.headers["location"]


# --- dependencies and FastAPI ----------------------------------------------------------------


def test_require_user_answers_401_and_login_required_redirects(workos: LoopbackServer) -> None:
    sso = _sso(workos.url)

    async def private(request: Request) -> PlainTextResponse:
        return PlainTextResponse(require_user(request).email)

    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse(login_required("/auth/login")(request).email)

    app = _app(sso)
    app.router.routes += [StarletteRoute("/private", private), StarletteRoute("/page", page)]
    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/private").status_code == 401
        reply = client.get("/page?tab=2")
        assert reply.status_code == 303
        assert reply.headers["location"] == "/auth/login?next=%2Fpage%3Ftab%3D2"
        _sign_in(client, "/auth/login?next=/page")
        assert client.get("/private").text == client.get("/page").text == "ada@fixture.example"


def test_fastapi_api_router_carries_the_lifespan_and_the_dependencies(
    workos: LoopbackServer,
) -> None:
    from fastapi import Depends, FastAPI

    sso = _sso(workos.url)
    app = FastAPI(middleware=[sso.session_middleware()])  # the lifespan comes with the router
    app.include_router(sso.api_router(), prefix="/auth")

    @app.get("/me")
    async def me(user: SessionUser = Depends(require_user)) -> dict[str, str]:  # noqa: B008
        return {"email": user.email}

    @app.get("/page")
    async def page(
        user: SessionUser = Depends(login_required("/auth/login")),  # noqa: B008
    ) -> dict[str, str]:
        return {"email": user.email}

    with TestClient(app, follow_redirects=False) as client:
        during = sso.client
        assert client.get("/me").status_code == 401
        assert client.get("/page").headers["location"] == "/auth/login?next=%2Fpage"
        assert _sign_in(client, "/auth/login?next=/page").headers["location"] == "/page"
        assert client.get("/page").json() == {"email": "ada@fixture.example"}
        assert client.post("/auth/logout").headers["location"].startswith("https://")
        assert client.get("/me").status_code == 401
    assert sso.client is not during  # closed by the router's lifespan

    bare = FastAPI()  # no session middleware: refused at start-up, through the router
    bare.include_router(sso.api_router())
    with pytest.raises(ConfigurationError, match="SessionMiddleware"), TestClient(bare):
        pass


# --- the hook, plain or async ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plain", "async"])
def test_the_hook_chooses_the_user_or_refuses(workos: LoopbackServer, kind: str) -> None:
    refuse: list[bool] = []
    seen: list[tuple[Request, SignInResult]] = []

    def decide(request: Request, result: SignInResult) -> Optional[SessionUser]:
        seen.append((request, result))
        if refuse:
            raise SignInRefused("Your organization has no account here yet.")
        user = SessionUser.from_profile(result.profile)
        return SessionUser(
            id=user.id, email=user.email, connection_id=user.connection_id, role="reader"
        )

    async def decide_async(request: Request, result: SignInResult) -> Optional[SessionUser]:
        return decide(request, result)

    sso = _sso(workos.url, on_sign_in=decide if kind == "plain" else decide_async)
    with TestClient(_app(sso), follow_redirects=False) as client:
        assert _sign_in(client).headers["location"] == "/"
        request, result = seen[0]
        assert isinstance(request, Request)
        assert result.profile.organization_id == FIXTURE_ORGANIZATION
        assert client.get("/").json()["user"]["role"] == "reader"
        refuse.append(True)
        refused = _sign_in(client)
        assert refused.headers["location"] == "/"
        home = client.get("/").json()
        assert home["message"] == "Your organization has no account here yet."
        assert home["user"]["role"] == "reader"  # the established session is untouched


def test_a_hook_returning_something_else_is_a_bug_not_a_refusal(workos: LoopbackServer) -> None:
    async def wrong(request: Request, result: SignInResult) -> Any:
        return {"id": result.profile.id}

    sso = _sso(workos.url, on_sign_in=wrong)
    with (
        TestClient(_app(sso), follow_redirects=False) as client,
        pytest.raises(TypeError, match="SessionUser or None"),
    ):
        _sign_in(client)


# --- live: the emulator ----------------------------------------------------------------------


@pytest.fixture
def emulator_sso(emulator_url: str) -> WorkOSSSO:
    foo = emulator.seeded_organizations(emulator_url)["foo"]
    env = {
        "WORKOS_API_KEY": emulator.INTEGRATIONS_API_KEY,
        "WORKOS_CLIENT_ID": emulator.CLIENT_ID,
        "WORKOS_BASE_URL": emulator_url,
        "WORKOS_REDIRECT_URI": REDIRECT_URI,
        "WORKOS_ORGANIZATION_ID": foo,
    }
    return WorkOSSSO(secret_key=SECRET, environ=env)


@pytest.mark.live
def test_a_starlette_app_signs_in_and_out_at_the_emulator(emulator_sso: WorkOSSSO) -> None:
    from workos_sso.testing import complete_sign_in

    with TestClient(_app(emulator_sso), follow_redirects=False) as client:
        start = client.get("/auth/login?next=/after")
        callback = complete_sign_in(start.headers["location"], redirect_uri=REDIRECT_URI)
        assert client.get(callback.path).headers["location"] == "/after"
        user = client.get("/").json()["user"]
        assert user["organization_id"] == emulator_sso.default_organization
        logout = client.post("/auth/logout")
        assert "/sso/logout?" in logout.headers["location"]
        assert client.get("/").json()["user"] is None
