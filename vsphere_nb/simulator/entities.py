"""The simulated inventory's simple managed entities: the ``ManagedEntity`` base, folders, datacenters, datastores,
networks and resource pools. Compute resources and hosts, which carry the HA story, are in :mod:`.inventory`.

Each type declares its top-level properties with their VMware types in ``PROPERTIES`` (the one table the
PropertyCollector, property GETs and the conformance tests read) and answers them in ``prop``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .. import wire
from ..wire import MoRef
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
]

#: who disables ReconfigureHostForDAS_Task on hosts under remediation (vSphere Lifecycle Manager)
VLCM_SOURCE = "com.vmware.vcIntegrity"

ENTITY_ANCESTRY = ("ManagedEntity", "ExtensibleManagedObject", "ManagedObject")
ENTITY_PROPERTIES = {
    "name": "string",
    "parent": "ManagedObjectReference",
    "overallStatus": "ManagedEntityStatus",
    "configStatus": "ManagedEntityStatus",
    "configIssue": "ArrayOfEvent",
    "disabledMethod": "ArrayOfString",
    "recentTask": "ArrayOfManagedObjectReference",
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
        return None

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
    TYPE = "Datastore"
    ANCESTRY = ("Datastore",) + ENTITY_ANCESTRY
    PROPERTIES = {**ENTITY_PROPERTIES, "vm": "ArrayOfManagedObjectReference"}

    def prop(self, name: str) -> Any:
        if name == "vm":
            return []
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
    }

    def __init__(self, moid: str, owner: ComputeResource) -> None:
        super().__init__(moid, "Resources", owner)
        self.owner_resource = owner

    def prop(self, name: str) -> Any:
        if name == "owner":
            return self.owner_resource.ref
        if name in ("resourcePool", "vm"):
            return []
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
