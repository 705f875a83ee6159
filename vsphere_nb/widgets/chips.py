"""``ChipBar``: a panel's summary header — one coloured chip per category with its count, that filters on click.

A chip is a ``Button`` ("fault 12") that toggles (an active chip gets a dark outline and a ✓), coloured like the
same category in the charts and the terminal (the shared palette, :mod:`vsphere_nb.tables.palette`). Clicking chips toggles them; :attr:`ChipBar.value` is the tuple of active
categories (empty: no filter) and :meth:`ChipBar.on_change` is told. Counts are refreshed with :meth:`set_counts`
without touching what is active, so a chip keeps its place while a run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import ipywidgets as widgets

from ..safetext import html_text
from ..tables import palette as style

__all__ = ["ChipBar", "color_of", "HOST_GROUP_COLORS"]

_OUTCOMES: dict[str, str] = dict(style.OUTCOME_COLORS)
_STATES: dict[str, str] = dict(style.HOST_STATE_COLORS)
_IN_PROGRESS = (style.IN_PROGRESS, style.IN_PROGRESS_COLOR)

#: colours of the host groups of the Hosts panel's header (healthy agent, unhealthy agent, not launchable …)
HOST_GROUP_COLORS: dict[str, str] = {
    "healthy": style.HA_HEALTH_COLORS["healthy"],
    "unhealthy": style.HA_HEALTH_COLORS["unhealthy"],
    "in maintenance": _OUTCOMES["cancelled"],
    "not eligible": _OUTCOMES["skipped"],
    "selected": "#1565c0",
}


def color_of(name: str) -> str:
    """The colour of an outcome, a live host state or a host group; a neutral grey for anything else."""
    if name == _IN_PROGRESS[0]:
        return _IN_PROGRESS[1]
    return _OUTCOMES.get(name) or _STATES.get(name) or HOST_GROUP_COLORS.get(name) or "#78909c"


class ChipBar:
    """Chips for ``names`` (in that order; a chip with count 0 is hidden). :attr:`widget` is the ``HBox``."""

    def __init__(self, names: Iterable[str] = (), *, title: str = "", css: str = "vnb-chips") -> None:
        self.title = widgets.HTML()
        self.set_title(title)
        self.widget = widgets.HBox([self.title], layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        self.widget.add_class(css)
        self.chips: dict[str, widgets.Button] = {}
        self._active: set[str] = set()
        self._callbacks: list[Callable[[tuple[str, ...]], None]] = []
        for name in names:
            self._chip(name)

    @property
    def value(self) -> tuple[str, ...]:
        """The active chips' names (empty: no filter)."""
        return tuple(n for n in self.chips if n in self._active)

    @value.setter
    def value(self, names: Iterable[str]) -> None:
        self._active = {n for n in names if n in self.chips}
        for name in self.chips:
            self._paint(name)
        self._notify()

    def show_active(self, names: Iterable[str]) -> None:
        """Mark ``names`` active without telling anyone (the filter they mirror changed elsewhere)."""
        self._active = {n for n in names if n in self.chips}
        for name in self.chips:
            self._paint(name)

    def on_change(self, callback: Callable[[tuple[str, ...]], None]) -> None:
        self._callbacks.append(callback)

    def click(self, name: str) -> None:
        """Toggle one chip, as a click would."""
        self._active ^= {name}
        self._paint(name)
        self._notify()

    def counts(self) -> dict[str, int]:
        return {n: int(getattr(chip, "_vnb_count", 0)) for n, chip in self.chips.items()}

    def set_title(self, title: str) -> None:
        """The bold words before the chips (what they count)."""
        self.title.value = f"<b>{html_text(title)}</b>" if title else ""

    def set_counts(self, counts: Mapping[str, int], *, order: Iterable[str] | None = None) -> None:
        """Show ``counts`` (new names get a chip, at the end or where ``order`` puts them; zero hides a chip)."""
        names = list(order) if order is not None else list(counts)
        for name in names:
            if name not in self.chips:
                self._chip(name)
        for name, chip in self.chips.items():
            n = int(counts.get(name, 0))
            chip._vnb_count = n
            chip.tooltip = f"{n:,} {name}: click to show only these (again to undo)"
            chip.layout.display = None if n or name in self._active else "none"
            self._paint(name)
        if order is not None:
            rank = {n: i for i, n in enumerate(names)}
            ordered = sorted(self.chips, key=lambda n: rank.get(n, len(rank)))
            self.widget.children = [self.title, *(self.chips[n] for n in ordered)]

    def _chip(self, name: str) -> widgets.Button:
        color = color_of(name)
        chip = widgets.Button(
            description=name,
            layout=widgets.Layout(width="auto", height="28px", padding="0 10px", margin="2px"),
        )
        chip.style.button_color = color
        chip.style.text_color = style.text_color_on(color)
        chip.style.font_weight = "bold"
        chip.add_class("vnb-chip")
        chip.add_class(f"vnb-chip-{name.replace(' ', '-').replace('_', '-')}")
        chip.on_click(lambda _b, name=name: self.click(name))
        self.chips[name] = chip
        self.widget.children = [*self.widget.children, chip]
        return chip

    def _paint(self, name: str) -> None:
        chip = self.chips[name]
        active = name in self._active
        n = int(getattr(chip, "_vnb_count", 0))
        chip.description = f"{'✓ ' if active else ''}{name} {n:,}"
        chip.layout.border = "3px solid #212121" if active else "3px solid transparent"
        if active:
            chip.add_class("vnb-chip-active")
        else:
            chip.remove_class("vnb-chip-active")

    def _notify(self) -> None:
        value = self.value
        for callback in self._callbacks:
            callback(value)
