"""The checks ``verify`` judges from what one sign-in showed: pure functions, no requests.

Each ``check_*`` returns one :class:`~workos_sso._cli.output.Check`; the fix texts are shared
with the probe and its attacks.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import urlsplit

from .browser import Hop, SetCookie, query_of, where
from .output import FAIL, PASS, SKIP, WARN, Check, sentence

__all__ = [
    "CHECK_NAMES",
    "ERROR_FIX",
    "FORGED_CALLBACK_FIX",
    "MIN_STATE_BITS",
    "REFLECTED_TEXT_FIX",
    "REPLAY_FIX",
    "SECURE_ON_HTTP",
    "SECURE_ON_HTTP_FIX",
    "START_APP_FIX",
    "STATE_CHECK_FIX",
    "STATE_FIX",
    "USE_EMULATOR_FIX",
    "SignIn",
    "check_authorize_params",
    "check_callback",
    "check_emulator_sign_in",
    "check_redirect_uri",
    "check_session_cookie",
    "check_sign_in_cookies",
    "check_sign_in_redirect",
    "check_state",
    "check_state_entropy",
    "cookie_flaws",
    "describe_answer",
    "estimate_state_bits",
    "skipped_after",
]

#: The least a ``state`` must carry to resist guessing, as OWASP asks of session identifiers.
MIN_STATE_BITS = 128
SELECTORS = ("connection", "organization", "provider", "domain")
#: Every check of ``verify``, in the order it reports them.
CHECK_NAMES = (
    "sign-in redirect",
    "authorize params",
    "state",
    "state entropy",
    "emulator sign-in",
    "redirect uri",
    "callback",
    "sign-in cookies",
    "session cookie",
    "protected page",
    "replay",
    "altered state",
    "missing state",
    "foreign state",
    "access denied",
    "forged callback",
    "reflected error",
    "open redirect",
)

# Alphabets a random string is commonly drawn from; a state's alphabet is the smallest of these
# that holds its characters, plus any characters outside it.
_ALPHABETS = (
    frozenset(string.digits),
    frozenset(string.digits + "abcdef"),
    frozenset(string.digits + "ABCDEF"),
    frozenset(string.ascii_uppercase + "234567"),
    frozenset(string.ascii_letters + string.digits),
    frozenset(string.ascii_letters + string.digits + "-_"),
    frozenset(string.ascii_letters + string.digits + "+/"),
)


def estimate_state_bits(state: str) -> float:
    """An upper bound on the randomness of ``state``: its length times log2 of its alphabet.

    The alphabet is the smallest common one (digits, hex, base32, alphanumerics, base64) that
    holds every character; failing that, the one that lacks the fewest, grown by those. Trailing
    ``=`` padding counts for nothing. A state with structure inside (a signed JSON payload) is
    credited with more than it holds: the estimate can show that a state is too short, never
    that it is random.
    """
    body = state.rstrip("=")
    if not body:
        return 0.0
    characters = set(body)
    # Fewest characters outside the alphabet first, then the smaller alphabet.
    _, size = min(
        (len(characters - alphabet), len(alphabet | characters)) for alphabet in _ALPHABETS
    )
    return len(body) * math.log2(size)


@dataclass
class SignIn:
    """One browser's sign-in, as far as it got."""

    start_hops: list[Hop] = field(default_factory=list)
    authorize_url: Optional[str] = None
    callback_url: Optional[str] = None
    #: Why the flow stopped before the callback, as a check line's detail (nothing secret).
    problem: Optional[str] = None
    problem_fix: Optional[str] = None

    @property
    def state(self) -> Optional[str]:
        if self.authorize_url is None:
            return None
        return next(iter(query_of(self.authorize_url).get("state", [])), None) or None

    @property
    def redirect_uri(self) -> Optional[str]:
        """Where the app asked WorkOS to send the browser back."""
        if not self.authorize_url:
            return None
        return next(iter(query_of(self.authorize_url).get("redirect_uri", [])), None)


START_APP_FIX = (
    "Start the app, configured with the emulator as its WorkOS base URL, and check --login-url."
)
USE_EMULATOR_FIX = (
    "Run the app with WORKOS_BASE_URL set to the emulator (workos emulate), and pass the same "
    "URL to verify as --base-url (or WORKOS_BASE_URL)."
)
STATE_FIX = (
    "Create a random state for each sign-in (secrets.token_urlsafe(32)), keep it in the "
    "user's session, and pass it to the authorization URL."
)
STATE_CHECK_FIX = (
    "Compare the callback's state with the one kept in this browser's session, and send the "
    "user back to sign in when it is missing or different."
)
REPLAY_FIX = (
    "Exchange each code once and never sign in again on a code already used (WorkOS answers "
    "invalid_grant); keep the state good for one callback only."
)
ERROR_FIX = "On a callback with ?error=, show the error or send the user back to sign in."
FORGED_CALLBACK_FIX = (
    "When a callback is refused (no state, a state that does not match, an error from WorkOS), "
    "remove only the pending sign-in from the session, never the signed-in user: a link or an "
    "image on another site can open the callback."
)
REFLECTED_TEXT_FIX = (
    "Show a fixed message chosen by the error code, never text from the callback's query or "
    "from WorkOS's answer, and escape whatever a page prints."
)
#: A cookie flaw: said exactly, because the symptom (no session after the callback) has many
#: other causes.
SECURE_ON_HTTP = (
    "is Secure but the app is served over plain http: a browser does not send a Secure cookie "
    "back over http, so the sign-in cannot complete"
)
SECURE_ON_HTTP_FIX = (
    "Set Secure on the cookie only when the app is served over https (for example "
    "SESSION_COOKIE_SECURE in production settings only), or serve the app over https."
)


def describe_answer(hop: Hop) -> str:
    if hop.location is not None:
        return f"HTTP {hop.status} to {urlsplit(hop.location).path or '/'}"
    return f"HTTP {hop.status}"


def skipped_after(check: str) -> list[Check]:
    """A skipped line for each check after ``check``, which failed."""
    reason = f"skipped until {check} passes."
    start = CHECK_NAMES.index(check) + 1 if check in CHECK_NAMES else 0
    return [Check(name, SKIP, reason) for name in CHECK_NAMES[start:]]


def check_authorize_params(authorize_url: str) -> Check:
    name = "authorize params"
    query = query_of(authorize_url)
    problems = []
    if not query.get("client_id", [""])[0]:
        problems.append("no client_id")
    response_type = query.get("response_type", [""])[0]
    if response_type != "code":
        problems.append(f"response_type is {response_type or 'missing'}, not code")
    selectors = [selector for selector in SELECTORS if query.get(selector, [""])[0]]
    if len(selectors) != 1:
        found = ", ".join(selectors) if selectors else "none"
        problems.append(f"exactly one of connection, organization, provider expected ({found})")
    redirect_uri = query.get("redirect_uri", [""])[0]
    if not redirect_uri:
        problems.append("no redirect_uri")
    if problems:
        return Check(
            name,
            FAIL,
            sentence("; ".join(problems)),
            "Build the URL with SSOClient.get_authorization_url, which sends all of these.",
        )
    client_id = query["client_id"][0]
    return Check(
        name,
        PASS,
        f"client_id {client_id}, response_type=code, {selectors[0]}, redirect_uri "
        f"{where(redirect_uri)}.",
    )


def check_state(first: Optional[str], second: Optional[str]) -> Check:
    name = "state"
    if not first:
        return Check(name, FAIL, "the authorization URL has no state.", STATE_FIX)
    if second is None:
        return Check(name, WARN, f"present ({len(first)} chars); a second sign-in did not start.")
    if first == second:
        return Check(
            name,
            FAIL,
            f"two sign-ins got the same state ({len(first)} chars): it must be new each time.",
            STATE_FIX,
        )
    return Check(name, PASS, f"present ({len(first)} chars) and different in two sign-ins.")


def check_state_entropy(state: Optional[str]) -> Check:
    name = "state entropy"
    if not state:
        return Check(name, SKIP, "skipped: there is no state.")
    bits = estimate_state_bits(state)
    if bits < MIN_STATE_BITS:
        return Check(
            name,
            FAIL,
            f"at most about {bits:.0f} bits ({len(state)} chars), below {MIN_STATE_BITS}.",
            STATE_FIX,
        )
    return Check(name, PASS, f"up to {bits:.0f} bits by length and alphabet (>= {MIN_STATE_BITS}).")


def check_emulator_sign_in(sign_in: SignIn) -> Check:
    name = "emulator sign-in"
    if sign_in.callback_url is None:
        return Check(name, FAIL, sign_in.problem or "no callback URL.", sign_in.problem_fix)
    returned_state = next(iter(query_of(sign_in.callback_url).get("state", [])), None)
    if sign_in.state and returned_state != sign_in.state:
        return Check(
            name,
            FAIL,
            "the emulator redirected back with a state other than the one sent.",
            "Check that nothing rewrites the authorization URL between the app and WorkOS.",
        )
    code = query_of(sign_in.callback_url)["code"][0]
    return Check(
        name,
        PASS,
        f"redirected back to {where(sign_in.callback_url)} with a code ({len(code)} chars).",
    )


def check_redirect_uri(callback_url: str, callback: Hop) -> Check:
    name = "redirect uri"
    if callback.status in (404, 405):
        return Check(
            name,
            FAIL,
            f"the app answers HTTP {callback.status} at {where(callback_url)}.",
            "Serve the callback at the redirect_uri's exact path (GET), or fix "
            "WORKOS_REDIRECT_URI to match the route.",
        )
    return Check(name, PASS, f"the app serves {where(callback_url)}.")


def check_callback(
    callback: Hop,
    before: Mapping[str, str],
    after: Mapping[str, str],
    secure_on_http: Iterable[str] = (),
) -> Check:
    """``secure_on_http``: the sign-in's cookies that a browser will not send back (Secure, on
    plain http), the likely reason for a callback that makes no session.
    """
    name = "callback"
    unsent = ", ".join(sorted(set(secure_on_http)))
    if callback.status >= 400 and unsent:
        return Check(
            name,
            FAIL,
            f"the callback answered HTTP {callback.status} to a good code and state: {unsent} "
            f"{SECURE_ON_HTTP}.",
            SECURE_ON_HTTP_FIX,
        )
    if callback.status >= 400:
        return Check(
            name,
            FAIL,
            f"the callback answered HTTP {callback.status} to a good code and state.",
            "Check the app's log: the code exchange (get_profile_and_token) or the session failed.",
        )
    changed = sorted(cookie for cookie, value in after.items() if before.get(cookie) != value)
    if not changed and unsent:
        return Check(
            name,
            FAIL,
            f"answered {describe_answer(callback)} but set or changed no cookie: {unsent} "
            f"{SECURE_ON_HTTP}.",
            SECURE_ON_HTTP_FIX,
        )
    if not changed:
        return Check(
            name,
            FAIL,
            f"answered {describe_answer(callback)} but set or changed no cookie: no session was "
            "made.",
            "Keep the signed-in user in a session cookie, and start a new session at sign-in.",
        )
    return Check(name, PASS, f"answered {describe_answer(callback)} and set {', '.join(changed)}.")


def check_sign_in_redirect(sign_in: SignIn) -> Check:
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


def cookie_flaws(cookie: SetCookie, https: bool) -> list[str]:
    """What keeps ``cookie`` from being a safe session (or state) cookie for an app served over
    https (or plain http).
    """
    flaws = []
    if not cookie.http_only:
        flaws.append("is not HttpOnly, so page scripts can read it")
    same_site = (cookie.same_site or "").lower()
    if same_site not in ("lax", "strict"):
        shown = f"SameSite={cookie.same_site}" if cookie.same_site else "no SameSite"
        flaws.append(f"has {shown} (expected Lax or Strict)")
    if https and not cookie.secure:
        flaws.append("is not Secure although the app is served over https")
    if not https and cookie.secure:
        flaws.append(SECURE_ON_HTTP)
    return flaws


def _flags_summary(https: bool) -> str:
    secure = ", Secure" if https else " (Secure not required on plain-http loopback)"
    return f"HttpOnly, SameSite=Lax or Strict{secure}"


def _latest_by_name(cookies: Iterable[SetCookie]) -> list[SetCookie]:
    latest: dict[str, SetCookie] = {}
    for cookie in cookies:
        latest[cookie.name] = cookie
    return list(latest.values())


def _cookie_failure(name: str, problems: list[str], fix: str) -> Check:
    """A failing cookie line: ``fix``, unless a cookie is Secure on plain http."""
    secure_on_http = any(SECURE_ON_HTTP in problem for problem in problems)
    return Check(
        name, FAIL, sentence("; ".join(problems)), SECURE_ON_HTTP_FIX if secure_on_http else fix
    )


def check_sign_in_cookies(sign_in: SignIn, https: bool) -> Check:
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
        problems += [f"{cookie.name}{holds} {flaw}" for flaw in cookie_flaws(cookie, https)]
        if (cookie.same_site or "").lower() == "strict":
            warnings.append(
                f"{cookie.name} is SameSite=Strict, so browsers leave it out of the "
                "redirect back from WorkOS"
            )
    names = ", ".join(sorted({cookie.name for cookie in cookies}))
    if problems:
        return _cookie_failure(
            name,
            problems,
            "Set the state's cookie (or the session that holds it) with HttpOnly and "
            "SameSite=Lax, and Secure on https.",
        )
    if warnings:
        return Check(name, WARN, sentence("; ".join(warnings)), "Use SameSite=Lax for this cookie.")
    return Check(name, PASS, f"{names}: {_flags_summary(https)}.")


def check_session_cookie(
    callback: Hop, before: Mapping[str, str], after: Mapping[str, str], https: bool
) -> Check:
    name = "session cookie"
    changed = {cookie for cookie, value in after.items() if before.get(cookie) != value}
    headers = [
        cookie for cookie in callback.set_cookies if cookie.name in changed and not cookie.deletes
    ]
    if not headers:
        return Check(name, SKIP, "skipped: the callback set no cookie.")
    problems = [
        f"{cookie.name} {flaw}"
        for cookie in _latest_by_name(headers)
        for flaw in cookie_flaws(cookie, https)
    ]
    if problems:
        return _cookie_failure(
            name,
            problems,
            "Set the session cookie with HttpOnly and SameSite=Lax, and Secure on https "
            "(the integration guide's session step).",
        )
    names = ", ".join(sorted({cookie.name for cookie in headers}))
    return Check(name, PASS, f"{names}: {_flags_summary(https)}.")
