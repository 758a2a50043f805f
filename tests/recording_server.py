"""A loopback HTTP server for unit tests that records what the client sends.

It answers every request with one canned JSON body and keeps the raw request line, headers and
body of each request, plus how many connections are open, so tests can assert on the exact URL
the client asked for and on connection handling, without mocking ``requests``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

import attrs


@attrs.define
class RecordedRequest:
    method: str
    #: The request target exactly as sent: path and query, still percent-encoded.
    target: str
    headers: dict[str, str]
    body: bytes


@attrs.define
class RecordingServer:
    url: str
    requests: list[RecordedRequest] = attrs.field(factory=list)
    response_status: int = 200
    response_body: Any = attrs.field(factory=dict)
    open_connections: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def wait_for_open_connections(self, expected: int, *, timeout: float = 3.0) -> int:
        """Wait until ``expected`` connections are open, or the timeout passes; return the count."""
        deadline = time.monotonic() + timeout
        while self.open_connections != expected and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.open_connections


def _handler_for(server: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse and closing show

        def setup(self) -> None:
            super().setup()
            with server.lock:
                server.open_connections += 1

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                with server.lock:
                    server.open_connections -= 1

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server.requests.append(
                RecordedRequest(
                    method=self.command,
                    target=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=body,
                )
            )
            payload = b"" if server.response_body is None else json.dumps(server.response_body)
            encoded = payload.encode() if isinstance(payload, str) else payload
            self.send_response(server.response_status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


@contextmanager
def recording_server(response_body: Optional[Any] = None) -> Iterator[RecordingServer]:
    """Run a recording server on a free loopback port for the duration of the block."""
    state = RecordingServer(url="")
    if response_body is not None:
        state.response_body = response_body
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
