"""workos_sso.testing, the pytest plugin, as an app's test suite uses it.

pytester runs a small app test suite in a temporary directory, in a subprocess, with the plugin
loaded from its entry point as in any environment with workos-sso installed. The emulator is
installed into this project's ``.emulator/`` (``workos_emulator_dir``), so no run installs it
twice.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests import emulator
from tests.loopback import LoopbackServer, Reply
from workos_sso._emulator import NODE_MISSING, Emulator, EmulatorUnavailableError
from workos_sso.testing import SignInNotCompletedError, complete_sign_in

pytest_plugins = ["pytester"]

SEED = """\
organizations:
  - name: Plugin Corp
    domains: [{domain: plugin.example, state: verified}]
connections:
  - name: Plugin Corp SAML
    organization: Plugin Corp
    connection_type: GenericSAML
    domains: [plugin.example]
    profiles:
      - email: ada@plugin.example
        first_name: Ada
"""

APP_TESTS = """\
from workos_sso import find_connection_for_email, handle_callback, start_sign_in
from workos_sso.testing import complete_sign_in

REDIRECT_URI = "http://127.0.0.1:8000/callback"


def test_the_emulator_serves_the_seed(workos_emulator, workos_client):
    assert workos_emulator.url.startswith("http://127.0.0.1:")
    assert workos_client.base_url == workos_emulator.url
    connection = find_connection_for_email(workos_client, "ada@plugin.example")
    assert connection.name == "Plugin Corp SAML"


def test_a_whole_sign_in(workos_client):
    start = start_sign_in(
        workos_client, redirect_uri=REDIRECT_URI, email="ada@plugin.example", secret="s" * 32
    )
    callback = complete_sign_in(start.url, redirect_uri=REDIRECT_URI)
    assert callback.state == start.state.value
    assert callback.url.startswith(REDIRECT_URI + "?")
    result = handle_callback(
        workos_client, callback.url, expected_state=start.state.value, secret="s" * 32
    )
    assert result.profile.email == "ada@plugin.example"
"""


def _emulator_dir() -> str:
    return f"workos_emulator_dir={emulator.INSTALL_DIR}"


def _run_app_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """The app's suite in a pytest subprocess, plugins loaded from their entry points, except
    hypothesis's: it has nothing to do with ours, and importing it is most of the start-up."""
    return pytester.runpytest_subprocess("-p", "no:hypothesispytest", *args)


@pytest.mark.live
def test_an_app_suite_runs_on_its_own_seed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKOS_BASE_URL", raising=False)
    pytester.makefile(".yaml", seed=SEED)
    pytester.makepyfile(test_app=APP_TESTS)
    # The seed named by the option; the ini setting is the other way (next test).
    result = _run_app_suite(pytester, "--workos-seed", "seed.yaml", "-o", _emulator_dir())
    result.assert_outcomes(passed=2)


@pytest.mark.live
def test_the_seed_from_the_ini_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKOS_BASE_URL", raising=False)
    pytester.mkdir("tests")
    (pytester.path / "tests" / "seed.yaml").write_text(SEED)
    pytester.makeini(f"[pytest]\nworkos_seed = tests/seed.yaml\n{_emulator_dir()}\n")
    pytester.makepyfile(test_app=APP_TESTS)
    _run_app_suite(pytester, "-k", "serves_the_seed").assert_outcomes(passed=1)


def test_workos_base_url_is_used_and_nothing_is_started(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, loopback: LoopbackServer
) -> None:
    loopback.always(Reply.json(200, {"object": "list", "data": [], "list_metadata": {}}))
    monkeypatch.setenv("WORKOS_BASE_URL", loopback.url + "/")
    monkeypatch.setenv("WORKOS_API_KEY", "sk_test_from_env")
    monkeypatch.delenv("WORKOS_CLIENT_ID", raising=False)
    never = pytester.path / "never-installed"
    pytester.makepyfile(
        f"""
        def test_it(workos_emulator, workos_client):
            assert workos_emulator.url == {loopback.url!r}
            assert workos_emulator.api_key == "sk_test_from_env"
            assert workos_emulator.client_id == "client_emulate"
            assert workos_emulator.environ()["WORKOS_BASE_URL"] == {loopback.url!r}
            assert list(workos_client.list_connections()) == []
        """
    )
    result = _run_app_suite(pytester, "-o", f"workos_emulator_dir={never}")
    result.assert_outcomes(passed=1)
    assert not never.exists()
    [request] = loopback.requests
    assert request.headers["authorization"] == "Bearer sk_test_from_env"


def test_without_node_one_line_says_what_to_install(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKOS_BASE_URL", raising=False)
    monkeypatch.setenv("PATH", "")
    pytester.makepyfile("def test_it(workos_emulator):\n    pass\n")
    result = _run_app_suite(pytester, "-o", _emulator_dir())
    result.assert_outcomes(errors=1)
    # The message stands on a line of its own (the short summary, whose length varies with the
    # terminal and CI, repeats it after "ERROR ...").
    lines = [line for line in result.outlines if line.startswith("The WorkOS emulator")]
    assert lines == [NODE_MISSING]
    assert "Traceback" not in result.stdout.str()
    assert "registry" not in NODE_MISSING


def test_a_missing_seed_file_is_named(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKOS_BASE_URL", raising=False)
    pytester.makepyfile("def test_it(workos_emulator):\n    pass\n")
    result = _run_app_suite(pytester, "--workos-seed", "nowhere.yaml")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*seed file*nowhere.yaml does not exist*"])


def test_the_plugin_fixtures_do_not_shadow_the_projects(
    pytester: pytest.Pytester,
) -> None:
    result = _run_app_suite(pytester, "--fixtures")
    result.stdout.fnmatch_lines(["workos_emulator*", "workos_client*"])


# --- complete_sign_in --------------------------------------------------------------------------


def test_complete_sign_in_reads_the_redirect(loopback: LoopbackServer) -> None:
    loopback.always(Reply.redirect("http://127.0.0.1:8000/callback?code=c1&state=s1"))
    callback = complete_sign_in(f"{loopback.url}/sso/authorize?x=1")
    assert (callback.code, callback.state) == ("c1", "s1")
    assert callback.path == "/callback?code=c1&state=s1"


def test_complete_sign_in_refuses_a_page_that_is_no_redirect(loopback: LoopbackServer) -> None:
    loopback.always(Reply(200, "<html>choose an account</html>", {"Content-Type": "text/html"}))
    with pytest.raises(SignInNotCompletedError, match=r"got HTTP 200: .*choose an account"):
        complete_sign_in(f"{loopback.url}/sso/authorize?state=secret-ish")


def test_complete_sign_in_refuses_an_error_or_another_redirect_uri(
    loopback: LoopbackServer,
) -> None:
    loopback.script(
        Reply.redirect("http://127.0.0.1:8000/callback?error=access_denied&state=s"),
        Reply.redirect("http://127.0.0.1:8000/elsewhere?code=c&state=s"),
    )
    with pytest.raises(SignInNotCompletedError, match="access_denied"):
        complete_sign_in(f"{loopback.url}/sso/authorize")
    with pytest.raises(SignInNotCompletedError, match="not to the redirect_uri"):
        complete_sign_in(
            f"{loopback.url}/sso/authorize", redirect_uri="http://127.0.0.1:8000/callback"
        )


def test_an_emulator_on_a_taken_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    # Whatever listens there would answer the health check in the new emulator's place.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        running = Emulator(seed=None, install_dir=tmp_path / "never-installed", port=port)
        with pytest.raises(EmulatorUnavailableError, match=f"port {port} is taken"):
            running.start()
    assert not (tmp_path / "never-installed").exists()
