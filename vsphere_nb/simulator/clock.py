"""Simulated time: a scheduler thread with a heap of timed transitions.

Why a thread: the simulator is served two ways — by uvicorn in a background thread, and in-process through
``httpx.ASGITransport(sim.app)`` driven from whatever event loop a test runs. Neither loop can own the clock.
One daemon thread pops due callbacks off a heap and runs them; each callback takes the model lock, mutates
state and bumps versions, and the registry wakes waiting ``WaitForUpdatesEx`` coroutines in their own loops
with ``loop.call_soon_threadsafe``. No polling: the thread sleeps on a condition until the next due time.

Durations are *simulated* seconds; the real delay is ``seconds / time_scale``. Timestamps written into
``TaskInfo`` and events are wall-clock UTC (so a client's "now" and the server's agree), only durations shrink.
The thread starts lazily on the first ``call_later`` and stops with :meth:`Clock.stop`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["Clock", "Timer"]

log = logging.getLogger(__name__)


class Timer:
    """A scheduled callback; ``cancel()`` makes it a no-op."""

    __slots__ = ("args", "cancelled", "due", "fn")

    def __init__(self, due: float, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.due = due
        self.fn = fn
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = float(time_scale)
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False

    # -- time ------------------------------------------------------------------------------------
    @staticmethod
    def now() -> datetime:
        """Wall-clock UTC, used for every timestamp the simulator writes."""
        return datetime.now(UTC)

    def real_delay(self, sim_seconds: float) -> float:
        return max(0.0, float(sim_seconds)) / self.time_scale

    # -- scheduling ------------------------------------------------------------------------------
    def call_later(self, sim_seconds: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Run ``fn(*args)`` on the clock thread after ``sim_seconds`` of simulated time."""
        timer = Timer(time.monotonic() + self.real_delay(sim_seconds), fn, args)
        with self._cond:
            if self._stopped:
                timer.cancelled = True
                return timer
            heapq.heappush(self._heap, (timer.due, next(self._seq), timer))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="vsphere-nb-sim-clock", daemon=True)
                self._thread.start()
            self._cond.notify()
        return timer

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    # -- the thread ------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopped:
                        return
                    if self._heap:
                        due = self._heap[0][0]
                        wait = due - time.monotonic()
                        if wait <= 0:
                            _, _, timer = heapq.heappop(self._heap)
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
            if timer.cancelled:
                continue
            try:
                timer.fn(*timer.args)
            except Exception:
                log.exception("simulator clock callback %r failed", getattr(timer.fn, "__qualname__", timer.fn))
