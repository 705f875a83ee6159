"""The shared palette: every outcome and host state has its colour, causes keep theirs across calls and runs."""

from __future__ import annotations

import subprocess
import sys

from vsphere_nb.batch.progress import HOST_STATES
from vsphere_nb.batch.records import OUTCOMES
from vsphere_nb.tables import palette as style


def test_every_outcome_and_host_state_has_a_distinct_outcome_colour() -> None:
    assert style.OUTCOME_ORDER == OUTCOMES
    assert set(style.OUTCOME_COLORS) == set(OUTCOMES)
    assert len(set(style.OUTCOME_COLORS.values())) == len(OUTCOMES)
    assert set(HOST_STATES) <= set(style.HOST_STATE_COLORS)
    assert style.outcome_color(None) == style.IN_PROGRESS_COLOR
    assert style.outcome_color(float("nan")) == style.IN_PROGRESS_COLOR  # type: ignore[arg-type]


def test_cause_colours_are_fixed_and_stable_across_processes() -> None:
    # the real causes (vocabulary.CAUSES), written as a person would: case, spaces and underscores ignored
    assert style.cause_color("Management network") == style.CAUSE_COLORS["management-network"]
    assert style.cause_color("isolation_address") == style.CAUSE_COLORS["isolation-address"]
    unknown = style.cause_color("something new")
    assert unknown in style.QUALITATIVE
    code = "from vsphere_nb.tables.palette import cause_color; print(cause_color('something new'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == unknown
    colours = style.cause_colors(["a-cause", "b-cause", "c-cause", "election", "d-cause"])
    assert colours["election"] == style.CAUSE_COLORS["election"]
    assert len(set(colours.values())) == 5


def test_event_categories_have_one_style_each() -> None:
    """One category scheme: the swimlanes style the frames' ``category`` values, nothing else."""
    from vsphere_nb.tables.categories import EVENT_CATEGORIES

    assert set(style.EVENT_CATEGORY_STYLE) == set(EVENT_CATEGORIES)
    assert len({c for c, _ in style.EVENT_CATEGORY_STYLE.values()}) == len(EVENT_CATEGORIES)
    assert not hasattr(style, "event_category")  # the second scheme is gone


def test_text_colour_reads_on_its_background() -> None:
    assert style.text_color_on("#ffffff") == "#000000"
    assert style.text_color_on(style.OUTCOME_COLORS["fault"]) == "#ffffff"


def test_every_outcome_and_host_state_has_a_terminal_style() -> None:
    assert set(HOST_STATES) | {style.IN_PROGRESS} <= set(style.TERMINAL_STYLES)
