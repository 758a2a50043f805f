"""One test app per framework, driven through one interface, for the contract suite.

``test_contract.py`` runs one set of probes against Flask, Django and Starlette. It describes the
app it wants with neutral ``SiteSettings`` (the callback's origin, the secret, WorkOS's base URL,
the policy, PKCE, the ``on_sign_in`` hook, the sign-in page); each harness here maps them to its
framework's own names (``app.config["WORKOS_ALLOWED_ORGANIZATIONS"]``,
``WORKOS_SSO["ALLOWED_ORGANIZATIONS"]``, ``WorkOSSSO(allowed_organizations=...)``) and builds
the same small app on the integration:

* ``/``, ``/sign-in`` and ``/signed-out``: the sign-in page (and the other pages a setting may
  name), answering JSON with the messages the framework shows once (Flask's flashes, Django's
  messages, Starlette's ``pop_message``), the signed-in user (``current_user``), the session's
  keys and whether the framework counts the request as signed in;
* ``/remember``: puts a key in the session, so a test can see the session replaced at sign-in;
* ``/account``: a page behind the framework's ``login_required``;
* the integration's routes: ``login_path``, ``login_email_path``, ``callback_path`` (the
  redirect URI's path) and ``logout_path``.

A ``Browser`` is one user agent: it keeps its cookies across requests through the framework's
test client (Flask's ``test_client``, Django's ``Client`` under ``override_settings``,
Starlette's ``TestClient`` entered as a server runs the app), follows no redirect, and shows
each answer's raw ``Set-Cookie`` headers and the session cookie's value. ``harness.browser()``
gives another one on the same app (another session, for foreign-state probes).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, cast

from tests.loopback import LOOPBACK_API_KEY, LOOPBACK_CLIENT_ID, LoopbackServer, Reply
from tests.loopback import Route as LoopbackRoute
from tests.payload_fixtures import (
    connection_fixture,
    logout_authorization_fixture,
    profile_and_token_fixture,
)
from workos_sso import SessionUser, SignInResult

__all__ = [
    "FRAMEWORKS",
    "PAGE_PATHS",
    "SECRET",
    "Answer",
    "Browser",
    "Harness",
    "Hook",
    "Page",
    "SiteSettings",
    "make_harness",
]

FRAMEWORKS = ("flask", "django", "starlette")
#: 44 random-looking bytes: long enough for an HTTPS redirect URI (``check_secret_key``).
SECRET = "contract-suite-secret-7c1d0e9a4b6f28355aa1d3"
#: The test app's pages that show messages and the user: ``/`` by default, ``/sign-in`` and
#: ``/signed-out`` for configured ones.
PAGE_PATHS = ("/", "/sign-in", "/signed-out")
#: The session key ``/remember`` sets: it must not survive a sign-in.
REMEMBERED_KEY = "contract.before_sign_in"

#: The hook contract shared by the three: ``on_sign_in(request, result)``.
Hook = Callable[[Any, SignInResult], Optional[SessionUser]]


@dataclass(frozen=True)
class SiteSettings:
    """What a test app is configured with, in no framework's names.

    ``None`` means "not set" for every optional setting, as in the three frameworks.
    """

    workos_url: str
    #: ``https://app.example.com`` for the redirect URI (and the requests), else
    #: plain-HTTP loopback ``http://127.0.0.1:5000``.
    https: bool = False
    secret: str = SECRET
    allowed_organizations: object = None
    allowed_providers: Optional[Sequence[str]] = None
    default_organization: Optional[str] = None
    pkce: bool = False
    on_sign_in: Optional[Hook] = None
    sign_in_page: str = "/"
    after_sign_out: str = "/"

    @property
    def origin(self) -> str:
        return "https://app.example.com" if self.https else "http://127.0.0.1:5000"


@dataclass(frozen=True)
class Answer:
    """One response, in no framework's terms."""

    status: int
    location: Optional[str]
    body: str
    set_cookies: tuple[str, ...]
    #: The ``WWW-Authenticate`` header, if any (bearer-token refusals).
    www_authenticate: Optional[str] = None

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308) and self.location is not None

    def json(self) -> Any:
        return json.loads(self.body)

    def cookie(self, name: str) -> Optional[str]:
        """The raw ``Set-Cookie`` header that sets ``name``, if this answer has one."""
        for header in self.set_cookies:
            if header.split("=", 1)[0].strip() == name:
                return header
        return None


@dataclass(frozen=True)
class Page:
    """What the sign-in page shows: the messages (once), the user, the session's keys."""

    messages: list[str]
    user: Optional[dict[str, Any]]
    session: list[str]
    #: Whether the framework itself counts the request as signed in (Django's ``request.user``;
    #: elsewhere, ``current_user`` is all there is).
    authenticated: bool
    answer: Answer

    @property
    def email(self) -> Optional[str]:
        return None if self.user is None else str(self.user["email"])


class Browser(ABC):
    """One user agent on a harness's app: its own cookies, no redirect followed."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        #: Every answer this browser got, in order: probes search their bodies.
        self.answers: list[Answer] = []

    def get(self, path: str, *, headers: Optional[Mapping[str, str]] = None) -> Answer:
        answer = self._request("GET", path, None, dict(headers or {}))
        self.answers.append(answer)
        return answer

    def post(
        self,
        path: str,
        data: Optional[Mapping[str, str]] = None,
        *,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Answer:
        answer = self._request("POST", path, dict(data or {}), dict(headers or {}))
        self.answers.append(answer)
        return answer

    def page(self, path: str = "/") -> Page:
        """The sign-in page; its messages are shown once, so a second look has none."""
        answer = self.get(path)
        assert answer.status == 200, (answer.status, answer.location, answer.body[:500])
        shown = answer.json()
        return Page(
            messages=list(shown["messages"]),
            user=shown["user"],
            session=list(shown["session"]),
            authenticated=bool(shown["authenticated"]),
            answer=answer,
        )

    def remember(self) -> None:
        """Put ``REMEMBERED_KEY`` in the session."""
        assert self.get("/remember").status == 200

    @abstractmethod
    def _request(
        self, method: str, path: str, data: Optional[dict[str, str]], headers: dict[str, str]
    ) -> Answer: ...

    @property
    @abstractmethod
    def session_cookie(self) -> Optional[str]:
        """The value of the session cookie this browser holds (the session id, or the session
        itself for cookie sessions), or ``None``."""

    @abstractmethod
    def set_session_cookie(self, value: str) -> None:
        """Hold this session cookie from now on (a cookie planted by someone else)."""


class Harness(ABC):
    """A test app on one framework's integration; see the module docstring."""

    framework: str
    login_path: str
    login_email_path: str
    callback_path: str
    logout_path: str
    protected_path = "/account"
    #: A JSON API view under the integration's bearer-token helper: it answers the claims.
    token_path = "/api/me"
    session_cookie_name: str

    def __init__(self, settings: SiteSettings) -> None:
        self.settings = settings
        #: What the app warned about at start-up (UserWarnings; Django: system check warnings).
        self.start_up_warnings: list[str] = []
        #: Django only: the errors its system checks report (the others raise at start-up).
        self.start_up_errors: list[str] = []

    @property
    def redirect_uri(self) -> str:
        return self.settings.origin + self.callback_path

    @abstractmethod
    def browser(self) -> Browser:
        """A new user agent, with no cookie yet."""

    def cross_site_post(self, path: str, data: Optional[Mapping[str, str]] = None) -> Answer:
        """A form on another site posted here in a signed-in user's browser.

        The browser sends none of the site's ``SameSite=Lax`` cookies (the session's, Django's
        CSRF cookie) and an ``Origin`` of the other site; it does store whatever
        ``Set-Cookie`` the answer carries, since the post is a top-level navigation.
        """
        return self.browser().post(path, data, headers={"Origin": "https://evil.example"})

    def close(self) -> None:  # noqa: B027  (most harnesses hold nothing)
        """Stop what the harness started."""


def _page_json(
    messages: Sequence[str], user: Optional[SessionUser], session: Mapping[str, Any], auth: bool
) -> dict[str, Any]:
    return {
        "messages": [str(message) for message in messages],
        "user": None if user is None else user.to_dict(),
        "session": sorted(session.keys()),
        "authenticated": auth,
    }


def _record_warnings(start: Callable[[], Any]) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        made = start()
    return made, [str(warning.message) for warning in caught]


# --- Flask ------------------------------------------------------------------------------------


class FlaskHarness(Harness):
    framework = "flask"
    login_path = "/login"
    login_email_path = "/login/email"
    callback_path = "/callback"
    logout_path = "/logout"
    session_cookie_name = "session"

    def __init__(self, settings: SiteSettings) -> None:
        super().__init__(settings)
        import flask

        from workos_sso.integrations.flask import (
            WorkOSSSO,
            access_token_claims,
            access_token_required,
            get_current_user,
            login_required,
        )

        app = flask.Flask("workos_sso_contract")
        config: dict[str, Any] = {
            "SECRET_KEY": settings.secret,
            "WORKOS_API_KEY": LOOPBACK_API_KEY,
            "WORKOS_CLIENT_ID": LOOPBACK_CLIENT_ID,
            "WORKOS_BASE_URL": settings.workos_url,
            "WORKOS_REDIRECT_URI": self.redirect_uri,
            "WORKOS_ALLOWED_ORGANIZATIONS": settings.allowed_organizations,
            "WORKOS_ALLOWED_PROVIDERS": settings.allowed_providers,
            "WORKOS_ORGANIZATION_ID": settings.default_organization,
            "WORKOS_SSO_PKCE": settings.pkce,
            "WORKOS_SSO_SIGN_IN_PAGE": settings.sign_in_page,
            "WORKOS_SSO_AFTER_SIGN_OUT": settings.after_sign_out,
        }
        app.config.update({key: value for key, value in config.items() if value is not None})

        def page() -> Any:
            user = get_current_user()
            shown = flask.get_flashed_messages(category_filter=["workos_sso"])
            return _page_json([str(m) for m in shown], user, flask.session, user is not None)

        def remember() -> str:
            flask.session[REMEMBERED_KEY] = "yes"
            return "ok"

        @login_required
        def account() -> Any:
            user = get_current_user()
            return {"email": None if user is None else user.email}

        @access_token_required
        def api_me() -> Any:
            claims = access_token_claims()
            return {"profile_id": claims.profile_id, "organization_id": claims.organization_id}

        for number, path in enumerate(PAGE_PATHS):
            app.add_url_rule(path, f"page{number}", page)
        app.add_url_rule(self.token_path, "api_me", api_me)
        app.add_url_rule("/remember", "remember", remember)
        app.add_url_rule(self.protected_path, "account", account)
        self.sso, self.start_up_warnings = _record_warnings(
            lambda: WorkOSSSO(app, on_sign_in=settings.on_sign_in)
        )
        self.app = app

    def browser(self) -> Browser:
        return _FlaskBrowser(self)


class _FlaskBrowser(Browser):
    harness: FlaskHarness

    def __init__(self, harness: FlaskHarness) -> None:
        super().__init__(harness)
        self.client = harness.app.test_client()
        scheme = "https" if harness.settings.https else "http"
        self.base_url = f"{scheme}://localhost"

    def _request(
        self, method: str, path: str, data: Optional[dict[str, str]], headers: dict[str, str]
    ) -> Answer:
        reply = self.client.open(
            path, method=method, data=data, headers=headers, base_url=self.base_url
        )
        return Answer(
            status=reply.status_code,
            location=reply.headers.get("Location"),
            body=reply.get_data(as_text=True),
            set_cookies=tuple(reply.headers.getlist("Set-Cookie")),
            www_authenticate=reply.headers.get("WWW-Authenticate"),
        )

    @property
    def session_cookie(self) -> Optional[str]:
        cookie = self.client.get_cookie(self.harness.session_cookie_name)
        return None if cookie is None else cookie.value

    def set_session_cookie(self, value: str) -> None:
        self.client.set_cookie(self.harness.session_cookie_name, value)


# --- Django -----------------------------------------------------------------------------------

#: The URLconf of the Django test app (``ROOT_URLCONF`` is this module while a harness runs).
urlpatterns: list[Any] = []

_DJANGO_EXAMPLES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "docs",
    "examples",
)


def _django_project() -> None:
    """Configure Django once per process, as ``test_django.py`` does: the example project."""
    if "django_app" in sys.modules:
        return
    saved = dict(os.environ)
    os.environ.update(
        {
            "WORKOS_REDIRECT_URI": "http://127.0.0.1:5000/callback",
            "WORKOS_API_KEY": LOOPBACK_API_KEY,
            "WORKOS_CLIENT_ID": LOOPBACK_CLIENT_ID,
        }
    )
    try:
        if _DJANGO_EXAMPLES not in sys.path:
            sys.path.insert(0, _DJANGO_EXAMPLES)
        importlib.import_module("django_app")
    finally:
        os.environ.clear()
        os.environ.update(saved)


class DjangoHarness(Harness):
    framework = "django"
    login_path = "/sso/login/"
    login_email_path = "/sso/login/email/"
    callback_path = "/sso/callback/"
    logout_path = "/sso/logout/"
    session_cookie_name = "sessionid"

    def __init__(self, settings: SiteSettings) -> None:
        super().__init__(settings)
        _django_project()
        from django.contrib import messages
        from django.http import HttpRequest, HttpResponse, JsonResponse
        from django.test import override_settings
        from django.urls import include, path

        from workos_sso._config import is_local_development
        from workos_sso.integrations.django import (
            access_token_required,
            current_user,
            login_required,
        )

        def page(request: HttpRequest) -> HttpResponse:
            shown = [str(message) for message in messages.get_messages(request)]
            user = current_user(request)
            authenticated = bool(request.user.is_authenticated)
            return JsonResponse(_page_json(shown, user, request.session, authenticated))

        def remember(request: HttpRequest) -> HttpResponse:
            request.session[REMEMBERED_KEY] = "yes"
            return HttpResponse("ok")

        @login_required
        def account(request: HttpRequest) -> HttpResponse:
            user = current_user(request)
            return JsonResponse({"email": None if user is None else user.email})

        @access_token_required
        def api_me(request: HttpRequest) -> HttpResponse:
            claims = request.access_token_claims  # type: ignore[attr-defined]
            return JsonResponse(
                {"profile_id": claims.profile_id, "organization_id": claims.organization_id}
            )

        @access_token_required
        async def api_me_async(request: HttpRequest) -> HttpResponse:
            claims = request.access_token_claims  # type: ignore[attr-defined]
            return JsonResponse({"profile_id": claims.profile_id, "async": True})

        urlpatterns[:] = [
            path(self.token_path.lstrip("/"), api_me),
            path(self.token_path.lstrip("/") + "-async", api_me_async),
            path("", page),
            path("sign-in", page),
            path("signed-out", page),
            path("remember", remember),
            path(self.protected_path.lstrip("/"), account),
            path("sso/", include("workos_sso.integrations.django.urls")),
        ]
        sso: dict[str, Any] = {
            "API_KEY": LOOPBACK_API_KEY,
            "CLIENT_ID": LOOPBACK_CLIENT_ID,
            "REDIRECT_URI": self.redirect_uri,
            "BASE_URL": settings.workos_url,
            "MAX_RETRIES": 0,
            "ALLOWED_ORGANIZATIONS": settings.allowed_organizations,
            "ALLOWED_PROVIDERS": settings.allowed_providers,
            "ORGANIZATION": settings.default_organization,
            "PKCE": settings.pkce,
            "SIGN_IN_PAGE": settings.sign_in_page,
            "LOGOUT_REDIRECT": settings.after_sign_out,
            "ON_SIGN_IN": settings.on_sign_in,
        }
        secure = not is_local_development(self.redirect_uri)
        self._override = override_settings(
            ROOT_URLCONF=__name__,
            SECRET_KEY=settings.secret,
            WORKOS_SSO={key: value for key, value in sso.items() if value is not None},
            # The cookie settings the Django page prescribes: Secure outside local development.
            SESSION_COOKIE_SECURE=secure,
            CSRF_COOKIE_SECURE=secure,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
        )
        self._override.enable()
        try:
            checks, self.start_up_warnings = _record_warnings(self._checks)
        except BaseException:
            self._override.disable()
            raise
        self.start_up_warnings += checks["warnings"]
        self.start_up_errors = checks["errors"]

    @staticmethod
    def _checks() -> dict[str, list[str]]:
        """``manage.py check``: the integration's own warnings and errors."""
        from django.core.checks import ERROR, WARNING, run_checks

        found: dict[str, list[str]] = {"warnings": [], "errors": []}
        for message in run_checks():
            if not str(message.id).startswith("workos_sso") or message.level < WARNING:
                continue
            kind = "errors" if message.level >= ERROR else "warnings"
            found[kind].append(f"{message.id}: {message.msg}")
        return found

    def browser(self) -> Browser:
        return _DjangoBrowser(self)

    def cross_site_post(self, path: str, data: Optional[Mapping[str, str]] = None) -> Answer:
        browser = _DjangoBrowser(self, enforce_csrf_checks=True)
        return browser.post(path, data, headers={"Origin": "https://evil.example"})

    def close(self) -> None:
        self._override.disable()
        urlpatterns.clear()


class _DjangoBrowser(Browser):
    harness: DjangoHarness

    def __init__(self, harness: DjangoHarness, *, enforce_csrf_checks: bool = False) -> None:
        super().__init__(harness)
        from django.test import Client

        # Django's CSRF checks are off, as in most Django test suites: the forms here would
        # carry the token. ``cross_site_post`` turns them on.
        self.client = Client(enforce_csrf_checks=enforce_csrf_checks)

    def _request(
        self, method: str, path: str, data: Optional[dict[str, str]], headers: dict[str, str]
    ) -> Answer:
        secure = self.harness.settings.https
        if method == "GET":
            reply = self.client.get(path, secure=secure, headers=headers)
        else:
            reply = self.client.post(path, data or {}, secure=secure, headers=headers)
        body = b"" if getattr(reply, "streaming", False) else reply.content
        return Answer(
            status=reply.status_code,
            location=reply.headers.get("Location"),
            body=body.decode("utf-8", "replace"),
            set_cookies=tuple(morsel.OutputString() for morsel in reply.cookies.values()),
            www_authenticate=reply.headers.get("WWW-Authenticate"),
        )

    @property
    def session_cookie(self) -> Optional[str]:
        morsel = self.client.cookies.get(self.harness.session_cookie_name)
        return None if morsel is None or not morsel.value else str(morsel.value)

    def set_session_cookie(self, value: str) -> None:
        self.client.cookies[self.harness.session_cookie_name] = value


# --- Starlette --------------------------------------------------------------------------------


class StarletteHarness(Harness):
    framework = "starlette"
    login_path = "/auth/login"
    login_email_path = "/auth/login/email"
    callback_path = "/auth/callback"
    logout_path = "/auth/logout"
    session_cookie_name = "session"

    def __init__(self, settings: SiteSettings) -> None:
        super().__init__(settings)
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, PlainTextResponse
        from starlette.routing import Mount, Route
        from starlette.testclient import TestClient

        from workos_sso.integrations.starlette import (
            WorkOSSSO,
            current_user,
            login_required,
            pop_message,
        )

        def start() -> Any:
            return WorkOSSSO(
                secret_key=settings.secret,
                redirect_uri=self.redirect_uri,
                api_key=LOOPBACK_API_KEY,
                client_id=LOOPBACK_CLIENT_ID,
                base_url=settings.workos_url,
                environ={},
                default_organization=settings.default_organization,
                allowed_organizations=cast(Any, settings.allowed_organizations),
                allowed_providers=settings.allowed_providers,
                pkce=settings.pkce,
                on_sign_in=settings.on_sign_in,
                sign_in_page=settings.sign_in_page,
                after_sign_out=settings.after_sign_out,
                client_options={"max_retries": 0},
            )

        self.sso, self.start_up_warnings = _record_warnings(start)

        async def page(request: Request) -> JSONResponse:
            message = pop_message(request)
            user = current_user(request)
            shown = [] if message is None else [message]
            return JSONResponse(_page_json(shown, user, request.session, user is not None))

        async def remember(request: Request) -> PlainTextResponse:
            request.session[REMEMBERED_KEY] = "yes"
            return PlainTextResponse("ok")

        async def account(request: Request) -> JSONResponse:
            user = login_required(self.login_path)(request)
            return JSONResponse({"email": user.email})

        async def api_me(request: Request) -> JSONResponse:
            claims = await self.sso.require_access_token(request)
            return JSONResponse(
                {"profile_id": claims.profile_id, "organization_id": claims.organization_id}
            )

        app = Starlette(
            routes=[
                *(Route(path, page) for path in PAGE_PATHS),
                Route("/remember", remember),
                Route(self.protected_path, account),
                Route(self.token_path, api_me),
                Mount("/auth", self.sso.router),
            ],
            middleware=[self.sso.session_middleware()],
            lifespan=self.sso.lifespan,
        )
        scheme = "https" if settings.https else "http"
        self.client = TestClient(app, base_url=f"{scheme}://testserver", follow_redirects=False)
        self.client.__enter__()

    def browser(self) -> Browser:
        return _StarletteBrowser(self)

    def close(self) -> None:
        self.client.__exit__(None, None, None)


class _StarletteBrowser(Browser):
    """One TestClient per app (its lifespan, its event loop); each browser swaps in its jar."""

    harness: StarletteHarness

    def __init__(self, harness: StarletteHarness) -> None:
        super().__init__(harness)
        # httpx2's or httpx's, whichever Starlette's TestClient is on.
        self._cookies: Any = type(harness.client.cookies)
        self.jar: Any = self._cookies()

    def _request(
        self, method: str, path: str, data: Optional[dict[str, str]], headers: dict[str, str]
    ) -> Answer:
        client = self.harness.client
        client.cookies = self.jar
        try:
            reply = client.request(method, path, data=data, headers=headers)
        finally:
            self.jar = self._cookies(client.cookies)
            client.cookies = self._cookies()
        return Answer(
            status=reply.status_code,
            location=reply.headers.get("location"),
            body=reply.text,
            set_cookies=tuple(reply.headers.get_list("set-cookie")),
            www_authenticate=reply.headers.get("www-authenticate"),
        )

    def _cookies_named(self, name: str) -> list[Any]:
        return [cookie for cookie in self.jar.jar if cookie.name == name]

    @property
    def session_cookie(self) -> Optional[str]:
        found = self._cookies_named(self.harness.session_cookie_name)
        return None if not found else str(found[-1].value)

    def set_session_cookie(self, value: str) -> None:
        name = self.harness.session_cookie_name
        for cookie in self._cookies_named(name):
            self.jar.jar.clear(cookie.domain, cookie.path, cookie.name)
        self.jar.set(name, value, domain="testserver.local", path="/")


# --- choosing one -------------------------------------------------------------------------------

_HARNESSES: dict[str, Callable[[SiteSettings], Harness]] = {
    "flask": FlaskHarness,
    "django": DjangoHarness,
    "starlette": StarletteHarness,
}


def make_harness(framework: str, settings: SiteSettings) -> Harness:
    """The test app of ``framework`` with these settings (``close()`` it when done)."""
    return _HARNESSES[framework](settings)


@dataclass
class Sites:
    """The harnesses a test made, closed in reverse order after it."""

    framework: str
    workos_url: str
    made: list[Harness] = field(default_factory=list)

    def __call__(self, **settings: Any) -> Harness:
        harness = make_harness(self.framework, SiteSettings(workos_url=self.workos_url, **settings))
        self.made.append(harness)
        return harness

    def close(self) -> None:
        while self.made:
            self.made.pop().close()


def answer_as_workos(loopback: LoopbackServer) -> LoopbackServer:
    """``loopback`` answering as WorkOS for the fixture profile: token, connections, logout."""
    page = {"object": "list", "data": [connection_fixture()], "list_metadata": {"after": None}}
    loopback.always(
        LoopbackRoute(
            {
                "/sso/token": Reply.json(200, profile_and_token_fixture()),
                "/connections": Reply.json(200, page),
                "/sso/logout/authorize": Reply.json(201, logout_authorization_fixture()),
            }
        )
    )
    return loopback
