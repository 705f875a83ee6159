"""Charts of a run as matplotlib :class:`~matplotlib.figure.Figure` objects, in one visual language.

Built with ``matplotlib.figure.Figure`` directly — no pyplot, no global figure registry, no backend switch, no
``rcParams`` — so they are safe in a notebook kernel, a web server thread or the CLI alike, and are freed with
their last reference. Jupyter shows a ``Figure`` inline and a saved notebook keeps it as a PNG; :func:`figure_png`
renders one to PNG bytes (the HTML report embeds those). Every function accepts an empty frame and then returns a
figure that says so.

One visual language: each outcome has one colour (:data:`vsphere_nb.tables.palette.OUTCOME_COLORS`), each diagnosed cause
one colour (:func:`vsphere_nb.tables.palette.cause_color`), each event category one colour and marker — the same in every
chart, the report, the panels and the terminal. Counts are whole numbers on integer axes; titles sit on the left;
caps ("30 of 40 clusters shown") are written under the chart.

* :func:`outcomes_by_cluster` — hosts per outcome per cluster, sorted horizontal stacked bars (worst on top);
* :func:`fault_reasons` — failed attempts per reason;
* :func:`task_timeline` — a Gantt chart (queued, then running, coloured by outcome; canaries outlined) above the
  tasks in flight, with the run's caps drawn as dashed lines;
* :func:`events_swimlane` — one lane per host, one marker per event, shape and colour by category
  (:func:`events_over_time` is the old name);
* :func:`causes_by_cluster` — a heat map of diagnosed causes per cluster.
"""

from __future__ import annotations

import io
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

from ..charts._kit import (
    cluster_labels,
    figure,
    integer_axis,
    label,
    legend,
    no_data,
    note,
    style_axes,
    time_axis,
    to_num,
)
from ..charts.causes import causes_by_cluster
from ..charts.events import events_swimlane
from ..tables import palette as style
from ..tables.palette import IN_PROGRESS, IN_PROGRESS_COLOR, OUTCOME_COLORS
from .frames import latest_attempts

__all__ = [
    "OUTCOME_COLORS",
    "IN_PROGRESS_COLOR",
    "outcomes_by_cluster",
    "fault_reasons",
    "task_timeline",
    "events_swimlane",
    "events_over_time",
    "causes_by_cluster",
    "figure_png",
    "min_text_px",
]

_ORDER = (*style.OUTCOME_ORDER, IN_PROGRESS)
#: outcomes that are not a problem when ranking clusters
_FINE = {"success", "skipped"}
_FAILED = ["fault", "launch_failed", "timed_out", "agent_unhealthy", "cancelled"]


def _outcome_labels(tasks: pd.DataFrame) -> pd.Series:
    return tasks["outcome"].astype(object).where(tasks["outcome"].notna(), IN_PROGRESS)


# -- outcomes per cluster ------------------------------------------------------------------------------------------
def outcomes_by_cluster(tasks: pd.DataFrame, *, max_clusters: int = 30) -> Figure:
    """Hosts per outcome in each cluster (latest attempt of each host) as horizontal stacked bars.

    Clusters are sorted worst first (most hosts not ``success``/``skipped``, then most hosts, then name) and drawn
    top to bottom; the host axis has whole numbers only. With more than ``max_clusters`` clusters the worst are
    shown and a note says how many were left out. One bar segment (``Rectangle``) per cluster and outcome present.
    """
    title = "Outcome by cluster"
    if tasks.empty:
        return no_data(title)
    latest = latest_attempts(tasks)
    table = pd.crosstab(cluster_labels(latest), _outcome_labels(latest))
    table = table[[o for o in _ORDER if o in table.columns]]
    bad = table.drop(columns=[c for c in table.columns if c in _FINE]).sum(axis=1)
    rank = pd.DataFrame({"bad": -bad, "total": -table.sum(axis=1), "name": table.index}, index=table.index)
    table = table.loc[rank.sort_values(["bad", "total", "name"], kind="stable").index]
    total_clusters = len(table)
    table = table.iloc[:max_clusters]
    fig = figure(1.3 + 0.32 * len(table))
    ax = style_axes(fig.add_subplot(), title)
    y = np.arange(len(table))
    left = np.zeros(len(table))
    for outcome in table.columns:
        values = table[outcome].to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=style.outcome_color(outcome), height=0.7, label=outcome)
        left += values
    for row, total in enumerate(left):
        ax.text(total, row, f" {int(total)}", va="center", fontsize=style.SMALL_SIZE, color=style.TEXT_MUTED)
    ax.set_yticks(y, [label(c, 32) for c in table.index])
    ax.invert_yaxis()
    ax.set_xlabel("hosts (latest attempt)", fontsize=style.FONT_SIZE)
    integer_axis(ax, "x")
    ax.set_xlim(right=max(1.0, float(left.max())) * 1.08)
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=style.SMALL_SIZE, frameon=False)
    if total_clusters > len(table):
        note(fig, f"{total_clusters - len(table)} of {total_clusters} clusters not shown (fewest problems)")
    return fig


# -- fault reasons ------------------------------------------------------------------------------------------------
def fault_reasons(tasks: pd.DataFrame, *, top: int = 15) -> Figure:
    """Horizontal bars: failed attempts per fault reason (``fault_reason``, else ``fault_type``, else outcome).

    Counts attempts whose outcome is a failure (``fault``, ``launch_failed``, ``timed_out``, ``agent_unhealthy``,
    ``cancelled``); the ``top`` most frequent reasons, the rest summed as "other". One bar per reason shown, in
    the colour of the outcome most of its attempts ended with.
    """
    title = "Why hosts failed"
    failed = tasks[tasks["outcome"].isin(_FAILED)]
    if failed.empty:
        return no_data(title, "no failures")
    reason = failed["fault_reason"].astype(object)
    reason = reason.where(reason.notna(), failed["fault_type"].astype(object))
    reason = reason.where(reason.notna(), failed["outcome"].astype(object)).astype(str)
    counts = reason.value_counts()
    outcome_of = pd.crosstab(reason, failed["outcome"].astype(object)).idxmax(axis=1)
    colors = {r: style.outcome_color(cast(Any, outcome_of.get(r))) for r in counts.index}  # an outcome name
    if len(counts) > top:
        other = counts.iloc[top - 1 :].sum()
        counts = pd.concat([counts.iloc[: top - 1], pd.Series({"other": other})])
        colors["other"] = style.OUTCOME_COLORS["fault"]
    fig = figure(1.0 + 0.3 * len(counts))
    ax = style_axes(fig.add_subplot(), title)
    y = np.arange(len(counts))
    ax.barh(y, counts.to_numpy(), color=[colors[r] for r in counts.index], height=0.7)
    for row, value in enumerate(counts.to_numpy()):
        ax.text(float(value), row, f" {value}", va="center", fontsize=style.SMALL_SIZE, color=style.TEXT_MUTED)
    ax.set_yticks(y, [label(r, 44) for r in counts.index])
    ax.invert_yaxis()
    ax.set_xlabel("failed attempts", fontsize=style.FONT_SIZE)
    integer_axis(ax, "x")
    ax.set_xlim(right=max(1.0, float(counts.max())) * 1.1)
    present = [o for o in _FAILED if o in set(failed["outcome"].astype(object))]
    legend(ax, [(o, style.outcome_color(o)) for o in present])
    return fig


# -- task timeline ------------------------------------------------------------------------------------------------
def _in_flight(begin: np.ndarray, end: np.ndarray, groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Step function of tasks in flight: times and counts after each change; with ``groups``, the largest count of
    any one group (the busiest cluster) at each time. O(n log n)."""
    times = np.concatenate([begin, end])
    deltas = np.concatenate([np.ones(len(begin), dtype=int), -np.ones(len(end), dtype=int)])
    order = np.lexsort((deltas, times))  # at equal times, ends (-1) before starts
    if groups is None:
        return times[order], np.cumsum(deltas[order])
    keys = np.concatenate([groups, groups])[order]
    current: dict[Any, int] = {}
    histogram: dict[int, int] = {}
    top = 0
    peak = np.empty(len(order), dtype=int)
    for i, (key, delta) in enumerate(zip(keys, deltas[order])):
        before = current.get(key, 0)
        after = before + int(delta)
        current[key] = after
        if before:
            histogram[before] -= 1
        histogram[after] = histogram.get(after, 0) + 1
        if after > top:
            top = after
        while top > 0 and not histogram.get(top):
            top -= 1
        peak[i] = top
    return times[order], peak


def task_timeline(tasks: pd.DataFrame, *, max_hosts: int = 50, limits: Any = None) -> Figure:
    """A Gantt chart of the tasks over the tasks in flight, in UTC.

    Top: one row per task, by launch time — a pale segment while vCenter queued it (``queued_at`` →
    ``started_at``), a solid one while it ran (→ ``completed_at``), coloured by outcome; canary tasks are outlined
    in black and a dotted line marks when the first non-canary started. A task still running (or timed out) is
    drawn up to the latest time in the run. With more than ``max_hosts`` tasks the first ``max_hosts`` are drawn
    and a note says so (one solid bar ``Rectangle`` per task drawn, plus one pale one per queued task).

    Bottom: tasks in flight over time (all tasks, not only those drawn) and the busiest cluster's; with
    ``limits`` (a :class:`~vsphere_nb.batch.BatchLimits`, e.g. ``result.limits``) the caps ``max_in_flight`` and
    ``per_cluster`` are dashed lines, so a run that sat at its cap shows it.
    """
    title = "Task timeline (UTC)"
    started = tasks[tasks["started_at"].notna()].copy()
    if started.empty:
        return no_data(title, "no task started")
    latest = pd.concat([tasks["completed_at"].dropna(), tasks["started_at"].dropna()]).max()
    queued = started["queued_at"].where(started["queued_at"].notna(), started["started_at"])
    queued = queued.where(queued <= started["started_at"], started["started_at"])
    started["_launch"] = queued
    started = started.sort_values(["_launch", "started_at", "host"], kind="stable")
    total = len(started)
    ends_all = started["completed_at"].where(started["completed_at"].notna(), latest)
    shown = started.iloc[:max_hosts]
    q = to_num(shown["_launch"])
    s = to_num(shown["started_at"])
    e = to_num(ends_all.loc[shown.index])
    outcomes = _outcome_labels(shown).tolist()
    colors = [style.outcome_color(o if o != IN_PROGRESS else None) for o in outcomes]
    canary = (
        shown["canary"].fillna(False).astype(bool).to_numpy()
        if "canary" in shown.columns
        else np.zeros(len(shown), bool)
    )

    gantt_height = 0.6 + 0.2 * len(shown)
    fig = figure(gantt_height + 2.0)
    grid = fig.add_gridspec(2, 1, height_ratios=[max(gantt_height, 1.2), 1.3])
    ax = style_axes(fig.add_subplot(grid[0]), title)
    y = np.arange(len(shown))
    minimum = 1e-6
    waited = s - q > minimum
    if waited.any():
        ax.barh(
            y[waited],
            (s - q)[waited],
            left=q[waited],
            color=[colors[i] for i in np.flatnonzero(waited)],
            alpha=0.3,
            height=0.6,
        )
    ax.barh(
        y,
        np.maximum(e - s, minimum),
        left=s,
        color=colors,
        height=0.6,
        edgecolor=["black" if c else "none" for c in canary],
        linewidth=[1.0 if c else 0.0 for c in canary],
    )
    labels = [
        f"{label(h, 28)} #{a}" if a > 1 else label(h, 28)
        for h, a in zip(shown["host"].astype(object), shown["attempt"].fillna(1).astype(int))
    ]
    ax.set_yticks(y, labels, fontsize=style.SMALL_SIZE)
    ax.invert_yaxis()
    all_canary = started["canary"].fillna(False).astype(bool) if "canary" in started.columns else None
    if all_canary is not None and all_canary.any() and (~all_canary).any():
        gate = to_num(started.loc[~all_canary, "_launch"]).min()
        ax.axvline(gate, color="black", linestyle=":", linewidth=1)
        ax.text(gate, -0.6, " canaries passed", fontsize=style.SMALL_SIZE, va="bottom", color="black")
    present = [o for o in _ORDER if o in set(outcomes)]
    legend(ax, [(o, style.outcome_color(o if o != IN_PROGRESS else None)) for o in present])
    ax.tick_params(labelbottom=False)

    flight = style_axes(fig.add_subplot(grid[1], sharex=ax), None, grid="y")
    all_q = to_num(started["_launch"])
    all_e = to_num(ends_all)
    times, counts = _in_flight(all_q, all_e)
    flight.step(times, counts, where="post", color=style.HOST_STATE_COLORS["running"], linewidth=1.4, label="in flight")
    clusters = cluster_labels(started).to_numpy()
    if len(set(clusters)) > 1:
        ctimes, ccounts = _in_flight(all_q, all_e, clusters)
        flight.step(
            ctimes,
            ccounts,
            where="post",
            color=style.TEXT_MUTED,
            linewidth=1.0,
            linestyle="-",
            label="busiest cluster",
        )
    top = int(counts.max()) if len(counts) else 1
    if limits is not None:
        caps = [
            (getattr(limits, "max_in_flight", None), "max in flight"),
            (getattr(limits, "per_cluster", None), "per cluster"),
        ]
        for value, name in caps:
            if value:
                flight.axhline(value, color=style.OUTCOME_COLORS["fault"], linestyle="--", linewidth=1)
                flight.text(
                    1.0,
                    value,
                    f" {name} {value}",
                    transform=flight.get_yaxis_transform(),
                    fontsize=style.SMALL_SIZE,
                    va="center",
                    color=style.OUTCOME_COLORS["fault"],
                    clip_on=False,
                )
                top = max(top, int(value))
    flight.set_ylabel("tasks in flight", fontsize=style.FONT_SIZE)
    integer_axis(flight, "y")
    flight.set_ylim(top=top * 1.15 + 0.5)
    flight.legend(loc="upper left", bbox_to_anchor=(1.005, 0.6), fontsize=style.SMALL_SIZE, frameon=False)
    time_axis(flight)
    if total > len(shown):
        note(fig, f"showing the first {len(shown)} of {total} tasks by launch time; tasks in flight counts all")
    return fig


def events_over_time(events: pd.DataFrame, **kwargs: Any) -> Figure:
    """The old name of :func:`events_swimlane` (the line chart it drew is gone)."""
    return events_swimlane(events, **{k: v for k, v in kwargs.items() if k in ("max_hosts", "max_points")})


# -- output -------------------------------------------------------------------------------------------------------
def min_text_px(fig: Figure) -> float:
    """The height in pixels of the smallest visible text of ``fig`` in its PNG (:func:`figure_png`)."""
    sizes = [float(t.get_fontsize()) for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return min(sizes, default=0.0) * style.DPI / 72.0


def figure_png(fig: Figure, *, dpi: int = style.DPI) -> bytes:
    """PNG bytes of ``fig`` (Agg renderer, no pyplot)."""
    # lazy: the Agg backend loads with the first PNG
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
