"""The simulated inventory's simple managed entities: the ``ManagedEntity`` base, folders, datacenters, datastores,
networks and resource pools. Compute resources and hosts, which carry the HA story, are in :mod:`.inventory`.

Each type declares its top-level properties with their VMware types in ``PROPERTIES`` (the one table the
PropertyCollector, property GETs and the conformance tests read) and answers them in ``prop``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .. import wire
from ..wire import MoRef
from . import hoststorage
from .clock import Clock
from .model import ManagedObject

if TYPE_CHECKING:
    from .inventory import ComputeResource, HostSystem

__all__ = [
    "ENTITY_ANCESTRY",
    "ENTITY_PROPERTIES",
    "ManagedEntity",
    "Folder",
    "Datacenter",
    "Datastore",
    "Network",
    "ResourcePool",
    "VLCM_SOURCE",
    "INACCESSIBLE_REASONS",
]

#: who disables ReconfigureHostForDAS_Task on hosts under remediation (vSphere Lifecycle Manager)
VLCM_SOURCE = "com.vmware.vcIntegrity"
#: VMware's ``HostMountInfoInaccessibleReason`` values: why a host cannot reach a datastore it mounts
INACCESSIBLE_REASONS = ("AllPathsDown_Start", "AllPathsDown_Timeout", "PermanentDeviceLoss")

ENTITY_ANCESTRY = ("ManagedEntity", "ExtensibleManagedObject", "ManagedObject")
ENTITY_PROPERTIES = {
    "name": "string",
    "parent": "ManagedObjectReference",
    "overallStatus": "ManagedEntityStatus",
    "configStatus": "ManagedEntityStatus",
    "configIssue": "ArrayOfEvent",
    "disabledMethod": "ArrayOfString",
    "recentTask": "ArrayOfManagedObjectReference",
    "declaredAlarmState": "ArrayOfAlarmState",
    "triggeredAlarmState": "ArrayOfAlarmState",
    "alarmActionsEnabled": "boolean",
}


class ManagedEntity(ManagedObject):
    ANCESTRY: ClassVar[tuple[str, ...]] = ("ManagedEntity",) + ENTITY_ANCESTRY[1:]
    PROPERTIES = dict(ENTITY_PROPERTIES)

    def __init__(self, moid: str, name: str, parent: ManagedEntity | None) -> None:
        super().__init__(moid)
        self.name = name
        self.parent_entity = parent
        self.config_issues: list[wire.Event] = []
        self.disabled_methods: list[str] = []
        self.recent_tasks: list[MoRef] = []

    def overall_status(self) -> str:
        return "green"

    def children(self) -> list[ManagedEntity]:
        """Entities below this one, for ContainerView and event recursion."""
        return []

    def prop(self, name: str) -> Any:
        if name == "name":
            return self.name
        if name == "parent":
            return self.parent_entity.ref if self.parent_entity is not None else None
        if name in ("overallStatus", "configStatus"):
            return wire.ManagedEntityStatus(self.overall_status())
        if name == "configIssue":
            return list(self.config_issues)
        if name == "disabledMethod":
            return list(self.disabled_methods)
        if name == "recentTask":
            return list(self.recent_tasks)
        if name in ("declaredAlarmState", "triggeredAlarmState"):
            return self.alarm_states(triggered=name == "triggeredAlarmState")
        if name == "alarmActionsEnabled":
            return True
        return None

    def alarm_states(self, triggered: bool) -> list[wire.AlarmState]:
        """This entity's alarm states (see :mod:`.alarms`; only hosts have modelled alarms)."""
        return []

    def descendants(self) -> list[ManagedEntity]:
        out: list[ManagedEntity] = []
        stack = list(reversed(self.children()))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children()))
        return out


class Folder(ManagedEntity):
    TYPE = "Folder"
    ANCESTRY = ("Folder",) + ENTITY_ANCESTRY
    PROPERTIES = {**ENTITY_PROPERTIES, "childEntity": "ArrayOfManagedObjectReference", "childType": "ArrayOfString"}

    def __init__(self, moid: str, name: str, parent: ManagedEntity | None, child_type: list[str]) -> None:
        super().__init__(moid, name, parent)
        self.child_type = child_type
        self.child_entities: list[ManagedEntity] = []

    def children(self) -> list[ManagedEntity]:
        return list(self.child_entities)

    def prop(self, name: str) -> Any:
        if name == "childEntity":
            return [c.ref for c in self.child_entities]
        if name == "childType":
            return list(self.child_type)
        return super().prop(name)


class Datacenter(ManagedEntity):
    TYPE = "Datacenter"
    ANCESTRY = ("Datacenter",) + ENTITY_ANCESTRY
    PROPERTIES = {
        **ENTITY_PROPERTIES,
        "hostFolder": "ManagedObjectReference",
        "vmFolder": "ManagedObjectReference",
        "datastoreFolder": "ManagedObjectReference",
        "networkFolder": "ManagedObjectReference",
        "datastore": "ArrayOfManagedObjectReference",
        "network": "ArrayOfManagedObjectReference",
    }

    host_folder: Folder
    vm_folder: Folder
    datastore_folder: Folder
    network_folder: Folder

    def children(self) -> list[ManagedEntity]:
        return [self.host_folder, self.vm_folder, self.datastore_folder, self.network_folder]

    def prop(self, name: str) -> Any:
        if name == "hostFolder":
            return self.host_folder.ref
        if name == "vmFolder":
            return self.vm_folder.ref
        if name == "datastoreFolder":
            return self.datastore_folder.ref
        if name == "networkFolder":
            return self.network_folder.ref
        if name == "datastore":
            return [d.ref for d in self.datastore_folder.child_entities]
        if name == "network":
            return [n.ref for n in self.network_folder.child_entities if isinstance(n, Network)]
        return super().prop(name)


class Datastore(ManagedEntity):
    """A VMFS datastore: a cluster's shared volume or a standalone host's local one (see :mod:`.hoststorage`)."""

    TYPE = "Datastore"
    ANCESTRY = ("Datastore",) + ENTITY_ANCESTRY
    PROPERTIES = {
        **ENTITY_PROPERTIES,
        "vm": "ArrayOfManagedObjectReference",
        "summary": "DatastoreSummary",
        "info": "DatastoreInfo",
        "host": "ArrayOfDatastoreHostMount",
        "capability": "DatastoreCapability",
    }
    #: the compute resource whose hosts mount it (set when the inventory is built)
    compute_resource: ComputeResource | None = None
    #: shared by a cluster's hosts (a standalone host's local datastore is not)
    shared = True
    #: ``info.timestamp`` changes with every read on a vCenter, and accessibility and mounts follow the hosts (which
    #: change without the datastore changing): never cached
    NO_CACHE = frozenset({"info", "summary", "host"})

    def __init__(self, moid: str, name: str, parent: ManagedEntity | None) -> None:
        super().__init__(moid, name, parent)
        #: host moId → why the host's mount is inaccessible (``HostMountInfo.inaccessibleReason``); absent = accessible
        self.inaccessible: dict[str, str] = {}

    def set_accessible(self, host: HostSystem, accessible: bool, reason: str = "AllPathsDown_Timeout") -> None:
        """Make the host's mount of this datastore accessible or not (then ``registry.changed(datastore)``);
        ``reason`` is one of VMware's ``HostMountInfoInaccessibleReason`` values."""
        if accessible:
            self.inaccessible.pop(host.moid, None)
            return
        if reason not in INACCESSIBLE_REASONS:
            raise ValueError(f"unknown inaccessibleReason {reason!r} (one of {', '.join(INACCESSIBLE_REASONS)})")
        self.inaccessible[host.moid] = reason

    def accessible_from(self, host: HostSystem) -> bool:
        """The host reaches this datastore: it is connected and its mount was not made inaccessible."""
        return host.connection_state == "connected" and host.moid not in self.inaccessible

    def mounted_hosts(self) -> list[HostSystem]:
        cr = self.compute_resource
        return [h for h in cr.hosts if self in h.datastores] if cr is not None else []

    def _seed(self) -> int:
        cr = self.compute_resource
        return cr.hosts[0].ctx.seed if cr is not None and cr.hosts else 0

    def prop(self, name: str) -> Any:
        if name == "vm":
            return []
        if name == "summary":
            return hoststorage.datastore_summary(self, self._seed())
        if name == "info":
            hosts = self.compute_resource.hosts if self.compute_resource is not None else []
            since_9_0 = bool(hosts) and hosts[0].ctx.since_9_0
            return hoststorage.datastore_info(self, self._seed(), Clock.now(), since_9_0)
        if name == "host":
            return hoststorage.datastore_mounts(self, self._seed())
        if name == "capability":
            return hoststorage.datastore_capability()
        return super().prop(name)


class Network(ManagedEntity):
    """A standard-switch VM port group as vCenter lists it (``network-…``): one per datacenter, on every host."""

    TYPE = "Network"
    ANCESTRY = ("Network",) + ENTITY_ANCESTRY
    PROPERTIES = {
        **ENTITY_PROPERTIES,
        "summary": "NetworkSummary",
        "host": "ArrayOfManagedObjectReference",
        "vm": "ArrayOfManagedObjectReference",
    }

    def __init__(self, moid: str, name: str, parent: ManagedEntity) -> None:
        super().__init__(moid, name, parent)
        self.hosts: list[HostSystem] = []

    def prop(self, name: str) -> Any:
        if name == "summary":
            return wire.NetworkSummary(network=self.ref, name=self.name, accessible=True)
        if name == "host":
            return [h.ref for h in self.hosts]
        if name == "vm":
            return []
        return super().prop(name)


class ResourcePool(ManagedEntity):
    """A compute resource's root pool (``resgroup-…``, named ``Resources``): where its VMs would live."""

    TYPE = "ResourcePool"
    ANCESTRY = ("ResourcePool",) + ENTITY_ANCESTRY
    PROPERTIES = {
        **ENTITY_PROPERTIES,
        "owner": "ManagedObjectReference",
        "resourcePool": "ArrayOfManagedObjectReference",
        "vm": "ArrayOfManagedObjectReference",
        "config": "ResourceConfigSpec",
        "runtime": "ResourcePoolRuntimeInfo",
    }

    #: the usage follows the hosts' load and states, which change without the pool changing: never cached
    NO_CACHE = frozenset({"runtime"})

    def __init__(self, moid: str, owner: ComputeResource) -> None:
        super().__init__(moid, "Resources", owner)
        self.owner_resource = owner

    def prop(self, name: str) -> Any:
        if name == "owner":
            return self.owner_resource.ref
        if name in ("resourcePool", "vm"):
            return []
        if name == "runtime":
            return self.runtime()
        if name == "config":
            shares = wire.VimObject.model_validate({"_typeName": "SharesInfo", "shares": 4000, "level": "normal"})
            summary = self.owner_resource.summary()

            def allocation(total: int) -> wire.ResourceAllocationInfo:
                return wire.ResourceAllocationInfo(
                    reservation=total, expandableReservation=False, limit=total, shares=shares, overheadLimit=None
                )

            return wire.ResourceConfigSpec(
                entity=self.ref,
                changeVersion="1",
                cpuAllocation=allocation(summary.effectiveCpu),
                memoryAllocation=allocation(summary.effectiveMemory),
            )
        return super().prop(name)

    def runtime(self) -> wire.ResourcePoolRuntimeInfo:
        """The root pool's usage: its compute resource's capacity (MHz, bytes) and its hosts' current load.
        Without VMs nothing is reserved, so all of it is unreserved; ``overallUsage`` sums the hosts' quick
        stats (what ``govc pool.info`` / ``cluster.usage`` show)."""
        summary = self.owner_resource.summary()
        cpu_used = mem_used = 0
        for host in self.owner_resource.hosts:
            stats = host.summary().quickStats or wire.HostListSummaryQuickStats()
            cpu_used += stats.overallCpuUsage or 0
            mem_used += (stats.overallMemoryUsage or 0) << 20
        memory_max = summary.effectiveMemory << 20

        def usage(used: int, maximum: int) -> wire.ResourcePoolResourceUsage:
            return wire.ResourcePoolResourceUsage(
                reservationUsed=0,
                reservationUsedForVm=0,
                unreservedForPool=maximum,
                unreservedForVm=maximum,
                overallUsage=used,
                maxUsage=maximum,
            )

        return wire.ResourcePoolRuntimeInfo(
            memory=usage(mem_used, memory_max),
            cpu=usage(cpu_used, summary.effectiveCpu),
            overallStatus=wire.ManagedEntityStatus(summary.overallStatus),
            sharesScalable="disabled",
        )
