"""Live progress of a run: what a progress bar, a notebook panel or a log line shows.

Every surface counts a run's hosts in the same disjoint groups (:meth:`Progress.line`): **finished** (launched
and ended: succeeded or failed), **not launched** (ended without a launch: the run stopped itself or was cancelled
first), **running** and **waiting**. A run that stops early never reads "N/N done".

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
from typing import Any

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
#: states of a host whose task was sent (or is being sent)
_UNDER_WAY = frozenset(HOST_STATES[1:5])


@dataclass(frozen=True)
class Progress:
    """One snapshot. ``hosts`` maps ``(vcenter, host_moid)`` to ``(host name, cluster, state, progress %)``;
    ``clusters`` maps a cluster to its counts (``total, done, finished, failed, not_launched, running``: ``done``
    = ended either way, ``finished`` = launched and ended). ``unlaunched`` counts the hosts that ended without a
    launch (``not_launched``, and ``cancelled`` before their launch); ``None``: ``states["not_launched"]``."""

    run_id: str
    total: int
    states: Mapping[str, int]
    clusters: Mapping[str, Mapping[str, int]]
    hosts: Mapping[tuple[str, str], tuple[str, str, str, int | None]]
    stop_reason: str | None = None
    finished: bool = False
    elapsed_s: float = 0.0
    unlaunched: int | None = None

    @property
    def done(self) -> int:
        """Hosts that ended, launched or not (what a progress bar fills)."""
        return sum(n for s, n in self.states.items() if s in _FINAL)

    @property
    def not_launched(self) -> int:
        """Hosts that ended without a launch."""
        return int(self.states.get("not_launched", 0)) if self.unlaunched is None else self.unlaunched

    @property
    def completed(self) -> int:
        """Hosts launched that ended (succeeded or failed)."""
        return self.done - self.not_launched

    @property
    def succeeded(self) -> int:
        return int(self.states.get("success", 0))

    @property
    def failed(self) -> int:
        """Hosts launched that ended other than ``success``."""
        return self.completed - self.succeeded

    @property
    def running(self) -> int:
        return sum(n for s, n in self.states.items() if s in _UNDER_WAY)

    @property
    def waiting(self) -> int:
        return int(self.states.get("pending", 0))

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else self.done / self.total

    def line(self) -> str:
        """The counts in words: ``9 of 15 finished (8 succeeded, 1 failed), 6 not launched, stopped: …``."""
        head = f"{self.completed} of {self.total} finished"
        if self.completed:
            head += f" ({self.succeeded} succeeded, {self.failed} failed)"
        parts = [head]
        if self.not_launched:
            parts.append(f"{self.not_launched} not launched")
        if self.running:
            parts.append(f"{self.running} running")
        if self.waiting:
            parts.append(f"{self.waiting} waiting")
        if self.stop_reason:
            parts.append(f"stopped: {self.stop_reason}")
        return ", ".join(parts)


ProgressCallback = Callable[[Progress], None]


@dataclass
class ProgressTracker:
    run_id: str
    callback: ProgressCallback | None = None
    min_interval: float = 0.1
    #: (vCenter, host moId) → [name, cluster, state, outcome, launched]
    _hosts: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last_emit: float = 0.0
    _started: float = field(default_factory=time.monotonic)
    stop_reason: str | None = None
    finished: bool = False

    def add(self, hosts: Iterable[tuple[tuple[str, str], str, str]]) -> None:
        with self._lock:
            for key, name, cluster in hosts:
                self._hosts.setdefault(key, [name, cluster or "", "pending", None, False])

    def set(self, key: tuple[str, str], state: str, progress: int | None = None) -> None:
        with self._lock:
            entry = self._hosts.get(key)
            if entry is None:
                return
            entry[2] = state
            if state in _UNDER_WAY or (state in _FINAL and state not in ("not_launched", "cancelled")):
                entry[4] = True  # launched: a later ``cancelled`` is a task cancelled on vCenter
            if progress is not None:
                entry[3] = progress

    def snapshot(self) -> Progress:
        with self._lock:
            states = dict.fromkeys(HOST_STATES, 0)
            clusters: dict[str, dict[str, int]] = {}
            unlaunched = 0
            for _name, cluster, state, _, launched in self._hosts.values():
                states[state] = states.get(state, 0) + 1
                per = clusters.setdefault(
                    cluster,
                    {"total": 0, "done": 0, "finished": 0, "failed": 0, "not_launched": 0, "running": 0},
                )
                per["total"] += 1
                if state in _FINAL:
                    per["done"] += 1
                    if state == "not_launched" or (state == "cancelled" and not launched):
                        per["not_launched"] += 1
                        unlaunched += 1
                    else:
                        per["finished"] += 1
                        if state != "success":
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
                unlaunched,
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
