"""PropertyCollector and view data types."""

from __future__ import annotations

from typing import Any

from pydantic import PrivateAttr, ValidationError, field_validator, model_validator

from ._common import AnyValue, Known, PropertyValue
from .base import VimObject
from .codec import describe_error
from .enums import ObjectUpdateKind, PropertyChangeOp
from .faults import MethodFault
from .moref import ManagedObjectReference
from .values import UndecodedValue

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
    """A page of ``RetrievePropertiesEx``. Decoded object by object when the page as a whole does not decode: an
    object whose ``propSet`` or ``missingSet`` is malformed keeps its readable properties (the others become
    :class:`~vsphere_nb.wire.UndecodedValue` s), and an object without a usable ``obj`` is set aside in
    :attr:`unreadable` — one broken object never costs the page."""

    token: str | None = None
    objects: list[ObjectContent] = []
    _unreadable: list[UndecodedValue] = PrivateAttr(default_factory=list)

    @field_validator("objects", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @model_validator(mode="wrap")
    @classmethod
    def _object_by_object(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError:
            items = data.get("objects") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise
        kept: list[ObjectContent] = []
        lost: list[UndecodedValue] = []
        for item in items:
            try:
                kept.append(ObjectContent.model_validate(item))
            except ValidationError as exc:
                salvaged = _salvage(item)
                if salvaged is None:
                    lost.append(UndecodedValue(raw=item, reason=describe_error(exc)))
                else:
                    kept.append(salvaged)
        result = handler({**data, "objects": kept})
        result._unreadable = lost
        return result

    @property
    def unreadable(self) -> list[UndecodedValue]:
        """Objects of this page that could not be attributed (no usable ``obj``), as the server sent them."""
        return list(self._unreadable)


def _salvage(item: Any) -> ObjectContent | None:
    """What can be read of an ``ObjectContent`` that does not decode as a whole; ``None`` without a usable ``obj``."""
    if not isinstance(item, dict):
        return None
    try:
        obj = ManagedObjectReference.model_validate(item.get("obj"))
    except ValidationError:
        return None
    raw_props = item.get("propSet")
    props: list[DynamicProperty] = []
    if raw_props is not None and not isinstance(raw_props, list):
        props.append(DynamicProperty(name="propSet", val=UndecodedValue(raw=raw_props, reason="propSet is not a list")))
    for i, entry in enumerate(raw_props if isinstance(raw_props, list) else []):
        try:
            props.append(DynamicProperty.model_validate(entry))
        except ValidationError as exc:
            name = entry.get("name") if isinstance(entry, dict) else None
            label = name if isinstance(name, str) and name else f"propSet[{i}]"
            props.append(DynamicProperty(name=label, val=UndecodedValue(raw=entry, reason=describe_error(exc))))
    missing: list[MissingProperty] = []
    raw_missing = item.get("missingSet")
    for entry in raw_missing if isinstance(raw_missing, list) else []:
        try:
            missing.append(MissingProperty.model_validate(entry))
        except ValidationError as exc:
            reason = describe_error(exc)
            props.append(DynamicProperty(name="missingSet", val=UndecodedValue(raw=entry, reason=reason)))
    return ObjectContent(obj=obj, propSet=props, missingSet=missing or None)


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
