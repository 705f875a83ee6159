"""The declared type of each property path vsphere-nb reads, and the check that a decoded value has it.

A ``RetrievePropertiesEx`` answer carries every value in an ``Any`` slot (``DynamicProperty.val``): the value
says its own type (``_typeName``), which a broken server or a proxy may get wrong —
``runtime.connectionState`` as ``{"_typeName": "Frobnicate", "_value": [1, 2]}``, a boolean, a reference. Only
the property's *declared* type (VMware's API reference; the names below are the WSDL names) says what the value
must be. :func:`check_declared` holds a decoded value against it: a value of the wrong shape becomes an
:class:`~vsphere_nb.wire.UndecodedValue` naming what was expected, so the caller flags it instead of reading
``[1, 2]`` as a connection state.

Enums are checked for being text, not for being a value this release knows (a newer vCenter adds values); data
objects for being their declared type (a subtype passes); references for being references.
"""

from __future__ import annotations

from typing import Any

from .base import ENUMS, REGISTRY, VimObject, box
from .codec import as_declared
from .moref import MoRef
from .values import UndecodedValue

__all__ = ["HOST_PROPERTY_TYPES", "CLUSTER_PROPERTY_TYPES", "MANAGED_TYPES", "check_declared"]

#: ``HostSystem`` properties read by the inventory, by path: their declared WSDL type
HOST_PROPERTY_TYPES: dict[str, str] = {
    "name": "string",
    "parent": "ManagedEntity",
    "runtime.connectionState": "HostSystemConnectionState",
    "runtime.powerState": "HostSystemPowerState",
    "runtime.inMaintenanceMode": "boolean",
    "runtime.dasHostState": "ClusterDasFdmHostState",
    "configIssue": "ArrayOfEvent",
    "overallStatus": "ManagedEntityStatus",
    "summary.config.product.version": "string",
    "summary.config.product.build": "string",
    "datastore": "ArrayOfDatastore",
    "disabledMethod": "ArrayOfMethodName",
}
#: ``ClusterComputeResource`` properties read by the inventory
CLUSTER_PROPERTY_TYPES: dict[str, str] = {
    "name": "string",
    "parent": "ManagedEntity",
    "configurationEx": "ComputeResourceConfigInfo",
}
#: managed object types a declared type may name: their values are references
MANAGED_TYPES = frozenset(
    {
        "ManagedEntity",
        "Folder",
        "Datacenter",
        "Datastore",
        "HostSystem",
        "ComputeResource",
        "ClusterComputeResource",
        "ResourcePool",
        "Network",
        "VirtualMachine",
        "Task",
    }
)
_TEXT = frozenset({"string", "MethodName", "PropertyPath", "TypeName", "anyURI", "base64Binary"})
_INTEGER = frozenset({"int", "long", "short", "byte"})
_NUMBER = frozenset({"double", "float"})


def _kind(value: Any) -> str:
    if isinstance(value, MoRef):
        return "a reference"
    if isinstance(value, VimObject):
        return f"a {getattr(value, 'type_name', None) or type(value).__name__}"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def _mismatch(value: Any, declared: str) -> str | None:
    """Why ``value`` is not a ``declared``, or ``None`` when it is (or the type is not one checked here)."""
    if declared.startswith("ArrayOf"):
        if not isinstance(value, (list, tuple)):
            return f"expected {declared} (a list), got {_kind(value)}"
        element = declared[len("ArrayOf") :]
        for index, item in enumerate(value):
            why = _mismatch(item, element)
            if why is not None:
                return f"element {index}: {why}"
        return None
    if declared in _TEXT or declared in ENUMS:
        ok = isinstance(value, str)
    elif declared == "boolean":
        ok = isinstance(value, bool)
    elif declared in _INTEGER:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif declared in _NUMBER:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif declared in MANAGED_TYPES:
        ok = isinstance(value, MoRef)
    elif declared in REGISTRY:
        ok = isinstance(value, REGISTRY[declared])
    else:
        return None
    return None if ok else f"expected {declared}, got {_kind(value)}"


def check_declared(value: Any, declared: str | None) -> Any:
    """``value`` when it has the ``declared`` type (``None`` — unset — always has); a generic object read as the
    declared data object type (:func:`~vsphere_nb.wire.as_declared`); otherwise an
    :class:`~vsphere_nb.wire.UndecodedValue` with the value as it would go back on the wire and the reason."""
    if value is None or declared is None or isinstance(value, UndecodedValue):
        return value
    cls = REGISTRY.get(declared)
    if cls is not None and type(value) is VimObject:
        value = as_declared(value, cls)
        if isinstance(value, UndecodedValue):
            return value
    why = _mismatch(value, declared)
    if why is None:
        return value
    try:
        raw = box(value)
    except Exception:
        raw = repr(value)[:200]
    return UndecodedValue(raw=raw, reason=why[:200])
