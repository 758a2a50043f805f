"""A scriptable HTTP/1.1 server on 127.0.0.1 for the transport's fault tests.

Real sockets, no mocks: the client under test talks to this server exactly as it would to the
WorkOS API, so what a test sees is what urllib3 and requests really do. The server is written on
plain sockets rather than ``http.server`` because several faults live below HTTP: a connection
closed before the answer, a reset in the middle of a body, a body shorter than its
``Content-Length``, a server that accepts and then never speaks.

A test scripts the server with a queue of *actions*, one per request received, in order::

    loopback.script(Reply.json(503, {"message": "busy"}), Reply.json(200, {"ok": True}))
    loopback.always(Reply.json(500, {}))      # what every request gets once the queue is empty

and afterwards asserts on ``loopback.requests``: every request that arrived, in order, with its
method, path, headers and body. A request is recorded *before* its action runs, so when the
client has returned or raised, every request it sent is already in the list.

A server that plays an API with several endpoints answers by path instead::

    loopback.always(Route({"/sso/token": Reply.json(200, token), "/connections": page_for}))

where a route's answer is an action, or a function of the request that returns one (to answer
by the query, say). ``loopback.open_connections`` and ``wait_for_open_connections`` show whether
the client keeps a connection alive or has closed it.

Fixtures: ``loopback`` and ``second_loopback`` (two independent servers, for redirects to
another host). Both are stopped after the test, and the test fails if a request arrived that
nothing was scripted for, or if the server itself hit an unexpected error.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.clients import kind_of, make_client
from workos_sso import SSOClient

__all__ = [
    "LOOPBACK_API_KEY",
    "LOOPBACK_CLIENT_ID",
    "CloseBeforeAnswer",
    "EnormousBody",
    "LoopbackServer",
    "NeverAnswer",
    "RawBytes",
    "RecordedRequest",
    "Reply",
    "ResetMidBody",
    "Route",
    "TruncatedBody",
    "client_for",
    "closed_port",
    "loopback",
    "second_loopback",
]

_HOST = "127.0.0.1"
#: Long enough for any test; short enough that a stuck client cannot hold a thread for ever.
_SOCKET_TIMEOUT = 10.0
_MAX_HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it. Header names are lower-cased."""

    method: str
    #: The request target exactly as sent: path and query, still percent-encoded.
    path: str
    headers: Mapping[str, str]
    body: bytes
    connection: int
    received_at: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def url_path(self) -> str:
        """The path alone, without the query string (still percent-encoded)."""
        return urlsplit(self.path).path

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query string's name/value pairs, decoded, in the order sent."""
        return parse_qsl(urlsplit(self.path).query, keep_blank_values=True)


class _Connection:
    """One accepted socket, with the bytes read past the current request kept for the next."""

    def __init__(self, sock: socket.socket, number: int) -> None:
        self.sock = sock
        self.number = number
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reset(self) -> None:
        """Close with a TCP RST instead of a FIN: SO_LINGER on, with a zero timeout."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def _head(status: int, reason: str, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _as_bytes(body: Union[bytes, str]) -> bytes:
    return body if isinstance(body, bytes) else body.encode()


class Action:
    """What the server does with one request. ``perform`` returns False to close the socket."""

    def perform(self, conn: _Connection, server: LoopbackServer) -> bool:
        raise NotImplementedError

    def answer_for(self, request: RecordedRequest) -> Optional[Action]:
        """The action that answers ``request``: this one, unless it chooses (see ``Route``)."""
        return self


@dataclass(frozen=True)
class Reply(Action):
    """A complete, well-formed response (``Content-Length`` is added unless given)."""

    status: int = 200
    body: Union[bytes, str] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    reason: str = "Loopback"

    @classmethod
    def json(cls, status: int, payload: Any, headers: Optional[Mapping[str, str]] = None) -> Reply:
        merged = {"Content-Type": "application/json", **(headers or {})}
        return cls(status=status, body=json.dumps(payload), headers=merged)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status=status, headers={"Location": location})

    def perform(self, conn: _Connection, server: LoopbackServer) -> bool:
        body = _as_bytes(self.body)
        headers = dict(self.headers)
        if not any(name.lower() == "content-length" for name in headers):
            headers["Content-Length"] = str(len(body))
        conn.send(_head(self.status, self.reason, headers) + body)
        return headers.get("Connection", "").lower() != "close"


@dataclass(frozen=True)
class CloseBeforeAnswer(Action):
    """Read the request, then close the connection without a byte of answer.

    Cleanly (FIN) by default; with ``reset`` the connection is reset (RST) instead.
    """

    reset: bool = False

    def perform(self, conn: _Connection, server: LoopbackServer) -> bool:
        if self.reset:
            conn.reset()
        return False


def _send_cut_body(conn: _Connection, status: int, sent: bytes, declared_length: int) -> None:
    """A JSON head that promises ``declared_length`` bytes, then only ``sent`` of them."""
    headers = {"Content-Type": "application/json", "Content-Length": str(declared_length)}
    conn.send(_head(status, "OK", headers) + sent)


@dataclass(frozen=True)
class ResetMidBody(Action):
    """Send the head and part of the body, then reset the connection (RST)."""

    status: int = 200
    sent: bytes = b'{"object": "list", "data": ['
    declared_length: int = 4096

    def perform(self, conn: _Connection, server: LoopbackServer) -> bool:
        _send_cut_body(conn, self.status, self.sent, self.declared_length)
        # Give the client time to read the head, so the reset lands in the middle of the body.
        time.sleep(0.05)
        conn.reset()
        return False


@dataclass(frozen=True)
class TruncatedBody(Action):
    """Declare a ``Content-Length`` longer than the body sent, then close cleanly (FIN)."""

    status: int = 200
    sent: bytes = b'{"id": "conn_'
    declared_length: int = 500

    def perform(self, conn: _Connection, server: LoopbackServer) -> bool:
        _send_cut_body(conn, self.status, self.sent, self.declared_length)
        return False


@dataclass(frozen=True)
class RawBytes(Action):
    """Send these bytes as the whole answer and close: a server that does not speak HTTP."""

    data: bytes = b"SSH-2.0-OpenSSH_9.6\r\n"

    def perform(self, conn: _Connection, server: LoopbackServer) -> bool:
        conn.send(self.data)
        return False


@dataclass(frozen=True)
class NeverAnswer(Action):
    """Accept the request and stay silent until the server stops (or ``seconds`` pass)."""

    seconds: Optional[float] = None

    def perform(self, conn: _Connection, server: LoopbackServer) -> bool:
        server.stopping.wait(self.seconds)
        return False


class EnormousBody(Action):
    """Stream a body of ``total_bytes``, counting how much the client actually took.

    With ``declare_length`` the size is announced in ``Content-Length``; without it the body is
    sent chunked, so only reading can reveal how big it is. ``bytes_sent`` stops growing once
    the client hangs up, which is how a test shows the body was not read to the end.
    """

    def __init__(self, total_bytes: int, *, declare_length: bool = True, status: int = 200):
        self.total_bytes = total_bytes
        self.declare_length = declare_length
        self.status = status
        self.bytes_sent = 0
        self.finished = threading.Event()

    def perform(self, conn: _Connection, server: LoopbackServer) -> bool:
        headers = {"Content-Type": "application/json"}
        if self.declare_length:
            headers["Content-Length"] = str(self.total_bytes)
        else:
            headers["Transfer-Encoding"] = "chunked"
        try:
            conn.send(_head(self.status, "OK", headers))
            piece = b"[" + b"0," * (32 * 1024)
            while self.bytes_sent < self.total_bytes and not server.stopping.is_set():
                chunk = piece[: self.total_bytes - self.bytes_sent]
                framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
                conn.send(chunk if self.declare_length else framed)
                self.bytes_sent += len(chunk)
            if not self.declare_length:
                conn.send(b"0\r\n\r\n")
        except OSError:
            pass  # the client hung up: exactly what a capped reader should do
        finally:
            self.finished.set()
        return False


#: What a route answers with: an action, or a function of the request that returns one.
RouteAnswer = Union[Action, Callable[[RecordedRequest], Action]]


class Route(Action):
    """Answer by the request's path (query left out), from a mapping of path to answer.

    A path the mapping lacks counts as unscripted, so the test fails rather than the client
    quietly getting an error it was never meant to see.
    """

    def __init__(self, routes: Mapping[str, RouteAnswer]) -> None:
        self.routes = dict(routes)

    def answer_for(self, request: RecordedRequest) -> Optional[Action]:
        answer = self.routes.get(request.url_path)
        if answer is None or isinstance(answer, Action):
            return answer
        return answer(request)

    def perform(self, conn: _Connection, server: LoopbackServer) -> bool:
        raise TypeError("a Route only chooses the action; the server performs that one")


_UNSCRIPTED = Reply.json(599, {"message": "loopback server: no response was scripted"})


class LoopbackServer:
    """A threaded HTTP/1.1 server on an ephemeral 127.0.0.1 port (see the module docstring)."""

    def __init__(self, kind: str = "sync") -> None:
        #: The kind of client ``client_for`` makes for this server (the test's ``client_kind``).
        self.kind = kind
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((_HOST, 0))
        self._listener.listen(64)
        # Polling accept with a timeout: closing a socket does not wake a thread blocked in
        # accept() on every platform.
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://{_HOST}:{self.port}"
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._queue: deque[Action] = deque()
        self._fallback: Optional[Action] = None
        self._requests: list[RecordedRequest] = []
        self._open: set[_Connection] = set()
        self._threads: list[threading.Thread] = []
        self.connections_accepted = 0
        self.unscripted = 0
        self.errors: list[BaseException] = []
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    # --- scripting and inspection ------------------------------------------------------------

    def script(self, *actions: Action) -> None:
        """Queue actions: the next requests get them, one each, in order."""
        with self._lock:
            self._queue.extend(actions)

    def always(self, action: Action) -> None:
        """The action for every request that arrives once the queue is empty."""
        with self._lock:
            self._fallback = action

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    @property
    def open_connections(self) -> int:
        """Connections accepted and not yet closed (by either side)."""
        with self._lock:
            return len(self._open)

    def wait_for_open_connections(self, expected: int, *, timeout: float = 3.0) -> int:
        """Wait until ``expected`` connections are open, or the timeout passes; return the count.

        A client closes its sockets without waiting for the server to notice, so a test that
        asserts on the count must give the server a moment to see the close.
        """
        deadline = time.monotonic() + timeout
        while self.open_connections != expected and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.open_connections

    def stop(self) -> None:
        self.stopping.set()
        # A connection of our own wakes the acceptor now, rather than at its next poll: a test's
        # teardown then takes no time, which over hundreds of tests is most of their run.
        with contextlib.suppress(OSError), socket.create_connection((_HOST, self.port), 1.0):
            pass
        self._acceptor.join(timeout=5)
        self._listener.close()
        with self._lock:
            still_open = list(self._open)
        for conn in still_open:
            # shutdown() wakes a thread blocked in recv() on this socket; close() alone does not.
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)

    # --- serving -----------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            if self.stopping.is_set():  # the wake-up connection from stop(), or one too late
                sock.close()
                return
            sock.settimeout(_SOCKET_TIMEOUT)
            with self._lock:
                self.connections_accepted += 1
                conn = _Connection(sock, self.connections_accepted)
                self._open.add(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: _Connection) -> None:
        try:
            keep_open = True
            while keep_open and not self.stopping.is_set():
                request = self._read_request(conn)
                if request is None:
                    break
                keep_open = self._action_for(request).perform(conn, self)
        except OSError:
            pass  # the client went away; the tests look at what was recorded, not at this
        except Exception as exc:  # a bug in the server must fail the test, not vanish
            with self._lock:
                self.errors.append(exc)
        finally:
            with self._lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.sock.close()

    def _action_for(self, request: RecordedRequest) -> Action:
        with self._lock:
            self._requests.append(request)
            scripted = self._queue.popleft() if self._queue else self._fallback
        # Outside the lock: a route may call a test's function to choose its answer.
        action = scripted.answer_for(request) if scripted is not None else None
        if action is None:
            with self._lock:
                self.unscripted += 1
            return _UNSCRIPTED
        return action

    def _read_request(self, conn: _Connection) -> Optional[RecordedRequest]:
        while b"\r\n\r\n" not in conn.buffer:
            if len(conn.buffer) > _MAX_HEAD_BYTES:
                raise ValueError("request head too large")
            data = conn.sock.recv(65536)
            if not data:
                return None  # the client closed an idle keep-alive connection
            conn.buffer += data
        head, _, rest = conn.buffer.partition(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            data = conn.sock.recv(65536)
            if not data:
                return None
            rest += data
        conn.buffer = rest[length:]
        return RecordedRequest(
            method=method,
            path=target,
            headers=headers,
            body=rest[:length],
            connection=conn.number,
            received_at=time.monotonic(),
        )


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released, so a connect is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
    return port


#: Long and distinctive, so a test can search any text for it (redaction skips short strings).
LOOPBACK_API_KEY = "sk_test_loopback_0123456789abcdef"
LOOPBACK_CLIENT_ID = "client_01LOOPBACK"


def client_for(
    server: Union[LoopbackServer, str], *, kind: Optional[str] = None, **options: Any
) -> SSOClient:
    """A client for a loopback server with test-sized waits; ``options`` override them.

    Of the server's kind, which the ``client_kind`` fixture chose (sync when the test does not
    ask for it); ``kind`` is required for a URL.
    """
    if kind is None:
        if isinstance(server, str):
            raise TypeError("client_for(url) needs kind=, the test's client_kind")
        kind = server.kind
    settings: dict[str, Any] = {
        "api_key": LOOPBACK_API_KEY,
        "client_id": LOOPBACK_CLIENT_ID,
        "base_url": server if isinstance(server, str) else server.url,
        "timeout": (2.0, 2.0),
        "max_retries": 0,
        "max_retry_wait": 0.05,
    }
    settings.update(options)
    return make_client(kind, **settings)  # type: ignore[return-value]  # the same methods, blocking


def _serve_for_test(request: pytest.FixtureRequest) -> Iterator[LoopbackServer]:
    server = LoopbackServer(kind_of(request))
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, f"the loopback server failed: {server.errors!r}"
    assert server.unscripted == 0, f"{server.unscripted} request(s) arrived with nothing scripted"


@pytest.fixture
def loopback(request: pytest.FixtureRequest) -> Iterator[LoopbackServer]:
    """A scriptable HTTP server on 127.0.0.1, stopped after the test."""
    yield from _serve_for_test(request)


@pytest.fixture
def second_loopback(request: pytest.FixtureRequest) -> Iterator[LoopbackServer]:
    """Another, independent server: "another host" for redirect tests."""
    yield from _serve_for_test(request)
