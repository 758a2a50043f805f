"""Tests for ``verify_access_token`` (``workos_sso._tokens``): both clients, offline checks.

Hostile tokens are signed by the tests' own RSA keys, whose key set a loopback server serves at
``/sso/jwks/{client_id}``; real tokens come from the emulator (``live``). Time never passes for
real: the verifier's two clocks are replaced, one for the claims and one for the key cache.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping
from datetime import timezone
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

import attrs
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.loopback import (
    LOOPBACK_API_KEY,
    LOOPBACK_CLIENT_ID,
    LoopbackServer,
    Reply,
    Route,
    client_for,
    closed_port,
)
from workos_sso import (
    AccessTokenClaims,
    AccessTokenError,
    AsyncSSOClient,
    DecodeError,
    ExpiredAccessTokenError,
    InvalidAccessTokenError,
    InvalidParameterError,
    JWKSError,
    ServerError,
    SSOClient,
)
from workos_sso._tokens import (
    FAILURE_BACKOFF,
    MAX_KEY_AGE,
    MAX_KEYS,
    MAX_TOKEN_CHARS,
    REFETCH_INTERVAL,
    TokenVerifier,
)
from workos_sso.testing import complete_sign_in

pytestmark = pytest.mark.usefixtures("client_kind")

ROOT = Path(__file__).resolve().parent.parent
JWKS_PATH = f"/sso/jwks/{LOOPBACK_CLIENT_ID}"
#: "Now" for every token here: the verifier's wall clock is pinned to it.
NOW = 1_800_000_000
KID = "key_loopback_1"


def _private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = _private_key()
FOREIGN_KEY = _private_key()
NEXT_KEY = _private_key()


def jwk_of(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "RS256", "use": "sig"}


def jwks_of(*keys: tuple[rsa.RSAPrivateKey, str]) -> dict[str, Any]:
    return {"keys": [jwk_of(key, kid) for key, kid in keys]}


def claims_for(base_url: str, **changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "prof_01LOOPBACK",
        "org_id": "org_01LOOPBACK",
        "aud": LOOPBACK_CLIENT_ID,
        "iss": base_url,
        "iat": NOW - 60,
        "exp": NOW + 3600,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def sign(
    claims: Mapping[str, Any],
    *,
    key: rsa.RSAPrivateKey = SIGNING_KEY,
    kid: Optional[str] = KID,
    headers: Optional[Mapping[str, Any]] = None,
) -> str:
    extra = dict(headers or {})
    if kid is not None:
        extra["kid"] = kid
    return jwt.encode(dict(claims), key, algorithm="RS256", headers=extra)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: Mapping[str, Any], claims: Mapping[str, Any], signature: bytes = b"") -> str:
    parts = [_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode())]
    return ".".join([*parts, _b64(signature)])


def hs256_with_public_key(claims: Mapping[str, Any]) -> str:
    """The classic confusion: HMAC keyed with the RSA public key's PEM, which anyone has."""
    pem = SIGNING_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": KID}
    head = ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode())])
    mac = hmac.new(pem, head.encode(), hashlib.sha256).digest()
    return f"{head}.{_b64(mac)}"


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@attrs.define
class Issuer:
    """A loopback WorkOS that serves a key set, a client of the current kind, and its clocks."""

    server: LoopbackServer
    sso: Any
    clock: Clock
    keys: dict[str, Any]

    @property
    def base_url(self) -> str:
        return self.server.url

    def token(self, **changes: Any) -> str:
        return sign(claims_for(self.base_url, **changes))

    def jwks_requests(self) -> int:
        return sum(1 for request in self.server.requests if request.url_path == JWKS_PATH)

    def answer(self, reply: Any) -> None:
        """Answer the key set's path with ``reply`` from now on."""
        self.server.always(Route({JWKS_PATH: reply}))


@pytest.fixture
def issuer(loopback: LoopbackServer) -> Iterator[Issuer]:
    keys = jwks_of((SIGNING_KEY, KID))
    loopback.always(Route({JWKS_PATH: Reply.json(200, keys)}))
    with client_for(loopback) as sso:
        verifier = sso._token_verifier()
        clock = Clock(1000.0)
        verifier.clock = clock
        verifier.wall_clock = lambda: float(NOW)
        yield Issuer(loopback, sso, clock, keys)


# --- A good token ---------------------------------------------------------------------------


def test_a_good_token_gives_its_claims(issuer: Issuer) -> None:
    claims = issuer.sso.verify_access_token(issuer.token(custom="kept"))
    assert isinstance(claims, AccessTokenClaims)
    assert claims.profile_id == "prof_01LOOPBACK"
    assert claims.organization_id == "org_01LOOPBACK"
    assert claims.expires_at.tzinfo is timezone.utc
    assert claims.expires_at.timestamp() == NOW + 3600
    assert claims.issued_at is not None
    assert claims.issued_at.timestamp() == NOW - 60
    assert claims.raw["custom"] == "kept"
    with pytest.raises(TypeError):
        claims.raw["sub"] = "prof_other"  # type: ignore[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        claims.profile_id = "prof_other"  # type: ignore[misc]
    assert "raw" not in repr(claims)
    assert issuer.jwks_requests() == 1


def test_the_key_set_is_fetched_once_then_kept(issuer: Issuer) -> None:
    for _ in range(20):
        issuer.sso.verify_access_token(issuer.token())
    assert issuer.jwks_requests() == 1
    [request] = issuer.server.requests
    assert request.method == "GET"


def test_optional_claims_may_be_missing(issuer: Issuer) -> None:
    claims = issuer.sso.verify_access_token(issuer.token(org_id=None, iat=None, iss=None))
    assert claims.organization_id is None
    assert claims.issued_at is None


def test_an_audience_list_that_holds_the_client_id_is_accepted(issuer: Issuer) -> None:
    token = issuer.token(aud=["client_other", LOOPBACK_CLIENT_ID])
    assert issuer.sso.verify_access_token(token).profile_id == "prof_01LOOPBACK"


def test_the_leeway_allows_a_little_clock_skew(issuer: Issuer) -> None:
    just_expired = issuer.token(exp=NOW - 10)
    from_the_future = issuer.token(nbf=NOW + 10, iat=NOW + 10)
    for token, error_class in (
        (just_expired, ExpiredAccessTokenError),
        (from_the_future, InvalidAccessTokenError),
    ):
        assert issuer.sso.verify_access_token(token).profile_id == "prof_01LOOPBACK"
        with pytest.raises(error_class):
            issuer.sso.verify_access_token(token, leeway=5)
        assert issuer.sso.verify_access_token(token, leeway=11).profile_id == "prof_01LOOPBACK"


def test_the_issuer_may_be_the_base_url_with_a_slash_or_another_name_of_this_machine(
    issuer: Issuer,
) -> None:
    port = issuer.server.url.rsplit(":", 1)[1]
    for accepted in (f"{issuer.base_url}/", f"http://localhost:{port}", f"http://[::1]:{port}"):
        assert issuer.sso.verify_access_token(issuer.token(iss=accepted)).profile_id
    other_port = int(port) + 1 if int(port) < 65535 else int(port) - 1
    for refused in (
        f"http://localhost:{other_port}",
        f"https://localhost:{port}",
        f"http://localhost:{port}/other",
        f"http://example.com:{port}",
        f"http://localhost:{port}:{port}",
    ):
        with pytest.raises(InvalidAccessTokenError, match="issuer"):
            issuer.sso.verify_access_token(issuer.token(iss=refused))


@pytest.mark.parametrize("leeway", [-1, 301, float("nan"), True, "5", None])
def test_a_leeway_out_of_range_is_refused_before_anything_is_sent(
    issuer: Issuer, leeway: Any
) -> None:
    with pytest.raises(InvalidParameterError, match="leeway"):
        issuer.sso.verify_access_token(issuer.token(), leeway=leeway)
    assert issuer.jwks_requests() == 0


def test_a_token_that_is_not_a_string_is_a_parameter_error(issuer: Issuer) -> None:
    with pytest.raises(InvalidParameterError, match="access_token"):
        issuer.sso.verify_access_token(b"eyJ.eyJ.sig")


# --- Hostile tokens -------------------------------------------------------------------------

Forge = Callable[[str], str]

HOSTILE: dict[str, tuple[Forge, type[AccessTokenError], str]] = {
    "expired": (
        lambda url: sign(claims_for(url, exp=NOW - 3600)),
        ExpiredAccessTokenError,
        "expired",
    ),
    "not valid yet (nbf)": (
        lambda url: sign(claims_for(url, nbf=NOW + 600)),
        InvalidAccessTokenError,
        "not valid yet",
    ),
    "issued in the future (iat)": (
        lambda url: sign(claims_for(url, iat=NOW + 600)),
        InvalidAccessTokenError,
        "issued in the future",
    ),
    "alg none": (
        lambda url: unsigned({"alg": "none", "typ": "JWT", "kid": KID}, claims_for(url)),
        InvalidAccessTokenError,
        "algorithm",
    ),
    "alg none, signature kept": (
        lambda url: ".".join(
            [
                _b64(json.dumps({"alg": "none", "kid": KID}).encode()),
                *sign(claims_for(url)).split(".")[1:],
            ]
        ),
        InvalidAccessTokenError,
        "algorithm",
    ),
    "HS256 keyed with the RSA public key": (
        lambda url: hs256_with_public_key(claims_for(url)),
        InvalidAccessTokenError,
        "algorithm",
    ),
    "RS256 by a foreign key, same kid": (
        lambda url: sign(claims_for(url), key=FOREIGN_KEY),
        InvalidAccessTokenError,
        "signature",
    ),
    "claims changed after signing": (
        lambda url: ".".join(
            [
                sign(claims_for(url)).split(".")[0],
                _b64(json.dumps(claims_for(url, sub="prof_admin")).encode()),
                sign(claims_for(url)).split(".")[2],
            ]
        ),
        InvalidAccessTokenError,
        "signature",
    ),
    "unknown kid": (
        lambda url: sign(claims_for(url), key=FOREIGN_KEY, kid="key_unknown"),
        InvalidAccessTokenError,
        "kid",
    ),
    "no kid": (
        lambda url: sign(claims_for(url), kid=None),
        InvalidAccessTokenError,
        "kid",
    ),
    "critical header extension": (
        lambda url: sign(claims_for(url), headers={"crit": ["exp"]}),
        InvalidAccessTokenError,
        "crit",
    ),
    "another audience": (
        lambda url: sign(claims_for(url, aud="client_01SOMEONEELSE")),
        InvalidAccessTokenError,
        "audience",
    ),
    "no audience": (
        lambda url: sign(claims_for(url, aud=None)),
        InvalidAccessTokenError,
        "audience",
    ),
    "another issuer": (
        lambda url: sign(claims_for(url, iss="https://issuer.invalid")),
        InvalidAccessTokenError,
        "issuer",
    ),
    "no exp": (
        lambda url: sign(claims_for(url, exp=None)),
        InvalidAccessTokenError,
        "exp",
    ),
    "exp not a number": (
        lambda url: sign(claims_for(url, exp=str(NOW + 3600))),
        InvalidAccessTokenError,
        "exp",
    ),
    "exp out of range": (
        lambda url: sign(claims_for(url, exp=10**30)),
        InvalidAccessTokenError,
        "exp",
    ),
    "no sub": (
        lambda url: sign(claims_for(url, sub=None)),
        InvalidAccessTokenError,
        "sub",
    ),
    "claims not an object": (
        lambda url: ".".join(
            [_b64(json.dumps({"alg": "RS256", "kid": KID}).encode()), _b64(b"[1]"), "c2ln"]
        ),
        InvalidAccessTokenError,
        "signature",
    ),
    "garbage": (lambda url: "not a token at all", InvalidAccessTokenError, "not a JWT"),
    "four parts": (
        lambda url: sign(claims_for(url)) + ".AAAA",
        InvalidAccessTokenError,
        "not a JWT",
    ),
    "header not JSON": (
        lambda url: f"{_b64(b'{not json')}.{_b64(b'{}')}.c2ln",
        InvalidAccessTokenError,
        "JSON",
    ),
    "padding and spaces": (
        lambda url: sign(claims_for(url)) + "==",
        InvalidAccessTokenError,
        "not a JWT",
    ),
    "empty": (lambda url: "", InvalidAccessTokenError, "empty"),
    "oversized": (
        lambda url: sign(claims_for(url, filler="x" * MAX_TOKEN_CHARS)),
        InvalidAccessTokenError,
        "longer than",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_token_is_refused_with_a_reason_that_never_holds_it(
    issuer: Issuer, case: str
) -> None:
    forge, error_class, said = HOSTILE[case]
    token = forge(issuer.base_url)
    with pytest.raises(error_class) as raised:
        issuer.sso.verify_access_token(token)
    error = raised.value
    assert type(error) is error_class
    assert said in error.reason
    for text in (str(error), repr(error), error.reason):
        for part in filter(None, token.split(".")):
            if len(part) >= 8:
                assert part not in text


@pytest.mark.parametrize(
    "case", ["alg none", "HS256 keyed with the RSA public key", "garbage", "empty", "oversized"]
)
def test_a_token_refused_by_its_shape_or_header_causes_no_fetch(issuer: Issuer, case: str) -> None:
    with pytest.raises(InvalidAccessTokenError):
        issuer.sso.verify_access_token(HOSTILE[case][0](issuer.base_url))
    assert issuer.jwks_requests() == 0


# --- The key set: refetches, rotation, outages ------------------------------------------------


def test_a_flood_of_unknown_kids_refetches_at_most_once_per_interval(issuer: Issuer) -> None:
    issuer.sso.verify_access_token(issuer.token())
    assert issuer.jwks_requests() == 1

    def unknown(number: int) -> str:
        return sign(claims_for(issuer.base_url), key=FOREIGN_KEY, kid=f"key_forged_{number}")

    for number in range(50):
        with pytest.raises(InvalidAccessTokenError, match="kid"):
            issuer.sso.verify_access_token(unknown(number))
    assert issuer.jwks_requests() == 1  # the set was fetched a moment ago

    issuer.clock.advance(REFETCH_INTERVAL)
    for number in range(50):
        with pytest.raises(InvalidAccessTokenError, match="kid"):
            issuer.sso.verify_access_token(unknown(number))
    assert issuer.jwks_requests() == 2  # one refetch for the whole flood
    issuer.sso.verify_access_token(issuer.token())  # the known key still works
    assert issuer.jwks_requests() == 2


def test_a_new_key_is_found_by_one_refetch(issuer: Issuer) -> None:
    issuer.sso.verify_access_token(issuer.token())
    issuer.answer(Reply.json(200, jwks_of((SIGNING_KEY, KID), (NEXT_KEY, "key_loopback_2"))))
    rotated = sign(claims_for(issuer.base_url), key=NEXT_KEY, kid="key_loopback_2")
    issuer.clock.advance(REFETCH_INTERVAL)
    claims = issuer.sso.verify_access_token(rotated)
    assert claims.profile_id == "prof_01LOOPBACK"
    assert issuer.jwks_requests() == 2


def test_the_first_fetch_failing_is_a_jwks_error_not_a_refusal(issuer: Issuer) -> None:
    issuer.answer(Reply.json(503, {"message": "down"}))
    token = issuer.token()
    with pytest.raises(JWKSError) as raised:
        issuer.sso.verify_access_token(token)
    assert not isinstance(raised.value, AccessTokenError)
    assert isinstance(raised.value.__cause__, ServerError)
    assert issuer.jwks_requests() == 1

    # Within the back-off, a flood of verifications asks nothing more.
    for _ in range(20):
        with pytest.raises(JWKSError):
            issuer.sso.verify_access_token(token)
    assert issuer.jwks_requests() == 1

    issuer.answer(Reply.json(200, issuer.keys))
    issuer.clock.advance(FAILURE_BACKOFF)
    assert issuer.sso.verify_access_token(token).profile_id == "prof_01LOOPBACK"
    assert issuer.jwks_requests() == 2


def test_an_unreachable_api_is_a_jwks_error(issuer: Issuer, client_kind: str) -> None:
    unreachable = client_for(f"http://127.0.0.1:{closed_port()}", kind=client_kind)
    with unreachable as sso, pytest.raises(JWKSError) as raised:
        sso.verify_access_token(issuer.token())
    assert "could not be fetched" in str(raised.value)


def test_a_body_that_is_not_a_key_set_is_a_jwks_error(issuer: Issuer) -> None:
    issuer.answer(Reply.json(200, {"keys": "none"}))
    with pytest.raises(JWKSError) as raised:
        issuer.sso.verify_access_token(issuer.token())
    assert isinstance(raised.value.__cause__, DecodeError)


def test_unusable_keys_in_the_set_are_skipped(issuer: Issuer) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    keys = [
        {**jwk_of(SIGNING_KEY, "key_encryption"), "use": "enc"},
        {**jwk_of(SIGNING_KEY, "key_ps256"), "alg": "PS256"},
        {"kty": "oct", "k": "c2VjcmV0", "kid": "key_symmetric"},
        {**jwk_of(small, "key_small")},
        {"kty": "RSA", "kid": "key_broken", "n": "AA", "e": "AQAB"},
        "not an object",
        jwk_of(SIGNING_KEY, KID),
    ]
    issuer.answer(Reply.json(200, {"keys": keys}))
    assert issuer.sso.verify_access_token(issuer.token()).profile_id == "prof_01LOOPBACK"
    for key, kid in (
        (SIGNING_KEY, "key_encryption"),
        (SIGNING_KEY, "key_ps256"),
        (small, "key_small"),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyJWT warns about signing with 1024 bits
            token = sign(claims_for(issuer.base_url), key=key, kid=kid)
        with pytest.raises(InvalidAccessTokenError, match="kid"):
            issuer.sso.verify_access_token(token)
    forged = hs256_with_public_key(claims_for(issuer.base_url))
    with pytest.raises(InvalidAccessTokenError):
        issuer.sso.verify_access_token(forged.replace(KID, "key_symmetric"))


def test_only_the_first_keys_of_a_huge_key_set_are_read(issuer: Issuer) -> None:
    filler = [jwk_of(FOREIGN_KEY, f"key_filler_{number}") for number in range(MAX_KEYS)]
    issuer.answer(Reply.json(200, {"keys": [*filler, jwk_of(SIGNING_KEY, KID)]}))
    with pytest.raises(InvalidAccessTokenError, match="kid"):
        issuer.sso.verify_access_token(issuer.token())
    forged = sign(claims_for(issuer.base_url), key=FOREIGN_KEY, kid="key_filler_0")
    assert issuer.sso.verify_access_token(forged).profile_id  # the filler keys were read


def test_old_keys_are_refreshed_and_kept_when_the_refresh_fails(issuer: Issuer) -> None:
    issuer.sso.verify_access_token(issuer.token())
    issuer.answer(Reply.json(500, {"message": "down"}))
    issuer.clock.advance(MAX_KEY_AGE)
    assert issuer.sso.verify_access_token(issuer.token()).profile_id == "prof_01LOOPBACK"
    assert issuer.jwks_requests() == 2  # the refresh was tried...
    assert issuer.sso.verify_access_token(issuer.token()).profile_id == "prof_01LOOPBACK"
    assert issuer.jwks_requests() == 2  # ...and not again within the back-off


def test_a_withdrawn_key_is_dropped_at_the_refresh(issuer: Issuer) -> None:
    issuer.sso.verify_access_token(issuer.token())
    issuer.answer(Reply.json(200, jwks_of((NEXT_KEY, "key_loopback_2"))))
    issuer.clock.advance(MAX_KEY_AGE)
    with pytest.raises(InvalidAccessTokenError, match="kid"):
        issuer.sso.verify_access_token(issuer.token())


def test_clients_made_with_options_share_the_keys(issuer: Issuer) -> None:
    issuer.sso.verify_access_token(issuer.token())
    issuer.sso.with_options(timeout=1.0).verify_access_token(issuer.token())
    assert issuer.jwks_requests() == 1


def test_verification_logs_no_token(issuer: Issuer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="workos_sso")
    token = issuer.token()
    issuer.sso.verify_access_token(token)
    with pytest.raises(InvalidAccessTokenError):
        issuer.sso.verify_access_token(token[:-4] + "AAAA")
    assert JWKS_PATH in caplog.text
    assert token.split(".")[1] not in caplog.text
    assert token.split(".")[2][:20] not in caplog.text


# --- Concurrency ------------------------------------------------------------------------------


@pytest.mark.parametrize("client_kind", ["sync"], indirect=True)
def test_threads_verifying_at_once_share_one_fetch(issuer: Issuer) -> None:
    token = issuer.token()
    barrier = threading.Barrier(8)
    results: list[Any] = []

    def verify() -> None:
        barrier.wait()
        results.append(issuer.sso.verify_access_token(token).profile_id)

    threads = [threading.Thread(target=verify) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["prof_01LOOPBACK"] * 8
    assert issuer.jwks_requests() == 1


@pytest.mark.parametrize("client_kind", ["sync"], indirect=True)
def test_async_verifications_at_once_share_one_fetch(loopback: LoopbackServer) -> None:
    loopback.always(Route({JWKS_PATH: Reply.json(200, jwks_of((SIGNING_KEY, KID)))}))
    token = sign(claims_for(loopback.url, iat=None, exp=4_000_000_000))

    async def main() -> list[str]:
        async with AsyncSSOClient(
            api_key=LOOPBACK_API_KEY, client_id=LOOPBACK_CLIENT_ID, base_url=loopback.url
        ) as sso:
            claims = await asyncio.gather(*(sso.verify_access_token(token) for _ in range(20)))
            return [each.profile_id for each in claims]

    assert asyncio.run(main()) == ["prof_01LOOPBACK"] * 20
    assert sum(1 for request in loopback.requests if request.url_path == JWKS_PATH) == 1


@pytest.mark.parametrize("client_kind", ["sync"], indirect=True)
def test_a_cancelled_verification_leaves_the_shared_fetch_to_the_others(
    loopback: LoopbackServer,
) -> None:
    loopback.always(Route({JWKS_PATH: Reply.json(200, jwks_of((SIGNING_KEY, KID)))}))
    token = sign(claims_for(loopback.url, iat=None, exp=4_000_000_000))

    async def main() -> str:
        async with AsyncSSOClient(
            api_key=LOOPBACK_API_KEY, client_id=LOOPBACK_CLIENT_ID, base_url=loopback.url
        ) as sso:
            first = asyncio.ensure_future(sso.verify_access_token(token))
            second = asyncio.ensure_future(sso.verify_access_token(token))
            await asyncio.sleep(0)
            first.cancel()
            claims = await second
            with pytest.raises(asyncio.CancelledError):
                await first
            return claims.profile_id

    assert asyncio.run(main()) == "prof_01LOOPBACK"
    assert sum(1 for request in loopback.requests if request.url_path == JWKS_PATH) == 1


# --- The extra and the import ------------------------------------------------------------------


def _python(code: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return completed.stdout.strip()


@pytest.mark.parametrize("client_kind", ["sync"], indirect=True)
@pytest.mark.parametrize("missing", ["jwt", "cryptography"])
def test_without_the_jwt_extra_verification_names_the_install_command(missing: str) -> None:
    said = _python(
        "import sys\n"
        f"sys.modules[{missing!r}] = None  # what an environment without it looks like\n"
        "from workos_sso import SSOClient, ConfigurationError\n"
        "sso = SSOClient(api_key='sk_test_x', client_id='client_x', base_url='http://127.0.0.1:9')\n"
        "try:\n"
        "    sso.verify_access_token('eyJhbGciOiJSUzI1NiJ9.e30.c2ln')\n"
        "except ConfigurationError as error:\n"
        "    print(error)\n"
    )
    assert "pip install 'workos-sso[jwt]'" in said


# --- Real tokens from the emulator -------------------------------------------------------------


@pytest.mark.live
def test_a_token_from_a_real_sign_in_verifies(sso: SSOClient) -> None:
    [connection] = list(sso.list_connections(domain="foo-corp.com"))
    redirect_uri = "http://localhost:8000/callback"
    url = sso.get_authorization_url(
        redirect_uri=redirect_uri,
        organization=connection.organization_id,
        state="state-jwt",
        login_hint="alice@foo-corp.com",
    )
    location = complete_sign_in(url, redirect_uri=redirect_uri).url
    code = parse_qs(urlsplit(location).query)["code"][0]
    result = sso.get_profile_and_token(code)

    claims = sso.verify_access_token(result.access_token)
    assert claims.profile_id == result.profile.id
    assert claims.organization_id == result.profile.organization_id
    assert claims.issued_at is not None
    assert 0 < (claims.expires_at - claims.issued_at).total_seconds() <= 24 * 3600
    # Checked offline: a second verification asks WorkOS nothing new, and agrees with WorkOS.
    assert sso.verify_access_token(result.access_token) == claims
    assert sso.get_profile(result.access_token).id == claims.profile_id

    with pytest.raises(InvalidAccessTokenError):
        sso.verify_access_token(result.access_token[:-6] + "AAAAAA")


# --- Any text at all ---------------------------------------------------------------------------

_PART = r"[A-Za-z0-9_-]{0,60}"


@pytest.mark.parametrize("client_kind", ["sync"], indirect=True)
@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=200)
    | st.from_regex(rf"{_PART}\.{_PART}\.{_PART}", fullmatch=True)
    | st.builds(
        lambda header, claims: f"{_b64(header)}.{_b64(claims)}.{_b64(b'signature')}",
        st.binary(max_size=60) | st.just(b'{"alg":"RS256","kid":"key_loopback_1"}'),
        st.binary(max_size=60),
    )
)
def test_any_text_is_refused_cleanly_without_a_fetch(text: str) -> None:
    # The verifier alone, with a key set stored: no client, so a fetch could not even happen.
    verifier = TokenVerifier(client_id=LOOPBACK_CLIENT_ID, base_url="http://127.0.0.1:1")
    verifier.store(jwks_of((SIGNING_KEY, KID))["keys"])
    with pytest.raises(AccessTokenError) as raised:
        verifier.finish(verifier.parse(text), leeway=30)
    assert isinstance(raised.value, InvalidAccessTokenError)
    if len(text) >= 8:
        assert text not in str(raised.value)
