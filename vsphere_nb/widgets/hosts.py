"""``HostsPanel``: the hosts table with filters and a selection, fast enough for 10,000 hosts.

Why it stays interactive at that size: when the hosts frame arrives, every filterable column is turned once into
a NumPy array (cluster and HA state as category codes, eligibility and health as booleans, one lower-cased
search string per host) and every row's HTML cells are escaped once. A filter change is then a handful of
vectorised comparisons plus joining at most :attr:`HostsPanel.max_rows` pre-rendered rows; the browser never
receives more than that many rows, and the individual-host picker never more than ``picker_rows`` options.
The selection is a ``frozenset`` of ``(vcenter, host_moid)`` on the shared state, independent of the filters.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..batch.eligibility import preflight
from ..batch.records import HEALTHY_DAS_STATES
from ..errors import ConfigError
from ._util import Panel, styled

__all__ = ["HostsPanel", "selected_hosts", "TABLE_COLUMNS"]

ALL, ELIGIBLE, NOT_ELIGIBLE = "all hosts", "eligible only", "not eligible only"
NO_CLUSTER = "(standalone)"
NO_STATE = "(no HA state)"

#: (column, header) of the rendered table, after the selection mark
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("host", "host"),
    ("cluster", "cluster"),
    ("das_state", "HA state"),
    ("connection_state", "connection"),
    ("in_maintenance", "maint."),
    ("version", "version"),
    ("build", "build"),
    ("eligible", "eligible"),
    ("skip_reason", "why not eligible"),
    ("config_issues", "config issues"),
)
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


_SELECTED = ' class="vnb-sel"><td>☑</td>'
_UNSELECTED = "><td>☐</td>"


def _yes(value: bool) -> str:
    return "✓" if value else ""


class HostsPanel(Panel):
    """Filters (:attr:`cluster_filter`, :attr:`das_filter`, :attr:`eligibility`, :attr:`search`,
    :attr:`only_unhealthy`), :attr:`select_all` / :attr:`select_none` buttons (over the filtered rows), the
    :attr:`picker` for single hosts, :attr:`count` and :attr:`table`. :meth:`apply_filters` is what every
    filter change runs (time it for the 10,000-host benchmark)."""

    name = "hosts"

    def __init__(self, state: Any = None, *, max_rows: int = 200, picker_rows: int = 500) -> None:
        super().__init__(state)
        self.max_rows = max_rows
        self.picker_rows = picker_rows
        self._syncing = False
        self._reset_index()

        self.refresh_button = styled(
            widgets.Button(description="Reload hosts", icon="refresh", disabled=True), "vnb-refresh-hosts"
        )
        self.cluster_filter = styled(
            widgets.SelectMultiple(options=[], description="Clusters", rows=6), "vnb-hosts-cluster"
        )
        self.das_filter = styled(
            widgets.SelectMultiple(options=[], description="HA state", rows=6), "vnb-hosts-das-state"
        )
        self.eligibility = styled(
            widgets.Dropdown(options=[ALL, ELIGIBLE, NOT_ELIGIBLE], value=ALL, description="Eligibility"),
            "vnb-hosts-eligibility",
        )
        self.search = styled(
            widgets.Text(
                value="", description="Search", placeholder="host, cluster, build, issue …", continuous_update=True
            ),
            "vnb-hosts-search",
        )
        self.only_unhealthy = styled(
            widgets.Checkbox(
                value=False, description="Only unhealthy (HA state not master/connectedToMaster)", indent=False
            ),
            "vnb-only-unhealthy",
        )
        self.select_all = styled(
            widgets.Button(description="Select all filtered", icon="check-square"), "vnb-select-all"
        )
        self.select_none = styled(widgets.Button(description="Unselect filtered", icon="square-o"), "vnb-select-none")
        self.picker = styled(
            widgets.SelectMultiple(options=[], description="Hosts", rows=8, layout=widgets.Layout(width="60%")),
            "vnb-host-picker",
        )
        self.count = styled(widgets.HTML(value=""), "vnb-selected-count")
        self.table = styled(widgets.HTML(value=""), "vnb-hosts-table")
        #: seconds the last :meth:`apply_filters` took
        self.last_filter_seconds = 0.0

        self._finish_layout(
            self.refresh_button,
            widgets.HBox([self.cluster_filter, self.das_filter]),
            widgets.HBox([self.eligibility, self.search]),
            self.only_unhealthy,
            widgets.HBox([self.select_all, self.select_none]),
            self.picker,
            self.count,
            self.table,
        )

        self.refresh_button.on_click(self.action(self.refresh, "reload hosts"))
        self.select_all.on_click(self.action(self.select_filtered, "select"))
        self.select_none.on_click(self.action(self.unselect_filtered, "unselect"))
        for w in (self.cluster_filter, self.das_filter, self.eligibility, self.search, self.only_unhealthy):
            w.observe(self.observer(lambda _c: self.apply_filters(), "filter"), "value")
        self.picker.observe(self.observer(self._picked, "select"), "value")
        self.state.observe(self.observer(self._client_changed, "load hosts"), "client")
        self.state.observe(self.observer(self._hosts_changed, "show hosts"), "hosts")
        self.state.observe(self.observer(self._selection_changed, "select"), "selected")
        self.state.observe(self.observer(lambda _c: self._buttons(), "hosts"), "running")
        if self.state.hosts is not None:
            self._hosts_changed(None)
        self._render()

    # -- public API ------------------------------------------------------------------------------
    def refresh(self) -> pd.DataFrame:
        """Load the hosts from the connected client (one PropertyCollector pass) into the shared state."""
        client = self.state.client
        if client is None:
            raise ConfigError("not connected: connect first")
        self.set_status("loading hosts …", "busy")
        hosts = client.hosts()
        self.state.hosts = hosts
        return hosts

    def apply_filters(self) -> np.ndarray:
        """Apply every filter, re-render the table, count and picker; the filtered row positions."""
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
            for term in self.search.value.lower().split():
                mask &= self._search.str.contains(term, regex=False).to_numpy(dtype=bool, na_value=False)
        self._filtered = np.flatnonzero(mask)
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

    def select_filtered(self) -> None:
        """Add every filtered host to the selection."""
        self.state.selected = self.state.selected | {self._keys[i] for i in self._filtered.tolist()}

    def unselect_filtered(self) -> None:
        """Remove every filtered host from the selection."""
        self.state.selected = self.state.selected - {self._keys[i] for i in self._filtered.tolist()}

    # -- state changes ---------------------------------------------------------------------------
    def _client_changed(self, _change: Any) -> None:
        self._buttons()
        if self.state.client is None:
            self.state.hosts = None
            self.state.selected = frozenset()
            return
        self.refresh()

    def _hosts_changed(self, _change: Any) -> None:
        hosts = self.state.hosts
        self._reset_index() if hosts is None else self._index(hosts)
        present = set(self._keys)
        if self.state.selected - present:
            self.state.selected = self.state.selected & present
        self._syncing = True
        try:
            with self.cluster_filter.hold_sync(), self.das_filter.hold_sync():
                self.cluster_filter.options = [
                    (f"{c} ({k})", c) for c, k in self._counts(self._cluster_codes, self._clusters)
                ]
                self.das_filter.options = [
                    (f"{c} ({k})", c) for c, k in self._counts(self._das_codes, self._das_states)
                ]
        finally:
            self._syncing = False
        self._sel_mask = self._mask_of(self.state.selected)
        self.apply_filters()
        self._buttons()
        if hosts is not None:
            self.set_status(f"{len(self._keys):,} hosts loaded", "ok")

    def _selection_changed(self, _change: Any) -> None:
        self._sel_mask = self._mask_of(self.state.selected)
        self._render()

    def _picked(self, change: Any) -> None:
        if self._syncing:
            return
        shown = {value for _label, value in self.picker.options}
        self.state.selected = (self.state.selected - shown) | set(change["new"])

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
        self._search = pd.Series([], dtype="string[pyarrow]")
        self._rows: list[tuple[str, str]] = []
        self._labels: list[str] = []
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

        def col(c, missing=""):
            return _text(frame[c], missing) if c in frame.columns else np.full(n, missing, dtype=object)

        vcenter, moid, host = col("vcenter"), col("host_moid"), col("host")
        self._frame = frame
        self._keys = list(zip(vcenter.tolist(), moid.tolist()))
        self._pos = {k: i for i, k in enumerate(self._keys)}
        cluster = pd.Categorical(col("cluster", NO_CLUSTER))
        self._clusters, self._cluster_codes = list(cluster.categories), cluster.codes.astype(np.int32)
        das = pd.Categorical(col("das_state", NO_STATE))
        self._das_states, self._das_codes = list(das.categories), das.codes.astype(np.int32)
        self._eligible = _flag(frame["eligible"])
        das_raw = frame["das_state"].astype(object) if "das_state" in frame.columns else pd.Series([None] * n)
        self._unhealthy = ~das_raw.isin(HEALTHY_DAS_STATES).to_numpy(dtype=bool)
        text = pd.Series(np.full(n, "", dtype=object))
        for c in _SEARCH_COLUMNS:
            if c in frame.columns:
                text = text + " " + pd.Series(col(c), dtype=object)
        self._search = text.str.lower().astype("string[pyarrow]")
        cells = []
        for c, _header in TABLE_COLUMNS:
            if c not in frame.columns:
                cells.append([""] * n)
            elif c in ("in_maintenance", "eligible"):
                cells.append([_yes(v) for v in _flag(frame[c]).tolist()])
            else:
                cells.append([html.escape(v) for v in col(c).tolist()])
        moid_attr = [html.escape(m, quote=True) for m in moid.tolist()]
        # the row's opening tag without its end, then the cells: _render adds the selection mark between them
        self._rows = [
            (f'<tr data-moid="{moid_attr[i]}"', "".join(f"<td>{cells[j][i]}</td>" for j in range(len(cells))) + "</tr>")
            for i in range(n)
        ]
        das_text = das.astype(str).tolist() if n else []
        cluster_text = cluster.astype(str).tolist() if n else []
        self._labels = [f"{host[i]} — {cluster_text[i]} — {das_text[i]}" for i in range(n)]
        # consistent with the new frame until apply_filters runs (a selection change may render before that)
        self._sel_mask = np.zeros(n, dtype=bool)
        self._filtered = np.arange(n)

    @staticmethod
    def _codes(categories: list[str], values: Iterable[str]) -> list[int]:
        lookup = {c: i for i, c in enumerate(categories)}
        return [lookup[v] for v in values if v in lookup]

    @staticmethod
    def _counts(codes: np.ndarray, categories: list[str]) -> list[tuple[str, int]]:
        counts = np.bincount(codes, minlength=len(categories)) if len(codes) else np.zeros(len(categories), int)
        return [(c, int(counts[i])) for i, c in enumerate(categories)]

    def _mask_of(self, selected: frozenset) -> np.ndarray:
        mask = np.zeros(len(self._keys), dtype=bool)
        idx = [self._pos[k] for k in selected if k in self._pos]
        if idx:
            mask[idx] = True
        return mask

    # -- rendering -------------------------------------------------------------------------------
    def _render(self) -> None:
        total, shown = len(self._keys), len(self._filtered)
        if self._frame is None:
            self.table.value = "<i>no hosts loaded — connect first</i>"
            self.count.value = "0 selected"
            self._set_picker([])
            return
        head = self._filtered[: self.max_rows].tolist()
        sel = self._sel_mask
        rows = "".join(self._rows[i][0] + (_SELECTED if sel[i] else _UNSELECTED) + self._rows[i][1] for i in head)
        header = "<th>sel.</th>" + "".join(f"<th>{html.escape(h)}</th>" for _c, h in TABLE_COLUMNS)
        note = (
            f"showing {len(head):,} of {shown:,} filtered hosts ({total:,} in all)"
            if shown > len(head)
            else f"{shown:,} filtered hosts ({total:,} in all)"
        )
        self.table.value = (
            f'<div class="vnb-note"><small>{note}</small></div>'
            f'<table class="vnb-table"><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>'
        )
        selected_in_view = int(sel[self._filtered].sum()) if shown else 0
        n_selected = int(sel.sum())
        self.count.value = (
            f"<b>{n_selected:,} selected</b> — {selected_in_view:,} of the {shown:,} filtered "
            f"hosts; {total:,} hosts in all"
        )
        picks = self._filtered[: self.picker_rows].tolist()
        self._set_picker(picks)

    def _set_picker(self, rows: list[int]) -> None:
        options = [(self._labels[i], self._keys[i]) for i in rows]
        value = tuple(self._keys[i] for i in rows if self._sel_mask[i])
        self._syncing = True
        try:
            with self.picker.hold_sync():
                if list(self.picker.options) != options:
                    self.picker.options = options
                if tuple(self.picker.value) != value:
                    self.picker.value = value
                note = f"Hosts (first {len(rows)})" if len(self._filtered) > len(rows) else "Hosts"
                self.picker.description = note
        finally:
            self._syncing = False
