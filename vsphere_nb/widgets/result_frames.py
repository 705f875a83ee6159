"""Pure helpers of the Results panel: columns read safely from run frames, slider stops, and writing the filtered
frames (no widgets here, so they are tested without a kernel)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, RunDirectoryError
from ..vocabulary import label

__all__ = [
    "TASK_COLUMNS",
    "LONG_COLUMNS",
    "TASK_SEARCH",
    "pairs",
    "object_column",
    "frame_key",
    "reason_column",
    "time_options",
    "export_folder",
    "write_filtered",
    "EXPORT_NAMES",
]

#: the frames an export writes (the panel's filtered views), as ``filtered-<name>.csv`` / ``.parquet``: the run's
#: own full ``tasks.csv`` … next to them are never overwritten
EXPORT_NAMES = ("tasks", "faults", "fault_messages", "events")
#: the tasks grid's columns, in order
TASK_COLUMNS = [
    "host",
    "cluster",
    "vcenter",
    "attempt",
    "outcome",
    "fault_type",
    "fault_reason",
    "fault_message",
    "das_state_before",
    "das_state_after",
    "duration_s",
    "started_at",
    "skip_reason",
]
#: columns whose text is cut in the grids (full text in the tooltip and in the host detail)
LONG_COLUMNS = ("fault_message", "message", "output", "skip_reason")


def pairs(columns: Iterable[str]) -> list[tuple[str, str]]:
    """``(column, label)`` for a grid: each column's one label (:func:`vsphere_nb.vocabulary.label`)."""
    return [(c, label(c)) for c in columns]


#: the columns the panel's search box looks in
TASK_SEARCH = (
    "host",
    "host_moid",
    "cluster",
    "outcome",
    "fault_type",
    "fault_reason",
    "fault_message",
    "fault_output",
    "skip_reason",
    "das_state_before",
    "das_state_after",
    "task_moid",
)


def object_column(frame: pd.DataFrame, column: str, missing: Any = None) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([missing] * len(frame), index=frame.index, dtype=object)
    series = frame[column].astype(object)
    return series.where(series.notna(), missing)


def frame_key(frame: pd.DataFrame) -> pd.Series:
    return (
        object_column(frame, "host_moid", "").astype(str) + "\x00" + object_column(frame, "task_moid", "").astype(str)
    )


def reason_column(tasks: pd.DataFrame) -> pd.Series:
    reason = object_column(tasks, "fault_reason")
    return reason.where(reason.notna(), object_column(tasks, "fault_type"))


def time_options(times: pd.Series, steps: int = 60) -> list[tuple[str, pd.Timestamp]]:
    """Slider stops (whole seconds, UTC) covering ``times``; empty when there is no time."""
    if times.empty:
        return []
    lo = times.min().floor("s")
    hi = times.max().ceil("s")
    if hi <= lo:
        hi = lo + pd.Timedelta(seconds=1)
    span = int((hi - lo).total_seconds())
    n = min(span, steps)
    points = pd.date_range(lo, hi, periods=n + 1).floor("s").unique()
    fmt = "%H:%M:%S" if lo.date() == hi.date() else "%m-%d %H:%M:%S"
    return [(p.strftime(fmt), p) for p in points]


def export_folder(result: Any, text: str) -> Path:
    """Where an export goes: the folder typed in (``~`` expanded), else the run's own directory; created if needed."""
    if result is None:
        raise ConfigError("no run to export")
    text = text.strip()
    folder = Path(text).expanduser() if text else getattr(result, "run_dir", None)
    if folder is None:
        raise ConfigError("this run has no folder: enter one in 'Export to'")
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirectoryError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    return Path(folder)


def write_filtered(view: dict[str, pd.DataFrame], folder: str | os.PathLike[str], kind: str) -> list[Path]:
    """Write each filtered frame as ``filtered-{name}.{csv|parquet}`` into ``folder``; the paths written."""
    folder = Path(folder)
    written = []
    try:
        for name in EXPORT_NAMES:
            frame = view.get(name, pd.DataFrame())
            path = folder / f"filtered-{name}.{kind}"
            if kind == "csv":
                frame.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
            else:
                frame.to_parquet(path, index=False)
            written.append(path)
    except OSError as exc:
        raise RunDirectoryError(f"cannot write to {folder}: {exc.strerror or exc}") from exc
    return written
