"""``workos-sso verify``: sign in to a running app through the emulator, as a browser would.

The probe sees the app only from outside, over HTTP, so it works for an app in any language. It
drives one :class:`~workos_sso._cli.browser.Browser` per simulated user, never leaves loopback
and the configured emulator, and turns what it saw into ``Check`` lines like ``doctor``'s.

Nothing secret is ever put in a check: codes, states and cookie values are described by their
length or name only, and URLs are shown without their query.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import urlsplit

import requests

from .browser import (
    Browser,
    Hop,
    HostPolicy,
    RefusedHost,
    SetCookie,
    query_of,
    web_origin,
    where,
    with_query,
)
from .output import FAIL, PASS, SKIP, WARN, Check, cell, sentence
from .verify_checks import (
    ERROR_FIX,
    FORGED_CALLBACK_FIX,
    REFLECTED_TEXT_FIX,
    REPLAY_FIX,
    SECURE_ON_HTTP,
    SECURE_ON_HTTP_FIX,
    START_APP_FIX,
    STATE_CHECK_FIX,
    USE_EMULATOR_FIX,
    SignIn,
    check_authorize_params,
    check_callback,
    check_emulator_sign_in,
    check_redirect_uri,
    check_state,
    check_state_entropy,
    describe_answer,
    skipped_after,
)

__all__ = ["Probe", "VerifyOptions", "altered", "run_verify"]

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


@dataclass(frozen=True)
class VerifyOptions:
    """What to probe: the app's sign-in route, and how to tell a signed-in browser."""

    login_url: str
    #: Sign in by posting ``email=`` to ``login_url`` instead of a GET.
    email: Optional[str] = None
    #: A page of the app that a signed-in browser reaches and a signed-out one does not.
    protected_url: Optional[str] = None
    #: Text the protected page shows only to a signed-in user, for apps whose page answers 200
    #: either way.
    signed_in_text: Optional[str] = None
    #: The WorkOS base URL the app is configured with (the emulator); loopback is always allowed.
    emulator_url: Optional[str] = None
    timeout: float = 10.0


class Probe:
    """Runs the checks in order; ``run()`` returns them."""

    def __init__(self, options: VerifyOptions) -> None:
        self.options = options
        self.policy = HostPolicy(options.emulator_url)
        for url in (options.login_url, options.protected_url):
            if url is not None and not self.policy.allows(url):
                raise ValueError(f"{where(url)} is neither loopback nor the emulator")
        self.https = any(
            urlsplit(url).scheme == "https"
            for url in (options.login_url, options.protected_url)
            if url
        )
        self._browsers: list[Browser] = []
        #: Whether the protected page tells a signed-in browser from a signed-out one.
        self.can_see_sessions = False

    def browser(self) -> Browser:
        opened = Browser(self.policy, self.options.timeout)
        self._browsers.append(opened)
        return opened

    def close(self) -> None:
        for opened in self._browsers:
            opened.close()

    # --- steps ---------------------------------------------------------------------------

    def start(self, browser: Browser, extra: Optional[Mapping[str, str]] = None) -> SignIn:
        """The sign-in route, up to the authorization URL (not requested)."""
        sign_in = SignIn()
        url = with_query(self.options.login_url, extra) if extra else self.options.login_url
        data = {"email": self.options.email} if self.options.email is not None else None
        try:
            sign_in.start_hops = browser.follow(url, data=data, stop=_is_authorize)
        except requests.RequestException as exc:
            sign_in.problem = f"{where(url)} could not be reached ({type(exc).__name__})."
            sign_in.problem_fix = START_APP_FIX
            return sign_in
        last = sign_in.start_hops[-1]
        if last.location is not None and _is_authorize(last.location):
            sign_in.authorize_url = last.location
        elif last.location is not None and self.policy.allows(last.location):
            sign_in.problem = (
                f"the sign-in route redirected {len(sign_in.start_hops)} times without reaching "
                "/sso/authorize."
            )
            sign_in.problem_fix = "Look for a redirect loop in the sign-in route."
        elif last.location is not None:
            sign_in.problem = (
                f"the sign-in route redirected to {where(last.location)}, which is neither "
                "loopback nor the emulator (not followed)."
            )
            sign_in.problem_fix = USE_EMULATOR_FIX
        else:
            sign_in.problem = (
                f"{last.method} {where(last.url)} answered HTTP {last.status} instead of "
                "redirecting to /sso/authorize."
            )
            sign_in.problem_fix = (
                "Make the sign-in route answer with a redirect to the authorization URL "
                "(SSOClient.get_authorization_url or start_sign_in)."
            )
        return sign_in

    def through_emulator(self, browser: Browser, sign_in: SignIn) -> SignIn:
        """The emulator's /sso/authorize, up to the callback URL (not requested)."""
        if sign_in.authorize_url is None:
            return sign_in
        authorize = sign_in.authorize_url
        if not self.policy.allows(authorize):
            sign_in.problem = (
                f"the authorization URL points at {where(authorize)}, which is neither loopback "
                "nor the configured emulator (not requested)."
            )
            sign_in.problem_fix = USE_EMULATOR_FIX
            return sign_in
        try:
            hop = browser.request("GET", authorize)
        except requests.RequestException as exc:
            sign_in.problem = f"{where(authorize)} could not be reached ({type(exc).__name__})."
            sign_in.problem_fix = "Start the emulator: workos emulate --seed FILE."
            return sign_in
        if hop.location is None:
            sign_in.problem = (
                f"{where(authorize)} answered HTTP {hop.status} instead of redirecting back "
                "to the app."
            )
            sign_in.problem_fix = (
                "Check the selector names a seeded organization or connection, and that the "
                "base URL is the emulator (a real WorkOS shows a sign-in page)."
            )
            return sign_in
        returned = query_of(hop.location)
        if "code" not in returned:
            error = cell(next(iter(returned.get("error", [])), "no code"))
            sign_in.problem = f"the emulator redirected back without a code ({error})."
            sign_in.problem_fix = "Check the selector and redirect_uri the app sends."
            return sign_in
        if not self.policy.allows(hop.location):
            sign_in.problem = (
                f"the redirect_uri, {where(hop.location)}, is not on this machine, so the probe "
                "cannot deliver the callback (not requested)."
            )
            sign_in.problem_fix = (
                "Run the app with its redirect URI on loopback, such as "
                "http://127.0.0.1:5000/callback."
            )
            return sign_in
        sign_in.callback_url = hop.location
        return sign_in

    def sign_in(self, browser: Browser, extra: Optional[Mapping[str, str]] = None) -> SignIn:
        return self.through_emulator(browser, self.start(browser, extra))

    def signed_in(self, browser: Browser) -> bool:
        """Does ``browser`` reach the protected page? (Only meaningful with a protected URL.)"""
        url = self.options.protected_url
        if url is None:
            return False
        hop = browser.request("GET", url)
        if not 200 <= hop.status < 300:
            return False
        text = self.options.signed_in_text
        return text is None or text in hop.text

    # --- checks --------------------------------------------------------------------------

    def run(self) -> list[Check]:
        try:
            return self._run()
        finally:
            self.close()

    def _run(self) -> list[Check]:
        first_browser = self.browser()
        first = self.start(first_browser)
        checks = [self.check_sign_in_redirect(first)]
        if first.authorize_url is None:
            return checks + skipped_after("sign-in redirect")
        checks.append(check_authorize_params(first.authorize_url))
        second = self.start(self.browser())
        checks += [
            check_state(first.state, second.state),
            check_state_entropy(first.state),
        ]
        self.through_emulator(first_browser, first)
        checks.append(check_emulator_sign_in(first))
        if first.callback_url is None:
            return checks + skipped_after("emulator sign-in")
        before_callback = first_browser.copy()
        self._browsers.append(before_callback)
        try:
            # The callback's own answer only: pages after it may set cookies of their own.
            callback = first_browser.request("GET", first.callback_url)
        except requests.RequestException as exc:
            detail = f"the callback could not be reached ({type(exc).__name__})."
            return [*checks, Check("callback", FAIL, detail, START_APP_FIX)]
        before, after = before_callback.cookies(), first_browser.cookies()
        secure_on_http = self.secure_on_http([*first.start_hops, callback])
        checks += [
            check_redirect_uri(first.callback_url, callback),
            check_callback(callback, before, after, secure_on_http),
            self.check_sign_in_cookies(first),
            self.check_session_cookie(callback, before, after),
            self.check_protected_page(first_browser, secure_on_http),
            self.check_replay(first.callback_url, before_callback),
            self.check_altered_state(),
            self.check_missing_state(),
            self.check_foreign_state(),
            self.check_access_denied(),
            self.check_forged_callback(),
            self.check_reflected_error(),
            self.check_open_redirect(),
        ]
        return checks

    def secure_on_http(self, hops: Iterable[Hop]) -> list[str]:
        """The cookies set in ``hops`` that a browser keeps to itself: Secure, on plain http."""
        if self.https:
            return []
        return [
            cookie.name
            for hop in hops
            for cookie in hop.set_cookies
            if cookie.secure and not cookie.deletes
        ]

    def check_sign_in_redirect(self, sign_in: SignIn) -> Check:
        name = "sign-in redirect"
        if sign_in.problem is not None:
            return Check(name, FAIL, sign_in.problem, sign_in.problem_fix)
        assert sign_in.authorize_url is not None
        first = sign_in.start_hops[0]
        return Check(
            name,
            PASS,
            f"{first.method} {where(first.url)} redirects to {where(sign_in.authorize_url)}.",
        )

    def check_sign_in_cookies(self, sign_in: SignIn) -> Check:
        """Cookies set on the way to WorkOS: often the one that holds the state."""
        name = "sign-in cookies"
        cookies = [
            cookie for hop in sign_in.start_hops for cookie in hop.set_cookies if not cookie.deletes
        ]
        if not cookies:
            return Check(name, PASS, "the sign-in route sets no cookie.")
        state = sign_in.state or ""
        problems: list[str] = []
        warnings: list[str] = []
        for cookie in _latest_by_name(cookies):
            holds = " (it holds the state in clear)" if state and state in cookie.value else ""
            problems += [f"{cookie.name}{holds} {flaw}" for flaw in self.cookie_flaws(cookie)]
            if (cookie.same_site or "").lower() == "strict":
                warnings.append(
                    f"{cookie.name} is SameSite=Strict, so browsers leave it out of the "
                    "redirect back from WorkOS"
                )
        names = ", ".join(sorted({cookie.name for cookie in cookies}))
        if problems:
            return Check(
                name,
                FAIL,
                sentence("; ".join(problems)),
                SECURE_ON_HTTP_FIX
                if any(SECURE_ON_HTTP in problem for problem in problems)
                else "Set the state's cookie (or the session that holds it) with HttpOnly and "
                "SameSite=Lax, and Secure on https.",
            )
        if warnings:
            return Check(
                name, WARN, sentence("; ".join(warnings)), "Use SameSite=Lax for this cookie."
            )
        return Check(name, PASS, f"{names}: {self._flags_summary()}.")

    def check_session_cookie(
        self, callback: Hop, before: Mapping[str, str], after: Mapping[str, str]
    ) -> Check:
        name = "session cookie"
        changed = {cookie for cookie, value in after.items() if before.get(cookie) != value}
        headers = [
            cookie
            for cookie in callback.set_cookies
            if cookie.name in changed and not cookie.deletes
        ]
        if not headers:
            return Check(name, SKIP, "skipped: the callback set no cookie.")
        problems = [
            f"{cookie.name} {flaw}"
            for cookie in _latest_by_name(headers)
            for flaw in self.cookie_flaws(cookie)
        ]
        if problems:
            return Check(
                name,
                FAIL,
                sentence("; ".join(problems)),
                SECURE_ON_HTTP_FIX
                if any(SECURE_ON_HTTP in problem for problem in problems)
                else "Set the session cookie with HttpOnly and SameSite=Lax, and Secure on https "
                "(the integration guide's session step).",
            )
        names = ", ".join(sorted({cookie.name for cookie in headers}))
        return Check(name, PASS, f"{names}: {self._flags_summary()}.")

    def cookie_flaws(self, cookie: SetCookie) -> list[str]:
        """What keeps ``cookie`` from being a safe session (or state) cookie for this app."""
        flaws = []
        if not cookie.http_only:
            flaws.append("is not HttpOnly, so page scripts can read it")
        same_site = (cookie.same_site or "").lower()
        if same_site not in ("lax", "strict"):
            shown = f"SameSite={cookie.same_site}" if cookie.same_site else "no SameSite"
            flaws.append(f"has {shown} (expected Lax or Strict)")
        if self.https and not cookie.secure:
            flaws.append("is not Secure although the app is served over https")
        if not self.https and cookie.secure:
            flaws.append(SECURE_ON_HTTP)
        return flaws

    def _flags_summary(self) -> str:
        secure = ", Secure" if self.https else " (Secure not required on plain-http loopback)"
        return f"HttpOnly, SameSite=Lax or Strict{secure}"

    def check_protected_page(self, browser: Browser, secure_on_http: Iterable[str] = ()) -> Check:
        """``secure_on_http``: the cookies of the sign-in that the browser will not send back."""
        name = "protected page"
        url = self.options.protected_url
        if url is None:
            return Check(
                name,
                WARN,
                "no --protected-url, so the probe cannot tell a signed-in browser from a "
                "signed-out one: the attack checks below only look for server errors.",
                "Pass --protected-url (and --signed-in-text if that page answers 200 to everyone).",
            )
        what = f"{where(url)}" + (" with the signed-in text" if self.options.signed_in_text else "")
        if not self.signed_in(browser):
            unsent = ", ".join(sorted(set(secure_on_http)))
            if unsent:
                return Check(
                    name,
                    FAIL,
                    f"the signed-in browser does not reach {what}: {unsent} {SECURE_ON_HTTP}.",
                    SECURE_ON_HTTP_FIX,
                )
            return Check(
                name,
                FAIL,
                f"the signed-in browser does not reach {what}.",
                "Keep the user in the session set by the callback, and check --protected-url "
                "and --signed-in-text.",
            )
        with self.browser() as stranger:
            if self.signed_in(stranger):
                return Check(
                    name,
                    WARN,
                    f"a signed-out browser reaches {what} too, so the attack checks below "
                    "cannot see a session.",
                    "Name a page that requires sign-in, or pass --signed-in-text with text only "
                    "signed-in users see.",
                )
        self.can_see_sessions = True
        detail = f"the signed-in browser reaches {what}; a signed-out one does not."
        return Check(name, PASS, detail)

    # --- attacks -------------------------------------------------------------------------

    def _refused(self, name: str, attack: str, browser: Browser, url: str, fix: str) -> Check:
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
                "Refuse the callback with a redirect to sign in (or a 4xx page), not a server "
                "error.",
            )
        answer = describe_answer(hops[0])
        if not self.can_see_sessions:
            return Check(
                name,
                WARN,
                f"{attack}: answered {answer}; whether it made a session is unknown.",
                self._cannot_see_sessions_fix(),
            )
        if self.signed_in(browser):
            return Check(name, FAIL, f"{attack}: the app signed the browser in.", fix)
        return Check(name, PASS, f"{attack}: refused ({answer}), no session.")

    def _cannot_see_sessions_fix(self) -> str:
        if self.options.protected_url is None:
            return "Pass --protected-url so the probe can look for a session."
        # It was passed: the protected page line says what kept it from telling sessions apart.
        return (
            "Make the protected page check pass (see its line), so the probe can look for a "
            "session."
        )

    def _attack_sign_in(self, name: str) -> tuple[Optional[Browser], SignIn, Optional[Check]]:
        browser = self.browser()
        sign_in = self.sign_in(browser)
        if sign_in.callback_url is None:
            reason = sign_in.problem or "the sign-in did not reach the callback."
            return None, sign_in, Check(name, SKIP, f"skipped: {_lower_first(reason)}")
        return browser, sign_in, None

    def check_replay(self, callback_url: str, before_callback: Browser) -> Check:
        name = "replay"
        # The cookies the browser held before the callback: a reload, or a copied jar.
        replayer = before_callback
        if self.can_see_sessions and self.signed_in(replayer):
            return Check(
                name,
                FAIL,
                "the cookies from before the sign-in reach the protected page without any "
                "callback: the session was not renewed at sign-in (session fixation).",
                "Start a new session (new id or cookie value) when the user signs in.",
            )
        return self._refused(
            name, "the same callback URL again", replayer, callback_url, REPLAY_FIX
        )

    def check_altered_state(self) -> Check:
        name = "altered state"
        browser, sign_in, skipped = self._attack_sign_in(name)
        if skipped or browser is None or sign_in.callback_url is None:
            return skipped or Check(name, SKIP, "skipped.")
        state = sign_in.state or ""
        url = with_query(sign_in.callback_url, {"state": altered(state)})
        attack = "a callback with one character of state changed"
        return self._refused(name, attack, browser, url, STATE_CHECK_FIX)

    def check_missing_state(self) -> Check:
        name = "missing state"
        browser, sign_in, skipped = self._attack_sign_in(name)
        if skipped or browser is None or sign_in.callback_url is None:
            return skipped or Check(name, SKIP, "skipped.")
        url = with_query(sign_in.callback_url, {"state": None})
        return self._refused(name, "a callback without state", browser, url, STATE_CHECK_FIX)

    def check_foreign_state(self) -> Check:
        name = "foreign state"
        attacker, sign_in, skipped = self._attack_sign_in(name)
        if skipped or attacker is None or sign_in.callback_url is None:
            return skipped or Check(name, SKIP, "skipped.")
        # Login CSRF: the victim's browser has its own sign-in going, and opens the attacker's
        # callback URL.
        victim = self.browser()
        victim_start = self.start(victim)
        if victim_start.authorize_url is None:
            return Check(name, SKIP, "skipped: a second sign-in did not start.")
        attack = "another browser's callback (code and state)"
        return self._refused(name, attack, victim, sign_in.callback_url, STATE_CHECK_FIX)

    def check_access_denied(self) -> Check:
        name = "access denied"
        browser = self.browser()
        sign_in = self.start(browser)
        redirect_uri = (
            next(iter(query_of(sign_in.authorize_url).get("redirect_uri", [])), None)
            if sign_in.authorize_url
            else None
        )
        if redirect_uri is None:
            return Check(name, SKIP, "skipped: no redirect_uri to send the error to.")
        error = {"error": "access_denied", "error_description": "The user denied access."}
        if sign_in.state:
            error["state"] = sign_in.state
        url = with_query(redirect_uri, error)
        attack = "a callback with error=access_denied"
        return self._refused(name, attack, browser, url, ERROR_FIX)

    def _same_site(self, url: str) -> Callable[[str], bool]:
        """A ``stop`` for :meth:`Browser.follow`: any URL on another origin than ``url``'s."""
        origin = web_origin(url)
        return lambda location: web_origin(location) != origin

    def check_forged_callback(self) -> Check:
        """A signed-in user opens forged callbacks (a link or an image elsewhere can make the
        browser do it); the session must survive them.
        """
        name = "forged callback"
        if self.options.protected_url is None:
            return Check(
                name,
                SKIP,
                "skipped: without --protected-url the probe cannot tell whether a forged "
                "callback signed the user out.",
            )
        if not self.can_see_sessions:
            return Check(
                name,
                SKIP,
                "skipped: the protected page does not tell a signed-in browser from a "
                "signed-out one (see its line).",
            )
        browser, sign_in, skipped = self._attack_sign_in(name)
        if skipped or browser is None or sign_in.callback_url is None:
            return skipped or Check(name, SKIP, "skipped.")
        stay = self._same_site(sign_in.callback_url)
        try:
            browser.follow(sign_in.callback_url, stop=stay)
            signed_in = self.signed_in(browser)
        except requests.RequestException as exc:
            return Check(name, SKIP, f"skipped: the sign-in failed ({type(exc).__name__}).")
        if not signed_in:
            return Check(name, SKIP, "skipped: a sign-in did not reach the protected page.")
        # The code is one the app never handed out; nothing here may sign anyone in or out.
        made_up_code = "probe_" + secrets.token_urlsafe(16)
        forgeries = (
            (
                "a callback without state",
                with_query(sign_in.callback_url, {"code": made_up_code, "state": None}),
            ),
            (
                "a callback with error=access_denied and no state",
                with_query(
                    sign_in.callback_url,
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
                still_signed_in = self.signed_in(browser)
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

    def check_reflected_error(self) -> Check:
        """HTML in a callback's ``error`` and ``error_description``, looked for on every page of
        the app the callback leads to.
        """
        name = "reflected error"
        browser = self.browser()
        sign_in = self.start(browser)
        redirect_uri = (
            next(iter(query_of(sign_in.authorize_url).get("redirect_uri", [])), None)
            if sign_in.authorize_url
            else None
        )
        if redirect_uri is None:
            return Check(name, SKIP, "skipped: no redirect_uri to send the error to.")
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
                hops = browser.follow(url, stop=self._same_site(url))
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

    def check_open_redirect(self) -> Check:
        name = "open redirect"
        tried: list[str] = []
        # A value Python's URL parser reads as this site, and a browser as evil.example.
        login = urlsplit(self.options.login_url)
        disguised = f"{login.scheme}://{EVIL_HOST}\\@{login.netloc}/"
        attempts = (*OPEN_REDIRECT_ATTEMPTS, ("next", disguised))
        for parameter, target in attempts:
            browser = self.browser()
            sign_in = self.sign_in(browser, {parameter: target})
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


def _latest_by_name(cookies: Iterable[SetCookie]) -> list[SetCookie]:
    latest: dict[str, SetCookie] = {}
    for cookie in cookies:
        latest[cookie.name] = cookie
    return list(latest.values())


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


def _is_authorize(url: str) -> bool:
    return urlsplit(url).path.rstrip("/").endswith("/sso/authorize")


# --- The probe -------------------------------------------------------------------------------


def run_verify(options: VerifyOptions) -> list[Check]:
    """Probe the app ``options`` point at; one check per step and attack, in order."""
    return Probe(options).run()
