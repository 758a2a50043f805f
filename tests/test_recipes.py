"""The Flask, FastAPI and Django recipes in docs/examples, through each framework's test client.

Live against the emulator (``nox -s emulator`` installs the frameworks and starts one): the
test client plays the browser for the app, and ``requests`` plays it at the emulator's
``/sso/authorize``, which redirects straight back with a code. The frameworks are imported
inside fixtures so that runs without them (``nox -s tests``) never collect their imports.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, Callable
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import attrs
import pytest
import requests

from tests import emulator
from tests.signin import callback_query, with_query
from workos_sso import SignInError, SSOClient, find_connection_for_email, handle_callback
from workos_sso.integrations._policy import RefusalReason
from workos_sso.testing import complete_sign_in

pytestmark = pytest.mark.live

EXAMPLES = emulator.ROOT / "docs" / "examples"
REDIRECT_URI = "http://127.0.0.1:5000/callback"
APP_SECRET = "recipe-tests-secret-0123456789abcdef"
EXPIRED = RefusalReason.EXPIRED.message
NOT_ALLOWED = RefusalReason.ORGANIZATION_NOT_ALLOWED.message


@attrs.frozen
class Reply:
    status: int
    location: str
    text: str
    set_cookies: tuple[str, ...]


@attrs.define
class AppClient:
    """One framework's test client behind the same three calls."""

    name: str
    get: Callable[[str], Reply]
    post: Callable[[str, dict[str, str]], Reply]


@pytest.fixture(scope="module")
def recipe_env(emulator_url: str) -> dict[str, str]:
    organizations = emulator.seeded_organizations(emulator_url)
    foo = organizations["foo"]
    return {
        "WORKOS_API_KEY": emulator.RECIPES_API_KEY,
        "WORKOS_CLIENT_ID": emulator.CLIENT_ID,
        "WORKOS_BASE_URL": emulator_url,
        "WORKOS_REDIRECT_URI": REDIRECT_URI,
        "WORKOS_ORGANIZATION_ID": foo,
        # Both seeded organizations: Bar Inc signs in by email in these tests.
        "WORKOS_ALLOWED_ORGANIZATIONS": f"{foo},{organizations['bar']}",
        "APP_SECRET_KEY": APP_SECRET,
    }


def _load(module: str) -> Any:
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module(module)


def _flask_client(env: dict[str, str]) -> AppClient:
    client = _load("flask_app").create_app(env).test_client()

    def reply(response: Any) -> Reply:
        return Reply(
            response.status_code,
            response.headers.get("Location", ""),
            response.get_data(as_text=True),
            tuple(response.headers.getlist("Set-Cookie")),
        )

    return AppClient(
        "flask",
        lambda path: reply(client.get(path)),
        lambda path, data: reply(client.post(path, data=data)),
    )


def _fastapi_client(env: dict[str, str], request: pytest.FixtureRequest) -> AppClient:
    from fastapi.testclient import TestClient

    client = TestClient(_load("fastapi_app").create_app(env), follow_redirects=False)
    # Entered as a server runs the app: one event loop for every request, and the lifespan
    # that opens and closes the app's AsyncSSOClient.
    client.__enter__()
    request.addfinalizer(lambda: client.__exit__(None, None, None))

    def reply(response: Any) -> Reply:
        return Reply(
            response.status_code,
            response.headers.get("location", ""),
            response.text,
            tuple(response.headers.get_list("set-cookie")),
        )

    return AppClient(
        "fastapi",
        lambda path: reply(client.get(path)),
        lambda path, data: reply(client.post(path, data=data)),
    )


@pytest.fixture(scope="module")
def django_module(recipe_env: dict[str, str]) -> Iterator[Any]:
    # The recipe configures Django from the environment once, when it is imported: the first
    # test module to load it (this one or tests/integrations/test_django.py) sets the
    # environment, and each sets the WORKOS_SSO it needs over it.
    saved = dict(os.environ)
    os.environ.update(recipe_env)
    try:
        module = _load("django_app")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    from django.test import override_settings

    with override_settings(
        WORKOS_SSO={
            "API_KEY": recipe_env["WORKOS_API_KEY"],
            "CLIENT_ID": recipe_env["WORKOS_CLIENT_ID"],
            "REDIRECT_URI": recipe_env["WORKOS_REDIRECT_URI"],
            "BASE_URL": recipe_env["WORKOS_BASE_URL"],
            "ORGANIZATION": recipe_env["WORKOS_ORGANIZATION_ID"],
            # What the recipe reads from WORKOS_ALLOWED_ORGANIZATIONS when it starts.
            "ALLOWED_ORGANIZATIONS": recipe_env["WORKOS_ALLOWED_ORGANIZATIONS"].split(","),
        }
    ):
        yield module


def _django_client(module: Any) -> AppClient:
    from django.test import Client

    client = Client()

    def reply(response: Any) -> Reply:
        return Reply(
            response.status_code,
            response.headers.get("Location", ""),
            response.content.decode(),
            tuple(morsel.OutputString() for morsel in response.cookies.values()),
        )

    return AppClient(
        "django",
        lambda path: reply(client.get(path)),
        lambda path, data: reply(client.post(path, data=data)),
    )


def _new_client(name: str, request: pytest.FixtureRequest) -> AppClient:
    env = request.getfixturevalue("recipe_env")
    if name == "flask":
        return _flask_client(env)
    if name == "fastapi":
        return _fastapi_client(env, request)
    return _django_client(request.getfixturevalue("django_module"))


@pytest.fixture(params=["flask", "fastapi", "django"])
def app(request: pytest.FixtureRequest) -> AppClient:
    return _new_client(request.param, request)


@pytest.fixture
def sso(emulator_url: str) -> Iterator[SSOClient]:
    with SSOClient(
        api_key=emulator.RECIPES_API_KEY, client_id=emulator.CLIENT_ID, base_url=emulator_url
    ) as client:
        yield client


def _follow_authorization(url: str) -> str:
    """The emulator's /sso/authorize: return the app path (with query) it redirects back to."""
    location = urlsplit(complete_sign_in(url).url)
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return f"{location.path}?{location.query}"


def _start(app: AppClient, path: str = "/login") -> str:
    reply = app.get(path)
    assert reply.status in (302, 303), reply.text
    assert "/sso/authorize?" in reply.location
    return reply.location


def _sign_in(app: AppClient, path: str = "/login") -> str:
    """Sign in by organization; return the callback path that did it."""
    callback = _follow_authorization(_start(app, path))
    reply = app.get(callback)
    assert reply.status in (302, 303)
    return callback


def _message_after(app: AppClient, reply: Reply) -> str:
    assert reply.status in (302, 303)
    assert reply.location in ("/", "http://testserver/")
    home = app.get("/")
    assert home.status == 200
    return home.text


def test_signed_out_home_offers_both_ways_in(app: AppClient, recipe_env: dict[str, str]) -> None:
    home = app.get("/")
    assert home.status == 200
    assert f'href="/login?organization={recipe_env["WORKOS_ORGANIZATION_ID"]}"' in home.text
    assert 'action="/login/email"' in home.text
    assert "Signed in as" not in home.text


def test_fastapi_sign_in_page_passes_next_on_escaped(
    recipe_env: dict[str, str], request: pytest.FixtureRequest
) -> None:
    # The FastAPI recipe writes its HTML in f-strings, so it escapes by hand.
    app = _fastapi_client(recipe_env, request)
    text = app.get("/?" + urlencode({"next": "/after?tab=2"})).text
    assert "next=%2Fafter%3Ftab%3D2" in text  # the sign-in link
    assert '<input type="hidden" name="next" value="/after?tab=2">' in text  # the email form
    text = app.get("/?" + urlencode({"next": '/"><b id="rcp-next">'})).text
    assert "rcp-next" in text
    assert '<b id="rcp-next">' not in text


def test_sign_in_by_organization(app: AppClient, recipe_env: dict[str, str]) -> None:
    authorize = _start(app, "/login?next=/after")
    query = parse_qs(urlsplit(authorize).query)
    assert query["organization"] == [recipe_env["WORKOS_ORGANIZATION_ID"]]
    assert query["redirect_uri"] == [REDIRECT_URI]
    reply = app.get(_follow_authorization(authorize))
    assert reply.status in (302, 303)
    assert reply.location.endswith("/after")
    home = app.get("/")
    assert "Signed in as" in home.text
    assert "user@foo-corp.com" in home.text
    assert recipe_env["WORKOS_ORGANIZATION_ID"] in home.text


def test_sign_in_by_email_domain(app: AppClient, sso: SSOClient) -> None:
    reply = app.post("/login/email", {"email": "bob@bar.example"})
    assert reply.status in (302, 303)
    query = parse_qs(urlsplit(reply.location).query)
    assert query["login_hint"] == ["bob@bar.example"]
    bar_connection = find_connection_for_email(sso, "bob@bar.example")
    assert query["connection"] == [bar_connection.id]
    app.get(_follow_authorization(reply.location))
    home = app.get("/")
    assert "bob@bar.example" in home.text
    assert "Babbage" in home.text


def test_email_domain_without_sso_falls_back(app: AppClient) -> None:
    reply = app.post("/login/email", {"email": "jane@no-sso.example"})
    text = _message_after(app, reply)
    assert RefusalReason.NO_SSO_FOR_DOMAIN.message in text
    assert "no-sso.example" not in text
    reply = app.post("/login/email", {"email": "not an email"})
    assert "Enter a work email address" in _message_after(app, reply)


def test_open_redirect_in_next_is_ignored(app: AppClient) -> None:
    callback = _follow_authorization(_start(app, "/login?next=//evil.example"))
    reply = app.get(callback)
    assert reply.location in ("/", "http://testserver/")


def test_replayed_callback_is_refused_and_the_session_survives(app: AppClient) -> None:
    callback = _sign_in(app)
    assert "Signed in as" in app.get("/").text
    text = _message_after(app, app.get(callback))
    assert EXPIRED in text
    assert "Signed in as" in text


def test_spent_code_goes_back_to_sign_in(app: AppClient, sso: SSOClient) -> None:
    callback = _follow_authorization(_start(app))
    # Another request (a double-submitted callback, a reload) exchanged the code first.
    code = callback_query(callback)["code"]
    sso.get_profile_and_token(code)
    text = _message_after(app, app.get(callback))
    assert EXPIRED in text
    assert "Signed in as" not in text


def test_tampered_state_is_refused(app: AppClient) -> None:
    callback = _follow_authorization(_start(app))
    state = callback_query(callback)["state"]
    forged = with_query(callback, state=state[:-2] + ("AA" if state[-2:] != "AA" else "BB"))
    text = _message_after(app, app.get(forged))
    assert EXPIRED in text
    assert "Signed in as" not in text


def test_callback_in_another_browser_is_refused(
    app: AppClient, request: pytest.FixtureRequest
) -> None:
    # Login CSRF: a callback URL made in one browser, opened in another (the victim's).
    callback = _follow_authorization(_start(app))
    victim = _new_client(app.name, request)
    text = _message_after(victim, victim.get(callback))
    assert EXPIRED in text
    assert "Signed in as" not in text


def test_profile_from_another_organization_is_refused(app: AppClient, sso: SSOClient) -> None:
    bar = emulator.seeded_organizations(sso.base_url)["bar"]
    authorize = with_query(_start(app), organization=bar)
    text = _message_after(app, app.get(_follow_authorization(authorize)))
    assert NOT_ALLOWED in text
    assert "Signed in as" not in text


def test_an_error_from_workos_shows_a_fixed_sentence_and_none_of_its_text(app: AppClient) -> None:
    _start(app)
    marker = '<img src=x onerror="alert(1)" data-probe="rcp41">'
    query = {"error": f"access_denied{marker}", "error_description": marker * 40, "state": "x"}
    text = _message_after(app, app.get("/callback?" + urlencode(query)))
    assert RefusalReason.FAILED.message in text
    assert "rcp41" not in text
    assert "access_denied" not in text
    text = _message_after(app, app.get("/callback?" + urlencode({"error": "access_denied"})))
    assert RefusalReason.DENIED.message in text


def test_sign_out_clears_the_session_and_signs_out_at_workos(
    app: AppClient, emulator_url: str
) -> None:
    _sign_in(app)
    reply = app.post("/logout", {})
    assert reply.status in (302, 303)
    assert "/sso/logout?" in reply.location
    assert "Signed in as" not in app.get("/").text
    # The logout URL is good at the emulator: it ends the identity provider's session. (An
    # emulator started on port 0 writes "localhost:0" into its logout URLs, so ask it at its
    # real address.)
    logout = urlsplit(reply.location)
    assert logout.path == "/sso/logout"
    assert requests.get(f"{emulator_url}/sso/logout?{logout.query}", timeout=10).status_code == 200
    assert app.post("/logout", {}).location in ("/", "http://testserver/")


def _session_cookie(reply: Reply) -> str:
    [cookie] = [
        header
        for header in reply.set_cookies
        if header.lower().startswith(("session", "sessionid"))
    ]
    return cookie


def test_session_cookie_is_httponly_and_lax(app: AppClient) -> None:
    reply = app.get("/login")
    cookie = _session_cookie(reply).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "; secure" not in cookie  # plain-HTTP localhost development


def test_session_cookie_is_secure_outside_local_development(
    recipe_env: dict[str, str], request: pytest.FixtureRequest
) -> None:
    production = {**recipe_env, "WORKOS_REDIRECT_URI": "https://app.example.com/callback"}
    flask_reply = _flask_client(production).get("/login")
    assert "; secure" in _session_cookie(flask_reply).lower()
    fastapi_reply = _fastapi_client(production, request).get("/login")
    assert "; secure" in _session_cookie(fastapi_reply).lower()
    # Django is configured once per process, so ask a fresh one.
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django_app; from django.conf import settings; "
            "print(settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY, "
            "settings.SESSION_COOKIE_SAMESITE)",
        ],
        cwd=EXAMPLES,
        env={**os.environ, **production},
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == ["True", "True", "Lax"]


# --- handle_callback with each framework's own query mapping ---------------------------------

DUPLICATED = "error=access_denied&error=server_error&state=first&state=second"


def _first_error_of(query: Any) -> str:
    with (
        SSOClient(
            api_key="sk_test_offline", client_id="client_offline", base_url="http://127.0.0.1:9"
        ) as offline,
        pytest.raises(SignInError) as caught,
    ):
        handle_callback(offline, query, expected_state="first")
    assert caught.value.state == "first"
    return caught.value.error


def test_werkzeug_multidict_gives_the_first_value() -> None:
    from werkzeug.datastructures import MultiDict

    assert _first_error_of(MultiDict(parse_qsl(DUPLICATED))) == "access_denied"


def test_starlette_query_params_give_the_first_value() -> None:
    from starlette.datastructures import QueryParams

    assert _first_error_of(QueryParams(DUPLICATED)) == "access_denied"


def test_django_querydict_gives_the_first_value(django_module: Any) -> None:
    from django.http import QueryDict

    query = QueryDict(DUPLICATED)
    assert query["error"] == "server_error"  # Django's own [] gives the last one
    assert _first_error_of(query) == "access_denied"
