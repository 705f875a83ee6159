"""PropertyCollector and view data types."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from ._common import AnyValue, Known, PropertyValue
from .base import VimObject
from .enums import ObjectUpdateKind, PropertyChangeOp
from .faults import MethodFault
from .moref import ManagedObjectReference

__all__ = [
    "SelectionSpec",
    "TraversalSpec",
    "ObjectSpec",
    "PropertySpec",
    "PropertyFilterSpec",
    "RetrieveOptions",
    "RetrieveResult",
    "ObjectContent",
    "DynamicProperty",
    "MissingProperty",
    "WaitOptions",
    "UpdateSet",
    "PropertyFilterUpdate",
    "ObjectUpdate",
    "PropertyChange",
    "MissingObject",
]


class SelectionSpec(VimObject):
    name: str | None = None


class TraversalSpec(SelectionSpec):
    type: str
    path: str
    skip: bool | None = False
    selectSet: list[SelectionSpec] | None = None


class ObjectSpec(VimObject):
    obj: ManagedObjectReference
    skip: bool | None = False
    selectSet: list[SelectionSpec] | None = None


class PropertySpec(VimObject):
    type: str
    all: bool | None = None
    pathSet: list[str] | None = None


class PropertyFilterSpec(VimObject):
    propSet: list[PropertySpec]
    objectSet: list[ObjectSpec]
    reportMissingObjectsInResults: bool | None = None


class RetrieveOptions(VimObject):
    maxObjects: int | None = None


class DynamicProperty(VimObject):
    name: str
    #: the decoded value, or an ``UndecodedValue`` when the server sent something that does not decode
    val: PropertyValue = None


class MissingProperty(VimObject):
    path: str
    fault: MethodFault


class ObjectContent(VimObject):
    obj: ManagedObjectReference
    propSet: list[DynamicProperty] | None = None
    missingSet: list[MissingProperty] | None = None

    def props(self) -> dict[str, Any]:
        return {p.name: p.val for p in self.propSet or []}


class RetrieveResult(VimObject):
    token: str | None = None
    objects: list[ObjectContent] = []

    @field_validator("objects", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class WaitOptions(VimObject):
    maxWaitSeconds: int | None = None
    maxObjectUpdates: int | None = None


class PropertyChange(VimObject):
    name: str
    op: Known(PropertyChangeOp)
    #: strict, unlike ``DynamicProperty.val``: an update set is applied as a whole (the batch engine rebuilds a
    #: ``TaskInfo`` from ``info.*`` changes), so a change that does not decode fails the answer (``ProtocolError``)
    #: and the waiter asks again or polls
    val: AnyValue = None


class ObjectUpdate(VimObject):
    kind: Known(ObjectUpdateKind)
    obj: ManagedObjectReference
    changeSet: list[PropertyChange] | None = None
    missingSet: list[MissingProperty] | None = None


class MissingObject(VimObject):
    obj: ManagedObjectReference
    fault: MethodFault


class PropertyFilterUpdate(VimObject):
    filter: ManagedObjectReference
    objectSet: list[ObjectUpdate] | None = None
    missingSet: list[MissingObject] | None = None


class UpdateSet(VimObject):
    version: str
    filterSet: list[PropertyFilterUpdate] | None = None
    truncated: bool | None = None
