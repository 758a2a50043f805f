"""The lazy, auto-paging iterator behind ``SSOClient.list_connections``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Callable, Generic, Optional, TypeVar

from ._errors import PaginationError
from ._models import Page

__all__ = ["Pager"]

T = TypeVar("T")

#: Fetches one page given the ``before`` and ``after`` cursors to send.
FetchPage = Callable[[Optional[str], Optional[str]], Page[T]]


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

    __slots__ = ("_after", "_before", "_fetch", "_items", "_walk")

    def __init__(
        self, fetch: FetchPage[T], *, before: Optional[str] = None, after: Optional[str] = None
    ) -> None:
        self._fetch = fetch
        self._before = before
        self._after = after
        self._walk: Optional[_Walk[T]] = None
        self._items: Iterator[T] = iter(())

    def __iter__(self) -> Pager[T]:
        return self

    def __next__(self) -> T:
        while True:
            for item in self._items:
                return item
            if self._walk is None:
                self._walk = _Walk(self._fetch, before=self._before, after=self._after)
            # A failed fetch raises here and leaves the walk where it was, ready to retry.
            page = self._walk.next_page()
            if page is None:
                raise StopIteration
            self._items = iter(page.data)

    def __repr__(self) -> str:
        return f"<Pager before={self._before!r} after={self._after!r}>"

    def pages(self) -> Iterator[Page[T]]:
        """Iterate page by page, for a UI that shows one page and a link to the next.

        Each call starts a new walk from the cursor the list was opened with.

        Raises:
            PaginationError: the server repeated a cursor.
        """
        walk = _Walk(self._fetch, before=self._before, after=self._after)
        while True:
            page = walk.next_page()
            if page is None:
                return
            yield page


class _Walk(Generic[T]):
    """The position of one walk through a list: which cursor to send next, and those seen."""

    __slots__ = ("_after", "_backwards", "_before", "_done", "_fetch", "_looping", "_seen")

    def __init__(self, fetch: FetchPage[T], *, before: Optional[str], after: Optional[str]) -> None:
        self._fetch = fetch
        self._backwards = before is not None and after is None
        self._before = before
        self._after = after
        self._done = False
        self._looping: Optional[PaginationError] = None
        # The opening cursor counts as seen: a server that leads back to it is looping too.
        opening = before if self._backwards else after
        self._seen: set[str] = set() if opening is None else {opening}

    def next_page(self) -> Optional[Page[T]]:
        """Fetch the next page, or return ``None`` once the last page has been returned."""
        if self._looping is not None:
            raise self._looping
        if self._done:
            return None
        page = self._fetch(self._before, self._after)
        cursor = page.before if self._backwards else page.after
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
            if self._backwards:
                self._before, self._after = cursor, None
            else:
                self._before, self._after = None, cursor
        return page
