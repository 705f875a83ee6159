"""Polling one task until it ends: the simple way a test waits for a single task (the engine never polls)."""

from __future__ import annotations

import asyncio

from vsphere_nb import wire


async def wait_for_task(client, task: wire.MoRef, *, timeout: float = 60.0, poll: float = 0.05) -> wire.TaskInfo:
    """``GET Task/{id}/info`` every ``poll`` seconds until ``success``/``error`` (or ``timeout``: the last info)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        info = wire.decode_as(await client.get(task, "info"), wire.TaskInfo)
        if info.done or loop.time() > deadline:
            return info
        await asyncio.sleep(poll)
