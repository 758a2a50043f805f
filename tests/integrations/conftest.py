"""The ``framework`` fixture: a test that asks for it runs once per framework integration.

As ``client_kind`` does for the two clients (``tests/clients.py``), ``framework`` runs a test
body against Flask, Django and Starlette. ``sites`` makes that framework's test app
(``tests/integrations/harness.py``) from neutral settings, against the ``loopback`` WorkOS.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integrations.harness import FRAMEWORKS, Sites
from tests.loopback import LoopbackServer

#: What Flask and Starlette read from the environment when a setting is not given: a developer's
#: exported quickstart variables must not change what a test app does.
_ENVIRONMENT = (
    "WORKOS_API_KEY",
    "WORKOS_CLIENT_ID",
    "WORKOS_BASE_URL",
    "WORKOS_REDIRECT_URI",
    "WORKOS_ORGANIZATION_ID",
)


@pytest.fixture(params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    """``"flask"``, ``"django"`` or ``"starlette"``: the test runs once with each."""
    name: str = request.param
    pytest.importorskip({"flask": "flask", "django": "django", "starlette": "starlette"}[name])
    return name


@pytest.fixture
def sites(
    framework: str, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sites]:
    """``sites(**settings)`` makes a test app of the framework (closed after the test)."""
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    made = Sites(framework=framework, workos_url=loopback.url)
    try:
        yield made
    finally:
        made.close()
