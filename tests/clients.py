"""Run one test body against both clients: ``SSOClient`` and ``AsyncSSOClient``.

A test (or a whole module, with ``pytestmark = pytest.mark.usefixtures("client_kind")``) that
asks for the ``client_kind`` fixture runs twice, once per kind. Every client it then makes with
:func:`make_client` (directly, or through ``loopback.client_for`` and the ``sso`` fixture) is of
that kind. An async client comes wrapped in :class:`BlockingAsyncClient`, which runs each of
its coroutines to completion on an event loop of its own, so the same synchronous test body
reads the same results and catches the same exceptions from both.

The wrapper only waits for coroutines: the request, the retries, the errors and the paging are
all the async client's own. Tests of what only an async client does (cancellation, ``async
for``, concurrency on one loop) live in ``test_async.py``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Coroutine, Iterator
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar, Union

import pytest

from workos_sso import AsyncPager, AsyncSSOClient, Page, SSOClient

__all__ = ["CLIENT_KINDS", "BlockingAsyncClient", "client_kind", "current_kind", "make_client"]

T = TypeVar("T")
CLIENT_KINDS = ("sync", "async")
_current = ["sync"]


def current_kind() -> str:
    """``"sync"`` or ``"async"``: the kind of client this test makes."""
    return _current[0]


@pytest.fixture(params=CLIENT_KINDS)
def client_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test once with each kind of client; ``make_client`` then makes that kind."""
    _current[0] = request.param
    try:
        yield request.param
    finally:
        _current[0] = "sync"


def make_client(**options: Any) -> Union[SSOClient, BlockingAsyncClient]:
    """A client of the current kind with these constructor options."""
    if current_kind() == "async":
        return BlockingAsyncClient(**options)
    return SSOClient(**options)


class BlockingAsyncClient:
    """An ``AsyncSSOClient`` whose coroutine methods block until done, for shared test bodies."""

    def __init__(self, **options: Any) -> None:
        self.client = AsyncSSOClient(**options)  # first: a refused option leaves no loop open
        self.loop = asyncio.new_event_loop()

    def wait(self, awaitable: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if name == "list_connections":
            return lambda *args, **kwargs: BlockingPager(self, attribute(*args, **kwargs))
        if inspect.iscoroutinefunction(attribute):
            return lambda *args, **kwargs: self.wait(attribute(*args, **kwargs))
        return attribute

    def __repr__(self) -> str:
        return repr(self.client)

    def close(self) -> None:
        if not self.loop.is_closed():
            self.wait(self.client.aclose())
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
        while True:
            try:
                yield self._owner.wait(_anext(pages))
            except StopAsyncIteration:
                return


async def _anext(iterator: AsyncIterator[T]) -> T:
    return await iterator.__anext__()


def run(function: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
    """Run a coroutine function to completion on a new event loop (for async-only tests)."""
    return asyncio.run(function(*args, **kwargs))
