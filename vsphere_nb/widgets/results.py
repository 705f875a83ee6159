"""``ResultsPanel``: filter a run's tasks, faults and events; charts that follow the filters; one host's detail;
exports.

How the filters combine (:mod:`~vsphere_nb.widgets.result_filters`, no widgets): cluster, outcome, fault reason,
time window and the search text select **attempts** (rows of ``tasks``); the fault table, the fault messages and
the events are those of the selected attempts (joined on ``host_moid`` + ``task_moid``), and the event-type filter
and the time window further narrow the events. The reason of an attempt is ``fault_reason`` (``DasConfigFault.reason``), else its ``fault_type`` — the
same label the "Why hosts failed" chart uses.

Charts are matplotlib ``Figure`` objects from :mod:`vsphere_nb.batch.charts` (no pyplot), rendered to PNG in
``Image`` widgets by a background :class:`~vsphere_nb.widgets._util.Throttle`: tables follow a filter change at
once, charts a moment later, and a burst of filter changes renders only the last one.

Works on a live :class:`~vsphere_nb.batch.execute.BatchRun` or on ``load_run(dir)``:
``ResultsPanel(result=load_run("runs/run-…"))``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..batch import charts
from ..batch.records import OUTCOMES
from ..safetext import html_text
from ._util import MPL_LOCK, Panel, Throttle, chart_image, styled
from .chips import ChipBar
from .detail import EVENT_COLUMNS, FAULT_COLUMNS, IN_PROGRESS, host_detail_html
from .grid import DataGrid
from .result_filters import NO_CLUSTER, Filters, RunFrames, Window, host_story, select, window_of
from .result_frames import EXPORT_NAMES, LONG_COLUMNS, TASK_COLUMNS, export_folder, pairs, write_filtered
from .result_frames import object_column as _obj
from .result_frames import time_options as _time_options

__all__ = ["ResultsPanel", "EXPORT_NAMES"]

#: the reason and event-type filters' "everything" choice
ANY = "(any)"


class ResultsPanel(Panel):
    """Filters (:attr:`cluster_filter`, :attr:`outcome_filter`, :attr:`reason_filter`,
    :attr:`event_type_filter`, :attr:`time_window`, :attr:`search`), tables (:attr:`tasks_table`,
    :attr:`fault_table`, :attr:`events_table`), charts (:attr:`chart_outcomes`, :attr:`chart_reasons`,
    :attr:`chart_timeline`, :attr:`chart_events`), host detail (:attr:`host_select` → :attr:`host_detail`) and
    exports (:attr:`export_csv_button`, :attr:`export_parquet_button`, :attr:`export_report_button`).
    :attr:`view` holds the filtered frames."""

    name = "results"

    def __init__(
        self,
        state: Any = None,
        *,
        result: Any = None,
        max_rows: int = 200,
        charts: bool = True,
        chart_interval: float = 0.3,
    ) -> None:
        super().__init__(state)
        self.max_rows = max_rows
        self.charts_enabled = charts
        self.result: Any = None
        self.view: dict[str, pd.DataFrame] = {}
        self._syncing = False
        self._frames: RunFrames | None = None

        self.summary = styled(widgets.HTML(value="<i>no run yet</i>"), "vnb-results-summary")
        #: the header: attempts per outcome as coloured chips; a click filters (the same as :attr:`outcome_filter`)
        self.chips = ChipBar(title="Outcomes:", css="vnb-results-chips")
        wide = {"description_width": "initial"}
        self.cluster_filter = styled(
            widgets.SelectMultiple(options=[], description="Clusters", rows=5), "vnb-results-cluster"
        )
        self.outcome_filter = styled(
            widgets.SelectMultiple(options=[], description="Outcome", rows=5), "vnb-outcome-filter"
        )
        self.reason_filter = styled(
            widgets.Dropdown(options=[ANY], value=ANY, description="Fault reason", style=wide), "vnb-reason-filter"
        )
        self.event_type_filter = styled(
            widgets.Dropdown(options=[ANY], value=ANY, description="Event type", style=wide), "vnb-event-type-filter"
        )
        self.time_window = styled(
            widgets.SelectionRangeSlider(
                options=[("—", None)],
                index=(0, 0),
                description="Time (UTC)",
                disabled=True,
                style=wide,
                layout=widgets.Layout(width="70%"),
            ),
            "vnb-time-window",
        )
        self.search = styled(
            widgets.Text(
                value="",
                description="Search",
                continuous_update=False,
                placeholder="tasks: host, cluster, fault text, output …",
                layout=widgets.Layout(width="30em"),
            ),
            "vnb-results-search",
        )
        self.reset_button = styled(
            widgets.Button(description="Reset filters", icon="undo", layout=widgets.Layout(width="auto")),
            "vnb-reset-filters",
        )
        self.counts = styled(widgets.HTML(value=""), "vnb-results-counts")
        #: attempts; click a row to open that host's detail below
        self.tasks_grid = DataGrid(
            pairs(TASK_COLUMNS), selectable=True, single=True, long_text=LONG_COLUMNS, what="attempts"
        )
        self.fault_grid = DataGrid(pairs(FAULT_COLUMNS), long_text=LONG_COLUMNS, page_length=10, what="faults")
        self.events_grid = DataGrid(pairs(EVENT_COLUMNS), long_text=LONG_COLUMNS, page_length=10, what="events")
        self.tasks_table = styled(self.tasks_grid.widget, "vnb-tasks-table")
        self.fault_table = styled(self.fault_grid.widget, "vnb-fault-table")
        self.events_table = styled(self.events_grid.widget, "vnb-events-table")
        self.chart_outcomes = chart_image("vnb-chart-outcomes")
        self.chart_reasons = chart_image("vnb-chart-reasons")
        self.chart_timeline = chart_image("vnb-chart-timeline")
        self.chart_events = chart_image("vnb-chart-events")
        self.host_select = styled(
            widgets.Dropdown(
                options=[("—", None)], value=None, description="Host", layout=widgets.Layout(width="30em")
            ),
            "vnb-host-detail",
        )
        self.host_detail = styled(widgets.HTML(value=""), "vnb-host-detail-view")
        self.export_dir = styled(
            widgets.Text(value="", description="Export to", placeholder="empty: the run folder"), "vnb-export-dir"
        )
        self.export_csv_button = styled(widgets.Button(description="CSV", icon="download"), "vnb-export-csv")
        self.export_parquet_button = styled(
            widgets.Button(description="Parquet", icon="download"), "vnb-export-parquet"
        )
        self.export_report_button = styled(widgets.Button(description="HTML report", icon="file"), "vnb-export-report")
        self.export_path = styled(widgets.HTML(value=""), "vnb-export-path")

        self._charts = Throttle(
            self._render_charts,
            interval=chart_interval,
            on_error=lambda exc: self._locked_report(exc, "charts"),
            name="vsphere-nb-results-charts",
        )

        self._finish_layout(
            self.chips.widget,
            self.summary,
            _heading("Filters"),
            widgets.HBox([self.cluster_filter, self.outcome_filter]),
            widgets.HBox([self.reason_filter, self.event_type_filter]),
            self.time_window,
            widgets.HBox([self.search, self.reset_button]),
            self.counts,
            _heading("Tasks (click a row for the host's detail)"),
            self.tasks_table,
            _heading("Host detail"),
            self.host_select,
            self.host_detail,
            _heading("Faults"),
            self.fault_table,
            _heading("Events"),
            self.events_table,
            _heading("Charts"),
            # one chart per row at the panel's width: text stays readable, the aspect is the figure's
            widgets.VBox(
                [self.chart_outcomes, self.chart_reasons, self.chart_timeline, self.chart_events],
                layout=widgets.Layout(width="100%"),
            ),
            _heading("Export"),
            widgets.HBox(
                [self.export_dir, self.export_csv_button, self.export_parquet_button, self.export_report_button]
            ),
            self.export_path,
        )

        for w in (
            self.cluster_filter,
            self.outcome_filter,
            self.reason_filter,
            self.event_type_filter,
            self.time_window,
            self.search,
        ):
            w.observe(self.observer(self._filter_changed, "filter"), "value")
        self.host_select.observe(
            self.observer(lambda _c: None if self._syncing else self._render_host(), "host detail"), "value"
        )
        self.reset_button.on_click(self.action(self.reset_filters, "reset"))
        self.chips.on_change(lambda value: self._guarded(lambda: self._chips_changed(value), "filter"))
        self.tasks_grid.on_select(
            lambda chosen, _shown: self._guarded(lambda: self._task_clicked(chosen), "host detail")
        )
        self.export_csv_button.on_click(self.action(self.export_csv, "export CSV"))
        self.export_parquet_button.on_click(self.action(self.export_parquet, "export Parquet"))
        self.export_report_button.on_click(self.action(self.export_report, "export report"))
        self.state.observe(
            self.observer(lambda c: self.show(c["new"]) if c["new"] is not None else None, "show results"), "run"
        )
        self._buttons()
        if result is not None:
            self.state.run = result
        elif self.state.run is not None:
            self.show(self.state.run)
        else:
            self._render()

    # -- public API ------------------------------------------------------------------------------
    def show(self, result: Any) -> None:
        """Show ``result`` (a ``BatchRun`` or a loaded ``RunResult``), filters reset."""
        frames = RunFrames.of(result)
        self.result, self._frames = result, frames
        self._syncing = True
        try:
            self._set_options()
        finally:
            self._syncing = False
        self.apply_filters()
        self._buttons()

    def reset_filters(self) -> None:
        """Every filter back to "everything"."""
        if self.result is not None:
            self.show(self.result)

    def apply_filters(self) -> dict[str, pd.DataFrame]:
        """Filter, re-render the tables and host list, queue the charts; the filtered frames (:attr:`view`)."""
        frames = self._frames
        if frames is None:
            self.view = {}
            self._render()
            return self.view
        filters = Filters(
            clusters=tuple(self.cluster_filter.value),
            outcomes=tuple(self.outcome_filter.value),
            reason=None if self.reason_filter.value in (ANY, None) else self.reason_filter.value,
            event_type=None if self.event_type_filter.value in (ANY, None) else self.event_type_filter.value,
            window=self._window(),
            search=self.search.value,
        )
        self.chips.show_active(self.outcome_filter.value)
        self.view = select(frames, filters)
        self._render()
        if self.charts_enabled:
            self._charts.push((self.view["tasks"], self.view["events"]))
        return self.view

    def wait_charts(self, timeout: float | None = 30.0) -> bool:
        """Wait until the charts show the current filters; ``False`` on timeout."""
        return self._charts.idle(timeout)

    def export_csv(self) -> list[Path]:
        """Write the filtered frames as ``filtered-<name>.csv`` into the export folder; the paths written."""
        return self._export("csv")

    def export_parquet(self) -> list[Path]:
        """Write the filtered frames as ``filtered-<name>.parquet`` into the export folder; the paths written."""
        return self._export("parquet")

    def export_report(self) -> Path:
        """Write the run's self-contained HTML report (``report.html``) into the export folder."""
        folder = self._export_folder()
        with MPL_LOCK:
            path = Path(self.result.report(folder / "report.html"))
        self._show_written([path])
        return path

    def close(self) -> None:
        self._charts.close()

    # -- internals -------------------------------------------------------------------------------
    def _locked_report(self, exc: BaseException, context: str) -> None:
        with self.state.lock:
            self.report(exc, context)

    def _guarded(self, fn: Any, context: str) -> None:
        with self.state.lock:
            try:
                fn()
            except Exception as exc:
                self.report(exc, context)

    def _filter_changed(self, _change: Any) -> None:
        if not self._syncing:
            self.apply_filters()

    def _chips_changed(self, value: tuple[str, ...]) -> None:
        """A chip click sets the outcome filter (which re-filters everything)."""
        if tuple(self.outcome_filter.value) != value:
            self.outcome_filter.value = tuple(v for v in value if v in dict(self.outcome_filter.options).values())

    def _task_keys(self, tasks: pd.DataFrame) -> list[Any]:
        return list(
            zip(_obj(tasks, "vcenter", "").astype(str).tolist(), _obj(tasks, "host_moid", "").astype(str).tolist())
        )

    def _task_clicked(self, chosen: set[Any]) -> None:
        """A click on an attempt opens its host's detail."""
        if not chosen:
            return
        key = next(iter(chosen))
        if key in [v for _l, v in self.host_select.options]:
            self.host_select.value = key

    def _set_options(self) -> None:
        d = self._frames
        assert d is not None
        clusters = d.t_cluster.value_counts()
        self.cluster_filter.options = [(f"{c} ({n})", c) for c, n in sorted(clusters.items())]
        self.cluster_filter.value = ()
        outcomes = d.t_outcome.value_counts()
        order = [o for o in (*OUTCOMES, IN_PROGRESS) if o in outcomes.index]
        self.outcome_filter.options = [(f"{o} ({outcomes[o]})", o) for o in order]
        self.outcome_filter.value = ()
        self.chips.set_counts({o: int(outcomes[o]) for o in order}, order=(*OUTCOMES, IN_PROGRESS))
        self.chips.show_active(())
        reasons = d.t_reason.dropna().value_counts()
        self.reason_filter.options = [(ANY, ANY)] + [(f"{r} ({n})", r) for r, n in reasons.items()]
        self.reason_filter.value = ANY
        types = d.e_type.value_counts()
        self.event_type_filter.options = [(ANY, ANY)] + [(f"{t} ({n})", t) for t, n in types.items()]
        self.event_type_filter.value = ANY
        self.search.value = ""
        options = _time_options(d.times())
        with self.time_window.hold_sync():
            if options:
                self.time_window.options = options
                self.time_window.index = (0, len(options) - 1)
                self.time_window.disabled = False
            else:
                self.time_window.options = [("—", None)]
                self.time_window.index = (0, 0)
                self.time_window.disabled = True

    def _window(self) -> Window | None:
        return window_of(self.time_window.options, self.time_window.index, self.time_window.disabled)

    def _render(self) -> None:
        view = self.view
        if not view or self._frames is None:
            for grid in (self.tasks_grid, self.fault_grid, self.events_grid):
                grid.set_frame(pd.DataFrame())
            self.counts.value = ""
            self._set_hosts([])
            return
        result = self.result
        e = html_text
        stop = getattr(result, "stop_reason", None)
        where = getattr(result, "run_dir", None)
        self.summary.value = (
            f"<div><b>Run {e(str(result.run_id))}</b>{' — <b>stopped: ' + e(str(stop)) + '</b>' if stop else ''}"
            f"{' — folder <code>' + e(str(where)) + '</code>' if where else ''}</div>"
        )
        tasks = view["tasks"]
        self.counts.value = (
            f"filtered: <b>{len(tasks):,}</b> of {len(self._frames.tasks):,} attempts, "
            f"<b>{len(view['faults']):,}</b> faults, <b>{len(view['events']):,}</b> events"
        )
        self.tasks_grid.set_frame(tasks, keys=self._task_keys(tasks))
        self.fault_grid.set_frame(view["faults"].sort_values(["host", "task_moid", "depth"], kind="stable"))
        self.events_grid.set_frame(view["events"])
        pairs = (
            tasks[["vcenter", "host_moid", "host", "cluster"]].astype(object).drop_duplicates(["vcenter", "host_moid"])
        )
        self._set_hosts(
            [
                (f"{h} ({c if isinstance(c, str) else NO_CLUSTER})", (vc, moid))
                for vc, moid, h, c in pairs.itertuples(index=False)
            ]
        )

    def _set_hosts(self, options: list[tuple[str, Any]]) -> None:
        current = self.host_select.value
        choices = options or [("—", None)]
        values = [v for _l, v in choices]
        self._syncing = True
        try:
            with self.host_select.hold_sync():
                self.host_select.options = choices
                self.host_select.value = current if current in values else values[0]
        finally:
            self._syncing = False
        self._render_host()

    def _render_host(self) -> None:
        key = self.host_select.value
        if key is None or self._frames is None:
            self.host_detail.value = ""
            return
        self.host_detail.value = host_detail_html(*host_story(self._frames, key))

    def _render_charts(self, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
        tasks, events = frames
        with MPL_LOCK:
            images = (
                charts.figure_png(charts.outcomes_by_cluster(tasks)),
                charts.figure_png(charts.fault_reasons(tasks)),
                charts.figure_png(charts.task_timeline(tasks)),
                charts.figure_png(charts.events_over_time(events)),
            )
        with self.state.lock:
            for widget, png in zip(
                (self.chart_outcomes, self.chart_reasons, self.chart_timeline, self.chart_events), images
            ):
                widget.value = png

    def _export_folder(self) -> Path:
        return export_folder(self.result, self.export_dir.value)

    def _export(self, kind: str) -> list[Path]:
        written = write_filtered(self.view, self._export_folder(), kind)
        self._show_written(written)
        return written

    def _show_written(self, paths: list[Path]) -> None:
        items = "".join(f"<li><code>{html_text(str(p))}</code></li>" for p in paths)
        self.export_path.value = f"written:<ul>{items}</ul>"
        self.set_status(f"exported {len(paths)} file(s) to {paths[0].parent}", "ok")

    def _buttons(self) -> None:
        for button in (
            self.export_csv_button,
            self.export_parquet_button,
            self.export_report_button,
            self.reset_button,
        ):
            button.disabled = self.result is None


def _heading(text: str) -> widgets.HTML:
    """A section heading of the panel (escaped)."""
    return widgets.HTML(value=f"<h4 style='margin:.6em 0 .2em'>{html_text(text)}</h4>")
