"""PKCE (RFC 7636), for public clients that cannot keep an API key: ``S256`` only.

The app makes a random ``code_verifier``, sends its SHA-256 ``code_challenge`` with the
authorization URL, and proves it started the sign-in by sending the verifier with the code.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Literal

import attrs

from ._errors import InvalidParameterError

__all__ = ["PKCE"]

#: RFC 7636, section 4.1: 43 to 128 "unreserved" characters.
_VERIFIER_GRAMMAR = re.compile(r"[A-Za-z0-9._~-]{43,128}")
_CHALLENGE_GRAMMAR = re.compile(r"[A-Za-z0-9_-]{43}")
#: 48 random bytes make a 64-character verifier: 384 bits, well past the RFC's 256.
_VERIFIER_BYTES = 48


@attrs.frozen
class PKCE:
    """A PKCE verifier and its S256 challenge.

    Send ``code_challenge`` with the authorization URL, keep ``code_verifier`` on the server
    side (never in ``state``, which travels through the browser), and send it with the code.

    Attributes:
        code_verifier: the secret; hidden from ``repr``.
        code_challenge: ``BASE64URL(SHA256(code_verifier))`` without padding.
        code_challenge_method: always ``"S256"``.

    Example:
        ```python
        pkce = PKCE.generate()
        url = sso.get_authorization_url(
            redirect_uri="http://127.0.0.1:8765/callback",
            organization="org_123",
            code_challenge=pkce.code_challenge,
        )
        # ... later, with the code from the callback:
        result = sso.get_profile_and_token(code, code_verifier=pkce.code_verifier)
        ```
    """

    code_verifier: str = attrs.field(repr=False)
    code_challenge: str
    code_challenge_method: Literal["S256"] = "S256"

    @classmethod
    def generate(cls) -> PKCE:
        """A new verifier of 64 random characters from ``secrets``, and its challenge."""
        return cls.from_verifier(secrets.token_urlsafe(_VERIFIER_BYTES))

    @classmethod
    def from_verifier(cls, code_verifier: str) -> PKCE:
        """The challenge of an existing verifier.

        Raises:
            InvalidParameterError: the verifier is not 43 to 128 characters of
                ``A-Z a-z 0-9 - . _ ~``.
        """
        if not isinstance(code_verifier, str) or not _VERIFIER_GRAMMAR.fullmatch(code_verifier):
            raise InvalidParameterError(
                "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' "
                "and '~' (RFC 7636)."
            )
        return cls(code_verifier=code_verifier, code_challenge=challenge_of(code_verifier))


def challenge_of(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_verifier(code_verifier: object) -> str:
    """``code_verifier`` if it follows the RFC's grammar, else ``InvalidParameterError``."""
    return PKCE.from_verifier(code_verifier).code_verifier  # type: ignore[arg-type]


def check_challenge(code_challenge: object) -> str:
    """An S256 challenge is 43 base64url characters (a SHA-256 digest, unpadded)."""
    if not isinstance(code_challenge, str) or not _CHALLENGE_GRAMMAR.fullmatch(code_challenge):
        raise InvalidParameterError(
            "code_challenge must be an S256 challenge: 43 base64url characters, such as "
            "PKCE.generate().code_challenge."
        )
    return code_challenge
