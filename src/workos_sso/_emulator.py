"""Install and run the official WorkOS emulator (npm ``workos``, ``workos emulate``).

The one implementation behind the pytest plugin (``workos_sso.testing``) and this project's own
test harness (``tests/emulator.py``). Standard library only, and it imports nothing of
``workos_sso``: the project's noxfile loads this file by path, in an environment where
``workos_sso``'s dependencies are not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Optional

#: The emulator's npm package, pinned: every machine runs the same emulator.
PACKAGE = "workos@0.14.0"
#: The key the emulator accepts when the seed names none (else the seed's first key).
DEFAULT_API_KEY = "sk_test_default"

NODE_MISSING = (
    "The WorkOS emulator needs Node.js and npm: install Node.js 20 or later "
    "(https://nodejs.org or your package manager)."
)


class EmulatorUnavailableError(RuntimeError):
    """The emulator could not be installed or started; the message says why, in one line."""


def executable(install_dir: Path) -> Path:
    """Where ``install`` puts the emulator's ``workos`` command."""
    return install_dir / "node_modules" / ".bin" / "workos"


def install(install_dir: Path) -> Path:
    """Install the emulator with npm into ``install_dir`` unless the pinned version is there.

    Raises:
        EmulatorUnavailableError: Node.js or npm is not installed.
    """
    if shutil.which("node") is None:
        raise EmulatorUnavailableError(NODE_MISSING)
    marker = install_dir / "node_modules" / "workos" / "package.json"
    if marker.exists() and json.loads(marker.read_text())["version"] == PACKAGE.split("@")[1]:
        return executable(install_dir)
    npm = shutil.which("npm")
    if npm is None:
        raise EmulatorUnavailableError(NODE_MISSING)
    # npm's own summary ("added 120 packages") says nothing of what it installed, or where.
    print(  # noqa: T201  (a minute-long install must say what it is doing)
        f"Installing the WorkOS emulator (npm {PACKAGE}) into {install_dir} ...",
        file=sys.stderr,
        flush=True,
    )
    install_dir.mkdir(parents=True, exist_ok=True)
    (install_dir / "package.json").write_text('{"private": true}\n')
    subprocess.run(  # noqa: S603  (npm, found on PATH, and fixed arguments)
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", PACKAGE],
        cwd=install_dir,
        check=True,
    )
    return executable(install_dir)


class Emulator:
    """A running emulator: ``with Emulator(seed=..., install_dir=...) as emu: emu.url``.

    ``api_key`` is the key the emulator announced when it started: the seed's first key, or
    ``sk_test_default`` for a seed that names none.
    """

    def __init__(self, *, seed: Optional[Path], install_dir: Path, port: int = 0) -> None:
        self.seed = seed
        self.install_dir = install_dir
        self.port = port
        self.url = ""
        self.api_key = DEFAULT_API_KEY
        self._process: Optional[subprocess.Popen[str]] = None

    def start(self) -> str:
        """Start it and wait until it answers; return its URL.

        Raises:
            EmulatorUnavailableError: Node.js is missing, the emulator did not start, or
                ``port`` is taken (whatever listens there would answer in its place).
        """
        if self.port:
            _check_port_free(self.port)
        binary = install(self.install_dir)
        command = [str(binary), "emulate", "--port", str(self.port), "--json"]
        if self.seed is not None:
            command += ["--seed", str(self.seed)]
        self._process = subprocess.Popen(  # noqa: S603  (the installed emulator)
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "NO_COLOR": "1", "DO_NOT_TRACK": "1"},
        )
        try:
            announced = _read_announcement(self._process.stdout)
            self.url = _loopback(str(announced["url"]))
            self.api_key = str(announced.get("apiKey") or DEFAULT_API_KEY)
            _wait_healthy(self.url)
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout:
                self._process.stdout.close()
            self._process = None

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()


def _check_port_free(port: int) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As a server binds (Node does too): connections of a stopped one, waiting out their
        # TIME_WAIT, do not count; only a socket that listens there does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise EmulatorUnavailableError(
                f"port {port} is taken (another emulator?): stop it, or choose another port."
            ) from None


def _loopback(url: str) -> str:
    # Loopback by address: "localhost" may resolve to ::1 first and cost a retry.
    return url.rstrip("/").replace("://localhost:", "://127.0.0.1:")


def _read_announcement(stdout: Optional[IO[str]]) -> dict[str, object]:
    """The JSON line ``workos emulate --json`` prints once it listens."""
    assert stdout is not None
    seen = []
    for line in stdout:
        seen.append(line)
        line = line.strip()
        if line.startswith("{"):
            announced = json.loads(line)
            if isinstance(announced, dict) and "url" in announced:
                return announced
        if len(seen) > 50:
            break
    raise EmulatorUnavailableError("the emulator did not start:\n" + "".join(seen))


def _read_url(stdout: Optional[IO[str]]) -> str:
    """The base URL from ``workos emulate --json``'s output, on the loopback address."""
    return _loopback(str(_read_announcement(stdout)["url"]))


def wait_healthy(url: str, timeout: float = 30.0) -> None:
    """Wait until ``GET {url}/health`` answers 200, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


_wait_healthy = wait_healthy
