"""Run one test body against both clients: ``SSOClient`` and ``AsyncSSOClient``.

A test (or a whole module, with ``pytestmark = pytest.mark.usefixtures("client_kind")``) that
asks for the ``client_kind`` fixture runs twice, once per kind. The kind reaches the clients
through fixtures only: :func:`make_client` is given it, the ``loopback`` fixture hands it to the
server, so that ``loopback.client_for(loopback)`` makes that kind, and the ``sso`` fixture
makes that kind; a test that asks for no kind gets the synchronous client. An async client
comes wrapped in :class:`BlockingAsyncClient`, which runs each of its coroutines to completion
on an event loop of its own, so the same synchronous test body reads the same results and
catches the same exceptions from both.

The wrapper only waits for coroutines: the request, the retries, the errors and the paging are
all the async client's own. Tests of what only an async client does (cancellation, ``async
for``, concurrency on one loop) live in ``test_async.py``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Coroutine, Iterator
from types import TracebackType
from typing import Any, Optional, TypeVar, Union

import pytest

from workos_sso import (
    AsyncPager,
    AsyncSSOClient,
    Connection,
    Page,
    SignInResult,
    SignInStart,
    SSOClient,
    find_connection_for_email,
    find_connection_for_email_async,
    handle_callback,
    handle_callback_async,
    start_sign_in,
    start_sign_in_async,
)

__all__ = [
    "CLIENT_KINDS",
    "BlockingAsyncClient",
    "Client",
    "begin",
    "client_kind",
    "find",
    "handle",
    "kind_of",
    "make_client",
]

T = TypeVar("T")
CLIENT_KINDS = ("sync", "async")


@pytest.fixture(params=CLIENT_KINDS)
def client_kind(request: pytest.FixtureRequest) -> str:
    """``"sync"`` or ``"async"``: runs the test once with each kind of client."""
    kind: str = request.param
    return kind


def kind_of(request: pytest.FixtureRequest) -> str:
    """The kind of client a fixture should make for the test that asked for it."""
    if "client_kind" in request.fixturenames:
        kind: str = request.getfixturevalue("client_kind")
        return kind
    return "sync"


def make_client(kind: str = "sync", /, **options: Any) -> Union[SSOClient, BlockingAsyncClient]:
    """A client of ``kind`` (``client_kind``'s value) with these constructor options."""
    if kind == "async":
        return BlockingAsyncClient(**options)
    return SSOClient(**options)


class BlockingAsyncClient:
    """An ``AsyncSSOClient`` whose coroutine methods block until done, for shared test bodies."""

    def __init__(self, **options: Any) -> None:
        self.client = AsyncSSOClient(**options)  # first: a refused option leaves no loop open
        self.loop = asyncio.new_event_loop()
        self._owns_loop = True

    @classmethod
    def around(cls, client: AsyncSSOClient) -> BlockingAsyncClient:
        """A wrapper for a client made some other way (``from_env``), on a loop of its own."""
        wrapper = object.__new__(cls)
        wrapper.client, wrapper.loop, wrapper._owns_loop = client, asyncio.new_event_loop(), True
        return wrapper

    def _derived(self, client: AsyncSSOClient) -> BlockingAsyncClient:
        """A wrapper for a client made from this one (``with_options``), on the same loop."""
        derived = object.__new__(BlockingAsyncClient)
        derived.client, derived.loop, derived._owns_loop = client, self.loop, False
        return derived

    def wait(self, awaitable: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if name == "list_connections":
            return lambda *args, **kwargs: BlockingPager(self, attribute(*args, **kwargs))
        if name == "with_options":
            return lambda *args, **kwargs: self._derived(attribute(*args, **kwargs))
        if inspect.iscoroutinefunction(attribute):
            return lambda *args, **kwargs: self.wait(attribute(*args, **kwargs))
        return attribute

    def __repr__(self) -> str:
        return repr(self.client)

    def close(self) -> None:
        if not self.loop.is_closed():
            self.wait(self.client.aclose())
            if self._owns_loop:
                self.loop.close()

    def __enter__(self) -> BlockingAsyncClient:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()


class BlockingPager(Iterator[T]):
    """An ``AsyncPager`` iterated synchronously: each item is awaited on the client's loop."""

    def __init__(self, owner: BlockingAsyncClient, pager: AsyncPager[T]) -> None:
        self._owner = owner
        self.pager = pager

    def __iter__(self) -> BlockingPager[T]:
        return self

    def __next__(self) -> T:
        try:
            return self._owner.wait(_anext(self.pager))
        except StopAsyncIteration:
            raise StopIteration from None

    def __repr__(self) -> str:
        return repr(self.pager)

    def pages(self) -> Iterator[Page[T]]:
        pages = self.pager.pages()
        try:
            while True:
                try:
                    page = self._owner.wait(_anext(pages))
                except StopAsyncIteration:
                    return
                yield page
        finally:
            # Closed here, on the client's loop, when the test drops this iterator: left to the
            # garbage collector, the async generator's aclose() would find that loop closed.
            if not self._owner.loop.is_closed():
                self._owner.wait(pages.aclose())


async def _anext(iterator: AsyncIterator[T]) -> T:
    return await iterator.__anext__()


Client = Union[SSOClient, BlockingAsyncClient]


def handle(sso: Client, query: Any, **options: Any) -> SignInResult:
    """``handle_callback``, or ``handle_callback_async`` with the async client itself."""
    if isinstance(sso, BlockingAsyncClient):
        return sso.wait(handle_callback_async(sso.client, query, **options))
    return handle_callback(sso, query, **options)


def begin(sso: Client, **options: Any) -> SignInStart:
    """``start_sign_in``, or ``start_sign_in_async`` with the async client itself."""
    if isinstance(sso, BlockingAsyncClient):
        return sso.wait(start_sign_in_async(sso.client, **options))
    return start_sign_in(sso, **options)


def find(sso: Client, email: Any) -> Connection:
    """``find_connection_for_email``, or its async twin with the async client itself."""
    if isinstance(sso, BlockingAsyncClient):
        return sso.wait(find_connection_for_email_async(sso.client, email))
    return find_connection_for_email(sso, email)
