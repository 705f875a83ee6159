"""What the vCenter engines of one run share: the journal, the records, progress, and the user's requests.

Three requests can reach a running run from another thread (a notebook button, a signal handler, a kernel
shutdown), each a different promise:

* **cancel** — a decision: no new launches; the hosts not launched end ``cancelled`` and ``resume`` will not
  launch them; running tasks are followed to the end (or ``CancelTask``-ed when asked).
* **hold** — an interruption (the first Ctrl-C): no new launches, running tasks are followed to the end, then
  the run *detaches* with the hosts not launched still planned: ``resume`` launches them.
* **detach** — at once (the second Ctrl-C, a closing client): launches in flight are abandoned where they are
  (the journal shows them ``launching``; ``resume`` looks them up), running tasks are left to vCenter.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .journal import Journal
from .limits import BatchLimits
from .progress import ProgressTracker
from .records import RunRecords

__all__ = ["RunContext"]

logger = logging.getLogger("vsphere_nb.batch")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunContext:
    """Shared state of one run (see the module doc). Thread-safe."""

    run_id: str
    journal: Journal
    records: RunRecords
    limits: BatchLimits
    progress: ProgressTracker
    started_at: datetime = field(default_factory=_now)
    warnings: list[str] = field(default_factory=list)
    cancel_running: bool | None = None
    hold_reason: str | None = None
    detach_reason: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cancel: threading.Event = field(default_factory=threading.Event)
    _wakers: list[Callable[[], None]] = field(default_factory=list)

    def write(self, kind: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Journal one record (durable), then apply it to the in-memory records."""
        with self._lock:
            entry: dict[str, Any] = getattr(self.journal, kind)(*args, **kwargs)
            self.records.apply(entry)
            return entry

    def warn(self, text: str) -> None:
        logger.warning(text)
        with self._lock:
            if text not in self.warnings:
                self.warnings.append(text)

    # -- requests from other threads ----------------------------------------------------------------
    def request_cancel(self, cancel_running: bool | None = None) -> None:
        self.cancel_running = cancel_running
        self._cancel.set()
        self._wake_all()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def request_hold(self, reason: str) -> None:
        """No new launches; detach once the running tasks have ended."""
        if self.hold_reason is None:
            self.hold_reason = reason
        self._wake_all()

    def request_detach(self, reason: str) -> None:
        """Detach at once."""
        if self.detach_reason is None:
            self.detach_reason = reason
        self._wake_all()

    def register_waker(self, loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
        def wake() -> None:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # loop closed
                pass

        self._wakers.append(wake)

    def _wake_all(self) -> None:
        for waker in list(self._wakers):
            waker()
