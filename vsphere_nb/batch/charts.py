"""Charts of a run as matplotlib :class:`~matplotlib.figure.Figure` objects.

Built with ``matplotlib.figure.Figure`` directly — no pyplot, no global figure registry, no backend switch — so
they are safe in a notebook kernel, a web server thread or the CLI alike, and are freed with their last
reference. Every function accepts an empty frame and then returns a figure that says "no data".
Jupyter shows a ``Figure`` inline; :func:`figure_png` renders one to PNG bytes (the HTML report embeds those).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.figure import Figure

from ..style import IN_PROGRESS, IN_PROGRESS_COLOR, OUTCOME_COLORS
from .frames import latest_attempts
from .records import OUTCOMES

__all__ = [
    "OUTCOME_COLORS",
    "IN_PROGRESS_COLOR",
    "outcomes_by_cluster",
    "fault_reasons",
    "task_timeline",
    "events_over_time",
    "figure_png",
]

_IN_PROGRESS = IN_PROGRESS

#: time bucket sizes tried by :func:`events_over_time`, in seconds
_BUCKETS = (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)


def _figure(width: float = 8.0, height: float = 4.5) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _no_data(title: str, text: str = "no data") -> Figure:
    fig = _figure(6, 2.5)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666666")
    return fig


def _outcome_labels(tasks: pd.DataFrame) -> pd.Series:
    return tasks["outcome"].astype(object).where(tasks["outcome"].notna(), _IN_PROGRESS)


def _color(outcome: str) -> str:
    return OUTCOME_COLORS.get(outcome, IN_PROGRESS_COLOR)


def outcomes_by_cluster(tasks: pd.DataFrame, *, max_clusters: int = 30) -> Figure:
    """Stacked bars: hosts per outcome in each cluster (latest attempt of each host).

    With more than ``max_clusters`` clusters, the ones with the most non-successful hosts are shown and a note
    says how many were left out. One bar segment (``Rectangle``) per cluster and outcome present.
    """
    title = "Outcome by cluster"
    if tasks.empty:
        return _no_data(title)
    latest = latest_attempts(tasks)
    clusters = latest["cluster"].astype(object).fillna("(no cluster)")
    table = pd.crosstab(clusters, _outcome_labels(latest))
    order = [o for o in (*OUTCOMES, _IN_PROGRESS) if o in table.columns]
    table = table[order]
    note = None
    if len(table) > max_clusters:
        bad = table.drop(columns=[c for c in ("success",) if c in table.columns]).sum(axis=1)
        keep = bad.sort_values(ascending=False, kind="stable").index[:max_clusters]
        note = f"{len(table) - max_clusters} of {len(table)} clusters not shown (fewest problems)"
        table = table.loc[keep]
    table = table.sort_index()
    fig = _figure(max(6.0, min(16.0, 1.0 + 0.45 * len(table))), 4.8)
    ax = fig.add_subplot()
    x = np.arange(len(table))
    bottom = np.zeros(len(table))
    for outcome in table.columns:
        values = table[outcome].to_numpy(dtype=float)
        ax.bar(x, values, bottom=bottom, label=outcome, color=_color(outcome), width=0.8)
        bottom += values
    ax.set_xticks(
        x,
        [str(c) for c in table.index],
        rotation=45 if len(table) > 6 else 0,
        ha="right" if len(table) > 6 else "center",
    )
    ax.set_ylabel("hosts")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    if note:
        fig.text(0.01, 0.01, note, fontsize="small", color="#666666")
    return fig


def fault_reasons(tasks: pd.DataFrame, *, top: int = 15) -> Figure:
    """Horizontal bars: failed attempts per fault reason (``fault_reason``, else ``fault_type``, else outcome).

    Counts attempts whose outcome is a failure (``fault``, ``launch_failed``, ``timed_out``, ``agent_unhealthy``,
    ``cancelled``); the ``top`` most frequent reasons, the rest summed as "other". One bar per reason shown.
    """
    title = "Why hosts failed"
    failed = tasks[tasks["outcome"].isin(["fault", "launch_failed", "timed_out", "agent_unhealthy", "cancelled"])]
    if failed.empty:
        return _no_data(title, "no failures")
    label = failed["fault_reason"].astype(object)
    label = label.where(label.notna(), failed["fault_type"].astype(object))
    label = label.where(label.notna(), failed["outcome"].astype(object))
    counts = label.value_counts()
    if len(counts) > top:
        other = counts.iloc[top - 1 :].sum()
        counts = pd.concat([counts.iloc[: top - 1], pd.Series({"other": other})])
    counts = counts.iloc[::-1]  # largest on top
    fig = _figure(8, max(2.5, 0.9 + 0.35 * len(counts)))
    ax = fig.add_subplot()
    ax.barh([str(i) for i in counts.index], counts.to_numpy(), color="#c62828")
    for y, value in enumerate(counts.to_numpy()):
        ax.text(value, y, f" {value}", va="center", fontsize="small")
    ax.set_xlabel("failed attempts")
    ax.set_title(title)
    return fig


def task_timeline(tasks: pd.DataFrame, *, max_hosts: int = 50) -> Figure:
    """One bar per task from ``started_at`` to ``completed_at`` (UTC), coloured by outcome.

    Tasks without a start are left out; a task still running (or timed out) is drawn up to the latest time in
    the run. With more than ``max_hosts`` tasks, the first ``max_hosts`` by start time are drawn and a note says
    so. One bar (``Rectangle``) per task drawn.
    """
    title = "Task timeline (UTC)"
    started = tasks[tasks["started_at"].notna()].sort_values(["started_at", "host"], kind="stable")
    if started.empty:
        return _no_data(title, "no task started")
    total = len(started)
    shown = started.iloc[:max_hosts]
    latest = pd.concat([tasks["completed_at"].dropna(), tasks["started_at"].dropna()]).max()
    begin = mdates.date2num(shown["started_at"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy())
    end_times = shown["completed_at"].where(shown["completed_at"].notna(), latest)
    end = mdates.date2num(end_times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy())
    outcomes = _outcome_labels(shown).tolist()
    fig = _figure(9, max(2.5, 1.2 + 0.22 * len(shown)))
    ax = fig.add_subplot()
    y = np.arange(len(shown))
    ax.barh(y, np.maximum(end - begin, 1e-6), left=begin, color=[_color(o) for o in outcomes], height=0.7)
    labels = [f"{h} #{a}" if a > 1 else str(h) for h, a in zip(shown["host"].astype(object), shown["attempt"])]
    ax.set_yticks(y, labels, fontsize="x-small")
    ax.invert_yaxis()
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_title(title)
    present = [o for o in (*OUTCOMES, _IN_PROGRESS) if o in set(outcomes)]
    from matplotlib.patches import Patch

    ax.legend(
        handles=[Patch(color=_color(o), label=o) for o in present],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize="small",
        frameon=False,
    )
    if total > len(shown):
        fig.text(
            0.01,
            0.01,
            f"showing the first {len(shown)} of {total} tasks by start time",
            fontsize="small",
            color="#666666",
        )
    return fig


def _bucket_seconds(span_s: float, buckets: int) -> int:
    for size in _BUCKETS:
        if span_s / size <= buckets:
            return size
    return _BUCKETS[-1]


def events_over_time(events: pd.DataFrame, *, top_types: int = 8, buckets: int = 48) -> Figure:
    """Events per time bucket, one line per event type (``event_type_id``); the ``top_types`` most frequent
    types are drawn, the rest summed as "other". The bucket size is picked so there are at most ``buckets``."""
    title = "Events over time (UTC)"
    data = events[events["created_time"].notna()] if not events.empty else events
    if data.empty:
        return _no_data(title)
    times = data["created_time"]
    span = (times.max() - times.min()).total_seconds()
    size = _bucket_seconds(span, buckets)
    bucket = times.dt.floor(f"{size}s")
    kinds = data["event_type_id"].astype(object).fillna("(unknown)")
    counts_by_type = kinds.value_counts()
    if len(counts_by_type) > top_types:
        keep = set(counts_by_type.index[: top_types - 1])
        kinds = kinds.where(kinds.isin(keep), "other")
    table = pd.crosstab(bucket, kinds)
    order = [k for k in counts_by_type.index if k in table.columns] + (["other"] if "other" in table.columns else [])
    table = table[order].sort_index()
    fig = _figure(9, 4.5)
    ax = fig.add_subplot()
    x = mdates.date2num(table.index.tz_convert("UTC").tz_localize(None).to_numpy())
    for kind in table.columns:
        ax.plot(
            x, table[kind].to_numpy(), marker="o" if len(table) < 30 else None, markersize=3, label=_short(str(kind))
        )
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylabel(f"events per {_duration(size)}")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="x-small", frameon=False)
    return fig


def _short(text: str, limit: int = 48) -> str:
    text = text.removeprefix("com.vmware.vc.")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0 and seconds >= size:
            n = seconds // size
            return f"{n} {unit}" if unit != "day" else f"{n} day{'s' if n > 1 else ''}"
    return f"{seconds} s"


def figure_png(fig: Figure, *, dpi: int = 100) -> bytes:
    """PNG bytes of ``fig`` (Agg renderer, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
