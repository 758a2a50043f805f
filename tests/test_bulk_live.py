"""Paging through more than a thousand connections, against a real emulator.

Live only: the test creates over a thousand connections, far too many requests to keep as a
cassette. It has a module of its own because the scenario module carries the ``vcr`` mark, and
under that mark a plain ``pytest`` run refuses the requests a live test sends to the emulator.
"""

from __future__ import annotations

import pytest

from tests import admin
from workos_sso import SSOClient

pytestmark = pytest.mark.live


def test_pagination_over_a_thousand_connections(sso: SSOClient, base_url: str) -> None:
    organization = admin.create_organization(base_url, "Bulk Corp")
    created = admin.create_connections(
        base_url, organization, 1_050, api_keys=admin.emulator.SPARE_API_KEYS
    )
    pager = sso.list_connections(organization_id=organization, limit=100)
    seen = [connection.id for connection in pager]
    assert len(seen) == 1_050
    assert set(seen) == set(created)
