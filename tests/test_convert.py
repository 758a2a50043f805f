"""The converter on spec-shaped fixture payloads: lenient where servers vary, strict on types."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, get_args

import attrs
import pytest

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
    ConnectionDomain,
    ConnectionState,
    ConnectionType,
    DecodeError,
    LogoutAuthorization,
    OAuthTokens,
    Page,
    Profile,
    ProfileAndToken,
    Role,
    WorkOSError,
    _convert,
)
from workos_sso._convert import structure, structure_page, unstructure

WHAT = "GET /fixture"


# --- complete payloads ----------------------------------------------------------------------


def test_profile_and_token_fixture_structures_every_field() -> None:
    result = structure(profile_and_token_fixture(), ProfileAndToken, what=WHAT)
    assert result.access_token == "fixture-access-token-0001"
    assert (result.expires_in, result.token_type) == (600, "Bearer")
    profile = result.profile
    assert profile.id == "prof_01FIXTUREPROFILE0000000001"
    assert profile.connection_type is ConnectionType.OktaSAML
    assert (profile.first_name, profile.last_name, profile.name) == (
        "Ada",
        "Lovelace",
        "Ada Lovelace",
    )
    assert profile.role == Role(slug="admin")
    assert profile.roles == (Role(slug="admin"), Role(slug="member"))
    assert profile.groups == ("Engineering", "Admins")
    assert profile.custom_attributes == {"department": "Analytical Engines", "level": 3}
    assert profile.raw_attributes["nested"] == {"list": [1, None, "x"]}
    assert result.oauth_tokens == OAuthTokens(
        provider="GoogleOAuth",
        access_token="ya29.fixture-provider-access",
        refresh_token="1//fixture-provider-refresh",
        expires_at=1735141800,
        scopes=("profile", "email", "openid"),
    )


def test_connection_fixture_structures_every_field() -> None:
    connection = structure(connection_fixture(), Connection, what=WHAT)
    assert connection.id == "conn_01FIXTURECONNECTION000001"
    assert connection.name == "Fixture Corp"
    assert connection.connection_type is ConnectionType.OktaSAML
    assert connection.state is ConnectionState.active
    assert connection.status == "linked"
    assert connection.options == {"signing_cert": None}
    assert connection.domains == (
        ConnectionDomain(id="org_domain_01FIXTUREDOMAIN0001", domain="fixture.example"),
    )
    assert connection.created_at == datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
    assert connection.updated_at == datetime(2026, 1, 16, 8, 30, 15, 250000, tzinfo=timezone.utc)


def test_logout_authorization_fixture() -> None:
    logout = structure(logout_authorization_fixture(), LogoutAuthorization, what=WHAT)
    assert logout.logout_token == "fixture-logout-token"
    assert logout.logout_url.endswith("?token=fixture-logout-token")


def test_connection_list_fixture_becomes_a_page() -> None:
    page = structure_page(
        connection_list_fixture(3, before="conn_b", after="conn_a"), Connection, what=WHAT
    )
    assert isinstance(page, Page)
    assert [c.id for c in page.data] == [
        "conn_01FIXTURE00000",
        "conn_01FIXTURE00001",
        "conn_01FIXTURE00002",
    ]
    assert (page.before, page.after) == ("conn_b", "conn_a")
    assert isinstance(page.data, tuple)


@pytest.mark.parametrize(
    "list_metadata", [None, {}, {"before": None, "after": None}], ids=["null", "empty", "nulls"]
)
def test_page_without_cursors_is_the_only_page(list_metadata: Any) -> None:
    payload = connection_list_fixture(1)
    payload["list_metadata"] = list_metadata
    page = structure_page(payload, Connection, what=WHAT)
    assert (page.before, page.after, len(page.data)) == (None, None, 1)


def test_empty_page() -> None:
    page = structure_page(connection_list_fixture(0, after=None), Connection, what=WHAT)
    assert page == Page(data=(), before=None, after=None)


# --- nulls and missing optional fields ------------------------------------------------------

PROFILE_OPTIONAL = (
    "organization_id",
    "first_name",
    "last_name",
    "name",
    "role",
    "roles",
    "groups",
    "custom_attributes",
)


@pytest.mark.parametrize("absent", ["null", "missing"])
def test_profile_optional_fields_may_be_null_or_missing(absent: str) -> None:
    payload = profile_fixture()
    for field in PROFILE_OPTIONAL:
        if absent == "null":
            payload[field] = None
        else:
            del payload[field]
    profile = structure(payload, Profile, what=WHAT)
    assert profile.organization_id is None
    assert (profile.first_name, profile.last_name, profile.name) == (None, None, None)
    assert (profile.role, profile.roles, profile.groups) == (None, None, None)
    assert profile.custom_attributes == {}
    assert profile.email == "ada@fixture.example"


@pytest.mark.parametrize("field", PROFILE_OPTIONAL)
def test_each_profile_optional_field_alone_may_be_null(field: str) -> None:
    payload = profile_fixture()
    payload[field] = None
    profile = structure(payload, Profile, what=WHAT)
    assert getattr(profile, field) in (None, {})


def test_raw_attributes_null_or_missing_becomes_empty() -> None:
    payload = profile_fixture()
    payload["raw_attributes"] = None
    assert structure(payload, Profile, what=WHAT).raw_attributes == {}
    del payload["raw_attributes"]
    assert structure(payload, Profile, what=WHAT).raw_attributes == {}


@pytest.mark.parametrize("absent", ["null", "missing"])
def test_token_response_optional_fields(absent: str) -> None:
    payload = profile_and_token_fixture()
    for field in ("expires_in", "token_type", "oauth_tokens"):
        if absent == "null":
            payload[field] = None
        else:
            del payload[field]
    result = structure(payload, ProfileAndToken, what=WHAT)
    assert (result.expires_in, result.token_type, result.oauth_tokens) == (None, None, None)
    assert result.access_token == "fixture-access-token-0001"


def test_oauth_tokens_optional_fields() -> None:
    tokens = structure(
        {"provider": "GitHubOAuth", "access_token": "gho_fixture"}, OAuthTokens, what=WHAT
    )
    assert (tokens.refresh_token, tokens.expires_at, tokens.scopes) == (None, None, ())


@pytest.mark.parametrize("absent", ["null", "missing"])
def test_connection_optional_fields(absent: str) -> None:
    payload = connection_fixture()
    for field in ("name", "organization_id", "status", "options", "domains"):
        if absent == "null":
            payload[field] = None
        else:
            del payload[field]
    connection = structure(payload, Connection, what=WHAT)
    assert (
        connection.name,
        connection.organization_id,
        connection.status,
        connection.options,
    ) == (None, None, None, None)
    assert connection.domains == ()


def test_object_discriminators_may_be_missing() -> None:
    payload = connection_fixture()
    del payload["object"]
    for domain in payload["domains"]:
        del domain["object"]
    connection = structure(payload, Connection, what=WHAT)
    assert connection.object == "connection"
    assert connection.domains[0].object == "connection_domain"


# --- forward compatibility ------------------------------------------------------------------


def test_unknown_fields_are_ignored_at_every_level() -> None:
    payload = profile_and_token_fixture()
    payload["brand_new_field"] = {"anything": [1, 2]}
    payload["profile"]["another_new_field"] = "x"
    payload["profile"]["role"]["description"] = "new in the API"
    payload["oauth_tokens"]["id_token"] = "eyJ-new"
    baseline = structure(profile_and_token_fixture(), ProfileAndToken, what=WHAT)
    assert structure(payload, ProfileAndToken, what=WHAT) == baseline

    connection = connection_fixture()
    connection["domains"][0]["verified"] = True
    connection["options"]["new_option"] = 1
    assert structure(connection, Connection, what=WHAT).options == {
        "signing_cert": None,
        "new_option": 1,
    }

    page = connection_list_fixture(1)
    page["list_metadata"]["total"] = 1
    page["extra"] = None
    assert len(structure_page(page, Connection, what=WHAT).data) == 1


def test_unknown_enum_values_are_kept_as_strings() -> None:
    payload = connection_fixture()
    payload["connection_type"] = "QuantumSAML"
    payload["state"] = "hibernating"
    connection = structure(payload, Connection, what=WHAT)
    assert type(connection.connection_type) is str
    assert connection.connection_type == "QuantumSAML"
    assert type(connection.state) is str
    assert connection.state == "hibernating"
    assert unstructure(connection)["connection_type"] == "QuantumSAML"

    profile = profile_fixture()
    profile["connection_type"] = "QuantumSAML"
    assert structure(profile, Profile, what=WHAT).connection_type == "QuantumSAML"


@pytest.mark.parametrize("member", list(ConnectionType))
def test_every_known_connection_type_becomes_its_member(member: ConnectionType) -> None:
    payload = connection_fixture()
    payload["connection_type"] = member.value
    assert structure(payload, Connection, what=WHAT).connection_type is member


@pytest.mark.parametrize("member", list(ConnectionState))
def test_every_known_state_becomes_its_member(member: ConnectionState) -> None:
    payload = connection_fixture()
    payload["state"] = member.value
    assert structure(payload, Connection, what=WHAT).state is member


def test_enum_members_compare_equal_to_their_strings() -> None:
    connection = structure(connection_fixture(), Connection, what=WHAT)
    assert connection.connection_type == "OktaSAML"
    assert str(connection.connection_type) == "OktaSAML"
    assert f"{connection.state}" == "active"


# --- timestamps -----------------------------------------------------------------------------

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15T12:00:00.000Z", datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)),
        ("2026-01-15T12:00:00Z", datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)),
        ("2026-01-15T12:00:00z", datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)),
        ("2026-01-15t12:00:00Z", datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)),
        ("2026-01-15 12:00:00Z", datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)),
        ("2026-01-15T12:00:00.5Z", datetime(2026, 1, 15, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2026-01-15T12:00:00.12Z", datetime(2026, 1, 15, 12, 0, 0, 120000, tzinfo=UTC)),
        ("2026-01-15T12:00:00.123Z", datetime(2026, 1, 15, 12, 0, 0, 123000, tzinfo=UTC)),
        ("2026-01-15T12:00:00.1234Z", datetime(2026, 1, 15, 12, 0, 0, 123400, tzinfo=UTC)),
        ("2026-01-15T12:00:00.12345Z", datetime(2026, 1, 15, 12, 0, 0, 123450, tzinfo=UTC)),
        ("2026-01-15T12:00:00.123456Z", datetime(2026, 1, 15, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2026-01-15T12:00:00.1234567Z", datetime(2026, 1, 15, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2026-01-15T12:00:00.123456789Z", datetime(2026, 1, 15, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2026-01-15T12:00:00+00:00", datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)),
        (
            "2026-01-15T14:30:00+02:30",
            datetime(2026, 1, 15, 14, 30, tzinfo=timezone(timedelta(hours=2, minutes=30))),
        ),
        (
            "2026-01-15T07:00:00.250-05:00",
            datetime(2026, 1, 15, 7, 0, 0, 250000, tzinfo=timezone(timedelta(hours=-5))),
        ),
        (
            "2026-01-15T07:00:00-0500",
            datetime(2026, 1, 15, 7, 0, 0, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("2026-01-15T12:00:00", datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)),
        ("2026-01-15T12:00:00.000001", datetime(2026, 1, 15, 12, 0, 0, 1, tzinfo=UTC)),
    ],
)
def test_timestamps_in_iso_forms_become_aware_datetimes(text: str, expected: datetime) -> None:
    payload = connection_fixture()
    payload["created_at"] = text
    created = structure(payload, Connection, what=WHAT).created_at
    assert created.tzinfo is not None
    assert created.utcoffset() == expected.utcoffset()
    assert created == expected
    assert (created.microsecond, created.second) == (expected.microsecond, expected.second)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-01-15",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-15T25:00:00Z",
        "2026-01-15T12:00:00+25:00",
        "2026-01-15T12:00:00.Z",
        "2026-01-15T12:00Z",
        "1736942400",
        "2026-02-30T12:00:00.000Z",  # the API's own form, on a day that does not exist
        "\u0662026-01-15T12:00:00.000Z",  # an Arabic-Indic digit two
    ],
)
def test_malformed_timestamps_raise_decode_error(text: str) -> None:
    payload = connection_fixture()
    payload["created_at"] = text
    with pytest.raises(DecodeError, match="Connection"):
        structure(payload, Connection, what=WHAT)


@pytest.mark.parametrize("value", [1736942400, 1736942400.5, None, [], {}])
def test_non_string_timestamps_raise_decode_error(value: Any) -> None:
    payload = connection_fixture()
    payload["updated_at"] = value
    with pytest.raises(DecodeError):
        structure(payload, Connection, what=WHAT)


# --- wrong types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", 12345),
        ("email", 1.5),
        ("email", True),
        ("email", None),
        ("first_name", 7),
        ("connection_type", 3),
        ("connection_type", None),
        ("groups", "Engineering"),
        ("groups", [1, 2]),
        ("roles", "admin"),
        ("roles", [{"slug": 1}]),
        ("role", "admin"),
        ("role", {}),
        ("custom_attributes", ["a"]),
        ("raw_attributes", "a=b"),
    ],
)
def test_profile_field_of_the_wrong_type_raises_decode_error(field: str, value: Any) -> None:
    payload = profile_fixture()
    payload[field] = value
    with pytest.raises(DecodeError) as caught:
        structure(payload, Profile, what=WHAT)
    assert WHAT in str(caught.value)
    assert "Profile" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expires_in", "600"),
        ("expires_in", 600.0),
        ("expires_in", True),
        ("access_token", 1),
        ("profile", "prof_1"),
        ("profile", None),
        ("oauth_tokens", []),
    ],
)
def test_token_response_field_of_the_wrong_type_raises_decode_error(field: str, value: Any) -> None:
    payload = profile_and_token_fixture()
    payload[field] = value
    with pytest.raises(DecodeError):
        structure(payload, ProfileAndToken, what=WHAT)


@pytest.mark.parametrize(
    ("field", "value"),
    [("domains", "fixture.example"), ("domains", [{"id": "x"}]), ("options", "x"), ("name", 5)],
)
def test_connection_field_of_the_wrong_type_raises_decode_error(field: str, value: Any) -> None:
    payload = connection_fixture()
    payload[field] = value
    with pytest.raises(DecodeError):
        structure(payload, Connection, what=WHAT)


@pytest.mark.parametrize(
    ("model", "payload", "missing"),
    [
        (Profile, profile_fixture(), "id"),
        (Profile, profile_fixture(), "email"),
        (Profile, profile_fixture(), "connection_type"),
        (ProfileAndToken, profile_and_token_fixture(), "access_token"),
        (ProfileAndToken, profile_and_token_fixture(), "profile"),
        (Connection, connection_fixture(), "id"),
        (Connection, connection_fixture(), "created_at"),
        (LogoutAuthorization, logout_authorization_fixture(), "logout_token"),
        (OAuthTokens, oauth_tokens_fixture(), "access_token"),
    ],
)
def test_missing_required_field_raises_decode_error_naming_it(
    model: type[Any], payload: dict[str, Any], missing: str
) -> None:
    del payload[missing]
    with pytest.raises(DecodeError) as caught:
        structure(payload, model, what=WHAT)
    assert repr(missing) in str(caught.value)


@pytest.mark.parametrize("top_level", [None, [], [profile_fixture()], "profile", 1, True, 2.5])
def test_non_object_top_level_raises_decode_error(top_level: Any) -> None:
    with pytest.raises(DecodeError, match="not the object expected"):
        structure(top_level, Profile, what=WHAT)
    with pytest.raises(DecodeError):
        structure_page(top_level, Connection, what=WHAT)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"data": None},
        {"data": "conn_1"},
        {"data": {}, "list_metadata": {}},
        {"data": [], "list_metadata": []},
        {"data": [], "list_metadata": {"after": 5}},
        {"data": [], "list_metadata": {"before": ["x"]}},
        {"data": [1]},
        {"data": [{"id": "conn_1"}]},
    ],
)
def test_malformed_list_raises_decode_error(payload: dict[str, Any]) -> None:
    with pytest.raises(DecodeError) as caught:
        structure_page(payload, Connection, what=WHAT)
    assert WHAT in str(caught.value)


def test_decode_error_is_a_workos_error_and_keeps_the_cause() -> None:
    payload = profile_fixture()
    payload["email"] = 5
    with pytest.raises(DecodeError) as caught:
        structure(payload, Profile, what=WHAT)
    assert isinstance(caught.value, WorkOSError)
    assert caught.value.__cause__ is not None


# --- unstructure ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fixture"),
    [
        (ProfileAndToken, profile_and_token_fixture),
        (Profile, profile_fixture),
        (OAuthTokens, oauth_tokens_fixture),
        (LogoutAuthorization, logout_authorization_fixture),
    ],
)
def test_unstructure_gives_back_every_field_sent(model: type[Any], fixture: Any) -> None:
    payload = fixture()
    data = unstructure(structure(payload, model, what=WHAT))
    assert json.loads(json.dumps(data)) == payload


def test_unstructure_connection_gives_back_every_field_with_normalized_timestamps() -> None:
    payload = connection_fixture()
    data = unstructure(structure(payload, Connection, what=WHAT))
    assert json.loads(json.dumps(data)) == {
        **payload,
        "created_at": "2026-01-15T12:00:00Z",
        "updated_at": "2026-01-16T08:30:15.250000Z",
    }


@pytest.mark.parametrize(
    "text",
    ["2026-01-15T14:30:00.123456+02:30", "2026-01-15T07:00:00-05:00", "2026-01-15T12:00:00Z"],
)
def test_unstructured_timestamps_parse_back_to_the_same_instant_and_offset(text: str) -> None:
    payload = connection_fixture()
    payload["created_at"] = text
    connection = structure(payload, Connection, what=WHAT)
    again = structure(unstructure(connection), Connection, what=WHAT)
    assert again == connection
    assert again.created_at.utcoffset() == connection.created_at.utcoffset()


@pytest.mark.parametrize(
    ("model", "fixture"),
    [
        (ProfileAndToken, profile_and_token_fixture),
        (Profile, profile_fixture),
        (Connection, connection_fixture),
        (OAuthTokens, oauth_tokens_fixture),
        (LogoutAuthorization, logout_authorization_fixture),
    ],
)
def test_structure_of_unstructure_is_identity(model: type[Any], fixture: Any) -> None:
    original = structure(fixture(), model, what=WHAT)
    assert structure(json.loads(json.dumps(unstructure(original))), model, what=WHAT) == original


def test_unstructure_of_unknown_enum_values_and_nulls() -> None:
    payload = connection_fixture()
    payload.update(connection_type="QuantumSAML", status=None, options=None)
    data = unstructure(structure(payload, Connection, what=WHAT))
    assert data["connection_type"] == "QuantumSAML"
    assert (data["status"], data["options"]) == (None, None)
    json.dumps(data)


def test_unstructure_gives_plain_types_only() -> None:
    data = unstructure(structure(profile_and_token_fixture(), ProfileAndToken, what=WHAT))

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                assert type(key) is str
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            # Enum members are str subclasses; a session store may need exactly str.
            assert type(value) in (str, int, float, bool, type(None)), value

    walk(data)


# --- models are frozen and slotted ----------------------------------------------------------

ALL_MODELS = [
    (Profile, profile_fixture),
    (ProfileAndToken, profile_and_token_fixture),
    (OAuthTokens, oauth_tokens_fixture),
    (Connection, connection_fixture),
    (LogoutAuthorization, logout_authorization_fixture),
]


@pytest.mark.parametrize(("model", "fixture"), ALL_MODELS)
def test_models_are_frozen(model: type[Any], fixture: Any) -> None:
    instance = structure(fixture(), model, what=WHAT)
    first_field = attrs.fields(model)[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(instance, first_field, "changed")
    with pytest.raises((attrs.exceptions.FrozenInstanceError, AttributeError)):
        instance.brand_new_attribute = 1


@pytest.mark.parametrize(
    "model",
    [
        Profile,
        ProfileAndToken,
        OAuthTokens,
        Role,
        Connection,
        ConnectionDomain,
        LogoutAuthorization,
        Page,
    ],
)
def test_models_are_slotted(model: type[Any]) -> None:
    assert "__slots__" in model.__dict__
    assert attrs.has(model)
    assert not any("__dict__" in vars(klass) for klass in model.__mro__ if klass is not object)


def test_instances_have_no_dict_and_are_hashable() -> None:
    profile = structure(profile_fixture(), Profile, what=WHAT)
    assert not hasattr(profile, "__dict__")
    connection = structure(connection_fixture(), Connection, what=WHAT)
    assert not hasattr(connection, "__dict__")
    assert hash(connection.domains[0]) == hash(
        ConnectionDomain(id="org_domain_01FIXTUREDOMAIN0001", domain="fixture.example")
    )


def test_models_holding_attribute_maps_are_hashable() -> None:
    # Dicts cannot be hashed, so the maps stay out of the hash while still deciding equality.
    payload = profile_fixture()
    payload["raw_attributes"] = {"groups": ["admins"], "nested": {"a": 1}}
    payload["custom_attributes"] = {"department": "Engineering"}
    profile = structure(payload, Profile, what=WHAT)
    assert hash(profile) == hash(structure(payload, Profile, what=WHAT))
    assert len({profile, structure(payload, Profile, what=WHAT)}) == 1
    changed = dict(payload, raw_attributes={"groups": []})
    assert structure(changed, Profile, what=WHAT) != profile

    with_options = dict(connection_fixture(), options={"signing_cert": None})
    connection = structure(with_options, Connection, what=WHAT)
    assert hash(connection) == hash(structure(with_options, Connection, what=WHAT))


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"state": 3}, "the field 'state' is wrong"),
        ({"domains": [{"id": "d", "domain": 5}]}, "the field 'domains[0].domain' is wrong"),
        ({"created_at": "yesterday"}, "the field 'created_at' is wrong"),
        ({"options": "on"}, "the field 'options' is wrong"),
    ],
)
def test_a_decode_error_names_the_field_at_fault(change: dict[str, Any], where: str) -> None:
    with pytest.raises(DecodeError) as caught:
        structure(dict(connection_fixture(), **change), Connection, what=WHAT)
    assert where in str(caught.value)


def test_a_decode_error_names_the_nested_field_and_the_item_at_fault() -> None:
    with pytest.raises(DecodeError, match=r"the field 'roles\[1\]\.slug' is wrong"):
        structure(dict(profile_fixture(), roles=[{"slug": "a"}, {"slug": 1}]), Profile, what=WHAT)
    page = connection_list_fixture(3)
    page["data"][2]["updated_at"] = None
    with pytest.raises(DecodeError, match=r"^Item 2 of .*'updated_at' is wrong"):
        structure_page(page, Connection, what=WHAT)


def test_a_decode_error_names_the_path_of_a_missing_nested_field() -> None:
    with pytest.raises(DecodeError, match=r"the field 'roles\[1\]\.slug' is missing"):
        structure(dict(profile_fixture(), roles=[{"slug": "a"}, {}]), Profile, what=WHAT)


def test_a_decode_error_names_the_first_problem_and_counts_the_others() -> None:
    payload = dict(profile_fixture(), email=5, roles=[{"slug": 1}, {}])
    with pytest.raises(DecodeError) as caught:
        structure(payload, Profile, what=WHAT)
    assert "the field 'email' is wrong (TypeError: expected a string, got int)" in str(caught.value)
    assert "(and 2 more problems)" in str(caught.value)


def _types_within(type_: Any) -> Iterator[Any]:
    yield type_
    for argument in get_args(type_):
        yield from _types_within(argument)
    if attrs.has(type_) and isinstance(type_, type):
        for field in attrs.fields(attrs.resolve_types(type_)):
            yield from _types_within(field.type)


@pytest.mark.parametrize("model", [ProfileAndToken, Connection, LogoutAuthorization])
def test_no_type_the_models_use_is_matched_by_two_hooks(model: type[Any]) -> None:
    # What makes the order the hooks are registered in free.
    predicates = [
        lambda type_: type_ in (str, int, datetime),
        _convert._is_attribute_map,
        _convert._is_optional,
        _convert._is_lenient_enum,
        _convert._is_array,
        attrs.has,
    ]
    for type_ in _types_within(model):
        matched = [predicate for predicate in predicates if predicate(type_)]
        assert len(matched) <= 1, type_
