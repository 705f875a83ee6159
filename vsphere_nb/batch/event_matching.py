"""Which attempt an event read during a run belongs to — a pure function, tested without a server.

An event belongs to an attempt:

* by the task's ``eventChainId`` (source ``task_chain``): the task's own events;
* else by host (source ``host_events``): the attempt of the same host launched most recently before the event
  (minus a little clock skew). Events older than the host's first attempt in the run belong to somebody else's
  work and are left out; ``TaskEvent`` s of other tasks on the host are left out.

While the run goes on (``final=False``) only events of attempts that have *ended* are matched: an attempt's
queue time is known only once it ends, and most of its events arrive while it runs; the others stay buffered
(returned as ``kept``). At the end (``final=True``) every event is matched or dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..wire import parse_datetime
from ..wire.plain import EventRef

__all__ = ["AttemptWindow", "EventMatch", "match_events", "CLOCK_SKEW"]

#: how much earlier than an attempt's queue time its host's events may be stamped (vCenter vs host clocks)
CLOCK_SKEW = timedelta(seconds=5)


@dataclass(frozen=True)
class AttemptWindow:
    """What matching needs of one launched attempt (a :class:`~vsphere_nb.batch.records.TaskRecord`)."""

    host_moid: str
    attempt: int
    chain_id: int | None
    queued_at: str | None
    record: Any  # handed back in the match, untouched


@dataclass(frozen=True)
class EventMatch:
    """Events of one attempt from one source, to journal together."""

    record: Any
    source: str
    events: list[dict[str, Any]]


def _parse(text: str | None, default: datetime) -> datetime:
    if not text:
        return default
    try:
        return parse_datetime(text)
    except (ValueError, TypeError):
        return default


def match_events(
    events: Sequence[EventRef],
    attempts: Iterable[AttemptWindow],
    *,
    running_hosts: set[str],
    window_start: datetime,
    final: bool,
) -> tuple[list[EventMatch], list[EventRef]]:
    """``(matches, kept)``: the events matched to attempts (one :class:`EventMatch` per attempt and source, in
    order of first appearance), and those to keep for a later call (empty when ``final``).

    ``running_hosts`` are the host moIds whose attempt has not ended yet.
    """
    windows = list(attempts)
    if not windows or not events:
        return [], ([] if final else list(events))
    by_chain = {w.chain_id: w for w in windows if w.chain_id}
    by_host: dict[str, list[tuple[datetime, AttemptWindow]]] = {}
    for w in windows:
        by_host.setdefault(w.host_moid, []).append((_parse(w.queued_at, window_start) - CLOCK_SKEW, w))
    for entries in by_host.values():
        entries.sort(key=lambda item: item[0])

    def attempt_for(host_moid: str | None, created: datetime) -> AttemptWindow | None:
        chosen = None
        for started, window in by_host.get(host_moid or "", []):
            if started <= created:
                chosen = window
        return chosen

    found: dict[tuple[str, int, str], EventMatch] = {}
    kept: list[EventRef] = []
    for event in events:
        window = by_chain.get(event.chain_id) if event.chain_id else None
        source = "task_chain"
        if window is None:
            if event.type_name == "TaskEvent" and not final:
                kept.append(event)  # its attempt's chain id may not be known yet
                continue
            if event.type_name == "TaskEvent" or event.created is None:
                continue  # another task's record on the same host (or an event that says not when)
            if not final and (
                event.host_moid is None or event.host_moid in running_hosts or event.host_moid not in by_host
            ):
                kept.append(event)  # its host's attempt is still running, or not launched yet
                continue
            window = attempt_for(event.host_moid, event.created)
            source = "host_events"
        elif not final and window.host_moid in running_hosts:
            kept.append(event)
            continue
        if window is None:
            continue
        key = (window.host_moid, window.attempt, source)
        match = found.get(key)
        if match is None:
            match = found[key] = EventMatch(window.record, source, [])
        match.events.append(event.wire)
    return list(found.values()), ([] if final else kept)
