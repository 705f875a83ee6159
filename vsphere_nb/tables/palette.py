"""One visual language for every surface: the colour of each outcome, host state, cause and event category.

Charts (:mod:`vsphere_nb.batch.charts`), the HTML report, the widgets and the terminal all take their colours from
here, so "fault" is the same red in a bar chart, a grid cell and a ``rich`` table. Plain data keyed by the
vocabulary (outcomes, causes) and the one event-category scheme (:mod:`vsphere_nb.tables.categories`), no other
imports: importing this module costs nothing (the CLI and ``import vsphere_nb`` stay fast). Every outcome, host
state, cause and event category has a colour and a label (:func:`label`); ``tests/test_tables.py`` pins it.

Colours are ``#rrggbb`` strings (matplotlib, CSS and ``rich`` all accept them). Unknown names get a colour too —
picked from :data:`QUALITATIVE` by a stable hash of the name, so the same unknown cause has the same colour in
every chart, process and run.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from ..vocabulary import CAUSES, HEALTHY_DAS_STATES, OUTCOMES, TRANSIENT_DAS_STATES
from .categories import EVENT_CATEGORIES

__all__ = [
    "OUTCOME_COLORS",
    "OUTCOME_ORDER",
    "IN_PROGRESS",
    "IN_PROGRESS_COLOR",
    "HOST_STATE_COLORS",
    "HA_HEALTH_COLORS",
    "SEVERITY_COLORS",
    "TERMINAL_STYLES",
    "CAUSE_COLORS",
    "QUALITATIVE",
    "EVENT_CATEGORIES",
    "EVENT_CATEGORY_STYLE",
    "TEXT_MUTED",
    "GRID",
    "FONT_SIZE",
    "TITLE_SIZE",
    "FIGURE_WIDTH",
    "SMALL_SIZE",
    "DPI",
    "outcome_color",
    "host_state_color",
    "ha_health",
    "ha_state_color",
    "COLORED_COLUMNS",
    "cell_color",
    "cause_color",
    "cause_colors",
    "LABELS",
    "label",
    "text_color_on",
]

#: every outcome, in the order tables, legends and stacked bars list them
OUTCOME_ORDER: tuple[str, ...] = OUTCOMES

#: one colour per outcome, the same in every chart, table and panel
OUTCOME_COLORS: dict[str, str] = {
    "success": "#2e7d32",  # green
    "agent_unhealthy": "#f9a825",  # amber: the task succeeded, the HA agent did not come up
    "fault": "#c62828",  # red
    "launch_failed": "#6a1b9a",  # purple: the request itself failed
    "skipped": "#9e9e9e",  # grey: pre-flight left it out
    "timed_out": "#ef6c00",  # orange
    "cancelled": "#455a64",  # blue grey
    "not_launched": "#cfd8dc",  # pale grey: the run stopped first
    "lost": "#4e342e",  # dark brown: the task vanished from vCenter
}
#: label and colour of an attempt still under way (no outcome yet)
IN_PROGRESS = "in progress"
IN_PROGRESS_COLOR = "#64b5f6"

#: the live state of a host in a run (``batch.progress.HOST_STATES``): outcomes keep their colours, the stages
#: before an outcome are shades of blue that darken as the host gets further
HOST_STATE_COLORS: dict[str, str] = {
    "pending": "#e3f2fd",
    "launching": "#90caf9",
    "queued": "#64b5f6",
    "running": "#1e88e5",
    "post_check": "#1565c0",
    **OUTCOME_COLORS,
}

#: an HA agent's state (``das_state``) read as health (:func:`ha_health`): healthy, on its way (an election, a
#: retry), or broken; the colour of a ``das_state`` cell and of the Hosts panel's healthy/unhealthy chips
HA_HEALTH_COLORS: dict[str, str] = {
    "healthy": OUTCOME_COLORS["success"],
    "transient": "#b35900",  # dark amber: readable as text on white
    "unhealthy": OUTCOME_COLORS["fault"],
}

#: an event's severity (the frames' ``severity`` column, one rule in :mod:`vsphere_nb.tables.events`): errors and
#: warnings stand out, information and user events stay plain
SEVERITY_COLORS: dict[str, str] = {
    "error": OUTCOME_COLORS["fault"],
    "warning": HA_HEALTH_COLORS["transient"],
}

#: one colour per cause the diagnosis names (:data:`vsphere_nb.vocabulary.CAUSES`): the triage board, the
#: diagnosis panel, the charts and the report all read it; a cause outside the vocabulary gets a stable pick
#: from :data:`QUALITATIVE`
CAUSE_COLORS: dict[str, str] = {
    "management-network": "#d62728",
    "isolation-address": "#ff7f0e",
    "datastore-access": "#8c564b",
    "agent-install": "#9467bd",
    "image-remediation": "#e377c2",
    "election": "#bcbd22",
    "certificate": "#17becf",
    "permissions": "#1f77b4",
    "host-unreachable": "#7f7f7f",
    "vsan-network": "#2ca02c",
    "timeout": "#aec7e8",
    "agent-unhealthy-after-success": "#ffbb78",
    "unknown": "#c7c7c7",
}

#: colours for names no table above knows (Okabe–Ito and Tableau hues, distinguishable for most colour vision)
QUALITATIVE: tuple[str, ...] = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#4e79a7",
    "#af7aa1",
    "#9c755f",
    "#76b7b2",
    "#59a14f",
)

#: event category (:data:`vsphere_nb.tables.categories.EVENT_CATEGORIES`, the frames' ``category`` column) ->
#: (colour, matplotlib marker); markers differ too, so the swimlane still reads in grey
EVENT_CATEGORY_STYLE: dict[str, tuple[str, str]] = {
    "agent-error": ("#d62728", "X"),
    "state-change": ("#1f77b4", "o"),
    "isolation": ("#ff7f0e", "D"),
    "partition": ("#9467bd", "s"),
    "network": ("#8c564b", "^"),
    "host-failure": ("#000000", "P"),
    "config": ("#7f7f7f", "."),
    "failover": ("#e377c2", "*"),
    "task": ("#17becf", "|"),
    "other": ("#c7c7c7", "."),
}

#: the same outcomes and states in a terminal: named ANSI colours (they follow the user's terminal theme and
#: survive 16-colour terminals, where the hex colours above would all collapse to grey)
TERMINAL_STYLES: dict[str, str] = {
    "success": "green",
    "agent_unhealthy": "yellow",
    "fault": "red",
    "launch_failed": "magenta",
    "skipped": "dim",
    "timed_out": "bright_red",
    "cancelled": "bright_black",
    "not_launched": "dim",
    "lost": "bright_magenta",
    IN_PROGRESS: "cyan",
    "pending": "dim",
    "launching": "cyan",
    "queued": "cyan",
    "running": "bright_cyan",
    "post_check": "blue",
    "healthy": "green",
    "transient": "yellow",
    "unhealthy": "red",
    "error": "red",
    "warning": "yellow",
}

#: how each outcome, host state, cause and event category reads in a legend, a chip or a column header
LABELS: dict[str, str] = {
    **{name: name.replace("_", " ") for name in OUTCOMES},
    **{name: name.replace("_", " ") for name in HOST_STATE_COLORS},
    **{name: name.replace("-", " ") for name in CAUSES},
    **{name: name.replace("-", " ") for name in EVENT_CATEGORIES},
    IN_PROGRESS: IN_PROGRESS,
}


def label(name: str | None) -> str:
    """The label of an outcome, host state, cause or event category (the name itself for anything else)."""
    if not isinstance(name, str):
        return ""
    return LABELS.get(name, name)


#: secondary text (notes, "no data"), grid lines
TEXT_MUTED = "#666666"
GRID = "#e0e0e0"
#: chart font sizes (points), the width (inches) every chart has and its resolution (dots per inch). The smallest
#: text any chart uses is SMALL_SIZE: 12.5 px in the PNG, so a chart shown at 80 % of its own width or more (a
#: notebook, Voila, the report) keeps its text at 10 px or more
FONT_SIZE = 9.0
SMALL_SIZE = 9.0
TITLE_SIZE = 11.0
FIGURE_WIDTH = 9.0
DPI = 100


def _hashed(name: str) -> str:
    return QUALITATIVE[zlib.crc32(name.encode("utf-8")) % len(QUALITATIVE)]


def outcome_color(outcome: str | None) -> str:
    """The colour of ``outcome``; :data:`IN_PROGRESS_COLOR` for ``None``/NaN/unknown (an attempt under way)."""
    if not isinstance(outcome, str):
        return IN_PROGRESS_COLOR
    return OUTCOME_COLORS.get(outcome, IN_PROGRESS_COLOR)


def host_state_color(state: str | None) -> str:
    """The colour of a live host state (``pending`` … ``not_launched``)."""
    if not isinstance(state, str):
        return HOST_STATE_COLORS["pending"]
    return HOST_STATE_COLORS.get(state, _hashed(state))


def ha_health(das_state: str | None) -> str | None:
    """``healthy`` (:data:`vsphere_nb.vocabulary.HEALTHY_DAS_STATES`), ``transient``
    (:data:`~vsphere_nb.vocabulary.TRANSIENT_DAS_STATES`), ``unhealthy`` (any other state, unknown ones included),
    or ``None`` when there is no state (missing, NaN, empty)."""
    if not isinstance(das_state, str) or not das_state:
        return None
    if das_state in HEALTHY_DAS_STATES:
        return "healthy"
    return "transient" if das_state in TRANSIENT_DAS_STATES else "unhealthy"


def ha_state_color(das_state: str | None) -> str:
    """The colour of a ``das_state`` cell (:data:`HA_HEALTH_COLORS`); ``""`` when there is no state."""
    health = ha_health(das_state)
    return "" if health is None else HA_HEALTH_COLORS[health]


#: the frame columns whose cells carry their value's colour in a grid (a dot before the text): HA states, outcomes,
#: causes, event severities. Only names the palette knows get a colour there; anything else stays plain, never a
#: guessed hue
COLORED_COLUMNS: tuple[str, ...] = ("das_state", "das_state_before", "das_state_after", "outcome", "cause", "severity")


def cell_color(column: str, value: object) -> str:
    """The colour of ``value`` in the frame column ``column`` (:data:`COLORED_COLUMNS`); ``""`` for another
    column, a missing value, or a value with no fixed colour (a cause or outcome this release does not know)."""
    if not isinstance(value, str) or not value or column not in COLORED_COLUMNS:
        return ""
    if column == "outcome":
        return OUTCOME_COLORS.get(value, "")
    if column == "cause":
        return CAUSE_COLORS.get(value, "")
    if column == "severity":
        return SEVERITY_COLORS.get(value, "")
    return ha_state_color(value)


def _cause_key(cause: str) -> str:
    return cause.strip().lower().replace(" ", "-").replace("_", "-")


def cause_color(cause: str | None) -> str:
    """The colour of a diagnosed cause: a fixed one for the causes in :data:`CAUSE_COLORS` (case, spaces and
    dashes ignored), otherwise a stable pick from :data:`QUALITATIVE`."""
    if not isinstance(cause, str) or not cause.strip():
        return CAUSE_COLORS["unknown"]
    key = _cause_key(cause)
    return CAUSE_COLORS.get(key) or _hashed(key)


def cause_colors(causes: Iterable[str]) -> dict[str, str]:
    """``{cause: colour}`` for ``causes``; fixed colours first, hashed picks moved on when two would collide."""
    result: dict[str, str] = {}
    used: set[str] = set()
    pending: list[str] = []
    for cause in dict.fromkeys(causes):
        if isinstance(cause, str) and _cause_key(cause) in CAUSE_COLORS:
            result[cause] = CAUSE_COLORS[_cause_key(cause)]
            used.add(result[cause])
        else:
            pending.append(cause)
    for cause in pending:
        color = cause_color(cause)
        if color in used:
            free = [c for c in QUALITATIVE if c not in used]
            if free:
                start = QUALITATIVE.index(color) if color in QUALITATIVE else 0
                color = min(free, key=lambda c: (QUALITATIVE.index(c) - start) % len(QUALITATIVE))
        result[cause] = color
        used.add(color)
    return result


def text_color_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``)."""
    try:
        r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#000000"
    luminance = 0.299 * r + 0.587 * g + 0.114 * b
    return "#000000" if luminance > 150 else "#ffffff"
