"""The in-memory result model: journal replay semantics, event de-duplication, faults."""

import pytest

from vsphere_nb.batch import RunRecords, TaskRecord
from vsphere_nb.batch.event_columns import EventColumns
from vsphere_nb.batch.records import outcome_from_task_info
from vsphere_nb.tables.events import event_severity
from vsphere_nb.wire.plain import fault_chain, fault_events, unwrap_fault


def ev(key, type_name="HostDasErrorEvent", **extra):
    return {
        "_typeName": type_name,
        "key": key,
        "chainId": key,
        "createdTime": "2026-03-01T08:00:00Z",
        "userName": "vpxuser",
        **extra,
    }


def rec():
    return TaskRecord(run_id="r", vcenter="vc1", host="esx1", host_moid="host-1")


@pytest.mark.parametrize(
    ("info", "timed_out", "expected"),
    [
        ({"state": "success"}, False, "success"),
        ({"state": "error"}, False, "fault"),
        ({"state": "error", "cancelled": True}, False, "cancelled"),
        ({"state": {"_typeName": "TaskInfoState", "_value": "success"}}, False, "success"),
        ({"state": "running"}, False, None),
        ({"state": "running"}, True, "timed_out"),
        (None, False, None),
    ],
)
def test_outcome_from_task_info(info, timed_out, expected):
    assert outcome_from_task_info(info, timed_out=timed_out) == expected


def test_unwrap_and_chain_of_localized_method_faults():
    inner = {"_typeName": "SystemError", "reason": "boom"}
    fault = {
        "_typeName": "LocalizedMethodFault",
        "localizedMessage": "outer text",
        "fault": {
            "_typeName": "DasConfigFault",
            "reason": "Other",
            "faultCause": {"_typeName": "LocalizedMethodFault", "fault": inner},
        },
    }
    top = unwrap_fault(fault)
    assert top["_typeName"] == "DasConfigFault" and top["localizedMessage"] == "outer text"
    assert [n["_typeName"] for n in fault_chain(fault)] == ["DasConfigFault", "SystemError"]
    assert unwrap_fault("nonsense") is None and fault_chain(None) == []


def test_fault_chain_is_bounded():
    node = {"_typeName": "MethodFault"}
    node["faultCause"] = node  # a cycle cannot come from JSON, but nothing may loop forever
    assert len(fault_chain(node)) == 32


def test_event_columns_extract_once_and_derive_type_id_severity_message():
    cols = EventColumns()
    added = cols.add_wire(
        "task_chain",
        [
            ev(1),
            ev(
                2,
                "EventEx",
                eventTypeId="com.vmware.vc.HA.HostStateChangedEvent",
                severity="warning",
                message="short",
                fullFormattedMessage=None,
            ),
            ev(3, "HostDasEnabledEvent", fullFormattedMessage="enabled"),
            "not an event",
        ],
    )
    assert added == 3 and len(cols) == 3
    assert cols.event_type_id == ["HostDasErrorEvent", "com.vmware.vc.HA.HostStateChangedEvent", "HostDasEnabledEvent"]
    assert cols.severity == ["error", "warning", "info"]
    assert cols.message == [None, "short", "enabled"]
    assert cols.source == ["task_chain"] * 3


def test_event_seen_by_two_sources_is_kept_once_under_the_better_source():
    r = rec()
    assert r.add_events("host_events", [ev(10), ev(11), ev(0), ev(0)]) == 4  # key 0: never merged
    assert r.add_events("task_chain", [ev(11), ev(12), ev(12)]) == 1
    assert r.events.event_key == [10, 11, 0, 0, 12]
    assert r.events.source == ["host_events", "task_chain", "host_events", "host_events", "task_chain"]
    assert r.add_events("other_source", [ev(10)]) == 0
    assert r.events.source[0] == "host_events"  # an unknown source never outranks a known one


def test_set_fault_adds_the_fault_events_once():
    r = rec()
    fault = {
        "_typeName": "DasConfigFault",
        "reason": "Other",
        "event": [ev(5)],
        "faultCause": {"_typeName": "DasConfigFault", "event": [ev(6)]},
    }
    r.set_fault(fault)
    r.set_fault(dict(fault))  # the same fault again (task_update then finished)
    assert r.events.event_key == [5, 6] and r.events.source == ["fault", "fault"]
    r.add_events("task_chain", [ev(5), ev(7)])
    assert r.events.event_key == [5, 6, 7] and r.events.source[0] == "fault"
    assert fault_events(fault) == [ev(5), ev(6)]


def test_event_severity():
    assert event_severity({"_typeName": "EventEx", "severity": "user"}) == "user"
    assert event_severity({"_typeName": "DasHostFailedEvent"}) == "error"
    assert event_severity({"_typeName": "HostIsolationIpPingFailedEvent"}) == "warning"
    assert event_severity({"_typeName": "SomethingNew"}) == "info"


def test_post_check_turns_success_into_agent_unhealthy():
    rr = RunRecords()
    rr.apply({"kind": "run_started", "run_id": "r"})
    base = {"vcenter": "vc1", "host": "esx1", "host_moid": "host-1", "attempt": 1}
    rr.apply({"kind": "finished", **base, "info": {"state": "success", "task": {"value": "task-1"}}})
    rr.apply(
        {
            "kind": "post_checked",
            **base,
            "das_state_before": "initializationError",
            "das_state_after": "initializationError",
            "healthy": False,
        }
    )
    r = rr.get("vc1", "host-1", 1)
    assert r.outcome == "agent_unhealthy" and r.stage == "post_checked" and r.task_moid == "task-1"
    assert r.run_id == "r"


def test_engine_outcome_wins_over_task_state():
    rr = RunRecords("r")
    base = {"vcenter": "vc1", "host_moid": "host-1"}
    rr.apply({"kind": "finished", **base, "info": {"state": "running"}, "outcome": "timed_out"})
    r = rr.get("vc1", "host-1", 1)
    assert r.outcome == "timed_out" and r.state == "running" and r.host == "host-1"


def test_latest_attempt_and_unknown_kinds():
    rr = RunRecords("r")
    assert rr.apply({"kind": "something_new"}) is None
    for attempt in (1, 3, 2):
        rr.apply({"kind": "launching", "vcenter": "vc1", "host_moid": "host-1", "attempt": attempt})
    assert rr.latest_of("vc1", "host-1").attempt == 3
    assert [r.attempt for r in rr.latest()] == [3]
    assert len(rr) == 3
