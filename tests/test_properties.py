"""Property-based tests: the converter under any JSON, and authorization URLs under any text.

1. Any JSON value given to ``structure`` for a model, or to ``structure_page``, either gives back
   that model or raises ``DecodeError``; never a ``KeyError``, ``TypeError`` or anything else.
   Random JSON alone rarely gets past the first missing field, so valid fixture payloads are
   also mutated (a key dropped, a value replaced by random JSON, at any depth).
2. Any unicode ``state``, ``login_hint`` and ``provider_query_params`` keys and values come back
   exactly when the authorization URL is parsed with ``urllib.parse.parse_qsl``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Callable, Union
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.payload_fixtures import (
    connection_fixture,
    connection_list_fixture,
    logout_authorization_fixture,
    oauth_tokens_fixture,
    profile_and_token_fixture,
    profile_fixture,
)
from workos_sso import (
    Connection,
    DecodeError,
    LogoutAuthorization,
    OAuthTokens,
    Page,
    Profile,
    ProfileAndToken,
    SSOClient,
)
from workos_sso._convert import structure, structure_page, unstructure

MODELS: list[tuple[type[Any], Callable[[], dict[str, Any]]]] = [
    (Profile, profile_fixture),
    (Connection, connection_fixture),
    (ProfileAndToken, profile_and_token_fixture),
    (LogoutAuthorization, logout_authorization_fixture),
    (OAuthTokens, oauth_tokens_fixture),
]

# Keys the models know, mixed into random objects so they sometimes reach deeper code paths.
KNOWN_KEYS = sorted(
    set(profile_fixture())
    | set(profile_and_token_fixture())
    | set(oauth_tokens_fixture())
    | set(connection_fixture())
    | set(logout_authorization_fixture())
    | {"slug", "domain", "data", "list_metadata", "before", "after"}
)

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "2026-01-15T12:00:00Z",
            "2026-02-30T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999-23:59",
            "OktaSAML",
            "active",
            "",
        ]
    )
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=20,
)

# Modest example counts keep the whole file to a few seconds; CI runs it on every Python.
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _structures_or_decode_error(data: object, model: type[Any]) -> None:
    try:
        result = structure(data, model, what="property")
    except DecodeError:
        return
    assert isinstance(result, model)
    # Whatever structured must also turn back into JSON-ready data.
    json.dumps(unstructure(result))


def _page_or_decode_error(data: object) -> None:
    try:
        page = structure_page(data, Connection, what="property")
    except DecodeError:
        return
    assert isinstance(page, Page)
    assert all(isinstance(item, Connection) for item in page.data)
    assert page.before is None or isinstance(page.before, str)
    assert page.after is None or isinstance(page.after, str)


@settings(FAST, max_examples=120)
@given(data=JSON_VALUES)
def test_any_json_structures_or_raises_decode_error(data: Any) -> None:
    for model, _ in MODELS:
        _structures_or_decode_error(data, model)
    _page_or_decode_error(data)


@settings(FAST, max_examples=60)
@given(data=JSON_VALUES, metadata=JSON_VALUES)
def test_any_json_inside_a_list_envelope(data: Any, metadata: Any) -> None:
    _page_or_decode_error({"object": "list", "data": data, "list_metadata": metadata})
    _page_or_decode_error({"data": [data], "list_metadata": {"after": metadata}})


# --- mutations of valid payloads ------------------------------------------------------------

Path = tuple[Union[str, int], ...]


def _paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every path to a value inside nested dicts and lists (the root excluded)."""
    found: list[Path] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found.extend(_paths(item, (*prefix, index)))
    return found


def _mutate(payload: Any, path: Path, replacement: Any, drop: bool) -> Any:
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if drop:
        del parent[last]
    else:
        parent[last] = replacement
    return payload


MUTABLE_PAYLOADS: list[tuple[str, Callable[[], dict[str, Any]], Callable[[Any], None]]] = [
    *[
        (
            model.__name__,
            fixture,
            lambda data, model=model: _structures_or_decode_error(data, model),
        )
        for model, fixture in MODELS
    ],
    ("ConnectionList", connection_list_fixture, _page_or_decode_error),
]


@pytest.mark.parametrize(
    ("name", "fixture", "check"), MUTABLE_PAYLOADS, ids=[name for name, _, _ in MUTABLE_PAYLOADS]
)
@settings(FAST, max_examples=40)
@given(
    choice=st.data(),
    mutations=st.lists(st.tuples(JSON_VALUES, st.booleans()), min_size=1, max_size=3),
)
def test_mutated_fixture_structures_or_raises_decode_error(
    name: str,
    fixture: Callable[[], dict[str, Any]],
    check: Callable[[Any], None],
    choice: st.DataObject,
    mutations: list[tuple[Any, bool]],
) -> None:
    payload = fixture()
    for replacement, drop in mutations:
        paths = _paths(payload)
        if not paths:
            break
        path = choice.draw(st.sampled_from(paths), label="path")
        _mutate(payload, path, replacement, drop)
    check(payload)


@settings(FAST, max_examples=40)
@given(extra=st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=4))
def test_extra_unknown_keys_never_change_the_result(extra: dict[str, Any]) -> None:
    for model, fixture in MODELS:
        payload = fixture()
        baseline = structure(fixture(), model, what="property")
        for key, value in extra.items():
            if key not in payload:
                payload[key] = value
        assert structure(payload, model, what="property") == baseline


# --- authorization URL round trips ----------------------------------------------------------

ANY_TEXT = st.text(max_size=40)  # every unicode code point hypothesis draws, surrogates excluded


@pytest.fixture(scope="module")
def client() -> Iterator[SSOClient]:
    with SSOClient(
        api_key="sk_test_properties", client_id="client_01PROPERTIES", base_url="https://api.test"
    ) as sso:
        yield sso


def _pairs(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)


@FAST
@given(state=ANY_TEXT, login_hint=ANY_TEXT)
def test_any_state_and_login_hint_round_trip(
    client: SSOClient, state: str, login_hint: str
) -> None:
    url = client.get_authorization_url(
        redirect_uri="https://app.example.com/callback",
        organization="org_1",
        state=state,
        login_hint=login_hint,
    )
    assert "#" not in url
    pairs = _pairs(url)
    assert ("state", state) in pairs
    assert ("login_hint", login_hint) in pairs
    assert len(pairs) == 6


@FAST
@given(params=st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=6))
def test_any_provider_query_params_round_trip(client: SSOClient, params: dict[str, str]) -> None:
    url = client.get_authorization_url(
        redirect_uri="https://app.example.com/callback",
        provider="GoogleOAuth",
        provider_query_params=params,
    )
    prefix, suffix = "provider_query_params[", "]"
    sent = {
        name[len(prefix) : -len(suffix)]: value
        for name, value in _pairs(url)
        if name.startswith(prefix) and name.endswith(suffix)
    }
    assert sent == params
    assert len(_pairs(url)) == 4 + len(params)


@FAST
@given(redirect_path=ANY_TEXT, nonce=ANY_TEXT, domain_hint=ANY_TEXT)
def test_any_redirect_path_nonce_and_domain_hint_round_trip(
    client: SSOClient, redirect_path: str, nonce: str, domain_hint: str
) -> None:
    redirect_uri = "http://localhost:8000/" + redirect_path
    url = client.get_authorization_url(
        redirect_uri=redirect_uri, connection="conn_1", nonce=nonce, domain_hint=domain_hint
    )
    values = dict(_pairs(url))
    assert values["redirect_uri"] == redirect_uri
    assert values["nonce"] == nonce
    assert values["domain_hint"] == domain_hint
