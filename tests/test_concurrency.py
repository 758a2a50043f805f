"""One client shared by many threads, and a client in a forked child, against the real emulator.

The shared-client test sends 2,000 calls from 16 threads through a counting TCP proxy of its own
on loopback, so the connections the client opens are counted where the server sees them.

The emulator allows one API key 1,000 requests a minute (999 answered, then 429 with a
``Retry-After`` of up to 60 seconds until the minute is over). 2,000 calls with one client, so one
key, therefore span three rate-limit windows whatever the test does. The client is given
``max_retry_wait=60`` so it honours those ``Retry-After`` waits itself, and the test checks that
it did: every call ends in success, none in :class:`RateLimitError`. That makes the test take
about two minutes, almost all of it spent waiting as the server asked.

Both tests are of ``SSOClient`` only: threads sharing a client and a fork are how a sync client
is used concurrently (the proxy counts the connections of its ``requests`` pool, and urllib3's
log gives the statuses). An ``AsyncSSOClient`` is shared by tasks on one event loop instead;
its load test (1,000 concurrent calls through one client) is in ``test_async.py``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Optional

import pytest

from tests import admin, emulator
from workos_sso import Connection, SSOClient

pytestmark = pytest.mark.live

THREADS = 16
CALLS = 2_000
CONNECTIONS_PER_THREAD = 2
#: The emulator answers this many requests per key per minute before it sends 429.
ANSWERED_PER_WINDOW = 999


class CountingProxy:
    """A TCP proxy on loopback that forwards bytes unchanged and counts accepted connections.

    Each accepted connection gets its own upstream connection; when either side closes, the
    other is closed too, so the client sees exactly what the server does (for example the
    emulator closing a connection left idle for five seconds).
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.accepted = 0
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_forever, daemon=True)
        self._acceptor.start()

    def _accept_forever(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:  # the listener was closed: the proxy is stopping
                return
            upstream = socket.create_connection(self._upstream)
            with self._lock:
                self.accepted += 1
                self._sockets += [downstream, upstream]
                for source, target in ((downstream, upstream), (upstream, downstream)):
                    pump = threading.Thread(target=_pump, args=(source, target), daemon=True)
                    self._threads.append(pump)
                    pump.start()

    def close(self) -> None:
        self._listener.close()
        self._acceptor.join(timeout=5)
        with self._lock:
            for sock in self._sockets:
                _close_quietly(sock)
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=5)


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        # Pass the close on, so each end sees the other hang up as it would directly.
        _close_quietly(target)
        _close_quietly(source)


def _close_quietly(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class _Urllib3Records(logging.Handler):
    """Collects urllib3's per-response debug records: (time, port, status)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.responses: list[tuple[float, int, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        # urllib3 logs each response as '%s://%s:%s "%s %s %s" %s %s': scheme, host, port,
        # method, path, version, status, length.
        if record.msg.startswith('%s://%s:%s "%s %s %s" %s') and isinstance(record.args, tuple):
            port, status = record.args[2], record.args[6]
            self.responses.append((record.created, int(str(port)), int(str(status))))

    def through(self, port: int) -> list[tuple[float, int]]:
        """(time, status) of the responses that came through ``port``."""
        return [(moment, status) for moment, via, status in self.responses if via == port]


@pytest.fixture
def urllib3_responses() -> Iterator[_Urllib3Records]:
    pool_logger = logging.getLogger("urllib3.connectionpool")
    handler = _Urllib3Records()
    previous = pool_logger.level
    pool_logger.setLevel(logging.DEBUG)
    pool_logger.addHandler(handler)
    try:
        yield handler
    finally:
        pool_logger.removeHandler(handler)
        pool_logger.setLevel(previous)


class Workload:
    """One organization per thread, with its own connections and its own domain."""

    def __init__(self, base_url: str) -> None:
        run = uuid.uuid4().hex[:8]
        self.organizations: list[str] = []
        self.domains: list[str] = []
        self.connections: list[list[str]] = []
        for number in range(THREADS):
            organization = admin.create_organization(base_url, f"Concurrency {run} {number:02d}")
            domain = f"t{number:02d}-{run}.concurrency.example"
            ids = admin.create_connections(
                base_url, organization, CONNECTIONS_PER_THREAD, domains=[domain]
            )
            self.organizations.append(organization)
            self.domains.append(domain)
            self.connections.append(ids)


def _run_thread(
    sso: SSOClient, work: Workload, number: int, calls: int, start: threading.Barrier
) -> int:
    """Make ``calls`` calls that only this thread's data can answer; return how many passed."""
    organization = work.organizations[number]
    domain = work.domains[number]
    own_ids = set(work.connections[number])
    start.wait()
    for call in range(calls):
        kind = call % 3
        if kind == 0:
            wanted = work.connections[number][call % CONNECTIONS_PER_THREAD]
            connection = sso.get_connection(wanted)
            assert connection.id == wanted, f"thread {number} asked for {wanted}"
            assert connection.organization_id == organization
        else:
            # Two distinct filters; each answer must be exactly this thread's connections.
            found: list[Connection] = list(
                sso.list_connections(organization_id=organization)
                if kind == 1
                else sso.list_connections(domain=domain)
            )
            assert {c.id for c in found} == own_ids, f"thread {number} got {found}"
            assert all(c.organization_id == organization for c in found)
            assert all(domain in {d.domain for d in c.domains} for c in found)
    return calls


def _windows(rate_limited: list[float]) -> int:
    """How many separate rate-limit pauses the 429 answers at these times belong to."""
    pauses = 0
    last: Optional[float] = None
    for moment in sorted(rate_limited):
        if last is None or moment - last > 5:
            pauses += 1
        last = moment
    return pauses


@pytest.mark.rate_limited
def test_one_client_shared_by_16_threads(
    emulator_url: str, urllib3_responses: _Urllib3Records
) -> None:
    work = Workload(emulator_url)
    host, port = emulator_url.split("://", 1)[1].split(":")
    proxy = CountingProxy((host, int(port)))
    calls_per_thread = [CALLS // THREADS + (n < CALLS % THREADS) for n in range(THREADS)]
    assert sum(calls_per_thread) == CALLS
    results: dict[int, object] = {}
    start = threading.Barrier(THREADS)

    def worker(number: int) -> None:
        try:
            results[number] = _run_thread(sso, work, number, calls_per_thread[number], start)
        except BaseException as exc:  # reported below with the thread's number
            results[number] = exc

    began = time.monotonic()
    try:
        with SSOClient(
            # A key of its own, so other tests' budgets are untouched by this one's 2,000 calls.
            api_key=emulator.THREADS_API_KEY,
            client_id=emulator.CLIENT_ID,
            base_url=f"http://127.0.0.1:{proxy.port}",
            max_retry_wait=60.0,  # the emulator's longest Retry-After: wait it out, as asked
        ) as sso:
            threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=600)
            assert not any(thread.is_alive() for thread in threads), "a thread hung"
    finally:
        proxy.close()
    elapsed = time.monotonic() - began

    failures = {n: r for n, r in results.items() if isinstance(r, BaseException)}
    assert not failures, f"threads failed: {failures}"
    assert results == dict(enumerate(calls_per_thread))

    responses = urllib3_responses.through(proxy.port)
    statuses = [status for _, status in responses]
    pauses = _windows([moment for moment, status in responses if status == 429])
    print(
        f"\n{CALLS} calls from {THREADS} threads in {elapsed:.0f} s: "
        f"{proxy.accepted} TCP connections, {statuses.count(429)} answers of 429 "
        f"in {pauses} pauses"
    )
    assert statuses.count(200) == CALLS, "every call is exactly one answered request"
    assert set(statuses) <= {200, 429}
    # 2,000 calls need at least three windows of 999, so the client waited out at least two
    # pauses (more if earlier tests had spent part of this key's minute).
    assert pauses >= (CALLS - 1) // ANSWERED_PER_WINDOW

    # Connections were pooled and reused: each thread holds at most one at a time, and a new
    # one is needed only when the emulator closes idle ones (after 5 s), which happens during
    # each rate-limit pause. So at most one connection per thread per window, never one per call.
    assert proxy.accepted <= THREADS * (1 + pauses)
    assert proxy.accepted * 20 < CALLS


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork exists on POSIX only")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_client_created_after_fork_works_in_the_child(emulator_url: str) -> None:
    work_organization = admin.create_organization(emulator_url, f"Fork {uuid.uuid4().hex[:8]}")
    (wanted,) = admin.create_connections(emulator_url, work_organization, 1)
    with SSOClient(
        api_key=emulator.DEFAULT_API_KEY, client_id=emulator.CLIENT_ID, base_url=emulator_url
    ) as parent_client:
        # The parent's pool has a live connection at the moment of the fork.
        assert parent_client.get_connection(wanted).id == wanted
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest, whatever happens
            status = 1
            try:
                os.close(reader)
                with SSOClient(
                    api_key=emulator.DEFAULT_API_KEY,
                    client_id=emulator.CLIENT_ID,
                    base_url=emulator_url,
                ) as child_client:
                    connection = child_client.get_connection(wanted)
                report = {"id": connection.id, "organization_id": connection.organization_id}
                os.write(writer, json.dumps(report).encode())
                status = 0
            except BaseException as exc:
                os.write(writer, json.dumps({"error": repr(exc)[:500]}).encode())
            finally:
                os.close(writer)
                sys.stdout.flush()
                os._exit(status)
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            report = json.loads(pipe.read() or b"{}")
        _, wait_status = os.waitpid(pid, 0)
        assert os.WIFEXITED(wait_status)
        assert os.WEXITSTATUS(wait_status) == 0, report
        assert report == {"id": wanted, "organization_id": work_organization}
        # The parent's client is unaffected by the child's.
        assert parent_client.get_connection(wanted).id == wanted
