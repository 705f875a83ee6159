"""The pieces every chart of :mod:`.charts` is built from, so they all look alike: the figure, the axes style,
"no data" figures, notes, legends, integer count axes and UTC time axes.

Every text drawn from server data goes through :func:`label` (plain text: a ``$`` in a name is a dollar sign,
never matplotlib math). Sizes and colours come from :mod:`vsphere_nb.tables.palette`. Styling is set on each artist, never through
``matplotlib.rcParams`` / ``rc_context``: those are process-wide and the widgets render charts on a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..safetext import chart_text, is_missing, visible
from ..tables import palette as style

__all__ = [
    "figure",
    "style_axes",
    "no_data",
    "note",
    "legend",
    "integer_axis",
    "time_axis",
    "to_num",
    "label",
    "cluster_labels",
]

SMALL = style.SMALL_SIZE


def figure(height: float, width: float = style.FIGURE_WIDTH) -> Figure:
    """A figure of the house width; ``constrained`` layout keeps long labels and outside legends in view."""
    return Figure(figsize=(width, max(2.2, min(height, 30.0))), dpi=style.DPI, layout="constrained")


def style_axes(ax: Axes, title: str | None = None, *, grid: Literal["x", "y", "both"] | None = "x") -> Axes:
    """No top/right spines, light grid lines behind the data along ``grid``, house font sizes."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#9e9e9e")
    ax.tick_params(labelsize=SMALL, color="#9e9e9e")
    if grid:
        ax.grid(axis=grid, color=style.GRID, linewidth=0.8)
        ax.set_axisbelow(True)
    if title:
        ax.set_title(title, fontsize=style.TITLE_SIZE, loc="left", fontweight="bold")
    return ax


def no_data(title: str, text: str = "no data") -> Figure:
    fig = figure(2.2)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, fontsize=style.TITLE_SIZE, loc="left", fontweight="bold")
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=style.TEXT_MUTED)
    return fig


def note(fig: Figure, text: str) -> None:
    """A muted line at the bottom left of the figure (what a cap left out)."""
    fig.text(0.005, 0.003, text, fontsize=SMALL, color=style.TEXT_MUTED, ha="left", va="bottom")


def legend(ax: Axes, items: Sequence[tuple[str, str]], *, title: str | None = None) -> None:
    """A legend of colour swatches ``(label, colour)`` outside the axes on the right."""
    if not items:
        return
    ax.legend(
        handles=[Patch(facecolor=color, label=text) for text, color in items],
        loc="upper left",
        bbox_to_anchor=(1.005, 1.0),
        fontsize=SMALL,
        title=title,
        title_fontsize=SMALL,
        frameon=False,
    )


def integer_axis(ax: Axes, which: str = "x") -> None:
    """Counts are whole: ticks only on integers (no "2.5 hosts"), starting at 0."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if which == "x":
        ax.set_xlim(left=0)
    else:
        ax.set_ylim(bottom=0)


def time_axis(ax: Axes) -> None:
    """UTC times with concise labels (the date once, then hours and minutes)."""
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def to_num(times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Matplotlib date numbers of tz-aware (UTC) or naive times."""
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return np.asarray(mdates.date2num(index.to_numpy()), dtype=float)


def label(value: object, limit: int = 40) -> str:
    """A tick label, legend entry or note of server text: cut to ``limit`` characters with an ellipsis, missing
    values as ``(none)``, shown as written (never math text: :func:`vsphere_nb.safetext.chart_text`)."""
    text = "(none)" if is_missing(value) else visible(value)
    text = text.removeprefix("com.vmware.vc.")
    return chart_text(text if len(text) <= limit else text[: limit - 1] + "…")


def cluster_labels(frame: pd.DataFrame) -> pd.Series:
    """Cluster names; ``cluster (vcenter)`` when the frame spans several vCenters; ``(no cluster)`` for none."""
    clusters = frame["cluster"].astype(object).where(frame["cluster"].notna(), "(no cluster)").astype(str)
    if "vcenter" in frame.columns and frame["vcenter"].nunique() > 1:
        clusters = clusters + " (" + frame["vcenter"].astype(str) + ")"
    return clusters
