"""The public API used the way an application uses it, for ``mypy --strict`` (``nox -s mypy``).

Everything comes from ``workos_sso``; annotations spell out the types a user relies on, so a
change to a public signature or model field fails type checking here first. pytest runs the same
functions too (offline): ``test_public_api`` points a client at a small stdlib HTTP server that
answers like the SSO API, so the annotated types are also checked against real return values.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qs, urlsplit

from workos_sso import (
    AccessTokenClaims,
    AccessTokenError,
    APIError,
    AsyncPager,
    AsyncSSOClient,
    ConfigurationError,
    Connection,
    ConnectionDomain,
    ConnectionState,
    ConnectionType,
    DecodeError,
    ExpiredAccessTokenError,
    InvalidGrantError,
    InvalidParameterError,
    JWKSError,
    LogoutAuthorization,
    NetworkError,
    NotFoundError,
    OAuthError,
    OAuthTokens,
    Order,
    Page,
    Pager,
    PaginationError,
    Profile,
    ProfileAndToken,
    Provider,
    RateLimitError,
    Role,
    SignInResult,
    SignInStart,
    SSOClient,
    UnprocessableEntityError,
    WorkOSError,
    __version__,
    handle_callback_async,
    start_sign_in_async,
    unstructure,
)

REDIRECT_URI = "http://localhost:8000/callback"

# --- application code -----------------------------------------------------------------------


def make_client(environ: Mapping[str, str]) -> SSOClient:
    return SSOClient.from_env(environ=environ, max_retries=1, max_retry_wait=2.0, timeout=5.0)


def sign_in_url(sso: SSOClient, organization_id: str, state: str) -> str:
    return sso.get_authorization_url(
        redirect_uri=REDIRECT_URI,
        organization=organization_id,
        state=state,
        login_hint="ada@example.com",
        provider_scopes=["openid", "email"],
        provider_query_params={"hd": "example.com"},
        prompt="login",
    )


def google_sign_in_url(sso: SSOClient) -> str:
    return sso.get_authorization_url(
        redirect_uri=REDIRECT_URI, provider=Provider.GoogleOAuth, domain_hint="example.com"
    )


def handle_callback(sso: SSOClient, code: str) -> Optional[dict[str, Any]]:
    """Return the session data for a signed-in user, or None to send them back to sign in."""
    try:
        result: ProfileAndToken = sso.get_profile_and_token(code)
    except InvalidGrantError:
        return None
    profile: Profile = result.profile
    expires_in: Optional[int] = result.expires_in
    tokens: Optional[OAuthTokens] = result.oauth_tokens
    scopes: tuple[str, ...] = tokens.scopes if tokens is not None else ()
    roles: tuple[Role, ...] = profile.roles or ()
    role_slugs = [role.slug for role in roles]
    kind: Union[ConnectionType, str] = profile.connection_type
    session: dict[str, Any] = unstructure(profile)
    session.update(
        expires_in=expires_in,
        scopes=list(scopes),
        roles=role_slugs,
        saml=kind == ConnectionType.OktaSAML,
        access_token=result.access_token,
    )
    return session


def current_email(sso: SSOClient, access_token: str) -> str:
    profile: Profile = sso.get_profile(access_token)
    return profile.email


def bearer_user(sso: SSOClient, authorization: str) -> tuple[int, Optional[str]]:
    """An API's check of ``Authorization: Bearer ...``: a status and the profile id."""
    try:
        claims: AccessTokenClaims = sso.verify_access_token(
            authorization.removeprefix("Bearer "), leeway=10
        )
    except ExpiredAccessTokenError as error:
        reason: str = error.reason
        return 401, reason
    except AccessTokenError:
        return 401, None
    except JWKSError:
        return 503, None
    expires: datetime = claims.expires_at
    organization: Optional[str] = claims.organization_id
    raw: Mapping[str, Any] = claims.raw
    assert expires.tzinfo is not None
    return 200, f"{claims.profile_id} {organization} {raw.get('sub')}"


async def async_bearer_user(sso: AsyncSSOClient, token: str) -> str:
    claims: AccessTokenClaims = await sso.verify_access_token(token)
    return claims.profile_id


def active_connection_names(sso: SSOClient, domain: str) -> list[str]:
    pager: Pager[Connection] = sso.list_connections(
        domain=domain, connection_type="OktaSAML", order=Order.asc, limit=100
    )
    names: list[str] = []
    for connection in pager:
        state: Union[ConnectionState, str] = connection.state
        created: datetime = connection.created_at
        domains: tuple[ConnectionDomain, ...] = connection.domains
        if state == ConnectionState.active and created.tzinfo is not None and domains:
            names.append(connection.name or connection.id)
    return names


def first_page(sso: SSOClient) -> tuple[list[str], Optional[str]]:
    page: Page[Connection] = next(sso.list_connections(limit=2).pages())
    return [connection.id for connection in page.data], page.after


def fetch_connection(sso: SSOClient, connection_id: str) -> Optional[Connection]:
    try:
        return sso.get_connection(connection_id)
    except NotFoundError:
        return None


def remove_connection(sso: SSOClient, connection_id: str) -> bool:
    try:
        sso.delete_connection(connection_id)
    except NotFoundError:
        return False
    return True


def sign_out_url(sso: SSOClient, profile_id: str) -> str:
    logout: LogoutAuthorization = sso.authorize_logout(profile_id=profile_id)
    return sso.get_logout_url(logout.logout_token)


# --- the same application code in an async app ------------------------------------------------


async def async_session(environ: Mapping[str, str]) -> dict[str, Any]:
    async with AsyncSSOClient.from_env(environ=environ, max_retries=0) as sso:
        url: str = sso.get_authorization_url(redirect_uri=REDIRECT_URI, organization="org_1")
        assert url.startswith(sso.base_url)
        result: ProfileAndToken = await sso.get_profile_and_token("sso_code_fresh")
        profile: Profile = await sso.get_profile(result.access_token)
        pager: AsyncPager[Connection] = sso.list_connections(domain="example.com")
        names = [connection.name async for connection in pager]
        pages: list[Page[Connection]] = [page async for page in pager.pages()]
        connection: Connection = await sso.get_connection("conn_01TYPING")
        await sso.delete_connection("conn_01TYPING")
        logout: LogoutAuthorization = await sso.authorize_logout(profile_id=profile.id)
        start: SignInStart = await start_sign_in_async(
            sso, redirect_uri=REDIRECT_URI, organization="org_01TYPING"
        )
        callback = f"code=sso_code_fresh&state={start.state.value}"
        signed_in: SignInResult = await handle_callback_async(
            sso, callback, expected_state=start.state
        )
        return {
            "email": profile.email,
            "names": names,
            "pages": len(pages),
            "connection": connection.id,
            "logout": sso.get_logout_url(logout.logout_token),
            "signed_in": signed_in.profile.email,
        }


def explain(error: WorkOSError) -> str:
    """What an application might log or show for each kind of failure."""
    if isinstance(error, RateLimitError):
        wait: Optional[float] = error.retry_after
        return f"rate limited, retry in {wait}"
    if isinstance(error, UnprocessableEntityError):
        return f"invalid: {[dict(field) for field in error.errors]}"
    if isinstance(error, OAuthError):
        description: Optional[str] = error.error_description
        return f"oauth {error.error}: {description}"
    if isinstance(error, APIError):
        status: int = error.status_code
        request_id: Optional[str] = error.request_id
        return f"HTTP {status} ({error.code}, {request_id})"
    if isinstance(error, (NetworkError, DecodeError, PaginationError)):
        return f"{type(error).__name__}: {error.message}"
    if isinstance(error, (ConfigurationError, InvalidParameterError)):
        return f"bug: {error}"
    return str(error)


# --- a stand-in for the API, so pytest can run the code above --------------------------------

PROFILE_FIXTURE: dict[str, Any] = {
    "object": "profile",
    "id": "prof_01TYPING",
    "organization_id": "org_01TYPING",
    "connection_id": "conn_01TYPING",
    "connection_type": "OktaSAML",
    "idp_id": "idp-1",
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": None,
    "name": None,
    "roles": [{"slug": "admin"}],
    "raw_attributes": {},
}
CONNECTION_FIXTURE: dict[str, Any] = {
    "object": "connection",
    "id": "conn_01TYPING",
    "organization_id": "org_01TYPING",
    "connection_type": "OktaSAML",
    "name": "Example Okta",
    "state": "active",
    "status": "linked",
    "domains": [{"object": "connection_domain", "id": "dom_1", "domain": "example.com"}],
    "created_at": "2026-01-15T12:00:00.000Z",
    "updated_at": "2026-01-15T12:00:00.000Z",
}


def _answer(method: str, target: str, body: Mapping[str, Any]) -> tuple[int, Any]:
    parts = urlsplit(target)
    query = parse_qs(parts.query)
    if (method, parts.path) == ("POST", "/sso/token"):
        if body.get("code") == "sso_code_spent":
            return 400, {"error": "invalid_grant", "error_description": "Code already used."}
        tokens = {"provider": "GoogleOAuth", "access_token": "ya29.x", "scopes": ["email"]}
        return 200, {
            "access_token": "typing-access-token",
            "token_type": "Bearer",
            "expires_in": 600,
            "profile": PROFILE_FIXTURE,
            "oauth_tokens": tokens,
        }
    if (method, parts.path) == ("GET", "/sso/profile"):
        return 200, PROFILE_FIXTURE
    if (method, parts.path) == ("POST", "/sso/logout/authorize"):
        return 200, {"logout_url": "https://x/sso/logout?token=lt", "logout_token": "typing-lt"}
    if (method, parts.path) == ("GET", "/connections"):
        after = None if "after" in query else "conn_01TYPING"
        return 200, {
            "data": [CONNECTION_FIXTURE],
            "list_metadata": {"before": None, "after": after},
        }
    if parts.path == "/connections/conn_01TYPING":
        return (200, CONNECTION_FIXTURE) if method == "GET" else (204, None)
    if parts.path == "/connections/conn_busy":
        return 429, {"message": "Slow down"}
    return 404, {"message": "Not found", "code": "not_found"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body: Mapping[str, Any] = json.loads(self.rfile.read(length)) if length else {}
        status, payload = _answer(self.command, self.path, body)
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 429:
            self.send_header("Retry-After", "120")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _reply

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def stub_api() -> Generator[str, None, None]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def failure(action: Callable[[], object]) -> WorkOSError:
    try:
        action()
    except WorkOSError as error:
        return error
    raise AssertionError("expected a WorkOSError")


def test_public_api() -> None:
    assert __version__
    with stub_api() as url:
        environ = {
            "WORKOS_API_KEY": "sk_test_typing",
            "WORKOS_CLIENT_ID": "client_01TYPING",
            "WORKOS_BASE_URL": url,
        }
        with make_client(environ) as sso:
            assert "state=s1" in sign_in_url(sso, "org_01TYPING", "s1")
            assert "provider=GoogleOAuth" in google_sign_in_url(sso)

            session = handle_callback(sso, "sso_code_fresh")
            assert session is not None
            assert session["email"] == "ada@example.com"
            assert (session["roles"], session["scopes"], session["saml"]) == (
                ["admin"],
                ["email"],
                True,
            )
            json.dumps(session)
            assert handle_callback(sso, "sso_code_spent") is None

            assert current_email(sso, str(session["access_token"])) == "ada@example.com"
            assert active_connection_names(sso, "example.com") == ["Example Okta", "Example Okta"]
            assert first_page(sso) == (["conn_01TYPING"], "conn_01TYPING")
            connection = fetch_connection(sso, "conn_01TYPING")
            assert connection is not None
            assert connection.connection_type is ConnectionType.OktaSAML
            assert fetch_connection(sso, "conn_missing") is None
            assert remove_connection(sso, "conn_01TYPING") is True
            assert remove_connection(sso, "conn_missing") is False
            assert sign_out_url(sso, "prof_01TYPING").endswith("/sso/logout?token=typing-lt")

            assert explain(failure(lambda: sso.get_profile_and_token("sso_code_spent"))) == (
                "oauth invalid_grant: Code already used."
            )
            assert explain(failure(lambda: sso.get_connection("conn_missing"))) == (
                "HTTP 404 (not_found, None)"
            )
            assert explain(failure(lambda: sso.get_connection("conn_busy"))) == (
                "rate limited, retry in 120.0"
            )
            assert explain(failure(lambda: sso.list_connections(limit=0))).startswith("bug: limit")

        async_result = asyncio.run(async_session(environ))
        assert async_result == {
            "email": "ada@example.com",
            "names": ["Example Okta", "Example Okta"],
            "pages": 2,
            "connection": "conn_01TYPING",
            "logout": f"{url}/sso/logout?token=typing-lt",
            "signed_in": "ada@example.com",
        }
