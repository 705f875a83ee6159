"""The engine's detach rule (vCenter unreachable for too long, a closed client) and its background work, alone."""

from __future__ import annotations

import asyncio

import pytest

from vsphere_nb.batch.background import Background
from vsphere_nb.batch.detach import CLIENT_CLOSED, Detach, Reachability


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_unreachable_detaches_only_after_the_timeout_and_an_answer_resets_the_clock():
    clock = Clock()
    rule = Reachability("vc1.test", 10.0, lambda: False, clock)
    rule.unreachable(OSError("reset"))  # starts the clock at 0
    clock.now = 10.0
    rule.unreachable(OSError("reset"))  # 10 s: not longer than the timeout
    rule.reachable()
    clock.now = 25.0
    rule.unreachable(OSError("reset"))  # starts again at 25
    clock.now = 35.5
    with pytest.raises(Detach) as caught:
        rule.unreachable(OSError("reset"))
    assert caught.value.reason == "vCenter vc1.test unreachable for more than 10 s (reset)"


def test_a_closed_client_detaches_at_once():
    rule = Reachability("vc1.test", 600.0, lambda: True, Clock())
    with pytest.raises(Detach) as caught:
        rule.unreachable(OSError("closed"))
    assert caught.value.reason == CLIENT_CLOSED


def test_background_keeps_the_first_failure_wakes_the_loop_and_stop_cancels_the_rest():
    async def scenario() -> tuple[BaseException | None, bool, bool, bool]:
        wake = asyncio.Event()
        work = Background(wake)
        forever = asyncio.Event()
        cancelled = []

        async def waits() -> None:
            try:
                await forever.wait()
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        async def fails(message: str) -> None:
            raise RuntimeError(message)

        work.spawn(waits())
        work.spawn(fails("first"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        woken = wake.is_set()
        work.spawn(fails("second"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        busy = work.busy
        await work.stop()
        return work.failure, woken, busy and not work.busy, bool(cancelled)

    failure, woken, was_busy_then_idle, cancelled = asyncio.run(scenario())
    assert isinstance(failure, RuntimeError) and str(failure) == "first"
    assert woken and was_busy_then_idle and cancelled
