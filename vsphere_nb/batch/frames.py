"""The DataFrames of a run, built from :class:`~vsphere_nb.batch.records.TaskRecord` s — the hot path.

Built column by column from plain lists (no per-row pydantic, no per-row DataFrame appends): fault wire dicts are
read directly, events arrive already reduced to columns (:class:`~vsphere_nb.batch.event_columns.EventColumns`, filled
once per event when it is recorded), long label columns are factorized by object identity (their strings are
interned at ingestion). 100,000 task rows with 1,000,000 event rows take about 2 s of CPU on one core.

Dtypes, the same in every frame: identifiers and labels (``run_id``, ``vcenter``, ``cluster``, ``host``,
``host_moid``, ``task_moid``, states, outcomes, reasons, fault and event types) are ``category``; free text
(messages, ``output``, ``args``) is ``string[pyarrow]``; times are ``datetime64[us, UTC]``; counters that may be
missing (``event_key``, ``chain_id``, ``event_chain_id``) are ``Int64``. ``outcome``/``state``/``severity``/
``source`` list every known value in their categories (in a fixed order) even when unused.

**tasks** — one row per host per attempt (skipped hosts: attempt ``0``):
``run_id, vcenter, cluster, host, host_moid, attempt, outcome, task_moid, state, queued_at, started_at,
completed_at, duration_s, fault_type, fault_reason, fault_message, fault_output, das_state_before,
das_state_after, event_chain_id`` and, added by vsphere-nb, ``canary`` (bool), ``stage`` (journal stage, see
:data:`~vsphere_nb.batch.records.STAGES`) and ``skip_reason`` (why a host was ``skipped``/``not_launched``).
``fault_type`` is the outermost fault's ``_typeName`` (``LocalizedMethodFault`` unwrapped), ``fault_reason`` the
first ``reason`` in the fault chain (``DasConfigFault.reason``), ``fault_message`` the outermost fault's readable
message (``faultMessage[].message``, ``faultstring``, type-specific fields, type name), ``fault_output`` the first
``output`` in the chain. ``duration_s`` = ``completed_at - started_at``. An attempt under way has no ``outcome``.

**faults** — the fault and every ``faultCause`` below it (``depth`` 0 = outermost):
``run_id, vcenter, host, host_moid, task_moid, depth, fault_type, fault_reason, message, output``.

**fault_messages** — every ``LocalizableMessage`` of every fault in the chain:
``run_id, vcenter, host, host_moid, task_moid, depth, key, message, args`` (``args``: JSON object text of the
``KeyAnyValue`` arguments, boxed values unboxed).

**events** — from ``DasConfigFault.event`` (``source`` ``fault``), the task's event chain (``task_chain``) and the
host's HA events during the run (``host_events``); an event seen by several sources is kept once, under the first
of that order: ``run_id, vcenter, cluster, host, host_moid, task_moid, source, event_key, chain_id, event_type``
(``_typeName``), ``event_type_id`` (``EventEx.eventTypeId``, else ``_typeName``), ``created_time, user_name,
severity`` (``EventEx.severity``, else derived from the type: ``HostDasErrorEvent`` → ``error``), ``message``
(``fullFormattedMessage``, else ``message``), ``category`` (:func:`~vsphere_nb.tables.categories.event_category`:
agent-error, state-change, isolation …; the HA history frame has the same shape). ``host``/``cluster``/
``task_moid`` are those of the attempt the event was collected for.

**hosts** — the pre-flighted inventory (see :data:`SCHEMAS` ``["hosts"]``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from ..tables.categories import EVENT_CATEGORIES, event_category
from ..tables.columns import (
    EVENT_COLUMNS,
    FAULT_COLUMNS,
    FAULT_MESSAGE_COLUMNS,
    HOST_COLUMNS,
    KNOWN_CATEGORIES,
    SCHEMAS,
    STRING,
    TASK_COLUMNS,
    coerce,
    empty_frame,
    hosts_frame,
    label_column,
    remap_labels,
    typed_frame,
)
from ..wire.plain import fault_rows
from .event_columns import EVENT_FIELDS
from .records import TaskRecord

__all__ = [
    "SCHEMAS",
    "TASK_COLUMNS",
    "FAULT_COLUMNS",
    "FAULT_MESSAGE_COLUMNS",
    "EVENT_COLUMNS",
    "HOST_COLUMNS",
    "Frames",
    "build_frames",
    "tasks_frame",
    "hosts_frame",
    "coerce",
    "empty_frame",
    "STRING",
    "latest_attempts",
    "END_GROUPS",
    "end_counts",
    "end_text",
]


@dataclass
class Frames:
    """The four result frames of a run."""

    tasks: pd.DataFrame
    faults: pd.DataFrame
    fault_messages: pd.DataFrame
    events: pd.DataFrame

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("tasks", self.tasks),
            ("faults", self.faults),
            ("fault_messages", self.fault_messages),
            ("events", self.events),
        ]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: the build allocates many objects but no garbage cycles, and each full collection
    would walk every live object of a big run (a million events) again, for nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_frames(records: Iterable[TaskRecord]) -> Frames:
    """Tasks, faults, fault messages and events of ``records`` in one pass (see the module doc for columns)."""
    with _gc_paused():
        return _build_frames(records if isinstance(records, list) else list(records))


def _build_frames(recs: list[TaskRecord]) -> Frames:
    n = len(recs)
    t: dict[str, Any] = {
        name: list(map(attrgetter(name), recs))
        for name in (
            "run_id",
            "vcenter",
            "cluster",
            "host",
            "host_moid",
            "attempt",
            "outcome",
            "task_moid",
            "state",
            "queued_at",
            "started_at",
            "completed_at",
            "das_state_before",
            "das_state_after",
            "event_chain_id",
            "canary",
            "stage",
            "skip_reason",
        )
    }
    for name in ("fault_type", "fault_reason", "fault_message", "fault_output"):
        t[name] = [None] * n
    f: dict[str, list[Any]] = {c: [] for c in SCHEMAS["faults"]}
    fm: dict[str, list[Any]] = {c: [] for c in SCHEMAS["fault_messages"]}
    # events: every attempt's event columns concatenated; (task row, count) to repeat the task-level columns
    ev: dict[str, list[Any]] = {name: [] for name in EVENT_FIELDS}
    extenders = [ev[name].extend for name in EVENT_FIELDS]
    columns_of = attrgetter(*EVENT_FIELDS)
    ev_rec: list[int] = []
    ev_count: list[int] = []

    for i, rec in enumerate(recs):
        if rec.fault is not None:
            _add_faults(rec, i, t, f, fm)
        events = rec.events
        if events is not None and events.event_type:
            for extend, values in zip(extenders, columns_of(events)):
                extend(values)
            ev_rec.append(i)
            ev_count.append(len(events.event_type))

    t["duration_s"] = None
    tasks = typed_frame("tasks", t)
    tasks["duration_s"] = (tasks["completed_at"] - tasks["started_at"]).dt.total_seconds().astype(np.float64)
    faults = typed_frame("faults", f)
    fault_messages = typed_frame("fault_messages", fm)
    events_frame = _events_frame(tasks, ev, np.asarray(ev_rec, dtype=np.int64), np.asarray(ev_count, dtype=np.int64))
    return Frames(tasks=tasks, faults=faults, fault_messages=fault_messages, events=events_frame)


def _add_faults(
    rec: TaskRecord,
    i: int,
    t: dict[str, Any],
    f: dict[str, list[Any]],
    fm: dict[str, list[Any]],
) -> None:
    rows = fault_rows(rec.fault)
    if not rows:
        return
    t["fault_type"][i] = rows[0].type_name
    t["fault_message"][i] = rows[0].text
    t["fault_reason"][i] = next((r.reason for r in rows if r.reason), None)
    t["fault_output"][i] = next((r.output for r in rows if r.output), None)
    for row in rows:
        f["run_id"].append(rec.run_id)
        f["vcenter"].append(rec.vcenter)
        f["host"].append(rec.host)
        f["host_moid"].append(rec.host_moid)
        f["task_moid"].append(rec.task_moid)
        f["depth"].append(row.depth)
        f["fault_type"].append(row.type_name)
        f["fault_reason"].append(row.reason)
        f["message"].append(row.text)
        f["output"].append(row.output)
        for key, message, args in row.messages:
            fm["run_id"].append(rec.run_id)
            fm["vcenter"].append(rec.vcenter)
            fm["host"].append(rec.host)
            fm["host_moid"].append(rec.host_moid)
            fm["task_moid"].append(rec.task_moid)
            fm["depth"].append(row.depth)
            fm["key"].append(key)
            fm["message"].append(message)
            fm["args"].append(args)


def _events_frame(
    tasks: pd.DataFrame,
    ev: dict[str, list[Any]],
    ev_rec: np.ndarray,
    ev_count: np.ndarray,
) -> pd.DataFrame:
    if not ev["event_type"]:
        return empty_frame("events")
    rows = np.repeat(ev_rec, ev_count)  # task row of every event

    def repeat_task(col: str) -> pd.Categorical:
        cat = tasks[col].array
        return pd.Categorical.from_codes(cat.codes[rows], dtype=cat.dtype)

    columns: dict[str, Any] = {
        "run_id": repeat_task("run_id"),
        "vcenter": repeat_task("vcenter"),
        "cluster": repeat_task("cluster"),
        "host": repeat_task("host"),
        "host_moid": repeat_task("host_moid"),
        "task_moid": repeat_task("task_moid"),
        **ev,
    }
    for name in ("source", "event_type", "event_type_id", "user_name", "severity"):  # interned at ingestion
        columns[name] = label_column(ev[name], KNOWN_CATEGORIES.get(name, ()))
    columns["category"] = category_of(columns["event_type_id"])
    return typed_frame("events", columns)


def category_of(type_ids: pd.Categorical) -> pd.Categorical:
    """The ``category`` column (:func:`~vsphere_nb.tables.categories.event_category`) of an ``event_type_id``
    categorical: one lookup per distinct type, then the codes are remapped."""
    cats = [event_category(str(c)) for c in type_ids.categories]
    return remap_labels(np.asarray(type_ids.codes, dtype=np.int64), cats, EVENT_CATEGORIES)


def tasks_frame(records: Iterable[TaskRecord]) -> pd.DataFrame:
    """Only the tasks frame (still builds the others' inputs; use :func:`build_frames` for all four)."""
    return build_frames(records).tasks


def latest_attempts(tasks: pd.DataFrame) -> pd.DataFrame:
    """The last attempt of every host (one row per ``(vcenter, host_moid)``) of a tasks frame."""
    if not len(tasks) or tasks["attempt"].max() <= 1:
        return tasks
    order = tasks.sort_values("attempt", kind="stable")
    return order.drop_duplicates(["vcenter", "host_moid"], keep="last")


#: the groups a run's end is counted in, disjoint, in the order every surface shows them
END_GROUPS: tuple[str, ...] = ("succeeded", "failed", "not launched", "in progress", "skipped")


def end_counts(tasks: pd.DataFrame) -> dict[str, int]:
    """A run's hosts (latest attempt each) in :data:`END_GROUPS`: ``succeeded`` and ``failed`` were launched and
    ended; ``not launched`` ended without a launch (the run stopped itself or was cancelled first); ``skipped``
    by the pre-flight; ``in progress`` not ended yet. ``finished`` = succeeded + failed."""
    counts = dict.fromkeys(END_GROUPS, 0)
    if tasks is None or not len(tasks):
        counts["finished"] = 0
        return counts
    latest = latest_attempts(tasks)
    outcome = latest["outcome"].astype(object)
    stage = latest["stage"].astype(object) if "stage" in latest.columns else pd.Series(None, index=latest.index)
    skipped = outcome.eq("skipped") | stage.eq("skipped")
    unlaunched = ~skipped & (outcome.eq("not_launched") | stage.eq("not_launched"))
    open_ = ~skipped & ~unlaunched & outcome.isna()
    ok = ~skipped & ~unlaunched & outcome.eq("success")
    counts["skipped"] = int(skipped.sum())
    counts["not launched"] = int(unlaunched.sum())
    counts["in progress"] = int(open_.sum())
    counts["succeeded"] = int(ok.sum())
    counts["failed"] = int(len(latest) - counts["skipped"] - counts["not launched"] - counts["in progress"] - ok.sum())
    counts["finished"] = counts["succeeded"] + counts["failed"]
    return counts


def end_text(counts: dict[str, int]) -> str:
    """:func:`end_counts` in words: ``9 of 15 planned hosts finished (8 succeeded, 1 failed), 6 not launched``."""
    planned = counts["finished"] + counts["not launched"] + counts["in progress"]
    text = f"{counts['finished']} of {planned} planned hosts finished"
    if counts["finished"]:
        text += f" ({counts['succeeded']} succeeded, {counts['failed']} failed)"
    for group in ("not launched", "in progress", "skipped"):
        if counts[group]:
            text += f", {counts[group]} {group}"
    return text
