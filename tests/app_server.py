"""Web apps run as their own processes on loopback ports, as a developer would run them.

Shared by the browser tests (``tests/e2e``) and the ``verify`` probe's tests, which both need a
real app answering real HTTP rather than a framework's test client.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence

from tests import emulator

EXAMPLES = emulator.ROOT / "docs" / "examples"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} seconds")


def recipe_command(framework: str, port: int) -> list[str]:
    """How to serve one of docs/examples' recipes (flask, fastapi, django) on ``port``.

    Flask and FastAPI take the port from ``WORKOS_REDIRECT_URI``; Django is told it here.
    """
    if framework == "django":
        script = str(EXAMPLES / "django_app.py")
        return [sys.executable, script, "runserver", f"127.0.0.1:{port}", "--noreload"]
    return [sys.executable, str(EXAMPLES / f"{framework}_app.py")]


@contextlib.contextmanager
def running_app(command: Sequence[str], env: Mapping[str, str], port: int) -> Iterator[str]:
    """Run ``command`` until the block ends; yields ``http://127.0.0.1:{port}`` once it listens.

    If the app never listens, the error carries what it printed.
    """
    log = tempfile.TemporaryFile()  # noqa: SIM115  (open for the app's whole life)
    process = subprocess.Popen(list(command), env=dict(env), stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_port(port, process)
        except RuntimeError:
            log.seek(0)
            raise RuntimeError(log.read().decode(errors="replace")) from None
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
