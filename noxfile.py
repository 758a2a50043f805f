"""Development sessions: `nox` runs every check CI runs; `nox -s demo` shows the client working.

The supported Pythons are read from pyproject's classifiers, so adding one there adds it here.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Callable, Optional

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
# Everything CI runs (`nox` with no arguments); e2e installs Debian's chromium and
# chromium-driver when it runs as root, and otherwise says how to.
nox.options.sessions = [
    "lint",
    "mypy",
    "pyright",
    "tests",
    "package",
    "emulator",
    "contract",
    "e2e",
    "docs",
    "bench-quick",
]

PYPROJECT = (ROOT / "pyproject.toml").read_text()
PYTHONS = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT)


def find_interpreter(version: str) -> Optional[str]:
    """The absolute path of an installed Python `version` ("3.12"), or None.

    PATH is searched first, then pyenv's versions (highest patch release first). Version
    managers' shim directories are passed over: a shim runs only the versions its manager has
    activated (PYENV_VERSION, .python-version), so `python3.10` can be on PATH and still fail.
    nox itself looks no further than PATH and the activated versions.
    """
    executable = f"python{version}"
    search_path = os.pathsep.join(
        directory
        for directory in os.environ.get("PATH", "").split(os.pathsep)
        if directory and Path(directory).name != "shims"
    )
    found = shutil.which(executable, path=search_path)
    if found:
        return os.path.abspath(found)
    pyenv_versions = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    patch_release = re.compile(re.escape(version) + r"\.(\d+)")
    releases = [
        (int(match.group(1)), candidate / "bin" / executable)
        for candidate in pyenv_versions.glob(f"{version}.*")
        if (match := patch_release.fullmatch(candidate.name))
    ]
    for _, interpreter in sorted(releases, reverse=True):
        if os.access(interpreter, os.X_OK):
            return str(interpreter)
    return None


#: Every supported Python and where it is installed (None: not installed).
INTERPRETERS = {version: find_interpreter(version) for version in PYTHONS}


def session_on_each_python(func: Callable[[nox.Session], None]) -> None:
    """Register `func` as one session per supported Python, `NAME-3.9` to `NAME-3.13`, and as
    `NAME`, which runs them all.

    Each session gets its interpreter by absolute path, so nox needs no help (PYENV_VERSION) to
    find pyenv's Pythons, and uv never looks for one to download. A supported Python that is not
    installed gets a session that fails at once and says how to install it: `nox` must not report
    success for checks it never ran.
    """
    name = func.__name__
    installed = [version for version, path in INTERPRETERS.items() if path]
    for version, interpreter in INTERPRETERS.items():
        if interpreter:
            nox.session(name=f"{name}-{version}", python=interpreter)(func)
        else:
            nox.session(name=f"{name}-{version}", python=False)(
                _interpreter_missing(name, version, installed)
            )

    def run_all(session: nox.Session) -> None:
        session.log(f"{name} ran on Python {', '.join(PYTHONS)}.")

    summary = (func.__doc__ or name).strip().splitlines()[0].rstrip(".")
    run_all.__doc__ = f"{summary}, on every supported Python ({name}-{PYTHONS[0]} and the rest)."
    nox.session(name=name, python=False, requires=[f"{name}-{version}" for version in PYTHONS])(
        run_all
    )


def _interpreter_missing(
    name: str, version: str, installed: list[str]
) -> Callable[[nox.Session], None]:
    instead = f" or run nox -s {name}-{installed[-1]}" if installed else ""

    def interpreter_missing(session: nox.Session) -> None:
        session.error(f"Python {version} not found: install it (pyenv install {version}){instead}")

    interpreter_missing.__doc__ = f"Fails: Python {version} is not installed."
    return interpreter_missing


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


def tests(session: nox.Session) -> None:
    """Unit tests and cassette replays, offline.

    In parallel, on pytest-xdist workers: one per CPU, and one more. The suite is CPU-bound once
    the retry pauses are on a fake clock (tests/clock.py), except for the timeout tests, which
    wait on loopback sockets for tenths of a second each; the extra worker runs other tests
    meanwhile. Every test keeps to its own loopback ports and temporary directories.
    `nox -s tests-3.12 -- ARGS` runs `pytest -m "not live" ARGS` as given instead, in one
    process.
    """
    # The framework extras and a TestClient transport: the integrations' offline tests. The
    # byte-code is compiled as they are installed, all modules at once on every CPU: otherwise
    # each worker would compile the same modules again on first import (pip compiles anyway).
    session.install(
        ".[async,flask,fastapi,django,jwt]",
        *TEST_DEPS,
        *("httpx>=0.27", "httpx2", "pytest-xdist>=3"),
        env={"UV_COMPILE_BYTECODE": "1"},
    )
    # Byte-code caching on, whatever the shell says: the suite starts many Python processes
    # (pytest's own workers, pytester, manage.py, import checks), and without cached byte-code
    # (and pytest's cached assertion rewrites) each compiles every module it imports again,
    # which was a third of the suite's CPU time.
    env = {"PYTHONDONTWRITEBYTECODE": ""}
    if session.posargs:
        session.run("pytest", "-m", "not live", *session.posargs, env=env)
        return
    workers = (os.cpu_count() or 1) + 1
    session.run("pytest", "-m", "not live", "-n", str(workers), env=env)


session_on_each_python(tests)


@nox.session
def emulator(session: nox.Session) -> None:
    """The scenario tests and live tests against a real WorkOS emulator.

    On four pytest-xdist workers, a test module per worker at a time (`--dist loadfile`), in the
    order collected: most of the session is spent waiting out the emulator's rate limit (tests
    marked `rate_limited`, collected first), and the other workers get through the rest
    meanwhile. The live tests spread over API keys of their own (tests/emulator.py), so running
    side by side spends no key's minute faster than one test alone does.
    """
    # uvicorn serves the FastAPI recipe for the verify probe's tests (tests/test_verify.py).
    session.install(".[async,jwt]", *TEST_DEPS, *RECIPE_DEPS, "uvicorn>=0.29", "pytest-xdist>=3")
    url = _start_emulator(session)
    session.run(
        "pytest",
        "-m",
        "(scenario or live) and not e2e",
        "--disable-recording",
        *("-n", "4", "--dist", "loadfile", "--no-loadscope-reorder"),
        *session.posargs,
        env={"WORKOS_EMULATOR_URL": url},
    )


@nox.session
def record(session: nox.Session) -> None:
    """Re-record the cassettes against a real emulator, scrubbing secrets as they are written."""
    session.install(".[async,jwt]", *TEST_DEPS)
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


@nox.session
def mypy(session: nox.Session) -> None:
    """mypy --strict over the package and tests/typing, as the oldest supported Python.

    pyproject's `python_version` sets the Python whose semantics mypy checks, whichever
    interpreter runs it, so this session needs no particular Python installed.
    """
    # mypy 2 checks only Python 3.10 semantics and later (it refuses python_version = "3.9").
    session.install("mypy>=1.10,<2", "types-requests")
    # The frameworks and pytest (workos_sso.testing is a pytest plugin) as the oldest Python gets
    # them: mypy reads their sources as that Python's code, and their newest releases use syntax
    # it lacks (match statements). Resolved for it by uv; mypy only reads them.
    session.install(
        "--python-version",
        PYTHONS[0],
        ".[async,flask,fastapi,django,jwt]",
        "django-stubs>=5",
        "pytest>=8",
    )
    session.run("mypy", "--strict", *(session.posargs or []))


@nox.session
def pyright(session: nox.Session) -> None:
    """basedpyright: the public types are complete, and tests/typing passes in strict mode.

    `--verifytypes` scores the installed package as pyright users see it; the strict check of
    tests/typing is configured by [tool.pyright] in pyproject.
    """
    # The integrations' public types come from their frameworks: without them, "Unknown".
    session.install(".[async,flask,fastapi,django,jwt]", "basedpyright>=1.20", "django-stubs>=5")
    # --verifytypes reads the installed package: it must be the code as it is now.
    session.install("--force-reinstall", "--no-deps", ".")
    session.run("basedpyright", "--verifytypes", "workos_sso", "--ignoreexternal")
    session.run("basedpyright", *session.posargs)


#: What a distribution's source package must carry for its packagers to run `nox -s tests`.
SDIST_MUST_HOLD = [
    "pyproject.toml",
    "src/workos_sso/",
    "tests/",
    "cassettes/",
    "docs/",
    "noxfile.py",
]


@nox.session
def package(session: nox.Session) -> None:
    """Build the sdist and wheel, and check them as distributors do.

    `twine check` passes, the wheel holds only workos_sso/, the sdist holds the tests, cassettes,
    docs and noxfile, and `nox -s tests-3.X` passes inside the unpacked sdist.
    """
    session.install("build[uv]>=1.2", "twine>=5")
    dist = Path(session.create_tmp()) / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    # build makes the wheel from the sdist, so a file the sdist lacks fails the wheel too.
    session.run("python", "-m", "build", "--installer=uv", "--outdir", str(dist), str(ROOT))
    [sdist] = dist.glob("*.tar.gz")
    [wheel] = dist.glob("*.whl")
    session.run("twine", "check", "--strict", str(sdist), str(wheel))

    with zipfile.ZipFile(wheel) as archive:
        strays = sorted(
            {name.split("/")[0] for name in archive.namelist()}
            - {"workos_sso"}
            - {name.split("/")[0] for name in archive.namelist() if ".dist-info/" in name}
        )
    if strays:
        session.error(f"{wheel.name} holds more than workos_sso/: {', '.join(strays)}")

    with tarfile.open(sdist) as archive:
        top = sdist.name[: -len(".tar.gz")]
        names = {member.name for member in archive.getmembers()}
        missing = [
            path
            for path in SDIST_MUST_HOLD
            if f"{top}/{path.rstrip('/')}" not in names
            and not any(name.startswith(f"{top}/{path}") for name in names)
        ]
        if missing:
            session.error(f"{sdist.name} lacks {', '.join(missing)}")
        unpacked = dist / "unpacked"
        if hasattr(tarfile, "data_filter"):
            archive.extractall(unpacked, filter="data")
        else:  # Pythons from before the tarfile filters: the archive is our own build.
            archive.extractall(unpacked)  # noqa: S202

    # As a distribution's packager would: `nox -s tests` in the unpacked sdist, on one Python.
    installed = [version for version, path in INTERPRETERS.items() if path]
    if not installed:
        session.error("No supported Python is installed to run the tests in the sdist.")
    own = f"{sys.version_info.major}.{sys.version_info.minor}"
    version = own if own in installed else installed[-1]
    session.chdir(unpacked / top)
    session.run(sys.executable, "-m", "nox", "-s", f"tests-{version}", external=True)


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

    Needs Debian's chromium and chromium-driver, which the session installs when it runs as root
    on a machine with apt-get; Selenium drives /usr/bin/chromedriver and never downloads a driver.
    The tests start their own emulator, on a port they choose.
    """
    _ensure_chromium(session)
    session.install(".[async,jwt]", *TEST_DEPS, *RECIPE_DEPS, "uvicorn>=0.29", "selenium>=4.11")
    session.run("pytest", "-m", "e2e", "--disable-recording", *session.posargs)


CHROMIUM_INSTALL = ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]


def _ensure_chromium(session: nox.Session) -> None:
    """Install Debian's chromium and chromium-driver where we can, else stop before any test."""
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        session.log("Installing Debian's chromium and chromium-driver for the browser tests ...")
        apt_env = {"DEBIAN_FRONTEND": "noninteractive"}
        # apt's progress lines are noise here; nox shows them if a command fails.
        session.run("apt-get", "update", "-qq", external=True, env=apt_env, silent=True)
        session.run(*CHROMIUM_INSTALL, external=True, env=apt_env, silent=True)
        return
    session.error(
        "The browser tests need Debian's chromium and chromium-driver: "
        "sudo apt-get install -y chromium chromium-driver"
    )


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
    """A short benchmark run, part of every `nox` run so the benchmark cannot rot.

    It fails only when something is broken (a contender raises, a walk miscounts): its three
    rounds report the ratios without a verdict, because on a shared machine they swing by more
    than the targets' margins. `nox -s bench` (and `-- --check`) judges the targets.
    """
    _run_benchmarks(session, "--quick", *session.posargs)


def _run_benchmarks(session: nox.Session, *args: str) -> None:
    # pytest: the access-token part signs in with workos_sso.testing (a pytest plugin module).
    session.install(".[async,jwt]", "workos>=10,<11", "pytest>=8")
    # A reused environment must measure the code as it is now, not the last build of it.
    session.install("--force-reinstall", "--no-deps", ".")
    session.run("python", "benchmarks/bench.py", *args)
