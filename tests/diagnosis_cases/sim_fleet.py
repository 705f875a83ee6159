"""The case library loaded into simulators, one per vCenter of the library, so the client reads every
observation over HTTP the way it reads a real vCenter: agent states, connection, config issues, mounted
datastores and whether each mount is accessible, the heartbeat datastores the primary chose per host
(``RetrieveDasAdvancedRuntimeInfo``), management vmknics, the cluster's vSAN, isolation and heartbeat settings and
its own config issues, the HA history (events with their real ids and messages) and the agent's log. The attempts
of a case are a run's saved ``tasks`` (they are given to ``diagnose(run=...)`` as a run directory would be).

Case ``i`` of a vCenter is cluster ``DC0_C{i}``: its failing hosts first, then healthy peers. Cases of
``vc-b.lab.local`` sit at the same cluster positions as the ``vc-a.lab.local`` cases listed first, so both
simulators have the same host names (and moIds) with different problems.

A simulated cluster has two shared datastores: a case's host with three mounts has two here (what the diagnosis
reads of them — how many it can reach, how many it heartbeats through — is kept). The case whose agent log is
unreadable for lack of ``Global.Diagnostics`` is read with the administrator's rights (the simulator's privileges
are per user, not per host).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pandas as pd

from tests.diagnosis_cases.fleet import DEFAULT_VCENTER, ago, is_ha_id, load_cases
from tests.diagnosis_cases.fleet import NOW as LIBRARY_NOW
from vsphere_nb import Client, Diagnosis, connect, wire
from vsphere_nb.simulator import Simulator


@dataclass
class SimFleet:
    sims: dict[str, Simulator]  # library vCenter name → simulator
    expected: dict[tuple[str, str], tuple[str, str]]  # (library vCenter, moId) → (case id, cause)
    tasks: dict[str, pd.DataFrame]  # library vCenter → run tasks frame (vcenter column filled per connection)
    #: case id → (library vCenter, moId) of the hosts the case describes (its peers left out)
    case_hosts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


class OverHttp(NamedTuple):
    vcenter: str  # the vCenter name the client saw
    diagnosis: Diagnosis
    read: Any = None  # what ``read`` returned on the same connection


def diagnose_over_http(fleet: SimFleet, read: Callable[[Client], Any] | None = None) -> dict[str, OverHttp]:
    """Each library vCenter's simulator started, read over HTTP by the client and diagnosed with its attempts as a
    run's saved tasks (and ``read`` called on the same connection): library vCenter → :class:`OverHttp`."""
    out: dict[str, OverHttp] = {}
    for name, sim in fleet.sims.items():
        with sim, connect(sim.url, sim.user, sim.password) as vc:
            tasks = fleet.tasks[name].copy()
            tasks["vcenter"] = vc.vcenter
            diagnosis = vc.diagnose(run={"tasks": tasks} if len(tasks) else None)
            out[name] = OverHttp(vc.vcenter, diagnosis, read(vc) if read is not None else None)
    return out


def _when(text: str, now: datetime) -> datetime:
    return now - (LIBRARY_NOW - ago(text)).to_pytimedelta()


def _issue_type(text: str) -> str:
    low = text.lower()
    if "redundancy" in low:
        return "HostNoRedundantManagementNetworkEvent"
    if "heartbeat datastores" in low:
        return "com.vmware.vc.HA.HeartbeatDatastoreNotSufficient"
    if "thumbprint" in low:
        return "com.vmware.vc.HA.HostHasNoSslThumbprint"
    return "HostDasErrorEvent"


def _host_arguments(type_id: str, host: Any) -> dict[str, Any]:
    """The host arguments a standard event type requires besides ``host`` (``DasHostIsolatedEvent.isolatedHost``,
    ``DasHostFailedEvent.failedHost``): the event's own host."""
    cls = wire.REGISTRY.get(type_id) if not is_ha_id(type_id) else None
    fields = getattr(cls, "model_fields", {})
    return {
        name: wire.HostEventArgument(name=host.name, host=host.ref)
        for name, info in fields.items()
        if info.is_required() and info.annotation is wire.HostEventArgument
    }


def _event(vc: Any, type_id: str, host: Any, when: datetime, message: str) -> wire.Event:
    event = vc.events.make(type_id, host=host, created=when, text=message, **_host_arguments(type_id, host))
    return event.model_copy(
        update={"fullFormattedMessage": message, **({"message": message} if is_ha_id(type_id) else {})}
    )


def _fill(text: str, host: Any) -> str:
    cluster = host.compute_resource
    return text.replace("{host}", host.name).replace("{cluster}", cluster.name).replace("{dc}", cluster.datacenter.name)


def _ordered(cases: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_vc: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        by_vc.setdefault(case.get("vcenter", DEFAULT_VCENTER), []).append(case)
    twins = [c for c in cases if "same-names-two-vcenters" in (c.get("messy") or [])]
    for name, own in by_vc.items():
        first = [c for c in twins if c.get("vcenter", DEFAULT_VCENTER) == name]
        by_vc[name] = first + [c for c in own if c not in first]
    return by_vc


def build_sim_fleet(cases: list[dict[str, Any]] | None = None, **sim_kwargs: Any) -> SimFleet:
    cases = load_cases() if cases is None else cases
    sims: dict[str, Simulator] = {}
    expected: dict[tuple[str, str], tuple[str, str]] = {}
    tasks: dict[str, pd.DataFrame] = {}
    case_hosts: dict[str, list[tuple[str, str]]] = {}
    for vc_name, own in _ordered(cases).items():
        width = max(int(c.get("failing", 1)) + int(c.get("peers", 3)) for c in own)
        sim = Simulator(
            clusters=len(own), hosts_per_cluster=width, standalone_hosts=0, scenario="healthy", seed=7, **sim_kwargs
        )
        sims[vc_name] = sim
        vc = sim.vc
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = []
        clusters = vc.inventory.clusters()
        with vc.registry.lock:
            for case, cluster in zip(own, clusters):
                _load_case(vc, case, cluster, now, expected, rows, vc_name)
                failing = sorted(cluster.hosts, key=lambda h: h.name)[: int(case.get("failing", 1))]
                case_hosts[case["id"]] = [(vc_name, h.moid) for h in failing]
        tasks[vc_name] = pd.DataFrame(rows)
    return SimFleet(sims=sims, expected=expected, tasks=tasks, case_hosts=case_hosts)


def _load_case(
    vc: Any,
    case: dict[str, Any],
    cluster: Any,
    now: datetime,
    expected: dict[tuple[str, str], tuple[str, str]],
    rows: list[dict[str, Any]],
    vc_name: str,
) -> None:
    cdef = case.get("cluster") or {}
    addresses = cdef.get("isolation_addresses", "10.10.0.1")
    cluster.das.isolation_addresses = [a.strip() for a in addresses.split(",") if a.strip()]
    cluster.vsan_enabled = bool(cdef.get("vsan", False))
    if cdef.get("isolation_response"):
        cluster.das.isolation_response = cdef["isolation_response"]
    shared = list(cluster.datastores)
    preferred = [p for p in str(cdef.get("heartbeat_datastores", "ds-shared-01, ds-shared-02")).split(",") if p.strip()]
    cluster.preferred_heartbeat = shared[: len(preferred)]
    cluster.config_issues = []
    for text in cdef.get("config_issues") or []:
        issue = vc.events.make(_issue_type(text), cr=cluster, created=now - timedelta(hours=1), text=text)
        issue = issue.model_copy(update={"fullFormattedMessage": text})
        vc.events.post(issue)
        cluster.config_issues.append(issue)
    vc.registry.changed(cluster)
    spec = {
        "das_state": "initializationError",
        "connection_state": "connected",
        "mgmt_vmknics": 1,
        "datastores": 3,
        "datastores_accessible": None,
        "heartbeat_datastores": 2,
        "state_changed": "2h",
        "config_issues": [],
        **(case.get("host") or {}),
    }
    failing = int(case.get("failing", 1))
    hosts = sorted(cluster.hosts, key=lambda h: h.name)
    for j, host in enumerate(hosts):
        peer = j >= failing
        expected[(vc_name, host.moid)] = (case["id"], "none" if peer else case["expect"])
        host.config_issues = []
        if peer:
            host.das_state = "master" if j == failing else "connectedToMaster"
            issues = [_fill(t, host) for t in case.get("peers_config_issues") or []]
            events = case.get("peers_events") or []
        else:
            host.das_state = spec["das_state"]
            host.connection_state = spec["connection_state"]
            if host.connection_state != "connected":
                host.power_state = "unknown" if host.connection_state == "notResponding" else host.power_state
            host.datastores = shared[: int(spec["datastores"])]
            usable = len(host.datastores) if spec["datastores_accessible"] is None else spec["datastores_accessible"]
            for n, datastore in enumerate(host.datastores):
                datastore.set_accessible(host, n < int(usable), "AllPathsDown_Timeout")
                vc.registry.changed(datastore)
            cluster.heartbeat_overrides[host.moid] = shared[: int(spec["heartbeat_datastores"])]
            if int(spec["mgmt_vmknics"]) == 0:
                setup = host.network()
                for nic in setup.vmknics:
                    nic.services = tuple(s for s in nic.services if s != "management")
                host.network_setup = setup
            issues = [_fill(t, host) for t in spec["config_issues"]]
            events = case.get("events") or []
            changed = _when(spec["state_changed"], now)
            state_text = (
                f"The vSphere HA availability state of the host {host.name} in cluster {cluster.name} in "
                f"{cluster.datacenter.name} has changed to {spec['das_state']}"
            )
            vc.events.post(_event(vc, "com.vmware.vc.HA.HostStateChangedEvent", host, changed, state_text))
            if case.get("agent_log"):
                host.agent_log = [_fill(t, host) for t in case["agent_log"]]
            for n, att in enumerate(case.get("attempts") or [], start=1):
                rows.append(
                    {
                        "run_id": "cases",
                        "cluster": cluster.name,
                        "host": host.name,
                        "host_moid": host.moid,
                        "attempt": n,
                        "outcome": att["outcome"],
                        "task_moid": att.get("task") or f"task-{9000 + len(rows)}",
                        "fault_type": att.get("fault_type"),
                        "fault_reason": att.get("fault_reason"),
                        "fault_output": _fill(att["output"], host) if att.get("output") else None,
                        "fault_message": _fill(att["message"], host) if att.get("message") else None,
                        "das_state_after": spec["das_state"],
                        "completed_at": pd.Timestamp(_when(att["ago"], now)),
                    }
                )
        for text in issues:
            issue = _event(vc, _issue_type(text), host, now - timedelta(hours=1), text)
            vc.events.post(issue)
            host.config_issues.append(issue)
        for ev in events:
            vc.events.post(_event(vc, ev["type"], host, _when(ev["ago"], now), _fill(ev["message"], host)))
        vc.registry.changed(host)
