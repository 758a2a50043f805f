"""Shared fixtures: the emulator, clients pointed at it, and the VCR configuration.

Three ways to run the scenario tests (those marked ``scenario``):

* replay (the default): cassettes under ``cassettes/`` answer every request; no network.
* live (``nox -s emulator``): ``--disable-recording``, against a real emulator.
* record (``nox -s record``): ``--record-mode=rewrite`` against a real emulator; secrets are
  scrubbed before anything is written.

A test that needs the emulator itself (not a cassette) is marked ``live``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests import emulator
from tests.clients import client_kind, make_client  # noqa: F401  (client_kind: a fixture)
from tests.clock import FakeClock
from tests.loopback import loopback, second_loopback  # noqa: F401  (fixtures for every test)
from tests.scrub import scrub_request, scrub_response
from workos_sso import SSOClient

#: Where replayed cassettes pretend the emulator was; requests match on path and query only.
REPLAY_BASE_URL = "http://127.0.0.1:4100"


def _needs_server(config: pytest.Config) -> bool:
    return bool(config.getoption("--disable-recording", False)) or (
        config.getoption("--record-mode", "none") != "none"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked ``rate_limited`` go first.

    They spend minutes waiting out the emulator's Retry-After. ``nox -s emulator`` runs the live
    tests on parallel workers, a test module per worker at a time (``--dist loadfile``), in the
    order collected: so their modules start first and wait side by side while the other workers
    get through the rest. In a run without workers the order changes nothing else.
    """
    items.sort(key=lambda item: item.get_closest_marker("rate_limited") is None)


@pytest.fixture(scope="session")
def emulator_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The base URL of a running emulator: WORKOS_EMULATOR_URL, or one started for the session."""
    existing = os.environ.get("WORKOS_EMULATOR_URL")
    if existing:
        yield existing.rstrip("/")
        return
    with emulator.Emulator() as running:
        yield running.url


@pytest.fixture
def base_url(request: pytest.FixtureRequest) -> str:
    """The emulator when the run talks to a server, else the address cassettes replay for."""
    if _needs_server(request.config) or request.node.get_closest_marker("live"):
        return str(request.getfixturevalue("emulator_url"))
    return REPLAY_BASE_URL


@pytest.fixture(autouse=True)
def pause_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The clients' retry pauses, taken on a fake clock (``tests/clock.py``) in offline tests.

    Real clocks for tests marked ``sleeps`` (the few that prove real pauses wait) and for tests
    that talk to a real emulator, whose ``Retry-After`` must be honoured on the wall clock.
    """
    clock = FakeClock()
    node = request.node
    real = (
        node.get_closest_marker("sleeps")
        or node.get_closest_marker("live")
        or node.get_closest_marker("e2e")
        or _needs_server(request.config)
    )
    if not real:
        clock.install(monkeypatch)
    return clock


@pytest.fixture
def sso(base_url: str, client_kind: str) -> Iterator[SSOClient]:  # noqa: F811
    """A client of each kind (each with a seed key of its own); retries kept short."""
    with make_client(
        client_kind,
        # A key per kind: both kinds' live tests on one key would pass the emulator's limit.
        api_key=emulator.ASYNC_KIND_API_KEY if client_kind == "async" else emulator.DEFAULT_API_KEY,
        client_id=emulator.CLIENT_ID,
        base_url=base_url,
        max_retry_wait=1.0,
    ) as client:
        yield client


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "match_on": ["method", "path", "query"],
        "filter_headers": ["authorization"],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
    }


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """One cassette per test, whichever kind of client replays it (``nox -s record`` records
    with the sync one): both clients must send the same requests to replay it."""
    name = request.node.originalname
    return f"{request.cls.__name__}.{name}" if request.cls else name


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(emulator.ROOT / "cassettes")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line on the hostile-server cases (tests marked ``hostile``) and how they ended."""
    final: dict[str, str] = {}  # a test's last report wins: a teardown error beats a pass
    for outcome in ("passed", "skipped", "xfailed", "xpassed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if "hostile" in getattr(report, "keywords", {}):
                final[report.nodeid] = outcome
    if final:
        counts = {outcome: list(final.values()).count(outcome) for outcome in set(final.values())}
        detail = ", ".join(f"{counts[outcome]} {outcome}" for outcome in sorted(counts))
        terminalreporter.write_line(f"hostile servers: {len(final)} cases ran ({detail})")
