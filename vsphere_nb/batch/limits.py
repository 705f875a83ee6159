"""How hard a batch may push vCenter: concurrency caps, canaries, failure budget, timeouts.

The defaults are the safe choice for a production vCenter:

* ``max_in_flight=32`` — vCenter runs roughly 640 operations at once and queues the rest; a batch tool that
  takes a twentieth of that leaves room for everybody else.
* ``per_cluster=4`` — every *Reconfigure for vSphere HA* talks to the cluster's FDM master (and may trigger an
  election); a few at a time per cluster keeps the cluster's HA protection up while hosts reconfigure.
* ``canary=0`` — no canary phase unless asked for. With ``canary=K`` the first ``K`` hosts (spread over clusters)
  run alone; the rest only start when all ``K`` succeeded.
* ``max_failures=None`` — no failure budget. ``"N"`` (or ``N``) tolerates ``N`` failures, the ``N+1``-th stops new
  launches; ``"P%"`` tolerates failures up to ``P`` percent of the planned launches (rounded down), i.e. launching
  stops as soon as failures are *more than* ``P%`` of them. Running tasks are always followed to the end.
* ``task_timeout=900`` s — vCenter's own default task timeout (15 minutes).
* ``post_check=True`` / ``post_check_timeout=300`` s — a task can succeed while the HA agent is still unhealthy,
  so ``dasHostState`` is re-read until it is ``master``/``connectedToMaster`` or the timeout passes.
* ``cancel_running_on_cancel=False`` — cancelling a run stops new launches; tasks already running are left to
  finish (cancelling a half-done HA configuration can leave the agent worse off). Set it to also call
  ``CancelTask`` on running tasks (vCenter cancels only those still queued), a launch answered after the
  cancel included.
* ``unreachable_timeout=300`` s — how long the engine keeps retrying a vCenter it cannot reach (connection
  refused, time-outs, 5xx) before it *detaches* the run with that reason: nothing is lost, tasks keep running on
  vCenter, and ``resume`` finishes the run once vCenter answers again. Hosts are never left "in limbo".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from fractions import Fraction
from typing import Any

from ..errors import ConfigError

__all__ = ["BatchLimits", "FailureBudget", "limits_in_words"]

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_COUNT = re.compile(r"^\s*(\d+)\s*$")


@dataclass(frozen=True)
class FailureBudget:
    """``count`` failures, or ``percent`` of the planned launches; exactly one is set."""

    count: int | None = None
    percent: float | None = None

    def __post_init__(self) -> None:
        if (self.count is None) == (self.percent is None):
            raise ConfigError("a failure budget is either a count or a percentage")
        bad_count = isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0
        if self.count is not None and bad_count:
            raise ConfigError(f"max_failures must be >= 0, not {self.count!r}")
        if self.percent is not None and not 0 <= self.percent <= 100:
            raise ConfigError(f"max_failures percentage must be between 0% and 100%, not {self.percent}%")

    @classmethod
    def parse(cls, value: FailureBudget | int | str) -> FailureBudget:
        """``3`` / ``"3"`` → 3 failures tolerated; ``"10%"`` → up to 10 % of planned hosts."""
        if isinstance(value, FailureBudget):
            return value
        if isinstance(value, bool):
            raise ConfigError("max_failures must be a count (N) or a percentage ('P%'), not a boolean")
        if isinstance(value, int):
            if value < 0:
                raise ConfigError(f"max_failures must be >= 0, not {value}")
            return cls(count=value)
        if isinstance(value, str):
            match = _COUNT.match(value)
            if match:
                return cls(count=int(match.group(1)))
            match = _PERCENT.match(value)
            if match:
                percent = float(match.group(1))
                if percent > 100:
                    raise ConfigError(f"max_failures percentage must be between 0% and 100%, not {value.strip()}")
                return cls(percent=percent)
            raise ConfigError(f"max_failures must look like '3' or '10%', not {value!r}")
        raise ConfigError(f"max_failures must be a count (N) or a percentage ('P%'), not {type(value).__name__}")

    def allowed(self, planned: int) -> int:
        """How many failures are tolerated among ``planned`` launches (the next one stops the run)."""
        if self.count is not None:
            return self.count
        fraction = Fraction(str(self.percent)) * planned / 100
        return math.floor(fraction)

    def __str__(self) -> str:
        if self.count is not None:
            return str(self.count)
        percent = self.percent or 0.0
        return f"{int(percent) if percent == int(percent) else percent}%"


@dataclass(frozen=True)
class BatchLimits:
    """Concurrency caps, canary gate, failure budget and timeouts of a batch (see the module doc for defaults)."""

    max_in_flight: int = 32
    per_cluster: int | None = 4
    canary: int = 0
    max_failures: FailureBudget | int | str | None = None
    task_timeout: float = 900.0
    post_check_timeout: float = 300.0
    post_check: bool = True
    cancel_running_on_cancel: bool = False
    unreachable_timeout: float = 300.0

    def __post_init__(self) -> None:
        _positive_int("max_in_flight", self.max_in_flight)
        if self.per_cluster is not None:
            _positive_int("per_cluster", self.per_cluster)
        if isinstance(self.canary, bool) or not isinstance(self.canary, int) or self.canary < 0:
            raise ConfigError(f"canary must be an integer >= 0, not {self.canary!r}")
        if self.max_failures is not None:
            object.__setattr__(self, "max_failures", FailureBudget.parse(self.max_failures))
        for name in ("task_timeout", "post_check_timeout", "unreachable_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value):
                raise ConfigError(f"{name} must be a positive number of seconds, not {value!r}")
            object.__setattr__(self, name, float(value))
        for name in ("post_check", "cancel_running_on_cancel"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false")

    def failure_budget(self, planned: int) -> int | None:
        """Failures tolerated for ``planned`` launches; ``None`` means no budget."""
        return None if self.max_failures is None else self.max_failures.allowed(planned)  # type: ignore[union-attr]

    def on_simulator_clock(self, time_scale: float) -> BatchLimits:
        """The same limits on a simulator whose clock runs ``time_scale`` times faster than the wall clock: the
        task and post-check timeouts shrink by that factor (a 300 s post-check is 15 s at ``time_scale=20``,
        which is 300 simulated seconds); every other limit is unchanged. The app, the runbook and the demo use it
        so that they run the one set of defaults on the built-in simulator."""
        if not time_scale or time_scale <= 0:
            raise ConfigError(f"time_scale must be > 0, not {time_scale!r}")
        return replace(
            self,
            task_timeout=self.task_timeout / time_scale,
            post_check_timeout=self.post_check_timeout / time_scale,
        )

    def in_words(self, planned: int | None = None) -> list[str]:
        """One short sentence per limit (``planned``: hosts to launch, to turn a percentage budget into a
        number) — what the CLI's plan, the panel and the HTML report print."""
        return limits_in_words(self, planned)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``max_failures`` as ``"3"``/``"10%"``), as written to the journal."""
        data = asdict(self)
        data["max_failures"] = None if self.max_failures is None else str(self.max_failures)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchLimits:
        """Inverse of :meth:`to_dict`; unknown keys (from a newer release) are ignored."""
        if not isinstance(data, Mapping):
            raise ConfigError("limits must be a mapping")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, not {value!r}")


def _seconds(value: float) -> str:
    value = float(value)
    if value >= 3600 and value % 3600 == 0:
        return f"{value / 3600:.0f} h"
    if value >= 60 and value % 60 == 0:
        return f"{value / 60:.0f} min"
    if value >= 60:
        return f"{value / 60:.1f} min"
    return f"{value:g} s"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def limits_in_words(limits: BatchLimits, planned: int | None = None) -> list[str]:
    """One short sentence per limit of a :class:`~vsphere_nb.batch.BatchLimits` (``planned``: hosts to launch,
    to turn a percentage budget into a number)."""
    per_cluster = "no per-cluster cap" if limits.per_cluster is None else f"at most {limits.per_cluster} per cluster"
    lines = [f"at most {_plural(limits.max_in_flight, 'task')} at once, {per_cluster}"]
    if limits.canary == 1:
        lines.append("canary: the first host runs alone; the rest start only if it succeeds")
    elif limits.canary:
        lines.append(f"canary: the first {limits.canary} hosts run alone; the rest start only if all of them succeed")
    else:
        lines.append("no canary phase")
    budget = None if limits.max_failures is None else FailureBudget.parse(limits.max_failures)
    if budget is None:
        lines.append("no failure budget: failures do not stop the run")
    elif budget.count is not None:
        lines.append(f"stop launching after {_plural(budget.count + 1, 'failure')} ({budget.count} tolerated)")
    else:
        of = f" of the {planned} hosts" if planned is not None else " of the hosts"
        allowed = budget.allowed(planned) if planned is not None else None
        tolerated = f" ({_plural(allowed, 'failure')} tolerated)" if allowed is not None else ""
        lines.append(f"stop launching when failures exceed {budget}{of}{tolerated}")
    lines.append(f"a task that runs longer than {_seconds(limits.task_timeout)} counts as timed out")
    if limits.post_check:
        lines.append(f"after success, wait up to {_seconds(limits.post_check_timeout)} for a healthy HA agent")
    else:
        lines.append("no post-check of the HA agent after success")
    if limits.cancel_running_on_cancel:
        lines.append("cancelling also cancels the tasks already running")
    else:
        lines.append("cancelling stops new launches; running tasks finish")
    return lines
