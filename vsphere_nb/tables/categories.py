"""What kind of HA event an event type is: ``event_category("HostIsolationIpPingFailedEvent") == "isolation"``.

The events frames (a run's and the history's) carry this as their ``category`` column, so a chart or a rule can
ask for "every isolation event" without knowing the dozen type names vCenter uses for it. Pure and cached: the
argument is an ``EventEx.eventTypeId`` or a wire ``_typeName`` (what the frames' ``event_type_id`` holds).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["EVENT_CATEGORIES", "event_category", "HA_HISTORY_TYPES"]

#: the categories, in the order charts list them
EVENT_CATEGORIES: tuple[str, ...] = (
    "agent-error",
    "state-change",
    "isolation",
    "partition",
    "network",
    "host-failure",
    "config",
    "failover",
    "task",
    "other",
)

_EXACT: dict[str, str] = {
    "TaskEvent": "task",
    "HostDasErrorEvent": "agent-error",
    "com.vmware.vc.HA.HostAgentErrorEvent": "agent-error",
    "com.vmware.vc.HA.HostDasErrorEvent": "agent-error",
    "com.vmware.vc.HA.HostHasNoSslThumbprint": "agent-error",
    "com.vmware.vc.HA.HostHasNoMountedDatastores": "agent-error",
    "com.vmware.vc.HA.HostDoesNotSupportVsan": "agent-error",
    "com.vmware.vc.HA.HostIncompatibleWithHA": "agent-error",
    "com.vmware.vc.HA.HostUnconfigureError": "agent-error",
    "com.vmware.vc.HA.CreateConfigVvolFailedEvent": "agent-error",
    "com.vmware.vc.HA.HeartbeatDatastoreNotSufficient": "config",
    "com.vmware.vc.HA.HeartbeatDatastoreChanged": "config",
    "com.vmware.vc.HA.HostDatastoreFailedEvent": "agent-error",
    "com.vmware.vc.HA.DasHostCompleteDatastoreFailureEvent": "agent-error",
    "com.vmware.vc.HA.VcCannotFindMasterEvent": "state-change",
    "com.vmware.vc.HA.VcCannotCommunicateWithMasterEvent": "state-change",
    "com.vmware.vc.HA.VcConnectedToMasterEvent": "state-change",
    "com.vmware.vc.HA.VcDisconnectedFromMasterEvent": "state-change",
    "com.vmware.vc.HA.InvalidMaster": "state-change",
    "com.vmware.vc.HA.DasAgentRunningEvent": "state-change",
    "HostDasOkEvent": "state-change",
    "DasAgentUnavailableEvent": "agent-error",
    "com.vmware.vc.HA.HostStateChangedEvent": "state-change",
    "com.vmware.vc.HA.ConnectedToMaster": "state-change",
    "com.vmware.vc.HA.HostDasAgentHealthyEvent": "state-change",
    "DasAgentFoundEvent": "state-change",
    "HostIsolationIpPingFailedEvent": "isolation",
    "DasHostIsolatedEvent": "isolation",
    "DasClusterIsolatedEvent": "isolation",
    "com.vmware.vc.HA.AllHostAddrsPingable": "isolation",
    "com.vmware.vc.HA.DasHostIsolatedEvent": "isolation",
    "com.vmware.vc.HA.AllIsoAddrsPingable": "isolation",
    "com.vmware.vc.HA.HostHasNoIsolationAddrsDefined": "isolation",
    "com.vmware.vc.HA.DasFailoverHostIsolatedEvent": "isolation",
    "com.vmware.vc.HA.HostPartitionedFromMasterEvent": "partition",
    "com.vmware.vc.HA.DasFailoverHostPartitionedEvent": "partition",
    "com.vmware.vc.HA.NotAllHostAddrsPingable": "network",
    "com.vmware.vc.HA.HostNetworkFailedEvent": "network",
    "com.vmware.vc.HA.DasHostCompleteNetworkFailureEvent": "network",
    "HostExtraNetworksEvent": "network",
    "HostNoAvailableNetworksEvent": "network",
    "HostNoHAEnabledPortGroupsEvent": "network",
    "HostNoRedundantManagementNetworkEvent": "network",
    "HostMissingNetworksEvent": "network",
    "HostShortNameToIpFailedEvent": "network",
    "HostIpChangedEvent": "network",
    "DasHostFailedEvent": "host-failure",
    "HostConnectionLostEvent": "host-failure",
    "HostDisconnectedEvent": "host-failure",
    "com.vmware.vc.HA.DasFailoverHostFailedEvent": "host-failure",
    "com.vmware.vc.HA.DasFailoverHostUnreachableEvent": "host-failure",
    "com.vmware.vc.HA.DasHostFailedEvent": "host-failure",
    "NoDatastoresConfiguredEvent": "config",
    "HostDasEnablingEvent": "config",
    "HostDasEnabledEvent": "config",
    "HostDasDisablingEvent": "config",
    "HostDasDisabledEvent": "config",
    "DasEnabledEvent": "config",
    "DasDisabledEvent": "config",
    "ClusterReconfiguredEvent": "config",
    "InsufficientFailoverResourcesEvent": "failover",
    "FailoverLevelRestored": "failover",
    "com.vmware.vc.ha.VmRestartedByHAEvent": "failover",
}

#: the HA event types a history read asks for when the server's own list (``EventManager.description``) is
#: unavailable: every type :func:`event_category` knows except tasks
HA_HISTORY_TYPES: tuple[str, ...] = tuple(sorted(k for k, v in _EXACT.items() if v != "task"))


@lru_cache(maxsize=4096)
def event_category(type_id: str | None) -> str:
    """The category of an event type id or type name; ``other`` for anything unknown (never raises)."""
    if not isinstance(type_id, str) or not type_id:
        return "other"
    exact = _EXACT.get(type_id)
    if exact is not None:
        return exact
    low = type_id.lower()
    if "isolat" in low or "pingable" in low:
        return "isolation"
    if "partition" in low:
        return "partition"
    if "error" in low and (".ha." in low or "das" in low):
        return "agent-error"
    if "statechange" in low or "connectedtomaster" in low or "election" in low:
        return "state-change"
    if "failover" in low or "restart" in low:
        return "failover"
    if "hostfailed" in low or "notresponding" in low or "connectionlost" in low:
        return "host-failure"
    if "network" in low:
        return "network"
    if "das" in low or ".ha." in low:
        return "config"
    return "other"
