"""What ``resume`` must do, read from the journal — pure, tested without a server.

:func:`plan_resume` sorts every host's latest attempt by the stage it reached (see :mod:`vsphere_nb.batch.resuming`)
into a :class:`ResumeWork` per vCenter; :func:`launch_times` says when each launch was sent and answered, so a
lost launch is looked up from the moment it was *sent* and an adopted task is matched by its queue time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..wire import parse_datetime
from .journal import JournalState
from .plan import HostKey, PlannedHost
from .records import AttemptKey

__all__ = ["ResumeWork", "plan_resume", "launch_times", "parse_time"]


@dataclass
class ResumeWork:
    """What a resumed engine finds in the journal for its hosts (see :mod:`vsphere_nb.batch.resuming`)."""

    #: launched tasks to follow: ``(task moId, launch sent at, answered at)``
    adopt: dict[HostKey, tuple[str, datetime | None, datetime | None]] = field(default_factory=dict)
    #: launches journalled without an answer: when they were sent
    unknown: dict[HostKey, datetime | None] = field(default_factory=dict)
    #: succeeded tasks whose post-check did not end
    post_check: dict[HostKey, str] = field(default_factory=dict)
    #: final outcomes already journalled (replayed into the scheduler: budget and canary gate count them)
    done: dict[HostKey, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.adopt or self.unknown or self.post_check or self.done)


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return parse_datetime(text)
    except (ValueError, TypeError):
        return None


def launch_times(state: JournalState) -> dict[AttemptKey, tuple[datetime | None, datetime | None]]:
    """``(sent, answered)`` of each launched attempt, as the journal's ``launching``/``launched`` records say."""
    return {
        rec.key: (parse_time(rec.launch_sent_at), parse_time(rec.launch_answered_at))
        for rec in state.records
        if rec.launch_sent_at or rec.launch_answered_at
    }


def plan_resume(
    state: JournalState, times: Mapping[AttemptKey, tuple[datetime | None, datetime | None]]
) -> dict[str, tuple[list[PlannedHost], ResumeWork]]:
    """Per vCenter: the hosts of the run's current attempts (canaries first, in plan order) and what the journal
    says about each (see the module doc). Pure: reads only ``state`` and ``times``."""
    groups: dict[str, tuple[list[PlannedHost], ResumeWork]] = {}
    for rec in state.records.latest():
        if rec.stage in ("skipped", "not_launched") or rec.attempt == 0:
            continue
        hosts, work = groups.setdefault(rec.vcenter, ([], ResumeWork()))
        host = PlannedHost(
            vcenter=rec.vcenter,
            host=rec.host,
            host_moid=rec.host_moid,
            cluster=rec.cluster or "",
            cluster_moid=rec.cluster_moid or "",
            das_state=rec.das_state_before,
            canary=rec.canary,
            attempt=rec.attempt,
            order=len(hosts),
        )
        hosts.append(host)
        sent, answered = times.get(rec.key, (None, None))
        if rec.stage == "launching":
            work.unknown[host.key] = sent
        elif rec.stage == "launched" and rec.task_moid:
            work.adopt[host.key] = (rec.task_moid, sent, answered)
        elif rec.stage == "finished" and rec.outcome == "success" and state.limits.post_check and rec.task_moid:
            work.post_check[host.key] = rec.task_moid
        elif rec.outcome is not None:
            work.done[host.key] = rec.outcome
    for hosts, _work in groups.values():
        hosts.sort(key=lambda h: (not h.canary, h.order))
    return groups
