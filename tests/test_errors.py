"""Tests for ``workos_sso._errors`` and ``_error_mapping``: every HTTP status and OAuth error
code, sent by a real server, becomes the documented error; the errors the spec implies for
particular operations; no secret in any message; every error pickles; and the hierarchy drawn in
``_errors``' docstring is the real one.

Each mapping case goes through a real request to a loopback server (``tests/loopback.py``): the
error a test sees is what a user would see, built from the status, headers and body.
"""

from __future__ import annotations

import inspect
import pickle
from typing import Any

import pytest

import workos_sso
from tests.loopback import (
    LOOPBACK_API_KEY,
    LoopbackServer,
    Reply,
    client_for,
)
from workos_sso import (
    AccessTokenError,
    AccessTokenRejectedError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InvalidClientError,
    InvalidGrantError,
    NotFoundError,
    OAuthError,
    PermissionDeniedError,
    RateLimitError,
    RedirectUriMismatchError,
    ServerError,
    SingleLogoutUnavailableError,
    UnauthorizedClientError,
    UnprocessableEntityError,
    UnsupportedGrantTypeError,
    WorkOSError,
    _errors,
)

pytestmark = pytest.mark.usefixtures("client_kind")

#: A made-up authorization code and access token, long enough that redaction applies to them.
CODE = "code_loopback_0123456789abcdef"
ACCESS_TOKEN = "at_loopback_secret_0123456789"


def _error_from_get(loopback: LoopbackServer, reply: Reply) -> APIError:
    loopback.script(reply)
    with client_for(loopback) as sso, pytest.raises(APIError) as caught:
        sso.get_connection("conn_01LOOPBACK")
    assert loopback.request_count == 1
    return caught.value


def _error_from_token_exchange(loopback: LoopbackServer, reply: Reply) -> APIError:
    loopback.script(reply)
    with client_for(loopback) as sso, pytest.raises(APIError) as caught:
        sso.get_profile_and_token(CODE)
    assert [(r.method, r.path) for r in loopback.requests] == [("POST", "/sso/token")]
    return caught.value


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (418, APIError),
        (500, ServerError),
        (501, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (599, ServerError),
    ],
)
def test_status_maps_to_its_error_class(
    loopback: LoopbackServer, status: int, expected: type[APIError]
) -> None:
    body = {"message": f"The server says {status}", "code": f"code_{status}"}
    error = _error_from_get(loopback, Reply.json(status, body, {"X-Request-ID": "req_01XYZ"}))

    assert type(error) is expected
    assert error.status_code == status
    assert error.code == f"code_{status}"
    assert error.message == f"The server says {status}"
    assert error.request_id == "req_01XYZ"
    text = str(error)
    assert text.startswith(f"The server says {status} (HTTP {status}, code code_{status}")
    assert "request id req_01XYZ" in text
    assert text.endswith(expected.hint)


def test_unprocessable_entity_carries_the_field_errors(loopback: LoopbackServer) -> None:
    field_errors = [
        {"field": "domains", "code": "domain_invalid", "message": "not a domain"},
        {"field": "name", "code": "required"},
    ]
    body = {"message": "Validation failed", "code": "invalid_request", "errors": field_errors}
    error = _error_from_get(loopback, Reply.json(422, body))

    assert type(error) is UnprocessableEntityError
    assert error.errors == tuple(field_errors)
    assert error.message == "Validation failed"
    assert str(error).endswith(UnprocessableEntityError.hint)


def test_unprocessable_entity_without_a_list_of_errors_has_none(loopback: LoopbackServer) -> None:
    error = _error_from_get(loopback, Reply.json(422, {"message": "bad", "errors": "oops"}))

    assert type(error) is UnprocessableEntityError
    assert error.errors == ()


@pytest.mark.parametrize(("header", "expected"), [("30", 30.0), (None, None)])
def test_rate_limit_carries_retry_after(
    loopback: LoopbackServer, header: Any, expected: Any
) -> None:
    headers = {"Retry-After": header} if header else {}
    error = _error_from_get(loopback, Reply.json(429, {"message": "Slow down"}, headers))

    assert type(error) is RateLimitError
    assert error.retry_after == expected
    assert error.status_code == 429
    assert str(error).endswith(RateLimitError.hint)


@pytest.mark.parametrize(
    ("oauth_code", "expected"),
    [
        ("invalid_grant", InvalidGrantError),
        ("invalid_client", InvalidClientError),
        ("unauthorized_client", UnauthorizedClientError),
        ("redirect_uri_mismatch", RedirectUriMismatchError),
        ("unsupported_grant_type", UnsupportedGrantTypeError),
        ("a_code_nobody_has_invented_yet", OAuthError),
    ],
)
def test_oauth_error_bodies_map_to_their_classes(
    loopback: LoopbackServer, oauth_code: str, expected: type[OAuthError]
) -> None:
    body = {"error": oauth_code, "error_description": f"Described: {oauth_code}"}
    error = _error_from_token_exchange(
        loopback, Reply.json(400, body, {"X-Request-ID": "req_oauth"})
    )

    assert type(error) is expected
    assert isinstance(error, OAuthError)
    assert error.error == oauth_code
    assert error.code == oauth_code
    assert error.error_description == f"Described: {oauth_code}"
    assert error.message == f"Described: {oauth_code}"
    assert error.status_code == 400
    assert error.request_id == "req_oauth"
    assert str(error).endswith(expected.hint)


@pytest.mark.parametrize(
    ("emulator_code", "expected"),
    [
        ("invalid_code", InvalidGrantError),
        ("expired_code", InvalidGrantError),
        ("invalid_redirect_uri", RedirectUriMismatchError),
    ],
)
def test_emulator_words_map_to_the_oauth_classes(
    loopback: LoopbackServer, emulator_code: str, expected: type[OAuthError]
) -> None:
    # The emulator answers in its general error shape, {"message", "code"}, not OAuth's.
    body = {"message": "Invalid authorization code", "code": emulator_code}
    error = _error_from_token_exchange(loopback, Reply.json(400, body))

    assert type(error) is expected
    assert error.code == emulator_code
    assert error.message == "Invalid authorization code"
    assert str(error).endswith(expected.hint)


def test_oauth_code_without_description_on_400_is_still_an_oauth_error(
    loopback: LoopbackServer,
) -> None:
    # error_description is optional in OAuth 2.0 (RFC 6749, 5.2): an `error` code on a 400 is
    # enough to make it an OAuth error.
    error = _error_from_token_exchange(loopback, Reply.json(400, {"error": "something_else"}))

    assert type(error) is OAuthError
    assert error.code == error.error == "something_else"
    assert error.error_description is None


def test_missing_request_id_is_none(loopback: LoopbackServer) -> None:
    error = _error_from_get(loopback, Reply.json(404, {"message": "Not found"}))

    assert error.request_id is None
    assert "request id" not in str(error)


HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    + "<p>The upstream server is unavailable.</p>" * 200
    + "</body></html>"
)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (502, HTML_PAGE, "text/html", ServerError),
        (503, "", "text/plain", ServerError),
        (404, "", "application/json", NotFoundError),
        (401, "Unauthorized", "text/plain", AuthenticationError),
        (400, b"\xff\xfe\x00\x80 not text", "application/json", BadRequestError),
        (403, '["a", "list"]', "application/json", PermissionDeniedError),
        (429, '{"message": 42}', "application/json", RateLimitError),
    ],
    ids=["html", "empty-5xx", "empty-404", "plain-text", "not-utf8", "json-list", "wrong-type"],
)
def test_error_bodies_that_are_not_workos_errors_still_map_by_status(
    loopback: LoopbackServer,
    status: int,
    body: Any,
    content_type: str,
    expected: type[APIError],
) -> None:
    error = _error_from_get(
        loopback, Reply(status=status, body=body, headers={"Content-Type": content_type})
    )

    assert type(error) is expected
    assert error.status_code == status
    assert error.code is None
    assert str(status) in error.message
    # A short sentence about the answer, never the body itself.
    assert len(error.message) < 120
    assert "<" not in str(error)
    assert "upstream" not in str(error)
    assert "not text" not in str(error)


def test_long_error_messages_are_cut_short(loopback: LoopbackServer) -> None:
    error = _error_from_get(loopback, Reply.json(400, {"message": "x" * 100_000}))

    assert len(error.message) <= 500


def _assert_hidden(error: BaseException, *secrets: str) -> None:
    for text in (str(error), repr(error), error.args[0] if error.args else ""):
        for secret in secrets:
            assert secret not in text
    assert "***" in str(error)
    assert "***" in repr(error)


def test_api_key_echoed_in_an_error_message_is_hidden(loopback: LoopbackServer) -> None:
    body = {"message": f"Key {LOOPBACK_API_KEY} is revoked", "code": "key_revoked"}
    error = _error_from_get(loopback, Reply.json(401, body))

    assert type(error) is AuthenticationError
    assert error.message == "Key *** is revoked"
    _assert_hidden(error, LOOPBACK_API_KEY)


def test_api_key_cut_by_the_message_limit_is_still_hidden(loopback: LoopbackServer) -> None:
    # The key straddles the 500-character cut: no prefix of it may survive.
    body = {"message": "x" * 490 + LOOPBACK_API_KEY + " trailing words"}
    error = _error_from_get(loopback, Reply.json(401, body))

    assert LOOPBACK_API_KEY[:10] not in str(error)
    assert error.message.startswith("x" * 490 + "***")


def test_api_key_echoed_in_the_error_code_is_hidden(loopback: LoopbackServer) -> None:
    error = _error_from_get(loopback, Reply.json(403, {"message": "no", "code": LOOPBACK_API_KEY}))

    assert error.code == "***"
    _assert_hidden(error, LOOPBACK_API_KEY)


def test_api_key_echoed_in_the_reason_phrase_is_hidden(loopback: LoopbackServer) -> None:
    # With no JSON message, the status line's reason phrase is quoted: it must be redacted too.
    reply = Reply(status=401, body="", reason=f"Bad key {LOOPBACK_API_KEY}")
    error = _error_from_get(loopback, reply)

    assert type(error) is AuthenticationError
    _assert_hidden(error, LOOPBACK_API_KEY)


def test_code_and_key_echoed_by_the_token_exchange_are_hidden(loopback: LoopbackServer) -> None:
    body = {
        "error": "invalid_grant",
        "error_description": f"Code {CODE} was used; client secret {LOOPBACK_API_KEY}",
    }
    error = _error_from_token_exchange(loopback, Reply.json(400, body))

    assert type(error) is InvalidGrantError
    assert error.error_description == "Code *** was used; client secret ***"
    _assert_hidden(error, CODE, LOOPBACK_API_KEY)


def test_access_token_echoed_by_get_profile_is_hidden(loopback: LoopbackServer) -> None:
    body = {"message": f"Token {ACCESS_TOKEN} expired", "code": "unauthorized"}
    loopback.script(Reply.json(401, body))
    with client_for(loopback) as sso, pytest.raises(AuthenticationError) as caught:
        sso.get_profile(ACCESS_TOKEN)

    assert loopback.requests[0].headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    _assert_hidden(caught.value, ACCESS_TOKEN, LOOPBACK_API_KEY)


def _exported_error_classes() -> list[type[BaseException]]:
    return [
        obj
        for name in workos_sso.__all__
        if inspect.isclass(obj := getattr(workos_sso, name)) and issubclass(obj, BaseException)
    ]


def test_every_exported_error_is_a_workos_error() -> None:
    classes = _exported_error_classes()

    assert len(classes) >= 19
    for cls in classes:
        assert issubclass(cls, WorkOSError), cls


def test_every_http_error_class_has_a_hint() -> None:
    for cls in _exported_error_classes():
        if issubclass(cls, APIError) and cls is not APIError:
            assert cls.hint.strip(), f"{cls.__name__} says nothing about what to do next"


def test_a_short_code_echoed_by_the_token_exchange_is_hidden(loopback: LoopbackServer) -> None:
    # However short a code is, a server that echoes it must not get it into the message.
    short_code = "k7Q2x"
    body = {"error": "invalid_grant", "error_description": f"Code {short_code} expired"}
    loopback.script(Reply.json(400, body))
    with client_for(loopback) as sso, pytest.raises(InvalidGrantError) as caught:
        sso.get_profile_and_token(short_code)

    assert caught.value.error_description == "Code *** expired"
    _assert_hidden(caught.value, short_code)


# A value for every keyword-only argument an error's constructor takes, by name.
_ARGUMENTS: dict[str, Any] = {
    "status_code": 429,
    "code": "rate_limited",
    "request_id": "req_01",
    "errors": ({"field": "domain", "code": "invalid"},),
    "retry_after": 1.5,
    "error_description": "Try again later",
    "error": "access_denied",
    "state": "st_01",
    "reason": "the token expired",
    "expected": "org_01",
    "actual": "org_02",
    "selector": "organization",
    "domain": "example.com",
}


@pytest.mark.parametrize("cls", _exported_error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_pickles_to_an_equal_error(cls: type[BaseException]) -> None:
    parameters = inspect.signature(cls.__init__).parameters.values()
    keywords = {
        p.name: _ARGUMENTS[p.name] for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    error = cls("Something failed", **keywords)

    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is cls
    assert copy.args == error.args
    assert str(copy) == str(error)
    assert repr(copy) == repr(error)
    assert vars(copy) == vars(error)
    for name, value in keywords.items():
        assert getattr(copy, name) == value


# --- Errors the spec implies ----------------------------------------------------------------


def _raised(server: LoopbackServer, reply: Reply, call: Any) -> Any:
    server.always(reply)
    with client_for(server) as sso, pytest.raises(WorkOSError) as caught:
        call(sso)
    return caught.value


def test_unsupported_grant_type(loopback: LoopbackServer) -> None:
    body = {"error": "unsupported_grant_type", "error_description": "Only authorization_code."}
    error = _raised(
        loopback, Reply.json(400, body), lambda sso: sso.get_profile_and_token("code_long_enough")
    )
    assert type(error) is UnsupportedGrantTypeError
    assert isinstance(error, OAuthError)
    assert error.error_description == "Only authorization_code."
    assert "grant_type=authorization_code" in str(error)


def test_a_409_is_a_conflict(loopback: LoopbackServer) -> None:
    body = {"message": "Idempotency key reused", "code": "conflict"}
    error = _raised(
        loopback, Reply.json(409, body), lambda sso: sso.authorize_logout(profile_id="p")
    )
    assert type(error) is ConflictError
    assert error.status_code == 409
    assert "current state" in str(error)


def test_a_401_from_the_profile_is_about_the_access_token(loopback: LoopbackServer) -> None:
    body = {"message": "Invalid access token", "code": "unauthorized"}
    error = _raised(loopback, Reply.json(401, body), lambda sso: sso.get_profile("expired"))
    assert type(error) is AccessTokenRejectedError
    assert isinstance(error, AccessTokenError)
    assert error.status_code == 401
    assert isinstance(error, AuthenticationError)
    text = str(error)
    assert "expired or was revoked" in text
    assert "sign-in again" in text
    assert "WORKOS_API_KEY" not in text
    assert "API key" not in text


def test_a_401_elsewhere_is_about_the_api_key(loopback: LoopbackServer) -> None:
    body = {"message": "Unauthorized", "code": "unauthorized"}
    error = _raised(loopback, Reply.json(401, body), lambda sso: sso.get_connection("conn_1"))
    assert type(error) is AuthenticationError
    assert "WORKOS_API_KEY" in str(error)


@pytest.mark.parametrize("body_key", ["code", "error"])
def test_logout_on_a_connection_without_single_logout(
    loopback: LoopbackServer, body_key: str
) -> None:
    body = {body_key: "connection_invalid", "message": "Logout is not supported for SAML."}
    error = _raised(
        loopback, Reply.json(400, body), lambda sso: sso.authorize_logout(profile_id="prof_1")
    )
    assert type(error) is SingleLogoutUnavailableError
    assert isinstance(error, BadRequestError)
    text = str(error)
    assert "OpenID Connect" in text
    assert "sign in again" not in text.lower()


def test_other_400s_from_logout_stay_bad_requests(loopback: LoopbackServer) -> None:
    body = {"message": "profile_id is required", "code": "invalid_request"}
    error = _raised(
        loopback, Reply.json(400, body), lambda sso: sso.authorize_logout(profile_id="prof_1")
    )
    assert type(error) is BadRequestError


# --- The hierarchy drawn in _errors' docstring is the real one, in definition order ----------


def _tree(cls: type, prefix: str = "", *, last: bool = True, root: bool = True) -> list[str]:
    other_bases = [
        base.__name__
        for base in cls.__bases__
        if not issubclass(base, _errors.WorkOSError) and base is not Exception
    ]
    label = cls.__name__ + (f" (also {', '.join(other_bases)})" if other_bases else "")
    lines = [label if root else prefix + ("└── " if last else "├── ") + label]
    children = [
        value
        for value in vars(_errors).values()
        if inspect.isclass(value) and cls in value.__bases__
    ]
    children.sort(key=lambda child: inspect.getsourcelines(child)[1])
    child_prefix = "" if root else prefix + ("    " if last else "│   ")
    for index, child in enumerate(children):
        lines += _tree(child, child_prefix, last=index == len(children) - 1, root=False)
    return lines


def test_the_module_docstring_draws_the_hierarchy() -> None:
    drawn = "\n".join(f"    {line}" for line in _tree(_errors.WorkOSError))
    assert drawn in (_errors.__doc__ or "")


def test_every_public_error_is_in_the_tree() -> None:
    names = {line.split("── ")[-1].split(" (")[0].strip() for line in _tree(_errors.WorkOSError)}
    assert names == set(_errors.__all__)
