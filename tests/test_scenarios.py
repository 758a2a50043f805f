"""The SSO API end to end: replayed from cassettes by default, live with `nox -s emulator`.

Each test makes the organizations it needs, so tests do not depend on each other's data. Each
runs once per kind of client (the ``sso`` fixture asks for ``client_kind``), and both kinds
replay the same cassette: they must send the same requests to do so.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests import admin
from workos_sso import (
    Connection,
    ConnectionState,
    ConnectionType,
    InvalidGrantError,
    NotFoundError,
    Page,
    ProfileAndToken,
    SSOClient,
)
from workos_sso.testing import complete_sign_in

pytestmark = [pytest.mark.scenario, pytest.mark.vcr]

REDIRECT_URI = "http://localhost:8000/callback"


def _sign_in(sso: SSOClient, *, state: str, login_hint: str, organization: str) -> dict[str, str]:
    """Follow the authorization URL as a browser would, up to the redirect back to the app."""
    url = sso.get_authorization_url(
        redirect_uri=REDIRECT_URI, organization=organization, state=state, login_hint=login_hint
    )
    location = complete_sign_in(url, redirect_uri=REDIRECT_URI).url
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def _seeded_organization(sso: SSOClient, domain: str) -> str:
    [connection] = list(sso.list_connections(domain=domain))
    assert connection.organization_id is not None
    return connection.organization_id


def test_full_login_flow(sso: SSOClient) -> None:
    organization = _seeded_organization(sso, "foo-corp.com")
    callback = _sign_in(
        sso, state="state-123", login_hint="alice@foo-corp.com", organization=organization
    )
    assert callback["state"] == "state-123"

    result = sso.get_profile_and_token(callback["code"])
    assert isinstance(result, ProfileAndToken)
    assert result.profile.email == "alice@foo-corp.com"
    assert result.profile.first_name == "Alice"
    assert result.profile.organization_id == organization
    assert result.profile.connection_type is ConnectionType.OktaSAML
    assert result.access_token

    profile = sso.get_profile(result.access_token)
    assert profile.id == result.profile.id
    assert profile.email == "alice@foo-corp.com"

    logout = sso.authorize_logout(profile_id=profile.id)
    assert logout.logout_token
    assert logout.logout_token in logout.logout_url
    assert sso.get_logout_url(logout.logout_token).endswith(
        f"/sso/logout?token={logout.logout_token}"
    )


def test_reused_code_raises_invalid_grant(sso: SSOClient) -> None:
    organization = _seeded_organization(sso, "bar.example")
    callback = _sign_in(sso, state="s", login_hint="bob@bar.example", organization=organization)
    assert sso.get_profile_and_token(callback["code"]).profile.email == "bob@bar.example"

    with pytest.raises(InvalidGrantError) as caught:
        sso.get_profile_and_token(callback["code"])
    assert caught.value.status_code == 400
    assert "sign in again" in str(caught.value)


def test_filters(sso: SSOClient, base_url: str) -> None:
    organization = admin.create_organization(base_url, "Filters Ltd")
    admin.create_connections(
        base_url, organization, 2, connection_type="OktaSAML", domains=["filters.example"]
    )
    admin.create_connections(base_url, organization, 1, connection_type="GoogleOAuth")

    in_org = list(sso.list_connections(organization_id=organization))
    assert len(in_org) == 3
    assert all(isinstance(c, Connection) and c.organization_id == organization for c in in_org)

    okta = list(sso.list_connections(organization_id=organization, connection_type="OktaSAML"))
    assert {c.connection_type for c in okta} == {ConnectionType.OktaSAML}
    assert len(okta) == 2

    by_enum = list(
        sso.list_connections(
            organization_id=organization, connection_type=ConnectionType.GoogleOAuth
        )
    )
    assert [c.connection_type for c in by_enum] == [ConnectionType.GoogleOAuth]

    by_domain = list(sso.list_connections(domain="filters.example"))
    # Of this organization, exactly the two with the domain (not the GoogleOAuth one). Other
    # organizations' connections may match too: the same emulator serves every run of this
    # test (one per kind of client), and each run makes its own organization with this domain.
    assert {c.id for c in by_domain if c.organization_id == organization} == {c.id for c in okta}
    assert all(c.state is ConnectionState.active for c in by_domain)
    assert all([d.domain for d in c.domains] == ["filters.example"] for c in by_domain)


def test_get_then_delete(sso: SSOClient, base_url: str) -> None:
    organization = admin.create_organization(base_url, "Delete Me Co")
    [connection_id] = admin.create_connections(base_url, organization, 1)

    connection = sso.get_connection(connection_id)
    assert connection.id == connection_id
    assert connection.organization_id == organization
    assert connection.created_at.tzinfo is not None

    sso.delete_connection(connection_id)
    with pytest.raises(NotFoundError) as caught:
        sso.get_connection(connection_id)
    assert caught.value.status_code == 404
    assert caught.value.request_id
    with pytest.raises(NotFoundError):
        sso.delete_connection(connection_id)


def test_pagination_walks_every_page(sso: SSOClient, base_url: str) -> None:
    organization = admin.create_organization(base_url, "Pages Inc")
    created = admin.create_connections(base_url, organization, 25)

    pages = list(sso.list_connections(organization_id=organization, limit=10).pages())
    assert [len(page.data) for page in pages] == [10, 10, 5]
    assert all(isinstance(page, Page) for page in pages)
    assert pages[-1].after is None
    assert pages[0].after == pages[0].data[-1].id

    walked = [c.id for c in sso.list_connections(organization_id=organization, limit=10)]
    assert sorted(walked) == sorted(created)
    assert len(set(walked)) == 25

    ascending = [
        c.id for c in sso.list_connections(organization_id=organization, limit=10, order="asc")
    ]
    assert ascending == list(reversed(walked))

    # Start after the first page; then start before the last page, which walks backwards.
    # (The emulator answers `before` with the first page of what precedes the cursor and a
    # null `before` cursor, so the backward walk is one page here; the real API's multi-page
    # backward walk is covered by the pager's unit tests.)
    rest = [
        c.id
        for c in sso.list_connections(organization_id=organization, limit=10, after=pages[0].after)
    ]
    assert rest == walked[10:]
    backwards = list(
        sso.list_connections(
            organization_id=organization, limit=10, before=pages[-1].data[0].id
        ).pages()
    )
    assert [[c.id for c in page.data] for page in backwards] == [walked[:10]]
    assert backwards[0].before is None
