"""Hand-made fixture payloads shaped like the OpenAPI spec's SSO schemas.

Each function returns a fresh dict, so a test may change it freely. The values are invented
(ids follow the API's prefixes) and fill every field the spec defines, optional ones included,
so a round trip through the converter can be checked field by field.

These are the test suite's one set of well-formed API answers: the converter tests structure
them, and the loopback servers (``tests/loopback.py``) answer with them wherever a call must
succeed. ``tests/contract`` validates them against the spec, so they stay valid answers.
"""

from __future__ import annotations

from typing import Any


def role_fixture(slug: str = "admin") -> dict[str, Any]:
    return {"slug": slug}


def profile_fixture() -> dict[str, Any]:
    return {
        "object": "profile",
        "id": "prof_01FIXTUREPROFILE0000000001",
        "organization_id": "org_01FIXTUREORGANIZATION00001",
        "connection_id": "conn_01FIXTURECONNECTION000001",
        "connection_type": "OktaSAML",
        "idp_id": "00u1fixtureidp",
        "email": "ada@fixture.example",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "name": "Ada Lovelace",
        "role": role_fixture("admin"),
        "roles": [role_fixture("admin"), role_fixture("member")],
        "groups": ["Engineering", "Admins"],
        "custom_attributes": {"department": "Analytical Engines", "level": 3},
        "raw_attributes": {"email": "ada@fixture.example", "nested": {"list": [1, None, "x"]}},
    }


def oauth_tokens_fixture() -> dict[str, Any]:
    return {
        "provider": "GoogleOAuth",
        "access_token": "ya29.fixture-provider-access",
        "refresh_token": "1//fixture-provider-refresh",
        "expires_at": 1735141800,
        "scopes": ["profile", "email", "openid"],
    }


def profile_and_token_fixture() -> dict[str, Any]:
    return {
        "token_type": "Bearer",
        "access_token": "fixture-access-token-0001",
        "expires_in": 600,
        "profile": profile_fixture(),
        "oauth_tokens": oauth_tokens_fixture(),
    }


def connection_domain_fixture(domain: str = "fixture.example") -> dict[str, Any]:
    return {"object": "connection_domain", "id": "org_domain_01FIXTUREDOMAIN0001", "domain": domain}


def connection_fixture(connection_id: str = "conn_01FIXTURECONNECTION000001") -> dict[str, Any]:
    return {
        "object": "connection",
        "id": connection_id,
        "organization_id": "org_01FIXTUREORGANIZATION00001",
        "connection_type": "OktaSAML",
        "name": "Fixture Corp",
        "state": "active",
        "status": "linked",
        "domains": [connection_domain_fixture()],
        "options": {"signing_cert": None},
        "created_at": "2026-01-15T12:00:00.000Z",
        "updated_at": "2026-01-16T08:30:15.250Z",
    }


def connection_list_fixture(
    count: int = 2, *, before: Any = None, after: Any = "conn_01FIXTURECURSOR", first: int = 0
) -> dict[str, Any]:
    """A page of ``count`` connections numbered from ``first``, so pages can differ by id."""
    numbers = range(first, first + count)
    return {
        "object": "list",
        "data": [connection_fixture(f"conn_01FIXTURE{number:05d}") for number in numbers],
        "list_metadata": {"before": before, "after": after},
    }


def logout_authorization_fixture() -> dict[str, Any]:
    return {
        "logout_url": "https://auth.fixture.example/sso/logout?token=fixture-logout-token",
        "logout_token": "fixture-logout-token",
    }
