"""``AsyncSSOClient``: the same client for asyncio apps, on the ``[async]`` extra (aiohttp).

Loaded on first use of ``workos_sso.AsyncSSOClient``; ``import workos_sso`` imports neither this
module nor ``asyncio``. Each method builds the same ``_protocol`` call as ``SSOClient`` does and
awaits it through the asynchronous transport, so both clients send the same requests, retry the
same way and raise the same errors.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Optional, TypeVar, Union

from ._base_client import BaseClient
from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_LEEWAY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    ClientOptions,
    Timeout,
    check_leeway,
)
from ._errors import ConfigurationError, WorkOSError
from ._models import (
    AccessTokenClaims,
    Connection,
    ConnectionType,
    LogoutAuthorization,
    Order,
    Profile,
    ProfileAndToken,
)
from ._pagination import AsyncPager
from ._protocol import Call

if TYPE_CHECKING:
    import aiohttp

    from ._async_transport import AsyncTransport
    from ._tokens import TokenVerifier

__all__ = ["AsyncSSOClient"]

T = TypeVar("T")

INSTALL_HINT = "pip install 'workos-sso[async]'"


class AsyncSSOClient(BaseClient):
    """The asynchronous client: [`SSOClient`][workos_sso.SSOClient]'s methods as coroutines.

    Every method that talks to the API is a coroutine with the same name, arguments, result
    and errors as on ``SSOClient``; the URL builders are the same plain methods, and
    ``list_connections`` returns an [`AsyncPager`][workos_sso.AsyncPager] to ``async for``
    over. It needs the ``async`` extra: ``pip install 'workos-sso[async]'``.

    A client holds a pool of at most 32 connections, made in the event loop of its first
    request; use one client per event loop (one per process in a typical ASGI app), and close
    it with ``await sso.aclose()`` or ``async with``. A call that is cancelled leaves no
    connection checked out of the pool.

    Args:
        api_key: the WorkOS API key (``sk_test_...`` or ``sk_live_...``); leave it out for a
            public client, as with ``SSOClient``.
        client_id: the WorkOS client id (``client_...``).
        base_url: the API's root; point it at ``workos emulate`` for local development.
        timeout: seconds to wait, either one number for connecting and reading, or a
            ``(connect, read)`` pair. The default is 5 seconds to connect and 30 to read.
        max_retries: how many times a failed request may be retried (0 turns retries off).
        max_retry_wait: the longest the client waits before a retry, in seconds; a longer
            ``Retry-After`` raises [`RateLimitError`][workos_sso.RateLimitError] at once.
        http_client: an ``aiohttp.ClientSession`` of your own to send requests through (for
            a proxy or custom TLS); it stays open on [`aclose`][workos_sso.AsyncSSOClient.aclose].

    Raises:
        ConfigurationError: an option is malformed, or the ``async`` extra is not installed.

    Example:
        ```python
        async with AsyncSSOClient.from_env() as sso:
            connection = await sso.get_connection("conn_123")
            async for connection in sso.list_connections(domain="foo-corp.com"):
                print(connection.name)
        ```
    """

    _transport: AsyncTransport

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        client_id: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        http_client: Optional[aiohttp.ClientSession] = None,
    ) -> None:
        options = ClientOptions.check(
            api_key=api_key,
            client_id=client_id,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
        )
        try:
            from . import _async_transport
        except ImportError as exc:
            if not (exc.name or "").startswith("aiohttp"):
                raise
            raise ConfigurationError(
                f"AsyncSSOClient needs the async extra: {INSTALL_HINT}"
            ) from None
        self._set_up(
            options,
            http_library=_async_transport.library_version(),
            transport=lambda headers: _async_transport.AsyncTransport(
                base_url=options.base_url,
                headers=headers,
                timeout=options.timeout,
                session=http_client,
            ),
        )

    async def __aenter__(self) -> AsyncSSOClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client's pooled connections (an ``http_client`` passed in stays open)."""
        await self._transport.close()

    async def _run(self, call: Call[T]) -> T:
        # The same driver as SSOClient._run, awaiting the transport.
        steps = self._protocol.run(call)
        action = next(steps)
        while True:
            try:
                action = steps.send(await self._transport.perform(action))
            except StopIteration as finished:
                return finished.value  # type: ignore[no-any-return]

    def with_options(
        self,
        *,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        max_retry_wait: Optional[float] = None,
    ) -> AsyncSSOClient:
        """A client with other timeout or retry options, sharing this one's pool and credentials.

        See [`SSOClient.with_options`][workos_sso.SSOClient.with_options].
        """
        return self._with_options(
            timeout=timeout, max_retries=max_retries, max_retry_wait=max_retry_wait
        )

    async def get_profile_and_token(
        self, code: str, *, code_verifier: Optional[str] = None
    ) -> ProfileAndToken:
        """Exchange the authorization code from the callback for the user's profile and token.

        See [`SSOClient.get_profile_and_token`][workos_sso.SSOClient.get_profile_and_token].
        """
        return await self._run(self._protocol.profile_and_token(code, code_verifier))

    async def get_profile(self, access_token: str) -> Profile:
        """Fetch the profile an access token belongs to.

        See [`SSOClient.get_profile`][workos_sso.SSOClient.get_profile].
        """
        return await self._run(self._protocol.profile(access_token))

    async def verify_access_token(
        self, access_token: str, *, leeway: float = DEFAULT_LEEWAY
    ) -> AccessTokenClaims:
        """Check a user's access token offline, against the client's key set (JWKS).

        See [`SSOClient.verify_access_token`][workos_sso.SSOClient.verify_access_token]. Only
        the key set is awaited, and verifications that start while it is being fetched all
        wait for that one fetch.
        """
        verifier = self._token_verifier()
        leeway = check_leeway(leeway)
        unverified = verifier.parse(access_token)  # a malformed token never causes a fetch
        if verifier.needs_fetch(unverified.kid):
            import asyncio

            if verifier.pending is None:
                verifier.pending = asyncio.ensure_future(self._fetch_jwks(verifier))
            # Shielded: a caller that is cancelled does not cancel the others' fetch.
            await asyncio.shield(verifier.pending)
        return verifier.finish(unverified, leeway=leeway)

    async def _fetch_jwks(self, verifier: TokenVerifier) -> None:
        verifier.fetching()
        try:
            keys = await self._run(self._protocol.jwks())
        except WorkOSError as error:
            verifier.fetch_failed(error)
        else:
            verifier.store(keys)
        finally:
            verifier.pending = None

    def list_connections(
        self,
        *,
        connection_type: Union[ConnectionType, str, None] = None,
        domain: Optional[str] = None,
        organization_id: Optional[str] = None,
        search: Optional[str] = None,
        limit: Optional[int] = None,
        before: Optional[str] = None,
        after: Optional[str] = None,
        order: Union[Order, str, None] = None,
    ) -> AsyncPager[Connection]:
        """List connections matching every filter given, fetching pages as iteration needs them.

        A plain method: it returns an [`AsyncPager`][workos_sso.AsyncPager] at once, and pages
        are fetched as ``async for`` reaches them. The filters are those of
        [`SSOClient.list_connections`][workos_sso.SSOClient.list_connections].
        """
        listing = self._protocol.list_connections(
            connection_type=connection_type,
            domain=domain,
            organization_id=organization_id,
            search=search,
            limit=limit,
            before=before,
            after=after,
            order=order,
        )
        return AsyncPager(
            lambda page_before, page_after: self._run(listing.page(page_before, page_after)),
            before=listing.before,
            after=listing.after,
        )

    async def get_connection(self, connection_id: str) -> Connection:
        """Fetch one connection by id.

        See [`SSOClient.get_connection`][workos_sso.SSOClient.get_connection].
        """
        return await self._run(self._protocol.connection(connection_id))

    async def delete_connection(self, connection_id: str) -> None:
        """Delete a connection. Its users can no longer sign in through it.

        See [`SSOClient.delete_connection`][workos_sso.SSOClient.delete_connection].
        """
        await self._run(self._protocol.delete_connection(connection_id))

    async def authorize_logout(self, *, profile_id: str) -> LogoutAuthorization:
        """Start single logout for a profile: returns the URL to send the user's browser to.

        See [`SSOClient.authorize_logout`][workos_sso.SSOClient.authorize_logout].
        """
        return await self._run(self._protocol.authorize_logout(profile_id))
