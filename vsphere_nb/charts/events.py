"""The event swimlane: one lane per host, one marker per event, shaped and coloured by the event's category — the
run's events and the HA history alike (the run's charts, the diagnosis panel, the runbook and the report)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..tables import palette as style
from ..tables.categories import EVENT_CATEGORIES, event_category
from ._kit import cluster_labels, figure, label, no_data, note, style_axes, time_axis, to_num

__all__ = ["events_swimlane"]


def _categories(data: pd.DataFrame) -> np.ndarray:
    """The ``category`` column where the frame has one, else the category of ``event_type_id``."""
    kinds = (
        data["event_type_id"].astype(object) if "event_type_id" in data.columns else pd.Series(None, index=data.index)
    )
    derived = np.array([event_category(k) for k in kinds.to_numpy()], dtype=object)
    if "category" not in data.columns:
        return derived
    given = data["category"].astype(object).to_numpy()
    return np.where(pd.isna(given), derived, given)


def events_swimlane(
    events: pd.DataFrame | None,
    *,
    hosts: Iterable[str | tuple[str, str]] | None = None,
    max_hosts: int = 40,
    max_points: int = 600,
) -> Figure:
    """One lane per host (grouped by cluster), one marker per event at its time (UTC); marker shape and colour say
    the event's category (:data:`vsphere_nb.tables.categories.EVENT_CATEGORIES`, the frames' ``category`` column;
    :data:`vsphere_nb.tables.palette.EVENT_CATEGORY_STYLE`), errors and warnings drawn larger.

    ``hosts`` (``(vcenter, host_moid)`` keys, names or moIds) keeps those hosts' lanes only. With more than ``max_hosts`` hosts, the hosts with
    the most errors and warnings get a lane and a note says how many were left out. Events closer than 1/``max_points`` of the time span in one lane and category are drawn
    once, so a million events still draw quickly. One ``Line2D`` per category present.
    """
    title = "Events by host (UTC)"
    data = events[events["created_time"].notna()] if events is not None and not events.empty else events
    if data is not None and hosts is not None and not data.empty:
        wanted = list(hosts)
        keys = {(str(h[0]), str(h[1])) for h in wanted if isinstance(h, tuple) and len(h) == 2}
        plain = {str(h) for h in wanted if not isinstance(h, tuple)}
        moids = data["host_moid"].astype(str) if "host_moid" in data.columns else pd.Series("", index=data.index)
        picked = moids.isin(plain)
        if "host" in data.columns:
            picked |= data["host"].astype(str).isin(plain)
        if keys and "vcenter" in data.columns:
            picked |= pd.Series(list(zip(data["vcenter"].astype(str), moids)), index=data.index).isin(keys)
        data = data[picked]
    if data is None or data.empty:
        fig = no_data(title)
        return fig
    frame = pd.DataFrame(
        {
            "cluster": cluster_labels(data).to_numpy(),
            "host": data["host"].astype(object).where(data["host"].notna(), "(vCenter)").astype(str).to_numpy(),
            "time": to_num(data["created_time"]),
        }
    )
    severity = data["severity"].astype(object) if "severity" in data.columns else pd.Series(None, index=data.index)
    frame["category"] = _categories(data)
    frame["serious"] = severity.isin(["error", "warning"]).to_numpy()
    frame["lane"] = list(zip(frame["cluster"], frame["host"]))
    serious = frame["serious"]
    score = serious.groupby(frame["lane"]).sum().sort_values(ascending=False, kind="stable")
    lanes_total = len(score)
    keep = sorted(score.index[:max_hosts])
    frame = frame[frame["lane"].isin(set(keep))]
    position = {lane: i for i, lane in enumerate(keep)}
    frame["y"] = frame["lane"].map(position)
    span = max(float(frame["time"].max() - frame["time"].min()), 1e-9)
    frame["bucket"] = np.floor((frame["time"] - frame["time"].min()) / span * max_points)
    drawn = frame.sort_values("serious", ascending=False, kind="stable").drop_duplicates(["y", "category", "bucket"])

    fig = figure(1.3 + 0.24 * len(keep))
    ax = style_axes(fig.add_subplot(), title, grid="x")
    clusters = [lane[0] for lane in keep]
    several = len(set(clusters)) > 1
    for i, cluster in enumerate(clusters):
        if i and cluster != clusters[i - 1]:
            ax.axhline(i - 0.5, color="#bdbdbd", linewidth=0.8)
        if several and (i == 0 or cluster != clusters[i - 1]):
            ax.text(
                1.0,
                i - 0.45,
                label(cluster, 30) + " ",
                transform=ax.get_yaxis_transform(),
                ha="right",
                va="top",
                fontsize=style.SMALL_SIZE,
                color=style.TEXT_MUTED,
                fontstyle="italic",
            )
    handles = []
    counts = frame["category"].value_counts()
    for category in EVENT_CATEGORIES:
        points = drawn[drawn["category"] == category]
        if points.empty:
            continue
        color, marker = style.EVENT_CATEGORY_STYLE[category]
        size = 7 if points["serious"].any() else 5
        ax.plot(
            points["time"],
            points["y"],
            linestyle="none",
            marker=marker,
            color=color,
            markersize=size,
            alpha=0.85,
            label=category,
        )
        handles.append(
            Line2D([], [], linestyle="none", marker=marker, color=color, label=f"{category} ({int(counts[category])})")
        )
    ax.set_yticks(range(len(keep)), [label(h, 34) for _, h in keep], fontsize=style.SMALL_SIZE)
    ax.set_ylim(len(keep) - 0.5, -0.5)
    time_axis(ax)
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.005, 1.0),
        fontsize=style.SMALL_SIZE,
        frameon=False,
        title="events",
        title_fontsize=style.SMALL_SIZE,
    )
    if lanes_total > len(keep):
        note(fig, f"{len(keep)} of {lanes_total} hosts shown (most errors and warnings)")
    return fig
