"""The attempt book: where every launched host of one vCenter stands, and what each fact from vCenter means.

Pure and synchronous — no clock, no network, no journal. The engine feeds it facts and applies the *effects* it
returns, in order::

    book = AttemptBook(limits)
    effects = book.track(host, "task-7", now=t, sent_at=sent, answered_at=answered)   # a launch answered
    effects += book.task_fields("task-7", {"state": "running", ...}, now=t)           # the watch saw a change
    effects += book.das("host-42", "connectedToMaster", now=t)                       # the HA agent's state
    effects += book.tick(now=t)                                                       # deadlines
    for effect in effects:  # Write → journal, Release → scheduler, Progress → progress, LookUp → launcher
        ...

Facts are plain wire JSON: ``task_fields`` takes ``TaskInfo`` fields as vCenter wrote them (``state``, ``error``,
``queueTime`` …, not boxed), and the ``finished`` record journals exactly the fields vCenter sent — nothing the
client filled in.

**A task is matched by identity, never by id alone.** vCenter reuses task ids after a restart, so a fact about
``task-7`` belongs to an attempt only when the task's ``entity`` is the attempt's host and its ``queueTime`` is
not before the launch was sent (minus clock skew) nor after its answer arrived (plus skew). The first matching
``queueTime`` pins the identity; a later fact with another ``entity`` or ``queueTime`` under the same id is
another task, and the attempt's own task is looked up again (:class:`LookUp`): the engine searches the host's
``recentTask`` and ``TaskEvent`` s and answers with :meth:`AttemptBook.found` — the task it found, or ``None``,
which ends the attempt as ``lost``. Facts about tasks not (yet) claimed by an attempt are kept per id: a
launch's first updates can beat its answer.

**Deadlines.** A task not ended within ``limits.task_timeout`` of tracking is ``timed_out`` (left to vCenter). A
succeeded task holds its host's slot until ``runtime.dasHostState`` is healthy, or ``post_check_timeout`` passes
(``agent_unhealthy``). Each attempt is released exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..vocabulary import HEALTHY_DAS_STATES
from ..wire.plain import task_entity, task_queue_time, task_state
from .limits import BatchLimits
from .plan import HostKey, PlannedHost
from .records import outcome_from_task_info

__all__ = [
    "AttemptBook",
    "Attempt",
    "Effect",
    "Write",
    "Release",
    "Progress",
    "LookUp",
    "IDENTITY_SKEW",
]

#: tolerated difference between the client's and vCenter's clocks when matching a task to its launch
IDENTITY_SKEW = timedelta(seconds=120)


# ---------------------------------------------------------------------------------------------
# effects
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Write:
    """Journal ``kind`` for ``host`` with ``fields`` (keyword arguments of the journal method)."""

    kind: str
    host: PlannedHost
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Release:
    """``host``'s attempt ended with ``outcome``: free its slot (scheduler) — exactly once per attempt."""

    host: PlannedHost
    outcome: str


@dataclass(frozen=True)
class Progress:
    """``host`` is now in live ``state`` (``queued``/``running``/``post_check``), ``percent`` if known."""

    host: PlannedHost
    state: str
    percent: int | None = None


@dataclass(frozen=True)
class LookUp:
    """Find ``host``'s task of this attempt again (``recentTask``, then ``TaskEvent`` s) — launched at ``since``;
    never one of ``gone`` (``(task id, queueTime)`` known to be another task or vanished). Answer with
    :meth:`AttemptBook.found`."""

    host: PlannedHost
    since: datetime | None
    gone: frozenset[tuple[str, datetime | None]]


Effect = Write | Release | Progress | LookUp


# ---------------------------------------------------------------------------------------------
# the book
# ---------------------------------------------------------------------------------------------
@dataclass
class Attempt:
    """One launched host still holding its slot."""

    host: PlannedHost
    #: monotonic time tracking began (``task_timeout`` counts from here)
    started: float
    #: when the launch was sent / answered (UTC, client clock); ``None`` when unknown (adopted on resume)
    sent_at: datetime | None = None
    answered_at: datetime | None = None
    task: str | None = None
    #: ``(entity moId, queueTime)`` pinned at the first fact that matched
    identity: tuple[str | None, datetime | None] | None = None
    #: the TaskInfo fields vCenter sent for the current task, as wire JSON
    fields: dict[str, Any] = field(default_factory=dict)
    task_outcome: str | None = None
    post_deadline: float | None = None
    das_state: str | None = None
    looking: bool = False
    gone: set[tuple[str, datetime | None]] = field(default_factory=set)

    @property
    def key(self) -> HostKey:
        return self.host.key


class AttemptBook:
    """The in-flight attempts of one vCenter's share of a run (see the module doc)."""

    def __init__(self, limits: BatchLimits, *, skew: timedelta = IDENTITY_SKEW) -> None:
        self.limits = limits
        self.skew = skew
        self._attempts: dict[HostKey, Attempt] = {}
        self._by_task: dict[str, HostKey] = {}
        #: facts about task ids no attempt claims (yet)
        self._unclaimed: dict[str, dict[str, Any]] = {}
        #: the last ``dasHostState.state`` seen per host moId (also for hosts not in flight)
        self._das: dict[str, str | None] = {}

    # -- reading ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._attempts)

    def __contains__(self, key: object) -> bool:
        return key in self._attempts

    def __iter__(self) -> Iterator[Attempt]:
        return iter(list(self._attempts.values()))

    def get(self, key: HostKey) -> Attempt | None:
        return self._attempts.get(key)

    def by_task(self, task: str) -> Attempt | None:
        key = self._by_task.get(task)
        return self._attempts.get(key) if key is not None else None

    def tasks(self) -> list[str]:
        """Task ids of attempts whose task has not ended yet."""
        return [a.task for a in self._attempts.values() if a.task is not None and a.task_outcome is None]

    def das_state(self, host_moid: str) -> str | None:
        return self._das.get(host_moid)

    @property
    def unclaimed(self) -> int:
        """How many task ids have facts no attempt claims (other users' tasks on listed hosts)."""
        return len(self._unclaimed)

    def next_deadline(self, now: float) -> float | None:
        """Monotonic time of the next timeout or post-check deadline (``None`` if nothing is waiting)."""
        soonest: float | None = None
        for att in self._attempts.values():
            if att.task_outcome is None:
                due = att.started + self.limits.task_timeout
            elif att.post_deadline is not None:
                due = att.post_deadline
            else:
                continue
            soonest = due if soonest is None else min(soonest, due)
        return soonest

    # -- facts -----------------------------------------------------------------------------------
    def track(
        self,
        host: PlannedHost,
        task: str | None,
        *,
        now: float,
        sent_at: datetime | None = None,
        answered_at: datetime | None = None,
    ) -> list[Effect]:
        """Start following ``host``'s attempt (its task, when known). Facts already seen about ``task`` are
        applied at once when they match the attempt's identity."""
        if host.key in self._attempts:
            raise RuntimeError(f"{host.host} is already tracked")
        att = Attempt(host, started=now, sent_at=sent_at, answered_at=answered_at)
        att.das_state = self._das.get(host.host_moid)
        self._attempts[host.key] = att
        effects: list[Effect] = [Progress(host, "queued")]
        if task is not None:
            effects += self._claim(att, task, now)
        return effects

    def track_post_check(self, host: PlannedHost, task: str, *, now: float) -> list[Effect]:
        """Resume: ``host``'s task succeeded before the crash, its post-check did not end. Waits for a healthy
        agent (or the post-check timeout) again."""
        att = Attempt(host, started=now, task=task, task_outcome="success")
        att.das_state = self._das.get(host.host_moid)
        att.post_deadline = now + self.limits.post_check_timeout
        self._attempts[host.key] = att
        self._by_task[task] = host.key
        return [Progress(host, "post_check", 100), *self._evaluate(att)]

    def task_fields(self, task: str, fields: Mapping[str, Any], *, now: float, whole: bool = False) -> list[Effect]:
        """vCenter sent ``fields`` of ``task``'s ``TaskInfo`` (wire JSON; ``None`` = removed). ``whole``: they
        replace what was known (a new watch's ``enter``, or a whole ``info`` read), else they are merged."""
        key = self._by_task.get(task)
        att = self._attempts.get(key) if key is not None else None
        if att is None or att.task != task:
            known = {} if whole else self._unclaimed.get(task, {})
            self._unclaimed[task] = _merged(known, fields)
            return []
        merged = dict(fields) if whole else _merged(att.fields, fields)
        if not self._matches(att, merged):
            return self._lose_task(att, task, merged)
        att.fields = merged
        self._pin(att, merged)
        return self._on_fields(att, now)

    def task_left(self, task: str) -> None:
        """The watch no longer reports ``task`` (it left the host's ``recentTask`` and the view)."""
        self._unclaimed.pop(task, None)

    def vanished(self, task: str) -> list[Effect]:
        """vCenter does not know ``task`` any more (``ManagedObjectNotFound``, or a view could not add it)."""
        self._unclaimed.pop(task, None)
        att = self.by_task(task)
        if att is None or att.task_outcome is not None:
            return []
        return self._lose_task(att, task, None)

    def das(self, host_moid: str, state: str | None, *, now: float, vcenter: str) -> list[Effect]:
        """The host's ``runtime.dasHostState.state`` changed (``None``: unset)."""
        self._das[host_moid] = state
        att = self._attempts.get((vcenter, host_moid))
        if att is None:
            return []
        att.das_state = state
        return self._evaluate(att)

    def found(self, key: HostKey, task: str | None, *, now: float) -> list[Effect]:
        """The answer to a :class:`LookUp`: the attempt's task (follow it) or ``None`` (the attempt is ``lost``)."""
        att = self._attempts.get(key)
        if att is None or not att.looking:
            return []
        att.looking = False
        if task is None:
            return self._end(att, "lost")
        att.identity = None
        att.fields = {}
        return self._claim(att, task, now)

    def tick(self, now: float) -> list[Effect]:
        """Deadlines passed at ``now``: task timeouts (``timed_out``) and post-check timeouts
        (``agent_unhealthy``)."""
        effects: list[Effect] = []
        for att in list(self._attempts.values()):
            if att.task_outcome is None and now - att.started >= self.limits.task_timeout:
                effects += self._end(att, "timed_out")
            elif att.task_outcome == "success" and att.post_deadline is not None and now >= att.post_deadline:
                effects += self._post_checked(att, healthy=False)
        return effects

    def drop(self, key: HostKey) -> Attempt | None:
        """Forget an attempt without an outcome (the run detaches: resume picks it up from the journal)."""
        att = self._attempts.pop(key, None)
        if att is not None and att.task is not None:
            self._by_task.pop(att.task, None)
        return att

    # -- internals -------------------------------------------------------------------------------
    def _claim(self, att: Attempt, task: str, now: float) -> list[Effect]:
        effects: list[Effect] = []
        holder = self._by_task.get(task)
        if holder is not None and holder != att.key:
            other = self._attempts.get(holder)
            if other is not None and other.task == task and other.task_outcome is None:
                # the id now names this attempt's task: the other attempt's task is gone (a vCenter restart)
                effects += self._lose_task(other, task, None)
        att.task = task
        self._by_task[task] = att.key
        early = self._unclaimed.pop(task, None)
        if early and self._matches(att, early):
            att.fields = early
            self._pin(att, early)
            effects += self._on_fields(att, now)
        return effects

    def _matches(self, att: Attempt, fields: Mapping[str, Any]) -> bool:
        entity = task_entity(fields)
        if entity is not None and entity != att.host.host_moid:
            return False
        queued = task_queue_time(fields)
        if queued is None:
            return True
        if att.identity is not None:
            return att.identity[1] is None or queued == att.identity[1]
        if att.sent_at is not None and queued < att.sent_at - self.skew:
            return False
        if att.answered_at is not None and queued > att.answered_at + self.skew:
            return False
        return (att.task or "", queued) not in att.gone

    def _pin(self, att: Attempt, fields: Mapping[str, Any]) -> None:
        if att.identity is None and task_queue_time(fields) is not None:
            att.identity = (task_entity(fields), task_queue_time(fields))

    def _lose_task(self, att: Attempt, task: str, foreign: Mapping[str, Any] | None) -> list[Effect]:
        """``task`` is no longer this attempt's (vanished, or its id now names another task): look it up again."""
        if foreign is not None:
            self._unclaimed[task] = dict(foreign)
        if self._by_task.get(task) == att.key:
            del self._by_task[task]
        if att.task_outcome is not None:
            return []  # its outcome is known already; only the post-check is waiting
        att.gone.add((task, att.identity[1] if att.identity else task_queue_time(att.fields)))
        att.task = None
        if att.looking:
            return []
        att.looking = True
        return [LookUp(att.host, att.sent_at, frozenset(att.gone))]

    def _on_fields(self, att: Attempt, now: float) -> list[Effect]:
        if att.task_outcome is not None:
            return self._evaluate(att)
        state = task_state(att.fields)
        if state not in ("success", "error"):
            if state is None:
                return []
            progress = att.fields.get("progress")
            return [Progress(att.host, "running" if state == "running" else "queued", _percent(progress))]
        outcome = outcome_from_task_info(att.fields) or "fault"
        if outcome == "success" and self.limits.post_check:
            att.task_outcome = "success"
            att.post_deadline = now + self.limits.post_check_timeout
            effects: list[Effect] = [
                Write("finished", att.host, {"info": dict(att.fields), "outcome": "success", "task_moid": att.task}),
                Progress(att.host, "post_check", 100),
            ]
            return effects + self._evaluate(att)
        return self._end(att, outcome)

    def _evaluate(self, att: Attempt) -> list[Effect]:
        """Close the post-check of a succeeded task as soon as its host reports a healthy agent."""
        if att.task_outcome == "success" and att.post_deadline is not None and att.das_state in HEALTHY_DAS_STATES:
            return self._post_checked(att, healthy=True)
        return []

    def _post_checked(self, att: Attempt, *, healthy: bool) -> list[Effect]:
        self._forget(att)
        return [
            Write(
                "post_checked",
                att.host,
                {"das_state_before": att.host.das_state, "das_state_after": att.das_state, "healthy": healthy},
            ),
            Release(att.host, "success" if healthy else "agent_unhealthy"),
        ]

    def _end(self, att: Attempt, outcome: str) -> list[Effect]:
        """A final outcome other than a success awaiting its post-check."""
        self._forget(att)
        info = dict(att.fields) if att.fields else None
        effects: list[Effect] = [Write("finished", att.host, {"info": info, "outcome": outcome, "task_moid": att.task})]
        if att.das_state is not None:  # what the agent says after a failed task helps the diagnosis
            effects.append(
                Write(
                    "post_checked",
                    att.host,
                    {
                        "das_state_before": att.host.das_state,
                        "das_state_after": att.das_state,
                        "healthy": att.das_state in HEALTHY_DAS_STATES,
                    },
                )
            )
        effects.append(Release(att.host, outcome))
        return effects

    def _forget(self, att: Attempt) -> None:
        self._attempts.pop(att.key, None)
        if att.task is not None and self._by_task.get(att.task) == att.key:
            del self._by_task[att.task]


def _merged(known: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(known)
    for name, value in fields.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _percent(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
