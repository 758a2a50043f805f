"""WorkOS's published OpenAPI spec as a contract for the models and the client.

``sso_spec.json`` is extracted from ``@workos/openapi-spec`` by ``extract.py``; ``nox -s contract``
re-extracts it and fails on any difference, so a spec update lands here as a diff. These tests
read only that file and run offline:

(a) payloads generated from every response schema structure into the models, and unstructure
    gives back every schema property that was sent;
(b) every property, enum value and query parameter in the spec is known to a model or a method
    (or listed below as deliberately left out, with the reason), so the next spec update fails
    with exactly what is missing;
(c) every request the client builds, recorded by the loopback server (``tests/loopback.py``),
    uses only the spec's parameter names and carries its required fields.
"""

from __future__ import annotations

import functools
import inspect
import json
import typing
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl, urlsplit

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tests.loopback import LoopbackServer, RecordedRequest, Reply, Route, client_for
from tests.payload_fixtures import (
    connection_fixture,
    connection_list_fixture,
    logout_authorization_fixture,
    profile_and_token_fixture,
    profile_fixture,
)
from workos_sso import (
    Connection,
    ConnectionType,
    LogoutAuthorization,
    Page,
    Profile,
    ProfileAndToken,
    Role,
    SSOClient,
)
from workos_sso._convert import structure, structure_page, unstructure
from workos_sso._models import _StrEnum

SPEC = json.loads((Path(__file__).parent / "sso_spec.json").read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = SPEC["schemas"]
AUTHORIZE_PARAMETERS = {p["name"]: p for p in SPEC["query_parameters"]["GET /sso/authorize"]}
LIST_PARAMETERS = {p["name"]: p for p in SPEC["query_parameters"]["GET /connections"]}
TOKEN_BODY = SPEC["request_bodies"]["POST /sso/token"]
LOGOUT_BODY = SPEC["request_bodies"]["POST /sso/logout/authorize"]

#: The model each response schema structures into (ConnectionList becomes a Page of these).
RESPONSE_MODELS: dict[str, type] = {
    "Profile": Profile,
    "Connection": Connection,
    "SsoTokenResponse": ProfileAndToken,
    "SsoLogoutAuthorizeResponse": LogoutAuthorization,
    "SlimRole": Role,
}

# --- Deliberate differences from the spec. Each one is re-checked below, so an entry that the
# --- spec has made stale (the parameter removed, the enum fixed) fails instead of lingering.

#: Spec enums whose model field is a plain ``str`` on purpose: (model, field) -> why.
PLAIN_STRING_ENUMS = {
    ("Connection", "status"): "deprecated by WorkOS in favour of state; kept as the raw string",
}

#: ConnectionList properties a Page does not keep: property -> why.
PAGE_DROPS = {"object": "always the constant 'list'; a Page carries nothing it could say"}

#: /sso/authorize parameters that get_authorization_url has no keyword for: parameter -> why.
AUTHORIZE_WITHOUT_KEYWORD = {
    "response_type": "the spec allows only 'code'; the client always sends it",
    "domain": (
        "deprecated by WorkOS in favour of connection and organization; not offered, so new "
        "code cannot start depending on it (callers who have a domain use domain_hint, or "
        "list_connections(domain=...) to find the connection)"
    ),
}

#: get_authorization_url keywords that send a parameter spec 0.1.0 does not list: -> why.
AUTHORIZE_EXTENSIONS = {
    "prompt": (
        "prompt=login (re-authenticate at the identity provider) is in the design's contract "
        "but not in spec 0.1.0; it is sent only when the caller asks for it"
    ),
    "code_challenge": (
        "PKCE (RFC 7636): spec 0.1.0 lists it for User Management's authorize only, WorkOS's "
        "SDK sends it to /sso/authorize; sent only when the caller passes a challenge"
    ),
    "code_challenge_method": "sent with code_challenge, always S256",
}
#: Token request fields the spec's TokenQueryDto lacks, sent only when the caller asks.
TOKEN_EXTENSIONS = {
    "code_verifier": "PKCE: the verifier whose challenge started the sign-in",
}

# The list filter's enum spells GitHub's OAuth type "GithubOAuth", while the Connection and
# Profile schemas (what servers return, and what the emulator compares the filter with) spell
# it "GitHubOAuth". The client does not rewrite filter values: connection_type accepts any
# string and sends it verbatim, so ConnectionType.GitHubOAuth filters by the spelling that
# connections carry, and a caller who needs the filter enum's spelling passes "GithubOAuth".
#: Filter enum values that are not ConnectionType values -> the member they differ from in case.
FILTER_ONLY_SPELLINGS = {"GithubOAuth": ConnectionType.GitHubOAuth}


# --- Schema and type helpers -------------------------------------------------------------------


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_allows_null(branch) for branch in schema.get("oneOf", []) + schema.get("anyOf", []))


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The one branch of a ``oneOf``/``anyOf`` that is not ``null`` (the schema itself if none)."""
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            branches = [b for b in schema[keyword] if b.get("type") != "null"]
            assert len(branches) == 1, f"expected one non-null branch in {schema}"
            return {**branches[0]}
    return schema


def _admits_none(hint: Any) -> bool:
    return hint is type(None) or type(None) in typing.get_args(hint)


def _enum_in(hint: Any) -> Optional[type[_StrEnum]]:
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and issubclass(candidate, _StrEnum):
            return candidate
    return None


def _model_in(hint: Any) -> Optional[type]:
    """The attrs class inside ``hint`` (itself, or inside Optional[...] / tuple[..., ...])."""
    if isinstance(hint, type) and attrs.has(hint):
        return hint
    for argument in typing.get_args(hint):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _keywords(method: Callable[..., Any]) -> dict[str, Any]:
    """A method's keyword-only parameters and their evaluated annotations."""
    hints = typing.get_type_hints(method)
    return {
        name: hints[name]
        for name, parameter in inspect.signature(method).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


# --- (a) generated payloads round-trip -----------------------------------------------------------

ROUND_TRIP = settings(
    max_examples=15,
    deadline=None,
    # Nested objects with extra keys are big by design: they show unknown keys are ignored.
    # Hypothesis would otherwise flag the slow, large generation itself.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: What an unknown key of a generated object holds. The spec leaves extra keys open (any JSON);
#: scalars show just as well that they are ignored at every level, at a fraction of the cost of
#: generating nested JSON (test_properties.py puts nested JSON under unknown keys).
EXTRA_VALUES = {"type": ["string", "integer", "boolean", "null"]}


def _with_scalar_extras(schema: Any) -> Any:
    """``schema`` with EXTRA_VALUES for the extra keys of each object that leaves them open."""
    if isinstance(schema, list):
        return [_with_scalar_extras(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    narrowed = {key: _with_scalar_extras(value) for key, value in schema.items()}
    if "properties" in narrowed and "additionalProperties" not in narrowed:
        narrowed["additionalProperties"] = EXTRA_VALUES
    return narrowed


@functools.cache
def _payloads(schema_name: str) -> st.SearchStrategy[Any]:
    schema = _with_scalar_extras(SCHEMAS[schema_name])
    if schema_name == "ConnectionList":
        # Each item is a whole generated Connection, tested on its own above; a few per page
        # show the page structure and keep generation fast.
        data = {**schema["properties"]["data"], "maxItems": 3}
        schema = {**schema, "properties": {**schema["properties"], "data": data}}
    # Round-tripped through json so a payload is exactly what a server could send.
    return from_schema(schema).map(lambda value: json.loads(json.dumps(value)))


def _instant(value: object) -> datetime:
    """Parse an RFC 3339 timestamp independently of the library's own parser."""
    assert isinstance(value, str), f"a timestamp came back as {type(value).__name__}"
    text = value.replace("t", "T").replace("z", "Z")
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def _branch_for(schema: dict[str, Any], sent: object) -> dict[str, Any]:
    branches = schema.get("oneOf") or schema.get("anyOf")
    if not branches:
        return schema
    wanted = "array" if isinstance(sent, list) else "object" if isinstance(sent, dict) else None
    for branch in branches:
        if branch.get("type") == wanted:
            return {**branch}
    return schema


def _assert_kept(schema: dict[str, Any], sent: object, got: object, where: str) -> None:
    """Every schema property in ``sent`` is in ``got`` with the same meaning."""
    if sent is None:
        assert got is None, f"{where}: null was sent, {got!r} came back"
        return
    schema = _branch_for(schema, sent)
    if isinstance(sent, dict) and "properties" in schema:
        assert isinstance(got, dict), f"{where}: an object was sent, {got!r} came back"
        for name, property_schema in schema["properties"].items():
            if name in sent:
                assert name in got, f"{where}.{name} was sent but unstructure dropped it"
                _assert_kept(property_schema, sent[name], got[name], f"{where}.{name}")
        return
    if isinstance(sent, list) and "items" in schema:
        assert isinstance(got, list), f"{where}: an array was sent, {got!r} came back"
        assert len(got) == len(sent), f"{where}: {len(sent)} items sent, {len(got)} back"
        for index, (sent_item, got_item) in enumerate(zip(sent, got)):
            _assert_kept(schema["items"], sent_item, got_item, f"{where}[{index}]")
        return
    if schema.get("format") == "date-time":
        assert _instant(got) == _instant(sent), f"{where}: {sent!r} came back as {got!r}"
        return
    # Enum members are str subclasses and compare equal to their wire value; free-form
    # objects (raw_attributes, options) must come back exactly as they were sent.
    assert got == sent, f"{where}: {sent!r} came back as {got!r}"


@pytest.mark.parametrize("schema_name", sorted(RESPONSE_MODELS))
@ROUND_TRIP
@given(data=st.data())
def test_generated_payloads_structure_and_round_trip(schema_name: str, data: st.DataObject) -> None:
    payload = data.draw(_payloads(schema_name), label=schema_name)
    model = structure(payload, RESPONSE_MODELS[schema_name], what=schema_name)
    _assert_kept(SCHEMAS[schema_name], payload, unstructure(model), schema_name)


@ROUND_TRIP
@given(data=st.data())
def test_generated_connection_lists_structure_and_round_trip(data: st.DataObject) -> None:
    payload = data.draw(_payloads("ConnectionList"), label="ConnectionList")
    page = structure_page(payload, Connection, what="ConnectionList")
    got = unstructure(page)
    # A Page flattens list_metadata into before/after; put it back to compare with the spec.
    as_sent = {
        "data": got["data"],
        "list_metadata": {"before": got["before"], "after": got["after"]},
    }
    schema = SCHEMAS["ConnectionList"]
    kept = {k: v for k, v in schema["properties"].items() if k not in PAGE_DROPS}
    _assert_kept({**schema, "properties": kept}, payload, as_sent, "ConnectionList")


# --- (b) nothing in the spec is unknown --------------------------------------------------------


def _model_mismatches(schema: dict[str, Any], model: type, where: str) -> list[str]:
    """What ``schema`` has that ``model`` does not know, walking nested models too."""
    problems = []
    fields = attrs.fields_dict(model)
    hints = typing.get_type_hints(model)
    required = set(schema.get("required", ()))
    for name, property_schema in schema.get("properties", {}).items():
        spot = f"{where}.{name}"
        if name not in fields:
            problems.append(f"{spot}: a spec property that {model.__name__} has no field for")
            continue
        field, hint = fields[name], hints[name]
        if _allows_null(property_schema) and not _admits_none(hint):
            problems.append(f"{spot}: the spec allows null, {model.__name__}.{name} does not")
        if name not in required and field.default is attrs.NOTHING:
            problems.append(f"{spot}: servers may omit it, but {model.__name__} requires it")
        shape = _non_null(property_schema)
        const = shape.get("const")
        if isinstance(field.default, str) and const is not None and field.default != const:
            problems.append(f"{spot}: the spec fixes it to {const!r}, the default is not that")
        values = shape.get("enum")
        if values:
            enum = _enum_in(hint)
            if enum is None:
                if (model.__name__, name) not in PLAIN_STRING_ENUMS:
                    problems.append(f"{spot}: a spec enum, but the field is no enum type")
            else:
                known = {member.value for member in enum}
                missing = [value for value in values if value not in known]
                if missing:
                    problems.append(f"{spot}: {enum.__name__} lacks {missing}")
        nested = _model_in(hint)
        if nested is not None:
            if shape.get("type") == "array":
                shape = _non_null(shape["items"])
            problems.extend(_model_mismatches(shape, nested, spot))
    return problems


@pytest.mark.parametrize("schema_name", sorted(RESPONSE_MODELS))
def test_every_spec_property_and_enum_value_is_known(schema_name: str) -> None:
    model = RESPONSE_MODELS[schema_name]
    problems = _model_mismatches(SCHEMAS[schema_name], model, schema_name)
    assert not problems, "the models miss what the spec has:\n" + "\n".join(problems)


def test_every_connection_list_property_is_known() -> None:
    schema = SCHEMAS["ConnectionList"]
    page_fields = set(attrs.fields_dict(Page))
    metadata = set(schema["properties"]["list_metadata"]["properties"])
    unknown = set(schema["properties"]) - {"data", "list_metadata"} - set(PAGE_DROPS)
    assert not unknown, f"ConnectionList properties a Page does not know: {sorted(unknown)}"
    assert metadata <= page_fields, f"list_metadata cursors Page lacks: {metadata - page_fields}"
    assert set(PAGE_DROPS) <= set(schema["properties"]), "PAGE_DROPS names a gone property"
    items = schema["properties"]["data"]["items"]
    problems = _model_mismatches(items, Connection, "ConnectionList.data[]")
    assert not problems, "\n".join(problems)


def test_plain_string_enums_are_still_enums_in_the_spec() -> None:
    for (model_name, field_name), _why in PLAIN_STRING_ENUMS.items():
        assert "enum" in _non_null(SCHEMAS[model_name]["properties"][field_name])


def test_every_authorize_parameter_has_a_keyword() -> None:
    keywords = _keywords(SSOClient.get_authorization_url)
    unknown = set(AUTHORIZE_PARAMETERS) - set(keywords) - set(AUTHORIZE_WITHOUT_KEYWORD)
    assert not unknown, f"/sso/authorize parameters with no keyword: {sorted(unknown)}"
    # The decisions above stay true: excused parameters exist and still have no keyword...
    for name in AUTHORIZE_WITHOUT_KEYWORD:
        assert name in AUTHORIZE_PARAMETERS, f"{name} left the spec; drop its excuse"
        assert name not in keywords, f"{name} has a keyword now; drop its excuse"
    assert AUTHORIZE_PARAMETERS["response_type"]["schema"]["const"] == "code"
    assert AUTHORIZE_PARAMETERS["domain"].get("deprecated") is True
    # ...and every keyword is a spec parameter or a listed extension.
    outside = set(keywords) - set(AUTHORIZE_PARAMETERS) - set(AUTHORIZE_EXTENSIONS)
    assert not outside, f"get_authorization_url keywords the spec lacks: {sorted(outside)}"
    for name in AUTHORIZE_EXTENSIONS:
        assert name not in AUTHORIZE_PARAMETERS, f"the spec has {name} now; it is no extension"


def test_every_list_parameter_has_a_keyword_and_no_keyword_is_extra() -> None:
    keywords = _keywords(SSOClient.list_connections)
    assert set(keywords) == set(LIST_PARAMETERS), (
        f"spec only: {sorted(set(LIST_PARAMETERS) - set(keywords))}; "
        f"client only: {sorted(set(keywords) - set(LIST_PARAMETERS))}"
    )


@pytest.mark.parametrize(
    ("method", "parameters"),
    [
        (SSOClient.get_authorization_url, AUTHORIZE_PARAMETERS),
        (SSOClient.list_connections, LIST_PARAMETERS),
    ],
    ids=["authorize", "list_connections"],
)
def test_every_query_enum_value_is_known(
    method: Callable[..., Any], parameters: dict[str, Any]
) -> None:
    keywords = _keywords(method)
    problems = []
    for name, parameter in parameters.items():
        values = parameter["schema"].get("enum")
        if not values or name not in keywords:
            continue
        enum = _enum_in(keywords[name])
        assert enum is not None, f"{name} has a spec enum but its keyword takes no enum type"
        # Every enum keyword also takes a plain string, so a value this version lacks can
        # still be sent (the filter's GithubOAuth among them).
        assert str in typing.get_args(keywords[name]), f"{name} must accept a plain string"
        known = {member.value for member in enum}
        for value in values:
            if value in known:
                continue
            if name == "connection_type" and value in FILTER_ONLY_SPELLINGS:
                # Only case may differ; anything else is a type this version lacks.
                assert value.lower() == FILTER_ONLY_SPELLINGS[value].value.lower()
                continue
            problems.append(f"{name}={value!r} is not a {enum.__name__} member")
    assert not problems, "\n".join(problems)


def test_filter_only_spellings_are_still_in_the_spec() -> None:
    filter_values = set(LIST_PARAMETERS["connection_type"]["schema"]["enum"])
    schema_values = set(SCHEMAS["Connection"]["properties"]["connection_type"]["enum"])
    for spelling, member in FILTER_ONLY_SPELLINGS.items():
        assert spelling in filter_values, f"the filter enum no longer has {spelling}"
        assert member.value in schema_values
        assert spelling not in schema_values


# --- (c) requests the client builds match the spec ------------------------------------------


def _sample(schema: dict[str, Any]) -> Any:
    """A valid argument for a parameter of this schema, to exercise every keyword."""
    if "enum" in schema:
        return schema["enum"][-1]
    kind = schema.get("type")
    if kind == "array":
        return ["openid", "email"]
    if kind == "object":
        return {"hd": "example.com", "access_type": "offline"}
    if kind == "integer":
        return schema.get("maximum", 7)
    return "contract-sample"


def _base_name(name: str) -> str:
    # provider_query_params is an object; like WorkOS's own SDKs the client sends each entry
    # as provider_query_params[key]=value, so the spec parameter is the part before "[".
    return name.split("[", 1)[0]


def _check_query(
    pairs: list[tuple[str, str]], parameters: dict[str, Any], extensions: frozenset[str]
) -> None:
    names = [_base_name(name) for name, _ in pairs]
    unknown = set(names) - set(parameters) - extensions
    assert not unknown, f"query names the spec does not list: {sorted(unknown)}"
    required = {name for name, parameter in parameters.items() if parameter.get("required")}
    assert required <= set(names), f"required parameters missing: {required - set(names)}"
    for name, value in pairs:
        parameter = parameters.get(_base_name(name))
        if parameter is None:
            continue
        schema = parameter["schema"]
        if schema.get("type") == "object":
            assert name.startswith(f"{parameter['name']}[")
            assert name.endswith("]")
            value_schema = schema.get("additionalProperties", {})
            jsonschema.validate(value, value_schema if isinstance(value_schema, dict) else {})
            continue
        assert names.count(name) == 1, f"{name} sent more than once"
        if schema.get("type") == "array":
            # style=form, explode=false: one parameter, items joined with commas.
            assert parameter.get("explode") is False
            jsonschema.validate(value.split(","), schema)
        elif schema.get("type") == "integer":
            jsonschema.validate(int(value), schema)
        else:
            jsonschema.validate(value, schema)


FOLLOW_UP_CURSOR = "conn_cursor_fixture"


def _connection_page(request: RecordedRequest) -> Reply:
    """An empty page that leads on, unless the request follows FOLLOW_UP_CURSOR already.

    So each listing makes exactly two requests, and the pager's own cursor request is checked.
    """
    follow_up = {("after", FOLLOW_UP_CURSOR), ("before", FOLLOW_UP_CURSOR)} & set(request.query)
    cursor = None if follow_up else FOLLOW_UP_CURSOR
    return Reply.json(200, connection_list_fixture(0, before=cursor, after=cursor))


@pytest.fixture
def client(loopback: LoopbackServer) -> Iterator[SSOClient]:
    """A client of a loopback server that answers each endpoint with a shared fixture payload."""
    loopback.always(
        Route(
            {
                "/connections": _connection_page,
                "/sso/token": Reply.json(200, profile_and_token_fixture()),
                "/sso/logout/authorize": Reply.json(200, logout_authorization_fixture()),
            }
        )
    )
    with client_for(loopback) as sso:
        yield sso


def test_fixtures_follow_the_spec() -> None:
    # The shared payloads (tests/payload_fixtures.py) are what the loopback servers answer
    # with, here and in the transport tests; this keeps them valid answers by the spec.
    validator = jsonschema.Draft202012Validator
    validator(SCHEMAS["SsoTokenResponse"]).validate(profile_and_token_fixture())
    validator(SCHEMAS["SsoLogoutAuthorizeResponse"]).validate(logout_authorization_fixture())
    validator(SCHEMAS["Profile"]).validate(profile_fixture())
    validator(SCHEMAS["Connection"]).validate(connection_fixture())
    validator(SCHEMAS["ConnectionList"]).validate(connection_list_fixture())
    validator(SCHEMAS["ConnectionList"]).validate(
        connection_list_fixture(0, before="conn_x", after="conn_x")
    )


@pytest.mark.parametrize("selector", ["connection", "organization", "provider"])
def test_authorization_url_uses_spec_parameters(client: SSOClient, selector: str) -> None:
    selectors = {"connection", "organization", "provider"}
    keywords = _keywords(SSOClient.get_authorization_url)
    arguments = {
        name: _sample(AUTHORIZE_PARAMETERS[name]["schema"])
        for name in keywords
        if name in AUTHORIZE_PARAMETERS and (name not in selectors or name == selector)
    }
    arguments["redirect_uri"] = "https://app.example.com/callback"
    url = client.get_authorization_url(**arguments)
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    _check_query(pairs, AUTHORIZE_PARAMETERS, extensions=frozenset())
    sent = {_base_name(name) for name, _ in pairs}
    # Every keyword given reached the URL under its spec name.
    assert set(arguments) | {"response_type"} == sent
    assert dict(pairs)["response_type"] == AUTHORIZE_PARAMETERS["response_type"]["schema"]["const"]


def test_authorization_url_extensions_are_only_sent_when_asked(client: SSOClient) -> None:
    base = {"redirect_uri": "https://app.example.com/callback", "organization": "org_x"}
    plain = parse_qsl(urlsplit(client.get_authorization_url(**base)).query)
    assert not {name for name, _ in plain} & set(AUTHORIZE_EXTENSIONS)
    extended = parse_qsl(urlsplit(client.get_authorization_url(**base, prompt="login")).query)
    _check_query(extended, AUTHORIZE_PARAMETERS, extensions=frozenset(AUTHORIZE_EXTENSIONS))
    assert ("prompt", "login") in extended


def test_token_request_body_is_exactly_token_query_dto(
    client: SSOClient, loopback: LoopbackServer
) -> None:
    client.get_profile_and_token("code_contract_fixture")
    (request,) = loopback.requests
    assert (request.method, request.url_path) == ("POST", "/sso/token")
    body = json.loads(request.body)
    assert set(body) == set(TOKEN_BODY["required"]) == set(TOKEN_BODY["properties"])
    jsonschema.Draft202012Validator(TOKEN_BODY).validate(body)
    # The spec also lists these as query parameters; the secret must never go in the URL.
    assert request.query == []


def test_a_pkce_token_request_adds_only_the_verifier(
    client: SSOClient, loopback: LoopbackServer
) -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    client.get_profile_and_token("code_contract_fixture", code_verifier=verifier)
    with SSOClient(client_id=client.client_id, base_url=client.base_url) as public:
        public.get_profile_and_token("code_contract_fixture", code_verifier=verifier)
    confidential, from_public = (json.loads(request.body) for request in loopback.requests)
    assert set(confidential) - set(TOKEN_BODY["properties"]) == set(TOKEN_EXTENSIONS)
    for name in TOKEN_EXTENSIONS:
        assert name not in TOKEN_BODY["properties"], f"the spec has {name} now; no extension"
    # A public client holds no secret: the one required field it leaves out, deliberately.
    assert set(TOKEN_BODY["required"]) - set(from_public) == {"client_secret"}


def test_logout_request_body_matches_the_spec(client: SSOClient, loopback: LoopbackServer) -> None:
    client.authorize_logout(profile_id="prof_contract_fixture")
    (request,) = loopback.requests
    assert (request.method, request.url_path) == ("POST", "/sso/logout/authorize")
    body = json.loads(request.body)
    assert set(body) == set(LOGOUT_BODY["required"])
    jsonschema.Draft202012Validator(LOGOUT_BODY).validate(body)
    assert request.query == []


@pytest.mark.parametrize("cursor", ["after", "before"])
def test_list_connections_sends_only_spec_parameters(
    client: SSOClient, loopback: LoopbackServer, cursor: str
) -> None:
    arguments = {
        name: _sample(parameter["schema"])
        for name, parameter in LIST_PARAMETERS.items()
        if name not in ("after", "before")
    }
    arguments[cursor] = "conn_start_fixture"
    assert list(client.list_connections(**arguments)) == []
    first, second = loopback.requests
    for request in (first, second):
        assert (request.method, request.url_path) == ("GET", "/connections")
        _check_query(request.query, LIST_PARAMETERS, extensions=frozenset())
    assert {name for name, _ in first.query} == set(arguments)
    # The pager's follow-up request moves the cursor and keeps every filter.
    follow_up = dict(second.query)
    assert follow_up.pop(cursor) == FOLLOW_UP_CURSOR
    assert {k: v for k, v in follow_up.items() if k not in ("after", "before")} == {
        k: str(v) for k, v in arguments.items() if k != cursor
    }


@pytest.mark.parametrize(
    ("argument", "sent"),
    [("GithubOAuth", "GithubOAuth"), (ConnectionType.GitHubOAuth, "GitHubOAuth")],
)
def test_connection_type_filter_is_sent_verbatim(
    client: SSOClient, loopback: LoopbackServer, argument: object, sent: str
) -> None:
    list(client.list_connections(connection_type=argument))  # type: ignore[arg-type]
    assert ("connection_type", sent) in loopback.requests[0].query
