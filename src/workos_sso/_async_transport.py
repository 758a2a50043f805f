"""The asynchronous transport: sends a protocol ``Request`` through ``aiohttp`` and hands back a
``Response`` or a ``Fault``, as the synchronous one does through ``requests``.

Imported only by ``AsyncSSOClient``, and only when one is created, so neither ``aiohttp`` nor
``asyncio`` is loaded by ``import workos_sso``. It knows nothing of WorkOS, models or retries.
"""

from __future__ import annotations

import asyncio
import copy
import urllib.request
from collections.abc import Mapping
from typing import Any, Optional
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from ._config import POOL_SIZE
from ._errors import ConfigurationError
from ._wire import Action, BodyReader, Fault, FaultKind, Outcome, Pause, Request

__all__ = ["AsyncTransport", "library_version"]

_CHUNK_BYTES = 64 * 1024


async def _sleep(seconds: float) -> None:
    """How a ``Pause`` is waited out: looked up on each pause, so the offline tests can take the
    protocol's pauses on a fake clock instead of the event loop's."""
    await asyncio.sleep(seconds)


def library_version() -> str:
    return f"aiohttp/{aiohttp.__version__}"


class _Pool:
    """The aiohttp session behind a client and every client ``with_options`` made from it."""

    __slots__ = ("closed", "loop", "owned", "session")

    def __init__(self, session: Optional[aiohttp.ClientSession]) -> None:
        self.session = session
        self.owned = session is None
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.closed = False

    def session_for_this_loop(self, timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
        """The session to send through, made on first use with ``timeout`` as its default."""
        if self.closed:
            raise ConfigurationError("This AsyncSSOClient is closed; create a new client.")
        loop = asyncio.get_running_loop()
        if self.loop is None:
            self.loop = loop
        elif loop is not self.loop:
            raise ConfigurationError(
                "An AsyncSSOClient belongs to the event loop it first ran in; "
                "create one client per event loop."
            )
        if self.session is None:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=POOL_SIZE, limit_per_host=POOL_SIZE),
                cookie_jar=aiohttp.DummyCookieJar(),  # an API client keeps no cookies
                trust_env=False,
                timeout=timeout,
            )
            # aiohttp resends an idempotent request once by itself when a kept-alive connection
            # drops. The protocol's retry policy decides every retry (max_retries=0 is one
            # attempt, and each attempt is logged), so aiohttp's own is turned off.
            session._retry_connection = False
            self.session = session
        return self.session

    async def close(self) -> None:
        self.closed = True
        if self.owned and self.session is not None:
            await self.session.close()


class AsyncTransport:
    """Sends requests to one base URL through a bounded ``aiohttp`` connection pool.

    The pool is made on the first request, inside the event loop that sends it (aiohttp binds
    a session to its loop); a request from any other loop is refused.
    """

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        timeout: tuple[float, float],
        session: Optional[aiohttp.ClientSession] = None,
    ) -> None:
        self.base_url = base_url
        self._headers = dict(headers)
        # Only the socket steps are timed: a call that waits for a free connection in a full
        # pool is queued, not failed, so a burst of calls finishes instead of timing out.
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=timeout[0], sock_read=timeout[1]
        )
        self._pool = _Pool(session)
        self._closes_pool = True
        # Read once, as the synchronous transport does: aiohttp's trust_env would look the proxy
        # up on every request, and would let a ~/.netrc entry replace the API key.
        self._proxy = _environment_proxy(base_url)

    def view(self, timeout: tuple[float, float]) -> AsyncTransport:
        """A transport on the same pool with another timeout; closing it leaves the pool open."""
        other = copy.copy(self)
        other._timeout = aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=timeout[0], sock_read=timeout[1]
        )
        other._closes_pool = False
        return other

    async def close(self) -> None:
        if self._closes_pool:
            await self._pool.close()

    async def perform(self, action: Action) -> Optional[Outcome]:
        """Send a request, or take a pause; what ``_protocol.exchange`` asks for next."""
        if isinstance(action, Pause):
            await _sleep(action.seconds)
            return None
        return await self.send(action)

    async def send(self, request: Request) -> Outcome:
        session = self._pool.session_for_this_loop(self._timeout)
        headers = {**self._headers, **request.headers} if request.headers else self._headers
        options: dict[str, Any] = {}
        if session.timeout is not self._timeout:  # a caller's session, or with_options
            options["timeout"] = self._timeout
        if self._proxy is not None:
            options["proxy"] = self._proxy
        try:
            async with session.request(
                request.method,
                # Already percent-encoded by the protocol: yarl would otherwise decode the
                # characters a path may hold (";", "=", ...), unlike the sync client.
                URL(self.base_url + request.path, encoded=True),
                params=request.params,
                data=request.body,
                headers=headers,
                allow_redirects=False,
                **options,
            ) as response:
                # Leaving this block before the body is read whole (too large, cancelled)
                # closes the connection instead of returning it to the pool half-read.
                body = BodyReader(response.status, response.content_length)
                declared = response.content_length
                if body.wants_more and declared != 0:
                    if declared is not None:
                        # One read for a body of known length (the API's usual answer).
                        body.add(await response.content.readexactly(declared))
                    else:
                        async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
                            if not body.add(chunk):
                                break
                return body.outcome(response.reason or "", response.headers)
        except aiohttp.ClientError as exc:
            return _fault(exc)
        except asyncio.IncompleteReadError:
            return Fault(FaultKind.BROKEN, "the connection broke while the response was being read")
        except asyncio.TimeoutError as exc:  # raised by aiohttp for a sock_read timeout
            return Fault(FaultKind.READ_TIMEOUT, str(exc))


def _fault(exc: aiohttp.ClientError) -> Fault:
    """What kind of failure an aiohttp exception is, in the protocol's terms."""
    # A parse error's str() starts with aiohttp's own "400, message=...", which is not the
    # server's status; its message alone says what was wrong.
    detail = getattr(exc, "message", None) if isinstance(exc, aiohttp.ClientResponseError) else None
    detail = str(detail or exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return Fault(FaultKind.CONNECT_TIMEOUT, detail)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return Fault(FaultKind.READ_TIMEOUT, detail)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, or the name did not resolve
        return Fault(FaultKind.CONNECT, detail)
    if isinstance(exc, aiohttp.ClientPayloadError) and "content-encoding" in detail.lower():
        return Fault(FaultKind.UNDECODABLE, detail)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return Fault(FaultKind.BROKEN, "the connection broke while the response was being read")
    return Fault(FaultKind.BROKEN, detail)


def _environment_proxy(base_url: str) -> Optional[str]:
    host = urlsplit(base_url).hostname or ""
    if urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies().get(urlsplit(base_url).scheme)
