"""The whole SSO login flow against a WorkOS API, step by step, printed as it goes.

Run it against the official emulator with `nox -s demo` (which starts one), or point it at any
WorkOS environment with WORKOS_API_KEY, WORKOS_CLIENT_ID and WORKOS_BASE_URL set.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import requests

from workos_sso import SSOClient

REDIRECT_URI = "http://localhost:8000/callback"


def main() -> None:
    with SSOClient.from_env() as sso:
        print(f"Client: {sso!r}")

        connection = next(iter(sso.list_connections(domain="foo-corp.com", limit=1)), None)
        if connection is None or connection.organization_id is None:
            raise SystemExit("No connection for foo-corp.com: run this against the emulator.")
        print(f"1. Found {connection.name} ({connection.connection_type}) for foo-corp.com")

        state = secrets.token_urlsafe(16)
        url = sso.get_authorization_url(
            redirect_uri=REDIRECT_URI,
            organization=connection.organization_id,
            state=state,
            login_hint="alice@foo-corp.com",
        )
        print(f"2. Authorization URL: {url[:90]}...")

        # A browser would follow this URL through the identity provider; the emulator signs the
        # user in at once and redirects straight back to the app's callback with a code.
        redirect = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
        callback = {key: values[0] for key, values in parse_qs(urlsplit(redirect).query).items()}
        if callback.get("state") != state:
            raise SystemExit("The state that came back is not the one sent: refusing the login.")
        print("3. Callback received with a code and the state we sent")

        result = sso.get_profile_and_token(callback["code"])
        profile = result.profile
        print(f"4. Signed in: {profile.first_name} {profile.last_name} <{profile.email}>")
        print(f"   organization {profile.organization_id}, connection {profile.connection_id}")

        again = sso.get_profile(result.access_token)
        print(f"5. Profile fetched again with the access token: {again.email}")

        logout = sso.authorize_logout(profile_id=profile.id)
        # The logout URL carries a one-time token: send the browser there, don't log it.
        print(f"6. Logout authorized: redirect the browser to {urlsplit(logout.logout_url).path}")

        print("7. The first connections:")
        for number, conn in enumerate(sso.list_connections(limit=5), start=1):
            name = conn.name or "(no name)"
            print(f"   {number}. {name:<24} {conn.connection_type!s:<14} {conn.state!s}")
            if number == 5:
                break


if __name__ == "__main__":
    main()
