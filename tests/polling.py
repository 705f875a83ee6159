"""How a test waits: for a condition on the server or a run (:func:`wait_until`), for one task to end
(:func:`wait_for_task`, the simple way; the engine never polls)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from vsphere_nb import wire


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    """Block until ``predicate()`` is true, checking every 10 ms; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


async def wait_for_task(client, task: wire.MoRef, *, timeout: float = 60.0, poll: float = 0.05) -> wire.TaskInfo:
    """``GET Task/{id}/info`` every ``poll`` seconds until ``success``/``error`` (or ``timeout``: the last info)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        info = wire.decode_as(await client.get(task, "info"), wire.TaskInfo)
        if info.done or loop.time() > deadline:
            return info
        await asyncio.sleep(poll)
