"""Readers of HA values in every shape a server may send (modelled types, generic objects, plain wire dicts),
event rows of ReadNextEvents pages, and event categories."""

from __future__ import annotations

import pandas as pd

from vsphere_nb import wire
from vsphere_nb.batch.frames import build_frames
from vsphere_nb.batch.records import TaskRecord
from vsphere_nb.tables.categories import EVENT_CATEGORIES, event_category
from vsphere_nb.tables.events import event_rows
from vsphere_nb.wire.ha_readers import (
    das_settings,
    heartbeat_datastores_by_host,
    management_vmknics,
    mount_accessibility,
)

MOREF = "ManagedObjectReference"


def ref(type_name: str, value: str) -> dict:
    return {"_typeName": MOREF, "type": type_name, "value": value}


NET_CONFIG = {
    "_typeName": "ArrayOfVirtualNicManagerNetConfig",
    "_value": [
        {
            "_typeName": "VirtualNicManagerNetConfig",
            "nicType": "vmotion",
            "multiSelectAllowed": True,
            "candidateVnic": [{"_typeName": "HostVirtualNic", "device": "vmk1", "key": "key-vim.host.VirtualNic-vmk1"}],
            "selectedVnic": ["vmotion.key-vim.host.VirtualNic-vmk1"],
        },
        {
            "_typeName": "VirtualNicManagerNetConfig",
            "nicType": "management",
            "multiSelectAllowed": True,
            "candidateVnic": [
                {"_typeName": "HostVirtualNic", "device": "vmk0", "key": "key-vim.host.VirtualNic-vmk0"},
                {"_typeName": "HostVirtualNic", "device": "vmk2", "key": "key-vim.host.VirtualNic-vmk2"},
            ],
            "selectedVnic": ["management.key-vim.host.VirtualNic-vmk0"],
        },
    ],
}


def test_management_vmknics_from_wire_dicts_and_decoded_objects():
    assert management_vmknics(NET_CONFIG) == ["vmk0"]
    decoded = wire.decode_any(NET_CONFIG)
    assert management_vmknics(decoded) == ["vmk0"]
    assert management_vmknics(None) is None
    assert management_vmknics([{"_typeName": "VirtualNicManagerNetConfig", "nicType": "vmotion"}]) == []


def test_mount_accessibility():
    mounts = [
        {
            "_typeName": "DatastoreHostMount",
            "key": ref("HostSystem", "host-1"),
            "mountInfo": {"_typeName": "HostMountInfo", "accessible": True},
        },
        {
            "_typeName": "DatastoreHostMount",
            "key": ref("HostSystem", "host-2"),
            "mountInfo": {"_typeName": "HostMountInfo", "accessible": False},
        },
        "odd",
    ]
    assert mount_accessibility(mounts) == {"host-1": True, "host-2": False}
    assert mount_accessibility(wire.decode_any({"_typeName": "ArrayOfDatastoreHostMount", "_value": mounts[:2]})) == {
        "host-1": True,
        "host-2": False,
    }


def test_das_settings_read_options_policy_and_vm_settings():
    das = wire.decode_any(
        {
            "_typeName": "ClusterDasConfigInfo",
            "enabled": True,
            "hostMonitoring": "enabled",
            "admissionControlEnabled": True,
            "admissionControlPolicy": {"_typeName": "ClusterFailoverResourcesAdmissionControlPolicy"},
            "defaultVmSettings": {"_typeName": "ClusterDasVmSettings", "isolationResponse": "powerOff"},
            "option": [
                {
                    "_typeName": "OptionValue",
                    "key": "das.isolationaddress1",
                    "value": {"_typeName": "string", "_value": "10.0.0.2"},
                },
                {
                    "_typeName": "OptionValue",
                    "key": "das.isolationaddress0",
                    "value": {"_typeName": "string", "_value": "10.0.0.1"},
                },
            ],
            "heartbeatDatastore": [ref("Datastore", "datastore-1")],
            "hBDatastoreCandidatePolicy": "userSelectedDs",
        }
    )
    got = das_settings(das)
    assert got["ha_enabled"] is True and got["isolation_response"] == "powerOff"
    assert got["isolation_addresses"] == ["10.0.0.1", "10.0.0.2"]
    assert got["heartbeat_datastore_ids"] == ["datastore-1"] and got["heartbeat_policy"] == "userSelectedDs"
    assert got["admission_control"].startswith("enabled") and "FailoverResources" in got["admission_control"]
    assert das_settings(None)["ha_enabled"] is False


def test_heartbeat_datastores_per_host_from_advanced_runtime_info():
    info = {
        "_typeName": "ClusterDasAdvancedRuntimeInfo",
        "heartbeatDatastoreInfo": [
            {
                "_typeName": "DasHeartbeatDatastoreInfo",
                "datastore": ref("Datastore", "ds-1"),
                "hosts": [ref("HostSystem", "host-1"), ref("HostSystem", "host-2")],
            },
            {
                "_typeName": "DasHeartbeatDatastoreInfo",
                "datastore": ref("Datastore", "ds-2"),
                "hosts": [ref("HostSystem", "host-1")],
            },
        ],
    }
    assert heartbeat_datastores_by_host(info) == {"host-1": ["ds-1", "ds-2"], "host-2": ["ds-1"]}
    assert heartbeat_datastores_by_host(wire.decode_any(info)) == {"host-1": ["ds-1", "ds-2"], "host-2": ["ds-1"]}


def test_event_rows_keep_odd_values_as_empty_cells():
    rows = event_rows(
        [
            {
                "_typeName": "HostIsolationIpPingFailedEvent",
                "key": 7,
                "chainId": 7,
                "createdTime": "2026-12-01T00:00:00Z",
                "host": {"_typeName": "HostEventArgument", "name": "esx1", "host": ref("HostSystem", "host-1")},
                "computeResource": {
                    "_typeName": "ComputeResourceEventArgument",
                    "name": "C1",
                    "computeResource": ref("ClusterComputeResource", "domain-c1"),
                },
                "fullFormattedMessage": "could not reach isolation address 10.0.0.1",
            },
            {
                "_typeName": "EventEx",
                "eventTypeId": "com.vmware.vc.HA.HostAgentErrorEvent",
                "key": "x",
                "severity": "error",
                "host": "not an argument",
            },
            42,
        ]
    )
    assert rows["event_key"] == [7, None] and rows["host"] == ["esx1", None]
    assert rows["cluster_moid"] == ["domain-c1", None] and rows["severity"] == ["warning", "error"]
    assert rows["category"] == ["isolation", "agent-error"]


def test_event_categories():
    assert event_category("HostDasErrorEvent") == "agent-error"
    assert event_category("com.vmware.vc.HA.HostStateChangedEvent") == "state-change"
    assert event_category("com.vmware.vc.HA.SomethingIsolatedNew") == "isolation"
    assert event_category("com.vmware.vc.HA.NewPartitionThing") == "partition"
    assert event_category("TaskEvent") == "task"
    assert event_category(None) == "other" and event_category("VmPoweredOnEvent") == "other"
    assert set(EVENT_CATEGORIES) >= {"agent-error", "state-change", "isolation", "partition", "host-failure"}


def test_run_events_frame_has_the_category_column():
    types = ["HostDasErrorEvent", "TaskEvent", "HostIsolationIpPingFailedEvent", "HostDasEnabledEvent"]
    records = []
    for i in range(4):
        rec = TaskRecord(run_id="r", vcenter="vc", host=f"h{i}", host_moid=f"host-{i}", task_moid=f"task-{i}")
        rec.add_events(
            "task_chain",
            [
                {"_typeName": t, "key": 10 * i + j, "chainId": i, "createdTime": "2026-12-01T00:00:00Z"}
                for j, t in enumerate(types)
            ]
            + [{"_typeName": "EventEx", "eventTypeId": "com.vmware.vc.HA.HostStateChangedEvent", "key": 10 * i + 9}],
        )
        records.append(rec)
    events = build_frames(records).events
    assert isinstance(events["category"].dtype, pd.CategoricalDtype)
    assert list(events["category"].cat.categories[: len(EVENT_CATEGORIES)]) == list(EVENT_CATEGORIES)
    expected = [event_category(t) for t in events["event_type_id"].astype(str)]
    assert list(events["category"].astype(str)) == expected
    assert set(expected) == {"agent-error", "task", "isolation", "config", "state-change"}
