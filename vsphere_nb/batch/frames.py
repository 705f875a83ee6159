"""The DataFrames of a run, built from :class:`~vsphere_nb.batch.records.TaskRecord` s — the hot path.

Built column by column from plain lists (no per-row pydantic, no per-row DataFrame appends): fault wire dicts are
read directly, events arrive already reduced to columns (:class:`~vsphere_nb.batch.records.EventColumns`, filled
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
(``fullFormattedMessage``, else ``message``), ``category`` (:func:`~vsphere_nb.wire.categories.event_category`:
agent-error, state-change, isolation …; the HA history frame has the same shape). ``host``/``cluster``/
``task_moid`` are those of the attempt the event was collected for.

**hosts** — the pre-flighted inventory (see :data:`SCHEMAS` ``["hosts"]``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..vocabulary import DAS_STATES, EVENT_SOURCES, HOST_COLUMN_KINDS, OUTCOMES, STAGES
from ..wire.categories import EVENT_CATEGORIES, event_category
from ..wire.plain import fault_rows
from .records import EVENT_FIELDS, TaskRecord

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
]

#: the text dtype of every frame
STRING = pd.StringDtype("pyarrow")
UTC_TIME = "datetime64[us, UTC]"

_TASK_STATES = ("queued", "running", "success", "error")
_SEVERITIES = ("error", "warning", "info", "user")
_DAS_STATES = DAS_STATES

#: column -> kind, per frame: the one place dtypes are decided (building, CSV loading, empty frames)
SCHEMAS: dict[str, dict[str, str]] = {
    "tasks": {
        "run_id": "id",
        "vcenter": "id",
        "cluster": "id",
        "host": "id",
        "host_moid": "id",
        "attempt": "int",
        "outcome": "category",
        "task_moid": "id",
        "state": "category",
        "queued_at": "datetime",
        "started_at": "datetime",
        "completed_at": "datetime",
        "duration_s": "float",
        "fault_type": "category",
        "fault_reason": "category",
        "fault_message": "string",
        "fault_output": "string",
        "das_state_before": "category",
        "das_state_after": "category",
        "event_chain_id": "Int64",
        "canary": "bool",
        "stage": "category",
        "skip_reason": "category",
    },
    "faults": {
        "run_id": "id",
        "vcenter": "id",
        "host": "id",
        "host_moid": "id",
        "task_moid": "id",
        "depth": "int",
        "fault_type": "category",
        "fault_reason": "category",
        "message": "string",
        "output": "string",
    },
    "fault_messages": {
        "run_id": "id",
        "vcenter": "id",
        "host": "id",
        "host_moid": "id",
        "task_moid": "id",
        "depth": "int",
        "key": "category",
        "message": "string",
        "args": "string",
    },
    "events": {
        "run_id": "id",
        "vcenter": "id",
        "cluster": "id",
        "host": "id",
        "host_moid": "id",
        "task_moid": "id",
        "source": "category",
        "event_key": "Int64",
        "chain_id": "Int64",
        "event_type": "category",
        "event_type_id": "category",
        "created_time": "datetime",
        "user_name": "category",
        "severity": "category",
        "message": "string",
        "category": "category",
    },
    "hosts": dict(HOST_COLUMN_KINDS),
}
#: categories listed first (in this order) whatever the data holds
KNOWN_CATEGORIES: dict[str, tuple[str, ...]] = {
    "outcome": OUTCOMES,
    "state": _TASK_STATES,
    "severity": _SEVERITIES,
    "source": EVENT_SOURCES,
    "stage": STAGES,
    "das_state": _DAS_STATES,
    "das_state_before": _DAS_STATES,
    "das_state_after": _DAS_STATES,
    "category": EVENT_CATEGORIES,
}

TASK_COLUMNS = list(SCHEMAS["tasks"])
FAULT_COLUMNS = list(SCHEMAS["faults"])
FAULT_MESSAGE_COLUMNS = list(SCHEMAS["fault_messages"])
EVENT_COLUMNS = list(SCHEMAS["events"])
HOST_COLUMNS = list(SCHEMAS["hosts"])


# ---------------------------------------------------------------------------------------------
# column builders: robust against odd values, fast on clean ones
# ---------------------------------------------------------------------------------------------
def _clean_str(values: Sequence[Any]) -> list[Any]:
    return [v if (v is None or isinstance(v, str)) else (None if _isna(v) else str(v)) for v in values]


def _object_array(values: Sequence[Any]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values if isinstance(values, (list, np.ndarray)) else list(values)
    return arr


def _categorical(values: Sequence[Any], known: Sequence[str] = (), *, sort: bool = True) -> pd.Categorical:
    """Factorize once over Python objects (fast), then order categories: ``known`` first, the rest sorted
    (``sort=False``: in order of first appearance, for identifiers with many distinct values)."""
    try:
        codes, uniques = pd.factorize(values if isinstance(values, np.ndarray) else _object_array(values))
    except TypeError:  # unhashable values (a list where a string belongs)
        return _categorical(_clean_str(list(values)), known, sort=sort)
    uniq = list(uniques)
    if not sort and not known and set(map(type, uniq)) <= {str}:
        return pd.Categorical.from_codes(codes, categories=uniq)
    return _remap(codes, uniq, known)


def _string(values: Sequence[Any]) -> Any:
    try:
        array = pd.arrays.ArrowStringArray(pa.array(values, type=pa.string(), from_pandas=True))
    except (pa.ArrowException, TypeError, ValueError):
        array = pd.arrays.ArrowStringArray(pa.array(_clean_str(list(values)), type=pa.string()))
    if array.dtype != STRING:  # older pandas: let it convert
        return pd.array(_clean_str(values), dtype=STRING)
    return array


def _int64_nullable(values: Sequence[Any]) -> Any:
    try:
        return pd.array(values, dtype="Int64")
    except (TypeError, ValueError, OverflowError):
        cleaned = [
            v if isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63 else None for v in values
        ]
        return pd.array(cleaned, dtype="Int64")


def _datetime(values: Sequence[Any]) -> pd.DatetimeIndex:
    """ISO-8601 strings (``None`` allowed) to ``datetime64[us, UTC]``; unparseable values become ``NaT``."""
    listed = values if isinstance(values, list) else list(values)
    try:
        out = pd.to_datetime(listed, utc=True, format="ISO8601", errors="coerce", cache=False)
    except (TypeError, ValueError, OverflowError):
        cleaned = [v if isinstance(v, str) or hasattr(v, "tzinfo") else None for v in listed]
        out = pd.to_datetime(cleaned, utc=True, format="ISO8601", errors="coerce", cache=False)
    return out.astype(UTC_TIME)


def _labels(values: list[Any], known: Sequence[str] = ()) -> pd.Categorical:
    """A categorical of a long column of *repeating, interned* labels (event types, severities …).

    Factorizes object identities (``id``: no string is hashed or even read), then merges the few distinct objects
    by value, so the result is right even for labels that were not interned — only slower.
    """
    n = len(values)
    ids = np.fromiter(map(id, values), dtype=np.int64, count=n)
    codes, unique_ids = pd.factorize(ids)
    if len(unique_ids) > max(1024, n // 4):  # not interned after all: the ordinary way
        return _categorical(values, known)
    first = pd.Series(codes).drop_duplicates().index.to_numpy()
    objects = [values[i] for i in first]  # one per distinct identity, in code order
    return _remap(codes, objects, known)


def _remap(codes: np.ndarray, objects: list[Any], known: Sequence[str]) -> pd.Categorical:
    """Codes over ``objects`` (possibly equal values, ``None``, non-strings) to a categorical by value."""
    texts = [
        None if (o is None or (isinstance(o, float) and o != o)) else (o if type(o) is str else str(o)) for o in objects
    ]
    present = {t for t in texts if t is not None}
    known_set = set(known)
    categories = [*known, *sorted(present - known_set)]
    position = {c: i for i, c in enumerate(categories)}
    remap = np.fromiter((-1 if t is None else position[t] for t in texts), dtype=np.int64, count=len(texts))
    if len(remap):
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    return pd.Categorical.from_codes(codes, categories=categories)


def _column(name: str, values: Sequence[Any], kind: str) -> Any:
    if kind == "category":
        return _categorical(values, KNOWN_CATEGORIES.get(name, ()))
    if kind == "id":
        return _categorical(values, sort=False)
    if kind == "string":
        return _string(values)
    if kind == "datetime":
        return _datetime(values)
    if kind == "Int64":
        return _int64_nullable(values)
    if kind == "int":
        return np.asarray(values, dtype=np.int64)
    if kind == "float":
        return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    if kind == "bool":
        return np.asarray(values, dtype=bool)
    if kind == "boolean":
        return pd.array(values, dtype="boolean")
    raise ValueError(f"unknown column kind {kind!r}")


def _frame(name: str, columns: dict[str, Any]) -> pd.DataFrame:
    schema = SCHEMAS[name]
    data = {
        col: (columns[col] if not isinstance(columns[col], list) else _column(col, columns[col], kind))
        for col, kind in schema.items()
    }
    return pd.DataFrame(data, copy=False)


def empty_frame(name: str) -> pd.DataFrame:
    """A frame with no rows and the right columns and dtypes."""
    return _frame(name, {col: [] for col in SCHEMAS[name]})


def coerce(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` with the dtypes of :data:`SCHEMAS` ``[name]`` (e.g. read back from CSV, or from a Parquet file
    that could not keep a dtype: an empty categorical). Columns that already conform are left alone, absent
    columns are added empty, extra columns are kept."""
    out = frame.copy()
    for col, kind in SCHEMAS[name].items():
        if col not in out.columns:
            out[col] = pd.Series([None] * len(out), dtype=object, index=out.index)
        if not _conforms(out[col], col, kind):
            out[col] = _coerce_column(out[col], col, kind)
    ordered = [*SCHEMAS[name], *(c for c in out.columns if c not in SCHEMAS[name])]
    return out[ordered] if list(out.columns) != ordered else out


def _conforms(series: pd.Series, col: str, kind: str) -> bool:
    dtype = series.dtype
    if kind in ("category", "id"):
        if not isinstance(dtype, pd.CategoricalDtype):
            return False
        known = KNOWN_CATEGORIES.get(col, ())
        return list(dtype.categories[: len(known)]) == list(known)
    expected = {
        "string": STRING,
        "datetime": UTC_TIME,
        "Int64": "Int64",
        "int": "int64",
        "float": "float64",
        "bool": "bool",
        "boolean": "boolean",
    }[kind]
    return dtype == expected


def _coerce_column(series: pd.Series, col: str, kind: str) -> Any:
    if kind in ("category", "id"):
        values = [None if _isna(v) else str(v) for v in series.tolist()]
        return _categorical(values, KNOWN_CATEGORIES.get(col, ()), sort=kind == "category")
    if kind == "string":
        return _string([None if _isna(v) else str(v) for v in series.tolist()])
    if kind == "datetime":
        values = [None if _isna(v) else v for v in series.astype(object).tolist()]
        return pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce").astype(UTC_TIME)
    if kind == "Int64":
        return pd.to_numeric(series, errors="coerce").astype("Int64")
    if kind == "int":
        return pd.to_numeric(series, errors="coerce").fillna(0).astype(np.int64)
    if kind == "float":
        return pd.to_numeric(series, errors="coerce").astype(np.float64)
    flags = [_to_bool(v) for v in series.tolist()]
    if kind == "bool":
        return np.asarray([bool(v) for v in flags], dtype=bool)
    return pd.array(flags, dtype="boolean")


def _isna(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _to_bool(value: Any) -> bool | None:
    if _isna(value):
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no", ""):
            return False if text else None
        return None
    return bool(value)


# ---------------------------------------------------------------------------------------------
# the frames
# ---------------------------------------------------------------------------------------------
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
    tasks = _frame("tasks", t)
    tasks["duration_s"] = (tasks["completed_at"] - tasks["started_at"]).dt.total_seconds().astype(np.float64)
    faults = _frame("faults", f)
    fault_messages = _frame("fault_messages", fm)
    events = _events_frame(tasks, ev, np.asarray(ev_rec, dtype=np.int64), np.asarray(ev_count, dtype=np.int64))
    return Frames(tasks=tasks, faults=faults, fault_messages=fault_messages, events=events)


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
        columns[name] = _labels(ev[name], KNOWN_CATEGORIES.get(name, ()))
    columns["category"] = category_of(columns["event_type_id"])
    return _frame("events", columns)


def category_of(type_ids: pd.Categorical) -> pd.Categorical:
    """The ``category`` column (:func:`~vsphere_nb.wire.categories.event_category`) of an ``event_type_id``
    categorical: one lookup per distinct type, then the codes are remapped."""
    cats = [event_category(str(c)) for c in type_ids.categories]
    return _remap(np.asarray(type_ids.codes, dtype=np.int64), cats, EVENT_CATEGORIES)


def tasks_frame(records: Iterable[TaskRecord]) -> pd.DataFrame:
    """Only the tasks frame (still builds the others' inputs; use :func:`build_frames` for all four)."""
    return build_frames(records).tasks


def hosts_frame(rows: Iterable[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """The hosts frame with :data:`SCHEMAS` ``["hosts"]`` dtypes, from rows or a frame; extra columns kept."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    return coerce(frame, "hosts")


def latest_attempts(tasks: pd.DataFrame) -> pd.DataFrame:
    """The last attempt of every host (one row per ``(vcenter, host_moid)``) of a tasks frame."""
    if not len(tasks) or tasks["attempt"].max() <= 1:
        return tasks
    order = tasks.sort_values("attempt", kind="stable")
    return order.drop_duplicates(["vcenter", "host_moid"], keep="last")
