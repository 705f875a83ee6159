"""ReconfigureHostForDAS_Task: launch faults, the task life cycle, limits, cancel, outcomes and side effects."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from vsphere_nb import wire


def ha_hosts(vi):
    """Hosts in HA clusters that accept the call: connected and not disabled."""
    hosts = vi.hosts(["name", "runtime.dasHostState", "runtime.connectionState", "disabledMethod", "parent"])
    return [
        h
        for h, p in hosts.items()
        if p.get("runtime.dasHostState")
        and str(p["runtime.connectionState"]) == "connected"
        and "ReconfigureHostForDAS_Task" not in p["disabledMethod"]
    ]


def test_task_life_cycle_and_fields(make_sim, make_vi):
    sim = make_sim(task_seconds=10, time_scale=20)  # ~0.5 s
    vi = make_vi(sim)
    host = ha_hosts(vi)[0]
    ref = vi.reconfigure(host)
    assert ref["_typeName"] == "ManagedObjectReference" and ref["type"] == "Task" and ref["value"].startswith("task-")
    seen = Counter()
    info = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        info = wire.decode_as(vi.task_info(ref["value"]), wire.TaskInfo)
        seen[str(info.state)] += 1
        if info.done:
            break
        time.sleep(0.01)
    assert str(info.state) == "success" and seen["running"] > 0
    assert info.key == ref["value"] and info.task == wire.MoRef("Task", ref["value"])
    assert info.name == "ReconfigureHostForDAS_Task" and info.descriptionId == "HostSystem.reconfigureDAS"
    assert info.entity == wire.MoRef("HostSystem", host) and info.entityName
    assert info.queueTime <= info.startTime <= info.completeTime
    assert info.progress == 100 and info.error is None and not info.cancelled
    assert info.eventChainId > 0
    assert info.reason.userName == sim.user
    recent = vi.read("TaskManager", "TaskManager", "recentTask")
    assert ref in recent and ref in vi.read("HostSystem", host, "recentTask")


def test_success_makes_das_state_healthy(make_sim, make_vi):
    sim = make_sim(scenario="flaky", task_seconds=2, time_scale=20, seed=3)
    vi = make_vi(sim)
    for host in ha_hosts(vi):
        while True:
            info = vi.wait_task(vi.reconfigure(host)["value"])
            if info["state"] == "success":
                break
        state = wire.decode_any(
            {"_typeName": "ClusterDasFdmHostState", **vi.read("HostSystem", host, "runtime")["dasHostState"]}
        )
        assert str(state.state) in wire.HEALTHY_DAS_STATES
        assert vi.read("HostSystem", host, "configIssue") == []
    masters = [
        h
        for h, p in vi.hosts(["runtime.dasHostState", "parent"]).items()
        if p.get("runtime.dasHostState") and str(p["runtime.dasHostState"].state) == "master"
    ]
    assert len(masters) == 2  # one per HA cluster


def test_read_only_user_gets_no_permission(sim, make_vi):
    vi = make_vi(sim, sim.readonly_user, sim.readonly_password)
    host = ha_hosts(vi)[0]
    fault = vi.fault(vi.post("HostSystem", host, "ReconfigureHostForDAS_Task"))
    assert fault["_typeName"] == "NoPermission"
    assert fault["missingPrivileges"][0]["privilegeIds"] == ["Host.Config.Connection"]
    assert fault["missingPrivileges"][0]["entity"]["value"] == host
    assert fault["object"]["value"] == host
    assert sim.stats()["launches_per_host"] == {}


def test_esx_mode_answers_not_supported(make_sim, make_vi):
    sim = make_sim(scenario="esx")
    vi = make_vi(sim)
    content = vi.content()
    assert content["about"]["apiType"] == "HostAgent"
    assert content["rootFolder"]["value"] == "ha-folder-root"
    assert content["propertyCollector"]["value"] == "ha-property-collector"
    hosts = vi.hosts(["name"])
    assert list(hosts) == ["ha-host"]
    fault = vi.fault(vi.post("HostSystem", "ha-host", "ReconfigureHostForDAS_Task"))
    assert fault["_typeName"] == "NotSupported"


def test_disabled_disconnected_and_standalone_hosts(make_sim, make_vi):
    sim = make_sim(scenario="mixed", clusters=5, hosts_per_cluster=20, standalone_hosts=2, seed=7)
    vi = make_vi(sim)
    hosts = vi.hosts(["name", "runtime.connectionState", "disabledMethod", "runtime.dasHostState", "parent"])
    disconnected = [
        h for h, p in hosts.items() if str(p["runtime.connectionState"]) != "connected" and not p["disabledMethod"]
    ]
    disabled = [h for h, p in hosts.items() if "ReconfigureHostForDAS_Task" in p["disabledMethod"]]
    assert disconnected and disabled
    fault = vi.fault(vi.post("HostSystem", disconnected[0], "ReconfigureHostForDAS_Task"))
    assert fault["_typeName"] == "HostNotConnected"
    assert wire.decode_as(fault, wire.MethodFault).is_a("HostCommunication")
    for host in disabled:
        fault = vi.fault(vi.post("HostSystem", host, "ReconfigureHostForDAS_Task"))
        assert fault["_typeName"] == "MethodDisabled"
        assert "runtime.dasHostState" not in hosts[host] or fault.get("source") == "com.vmware.vcIntegrity"
    standalone = [h for h, p in hosts.items() if p["parent"].type == "ComputeResource"]
    assert standalone and all(h in disabled for h in standalone)


def test_per_host_limit_keeps_second_task_queued(make_sim, make_vi):
    sim = make_sim(task_seconds=16, time_scale=20)  # ~0.8 s
    vi = make_vi(sim)
    host = ha_hosts(vi)[0]
    first = vi.reconfigure(host)
    second = vi.reconfigure(host)
    assert vi.task_info(first["value"])["state"] == "running"
    queued = vi.task_info(second["value"])
    assert queued["state"] == "queued" and queued["cancelable"] is True and "startTime" not in queued
    vi.wait_task(first["value"])
    assert vi.wait_task(second["value"])["state"] == "success"
    assert sim.stats()["launches_per_host"] == {host: 2}
    assert sim.stats()["max_concurrent_tasks"] == 1


def test_global_limit_and_per_cluster_statistics(make_sim, make_vi):
    sim = make_sim(task_seconds=8, time_scale=20, max_active_tasks=3, clusters=2, hosts_per_cluster=4)
    vi = make_vi(sim)
    hosts = ha_hosts(vi)
    tasks = [vi.reconfigure(h)["value"] for h in hosts]
    states = Counter(vi.task_info(t)["state"] for t in tasks)
    assert states["running"] <= 3 and states["queued"] > 0
    for task in tasks:
        vi.wait_task(task)
    stats = sim.stats()
    assert stats["max_concurrent_tasks"] == 3
    assert sum(stats["launches_per_host"].values()) == len(hosts)
    assert max(stats["max_concurrent_tasks_per_cluster"].values()) <= 3
    assert set(stats["max_concurrent_tasks_per_cluster"]) <= {c.moid for c in sim.inventory.clusters()}


def test_cancel_queued_task(make_sim, make_vi):
    sim = make_sim(task_seconds=20, time_scale=20)
    vi = make_vi(sim)
    host = ha_hosts(vi)[0]
    running = vi.reconfigure(host)["value"]
    queued = vi.reconfigure(host)["value"]
    fault = vi.fault(vi.post("Task", running, "CancelTask"))
    assert fault["_typeName"] == "NotSupported"
    assert vi.post("Task", queued, "CancelTask").status_code == 204
    info = wire.decode_as(vi.task_info(queued), wire.TaskInfo)
    assert str(info.state) == "error" and info.cancelled and info.error.is_a("RequestCanceled")
    assert vi.fault(vi.post("Task", queued, "CancelTask"))["_typeName"] == "InvalidState"
    readonly = make_vi(sim, sim.readonly_user, sim.readonly_password)
    assert readonly.fault(readonly.post("Task", running, "CancelTask"))["_typeName"] == "NoPermission"


def test_failure_side_effects_and_das_config_fault(make_sim, make_vi, tmp_path):
    scenario = tmp_path / "fail.yaml"
    scenario.write_text(
        "name: fail\n"
        "rules:\n"
        "  - match: {host: '*_C0_*'}\n"
        "    outcome: error\n"
        "    reason: NoDatastoresConfigured\n"
        "    output: 'heartbeat datastores: 0 of 2'\n"
        "    fault_message: ['no heartbeat datastores']\n"
        "    events: [{type: HostIsolationIpPingFailedEvent, isolationIp: 10.9.9.9}]\n"
    )
    sim = make_sim(scenario=str(scenario), task_seconds=20, time_scale=20)
    vi = make_vi(sim)
    hosts = vi.hosts(["name", "runtime.dasHostState"])
    failing = next(h for h, p in hosts.items() if "_C0_" in p["name"])
    passing = next(h for h, p in hosts.items() if "_C1_" in p["name"])
    task = vi.reconfigure(failing)["value"]
    time.sleep(0.15)
    mid = vi.read("HostSystem", failing, "runtime")["dasHostState"]["state"]
    assert mid in ("election", "retry")
    info = wire.decode_as(vi.wait_task(task), wire.TaskInfo)
    assert str(info.state) == "error"
    fault = info.error
    assert isinstance(fault, wire.DasConfigFault) and str(fault.reason) == "NoDatastoresConfigured"
    assert fault.output == "heartbeat datastores: 0 of 2"
    assert fault.message() == "no heartbeat datastores"
    assert {e.vim_type for e in fault.event} == {"HostDasErrorEvent", "HostIsolationIpPingFailedEvent"}
    assert all(e.chainId == info.eventChainId for e in fault.event)
    runtime = wire.decode_as(vi.read("HostSystem", failing, "runtime"), wire.HostRuntimeInfo)
    assert str(runtime.dasHostState.state) == "initializationError"
    issues = wire.decode_any({"_typeName": "ArrayOfEvent", "_value": vi.read("HostSystem", failing, "configIssue")})
    assert [e.vim_type for e in issues] == ["HostDasErrorEvent"]
    assert vi.read("HostSystem", failing, "overallStatus") == "red"
    assert vi.wait_task(vi.reconfigure(passing)["value"])["state"] == "success"


def test_launch_time_fault_rule(make_sim, make_vi):
    sim = make_sim(
        scenario={
            "name": "x",
            "rules": [{"match": {"host": "*H00"}, "outcome": "fault", "reason": "InsufficientPrivileges"}],
        }
    )
    vi = make_vi(sim)
    host = next(h for h, p in vi.hosts(["name"]).items() if p["name"] == "DC0_C0_H00")
    fault = vi.fault(vi.post("HostSystem", host, "ReconfigureHostForDAS_Task"))
    assert fault["_typeName"] == "DasConfigFault" and fault["reason"] == "InsufficientPrivileges"
    assert fault["output"]


def test_flaky_hosts_fail_then_succeed(make_sim, make_vi):
    sim = make_sim(scenario="flaky", seed=11, clusters=2, hosts_per_cluster=10, task_seconds=1, time_scale=50)
    vi = make_vi(sim)
    outcomes: dict[str, list[str]] = {}
    for host in ha_hosts(vi):
        for _ in range(4):
            info = vi.wait_task(vi.reconfigure(host)["value"])
            outcomes.setdefault(host, []).append(info["state"])
            if info["state"] == "success":
                break
    patterns = Counter(tuple(v) for v in outcomes.values())
    assert set(patterns) <= {("success",), ("error", "success"), ("error", "error", "success")}
    assert patterns[("error", "error", "success")] > 0 and patterns[("success",)] > 0


def test_agent_slow_succeeds_but_stays_unhealthy_for_a_while(make_sim, make_vi):
    sim = make_sim(
        scenario={
            "name": "slow",
            "rules": [{"outcome": "success", "agent_unhealthy_seconds": 20, "unhealthy_state": "election"}],
        },
        task_seconds=2,
        time_scale=20,
    )  # unhealthy for ~1 s after a ~0.1 s task
    vi = make_vi(sim)
    host = ha_hosts(vi)[0]
    assert vi.wait_task(vi.reconfigure(host)["value"])["state"] == "success"
    assert vi.read("HostSystem", host, "runtime")["dasHostState"]["state"] == "election"
    deadline = time.monotonic() + 5
    while vi.read("HostSystem", host, "runtime")["dasHostState"]["state"] not in wire.HEALTHY_DAS_STATES:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_network_partition_scenario_ends_partitioned(make_sim, make_vi):
    sim = make_sim(scenario="network-partition", clusters=2, hosts_per_cluster=12, task_seconds=1, time_scale=50)
    vi = make_vi(sim)
    tasks = [vi.reconfigure(h)["value"] for h in ha_hosts(vi)]
    infos = [vi.wait_task(t) for t in tasks]
    assert {i["state"] for i in infos} == {"success", "error"}
    states = Counter(
        str(p["runtime.dasHostState"].state)
        for p in vi.hosts(["runtime.dasHostState"]).values()
        if p.get("runtime.dasHostState")
    )
    assert states["networkPartitionedFromMaster"] + states["networkIsolated"] > 0


def test_mixed_scenario_failure_distribution(make_sim, make_vi):
    """About a quarter of HA hosts fail, network misconfiguration first (reference §11)."""
    sim = make_sim(
        scenario="mixed", seed=5, clusters=10, hosts_per_cluster=40, standalone_hosts=0, task_seconds=1, time_scale=200
    )
    vi = make_vi(sim)
    hosts = ha_hosts(vi)
    tasks = [vi.reconfigure(h)["value"] for h in hosts]
    infos = [vi.wait_task(t) for t in tasks]
    errors = [wire.decode_as(i, wire.TaskInfo).error for i in infos if i["state"] == "error"]
    share = len(errors) / len(hosts)
    assert 0.15 < share < 0.35, share
    reasons = Counter(str(e.reason) for e in errors)
    assert reasons.most_common(1)[0][0] == "HostNetworkMisconfiguration"
    assert len(reasons) >= 6
    clusters = vi.retrieve(
        vi.container_view(["ClusterComputeResource"]), "ClusterComputeResource", ["configurationEx.dasConfig.enabled"]
    )
    enabled = [oc["propSet"][0]["val"]["_value"] for oc in clusters]
    assert enabled.count(False) == 2  # one cluster in five


def test_same_seed_same_outcomes(make_sim, make_vi):
    def run(seed):
        sim = make_sim(scenario="mixed", seed=seed, clusters=4, hosts_per_cluster=10, task_seconds=1, time_scale=200)
        vi = make_vi(sim)
        tasks = {h: vi.reconfigure(h)["value"] for h in ha_hosts(vi)}
        return {h: vi.wait_task(t)["state"] for h, t in tasks.items()}

    assert run(3) == run(3)
    assert run(3) != run(4)


@pytest.mark.parametrize("style,pattern", [("vcsim", "DC0_C0_H00"), ("fqdn", "esx-c01-001.dc01.example.internal")])
def test_host_name_styles(make_sim, make_vi, style, pattern):
    sim = make_sim(host_name_style=style)
    names = {p["name"] for p in make_vi(sim).hosts(["name"]).values()}
    assert pattern in names
