"""Bearer access tokens for the framework integrations, written once.

An API that a single-page or mobile app calls with ``Authorization: Bearer <access token>``
checks the token offline with ``verify_access_token`` and the app's ``SignInPolicy``. The Flask,
Django and Starlette helpers call :func:`check_bearer` (or :func:`check_bearer_async`) and turn
a :class:`BearerRefusal` into their own response; they decide nothing.

The rules:

* no ``Authorization`` header, or another scheme than Bearer: 401 with ``WWW-Authenticate:
  Bearer`` (RFC 6750 names no error when no token was sent);
* a token ``verify_access_token`` refuses, or one of an organization the policy does not allow:
  401 with ``WWW-Authenticate: Bearer error="invalid_token"``, and nothing more: the reason goes
  to the log (never the token), not to the client;
* a key set that cannot be fetched: 503, since nothing is known about the token.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Optional, Union

import attrs

from .._errors import AccessTokenError, JWKSError
from .._models import AccessTokenClaims
from ._policy import SignInPolicy

if TYPE_CHECKING:
    from .._async_client import AsyncSSOClient
    from .._client import SSOClient

__all__ = [
    "INVALID_TOKEN",
    "NO_TOKEN",
    "UNAVAILABLE",
    "BearerRefusal",
    "bearer_token",
    "check_bearer",
    "check_bearer_async",
]

logger: logging.Logger = logging.getLogger("workos_sso.integrations")


@attrs.frozen
class BearerRefusal:
    """The answer to a request whose bearer token is not accepted: a status and its headers."""

    status: int
    headers: Mapping[str, str]


NO_TOKEN = BearerRefusal(401, MappingProxyType({"WWW-Authenticate": "Bearer"}))
INVALID_TOKEN = BearerRefusal(
    401, MappingProxyType({"WWW-Authenticate": 'Bearer error="invalid_token"'})
)
UNAVAILABLE = BearerRefusal(503, MappingProxyType({"Retry-After": "5"}))

BearerResult = Union[AccessTokenClaims, BearerRefusal]


def bearer_token(authorization: Optional[str]) -> Optional[str]:
    """The token of an ``Authorization: Bearer <token>`` header; ``None`` for no header or
    another scheme. The scheme is case-insensitive; an empty token is returned as ``""``."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def check_bearer(
    client: SSOClient, authorization: Optional[str], policy: SignInPolicy
) -> BearerResult:
    """The claims of the request's bearer token, or the refusal to answer with."""
    token = bearer_token(authorization)
    if token is None:
        return NO_TOKEN
    try:
        claims = client.verify_access_token(token)
    except (AccessTokenError, JWKSError) as error:
        return _refusal(error)
    return _judge(claims, policy)


async def check_bearer_async(
    client: AsyncSSOClient, authorization: Optional[str], policy: SignInPolicy
) -> BearerResult:
    """:func:`check_bearer` with the async client."""
    token = bearer_token(authorization)
    if token is None:
        return NO_TOKEN
    try:
        claims = await client.verify_access_token(token)
    except (AccessTokenError, JWKSError) as error:
        return _refusal(error)
    return _judge(claims, policy)


def _refusal(error: Union[AccessTokenError, JWKSError]) -> BearerRefusal:
    if isinstance(error, JWKSError):
        logger.error("Bearer token not checked: %s", error)
        return UNAVAILABLE
    logger.info("Bearer token refused: %s", error.reason)
    return INVALID_TOKEN


def _judge(claims: AccessTokenClaims, policy: SignInPolicy) -> BearerResult:
    if not policy.allows_organization(claims.organization_id):
        logger.info(
            "Bearer token of profile %s refused: its organization is not allowed here.",
            claims.profile_id,
        )
        return INVALID_TOKEN
    return claims
