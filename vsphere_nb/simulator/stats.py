"""Counters behind ``GET /simulator/stats`` (benchmarks and tests read them).

Keys, as the issue specifies: ``requests`` (``{"Type.Method": n}``; property reads count as
``Type.property``), ``launches_per_host`` (``{host moId: n}``), ``max_concurrent_tasks``,
``max_concurrent_tasks_per_cluster`` (``{cluster moId: n}``), ``sessions`` (active now), and ``chaos``
(``http_503``, ``dropped_connections``, ``restarts``, ``session_expiries``). ``reset()`` zeroes them; the
concurrency maxima restart from the tasks running at that moment (zero when idle).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

__all__ = ["Stats"]

CHAOS_KEYS = ("http_503", "dropped_connections", "restarts", "session_expiries")


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.launches: Counter[str] = Counter()
        self.max_tasks = 0
        self.max_tasks_per_group: dict[str, int] = {}
        self.chaos: Counter[str] = Counter()
        self._current_tasks = 0
        self._current_groups: dict[str, int] = {}

    def request(self, key: str) -> None:
        with self._lock:
            self.requests[key] += 1

    def launched(self, host_moid: str) -> None:
        with self._lock:
            self.launches[host_moid] += 1

    def concurrency(self, running: int, per_group: dict[str, int]) -> None:
        with self._lock:
            self._current_tasks = running
            self._current_groups = dict(per_group)
            self.max_tasks = max(self.max_tasks, running)
            for group, n in per_group.items():
                if n > self.max_tasks_per_group.get(group, 0):
                    self.max_tasks_per_group[group] = n

    def chaos_event(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.chaos[key] += n

    def snapshot(self, sessions: Callable[[], int]) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(sorted(self.requests.items())),
                "launches_per_host": dict(sorted(self.launches.items())),
                "max_concurrent_tasks": self.max_tasks,
                "max_concurrent_tasks_per_cluster": dict(sorted(self.max_tasks_per_group.items())),
                "sessions": sessions(),
                "chaos": {k: self.chaos.get(k, 0) for k in CHAOS_KEYS},
            }

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.launches.clear()
            self.chaos.clear()
            self.max_tasks = self._current_tasks
            self.max_tasks_per_group = {g: n for g, n in self._current_groups.items() if n}
