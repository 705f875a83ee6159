"""The live engine end to end, one simulator scenario at a time, over real HTTP on 127.0.0.1.

For each scenario the oracle is the scenario itself: which rule the simulator applies to a host on its n-th
launch is computed here from the scenario's rules and seed (:func:`expected_rule`), so a wrong outcome, fault
reason or event list for any host is a test failure. Every run also checks the invariants a user relies on:
exactly one row per host and attempt, one launch per host and attempt (``/simulator/stats``), caps never
exceeded.
"""

from __future__ import annotations

from collections import Counter

import httpx
import pandas as pd
import pytest

from vsphere_nb.batch import BatchLimits
from vsphere_nb.simulator import Simulator
from vsphere_nb.simulator.scenarios import default_host_error, seeded_fraction
from vsphere_nb.sync import connect

HEALTHY = {"master", "connectedToMaster"}


def served_stats(sim: Simulator) -> dict:
    """``GET /simulator/stats`` over HTTP: the server's own count of launches and concurrency."""
    response = httpx.get(f"{sim.url}/simulator/stats", timeout=10)
    response.raise_for_status()
    return response.json()


def expected_rule(sim: Simulator, host_moid: str, attempt: int = 1):
    """The scenario rule the simulator applies on the ``attempt``-th launch on a host (``None`` = plain success)."""
    host = next(h for h in sim.inventory.hosts if h.moid == host_moid)
    u = seeded_fraction(sim.config.seed, "outcome", host_moid)
    applied: Counter[int] = Counter()
    chosen = None
    for _ in range(attempt):
        chosen = None
        for index, rule in enumerate(sim.scenario.rules):
            if not rule.matches(cluster=host.compute_resource.name, host=host.name, moid=host_moid, u=u):
                continue
            if rule.times is not None and applied[index] >= rule.times:
                continue
            applied[index] += 1
            chosen = rule
            break
    return chosen


def expected_outcome(rule, *, slow_agent_is_unhealthy: bool = False) -> str:
    if rule is None:
        return "success"
    if rule.outcome == "error":
        return "fault"
    if rule.outcome == "fault":
        return "launch_failed"
    if rule.das_state is not None and rule.das_state not in HEALTHY:
        return "agent_unhealthy"
    if rule.agent_unhealthy_seconds and slow_agent_is_unhealthy:
        return "agent_unhealthy"
    return "success"


def check_invariants(run, stats, limits: BatchLimits, launched_attempts: dict[str, int] | None = None) -> None:
    """One row per (host, attempt); every launched attempt has an outcome; one launch per attempt; caps held."""
    tasks = run.tasks
    assert not tasks.duplicated(["vcenter", "host_moid", "attempt"]).any()
    assert tasks["outcome"].notna().all(), tasks[tasks["outcome"].isna()]
    created = tasks[tasks["task_moid"].notna()]
    per_host = created.groupby("host_moid", observed=True).size().to_dict()
    assert stats["launches_per_host"] == (launched_attempts if launched_attempts is not None else per_host)
    assert stats["max_concurrent_tasks"] <= limits.max_in_flight
    assert all(n <= limits.per_cluster for n in stats["max_concurrent_tasks_per_cluster"].values())


def events_of(run, host_moid: str, attempt: int = 1) -> pd.DataFrame:
    ev = run.events
    rec = run.tasks[(run.tasks["host_moid"] == host_moid) & (run.tasks["attempt"] == attempt)]
    task = rec["task_moid"].iloc[0]
    return ev[(ev["host_moid"] == host_moid) & (ev["task_moid"] == task)]


def test_healthy_every_host_succeeds_once_within_the_caps(tmp_path):
    limits = BatchLimits(max_in_flight=5, per_cluster=2)
    with Simulator(
        clusters=4, hosts_per_cluster=5, standalone_hosts=1, scenario="healthy", seed=1, task_seconds=40, time_scale=100
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            hosts = vc.hosts()
            sim.reset_stats()
            run = vc.plan_reconfigure(hosts, limits).execute(run_dir=tmp_path / "run")
        stats = served_stats(sim)
    check_invariants(run, stats, limits)
    tasks = run.tasks
    launched = tasks[tasks["attempt"] == 1]
    assert len(launched) == 20 and (launched["outcome"] == "success").all()
    assert set(launched["das_state_after"].astype(str)) <= HEALTHY
    assert launched["state"].astype(str).eq("success").all() and launched["duration_s"].gt(0).all()
    skipped = tasks[tasks["attempt"] == 0]
    assert list(skipped["host"].astype(str)) == ["DC0_H00"] and (skipped["outcome"] == "skipped").all()
    # the caps were reached, and never exceeded
    assert stats["max_concurrent_tasks"] == 5
    assert max(stats["max_concurrent_tasks_per_cluster"].values()) == 2
    assert stats["requests"]["HostSystem.ReconfigureHostForDAS_Task"] == 20
    assert run.faults.empty and run.stop_reason is None
    assert run.summary()["success"] == 20
    # each task's own event chain is in the events table
    for moid in launched["host_moid"].astype(str):
        types = set(events_of(run, moid)["event_type_id"].astype(str))
        assert {"TaskEvent", "HostDasEnablingEvent", "HostDasEnabledEvent"} <= types, moid
    assert set(run.events["source"].astype(str)) <= {"task_chain", "host_events"}


def test_mixed_outcomes_fault_reasons_and_events_follow_the_scenario(tmp_path):
    limits = BatchLimits(max_in_flight=16, per_cluster=4, post_check_timeout=10)
    with Simulator(
        clusters=5, hosts_per_cluster=10, standalone_hosts=1, scenario="mixed", seed=5, task_seconds=20, time_scale=100
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            hosts = vc.hosts()
            sim.reset_stats()
            run = vc.plan_reconfigure(hosts, limits).execute(run_dir=tmp_path / "run")
            after = vc.hosts().set_index("host_moid")
        stats = served_stats(sim)
    check_invariants(run, stats, limits)
    tasks = run.tasks.set_index("host_moid")
    launched = tasks[tasks["attempt"] == 1]
    eligible = hosts[hosts["eligible"]]
    assert set(launched.index.astype(str)) == set(eligible["host_moid"].astype(str))

    reasons_seen = set()
    for moid, row in launched.iterrows():
        rule = expected_rule(sim, moid)
        assert row["outcome"] == expected_outcome(rule), (moid, rule)
        if row["outcome"] != "fault":
            assert pd.isna(row["fault_type"])
            assert after.loc[moid, "config_issues"] == ""
            continue
        reasons_seen.add(rule.reason)
        assert row["fault_type"] == "DasConfigFault" and row["fault_reason"] == rule.reason
        assert row["das_state_after"] == "initializationError"
        assert row["fault_message"] == rule.fault_messages()[0]
        assert isinstance(row["fault_output"], str) and row["fault_output"].strip()
        ev = events_of(run, moid)
        by_source = ev.groupby("source", observed=True)["event_type_id"].agg(lambda s: set(s.astype(str)))
        fault_events = by_source.get("fault", set())
        assert "HostDasErrorEvent" in fault_events
        assert {spec.type for spec in rule.events} <= fault_events
        error_msg = ev[ev["event_type_id"] == "HostDasErrorEvent"]["message"].iloc[0]
        assert (rule.host_error or default_host_error(rule.reason)) in error_msg
        assert "com.vmware.vc.HA.HostAgentErrorEvent" in by_source.get("task_chain", set())
        assert ev[ev["event_type_id"] == "HostDasErrorEvent"]["severity"].astype(str).eq("error").all()
        # the host now reports the failure as a config issue
        assert after.loc[moid, "config_issues"] != ""
    assert len(reasons_seen) >= 3, reasons_seen  # the seed gives a real mix of reasons

    faults = run.faults
    assert set(faults["host_moid"].astype(str)) == set(launched[launched["outcome"] == "fault"].index.astype(str))
    assert (faults[faults["depth"] == 0]["fault_type"] == "DasConfigFault").all()
    assert set(run.fault_messages["host_moid"].astype(str)) == set(faults["host_moid"].astype(str))

    skipped = tasks[tasks["attempt"] == 0]
    assert (skipped["outcome"] == "skipped").all()
    want = hosts.set_index("host_moid").loc[skipped.index, "skip_reason"].astype(str)
    assert (skipped["skip_reason"].astype(str) == want).all()


def test_flaky_hosts_succeed_on_their_third_attempt(tmp_path):
    limits = BatchLimits(max_in_flight=12, per_cluster=4)
    with Simulator(
        clusters=3, hosts_per_cluster=8, standalone_hosts=0, scenario="flaky", seed=4, task_seconds=20, time_scale=100
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            run = vc.plan_reconfigure(vc.hosts(), limits).execute(run_dir=tmp_path / "run")
            first = run.tasks.set_index("host_moid")
            for moid, row in first.iterrows():
                assert row["outcome"] == expected_outcome(expected_rule(sim, moid, 1)), moid
            twice = {h.moid for h in sim.inventory.hosts if expected_rule(sim, h.moid, 2) is not None}
            failed_once = set(first[first["outcome"] == "fault"].index.astype(str))
            assert twice and twice < failed_once < set(first.index.astype(str))
            reasons = set(first.loc[sorted(failed_once), "fault_reason"].astype(str))
            assert reasons == {"NoPrimaryAgentAvailable", "Other"}

            second = run.retry_failed().execute()
            third = second.retry_failed().execute()
        stats = served_stats(sim)
    tasks = third.tasks
    assert third.run_id == run.run_id and third.run_dir == run.run_dir
    by_attempt = {a: set(g["host_moid"].astype(str)) for a, g in tasks.groupby("attempt")}
    assert by_attempt[2] == failed_once and by_attempt[3] == twice
    for attempt in (2, 3):
        rows = tasks[tasks["attempt"] == attempt].set_index("host_moid")
        for moid, row in rows.iterrows():
            assert row["outcome"] == expected_outcome(expected_rule(sim, moid, attempt)), (moid, attempt)
    assert (tasks[tasks["attempt"] == 3]["outcome"] == "success").all()
    assert third.summary()["success"] == 24 and third.failed_hosts().empty
    # launches: one per attempt per host, never more
    want = Counter({moid: 1 for moid in by_attempt[1]})
    want.update(by_attempt[2])
    want.update(by_attempt[3])
    check_invariants(third, stats, limits, launched_attempts=dict(want))


@pytest.mark.parametrize("post_check_timeout, slow_is_unhealthy", [(0.3, True), (10.0, False)])
def test_agent_slow_post_check(tmp_path, post_check_timeout, slow_is_unhealthy):
    """Tasks all succeed; hosts whose agent stays in election/uninitialized for 90/180 simulated seconds
    (1.8/3.6 s here) end ``agent_unhealthy`` with a short post-check and ``success`` with a long one."""
    limits = BatchLimits(max_in_flight=20, per_cluster=8, post_check_timeout=post_check_timeout)
    with Simulator(
        clusters=2,
        hosts_per_cluster=8,
        standalone_hosts=0,
        scenario="agent-slow",
        seed=3,
        task_seconds=20,
        time_scale=50,
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            run = vc.plan_reconfigure(vc.hosts(), limits).execute(run_dir=tmp_path / "run")
        stats = served_stats(sim)
    check_invariants(run, stats, limits)
    tasks = run.tasks.set_index("host_moid")
    assert (tasks["state"].astype(str) == "success").all()  # vCenter says every task succeeded
    slow = 0
    for moid, row in tasks.iterrows():
        rule = expected_rule(sim, moid)
        slow += bool(rule is not None and rule.agent_unhealthy_seconds)
        assert row["outcome"] == expected_outcome(rule, slow_agent_is_unhealthy=slow_is_unhealthy), moid
        if row["outcome"] == "agent_unhealthy":
            assert row["das_state_after"] == rule.unhealthy_state
        else:
            assert row["das_state_after"] in HEALTHY
    assert 0 < slow < len(tasks)
    assert run.summary()["agent_unhealthy"] == (slow if slow_is_unhealthy else 0)


def test_read_only_user_gets_no_permission_rows_and_no_tasks(tmp_path):
    limits = BatchLimits(max_in_flight=4, per_cluster=2)
    with Simulator(clusters=2, hosts_per_cluster=3, standalone_hosts=1, scenario="healthy", time_scale=100) as sim:
        with connect(sim.url, sim.readonly_user, sim.readonly_password) as vc:
            hosts = vc.hosts()  # reading needs no privilege
            assert hosts["eligible"].sum() == 6
            sim.reset_stats()
            run = vc.plan_reconfigure(hosts, limits).execute(run_dir=tmp_path / "run")
        stats = served_stats(sim)
    check_invariants(run, stats, limits)
    launched = run.tasks[run.tasks["attempt"] == 1]
    assert len(launched) == 6
    assert (launched["outcome"] == "launch_failed").all() and launched["task_moid"].isna().all()
    assert (launched["fault_type"] == "NoPermission").all()
    assert launched["fault_message"].str.contains("Host.Config.Connection").all()
    assert stats["launches_per_host"] == {} and stats["max_concurrent_tasks"] == 0
    assert stats["requests"]["HostSystem.ReconfigureHostForDAS_Task"] == 6  # each tried once, none repeated
    assert set(run.faults["fault_type"].astype(str)) == {"NoPermission"}


def test_esx_endpoint_plans_nothing_and_a_forced_launch_is_not_supported(tmp_path):
    with Simulator(scenario="esx", time_scale=100) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            assert vc.about.apiType == "HostAgent"
            hosts = vc.hosts()
            assert list(hosts["host_moid"].astype(str)) == ["ha-host"]
            assert hosts["skip_reason"].iloc[0] == "standalone host (not in a cluster)"
            plan = vc.plan_reconfigure(hosts)
            assert len(plan) == 0
            run = plan.execute(run_dir=tmp_path / "dry")
            assert list(run.tasks["outcome"].astype(str)) == ["skipped"]
            assert sim.stats()["requests"].get("HostSystem.ReconfigureHostForDAS_Task", 0) == 0

            # pretend the host sits in an HA cluster: the ESXi endpoint itself refuses the method
            forced = hosts.drop(columns=["eligible", "skip_reason"]).astype(object)
            forced["cluster"], forced["cluster_moid"], forced["ha_enabled"] = "ha-compute-res", "ha-compute-res", True
            run = vc.plan_reconfigure(forced).execute(run_dir=tmp_path / "forced")
    row = run.tasks.iloc[0]
    assert row["outcome"] == "launch_failed" and row["fault_type"] == "NotSupported"
    assert "ESXi" in row["fault_message"]
    assert sim.stats()["launches_per_host"] == {}


def test_network_partition_leaves_partitioned_agents_unhealthy(tmp_path):
    """Tasks that succeed while the agent ends partitioned or isolated are ``agent_unhealthy`` (post-check), and
    the failures carry the isolation-address and network reasons of the scenario."""
    limits = BatchLimits(max_in_flight=20, per_cluster=10, post_check_timeout=1.0)
    with Simulator(
        clusters=2,
        hosts_per_cluster=10,
        standalone_hosts=0,
        scenario="network-partition",
        seed=2,
        task_seconds=20,
        time_scale=100,
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            run = vc.plan_reconfigure(vc.hosts(), limits).execute(run_dir=tmp_path / "run")
        stats = served_stats(sim)
    check_invariants(run, stats, limits)
    tasks = run.tasks.set_index("host_moid")
    outcomes = set()
    for moid, row in tasks.iterrows():
        rule = expected_rule(sim, moid)
        assert row["outcome"] == expected_outcome(rule), (moid, rule)
        outcomes.add(row["outcome"])
        if rule is not None and rule.das_state:
            assert row["das_state_after"] == rule.das_state and row["state"] == "success"
        if row["outcome"] == "fault":
            assert row["fault_reason"] == rule.reason
    assert outcomes == {"success", "agent_unhealthy", "fault"}
