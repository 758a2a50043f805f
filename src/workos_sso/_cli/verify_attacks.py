"""The probe's attacks: hostile callbacks and post-login targets, each judged by the answer.

Each ``check_*`` takes the :class:`~workos_sso._cli.verify_probe.Probe` of the run, signs in
afresh where it needs to, and returns one ``Check``. Without a protected page that tells sessions
apart (``Probe.can_see_sessions``), an attack can only look for server errors.
"""

from __future__ import annotations

import secrets
from typing import Callable, Union
from urllib.parse import urlsplit

import requests

from .browser import Browser, RefusedHost, web_origin, where, with_query
from .output import FAIL, PASS, SKIP, WARN, Check, cell
from .verify_checks import (
    ERROR_FIX,
    FORGED_CALLBACK_FIX,
    REFLECTED_TEXT_FIX,
    REPLAY_FIX,
    STATE_CHECK_FIX,
    SignIn,
    describe_answer,
)
from .verify_probe import Probe

__all__ = [
    "EVIL_HOST",
    "HOSTILE_NEXT_VALUES",
    "altered",
    "check_access_denied",
    "check_altered_state",
    "check_foreign_state",
    "check_forged_callback",
    "check_missing_state",
    "check_open_redirect",
    "check_reflected_error",
    "check_replay",
]

#: Where the open-redirect check asks the app to send the user after sign-in.
EVIL_HOST = "evil.example"
#: ``next`` values that a same-site check written with Python's URL parser, or with
#: ``startswith("/")``, lets through, and that a browser reads as another site: a backslash is a
#: slash to it, and it drops tabs and newlines. The percent-encoded ones catch an app that
#: decodes the value once more before it redirects.
HOSTILE_NEXT_VALUES = (
    f"//{EVIL_HOST}",
    f"/\\{EVIL_HOST}",
    f"\\\\{EVIL_HOST}",
    f"https:{EVIL_HOST}",
    f"/\t/{EVIL_HOST}",
    f"/\n/{EVIL_HOST}",
    f"/%09/{EVIL_HOST}",
    f"/%0A/{EVIL_HOST}",
    f"/%5C{EVIL_HOST}",
    f"%2F%2F{EVIL_HOST}",
)
OPEN_REDIRECT_ATTEMPTS = (
    *(("next", value) for value in HOSTILE_NEXT_VALUES),
    ("return_to", f"https://{EVIL_HOST}"),
)
#: What the forged callbacks of ``forged callback`` say when the app does show WorkOS's error.
DENIED_DESCRIPTION = "The user denied access."

#: A browser whose sign-in got as far as an attack needs, that sign-in, and the URL to attack
#: (the callback, or the redirect_uri); or the attack's skipped line.
Started = Union[tuple[Browser, SignIn, str], Check]


def _refused(probe: Probe, name: str, attack: str, browser: Browser, url: str, fix: str) -> Check:
    """Deliver a hostile callback URL and judge the app's answer."""
    try:
        hops = browser.follow(url)
    except RefusedHost as refused:
        return Check(name, SKIP, f"skipped: {where(refused.url)} is not on this machine.")
    except requests.RequestException as exc:
        return Check(name, FAIL, f"{attack}: the app did not answer ({type(exc).__name__}).")
    errors = [hop for hop in hops if hop.status >= 500]
    if errors:
        return Check(
            name,
            FAIL,
            f"{attack}: {where(errors[0].url)} answered HTTP {errors[0].status}.",
            "Refuse the callback with a redirect to sign in (or a 4xx page), not a server error.",
        )
    answer = describe_answer(hops[0])
    if not probe.can_see_sessions:
        return Check(
            name,
            WARN,
            f"{attack}: answered {answer}; whether it made a session is unknown.",
            _cannot_see_sessions_fix(probe),
        )
    if probe.signed_in(browser):
        return Check(name, FAIL, f"{attack}: the app signed the browser in.", fix)
    return Check(name, PASS, f"{attack}: refused ({answer}), no session.")


def _cannot_see_sessions_fix(probe: Probe) -> str:
    if probe.options.protected_url is None:
        return "Pass --protected-url so the probe can look for a session."
    # It was passed: the protected page line says what kept it from telling sessions apart.
    return "Make the protected page check pass (see its line), so the probe can look for a session."


def _signed_in_to_callback(probe: Probe, name: str) -> Started:
    """A new browser signed in up to its callback URL (not opened)."""
    browser = probe.browser()
    sign_in = probe.sign_in(browser)
    if sign_in.callback_url is None:
        reason = sign_in.problem or "the sign-in did not reach the callback."
        return Check(name, SKIP, f"skipped: {_lower_first(reason)}")
    return browser, sign_in, sign_in.callback_url


def _started_for_redirect_uri(probe: Probe, name: str) -> Started:
    """A new browser whose sign-in started, and the redirect_uri the app asked for."""
    browser = probe.browser()
    sign_in = probe.start(browser)
    if sign_in.redirect_uri is None:
        return Check(name, SKIP, "skipped: no redirect_uri to send the error to.")
    return browser, sign_in, sign_in.redirect_uri


def check_replay(probe: Probe, callback_url: str, before_callback: Browser) -> Check:
    name = "replay"
    # The cookies the browser held before the callback: a reload, or a copied jar.
    replayer = before_callback
    if probe.can_see_sessions and probe.signed_in(replayer):
        return Check(
            name,
            FAIL,
            "the cookies from before the sign-in reach the protected page without any "
            "callback: the session was not renewed at sign-in (session fixation).",
            "Start a new session (new id or cookie value) when the user signs in.",
        )
    return _refused(probe, name, "the same callback URL again", replayer, callback_url, REPLAY_FIX)


def _tampered_callback(
    probe: Probe, name: str, attack: str, tamper: Callable[[SignIn, str], str]
) -> Check:
    """A new browser's own callback URL, changed by ``tamper``, must not sign it in."""
    started = _signed_in_to_callback(probe, name)
    if isinstance(started, Check):
        return started
    browser, sign_in, callback_url = started
    url = tamper(sign_in, callback_url)
    return _refused(probe, name, attack, browser, url, STATE_CHECK_FIX)


def check_altered_state(probe: Probe) -> Check:
    return _tampered_callback(
        probe,
        "altered state",
        "a callback with one character of state changed",
        lambda sign_in, url: with_query(url, {"state": altered(sign_in.state or "")}),
    )


def check_missing_state(probe: Probe) -> Check:
    return _tampered_callback(
        probe,
        "missing state",
        "a callback without state",
        lambda _, url: with_query(url, {"state": None}),
    )


def check_foreign_state(probe: Probe) -> Check:
    name = "foreign state"
    started = _signed_in_to_callback(probe, name)
    if isinstance(started, Check):
        return started
    _, _, callback_url = started
    # Login CSRF: the victim's browser has its own sign-in going, and opens the attacker's
    # callback URL.
    victim = probe.browser()
    victim_start = probe.start(victim)
    if victim_start.authorize_url is None:
        return Check(name, SKIP, "skipped: a second sign-in did not start.")
    attack = "another browser's callback (code and state)"
    return _refused(probe, name, attack, victim, callback_url, STATE_CHECK_FIX)


def check_access_denied(probe: Probe) -> Check:
    name = "access denied"
    started = _started_for_redirect_uri(probe, name)
    if isinstance(started, Check):
        return started
    browser, sign_in, redirect_uri = started
    error = {"error": "access_denied", "error_description": DENIED_DESCRIPTION}
    if sign_in.state:
        error["state"] = sign_in.state
    url = with_query(redirect_uri, error)
    attack = "a callback with error=access_denied"
    return _refused(probe, name, attack, browser, url, ERROR_FIX)


def _same_site(url: str) -> Callable[[str], bool]:
    """A ``stop`` for :meth:`Browser.follow`: any URL on another origin than ``url``'s."""
    origin = web_origin(url)
    return lambda location: web_origin(location) != origin


def check_forged_callback(probe: Probe) -> Check:
    """A signed-in user opens forged callbacks (a link or an image elsewhere can make the
    browser do it); the session must survive them.
    """
    name = "forged callback"
    if probe.options.protected_url is None:
        return Check(
            name,
            SKIP,
            "skipped: without --protected-url the probe cannot tell whether a forged "
            "callback signed the user out.",
        )
    if not probe.can_see_sessions:
        return Check(
            name,
            SKIP,
            "skipped: the protected page does not tell a signed-in browser from a "
            "signed-out one (see its line).",
        )
    started = _signed_in_to_callback(probe, name)
    if isinstance(started, Check):
        return started
    browser, _, callback_url = started
    stay = _same_site(callback_url)
    try:
        browser.follow(callback_url, stop=stay)
        signed_in = probe.signed_in(browser)
    except requests.RequestException as exc:
        return Check(name, SKIP, f"skipped: the sign-in failed ({type(exc).__name__}).")
    if not signed_in:
        return Check(name, SKIP, "skipped: a sign-in did not reach the protected page.")
    # The code is one the app never handed out; nothing here may sign anyone in or out.
    made_up_code = "probe_" + secrets.token_urlsafe(16)
    forgeries = (
        (
            "a callback without state",
            with_query(callback_url, {"code": made_up_code, "state": None}),
        ),
        (
            "a callback with error=access_denied and no state",
            with_query(
                callback_url,
                {
                    "code": None,
                    "state": None,
                    "error": "access_denied",
                    "error_description": DENIED_DESCRIPTION,
                },
            ),
        ),
    )
    for attack, url in forgeries:
        try:
            hops = browser.follow(url, stop=stay)
            still_signed_in = probe.signed_in(browser)
        except requests.RequestException as exc:
            detail = f"{attack}: the app did not answer ({type(exc).__name__})."
            return Check(name, FAIL, detail)
        errors = [hop for hop in hops if hop.status >= 500]
        if errors:
            return Check(
                name,
                FAIL,
                f"{attack}, opened while signed in: {where(errors[0].url)} answered HTTP "
                f"{errors[0].status}.",
                FORGED_CALLBACK_FIX,
            )
        if not still_signed_in:
            return Check(
                name,
                FAIL,
                f"{attack}, opened while signed in, signed the user out: a link or an image "
                "on any site can do the same.",
                FORGED_CALLBACK_FIX,
            )
    return Check(
        name,
        PASS,
        f"{' and '.join(attack for attack, _ in forgeries)}, opened while signed in, left "
        "the session alone.",
    )


def check_reflected_error(probe: Probe) -> Check:
    """HTML in a callback's ``error`` and ``error_description``, looked for on every page of
    the app the callback leads to.
    """
    name = "reflected error"
    started = _started_for_redirect_uri(probe, name)
    if isinstance(started, Check):
        return started
    browser, sign_in, redirect_uri = started
    token = secrets.token_hex(8)
    markup = {
        parameter: f'<b data-probe="{token}-{parameter}">'
        for parameter in ("error", "error_description")
    }
    # With this browser's own state, as WorkOS would send it, and without, as an
    # attacker's link would: an app may word the two refusals differently.
    tries = [{**markup, "state": sign_in.state}] if sign_in.state else []
    tries.append(dict(markup))
    pages = 0
    escaped: set[str] = set()
    for query in tries:
        url = with_query(redirect_uri, query)
        try:
            hops = browser.follow(url, stop=_same_site(url))
        except RefusedHost as refused:
            return Check(name, SKIP, f"skipped: {where(refused.url)} is not on this machine.")
        except requests.RequestException as exc:
            detail = (
                f"a callback with HTML in error: the app did not answer ({type(exc).__name__})."
            )
            return Check(name, FAIL, detail)
        pages += len(hops)
        for hop in hops:
            for parameter, html in markup.items():
                if html in hop.text:
                    return Check(
                        name,
                        FAIL,
                        "the app reflects text from the callback's query into the page: the "
                        f"HTML sent as {parameter} came back unescaped from {hop.method} "
                        f"{where(hop.url)}, so a link can run script on the app's site.",
                        REFLECTED_TEXT_FIX,
                    )
                if f"{token}-{parameter}" in hop.text:
                    escaped.add(parameter)
    if escaped:
        shown = " and ".join(sorted(escaped))
        return Check(
            name,
            WARN,
            f"the app shows text from the callback's query ({shown}), escaped: a link can "
            "put words of an attacker's choosing on the app's page.",
            REFLECTED_TEXT_FIX,
        )
    return Check(
        name,
        PASS,
        f"HTML in error and error_description did not come back, escaped or not, in the "
        f"{pages} answers of the app to those callbacks.",
    )


def check_open_redirect(probe: Probe) -> Check:
    name = "open redirect"
    tried: list[str] = []
    # A value Python's URL parser reads as this site, and a browser as evil.example.
    login = urlsplit(probe.options.login_url)
    disguised = f"{login.scheme}://{EVIL_HOST}\\@{login.netloc}/"
    attempts = (*OPEN_REDIRECT_ATTEMPTS, ("next", disguised))
    for parameter, target in attempts:
        browser = probe.browser()
        sign_in = probe.sign_in(browser, {parameter: target})
        tried.append(f"{parameter}={cell(target)}")
        if sign_in.problem is not None and sign_in.start_hops:
            last = sign_in.start_hops[-1].location
            if last is not None and _host(last) == EVIL_HOST:
                return _open_redirect_failure(parameter, target, "the sign-in route")
        if sign_in.callback_url is None:
            continue  # refused before WorkOS: nothing can redirect after sign-in
        try:
            hops = browser.follow(sign_in.callback_url)
        except requests.RequestException:
            continue
        if any(hop.location and _host(hop.location) == EVIL_HOST for hop in hops):
            return _open_redirect_failure(parameter, target, "the callback")
    return Check(
        name,
        PASS,
        f"after {len(tried)} sign-ins with {', '.join(tried)}, the app stayed on its own "
        "site (ignored or refused).",
    )


def _open_redirect_failure(parameter: str, target: str, by: str) -> Check:
    return Check(
        "open redirect",
        FAIL,
        f"with {parameter}={cell(target)}, {by} sent the browser to {EVIL_HOST} after sign-in "
        "(as a browser reads the Location).",
        "Accept only same-site paths as the post-login target: one leading /, not //, and no "
        "backslash, whitespace or control character (browsers read /\\x and /<tab>/x as //x); "
        "workos_sso.safe_return_to does this.",
    )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def altered(state: str) -> str:
    """``state`` with one character in the middle changed.

    The middle, because the last character of base64 text may carry only padding bits: changing
    it can leave the decoded bytes, and so a signature, intact.
    """
    index = len(state) // 2
    while index < len(state) and not state[index].isalnum():
        index += 1
    if index >= len(state):
        return state + "A"
    replacement = "A" if state[index] != "A" else "B"
    return state[:index] + replacement + state[index + 1 :]
