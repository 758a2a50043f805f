"""Paging through more than a thousand connections, against a real emulator.

Live only: the test creates over a thousand connections, far too many requests to keep as a
cassette. It has a module of its own because the scenario module carries the ``vcr`` mark, and
under that mark a plain ``pytest`` run refuses the requests a live test sends to the emulator.

The connections are made once for the module, and each kind of client (the ``client_kind``
fixture, through ``sso``) walks them: making them twice would spend twice the spare keys'
rate-limit budget for no more coverage.
"""

from __future__ import annotations

import pytest

from tests import admin
from workos_sso import SSOClient

pytestmark = pytest.mark.live

BULK = 1_050


@pytest.fixture(scope="module")
def bulk_organization(emulator_url: str) -> tuple[str, list[str]]:
    """An organization with ``BULK`` connections, and their ids."""
    organization = admin.create_organization(emulator_url, "Bulk Corp")
    created = admin.create_connections(
        emulator_url, organization, BULK, api_keys=admin.emulator.SPARE_API_KEYS
    )
    return organization, created


def test_pagination_over_a_thousand_connections(
    sso: SSOClient, bulk_organization: tuple[str, list[str]]
) -> None:
    organization, created = bulk_organization
    pager = sso.list_connections(organization_id=organization, limit=100)
    seen = [connection.id for connection in pager]
    assert len(seen) == BULK
    assert set(seen) == set(created)
    pages = list(sso.list_connections(organization_id=organization, limit=100).pages())
    assert [len(page.data) for page in pages] == [100] * 10 + [50]
