"""Benchmark workos-sso against WorkOS's official Python SDK and plain requests.

Run it with ``nox -s bench`` (``nox -s bench -- --quick`` for the short version CI runs). It
starts two official WorkOS emulators from generated seeds (1,900 and 19,000 connections, and a
pool of API keys so the emulator's 1,000-requests-a-minute limit per key never throttles a
round), then measures, alternating the contenders round by round:

1. the import time of a fresh interpreter;
2. ``get_connection``, per call, against a bare ``requests.Session`` doing the same GET;
3. walking 1,900 connections 100 per page: time, and tracemalloc peak at 1,900 and 19,000;
4. building an authorization URL;
5. structuring a page of 100 connections from decoded JSON.

It prints markdown tables of medians and ratios with each target, met or missed. ``--check``
makes a missed target exit with status 1; without it the script fails only when something is
broken (a walk that returns the wrong count, a contender that raises).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import workos  # noqa: E402
from tests import emulator  # noqa: E402
from workos._pagination import ListMetadata, SyncPage  # noqa: E402
from workos.sso.models import Connection as OfficialConnection  # noqa: E402

import workos_sso  # noqa: E402
from workos_sso._convert import structure_page  # noqa: E402

OURS = "workos_sso"
OFFICIAL = "official SDK"
BARE = "bare requests"
BASELINE_IMPORT = "requests, attrs, cattrs"
REDIRECT_URI = "https://app.example.com/callback"
PAGE_SIZE = 100
#: Ten times the connections may cost at most this much more peak memory. A walk that kept
#: what it had seen would need about ten times as much; see the comment on the target.
MEMORY_GROWTH_LIMIT = 1.5


@dataclass(frozen=True)
class Settings:
    rounds: int
    import_rounds: int
    calls_per_round: int
    url_calls_per_round: int
    structure_calls_per_round: int
    walk_small: int
    walk_large: int
    memory_rounds: int


FULL = Settings(
    rounds=15,
    import_rounds=15,
    calls_per_round=200,
    url_calls_per_round=20_000,
    structure_calls_per_round=200,
    walk_small=1_900,
    walk_large=19_000,
    memory_rounds=2,
)
QUICK = Settings(
    rounds=3,
    import_rounds=5,
    calls_per_round=50,
    url_calls_per_round=2_000,
    structure_calls_per_round=20,
    walk_small=1_900,
    walk_large=19_000,
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


def timed(action: Callable[[], object], repeat: int) -> float:
    """Seconds per call of ``action``, over ``repeat`` calls, after a full collection."""
    gc.collect()
    started = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - started) / repeat


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
    bare = BareRequests(url, api_key)
    return bare, lambda: bare.get_connection(connection_id)


def bench_get_connection(
    settings: Settings, url: str, keys: KeyPool, connection_id: str
) -> Measure:
    measure = Measure("get_connection, per call", "µs")
    for round_number in range(settings.rounds):
        for contender in alternating([OURS, OFFICIAL, BARE], round_number):
            client, call = make_caller(contender, url, keys.take(), connection_id)
            for _ in range(5):  # open the pooled connection before timing
                call()
            measure.add(contender, timed(call, settings.calls_per_round) * 1e6)
            client.close()
    return measure


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


def walk_peak_kib(contender: str, url: str, api_key: str, expected: int) -> float:
    """The tracemalloc peak of one walk, above what was allocated before it started."""
    client, walk = make_walker(contender, url, api_key)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        count = walk()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        client.close()
    if count != expected:
        raise RuntimeError(f"{contender} walked {count} connections, not {expected}")
    return (peak - before) / 1024


def bench_memory(
    settings: Settings, small_url: str, large_url: str, keys: KeyPool
) -> tuple[Measure, Measure]:
    small = Measure(f"walk peak memory, {settings.walk_small:,} connections", "KiB")
    large = Measure(f"walk peak memory, {settings.walk_large:,} connections", "KiB")
    for round_number in range(settings.memory_rounds):
        for contender in alternating([OURS, OFFICIAL], round_number):
            small.add(
                contender, walk_peak_kib(contender, small_url, keys.take(), settings.walk_small)
            )
            large.add(
                contender, walk_peak_kib(contender, large_url, keys.take(), settings.walk_large)
            )
    return small, large


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


# --- 5. Structuring a page -------------------------------------------------------------------


def structure_official(data: dict[str, Any]) -> SyncPage[OfficialConnection]:
    # What the official client does with a list response once it is decoded.
    items = [OfficialConnection.from_dict(item) for item in data.get("data") or []]
    metadata = ListMetadata.from_dict(data.get("list_metadata", {}))
    return SyncPage(data=items, list_metadata=metadata)


def bench_structure(settings: Settings, page_json: bytes) -> Measure:
    measure = Measure("structure a page of 100 connections", "µs")
    data = json.loads(page_json)
    actions: dict[str, Callable[[], object]] = {
        OURS: lambda: structure_page(data, workos_sso.Connection, what="GET /connections"),
        OFFICIAL: lambda: structure_official(data),
    }
    ours_page, official_page = actions[OURS](), structure_official(data)
    assert len(ours_page.data) == len(official_page.data) == PAGE_SIZE  # type: ignore[attr-defined]
    for round_number in range(settings.rounds):
        for contender in alternating(list(actions), round_number):
            seconds = timed(actions[contender], settings.structure_calls_per_round)
            measure.add(contender, seconds * 1e6)
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
    contenders = [OURS, OFFICIAL, BARE, BASELINE_IMPORT]
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


def targets_table(targets: Sequence[Target]) -> list[str]:
    lines = [
        "| Target | workos_sso | compared with | ratio | target | result |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for target in targets:
        unit = target.measure.unit
        ours = f"{number(target.measure.median(target.ours))} {unit}"
        theirs = f"{number(target.measure.median(target.theirs))} {unit} ({target.theirs})"
        lines.append(
            f"| {target.what} | {ours} | {theirs} | {target.ratio():.2f}x | "
            f"<= {target.limit:.2f}x | {'met' if target.met() else '**missed**'} |"
        )
    return lines


# --- Main ------------------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few rounds and a smaller N (CI)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    arguments = parser.parse_args(argv)
    settings = QUICK if arguments.quick else FULL
    print(f"Machine: {machine()}", flush=True)

    keys = KeyPool(size=60 + settings.rounds * 8 + settings.memory_rounds * 4)
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
            measures.append(bench_get_connection(settings, small.url, keys, first["id"]))
            print("walk ...", flush=True)
            walk = bench_walk(settings, small.url, keys)
            measures.append(walk)
            print("walk memory ...", flush=True)
            memory_small, memory_large = bench_memory(settings, small.url, large.url, keys)
            measures += [memory_small, memory_large]
            print("authorization URL ...", flush=True)
            url_measure = bench_authorization_url(settings, small.url, first["organization_id"])
            measures.append(url_measure)
            print("page structuring ...", flush=True)
            measures.append(bench_structure(settings, page_json))

    get_connection = measures[1]
    memory = Measure(f"peak memory {settings.walk_large:,} vs {settings.walk_small:,}", "KiB")
    memory.samples = {
        f"{settings.walk_large:,}": memory_large.samples[OURS],
        f"{settings.walk_small:,}": memory_small.samples[OURS],
    }
    targets = [
        Target("import vs official SDK", imports, OURS, OFFICIAL, 0.30),
        Target("import vs requests+attrs+cattrs", imports, OURS, BASELINE_IMPORT, 1.15),
        Target("get_connection vs official SDK", get_connection, OURS, OFFICIAL, 1.00),
        Target("get_connection vs bare requests", get_connection, OURS, BARE, 1.05),
        Target(f"walk {settings.walk_small:,} vs official SDK", walk, OURS, OFFICIAL, 1.00),
        Target(
            f"walk peak memory, {settings.walk_large:,} vs {settings.walk_small:,} connections",
            memory,
            f"{settings.walk_large:,}",
            f"{settings.walk_small:,}",
            # Flat, not equal: the standard library's bounded URL caches (urlsplit keeps 128
            # entries) fill up over the first pages, and the pager remembers each cursor it
            # has seen (about 100 bytes a page) to catch a server that loops.
            MEMORY_GROWTH_LIMIT,
        ),
        Target("authorization URL vs official SDK", url_measure, OURS, OFFICIAL, 1.00),
        Target("page structuring vs official SDK", measures[-1], OURS, OFFICIAL, 1.00),
    ]
    mode = "quick" if arguments.quick else "full"
    print()
    print(f"## Medians ({mode} run; min to max over rounds in brackets)")
    print()
    print("\n".join(medians_table(measures)))
    print()
    print("## Targets")
    print()
    print("\n".join(targets_table(targets)))
    print()
    print(f"Finished in {time.perf_counter() - started:.0f} s; at the end: {machine()}")
    missed = [target.what for target in targets if not target.met()]
    if missed:
        print(f"Missed: {', '.join(missed)}.")
    return 1 if arguments.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
