"""The probe's simulated users: their browsers, each one's sign-in, and whether it is signed in.

:class:`Probe` drives one :class:`~workos_sso._cli.browser.Browser` per simulated user, never
leaves loopback and the configured emulator, and follows a sign-in from the app's route through
the emulator up to the callback URL, which it leaves to the caller to open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

import requests

from .browser import Browser, Hop, HostPolicy, query_of, where, with_query
from .output import FAIL, PASS, WARN, Check, cell
from .verify_checks import (
    SECURE_ON_HTTP,
    SECURE_ON_HTTP_FIX,
    START_APP_FIX,
    USE_EMULATOR_FIX,
    SignIn,
)

__all__ = ["Probe", "VerifyOptions"]


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
    """The browsers of one ``verify`` run and the sign-in steps they take; ``close()`` them."""

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

    def copy(self, browser: Browser) -> Browser:
        """A copy of ``browser`` and its cookies, closed with the others."""
        copied = browser.copy()
        self._browsers.append(copied)
        return copied

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

    def check_protected_page(self, browser: Browser, secure_on_http: Iterable[str] = ()) -> Check:
        """Whether the protected page tells signed-in ``browser`` from a signed-out one, which
        the attacks need to see a session; ``secure_on_http``: the cookies of the sign-in that
        the browser will not send back.
        """
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


def _is_authorize(url: str) -> bool:
    return urlsplit(url).path.rstrip("/").endswith("/sso/authorize")
