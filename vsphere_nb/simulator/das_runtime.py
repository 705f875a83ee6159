"""``ClusterComputeResource.RetrieveDasAdvancedRuntimeInfo``: what the vSphere HA primary knows at run time, the
heartbeat datastores it chose for each host first.

The answer has VMware's shape (``vim.cluster.DasAdvancedRuntimeInfo`` in pyVmomi's tables, privilege
``System.Read``): a ``ClusterDasAdvancedRuntimeInfo`` with

* ``heartbeatDatastoreInfo`` — ``DasHeartbeatDatastoreInfo[]``, one per datastore in use, each with the ``hosts``
  heartbeating through it (a host that has none is in no entry);
* ``vmcpSupported`` — ``ClusterDasAdvancedRuntimeInfoVmcpCapabilityInfo``: every host here is ESXi 7 or later, so
  both APD and PDL protection are supported;
* no ``dasHostInfo``: its only subtype, ``ClusterDasAamHostInfo``, describes the AAM agents HA used before
  vSphere 5.0; FDM clusters leave it unset.

A cluster with HA off answers no value (unset). The subtype ``ClusterDasFailoverLevelAdvancedRuntimeInfo`` (slot
sizes) belongs to the host-failures admission control policy, which this simulator does not serve.

How the primary chooses (vSphere Availability, "Datastore heartbeating"): ``das.heartbeatDsPerHost`` datastores per
host (2 by default, 2–5), among the shared datastores the host mounts **and can reach**; with the policy
``allFeasibleDsWithUserPreference`` the user's preferred ones (``dasConfig.heartbeatDatastore``) first,
``userSelectedDs`` only those, ``allFeasibleDs`` any. A host whose mounts became inaccessible
(``Datastore.set_accessible``) thus drops to fewer heartbeat datastores, down to none; a scenario or a test may
also set a host's choice outright (``ClusterComputeResource.heartbeat_overrides``). A host vCenter cannot reach
keeps what the primary chose for it (heartbeating is how the primary tells whether it is alive).
"""

from __future__ import annotations

from typing import Any

from .collector import UNSET_ANSWER
from .dispatch import Call, method
from .entities import Datastore
from .inventory import ClusterComputeResource, HostSystem

__all__ = ["HEARTBEAT_DS_PER_HOST", "heartbeat_datastores", "das_advanced_runtime_info"]

#: ``das.heartbeatDsPerHost``'s default: HA heartbeats each host through two datastores
HEARTBEAT_DS_PER_HOST = 2


def _per_host(cluster: ClusterComputeResource) -> int:
    for key, value in cluster.das.options.items():
        if key.lower() == "das.heartbeatdsperhost":
            try:
                return min(5, max(2, int(value)))
            except ValueError:
                break
    return HEARTBEAT_DS_PER_HOST


def heartbeat_datastores(cluster: ClusterComputeResource, host: HostSystem) -> list[Datastore]:
    """The datastores the primary heartbeats ``host`` through (see the module's description)."""
    chosen = cluster.heartbeat_overrides.get(host.moid)
    if chosen is not None:
        return list(chosen)
    # a host vCenter cannot reach keeps its choice: only a mount made inaccessible counts here
    usable = [ds for ds in host.datastores if ds.shared and host.moid not in ds.inaccessible]
    preferred = [ds for ds in cluster.preferred_heartbeat_datastores() if ds in usable]
    policy = cluster.das.heartbeat_policy
    if policy == "userSelectedDs":
        ordered = preferred
    elif policy == "allFeasibleDs":
        ordered = usable
    else:  # allFeasibleDsWithUserPreference
        ordered = preferred + [ds for ds in usable if ds not in preferred]
    return ordered[: _per_host(cluster)]


def _ref(obj: Datastore | HostSystem) -> dict[str, Any]:
    return {"_typeName": "ManagedObjectReference", "type": obj.TYPE, "value": obj.moid}


def das_advanced_runtime_info(cluster: ClusterComputeResource) -> dict[str, Any]:
    """The ``ClusterDasAdvancedRuntimeInfo`` of an HA cluster, as the wire carries it."""
    users: dict[str, tuple[Datastore, list[HostSystem]]] = {}
    for host in cluster.hosts:
        if host.das_state is None:  # not in the HA cluster (disconnected)
            continue
        for ds in heartbeat_datastores(cluster, host):
            users.setdefault(ds.moid, (ds, []))[1].append(host)
    info: dict[str, Any] = {
        "_typeName": "ClusterDasAdvancedRuntimeInfo",
        "vmcpSupported": {
            "_typeName": "ClusterDasAdvancedRuntimeInfoVmcpCapabilityInfo",
            "storageAPDSupported": True,
            "storagePDLSupported": True,
        },
    }
    if users:
        info["heartbeatDatastoreInfo"] = [
            {"_typeName": "DasHeartbeatDatastoreInfo", "datastore": _ref(ds), "hosts": [_ref(h) for h in hosts]}
            for ds, hosts in users.values()
        ]
    return info


@method("ClusterComputeResource", "RetrieveDasAdvancedRuntimeInfo", privilege="System.Read")
def retrieve_das_advanced_runtime_info(call: Call, this: Any) -> Any:
    with call.vc.registry.lock:
        if not isinstance(this, ClusterComputeResource) or not this.ha_enabled:
            return UNSET_ANSWER
        return das_advanced_runtime_info(this)
