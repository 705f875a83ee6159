"""``HostsPanel``: every host in a sortable, filterable grid; click to select; fast enough for 10,000 hosts.

The header counts the hosts by group (healthy agent, unhealthy agent, in maintenance, not eligible, selected) as
coloured chips that filter on click. The grid (:class:`~vsphere_nb.widgets.grid.DataGrid`) pages through every
filtered row, sorts by any column, has a filter box per column, and selects by click and shift-click (a range);
"Select all N shown" selects exactly the rows the grid shows — the panel's filters, then the grid's own search
and column filters — and says how many.

Why it stays interactive at that size: when the hosts frame arrives, every filterable column is turned once into
a NumPy array (cluster and HA state as category codes, eligibility and health as booleans, one lower-cased
search string per host) and every row's cells are escaped and rendered once. A filter change is then a handful
of vectorised comparisons plus a slice of the rendered rows handed to the grid. The selection is a ``frozenset``
of ``(vcenter, host_moid)`` on the shared state, independent of the filters and of the grid's own filters.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..fleet.eligibility import preflight, unhealthy_mask
from ..vocabulary import HEALTHY_DAS_STATES, UNHEALTHY, label
from ._util import Panel, styled
from .chips import ChipBar
from .grid import DataGrid

if TYPE_CHECKING:
    from ..sync import Client

__all__ = ["HostsPanel", "selected_hosts", "TABLE_COLUMNS", "HOST_GROUPS"]

ALL, ELIGIBLE, NOT_ELIGIBLE = "all hosts", "eligible only", "not eligible only"
NO_CLUSTER = "(standalone)"
NO_STATE = "(no HA state)"

#: the chips of the header, in order: a host is in every group it matches
HOST_GROUPS = ("unhealthy", "healthy", "in maintenance", "not eligible", "selected")

#: (column, header) of the grid
TABLE_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (c, label(c))
    for c in (
        "host",
        "cluster",
        "vcenter",
        "das_state",
        "connection_state",
        "in_maintenance",
        "version",
        "build",
        "eligible",
        "skip_reason",
        "config_issues",
    )
)
_LONG = ("config_issues", "skip_reason")
_SEARCH_COLUMNS = (
    "host",
    "host_moid",
    "cluster",
    "datacenter",
    "das_state",
    "connection_state",
    "version",
    "build",
    "skip_reason",
    "config_issues",
    "vcenter",
)


def selected_hosts(hosts: pd.DataFrame | None, selected: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """The rows of ``hosts`` whose ``(vcenter, host_moid)`` is in ``selected``, in frame order."""
    if hosts is None or not len(hosts):
        return pd.DataFrame() if hosts is None else hosts.iloc[:0]
    wanted = {f"{vc}\x00{moid}" for vc, moid in selected}
    keys = hosts["vcenter"].astype(str) + "\x00" + hosts["host_moid"].astype(str)
    return hosts[keys.isin(wanted).to_numpy()]


def _text(series: pd.Series, missing: str = "") -> np.ndarray:
    return series.astype(object).where(series.notna(), missing).astype(str).to_numpy(dtype=object)


def _flag(series: pd.Series) -> np.ndarray:
    return series.astype("boolean").fillna(False).to_numpy(dtype=bool)


class HostsPanel(Panel):
    """Header :attr:`chips`; filters (:attr:`search`, :attr:`eligibility`, :attr:`only_unhealthy`, and under
    "Clusters and HA states" :attr:`cluster_filter`, :attr:`das_filter`); :attr:`select_all` /
    :attr:`select_none` (over the filtered rows); :attr:`count`; the :attr:`grid`. :meth:`apply_filters` is what
    every filter change runs (the 10,000-host benchmark times it)."""

    name = "hosts"

    def __init__(self, state: Any = None, *, page_length: int = 15) -> None:
        super().__init__(state)
        self._reset_index()
        wide = {"description_width": "initial"}

        self.refresh_button = styled(
            widgets.Button(description="Reload hosts", icon="refresh", disabled=True), "vnb-refresh-hosts"
        )
        self.chips = ChipBar(HOST_GROUPS, title="Hosts:", css="vnb-hosts-chips")
        self.cluster_filter = styled(
            widgets.SelectMultiple(options=[], description="Clusters", rows=6, style=wide), "vnb-hosts-cluster"
        )
        self.das_filter = styled(
            widgets.SelectMultiple(options=[], description="HA state", rows=6, style=wide), "vnb-hosts-das-state"
        )
        self.eligibility = styled(
            widgets.Dropdown(options=[ALL, ELIGIBLE, NOT_ELIGIBLE], value=ALL, description="Eligibility", style=wide),
            "vnb-hosts-eligibility",
        )
        self.search = styled(
            widgets.Text(
                value="",
                description="Search",
                placeholder="host, cluster, build, issue …",
                continuous_update=True,
                style=wide,
                layout=widgets.Layout(width="22em"),
            ),
            "vnb-hosts-search",
        )
        self.only_unhealthy = styled(
            widgets.Checkbox(
                value=False,
                description="Only unhealthy",
                tooltip=f"unhealthy: {UNHEALTHY}",
                indent=False,
                layout=widgets.Layout(width="auto"),
            ),
            "vnb-only-unhealthy",
        )
        auto = widgets.Layout(width="auto")
        self.select_all = styled(
            widgets.Button(description="Select all 0 shown", icon="check-square", layout=auto), "vnb-select-all"
        )
        self.select_none = styled(
            widgets.Button(description="Unselect 0 shown", icon="square-o", layout=auto), "vnb-select-none"
        )
        self.count = styled(widgets.HTML(value=""), "vnb-selected-count")
        self.grid = DataGrid(
            TABLE_COLUMNS, selectable=True, long_text=_LONG, cut=48, page_length=page_length, what="hosts"
        )
        self.table = styled(self.grid.widget, "vnb-hosts-table")
        #: seconds the last :meth:`apply_filters` took
        self.last_filter_seconds = 0.0

        more = widgets.Accordion(
            children=[widgets.HBox([self.cluster_filter, self.das_filter])], titles=("Clusters and HA states",)
        )
        more.selected_index = None
        self._finish_layout(
            self.chips.widget,
            widgets.HBox([self.search, self.eligibility, self.only_unhealthy], layout=_wrap()),
            more,
            widgets.HBox([self.select_all, self.select_none, self.refresh_button, self.count], layout=_wrap()),
            self.table,
        )

        self.refresh_button.on_click(self.action(self.refresh, "reload hosts"))
        self.select_all.on_click(self.action(self.select_filtered, "select"))
        self.select_none.on_click(self.action(self.unselect_filtered, "unselect"))
        for w in (self.cluster_filter, self.das_filter, self.eligibility, self.search, self.only_unhealthy):
            w.observe(self.observer(lambda _c: self.apply_filters(), "filter"), "value")
        self.chips.on_change(lambda _v: self._guarded(self.apply_filters, "filter"))
        self.grid.on_select(lambda chosen, shown: self._guarded(lambda: self._picked(chosen, shown), "select"))
        self.grid.on_shown(lambda: self._guarded(self._render, "filter"))
        self.state.observe(self.observer(self._client_changed, "load hosts"), ["client", "clients"])
        self.state.observe(self.observer(self._run_finished, "load hosts"), "run")
        self._loaded_from: tuple[int, ...] = ()
        self.state.observe(self.observer(self._hosts_changed, "show hosts"), "hosts")
        self.state.observe(self.observer(self._selection_changed, "select"), "selected")
        self.state.observe(self.observer(lambda _c: self._buttons(), "hosts"), "running")
        if self.state.hosts is not None:
            self._hosts_changed(None)
        self._render()

    # -- public API ------------------------------------------------------------------------------
    def refresh(self) -> pd.DataFrame:
        """Load the hosts from every connected client (one PropertyCollector pass each) into the shared state."""
        clients = self._clients()
        if not clients:
            raise ConfigError("not connected: connect first")
        self.set_status("loading hosts …", "busy")
        frames = [client.hosts() for client in clients]
        hosts = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        self.state.hosts = hosts
        return hosts

    def apply_filters(self) -> np.ndarray:
        """Apply every filter, re-render the grid, chips and count; the filtered row positions."""
        started = time.perf_counter()
        n = len(self._keys)
        mask = np.ones(n, dtype=bool)
        if n:
            if self.cluster_filter.value:
                mask &= np.isin(self._cluster_codes, self._codes(self._clusters, self.cluster_filter.value))
            if self.das_filter.value:
                mask &= np.isin(self._das_codes, self._codes(self._das_states, self.das_filter.value))
            if self.eligibility.value == ELIGIBLE:
                mask &= self._eligible
            elif self.eligibility.value == NOT_ELIGIBLE:
                mask &= ~self._eligible
            if self.only_unhealthy.value:
                mask &= self._unhealthy
            groups = self.chips.value
            if groups:
                any_group = np.zeros(n, dtype=bool)
                for group in groups:
                    any_group |= self._group(group)
                mask &= any_group
            for term in self.search.value.lower().split():
                mask &= self._search.str.contains(term, regex=False).to_numpy(dtype=bool, na_value=False)
        self._filtered = np.flatnonzero(mask)
        self._show_grid()
        self._render()
        self.last_filter_seconds = time.perf_counter() - started
        return self._filtered

    @property
    def filtered(self) -> pd.DataFrame:
        """The hosts rows the filters let through."""
        if self._frame is None:
            return pd.DataFrame()
        return self._frame.iloc[self._filtered]

    @property
    def selected(self) -> pd.DataFrame:
        """The selected hosts rows (whatever the filters)."""
        return selected_hosts(self._frame, self.state.selected)

    @property
    def shown(self) -> np.ndarray:
        """Positions (in the hosts frame) of the rows the grid shows: the panel's filters, then the grid's own
        search and column filters."""
        if not len(self._filtered) or len(self.grid.keys) != len(self._filtered):
            return self._filtered  # the grid is being refilled: it shows the filtered rows, unfiltered
        return self._filtered[self.grid.shown_positions]

    def select_filtered(self) -> None:
        """Add every host the grid shows (panel filters and the grid's own filters) to the selection."""
        self.state.selected = self.state.selected | {self._keys[i] for i in self.shown.tolist()}

    def unselect_filtered(self) -> None:
        """Remove every host the grid shows from the selection."""
        self.state.selected = self.state.selected - {self._keys[i] for i in self.shown.tolist()}

    # -- state changes ---------------------------------------------------------------------------
    def _guarded(self, fn: Any, context: str) -> None:
        with self.state.lock:
            try:
                fn()
            except Exception as exc:
                self.report(exc, context)

    def _clients(self) -> list[Client]:
        clients = list(getattr(self.state, "clients", ()) or ())
        return clients or ([self.state.client] if self.state.client is not None else [])

    def _client_changed(self, _change: Any) -> None:
        self._buttons()
        clients = self._clients()
        ids = tuple(id(c) for c in clients)
        if ids == self._loaded_from:  # the same connections (client and clients change together)
            return
        self._loaded_from = ids
        if not clients:
            self.state.hosts = None
            self.state.selected = frozenset()
            return
        self.refresh()

    def _run_finished(self, _change: Any) -> None:
        """After a run the agents' states changed: load the hosts again (the selection is kept)."""
        if self.state.run is None or not self._clients() or not hasattr(self.state.run, "retry_failed"):
            return
        selected = self.state.selected
        self.refresh()
        self.state.selected = selected

    def _hosts_changed(self, _change: Any) -> None:
        hosts = self.state.hosts
        self._reset_index() if hosts is None else self._index(hosts)
        present = set(self._keys)
        if self.state.selected - present:
            self.state.selected = self.state.selected & present
        with self.cluster_filter.hold_sync(), self.das_filter.hold_sync():
            self.cluster_filter.options = [
                (f"{c} ({k})", c) for c, k in self._counts(self._cluster_codes, self._clusters)
            ]
            self.das_filter.options = [(f"{c} ({k})", c) for c, k in self._counts(self._das_codes, self._das_states)]
        self._sel_mask = self._mask_of(self.state.selected)
        self.apply_filters()
        self._buttons()
        if hosts is not None:
            vcenters = len({vc for vc, _m in self._keys})
            where = f" from {vcenters} vCenters" if vcenters > 1 else ""
            self.set_status(f"{len(self._keys):,} hosts loaded{where}", "ok")

    def _selection_changed(self, _change: Any) -> None:
        self._sel_mask = self._mask_of(self.state.selected)
        self.grid.set_selected(self.state.selected)
        if "selected" in self.chips.value:
            self.apply_filters()
        else:
            self._render()

    def _picked(self, chosen: set[Any], shown: set[Any]) -> None:
        self.state.selected = (self.state.selected - shown) | chosen

    def _buttons(self) -> None:
        self.refresh_button.disabled = self.state.client is None or bool(self.state.running)

    # -- the precomputed index -------------------------------------------------------------------
    def _reset_index(self) -> None:
        self._frame: pd.DataFrame | None = None
        self._keys: list[tuple[str, str]] = []
        self._pos: dict[tuple[str, str], int] = {}
        self._clusters: list[str] = []
        self._cluster_codes = np.zeros(0, dtype=np.int32)
        self._das_states: list[str] = []
        self._das_codes = np.zeros(0, dtype=np.int32)
        self._eligible = np.zeros(0, dtype=bool)
        self._unhealthy = np.zeros(0, dtype=bool)
        self._healthy = np.zeros(0, dtype=bool)
        self._maintenance = np.zeros(0, dtype=bool)
        self._search = pd.Series([], dtype="string[pyarrow]")
        self._rendered = pd.DataFrame()
        self._sel_mask = np.zeros(0, dtype=bool)
        self._filtered = np.zeros(0, dtype=np.int64)

    def _index(self, hosts: pd.DataFrame) -> None:
        frame = hosts.reset_index(drop=True)
        missing = [c for c in ("vcenter", "host", "host_moid") if c not in frame.columns]
        if missing:
            raise ConfigError(f"hosts frame lacks column(s): {', '.join(missing)}")
        if "eligible" not in frame.columns:
            frame = preflight(frame)
        n = len(frame)

        def col(c: str, missing: str = "") -> np.ndarray:
            return _text(frame[c], missing) if c in frame.columns else np.full(n, missing, dtype=object)

        vcenter, moid = col("vcenter"), col("host_moid")
        self._frame = frame
        self._keys = list(zip(vcenter.tolist(), moid.tolist()))
        self._pos = {k: i for i, k in enumerate(self._keys)}
        cluster = pd.Categorical(col("cluster", NO_CLUSTER))
        self._clusters, self._cluster_codes = list(cluster.categories), cluster.codes.astype(np.int32)
        das = pd.Categorical(col("das_state", NO_STATE))
        self._das_states, self._das_codes = list(das.categories), das.codes.astype(np.int32)
        self._eligible = _flag(frame["eligible"])
        self._maintenance = (
            _flag(frame["in_maintenance"]) if "in_maintenance" in frame.columns else np.zeros(n, dtype=bool)
        )
        self._unhealthy = unhealthy_mask(frame) if "das_state" in frame.columns else np.zeros(n, dtype=bool)
        states = frame["das_state"].astype(object) if "das_state" in frame.columns else pd.Series([None] * n)
        self._healthy = np.asarray(states.isin(list(HEALTHY_DAS_STATES)), dtype=bool) & ~self._unhealthy
        text = pd.Series(np.full(n, "", dtype=object))
        for c in _SEARCH_COLUMNS:
            if c in frame.columns:
                text = text + " " + pd.Series(col(c), dtype=object)
        self._search = text.str.lower().astype("string[pyarrow]")
        self._rendered = self.grid.render(frame)
        # consistent with the new frame until apply_filters runs (a selection change may render before that)
        self._sel_mask = np.zeros(n, dtype=bool)
        self._filtered = np.arange(n)

    def _group(self, group: str) -> np.ndarray:
        if group == "unhealthy":
            return self._unhealthy
        if group == "healthy":
            return self._healthy
        if group == "in maintenance":
            return self._maintenance
        if group == "not eligible":
            return ~self._eligible
        if group == "selected":
            return self._sel_mask
        return np.zeros(len(self._keys), dtype=bool)

    @staticmethod
    def _codes(categories: list[str], values: Iterable[str]) -> list[int]:
        lookup = {c: i for i, c in enumerate(categories)}
        return [lookup[v] for v in values if v in lookup]

    @staticmethod
    def _counts(codes: np.ndarray, categories: list[str]) -> list[tuple[str, int]]:
        counts = np.bincount(codes, minlength=len(categories)) if len(codes) else np.zeros(len(categories), int)
        return [(c, int(counts[i])) for i, c in enumerate(categories)]

    def _mask_of(self, selected: frozenset[tuple[str, str]]) -> np.ndarray:
        mask = np.zeros(len(self._keys), dtype=bool)
        idx = [self._pos[k] for k in selected if k in self._pos]
        if idx:
            mask[idx] = True
        return mask

    # -- rendering -------------------------------------------------------------------------------
    def _show_grid(self) -> None:
        rows = self._filtered
        if self._frame is None:
            self.grid.set_frame(pd.DataFrame())
            return
        self.grid.set_rendered(
            self._rendered.iloc[rows],
            [self._keys[i] for i in rows.tolist()],
            self.state.selected,
            frame=self._frame.iloc[rows],
        )

    def _render(self) -> None:
        total = len(self._keys)
        self.chips.set_counts({g: int(self._group(g).sum()) for g in HOST_GROUPS} if total else {})
        if self._frame is None:
            self.count.value = "no hosts loaded — connect first"
            return
        sel = self._sel_mask
        rows = self.shown
        shown = len(rows)
        selected_in_view = int(sel[rows].sum()) if shown else 0
        n_selected = int(sel.sum())
        self.select_all.description = f"Select all {shown:,} shown"
        self.select_none.description = f"Unselect {selected_in_view:,} shown"
        self.count.value = (
            f"<b>{n_selected:,} selected</b> ({selected_in_view:,} of the {shown:,} shown; {total:,} hosts in all)"
        )


def _wrap() -> widgets.Layout:
    return widgets.Layout(flex_flow="row wrap", align_items="center")
