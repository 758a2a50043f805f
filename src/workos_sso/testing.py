"""A pytest plugin for your app's own tests: the WorkOS emulator, a client, and sign-in.

Installed with workos-sso and loaded by pytest on its own (entry point ``pytest11``); nothing to
add to ``conftest.py``. It provides:

* ``workos_emulator`` (session-scoped): the official WorkOS emulator (npm ``workos@0.14.0``)
  started on a free loopback port with your seed file, or the server ``WORKOS_BASE_URL`` names
  when it is set (then nothing is started). A [`WorkOSEmulator`][workos_sso.testing.WorkOSEmulator]:
  ``.url``, ``.api_key``, ``.client_id``, ``.environ()``.
* ``workos_client``: an ``SSOClient`` on that server with retries off, closed after the test.
* [`complete_sign_in`][workos_sso.testing.complete_sign_in]: a plain function that does what the
  browser does at the emulator's ``/sso/authorize`` and returns the callback's code and state.

Settings: ``--workos-seed PATH`` or the ini setting ``workos_seed`` (relative to the ini file)
name the seed; ``workos_emulator_dir`` (ini) is where npm installs the emulator (default: the
pytest cache). Without Node.js the fixture fails with one line saying what to install. Turn the
plugin off with ``-p no:workos_sso``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qs, urljoin, urlsplit

import attrs
import pytest
import requests

from ._client import SSOClient
from ._emulator import PACKAGE, Emulator, EmulatorUnavailableError

__all__ = [
    "DEFAULT_CLIENT_ID",
    "SignInCallback",
    "SignInNotCompletedError",
    "WorkOSEmulator",
    "complete_sign_in",
]

#: The client id the fixtures use unless ``WORKOS_CLIENT_ID`` is set (the emulator takes any).
DEFAULT_CLIENT_ID = "client_emulate"
_REDIRECTS = (301, 302, 303, 307, 308)


@attrs.frozen
class WorkOSEmulator:
    """The WorkOS API the tests talk to: an emulator started for the session, or
    ``WORKOS_BASE_URL``.

    Attributes:
        url: its base URL, without a trailing slash.
        api_key: the API key to use: the one the emulator announced (your seed's first key, or
            ``sk_test_default``), or ``WORKOS_API_KEY`` with ``WORKOS_BASE_URL``.
        client_id: ``WORKOS_CLIENT_ID``, else ``client_emulate`` (the emulator takes any).
    """

    url: str
    api_key: str = attrs.field(repr=False)
    client_id: str

    def environ(self) -> dict[str, str]:
        """``WORKOS_BASE_URL``, ``WORKOS_API_KEY`` and ``WORKOS_CLIENT_ID`` for an app that
        reads its settings from the environment (``SSOClient.from_env``)."""
        return {
            "WORKOS_BASE_URL": self.url,
            "WORKOS_API_KEY": self.api_key,
            "WORKOS_CLIENT_ID": self.client_id,
        }


@attrs.frozen
class SignInCallback:
    """Where the emulator sent the browser after a sign-in: the app's callback.

    Attributes:
        url: the whole callback URL (``redirect_uri`` with ``code`` and ``state``).
        code: the single-use authorization code.
        state: the ``state`` the authorization URL carried, or ``None`` if it had none.
    """

    url: str
    code: str
    state: Optional[str]

    @property
    def path(self) -> str:
        """The callback's path and query, for an app's test client (``client.get(cb.path)``)."""
        parts = urlsplit(self.url)
        return f"{parts.path}?{parts.query}"


class SignInNotCompletedError(AssertionError):
    """``complete_sign_in`` did not end on the app's callback with a code."""


def complete_sign_in(
    authorization_url: str, *, redirect_uri: Optional[str] = None, timeout: float = 10.0
) -> SignInCallback:
    """Do what the browser does at the emulator's ``/sso/authorize``, without a browser.

    The emulator signs in a profile of the connection at once and redirects to the app's
    ``redirect_uri``; this follows that one redirect (and no other) and reads the code and state.

    Args:
        authorization_url: from ``start_sign_in`` or ``get_authorization_url``.
        redirect_uri: when given, the callback must be this URL.
        timeout: seconds to wait for the emulator.

    Raises:
        SignInNotCompletedError: the answer was not a redirect, went elsewhere than
            ``redirect_uri``, or carried an ``error`` or no ``code``.
    """
    response = requests.get(authorization_url, allow_redirects=False, timeout=timeout)
    location = response.headers.get("Location")
    if response.status_code not in _REDIRECTS or not location:
        raise SignInNotCompletedError(
            f"Expected a redirect back to the app from {_without_query(authorization_url)}, got "
            f"HTTP {response.status_code}: {response.text[:300]!r}"
        )
    url = urljoin(authorization_url, location)
    if redirect_uri is not None and _without_query(url) != redirect_uri:
        raise SignInNotCompletedError(
            f"The sign-in went to {_without_query(url)}, not to the redirect_uri {redirect_uri}."
        )
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    if "error" in query or not query.get("code"):
        raise SignInNotCompletedError(
            f"The sign-in came back without a code: error={query.get('error')!r}, "
            f"error_description={query.get('error_description')!r}."
        )
    return SignInCallback(url=url, code=query["code"], state=query.get("state"))


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


# --- the pytest plugin ----------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's settings: ``--workos-seed``, and the ini settings ``workos_seed`` and
    ``workos_emulator_dir``."""
    group = parser.getgroup("workos_sso", "WorkOS emulator (workos_sso.testing)")
    group.addoption(
        "--workos-seed",
        dest="workos_seed",
        metavar="PATH",
        default=None,
        help="The seed file the workos_emulator fixture starts the emulator with.",
    )
    parser.addini(
        "workos_seed", "The WorkOS emulator's seed file, relative to the ini file.", default=""
    )
    parser.addini(
        "workos_emulator_dir",
        f"Where npm installs the WorkOS emulator ({PACKAGE}), relative to the ini file; "
        "default: the pytest cache.",
        default="",
    )


def _ini_path(config: pytest.Config, name: str) -> Optional[Path]:
    value = str(config.getini(name) or "")
    if not value:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return (base / value).resolve()


def _seed(config: pytest.Config) -> Optional[Path]:
    option = config.getoption("workos_seed", None)
    seed = Path(option).resolve() if option else _ini_path(config, "workos_seed")
    if seed is not None and not seed.is_file():
        raise pytest.UsageError(f"The WorkOS emulator's seed file {seed} does not exist.")
    return seed


def _install_dir(config: pytest.Config) -> Path:
    configured = _ini_path(config, "workos_emulator_dir")
    if configured is not None:
        return configured
    cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
    if cache is not None:
        return Path(cache.mkdir("workos-emulator"))
    return config.rootpath / ".workos-emulator"


@pytest.fixture(scope="session")
def workos_emulator(pytestconfig: pytest.Config) -> Iterator[WorkOSEmulator]:
    """The WorkOS API for the test session: ``WORKOS_BASE_URL`` if set, else an emulator started
    with the seed of ``--workos-seed`` or the ini setting ``workos_seed``."""
    client_id = os.environ.get("WORKOS_CLIENT_ID") or DEFAULT_CLIENT_ID
    existing = os.environ.get("WORKOS_BASE_URL")
    if existing:
        api_key = os.environ.get("WORKOS_API_KEY") or "sk_test_default"
        yield WorkOSEmulator(url=existing.rstrip("/"), api_key=api_key, client_id=client_id)
        return
    running = Emulator(seed=_seed(pytestconfig), install_dir=_install_dir(pytestconfig))
    unavailable = ""
    try:
        running.start()
    except EmulatorUnavailableError as error:
        unavailable = str(error)
    except subprocess.CalledProcessError as error:
        unavailable = f"npm install {PACKAGE} failed (exit status {error.returncode})."
    if unavailable:  # failed outside the except block: one line, with no chained traceback
        pytest.fail(unavailable, pytrace=False)
    try:
        yield WorkOSEmulator(url=running.url, api_key=running.api_key, client_id=client_id)
    finally:
        running.stop()


@pytest.fixture
def workos_client(workos_emulator: WorkOSEmulator) -> Iterator[SSOClient]:
    """An ``SSOClient`` on ``workos_emulator`` with retries off; closed after the test."""
    with SSOClient(
        api_key=workos_emulator.api_key,
        client_id=workos_emulator.client_id,
        base_url=workos_emulator.url,
        max_retries=0,
    ) as client:
        yield client
