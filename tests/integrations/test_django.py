"""workos_sso.integrations.django: the app, its backend, views and system checks.

Django is configured once per process, by the project in docs/examples/django_app.py (which the
recipe tests load too): these tests load it and change only ``WORKOS_SSO`` (and the URLconf)
with ``override_settings``. ``manage.py check`` with broken settings runs in fresh processes.
The offline tests run in ``nox -s tests``; those marked ``live`` sign in through the emulator.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Optional
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from tests import emulator
from workos_sso import (
    ConnectionType,
    Profile,
    ProfileAndToken,
    SignInResult,
    create_state,
)

EXAMPLES = emulator.ROOT / "docs" / "examples"
REDIRECT_URI = "http://127.0.0.1:5000/callback"
BACKEND = "workos_sso.integrations.django.backends.WorkOSBackend"
OFFLINE_SSO = {
    "API_KEY": "sk_test_offline",
    "CLIENT_ID": "client_offline",
    "REDIRECT_URI": REDIRECT_URI,
    "BASE_URL": "http://127.0.0.1:9",
}

# Routed by the tests that include the app's urls.py as a project would.
urlpatterns: list[Any] = []


@pytest.fixture(scope="module")
def project() -> Iterator[ModuleType]:
    """The example project, loaded once per process (it configures Django), offline settings."""
    if "django_app" not in sys.modules:
        saved = dict(os.environ)
        os.environ.update(
            {
                "WORKOS_REDIRECT_URI": REDIRECT_URI,
                "WORKOS_API_KEY": OFFLINE_SSO["API_KEY"],
                "WORKOS_CLIENT_ID": OFFLINE_SSO["CLIENT_ID"],
            }
        )
        try:
            if str(EXAMPLES) not in sys.path:
                sys.path.insert(0, str(EXAMPLES))
            import django_app  # noqa: F401
        finally:
            os.environ.clear()
            os.environ.update(saved)
    from django.test import override_settings

    with override_settings(WORKOS_SSO=OFFLINE_SSO):
        yield sys.modules["django_app"]


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


# --- importing ------------------------------------------------------------------------------


def test_import_workos_sso_does_not_import_django() -> None:
    code = (
        "import sys, workos_sso, workos_sso.integrations; "
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], "
        "sorted(m for m in sys.modules if m.startswith('django'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- system checks --------------------------------------------------------------------------

GOOD_SETTINGS = f"""
SECRET_KEY = "check-tests-secret"
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
WORKOS_SSO = {{
    "API_KEY": "sk_test_x",
    "CLIENT_ID": "client_x",
    "REDIRECT_URI": "https://app.example.com/sso/callback/",
}}
"""


def _manage_py_check(tmp_path: Path, extra: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "check_settings.py").write_text(GOOD_SETTINGS + textwrap.dedent(extra))
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--settings=check_settings"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_migration_matches_the_model(tmp_path: Path) -> None:
    (tmp_path / "check_settings.py").write_text(GOOD_SETTINGS)
    made = subprocess.run(
        [
            *(sys.executable, "-m", "django", "makemigrations", "workos_sso"),
            *("--check", "--dry-run", "--settings=check_settings"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert "No changes detected" in made.stdout


def test_manage_py_check_passes_good_settings(tmp_path: Path) -> None:
    checked = _manage_py_check(tmp_path, "")
    assert checked.returncode == 0, checked.stderr
    assert "no issues" in checked.stdout


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ("del WORKOS_SSO", "(workos_sso.E001) WORKOS_SSO is missing."),
        ("del WORKOS_SSO['API_KEY']", "(workos_sso.E002) WORKOS_SSO['API_KEY'] is missing."),
        (
            "WORKOS_SSO['CLIENT_ID'] = 'abc'",
            "WORKOS_SSO['CLIENT_ID'] is malformed: it must start with 'client_'",
        ),
        (
            "WORKOS_SSO['REDIRECT_URI'] = 'http://app.example.com/callback'",
            "WORKOS_SSO['REDIRECT_URI'] is malformed: it must use https except for localhost.",
        ),
        (
            "AUTHENTICATION_BACKENDS = ['django.contrib.auth.backends.ModelBackend']",
            f"AUTHENTICATION_BACKENDS does not list {BACKEND}.",
        ),
    ],
)
def test_manage_py_check_names_the_setting(tmp_path: Path, extra: str, named: str) -> None:
    checked = _manage_py_check(tmp_path, extra)
    assert checked.returncode == 1
    assert named in checked.stderr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"API_KEY": "pk_live"}, "WORKOS_SSO['API_KEY'] is malformed: it must start with 'sk_'"),
        ({"API_KEY": ""}, "WORKOS_SSO['API_KEY'] is missing."),
        ({"CLIENT_ID": None}, "WORKOS_SSO['CLIENT_ID'] is missing."),
        ({"REDIRECT_URI": None}, "WORKOS_SSO['REDIRECT_URI'] is missing."),
        ({"REDIRECT_URI": "/callback"}, "WORKOS_SSO['REDIRECT_URI'] is malformed"),
        ({"BASE_URL": "http://api.example.com"}, "WORKOS_SSO['BASE_URL'] is malformed"),
        ({"TIMEOUT": -1}, "WORKOS_SSO['TIMEOUT'] is malformed"),
        ({"MAX_RETRIES": "3"}, "WORKOS_SSO['MAX_RETRIES'] is malformed"),
        ({"LINK_BY_EMAIL": "yes"}, "WORKOS_SSO['LINK_BY_EMAIL'] must be True or False."),
        ({"ORGANISATION": "org_x"}, "WORKOS_SSO has an unknown key 'ORGANISATION'."),
    ],
)
def test_system_checks_name_each_key(
    project: ModuleType, changes: dict[str, Any], message: str
) -> None:
    from django.core.checks import run_checks
    from django.test import override_settings

    assert [str(m) for m in run_checks()] == []
    with override_settings(WORKOS_SSO={**OFFLINE_SSO, **changes}):
        found = [m.msg for m in run_checks()]
    assert len(found) == 1
    assert found[0].startswith(message)


def test_system_checks_name_missing_apps_and_middleware(project: ModuleType) -> None:
    from django.conf import settings
    from django.core.checks import run_checks
    from django.test import override_settings

    middleware = [m for m in settings.MIDDLEWARE if "AuthenticationMiddleware" not in m]
    with override_settings(MIDDLEWARE=middleware):
        found = [m.msg for m in run_checks()]
    assert found == [
        "MIDDLEWARE does not list django.contrib.auth.middleware.AuthenticationMiddleware, "
        "which workos_sso.integrations.django needs."
    ]


def test_system_checks_warn_when_the_redirect_uri_misses_the_callback(project: ModuleType) -> None:
    from django.core.checks import run_checks
    from django.test import override_settings

    elsewhere = {**OFFLINE_SSO, "REDIRECT_URI": "http://127.0.0.1:5000/sso/callback/"}
    with override_settings(WORKOS_SSO=elsewhere):
        found = [(m.id, m.msg) for m in run_checks()]
    assert found == [
        (
            "workos_sso.W002",
            "WORKOS_SSO['REDIRECT_URI'] has the path /sso/callback/, which is not routed to the "
            "callback view: WorkOS will send users back to a page that cannot sign them in.",
        )
    ]
    urlpatterns[:] = [path_to_the_app()]
    with override_settings(WORKOS_SSO=elsewhere, ROOT_URLCONF=__name__):
        assert run_checks() == []


def path_to_the_app() -> Any:
    from django.urls import include, path

    return path("sso/", include("workos_sso.integrations.django.urls"))


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


# --- the backend (offline: the sign-in result is made here) ----------------------------------


def test_a_profile_gets_one_user_reused_at_each_sign_in(project: ModuleType) -> None:
    from workos_sso.integrations.django.models import WorkOSIdentity

    profile = _profile(email=_unique_email(), organization="org_foo")
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
    assert (identity.user_id, identity.organization_id, identity.email) == (
        first.pk,
        "org_foo",
        "new@foo-corp.com",
    )


def _fields(profile: Profile) -> dict[str, Any]:
    import attrs

    return attrs.asdict(profile, recurse=False)


def test_same_email_in_another_organization_is_another_user(project: ModuleType) -> None:
    email = _unique_email()
    foo = _authenticate(_profile(email=email, organization="org_foo"))
    bar = _authenticate(_profile(email=email, organization="org_bar"))
    assert foo.pk != bar.pk
    assert foo.email == bar.email == email


def test_an_existing_user_with_the_email_is_not_linked_by_default(project: ModuleType) -> None:
    from django.contrib.auth.models import User

    email = _unique_email()
    existing = User.objects.create_user(f"local-{uuid.uuid4().hex[:8]}", email=email)
    signed_in = _authenticate(_profile(email=email.upper(), organization="org_foo"))
    assert signed_in.pk != existing.pk


def test_link_by_email_links_the_one_user_with_the_email(project: ModuleType) -> None:
    from django.contrib.auth.models import User
    from django.test import override_settings

    email = _unique_email()
    existing = User.objects.create_user(f"local-{uuid.uuid4().hex[:8]}", email=email)
    with override_settings(WORKOS_SSO={**OFFLINE_SSO, "LINK_BY_EMAIL": True}):
        signed_in = _authenticate(_profile(email=email.upper(), organization="org_foo"))
        assert signed_in.pk == existing.pk
        # Two users with one address: which one is meant is unknown, so neither.
        twice = _unique_email()
        User.objects.create_user(f"a-{uuid.uuid4().hex[:8]}", email=twice)
        User.objects.create_user(f"b-{uuid.uuid4().hex[:8]}", email=twice)
        fresh = _authenticate(_profile(email=twice, organization="org_foo"))
        assert fresh.get_username().startswith("workos:")


def test_a_known_profile_from_another_organization_is_refused(project: ModuleType) -> None:
    profile = _profile(email=_unique_email(), organization="org_foo")
    assert _authenticate(profile) is not None
    moved = Profile(**{**_fields(profile), "organization_id": "org_bar"})
    assert _authenticate(moved) is None


def test_an_inactive_user_is_refused(project: ModuleType) -> None:
    profile = _profile(email=_unique_email(), organization="org_foo")
    user = _authenticate(profile)
    user.is_active = False
    user.save()
    assert _authenticate(profile) is None


def test_other_credentials_are_not_for_this_backend(project: ModuleType) -> None:
    from django.contrib.auth import authenticate

    assert authenticate(None, username="someone", password="secret") is None


# --- the views, offline ---------------------------------------------------------------------


def _messages(client: Any) -> str:
    return str(client.get("/").content.decode())


def test_logout_is_post_only_with_csrf(project: ModuleType) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 403
    # With the form's token, it signs out (nobody here) and goes home.
    client.get("/")
    token = client.cookies["csrftoken"].value
    reply = client.post("/logout", {"csrfmiddlewaretoken": token})
    assert (reply.status_code, reply["Location"]) == (302, "/")


def test_login_by_email_is_post_only(project: ModuleType) -> None:
    from django.test import Client

    assert Client().get("/login/email").status_code == 405


def test_login_without_an_organization_asks_for_one(project: ModuleType) -> None:
    from django.test import Client

    client = Client()
    reply = client.get("/login")
    assert (reply.status_code, reply["Location"]) == (302, "/")
    assert "Choose an organization, or use your work email." in _messages(client)


def test_login_required_sends_to_the_login_view(project: ModuleType) -> None:
    from django.test import Client

    reply = Client().get("/account")
    assert (reply.status_code, reply["Location"]) == (302, "/login?next=/account")


def test_a_callback_without_a_sign_in_is_refused(project: ModuleType) -> None:
    from django.test import Client

    client = Client()
    reply = client.get("/callback?" + urlencode({"code": "c", "state": "s"}))
    assert (reply.status_code, reply["Location"]) == (302, "/")
    assert "Your sign-in expired or was already used" in _messages(client)
    reply = client.get("/callback?" + urlencode({"error": "access_denied", "state": "s"}))
    assert "Sign-in failed (access_denied)" in _messages(client)


def test_the_apps_urls_with_trailing_slashes(project: ModuleType) -> None:
    from django.test import Client, override_settings
    from django.urls import reverse

    urlpatterns[:] = [path_to_the_app()]
    with override_settings(ROOT_URLCONF=__name__):
        assert reverse("workos_sso:login") == "/sso/login/"
        assert reverse("workos_sso:login_email") == "/sso/login/email/"
        assert reverse("workos_sso:callback") == "/sso/callback/"
        assert reverse("workos_sso:logout") == "/sso/logout/"
        reply = Client().get("/sso/login/?organization=org_foo&next=/after")
        assert reply.status_code == 302
        authorize = urlsplit(reply["Location"])
        assert authorize.path == "/sso/authorize"
        assert parse_qs(authorize.query)["organization"] == ["org_foo"]


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
def test_sign_in_rotates_the_session_key(live: None) -> None:
    from django.test import Client

    client = Client()
    client.get("/login")
    before = client.cookies["sessionid"].value
    reply = _sign_in(client)
    assert (reply.status_code, reply["Location"]) == (302, "/")
    after = client.cookies["sessionid"].value
    assert after != before
    assert _signed_in_user(client).is_authenticated


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
def test_login_required_page_after_sign_in(live: None) -> None:
    from django.test import Client

    client = Client()
    reply = client.get("/account")
    assert reply["Location"] == "/login?next=/account"
    reply = _sign_in(client, reply["Location"])
    assert reply["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    assert "workos:prof_" in page.content.decode()


@pytest.mark.live
def test_a_receiver_of_sign_in_completed_can_refuse(live: None) -> None:
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied
    from django.test import Client

    from workos_sso.integrations.django import sign_in_completed

    seen: list[str] = []

    def no_tenant(sender: Any, *, request: Any, user: Any, result: SignInResult, **_: Any) -> None:
        seen.append(str(result.profile.organization_id))
        raise PermissionDenied("Your organization has no account here yet.")

    email = _unique_email()
    sign_in_completed.connect(no_tenant)
    try:
        client = Client()
        reply = _sign_in(client, login_hint=email)
    finally:
        sign_in_completed.disconnect(no_tenant)
    assert (reply.status_code, reply["Location"]) == (302, "/")
    home = client.get("/").content.decode()
    assert "Your organization has no account here yet." in home
    assert "Signed in as" not in home
    assert len(seen) == 1
    # Nothing was kept of the refused sign-in.
    assert not get_user_model().objects.filter(email=email).exists()


@pytest.mark.live
def test_sign_out_signs_out_here_and_at_workos(live: None) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    _sign_in(client)
    client.get("/")
    reply = client.post("/logout", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert reply.status_code == 302
    assert "/sso/logout?" in reply["Location"]
    assert not _signed_in_user(client).is_authenticated
