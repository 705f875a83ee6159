"""Safety limits of the live engine against the simulator: failure budget, canary gate, cancel (with and without
cancelling the server's tasks). Launch counts come from the simulator's ``/simulator/stats``, not from the engine.
"""

from __future__ import annotations

import httpx
import pandas as pd
import pytest
from polling import wait_until

from vsphere_nb.batch import BatchLimits
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect

ALL_FAIL = {"name": "all-fail", "rules": [{"outcome": "error", "reason": "HostNetworkMisconfiguration"}]}


def served_stats(sim: Simulator) -> dict:
    """``GET /simulator/stats`` over HTTP: the server's own count of launches and concurrency."""
    response = httpx.get(f"{sim.url}/simulator/stats", timeout=10)
    response.raise_for_status()
    return response.json()


def canary_fails(host: str) -> dict:
    return {"name": "one-canary-fails", "rules": [{"match": {"host": host}, "outcome": "error", "reason": "Other"}]}


def run_batch(sim: Simulator, limits: BatchLimits, run_dir):
    with connect(sim.url, sim.user, sim.password) as vc:
        hosts = vc.hosts()
        sim.reset_stats()
        return vc.plan_reconfigure(hosts, limits).execute(run_dir=run_dir)


@pytest.mark.parametrize("budget", [2, "2", "25%"])
def test_failure_budget_stops_launching_after_one_failure_too_many(tmp_path, budget):
    """8 hosts that all fail, one at a time: 2 failures are tolerated (2, or 25 % of 8); the third stops the run."""
    limits = BatchLimits(max_in_flight=1, per_cluster=1, max_failures=budget)
    with Simulator(
        clusters=2, hosts_per_cluster=4, standalone_hosts=0, scenario=ALL_FAIL, task_seconds=10, time_scale=100
    ) as sim:
        run = run_batch(sim, limits, tmp_path / "run")
        stats = served_stats(sim)
    tasks = run.tasks
    assert run.stop_reason == "failure_budget_exceeded"
    assert sum(stats["launches_per_host"].values()) == 3 and set(stats["launches_per_host"].values()) == {1}
    assert (tasks["outcome"] == "fault").sum() == 3
    not_launched = tasks[tasks["outcome"] == "not_launched"]
    assert len(not_launched) == 5 and not_launched["task_moid"].isna().all()
    assert set(not_launched["skip_reason"].astype(str)) == {"failure budget exceeded"}
    assert set(tasks[tasks["outcome"] == "fault"]["host_moid"].astype(str)) == set(stats["launches_per_host"])


def test_failure_budget_with_concurrency_never_launches_after_the_stop(tmp_path):
    limits = BatchLimits(max_in_flight=3, per_cluster=3, max_failures=0)
    with Simulator(
        clusters=1, hosts_per_cluster=9, standalone_hosts=0, scenario=ALL_FAIL, task_seconds=10, time_scale=100
    ) as sim:
        run = run_batch(sim, limits, tmp_path / "run")
        stats = served_stats(sim)
    launched = sum(stats["launches_per_host"].values())
    assert launched == 3  # the first wave was in flight when the first failure arrived; nothing after it
    assert (run.tasks["outcome"] == "not_launched").sum() == 6
    assert run.stop_reason == "failure_budget_exceeded"


def test_a_failed_canary_stops_the_run(tmp_path):
    """Canaries are the first host of each cluster in plan order; the second one fails."""
    limits = BatchLimits(max_in_flight=8, per_cluster=4, canary=2)
    with Simulator(
        clusters=2,
        hosts_per_cluster=4,
        standalone_hosts=0,
        scenario=canary_fails("DC0_C1_H00"),
        task_seconds=10,
        time_scale=100,
    ) as sim:
        run = run_batch(sim, limits, tmp_path / "run")
        stats = served_stats(sim)
    tasks = run.tasks.set_index("host")
    assert set(tasks.index[tasks["canary"]]) == {"DC0_C0_H00", "DC0_C1_H00"}
    assert sorted(stats["launches_per_host"]) == sorted(tasks.loc[["DC0_C0_H00", "DC0_C1_H00"], "host_moid"])
    assert tasks.loc["DC0_C0_H00", "outcome"] == "success" and tasks.loc["DC0_C1_H00", "outcome"] == "fault"
    rest = tasks[~tasks["canary"]]
    assert len(rest) == 6 and (rest["outcome"] == "not_launched").all()
    assert set(rest["skip_reason"].astype(str)) == {"a canary host did not succeed"}
    assert run.stop_reason == "canary_failed"


def test_successful_canaries_run_alone_then_the_rest_follows(tmp_path):
    limits = BatchLimits(max_in_flight=8, per_cluster=4, canary=2)
    with Simulator(
        clusters=2, hosts_per_cluster=4, standalone_hosts=0, scenario="healthy", task_seconds=20, time_scale=100
    ) as sim:
        run = run_batch(sim, limits, tmp_path / "run")
        stats = served_stats(sim)
    tasks = run.tasks
    assert (tasks["outcome"] == "success").all() and len(stats["launches_per_host"]) == 8
    canaries, rest = tasks[tasks["canary"]], tasks[~tasks["canary"]]
    assert len(canaries) == 2
    # nobody else was even queued on vCenter before both canaries had completed
    assert rest["queued_at"].min() >= canaries["completed_at"].max()


def test_cancel_stops_launching_and_lets_running_tasks_finish(tmp_path):
    limits = BatchLimits(max_in_flight=2, per_cluster=1)
    with Simulator(
        clusters=2, hosts_per_cluster=6, standalone_hosts=0, scenario="healthy", task_seconds=100, time_scale=100
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            plan = vc.plan_reconfigure(vc.hosts(), limits)
            handle = plan.start(run_dir=tmp_path / "run")
            wait_until(lambda: sim.stats()["launches_per_host"], what="a first launch")
            handle.cancel()
            run = handle.wait(60)
            assert handle.done()
            handle.cancel()  # after the end: a harmless no-op
        stats = served_stats(sim)
    launched = set(stats["launches_per_host"])
    assert 1 <= len(launched) <= 4 and set(stats["launches_per_host"].values()) == {1}
    tasks = run.tasks.set_index("host_moid")
    assert run.stop_reason == "cancelled"
    assert (tasks.loc[sorted(launched), "outcome"] == "success").all()  # left to finish, not cancelled
    rest = tasks.drop(index=sorted(launched))
    # a cancel is a decision: the hosts not launched end "cancelled" (resume will not launch them)
    assert len(rest) == 12 - len(launched) and (rest["outcome"] == "cancelled").all()
    assert (rest["stage"] == "not_launched").all() and rest["task_moid"].isna().all()
    assert set(rest["skip_reason"].astype(str)) == {"run cancelled before this host was launched"}
    assert handle.progress().finished and handle.progress().stop_reason == "cancelled"


@pytest.mark.parametrize(
    "on_cancel, cancel_arg, cancelled",
    [
        (True, None, True),  # BatchLimits(cancel_running_on_cancel=True), handle.cancel()
        (False, True, True),  # handle.cancel(cancel_running=True) overrides the limits
        (False, None, False),  # default: tasks already handed to vCenter are left alone
    ],
)
def test_cancel_running_cancels_the_tasks_vcenter_still_holds(tmp_path, on_cancel, cancel_arg, cancelled):
    """vCenter (and the simulator) only cancel a task that has not started: with one active task allowed on
    the server, two of the three launched tasks wait ``queued`` there, and those are the ones cancelled.

    Once both wait, the server's queue is held (the running task ends, the queued ones stay queued), so a
    loaded machine slow to send ``CancelTask`` cannot let one start first; the 3 s task leaves time to reach
    ``cancel()`` before a slot frees."""
    limits = BatchLimits(max_in_flight=3, per_cluster=3, cancel_running_on_cancel=on_cancel)
    with Simulator(
        clusters=1,
        hosts_per_cluster=6,
        standalone_hosts=0,
        scenario="healthy",
        task_seconds=300,
        time_scale=100,
        max_active_tasks=1,
    ) as sim:
        queue = sim.vc.tasks
        with connect(sim.url, sim.user, sim.password) as vc:
            handle = vc.plan_reconfigure(vc.hosts(), limits).start(run_dir=tmp_path / "run")
            wait_until(lambda: len(queue.pending) == 2, what="two tasks queued on the server")
            with sim.vc.registry.lock:
                queue.max_active = 0  # hold the queue: the running task ends, the queued ones wait
            handle.cancel(cancel_running=cancel_arg)
            if not cancelled:  # the decision is recorded when cancel() returns: nothing more is launched
                with sim.vc.registry.lock:
                    queue.max_active = 1
                    queue.admit()
            run = handle.wait(60)
        stats = served_stats(sim)
    assert len(stats["launches_per_host"]) == 3 and run.stop_reason == "cancelled"
    tasks = run.tasks
    outcomes = tasks["outcome"].astype(str).value_counts().to_dict()
    if cancelled:
        assert outcomes == {"success": 1, "cancelled": 5}  # 2 tasks cancelled on vCenter, 3 never launched
        gone = tasks[(tasks["outcome"] == "cancelled") & tasks["task_moid"].notna()]
        assert len(gone) == 2
        assert (gone["state"].astype(str) == "error").all() and (gone["fault_type"] == "RequestCanceled").all()
        assert stats["requests"].get("Task.CancelTask", 0) >= 2
    else:
        assert outcomes == {"success": 3, "cancelled": 3}
        assert "Task.CancelTask" not in stats["requests"]
    assert pd.Series(list(stats["launches_per_host"].values())).eq(1).all()
