"""The frames' columns: one schema per frame (column → kind) and how each kind becomes a typed pandas column.

Kinds: ``id`` (categorical in first-seen order), ``category`` (categorical, known values listed first in a fixed
order), ``string`` (``string[pyarrow]``), ``datetime`` (``datetime64[us, UTC]``), ``Int64`` (nullable), ``int``,
``float``, ``bool``, ``boolean`` (nullable). :func:`coerce` restores these dtypes on a frame read back from CSV or
Parquet; :func:`empty_frame` makes a frame with no rows and the right dtypes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from ..vocabulary import CAUSES, CONFIDENCE_LEVELS, DAS_STATES, EVENT_SOURCES, OUTCOMES, STAGES
from .categories import EVENT_CATEGORIES

__all__ = [
    "STRING",
    "UTC_TIME",
    "SCHEMAS",
    "KNOWN_CATEGORIES",
    "TASK_COLUMNS",
    "FAULT_COLUMNS",
    "FAULT_MESSAGE_COLUMNS",
    "EVENT_COLUMNS",
    "HOST_COLUMNS",
    "typed_frame",
    "empty_frame",
    "coerce",
    "label_column",
    "remap_labels",
    "hosts_frame",
    "DIAGNOSIS_COLUMNS",
    "DIAGNOSIS_SUMMARY_COLUMNS",
    "diagnosis_frame",
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
    # the hosts table (vc.hosts(), a run's saved hosts): identifiers and states as categories, flags nullable
    "hosts": {
        "vcenter": "id",
        "datacenter": "id",
        "cluster": "id",
        "cluster_moid": "id",
        "host": "id",
        "host_moid": "id",
        "connection_state": "category",
        "power_state": "category",
        "in_maintenance": "boolean",
        "ha_enabled": "boolean",
        "das_state": "category",
        "das_state_reporter": "category",
        "version": "category",
        "build": "category",
        "datastores": "string",
        "config_issues": "string",
        "overall_status": "category",
        "disabled_methods": "string",
        "eligible": "boolean",
        "skip_reason": "category",
        "data_issues": "string",
    },
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

#: ``Diagnosis.hosts``: one row per diagnosed host, in order
DIAGNOSIS_COLUMNS: list[str] = [
    "vcenter",
    "cluster",
    "host",
    "host_moid",
    "das_state",
    "cause",
    "confidence",
    "scope",
    "evidence",
    "alternative",
    "support",
    "reconfigure_fixes",
    "next_step",
    "reference",
    "rule",
]
#: ``Diagnosis.summary``: one row per cause, in order
DIAGNOSIS_SUMMARY_COLUMNS: list[str] = ["cause", "hosts", "clusters", "scope", "example_host", "next_step"]


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
        return pd.Categorical.from_codes(codes, categories=cast(Any, uniq))
    return remap_labels(codes, uniq, known)


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
        out = pd.to_datetime(cast(Any, listed), utc=True, format="ISO8601", errors="coerce", cache=False)
    except (TypeError, ValueError, OverflowError):
        cleaned = [v if isinstance(v, str) or hasattr(v, "tzinfo") else None for v in listed]
        out = pd.to_datetime(cast(Any, cleaned), utc=True, format="ISO8601", errors="coerce", cache=False)
    return pd.DatetimeIndex(out.astype(UTC_TIME))


def label_column(values: list[Any], known: Sequence[str] = ()) -> pd.Categorical:
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
    return remap_labels(codes, objects, known)


def remap_labels(codes: np.ndarray, objects: list[Any], known: Sequence[str]) -> pd.Categorical:
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
    return pd.Categorical.from_codes(codes, categories=cast(Any, categories))


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


def typed_frame(name: str, columns: dict[str, Any]) -> pd.DataFrame:
    schema = SCHEMAS[name]
    data = {
        col: (columns[col] if not isinstance(columns[col], list) else _column(col, columns[col], kind))
        for col, kind in schema.items()
    }
    return pd.DataFrame(data, copy=False)


def empty_frame(name: str) -> pd.DataFrame:
    """A frame with no rows and the right columns and dtypes."""
    return typed_frame(name, {col: [] for col in SCHEMAS[name]})


def hosts_frame(rows: Iterable[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """The hosts frame with :data:`SCHEMAS` ``["hosts"]`` dtypes, from rows or a frame; extra columns kept."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    return coerce(frame, "hosts")


def diagnosis_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``Diagnosis.hosts``' dtypes on a frame with :data:`DIAGNOSIS_COLUMNS` (in place, and returned): causes and
    confidences as categoricals of the vocabulary's values (confidence ordered), identifiers as categories."""
    for col in ("vcenter", "cluster", "host", "host_moid", "das_state", "rule"):
        frame[col] = frame[col].astype("category")
    frame["cause"] = pd.Categorical(frame["cause"], categories=list(CAUSES))
    frame["confidence"] = pd.Categorical(frame["confidence"], categories=list(CONFIDENCE_LEVELS), ordered=True)
    frame["scope"] = pd.Categorical(frame["scope"], categories=["cluster", "host"])
    for col in ("next_step", "reference", "alternative"):
        frame[col] = frame[col].astype("string")
    frame["support"] = pd.to_numeric(frame["support"], errors="coerce").astype(float)
    frame["reconfigure_fixes"] = pd.array(
        [
            None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else bool(v)
            for v in frame["reconfigure_fixes"]
        ],
        dtype="boolean",
    )
    return frame


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
        return pd.to_datetime(cast(Any, values), utc=True, format="ISO8601", errors="coerce").astype(UTC_TIME)
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
