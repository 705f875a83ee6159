"""PropertyCollector and view data types."""

from __future__ import annotations

from typing import Any, Optional

from ._common import AnyValue, Known
from .base import VimObject
from .enums import ObjectUpdateKind, PropertyChangeOp
from .faults import MethodFault
from .moref import ManagedObjectReference

__all__ = [
    "SelectionSpec", "TraversalSpec", "ObjectSpec", "PropertySpec", "PropertyFilterSpec", "RetrieveOptions",
    "RetrieveResult", "ObjectContent", "DynamicProperty", "MissingProperty", "WaitOptions", "UpdateSet",
    "PropertyFilterUpdate", "ObjectUpdate", "PropertyChange", "MissingObject",
]


class SelectionSpec(VimObject):
    name: Optional[str] = None


class TraversalSpec(SelectionSpec):
    type: str
    path: str
    skip: Optional[bool] = False
    selectSet: Optional[list[SelectionSpec]] = None


class ObjectSpec(VimObject):
    obj: ManagedObjectReference
    skip: Optional[bool] = False
    selectSet: Optional[list[SelectionSpec]] = None


class PropertySpec(VimObject):
    type: str
    all: Optional[bool] = None
    pathSet: Optional[list[str]] = None


class PropertyFilterSpec(VimObject):
    propSet: list[PropertySpec]
    objectSet: list[ObjectSpec]
    reportMissingObjectsInResults: Optional[bool] = None


class RetrieveOptions(VimObject):
    maxObjects: Optional[int] = None


class DynamicProperty(VimObject):
    name: str
    val: AnyValue = None


class MissingProperty(VimObject):
    path: str
    fault: MethodFault


class ObjectContent(VimObject):
    obj: ManagedObjectReference
    propSet: Optional[list[DynamicProperty]] = None
    missingSet: Optional[list[MissingProperty]] = None

    def props(self) -> dict[str, Any]:
        return {p.name: p.val for p in self.propSet or []}


class RetrieveResult(VimObject):
    token: Optional[str] = None
    objects: list[ObjectContent] = []


class WaitOptions(VimObject):
    maxWaitSeconds: Optional[int] = None
    maxObjectUpdates: Optional[int] = None


class PropertyChange(VimObject):
    name: str
    op: Known(PropertyChangeOp)
    val: AnyValue = None


class ObjectUpdate(VimObject):
    kind: Known(ObjectUpdateKind)
    obj: ManagedObjectReference
    changeSet: Optional[list[PropertyChange]] = None
    missingSet: Optional[list[MissingProperty]] = None


class MissingObject(VimObject):
    obj: ManagedObjectReference
    fault: MethodFault


class PropertyFilterUpdate(VimObject):
    filter: ManagedObjectReference
    objectSet: Optional[list[ObjectUpdate]] = None
    missingSet: Optional[list[MissingObject]] = None


class UpdateSet(VimObject):
    version: str
    filterSet: Optional[list[PropertyFilterUpdate]] = None
    truncated: Optional[bool] = None
