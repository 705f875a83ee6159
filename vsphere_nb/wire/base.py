"""The base of every VI/JSON data object: ``_typeName`` handling, a registry, polymorphic decoding.

Design (one definition of the wire format, shared by the client and the simulator):

* Every data object is a pydantic v2 model deriving from :class:`VimObject`. The class name is the
  VMware WSDL type name and field names are VMware's own camelCase property names, so a model reads
  like the API reference and the pyVmomi type tables.
* ``_typeName`` is kept per instance (``obj.vim_type``). A known name decodes to its class; an unknown
  name decodes to the class the slot expects (the nearest known base) and keeps the wire name and
  every field it carries, so nothing is dropped silently and nothing is fatal.
* Unknown fields are kept (``extra="allow"``) and written back on encode.
* Encoding (:meth:`VimObject.to_wire`) always emits ``_typeName`` first and omits unset fields. The encoding
  of any value lives here too (:func:`encode_value`, and :func:`box` for ``Any`` slots, with :class:`~.values.Boxed`
  forcing a wire type: ``ArrayOfEvent`` for an empty list, ``long`` for a small integer …), since a model writes
  itself; decoding is :mod:`.codec`, which reads this module and is never read by it.
* Classes register themselves by wire name (:data:`REGISTRY`, :data:`ENUMS`); code that needs a model defined
  further up (the fault unwrapping below needs ``MethodFault``) finds it there rather than importing it.
"""

from __future__ import annotations

import enum
import typing
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .values import Boxed, UndecodedValue, format_datetime

__all__ = ["VimObject", "VimEnum", "REGISTRY", "ENUMS", "lookup", "ancestry", "box", "encode_value", "is_any_slot"]

#: wire type name -> model class, filled by ``VimObject.__pydantic_init_subclass__``
REGISTRY: dict[str, type[VimObject]] = {}
#: wire type name -> enum class
ENUMS: dict[str, type[VimEnum]] = {}


class VimEnum(str, enum.Enum):  # noqa: UP042 -- StrEnum would change str() and format() of every member
    """A VMware enumeration. Values are plain strings on the wire.

    Slots typed with an enum are annotated ``EnumType | str`` so that a value a newer server sends
    (unknown to this release) is kept as a plain string instead of failing validation.
    """

    def __str__(self) -> str:  # "error", not "TaskInfoState.error"
        return str(self.value)

    @classmethod
    def vim_name(cls) -> str:
        return cls.__name__


def _register_enum(cls: type[VimEnum]) -> type[VimEnum]:
    ENUMS[cls.__name__] = cls
    return cls


class VimObject(BaseModel):
    """Base of all VI/JSON data objects (``DynamicData`` in VMware's tables)."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        arbitrary_types_allowed=True,
        use_enum_values=False,
        ser_json_timedelta="float",
    )

    #: the ``_typeName`` on the wire; defaults to the class name; keeps unknown subtype names
    vim_type: str = Field(default="", alias="_typeName", exclude=True, repr=False)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        REGISTRY[cls.__name__] = cls

    # -- decoding --------------------------------------------------------------------------------
    @model_validator(mode="wrap")
    @classmethod
    def _dispatch(cls, data: Any, handler: Any) -> Any:
        if isinstance(data, dict):
            type_name = data.get("_typeName")
            if type_name == "LocalizedMethodFault" and "fault" in data and cls.__name__ != "LocalizedMethodFault":
                # SOAP-era wrapper: unwrap wherever a fault is expected (MethodFault registers itself in faults)
                method_fault = REGISTRY.get("MethodFault")
                if method_fault is not None and issubclass(cls, method_fault):
                    inner = data.get("fault")
                    if isinstance(inner, dict):
                        inner = dict(inner)
                        if "localizedMessage" in data and "faultstring" not in inner:
                            inner.setdefault("localizedMessage", data["localizedMessage"])
                        return cls.model_validate(inner)
            if type_name == "ManagedObjectReference" and "_value" in data and cls.__name__ == "ManagedObjectReference":
                inner = data["_value"]
                if isinstance(inner, dict):
                    return handler({**inner, "_typeName": "ManagedObjectReference"})
            if isinstance(type_name, str) and type_name and type_name != cls.__name__:
                sub = REGISTRY.get(type_name)
                if sub is not None and sub is not cls and issubclass(sub, cls):
                    return sub.model_validate(data)
        obj = handler(data)
        return obj

    def model_post_init(self, __context: Any) -> None:
        if not self.vim_type:
            object.__setattr__(self, "vim_type", type(self).__name__)

    # -- encoding --------------------------------------------------------------------------------
    def to_wire(self) -> dict[str, Any]:
        """This object as a VI/JSON value: ``_typeName`` first, unset fields left out."""
        out: dict[str, Any] = {"_typeName": self.vim_type or type(self).__name__}
        values = self.__dict__
        for name, key, is_any in _wire_fields(type(self)):
            value = values.get(name)
            if value is None:
                continue
            if is_any:
                out[key] = box(value)
            elif type(value) in _SCALARS:
                out[key] = value
            else:
                out[key] = encode_value(value)
        extra = self.__pydantic_extra__
        if extra:
            for key, value in extra.items():
                if value is not None:
                    out[key] = value if _is_plain_json(value) else encode_value(value, None)
        return out

    @property
    def raw_extra(self) -> dict[str, Any]:
        """Fields the server sent that this release's model does not declare."""
        return dict(self.model_extra or {})

    def is_a(self, type_name: str) -> bool:
        """True if this object's wire type is ``type_name`` or a descendant of it."""
        return type_name in ancestry(self.vim_type or type(self).__name__, fallback=type(self))


#: values written as they are (exact types: a ``VimEnum`` is a ``str`` subclass and is not among them)
_SCALARS = frozenset({str, int, float, bool})
#: model class -> ``(field name, wire key, slot typed Any)`` per declared field, in declaration order
_WIRE_FIELDS: dict[type, tuple[tuple[str, str, bool], ...]] = {}


def _wire_fields(cls: type[VimObject]) -> tuple[tuple[str, str, bool], ...]:
    """What :meth:`VimObject.to_wire` writes for ``cls``, worked out once per class (annotations do not change)."""
    plan = _WIRE_FIELDS.get(cls)
    if plan is None:
        plan = tuple(
            (name, field.alias or name, is_any_slot(field.annotation))
            for name, field in cls.model_fields.items()
            if name != "vim_type"
        )
        _WIRE_FIELDS[cls] = plan
    return plan


def _is_plain_json(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), list, dict)) and not isinstance(
        value, (VimObject, datetime)
    )


def lookup(type_name: str) -> type[VimObject] | None:
    return REGISTRY.get(type_name)


def ancestry(type_name: str, fallback: type | None = None) -> list[str]:
    """``[type_name, parent, …, "DynamicData"]`` from VMware's hierarchy as modelled here.

    An unknown type name inherits the ancestry of ``fallback`` (the class it was decoded into);
    with no fallback, faults default to ``MethodFault`` at the call site.
    """
    cls = REGISTRY.get(type_name) or fallback
    names = [type_name]
    if cls is None:
        return names
    for klass in cls.__mro__:
        if klass is VimObject:
            break
        if isinstance(klass, type) and issubclass(klass, VimObject):
            name = klass.__name__
            if name not in names:
                names.append(name)
    names.append("DynamicData")
    return names


# ---------------------------------------------------------------------------------------------
# encoding
# ---------------------------------------------------------------------------------------------
def is_any_slot(annotation: Any) -> bool:
    """Whether a field annotated ``annotation`` is an ``Any`` slot (its values are boxed on the wire)."""
    if annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return len(args) == 1 and args[0] is Any
    return False


def encode_value(value: Any, annotation: Any = None) -> Any:
    """Encode a Python value for a slot; ``Any`` slots get boxed values."""
    if value is None:
        return None
    if isinstance(value, UndecodedValue):
        return value.raw
    if (annotation is not None and is_any_slot(annotation)) or isinstance(value, Boxed):
        return box(value)
    if isinstance(value, VimObject):
        return value.to_wire()
    if isinstance(value, VimEnum):
        return value.value
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, (list, tuple)):
        return [encode_value(v, None) for v in value]
    if isinstance(value, dict):
        return {k: encode_value(v, None) for k, v in value.items()}
    return value


def _common_type(items: list[Any]) -> str:
    if all(isinstance(i, VimObject) for i in items):
        mros = [
            [k.__name__ for k in type(i).__mro__ if isinstance(k, type) and issubclass(k, VimObject)] for i in items
        ]
        for name in mros[0]:
            if all(name in m for m in mros[1:]):
                return "DynamicData" if name == "VimObject" else name
        return "DynamicData"
    if all(isinstance(i, VimEnum) for i in items):
        names = {type(i).__name__ for i in items}
        if len(names) == 1:
            return names.pop()
    if all(isinstance(i, bool) for i in items):
        return "boolean"
    if all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        return "long" if any(abs(i) >= 2**31 for i in items) else "int"
    if all(isinstance(i, float) for i in items):
        return "double"
    if all(isinstance(i, datetime) for i in items):
        return "dateTime"
    return "string"


def box(value: Any, type_name: str | None = None) -> Any:
    """Encode ``value`` for an ``Any`` slot. Data objects (and MoRefs) are not boxed; everything else is."""
    if isinstance(value, Boxed):
        return box(value.value, value.type_name)
    if isinstance(value, UndecodedValue):
        return value.raw
    if isinstance(value, VimObject) and type_name is None:
        return value.to_wire()
    if isinstance(value, dict) and type_name is None and "_typeName" in value:
        return value  # already wire-shaped
    if type_name is None:
        if isinstance(value, VimEnum):
            type_name = type(value).__name__
        elif isinstance(value, bool):
            type_name = "boolean"
        elif isinstance(value, int):
            type_name = "long" if abs(value) >= 2**31 else "int"
        elif isinstance(value, float):
            type_name = "double"
        elif isinstance(value, datetime):
            type_name = "dateTime"
        elif isinstance(value, str):
            type_name = "string"
        elif isinstance(value, (list, tuple)):
            type_name = "ArrayOf" + (_common_type(list(value)) if value else "string")
        else:
            raise TypeError(f"cannot box {type(value).__name__}")
    if type_name.startswith("ArrayOf"):
        return {"_typeName": type_name, "_value": [encode_value(v, None) for v in value]}
    if isinstance(value, VimObject):
        return value.to_wire()
    return {"_typeName": type_name, "_value": encode_value(value, None)}
