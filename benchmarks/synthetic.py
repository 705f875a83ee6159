"""Synthetic runs for benchmarks and tests: realistic task records, faults and HA events without a server.

``synthetic_records(100_000, 1_000_000)`` gives the size the frames are sized for. The mix follows what public
troubleshooting material reports (management network first, then isolation address, heartbeat datastores,
agent install problems); deterministic for a given ``seed``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pandas as pd

from vsphere_nb.batch.records import TaskRecord
from vsphere_nb.wire import format_datetime

__all__ = ["synthetic_records", "synthetic_hosts"]

_OUTCOME_WEIGHTS = (
    ("success", 70),
    ("fault", 14),
    ("agent_unhealthy", 5),
    ("timed_out", 3),
    ("launch_failed", 3),
    ("cancelled", 1),
    ("skipped", 3),
    ("not_launched", 1),
)
_REASONS = (
    ("HostNetworkMisconfiguration", "communicationInitFailed", 30),
    ("DasNetworkMisconfiguration", "communicationInitFailed", 15),
    ("NoDatastoresConfigured", "configFailed", 12),
    ("HostMisconfiguration", "agentFailed", 15),
    ("Other", "other", 10),
    ("SetDesiredImageSpecFailed", "configFailed", 6),
    ("ApplyHAVibsOnClusterFailed", "configFailed", 4),
    ("VSanNotSupportedOnHost", "configFailed", 3),
    ("NoPrimaryAgentAvailable", "timeout", 5),
)
_EVENT_KINDS = (
    ("HostDasEnablingEvent", None, "Enabling vSphere HA agent on host {h}", 20),
    ("HostDasEnabledEvent", None, "vSphere HA agent on host {h} is enabled", 15),
    ("EventEx", "com.vmware.vc.HA.HostStateChangedEvent", "The vSphere HA availability state of host {h} changed", 20),
    ("EventEx", "com.vmware.vc.HA.ConnectedToMaster", "vSphere HA agent on host {h} connected to the master", 10),
    ("EventEx", "com.vmware.vc.HA.HostAgentErrorEvent", "vSphere HA agent on host {h} has an error", 8),
    ("HostDasErrorEvent", None, "vSphere HA agent for host {h} has an error: configuration failed", 7),
    ("TaskEvent", None, "Task: Reconfigure vSphere HA host {h}", 10),
    ("HostIsolationIpPingFailedEvent", None, "vSphere HA agent on host {h} could not reach isolation address", 5),
    ("HostNoRedundantManagementNetworkEvent", None, "Host {h} currently has no management network redundancy", 5),
)


_STATE_OF = {"success": "success", "agent_unhealthy": "success", "timed_out": "running"}
_DAS_AFTER = {"success": "connectedToMaster", "agent_unhealthy": "initializationError"}


def _pick(rng: random.Random, table: tuple, weight_index: int = -1) -> tuple:
    total = sum(row[weight_index] for row in table)
    x = rng.uniform(0, total)
    for row in table:
        x -= row[weight_index]
        if x <= 0:
            return row
    return table[-1]


def synthetic_hosts(
    n_hosts: int = 32,
    n_clusters: int = 4,
    *,
    seed: int = 0,
    vcenter: str = "vc1.example.test",
    unhealthy: float = 0.3,
    ineligible: float = 0.1,
) -> pd.DataFrame:
    """A hosts frame (inventory columns, pre-flight not applied)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n_hosts):
        c = i % max(n_clusters, 1)
        bad = rng.random() < ineligible
        rows.append(
            {
                "vcenter": vcenter,
                "datacenter": "DC0",
                "cluster": f"DC0_C{c}",
                "cluster_moid": f"domain-c{100 + c}",
                "host": f"DC0_C{c}_H{i // max(n_clusters, 1)}.example.test",
                "host_moid": f"host-{1000 + i}",
                "connection_state": "disconnected" if bad and rng.random() < 0.5 else "connected",
                "power_state": "poweredOn",
                "in_maintenance": bad and rng.random() < 0.5,
                "ha_enabled": True,
                "das_state": (
                    "initializationError" if rng.random() < unhealthy else rng.choice(["master", "connectedToMaster"])
                ),
                "das_state_reporter": None,
                "version": "8.0.3",
                "build": "24022510",
                "datastores": "ds1, ds2",
                "config_issues": "",
                "overall_status": "green",
                "disabled_methods": "",
            }
        )
    return pd.DataFrame(rows)


def synthetic_records(
    n_tasks: int = 1000,
    n_events: int = 10_000,
    *,
    seed: int = 0,
    run_id: str = "run-synthetic",
    hosts_per_cluster: int = 16,
    start: datetime | None = None,
) -> list[TaskRecord]:
    """``n_tasks`` task records with ``n_events`` event dicts spread over them (wire-shaped, as journaled)."""
    rng = random.Random(seed)
    t0 = start or datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    records: list[TaskRecord] = []
    # events per record: roughly even with some spread, summing exactly to n_events
    base, extra = divmod(n_events, max(n_tasks, 1))
    event_key = 10_000
    for i in range(n_tasks):
        c = i // hosts_per_cluster
        outcome = _pick(rng, _OUTCOME_WEIGHTS)[0]
        host = f"esx{i:06d}.example.test"
        rec = TaskRecord(
            run_id=run_id,
            vcenter="vc1.example.test",
            host=host,
            host_moid=f"host-{1000 + i}",
            attempt=1,
            cluster=f"cluster-{c:04d}",
            cluster_moid=f"domain-c{100 + c}",
            canary=i < 2,
            outcome=outcome,
            das_state_before="initializationError" if rng.random() < 0.4 else "connectedToMaster",
        )
        records.append(rec)
        if outcome in ("skipped", "not_launched"):
            rec.stage = outcome
            rec.attempt = 0 if outcome == "skipped" else 1
            rec.skip_reason = "in maintenance mode" if outcome == "skipped" else "failure budget exceeded"
        elif outcome == "launch_failed":
            rec.stage = "finished"
            rec.set_fault(
                {
                    "_typeName": "NoPermission",
                    "faultMessage": [],
                    "privilegeId": "Host.Config.Connection",
                    "object": {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": rec.host_moid},
                }
            )
        else:
            rec.stage = "post_checked"
            queued = t0 + timedelta(seconds=i * 0.5)
            started = queued + timedelta(seconds=rng.uniform(0.1, 3))
            ended = started + timedelta(seconds=rng.uniform(20, 240))
            rec.task_moid = f"task-{50_000 + i}"
            rec.queued_at, rec.started_at = format_datetime(queued), format_datetime(started)
            rec.event_chain_id = 900_000 + i
            if outcome != "timed_out":
                rec.completed_at = format_datetime(ended)
            rec.state = _STATE_OF.get(outcome, "error")
            rec.das_state_after = _DAS_AFTER.get(outcome)
            if outcome == "fault":
                reason, _, _ = _pick(rng, _REASONS)
                rec.set_fault(
                    {
                        "_typeName": "DasConfigFault",
                        "reason": reason,
                        "output": f"Configuring vSphere HA on {host}\nerror: {reason}\n",
                        "faultMessage": [
                            {
                                "_typeName": "LocalizableMessage",
                                "key": "com.vmware.vim.das.configFailed",
                                "arg": [
                                    {
                                        "_typeName": "KeyAnyValue",
                                        "key": "host",
                                        "value": {"_typeName": "string", "_value": host},
                                    }
                                ],
                                "message": f"Cannot complete the vSphere HA configuration on {host}",
                            }
                        ],
                        "faultCause": {"_typeName": "SystemError", "reason": "fdm installer exited with status 1"},
                        "event": [
                            {
                                "_typeName": "HostDasErrorEvent",
                                "key": event_key,
                                "chainId": event_key,
                                "createdTime": format_datetime(ended),
                                "userName": "",
                                "fullFormattedMessage": f"vSphere HA agent for host {host} has an error",
                                "reason": "configFailed",
                            }
                        ],
                    }
                )
                event_key += 1
            elif outcome == "cancelled":
                rec.set_fault(
                    {
                        "_typeName": "LocalizedMethodFault",
                        "fault": {"_typeName": "RequestCanceled"},
                        "localizedMessage": "The task was canceled by a user.",
                    }
                )
        count = base + (1 if i < extra else 0)
        if count:
            events = []
            host_arg = {
                "_typeName": "HostEventArgument",
                "name": host,
                "host": {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": rec.host_moid},
            }
            when = t0 + timedelta(seconds=i * 0.5)
            for j in range(count):
                type_name, type_id, text, _ = _pick(rng, _EVENT_KINDS)
                event = {
                    "_typeName": type_name,
                    "key": event_key,
                    "chainId": rec.event_chain_id or event_key,
                    "createdTime": format_datetime(when + timedelta(seconds=j * 7.5)),
                    "userName": "vpxuser",
                    "host": host_arg,
                    "fullFormattedMessage": text.format(h=host),
                }
                if type_id:
                    event["eventTypeId"] = type_id
                    event["severity"] = "error" if "Error" in type_id else "info"
                events.append(event)
                event_key += 1
            half = len(events) // 2
            if half and rec.task_moid:
                rec.add_events("task_chain", events[:half])
                # the host's event window overlaps the task chain: the last chain event is seen twice
                rec.add_events("host_events", events[half - 1 :])
            else:
                rec.add_events("host_events", events)
    return records
