"""Offline verification of WorkOS access tokens, and the cache of the keys that sign them.

Loaded by the first ``verify_access_token``: ``import workos_sso`` imports neither this module
nor PyJWT. No I/O here either: a client asks :meth:`TokenVerifier.needs_fetch`, fetches the key
set through its own transport (``SSOProtocol.jwks``: timeouts, retries and typed errors as for
every other request), hands it to :meth:`TokenVerifier.store` and lets the verifier finish.
PyJWT (the ``jwt`` extra) reads the JWKs into keys and checks the RS256 signature with its
``RSAAlgorithm``; the token is split and decoded here (PyJWT's own ``decode`` spends more time
checking the base64url alphabet than the signature takes), and every claim is checked here
against the verifier's own clocks, which tests replace.

The rules a token must pass, in order:

* a string of at most ``MAX_TOKEN_CHARS`` characters, in the three parts of a JWS;
* ``alg`` RS256, whatever else the header might say (``none``, ``HS256``...), and a ``kid``;
* signed by the key with that ``kid`` in the client's JWKS (RSA, at least 2048 bits);
* ``aud`` the client id (or a list that holds it); ``iss``, when present, the base URL (an
  emulator on this machine may name itself ``localhost`` to a client of ``127.0.0.1``);
* ``exp`` present, and not passed; ``nbf`` and ``iat``, when present, not in the future; the
  three within ``leeway`` seconds of clock skew;
* ``sub`` (the profile id) a non-empty string; ``org_id``, when present, a string.

The key set is fetched on first use and kept. A token naming a ``kid`` the set lacks causes a
refetch (keys rotate), but at most one per ``REFETCH_INTERVAL``, so a flood of forged tokens
cannot become a flood of requests to WorkOS; keys older than ``MAX_KEY_AGE`` are refreshed, and
kept if the refresh fails. A failed fetch is not tried again for ``FAILURE_BACKOFF`` seconds.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from types import MappingProxyType, ModuleType
from typing import Any, Callable, NamedTuple, Optional
from urllib.parse import urlsplit

from ._config import is_loopback
from ._errors import (
    ConfigurationError,
    ExpiredAccessTokenError,
    InvalidAccessTokenError,
    InvalidParameterError,
    JWKSError,
    WorkOSError,
)
from ._models import AccessTokenClaims

__all__ = [
    "FAILURE_BACKOFF",
    "INSTALL_HINT",
    "MAX_KEYS",
    "MAX_KEY_AGE",
    "MAX_TOKEN_CHARS",
    "REFETCH_INTERVAL",
    "TokenVerifier",
    "Unverified",
]

INSTALL_HINT = "pip install 'workos-sso[jwt]'"
#: WorkOS's tokens are under a kilobyte; anything this long is refused before it is parsed.
MAX_TOKEN_CHARS = 8 * 1024
#: A token with an unknown ``kid`` refetches the key set at most once per this many seconds.
REFETCH_INTERVAL = 300.0
#: Keys are refreshed when they are this old (seconds), so a key WorkOS withdrew is dropped.
MAX_KEY_AGE = 3600.0
#: After a failed fetch, no new one for this many seconds: verifications raise ``JWKSError``.
FAILURE_BACKOFF = 5.0
_MIN_RSA_BITS = 2048
#: WorkOS publishes a key or two; past this many, the rest of a key set is not read (each key
#: costs a parse, and a hostile or misdirected server could send thousands).
MAX_KEYS = 32
_ALGORITHM = "RS256"


def _jose() -> ModuleType:
    """PyJWT with its crypto backend, or the ConfigurationError that names the extra."""
    try:
        import jwt
        from jwt.algorithms import has_crypto
    except ImportError:
        has_crypto = False
    if not has_crypto:
        raise ConfigurationError(
            f"Verifying access tokens needs the jwt extra (PyJWT and cryptography): {INSTALL_HINT}"
        )
    return jwt


def _refuse(reason: str) -> InvalidAccessTokenError:
    return InvalidAccessTokenError(f"The access token was refused: {reason}.", reason=reason)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _moment(claims: Mapping[str, Any], name: str) -> Optional[float]:
    """A time claim in seconds since the epoch, ``None`` when absent; refused when malformed."""
    if name not in claims:
        return None
    value = claims[name]
    if not _is_number(value):
        raise _refuse(f"its {name} claim is not a number of seconds")
    return float(value)


def _utc(seconds: float, name: str) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        raise _refuse(f"its {name} claim is out of range") from None


def _same_api(issuer: str, base_url: str) -> bool:
    """Whether ``iss`` names the client's API: the base URL, or, for a local emulator, the
    same port on another name of this machine (it issues ``http://localhost:4100`` tokens to
    a client of ``http://127.0.0.1:4100``)."""
    if issuer.rstrip("/") == base_url:
        return True
    ours, theirs = urlsplit(base_url), urlsplit(issuer.rstrip("/"))
    try:
        same_port = ours.port == theirs.port
    except ValueError:
        return False
    return (
        ours.scheme == theirs.scheme == "http"
        and same_port
        and ours.path == theirs.path
        and is_loopback(ours.hostname or "")
        and is_loopback(theirs.hostname or "")
    )


class Unverified(NamedTuple):
    """A token split into its parts, its header read; only its shape and algorithm checked."""

    kid: str
    signing_input: bytes
    payload: str
    signature: bytes

    def __repr__(self) -> str:  # the token is a credential
        return f"Unverified(kid={self.kid!r})"


class TokenVerifier:
    """One client's key cache and the rules of its access tokens (see the module docstring).

    Shared by a client and the clients ``with_options`` makes from it. ``clock`` measures the
    cache's intervals, ``wall_clock`` is "now" for the time claims; tests replace both.
    """

    def __init__(
        self,
        *,
        client_id: str,
        base_url: str,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self.base_url = base_url
        self.clock = clock
        self.wall_clock = wall_clock
        self._keys: dict[str, Any] = {}
        self._fetched_at: Optional[float] = None
        self._attempted_at: Optional[float] = None
        self._failed_at: Optional[float] = None
        self._error: Optional[WorkOSError] = None
        #: How many times the key set was requested (tests and benchmarks read it).
        self.fetches = 0
        #: Held by a sync client while it fetches, so threads verifying at once fetch once.
        self.lock = threading.Lock()
        #: The async client's fetch in progress, which concurrent verifications all await.
        self.pending: Any = None

    # --- Before the key ---

    def parse(self, access_token: object) -> Unverified:
        """Read the header: refuse what is not an RS256 JWS with a ``kid``, before any fetch."""
        if not isinstance(access_token, str):
            raise InvalidParameterError(
                f"access_token must be a string, not {type(access_token).__name__}."
            )
        if not access_token:
            raise _refuse("it is empty")
        if len(access_token) > MAX_TOKEN_CHARS:
            raise _refuse(f"it is longer than {MAX_TOKEN_CHARS} characters")
        _jose()  # without the extra, the ConfigurationError comes before anything else
        parts = _COMPACT_JWS.fullmatch(access_token)
        if parts is None:
            raise _refuse("it is not a JWT (three base64url parts separated by dots)")
        header_part, payload_part, signature_part = parts.groups()
        header = _json_part(header_part)
        if not isinstance(header, dict):
            raise _refuse("its header is not a JSON object")
        if header.get("alg") != _ALGORITHM:
            # Not echoed: the header is the sender's text.
            raise _refuse("its header names another algorithm than RS256")
        if "crit" in header:
            raise _refuse("its header has critical extensions (crit) this library does not know")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _refuse("its header names no key (kid)")
        try:
            signature = _b64decode(signature_part)
        except ValueError:
            raise _refuse("its signature is not base64url") from None
        signing_input = f"{header_part}.{payload_part}".encode("ascii")
        return Unverified(kid, signing_input, payload_part, signature)

    # --- The key set ---

    def needs_fetch(self, kid: str) -> bool:
        """Whether the key set must be (re)fetched before a token with this ``kid`` is checked."""
        now = self.clock()
        if self._failed_at is not None and now - self._failed_at < FAILURE_BACKOFF:
            return False
        if self._fetched_at is None or self._attempted_at is None:
            return True
        if kid in self._keys:
            return now - self._fetched_at >= MAX_KEY_AGE
        return now - self._attempted_at >= REFETCH_INTERVAL

    def fetching(self) -> None:
        """Note that a fetch starts now."""
        self._attempted_at = self.clock()
        self.fetches += 1

    def store(self, jwks: Sequence[Mapping[str, Any]]) -> None:
        """Keep the usable keys of a fetched set (RS256 signing keys of 2048 bits or more)."""
        jwt = _jose()
        keys: dict[str, Any] = {}
        for jwk in jwks[:MAX_KEYS]:
            kid = jwk.get("kid")
            if (
                not isinstance(kid, str)
                or not kid
                or jwk.get("kty") != "RSA"
                or jwk.get("use", "sig") != "sig"
                or jwk.get("alg", _ALGORITHM) != _ALGORITHM
            ):
                continue
            try:
                key = jwt.algorithms.RSAAlgorithm.from_jwk(dict(jwk))
            except (jwt.PyJWTError, ValueError, TypeError, KeyError):
                continue
            key = key.public_key() if hasattr(key, "private_numbers") else key
            if key.key_size >= _MIN_RSA_BITS:
                keys[kid] = key
        self._keys = keys
        self._fetched_at = self.clock()
        self._failed_at = None
        self._error = None

    def fetch_failed(self, error: WorkOSError) -> None:
        """Note a failed fetch: ``key_for`` raises ``JWKSError`` (from ``error``) for a key it
        lacks until a fetch succeeds, and keeps serving the keys it has."""
        self._failed_at = self.clock()
        self._error = error

    def key_for(self, kid: str) -> Any:
        key = self._keys.get(kid)
        if key is not None:
            return key  # even if a refresh failed: keys that were good an hour ago still are
        if self._failed_at is not None or self._fetched_at is None:
            # Nothing is known about this token: the app should answer "try later", not 401.
            error = self._error
            detail = f": {error}" if error is not None else ""
            raise JWKSError(
                f"The key set (JWKS) that verifies access tokens could not be fetched{detail}"
            ) from error
        raise _refuse("it names a key (kid) that is not in the client's key set (JWKS)")

    # --- With the key ---

    def finish(self, unverified: Unverified, *, leeway: float) -> AccessTokenClaims:
        """Check the signature with the cached key, then the claims."""
        key = self.key_for(unverified.kid)
        if not _rs256().verify(unverified.signing_input, key, unverified.signature):
            raise _refuse("its signature does not match the key it names")
        claims = _json_part(unverified.payload)
        if not isinstance(claims, dict):
            raise _refuse("its claims are not a JSON object")
        return self._check_claims(claims, leeway)

    def _check_claims(self, claims: dict[str, Any], leeway: float) -> AccessTokenClaims:
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.client_id not in audiences:
            raise _refuse("its audience (aud) is not this client id")
        if "iss" in claims:
            issuer = claims["iss"]
            if not isinstance(issuer, str) or not _same_api(issuer, self.base_url):
                raise _refuse("its issuer (iss) is not this client's base_url")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise _refuse("it names no profile (sub)")
        organization = claims.get("org_id")
        if organization is not None and not isinstance(organization, str):
            raise _refuse("its organization (org_id) is not a string")
        expires = _moment(claims, "exp")
        if expires is None:
            raise _refuse("it has no expiry (exp)")
        issued = _moment(claims, "iat")
        not_before = _moment(claims, "nbf")
        expires_at = _utc(expires, "exp")
        issued_at = None if issued is None else _utc(issued, "iat")
        now = self.wall_clock()
        if not_before is not None and not_before > now + leeway:
            raise _refuse("it is not valid yet (nbf is in the future)")
        if issued is not None and issued > now + leeway:
            raise _refuse("it was issued in the future (iat)")
        if expires <= now - leeway:
            reason = f"it expired at {expires_at.isoformat()}"
            raise ExpiredAccessTokenError(f"The access token was refused: {reason}.", reason=reason)
        return AccessTokenClaims(
            profile_id=subject,
            organization_id=organization,
            issued_at=issued_at,
            expires_at=expires_at,
            raw=MappingProxyType(claims),
        )


# A JWS in compact serialization: three unpadded base64url parts (RFC 7515, section 7.1).
_COMPACT_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)")
_RS256_ALGORITHM: list[Any] = []


def _rs256() -> Any:
    """PyJWT's RS256 (RSASSA-PKCS1-v1_5 with SHA-256), made once."""
    if not _RS256_ALGORITHM:
        algorithms = _jose().algorithms
        _RS256_ALGORITHM.append(algorithms.RSAAlgorithm(algorithms.RSAAlgorithm.SHA256))
    return _RS256_ALGORITHM[0]


def _b64decode(part: str) -> bytes:
    # The caller's regular expression let only the base64url alphabet through; a length of
    # 1 modulo 4 is still impossible, and binascii.Error is a ValueError.
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _json_part(part: str) -> Any:
    try:
        return json.loads(_b64decode(part))
    except (ValueError, RecursionError):  # bad base64, bytes that are not UTF-8, not JSON
        raise _refuse("a part of it is not base64url-encoded JSON") from None
