"""workos_sso.integrations.starlette: a Starlette app (and a FastAPI one) on the integration.

Starlette's TestClient is entered as a server runs the app: one event loop for every request,
and the lifespan that closes the integration's AsyncSSOClient. The offline tests need no server
(the refusals happen before any call to WorkOS); those marked ``live`` sign in at the emulator.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from tests import emulator
from workos_sso import ConfigurationError
from workos_sso.integrations.starlette import (
    EXPIRED,
    MESSAGE_KEY,
    USER_KEY,
    WRONG_ORGANIZATION,
    SignInRefused,
    WorkOSSSO,
    current_user,
    login_required,
    pop_message,
    require_user,
)
from workos_sso.testing import complete_sign_in

SECRET = "starlette-tests-secret-0123456789abcdef"
REDIRECT_URI = "http://127.0.0.1:5000/auth/callback"
OFFLINE = "http://127.0.0.1:9"  # nothing listens: the offline tests must not call WorkOS


def _env(base_url: str = OFFLINE, **changes: str) -> dict[str, str]:
    return {
        "WORKOS_API_KEY": emulator.INTEGRATIONS_API_KEY,
        "WORKOS_CLIENT_ID": emulator.CLIENT_ID,
        "WORKOS_BASE_URL": base_url,
        "WORKOS_REDIRECT_URI": REDIRECT_URI,
        **changes,
    }


def _app(sso: WorkOSSSO, *, sessions: bool = True) -> Starlette:
    async def home(request: Request) -> JSONResponse:
        user = current_user(request)
        return JSONResponse(
            {
                "user": user.to_dict() if user else None,
                "message": pop_message(request),
                "session": dict(request.session),
            }
        )

    async def remember(request: Request) -> PlainTextResponse:
        request.session["before_sign_in"] = "kept?"
        return PlainTextResponse("ok")

    async def private(request: Request) -> PlainTextResponse:
        return PlainTextResponse(require_user(request).email)

    async def redirecting(request: Request) -> PlainTextResponse:
        return PlainTextResponse(login_required("/auth/login")(request).email)

    return Starlette(
        routes=[
            Route("/", home),
            Route("/remember", remember),
            Route("/private", private),
            Route("/redirecting", redirecting),
            Mount("/auth", sso.router),
        ],
        middleware=[sso.session_middleware()] if sessions else [],
        lifespan=sso.lifespan,
    )


@pytest.fixture
def offline() -> Iterator[TestClient]:
    sso = WorkOSSSO(secret_key=SECRET, environ=_env())
    with TestClient(_app(sso), follow_redirects=False) as client:
        yield client


def _message(client: TestClient, response: Any) -> Optional[str]:
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    message: Optional[str] = client.get("/").json()["message"]
    return message


# --- offline ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("WORKOS_REDIRECT_URI", "WORKOS_REDIRECT_URI"),
        ("WORKOS_API_KEY", "WORKOS_API_KEY"),
        ("WORKOS_CLIENT_ID", "WORKOS_CLIENT_ID"),
    ],
)
def test_a_missing_setting_fails_at_start_up(missing: str, named: str) -> None:
    env = _env()
    del env[missing]
    with pytest.raises(ConfigurationError, match=named):
        WorkOSSSO(secret_key=SECRET, environ=env)


def test_a_secret_key_is_required() -> None:
    with pytest.raises(ConfigurationError, match="secret_key"):
        WorkOSSSO(secret_key="", environ=_env())


def test_without_session_middleware_the_error_says_what_to_add() -> None:
    sso = WorkOSSSO(secret_key=SECRET, environ=_env())
    with (
        TestClient(_app(sso, sessions=False)) as client,
        pytest.raises(RuntimeError, match="SessionMiddleware"),
    ):
        client.get("/auth/login?organization=org_1")


def test_login_without_a_selector_or_with_two_goes_back_to_sign_in(offline: TestClient) -> None:
    assert "Choose an organization" in str(_message(offline, offline.get("/auth/login")))
    both = offline.get("/auth/login?organization=org_1&connection=conn_1")
    assert "Choose an organization" in str(_message(offline, both))


def test_login_redirects_to_workos_with_a_state_kept_in_the_session(offline: TestClient) -> None:
    response = offline.get("/auth/login?organization=org_1&next=/projects")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{OFFLINE}/sso/authorize"
    query = parse_qs(location.query)
    assert query["organization"] == ["org_1"]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert offline.get("/").json()["session"]["workos_sso_state"] == query["state"][0]


def test_login_by_provider(offline: TestClient) -> None:
    response = offline.get("/auth/login?provider=GoogleOAuth")
    assert parse_qs(urlsplit(response.headers["location"]).query)["provider"] == ["GoogleOAuth"]


def test_default_organization_from_the_environment() -> None:
    sso = WorkOSSSO(secret_key=SECRET, environ=_env(WORKOS_ORGANIZATION_ID="org_default"))
    with TestClient(_app(sso), follow_redirects=False) as client:
        location = client.get("/auth/login").headers["location"]
    assert parse_qs(urlsplit(location).query)["organization"] == ["org_default"]


def test_a_malformed_email_goes_back_to_sign_in(offline: TestClient) -> None:
    response = offline.post(
        "/auth/login/email",
        content=b"email=not+an+email",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert "Enter a work email address" in str(_message(offline, response))


def test_an_error_from_workos_is_shown(offline: TestClient) -> None:
    offline.get("/auth/login?organization=org_1")
    response = offline.get("/auth/callback?error=access_denied&state=x")
    assert "Sign-in failed (access_denied)" in str(_message(offline, response))


def test_a_callback_without_a_pending_sign_in_is_refused(offline: TestClient) -> None:
    # Login CSRF: a callback made in another browser; and a forged state. No code is exchanged.
    assert _message(offline, offline.get("/auth/callback?code=c&state=forged")) == EXPIRED
    offline.get("/auth/login?organization=org_1")
    assert _message(offline, offline.get("/auth/callback?code=c&state=forged")) == EXPIRED


def test_sign_out_when_signed_out(offline: TestClient) -> None:
    response = offline.post("/auth/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_require_user_answers_401_and_login_required_redirects(offline: TestClient) -> None:
    assert offline.get("/private").status_code == 401
    response = offline.get("/redirecting?tab=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login?next=%2Fredirecting%3Ftab%3D2"


def test_current_user_reads_the_session() -> None:
    user = {"id": "prof_1", "email": "a@b.example", "connection_id": "conn_1"}
    assert current_user(Request({"type": "http", "session": {USER_KEY: user}})) is not None
    assert current_user(Request({"type": "http", "session": {USER_KEY: {"id": 5}}})) is None
    assert current_user(Request({"type": "http", "session": {}})) is None
    assert pop_message(Request({"type": "http", "session": {MESSAGE_KEY: "hi"}})) == "hi"
    with pytest.raises(RuntimeError, match="SessionMiddleware"):
        current_user(Request({"type": "http"}))


@pytest.mark.parametrize(
    ("redirect_uri", "secure"),
    [(REDIRECT_URI, False), ("https://app.example.com/auth/callback", True)],
)
def test_session_cookie_is_httponly_lax_and_secure_outside_loopback(
    redirect_uri: str, secure: bool
) -> None:
    sso = WorkOSSSO(secret_key=SECRET, environ=_env(WORKOS_REDIRECT_URI=redirect_uri))
    with TestClient(_app(sso), follow_redirects=False) as client:
        cookie = client.get("/auth/login?organization=org_1").headers["set-cookie"].lower()
    assert cookie.startswith("session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert ("; secure" in cookie) is secure


def test_the_lifespan_closes_the_client() -> None:
    sso = WorkOSSSO(secret_key=SECRET, environ=_env())
    with TestClient(_app(sso)):
        during = sso.client
        assert sso.client is during  # one client for the app's life
    assert sso.client is not during  # closed at shutdown: the next use makes a new one


def test_fastapi_include_router_and_dependency() -> None:
    from fastapi import Depends, FastAPI

    from workos_sso import SessionUser

    sso = WorkOSSSO(secret_key=SECRET, environ=_env())
    app = FastAPI(lifespan=sso.lifespan, middleware=[sso.session_middleware()])
    app.include_router(sso.api_router())

    @app.get("/me")
    async def me(user: SessionUser = Depends(require_user)) -> dict[str, str]:  # noqa: B008
        return {"email": user.email}

    @app.get("/page")
    async def page(
        user: SessionUser = Depends(login_required("/login")),  # noqa: B008
    ) -> dict[str, str]:
        return {"email": user.email}

    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/me").status_code == 401
        assert client.get("/page").headers["location"] == "/login?next=%2Fpage"
        assert client.get("/login?organization=org_1").status_code == 303
        assert client.post("/logout").headers["location"] == "/"


def test_importing_workos_sso_imports_no_framework() -> None:
    code = (
        "import sys, workos_sso, workos_sso.integrations, workos_sso.testing\n"
        "assert not {'starlette', 'fastapi', 'aiohttp'} & set(sys.modules), sys.modules\n"
        "import workos_sso.integrations.starlette\n"
        "assert 'fastapi' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- live: signed in at the emulator ---------------------------------------------------------


def _organization(emulator_url: str, domain: str) -> str:
    name = {domain: name for name, domain in emulator.SEEDED_DOMAINS.items()}[domain]
    return emulator.seeded_organizations(emulator_url)[name]


def _sign_in(client: TestClient, start: str) -> Any:
    response = client.get(start)
    assert response.status_code == 303, response.text
    callback = complete_sign_in(response.headers["location"], redirect_uri=REDIRECT_URI)
    return client.get(callback.path)


@pytest.mark.live
def test_sign_in_by_organization_rotates_the_session_and_signs_out(emulator_url: str) -> None:
    foo = _organization(emulator_url, "foo-corp.com")
    sso = WorkOSSSO(secret_key=SECRET, environ=_env(emulator_url))
    with TestClient(_app(sso), follow_redirects=False) as client:
        client.get("/remember")
        reply = _sign_in(client, f"/auth/login?organization={foo}&next=/private")
        assert reply.status_code == 303
        assert reply.headers["location"] == "/private"
        home = client.get("/").json()
        assert home["user"]["organization_id"] == foo
        assert "before_sign_in" not in home["session"]
        assert client.get("/private").text == home["user"]["email"]
        logout = client.post("/auth/logout")
        assert "/sso/logout?" in logout.headers["location"]
        assert client.get("/").json()["user"] is None


@pytest.mark.live
def test_sign_in_by_email_and_a_domain_without_sso(emulator_url: str) -> None:
    sso = WorkOSSSO(secret_key=SECRET, environ=_env(emulator_url))
    form = {"content-type": "application/x-www-form-urlencoded"}
    with TestClient(_app(sso), follow_redirects=False) as client:
        reply = client.post("/auth/login/email", content=b"email=bob%40bar.example", headers=form)
        callback = complete_sign_in(reply.headers["location"], redirect_uri=REDIRECT_URI)
        client.get(callback.path)
        assert client.get("/").json()["user"]["email"] == "bob@bar.example"
        reply = client.post("/auth/login/email", content=b"email=j%40no-sso.example", headers=form)
        assert "no-sso.example does not use single sign-on" in str(_message(client, reply))


@pytest.mark.live
def test_replayed_callback_and_another_organization_are_refused(emulator_url: str) -> None:
    foo = _organization(emulator_url, "foo-corp.com")
    bar = _organization(emulator_url, "bar.example")
    sso = WorkOSSSO(secret_key=SECRET, environ=_env(emulator_url))
    with TestClient(_app(sso), follow_redirects=False) as client:
        start = client.get(f"/auth/login?organization={foo}").headers["location"]
        callback = complete_sign_in(start)
        client.get(callback.path)
        assert _message(client, client.get(callback.path)) == EXPIRED
        # The authorization URL edited to another organization: its profile is refused.
        start = client.get(f"/auth/login?organization={foo}").headers["location"]
        edited = start.replace(foo, bar)
        callback = complete_sign_in(edited)
        assert _message(client, client.get(callback.path)) == WRONG_ORGANIZATION
        assert client.get("/").json()["user"] is None


@pytest.mark.live
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_hook_maps_or_refuses_a_sign_in(emulator_url: str, kind: str) -> None:
    foo = _organization(emulator_url, "foo-corp.com")
    bar = _organization(emulator_url, "bar.example")
    tenants = {foo: "tenant-foo"}

    def map_tenant(request: Request, result: Any) -> None:
        tenant = tenants.get(result.profile.organization_id)
        if tenant is None:
            raise SignInRefused("Your organization has no account here.")
        request.session["tenant"] = tenant

    async def map_tenant_async(request: Request, result: Any) -> None:
        map_tenant(request, result)

    hook = map_tenant if kind == "sync" else map_tenant_async
    sso = WorkOSSSO(secret_key=SECRET, environ=_env(emulator_url), on_sign_in=hook)
    with TestClient(_app(sso), follow_redirects=False) as client:
        _sign_in(client, f"/auth/login?organization={foo}")
        home = client.get("/").json()
        assert home["session"]["tenant"] == "tenant-foo"
        assert home["user"]["organization_id"] == foo
        reply = _sign_in(client, f"/auth/login?organization={bar}")
        assert _message(client, reply) == "Your organization has no account here."
        assert client.get("/").json()["user"] is None
