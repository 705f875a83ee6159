"""The whole runbook against the built-in simulator over real HTTP: connect, select, plan, confirm, watch,
results, exports, retry — driven the way a user (or the browser test) drives it."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest
from widget_helpers import (  # noqa: F401  (autouse fixture)
    assert_no_errors,
    fail_on_handler_errors,
    grid_rows,
    grid_texts,
    wait_for,
    widget_strings,
)

from vsphere_nb.widgets import RunbookPanel
from vsphere_nb.widgets.launch import PLAN_COLUMNS

HEALTHY = ("master", "connectedToMaster")


def _bad(frame: Any) -> Any:
    """The definition of "unhealthy", written out: HA enabled on the cluster, and the agent not
    master/connectedToMaster or the host not connected."""
    ha = frame["ha_enabled"].astype("boolean").fillna(False).astype(bool)
    agent = ~frame["das_state"].isin(HEALTHY) | frame["connection_state"].astype(object).ne("connected")
    return ha & agent


@pytest.fixture
def panel(tmp_path: Path):
    panel = RunbookPanel(
        simulator=dict(
            scenario="mixed",
            clusters=3,
            hosts_per_cluster=4,
            standalone_hosts=1,
            seed=1,
            task_seconds=2.0,
            time_scale=20.0,
        ),
        autoconnect=True,
        run_dir=str(tmp_path / "run"),
    )
    yield panel
    panel.close()


def _wait_run(panel: RunbookPanel, timeout: float = 30.0):
    wait_for(lambda: panel.launch.handle.done(), timeout, "the run to end")
    return panel.launch.wait(timeout)


def test_connect_select_plan_confirm_run_results_export_retry(panel: RunbookPanel, tmp_path: Path) -> None:
    state, hosts, launch, results = panel.state, panel.hosts, panel.launch, panel.results
    sim = state.simulator
    assert_no_errors(*panel.panels)
    assert state.client is not None and len(state.hosts) == 13

    # Hosts: only unhealthy, select all of them
    hosts.only_unhealthy.value = True
    unhealthy = state.hosts[_bad(state.hosts)]
    assert len(hosts.filtered) == len(unhealthy) > 0
    hosts.select_all.click()
    assert state.selected == set(zip(unhealthy["vcenter"], unhealthy["host_moid"]))
    assert f"{len(unhealthy)} selected" in hosts.count.value

    # Launch: limits, dry run, nothing launched yet
    launch.per_cluster.value = 2
    launch.max_failures.value = "50%"
    launch.plan_button.click()
    plan = state.plan
    assert plan is not None and len(plan) > 0
    assert plan.limits.per_cluster == 2 and str(plan.limits.max_failures) == "50%"
    assert "Dry run" in launch.plan_view.value
    assert sim.stats()["launches_per_host"] == {}
    assert not launch.launch_button.disabled

    # Launch… asks first; only Confirm launches
    launch.launch_button.click()
    assert launch.confirm_box.layout.display is None
    assert launch.confirm_button.description == f"Confirm launch of {len(plan)} hosts"
    assert sim.stats()["launches_per_host"] == {}
    launch.confirm_button.click()
    assert_no_errors(*panel.panels)
    assert launch.confirm_box.layout.display == "none"
    assert state.running and launch.launch_button.disabled and launch.plan_button.disabled
    assert panel.connect.connect_button.disabled

    run = _wait_run(panel)
    assert_no_errors(*panel.panels)
    assert state.run is run and not state.running
    assert not launch.plan_button.disabled
    launched = {h.host_moid for h in plan.launch}
    assert set(sim.stats()["launches_per_host"]) == launched
    assert launch.progress.value == launch.progress.max == len(plan)
    for cluster in {h.cluster for h in plan.launch}:
        assert cluster in launch.cluster_table.value
    assert all(h.host in launch.host_table.value for h in plan.launch)
    assert run.run_id in launch.summary.value and run.run_id in results.summary.value
    # the chips now count the ended run's outcomes, and say whose they are (a new plan may show below them)
    assert launch.chips.title.value == "<b>Last run:</b>", launch.chips.title.value

    # Results: the fault reason filter changes the fault table
    failed = run.failed_hosts()
    assert len(failed) > 0, "the mixed scenario makes some hosts fail"
    all_faults = len(grid_rows(results.fault_table))
    reasons = [v for _l, v in results.reason_filter.options[1:]]
    assert reasons
    results.reason_filter.value = reasons[0]
    assert 1 <= len(grid_rows(results.fault_table)) < all_faults or len(reasons) == 1
    assert all(
        r == reasons[0]
        for r in results.view["tasks"]["fault_reason"]
        .astype(object)
        .fillna(results.view["tasks"]["fault_type"].astype(object))
    )
    assert results.wait_charts(60)
    assert all(
        bytes(img.value).startswith(b"\x89PNG")
        for img in (results.chart_outcomes, results.chart_reasons, results.chart_timeline, results.chart_events)
    )

    # Exports land in the run folder
    results.export_csv_button.click()
    results.export_report_button.click()
    assert_no_errors(*panel.panels)
    run_dir = tmp_path / "run"
    assert (run_dir / "filtered-tasks.csv").exists() and (run_dir / "report.html").exists()
    assert (run_dir / "journal.jsonl").exists() and (run_dir / "tasks.parquet").exists()
    assert str(run_dir / "report.html") in results.export_path.value

    # Retry failed → a new plan → the same confirm flow
    assert not launch.retry_button.disabled
    launch.retry_button.click()
    retry = state.plan
    assert {h.host_moid for h in retry.launch} == set(failed["host_moid"].astype(str))
    assert all(h.attempt == 2 for h in retry.launch)
    assert "attempt 2" in launch.plan_view.value
    launch.launch_button.click()
    launch.confirm_button.click()
    assert launch.chips.title.value == "<b>Hosts:</b>"  # a run under way: its own hosts
    second = _wait_run(panel)
    assert launch.chips.title.value == "<b>Last run:</b>"
    assert_no_errors(*panel.panels)
    assert second.run_id == run.run_id and int(second.tasks["attempt"].max()) == 2
    # attempts 1 and 2 (0 too when the selection held hosts the pre-flight skips)
    assert {1, 2} <= set(results.view["tasks"]["attempt"].unique().tolist()) <= {0, 1, 2}

    # nothing secret ever reached a widget
    strings = widget_strings(panel.widget)
    assert not any(sim.password in s for s in strings)


def test_cancel_at_the_confirmation_launches_nothing(panel: RunbookPanel) -> None:
    panel.hosts.select_all.click()
    panel.launch.plan_button.click()
    panel.launch.launch_button.click()
    panel.launch.confirm_cancel_button.click()
    assert panel.launch.confirm_box.layout.display == "none"
    assert not panel.launch.launch_button.disabled
    assert panel.state.handle is None and not panel.state.running
    assert panel.state.simulator.stats()["launches_per_host"] == {}
    assert "nothing was started" in panel.launch.status.value
    assert_no_errors(*panel.panels)


def test_changing_the_selection_drops_the_plan(panel: RunbookPanel) -> None:
    panel.hosts.select_all.click()
    panel.launch.plan_button.click()
    assert panel.state.plan is not None
    panel.hosts.only_unhealthy.value = True
    panel.hosts.select_none.click()
    assert panel.state.plan is None and panel.launch.launch_button.disabled
    assert_no_errors(*panel.panels)


def test_bad_limits_and_missing_selection_are_one_line_errors(panel: RunbookPanel) -> None:
    launch = panel.launch
    launch.plan_button.click()
    assert launch.error_lines() == ["plan: ConfigError: no hosts selected: select hosts in the Hosts panel first\n"]
    panel.hosts.select_all.click()
    launch.max_failures.value = "a lot"
    launch.plan_button.click()
    assert len(launch.error_lines()) == 1 and "max_failures must look like" in launch.error_lines()[0]
    assert panel.state.plan is None


def test_a_launch_that_cannot_start_re_enables_the_panel(panel: RunbookPanel, tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "something").write_text("x")
    panel.hosts.select_all.click()
    panel.launch.plan_button.click()
    panel.launch.launch_button.click()
    panel.launch.confirm_button.click()
    assert "is not empty" in panel.launch.error_lines()[0]
    assert not panel.state.running and not panel.launch.plan_button.disabled
    assert not panel.launch.launch_button.disabled


def test_stop_launching_and_throttled_updates(tmp_path: Path) -> None:
    panel = RunbookPanel(
        simulator=dict(
            scenario="healthy", clusters=2, hosts_per_cluster=10, standalone_hosts=0, task_seconds=0.4, time_scale=1.0
        ),
        autoconnect=True,
        run_dir=str(tmp_path / "run"),
    )
    try:
        updates: list[float] = []
        panel.launch.progress_text.observe(lambda _c: updates.append(time.monotonic()), "value")
        panel.hosts.select_all.click()
        panel.launch.max_in_flight.value = 2
        panel.launch.post_check.value = False
        panel.launch.plan_button.click()
        panel.launch.launch_button.click()
        panel.launch.include_flagged.value = True  # the healthy hosts are flagged: the second confirmation
        started = time.monotonic()
        panel.launch.confirm_button.click()
        wait_for(lambda: panel.launch.progress.value >= 2, 20, "two hosts done")
        assert not panel.launch.cancel_button.disabled
        panel.launch.cancel_button.click()
        assert panel.launch.cancel_button.disabled
        run = _wait_run(panel)
        elapsed = time.monotonic() - started
        assert_no_errors(*panel.panels)
        summary = run.summary()
        assert run.stop_reason and summary["cancelled"] > 0 and summary["success"] >= 2
        assert "stopped" in panel.launch.status.value
        # at most ~4 progress renders per second (+ the last one)
        assert 2 <= len(updates) <= elapsed / 0.25 + 2, (len(updates), elapsed)
        gaps = [b - a for a, b in itertools.pairwise(updates)]
        assert sum(1 for g in gaps if g < 0.2) <= 1, gaps
    finally:
        panel.close()


def test_chips_grids_and_a_row_click_tell_the_story_of_a_run(panel: RunbookPanel) -> None:
    state, hosts, launch, results = panel.state, panel.hosts, panel.launch, panel.results
    hosts.chips.click("unhealthy")  # the header chip filters like "only unhealthy"
    unhealthy = state.hosts[_bad(state.hosts)]
    assert len(hosts.filtered) == len(unhealthy)
    hosts.grid.select_positions(range(len(hosts.grid)))  # click the first row, shift-click the last
    assert state.selected == set(zip(unhealthy["vcenter"], unhealthy["host_moid"]))
    launch.plan_button.click()
    plan = state.plan
    # the plan's hosts and skipped hosts are grids, every one of them there
    assert len(grid_rows(launch.plan_grid.widget)) == len(plan)
    assert len(grid_rows(launch.skipped_grid.widget)) == len(plan.plan.skipped)
    launch.launch_button.click()
    launch.confirm_button.click()
    run = _wait_run(panel)
    assert_no_errors(*panel.panels)
    # the plan was carried out: Launch cannot start it a second time
    assert state.plan is None and launch.launch_button.disabled and launch.plan_view.value == ""

    # one chip per outcome with its count, in the Launch header and in the Results header
    summary = {k: int(v) for k, v in run.summary().items() if int(v)}
    assert {k: v for k, v in launch.chips.counts().items() if v} == summary
    assert {k: v for k, v in results.chips.counts().items() if v} == {
        k: v for k, v in run.tasks["outcome"].astype(str).value_counts().items()
    }
    # a chip click filters the Results like the outcome filter
    outcome = next(o for o in ("fault", "success") if o in summary)
    results.chips.click(outcome)
    assert results.outcome_filter.value == (outcome,)
    assert set(results.view["tasks"]["outcome"].astype(str)) == {outcome}
    assert len(grid_rows(results.tasks_table)) == len(results.view["tasks"])
    # a click on an attempt opens that host's detail
    results.tasks_grid.select_positions([0])
    first = results.view["tasks"].iloc[0]
    assert results.host_select.value == (str(first["vcenter"]), str(first["host_moid"]))
    assert str(first["host"]) in results.host_detail.value
    results.chips.click(outcome)
    assert results.outcome_filter.value == ()
    assert_no_errors(*panel.panels)


def test_two_simulated_vcenters_one_table_one_plan(tmp_path: Path) -> None:
    panel = RunbookPanel(
        simulator=dict(
            scenario="mixed", clusters=2, hosts_per_cluster=4, vcenters=2, seed=3, task_seconds=1.0, time_scale=20.0
        ),
        autoconnect=True,
        run_dir=str(tmp_path / "run"),
    )
    try:
        state = panel.state
        assert_no_errors(*panel.panels)
        assert len(state.clients) == 2 and state.client is state.clients[0]
        vcenters = {c.vcenter for c in state.clients}
        assert set(state.hosts["vcenter"].astype(str)) == vcenters
        assert "connected to 2 vCenters" in panel.connect.status.value
        for name in vcenters:
            assert name in panel.connect.info.value
        # every table says which vCenter a host is on
        assert "vCenter" in [h for _c, h in panel.hosts.grid.columns]
        panel.hosts.only_unhealthy.value = True
        panel.hosts.select_all.click()
        panel.launch.per_cluster.value = 1
        panel.launch.plan_button.click()
        plan = state.plan
        assert set(plan.to_frame()["vcenter"].astype(str)) <= vcenters and plan.limits.per_cluster == 1
        assert "vCenters" in panel.launch.plan_view.value or len(set(plan.to_frame()["vcenter"])) == 1
        panel.launch.launch_button.click()
        panel.launch.confirm_button.click()
        run = _wait_run(panel)
        launched = run.tasks[run.tasks["attempt"] > 0]
        assert set(launched["vcenter"].astype(str)) == vcenters
        assert_no_errors(*panel.panels)
        # add a third (simulated) vCenter, keeping the two
        panel.connect.add_button.click()
        assert len(state.clients) == 3 and len(set(state.hosts["vcenter"].astype(str))) == 3
        panel.connect.disconnect_button.click()
        assert state.clients == () and state.client is None and state.hosts is None
        assert_no_errors(*panel.panels)
    finally:
        panel.close()


def test_the_plan_table_counts_from_one_and_says_when_there_is_no_diagnosis(panel: RunbookPanel) -> None:
    """An operator counts the launch order from 1; a plan made before any diagnosis says its causes are unknown
    (in the cause cells and in a note above the table) instead of showing empty cells."""
    state, launch = panel.state, panel.launch
    column = [name for name, _label in PLAN_COLUMNS]
    panel.hosts.only_unhealthy.value = True
    panel.hosts.select_all.click()
    launch.plan_button.click()
    plan = state.plan
    rows = grid_rows(launch.plan_grid.widget)
    assert len(rows) == len(plan) > 1
    assert [row[column.index("order")] for row in rows] == [str(i) for i in range(1, len(plan) + 1)]
    assert [h.order for h in plan.launch] == list(range(len(plan)))  # the plan itself is unchanged
    assert {row[column.index("cause")] for row in rows} == {"not diagnosed"}
    assert "run Diagnose first" in launch.plan_note.value

    # diagnosed, then planned again: each host's own cause, no note
    panel.diagnose.diagnose_button.click()
    panel.diagnose.wait(60)
    assert state.diagnosis is not None
    launch.plan_button.click()
    rows = grid_texts(launch.plan_grid.widget)
    causes = {row[column.index("cause")] for row in rows}
    diagnosed = {h.cause for h in state.plan.launch if h.cause}
    assert diagnosed and diagnosed <= causes and "not diagnosed" not in causes
    assert launch.plan_note.value == ""
    # whether a reconfigure fixes it and the canary mark are words, never an empty cell standing for False
    words = {True: "reconfigure fixes", False: "fix first", None: "fix not known"}
    by_host = {h.host: h for h in state.plan.launch}
    for row in rows:
        planned = by_host[row[column.index("host")]]
        assert row[column.index("reconfigure_fixes")] == words[planned.reconfigure_fixes]
        assert row[column.index("canary")] == ("canary" if planned.canary else "")
    assert_no_errors(*panel.panels)
