"""ResultsPanel over a synthetic run and a saved one: filters, charts, host detail, exports, escaping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from widget_helpers import assert_no_errors, fail_on_handler_errors, grid_data, grid_rows  # noqa: F401  (autouse fixture)

from benchmarks.synthetic import synthetic_records
from vsphere_nb.batch import RunResult, build_frames, empty_frame, load_run
from vsphere_nb.errors import ConfigError
from vsphere_nb.widgets import LaunchPanel, ResultsPanel, RunbookState
from vsphere_nb.widgets.results import ANY

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result() -> RunResult:
    frames = dict(build_frames(synthetic_records(60, 600, seed=3, hosts_per_cluster=10)).items())
    frames["hosts"] = empty_frame("hosts")
    return RunResult(run_id="run-synthetic", frames=frames)


def _rows(grid: Any) -> int:
    return len(grid_rows(grid))


def _reason(tasks: pd.DataFrame) -> pd.Series:
    reason = tasks["fault_reason"].astype(object)
    return reason.where(reason.notna(), tasks["fault_type"].astype(object))


def test_filters_select_attempts_and_the_faults_and_events_follow(result: RunResult) -> None:
    panel = ResultsPanel(result=result, charts=False)
    tasks, faults, _events = result.tasks, result.faults, result.events
    assert len(panel.view["tasks"]) == len(tasks)
    assert _rows(panel.fault_table) == len(faults)

    reason = "DasNetworkMisconfiguration"
    assert (reason, reason) in [(v, v) for _l, v in panel.reason_filter.options]
    panel.reason_filter.value = reason
    chosen = tasks[_reason(tasks) == reason]
    assert list(panel.view["tasks"]["host_moid"]) == list(chosen["host_moid"])
    expected_faults = faults[faults["task_moid"].astype(object).isin(set(chosen["task_moid"].astype(object)))]
    assert 0 < len(expected_faults) < len(faults)
    assert len(panel.view["faults"]) == len(expected_faults)
    assert _rows(panel.fault_table) == len(expected_faults)
    assert set(panel.view["events"]["host_moid"].astype(str)) <= set(chosen["host_moid"].astype(str))

    panel.reason_filter.value = ANY
    panel.outcome_filter.value = ("success",)
    assert set(panel.view["tasks"]["outcome"].astype(str)) == {"success"}
    assert panel.view["faults"].empty

    panel.cluster_filter.value = ("cluster-0001",)
    expected = tasks[(tasks["outcome"] == "success") & (tasks["cluster"] == "cluster-0001")]
    assert list(panel.view["tasks"]["host_moid"]) == list(expected["host_moid"])

    panel.event_type_filter.value = "HostDasEnablingEvent"
    assert set(panel.view["events"]["event_type_id"].astype(str)) == {"HostDasEnablingEvent"}
    assert set(panel.view["events"]["host_moid"].astype(str)) <= set(expected["host_moid"].astype(str))

    panel.reset_button.click()
    assert len(panel.view["tasks"]) == len(tasks) and panel.reason_filter.value == ANY
    panel.search.value = "esx000007"
    assert list(panel.view["tasks"]["host"].astype(str)) == ["esx000007.example.test"]
    assert_no_errors(panel)


def test_the_time_window_narrows_tasks_and_events(result: RunResult) -> None:
    panel = ResultsPanel(result=result, charts=False)
    options = panel.time_window.options
    assert len(options) > 10 and not panel.time_window.disabled
    panel.time_window.index = (0, len(options) // 4)
    start, end = options[0][1], options[len(options) // 4][1]
    tasks = panel.view["tasks"]
    assert 0 < len(tasks) < len(result.tasks)
    assert (tasks["started_at"] < end).all()
    assert ((tasks["completed_at"].isna()) | (tasks["completed_at"] >= start)).all()
    created = panel.view["events"]["created_time"]
    assert len(created) and (created < end).all() and (created >= start).all()
    assert_no_errors(panel)


def test_charts_follow_the_filters(result: RunResult) -> None:
    panel = ResultsPanel(result=result)
    try:
        assert panel.wait_charts(60)
        images = [panel.chart_outcomes, panel.chart_reasons, panel.chart_timeline, panel.chart_events]
        first = [bytes(i.value) for i in images]
        assert all(v.startswith(PNG) for v in first)
        panel.outcome_filter.value = ("fault",)
        assert panel.wait_charts(60)
        second = [bytes(i.value) for i in images]
        assert second[0] != first[0] and second[2] != first[2]
        assert "vnb-chart-outcomes" in panel.chart_outcomes._dom_classes
    finally:
        panel.close()
    assert_no_errors(panel)


def test_host_detail_shows_the_whole_story_escaped(result: RunResult) -> None:
    panel = ResultsPanel(result=result, charts=False)
    panel.outcome_filter.value = ("fault",)
    hosts = [v for _l, v in panel.host_select.options]
    assert len(hosts) == (result.tasks["outcome"] == "fault").sum()
    panel.host_select.value = hosts[0]
    detail = panel.host_detail.value
    row = result.tasks[result.tasks["host_moid"] == hosts[0][1]].iloc[0]
    assert str(row["host"]) in detail and str(row["fault_reason"]) in detail
    assert "<pre" in detail and "Configuring vSphere HA on" in detail  # the output, pre-formatted
    assert "SystemError" in detail  # the fault chain
    assert "com.vmware.vim.das.configFailed" in detail  # the fault messages
    assert "HostDasErrorEvent" in detail  # the events


def test_values_from_vcenter_are_escaped(result: RunResult) -> None:
    frames = result.frames()
    tasks = frames["tasks"].copy()
    tasks["fault_message"] = tasks["fault_message"].astype(object)
    tasks.loc[tasks.index[0], "fault_message"] = "<script>alert('x')</script>"
    frames["tasks"] = tasks
    panel = ResultsPanel(result=RunResult(run_id="run-x", frames=frames), charts=False)
    panel.host_select.value = (str(tasks["vcenter"].iloc[0]), str(tasks["host_moid"].iloc[0]))
    for text in (grid_data(panel.tasks_table), panel.host_detail.value):
        assert "<script>" not in text
    assert "&lt;script&gt;" in grid_data(panel.tasks_table)


def test_exports_write_the_filtered_view_and_the_report(result: RunResult, tmp_path: Path) -> None:
    panel = ResultsPanel(result=result, charts=False)
    panel.export_csv_button.click()  # a synthetic run has no folder: it says so
    assert "enter one in 'Export to'" in panel.error_lines()[0]

    panel.export_dir.value = str(tmp_path / "out")
    panel.outcome_filter.value = ("fault",)
    panel.export_csv_button.click()
    panel.export_parquet_button.click()
    panel.export_report_button.click()
    assert_no_errors(panel)
    out = tmp_path / "out"
    for name in ("tasks", "faults", "fault_messages", "events"):
        assert (out / f"filtered-{name}.csv").stat().st_size > 0
        assert (out / f"filtered-{name}.parquet").stat().st_size > 0
    tasks = pd.read_parquet(out / "filtered-tasks.parquet")
    assert set(tasks["outcome"].astype(str)) == {"fault"}
    assert len(pd.read_csv(out / "filtered-tasks.csv")) == len(tasks)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "run-synthetic" in report and "<img" in report
    assert str(out / "report.html") in panel.export_path.value


def test_a_saved_run_is_shown_and_cannot_be_retried_from_here(result: RunResult, tmp_path: Path) -> None:
    result.save(tmp_path / "saved")
    loaded = load_run(tmp_path / "saved")
    state = RunbookState()
    launch = LaunchPanel(state)
    panel = ResultsPanel(state, result=loaded, charts=False)
    assert len(panel.view["tasks"]) == len(result.tasks)
    assert launch.retry_button.disabled
    panel.export_csv_button.click()  # default folder: the run's own, without touching its full frames
    assert_no_errors(panel)
    assert (tmp_path / "saved" / "filtered-tasks.csv").exists()
    assert len(pd.read_csv(tmp_path / "saved" / "tasks.csv")) == len(result.tasks)
    launch.retry_button.click()
    assert "loaded from disk" in launch.error_lines()[0]
    launch.close()


def test_an_empty_panel_is_harmless() -> None:
    panel = ResultsPanel(charts=False)
    assert grid_rows(panel.tasks_table) == [] and "no attempts" in str(panel.tasks_table._dt_args)
    assert panel.export_csv_button.disabled
    with pytest.raises(ConfigError, match="no run to export"):
        panel.export_csv()
    assert panel.apply_filters() == {}


def test_a_run_without_attempts_shows_empty_tables_and_no_data_charts() -> None:
    frames = {name: empty_frame(name) for name in ("tasks", "faults", "fault_messages", "events", "hosts")}
    panel = ResultsPanel(result=RunResult(run_id="run-empty", frames=frames))
    try:
        assert grid_rows(panel.tasks_table) == [] and panel.time_window.disabled
        assert panel.host_select.value is None
        assert panel.wait_charts(60)
        assert bytes(panel.chart_outcomes.value).startswith(PNG)
    finally:
        panel.close()
    assert_no_errors(panel)
