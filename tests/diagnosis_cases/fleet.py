"""The case library (``cases.yaml``) as the frames ``diagnose()`` reads: every case one cluster of one fleet.

:func:`load_cases` reads the library; :func:`build_fleet` gives ``hosts``, ``tasks``, ``events``, ``clusters``,
the agent logs per (vCenter, host moId) and the expected cause of every host (``none`` for healthy peers and
healthy cases). Keys are ``(vcenter, host_moid)``: the library has the same host names (and moIds) in two vCenters.

Besides the fields of ``cases.yaml``, a case may give ``members``: more hosts of its cluster, after its healthy
peers, each with its own ``host`` spec, ``attempts``, ``events``, ``agent_log`` and ``expect`` (one host failing
for its own reason, or a healthy one, next to the hosts that share the case's cause); a member carries the case's
``peers_events`` too, as every host of the cluster does (a case with members gives no ``peers_config_issues``).
A host spec may say ``in_maintenance: true``, and a cluster ``ha_enabled: false``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from vsphere_nb import Diagnosis, diagnose

HERE = Path(__file__).parent
NOW = pd.Timestamp("2026-03-01T12:00:00Z")
DEFAULT_VCENTER = "vc-a.lab.local"
DATACENTER = "DC-Lab"
_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
#: what makes a case hard (a case's ``messy`` list names some of these)
MESSY_KINDS = frozenset(
    {
        "stale-history",
        "cluster-wide-warning",
        "latest-fault-contradicts",
        "no-history",
        "two-plausible",
        "nothing-specific",
        "same-names-two-vcenters",
    }
)

_HOST_DEFAULTS: dict[str, Any] = {
    "das_state": "initializationError",
    "connection_state": "connected",
    "mgmt_vmknics": 1,
    "datastores": 3,
    "datastores_accessible": None,
    "heartbeat_datastores": 2,
    "state_changed": "2h",
    "config_issues": [],
    "in_maintenance": False,
}


_TASK_COLUMNS = [
    "run_id", "vcenter", "cluster", "host", "host_moid", "attempt", "outcome", "task_moid", "fault_type",
    "fault_reason", "fault_output", "fault_message", "das_state_after", "completed_at",
]  # fmt: skip
_EVENT_COLUMNS = [
    "vcenter", "cluster", "host", "host_moid", "event_key", "event_type", "event_type_id", "created_time",
    "message", "source",
]  # fmt: skip


def ago(text: str) -> pd.Timestamp:
    match = _AGO.match(str(text).strip())
    if match is None:
        raise ValueError(f"bad 'ago' {text!r}")
    return NOW - pd.Timedelta(**{_UNIT[match.group(2)]: float(match.group(1))})


def load_cases(path: Path = HERE / "cases.yaml") -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = list(data["cases"])
    for case in cases:
        if case.get("members") and case.get("peers_config_issues"):
            raise ValueError(f"case {case['id']}: a case with members gives no peers_config_issues")
    return cases


def members_of(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's ``members`` as cases of one failing host each (same id and cluster), in file order."""
    return [
        {
            "id": case["id"],
            "expect": m["expect"],
            "cluster": case.get("cluster"),
            "host": m.get("host") or {},
            "attempts": m.get("attempts") or [],
            "events": m.get("events") or [],
            "agent_log": m.get("agent_log"),
            "agent_log_note": m.get("agent_log_note"),
            "failing": 1,
            "peers": 0,
        }
        for m in case.get("members") or []
    ]


def is_ha_id(type_id: str) -> bool:
    return "." in type_id  # EventEx / ExtendedEvent ids carry dots; standard events are bare type names


@dataclass
class Fleet:
    hosts: pd.DataFrame
    tasks: pd.DataFrame
    events: pd.DataFrame
    clusters: pd.DataFrame
    logs: dict[tuple[str, str], list[str] | str]
    expected: dict[tuple[str, str], str]
    case_of: dict[tuple[str, str], str]
    cases: list[dict[str, Any]] = field(default_factory=list)

    def diagnose(self) -> Diagnosis:
        """The pure diagnosis of the whole fleet at the library's reference time."""
        return diagnose(
            self.hosts, run={"tasks": self.tasks}, events=self.events, clusters=self.clusters, now=NOW, logs=self.logs
        )


def _fill(text: str, host: str, cluster: str) -> str:
    return text.replace("{host}", host).replace("{cluster}", cluster).replace("{dc}", DATACENTER)


def build_fleet(cases: list[dict[str, Any]] | None = None) -> Fleet:
    cases = load_cases() if cases is None else cases
    hosts: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    clusters: list[dict[str, Any]] = []
    logs: dict[tuple[str, str], list[str] | str] = {}
    expected: dict[tuple[str, str], str] = {}
    case_of: dict[tuple[str, str], str] = {}
    next_moid: dict[str, int] = {}
    task_no = [5000]
    event_key = [100000]

    def moid(vcenter: str) -> str:
        next_moid[vcenter] = next_moid.get(vcenter, 1000) + 1
        return f"host-{next_moid[vcenter]}"

    for index, case in enumerate(cases):
        vcenter = case.get("vcenter", DEFAULT_VCENTER)
        cdef = case.get("cluster") or {}
        cname = cdef.get("name", f"C{index:02d}-{case['id']}"[:40])
        cmoid = f"domain-c{index + 10}"
        spec = {**_HOST_DEFAULTS, **(case.get("host") or {})}
        failing = int(case.get("failing", 1))
        n_peers = int(case.get("peers", 3))
        ha_enabled = bool(cdef.get("ha_enabled", True))
        members: list[tuple[dict[str, Any], str, dict[str, Any]]] = []
        for i in range(failing):
            one = dict(spec)
            if i:
                one.pop("name", None)
                one.pop("moid", None)
            members.append((one, case["expect"], case))
        peer_issues = case.get("peers_config_issues") or []
        for i in range(n_peers):
            members.append(
                (
                    {
                        **_HOST_DEFAULTS,
                        "das_state": ("master" if i == 0 else "connectedToMaster") if ha_enabled else None,
                        "state_changed": "3d",
                        "config_issues": peer_issues,
                        "peer": True,
                    },
                    "none",
                    case,
                )
            )
        for member in members_of(case):
            members.append(({**_HOST_DEFAULTS, **member["host"]}, member["expect"], member))
        for j, (h, expect, own) in enumerate(members):
            name = h.get("name") or f"esx-{index:02d}-{j:02d}.lab.local"
            mo = h.get("moid") or moid(vcenter)
            key = (vcenter, mo)
            expected[key] = expect
            case_of[key] = case["id"]
            n_ds = int(h["datastores"])
            ds_names = ", ".join(["ds-local-01", "ds-shared-01", "ds-shared-02", "ds-shared-03"][:n_ds])
            hosts.append(
                {
                    "vcenter": vcenter,
                    "datacenter": DATACENTER,
                    "cluster": cname,
                    "cluster_moid": cmoid,
                    "host": name,
                    "host_moid": mo,
                    "connection_state": h["connection_state"],
                    "power_state": "poweredOn",
                    "in_maintenance": bool(h["in_maintenance"]),
                    "ha_enabled": ha_enabled,
                    "das_state": h["das_state"],
                    "config_issues": "; ".join(_fill(t, name, cname) for t in h["config_issues"]) or None,
                    "datastores": ds_names or None,
                    "mgmt_vmknics": h["mgmt_vmknics"],
                    "datastores_accessible": n_ds if h["datastores_accessible"] is None else h["datastores_accessible"],
                    "heartbeat_datastores": h["heartbeat_datastores"],
                    "state_changed_at": ago(h["state_changed"]),
                }
            )
            if h.get("peer"):
                own_events = case.get("peers_events") or []
            elif own is case:
                own_events = case.get("events") or []
            else:  # a member: the cluster's events every host carries, then its own
                own_events = (case.get("peers_events") or []) + (own.get("events") or [])
            for ev in own_events:
                event_key[0] += 1
                type_id = ev["type"]
                events.append(
                    {
                        "vcenter": vcenter,
                        "cluster": cname,
                        "host": name,
                        "host_moid": mo,
                        "event_key": event_key[0],
                        "event_type": "EventEx" if is_ha_id(type_id) else type_id,
                        "event_type_id": type_id,
                        "created_time": ago(ev["ago"]),
                        "message": _fill(ev["message"], name, cname),
                        "source": "history",
                    }
                )
            if h.get("peer"):
                continue
            for n, att in enumerate(own.get("attempts") or [], start=1):
                task_no[0] += 1
                outcome = att["outcome"]
                tasks.append(
                    {
                        "run_id": "cases",
                        "vcenter": vcenter,
                        "cluster": cname,
                        "host": name,
                        "host_moid": mo,
                        "attempt": n,
                        "outcome": outcome,
                        "task_moid": att.get("task") if j == 0 and att.get("task") else f"task-{task_no[0]}",
                        "fault_type": att.get("fault_type"),
                        "fault_reason": att.get("fault_reason"),
                        "fault_output": _fill(att["output"], name, cname) if att.get("output") else None,
                        "fault_message": _fill(att["message"], name, cname) if att.get("message") else None,
                        "das_state_after": h["das_state"],
                        "completed_at": ago(att["ago"]),
                    }
                )
            if own.get("agent_log"):
                logs[key] = [_fill(t, name, cname) for t in own["agent_log"]]
            elif own.get("agent_log_note"):
                logs[key] = str(own["agent_log_note"])
        clusters.append(
            {
                "vcenter": vcenter,
                "datacenter": DATACENTER,
                "cluster": cname,
                "cluster_moid": cmoid,
                "ha_enabled": ha_enabled,
                "isolation_addresses": cdef.get("isolation_addresses", "10.10.0.1"),
                "heartbeat_datastores": cdef.get("heartbeat_datastores", "ds-shared-01, ds-shared-02"),
                "heartbeat_datastore_count": len(
                    [p for p in cdef.get("heartbeat_datastores", "ds-shared-01, ds-shared-02").split(",") if p.strip()]
                ),
                "config_issues": "; ".join(cdef.get("config_issues") or []) or None,
                "vsan_enabled": bool(cdef.get("vsan", False)),
                "isolation_response": cdef.get("isolation_response"),
                "hosts": len(members),
            }
        )
    task_frame = pd.DataFrame(tasks, columns=_TASK_COLUMNS)
    task_frame["completed_at"] = pd.to_datetime(task_frame["completed_at"], utc=True)
    event_frame = pd.DataFrame(events, columns=_EVENT_COLUMNS)
    event_frame["created_time"] = pd.to_datetime(event_frame["created_time"], utc=True)
    return Fleet(
        hosts=pd.DataFrame(hosts),
        tasks=task_frame,
        events=event_frame,
        clusters=pd.DataFrame(clusters),
        logs=logs,
        expected=expected,
        case_of=case_of,
        cases=cases,
    )
