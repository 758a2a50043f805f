"""URL building: the authorization URL, logout and JWKS URLs, and request paths and queries.

URLs are parsed back with urllib.parse and compared value by value, so an encoding mistake
(a ``&`` splitting a value, a ``+`` read back as a space) shows as a wrong value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

import pytest

from tests.clients import BlockingAsyncClient, make_client
from tests.loopback import LoopbackServer, Reply, client_for
from tests.payload_fixtures import connection_fixture, connection_list_fixture
from workos_sso import (
    ConnectionType,
    InvalidParameterError,
    Order,
    Provider,
    SSOClient,
    WorkOSError,
)

pytestmark = pytest.mark.usefixtures("client_kind")

API_KEY = "sk_test_authorization_url_tests"
CLIENT_ID = "client_01AUTHURLTESTS"
BASE_URL = "https://api.workos.test"
REDIRECT_URI = "https://app.example.com/callback"


@pytest.fixture
def client(client_kind: str) -> Iterator[SSOClient]:
    """A client of the test's kind: the URL builders are the same plain methods on both."""
    with make_client(client_kind, api_key=API_KEY, client_id=CLIENT_ID, base_url=BASE_URL) as sso:
        if isinstance(sso, BlockingAsyncClient):
            yield sso.client  # type: ignore[misc]  # no request is sent, so nothing to wait for
        else:
            yield sso


def _query(url: str) -> list[tuple[str, str]]:
    parts = urlsplit(url)
    assert parts.fragment == ""
    return parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)


def _single_values(url: str) -> dict[str, str]:
    pairs = _query(url)
    names = [name for name, _ in pairs]
    assert len(names) == len(set(names)), f"repeated parameter in {url}"
    return dict(pairs)


# --- selectors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "value", "expected"),
    [
        ("connection", "conn_01ABC", "conn_01ABC"),
        ("organization", "org_01ABC", "org_01ABC"),
        ("provider", "GoogleOAuth", "GoogleOAuth"),
        ("provider", Provider.MicrosoftOAuth, "MicrosoftOAuth"),
    ],
)
def test_each_selector_alone_builds_the_minimal_url(
    client: SSOClient, selector: str, value: Any, expected: str
) -> None:
    url = client.get_authorization_url(redirect_uri=REDIRECT_URI, **{selector: value})
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "api.workos.test",
        "/sso/authorize",
    )
    assert _single_values(url) == {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        selector: expected,
    }


@pytest.mark.parametrize(
    "selectors",
    [
        {},
        {"connection": "conn_1", "organization": "org_1"},
        {"connection": "conn_1", "provider": "GoogleOAuth"},
        {"organization": "org_1", "provider": Provider.GoogleOAuth},
        {"connection": "conn_1", "organization": "org_1", "provider": "GoogleOAuth"},
    ],
)
def test_not_exactly_one_selector_is_rejected_naming_all_three(
    client: SSOClient, selectors: dict[str, Any]
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        client.get_authorization_url(redirect_uri=REDIRECT_URI, **selectors)
    message = str(caught.value)
    assert "exactly one" in message
    for name in ("connection", "organization", "provider"):
        assert name in message
    assert isinstance(caught.value, WorkOSError)
    assert isinstance(caught.value, ValueError)


def test_selector_is_checked_before_redirect_uri(client: SSOClient) -> None:
    # Two mistakes at once: the selector one is reported, as the contract says it comes first.
    with pytest.raises(InvalidParameterError, match="exactly one"):
        client.get_authorization_url(redirect_uri="relative/path")


@pytest.mark.parametrize("empty", ["", 5, ["conn_1"]])
def test_selector_must_be_a_non_empty_string(client: SSOClient, empty: Any) -> None:
    with pytest.raises(InvalidParameterError, match="connection must be a non-empty string"):
        client.get_authorization_url(redirect_uri=REDIRECT_URI, connection=empty)


# --- redirect_uri ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri", ["", "/callback", "callback", "app.example.com/callback", "//host/x", None, 7]
)
def test_redirect_uri_must_be_absolute(client: SSOClient, redirect_uri: Any) -> None:
    with pytest.raises(InvalidParameterError, match="redirect_uri must be an absolute URL"):
        client.get_authorization_url(redirect_uri=redirect_uri, organization="org_1")


def test_redirect_uri_is_required(client: SSOClient) -> None:
    with pytest.raises(TypeError):
        client.get_authorization_url(organization="org_1")  # type: ignore[call-arg]


def test_redirect_uri_with_its_own_query_survives_intact(client: SSOClient) -> None:
    redirect = "http://localhost:8000/callback?next=/home&tab=a b#frag"
    url = client.get_authorization_url(redirect_uri=redirect, organization="org_1")
    assert _single_values(url)["redirect_uri"] == redirect


# --- every optional parameter ---------------------------------------------------------------


def test_every_parameter_together(client: SSOClient) -> None:
    url = client.get_authorization_url(
        redirect_uri=REDIRECT_URI,
        organization="org_01EHZNVPK3SFK441A1RGBFSHRT",
        state="st-123",
        domain_hint="foo-corp.com",
        login_hint="alice@foo-corp.com",
        nonce="n-0S6_WzA2Mj",
        provider_scopes=["openid", "profile", "email"],
        provider_query_params={"hd": "foo-corp.com", "access_type": "offline"},
        prompt="login",
        client_id="client_01OVERRIDE",
    )
    assert _query(url) == [
        ("client_id", "client_01OVERRIDE"),
        ("redirect_uri", REDIRECT_URI),
        ("response_type", "code"),
        ("organization", "org_01EHZNVPK3SFK441A1RGBFSHRT"),
        ("state", "st-123"),
        ("domain_hint", "foo-corp.com"),
        ("login_hint", "alice@foo-corp.com"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("prompt", "login"),
        ("provider_scopes", "openid,profile,email"),
        ("provider_query_params[hd]", "foo-corp.com"),
        ("provider_query_params[access_type]", "offline"),
    ]


def test_optional_parameters_left_out_are_absent(client: SSOClient) -> None:
    url = client.get_authorization_url(redirect_uri=REDIRECT_URI, connection="conn_1")
    names = {name for name, _ in _query(url)}
    for absent in ("state", "domain_hint", "login_hint", "nonce", "prompt", "provider_scopes"):
        assert absent not in names
    assert not any(name.startswith("provider_query_params") for name in names)


def test_client_id_defaults_to_the_clients_own(client: SSOClient) -> None:
    url = client.get_authorization_url(redirect_uri=REDIRECT_URI, connection="conn_1")
    assert _single_values(url)["client_id"] == CLIENT_ID


def test_provider_scopes_accept_any_sequence_and_skip_when_empty(client: SSOClient) -> None:
    from_tuple = client.get_authorization_url(
        redirect_uri=REDIRECT_URI, provider="GoogleOAuth", provider_scopes=("a", "b")
    )
    assert _single_values(from_tuple)["provider_scopes"] == "a,b"
    empty = client.get_authorization_url(
        redirect_uri=REDIRECT_URI, provider="GoogleOAuth", provider_scopes=[]
    )
    assert "provider_scopes" not in _single_values(empty)


def test_provider_scopes_as_a_bare_string_is_rejected(client: SSOClient) -> None:
    # "openid" would otherwise become "o,p,e,n,i,d".
    with pytest.raises(InvalidParameterError, match="provider_scopes must be a list"):
        client.get_authorization_url(
            redirect_uri=REDIRECT_URI,
            provider="GoogleOAuth",
            provider_scopes="openid",  # a str is a Sequence[str] to mypy, hence the runtime check
        )


def test_provider_scopes_items_must_be_strings(client: SSOClient) -> None:
    with pytest.raises(InvalidParameterError, match="provider_scopes must be a string"):
        client.get_authorization_url(
            redirect_uri=REDIRECT_URI,
            provider="GoogleOAuth",
            provider_scopes=["openid", 3],  # type: ignore[list-item]
        )


def test_provider_query_params_must_be_a_mapping_of_strings(client: SSOClient) -> None:
    with pytest.raises(InvalidParameterError, match="provider_query_params must be a mapping"):
        client.get_authorization_url(
            redirect_uri=REDIRECT_URI,
            provider="GoogleOAuth",
            provider_query_params=[("hd", "x")],  # type: ignore[arg-type]
        )
    with pytest.raises(InvalidParameterError, match=r"provider_query_params\[hd\] must be"):
        client.get_authorization_url(
            redirect_uri=REDIRECT_URI,
            provider="GoogleOAuth",
            provider_query_params={"hd": 1},  # type: ignore[dict-item]
        )


@pytest.mark.parametrize("prompt", ["consent", "none", "LOGIN", ""])
def test_prompt_accepts_only_login(client: SSOClient, prompt: str) -> None:
    with pytest.raises(InvalidParameterError, match='prompt accepts only "login"'):
        client.get_authorization_url(
            redirect_uri=REDIRECT_URI,
            connection="conn_1",
            prompt=prompt,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize("name", ["state", "domain_hint", "login_hint", "nonce"])
def test_text_options_must_be_strings(client: SSOClient, name: str) -> None:
    options: dict[str, Any] = {name: 12}
    with pytest.raises(InvalidParameterError, match=f"{name} must be a string, not int"):
        client.get_authorization_url(redirect_uri=REDIRECT_URI, connection="c", **options)


def test_options_are_keyword_only(client: SSOClient) -> None:
    with pytest.raises(TypeError):
        client.get_authorization_url(REDIRECT_URI, "conn_1")  # type: ignore[call-arg]


# --- encoding -------------------------------------------------------------------------------

AWKWARD = [
    "two words",
    "a&b=c",
    "x#y",
    "plus+sign",
    "percent%20literal",
    "snowman ☃ and emoji 🎉",
    "Ünïcødé/слово/中文",
    "semi;colon,comma",
    "quote\"and'apostrophe",
    "[brackets]",
    "?question",
    "  leading and trailing  ",
]


@pytest.mark.parametrize("value", AWKWARD)
def test_awkward_values_round_trip_exactly(client: SSOClient, value: str) -> None:
    url = client.get_authorization_url(
        redirect_uri=REDIRECT_URI,
        connection=value,
        state=value,
        login_hint=value,
        domain_hint=value,
        nonce=value,
        provider_scopes=[value],
        provider_query_params={value: value},
    )
    pairs = _query(url)
    for name in ("connection", "state", "login_hint", "domain_hint", "nonce", "provider_scopes"):
        assert dict(pairs)[name] == value
    assert (f"provider_query_params[{value}]", value) in pairs


def test_encoding_uses_percent_escapes_never_plus_or_raw_reserved_characters(
    client: SSOClient,
) -> None:
    url = client.get_authorization_url(
        redirect_uri=REDIRECT_URI, connection="conn_1", state="a b+c&d=e#f/g?h☃"
    )
    raw_state = next(
        item.split("=", 1)[1]
        for item in urlsplit(url).query.split("&")
        if item.startswith("state=")
    )
    # A space as "+" would read back as a literal plus on some servers; "%20" is unambiguous.
    assert raw_state == "a%20b%2Bc%26d%3De%23f%2Fg%3Fh%E2%98%83"
    assert unquote(raw_state) == "a b+c&d=e#f/g?h☃"
    assert "#" not in url


def test_provider_query_param_brackets_are_encoded_and_decode_back(client: SSOClient) -> None:
    url = client.get_authorization_url(
        redirect_uri=REDIRECT_URI, provider="GoogleOAuth", provider_query_params={"hd": "x y"}
    )
    assert "provider_query_params%5Bhd%5D=x%20y" in urlsplit(url).query
    assert parse_qs(urlsplit(url).query) == {
        "client_id": [CLIENT_ID],
        "redirect_uri": [REDIRECT_URI],
        "response_type": ["code"],
        "provider": ["GoogleOAuth"],
        "provider_query_params[hd]": ["x y"],
    }


def test_base_url_path_is_kept_in_front_of_the_endpoint(client_kind: str) -> None:
    with make_client(
        client_kind, api_key=API_KEY, client_id=CLIENT_ID, base_url="https://proxy.example/workos/"
    ) as sso:
        url = sso.get_authorization_url(redirect_uri=REDIRECT_URI, connection="conn_1")
    assert urlsplit(url).path == "/workos/sso/authorize"


# --- logout and JWKS ------------------------------------------------------------------------


def test_logout_url_carries_the_token_as_token(client: SSOClient) -> None:
    url = client.get_logout_url("eyJhbGciOiJSUzI1NiJ9.payload.sig")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE_URL}/sso/logout"
    assert _query(url) == [("token", "eyJhbGciOiJSUzI1NiJ9.payload.sig")]


def test_logout_url_encodes_awkward_tokens(client: SSOClient) -> None:
    token = "a+b/c=d&e f"
    url = client.get_logout_url(token)
    assert urlsplit(url).query == "token=a%2Bb%2Fc%3Dd%26e%20f"
    assert _query(url) == [("token", token)]


@pytest.mark.parametrize("bad", ["", None, 5])
def test_logout_url_needs_a_token(client: SSOClient, bad: Any) -> None:
    with pytest.raises(InvalidParameterError, match="logout_token"):
        client.get_logout_url(bad)


def test_jwks_url_for_the_clients_own_id_and_an_override(client: SSOClient) -> None:
    assert client.get_jwks_url() == f"{BASE_URL}/sso/jwks/{CLIENT_ID}"
    assert client.get_jwks_url(client_id="client_OTHER") == f"{BASE_URL}/sso/jwks/client_OTHER"


def test_jwks_url_quotes_the_client_id_into_one_segment(client: SSOClient) -> None:
    url = client.get_jwks_url(client_id="../token?x=1#y z")
    parts = urlsplit(url)
    assert parts.path == "/sso/jwks/..%2Ftoken%3Fx%3D1%23y%20z"
    assert (parts.query, parts.fragment) == ("", "")
    assert unquote(parts.path.rsplit("/", 1)[1]) == "../token?x=1#y z"


# --- requests the client sends (a loopback server records them) ------------------------------


@pytest.fixture
def server(loopback: LoopbackServer) -> LoopbackServer:
    """A loopback server that answers every request with a connection, unless a test says."""
    loopback.always(Reply.json(200, connection_fixture()))
    return loopback


@pytest.fixture
def loopback_client(server: LoopbackServer) -> Iterator[SSOClient]:
    with client_for(server, api_key=API_KEY, client_id=CLIENT_ID) as sso:
        yield sso


@pytest.mark.parametrize(
    ("connection_id", "expected_target"),
    [
        ("conn_01ABC", "/connections/conn_01ABC"),
        ("../sso/token", "/connections/..%2Fsso%2Ftoken"),
        ("...", "/connections/..."),
        ("a/b?c=d#e", "/connections/a%2Fb%3Fc%3Dd%23e"),
        ("id with space", "/connections/id%20with%20space"),
    ],
)
def test_get_connection_id_stays_inside_its_path_segment(
    server: LoopbackServer, loopback_client: SSOClient, connection_id: str, expected_target: str
) -> None:
    loopback_client.get_connection(connection_id)
    [sent] = server.requests
    assert (sent.method, sent.path) == ("GET", expected_target)


def test_delete_connection_id_stays_inside_its_path_segment(
    server: LoopbackServer, loopback_client: SSOClient
) -> None:
    server.always(Reply(status=204))
    loopback_client.delete_connection("../sso/token")
    [sent] = server.requests
    assert (sent.method, sent.path) == ("DELETE", "/connections/..%2Fsso%2Ftoken")


@pytest.mark.parametrize("dots", [".", ".."])
def test_dot_segment_ids_are_refused_before_urllib3_can_resolve_them(
    server: LoopbackServer, loopback_client: SSOClient, dots: str
) -> None:
    # urllib3 removes dot segments, so "/connections/.." would be sent as "/" and
    # "/connections/." as the list endpoint; quoting cannot prevent that, refusing can.
    with pytest.raises(InvalidParameterError, match="connection_id must be an id"):
        loopback_client.get_connection(dots)
    with pytest.raises(InvalidParameterError, match="connection_id must be an id"):
        loopback_client.delete_connection(dots)
    with pytest.raises(InvalidParameterError, match="client_id must be an id"):
        loopback_client.get_jwks_url(client_id=dots)
    assert server.requests == []


@pytest.mark.parametrize("bad", ["", None, 42])
def test_get_connection_needs_an_id(
    server: LoopbackServer, loopback_client: SSOClient, bad: Any
) -> None:
    with pytest.raises(InvalidParameterError, match="connection_id"):
        loopback_client.get_connection(bad)
    assert server.requests == []


@pytest.mark.parametrize("limit", [0, -1, 101, 1000, True, False, 10.0, "10"])
def test_list_connections_limit_is_checked_at_call_time(
    server: LoopbackServer, loopback_client: SSOClient, limit: Any
) -> None:
    # Raised by the call itself, before iteration, so a bad page size fails where it is written.
    with pytest.raises(InvalidParameterError, match="limit must be a whole number from 1 to 100"):
        loopback_client.list_connections(limit=limit)
    assert server.requests == []


@pytest.mark.parametrize("limit", [1, 50, 100])
def test_list_connections_accepts_limits_in_range_and_sends_them(
    server: LoopbackServer, loopback_client: SSOClient, limit: int
) -> None:
    server.always(Reply.json(200, connection_list_fixture(1, after=None)))
    pager = loopback_client.list_connections(limit=limit)
    assert server.requests == []  # lazy: nothing is sent until iteration
    assert len(list(pager)) == 1
    [sent] = server.requests
    assert parse_qs(urlsplit(sent.path).query) == {"limit": [str(limit)]}


def test_list_connections_sends_every_filter_with_enums_as_values(
    server: LoopbackServer, loopback_client: SSOClient
) -> None:
    server.always(Reply.json(200, connection_list_fixture(0, after=None)))
    pager = loopback_client.list_connections(
        connection_type=ConnectionType.OktaSAML,
        domain="foo-corp.com",
        organization_id="org_01",
        search="Foo & Bar",
        limit=25,
        after="conn_after",
        order=Order.asc,
    )
    assert list(pager) == []
    [sent] = server.requests
    parts = urlsplit(sent.path)
    assert parts.path == "/connections"
    assert dict(parse_qsl(parts.query, strict_parsing=True)) == {
        "connection_type": "OktaSAML",
        "domain": "foo-corp.com",
        "organization_id": "org_01",
        "search": "Foo & Bar",
        "limit": "25",
        "after": "conn_after",
        "order": "asc",
    }


def test_list_connections_accepts_enum_names_as_plain_strings(
    server: LoopbackServer, loopback_client: SSOClient
) -> None:
    server.always(Reply.json(200, connection_list_fixture(0, after=None)))
    list(loopback_client.list_connections(connection_type="NewTypeFromTomorrow", order="desc"))
    [sent] = server.requests
    assert dict(parse_qsl(urlsplit(sent.path).query)) == {
        "connection_type": "NewTypeFromTomorrow",
        "order": "desc",
    }


def test_list_connections_with_before_sends_before(
    server: LoopbackServer, loopback_client: SSOClient
) -> None:
    server.always(Reply.json(200, connection_list_fixture(1, before=None, after="ignored")))
    list(loopback_client.list_connections(before="conn_before"))
    [sent] = server.requests
    assert dict(parse_qsl(urlsplit(sent.path).query)) == {"before": "conn_before"}


@pytest.mark.parametrize("name", ["domain", "organization_id", "search", "connection_type"])
def test_list_connections_filters_must_be_strings(
    server: LoopbackServer, loopback_client: SSOClient, name: str
) -> None:
    options: dict[str, Any] = {name: 3}
    with pytest.raises(InvalidParameterError, match=f"{name} must be a string"):
        loopback_client.list_connections(**options)
    assert server.requests == []


def test_list_connections_options_are_keyword_only(loopback_client: SSOClient) -> None:
    with pytest.raises(TypeError):
        loopback_client.list_connections("OktaSAML")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "redirect_uri",
    ["javascript://x/%0aalert(1)", "JavaScript://x", "data://x/text", "file://host/etc/passwd"],
)
def test_redirect_uris_that_would_run_code_in_the_browser_are_refused(
    client: SSOClient, redirect_uri: str
) -> None:
    with pytest.raises(InvalidParameterError, match="must not use the"):
        client.get_authorization_url(redirect_uri=redirect_uri, organization="org_1")


def test_a_native_apps_own_scheme_is_accepted(client: SSOClient) -> None:
    url = client.get_authorization_url(redirect_uri="myapp://sso/callback", organization="org_1")
    assert ("redirect_uri", "myapp://sso/callback") in parse_qsl(urlsplit(url).query)
