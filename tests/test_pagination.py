"""``Pager`` and ``AsyncPager`` against an in-memory list of pages: laziness, cursors,
direction, loops, memory.

The fetch function stands in for the HTTP call; it records every (before, after) pair it is
asked for, so the tests can count requests and check which cursor each one carried. Every test
runs once per kind of client (the ``client_kind`` fixture): with a ``Pager`` over the fetch
function, and with an ``AsyncPager`` over a coroutine that calls it, iterated through the same
blocking wrapper the async client's pagers get in the other test modules.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Callable, Optional, Union, cast

import attrs
import pytest

from tests.clients import BlockingAsyncClient, BlockingPager
from workos_sso import AsyncPager, Page, Pager, PaginationError, WorkOSError

pytestmark = pytest.mark.usefixtures("client_kind")


@attrs.define
class Item:
    """A list item; a class (not an int) so its lifetime can be watched with weakrefs."""

    number: int


@attrs.define
class FakeList:
    """An in-memory list API: pages keyed by the cursor that leads to them."""

    #: page number -> (item numbers, before cursor, after cursor)
    pages: Mapping[int, tuple[Sequence[int], Optional[str], Optional[str]]]
    calls: list[tuple[Optional[str], Optional[str]]] = attrs.field(factory=list)

    def fetch(self, before: Optional[str], after: Optional[str]) -> Page[Item]:
        self.calls.append((before, after))
        cursor = before if before is not None else after
        number = 0 if cursor is None else int(cursor.rsplit("_", 1)[1])
        items, page_before, page_after = self.pages[number]
        return Page(data=tuple(Item(n) for n in items), before=page_before, after=page_after)


Fetch = Callable[[Optional[str], Optional[str]], Page["Item"]]
AnyPager = Union[Pager["Item"], BlockingPager["Item"]]
MakePager = Callable[..., AnyPager]


class _Loop:
    """What ``BlockingPager`` needs of its owner: a ``wait`` that runs a coroutine to its end."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def wait(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)


@pytest.fixture
def make_pager(client_kind: str) -> Iterator[MakePager]:
    """``make_pager(fetch, before=..., after=...)``: a ``Pager``, or a blocking ``AsyncPager``."""
    if client_kind == "sync":
        yield Pager
        return
    owner = _Loop()

    def make(fetch: Fetch, **cursors: Optional[str]) -> AnyPager:
        async def fetch_async(before: Optional[str], after: Optional[str]) -> Page[Item]:
            await asyncio.sleep(0)  # a real suspension, as an HTTP call has
            return fetch(before, after)

        pager = AsyncPager(fetch_async, **cursors)
        return BlockingPager(cast(BlockingAsyncClient, owner), pager)

    yield make
    owner.loop.close()


def _own(pager: AnyPager) -> Union[Pager[Item], AsyncPager[Item]]:
    """The library's pager itself: the ``AsyncPager`` inside a blocking wrapper."""
    return pager.pager if isinstance(pager, BlockingPager) else pager


def forward_fixture(sizes: Sequence[int]) -> FakeList:
    """A list of ``len(sizes)`` pages walked forwards: page k's ``after`` is ``cursor_{k+1}``."""
    pages = {}
    first = 0
    for number, size in enumerate(sizes):
        after = f"cursor_{number + 1}" if number + 1 < len(sizes) else None
        before = f"cursor_{number - 1}" if number > 0 else None
        pages[number] = (range(first, first + size), before, after)
        first += size
    return FakeList(pages)


def test_several_pages_are_walked_in_order(make_pager: MakePager) -> None:
    api = forward_fixture([3, 3, 2])
    assert [item.number for item in make_pager(api.fetch)] == list(range(8))
    assert api.calls == [(None, None), (None, "cursor_1"), (None, "cursor_2")]


def test_one_page(make_pager: MakePager) -> None:
    api = forward_fixture([4])
    assert [item.number for item in make_pager(api.fetch)] == [0, 1, 2, 3]
    assert api.calls == [(None, None)]


def test_empty_list_makes_one_request_and_yields_nothing(make_pager: MakePager) -> None:
    api = forward_fixture([0])
    assert list(make_pager(api.fetch)) == []
    assert api.calls == [(None, None)]


def test_empty_page_in_the_middle_is_stepped_over(make_pager: MakePager) -> None:
    api = forward_fixture([2, 0, 1])
    assert [item.number for item in make_pager(api.fetch)] == [0, 1, 2]
    assert len(api.calls) == 3


def test_pages_expose_items_and_cursors(make_pager: MakePager) -> None:
    api = forward_fixture([2, 2, 1])
    pages = list(make_pager(api.fetch).pages())
    assert [[item.number for item in page.data] for page in pages] == [[0, 1], [2, 3], [4]]
    assert [(page.before, page.after) for page in pages] == [
        (None, "cursor_1"),
        ("cursor_0", "cursor_2"),
        ("cursor_1", None),
    ]


def test_starting_after_a_cursor_sends_it_first(make_pager: MakePager) -> None:
    api = forward_fixture([2, 2, 1])
    assert [item.number for item in make_pager(api.fetch, after="cursor_1")] == [2, 3, 4]
    assert api.calls[0] == (None, "cursor_1")


def test_nothing_is_fetched_before_iteration(make_pager: MakePager) -> None:
    api = forward_fixture([2, 2])
    pager = make_pager(api.fetch)
    pages = pager.pages()
    own = _own(pager)
    own_pages = own.pages()  # the Pager's or the AsyncPager's own, not the blocking wrapper's
    assert api.calls == []
    repr(pager)
    iter(pager)
    if isinstance(own, AsyncPager):
        own.__aiter__()
    assert api.calls == []
    next(pages)
    assert len(api.calls) == 1
    del own_pages


def test_next_page_is_fetched_only_when_reached(make_pager: MakePager) -> None:
    api = forward_fixture([2, 2, 2])
    pager = make_pager(api.fetch)
    assert next(pager).number == 0
    assert len(api.calls) == 1
    assert next(pager).number == 1
    assert len(api.calls) == 1  # the second item still comes from the first page
    assert next(pager).number == 2
    assert len(api.calls) == 2
    assert [item.number for item in pager] == [3, 4, 5]
    assert len(api.calls) == 3
    with pytest.raises(StopIteration):
        next(pager)
    assert len(api.calls) == 3  # an exhausted pager does not ask again


def test_pages_are_fetched_one_at_a_time(make_pager: MakePager) -> None:
    api = forward_fixture([1, 1, 1, 1])
    pages = make_pager(api.fetch).pages()
    for expected_calls in (1, 2, 3, 4):
        next(pages)
        assert len(api.calls) == expected_calls
    with pytest.raises(StopIteration):
        next(pages)


def test_pager_is_its_own_iterator_and_is_consumed(make_pager: MakePager) -> None:
    api = forward_fixture([2, 1])
    pager = make_pager(api.fetch)
    own = _own(pager)
    if isinstance(own, AsyncPager):
        assert own.__aiter__() is own
    else:
        assert iter(own) is own
    assert len(list(pager)) == 3
    assert list(pager) == []


def test_pages_starts_a_fresh_walk_from_the_opening_cursor(make_pager: MakePager) -> None:
    api = forward_fixture([1, 1])
    pager = make_pager(api.fetch, after="cursor_1")
    assert [[i.number for i in page.data] for page in pager.pages()] == [[1]]
    assert [[i.number for i in page.data] for page in pager.pages()] == [[1]]
    assert api.calls == [(None, "cursor_1"), (None, "cursor_1")]


def backward_fixture() -> FakeList:
    """Three pages, newest last; a walk that starts before cursor_3 goes 2 -> 1 -> 0."""
    return FakeList(
        {
            2: ([20, 21], "cursor_1", "cursor_3"),
            1: ([10, 11], "cursor_0", "cursor_2"),
            0: ([0, 1], None, "cursor_1"),
        }
    )


def test_starting_with_before_walks_backwards_along_before_cursors(make_pager: MakePager) -> None:
    api = backward_fixture()
    pages = list(make_pager(api.fetch, before="cursor_2").pages())
    assert [[item.number for item in page.data] for page in pages] == [[20, 21], [10, 11], [0, 1]]
    # Each request carries only a `before` cursor, never the page's `after`.
    assert api.calls == [("cursor_2", None), ("cursor_1", None), ("cursor_0", None)]


def test_backward_walk_stops_at_a_null_before_even_if_after_is_set(make_pager: MakePager) -> None:
    api = backward_fixture()
    assert [item.number for item in make_pager(api.fetch, before="cursor_0")] == [0, 1]
    assert api.calls == [("cursor_0", None)]


def test_forward_walk_ignores_before_cursors(make_pager: MakePager) -> None:
    # A single page with a `before` cursor: a forward walk must stop at its null `after`.
    api = FakeList({0: ([0, 1], "cursor_9", None)})
    assert [item.number for item in make_pager(api.fetch)] == [0, 1]
    assert api.calls == [(None, None)]


def test_immediately_repeated_cursor_raises_pagination_error(make_pager: MakePager) -> None:
    api = FakeList({0: ([1], None, "cursor_1"), 1: ([2], "cursor_0", "cursor_1")})
    pager = make_pager(api.fetch)
    assert next(pager).number == 1
    assert next(pager).number == 2
    with pytest.raises(PaginationError) as caught:
        next(pager)
    assert "cursor_1" in str(caught.value)
    assert isinstance(caught.value, WorkOSError)
    assert len(api.calls) == 2


def test_server_echoing_the_starting_cursor_raises_pagination_error(make_pager: MakePager) -> None:
    api = FakeList({1: ([5], None, "cursor_1")})
    with pytest.raises(PaginationError):
        list(make_pager(api.fetch, after="cursor_1"))
    assert api.calls == [(None, "cursor_1")]


def test_cycle_between_two_cursors_raises_pagination_error(make_pager: MakePager) -> None:
    # A -> B -> A: page 0 says next is 1, page 1 says next is 2, page 2 points back to 1.
    api = FakeList(
        {
            0: ([0], None, "cursor_1"),
            1: ([1], "cursor_0", "cursor_2"),
            2: ([2], "cursor_1", "cursor_1"),
        }
    )
    pager = make_pager(api.fetch)
    assert [next(pager).number for _ in range(3)] == [0, 1, 2]
    with pytest.raises(PaginationError):
        next(pager)
    assert api.calls == [(None, None), (None, "cursor_1"), (None, "cursor_2")]


def test_cycle_back_to_the_opening_cursor_is_caught_without_refetching_it(
    make_pager: MakePager,
) -> None:
    api = FakeList({1: ([1], None, "cursor_2"), 2: ([2], "cursor_1", "cursor_1")})
    with pytest.raises(PaginationError):
        list(make_pager(api.fetch, after="cursor_1"))
    assert api.calls == [(None, "cursor_1"), (None, "cursor_2")]


def test_cycle_while_walking_backwards_raises_pagination_error(make_pager: MakePager) -> None:
    api = FakeList({2: ([2], "cursor_1", None), 1: ([1], "cursor_2", None)})
    with pytest.raises(PaginationError):
        list(make_pager(api.fetch, before="cursor_2"))
    assert api.calls == [("cursor_2", None), ("cursor_1", None)]


def test_errors_from_fetch_propagate_unchanged(make_pager: MakePager) -> None:
    class Boom(WorkOSError):
        pass

    def failing_fetch(before: Optional[str], after: Optional[str]) -> Page[Item]:
        raise Boom("server is down")

    with pytest.raises(Boom):
        list(make_pager(failing_fetch))


def test_iterating_again_after_a_failed_fetch_retries_that_page(make_pager: MakePager) -> None:
    class Outage(WorkOSError):
        pass

    api = forward_fixture([2, 2, 2])
    failures = {"cursor_1": 1, "cursor_2": 2}

    def flaky_fetch(before: Optional[str], after: Optional[str]) -> Page[Item]:
        if after is not None and failures.get(after, 0) > 0:
            failures[after] -= 1
            raise Outage(f"fetching after {after} failed")
        return api.fetch(before, after)

    pager = make_pager(flaky_fetch)
    collected = []
    outages = 0
    while True:
        try:
            collected.append(next(pager).number)
        except Outage:
            outages += 1
        except StopIteration:
            break
    # Every item exactly once, in order, although three fetches failed on the way.
    assert collected == [0, 1, 2, 3, 4, 5]
    assert outages == 3
    assert api.calls == [(None, None), (None, "cursor_1"), (None, "cursor_2")]
    assert list(pager) == []  # finished for good once the last page was delivered


def test_a_pager_stays_failed_after_a_repeated_cursor(make_pager: MakePager) -> None:
    api = FakeList({0: ([1], None, "cursor_1"), 1: ([2], "cursor_0", "cursor_1")})
    pager = make_pager(api.fetch)
    assert [next(pager).number, next(pager).number] == [1, 2]
    for _ in range(2):  # asking again does not refetch, nor pretend the list ended
        with pytest.raises(PaginationError):
            next(pager)
    assert len(api.calls) == 2


def test_a_long_walk_holds_one_page_at_a_time(make_pager: MakePager) -> None:
    page_count, page_size = 200, 50
    api = forward_fixture([page_size] * page_count)
    alive = {"pages": 0, "items": 0}
    most_alive = {"pages": 0, "items": 0}

    def track(obj: object, kind: str) -> None:
        alive[kind] += 1

        def gone() -> None:
            alive[kind] -= 1

        weakref.finalize(obj, gone)

    def watched_fetch(before: Optional[str], after: Optional[str]) -> Page[Item]:
        page = api.fetch(before, after)
        track(page, "pages")
        for item in page.data:
            track(item, "items")
        return page

    count = 0
    for item in make_pager(watched_fetch):
        # Fetched only when reached: item n comes from page n // page_size, the last one asked.
        assert len(api.calls) == item.number // page_size + 1
        count += 1
        # No gc.collect() here: pages and items hold no reference cycles, so anything the
        # pager let go of is already gone; a page kept too long would show in these counts.
        for kind in alive:
            most_alive[kind] = max(most_alive[kind], alive[kind])
        del item
    assert count == page_count * page_size
    assert len(api.calls) == page_count
    # At most one page's items at a time (while the first item of a page is handed out, all
    # of that page is alive), never the 10,000 items walked; the page object itself need not
    # be kept at all.
    assert most_alive["items"] == page_size
    assert most_alive["pages"] <= 1
    gc.collect()
    assert alive == {"pages": 0, "items": 0}
