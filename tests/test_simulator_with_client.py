"""The simulator through the real client (``vsphere_nb.connect``), over real HTTP: the behaviours the
simulator promises, seen the way the rest of vsphere-nb sees them."""

from __future__ import annotations

import pytest
from polling import wait_for_task

from vsphere_nb import errors, wire
from vsphere_nb import property as prop
from vsphere_nb.config import RetryPolicy
from vsphere_nb.sync import connect

FAST = {"task_seconds": 1, "time_scale": 20}


def host_states(vc) -> dict[wire.MoRef, dict]:
    async def main():
        view = await prop.create_container_view(vc.aio, vc.content.rootFolder, ["HostSystem"])
        try:
            spec = prop.container_filter_spec(
                view, {"HostSystem": ["name", "runtime.dasHostState", "runtime.connectionState", "disabledMethod"]}
            )
            return {o.obj: o.props() for o in await prop.retrieve(vc.aio, spec, page_size=500)}
        finally:
            await prop.destroy_view(vc.aio, view)

    return vc.run(main())


def eligible(states: dict[wire.MoRef, dict]) -> list[wire.MoRef]:
    return [
        h
        for h, p in states.items()
        if p.get("runtime.dasHostState") is not None
        and str(p["runtime.connectionState"]) == "connected"
        and "ReconfigureHostForDAS_Task" not in (p.get("disabledMethod") or [])
    ]


@pytest.mark.parametrize("version,source,release", [("8.0.3", "hello", "8.0.3.0"), ("8.0.1", "about", "8.0.1.0")])
def test_release_negotiation(make_sim, version, source, release):
    sim = make_sim(version=version)
    with connect(sim.url, sim.user, sim.password) as vc:
        assert vc.release_source == source and vc.release == release
        assert vc.about.version == version


def test_faults_arrive_typed(make_sim):
    sim = make_sim(scenario="mixed", clusters=5, hosts_per_cluster=20, seed=7)
    with connect(sim.url, sim.readonly_user, sim.readonly_password) as ro:
        host = eligible(host_states(ro))[0]
        with pytest.raises(errors.ServerFault) as info:
            ro.invoke(host, "ReconfigureHostForDAS_Task")
        assert info.value.is_a("NoPermission") and info.value.status == 500
        assert info.value.fault.missingPrivileges[0].privilegeIds == ["Host.Config.Connection"]
    with connect(sim.url, sim.user, sim.password) as vc:
        states = host_states(vc)
        disabled = next(h for h, p in states.items() if "ReconfigureHostForDAS_Task" in (p.get("disabledMethod") or []))
        with pytest.raises(errors.ServerFault) as info:
            vc.invoke(disabled, "ReconfigureHostForDAS_Task")
        assert info.value.is_a("MethodDisabled") and info.value.is_a("RuntimeFault")
        gone = wire.MoRef("HostSystem", "host-0")
        with pytest.raises(errors.ServerFault) as info:
            vc.get(gone, "name")
        assert info.value.is_a("ManagedObjectNotFound")
        with pytest.raises(errors.ServerFault) as info:
            vc.invoke(next(iter(states)), "NoSuchMethod")
        assert info.value.is_a("MethodNotFound") and info.value.is_a("InvalidRequest")


def test_esx_endpoint_refuses_ha_reconfiguration(make_sim):
    sim = make_sim(scenario="esx")
    with connect(sim.url, sim.user, sim.password) as vc:
        assert vc.about.apiType == "HostAgent" and vc.release_source == "about"
        with pytest.raises(errors.ServerFault) as info:
            vc.invoke(wire.MoRef("HostSystem", "ha-host"), "ReconfigureHostForDAS_Task")
        assert info.value.is_a("NotSupported")


def test_failed_task_is_a_result_with_its_events(make_sim):
    sim = make_sim(scenario={"name": "f", "rules": [{"outcome": "error", "reason": "NoDatastoresConfigured"}]}, **FAST)
    with connect(sim.url, sim.user, sim.password) as vc:
        host = eligible(host_states(vc))[0]
        task = vc.invoke(host, "ReconfigureHostForDAS_Task")
        info = vc.run(wait_for_task(vc.aio, task, timeout=30, poll=0.02))
        assert str(info.state) == "error" and isinstance(info.error, wire.DasConfigFault)
        assert str(info.error.reason) == "NoDatastoresConfigured" and info.error.output
        events = vc.invoke(
            vc.content.eventManager, "QueryEvents", filter=wire.EventFilterSpec(eventChainId=info.eventChainId)
        )
        kinds = {wire.event_type_id(e) for e in events}
        assert {
            "TaskEvent",
            "HostDasEnablingEvent",
            "HostDasErrorEvent",
            "com.vmware.vc.HA.HostAgentErrorEvent",
        } <= kinds
        runtime = vc.get(host, "runtime")
        assert str(runtime.dasHostState.state) == "initializationError"
        assert [e.vim_type for e in vc.get(host, "configIssue")] == ["HostDasErrorEvent"]


def test_session_expiry_is_renewed_by_the_client(make_sim):
    sim = make_sim()
    with connect(sim.url, sim.user, sim.password) as vc:
        host = next(iter(host_states(vc)))
        sim.expire_sessions()
        assert isinstance(vc.get(host, "name"), str)
        assert vc.stats.relogins == 1
    assert sim.stats()["chaos"]["session_expiries"] == 1


def test_dropped_launch_is_reported_as_unknown_and_visible_in_recent_tasks(make_sim):
    sim = make_sim(task_seconds=60)
    with connect(sim.url, sim.user, sim.password, retry=RetryPolicy(attempts=1)) as vc:
        hosts = eligible(host_states(vc))
        sim.chaos.drop_rate = 1.0
        for host in hosts:
            with pytest.raises(errors.LaunchStateUnknown):
                vc.invoke(host, "ReconfigureHostForDAS_Task")
        sim.chaos.drop_rate = 0.0
        launched = sim.stats()["launches_per_host"]
        for host in hosts:
            recent = vc.get(host, "recentTask") or []
            assert bool(recent) == (host.value in launched)


def test_paging_a_thousand_hosts(make_sim):
    sim = make_sim(clusters=10, hosts_per_cluster=100, standalone_hosts=0)
    with connect(sim.url, sim.user, sim.password) as vc:
        states = host_states(vc)
        assert len(states) == 1000
        assert sim.stats()["requests"]["PropertyCollector.ContinueRetrievePropertiesEx"] == 1


def test_maintenance_mode_entered_through_the_api_makes_the_preflight_skip_the_host(make_sim):
    """``EnterMaintenanceMode_Task`` sets ``runtime.inMaintenanceMode``; the pre-flight reads it and skips the host;
    after ``ExitMaintenanceMode_Task`` the host is eligible again."""
    sim = make_sim(scenario="healthy", clusters=1, hosts_per_cluster=3, standalone_hosts=0, **FAST)
    with connect(sim.url, sim.user, sim.password) as vc:
        before = vc.hosts().set_index("host_moid")
        moid = str(before.index[1])
        assert bool(before.loc[moid, "eligible"]) and not bool(before.loc[moid, "in_maintenance"])
        host = wire.MoRef("HostSystem", moid)
        task = vc.invoke(host, "EnterMaintenanceMode_Task", timeout=0)
        assert vc.run(wait_for_task(vc.aio, task)).state == "success"
        during = vc.hosts().set_index("host_moid")
        assert bool(during.loc[moid, "in_maintenance"]) and not bool(during.loc[moid, "eligible"])
        assert during.loc[moid, "skip_reason"] == "in maintenance mode"
        plan = vc.plan_reconfigure(during.reset_index())
        assert moid not in {str(h.host_moid) for h in plan.launch}
        skipped = plan.skipped.set_index("host_moid")["skip_reason"]
        assert skipped[moid] == "in maintenance mode"
        task = vc.invoke(host, "ExitMaintenanceMode_Task", timeout=0)
        assert vc.run(wait_for_task(vc.aio, task)).state == "success"
        after = vc.hosts().set_index("host_moid")
        assert bool(after.loc[moid, "eligible"]) and not bool(after.loc[moid, "in_maintenance"])
