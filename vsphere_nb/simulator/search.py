"""``SearchIndex``: finding entities by inventory path, by name below a parent, and hosts by DNS name, IP or UUID.

Inventory paths are vCenter's: names from the root folder down, ``/``-separated, the root folder itself not
named (``DC0/host/DC0_C0/DC0_C0_H00``); a ``/`` inside a name is written ``%2f`` (and ``%`` as ``%25``). Below
a datacenter come its four folders (``vm``, ``host``, ``datastore``, ``network``), below a compute resource its
hosts and its root resource pool (``Resources``). A leading ``/`` is accepted, as govc sends it.

``vmSearch: true`` looks for virtual machines, which this simulator does not model: such searches find nothing.
"""

from __future__ import annotations

from typing import Any

from ..wire import MoRef
from . import faults
from .collector import UNSET_ANSWER
from .dispatch import Call, Param, method
from .inventory import ComputeResource, Datacenter, Folder, HostSystem, ManagedEntity, ResourcePool

__all__ = ["inventory_children", "find_by_inventory_path", "inventory_path", "escape_name"]


def escape_name(name: str) -> str:
    """A name as it appears in an inventory path."""
    return name.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def _unescape(segment: str) -> str:
    return segment.replace("%2f", "/").replace("%2F", "/").replace("%5c", "\\").replace("%5C", "\\").replace("%25", "%")


def inventory_children(entity: ManagedEntity) -> list[ManagedEntity]:
    """The entities one step below ``entity`` in inventory paths."""
    if isinstance(entity, Folder):
        return list(entity.child_entities)
    if isinstance(entity, Datacenter):
        return [entity.vm_folder, entity.host_folder, entity.datastore_folder, entity.network_folder]
    if isinstance(entity, ComputeResource):
        out: list[ManagedEntity] = list(entity.hosts)
        if entity.resource_pool is not None:
            out.append(entity.resource_pool)
        return out
    if isinstance(entity, ResourcePool):
        return []
    return []


def find_child(entity: ManagedEntity, name: str) -> ManagedEntity | None:
    for child in inventory_children(entity):
        if child.name == name:
            return child
    return None


def find_by_inventory_path(root: ManagedEntity, path: str) -> ManagedEntity | None:
    node: ManagedEntity | None = root
    for segment in path.strip("/").split("/"):
        if not segment:
            continue
        assert node is not None
        node = find_child(node, _unescape(segment))
        if node is None:
            return None
    return node


def inventory_path(entity: ManagedEntity) -> str:
    """``DC0/host/DC0_C0/DC0_C0_H00`` (the inverse of :func:`find_by_inventory_path`)."""
    names = []
    node: ManagedEntity | None = entity
    while node is not None and node.parent_entity is not None:
        names.append(escape_name(node.name))
        node = node.parent_entity
    return "/".join(reversed(names))


def _hosts(call: Call, datacenter: MoRef | None) -> list[HostSystem]:
    vc = call.vc
    if datacenter is None:
        return list(vc.inventory.hosts)
    dc = vc.registry.resolve(datacenter)
    if not isinstance(dc, Datacenter):
        raise faults.invalid_argument("datacenter", f"'{datacenter.type}:{datacenter.value}' is not a datacenter.")
    return [h for h in vc.inventory.hosts if h.datacenter is dc]


def _entity(call: Call, ref: MoRef) -> ManagedEntity:
    obj = call.vc.registry.resolve(ref)
    if obj is None:
        raise faults.managed_object_not_found(ref)
    if not isinstance(obj, ManagedEntity):
        raise faults.invalid_argument("entity", f"'{ref.type}:{ref.value}' is not a managed entity.")
    return obj


def _one(found: list[HostSystem]) -> Any:
    return found[0].ref if found else UNSET_ANSWER


def _by_dns(hosts: list[HostSystem], name: str) -> list[HostSystem]:
    wanted = name.lower().rstrip(".")
    return [h for h in hosts if wanted in (n.lower() for n in h.dns_names())]


def _by_ip(hosts: list[HostSystem], ip: str) -> list[HostSystem]:
    return [h for h in hosts if any(v.ip == ip for v in h.network().vmknics)]


def _by_uuid(hosts: list[HostSystem], uuid: str) -> list[HostSystem]:
    wanted = uuid.lower()
    return [h for h in hosts if h.uuid() == wanted]


_LOCATION = (Param("datacenter", "moref", required=False),)
_VM_SEARCH = Param("vmSearch", "boolean", required=False)


@method("SearchIndex", "FindByInventoryPath", Param("inventoryPath", "string"))
def find_by_inventory_path_method(call: Call, this: Any, inventoryPath: str) -> Any:
    with call.vc.registry.lock:
        found = find_by_inventory_path(call.vc.inventory.root, inventoryPath)
        return found.ref if found is not None else UNSET_ANSWER


@method("SearchIndex", "FindChild", Param("entity", "moref"), Param("name", "string"))
def find_child_method(call: Call, this: Any, entity: MoRef, name: str) -> Any:
    with call.vc.registry.lock:
        found = find_child(_entity(call, entity), name)
        return found.ref if found is not None else UNSET_ANSWER


@method("SearchIndex", "FindByDnsName", *_LOCATION, Param("dnsName", "string"), _VM_SEARCH)
def find_by_dns_name(call: Call, this: Any, datacenter: MoRef | None, dnsName: str, vmSearch: bool | None) -> Any:
    with call.vc.registry.lock:
        return UNSET_ANSWER if vmSearch else _one(_by_dns(_hosts(call, datacenter), dnsName))


@method("SearchIndex", "FindAllByDnsName", *_LOCATION, Param("dnsName", "string"), _VM_SEARCH)
def find_all_by_dns_name(call: Call, this: Any, datacenter: MoRef | None, dnsName: str, vmSearch: bool | None) -> Any:
    with call.vc.registry.lock:
        return [] if vmSearch else [h.ref for h in _by_dns(_hosts(call, datacenter), dnsName)]


@method("SearchIndex", "FindByIp", *_LOCATION, Param("ip", "string"), _VM_SEARCH)
def find_by_ip(call: Call, this: Any, datacenter: MoRef | None, ip: str, vmSearch: bool | None) -> Any:
    with call.vc.registry.lock:
        return UNSET_ANSWER if vmSearch else _one(_by_ip(_hosts(call, datacenter), ip))


@method("SearchIndex", "FindAllByIp", *_LOCATION, Param("ip", "string"), _VM_SEARCH)
def find_all_by_ip(call: Call, this: Any, datacenter: MoRef | None, ip: str, vmSearch: bool | None) -> Any:
    with call.vc.registry.lock:
        return [] if vmSearch else [h.ref for h in _by_ip(_hosts(call, datacenter), ip)]


@method(
    "SearchIndex",
    "FindByUuid",
    *_LOCATION,
    Param("uuid", "string"),
    _VM_SEARCH,
    Param("instanceUuid", "boolean", required=False),
)
def find_by_uuid(
    call: Call, this: Any, datacenter: MoRef | None, uuid: str, vmSearch: bool | None, instanceUuid: bool | None
) -> Any:
    with call.vc.registry.lock:
        return UNSET_ANSWER if vmSearch else _one(_by_uuid(_hosts(call, datacenter), uuid))


@method(
    "SearchIndex",
    "FindAllByUuid",
    *_LOCATION,
    Param("uuid", "string"),
    _VM_SEARCH,
    Param("instanceUuid", "boolean", required=False),
)
def find_all_by_uuid(
    call: Call, this: Any, datacenter: MoRef | None, uuid: str, vmSearch: bool | None, instanceUuid: bool | None
) -> Any:
    with call.vc.registry.lock:
        return [] if vmSearch else [h.ref for h in _by_uuid(_hosts(call, datacenter), uuid)]
