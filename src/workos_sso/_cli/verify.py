"""``workos-sso verify``: every check of a running app's sign-in, in the order the report gives.

The probe sees the app only from outside, over HTTP, so it works for an app in any language. It
signs in through the emulator as a browser would (:mod:`.verify_probe`), judges what one sign-in
showed (:mod:`.verify_checks`), attacks the callback and the post-login target
(:mod:`.verify_attacks`), and turns it all into ``Check`` lines like ``doctor``'s.

Nothing secret is ever put in a check: codes, states and cookie values are described by their
length or name only, and URLs are shown without their query.
"""

from __future__ import annotations

import requests

from .output import FAIL, Check
from .verify_attacks import (
    check_access_denied,
    check_altered_state,
    check_foreign_state,
    check_forged_callback,
    check_missing_state,
    check_open_redirect,
    check_reflected_error,
    check_replay,
)
from .verify_checks import (
    START_APP_FIX,
    check_authorize_params,
    check_callback,
    check_emulator_sign_in,
    check_redirect_uri,
    check_session_cookie,
    check_sign_in_cookies,
    check_sign_in_redirect,
    check_state,
    check_state_entropy,
    skipped_after,
)
from .verify_probe import Probe, VerifyOptions

__all__ = ["VerifyOptions", "run_verify"]


def run_verify(options: VerifyOptions) -> list[Check]:
    """Probe the app ``options`` point at; one check per step and attack, in order."""
    probe = Probe(options)
    try:
        return _checks(probe)
    finally:
        probe.close()


def _checks(probe: Probe) -> list[Check]:
    first_browser = probe.browser()
    first = probe.start(first_browser)
    checks = [check_sign_in_redirect(first)]
    if first.authorize_url is None:
        return checks + skipped_after("sign-in redirect")
    checks.append(check_authorize_params(first.authorize_url))
    second = probe.start(probe.browser())
    checks += [
        check_state(first.state, second.state),
        check_state_entropy(first.state),
    ]
    probe.through_emulator(first_browser, first)
    checks.append(check_emulator_sign_in(first))
    if first.callback_url is None:
        return checks + skipped_after("emulator sign-in")
    before_callback = probe.copy(first_browser)
    try:
        # The callback's own answer only: pages after it may set cookies of their own.
        callback = first_browser.request("GET", first.callback_url)
    except requests.RequestException as exc:
        detail = f"the callback could not be reached ({type(exc).__name__})."
        return [*checks, Check("callback", FAIL, detail, START_APP_FIX)]
    before, after = before_callback.cookies(), first_browser.cookies()
    secure_on_http = probe.secure_on_http([*first.start_hops, callback])
    checks += [
        check_redirect_uri(first.callback_url, callback),
        check_callback(callback, before, after, secure_on_http),
        check_sign_in_cookies(first, probe.https),
        check_session_cookie(callback, before, after, probe.https),
        probe.check_protected_page(first_browser, secure_on_http),
        check_replay(probe, first.callback_url, before_callback),
        check_altered_state(probe),
        check_missing_state(probe),
        check_foreign_state(probe),
        check_access_denied(probe),
        check_forged_callback(probe),
        check_reflected_error(probe),
        check_open_redirect(probe),
    ]
    return checks
