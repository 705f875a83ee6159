"""Live progress of a run: what a progress bar, a notebook panel or a log line shows.

The engine keeps one :class:`ProgressTracker` per run (shared by the vCenters of the run, thread-safe) and hands
immutable :class:`Progress` snapshots to the user's callback. Callbacks run on the engine's loop thread: keep them
short (the widgets throttle and hand the work to the kernel's own thread).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["HOST_STATES", "Progress", "ProgressTracker", "ProgressCallback"]

#: the live state of a host in a run, in the order a panel lists them
HOST_STATES: tuple[str, ...] = (
    "pending",
    "launching",
    "queued",
    "running",
    "post_check",
    "success",
    "agent_unhealthy",
    "fault",
    "launch_failed",
    "timed_out",
    "cancelled",
    "not_launched",
    "lost",
)
_FINAL = frozenset(HOST_STATES[5:])


@dataclass(frozen=True)
class Progress:
    """One snapshot. ``hosts`` maps ``(vcenter, host_moid)`` to ``(host name, cluster, state, progress %)``."""

    run_id: str
    total: int
    states: Mapping[str, int]
    clusters: Mapping[str, Mapping[str, int]]
    hosts: Mapping[tuple[str, str], tuple[str, str, str, int | None]]
    stop_reason: str | None = None
    finished: bool = False
    elapsed_s: float = 0.0

    @property
    def done(self) -> int:
        return sum(n for s, n in self.states.items() if s in _FINAL)

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else self.done / self.total

    def line(self) -> str:
        parts = [f"{self.done}/{self.total} done"]
        parts += [f"{s} {n}" for s, n in self.states.items() if n and s != "pending"]
        if self.stop_reason:
            parts.append(f"stopped: {self.stop_reason}")
        return ", ".join(parts)


ProgressCallback = Callable[[Progress], None]


@dataclass
class ProgressTracker:
    run_id: str
    callback: ProgressCallback | None = None
    min_interval: float = 0.1
    _hosts: dict[tuple[str, str], list] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last_emit: float = 0.0
    _started: float = field(default_factory=time.monotonic)
    stop_reason: str | None = None
    finished: bool = False

    def add(self, hosts: Iterable[tuple[tuple[str, str], str, str]]) -> None:
        with self._lock:
            for key, name, cluster in hosts:
                self._hosts.setdefault(key, [name, cluster or "", "pending", None])

    def set(self, key: tuple[str, str], state: str, progress: int | None = None) -> None:
        with self._lock:
            entry = self._hosts.get(key)
            if entry is None:
                return
            entry[2] = state
            if progress is not None:
                entry[3] = progress

    def snapshot(self) -> Progress:
        with self._lock:
            states = dict.fromkeys(HOST_STATES, 0)
            clusters: dict[str, dict[str, int]] = {}
            for _name, cluster, state, _ in self._hosts.values():
                states[state] = states.get(state, 0) + 1
                per = clusters.setdefault(cluster, {"total": 0, "done": 0, "running": 0, "failed": 0})
                per["total"] += 1
                if state in _FINAL:
                    per["done"] += 1
                    if state not in ("success", "not_launched"):
                        per["failed"] += 1
                elif state != "pending":
                    per["running"] += 1
            hosts = {k: (v[0], v[1], v[2], v[3]) for k, v in self._hosts.items()}
            return Progress(
                self.run_id,
                len(self._hosts),
                states,
                clusters,
                hosts,
                self.stop_reason,
                self.finished,
                time.monotonic() - self._started,
            )

    def emit(self, force: bool = False) -> None:
        """Call the callback with a snapshot, at most every ``min_interval`` seconds unless ``force``."""
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self._last_emit < self.min_interval:
            return
        self._last_emit = now
        try:
            self.callback(self.snapshot())
        except Exception:
            logging.getLogger("vsphere_nb.batch").exception("progress callback failed")
