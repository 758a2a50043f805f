"""The lazy, auto-paging iterators behind ``list_connections``: ``Pager`` and ``AsyncPager``.

Both keep their place in the list with the same :class:`_Walk`, which knows which cursor to send
next and which cursors it has seen, and does no I/O; they differ only in how a page is fetched.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Callable, Generic, Optional, TypeVar, Union

from ._errors import PaginationError
from ._models import Page

__all__ = ["AsyncPager", "Pager"]

T = TypeVar("T")

#: Fetches one page given the ``before`` and ``after`` cursors to send.
FetchPage = Callable[[Optional[str], Optional[str]], Page[T]]
AsyncFetchPage = Callable[[Optional[str], Optional[str]], Awaitable[Page[T]]]
Cursors = tuple[Optional[str], Optional[str]]


class Pager(Iterator[T], Generic[T]):
    """Iterate over every item of a list, fetching each page only when it is reached.

    Nothing is requested until iteration starts, and only one page of items is held at a time
    (plus each page's cursor, a few dozen bytes, to recognise a looping server), so a walk over
    a hundred thousand connections uses the memory of one page. Like a generator it is consumed
    as it goes; ``pages()`` starts a walk of its own from the cursor the list was opened with.
    A walk that started with ``before=`` goes backwards, following ``before`` cursors; any other
    follows ``after``.

    When fetching a page fails (a ``NetworkError``, say), the error propagates and the pager
    stays where it was: iterating it again retries that page, so no item is skipped or repeated.

    Raises:
        PaginationError: the server returned a cursor it had already returned in this walk,
            which would otherwise loop forever.

    Example:
        ```python
        for connection in sso.list_connections(organization_id="org_123"):
            print(connection.name)

        for page in sso.list_connections(limit=20).pages():
            render(page.data, next_cursor=page.after)
        ```
    """

    __slots__ = ("_fetch", "_walk")

    def __init__(
        self, fetch: FetchPage[T], *, before: Optional[str] = None, after: Optional[str] = None
    ) -> None:
        self._fetch = fetch
        self._walk = _Walk[T](before=before, after=after)

    def __iter__(self) -> Pager[T]:
        return self

    def __next__(self) -> T:
        while not self._walk.items:
            cursors = self._walk.next_cursors()
            if cursors is None:
                raise StopIteration
            # A failed fetch raises here and leaves the walk where it was, ready to retry.
            self._walk.add(self._fetch(*cursors), keep_items=True)
        return self._walk.items.popleft()

    def __repr__(self) -> str:
        return f"<Pager {self._walk!r}>"

    def pages(self) -> Iterator[Page[T]]:
        """Iterate page by page, for a UI that shows one page and a link to the next.

        Each call starts a new walk from the cursor the list was opened with.

        Raises:
            PaginationError: the server repeated a cursor.
        """
        walk = self._walk.restart()
        while (cursors := walk.next_cursors()) is not None:
            yield walk.add(self._fetch(*cursors), keep_items=False)


class AsyncPager(AsyncIterator[T], Generic[T]):
    """The asynchronous [`Pager`][workos_sso.Pager]: ``async for`` over every item of a list.

    It behaves as ``Pager`` does (lazy, one page held at a time, both directions, the
    repeated-cursor guard, resumable after a failed fetch), with ``await`` where a page is
    fetched. ``pages()`` is an async iterator of pages.

    Raises:
        PaginationError: the server returned a cursor it had already returned in this walk.

    Example:
        ```python
        async for connection in sso.list_connections(organization_id="org_123"):
            print(connection.name)
        ```
    """

    __slots__ = ("_fetch", "_walk")

    def __init__(
        self,
        fetch: AsyncFetchPage[T],
        *,
        before: Optional[str] = None,
        after: Optional[str] = None,
    ) -> None:
        self._fetch = fetch
        self._walk = _Walk[T](before=before, after=after)

    def __aiter__(self) -> AsyncPager[T]:
        return self

    async def __anext__(self) -> T:
        while not self._walk.items:
            cursors = self._walk.next_cursors()
            if cursors is None:
                raise StopAsyncIteration
            self._walk.add(await self._fetch(*cursors), keep_items=True)
        return self._walk.items.popleft()

    def __repr__(self) -> str:
        return f"<AsyncPager {self._walk!r}>"

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Iterate page by page; each call starts a new walk from the opening cursor.

        Raises:
            PaginationError: the server repeated a cursor.
        """
        walk = self._walk.restart()
        while (cursors := walk.next_cursors()) is not None:
            yield walk.add(await self._fetch(*cursors), keep_items=False)


class _Walk(Generic[T]):
    """The position of one walk through a list: the cursor to send next, the cursors seen so
    far, and the items of the current page not yet handed out."""

    __slots__ = (
        "_backwards",
        "_cursors",
        "_done",
        "_looping",
        "_opening",
        "_seen",
        "items",
    )

    def __init__(self, *, before: Optional[str], after: Optional[str]) -> None:
        self._opening: Cursors = (before, after)
        self._backwards = before is not None and after is None
        self._cursors: Cursors = (before, after)
        self._done = False
        self._looping: Optional[PaginationError] = None
        # The opening cursor counts as seen: a server that leads back to it is looping too.
        opening = before if self._backwards else after
        self._seen: set[str] = set() if opening is None else {opening}
        self.items: deque[T] = deque()

    def __repr__(self) -> str:
        before, after = self._opening
        return f"before={before!r} after={after!r}"

    def restart(self) -> _Walk[T]:
        """A new walk from the same opening cursors."""
        before, after = self._opening
        return _Walk(before=before, after=after)

    def next_cursors(self) -> Optional[Cursors]:
        """The ``(before, after)`` cursors of the next page, or ``None`` after the last page."""
        if self._looping is not None:
            raise self._looping
        return None if self._done else self._cursors

    def add(self, page: Page[T], *, keep_items: bool) -> Page[T]:
        """Move past ``page``, the answer to the cursors :meth:`next_cursors` gave."""
        cursor: Union[str, None] = page.before if self._backwards else page.after
        if cursor is None:
            self._done = True
        elif cursor in self._seen:
            # The page itself is new; only the way on is not. Its items are delivered, and
            # the walk fails when asked for the page its cursor points to.
            self._looping = PaginationError(
                f"The server returned the page cursor {cursor!r} a second time; "
                "stopping instead of fetching the same pages forever."
            )
        else:
            self._seen.add(cursor)
            self._cursors = (cursor, None) if self._backwards else (None, cursor)
        if keep_items:
            self.items.extend(page.data)
        return page
