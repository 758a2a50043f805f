"""Client options that are checked up front, and what the client keeps to itself."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.loopback import LOOPBACK_API_KEY, LoopbackServer, Reply, client_for
from tests.payload_fixtures import connection_fixture
from workos_sso import ConfigurationError, SSOClient

CONNECTION_ID = connection_fixture()["id"]


@pytest.mark.parametrize(
    "timeout",
    [None, 0, -1, math.nan, math.inf, "5", True, (1.0,), (1.0, 2.0, 3.0), (1.0, None), [1, 2]],
)
def test_a_timeout_that_is_not_positive_seconds_is_a_configuration_error(timeout: Any) -> None:
    # None would mean "wait for ever"; the rest used to fail on the first request instead.
    with pytest.raises(ConfigurationError, match="timeout must be a positive number"):
        SSOClient(api_key="sk_test_x", client_id="client_x", timeout=timeout)


def test_a_timeout_pair_reaches_the_server_side_as_the_read_timeout(
    loopback: LoopbackServer,
) -> None:
    from tests.loopback import NeverAnswer
    from workos_sso import RequestTimeoutError

    loopback.script(NeverAnswer())
    with client_for(loopback, timeout=(1, 0.25)) as sso, pytest.raises(RequestTimeoutError):
        sso.get_connection(CONNECTION_ID)
    assert loopback.request_count == 1


def test_base_url_and_client_id_are_read_only() -> None:
    sso = SSOClient(api_key="sk_test_x", client_id="client_x", base_url="https://api.example/")
    assert (sso.base_url, sso.client_id) == ("https://api.example", "client_x")
    # Changing either would make the URLs the client builds disagree with where it sends.
    with pytest.raises(AttributeError):
        sso.base_url = "https://elsewhere.example"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        sso.client_id = "client_other"  # type: ignore[misc]


@pytest.fixture
def netrc_for_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loopback: LoopbackServer
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login intruder password from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert os.environ["NETRC"] == str(netrc)


@pytest.mark.usefixtures("netrc_for_loopback")
@pytest.mark.parametrize("own_session", [True, False])
def test_a_netrc_entry_never_replaces_the_api_key(
    loopback: LoopbackServer, own_session: bool
) -> None:
    loopback.always(Reply.json(200, connection_fixture()))
    session = None if own_session else requests.Session()
    with client_for(loopback, session=session) as sso:
        sso.get_connection(CONNECTION_ID)
    (request,) = loopback.requests
    assert request.headers["authorization"] == f"Bearer {LOOPBACK_API_KEY}"
    if session is not None:
        session.close()


def test_a_session_with_its_own_auth_still_sends_the_api_key(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(200, connection_fixture()))
    session = requests.Session()
    session.auth = ("someone", "else")
    with client_for(loopback, session=session) as sso:
        sso.get_connection(CONNECTION_ID)
    assert loopback.requests[0].headers["authorization"] == f"Bearer {LOOPBACK_API_KEY}"
    session.close()
