"""Diagnosis charts as matplotlib ``Figure`` objects (no pyplot): causes by cluster, and an event swimlane.

* :func:`causes_by_cluster` — stacked bars, one per cluster, one colour per cause (the triage board's colours);
* :func:`event_swimlane` — hosts × time, one marker per event, shaped and coloured by category (history and
  run together), so a cluster-wide problem shows as a vertical band and a flapping host as a busy lane.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from .. import style
from ..safetext import chart_text, visible
from ..wire.categories import EVENT_CATEGORIES
from .result import CAUSE_COLOURS
from .rules import CAUSES

__all__ = ["causes_by_cluster", "event_swimlane", "CATEGORY_STYLE"]

#: marker and colour per event category
CATEGORY_STYLE: dict[str, tuple[str, str]] = {
    "agent-error": ("x", "#d62728"),
    "state-change": ("o", "#1f77b4"),
    "isolation": ("D", "#ff7f0e"),
    "partition": ("s", "#9467bd"),
    "network": ("^", "#8c564b"),
    "host-failure": ("X", "#000000"),
    "config": (".", "#7f7f7f"),
    "failover": ("*", "#e377c2"),
    "task": ("|", "#17becf"),
    "other": (".", "#c7c7c7"),
}


def _empty(text: str) -> Figure:
    fig = Figure(figsize=(style.FIGURE_WIDTH, 2.2), dpi=style.DPI)
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, text, ha="center", va="center", color="#666", fontsize=style.FONT_SIZE)
    ax.set_axis_off()
    return fig


def causes_by_cluster(hosts: pd.DataFrame, *, max_clusters: int = 30) -> Figure:
    """Diagnosed hosts per cluster, stacked by cause (the clusters with most hosts first)."""
    if hosts is None or not len(hosts):
        return _empty("no unhealthy or failed host")
    frame = hosts.assign(
        cluster=hosts["cluster"].astype(object).fillna("(standalone)").astype(str), cause=hosts["cause"].astype(str)
    )
    table = pd.crosstab(frame["cluster"], frame["cause"])
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index[:max_clusters]]
    causes = [c for c in CAUSES if c in table.columns]
    fig = Figure(figsize=(style.FIGURE_WIDTH, 4.2), dpi=style.DPI)  # the house width: text keeps its size
    ax = fig.add_subplot()
    bottom = [0] * len(table)
    x = list(range(len(table)))
    for cause in causes:
        values = table[cause].tolist()
        ax.bar(x, values, bottom=bottom, label=cause, color=CAUSE_COLOURS.get(cause, "#ccc"))
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_xticks(x, [chart_text(visible(c)) for c in table.index])  # names as written, never math text
    ax.set_ylabel("hosts", fontsize=style.FONT_SIZE)
    ax.set_title("Causes by cluster", fontsize=style.TITLE_SIZE, loc="left", fontweight="bold")
    ax.tick_params(axis="x", rotation=45, labelsize=style.SMALL_SIZE)
    ax.tick_params(axis="y", labelsize=style.SMALL_SIZE)
    ax.legend(fontsize=style.SMALL_SIZE, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def _lane_names(frame: pd.DataFrame) -> pd.Series:
    """A lane label per event: the host's name (its moId when the frame has no names), with the vCenter when
    the same name is in several vCenters."""
    moids = frame["host_moid"].astype(str) if "host_moid" in frame.columns else pd.Series("", index=frame.index)
    names = frame["host"].astype(object).where(frame["host"].notna(), moids) if "host" in frame.columns else moids
    names = names.astype(str)
    if "vcenter" in frame.columns:
        vcs = frame["vcenter"].astype(str)
        per_name = pd.DataFrame({"n": names, "v": vcs}).groupby("n")["v"].nunique()
        twins = names.map(per_name) > 1
        names = names.where(~twins, names + " (" + vcs + ")")
    return names


def event_swimlane(events: pd.DataFrame, *, hosts: Any = None, max_hosts: int = 40) -> Figure:
    """One lane per host (the ``max_hosts`` busiest, or the given ``hosts``: ``(vcenter, host_moid)`` keys,
    names or moIds), a marker per event by category."""
    if events is None or not len(events) or "created_time" not in events.columns:
        return _empty("no events in the window")
    frame = events
    if hosts is not None:
        hosts = list(hosts)
        keys = {(str(h[0]), str(h[1])) for h in hosts if isinstance(h, tuple) and len(h) == 2}
        plain = {str(h) for h in hosts if not isinstance(h, tuple)}
        moids = frame["host_moid"].astype(str) if "host_moid" in frame.columns else pd.Series("", index=frame.index)
        picked = moids.isin(plain)
        if "host" in frame.columns:
            picked |= frame["host"].astype(str).isin(plain)
        if keys and "vcenter" in frame.columns:
            picked |= pd.Series(list(zip(frame["vcenter"].astype(str), moids)), index=frame.index).isin(keys)
        frame = frame[picked]
    has_host = frame["host"].notna() if "host" in frame.columns else frame["host_moid"].notna()
    frame = frame[has_host & frame["created_time"].notna()]
    if not len(frame):
        return _empty("no host events in the window")
    names = _lane_names(frame)
    lanes = names.value_counts().index[:max_hosts].tolist()[::-1]
    position = {h: i for i, h in enumerate(lanes)}
    cats = (
        frame["category"].astype(object).fillna("other").astype(str)
        if "category" in frame.columns
        else pd.Series("other", index=frame.index)
    )
    fig = Figure(figsize=(style.FIGURE_WIDTH, max(2.5, 0.3 * len(lanes) + 1.4)), dpi=style.DPI)
    ax = fig.add_subplot()
    for cat in EVENT_CATEGORIES:
        sel = (cats == cat) & names.isin(position)
        if not sel.any():
            continue
        marker, colour = CATEGORY_STYLE.get(cat, (".", "#999"))
        times = frame.loc[sel, "created_time"].dt.tz_convert("UTC").dt.tz_localize(None)
        ys = [position[h] for h in names[sel]]
        ax.scatter(times, ys, marker=marker, color=colour, s=22, label=cat, alpha=0.8)
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([chart_text(visible(h)) for h in lanes], fontsize=style.SMALL_SIZE)
    ax.tick_params(axis="x", labelsize=style.SMALL_SIZE)
    ax.set_xlabel("time (UTC)", fontsize=style.FONT_SIZE)
    ax.set_title("HA events per host", fontsize=style.TITLE_SIZE, loc="left", fontweight="bold")
    ax.legend(fontsize=style.SMALL_SIZE, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
