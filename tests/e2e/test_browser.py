"""The three recipes in a real browser: headless Chromium signs in through the emulator.

Each recipe runs as its own process on a loopback port (Flask's and Django's development
servers, uvicorn for FastAPI), configured only through the environment, as a newcomer would run
it. Chromium is Debian's, driven through Debian's chromedriver by Selenium; nothing is
downloaded. Run with ``nox -s e2e`` (needs ``apt-get install -y chromium chromium-driver``).

The apps reach the emulator through ``idp_proxy``, which can stop a sign-in on an identity
provider page, so that a test can act as a user who edits the URL there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from tests import emulator
from tests.app_server import free_port, recipe_command, running_app
from tests.e2e.idp_proxy import IdentityProviderProxy
from workos_sso.integrations._policy import RefusalReason

pytestmark = [pytest.mark.e2e, pytest.mark.live]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
EXPIRED = RefusalReason.EXPIRED.message
NOT_ALLOWED = RefusalReason.ORGANIZATION_NOT_ALLOWED.message
PAGE_TIMEOUT = 20.0


@pytest.fixture(scope="module")
def e2e_emulator() -> Iterator[str]:
    """An emulator of our own on a port chosen here.

    Started on port 0, the emulator would write ``localhost:0`` into its logout URLs, which the
    browser follows after sign-out.
    """
    with emulator.Emulator(port=free_port()) as running:
        yield running.url


@pytest.fixture(scope="module")
def idp(e2e_emulator: str) -> Iterator[IdentityProviderProxy]:
    """The apps' WORKOS_BASE_URL: the emulator behind a proxy that can pause at sign-in."""
    with IdentityProviderProxy(e2e_emulator) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def organizations(e2e_emulator: str) -> dict[str, str]:
    return emulator.seeded_organizations(e2e_emulator)


@pytest.fixture(scope="module", params=["flask", "fastapi", "django"])
def app_url(
    request: pytest.FixtureRequest, idp: IdentityProviderProxy, organizations: dict[str, str]
) -> Iterator[str]:
    """One recipe, running in its own process; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "WORKOS_API_KEY": emulator.DEFAULT_API_KEY,
        "WORKOS_CLIENT_ID": emulator.CLIENT_ID,
        "WORKOS_BASE_URL": idp.url,
        "WORKOS_REDIRECT_URI": f"{base}/callback",
        "WORKOS_ORGANIZATION_ID": organizations["foo"],
        "WORKOS_ALLOWED_ORGANIZATIONS": f"{organizations['foo']},{organizations['bar']}",
        "APP_SECRET_KEY": "e2e-tests-secret-0123456789abcdef",
        "PYTHONUNBUFFERED": "1",
    }
    with running_app(recipe_command(str(request.param), port), env, port) as base_url:
        yield base_url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A fresh headless Chromium (own profile, so no cookies) per test."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install -y chromium"
    assert CHROMEDRIVER.exists(), "install chromium-driver: apt-get install -y chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    driver.execute_cdp_cmd("Network.enable", {})
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    return WebDriverWait(driver, PAGE_TIMEOUT).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def _wait_for_path(driver: Any, path: str) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.wait import WebDriverWait

    try:
        WebDriverWait(driver, PAGE_TIMEOUT).until(
            lambda current: urlsplit(current.current_url).path == path
        )
    except TimeoutException:
        raise AssertionError(f"expected {path}, the browser is at {driver.current_url}") from None


def _click(driver: Any, css: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, css).click()


def _pause_at_identity_provider(driver: Any, idp: IdentityProviderProxy, start: str) -> str:
    """Go to ``start`` and stop on the identity provider's page; return its URL."""
    idp.paused_authorize_url = None
    idp.pause_next_authorize = True
    driver.get(start)
    _wait_for(driver, "h1")
    assert idp.paused_authorize_url is not None
    assert driver.current_url == idp.paused_authorize_url
    return idp.paused_authorize_url


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _page_text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "body").text)


def _assert_signed_out_with(driver: Any, app_url: str, message: str) -> None:
    _wait_for(driver, "#message")
    assert driver.current_url == f"{app_url}/"
    text = _page_text(driver)
    assert message in text
    assert "Signed in as" not in text
    _wait_for(driver, "#sign-in")


def test_sign_in_by_organization(browser: Any, app_url: str, organizations: dict[str, str]) -> None:
    browser.get(app_url)
    _click(browser, "#sign-in")
    email = _wait_for(browser, "#email")
    assert browser.current_url == f"{app_url}/"
    assert email.text == "user@foo-corp.com"
    assert organizations["foo"] in _page_text(browser)

    [cookie] = [c for c in browser.get_cookies() if c["name"] in ("session", "sessionid")]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # plain-HTTP localhost development


def test_sign_in_by_email_domain(browser: Any, app_url: str) -> None:
    browser.get(app_url)
    _wait_for(browser, "#email-input").send_keys("alice@foo-corp.com")
    _click(browser, "#sign-in-email")
    assert _wait_for(browser, "#email").text == "alice@foo-corp.com"
    assert "Alice Lovelace" in _page_text(browser)


def test_email_domain_without_sso_stays_on_sign_in(browser: Any, app_url: str) -> None:
    browser.get(app_url)
    _wait_for(browser, "#email-input").send_keys("jane@no-sso.example")
    _click(browser, "#sign-in-email")
    _assert_signed_out_with(browser, app_url, RefusalReason.NO_SSO_FOR_DOMAIN.message)


def test_tampered_state_is_refused(browser: Any, app_url: str, idp: IdentityProviderProxy) -> None:
    authorize = _pause_at_identity_provider(browser, idp, f"{app_url}/login")
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    assert "." in state  # the recipes sign their states
    payload, _, signature = state.partition(".")
    forged = f"{payload}.{signature[::-1]}"
    browser.get(_with_query(authorize, state=forged))
    _assert_signed_out_with(browser, app_url, EXPIRED)


def test_replayed_callback_is_refused_and_the_user_stays_signed_in(
    browser: Any, app_url: str, idp: IdentityProviderProxy
) -> None:
    idp.last_callback_url = None
    browser.get(f"{app_url}/login")
    assert _wait_for(browser, "#email").text == "user@foo-corp.com"
    callback = idp.last_callback_url
    assert callback is not None
    assert callback.startswith(f"{app_url}/callback?code=")

    browser.get(callback)  # the back button, a reload, or someone who saw the URL
    _wait_for(browser, "#message")
    assert EXPIRED in _page_text(browser)
    assert _wait_for(browser, "#email").text == "user@foo-corp.com"


def test_a_forged_callback_runs_no_script_and_signs_nobody_out(browser: Any, app_url: str) -> None:
    browser.get(f"{app_url}/login")
    assert _wait_for(browser, "#email").text == "user@foo-corp.com"
    marker = "e2e-probe-7f3a"
    html = f'<img src=x onerror="document.title=\'{marker}\'"><b id="{marker}">'
    query = urlencode({"error": f"access_denied{html}", "error_description": html})
    browser.get(f"{app_url}/callback?{query}")
    _wait_for(browser, "#message")
    assert marker not in browser.title
    assert marker not in browser.page_source
    assert RefusalReason.FAILED.message in _page_text(browser)
    assert _wait_for(browser, "#email").text == "user@foo-corp.com"


def test_sign_out_clears_the_session(browser: Any, app_url: str, e2e_emulator: str) -> None:
    browser.get(f"{app_url}/login")
    _wait_for(browser, "#email")
    _click(browser, "#sign-out")
    # WorkOS (here the emulator) ends the identity provider's session. The click starts a
    # navigation that the driver does not wait for, so wait for the page it leads to.
    _wait_for_path(browser, "/sso/logout")
    assert urlsplit(browser.current_url).port == urlsplit(e2e_emulator).port
    assert '"success":true' in _page_text(browser).replace(" ", "")
    browser.get(app_url)
    _wait_for(browser, "#sign-in")
    assert "Signed in as" not in _page_text(browser)
    assert [c for c in browser.get_cookies() if c["name"] in ("session", "sessionid")] == []


def test_profile_from_another_organization_is_refused(
    browser: Any, app_url: str, organizations: dict[str, str], idp: IdentityProviderProxy
) -> None:
    authorize = _pause_at_identity_provider(browser, idp, f"{app_url}/login")
    assert parse_qs(urlsplit(authorize).query)["organization"] == [organizations["foo"]]
    # The user signs in at Bar's identity provider instead; the state still says Foo.
    browser.get(_with_query(authorize, organization=organizations["bar"]))
    _assert_signed_out_with(browser, app_url, NOT_ALLOWED)


# --- Django only: the user rows the integration keeps -----------------------------------------


def _signed_in_account(driver: Any, email: str) -> str:
    assert _wait_for(driver, "#email").text == email
    return str(_wait_for(driver, "#account").text)


def _sign_out(driver: Any) -> None:
    _click(driver, "#sign-out")
    _wait_for_path(driver, "/sso/logout")


@pytest.mark.parametrize("app_url", ["django"], indirect=True)
def test_django_user_row_is_created_once_and_reused(browser: Any, app_url: str) -> None:
    accounts = []
    for _ in range(2):
        browser.get(app_url)
        _wait_for(browser, "#email-input").send_keys("alice@foo-corp.com")
        _click(browser, "#sign-in-email")
        accounts.append(_signed_in_account(browser, "alice@foo-corp.com"))
        _sign_out(browser)
    assert accounts[0]
    assert accounts[0] == accounts[1]


@pytest.mark.parametrize("app_url", ["django"], indirect=True)
def test_django_email_form_passes_next_on(browser: Any, app_url: str) -> None:
    # The sign-in page as /login leaves it when it must ask (?next=): the form keeps next.
    browser.get(f"{app_url}/?next=/account")
    _wait_for(browser, "#email-input").send_keys("alice@foo-corp.com")
    _click(browser, "#sign-in-email")
    _wait_for_path(browser, "/account")
    assert "Your account: workos:prof_" in _page_text(browser)


@pytest.mark.parametrize("app_url", ["django"], indirect=True)
def test_django_same_email_in_another_organization_is_another_account(
    browser: Any, app_url: str, organizations: dict[str, str], idp: IdentityProviderProxy
) -> None:
    browser.get(app_url)
    _wait_for(browser, "#email-input").send_keys("alice@foo-corp.com")
    _click(browser, "#sign-in-email")
    foo_account = _signed_in_account(browser, "alice@foo-corp.com")
    _sign_out(browser)
    # Bar's identity provider sends a profile with the same address (its admin can mint any).
    authorize = _pause_at_identity_provider(
        browser, idp, f"{app_url}/login?organization={organizations['bar']}"
    )
    browser.get(_with_query(authorize, login_hint="alice@foo-corp.com"))
    bar_account = _signed_in_account(browser, "alice@foo-corp.com")
    assert organizations["bar"] in _page_text(browser)
    assert bar_account != foo_account
