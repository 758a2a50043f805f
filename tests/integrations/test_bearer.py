"""Tests for the bearer-token helpers of the three integrations (``integrations._bearer``).

Flask's ``access_token_required``, Django's ``access_token_required`` and Starlette's
``require_access_token`` guard the harness's ``/api/me``; each test runs once per framework. The
loopback WorkOS serves a key set of the tests' own keys (``tests/test_access_tokens.py``).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.integrations.harness import SECRET, Answer, Sites
from tests.loopback import LOOPBACK_API_KEY, LOOPBACK_CLIENT_ID, LoopbackServer, Reply, Route
from tests.test_access_tokens import (
    FOREIGN_KEY,
    JWKS_PATH,
    KID,
    SIGNING_KEY,
    claims_for,
    jwks_of,
    sign,
    unsigned,
)
from workos_sso import AccessTokenClaims
from workos_sso.integrations._bearer import bearer_token

ALLOWED = "org_01LOOPBACK"
INVALID = 'Bearer error="invalid_token"'


@pytest.fixture
def api(sites: Sites, loopback: LoopbackServer) -> Any:
    loopback.always(Route({JWKS_PATH: Reply.json(200, jwks_of((SIGNING_KEY, KID)))}))
    return sites(allowed_organizations=[ALLOWED])


def token(loopback: LoopbackServer, **changes: Any) -> str:
    now = int(time.time())
    return sign(claims_for(loopback.url, iat=now, exp=now + 3600, **changes))


def call(api: Any, authorization: str) -> Answer:
    answer: Answer = api.browser().get(api.token_path, headers={"Authorization": authorization})
    return answer


def jwks_requests(loopback: LoopbackServer) -> int:
    return sum(1 for request in loopback.requests if request.url_path == JWKS_PATH)


def test_a_good_token_lets_the_view_read_its_claims(api: Any, loopback: LoopbackServer) -> None:
    answer = call(api, f"Bearer {token(loopback)}")
    assert answer.status == 200, answer.body
    assert answer.json() == {"profile_id": "prof_01LOOPBACK", "organization_id": ALLOWED}
    assert call(api, f"bearer  {token(loopback)} ").status == 200
    assert jwks_requests(loopback) == 1


@pytest.mark.parametrize("authorization", [None, "Basic dXNlcjpwYXNz", "Token abc"])
def test_no_bearer_token_is_a_bare_challenge(
    api: Any, loopback: LoopbackServer, authorization: Any
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = api.browser().get(api.token_path, headers=headers)
    assert answer.status == 401
    assert answer.www_authenticate == "Bearer"
    assert jwks_requests(loopback) == 0


HOSTILE = {
    "expired": lambda url: sign(claims_for(url, iat=None, exp=int(time.time()) - 3600)),
    "foreign key": lambda url: sign(claims_for(url, iat=None, exp=2**31), key=FOREIGN_KEY),
    "unknown kid": lambda url: sign(
        claims_for(url, iat=None, exp=2**31), key=FOREIGN_KEY, kid="key_forged"
    ),
    "alg none": lambda url: unsigned({"alg": "none", "kid": KID}, claims_for(url)),
    "another audience": lambda url: sign(claims_for(url, iat=None, exp=2**31, aud="client_x")),
    "organization not allowed": lambda url: sign(
        claims_for(url, iat=None, exp=2**31, org_id="org_01ELSEWHERE")
    ),
    "no organization": lambda url: sign(claims_for(url, iat=None, exp=2**31, org_id=None)),
    "garbage": lambda url: "garbage",
    "empty": lambda url: "",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_refused_token_is_401_invalid_token_without_detail(
    api: Any, loopback: LoopbackServer, case: str
) -> None:
    forged = HOSTILE[case](loopback.url)
    answer = call(api, f"Bearer {forged}")
    assert answer.status == 401
    assert answer.www_authenticate == INVALID
    for word in ("expired", "kid", "signature", "audience", "organization", "refused", "JWT"):
        assert word not in answer.body
    for part in filter(None, forged.split(".")):
        if len(part) >= 8:
            assert part not in answer.body


def test_a_flood_of_forged_tokens_fetches_the_keys_once(api: Any, loopback: LoopbackServer) -> None:
    for number in range(20):
        forged = sign(
            claims_for(loopback.url, iat=None, exp=2**31), key=FOREIGN_KEY, kid=f"key_{number}"
        )
        assert call(api, f"Bearer {forged}").status == 401
    assert jwks_requests(loopback) == 1


def test_keys_that_cannot_be_fetched_are_503_not_401(
    sites: Sites, loopback: LoopbackServer
) -> None:
    loopback.always(Route({JWKS_PATH: Reply.json(404, {"message": "Not found"})}))
    api = sites(allowed_organizations=[ALLOWED])
    answer = call(api, f"Bearer {token(loopback)}")
    assert answer.status == 503
    assert answer.www_authenticate is None


def test_every_organization_accepts_any_organizations_token(
    sites: Sites, loopback: LoopbackServer
) -> None:
    loopback.always(Route({JWKS_PATH: Reply.json(200, jwks_of((SIGNING_KEY, KID)))}))
    api = sites(allowed_organizations="*")
    answer = call(api, f"Bearer {token(loopback, org_id='org_01ELSEWHERE')}")
    assert answer.status == 200
    assert answer.json()["organization_id"] == "org_01ELSEWHERE"


@pytest.mark.parametrize("framework", ["django"], indirect=True)
def test_a_django_async_view_is_guarded_too(api: Any, loopback: LoopbackServer) -> None:
    browser = api.browser()
    good = browser.get(
        f"{api.token_path}-async", headers={"Authorization": f"Bearer {token(loopback)}"}
    )
    assert good.status == 200, good.body
    assert good.json() == {"profile_id": "prof_01LOOPBACK", "async": True}
    bad = browser.get(f"{api.token_path}-async", headers={"Authorization": "Bearer garbage"})
    assert (bad.status, bad.www_authenticate) == (401, INVALID)


@pytest.mark.parametrize("framework", ["django"], indirect=True)
def test_a_django_api_view_needs_no_csrf_token(api: Any, loopback: LoopbackServer) -> None:
    from tests.integrations.harness import _DjangoBrowser

    browser = _DjangoBrowser(api, enforce_csrf_checks=True)
    answer = browser.post(api.token_path, headers={"Authorization": f"Bearer {token(loopback)}"})
    assert answer.status == 200, answer.body


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER  abc  ", "abc"),
        ("Bearer", ""),
        ("Basic abc", None),
        ("Bearerabc", None),
    ],
)
def test_the_header_is_read_once_for_all_frameworks(header: Any, expected: Any) -> None:
    assert bearer_token(header) == expected


def test_a_fastapi_dependency_gives_the_claims(loopback: LoopbackServer) -> None:
    fastapi = pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from workos_sso.integrations.starlette import WorkOSSSO

    loopback.always(Route({JWKS_PATH: Reply.json(200, jwks_of((SIGNING_KEY, KID)))}))
    sso = WorkOSSSO(
        secret_key=SECRET,
        redirect_uri="http://127.0.0.1:5000/auth/callback",
        api_key=LOOPBACK_API_KEY,
        client_id=LOOPBACK_CLIENT_ID,
        base_url=loopback.url,
        environ={},
        allowed_organizations=[ALLOWED],
    )
    app = fastapi.FastAPI(lifespan=sso.lifespan, middleware=[sso.session_middleware()])

    @app.get("/me")
    async def me(
        claims: AccessTokenClaims = fastapi.Depends(sso.require_access_token),  # noqa: B008
    ) -> dict[str, Any]:
        return {"profile_id": claims.profile_id}

    with TestClient(app) as client:
        good = client.get("/me", headers={"Authorization": f"Bearer {token(loopback)}"})
        assert good.status_code == 200
        assert good.json() == {"profile_id": "prof_01LOOPBACK"}
        bad = client.get("/me", headers={"Authorization": "Bearer garbage"})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"] == INVALID
        assert "garbage" not in bad.text
