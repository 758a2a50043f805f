"""The sign-in ``state`` and the post-login ``return_to``: made, signed and checked.

Only the standard library does the cryptography: ``secrets`` for randomness, ``hmac`` with
SHA-256 for signatures, ``hmac.compare_digest`` for every comparison of secret values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
import unicodedata
from typing import Any, Callable, Optional, Union
from urllib.parse import urlsplit

import attrs

from ._errors import (
    InvalidParameterError,
    MissingStateError,
    StateExpiredError,
    StateMismatchError,
    StateTamperedError,
    UnsafeReturnToError,
)

__all__ = [
    "DEFAULT_STATE_MAX_AGE",
    "Clock",
    "Secret",
    "SignInState",
    "create_state",
    "safe_return_to",
    "validate_return_to",
    "verify_state",
]

#: How long a sign-in may take, in seconds: WorkOS's authorization codes also live 10 minutes.
DEFAULT_STATE_MAX_AGE = 600
_NONCE_BYTES = 24
_MAX_RETURN_TO_CHARS = 2048
_MAX_STATE_CHARS = 4096
# Derives a key used for nothing else from the app's secret (often also its cookie-signing key).
_KEY_PURPOSE = b"workos_sso sign-in state v1"

Secret = Union[str, bytes]
Clock = Callable[[], float]


# --- return_to ------------------------------------------------------------------------------


def validate_return_to(path: str) -> str:
    """Return ``path`` if it is a same-site relative path, else raise.

    Accepted: ``/``, ``/projects/7?tab=files#top``. Refused: absolute URLs
    (``https://evil.example``), scheme-relative ones (``//evil.example``), paths that do not
    start with ``/``, backslashes (``/\\evil.example`` is ``//evil.example`` to browsers) and
    whitespace or control characters (browsers drop tabs and newlines inside URLs).

    Raises:
        UnsafeReturnToError: the path could send the user to another site.
    """
    if not isinstance(path, str) or not path:
        raise UnsafeReturnToError("return_to must be a non-empty string path.")
    if len(path) > _MAX_RETURN_TO_CHARS:
        raise UnsafeReturnToError(f"return_to is longer than {_MAX_RETURN_TO_CHARS} characters.")
    if not path.startswith("/") or path.startswith("//"):
        raise UnsafeReturnToError("return_to must start with a single '/'.")
    if "\\" in path:
        raise UnsafeReturnToError("return_to must not contain backslashes.")
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in path):
        raise UnsafeReturnToError("return_to must not contain whitespace or control characters.")
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        raise UnsafeReturnToError("return_to must be a path on this site, not a URL.")
    return path


def safe_return_to(path: Optional[str], *, default: str = "/") -> str:
    """``path`` if it is a safe same-site path (see ``validate_return_to``), else ``default``.

    For values taken straight from a request, such as a ``?next=`` parameter.

    Example:
        ```python
        return_to = safe_return_to(request.args.get("next"))
        ```
    """
    validate_return_to(default)
    if path is None:
        return default
    try:
        return validate_return_to(path)
    except UnsafeReturnToError:
        return default


# --- state ----------------------------------------------------------------------------------


@attrs.frozen
class SignInState:
    """A sign-in in progress, as carried by the ``state`` parameter.

    Attributes:
        value: the string to put in the authorization URL and in the user's session.
        nonce: the random part that makes every state unique.
        expires_at: Unix time after which the state is refused.
        return_to: where to send the user once signed in (a same-site path).
        organization: the organization id the sign-in was started for, if any.
        connection: the connection id the sign-in was started for, if any.
        signed: whether ``value`` carries an HMAC-SHA256 signature.
    """

    value: str = attrs.field(repr=False)
    nonce: str = attrs.field(repr=False)
    expires_at: int
    return_to: str = "/"
    organization: Optional[str] = None
    connection: Optional[str] = None
    signed: bool = False


def create_state(
    *,
    return_to: str = "/",
    organization: Optional[str] = None,
    connection: Optional[str] = None,
    secret: Optional[Secret] = None,
    max_age: int = DEFAULT_STATE_MAX_AGE,
    clock: Clock = time.time,
) -> SignInState:
    """Create a fresh state for one sign-in.

    Store ``state.value`` in the user's session and pass it as ``state`` to the authorization
    URL (``start_sign_in`` does both steps but the storing). The value holds the nonce, the
    ``return_to`` path, the organization or connection and the expiry; with a ``secret`` it is
    also signed with HMAC-SHA256, so it cannot be altered even where the session itself is not
    tamper-proof. Without one, equality with the session's copy is what protects it.

    Args:
        return_to: where to send the user after signing in; a same-site path.
        organization: the organization id the sign-in is for; the callback refuses profiles of
            any other organization.
        connection: the connection id the sign-in is for; checked the same way.
        secret: a server-side secret (at least 16 bytes) to sign the state with, such as the
            app's secret key; a key for states only is derived from it.
        max_age: seconds the state stays valid.
        clock: returns the current Unix time; for tests.

    Raises:
        UnsafeReturnToError: ``return_to`` is not a same-site path.
        InvalidParameterError: an empty id, a short secret or a ``max_age`` below 1.
    """
    validate_return_to(return_to)
    for name, value in (("organization", organization), ("connection", connection)):
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidParameterError(f"{name} must be a non-empty string.")
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 1:
        raise InvalidParameterError("max_age must be a whole number of seconds, 1 or more.")
    key = None if secret is None else _state_key(secret)
    nonce = secrets.token_urlsafe(_NONCE_BYTES)
    expires_at = int(clock()) + max_age
    payload: dict[str, Any] = {"n": nonce, "e": expires_at, "r": return_to}
    if organization is not None:
        payload["o"] = organization
    if connection is not None:
        payload["c"] = connection
    encoded = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    value = encoded if key is None else f"{encoded}.{_sign(key, encoded)}"
    return SignInState(
        value=value,
        nonce=nonce,
        expires_at=expires_at,
        return_to=return_to,
        organization=organization,
        connection=connection,
        signed=key is not None,
    )


def verify_state(
    received: Optional[str],
    *,
    expected: Union[str, SignInState, None],
    secret: Optional[Secret] = None,
    clock: Clock = time.time,
) -> SignInState:
    """Check the ``state`` a callback received against the one stored in the user's session.

    Args:
        received: the callback's ``state`` query parameter.
        expected: what the session stored when the sign-in started (``state.value``, or the
            ``SignInState``); ``None`` if the session has none. Remove it from the session
            before calling, so that a state is only ever accepted once.
        secret: the secret the state was signed with; required for signed states.
        clock: returns the current Unix time; for tests.

    Returns:
        The decoded state, with its ``return_to``, ``organization`` and ``connection``.

    Raises:
        MissingStateError: no state in the callback, or none in the session.
        StateTamperedError: the signature does not match (altered, forged, other secret), or
            the value is malformed.
        StateMismatchError: the state is not the one this session started.
        StateExpiredError: the state is older than its ``max_age``.
    """
    if isinstance(expected, SignInState):
        expected = expected.value
    if not received:
        raise MissingStateError("The callback has no state parameter.")
    if not expected:
        raise MissingStateError(
            "This session has no sign-in in progress (the session cookie may have expired, "
            "or the sign-in was started in another browser)."
        )
    if not isinstance(received, str) or len(received) > _MAX_STATE_CHARS:
        raise StateTamperedError("The callback's state is malformed.")
    key = None if secret is None else _state_key(secret)
    encoded, dot, signature = received.partition(".")
    if key is not None:
        if not dot or not hmac.compare_digest(signature.encode(), _sign(key, encoded).encode()):
            raise StateTamperedError("The callback's state does not carry a valid signature.")
    elif dot:
        raise StateTamperedError("The callback's state is signed; pass the secret to verify it.")
    if not hmac.compare_digest(received.encode(), str(expected).encode()):
        raise StateMismatchError("The callback's state is not the one this session started.")
    state = _decode(encoded, value=received, signed=key is not None)
    if clock() >= state.expires_at:
        raise StateExpiredError("The sign-in was started too long ago and its state expired.")
    return state


def _state_key(secret: Secret) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    if not isinstance(raw, bytes) or len(raw) < 16:
        raise InvalidParameterError("secret must be a string or bytes of at least 16 bytes.")
    return hmac.new(raw, _KEY_PURPOSE, hashlib.sha256).digest()


def _sign(key: bytes, encoded: str) -> str:
    return _b64encode(hmac.new(key, encoded.encode(), hashlib.sha256).digest())


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(encoded: str, *, value: str, signed: bool) -> SignInState:
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise StateTamperedError("The callback's state is malformed.") from exc
    if not isinstance(payload, dict):
        raise StateTamperedError("The callback's state is malformed.")
    nonce, expires_at, return_to = payload.get("n"), payload.get("e"), payload.get("r")
    organization, connection = payload.get("o"), payload.get("c")
    if (
        not isinstance(nonce, str)
        or not isinstance(expires_at, int)
        or not isinstance(return_to, str)
        or not all(item is None or isinstance(item, str) for item in (organization, connection))
    ):
        raise StateTamperedError("The callback's state is malformed.")
    return SignInState(
        value=value,
        nonce=nonce,
        expires_at=expires_at,
        return_to=validate_return_to(return_to),
        organization=organization,
        connection=connection,
        signed=signed,
    )
