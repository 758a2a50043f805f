"""Tests for PKCE (``workos_sso._pkce``) and public clients, which sign in with it: the verifier
and challenge, the authorization URL and the code exchange, and the sign-in helpers with
``pkce=True``; for both clients (``client_kind``), against loopback servers and the emulator.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests import emulator
from tests.clients import Client, begin, handle, make_client
from tests.loopback import (
    LOOPBACK_API_KEY,
    LOOPBACK_CLIENT_ID,
    LoopbackServer,
    Reply,
    client_for,
)
from tests.payload_fixtures import (
    profile_and_token_fixture,
    profile_fixture,
)
from workos_sso import (
    PKCE,
    AsyncSSOClient,
    ConfigurationError,
    InvalidParameterError,
    SSOClient,
)

pytestmark = pytest.mark.usefixtures("client_kind")

REDIRECT_URI = "http://127.0.0.1:8765/callback"
# RFC 7636, Appendix B.
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _public(server: LoopbackServer, **options: Any) -> Client:
    return client_for(server, api_key=None, **options)


# --- PKCE -----------------------------------------------------------------------------------


def test_pkce_follows_rfc_7636_appendix_b() -> None:
    pkce = PKCE.from_verifier(RFC_VERIFIER)
    assert (pkce.code_challenge, pkce.code_challenge_method) == (RFC_CHALLENGE, "S256")
    assert RFC_VERIFIER not in repr(pkce)


def test_generated_verifiers_are_random_and_in_the_grammar() -> None:
    made = [PKCE.generate() for _ in range(50)]
    assert len({pkce.code_verifier for pkce in made}) == 50
    for pkce in made:
        assert 43 <= len(pkce.code_verifier) <= 128
        assert set(pkce.code_verifier) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        )
        assert PKCE.from_verifier(pkce.code_verifier) == pkce


@pytest.mark.parametrize(
    "verifier",
    ["a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + " ", "a" * 42 + "é", None, b"a" * 43],
    ids=["short", "long", "plus", "space", "non-ascii", "none", "bytes"],
)
def test_a_verifier_outside_the_grammar_is_refused(verifier: Any) -> None:
    with pytest.raises(InvalidParameterError, match="RFC 7636"):
        PKCE.from_verifier(verifier)


def test_the_authorization_url_carries_the_challenge(loopback: LoopbackServer) -> None:
    with client_for(loopback) as sso:
        url = sso.get_authorization_url(
            redirect_uri=REDIRECT_URI, organization="org_1", code_challenge=RFC_CHALLENGE
        )
        query = _query(url)
        assert (query["code_challenge"], query["code_challenge_method"]) == (RFC_CHALLENGE, "S256")
        plain = _query(sso.get_authorization_url(redirect_uri=REDIRECT_URI, organization="org_1"))
        assert "code_challenge" not in plain
        assert "code_challenge_method" not in plain
        with pytest.raises(InvalidParameterError, match="code_challenge"):
            sso.get_authorization_url(
                redirect_uri=REDIRECT_URI, organization="org_1", code_challenge=RFC_VERIFIER + "!"
            )
    assert loopback.request_count == 0


def test_the_code_exchange_sends_the_verifier(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(200, profile_and_token_fixture()))
    with client_for(loopback) as sso:
        sso.get_profile_and_token("code_1", code_verifier=RFC_VERIFIER)
        sso.get_profile_and_token("code_2")
    with_verifier, without = (request.json() for request in loopback.requests)
    assert with_verifier == {
        "client_id": LOOPBACK_CLIENT_ID,
        "client_secret": LOOPBACK_API_KEY,
        "grant_type": "authorization_code",
        "code": "code_1",
        "code_verifier": RFC_VERIFIER,
    }
    assert "code_verifier" not in without


def test_a_malformed_verifier_is_refused_before_sending(loopback: LoopbackServer) -> None:
    with client_for(loopback) as sso, pytest.raises(InvalidParameterError):
        sso.get_profile_and_token("code_1", code_verifier="too-short")
    assert loopback.request_count == 0


# --- Public clients -------------------------------------------------------------------------


def test_a_public_client_exchanges_a_pkce_code_without_the_key(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(200, profile_and_token_fixture()))
    with _public(loopback) as sso:
        assert sso.is_public
        result = sso.get_profile_and_token("code_1", code_verifier=RFC_VERIFIER)
    assert result.profile.email == profile_fixture()["email"]
    (request,) = loopback.requests
    assert "authorization" not in request.headers
    assert request.json() == {
        "client_id": LOOPBACK_CLIENT_ID,
        "grant_type": "authorization_code",
        "code": "code_1",
        "code_verifier": RFC_VERIFIER,
    }


def test_a_public_client_reads_a_profile_with_the_access_token(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(200, profile_fixture()))
    with _public(loopback) as sso:
        sso.get_profile("access_token_of_the_user")
    (request,) = loopback.requests
    assert request.headers["authorization"] == "Bearer access_token_of_the_user"


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        (
            "code exchange without a PKCE code_verifier",
            lambda sso: sso.get_profile_and_token("code_long_enough"),
        ),
        ("Listing connections", lambda sso: list(sso.list_connections())),
        ("Getting a connection", lambda sso: sso.get_connection("conn_1")),
        ("Deleting a connection", lambda sso: sso.delete_connection("conn_1")),
        ("Single logout", lambda sso: sso.authorize_logout(profile_id="prof_1")),
    ],
    ids=["exchange", "list", "get", "delete", "logout"],
)
def test_what_needs_the_key_is_refused_before_any_request(
    loopback: LoopbackServer, operation: str, call: Any
) -> None:
    with _public(loopback) as sso, pytest.raises(ConfigurationError) as caught:
        call(sso)
    assert operation in str(caught.value)
    assert "WORKOS_API_KEY" in str(caught.value)
    assert loopback.request_count == 0


def test_from_env_needs_the_key_unless_asked_for_a_public_client(client_kind: str) -> None:
    client_class = AsyncSSOClient if client_kind == "async" else SSOClient
    with pytest.raises(ConfigurationError, match="WORKOS_API_KEY"):
        client_class.from_env(environ={"WORKOS_CLIENT_ID": "client_1"})
    public = client_class.from_env(environ={"WORKOS_CLIENT_ID": "client_1"}, public_client=True)
    assert public.is_public
    # Asked for a public client, it leaves the key alone even where one is set.
    environ = {"WORKOS_CLIENT_ID": "client_1", "WORKOS_API_KEY": "sk_test_not_for_this_app"}
    assert client_class.from_env(environ=environ, public_client=True).is_public
    assert not client_class.from_env(environ=environ).is_public


# --- Sign-in with PKCE ----------------------------------------------------------------------


def test_pkce_sign_in_keeps_the_verifier_out_of_the_url(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(200, profile_and_token_fixture()))
    with _public(loopback) as sso:
        start = begin(sso, redirect_uri=REDIRECT_URI, provider="GoogleOAuth", pkce=True)
        assert start.code_verifier is not None
        assert start.code_verifier not in start.url
        assert start.code_verifier not in repr(start)
        query = _query(start.url)
        assert query["code_challenge"] == PKCE.from_verifier(start.code_verifier).code_challenge
        assert query["code_challenge_method"] == "S256"
        callback = f"{REDIRECT_URI}?code=code_1&state={start.state.value}"
        result = handle(
            sso, callback, expected_state=start.state, code_verifier=start.code_verifier
        )
    assert result.profile.email == profile_fixture()["email"]
    (request,) = loopback.requests
    assert request.json()["code_verifier"] == start.code_verifier
    assert "client_secret" not in request.json()


@pytest.mark.live
def test_a_public_client_signs_in_with_pkce_against_the_emulator(
    emulator_url: str, client_kind: str
) -> None:
    with make_client(
        client_kind,
        api_key=emulator.DEFAULT_API_KEY,
        client_id=emulator.CLIENT_ID,
        base_url=emulator_url,
    ) as admin:
        (connection,) = list(admin.list_connections(domain="foo-corp.com"))
    with make_client(client_kind, client_id=emulator.CLIENT_ID, base_url=emulator_url) as sso:
        start = begin(sso, redirect_uri=REDIRECT_URI, connection=connection.id, pkce=True)
        answer = requests.get(start.url, allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        result = handle(
            sso,
            answer.headers["Location"],
            expected_state=start.state,
            code_verifier=start.code_verifier,
        )
    assert result.profile.email.endswith("@foo-corp.com")
    assert result.profile.organization_id == connection.organization_id
    assert result.profile.connection_id == connection.id
