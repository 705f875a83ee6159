"""Property paths and their declared types: what the PropertyCollector and property GETs read.

``read_path(obj, "runtime.dasHostState")`` walks a dotted path from a managed object's top-level property
(declared type from ``obj.PROPERTIES``) through the wire models' fields (declared types derived from the
pydantic annotations), and returns the value encoded for an ``Any`` slot: data objects as themselves (they
carry ``_typeName``), everything else boxed with its *declared* type — ``ArrayOfEvent`` for ``configIssue``
even when empty, ``HostSystemConnectionState`` for ``runtime.connectionState``, ``string`` for ``name``.

A path that does not exist for the type raises :class:`InvalidPath`; a path that exists but whose value
(or an intermediate value) is unset returns :data:`UNSET` — the PropertyCollector then leaves it out of
``propSet`` as vCenter does (``runtime.dasHostState`` of a host outside an HA cluster).
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import datetime
from functools import lru_cache
from typing import Any

from .. import wire
from ..wire import Boxed, MoRef
from .model import ManagedObject

__all__ = [
    "UNSET",
    "InvalidPath",
    "read_path",
    "top_value",
    "envelope",
    "encode_declared",
    "declared_type_of",
    "validate_path",
    "KNOWN_MANAGED_TYPES",
    "type_matches",
]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: a valid path whose value is not set
UNSET: Any = _Unset()


class InvalidPath(Exception):
    """The path does not name a property of the type."""


#: managed object type names vCenter knows (so a PropertySpec for ``VirtualMachine`` matches nothing instead
#: of raising ``InvalidType``); the simulator serves a subset
KNOWN_MANAGED_TYPES = frozenset(
    {
        "ManagedObject",
        "ExtensibleManagedObject",
        "ManagedEntity",
        "Folder",
        "Datacenter",
        "ComputeResource",
        "ClusterComputeResource",
        "HostSystem",
        "ResourcePool",
        "VirtualApp",
        "VirtualMachine",
        "Datastore",
        "StoragePod",
        "Network",
        "OpaqueNetwork",
        "DistributedVirtualSwitch",
        "VmwareDistributedVirtualSwitch",
        "DistributedVirtualPortgroup",
        "Task",
        "TaskManager",
        "EventManager",
        "EventHistoryCollector",
        "HistoryCollector",
        "TaskHistoryCollector",
        "View",
        "ManagedObjectView",
        "ContainerView",
        "ListView",
        "InventoryView",
        "ViewManager",
        "PropertyCollector",
        "PropertyFilter",
        "SessionManager",
        "ServiceInstance",
        "AlarmManager",
        "Alarm",
        "AuthorizationManager",
        "CustomFieldsManager",
        "ExtensionManager",
        "LicenseManager",
        "PerformanceManager",
        "ScheduledTaskManager",
        "SearchIndex",
        "UserDirectory",
        "OptionManager",
        "FileManager",
        "HostNetworkSystem",
        "HostVirtualNicManager",
        "HostDateTimeSystem",
        "HostServiceSystem",
        "HostCertificateManager",
        "HostStorageSystem",
    }
)


def type_matches(obj: ManagedObject, type_name: str) -> bool:
    return type_name in obj.ANCESTRY


# ---------------------------------------------------------------------------------------------
# declared types from the wire models
# ---------------------------------------------------------------------------------------------
_PRIMITIVE_NAMES = {str: "string", bool: "boolean", int: "int", float: "double", datetime: "dateTime"}


def _leaves(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _leaves(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            if arg is type(None):
                continue
            out.extend(_leaves(arg))
        return out
    return [annotation]


def declared_type_of(annotation: Any) -> str:
    """VMware type name of a wire-model field annotation (``ArrayOfEvent``, ``TaskInfoState``, ``string`` …)."""
    leaves = _leaves(annotation)
    # an enum slot is ``Known(Enum)`` = Union[Enum, str]: the enum wins
    for leaf in leaves:
        if isinstance(leaf, type) and issubclass(leaf, enum.Enum):
            return leaf.__name__
    for leaf in leaves:
        if typing.get_origin(leaf) in (list, tuple):
            args = typing.get_args(leaf)
            inner = declared_type_of(args[0]) if args else "anyType"
            return "ArrayOf" + (inner[0].upper() + inner[1:] if inner in _PRIMITIVE_NAMES.values() else inner)
        if isinstance(leaf, str):  # forward reference such as "Event"
            return leaf
        if isinstance(leaf, typing.ForwardRef):
            return leaf.__forward_arg__
        if isinstance(leaf, type) and issubclass(leaf, wire.VimObject):
            return leaf.__name__
        if leaf in _PRIMITIVE_NAMES:
            return _PRIMITIVE_NAMES[leaf]
    return "anyType"


@lru_cache(maxsize=4096)
def _field_type(type_name: str, field: str) -> str | None:
    cls = wire.REGISTRY.get(type_name)
    if cls is None:
        return None
    for name, info in cls.model_fields.items():
        if name == "vim_type":
            continue
        if (info.alias or name) == field:
            return declared_type_of(info.annotation)
    return None


def validate_path(obj: ManagedObject, path: str) -> str:
    """The declared type of ``path`` on ``obj``'s type; raises :class:`InvalidPath`."""
    parts = path.split(".")
    declared = obj.PROPERTIES.get(parts[0])
    if declared is None or any(not p for p in parts):
        raise InvalidPath(path)
    for part in parts[1:]:
        nxt = _field_type(declared, part)
        if nxt is None:
            raise InvalidPath(path)
        declared = nxt
    return declared


_NONE = object()


def top_value(obj: ManagedObject, name: str) -> Any:
    """``obj.prop(name)``, memoised in the object's cache until it changes (models are built once)."""
    if name in obj.NO_CACHE:
        return obj.prop(name)
    key = ("p", name)
    value = obj.cache.get(key)
    if value is None:
        value = obj.prop(name)
        obj.cache[key] = _NONE if value is None else value
        return value
    return None if value is _NONE else value


def read_path(obj: ManagedObject, path: str) -> Any:
    """The encoded value of ``path`` for an ``Any`` slot, or :data:`UNSET`. Raises :class:`InvalidPath`."""
    parts = path.split(".")
    declared = obj.PROPERTIES.get(parts[0])
    if declared is None or any(not p for p in parts):
        raise InvalidPath(path)
    value = top_value(obj, parts[0])
    for part in parts[1:]:
        nxt = _field_type(declared, part)
        if nxt is None:
            # a subtype or an unknown-to-us type that carries the field as an extra
            if isinstance(value, wire.VimObject) and (
                part in type(value).model_fields or part in (value.model_extra or {})
            ):
                nxt = _field_type(value.vim_type, part) or "anyType"
            else:
                raise InvalidPath(path)
        declared = nxt
        if value is None:
            continue  # keep validating the rest of the path
        value = getattr(value, part, None) if part in type(value).model_fields else (value.model_extra or {}).get(part)
    if value is None:
        return UNSET
    return encode_declared(value, declared)


def encode_declared(value: Any, declared: str) -> Any:
    """Encode ``value`` for an ``Any`` slot by its declared VMware type."""
    if declared.startswith("ArrayOf"):
        return wire.box(Boxed(declared, list(value)))
    if isinstance(value, MoRef):
        return value.to_wire()
    if isinstance(value, wire.VimObject):
        return value.to_wire()
    if declared == "anyType":
        return wire.box(value)
    if declared == "int" and isinstance(value, int) and abs(value) >= 2**31:
        declared = "long"
    return wire.box(Boxed(declared, value))


@lru_cache(maxsize=512)
def _check_fields(cls: type, keys: frozenset[str]) -> None:
    known = {(f.alias or n) for n, f in cls.model_fields.items() if n != "vim_type"}  # type: ignore[attr-defined]
    unknown = keys - known
    if unknown:
        raise TypeError(f"{cls.__name__} has no fields {sorted(unknown)}")


def envelope(cls: type[wire.VimObject], **fields: Any) -> dict[str, Any]:
    """The wire form of ``cls`` around *already encoded* member values (unset ones left out).

    The type name and field names come from the wire model (checked once per field combination), so this
    is the model's encoding without re-walking values that are cached wire dicts — the hot path of
    RetrievePropertiesEx and WaitForUpdatesEx.
    """
    _check_fields(cls, frozenset(fields))
    out: dict[str, Any] = {"_typeName": cls.__name__}
    for key, value in fields.items():
        if value is not None:
            out[key] = value
    return out
