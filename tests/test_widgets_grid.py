"""DataGrid: cells rendered once (escaped, cut with a tooltip), every row sent, selection by key, offline JS."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from widget_helpers import fail_on_handler_errors  # noqa: F401  (autouse fixture)

from vsphere_nb.tables import palette
from vsphere_nb.widgets.grid import (
    _DESELECT_ALL,
    _DESELECT_SELECTED,
    GRID_CSS,
    DataGrid,
    _itable_class,
    cell_texts,
)


def test_cells_are_escaped_cut_with_a_tooltip_and_typed() -> None:
    long = "vSphere HA agent <cannot> reach 10.0.0.1 & co.\nsecond line " * 5
    assert cell_texts(pd.Series(["a<b", None, long]), cut=30)[:2] == ["a&lt;b", ""]
    cell = cell_texts(pd.Series([long]), cut=30)[0]
    title = re.match(r'<span title="([^"]*)">([^<]*)</span>$', cell)
    assert title, cell
    assert "&lt;cannot&gt;" in title.group(1) and "\n" in title.group(1)  # the full text, escaped
    visible = html.unescape(title.group(2))
    assert len(visible) == 30 and visible.endswith("…") and visible.startswith("vSphere HA agent <cannot>")
    assert cell_texts(pd.Series(["two\nlines"]), cut=30)[0].startswith("<span title=")  # several lines: tooltip
    assert cell_texts(pd.Series([True, False, None], dtype="boolean")) == ["✓", "", ""]
    assert cell_texts(pd.Series([1.25, np.nan])) == ["1.2", ""]
    assert cell_texts(pd.Series([3, 4])) == ["3", "4"]
    times = pd.Series(pd.to_datetime(["2026-01-02T03:04:05Z", None], utc=True))
    assert cell_texts(times) == ["2026-01-02 03:04:05", ""]
    assert cell_texts(pd.Series([1, "x", None], dtype=object)) == ["1", "x", ""]


def _dot(cell: str) -> tuple[str | None, str]:
    """(the dot's colour or None, the cell's text as a browser shows it)."""
    m = re.fullmatch(r'<span class="vnb-dot" style="--vnb-dot:(#[0-9a-f]{6})">(.*)</span>', cell)
    return (m.group(1), html.unescape(m.group(2))) if m else (None, html.unescape(cell))


def test_ha_states_outcomes_and_causes_carry_their_palette_colour_and_stay_their_own_text() -> None:
    grid = DataGrid([("host", "host"), ("das_state", "HA state"), ("outcome", "outcome"), ("cause", "cause")])
    frame = pd.DataFrame(
        {
            "host": ["esx-01", "esx-02", "esx-03", "esx-04"],
            # a healthy, a transient and a broken state; a value no release knows, and markup from the server
            "das_state": ["connectedToMaster", "election", "initializationError", "<img src=x onerror=alert(1)>"],
            "outcome": ["success", "fault", None, "mystery"],
            "cause": ["management-network", "not diagnosed", "", None],
        }
    )
    grid.set_frame(frame)
    rows = json.loads(grid.widget._dt_args["data_json"])
    das = [_dot(r[1]) for r in rows]
    assert das == [
        ("#2e7d32", "connectedToMaster"),
        (palette.HA_HEALTH_COLORS["transient"], "election"),
        ("#c62828", "initializationError"),
        ("#c62828", "<img src=x onerror=alert(1)>"),  # not healthy, and only text: escaped inside the dot
    ]
    assert "<img" not in rows[3][1]
    assert [_dot(r[2]) for r in rows] == [
        (palette.OUTCOME_COLORS["success"], "success"),
        (palette.OUTCOME_COLORS["fault"], "fault"),
        (None, ""),
        (None, "mystery"),  # no guessed colour for an outcome the palette does not know
    ]
    assert [_dot(r[3]) for r in rows] == [
        (palette.CAUSE_COLORS["management-network"], "management-network"),
        (None, "not diagnosed"),
        (None, ""),
        (None, ""),
    ]
    assert rows[0][0] == "esx-01"  # other columns stay plain
    assert ".vnb-dot::before" in GRID_CSS and "var(--vnb-dot)" in GRID_CSS  # the dot is CSS, not cell text


def test_every_row_goes_to_the_grid_and_selection_is_by_key() -> None:
    grid = DataGrid([("host", "host"), ("msg", "message")], selectable=True, long_text=["msg"], cut=10)
    frame = pd.DataFrame({"host": [f"h{i}" for i in range(5000)], "msg": ["x" * 40] * 5000})
    keys = [("vc", f"host-{i}") for i in range(5000)]
    grid.set_frame(frame, keys=keys, selected={keys[3], keys[4999], ("vc", "gone")})
    rows = json.loads(grid.widget._dt_args["data_json"])
    assert len(rows) == 5000 and rows[0][0] == "h0" and rows[0][1].startswith("<span title=")
    assert grid.widget.selected_rows == [3, 4999]
    seen: list[tuple[set, set]] = []
    grid.on_select(lambda chosen, shown: seen.append((chosen, shown)))
    grid.select_positions([0, 1])
    assert seen[-1][0] == {keys[0], keys[1]} and len(seen[-1][1]) == 5000
    grid.set_selected({keys[2]})  # from code: marked, no callback
    assert grid.widget.selected_rows == [2] and len(seen) == 1


def test_the_grid_javascript_ships_in_the_wheel_and_is_patched() -> None:
    """Offline: the widget's ESM comes from the installed package (no CDN import), with the selection fix."""
    from itables.widget import ITable

    source = Path(getattr(ITable._esm, "_path", ITable._esm))
    assert source.is_file() and any(part in str(source) for part in ("site-packages", "dist-packages")), source
    esm = _itable_class()._esm
    assert not re.search(r"""(?:from|import)\s*\(?\s*["']https?://""", esm)
    assert _DESELECT_SELECTED in esm and _DESELECT_ALL not in esm
