"""Which planned hosts may be launched *now*: a synchronous state machine, no clock, no network, no threads.

The live engine drives it with three events and one question::

    sched = Scheduler(plan, limits)
    while not sched.done:
        for host in sched.launchable():      # the question: never exceeds any cap if all are launched
            sched.launched(host)             # the launch request is going out: the host holds a slot
            start(host)                      # … and later, when the outcome is final (incl. post-check):
        event = await next_outcome()
        sched.finished(event.host, event.outcome)
    for host in sched.not_launched():        # the run stopped: journal these as ``not_launched``
        ...

and ``sched.cancel()`` when the user cancels. The rules:

* **Global cap** — at most ``limits.max_in_flight`` hosts between ``launched`` and ``finished``.
* **Per-cluster cap** — at most ``limits.per_cluster`` of them in one cluster (``(vcenter, cluster_moid)``).
* **Canary gate** — the first ``K`` planned hosts (``PlannedHost.canary``) run alone; the rest wait until all ``K``
  have finished, and start only if every canary ended ``success``. A canary ending otherwise stops the run at once
  (``stop_reason == "canary_failed"``).
* **Failure budget** — outcomes in :data:`~vsphere_nb.batch.records.FAILURE_OUTCOMES` count; when the count goes
  *above* ``limits.failure_budget(len(plan))`` no new launch is allowed (``"failure_budget_exceeded"``).
* **Cancel** — no new launches (``"cancelled"``); :meth:`cancel` returns the running hosts to cancel on the server
  when ``limits.cancel_running_on_cancel`` is set (an empty list otherwise).

After a stop, hosts already running are still followed to the end: :meth:`finished` keeps working and
:attr:`done` waits for them. A host holds its slot until its outcome is final, post-check included, because the
cluster's HA agents are still settling until then.

Among hosts that may start, :meth:`launchable` follows plan order (a k-way merge over per-cluster queues, so a
query costs ``O(k log C)`` for ``k`` results and ``C`` clusters, not ``O(hosts)``).

Resume seam: :meth:`adopt` marks a host as running without checking caps (its task already exists on the
server, found in the journal); follow it with :meth:`finished` when its outcome is known.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import ConfigError
from .limits import BatchLimits
from .plan import ClusterKey, HostKey, Plan, PlannedHost
from .records import FAILURE_OUTCOMES, FINAL_TASK_OUTCOMES, OUTCOMES

__all__ = ["Scheduler", "STOP_CANCELLED", "STOP_CANARY_FAILED", "STOP_BUDGET_EXCEEDED", "STOP_REASON_TEXT"]

STOP_CANCELLED = "cancelled"
STOP_CANARY_FAILED = "canary_failed"
STOP_BUDGET_EXCEEDED = "failure_budget_exceeded"
#: the ``skip_reason`` written for hosts left ``not_launched`` by each stop reason
STOP_REASON_TEXT = {
    STOP_CANCELLED: "run cancelled before this host was launched",
    STOP_CANARY_FAILED: "a canary host did not succeed",
    STOP_BUDGET_EXCEEDED: "failure budget exceeded",
}

_PENDING, _RUNNING, _DONE = 0, 1, 2

HostRef = PlannedHost | HostKey


@dataclass
class _Lane:
    """One cluster: its pending hosts (plan indices, in order) and how many of its hosts are running."""

    pending: deque[int] = field(default_factory=deque)
    running: int = 0


class Scheduler:
    """Caps, canary gate, failure budget and cancel over a :class:`Plan` (see the module doc)."""

    def __init__(self, plan: Plan | Sequence[PlannedHost], limits: BatchLimits | None = None) -> None:
        self.limits = limits or BatchLimits()
        self._hosts: tuple[PlannedHost, ...] = tuple(plan.launch if isinstance(plan, Plan) else plan)
        n = len(self._hosts)
        self._index: dict[HostKey, int] = {}
        for i, host in enumerate(self._hosts):
            if host.key in self._index:
                raise ConfigError(f"host {host.host} ({host.host_moid}) is planned twice")
            self._index[host.key] = i
        self._n_canary = sum(1 for h in self._hosts if h.canary)
        if not all(h.canary for h in self._hosts[: self._n_canary]):
            raise ConfigError("canary hosts must come first in the plan")
        self._status = bytearray(n)
        self._outcomes: list[str | None] = [None] * n
        self._lanes: dict[ClusterKey, _Lane] = {}
        for i, host in enumerate(self._hosts):
            self._lanes.setdefault(host.cluster_key, _Lane()).pending.append(i)
        #: (plan index of a lane's head, lane key); may hold stale entries, dropped lazily
        self._heap: list[tuple[int, ClusterKey]] = [(lane.pending[0], ck) for ck, lane in self._lanes.items()]
        heapq.heapify(self._heap)
        self._running: dict[int, None] = {}  # insertion-ordered set
        self._pending = n
        self._canaries_finished = 0
        self._failures = 0
        self._budget = self.limits.failure_budget(n)
        self._stop_reason: str | None = None
        self._counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)

    # -- state -----------------------------------------------------------------------------------
    @property
    def hosts(self) -> tuple[PlannedHost, ...]:
        return self._hosts

    @property
    def stop_reason(self) -> str | None:
        """``None`` while launching may continue, else ``cancelled``, ``canary_failed`` or
        ``failure_budget_exceeded``."""
        return self._stop_reason

    @property
    def stopped(self) -> bool:
        return self._stop_reason is not None

    @property
    def canary_phase(self) -> bool:
        """True while canaries have not all finished (only canaries may start)."""
        return self._canaries_finished < self._n_canary

    @property
    def failures(self) -> int:
        return self._failures

    @property
    def failure_budget(self) -> int | None:
        return self._budget

    @property
    def running(self) -> list[PlannedHost]:
        """Hosts launched and not finished, in launch order."""
        return [self._hosts[i] for i in self._running]

    @property
    def running_count(self) -> int:
        return len(self._running)

    @property
    def pending_count(self) -> int:
        """Hosts not launched yet (whether or not they ever will be)."""
        return self._pending

    @property
    def done(self) -> bool:
        """Nothing running, and nothing left that may still be launched."""
        return not self._running and (self._pending == 0 or self.stopped)

    def running_in(self, cluster: ClusterKey) -> int:
        lane = self._lanes.get(cluster)
        return lane.running if lane else 0

    def outcome(self, host: HostRef) -> str | None:
        return self._outcomes[self._idx(host)]

    def counts(self) -> dict[str, int]:
        """Hosts per final outcome; hosts that will never launch (run stopped) count as ``not_launched``."""
        counts = dict(self._counts)
        if self.stopped:
            counts["not_launched"] += self._pending
        return counts

    def not_launched(self) -> list[PlannedHost]:
        """Once stopped: the planned hosts that will never be launched, in plan order. Empty otherwise."""
        if not self.stopped:
            return []
        return [h for i, h in enumerate(self._hosts) if self._status[i] == _PENDING]

    # -- the question ----------------------------------------------------------------------------
    def launchable(self) -> list[PlannedHost]:
        """Hosts that may be launched now, in plan order; launching all of them keeps every cap and gate."""
        if self._stop_reason is not None:
            return []
        slots = self.limits.max_in_flight - len(self._running)
        if slots <= 0 or not self._heap:
            return []
        limit = self._n_canary if self.canary_phase else len(self._hosts)
        per = self.limits.per_cluster if self.limits.per_cluster is not None else len(self._hosts) + 1
        out: list[PlannedHost] = []
        popped: list[tuple[int, ClusterKey]] = []
        local: list[tuple[int, ClusterKey]] = []  # later hosts of lanes already picked from, this query only
        taken: dict[ClusterKey, int] = {}
        heap = self._heap
        while len(out) < slots:
            if local and (not heap or local[0] < heap[0]):
                idx, ck = heapq.heappop(local)
            elif heap:
                idx, ck = heapq.heappop(heap)
                popped.append((idx, ck))
            else:
                break
            if idx >= limit:
                break
            lane = self._lanes[ck]
            t = taken.get(ck, 0)
            if t >= len(lane.pending) or lane.pending[t] != idx:
                continue  # stale entry
            if lane.running + t >= per:
                continue  # lane full
            out.append(self._hosts[idx])
            taken[ck] = t + 1
            if t + 1 < len(lane.pending) and lane.running + t + 1 < per:
                heapq.heappush(local, (lane.pending[t + 1], ck))
        # put back the lane heads we popped (at most once each), drop stale entries
        restored: set[ClusterKey] = set()
        for idx, ck in popped:
            lane = self._lanes[ck]
            if ck not in restored and lane.pending and lane.pending[0] == idx:
                heapq.heappush(heap, (idx, ck))
                restored.add(ck)
        if len(heap) > 4 * len(self._lanes) + 64:
            self._rebuild_heap()
        return out

    # -- events ----------------------------------------------------------------------------------
    def launched(self, host: HostRef) -> None:
        """The launch of ``host`` is under way: it holds a slot until :meth:`finished`.

        Raises ``RuntimeError`` if launching it now would break a cap, the canary gate or a stop — the engine
        must only launch what :meth:`launchable` offered.
        """
        i = self._idx(host)
        if self._status[i] != _PENDING:
            raise RuntimeError(f"{self._hosts[i].host} was already launched")
        if self._stop_reason is not None:
            raise RuntimeError(f"the run is stopped ({self._stop_reason}); no new launches")
        if len(self._running) >= self.limits.max_in_flight:
            raise RuntimeError("global cap reached (max_in_flight)")
        lane = self._lanes[self._hosts[i].cluster_key]
        if self.limits.per_cluster is not None and lane.running >= self.limits.per_cluster:
            raise RuntimeError(f"cluster cap reached for {self._hosts[i].cluster} (per_cluster)")
        if self.canary_phase and i >= self._n_canary:
            raise RuntimeError("canary phase: only canary hosts may be launched until all canaries finished")
        self._start(i)

    def adopt(self, host: HostRef) -> None:
        """Resume seam: count ``host`` as running (its task already exists), without checking caps or gates."""
        i = self._idx(host)
        if self._status[i] != _PENDING:
            raise RuntimeError(f"{self._hosts[i].host} was already launched")
        self._start(i)

    def finished(self, host: HostRef, outcome: str) -> None:
        """``host`` reached its final ``outcome`` (one of :data:`FINAL_TASK_OUTCOMES`); frees its slot."""
        i = self._idx(host)
        if outcome not in FINAL_TASK_OUTCOMES:
            raise ValueError(f"{outcome!r} is not a final task outcome ({', '.join(sorted(FINAL_TASK_OUTCOMES))})")
        if self._status[i] != _RUNNING:
            raise RuntimeError(f"{self._hosts[i].host} is not running")
        self._status[i] = _DONE
        del self._running[i]
        self._lanes[self._hosts[i].cluster_key].running -= 1
        self._outcomes[i] = outcome
        self._counts[outcome] += 1
        if outcome in FAILURE_OUTCOMES:
            self._failures += 1
        if i < self._n_canary:
            self._canaries_finished += 1
            if outcome != "success":
                self._stop(STOP_CANARY_FAILED)
        if self._budget is not None and self._failures > self._budget:
            self._stop(STOP_BUDGET_EXCEEDED)

    def cancel(self) -> list[PlannedHost]:
        """Stop launching. Returns the running hosts to cancel on the server if ``cancel_running_on_cancel``."""
        self._stop(STOP_CANCELLED)
        return self.running if self.limits.cancel_running_on_cancel else []

    # -- internals -------------------------------------------------------------------------------
    def _idx(self, host: HostRef | Iterable[str]) -> int:
        key = host.key if isinstance(host, PlannedHost) else tuple(host)
        try:
            return self._index[key]  # type: ignore[index]
        except KeyError:
            raise KeyError(f"host {key!r} is not in the plan") from None

    def _start(self, i: int) -> None:
        ck = self._hosts[i].cluster_key
        lane = self._lanes[ck]
        if lane.pending and lane.pending[0] == i:
            lane.pending.popleft()
            if lane.pending:
                heapq.heappush(self._heap, (lane.pending[0], ck))
        else:
            lane.pending.remove(i)
        lane.running += 1
        self._running[i] = None
        self._status[i] = _RUNNING
        self._pending -= 1

    def _stop(self, reason: str) -> None:
        if self._stop_reason is None:
            self._stop_reason = reason

    def _rebuild_heap(self) -> None:
        self._heap = [(lane.pending[0], ck) for ck, lane in self._lanes.items() if lane.pending]
        heapq.heapify(self._heap)
