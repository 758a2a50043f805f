"""Runs a route of ``_flow`` to its answer: WorkOS's calls here, the framework's in the adapter.

A route yields effects. The three that ask WorkOS (``FindConnection``, ``ExchangeCode``,
``AuthorizeLogout``) are made here with the app's ``SSOClient`` or ``AsyncSSOClient``; the rest
(``AcceptSignIn``, ``StartSession``, ``EndSession``) go to the adapter's ``framework`` function.
What an effect returns is sent back into the route; a ``WorkOSError`` (or the hook's
``SignInRefused``) is thrown into it, so that the route, not the adapter, decides the refusal.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Callable, Union

from .._errors import SignInRefused, WorkOSError
from .._login import find_connection_for_email, find_connection_for_email_async
from ._flow import (
    AuthorizeLogout,
    Effect,
    ExchangeCode,
    FindConnection,
    Response,
    Steps,
)

if TYPE_CHECKING:
    from .._async_client import AsyncSSOClient
    from .._client import SSOClient

__all__ = ["run", "run_async"]

# What an effect may raise that its route handles; anything else is a bug and propagates.
_HANDLED = (WorkOSError, SignInRefused)


def run(steps: Steps, client: SSOClient, framework: Callable[[Effect], Any]) -> Response:
    """Run a route with a sync client; ``framework`` makes the effects that are not WorkOS's."""
    try:
        effect = next(steps)
        while True:
            try:
                value = _ask_workos(client, effect) if _is_workos(effect) else framework(effect)
            except _HANDLED as error:
                effect = steps.throw(error)
            else:
                effect = steps.send(value)
    except StopIteration as finished:
        answer: Response = finished.value
        return answer


async def run_async(
    steps: Steps,
    client: AsyncSSOClient,
    framework: Callable[[Effect], Union[Any, Awaitable[Any]]],
) -> Response:
    """Run a route with an async client; ``framework`` may return an awaitable."""
    try:
        effect = next(steps)
        while True:
            try:
                if _is_workos(effect):
                    value = await _ask_workos_async(client, effect)
                else:
                    value = framework(effect)
                    if inspect.isawaitable(value):
                        value = await value
            except _HANDLED as error:
                effect = steps.throw(error)
            else:
                effect = steps.send(value)
    except StopIteration as finished:
        answer: Response = finished.value
        return answer


def _is_workos(effect: Effect) -> bool:
    return isinstance(effect, (FindConnection, ExchangeCode, AuthorizeLogout))


def _ask_workos(client: SSOClient, effect: Effect) -> Any:
    if isinstance(effect, FindConnection):
        return find_connection_for_email(client, effect.email)
    if isinstance(effect, ExchangeCode):
        return client.get_profile_and_token(effect.code, code_verifier=effect.code_verifier)
    assert isinstance(effect, AuthorizeLogout)
    return client.authorize_logout(profile_id=effect.profile_id)


async def _ask_workos_async(client: AsyncSSOClient, effect: Effect) -> Any:
    if isinstance(effect, FindConnection):
        return await find_connection_for_email_async(client, effect.email)
    if isinstance(effect, ExchangeCode):
        return await client.get_profile_and_token(effect.code, code_verifier=effect.code_verifier)
    assert isinstance(effect, AuthorizeLogout)
    return await client.authorize_logout(profile_id=effect.profile_id)
