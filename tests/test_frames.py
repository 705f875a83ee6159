"""Result frames: documented columns and dtypes, fault/event extraction from wire dicts, robustness."""

import json

import numpy as np
import pandas as pd
import pytest

from benchmarks.synthetic import synthetic_records
from vsphere_nb import wire
from vsphere_nb.batch import (
    OUTCOMES,
    SCHEMAS,
    RunRecords,
    TaskRecord,
    build_frames,
    coerce,
    empty_frame,
    hosts_frame,
)
from vsphere_nb.batch.frames import (
    EVENT_COLUMNS,
    FAULT_COLUMNS,
    FAULT_MESSAGE_COLUMNS,
    HOST_COLUMNS,
    STRING,
    TASK_COLUMNS,
)
from vsphere_nb.wire.plain import fault_text

DOCUMENTED = {
    "tasks": [
        "run_id",
        "vcenter",
        "cluster",
        "host",
        "host_moid",
        "attempt",
        "outcome",
        "task_moid",
        "state",
        "queued_at",
        "started_at",
        "completed_at",
        "duration_s",
        "fault_type",
        "fault_reason",
        "fault_message",
        "fault_output",
        "das_state_before",
        "das_state_after",
        "event_chain_id",
    ],
    "faults": ["run_id", "host", "host_moid", "task_moid", "depth", "fault_type", "fault_reason", "message", "output"],
    "fault_messages": ["run_id", "host", "task_moid", "key", "message", "args"],
    "events": [
        "run_id",
        "vcenter",
        "cluster",
        "host",
        "host_moid",
        "task_moid",
        "source",
        "event_key",
        "chain_id",
        "event_type",
        "event_type_id",
        "created_time",
        "user_name",
        "severity",
        "message",
        "category",
    ],
    "hosts": [
        "vcenter",
        "datacenter",
        "cluster",
        "cluster_moid",
        "host",
        "host_moid",
        "connection_state",
        "power_state",
        "in_maintenance",
        "ha_enabled",
        "das_state",
        "das_state_reporter",
        "version",
        "build",
        "datastores",
        "config_issues",
        "eligible",
        "skip_reason",
    ],
}
KIND_DTYPES = {
    "string": STRING,
    "datetime": "datetime64[us, UTC]",
    "Int64": "Int64",
    "int": "int64",
    "float": "float64",
    "bool": "bool",
    "boolean": "boolean",
}


def check_schema(frame, name):
    for column in DOCUMENTED[name]:
        assert column in frame.columns, f"{name}.{column} missing"
    assert list(frame.columns) == list(SCHEMAS[name])
    for column, kind in SCHEMAS[name].items():
        if kind in ("category", "id"):
            assert isinstance(frame[column].dtype, pd.CategoricalDtype), f"{name}.{column}"
        else:
            assert frame[column].dtype == KIND_DTYPES[kind], f"{name}.{column}: {frame[column].dtype}"


def das_fault():
    return {
        "_typeName": "LocalizedMethodFault",
        "localizedMessage": "wrapper text",
        "fault": {
            "_typeName": "DasConfigFault",
            "reason": "HostNetworkMisconfiguration",
            "output": "step 1\nerror: vmk0 has no IPv4 address\n",
            "faultMessage": [
                {
                    "_typeName": "LocalizableMessage",
                    "key": "com.vmware.vim.das.netMisconfig",
                    "arg": [
                        {"_typeName": "KeyAnyValue", "key": "host", "value": {"_typeName": "string", "_value": "esx1"}},
                        {"_typeName": "KeyAnyValue", "key": "count", "value": {"_typeName": "int", "_value": 2}},
                    ],
                    "message": "Host esx1 has a <b>network</b> problem",
                }
            ],
            "faultCause": {
                "_typeName": "LocalizedMethodFault",
                "fault": {"_typeName": "SystemError", "reason": "fdm install failed"},
            },
            "event": [
                {
                    "_typeName": "HostDasErrorEvent",
                    "key": 100,
                    "chainId": 100,
                    "createdTime": "2026-03-01T08:01:00Z",
                    "userName": "",
                    "reason": "configFailed",
                    "fullFormattedMessage": "vSphere HA agent for host esx1 has an error",
                }
            ],
        },
    }


def records():
    rr = RunRecords()
    rr.apply({"kind": "run_started", "run_id": "run-1"})
    rr.apply(
        {
            "kind": "planned",
            "hosts": [],
            "skipped": [
                {
                    "vcenter": "vc1",
                    "host": "esx3",
                    "host_moid": "host-3",
                    "cluster": "C0",
                    "reason": "in maintenance mode",
                }
            ],
            "launch": [
                {
                    "vcenter": "vc1",
                    "host": h,
                    "host_moid": m,
                    "cluster": "C0",
                    "cluster_moid": "domain-c1",
                    "das_state": "initializationError",
                    "canary": m == "host-1",
                }
                for h, m in (("esx1", "host-1"), ("esx2", "host-2"), ("esx4", "host-4"))
            ],
        }
    )
    h1 = {"vcenter": "vc1", "host": "esx1", "host_moid": "host-1", "attempt": 1}
    rr.apply({"kind": "launched", **h1, "task_moid": "task-1"})
    rr.apply(
        {
            "kind": "finished",
            **h1,
            "info": {
                "_typeName": "TaskInfo",
                "task": {"_typeName": "ManagedObjectReference", "type": "Task", "value": "task-1"},
                "state": "error",
                "queueTime": "2026-03-01T08:00:00Z",
                "startTime": "2026-03-01T08:00:02Z",
                "completeTime": "2026-03-01T08:01:32.5Z",
                "eventChainId": 77,
                "error": das_fault(),
            },
        }
    )
    rr.apply(
        {
            "kind": "events",
            **h1,
            "source": "host_events",
            "events": [
                {
                    "_typeName": "HostDasErrorEvent",
                    "key": 100,
                    "chainId": 100,
                    "createdTime": "2026-03-01T08:01:00Z",
                    "fullFormattedMessage": "dup of the fault event",
                },
                {
                    "_typeName": "EventEx",
                    "key": 101,
                    "chainId": 101,
                    "createdTime": "2026-03-01T08:01:05Z",
                    "eventTypeId": "com.vmware.vc.HA.HostStateChangedEvent",
                    "severity": "warning",
                    "message": "state changed",
                },
            ],
        }
    )
    h2 = {"vcenter": "vc1", "host": "esx2", "host_moid": "host-2", "attempt": 1}
    no_permission = {
        "_typeName": "NoPermission",
        "privilegeId": "Host.Config.Connection",
        "object": {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-2"},
    }
    rr.apply({"kind": "launch_failed", **h2, "fault": no_permission})
    return rr


def test_columns_and_dtypes_are_the_documented_ones():
    frames = build_frames(list(records()))
    for name, frame in frames.items():
        check_schema(frame, name)
    assert list(frames.tasks["outcome"].cat.categories[: len(OUTCOMES)]) == list(OUTCOMES)
    assert TASK_COLUMNS[:20] == DOCUMENTED["tasks"]
    # the documented columns in order, plus vcenter (host and task ids repeat across vCenters of one run)
    assert [c for c in FAULT_COLUMNS if c != "vcenter"] == DOCUMENTED["faults"] and "vcenter" in FAULT_COLUMNS
    assert "vcenter" in FAULT_MESSAGE_COLUMNS and EVENT_COLUMNS == DOCUMENTED["events"]
    assert set(DOCUMENTED["fault_messages"]) <= set(FAULT_MESSAGE_COLUMNS)
    assert set(DOCUMENTED["hosts"]) <= set(HOST_COLUMNS)


def test_empty_frames_have_the_schema():
    frames = build_frames([])
    for name, frame in frames.items():
        assert frame.empty
        check_schema(frame, name)
    check_schema(empty_frame("hosts"), "hosts")


def test_tasks_rows():
    tasks = build_frames(list(records())).tasks.set_index("host_moid")
    one = tasks.loc["host-1"]
    assert one["outcome"] == "fault" and one["state"] == "error" and one["task_moid"] == "task-1"
    assert one["fault_type"] == "DasConfigFault"  # LocalizedMethodFault unwrapped
    assert one["fault_reason"] == "HostNetworkMisconfiguration"
    assert one["fault_message"] == "Host esx1 has a <b>network</b> problem"
    assert one["fault_output"].endswith("no IPv4 address\n")
    assert one["duration_s"] == pytest.approx(90.5)
    assert one["started_at"] == pd.Timestamp("2026-03-01T08:00:02Z")
    assert one["event_chain_id"] == 77 and bool(one["canary"])
    two = tasks.loc["host-2"]
    assert two["outcome"] == "launch_failed" and pd.isna(two["task_moid"])
    assert two["fault_message"] == "permission denied on host-2: missing Host.Config.Connection"
    skipped = tasks.loc["host-3"]
    assert skipped["outcome"] == "skipped" and skipped["attempt"] == 0
    assert skipped["skip_reason"] == "in maintenance mode"
    pending = tasks.loc["host-4"]
    assert pd.isna(pending["outcome"]) and pending["stage"] == "planned" and pd.isna(pending["duration_s"])


def test_faults_and_messages():
    frames = build_frames(list(records()))
    faults = frames.faults
    chain = faults[faults["host_moid"] == "host-1"].sort_values("depth")
    assert chain["fault_type"].tolist() == ["DasConfigFault", "SystemError"]
    assert chain["depth"].tolist() == [0, 1]
    assert chain["message"].tolist() == ["Host esx1 has a <b>network</b> problem", "fdm install failed"]
    assert chain["fault_reason"].tolist() == ["HostNetworkMisconfiguration", "fdm install failed"]
    messages = frames.fault_messages
    assert len(messages) == 1
    row = messages.iloc[0]
    assert row["key"] == "com.vmware.vim.das.netMisconfig" and row["task_moid"] == "task-1"
    assert json.loads(row["args"]) == {"host": "esx1", "count": 2}


def test_events_sources_dedupe_and_derived_columns():
    events = build_frames(list(records())).events
    assert events["event_key"].tolist() == [100, 101]  # 100 came from the fault and from the host window
    assert events["source"].tolist() == ["fault", "host_events"]
    assert events["event_type_id"].tolist() == ["HostDasErrorEvent", "com.vmware.vc.HA.HostStateChangedEvent"]
    assert events["severity"].tolist() == ["error", "warning"]
    assert events["message"].tolist() == ["vSphere HA agent for host esx1 has an error", "state changed"]
    assert set(events["host"]) == {"esx1"} and set(events["task_moid"]) == {"task-1"}
    assert set(events["cluster"]) == {"C0"}
    assert events["created_time"].iloc[1] == pd.Timestamp("2026-03-01T08:01:05Z")


FAULTS = [
    {"_typeName": "DasConfigFault", "reason": "NoDatastoresConfigured", "output": "a\nb\n"},
    {"_typeName": "DasConfigFault"},
    {"_typeName": "DasConfigFault", "output": "   "},
    {
        "_typeName": "NoPermission",
        "missingPrivileges": [
            {"_typeName": "NoPermissionEntityPrivileges", "privilegeIds": ["Host.Config.Connection", "X.Y"]}
        ],
    },
    {"_typeName": "NotAuthenticated", "privilegeId": "System.View"},
    {"_typeName": "NoPermission"},
    {
        "_typeName": "ManagedObjectNotFound",
        "obj": {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-9"},
    },
    {"_typeName": "InvalidArgument", "invalidProperty": "spec"},
    {"_typeName": "InvalidProperty", "name": "foo"},
    {"_typeName": "MethodNotFound", "method": "Foo"},
    {"_typeName": "SystemError", "reason": "disk full"},
    {"_typeName": "NotSupported", "faultstring": "not on an ESXi host"},
    {"_typeName": "RequestCanceled"},
    {"_typeName": "SomeFaultFromTheFuture", "reason": "x"},
    {
        "_typeName": "DasConfigFault",
        "faultMessage": [
            {"_typeName": "LocalizableMessage", "key": "k", "message": "m1"},
            {"_typeName": "LocalizableMessage", "key": "k2", "message": ""},
            {"_typeName": "LocalizableMessage", "key": "k3", "message": "m3"},
        ],
    },
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f["_typeName"] for f in FAULTS])
def test_fault_text_matches_the_wire_models(fault):
    model = wire.decode_as(fault, wire.MethodFault)
    assert fault_text(fault) == model.message()


def test_odd_values_do_not_break_the_build():
    r = TaskRecord(
        run_id="r",
        vcenter="vc1",
        host="esx1",
        host_moid="host-1",
        outcome="fault",
        started_at="not a time",
        completed_at="2026-03-01T08:00:00Z",
    )
    r.set_fault(
        {"_typeName": 42, "reason": ["x"], "faultMessage": ["junk", {"key": 1, "arg": "x"}], "faultCause": "nope"}
    )
    r.add_events(
        "host_events",
        [
            {
                "_typeName": None,
                "key": 2**70,
                "chainId": "x",
                "createdTime": 5,
                "eventTypeId": 7,
                "userName": ["a"],
                "severity": 3,
                "fullFormattedMessage": {"a": 1},
            },
            {},
        ],
    )
    frames = build_frames([r])
    for name, frame in frames.items():
        check_schema(frame, name)
    assert len(frames.events) == 2 and frames.faults["fault_type"].tolist() == ["MethodFault"]
    assert pd.isna(frames.tasks["started_at"].iloc[0]) and pd.isna(frames.tasks["duration_s"].iloc[0])
    assert frames.events["event_key"].isna().all()


def test_synthetic_run_counts():
    recs = synthetic_records(200, 2000, seed=5)
    frames = build_frames(recs)
    assert len(frames.tasks) == 200
    n_fault_events = int((frames.tasks["fault_type"] == "DasConfigFault").sum())
    assert len(frames.events) == 2000 + n_fault_events  # the overlapping host-window event was merged
    assert (frames.events["source"] == "fault").sum() == n_fault_events
    assert not frames.events.duplicated(["host_moid", "event_key"]).any()
    # the events of an attempt are attributed to its host
    merged = frames.events.merge(
        frames.tasks[["host_moid", "cluster"]].astype(str), on="host_moid", suffixes=("", "_task")
    )
    assert (merged["cluster"].astype(str) == merged["cluster_task"]).all()


def test_hosts_frame_and_coerce_from_text():
    rows = [
        {
            "vcenter": "vc1",
            "host": "esx1",
            "host_moid": "host-1",
            "in_maintenance": "False",
            "ha_enabled": "True",
            "eligible": "true",
            "das_state": "election",
            "extra_column": 5,
        }
    ]
    hosts = hosts_frame(rows)
    check_schema(hosts[list(SCHEMAS["hosts"])], "hosts")
    assert hosts["extra_column"].tolist() == [5]
    assert hosts["in_maintenance"].tolist() == [False] and hosts["ha_enabled"].tolist() == [True]
    text = pd.DataFrame(
        {"started_at": ["2026-03-01T08:00:00.5Z", ""], "attempt": ["2", "x"], "outcome": ["success", None]}
    )
    tasks = coerce(text, "tasks")
    check_schema(tasks, "tasks")
    assert tasks["attempt"].tolist() == [2, 0]
    assert tasks["started_at"].iloc[0] == pd.Timestamp("2026-03-01T08:00:00.5Z")
    assert np.isnan(tasks["duration_s"]).all()


def test_label_columns_are_right_even_when_not_interned():
    from vsphere_nb.tables.columns import label_column as _labels

    def fresh(text):  # an equal string that is a different object
        return "".join(list(text)) if text is not None else None

    values = [fresh(v) for v in ["warning", "error", None, "warning", "info", "error"] * 3]
    assert len({id(v) for v in values if v is not None}) > 3
    cat = _labels(values, ("error", "warning", "info", "user"))
    assert list(cat.categories) == ["error", "warning", "info", "user"]
    assert [None if pd.isna(v) else v for v in cat.astype(object)] == values
    interned = ["b", "a", "b", None, 3]
    cat = _labels(interned)
    assert list(cat.categories) == ["3", "a", "b"]
    assert cat.astype(object).tolist()[:3] == ["b", "a", "b"] and pd.isna(cat[3])
