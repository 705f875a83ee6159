"""What resume must do, read from a journal (pure): each host's latest attempt sorted by the stage it reached."""

from __future__ import annotations

import pandas as pd

from vsphere_nb.batch import BatchLimits, Journal, make_plan, state_from_journal
from vsphere_nb.batch.resume_plan import launch_times, plan_resume


def hosts(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "vcenter": "vc1",
                "host": f"esx{i}",
                "host_moid": f"host-{i}",
                "cluster": "C0",
                "cluster_moid": "domain-c1",
                "das_state": "initializationError",
                "eligible": True,
                "skip_reason": None,
            }
            for i in range(n)
        ]
    )


def test_every_stage_lands_where_resume_needs_it(tmp_path):
    plan = make_plan(hosts(), BatchLimits(max_in_flight=6, per_cluster=6))
    h = {p.host_moid: p for p in plan.launch}
    with Journal.create(tmp_path) as j:
        j.run_started(run_id="r", vcenters=["vc1"], limits=BatchLimits(), vcenter_ids={"vc1": "uuid-1"})
        j.planned(plan)
        j.launching(h["host-0"])  # no answer
        j.launching(h["host-1"])
        j.launched(h["host-1"], "task-1")  # running
        j.launching(h["host-2"])
        j.launched(h["host-2"], "task-2")
        j.finished(h["host-2"], {"state": "success"}, outcome="success", task_moid="task-2")  # post-check left
        j.launching(h["host-3"])
        j.launch_failed(h["host-3"], {"_typeName": "NoPermission"}, message="denied")  # final
        j.not_launched(h["host-4"], "run cancelled before this host was launched", outcome="cancelled")
        # host-5: planned, never launched
    state = state_from_journal(tmp_path)
    assert state.vcenter_ids == {"vc1": "uuid-1"} and state.lifecycle == "running"
    times = launch_times(state)
    groups = plan_resume(state, times)
    assert list(groups) == ["vc1"]
    planned, work = groups["vc1"]
    assert sorted(p.host_moid for p in planned) == ["host-0", "host-1", "host-2", "host-3", "host-5"]
    assert list(work.unknown) == [("vc1", "host-0")] and work.unknown[("vc1", "host-0")] is not None
    task, sent, answered = work.adopt[("vc1", "host-1")]
    assert task == "task-1" and sent is not None and answered is not None and sent <= answered
    assert work.post_check == {("vc1", "host-2"): "task-2"}
    assert work.done == {("vc1", "host-3"): "launch_failed"}
    assert ("vc1", "host-5") not in work.unknown and ("vc1", "host-5") not in work.adopt  # launched normally


def test_a_detached_then_finished_run_reads_its_lifecycle(tmp_path):
    plan = make_plan(hosts(1))
    with Journal.create(tmp_path) as j:
        j.run_started(run_id="r", vcenters=["vc1"])
        j.planned(plan)
        j.run_detached("interrupted (Ctrl-C)")
    state = state_from_journal(tmp_path)
    assert state.lifecycle == "detached" and state.detached_reason == "interrupted (Ctrl-C)"
    with Journal.open(tmp_path) as j:
        j.run_resumed(vcenter_ids={"vc1": "uuid-1"})
        j.not_launched(plan.launch[0], "run cancelled", outcome="cancelled")
        j.run_finished(stop_reason="cancelled")
    state = state_from_journal(tmp_path)
    assert state.lifecycle == "finished" and state.detached_reason is None and state.run_finished
