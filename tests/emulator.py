"""The project's own use of the WorkOS emulator runner in ``workos_sso._emulator``.

Used by the test fixtures, the nox sessions and the benchmarks, with the project's seed and the
emulator installed into ``.emulator/`` at the repository root. The runner itself is the pytest
plugin's (``workos_sso.testing``): one implementation. The noxfile imports this module in nox's
own environment, where workos_sso's dependencies are not installed, so the runner (standard
library only) is then loaded from its file.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path
from types import ModuleType
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
INSTALL_DIR = ROOT / ".emulator"
SEED = Path(__file__).resolve().parent / "seed.yaml"
#: The seed's spare keys: the emulator allows each key 1,000 requests a minute.
SPARE_API_KEYS = ("sk_test_bulk_one", "sk_test_bulk_two", "sk_test_bulk_three", "sk_test_bulk_four")
#: A key for the async client's load test alone (a thousand calls in a few seconds).
LOAD_API_KEY = "sk_test_async_load"
#: Keys of their own for the busiest groups of live tests: the emulator allows each key 999
#: requests a minute, and one key for the whole session would run out.
ASYNC_KIND_API_KEY = "sk_test_async_kind"
RECIPES_API_KEY = "sk_test_recipes"
VERIFY_API_KEY = "sk_test_verify"
INTEGRATIONS_API_KEY = "sk_test_integrations"
SECRETS_API_KEY = "sk_test_secrets"
#: The shared-client thread test's own key: its 2,000 calls span three windows of it.
THREADS_API_KEY = "sk_test_threads"
CLIENT_ID = "client_01TESTCLIENT"


def _runner() -> ModuleType:
    try:
        from workos_sso import _emulator
    except ImportError:  # nox's own environment
        path = ROOT / "src" / "workos_sso" / "_emulator.py"
        spec = importlib.util.spec_from_file_location("_workos_sso_emulator", path)
        assert spec is not None
        assert spec.loader is not None
        _emulator = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_emulator)
    return _emulator


_emulator = _runner()
PACKAGE: str = _emulator.PACKAGE
DEFAULT_API_KEY: str = _emulator.DEFAULT_API_KEY
_read_url = _emulator._read_url
_wait_healthy = _emulator.wait_healthy


def executable() -> Path:
    return Path(_emulator.executable(INSTALL_DIR))


def install() -> Path:
    """Install the emulator into ``.emulator/`` unless the pinned version is already there."""
    return Path(_emulator.install(INSTALL_DIR))


class Emulator(_emulator.Emulator):  # type: ignore[misc,name-defined]
    """A running emulator with the project's seed: ``with Emulator() as emu: emu.url``."""

    def __init__(self, *, seed: Optional[Path] = SEED, port: int = 0) -> None:
        super().__init__(seed=seed, install_dir=INSTALL_DIR, port=port)


if __name__ == "__main__":
    # `python tests/emulator.py` runs one in the foreground, for trying things by hand.
    with Emulator(port=int(os.environ.get("PORT", "4100"))) as running:
        print(json.dumps({"url": running.url, "api_key": DEFAULT_API_KEY, "client_id": CLIENT_ID}))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


#: The seed's organizations by short name, with an email domain each one's connection serves.
SEEDED_DOMAINS = {"foo": "foo-corp.com", "bar": "bar.example"}


def seeded_organizations(base_url: str) -> dict[str, str]:
    """The ids of the seed's organizations (``foo``: Foo Corp, ``bar``: Bar Inc) on a running
    emulator, which makes new ids each time it starts."""
    # Imported here: nox imports this module where workos_sso's dependencies are not installed.
    from workos_sso import SSOClient, find_connection_for_email

    found: dict[str, str] = {}
    with SSOClient(api_key=DEFAULT_API_KEY, client_id=CLIENT_ID, base_url=base_url) as sso:
        for name, domain in SEEDED_DOMAINS.items():
            organization = find_connection_for_email(sso, f"someone@{domain}").organization_id
            assert organization is not None, f"the seed's {domain} connection has no organization"
            found[name] = organization
    return found
