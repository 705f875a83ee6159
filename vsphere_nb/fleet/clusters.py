"""Cluster HA context and the per-host facts diagnosis needs, in one PropertyCollector pass.

:func:`collect_fleet` widens the inventory pass (:mod:`vsphere_nb.fleet.inventory`) with the cluster's ``configIssue``
and ``host``, the host's management vmknics (``config.virtualNicManagerInfo.netConfig``) and each datastore's
mounts (``host``: accessible per host). From that one pass come

* :func:`clusters_frame` — one row per cluster (:data:`CLUSTER_COLUMNS`);
* :func:`diagnosis_hosts_frame` — the ``hosts`` frame plus :data:`HOST_DIAGNOSIS_COLUMNS`.

Where the server supports it, ``ClusterComputeResource.RetrieveDasAdvancedRuntimeInfo`` (one call per HA cluster
with an unhealthy host, eight at a time; skipped after the first "not supported" answer) gives the primary's
heartbeat datastores per host.

Paths a server does not know come back in ``missingSet`` and leave their cells empty; they never fail the pass.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..client.aio import vcenter_name
from ..client.property import container_filter_spec, create_container_view, destroy_quietly, retrieve
from ..errors import ServerFault, VsphereError
from ..vocabulary import HEALTHY_DAS_STATES
from ..wire import MoRef
from ..wire.ha_readers import das_settings, heartbeat_datastores_by_host, management_vmknics, mount_accessibility
from .inventory import CLUSTER_PATHS, HOST_PATHS, Inventory, _datacenter_of, _issue_text, hosts_frame

__all__ = [
    "CLUSTER_COLUMNS",
    "HOST_DIAGNOSIS_COLUMNS",
    "collect_fleet",
    "clusters_frame",
    "diagnosis_hosts_frame",
    "add_state_change_times",
]

CLUSTER_COLUMNS = [
    "vcenter",
    "datacenter",
    "cluster",
    "cluster_moid",
    "ha_enabled",
    "host_monitoring",
    "admission_control",
    "failover_level",
    "isolation_response",
    "vm_monitoring",
    "heartbeat_policy",
    "heartbeat_datastores",
    "heartbeat_datastore_count",
    "isolation_addresses",
    "config_issues",
    "primary_host",
    "hosts",
    "hosts_healthy",
    "hosts_unhealthy",
    "vsan_enabled",
]
HOST_DIAGNOSIS_COLUMNS = [
    "mgmt_vmknics",
    "mgmt_vmknic_names",
    "mgmt_redundant",
    "datastores_accessible",
    "heartbeat_datastores",
    "version_vs_vcenter",
    "state_changed_at",
]
#: what the diagnosis pass reads on top of the inventory pass
DIAG_HOST_PATHS = [*HOST_PATHS, "config.virtualNicManagerInfo.netConfig"]
_TYPE_PATHS: dict[str, list[str]] = {
    "HostSystem": DIAG_HOST_PATHS,
    "ClusterComputeResource": [*CLUSTER_PATHS, "configIssue", "host"],
    "ComputeResource": ["name", "parent"],
    "Folder": ["name", "parent"],
    "Datacenter": ["name", "parent"],
    "Datastore": ["name", "host"],
}


@dataclass
class FleetInventory(Inventory):
    """An inventory pass with the diagnosis paths, plus ``RetrieveDasAdvancedRuntimeInfo`` answers by cluster moId."""

    das_runtime: dict[str, Any] = field(default_factory=dict)


_UNSUPPORTED = ("MethodNotFound", "NotSupported", "NotImplemented", "InvalidRequest")


async def collect_fleet(
    client: Any, *, page_size: int = 2000, vcenter: str | None = None, advanced: bool = True
) -> FleetInventory:
    """Hosts, clusters, datastores and containers in one paged pass; ``das_runtime`` holds
    ``RetrieveDasAdvancedRuntimeInfo`` answers per cluster when ``advanced`` and the server supports it."""
    before = client.stats.requests if hasattr(client, "stats") else 0
    view = await create_container_view(client, client.content.rootFolder, list(_TYPE_PATHS), recursive=True)
    try:
        objects = await retrieve(client, [container_filter_spec(view, _TYPE_PATHS)], page_size=page_size)
    finally:
        await destroy_quietly(client, view, "DestroyView")
    inv = FleetInventory(vcenter=vcenter or vcenter_name(client))
    for oc in objects:
        inv.objects[oc.obj] = oc.props()
    runtime: dict[str, Any] = {}
    if advanced:
        runtime = await _advanced_runtime(client, inv)
    inv.das_runtime = runtime
    if hasattr(client, "stats"):
        inv.requests = client.stats.requests - before
    return inv


async def _advanced_runtime(client: Any, inv: Inventory, concurrency: int = 8) -> dict[str, Any]:
    """``RetrieveDasAdvancedRuntimeInfo`` of the HA clusters that have an unhealthy host (the only ones a diagnosis
    looks at), a few at a time; the first "not supported" answer stops the asking."""
    unhealthy: set[str] = set()
    for _ref, props in inv.of_type("HostSystem"):
        state = getattr(props.get("runtime.dasHostState"), "state", None)
        parent = props.get("parent")
        if state is not None and str(state) not in HEALTHY_DAS_STATES and isinstance(parent, MoRef):
            unhealthy.add(parent.value)
    wanted = [
        ref
        for ref, props in inv.of_type("ClusterComputeResource")
        if ref.value in unhealthy
        and das_settings(getattr(props.get("configurationEx"), "dasConfig", None))["ha_enabled"]
    ]
    out: dict[str, Any] = {}
    gate = asyncio.Semaphore(concurrency)
    unsupported = asyncio.Event()

    async def one(ref: MoRef) -> None:
        async with gate:
            if unsupported.is_set():
                return
            try:
                out[ref.value] = await client.invoke(ref, "RetrieveDasAdvancedRuntimeInfo")
            except ServerFault as exc:
                if any(exc.is_a(name) for name in _UNSUPPORTED):
                    unsupported.set()  # this server does not offer it: don't ask every cluster
            except VsphereError:
                unsupported.set()

    if wanted:  # probe one first, so a server without the method costs one request
        await one(wanted[0])
        await asyncio.gather(*(one(ref) for ref in wanted[1:]))
    return out


def _names(inv: Inventory) -> dict[MoRef, Any]:
    return {ref: props.get("name") for ref, props in inv.objects.items()}


def _runtime(inv: Inventory) -> dict[str, Any]:
    return getattr(inv, "das_runtime", None) or {}


def clusters_frame(inv: Inventory) -> pd.DataFrame:
    """One row per cluster (:data:`CLUSTER_COLUMNS`): HA settings, heartbeat datastores, isolation addresses,
    config issues, the primary host and host health counts."""
    names = _names(inv)
    by_ds = {ref.value: name for ref, name in names.items() if ref.type == "Datastore"}
    hosts_of: dict[str, list[dict[str, Any]]] = {}
    for _ref, props in inv.of_type("HostSystem"):
        parent = props.get("parent")
        if isinstance(parent, MoRef):
            hosts_of.setdefault(parent.value, []).append({"name": props.get("name"), **props})
    rows = []
    for ref, props in sorted(inv.of_type("ClusterComputeResource"), key=lambda i: str(i[1].get("name"))):
        das = das_settings(getattr(props.get("configurationEx"), "dasConfig", None))
        members = hosts_of.get(ref.value, [])
        states = [str(getattr(h.get("runtime.dasHostState"), "state", None) or "") for h in members]
        primary = next((h["name"] for h, s in zip(members, states) if s == "master"), None)
        healthy = sum(1 for s in states if s in HEALTHY_DAS_STATES)
        hb = das["heartbeat_datastore_ids"]
        rows.append(
            {
                "vcenter": inv.vcenter,
                "datacenter": _datacenter_of(props.get("parent"), inv),
                "cluster": props.get("name"),
                "cluster_moid": ref.value,
                "ha_enabled": das["ha_enabled"],
                "host_monitoring": das["host_monitoring"],
                "admission_control": das["admission_control"],
                "failover_level": das["failover_level"],
                "isolation_response": das["isolation_response"],
                "vm_monitoring": das["vm_monitoring"],
                "heartbeat_policy": das["heartbeat_policy"],
                "heartbeat_datastores": ", ".join(str(by_ds.get(d, d)) for d in hb),
                "heartbeat_datastore_count": len(hb),
                "isolation_addresses": ", ".join(das["isolation_addresses"]),
                "config_issues": "; ".join(_issue_text(i) for i in props.get("configIssue") or []),
                "primary_host": primary,
                "hosts": len(members),
                "hosts_healthy": healthy,
                "hosts_unhealthy": len(members) - healthy if das["ha_enabled"] else 0,
                "vsan_enabled": _vsan_enabled(props.get("configurationEx")),
            }
        )
    frame = pd.DataFrame(rows, columns=CLUSTER_COLUMNS)
    for col in ("vcenter", "datacenter", "cluster", "cluster_moid", "host_monitoring", "vm_monitoring"):
        frame[col] = frame[col].astype("category")
    for col in ("admission_control", "isolation_response", "heartbeat_policy", "primary_host"):
        frame[col] = frame[col].astype("category")
    for col in ("heartbeat_datastores", "isolation_addresses", "config_issues"):
        frame[col] = frame[col].astype("string")
    frame["ha_enabled"] = frame["ha_enabled"].astype("boolean")
    frame["vsan_enabled"] = frame["vsan_enabled"].astype("boolean")
    for col in ("failover_level", "heartbeat_datastore_count", "hosts", "hosts_healthy", "hosts_unhealthy"):
        frame[col] = frame[col].astype("Int64")
    return frame


def _vsan_enabled(config: Any) -> bool | None:
    """``configurationEx.vsanConfigInfo.enabled`` (``None`` when the server does not say)."""
    vsan = getattr(config, "vsanConfigInfo", None)
    if vsan is None:
        return None
    value = vsan.get("enabled") if isinstance(vsan, dict) else getattr(vsan, "enabled", None)
    return bool(value) if value is not None else None


def _version_key(text: Any) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in str(text).split(".")[:3])
    except ValueError:
        return None


def _heartbeat_counts(inv: Inventory) -> dict[str, int]:
    """host moId → its heartbeat datastores, for the hosts of the clusters that answered
    ``RetrieveDasAdvancedRuntimeInfo``. ``heartbeatDatastoreInfo`` maps each datastore to the hosts using it, so a
    host of the HA cluster in no entry has none (0); hosts outside the HA cluster (no agent state) stay unknown."""
    runtime = {moid: info for moid, info in _runtime(inv).items() if info is not None}
    counts: dict[str, int] = {}
    if not runtime:
        return counts
    for ref, props in inv.of_type("HostSystem"):
        parent = props.get("parent")
        state = getattr(props.get("runtime.dasHostState"), "state", None)
        if isinstance(parent, MoRef) and parent.value in runtime and state is not None:
            counts[ref.value] = 0
    for info in runtime.values():
        for host, ds in heartbeat_datastores_by_host(info).items():
            counts[host] = len(ds)
    return counts


def diagnosis_hosts_frame(inv: Inventory, vcenter_version: str | None = None) -> pd.DataFrame:
    """The ``hosts`` frame of ``inv`` plus :data:`HOST_DIAGNOSIS_COLUMNS` (empty cells where the server did not say).

    ``version_vs_vcenter`` compares the host's ESXi version with vCenter's (``same``/``older``/``newer``): vCenter
    pushes the HA agent (FDM) of its own build, and no property reports the installed agent's version, so this
    is the readable proxy for "HA agent version vs vCenter's".
    """
    frame = hosts_frame(inv)
    accessible: dict[str, int] = {}
    for _ref, props in inv.of_type("Datastore"):
        for host, ok in mount_accessibility(props.get("host")).items():
            accessible[host] = accessible.get(host, 0) + (1 if ok else 0)
    heartbeat = _heartbeat_counts(inv)
    per_host: dict[str, dict[str, Any]] = {}
    mounts_known = any(inv.of_type("Datastore")) and bool(accessible)
    for ref, props in inv.of_type("HostSystem"):
        vmknics = management_vmknics(props.get("config.virtualNicManagerInfo.netConfig"))
        ds_count = len(props.get("datastore") or [])
        per_host[ref.value] = {
            "mgmt_vmknics": None if vmknics is None else len(vmknics),
            "mgmt_vmknic_names": None if vmknics is None else ", ".join(vmknics),
            "mgmt_redundant": None if vmknics is None else len(vmknics) > 1,
            "datastores_accessible": accessible.get(ref.value, 0) if mounts_known else ds_count,
            "heartbeat_datastores": heartbeat.get(ref.value),
        }
    moids = frame["host_moid"].astype(str).tolist()
    for col in ("mgmt_vmknics", "datastores_accessible", "heartbeat_datastores"):
        frame[col] = pd.array([per_host.get(m, {}).get(col) for m in moids], dtype="Int64")
    frame["mgmt_vmknic_names"] = pd.array([per_host.get(m, {}).get("mgmt_vmknic_names") for m in moids], dtype="string")
    frame["mgmt_redundant"] = pd.array([per_host.get(m, {}).get("mgmt_redundant") for m in moids], dtype="boolean")
    vc_key = _version_key(vcenter_version) if vcenter_version else None
    compare: list[str | None] = []
    for version in frame["version"].astype(object).tolist():
        key = _version_key(version) if version is not None and not pd.isna(version) else None
        if key is None or vc_key is None:
            compare.append(None)
        else:
            compare.append("same" if key[:2] == vc_key[:2] else ("older" if key < vc_key else "newer"))
    frame["version_vs_vcenter"] = pd.Categorical(compare, categories=["same", "older", "newer"])
    frame["state_changed_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
    return frame


def add_state_change_times(hosts: pd.DataFrame, events: pd.DataFrame | None) -> pd.DataFrame:
    """``state_changed_at`` of each host: its newest ``state-change`` event in ``events`` (empty if none)."""
    out = hosts.copy()
    if events is None or not len(events) or "category" not in events.columns:
        if "state_changed_at" not in out.columns:
            out["state_changed_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us, UTC]")
        return out
    changes = events[events["category"].astype(object) == "state-change"]
    latest = changes.groupby(changes["host_moid"].astype(object), observed=True)["created_time"].max().to_dict()
    values = [latest.get(m, pd.NaT) for m in out["host_moid"].astype(object)]
    out["state_changed_at"] = pd.Series(pd.to_datetime(values, utc=True), index=out.index).astype("datetime64[us, UTC]")
    return out
