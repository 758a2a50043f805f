"""Install and run the official WorkOS emulator (npm ``workos``, ``workos emulate``).

Used by the test fixtures, the nox sessions and the demo. The emulator is installed with npm
into ``.emulator/`` at the repository root and started on a free loopback port.
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

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "workos@0.14.0"
INSTALL_DIR = ROOT / ".emulator"
SEED = Path(__file__).resolve().parent / "seed.yaml"
DEFAULT_API_KEY = "sk_test_default"
#: The seed's spare keys: the emulator allows each key 1,000 requests a minute.
SPARE_API_KEYS = ("sk_test_bulk_one", "sk_test_bulk_two", "sk_test_bulk_three", "sk_test_bulk_four")
#: A key for the async client's load test alone (a thousand calls in a few seconds).
LOAD_API_KEY = "sk_test_async_load"
CLIENT_ID = "client_01TESTCLIENT"


def executable() -> Path:
    return INSTALL_DIR / "node_modules" / ".bin" / "workos"


def install() -> Path:
    """Install the emulator with npm unless the pinned version is already there."""
    marker = INSTALL_DIR / "node_modules" / "workos" / "package.json"
    if marker.exists() and json.loads(marker.read_text())["version"] == PACKAGE.split("@")[1]:
        return executable()
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install the WorkOS emulator; install Node.js.")
    # npm's own summary ("added 120 packages") says nothing of what it installed, or where.
    print(
        f"Installing the WorkOS emulator (npm {PACKAGE}) into {INSTALL_DIR.name}/ ...",
        file=sys.stderr,
        flush=True,
    )
    INSTALL_DIR.mkdir(exist_ok=True)
    (INSTALL_DIR / "package.json").write_text('{"private": true}\n')
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", PACKAGE],
        cwd=INSTALL_DIR,
        check=True,
    )
    return executable()


class Emulator:
    """A running emulator: ``with Emulator() as emu: emu.url``."""

    def __init__(self, *, seed: Path = SEED, port: int = 0) -> None:
        self.seed = seed
        self.port = port
        self.url = ""
        self._process: Optional[subprocess.Popen[str]] = None

    def start(self) -> str:
        binary = install()
        self._process = subprocess.Popen(
            [str(binary), "emulate", "--port", str(self.port), "--seed", str(self.seed), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "NO_COLOR": "1", "DO_NOT_TRACK": "1"},
        )
        self.url = _read_url(self._process.stdout)
        _wait_healthy(self.url)
        return self.url

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
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


def _read_url(stdout: Optional[IO[str]]) -> str:
    assert stdout is not None
    seen = []
    for line in stdout:
        seen.append(line)
        line = line.strip()
        if line.startswith("{"):
            url = str(json.loads(line)["url"])
            # Loopback by address: "localhost" may resolve to ::1 first and cost a retry.
            return url.replace("://localhost:", "://127.0.0.1:")
        if len(seen) > 50:
            break
    raise RuntimeError("the emulator did not start:\n" + "".join(seen))


def _wait_healthy(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


if __name__ == "__main__":
    # `python tests/emulator.py` runs one in the foreground, for trying things by hand.
    with Emulator(port=int(os.environ.get("PORT", "4100"))) as running:
        print(json.dumps({"url": running.url, "api_key": DEFAULT_API_KEY, "client_id": CLIENT_ID}))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
