"""Importing the library loads only what it needs: each case runs in a fresh interpreter and
names the modules that must not be loaded once its code has run (a name also covers its
submodules).

What loads on first use (the async client's aiohttp, the login helpers) is tested beside each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SYNC_CLIENT_IN_USE = (
    "from workos_sso import SSOClient, handle_callback, start_sign_in, Pager, AsyncPager\n"
    "SSOClient(api_key='sk_test_x', client_id='client_x').get_authorization_url(\n"
    "    redirect_uri='https://app.example.com/cb', organization='org_1')\n"
)
JWKS_URL_BUILT = (
    "from workos_sso import SSOClient, AccessTokenClaims, AccessTokenError, JWKSError\n"
    "SSOClient(api_key='sk_test_x', client_id='client_x').get_jwks_url()\n"
)

CASES = {
    "the command line": ("import workos_sso\n", ["workos_sso._cli"]),
    "the async stack": (SYNC_CLIENT_IN_USE, ["asyncio", "aiohttp"]),
    "a JOSE library": (JWKS_URL_BUILT, ["jwt", "cryptography", "workos_sso._tokens"]),
    "Django": ("import workos_sso, workos_sso.integrations\n", ["django"]),
    "Flask": ("import workos_sso, workos_sso.integrations\n", ["flask", "werkzeug"]),
    "a framework": (
        "import workos_sso, workos_sso.integrations, workos_sso.testing\n",
        ["starlette", "fastapi", "aiohttp"],
    ),
    "FastAPI from the Starlette integration": (
        "import workos_sso.integrations.starlette\n",
        ["fastapi"],
    ),
}


@pytest.mark.parametrize(("code", "unwanted"), CASES.values(), ids=CASES.keys())
def test_importing_loads_nothing_it_does_not_need(code: str, unwanted: list[str]) -> None:
    script = (
        f"{code}import json, sys\n"
        f"unwanted = {unwanted!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules\n"
        "    if any(m == name or m.startswith(name + '.') for name in unwanted))))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(completed.stdout) == []
