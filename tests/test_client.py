"""Tests for the clients as objects: ``with_options``, one call with other timeouts or retries,
sharing the pool and credentials of the original; for both clients (``client_kind``).
"""

from __future__ import annotations

import time

import pytest

from tests.loopback import (
    LOOPBACK_API_KEY,
    LoopbackServer,
    NeverAnswer,
    Reply,
    client_for,
)
from tests.payload_fixtures import connection_fixture
from workos_sso import ConfigurationError, RequestTimeoutError

pytestmark = pytest.mark.usefixtures("client_kind")

# --- Per-call options -----------------------------------------------------------------------


def test_with_options_changes_only_the_copy(loopback: LoopbackServer) -> None:
    loopback.script(NeverAnswer(1.0), Reply.json(200, connection_fixture()))
    with client_for(loopback, timeout=5.0) as sso:
        hasty = sso.with_options(timeout=0.2, max_retries=0)
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            hasty.get_connection("conn_1")
        assert time.monotonic() - started < 0.9
        # The original keeps its own five seconds, and outlasts the same silence.
        assert sso.get_connection("conn_1").id == connection_fixture()["id"]
    assert loopback.request_count == 2


def test_with_options_shares_the_pool_and_credentials(loopback: LoopbackServer) -> None:
    loopback.always(Reply.json(200, connection_fixture()))
    with client_for(loopback) as sso:
        sso.get_connection("conn_1")
        derived = sso.with_options(max_retry_wait=1.0)
        derived.get_connection("conn_1")
        derived.close()  # the pool is the original's: this closes nothing
        sso.get_connection("conn_1")
        assert (derived.base_url, derived.client_id) == (sso.base_url, sso.client_id)
    first, second, third = loopback.requests
    assert first.connection == second.connection == third.connection
    assert {request.headers["authorization"] for request in loopback.requests} == {
        f"Bearer {LOOPBACK_API_KEY}"
    }


def test_with_options_checks_what_it_is_given(loopback: LoopbackServer) -> None:
    with client_for(loopback) as sso:
        for bad in ({"timeout": 0}, {"max_retries": -1}, {"max_retry_wait": float("nan")}):
            with pytest.raises(ConfigurationError):
                sso.with_options(**bad)


def test_with_options_retries_as_told(loopback: LoopbackServer) -> None:
    busy = Reply.json(503, {"message": "busy"})
    loopback.script(busy, busy, Reply.json(200, connection_fixture()))
    with client_for(loopback, max_retries=0, max_retry_wait=0.01) as sso:
        patient = sso.with_options(max_retries=2)
        assert patient.get_connection("conn_1").id == connection_fixture()["id"]
    assert loopback.request_count == 3
