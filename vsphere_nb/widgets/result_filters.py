"""What the Results panel's filters select, without widgets (tested without a kernel).

:class:`RunFrames` holds a run's four frames with the columns the filters compare, worked out once per run;
:func:`select` applies :class:`Filters`: cluster, outcome, fault reason, time window and search text select
**attempts** (rows of ``tasks``); the faults, fault messages and events are those of the selected attempts (joined
on ``host_moid`` + ``task_moid``), and the event type and the time window further narrow the events.
:func:`host_story` is one host's attempts with their faults, messages and events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .detail import IN_PROGRESS
from .result_frames import TASK_SEARCH, frame_key, object_column, reason_column

__all__ = ["NO_CLUSTER", "RunFrames", "Filters", "select", "host_story", "window_of"]

#: the cluster label of a standalone host
NO_CLUSTER = "(standalone)"
#: a time window: ``[start, end)``
Window = tuple[pd.Timestamp, pd.Timestamp]


@dataclass(frozen=True)
class RunFrames:
    """A run's frames and, per row, what the filters compare: ``t_*`` per attempt (cluster, outcome, reason,
    join key, search text), the join keys of faults (``f_key``), messages (``m_key``) and events (``e_key``), and
    each event's type (``e_type``)."""

    tasks: pd.DataFrame
    faults: pd.DataFrame
    fault_messages: pd.DataFrame
    events: pd.DataFrame
    t_cluster: pd.Series
    t_outcome: pd.Series
    t_reason: pd.Series
    t_key: pd.Series
    t_search: pd.Series
    f_key: pd.Series
    m_key: pd.Series
    e_key: pd.Series
    e_type: pd.Series

    @classmethod
    def of(cls, result: Any) -> RunFrames:
        """From a run (``BatchRun`` or a loaded ``RunResult``): its ``tasks``, ``faults``, ``fault_messages`` and
        ``events``."""
        tasks = result.tasks.reset_index(drop=True)
        faults = result.faults.reset_index(drop=True)
        messages = result.fault_messages.reset_index(drop=True)
        events = result.events.reset_index(drop=True)
        search = pd.Series([""] * len(tasks), dtype=object)
        for c in TASK_SEARCH:
            if c in tasks.columns:
                search = search + " " + object_column(tasks, c, "").astype(str)
        return cls(
            tasks=tasks,
            faults=faults,
            fault_messages=messages,
            events=events,
            t_cluster=object_column(tasks, "cluster", NO_CLUSTER),
            t_outcome=object_column(tasks, "outcome", IN_PROGRESS),
            t_reason=reason_column(tasks),
            t_key=frame_key(tasks),
            t_search=search.str.lower(),
            f_key=frame_key(faults),
            m_key=frame_key(messages),
            e_key=frame_key(events),
            e_type=object_column(events, "event_type_id", "(unknown)"),
        )

    def times(self) -> pd.Series:
        """Every start, end and event time of the run (for the time slider's stops)."""
        times: pd.Series = pd.concat(
            [
                self.tasks["started_at"].dropna(),
                self.tasks["completed_at"].dropna(),
                self.events["created_time"].dropna() if len(self.events) else self.tasks["started_at"].iloc[:0],
            ]
        )
        return times

    def joined(self, keys: set[Any]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The faults, fault messages and events of the attempts whose join key is in ``keys``."""
        return (
            self.faults[self.f_key.isin(keys).to_numpy(dtype=bool)],
            self.fault_messages[self.m_key.isin(keys).to_numpy(dtype=bool)],
            self.events[self.e_key.isin(keys).to_numpy(dtype=bool)],
        )


@dataclass(frozen=True)
class Filters:
    """Empty or ``None`` = everything. ``search``: words that must all appear in an attempt's text."""

    clusters: Sequence[str] = ()
    outcomes: Sequence[str] = ()
    reason: str | None = None
    event_type: str | None = None
    window: Window | None = None
    search: str = ""


def select(frames: RunFrames, filters: Filters) -> dict[str, pd.DataFrame]:
    """The filtered ``tasks``, ``faults``, ``fault_messages`` and ``events`` (events in time order)."""
    tasks, events = frames.tasks, frames.events
    mask = np.ones(len(tasks), dtype=bool)
    if filters.clusters:
        mask = mask & frames.t_cluster.isin(filters.clusters).to_numpy(dtype=bool)
    if filters.outcomes:
        mask = mask & frames.t_outcome.isin(filters.outcomes).to_numpy(dtype=bool)
    if filters.reason is not None:
        mask = mask & (frames.t_reason == filters.reason).to_numpy(dtype=bool)
    window = filters.window
    if window is not None:
        start, end = window
        began = tasks["started_at"]
        ended = tasks["completed_at"]
        mask = mask & (began.notna() & (began < end) & (ended.isna() | (ended >= start))).to_numpy(dtype=bool)
    for term in filters.search.lower().split():
        mask = mask & frames.t_search.str.contains(term, regex=False).to_numpy(dtype=bool)
    keys = set(frames.t_key[mask].tolist())
    ev_mask = frames.e_key.isin(keys).to_numpy(dtype=bool)
    if filters.event_type is not None:
        ev_mask = ev_mask & (frames.e_type == filters.event_type).to_numpy(dtype=bool)
    if window is not None and len(events):
        created = events["created_time"]
        ev_mask = ev_mask & (created.notna() & (created >= window[0]) & (created < window[1])).to_numpy(dtype=bool)
    faults, messages, _events = frames.joined(keys)
    return {
        "tasks": tasks[mask],
        "faults": faults,
        "fault_messages": messages,
        "events": events[ev_mask].sort_values("created_time", kind="stable") if len(events) else events,
    }


def host_story(
    frames: RunFrames, key: tuple[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One host's (``(vcenter, host_moid)``) attempts in order, with their faults, fault messages and events."""
    tasks = frames.tasks
    rows = tasks[
        ((tasks["vcenter"].astype(object) == key[0]) & (tasks["host_moid"].astype(object) == key[1])).to_numpy(
            dtype=bool
        )
    ].sort_values("attempt", kind="stable")
    faults, messages, events = frames.joined(set(frames.t_key[rows.index].tolist()))
    if len(events):
        events = events.sort_values("created_time", kind="stable")
    return rows, faults, messages, events


def window_of(options: Sequence[tuple[str, Any]], index: tuple[int, int], disabled: bool) -> Window | None:
    """The window a time slider's stops ``options`` and chosen ``index`` stand for; ``None`` when it spans the
    whole run (or is off). The last stop's second is included."""
    if disabled or len(options) < 2:
        return None
    lo, hi = index
    if (lo, hi) == (0, len(options) - 1):
        return None
    start = options[lo][1]
    end = options[hi][1] + pd.Timedelta(seconds=1) if hi == len(options) - 1 else options[hi][1]
    if end <= start:
        end = start + pd.Timedelta(seconds=1)
    return start, end
