"""Development sessions: `nox` runs every check CI runs; `nox -s demo` shows the client working.

The supported Pythons are read from pyproject's classifiers, so adding one there adds it here.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT))

# Imported under another name: the `emulator` session below would shadow the module.
from tests import emulator as emulator_harness  # noqa: E402

nox.options.default_venv_backend = "uv|virtualenv"
# Sessions without a `python=` run on the interpreter nox itself runs on, so `nox -s demo` works
# with whatever Python a newcomer has. uv must not try to download one (there may be no network).
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")
nox.options.reuse_existing_virtualenvs = True
# Everything CI runs (`nox` with no arguments); e2e needs Debian's chromium and chromium-driver.
nox.options.sessions = [
    "lint",
    "mypy",
    "tests",
    "emulator",
    "contract",
    "e2e",
    "docs",
    "bench-quick",
]

PYPROJECT = (ROOT / "pyproject.toml").read_text()
PYTHONS = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT)
TEST_DEPS = [
    "pytest>=8",
    "pytest-recording>=0.13",
    "vcrpy>=6",
    # hypothesis 6.170.10 dropped the many().more() that hypothesis-jsonschema 0.23.1 calls.
    "hypothesis>=6.100,<6.170.10",
    "hypothesis-jsonschema>=0.23",
]


def _start_emulator(session: nox.Session) -> str:
    """Start an emulator for the rest of the session and return its URL."""
    running = emulator_harness.Emulator()
    url = running.start()
    session.log(f"WorkOS emulator running at {url}")
    import atexit

    atexit.register(running.stop)
    return url


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Unit tests and cassette replays, offline."""
    session.install(".[async]", *TEST_DEPS)
    session.run("pytest", "-m", "not live", *session.posargs)


@nox.session
def emulator(session: nox.Session) -> None:
    """The scenario tests and live tests against a real WorkOS emulator."""
    # uvicorn serves the FastAPI recipe for the verify probe's tests (tests/test_verify.py).
    session.install(".[async]", *TEST_DEPS, *RECIPE_DEPS, "uvicorn>=0.29")
    url = _start_emulator(session)
    session.run(
        "pytest",
        "-m",
        "(scenario or live) and not e2e",
        "--disable-recording",
        *session.posargs,
        env={"WORKOS_EMULATOR_URL": url},
    )


@nox.session
def record(session: nox.Session) -> None:
    """Re-record the cassettes against a real emulator, scrubbing secrets as they are written."""
    session.install(".[async]", *TEST_DEPS)
    url = _start_emulator(session)
    session.run(
        "pytest",
        "-m",
        "scenario and not live",
        # Recorded by the sync client; both kinds replay the same cassettes.
        "-k",
        "not async",
        "--record-mode=rewrite",
        *session.posargs,
        env={"WORKOS_EMULATOR_URL": url},
    )


@nox.session
def demo(session: nox.Session) -> None:
    """Start the emulator and run the whole login flow against it."""
    session.install(".")
    url = _start_emulator(session)
    session.run(
        "python",
        "docs/examples/demo.py",
        env={
            "WORKOS_BASE_URL": url,
            "WORKOS_API_KEY": emulator_harness.DEFAULT_API_KEY,
            "WORKOS_CLIENT_ID": emulator_harness.CLIENT_ID,
        },
    )


@nox.session
def contract(session: nox.Session) -> None:
    """Re-extract WorkOS's OpenAPI spec (npm pack) and fail if tests/contract/sso_spec.json differs.

    Needs npm. After a deliberate spec upgrade, run `python tests/contract/extract.py` and
    commit the diff together with the model changes the contract tests then ask for.
    """
    session.install("pyyaml>=6")
    session.run("python", "tests/contract/extract.py", "--check", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHONS[0])
def mypy(session: nox.Session) -> None:
    """mypy --strict over the package and tests/typing, on the oldest supported Python."""
    session.install(".[async]", "mypy>=1.10", "types-requests")
    session.run("mypy", "--strict", *(session.posargs or []))


#: The web frameworks of the recipes in docs/examples (tests/test_recipes.py, live). FastAPI's
#: TestClient runs on httpx2 in current Starlette (plain httpx there is deprecated) and on httpx
#: before.
RECIPE_DEPS = [
    "flask>=3",
    "fastapi>=0.110",
    "httpx>=0.27",
    "httpx2",
    "itsdangerous>=2",
    "django>=4.2",
]


@nox.session
def e2e(session: nox.Session) -> None:
    """The recipes served on loopback ports, signed in through the emulator by headless Chromium.

    Needs Debian's chromium and chromium-driver (``apt-get install -y chromium chromium-driver``);
    Selenium drives /usr/bin/chromedriver and never downloads a driver. The tests start their own
    emulator, on a port they choose.
    """
    session.install(".[async]", *TEST_DEPS, *RECIPE_DEPS, "uvicorn>=0.29", "selenium>=4.11")
    session.run("pytest", "-m", "e2e", "--disable-recording", *session.posargs)


#: What the documentation site is built with (mkdocs.yml); ruff formats the rendered signatures.
DOCS_DEPS = [
    "mkdocs>=1.6",
    "mkdocs-material>=9.5",
    "mkdocstrings[python]>=0.27",
    "mkdocstrings-python>=1.16",
    "ruff>=0.6",
]


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site in strict mode: any warning, broken link or missing reference
    fails. The docs' code blocks run in the `tests` (offline) and `emulator` (live) sessions.
    """
    session.install(".[async]", *DOCS_DEPS)
    site = Path(session.create_tmp()) / "site"
    session.run(
        "mkdocs", "build", "--strict", "--site-dir", str(site), env={"NO_MKDOCS_2_WARNING": "1"}
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against WorkOS's official Python SDK and plain requests, on the emulator.

    `nox -s bench` is the full run behind docs/performance.md; `-- --check` makes a missed
    target fail the session.
    """
    _run_benchmarks(session, *session.posargs)


@nox.session(name="bench-quick")
def bench_quick(session: nox.Session) -> None:
    """A short benchmark run, part of every `nox` run so the benchmark cannot rot."""
    _run_benchmarks(session, "--quick", *session.posargs)


def _run_benchmarks(session: nox.Session, *args: str) -> None:
    session.install(".[async]", "workos>=10,<11")
    # A reused environment must measure the code as it is now, not the last build of it.
    session.install("--force-reinstall", "--no-deps", ".")
    session.run("python", "benchmarks/bench.py", *args)


if os.environ.get("CI"):
    # CI has every supported Python; a missing one must fail the run, not skip.
    nox.options.error_on_missing_interpreters = True
