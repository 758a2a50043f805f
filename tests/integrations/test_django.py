"""workos_sso.integrations.django: what only Django has (the backend, system checks, settings).

The sign-in behaviour shared by the three frameworks is in ``test_contract.py``. Django is
configured once per process, by the project in docs/examples/django_app.py (which the recipe
tests and the contract harness load too): these tests load it and change only ``WORKOS_SSO``
(and the URLconf) with ``override_settings``; ``manage.py check`` and ``makemigrations`` with
settings of their own run in fresh processes. Offline, WorkOS is a loopback server
(``tests/loopback.py``); the tests marked ``live`` sign in at the emulator.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Optional
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import attrs
import pytest
import requests

from tests import emulator
from tests.loopback import LOOPBACK_API_KEY, LOOPBACK_CLIENT_ID, LoopbackServer, Reply, Route
from tests.payload_fixtures import profile_and_token_fixture
from workos_sso import (
    ConnectionType,
    Profile,
    ProfileAndToken,
    SessionUser,
    SignInRefused,
    SignInResult,
    create_state,
)
from workos_sso.integrations._flow import SESSION_USER_KEY
from workos_sso.integrations._policy import RefusalReason

pytest.importorskip("django")

EXAMPLES = emulator.ROOT / "docs" / "examples"
REDIRECT_URI = "http://127.0.0.1:5000/callback"
BACKEND = "workos_sso.integrations.django.backends.WorkOSBackend"
FOO = "org_foo"
BAR = "org_bar"
OFFLINE_SSO = {
    "API_KEY": "sk_test_offline",
    "CLIENT_ID": "client_offline",
    "REDIRECT_URI": REDIRECT_URI,
    "BASE_URL": "http://127.0.0.1:9",
    "ALLOWED_ORGANIZATIONS": [FOO, BAR],
}
#: Long and random-looking: what check_secret_key wants once REDIRECT_URI is https.
LONG_SECRET = "django-tests-secret-5f0c9e2a7b3d4e6f8a1b2c3d4e5f6a7b"

# Routed by the tests that include the app's urls.py as a project would.
urlpatterns: list[Any] = []

#: What the hooks below saw, for the tests to read.
hook_calls: list[tuple[Any, SignInResult]] = []


def recording_hook(request: Any, result: SignInResult) -> Optional[SessionUser]:
    """An ON_SIGN_IN hook named by its dotted path: keeps the profile with the role "reader"."""
    hook_calls.append((request, result))
    return attrs.evolve(SessionUser.from_profile(result.profile), role="reader")


def refusing_hook(request: Any, result: SignInResult) -> Optional[SessionUser]:
    raise SignInRefused("Your organization has no account here yet.")


def group_writing_hook(request: Any, result: SignInResult) -> Optional[SessionUser]:
    """Writes a row, to show that a refusal after the hook saves nothing of it."""
    from django.contrib.auth.models import Group

    Group.objects.create(name=f"tenant-of-{result.profile.id}")
    return None


@pytest.fixture(scope="module")
def project() -> Iterator[ModuleType]:
    """The example project, loaded once per process (it configures Django), offline settings."""
    if "django_app" not in sys.modules:
        saved = dict(os.environ)
        os.environ.update(
            {
                "WORKOS_REDIRECT_URI": REDIRECT_URI,
                "WORKOS_API_KEY": OFFLINE_SSO["API_KEY"],  # type: ignore[dict-item]
                "WORKOS_CLIENT_ID": OFFLINE_SSO["CLIENT_ID"],  # type: ignore[dict-item]
            }
        )
        try:
            if str(EXAMPLES) not in sys.path:
                sys.path.insert(0, str(EXAMPLES))
            import django_app  # type: ignore[import-not-found]  # noqa: F401
        finally:
            os.environ.clear()
            os.environ.update(saved)
    from django.test import override_settings

    with override_settings(WORKOS_SSO=OFFLINE_SSO):
        yield sys.modules["django_app"]


def _settings(**changes: Any) -> Any:
    """``override_settings`` of ``WORKOS_SSO``: the current dict with ``changes`` (None drops)."""
    from django.conf import settings
    from django.test import override_settings

    sso = {**settings.WORKOS_SSO, **changes}
    return override_settings(WORKOS_SSO={k: v for k, v in sso.items() if v is not None})


def _profile(
    *, email: str, organization: Optional[str], first: str = "Ada", last: str = "Lovelace"
) -> Profile:
    return Profile(
        id=f"prof_{uuid.uuid4().hex}",
        connection_id="conn_test",
        connection_type=ConnectionType.OktaSAML,
        idp_id="idp",
        email=email,
        organization_id=organization,
        first_name=first,
        last_name=last,
    )


def _result(profile: Profile) -> SignInResult:
    return SignInResult(
        profile_and_token=ProfileAndToken(access_token="token", profile=profile),
        state=create_state(organization=profile.organization_id),
    )


def _authenticate(profile: Profile) -> Any:
    from django.contrib.auth import authenticate

    return authenticate(None, sso_result=_result(profile))


def _unique_email(domain: str = "foo-corp.com") -> str:
    return f"user-{uuid.uuid4().hex[:12]}@{domain}"


def _fields(profile: Profile) -> dict[str, Any]:
    return attrs.asdict(profile, recurse=False)


# --- importing ------------------------------------------------------------------------------


def test_without_django_the_import_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['django'] = None\n"
        "try:\n    import workos_sso.integrations.django\n"
        "except ImportError as error:\n    print(error)"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == (
        "workos_sso.integrations.django needs Django: pip install 'workos-sso[django]'"
    )


def test_the_public_names_are_those_of_the_other_frameworks(project: ModuleType) -> None:
    import workos_sso
    import workos_sso.integrations.django as integration

    assert integration.__all__ == [
        "SignInRefused",
        "WorkOSSSO",
        "access_token_required",
        "current_user",
        "login_required",
    ]
    assert integration.SignInRefused is workos_sso.SignInRefused
    assert not hasattr(integration, "current_sso_user")
    assert not hasattr(integration, "sign_in_completed")


# --- manage.py check and makemigrations, in fresh processes ----------------------------------

GOOD_SETTINGS = f"""
SECRET_KEY = {LONG_SECRET!r}
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "workos_sso.integrations.django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
AUTHENTICATION_BACKENDS = [{BACKEND!r}]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}}
SESSION_COOKIE_SECURE = True
WORKOS_SSO = {{
    "API_KEY": "sk_test_x",
    "CLIENT_ID": "client_x",
    "REDIRECT_URI": "https://app.example.com/sso/callback/",
    "ALLOWED_ORGANIZATIONS": ["org_x"],
}}
"""


def _run_django(tmp_path: Path, extra: str, *command: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "check_settings.py").write_text(GOOD_SETTINGS + textwrap.dedent(extra))
    return subprocess.run(
        [sys.executable, "-m", "django", *command, "--settings=check_settings"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_migration_matches_the_model(tmp_path: Path) -> None:
    made = _run_django(tmp_path, "", "makemigrations", "workos_sso", "--check", "--dry-run")
    assert made.returncode == 0, made.stdout + made.stderr
    assert "No changes detected" in made.stdout


def test_manage_py_check_passes_good_settings(tmp_path: Path) -> None:
    checked = _run_django(tmp_path, "", "check")
    assert checked.returncode == 0, checked.stderr
    assert "no issues" in checked.stdout


# One run of manage.py for each outcome (no issues, an error, warnings only): its exit status
# and where it writes. Which message each setting gets is tested in this process, below.
def test_manage_py_check_exits_1_and_names_the_setting(tmp_path: Path) -> None:
    checked = _run_django(tmp_path, "del WORKOS_SSO['API_KEY']", "check")
    assert checked.returncode == 1
    assert "(workos_sso.E002) WORKOS_SSO['API_KEY'] is missing." in checked.stderr


def test_manage_py_check_warns_of_every_organization_and_an_insecure_cookie(
    tmp_path: Path,
) -> None:
    extra = "del WORKOS_SSO['ALLOWED_ORGANIZATIONS']\nSESSION_COOKIE_SECURE = False\n"
    checked = _run_django(tmp_path, extra, "check")
    assert checked.returncode == 0, checked.stderr
    assert "(workos_sso.W003) WORKOS_SSO['ALLOWED_ORGANIZATIONS'] is not set" in checked.stderr
    assert "(workos_sso.W004) WORKOS_SSO['REDIRECT_URI'] is https but" in checked.stderr


# --- system checks, in this process ---------------------------------------------------------


def _check_messages() -> list[tuple[str, str]]:
    from django.core.checks import run_checks

    return [(str(message.id), str(message.msg)) for message in run_checks()]


@pytest.mark.parametrize(
    ("changes", "number", "message"),
    [
        ({"API_KEY": "pk_live"}, "E002", "WORKOS_SSO['API_KEY'] is malformed: it must start"),
        (
            {"CLIENT_ID": "abc"},
            "E003",
            "WORKOS_SSO['CLIENT_ID'] is malformed: it must start with 'client_'",
        ),
        (
            {"REDIRECT_URI": "http://app.example.com/callback"},
            "E004",
            "WORKOS_SSO['REDIRECT_URI'] is malformed: it must use https except for localhost.",
        ),
        ({"API_KEY": ""}, "E002", "WORKOS_SSO['API_KEY'] is missing."),
        ({"CLIENT_ID": None}, "E003", "WORKOS_SSO['CLIENT_ID'] is missing."),
        ({"REDIRECT_URI": None}, "E004", "WORKOS_SSO['REDIRECT_URI'] is missing."),
        ({"REDIRECT_URI": "/callback"}, "E004", "WORKOS_SSO['REDIRECT_URI'] is malformed"),
        (
            {"REDIRECT_URI": "http://127.0.0.1:5000/"},
            "E004",
            "WORKOS_SSO['REDIRECT_URI'] is malformed: it must name the callback's path",
        ),
        (
            {"REDIRECT_URI": "https://a@app.example.com/callback"},
            "E004",
            "WORKOS_SSO['REDIRECT_URI'] is malformed: it must not hold credentials",
        ),
        ({"BASE_URL": "http://api.example.com"}, "E005", "WORKOS_SSO['BASE_URL'] is malformed"),
        ({"TIMEOUT": -1}, "E006", "WORKOS_SSO['TIMEOUT'] is malformed"),
        ({"MAX_RETRIES": "3"}, "E007", "WORKOS_SSO['MAX_RETRIES'] is malformed"),
        ({"LINK_BY_EMAIL": "yes"}, "E008", "WORKOS_SSO['LINK_BY_EMAIL'] must be True or False."),
        ({"PKCE": 1}, "E008", "WORKOS_SSO['PKCE'] must be True or False."),
        ({"ORGANIZATION": 7}, "E009", "WORKOS_SSO['ORGANIZATION'] must be a string."),
        (
            {"SIGN_IN_PAGE": "//evil.example"},
            "E009",
            "WORKOS_SSO['SIGN_IN_PAGE'] must be a path on this site",
        ),
        (
            {"LOGOUT_REDIRECT": "https://evil.example/"},
            "E009",
            "WORKOS_SSO['LOGOUT_REDIRECT'] must be a path on this site",
        ),
        ({"SIGN_IN_PAGE": "no-such-url-name"}, "E009", "A page in WORKOS_SSO"),
        (
            {"ALLOWED_ORGANIZATIONS": FOO},
            "E014",
            "WORKOS_SSO['ALLOWED_ORGANIZATIONS'] must be a list such as",
        ),
        (
            {"ALLOWED_ORGANIZATIONS": [FOO, " org_bar"]},
            "E014",
            "WORKOS_SSO['ALLOWED_ORGANIZATIONS'] must hold non-empty strings only.",
        ),
        (
            {"ALLOWED_PROVIDERS": "GoogleOAuth"},
            "E014",
            "WORKOS_SSO['ALLOWED_PROVIDERS'] must be a list such as ['GoogleOAuth']",
        ),
        (
            {"ORGANIZATION": "org_elsewhere"},
            "E014",
            "WORKOS_SSO['ORGANIZATION'] 'org_elsewhere' is not in "
            "WORKOS_SSO['ALLOWED_ORGANIZATIONS'].",
        ),
        (
            {"ON_SIGN_IN": "tests.integrations.test_django.no_such_hook"},
            "E015",
            "WORKOS_SSO['ON_SIGN_IN'] does not import",
        ),
        ({"ON_SIGN_IN": 42}, "E015", "WORKOS_SSO['ON_SIGN_IN'] must be a function"),
        ({"ORGANISATION": "org_x"}, "W001", "WORKOS_SSO has an unknown key 'ORGANISATION'."),
    ],
)
def test_system_checks_name_each_key(
    project: ModuleType, changes: dict[str, Any], number: str, message: str
) -> None:
    assert _check_messages() == []
    with _settings(**changes):
        found = _check_messages()
    assert len(found) == 1, found
    assert found[0][0] == f"workos_sso.{number}"
    assert found[0][1].startswith(message)


def test_every_organization_is_a_warning_that_names_the_setting(project: ModuleType) -> None:
    with _settings(ALLOWED_ORGANIZATIONS=None):
        assert _check_messages() == [
            (
                "workos_sso.W003",
                "WORKOS_SSO['ALLOWED_ORGANIZATIONS'] is not set and there is no "
                "WORKOS_SSO['ORGANIZATION']: every organization of the WorkOS environment can "
                "sign in.",
            )
        ]
    # Said on purpose, or a default organization (the only one then allowed): no warning.
    with _settings(ALLOWED_ORGANIZATIONS="*"):
        assert _check_messages() == []
    with _settings(ALLOWED_ORGANIZATIONS=None, ORGANIZATION=FOO):
        assert _check_messages() == []


def test_https_without_a_secure_session_cookie_is_a_warning(project: ModuleType) -> None:
    from django.test import override_settings

    https = "https://app.example.com/callback"
    with _settings(REDIRECT_URI=https), override_settings(SECRET_KEY=LONG_SECRET):
        found = _check_messages()
        assert [number for number, _ in found] == ["workos_sso.W004"]
        assert "SESSION_COOKIE_SECURE is off" in found[0][1]
        with override_settings(SESSION_COOKIE_SECURE=True):
            assert _check_messages() == []


# startproject's key, shipped: anyone could sign the session and the state with it.
@pytest.mark.parametrize(
    "secret", ["change-me", "short-but-random-3f9a", "django-insecure-" + "x" * 50]
)
def test_a_placeholder_or_short_secret_key_is_an_error_over_https_only(
    project: ModuleType, secret: str
) -> None:
    from django.test import override_settings

    with override_settings(SECRET_KEY=secret, SESSION_COOKIE_SECURE=True):
        assert _check_messages() == []  # plain-HTTP local development
        with _settings(REDIRECT_URI="https://app.example.com/callback"):
            found = _check_messages()
    assert [number for number, _ in found] == ["workos_sso.E013"]
    assert found[0][1].startswith("SECRET_KEY is ")


def test_a_missing_workos_sso_setting_is_named(project: ModuleType) -> None:
    from django.conf import settings
    from django.test import override_settings

    with override_settings():
        del settings.WORKOS_SSO
        assert _check_messages() == [("workos_sso.E001", "WORKOS_SSO is missing.")]


def test_an_empty_secret_key_is_an_error_even_in_local_development(project: ModuleType) -> None:
    from django.test import override_settings

    with override_settings(SECRET_KEY=""):
        found = _check_messages()
    assert [number for number, _ in found] == ["workos_sso.E013"]
    assert found[0][1].startswith("Set SECRET_KEY to a random value")


def test_system_checks_name_a_missing_backend(project: ModuleType) -> None:
    from django.test import override_settings

    with override_settings(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]):
        assert _check_messages() == [
            ("workos_sso.E010", f"AUTHENTICATION_BACKENDS does not list {BACKEND}.")
        ]


def test_system_checks_name_missing_apps_and_middleware(project: ModuleType) -> None:
    from django.conf import settings
    from django.test import override_settings

    middleware = [m for m in settings.MIDDLEWARE if "AuthenticationMiddleware" not in m]
    with override_settings(MIDDLEWARE=middleware):
        found = [message for _, message in _check_messages()]
    assert found == [
        "MIDDLEWARE does not list django.contrib.auth.middleware.AuthenticationMiddleware, "
        "which workos_sso.integrations.django needs."
    ]


def path_to_the_app() -> Any:
    from django.urls import include, path

    return path("sso/", include("workos_sso.integrations.django.urls"))


def test_system_checks_warn_when_the_redirect_uri_misses_the_callback(project: ModuleType) -> None:
    from django.test import override_settings

    with _settings(REDIRECT_URI="http://127.0.0.1:5000/sso/callback/"):
        assert _check_messages() == [
            (
                "workos_sso.W002",
                "WORKOS_SSO['REDIRECT_URI'] has the path /sso/callback/, which is not routed to "
                "the callback view: WorkOS will send users back to a page that cannot sign them "
                "in.",
            )
        ]
        urlpatterns[:] = [path_to_the_app()]
        with override_settings(ROOT_URLCONF=__name__):
            assert _check_messages() == []


# --- settings: the WorkOSSSO object ---------------------------------------------------------


def test_workos_sso_is_made_once_per_settings(project: ModuleType) -> None:
    from django.test import override_settings

    from workos_sso.integrations.django import WorkOSSSO

    first = WorkOSSSO.current()
    assert WorkOSSSO.current() is first
    assert first.flow.client is first.client
    assert first.flow.policy.organizations == frozenset({FOO, BAR})
    assert (first.flow.sign_in_page, first.flow.default_next) == ("/", "/")
    assert first.flow.pkce is False
    with _settings(PKCE=True, ALLOWED_PROVIDERS=["GoogleOAuth"], SIGN_IN_PAGE="/sign-in"):
        changed = WorkOSSSO.current()
        assert changed is not first
        assert changed.flow.pkce is True
        assert changed.flow.policy.providers == frozenset({"GoogleOAuth"})
        assert changed.flow.sign_in_page == "/sign-in"
    with override_settings(SECRET_KEY="another-secret-for-the-state-signature"):
        assert WorkOSSSO.current().flow.secret == "another-secret-for-the-state-signature"
    assert WorkOSSSO.current().flow.policy == first.flow.policy


def test_pages_may_be_url_names(project: ModuleType) -> None:
    from django.test import override_settings

    from workos_sso.integrations.django import WorkOSSSO

    urlpatterns[:] = [path_to_the_app()]
    with (
        override_settings(ROOT_URLCONF=__name__, LOGIN_REDIRECT_URL="workos_sso:callback"),
        _settings(SIGN_IN_PAGE="workos_sso:login", LOGOUT_REDIRECT="workos_sso:logout"),
    ):
        flow = WorkOSSSO.current().flow
        assert (flow.sign_in_page, flow.after_sign_out, flow.default_next) == (
            "/sso/login/",
            "/sso/logout/",
            "/sso/callback/",
        )


def test_unset_organizations_warn_through_the_check_only(project: ModuleType) -> None:
    from workos_sso.integrations.django import WorkOSSSO

    with _settings(ALLOWED_ORGANIZATIONS=None), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert WorkOSSSO.current().flow.policy.organizations is None
    with _settings(ALLOWED_ORGANIZATIONS=None, ORGANIZATION=FOO):
        assert WorkOSSSO.current().flow.policy.organizations == frozenset({FOO})


@pytest.mark.parametrize(
    "changes",
    [
        {"ALLOWED_ORGANIZATIONS": FOO},
        {"ON_SIGN_IN": "tests.integrations.test_django.no_such_hook"},
        {"SIGN_IN_PAGE": "//evil.example"},
        {"REDIRECT_URI": "https://app.example.com/callback"},  # a placeholder SECRET_KEY
    ],
)
def test_malformed_settings_are_improperly_configured_at_first_use(
    project: ModuleType, changes: dict[str, Any]
) -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from workos_sso.integrations.django import WorkOSSSO

    with (
        override_settings(SECRET_KEY="change-me"),
        _settings(**changes),
        pytest.raises(ImproperlyConfigured, match=r"manage\.py check"),
    ):
        WorkOSSSO.current()


def test_on_sign_in_is_a_callable_or_its_dotted_path(project: ModuleType) -> None:
    from workos_sso.integrations.django import WorkOSSSO

    assert WorkOSSSO.current().on_sign_in is None
    with _settings(ON_SIGN_IN="tests.integrations.test_django.recording_hook"):
        assert WorkOSSSO.current().on_sign_in is recording_hook
    with _settings(ON_SIGN_IN=refusing_hook):
        assert WorkOSSSO.current().on_sign_in is refusing_hook


# --- the backend (offline: the sign-in result is made here) ----------------------------------


def test_a_profile_gets_one_user_reused_at_each_sign_in(project: ModuleType) -> None:
    from workos_sso.integrations.django.models import WorkOSIdentity

    profile = _profile(email=_unique_email(), organization=FOO)
    first = _authenticate(profile)
    assert first is not None
    assert first.get_username() == f"workos:{profile.id}"
    assert not first.has_usable_password()
    renamed = Profile(**{**_fields(profile), "first_name": "Augusta", "email": "new@foo-corp.com"})
    again = _authenticate(renamed)
    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.first_name, again.email) == ("Augusta", "new@foo-corp.com")
    identity = WorkOSIdentity.objects.get(profile_id=profile.id)
    assert (identity.user_id, identity.organization_id, identity.email) == (  # type: ignore[attr-defined]
        first.pk,
        FOO,
        "new@foo-corp.com",
    )


def test_same_email_in_another_organization_is_another_user(project: ModuleType) -> None:
    email = _unique_email()
    foo = _authenticate(_profile(email=email, organization=FOO))
    bar = _authenticate(_profile(email=email, organization=BAR))
    assert foo.pk != bar.pk
    assert foo.email == bar.email == email


def test_an_existing_user_with_the_email_is_not_linked_by_default(project: ModuleType) -> None:
    from django.contrib.auth.models import User

    email = _unique_email()
    existing = User.objects.create_user(f"local-{uuid.uuid4().hex[:8]}", email=email)
    signed_in = _authenticate(_profile(email=email.upper(), organization=FOO))
    assert signed_in.pk != existing.pk


def test_link_by_email_links_the_one_user_with_the_email(project: ModuleType) -> None:
    from django.contrib.auth.models import User

    email = _unique_email()
    existing = User.objects.create_user(f"local-{uuid.uuid4().hex[:8]}", email=email)
    with _settings(LINK_BY_EMAIL=True):
        signed_in = _authenticate(_profile(email=email.upper(), organization=FOO))
        assert signed_in.pk == existing.pk
        # Two users with one address: which one is meant is unknown, so neither.
        twice = _unique_email()
        User.objects.create_user(f"a-{uuid.uuid4().hex[:8]}", email=twice)
        User.objects.create_user(f"b-{uuid.uuid4().hex[:8]}", email=twice)
        fresh = _authenticate(_profile(email=twice, organization=FOO))
        assert fresh.get_username().startswith("workos:")


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("staff", "is staff or a superuser"),
        ("superuser", "is staff or a superuser"),
        ("linked", "is linked to another WorkOS profile"),
    ],
)
def test_link_by_email_never_links_an_admin_or_a_linked_user(
    project: ModuleType, kind: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    from django.contrib.auth.models import User

    email = _unique_email()
    existing = User.objects.create_user(
        f"local-{uuid.uuid4().hex[:8]}",
        email=email,
        is_staff=kind == "staff",
        is_superuser=kind == "superuser",
    )
    if kind == "linked":
        # Already signed in through another organization's identity provider, then matched.
        with _settings(LINK_BY_EMAIL=True):
            assert _authenticate(_profile(email=email, organization=BAR)).pk == existing.pk
    with _settings(LINK_BY_EMAIL=True), caplog.at_level(logging.WARNING):
        signed_in = _authenticate(_profile(email=email, organization=FOO))
    assert signed_in.pk != existing.pk
    assert signed_in.get_username().startswith("workos:")
    assert why in caplog.text


@pytest.mark.parametrize("organization", ["org_not_allowed", None])
def test_link_by_email_links_profiles_of_allowed_organizations_only(
    project: ModuleType, organization: Optional[str]
) -> None:
    from django.contrib.auth.models import User

    email = _unique_email()
    existing = User.objects.create_user(f"local-{uuid.uuid4().hex[:8]}", email=email)
    with _settings(LINK_BY_EMAIL=True):
        # The callback refuses such a profile before the backend; the backend holds on its own.
        signed_in = _authenticate(_profile(email=email, organization=organization))
    assert signed_in.pk != existing.pk


def test_a_known_profile_from_another_organization_is_refused(project: ModuleType) -> None:
    profile = _profile(email=_unique_email(), organization=FOO)
    assert _authenticate(profile) is not None
    moved = Profile(**{**_fields(profile), "organization_id": BAR})
    assert _authenticate(moved) is None


def test_an_inactive_user_is_refused(project: ModuleType) -> None:
    profile = _profile(email=_unique_email(), organization=FOO)
    user = _authenticate(profile)
    user.is_active = False
    user.save()
    assert _authenticate(profile) is None


def test_other_credentials_are_not_for_this_backend(project: ModuleType) -> None:
    from django.contrib.auth import authenticate

    assert authenticate(None, username="someone", password="secret") is None


def test_a_second_sign_in_of_the_same_new_profile_gets_the_winners_user(
    project: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workos_sso.integrations.django.backends import WorkOSBackend

    profile = _profile(email=_unique_email(), organization=FOO)
    winner = _authenticate(profile)  # the other request, which linked the profile first
    linked = WorkOSBackend._linked
    lookups: list[str] = []

    def late(new: Profile) -> Any:
        # This request looked before the other one had linked the profile: it saw nothing.
        lookups.append(new.id)
        return None if len(lookups) == 1 else linked(new)

    monkeypatch.setattr(WorkOSBackend, "_linked", staticmethod(late))
    signed_in = _authenticate(profile)
    assert lookups == [profile.id, profile.id]
    assert signed_in is not None
    assert signed_in.pk == winner.pk


def test_an_integrity_error_that_is_not_the_race_refuses(
    project: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    from django.contrib.auth.models import User

    profile = _profile(email=_unique_email(), organization=FOO)
    # The username the backend would give the new user is taken, by a user with no identity.
    User.objects.create_user(f"workos:{profile.id}")
    with caplog.at_level(logging.WARNING):
        assert _authenticate(profile) is None
    assert f"WorkOS profile {profile.id} could not be linked to a new user" in caplog.text


# --- the callback view: the hook, then the backend, in one transaction ------------------------


@pytest.fixture
def workos(project: ModuleType, loopback: LoopbackServer) -> Iterator[LoopbackServer]:
    """WorkOS is the loopback server; its token endpoint answers with ``workos.profile``."""
    from django.test import override_settings

    with override_settings(
        WORKOS_SSO={
            **OFFLINE_SSO,
            "API_KEY": LOOPBACK_API_KEY,
            "CLIENT_ID": LOOPBACK_CLIENT_ID,
            "BASE_URL": loopback.url,
            "MAX_RETRIES": 0,
        }
    ):
        yield loopback


def _token_answer(profile: dict[str, Any]) -> Reply:
    return Reply.json(200, {**profile_and_token_fixture(), "profile": profile})


def _sign_in_offline(client: Any, workos: LoopbackServer, **profile: Any) -> tuple[Any, str]:
    """Sign in to FOO with a new profile (``profile`` changes it); the callback's reply and
    the profile id."""
    fields = {
        **profile_and_token_fixture()["profile"],
        "id": f"prof_{uuid.uuid4().hex}",
        "email": _unique_email(),
        "organization_id": FOO,
        **profile,
    }
    workos.always(Route({"/sso/token": _token_answer(fields)}))
    reply = client.get(f"/login?organization={FOO}&next=/account")
    assert reply.status_code == 302, reply
    state = parse_qs(urlsplit(reply["Location"]).query)["state"][0]
    return client.get("/callback?" + urlencode({"code": "code", "state": state})), fields["id"]


def _page_messages(client: Any) -> list[str]:
    from django.contrib.messages import get_messages

    reply = client.get("/")
    return [str(message) for message in get_messages(reply.wsgi_request)]


def test_the_hook_by_dotted_path_gets_djangos_request_and_its_user_is_kept(
    workos: LoopbackServer,
) -> None:
    from django.http import HttpRequest
    from django.test import Client

    from workos_sso.integrations.django.models import WorkOSIdentity

    hook_calls.clear()
    client = Client()
    with _settings(
        ON_SIGN_IN="tests.integrations.test_django.recording_hook",
    ):
        reply, profile_id = _sign_in_offline(client, workos)
    assert (reply.status_code, reply["Location"]) == (302, "/account")
    [(request, result)] = hook_calls
    assert isinstance(request, HttpRequest)
    assert result.profile.id == profile_id
    # The backend ran after the hook: the user is linked and signed in.
    assert WorkOSIdentity.objects.filter(profile_id=profile_id).exists()
    assert client.session[SESSION_USER_KEY]["role"] == "reader"
    assert client.get("/account").status_code == 200


def test_a_refusal_after_the_hook_saves_nothing(workos: LoopbackServer) -> None:
    from django.contrib.auth.models import Group, User
    from django.test import Client

    email = _unique_email()
    # The hook writes a row; the backend then refuses (the user is inactive): both roll back.
    profile = {"id": f"prof_{uuid.uuid4().hex}", "email": email}
    existing = _authenticate(
        attrs.evolve(_profile(email=email, organization=FOO), id=profile["id"])
    )
    existing.is_active = False
    existing.save()
    client = Client()
    with _settings(
        ON_SIGN_IN=group_writing_hook,
    ):
        reply, _ = _sign_in_offline(client, workos, **profile)
        assert (reply.status_code, reply["Location"]) == (302, "/")
        assert _page_messages(client) == [RefusalReason.APP_REFUSED.message]
    assert not Group.objects.filter(name=f"tenant-of-{profile['id']}").exists()
    assert SESSION_USER_KEY not in client.session
    # A hook's refusal: its sentence, and no user is made.
    with _settings(
        ON_SIGN_IN=refusing_hook,
    ):
        refused_email = _unique_email()
        _sign_in_offline(client, workos, email=refused_email)
        assert _page_messages(client) == ["Your organization has no account here yet."]
    assert not User.objects.filter(email=refused_email).exists()


def test_a_user_that_cannot_be_saved_is_a_refusal_not_a_500(
    workos: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    profile_id = f"prof_{uuid.uuid4().hex}"
    User.objects.create_user(f"workos:{profile_id}")  # the new user's username is taken
    client = Client()
    with (
        _settings(),
        caplog.at_level(logging.WARNING),
    ):
        reply, _ = _sign_in_offline(client, workos, id=profile_id)
        assert (reply.status_code, reply["Location"]) == (302, "/")
        assert _page_messages(client) == [RefusalReason.APP_REFUSED.message]
    assert f"SSO sign-in of profile {profile_id} refused" in caplog.text
    assert SESSION_USER_KEY not in client.session


def test_an_integrity_error_in_the_view_is_a_refusal(
    workos: LoopbackServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import IntegrityError
    from django.test import Client

    from workos_sso.integrations.django.backends import WorkOSBackend

    def broken(self: WorkOSBackend, user: Any, profile: Profile) -> None:
        raise IntegrityError("UNIQUE constraint failed: auth_user.email")

    monkeypatch.setattr(WorkOSBackend, "_update_user", broken)
    client = Client()
    with (
        _settings(),
        caplog.at_level(logging.WARNING),
    ):
        reply, _ = _sign_in_offline(client, workos)
        assert reply.status_code == 302
        assert _page_messages(client) == [RefusalReason.APP_REFUSED.message]
    assert "UNIQUE constraint failed" in caplog.text


# --- the views, routes and decorator --------------------------------------------------------


def test_sign_in_starts_a_new_session_with_none_of_the_old_data(workos: LoopbackServer) -> None:
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    client = Client()
    session = client.session
    session["before"] = "planted"
    session.save()
    old_key = str(session.session_key)
    client.cookies["sessionid"] = old_key
    with _settings():
        reply, profile_id = _sign_in_offline(client, workos)
    assert reply.status_code == 302
    assert client.cookies["sessionid"].value != old_key
    assert "before" not in client.session
    assert client.session[SESSION_USER_KEY]["id"] == profile_id
    # The old session is gone from the database, not only from the cookie.
    assert not SessionStore().exists(old_key)


def test_login_required_sends_to_the_login_view(project: ModuleType) -> None:
    from django.http import HttpRequest, HttpResponse
    from django.test import Client, override_settings
    from django.urls import path

    from workos_sso.integrations.django import login_required

    # The example routes the views without the app's namespace: LOGIN_URL.
    reply = Client().get("/account?tab=2")
    assert (reply.status_code, reply["Location"]) == (302, "/login?next=/account%3Ftab%3D2")

    @login_required
    def page(request: HttpRequest) -> HttpResponse:
        return HttpResponse("in")

    urlpatterns[:] = [path_to_the_app(), path("page", page)]
    with override_settings(ROOT_URLCONF=__name__):
        reply = Client().get("/page")
    assert (reply.status_code, reply["Location"]) == (302, "/sso/login/?next=/page")


def test_a_password_sign_in_is_not_a_workos_sign_in(project: ModuleType) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    user = User.objects.create_user(f"local-{uuid.uuid4().hex[:8]}")
    client = Client()
    client.force_login(user, backend=BACKEND)
    reply = client.get("/account")
    assert reply.status_code == 302
    assert "Signed in as" in client.get("/").content.decode()  # request.user is


def test_logout_and_login_by_email_are_post_only_with_csrf(project: ModuleType) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.get("/logout").status_code == 405
    assert client.get("/login/email").status_code == 405
    assert client.post("/logout").status_code == 403
    assert client.post("/login/email", {"email": "a@b.example"}).status_code == 403
    # With the form's token, it signs out (nobody here) and goes home.
    client.get("/")
    token = client.cookies["csrftoken"].value
    reply = client.post("/logout", {"csrfmiddlewaretoken": token})
    assert (reply.status_code, reply["Location"]) == (302, "/")


def test_the_apps_urls_with_trailing_slashes(project: ModuleType) -> None:
    from django.test import Client, override_settings
    from django.urls import reverse

    urlpatterns[:] = [path_to_the_app()]
    with override_settings(ROOT_URLCONF=__name__):
        assert reverse("workos_sso:login") == "/sso/login/"
        assert reverse("workos_sso:login_email") == "/sso/login/email/"
        assert reverse("workos_sso:callback") == "/sso/callback/"
        assert reverse("workos_sso:logout") == "/sso/logout/"
        reply = Client().get(f"/sso/login/?organization={FOO}&next=/after")
        assert reply.status_code == 302
        authorize = urlsplit(reply["Location"])
        assert authorize.path == "/sso/authorize"
        assert parse_qs(authorize.query)["organization"] == [FOO]


def test_the_example_page_passes_next_on_and_escapes_it(project: ModuleType) -> None:
    from django.test import Client

    client = Client()
    with _settings(ORGANIZATION=FOO):
        reply = client.get("/account")
        assert reply["Location"] == "/login?next=/account"
        page = client.get('/?next=/account"><script>x</script>').content.decode()
    assert f'href="/login?organization={FOO}&amp;next=%2Faccount%22%3E%3Cscript' in page
    assert 'name="next" value="/account&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in page
    assert "<script>x" not in page


# --- signing in through the emulator --------------------------------------------------------


@pytest.fixture(scope="module")
def organizations(emulator_url: str) -> dict[str, str]:
    return emulator.seeded_organizations(emulator_url)


@pytest.fixture
def live(project: ModuleType, emulator_url: str, organizations: dict[str, str]) -> Iterator[None]:
    from django.test import override_settings

    with override_settings(
        WORKOS_SSO={
            "API_KEY": emulator.INTEGRATIONS_API_KEY,
            "CLIENT_ID": emulator.CLIENT_ID,
            "REDIRECT_URI": REDIRECT_URI,
            "BASE_URL": emulator_url,
            "ORGANIZATION": organizations["foo"],
            "ALLOWED_ORGANIZATIONS": [organizations["foo"], organizations["bar"]],
        }
    ):
        yield


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _sign_in(client: Any, start: str = "/login", **at_identity_provider: str) -> Any:
    """Start at ``start``, sign in at the emulator (with the changes given), return the callback's
    reply."""
    reply = client.get(start)
    assert reply.status_code == 302, reply.content
    authorize = _with_query(reply["Location"], **at_identity_provider)
    response = requests.get(authorize, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    callback = urlsplit(response.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def _signed_in_user(client: Any) -> Any:
    from django.contrib.auth import get_user

    class Request:
        session = client.session

    return get_user(Request())  # type: ignore[arg-type]


@pytest.mark.live
def test_the_user_row_is_created_once_and_reused(live: None) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from workos_sso.integrations.django.models import WorkOSIdentity

    email = _unique_email()
    first = Client()
    _sign_in(first, login_hint=email)
    user = _signed_in_user(first)
    assert user.email == email
    users = get_user_model().objects.count()
    second = Client()
    _sign_in(second, login_hint=email)
    assert _signed_in_user(second).pk == user.pk
    assert get_user_model().objects.count() == users
    assert WorkOSIdentity.objects.filter(user=user).count() == 1


@pytest.mark.live
def test_same_email_from_another_organization_signs_in_as_another_user(
    live: None, organizations: dict[str, str]
) -> None:
    from django.test import Client

    email = _unique_email()
    foo = Client()
    _sign_in(foo, login_hint=email)
    bar = Client()
    reply = _sign_in(bar, f"/login?organization={organizations['bar']}", login_hint=email)
    assert reply.status_code == 302
    foo_user, bar_user = _signed_in_user(foo), _signed_in_user(bar)
    assert foo_user.email == bar_user.email == email
    assert foo_user.pk != bar_user.pk
    assert organizations["bar"] in bar.get("/").content.decode()


@pytest.mark.live
def test_link_by_email_does_not_link_a_superuser_at_the_emulator(
    live: None, organizations: dict[str, str]
) -> None:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client, override_settings

    email = _unique_email()
    admin = User.objects.create_superuser(f"admin-{uuid.uuid4().hex[:8]}", email=email)
    client = Client()
    with override_settings(WORKOS_SSO={**settings.WORKOS_SSO, "LINK_BY_EMAIL": True}):
        reply = _sign_in(client, login_hint=email)
    assert reply.status_code == 302
    signed_in = _signed_in_user(client)
    assert signed_in.is_authenticated
    assert signed_in.pk != admin.pk
    assert not signed_in.is_superuser
