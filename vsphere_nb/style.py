"""One visual language for every surface: the colour of each outcome, host state, cause and event category.

Charts (:mod:`vsphere_nb.batch.charts`), the HTML report, the widgets and the terminal all take their colours from
here, so "fault" is the same red in a bar chart, a grid cell and a ``rich`` table. Plain data, no imports beyond
the standard library: importing this module costs nothing (the CLI and ``import vsphere_nb`` stay fast).

Colours are ``#rrggbb`` strings (matplotlib, CSS and ``rich`` all accept them). Unknown names get a colour too —
picked from :data:`QUALITATIVE` by a stable hash of the name, so the same unknown cause has the same colour in
every chart, process and run.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from .vocabulary import OUTCOMES

__all__ = [
    "OUTCOME_COLORS",
    "OUTCOME_ORDER",
    "IN_PROGRESS",
    "IN_PROGRESS_COLOR",
    "HOST_STATE_COLORS",
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
    "cause_color",
    "cause_colors",
    "event_category",
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

#: colours of the HA causes the diagnosis names (``cause`` column); other causes fall back to :data:`QUALITATIVE`
CAUSE_COLORS: dict[str, str] = {
    "management_network": "#1565c0",
    "network": "#1565c0",
    "isolation": "#0277bd",
    "partition": "#00838f",
    "no_datastore": "#6d4c41",
    "datastore": "#6d4c41",
    "heartbeat_datastores": "#8d6e63",
    "disk_space": "#ad1457",
    "resources": "#ad1457",
    "memory": "#c2185b",
    "reboot_pending": "#7b1fa2",
    "certificate": "#5e35b1",
    "ssl_thumbprint": "#5e35b1",
    "cluster_image": "#283593",
    "image": "#283593",
    "privileges": "#4e342e",
    "election": "#00897b",
    "transient": "#00897b",
    "agent_unreachable": "#e65100",
    "host_not_responding": "#bf360c",
    "host_down": "#b71c1c",
    "install_failed": "#c62828",
    "timeout": "#ef6c00",
    "unknown": "#757575",
    "other": "#9e9e9e",
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

#: how events are grouped in the swimlane chart, in legend order
EVENT_CATEGORIES: tuple[str, ...] = ("error", "warning", "recovered", "task", "info")
#: category -> (colour, matplotlib marker); markers differ too, so the chart still reads in grey
EVENT_CATEGORY_STYLE: dict[str, tuple[str, str]] = {
    "error": ("#c62828", "X"),
    "warning": ("#f9a825", "^"),
    "recovered": ("#2e7d32", "o"),
    "task": ("#1e88e5", "s"),
    "info": ("#757575", "."),
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
    "unhealthy": "red",
}

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


def _cause_key(cause: str) -> str:
    return cause.strip().lower().replace(" ", "_").replace("-", "_")


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


_RECOVERY_HINTS = ("Ok", "Restored", "Recovered", "Pingable", "Enabled", "Connected")


def event_category(event_type: str | None, severity: str | None = None) -> str:
    """The swimlane category of an event (one of :data:`EVENT_CATEGORIES`) from its type id and severity.

    ``error``/``warning`` severities win; task events (``TaskEvent``, ``*Task*``) are ``task``; types that announce
    a return to health (``…AllHostAddrsPingable``, ``HostConnectedEvent``, ``…Restored``…) are ``recovered``.
    """
    kind = event_type if isinstance(event_type, str) else ""
    if severity in ("error", "warning"):
        return str(severity)
    if "Task" in kind:
        return "task"
    if any(hint in kind.rsplit(".", 1)[-1] for hint in _RECOVERY_HINTS):
        return "recovered"
    return "info"


def text_color_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``)."""
    try:
        r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#000000"
    luminance = 0.299 * r + 0.587 * g + 0.114 * b
    return "#000000" if luminance > 150 else "#ffffff"
