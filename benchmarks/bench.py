"""Benchmark workos-sso against WorkOS's official Python SDK and plain requests.

Run it with ``nox -s bench`` (``nox -s bench -- --quick`` for the short version CI runs). It
starts two official WorkOS emulators from generated seeds (1,900 and 19,000 connections, and a
pool of API keys so the emulator's 1,000-requests-a-minute limit per key never throttles a
round), then measures, alternating the contenders round by round:

1. the import time of a fresh interpreter;
2. ``get_connection``, per call, against a bare ``requests.Session`` doing the same GET and
   a floor (one keep-alive ``http.client`` connection and ``json.loads``, the least any Python
   client can do): wall time, and the client's own CPU time (``time.process_time``, which the
   emulator's work in its own process does not move);
3. walking 1,900 connections 100 per page: time, and tracemalloc peak at 1,900 and 19,000,
   both as the first walk of a process and as a second walk, once bounded caches are full;
   then where the extra memory of the longer walk goes (tracemalloc snapshots);
4. building an authorization URL;
5. 300 ``get_connection`` calls, 20 at a time, through one async client: ours, the official
   SDK's ``AsyncWorkOSClient`` and a bare ``aiohttp.ClientSession`` doing the same GET;
6. checking an access token from a real sign-in: ``verify_access_token`` with its key cached
   (offline) beside one ``get_profile`` round trip (needs the ``jwt`` extra).

It prints markdown tables of medians and ratios with each target, met or missed. ``--check``
makes a missed target exit with status 1; without it the script fails only when something is
broken (a walk that returns the wrong count, a contender that raises). ``--quick`` (three
rounds, what CI runs) reports the ratios without a verdict: its rounds are too few for the
noise of a shared machine, so met or missed would mean nothing there.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import requests  # noqa: E402
import workos  # noqa: E402
from tests import emulator  # noqa: E402

import workos_sso  # noqa: E402
from workos_sso._convert import structure_page  # noqa: E402

OURS = "workos_sso"
OFFICIAL = "official SDK"
BARE = "bare requests"
FLOOR = "http.client floor"
OURS_ASYNC = "workos_sso async"
OFFICIAL_ASYNC = "official SDK async"
BARE_ASYNC = "bare aiohttp"
BASELINE_IMPORT = "requests, attrs, cattrs"
REDIRECT_URI = "https://app.example.com/callback"
PAGE_SIZE = 100
SIGN_IN_EMAIL = "ada@sso-00000.bench.example"
#: The emulator sends sign-ins back to localhost only.
SIGN_IN_REDIRECT_URI = "http://localhost:8000/callback"
VERIFY = "verify_access_token (key cached)"
GET_PROFILE = "get_profile (round trip)"
#: A verification with the key cached must take well under a millisecond.
VERIFY_LIMIT_MICROSECONDS = 500
#: What a walk may add to its peak for each page it has passed, once the bounded caches are
#: full. The pager remembers each page's cursor to catch a server that loops: a short string
#: (about 70 bytes) and its slot in a set (16 bytes, times the set's spare room). Anything kept
#: per connection instead would cost at least 100 times an id string (about 7,000 bytes) a page.
GROWTH_PER_PAGE_LIMIT = 256


@dataclass(frozen=True)
class Settings:
    rounds: int
    import_rounds: int
    calls_per_round: int
    url_calls_per_round: int
    async_calls_per_round: int
    walk_small: int
    walk_large: int
    memory_rounds: int


FULL = Settings(
    rounds=15,
    import_rounds=15,
    calls_per_round=200,
    url_calls_per_round=20_000,
    async_calls_per_round=300,
    walk_small=1_900,
    walk_large=19_000,
    memory_rounds=2,
)
QUICK = Settings(
    rounds=3,
    import_rounds=5,
    calls_per_round=50,
    url_calls_per_round=2_000,
    async_calls_per_round=300,
    walk_small=1_900,
    # Enough pages beyond the small walk to show growth per page; an emulator seeded with
    # 19,000 connections takes a good part of the quick run just to start.
    walk_large=5_700,
    memory_rounds=1,
)


# --- Results ---------------------------------------------------------------------------------


@dataclass
class Measure:
    """Samples (one per round) of one quantity for every contender."""

    name: str
    unit: str
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, contender: str, value: float) -> None:
        self.samples.setdefault(contender, []).append(value)

    def median(self, contender: str) -> float:
        return statistics.median(self.samples[contender])


@dataclass(frozen=True)
class Target:
    what: str
    measure: Measure
    ours: str
    theirs: str
    limit: float

    def ratio(self) -> float:
        return self.measure.median(self.ours) / self.measure.median(self.theirs)

    def met(self) -> bool:
        return self.ratio() <= self.limit

    def cells(self) -> list[str]:
        unit = self.measure.unit
        return [
            f"{number(self.measure.median(self.ours))} {unit}",
            f"{number(self.measure.median(self.theirs))} {unit} ({self.theirs})",
            f"{self.ratio():.2f}x",
            f"<= {self.limit:.2f}x",
        ]


@dataclass(frozen=True)
class Bound:
    """A quantity of ours held to a fixed limit, not to a ratio."""

    what: str
    value: float
    unit: str
    context: str
    limit: float

    def met(self) -> bool:
        return self.value <= self.limit

    def cells(self) -> list[str]:
        return [f"{number(self.value)} {self.unit}", self.context, "", f"<= {self.limit:,.0f}"]


def alternating(contenders: Sequence[str], round_number: int) -> list[str]:
    """Rotate the order every round so no contender always runs first (or last)."""
    shift = round_number % len(contenders)
    return [*contenders[shift:], *contenders[:shift]]


# --- The emulators ---------------------------------------------------------------------------


class KeyPool:
    """Fresh API keys, one per contender and round, so no round meets the rate limit."""

    def __init__(self, size: int) -> None:
        self.keys = [f"sk_test_bench_{number:04d}" for number in range(size)]
        self._unused: Iterator[str] = iter(self.keys)

    def take(self) -> str:
        try:
            return next(self._unused)
        except StopIteration:
            raise RuntimeError("the benchmark ran out of API keys; enlarge the pool") from None


def write_seed(path: Path, *, connections: int, keys: Sequence[str]) -> None:
    """A seed with ``connections`` GenericSAML connections, each with one domain."""
    lines = ["apiKeys:"]
    lines += [f"  {key}: {{environment: test}}" for key in keys]
    lines += [
        "organizations:",
        "  - name: Bench Org",
        "    domains: [{domain: bench.example, state: verified}]",
        "connections:",
    ]
    for number in range(connections):
        lines += [
            f'  - name: "Bench Connection {number:05d}"',
            "    organization: Bench Org",
            "    connection_type: GenericSAML",
            f"    domains: [sso-{number:05d}.bench.example]",
        ]
        if number == 0:  # someone to sign in, for the access token figures
            lines += ["    profiles:", f"      - email: {SIGN_IN_EMAIL}", "        first_name: Ada"]
    path.write_text("\n".join(lines) + "\n")


# --- Contenders ------------------------------------------------------------------------------


def our_client(url: str, api_key: str) -> workos_sso.SSOClient:
    return workos_sso.SSOClient(api_key=api_key, client_id=emulator.CLIENT_ID, base_url=url)


def official_client(url: str, api_key: str) -> workos.WorkOSClient:
    # The official SDK takes base_url (or WORKOS_BASE_URL) the same way.
    return workos.WorkOSClient(api_key=api_key, client_id=emulator.CLIENT_ID, base_url=url)


class BareRequests:
    """What a hand-rolled integration does: one Session, the same headers, ``.json()``."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.headers = {
            "Accept": "application/json",
            "User-Agent": f"bench-bare-requests/{requests.__version__}",
            "Authorization": f"Bearer {api_key}",
        }

    def get_connection(self, connection_id: str) -> Any:
        response = self.session.get(
            f"{self.url}/connections/{connection_id}", headers=self.headers, timeout=(5.0, 30.0)
        )
        return response.json()

    def close(self) -> None:
        self.session.close()


class HttpClientFloor:
    """The least a Python client can do per call: one keep-alive ``http.client`` connection,
    the same headers, ``json.loads`` of the body. No pool, no retries, no models."""

    def __init__(self, url: str, api_key: str) -> None:
        parts = urllib.parse.urlsplit(url)
        assert parts.hostname is not None
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30.0)
        self.headers = {
            "Accept": "application/json",
            "User-Agent": "bench-http-client-floor",
            "Authorization": f"Bearer {api_key}",
        }

    def get_connection(self, connection_id: str) -> Any:
        self.connection.request("GET", f"/connections/{connection_id}", headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"the floor's GET answered {response.status}")
        return json.loads(body)

    def close(self) -> None:
        self.connection.close()


def timed(action: Callable[[], object], repeat: int) -> float:
    """Seconds per call of ``action``, over ``repeat`` calls, after a full collection."""
    return timed_with_cpu(action, repeat)[0]


def timed_with_cpu(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds per call of ``action``."""
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        action()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return wall / repeat, cpu / repeat


# --- 1. Import time --------------------------------------------------------------------------

IMPORTS = {OURS: "workos_sso", OFFICIAL: "workos", BASELINE_IMPORT: "requests, attrs, cattrs"}


def import_seconds(statement: str, env: dict[str, str]) -> float:
    """Time ``import ...`` inside a fresh interpreter (its own start-up excluded)."""
    code = (
        "import time; started = time.perf_counter(); "
        f"import {statement}; print(time.perf_counter() - started)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout
    return float(output)


def bench_imports(settings: Settings) -> Measure:
    # Byte-code is written on the first import and read afterwards, as in any installed
    # package; PYTHONDONTWRITEBYTECODE would make every round a compile instead.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    measure = Measure("import (fresh process)", "ms")
    for statement in IMPORTS.values():
        import_seconds(statement, env)
    for round_number in range(settings.import_rounds):
        for contender in alternating(list(IMPORTS), round_number):
            measure.add(contender, import_seconds(IMPORTS[contender], env) * 1000)
    return measure


# --- 2. get_connection -----------------------------------------------------------------------


def make_caller(contender: str, url: str, api_key: str, connection_id: str) -> tuple[Any, Any]:
    """A client of ``contender`` and a no-argument call of its ``get_connection``."""
    if contender == OURS:
        ours = our_client(url, api_key)
        return ours, lambda: ours.get_connection(connection_id)
    if contender == OFFICIAL:
        official = official_client(url, api_key)
        return official, lambda: official.sso.get_connection(connection_id)
    if contender == FLOOR:
        floor = HttpClientFloor(url, api_key)
        return floor, lambda: floor.get_connection(connection_id)
    bare = BareRequests(url, api_key)
    return bare, lambda: bare.get_connection(connection_id)


def bench_get_connection(
    settings: Settings, url: str, keys: KeyPool, connection_id: str
) -> tuple[Measure, Measure]:
    """Wall time and client CPU time per call, for each contender."""
    wall = Measure("get_connection, per call", "µs")
    cpu = Measure("get_connection, client CPU per call", "µs")
    for round_number in range(settings.rounds):
        for contender in alternating([OURS, OFFICIAL, BARE, FLOOR], round_number):
            client, call = make_caller(contender, url, keys.take(), connection_id)
            for _ in range(5):  # open the pooled connection before timing
                call()
            seconds, cpu_seconds = timed_with_cpu(call, settings.calls_per_round)
            wall.add(contender, seconds * 1e6)
            cpu.add(contender, cpu_seconds * 1e6)
            client.close()
    return wall, cpu


# --- 3. Walking every connection ------------------------------------------------------------


def walk_ours(client: workos_sso.SSOClient) -> int:
    return sum(1 for _ in client.list_connections(limit=PAGE_SIZE))


def walk_official(client: workos.WorkOSClient) -> int:
    return sum(1 for _ in client.sso.list_connections(limit=PAGE_SIZE).auto_paging_iter())


def make_walker(contender: str, url: str, api_key: str) -> tuple[Any, Callable[[], int]]:
    if contender == OURS:
        ours = our_client(url, api_key)
        # The first page warms the pool and the converter's hooks; it is not timed.
        next(iter(ours.list_connections(limit=PAGE_SIZE)))
        return ours, lambda: walk_ours(ours)
    official = official_client(url, api_key)
    next(iter(official.sso.list_connections(limit=PAGE_SIZE).auto_paging_iter()))
    return official, lambda: walk_official(official)


def bench_walk(settings: Settings, url: str, keys: KeyPool) -> Measure:
    measure = Measure(f"walk {settings.walk_small:,} connections, 100 a page", "ms")
    for round_number in range(settings.rounds):
        for contender in alternating([OURS, OFFICIAL], round_number):
            client, walk = make_walker(contender, url, keys.take())
            gc.collect()
            started = time.perf_counter()
            count = walk()
            measure.add(contender, (time.perf_counter() - started) * 1000)
            client.close()
            if count != settings.walk_small:
                raise RuntimeError(
                    f"{contender} walked {count} connections, not {settings.walk_small}"
                )
    return measure


def open_walk(contender: str, client: Any) -> Iterator[object]:
    """A fresh iteration over every connection, to be consumed by the caller."""
    if contender == OURS:
        return iter(client.list_connections(limit=PAGE_SIZE))
    return iter(client.sso.list_connections(limit=PAGE_SIZE).auto_paging_iter())


@dataclass
class TracedWalks:
    """One contender's two walks of one list in a fresh trace: peaks, and what each kept."""

    first_peak_kib: float
    full_peak_kib: float
    first_kept: dict[str, tuple[int, int]]
    full_kept: dict[str, tuple[int, int]]


def traced_walk(expected: int, contender: str, client: Any) -> tuple[float, dict[str, Any]]:
    """Peak KiB of one walk above the memory before it, and what it holds at its end."""
    gc.collect()
    before_snapshot = tracemalloc.take_snapshot()
    # After the snapshot, so nothing taking it allocates can count towards the walk's peak.
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    walk = open_walk(contender, client)
    count = sum(1 for _ in walk)
    peak = tracemalloc.get_traced_memory()[1]
    gc.collect()
    # The walk is still referenced: what its pager keeps is in this snapshot.
    kept = by_part(tracemalloc.take_snapshot().compare_to(before_snapshot, "traceback"))
    del walk
    if count != expected:
        raise RuntimeError(f"{contender} walked {count} connections, not {expected}")
    return (peak - before) / 1024, kept


#: Frames kept per allocation: every URL-cache entry is allocated within a few frames of
#: urllib.parse, and the pager's allocations within one frame of it.
TRACEBACK_DEPTH = 8


def walk_twice(contender: str, url: str, api_key: str, expected: int) -> TracedWalks:
    """Walk the list twice under tracemalloc, from an empty URL cache.

    The first walk is what a fresh process sees: the standard library's bounded caches on the
    way (urlsplit keeps the last 128 URLs) fill with traced entries. In the second, the cache
    is as full as this list makes it, and its new entries replace traced ones instead of
    adding to the peak: the steady state of a process that has been running a while.
    """
    client, _ = make_walker(contender, url, api_key)
    urllib.parse.clear_cache()
    gc.collect()
    # Deep enough to tell a cache entry from a cursor, for ours; deep tracebacks triple the
    # walk's time and do not change the bytes counted.
    tracemalloc.start(TRACEBACK_DEPTH if contender == OURS else 1)
    try:
        first_peak, first_kept = traced_walk(expected, contender, client)
        full_peak, full_kept = traced_walk(expected, contender, client)
    finally:
        tracemalloc.stop()
        client.close()
    return TracedWalks(first_peak, full_peak, first_kept, full_kept)


@dataclass
class MemoryMeasures:
    first_small: Measure
    first_large: Measure
    full_small: Measure
    full_large: Measure
    #: Ours, large walk minus small walk, what each still holds at its end, by part.
    first_extra: dict[str, tuple[int, int]] = field(default_factory=dict)
    full_extra: dict[str, tuple[int, int]] = field(default_factory=dict)

    def all(self) -> list[Measure]:
        return [self.first_small, self.first_large, self.full_small, self.full_large]


def bench_memory(
    settings: Settings, small_url: str, large_url: str, keys: KeyPool
) -> MemoryMeasures:
    small, large = f"{settings.walk_small:,}", f"{settings.walk_large:,}"
    memory = MemoryMeasures(
        first_small=Measure(f"walk peak memory, {small} connections, first walk", "KiB"),
        first_large=Measure(f"walk peak memory, {large} connections, first walk", "KiB"),
        full_small=Measure(f"walk peak memory, {small} connections, caches full", "KiB"),
        full_large=Measure(f"walk peak memory, {large} connections, caches full", "KiB"),
    )
    for round_number in range(settings.memory_rounds):
        for contender in alternating([OURS, OFFICIAL], round_number):
            on_small = walk_twice(contender, small_url, keys.take(), settings.walk_small)
            on_large = walk_twice(contender, large_url, keys.take(), settings.walk_large)
            memory.first_small.add(contender, on_small.first_peak_kib)
            memory.first_large.add(contender, on_large.first_peak_kib)
            memory.full_small.add(contender, on_small.full_peak_kib)
            memory.full_large.add(contender, on_large.full_peak_kib)
            if contender == OURS:
                memory.first_extra = subtract(on_large.first_kept, on_small.first_kept)
                memory.full_extra = subtract(on_large.full_kept, on_small.full_kept)
    return memory


#: Where the extra memory of a longer walk is kept, told by the allocation's traceback.
URL_CACHE = "urllib.parse's URL cache (urlsplit, 128 entries)"
CURSOR_STRINGS = "pager's cursor set: the cursors (strings decoded from JSON)"
CURSOR_TABLE = "pager's cursor set: its hash table"
OTHER = "everything else"
PARTS = [URL_CACHE, CURSOR_STRINGS, CURSOR_TABLE, OTHER]


def part_of(traceback: tracemalloc.Traceback) -> str:
    files = [Path(frame.filename) for frame in traceback]  # oldest first
    if any(file.name == "parse.py" and file.parent.name == "urllib" for file in files):
        return URL_CACHE
    newest = files[-1]
    if newest.name == "_pagination.py":
        return CURSOR_TABLE
    if newest.name == "decoder.py" and newest.parent.name == "json":
        # Both walks end holding their last page (the same size); what else decoded JSON
        # is still alive after the walk is what the pager kept: one cursor per page.
        return CURSOR_STRINGS
    return OTHER


def by_part(differences: Sequence[tracemalloc.StatisticDiff]) -> dict[str, tuple[int, int]]:
    """Bytes and blocks, summed by part."""
    parts = dict.fromkeys(PARTS, (0, 0))
    for difference in differences:
        part = part_of(difference.traceback)
        size, blocks = parts[part]
        parts[part] = (size + difference.size_diff, blocks + difference.count_diff)
    return parts


def subtract(
    large: dict[str, tuple[int, int]], small: dict[str, tuple[int, int]]
) -> dict[str, tuple[int, int]]:
    return {
        part: (large[part][0] - small[part][0], large[part][1] - small[part][1]) for part in PARTS
    }


def connection_bytes(page_json: bytes) -> float:
    """What keeping one connection costs: its model and the strings decoded for it."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        data = json.loads(page_json)
        page = structure_page(data, workos_sso.Connection, what="GET /connections")
        del data
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return kept / len(page.data)  # type: ignore[attr-defined]


# --- 4. Authorization URL --------------------------------------------------------------------


def bench_authorization_url(settings: Settings, url: str, organization_id: str) -> Measure:
    measure = Measure("authorization URL", "µs")
    ours = our_client(url, "sk_test_unused_here")
    official = official_client(url, "sk_test_unused_here")
    actions: dict[str, Callable[[], object]] = {
        OURS: lambda: ours.get_authorization_url(
            redirect_uri=REDIRECT_URI, organization=organization_id, state="st4te"
        ),
        OFFICIAL: lambda: official.sso.get_authorization_url(
            redirect_uri=REDIRECT_URI, organization=organization_id, state="st4te"
        ),
    }
    for round_number in range(settings.rounds):
        for contender in alternating(list(actions), round_number):
            seconds = timed(actions[contender], settings.url_calls_per_round)
            measure.add(contender, seconds * 1e6)
    ours.close()
    official.close()
    return measure


# --- 6. Access tokens: offline against a round trip ------------------------------------------


def fresh_access_token(client: workos_sso.SSOClient) -> str:
    """Sign in as ``SIGN_IN_EMAIL`` through the emulator and exchange the code."""
    from workos_sso.testing import complete_sign_in

    [connection] = list(client.list_connections(domain=SIGN_IN_EMAIL.split("@")[1]))
    url = client.get_authorization_url(
        redirect_uri=SIGN_IN_REDIRECT_URI, connection=connection.id, login_hint=SIGN_IN_EMAIL
    )
    location = complete_sign_in(url, redirect_uri=SIGN_IN_REDIRECT_URI).url
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    return client.get_profile_and_token(code).access_token


#: get_profile calls per round. They carry the access token, not an API key, and the emulator
#: counts every request without an API key against one budget of 1,000 a minute (with the
#: sign-ins' own requests): 15 rounds of this many stay under it.
PROFILE_CALLS_PER_ROUND = 40


def bench_access_token(settings: Settings, url: str, keys: KeyPool) -> Measure:
    measure = Measure("access token check, per call", "µs")
    for round_number in range(settings.rounds):
        client = our_client(url, keys.take())
        token = fresh_access_token(client)  # a token per round: get_profile has a rate limit
        actions: dict[str, Callable[[], object]] = {
            VERIFY: functools.partial(client.verify_access_token, token),
            GET_PROFILE: functools.partial(client.get_profile, token),
        }
        calls = {VERIFY: settings.url_calls_per_round, GET_PROFILE: PROFILE_CALLS_PER_ROUND}
        for contender in alternating(list(actions), round_number):
            for _ in range(5):  # fetch the key set, open the pooled connection
                actions[contender]()
            measure.add(contender, timed(actions[contender], calls[contender]) * 1e6)
        client.close()
    return measure


# --- 5. Concurrent async calls --------------------------------------------------------------

#: How many calls of a round are in flight at once.
CONCURRENCY = 20


class BareAiohttp:
    """What a hand-rolled async integration does: one ClientSession, the same headers."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url = url
        self.headers = {
            "Accept": "application/json",
            "User-Agent": f"bench-bare-aiohttp/{aiohttp.__version__}",
            "Authorization": f"Bearer {api_key}",
        }
        self.session: Optional[aiohttp.ClientSession] = None

    async def get_connection(self, connection_id: str) -> Any:
        if self.session is None:  # made inside the running loop, as aiohttp requires
            self.session = aiohttp.ClientSession()
        async with self.session.get(
            f"{self.url}/connections/{connection_id}", headers=self.headers
        ) as response:
            response.raise_for_status()
            return json.loads(await response.read())

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


def make_async_caller(
    contender: str, url: str, api_key: str, connection_id: str
) -> tuple[Any, Any]:
    """An async client of ``contender``, a coroutine function calling its get_connection, and
    a coroutine function closing it."""
    if contender == OURS_ASYNC:
        ours = workos_sso.AsyncSSOClient(
            api_key=api_key, client_id=emulator.CLIENT_ID, base_url=url
        )
        return (lambda: ours.get_connection(connection_id)), ours.aclose
    if contender == OFFICIAL_ASYNC:
        official = workos.AsyncWorkOSClient(
            api_key=api_key, client_id=emulator.CLIENT_ID, base_url=url
        )
        return (lambda: official.sso.get_connection(connection_id)), official.close
    bare = BareAiohttp(url, api_key)
    return (lambda: bare.get_connection(connection_id)), bare.close


async def concurrent_round(call: Callable[[], Any], total: int) -> float:
    """Seconds for ``total`` calls, at most CONCURRENCY in flight, after a warm-up."""
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with limit:
            await call()

    await asyncio.gather(*[one() for _ in range(CONCURRENCY)])  # open the pooled connections
    gc.collect()
    started = time.perf_counter()
    await asyncio.gather(*[one() for _ in range(total)])
    return time.perf_counter() - started


def bench_async_get_connection(
    settings: Settings, url: str, keys: KeyPool, connection_id: str
) -> Measure:
    measure = Measure(
        f"{settings.async_calls_per_round} async get_connection, {CONCURRENCY} at a time", "ms"
    )

    async def one_round(contender: str) -> float:
        call, close = make_async_caller(contender, url, keys.take(), connection_id)
        try:
            return await concurrent_round(call, settings.async_calls_per_round)
        finally:
            await close()

    for round_number in range(settings.rounds):
        for contender in alternating([OURS_ASYNC, OFFICIAL_ASYNC, BARE_ASYNC], round_number):
            measure.add(contender, asyncio.run(one_round(contender)) * 1000)
    return measure


# --- Report ----------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores (load average {load}), "
        f"Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}; "
        f"workos_sso {workos_sso.__version__}, official SDK workos {workos_version()}, "
        f"requests {requests.__version__}"
    )


def workos_version() -> str:
    from importlib.metadata import version

    return version("workos")


def number(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def medians_table(measures: Sequence[Measure]) -> list[str]:
    contenders = [
        OURS,
        OFFICIAL,
        BARE,
        FLOOR,
        BASELINE_IMPORT,
        OURS_ASYNC,
        OFFICIAL_ASYNC,
        BARE_ASYNC,
    ]
    lines = [
        "| Measure | unit | " + " | ".join(contenders) + " |",
        "|---|---|" + "---:|" * len(contenders),
    ]
    for measure in measures:
        cells = []
        for contender in contenders:
            samples = measure.samples.get(contender)
            if not samples:
                cells.append("")
                continue
            spread = f" ({number(min(samples))}-{number(max(samples))})" if len(samples) > 1 else ""
            cells.append(number(statistics.median(samples)) + spread)
        lines.append(f"| {measure.name} | {measure.unit} | " + " | ".join(cells) + " |")
    return lines


def targets_table(targets: Sequence[Union[Target, Bound]], *, verdict: bool) -> list[str]:
    """Each target with its ratio; with ``verdict``, whether it was met."""
    header = "| Target | workos_sso | compared with | ratio | target |"
    rule = "|---|---:|---:|---:|---:|"
    lines = [header + " result |", rule + "---|"] if verdict else [header, rule]
    for target in targets:
        cells = [target.what, *target.cells()]
        if verdict:
            cells.append("met" if target.met() else "**missed**")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def floor_lines(wall: Measure, cpu: Measure) -> list[str]:
    """How far each sync contender is above the floor, per call, in wall and in CPU time."""
    lines = [
        "| get_connection | wall µs | above the floor | client CPU µs | above the floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for contender in (OURS, OFFICIAL, BARE, FLOOR):
        wall_median, cpu_median = wall.median(contender), cpu.median(contender)
        lines.append(
            f"| {contender} | {number(wall_median)} "
            f"| {number(wall_median - wall.median(FLOOR))} "
            f"| {number(cpu_median)} | {number(cpu_median - cpu.median(FLOOR))} |"
        )
    return lines


def breakdown_table(memory: MemoryMeasures, extra_pages: int) -> list[str]:
    lines = [
        "| Part | first walk: bytes | blocks | caches full: bytes | blocks | per extra page |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for part in [*PARTS, "total"]:
        if part == "total":
            first = tuple(sum(v[i] for v in memory.first_extra.values()) for i in (0, 1))
            full = tuple(sum(v[i] for v in memory.full_extra.values()) for i in (0, 1))
        else:
            first, full = memory.first_extra[part], memory.full_extra[part]
        lines.append(
            f"| {part} | {first[0]:,} | {first[1]:,} | {full[0]:,} | {full[1]:,} "
            f"| {full[0] / extra_pages:,.0f} B |"
        )
    return lines


# --- Main ------------------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few rounds and a smaller N (CI)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    arguments = parser.parse_args(argv)
    if arguments.quick and arguments.check:
        parser.error("--check needs the full run: --quick has too few rounds for a verdict")
    settings = QUICK if arguments.quick else FULL
    print(f"Machine: {machine()}", flush=True)

    keys = KeyPool(size=60 + settings.rounds * 12 + settings.memory_rounds * 8)
    measures: list[Measure] = []
    started = time.perf_counter()
    print("import time ...", flush=True)
    imports = bench_imports(settings)
    measures.append(imports)

    with tempfile.TemporaryDirectory(prefix="workos-sso-bench-") as workdir:
        small_seed, large_seed = Path(workdir, "small.yaml"), Path(workdir, "large.yaml")
        write_seed(small_seed, connections=settings.walk_small, keys=keys.keys)
        write_seed(large_seed, connections=settings.walk_large, keys=keys.keys)
        with (
            emulator.Emulator(seed=small_seed) as small,
            emulator.Emulator(seed=large_seed) as large,
        ):
            setup_key = keys.take()
            response = requests.get(
                f"{small.url}/connections",
                params={"limit": str(PAGE_SIZE)},
                headers={"Authorization": f"Bearer {setup_key}"},
                timeout=30,
            )
            response.raise_for_status()
            page_json = response.content
            first = json.loads(page_json)["data"][0]

            print("get_connection ...", flush=True)
            get_connection, get_connection_cpu = bench_get_connection(
                settings, small.url, keys, first["id"]
            )
            measures += [get_connection, get_connection_cpu]
            print("walk ...", flush=True)
            walk = bench_walk(settings, small.url, keys)
            measures.append(walk)
            print("walk memory ...", flush=True)
            memory = bench_memory(settings, small.url, large.url, keys)
            measures += memory.all()
            print("authorization URL ...", flush=True)
            url_measure = bench_authorization_url(settings, small.url, first["organization_id"])
            measures.append(url_measure)
            print("concurrent async get_connection ...", flush=True)
            async_calls = bench_async_get_connection(settings, small.url, keys, first["id"])
            measures.append(async_calls)
            print("access token check ...", flush=True)
            # Not in the medians table (its columns are the contenders): the bound row says it.
            tokens = bench_access_token(settings, small.url, keys)

    extra_pages = (settings.walk_large - settings.walk_small) // PAGE_SIZE
    growth_per_page = (
        (memory.full_large.median(OURS) - memory.full_small.median(OURS)) * 1024 / extra_pages
    )
    one_connection = connection_bytes(page_json)
    targets = [
        Target("import vs official SDK", imports, OURS, OFFICIAL, 0.30),
        Target("import vs requests+attrs+cattrs", imports, OURS, BASELINE_IMPORT, 1.15),
        Target("get_connection vs official SDK", get_connection, OURS, OFFICIAL, 1.00),
        Target("get_connection vs bare requests", get_connection, OURS, BARE, 1.05),
        Target(f"walk {settings.walk_small:,} vs official SDK", walk, OURS, OFFICIAL, 1.00),
        Bound(
            f"walk peak memory per page beyond {settings.walk_small:,} connections (caches full)",
            growth_per_page,
            "B",
            # Keeping the connections instead would cost a page of them per page.
            f"{number(one_connection * PAGE_SIZE)} B (a page of connections kept)",
            GROWTH_PER_PAGE_LIMIT,
        ),
        Target("authorization URL vs official SDK", url_measure, OURS, OFFICIAL, 1.00),
        Target("async calls vs official async SDK", async_calls, OURS_ASYNC, OFFICIAL_ASYNC, 1.00),
        Target("async calls vs bare aiohttp", async_calls, OURS_ASYNC, BARE_ASYNC, 1.15),
        Bound(
            "access token verification, key cached",
            tokens.median(VERIFY),
            "µs",
            f"{number(tokens.median(GET_PROFILE))} µs (one get_profile round trip)",
            VERIFY_LIMIT_MICROSECONDS,
        ),
    ]
    mode = "quick" if arguments.quick else "full"
    print()
    print(f"## Medians ({mode} run; min to max over rounds in brackets)")
    print()
    print("\n".join(medians_table(measures)))
    print()
    print("## Targets" if not arguments.quick else "## Ratios (quick run: no verdict)")
    print()
    if arguments.quick:
        print(
            f"{settings.rounds} rounds are too few to tell a missed target from the noise of a "
            "shared machine; `nox -s bench` (15 rounds) says met or missed."
        )
        print()
    print("\n".join(targets_table(targets, verdict=not arguments.quick)))
    print()
    print("## get_connection above the floor (one keep-alive http.client connection, json.loads)")
    print()
    print("\n".join(floor_lines(get_connection, get_connection_cpu)))
    print()
    print(
        f"## Memory the {settings.walk_large:,} walk still holds at its end beyond the "
        f"{settings.walk_small:,} walk ({extra_pages} more pages; tracemalloc snapshots)"
    )
    print()
    print("\n".join(breakdown_table(memory, extra_pages)))
    print()
    print(
        f"Peak growth, caches full: {growth_per_page:,.0f} B per extra page, "
        f"{growth_per_page / PAGE_SIZE:.2f} B per extra connection; keeping a structured "
        f"connection costs {one_connection:,.0f} B."
    )
    print()
    print(f"Finished in {time.perf_counter() - started:.0f} s; at the end: {machine()}")
    missed = [target.what for target in targets if not target.met()]
    if missed and not arguments.quick:
        print(f"Missed: {', '.join(missed)}.")
    return 1 if arguments.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
