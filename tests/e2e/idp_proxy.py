"""A loopback reverse proxy in front of the emulator that can play an identity provider's page.

The emulator's ``/sso/authorize`` redirects back to the app at once, where a real identity
provider would show its sign-in page. Browser tests need that pause to act as a user who edits
the URL on the way (a forged state, another organization), and need to see the callback URL to
replay it. So the recipes under test talk to this proxy as their ``WORKOS_BASE_URL``; it forwards
everything to the emulator unchanged and, when asked, answers one ``/sso/authorize`` itself with
a page, remembering the URL. It also remembers the last callback URL the emulator redirected to.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

import requests

# Hop-by-hop headers and those the proxy recomputes after requests has decoded the body.
_SKIPPED_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length"}
)


class IdentityProviderProxy:
    """``with IdentityProviderProxy(upstream) as proxy: proxy.url``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.pause_next_authorize = False
        self.paused_authorize_url: Optional[str] = None
        self.last_callback_url: Optional[str] = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> IdentityProviderProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self
        session = requests.Session()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass  # keep the test output clean

            def _forward(self) -> None:
                with proxy._lock:
                    pause = proxy.pause_next_authorize and self.path.startswith("/sso/authorize")
                    if pause:
                        proxy.pause_next_authorize = False
                        proxy.paused_authorize_url = proxy.url + self.path
                if pause:
                    page = b"<!doctype html><title>IdP</title><h1>Identity provider sign-in</h1>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    name: value
                    for name, value in self.headers.items()
                    if name.lower() not in _SKIPPED_HEADERS and name.lower() != "host"
                }
                upstream = session.request(
                    self.command,
                    proxy.upstream + self.path,
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                    timeout=30,
                )
                location = upstream.headers.get("Location")
                if self.path.startswith("/sso/authorize") and location:
                    proxy.last_callback_url = location
                self.send_response(upstream.status_code)
                for name, value in upstream.headers.items():
                    if name.lower() not in _SKIPPED_HEADERS:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        return Handler
