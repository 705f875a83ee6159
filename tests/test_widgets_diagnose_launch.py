"""Diagnose before you launch, in the runbook: Connect → Hosts → Diagnose → Launch → Results; the plan shows
each host's cause and flags, flagged hosts need the second confirmation, "a reconfigure can fix" is one click,
and after a run the Hosts and Diagnose tabs refresh."""

from __future__ import annotations

from pathlib import Path

import pytest
from widget_helpers import assert_no_errors, fail_on_handler_errors, wait_for  # noqa: F401  (autouse fixture)

from vsphere_nb.widgets import RunbookPanel

HEALTHY = ("master", "connectedToMaster")


@pytest.fixture
def panel(tmp_path: Path):
    panel = RunbookPanel(
        simulator=dict(scenario="story", clusters=6, hosts_per_cluster=12, seed=1, task_seconds=1.0, time_scale=50.0),
        autoconnect=True,
        run_dir=str(tmp_path / "run"),
        charts=True,
    )
    yield panel
    panel.close()


def _wait_run(panel: RunbookPanel, timeout: float = 60.0):
    wait_for(lambda: panel.launch.handle is not None and panel.launch.handle.done(), timeout, "the run to end")
    return panel.launch.wait(timeout)


def test_diagnose_then_plan_flags_then_launch_then_refresh(panel: RunbookPanel) -> None:
    state, diagnose, launch = panel.state, panel.diagnose, panel.launch
    assert panel.widget.titles == ("Connect", "Hosts", "Diagnose", "Launch", "Results")
    diagnose.diagnose_button.click()
    diagnose.wait(60)
    assert state.diagnosis is not None and len(state.diagnosis.hosts)
    d = state.diagnosis.hosts
    # plan over every host: healthy ones and causes to fix first are flagged, the plan shows causes
    panel.hosts.select_all.click()
    launch.plan_button.click()
    plan = state.plan
    frame = plan.to_frame()
    launch_rows = frame[frame["skip_reason"].isna()]
    assert "will not be helped by a reconfigure" in launch.plan_view.value
    assert set(launch_rows["cause"].dropna()) <= set(d["cause"].astype(str))
    assert "healthy: nothing to fix" in set(launch_rows["flag"].dropna())
    # the second confirmation: unticked, only unflagged hosts are counted
    launch.launch_button.click()
    flagged = len(plan.plan.flagged)
    assert launch.include_flagged.layout.display is None and str(flagged) in launch.include_flagged.description
    assert launch.confirm_button.description.endswith(f"{len(plan) - flagged} hosts") or flagged == len(plan)
    launch.confirm_cancel_button.click()
    # one click: the hosts a reconfigure can fix
    diagnose.select_fixable_button.click()
    fixable = d[d["reconfigure_fixes"].fillna(False).astype(bool)]
    assert state.selected == frozenset(zip(fixable["vcenter"].astype(str), fixable["host_moid"].astype(str)))
    first_diagnosis = state.diagnosis
    before_states = dict(zip(state.hosts["host_moid"].astype(str), state.hosts["das_state"].astype(str)))
    launch.plan_button.click()
    assert not state.plan.plan.flagged
    launch.launch_button.click()
    launch.confirm_button.click()
    run = _wait_run(panel)
    assert set(run.tasks[run.tasks["attempt"] > 0]["host_moid"].astype(str)) == set(fixable["host_moid"].astype(str))
    # after the run: the Hosts tab reloaded the agents' states, the Diagnose tab diagnosed again
    wait_for(
        lambda: (
            state.hosts is not None
            and dict(zip(state.hosts["host_moid"].astype(str), state.hosts["das_state"].astype(str))) != before_states
        ),
        30,
        "hosts reloaded",
    )
    wait_for(lambda: state.diagnosis is not first_diagnosis, 60, "the Diagnose tab to diagnose again")
    diagnose.wait(60)
    assert bytes(diagnose.causes_chart.value)[:4] == b"\x89PNG"
    diagnose.cause.value = str(state.diagnosis.summary["cause"].iloc[0])
    assert bytes(diagnose.swimlane_chart.value)[:4] == b"\x89PNG"
    assert "KeyError" not in diagnose.status.value
    # a new plan after the run starts from an empty progress bar
    panel.hosts.select_all.click()
    launch.plan_button.click()
    assert launch.progress.value == 0 and launch.progress_text.value == ""
    assert_no_errors(*panel.panels)
