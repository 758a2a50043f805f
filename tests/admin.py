"""Set up emulator data the SSO API cannot create: organizations and connections in bulk.

Plain ``requests`` calls (recorded into cassettes like the client's own), so scenario tests can
make their own organization and not depend on what other tests left behind.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import requests

from tests import emulator


def _post(base_url: str, path: str, body: dict[str, Any], api_key: str) -> dict[str, Any]:
    response = requests.post(
        f"{base_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=10,
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def create_organization(base_url: str, name: str) -> str:
    return str(_post(base_url, "/organizations", {"name": name}, emulator.DEFAULT_API_KEY)["id"])


def create_connections(
    base_url: str,
    organization_id: str,
    count: int,
    *,
    connection_type: str = "GenericSAML",
    domains: Sequence[str] = (),
    api_keys: Sequence[str] = (emulator.DEFAULT_API_KEY,),
) -> list[str]:
    """Create ``count`` connections, rotating over ``api_keys`` to stay under the rate limit."""
    session = requests.Session()
    ids = []
    keys = itertools.cycle(api_keys)
    for number in range(count):
        response = session.post(
            f"{base_url}/connections",
            json={
                "name": f"Connection {number:05d}",
                "organization_id": organization_id,
                "connection_type": connection_type,
                "domains": list(domains),
            },
            headers={"Authorization": f"Bearer {next(keys)}"},
            timeout=10,
        )
        response.raise_for_status()
        ids.append(response.json()["id"])
    session.close()
    return ids
