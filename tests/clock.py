"""A fake clock for the protocol's pauses, so the offline suite never sleeps through a retry.

The protocol core decides every wait between attempts and yields it as a ``Pause``; a transport
only waits it out (``_transport._sleep``, ``_async_transport._sleep``). The autouse
``pause_clock`` fixture (conftest) puts a :class:`FakeClock` in their place for every offline
test: a pause then moves the fake clock forward and is recorded, in order, and the next attempt
goes out at once. A test asserts on ``pause_clock.pauses`` (what the client waited) instead of
on the gaps between requests at the server.

Tests marked ``sleeps`` keep the real clocks: the few that prove a real pause really waits.
Tests against a real emulator (``live``, or a run with ``--disable-recording``) keep them too:
an emulator's ``Retry-After`` must be waited out, not skipped.
"""

from __future__ import annotations

import asyncio

import pytest

from workos_sso import _transport

__all__ = ["FakeClock"]


class FakeClock:
    """Takes the pauses the clients are asked for, without waiting."""

    def __init__(self) -> None:
        #: Every pause taken, in seconds, in the order taken (both kinds of client).
        self.pauses: list[float] = []
        #: Seconds the fake clock has moved: the sum of the pauses.
        self.now = 0.0
        self.installed = False

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"a pause of {seconds} s"
        self.pauses.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)  # still a suspension point, as a real pause is

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Take the pauses of both transports (undone by ``monkeypatch`` after the test)."""
        monkeypatch.setattr(_transport, "_sleep", self.sleep)
        try:
            from workos_sso import _async_transport
        except ImportError:  # without the async extra there is no async client to pause
            pass
        else:
            monkeypatch.setattr(_async_transport, "_sleep", self.async_sleep)
        self.installed = True
