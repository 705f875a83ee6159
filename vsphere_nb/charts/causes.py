"""Causes by cluster: the heat map the run's charts, the diagnosis panel, the runbook and the report all draw."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..tables import palette as style
from ._kit import cluster_labels, figure, label, no_data, note, style_axes

__all__ = ["causes_by_cluster"]


def _tint(color: str, strength: float) -> tuple[float, float, float]:
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return (1 - strength * (1 - r), 1 - strength * (1 - g), 1 - strength * (1 - b))


def causes_by_cluster(diagnosis: pd.DataFrame | None, *, max_clusters: int = 30, max_causes: int = 12) -> Figure:
    """A heat map: hosts per diagnosed cause (columns) in each cluster (rows).

    ``diagnosis`` has one row per host and cause (columns ``vcenter, cluster, host, cause, scope``; only
    ``cluster``, ``host`` and ``cause`` are needed). Each column is tinted in its cause's colour
    (:func:`vsphere_nb.tables.palette.cause_color`), darker for more hosts, and every non-empty cell shows its count. Rows
    and columns are sorted by hosts, most first; past ``max_clusters`` rows / ``max_causes`` columns the rest are
    left out (rows) or summed as "other" (columns), with a note.
    """
    title = "Causes by cluster"
    if diagnosis is None or diagnosis.empty or "cause" not in diagnosis.columns:
        return no_data(title, "no causes diagnosed")
    data = diagnosis[diagnosis["cause"].notna()]
    if data.empty:
        return no_data(title, "no causes diagnosed")
    frame = pd.DataFrame(
        {
            "cluster": cluster_labels(data).to_numpy(),
            "host": data["host"].astype(str).to_numpy() if "host" in data.columns else np.arange(len(data)),
            "cause": data["cause"].astype(str).to_numpy(),
        }
    ).drop_duplicates()
    cause_totals = frame.groupby("cause")["host"].nunique().sort_values(ascending=False, kind="stable")
    cause_totals = cause_totals.loc[sorted(cause_totals.index, key=lambda c: (-cause_totals[c], c))]
    notes = []
    if len(cause_totals) > max_causes:
        keep = set(cause_totals.index[: max_causes - 1])
        notes.append(f"{len(cause_totals) - len(keep)} rarer causes summed as 'other'")
        frame["cause"] = frame["cause"].where(frame["cause"].isin(keep), "other")
    table = frame.drop_duplicates().pivot_table(
        index="cluster", columns="cause", values="host", aggfunc="nunique", fill_value=0
    )
    columns = sorted(table.columns, key=lambda c: (c == "other", -int(table[c].to_numpy().sum()), c))
    rows = sorted(table.index, key=lambda r: (-int(table.loc[r].to_numpy().sum()), r))
    if len(rows) > max_clusters:
        notes.insert(0, f"{len(rows) - max_clusters} of {len(rows)} clusters not shown (fewest hosts)")
        rows = rows[:max_clusters]
    table = table.loc[rows, columns]
    values = table.to_numpy(dtype=float)
    peak = max(float(values.max()), 1.0)
    colours = style.cause_colors(columns)
    image = np.ones((*values.shape, 3))
    for j, cause in enumerate(columns):
        for i in range(len(rows)):
            if values[i, j] > 0:
                image[i, j] = _tint(colours[cause], 0.2 + 0.8 * values[i, j] / peak)

    fig = figure(1.6 + 0.3 * len(rows))  # the house width: a chart shown at the page width keeps its text size
    ax = style_axes(fig.add_subplot(), title, grid=None)
    ax.imshow(image, aspect="auto", interpolation="nearest")
    for i in range(len(rows)):
        for j in range(len(columns)):
            if values[i, j] > 0:
                r, g, b = image[i, j]
                text = style.text_color_on(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
                ax.text(j, i, str(int(values[i, j])), ha="center", va="center", fontsize=style.SMALL_SIZE, color=text)
    ax.set_xticks(range(len(columns)), [label(c.replace("_", " "), 24) for c in columns], rotation=35, ha="right")
    ax.set_yticks(range(len(rows)), [label(r, 32) for r in rows])
    ax.set_xticks(np.arange(-0.5, len(columns)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows)), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    if notes:
        note(fig, "; ".join(notes))
    return fig
