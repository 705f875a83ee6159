"""The work an engine runs beside its loop — launches, look-ups of a lost task, cancels — tracked in one place:
the first of them to fail makes the loop fail with its error, the end of each wakes the loop, and :meth:`stop`
abandons what is still in flight when the engine ends (the journal shows where each host stands)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

__all__ = ["Background"]


class Background:
    """Coroutines spawned beside a loop that waits on ``wake``."""

    def __init__(self, wake: asyncio.Event) -> None:
        self._wake = wake
        self._running: set[asyncio.Future[Any]] = set()
        #: the first error a spawned coroutine raised (the loop re-raises it)
        self.failure: BaseException | None = None

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        fut = asyncio.ensure_future(coro)
        self._running.add(fut)
        fut.add_done_callback(self._done)

    @property
    def busy(self) -> bool:
        """Whether any spawned coroutine is still running."""
        return bool(self._running)

    def _done(self, fut: asyncio.Future[Any]) -> None:
        self._running.discard(fut)
        if not fut.cancelled() and fut.exception() is not None and self.failure is None:
            self.failure = fut.exception()
            self._wake.set()
        elif not self._running:
            self._wake.set()  # the loop may be waiting for the last one to end

    async def stop(self) -> None:
        """Cancel what still runs and wait for it to end."""
        for fut in list(self._running):
            fut.cancel()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
