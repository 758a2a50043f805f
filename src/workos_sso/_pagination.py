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

    Nothing is requested until iteration starts, and only one page is held at a time, so a walk
    over a hundred thousand connections uses the memory of one page. Like a generator it is
    consumed as it goes; ``pages()`` starts a walk of its own from the cursor the list was
    opened with. A walk that started with ``before=`` goes backwards, following ``before``
    cursors; any other follows ``after``.

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

    __slots__ = ("_after", "_before", "_fetch", "_items")

    def __init__(
        self, fetch: FetchPage[T], *, before: Optional[str] = None, after: Optional[str] = None
    ) -> None:
        self._fetch = fetch
        self._before = before
        self._after = after
        self._items: Optional[Iterator[T]] = None

    def __iter__(self) -> Pager[T]:
        return self

    def __next__(self) -> T:
        if self._items is None:
            self._items = (item for page in self.pages() for item in page.data)
        return next(self._items)

    def __repr__(self) -> str:
        return f"<Pager before={self._before!r} after={self._after!r}>"

    def pages(self) -> Iterator[Page[T]]:
        """Iterate page by page, for a UI that shows one page and a link to the next.

        Each call starts a new walk from the cursor the list was opened with.

        Raises:
            PaginationError: the server repeated a cursor.
        """
        backwards = self._before is not None and self._after is None
        before, after = self._before, self._after
        # The opening cursor counts as seen: a server that leads back to it is looping too.
        opening = before if backwards else after
        seen: set[str] = set() if opening is None else {opening}
        while True:
            page = self._fetch(before, after)
            yield page
            cursor = page.before if backwards else page.after
            if cursor is None:
                return
            if cursor in seen or cursor == (before if backwards else after):
                raise PaginationError(
                    f"The server returned the page cursor {cursor!r} a second time; "
                    "stopping instead of fetching the same pages forever."
                )
            seen.add(cursor)
            if backwards:
                before, after = cursor, None
            else:
                before, after = None, cursor
