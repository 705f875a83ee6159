"""EventManager: QueryEvents filters, event chains of tasks, history collectors, description."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import moref

from vsphere_nb import wire


def query(vi, **spec):
    events = vi.call(
        "EventManager", "EventManager", "QueryEvents", {"filter": {"_typeName": "EventFilterSpec", **spec}}
    )
    return [wire.decode_any(e) for e in events]


def reconfigure_one(vi, scenario_host_glob=None):
    hosts = vi.hosts(["name", "runtime.dasHostState"])
    host = next(h for h, p in hosts.items() if p.get("runtime.dasHostState"))
    info = vi.wait_task(vi.reconfigure(host)["value"])
    return host, wire.decode_as(info, wire.TaskInfo)


def test_events_by_chain_id_tell_the_story_of_a_task(sim, vi):
    host, info = reconfigure_one(vi)
    events = query(vi, eventChainId=info.eventChainId)
    assert all(e.chainId == info.eventChainId for e in events)
    keys = [e.key for e in events]
    assert keys == sorted(keys, reverse=True), "newest first"
    kinds = [wire.event_type_id(e) for e in reversed(events)]
    assert kinds[0] == "TaskEvent" and "HostDasEnablingEvent" in kinds and "HostDasEnabledEvent" in kinds
    assert "com.vmware.vc.HA.HostStateChangedEvent" in kinds
    task_event = events[-1]
    assert task_event.key == info.eventChainId
    assert task_event.info.task == info.task and str(task_event.info.state) == "queued"
    assert task_event.host.host == wire.MoRef("HostSystem", host) and task_event.userName == sim.user
    assert all(e.fullFormattedMessage for e in events)


def test_failed_task_events(make_sim, make_vi):
    sim = make_sim(scenario={"name": "f", "rules": [{"outcome": "error", "reason": "HostNetworkMisconfiguration"}]})
    vi = make_vi(sim)
    host, info = reconfigure_one(vi)
    events = query(vi, eventChainId=info.eventChainId)
    ids = {wire.event_type_id(e) for e in events}
    assert {"HostDasErrorEvent", "com.vmware.vc.HA.HostAgentErrorEvent"} <= ids
    error = next(e for e in events if isinstance(e, wire.HostDasErrorEvent))
    assert str(error.reason) == "communicationInitFailed"
    agent = next(e for e in events if wire.event_type_id(e) == "com.vmware.vc.HA.HostAgentErrorEvent")
    assert isinstance(agent, wire.EventEx) and str(agent.severity) == "error" and agent.objectId == host


def test_filter_by_type_id_entity_time_and_max_count(sim, vi):
    host, info = reconfigure_one(vi)
    only = query(vi, eventTypeId=["HostDasEnabledEvent", "com.vmware.vc.HA.HostStateChangedEvent"])
    assert only and {wire.event_type_id(e) for e in only} <= {
        "HostDasEnabledEvent",
        "com.vmware.vc.HA.HostStateChangedEvent",
    }
    by_host = query(
        vi, entity={"_typeName": "EventFilterSpecByEntity", "entity": moref("HostSystem", host), "recursion": "self"}
    )
    assert by_host and all(e.host.host.value == host for e in by_host)
    cluster = sim.vc.host(host).compute_resource
    self_only = query(
        vi, entity={"_typeName": "EventFilterSpecByEntity", "entity": cluster.ref.to_wire(), "recursion": "self"}
    )
    assert self_only == []  # host events belong to the host
    below = query(
        vi, entity={"_typeName": "EventFilterSpecByEntity", "entity": cluster.ref.to_wire(), "recursion": "all"}
    )
    assert {e.key for e in by_host} <= {e.key for e in below}
    everything = query(
        vi, entity={"_typeName": "EventFilterSpecByEntity", "entity": vi.content()["rootFolder"], "recursion": "all"}
    )
    assert len(everything) >= len(below)
    assert len(query(vi, maxCount=2)) == 2
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert query(vi, time={"_typeName": "EventFilterSpecByTime", "beginTime": future}) == []
    past = (info.queueTime - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    recent = query(vi, time={"_typeName": "EventFilterSpecByTime", "beginTime": past})
    assert {e.key for e in query(vi, eventChainId=info.eventChainId)} <= {e.key for e in recent}


def test_history_collector_pages_forward(sim, vi):
    for _ in range(2):
        reconfigure_one(vi)
    total = len(query(vi, maxCount=1000))
    collector = vi.call(
        "EventManager", "EventManager", "CreateCollectorForEvents", {"filter": {"_typeName": "EventFilterSpec"}}
    )
    assert collector["type"] == "EventHistoryCollector"
    seen = []
    while True:
        page = vi.call("EventHistoryCollector", collector["value"], "ReadNextEvents", {"maxCount": 3})
        if not page:
            break
        assert len(page) <= 3
        seen.extend(e["key"] for e in page)
    assert len(seen) == total and seen == sorted(seen)
    back = vi.call("EventHistoryCollector", collector["value"], "ReadPreviousEvents", {"maxCount": 2})
    assert [e["key"] for e in back] == seen[-2:]
    latest = vi.read("EventHistoryCollector", collector["value"], "latestPage")
    assert len(latest) == min(10, total)
    assert vi.post("EventHistoryCollector", collector["value"], "RewindCollector").status_code == 204
    assert vi.call("EventHistoryCollector", collector["value"], "ReadNextEvents", {"maxCount": 1})[0]["key"] == seen[0]
    fault = vi.fault(vi.post("EventHistoryCollector", collector["value"], "ReadNextEvents", {"maxCount": 0}))
    assert fault["_typeName"] == "InvalidArgument"
    assert vi.post("EventHistoryCollector", collector["value"], "DestroyCollector").status_code == 204
    assert (
        vi.fault(vi.get("EventHistoryCollector", collector["value"], "latestPage"))["_typeName"]
        == "ManagedObjectNotFound"
    )


def test_collector_limit_per_session(sim, vi):
    for _ in range(32):
        vi.call(
            "EventManager", "EventManager", "CreateCollectorForEvents", {"filter": {"_typeName": "EventFilterSpec"}}
        )
    fault = vi.fault(
        vi.post(
            "EventManager", "EventManager", "CreateCollectorForEvents", {"filter": {"_typeName": "EventFilterSpec"}}
        )
    )
    assert fault["_typeName"] == "InvalidState"
    assert vi.read("EventManager", "EventManager", "maxCollector") == 32


def test_description_lists_the_event_ids_the_way_vcenter_does(vi):
    """Standard types keyed by name; EventEx/ExtendedEvent types keyed by their kind, the id before the first
    "|" of fullFormat (the shape the public vCenter 8.0 U1–U3 catalogues were read from)."""
    from vsphere_nb.history import described_type_id

    description = wire.decode_as(vi.read("EventManager", "EventManager", "description"), wire.EventDescription)
    keys = {d.key for d in description.eventInfo}
    assert {"HostDasErrorEvent", "HostDasEnabledEvent", "TaskEvent", "EventEx", "ExtendedEvent"} <= keys
    assert not any(k.startswith("com.vmware.") for k in keys)
    by_id = {described_type_id(d): d for d in description.eventInfo}
    assert by_id["com.vmware.vc.HA.HostAgentErrorEvent"].key == "EventEx"
    assert by_id["com.vmware.vc.HA.DasHostIsolatedEvent"].key == "ExtendedEvent"
    assert by_id["com.vmware.vc.HA.NotAllHostAddrsPingable"].fullFormat.startswith(
        "com.vmware.vc.HA.NotAllHostAddrsPingable|"
    )


def test_initial_ha_errors_are_config_issues_and_events(make_sim, make_vi):
    sim = make_sim(scenario="mixed", clusters=4, hosts_per_cluster=10, seed=2)
    vi = make_vi(sim)
    hosts = vi.hosts(["runtime.dasHostState", "configIssue"])
    broken = [
        h
        for h, p in hosts.items()
        if p.get("runtime.dasHostState") and str(p["runtime.dasHostState"].state) == "initializationError"
    ]
    assert broken
    for host in broken:
        assert [e.vim_type for e in hosts[host]["configIssue"]] == ["HostDasErrorEvent"]
    latest = wire.decode_any(vi.read("EventManager", "EventManager", "latestEvent"))
    assert isinstance(latest, wire.Event)
