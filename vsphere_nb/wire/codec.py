"""Encoding and decoding of VI/JSON values, including boxed ``Any`` values.

* :func:`decode_any` turns any JSON value into Python: data objects into their model (by ``_typeName``,
  unknown names into a generic :class:`VimObject` that keeps every field), boxed values
  ``{"_typeName": "string", "_value": "esx01"}`` into plain values, ``ArrayOf…`` into lists,
  enum values into their :class:`VimEnum` (unknown values stay strings).
* :func:`box` is the inverse for ``Any`` slots; :class:`Boxed` forces a wire type (``ArrayOfEvent`` for
  an empty list, ``long`` for a small integer …).
* :func:`decode_body` / :func:`decode_as` turn raw bytes into values and raise
  :class:`~vsphere_nb.errors.ProtocolError` for anything that is not well-formed VI/JSON — never
  another exception type.

Tolerance for what real servers send (one odd value must never cost a whole answer):

* an empty boxed array may come as ``{"_typeName": "ArrayOfString", "_value": null}`` (govmomi) or without
  ``_value`` at all: both read as ``[]``;
* an unknown ``_typeName`` inside ``ArrayOfX`` (a newer server's subtype of ``X``) decodes as ``X`` with its
  wire name and extra fields kept, like an unknown subtype in a typed slot (see :mod:`.base`); alone in an
  ``Any`` slot it is a generic :class:`VimObject` (nested objects decoded) that :func:`as_declared` turns into
  the type the caller knows the slot holds;
* :func:`decode_property` (used for the property values of a ``RetrievePropertiesEx`` page,
  ``DynamicProperty.val``) turns a value that still does not decode into an :class:`UndecodedValue` — the raw
  JSON and the reason — instead of failing the whole page, so the caller can flag that one object.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from pydantic import ValidationError

from .base import ENUMS, REGISTRY, VimEnum, VimObject

__all__ = [
    "Boxed",
    "box",
    "decode_any",
    "decode_body",
    "decode_as",
    "encode_value",
    "format_datetime",
    "parse_datetime",
    "parse_body",
    "ref_value",
    "unbox_list",
    "UndecodedValue",
    "as_declared",
    "decode_property",
    "describe_error",
]

T = TypeVar("T", bound=VimObject)

_PRIMITIVES_STR = {"string", "anyURI", "base64Binary", "TypeName", "MethodName", "PropertyPath"}
_PRIMITIVES_INT = {"int", "long", "short", "byte"}
_PRIMITIVES_FLOAT = {"double", "float"}


@dataclass(frozen=True)
class Boxed:
    """A value with an explicit wire type for an ``Any`` slot (e.g. ``Boxed("ArrayOfEvent", [])``)."""

    type_name: str
    value: Any


@dataclass(frozen=True)
class UndecodedValue:
    """A property value that is not valid VI/JSON for its type, kept as the server sent it.

    ``raw`` is the wire JSON, ``reason`` a one-line explanation (at most 200 characters, server text included
    as is: escape it before showing it). Encoding an ``UndecodedValue`` writes ``raw`` back unchanged.
    """

    raw: Any
    reason: str

    @property
    def type_name(self) -> str | None:
        """The value's ``_typeName`` as sent, when it had one."""
        name = self.raw.get("_typeName") if isinstance(self.raw, dict) else None
        return name if isinstance(name, str) else None

    def __str__(self) -> str:
        return f"undecodable {self.type_name or type(self.raw).__name__}: {self.reason}"


def format_datetime(value: datetime) -> str:
    """``2026-03-01T08:57:35.279575Z``: UTC, microseconds, four-digit year (naive values are taken as UTC)."""
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_datetime(value: str) -> datetime:
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


# ---------------------------------------------------------------------------------------------
# decoding
# ---------------------------------------------------------------------------------------------
def _decode_typed(value: Any, type_name: str) -> Any:
    if type_name.startswith("ArrayOf"):
        if value is None:
            return []  # an empty array as govmomi writes it
        elem = type_name[len("ArrayOf") :]
        if not isinstance(value, list):
            raise ValueError(f"{type_name} expects a list")
        return [_decode_typed(v, elem) if not isinstance(v, dict) else _decode_element(v, elem) for v in value]
    if type_name in _PRIMITIVES_STR:
        if not isinstance(value, str):
            raise ValueError(f"{type_name} expects a string")
        return value
    if type_name == "boolean":
        if not isinstance(value, bool):
            raise ValueError("boolean expects true/false")
        return value
    if type_name in _PRIMITIVES_INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{type_name} expects an integer")
        return value
    if type_name in _PRIMITIVES_FLOAT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{type_name} expects a number")
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"{type_name} value out of range") from None
    if type_name == "dateTime":
        if not isinstance(value, str):
            raise ValueError("dateTime expects a string")
        return parse_datetime(value)
    enum_cls = ENUMS.get(type_name)
    if enum_cls is not None and isinstance(value, str):
        try:
            return enum_cls(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return decode_any({"_typeName": type_name, **value} if "_typeName" not in value else value)
    if enum_cls is None and type_name not in REGISTRY and not isinstance(value, str):
        # an unknown name boxing a list, number or boolean: no VMware type is written that way (a newer server's
        # enum boxes text, which is kept): the value cannot be read as anything
        raise ValueError(f"unknown boxed type {type_name[:60]!r} holding a {type(value).__name__}")
    return value


def _decode_element(value: dict[str, Any], elem: str) -> Any:
    """One data object of an ``ArrayOf{elem}``: an unknown ``_typeName`` (a newer subtype) decodes as ``elem``."""
    type_name = value.get("_typeName")
    if isinstance(type_name, str) and type_name not in REGISTRY and "_value" not in value:
        base = REGISTRY.get(elem)
        if base is not None:
            return base.model_validate(value)
    return decode_any(value)


def decode_any(value: Any) -> Any:
    """Decode any VI/JSON value (see module doc). Raises ``ValueError``/``ValidationError`` on bad shapes."""
    if isinstance(value, list):
        return [decode_any(v) for v in value]
    if not isinstance(value, dict):
        return value
    type_name = value.get("_typeName")
    if not isinstance(type_name, str):
        return {k: decode_any(v) for k, v in value.items()}
    if "_value" in value and type_name != "ManagedObjectReference":
        return _decode_typed(value["_value"], type_name)
    if type_name.startswith("ArrayOf"):
        return []  # a boxed array without ``_value``: empty
    cls = REGISTRY.get(type_name)
    if cls is None:
        # unknown data object: keep it whole, typed by name; the data objects and references inside it are
        # decoded (they re-encode to the same JSON), boxed primitives stay as sent (their wire type would be lost)
        return VimObject.model_validate({k: _decode_nested(v) for k, v in value.items()})
    return cls.model_validate(value)


def _decode_nested(value: Any) -> Any:
    """A field of an unknown data object: data objects and MoRefs (and lists of them) decoded, all else as is."""
    if isinstance(value, dict):
        return decode_any(value) if isinstance(value.get("_typeName"), str) and "_value" not in value else value
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_decode_nested(v) for v in value]
    return value


def as_declared(value: Any, cls: type[T]) -> Any:
    """``value`` read as ``cls`` when it is a generic :class:`VimObject` — an unknown ``_typeName`` met in an
    ``Any`` slot whose type the caller knows (a property path such as ``runtime.dasHostState``): a newer server's
    subtype then becomes its declared base type with the wire name and extra fields kept. Other values are returned
    unchanged; one that does not fit ``cls`` becomes an :class:`UndecodedValue`."""
    if type(value) is not VimObject:
        return value
    wire_form = value.to_wire()
    try:
        return cls.model_validate(wire_form)
    except _DECODE_ERRORS as exc:
        return UndecodedValue(raw=wire_form, reason=_short(exc))


#: what a bad value can raise while decoding (pydantic's ValidationError is a ValueError)
_DECODE_ERRORS = (ValueError, TypeError, ValidationError, RecursionError, KeyError, AttributeError, ArithmeticError)


def decode_property(value: Any) -> Any:
    """:func:`decode_any` for a property value: one that does not decode becomes an :class:`UndecodedValue`
    instead of an exception, so the rest of the answer (every other object) is kept."""
    try:
        return decode_any(value)
    except _DECODE_ERRORS as exc:
        return UndecodedValue(raw=value, reason=_short(exc))


def decode_body(body: bytes | str) -> Any:
    """Parse a response body. Empty bodies decode to ``None``. Raises ``ProtocolError``."""
    from ..errors import ProtocolError

    data = parse_body(body)
    try:
        return decode_any(data)
    except _DECODE_ERRORS as exc:
        raise ProtocolError(f"response body is not valid VI/JSON: {_short(exc)}") from exc


def parse_body(body: bytes | str) -> Any:
    """A response body as plain JSON (``_typeName`` s and boxes as the server wrote them); empty → ``None``.
    Raises ``ProtocolError``. For bulk reads whose caller picks out a few fields itself (event pages)."""
    from ..errors import ProtocolError

    if isinstance(body, (bytes, bytearray)):
        if not body.strip():
            return None
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("response body is not UTF-8") from exc
    else:
        text = body
        if not text.strip():
            return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"response body is not JSON: {_snippet(text)}") from exc


def unbox_list(value: Any) -> list[Any]:
    """The items of a plain JSON array value, boxed (``{"_typeName": "ArrayOfEvent", "_value": [...]}``) or not;
    ``[]`` for anything else (an unset result)."""
    if isinstance(value, dict) and isinstance(value.get("_value"), list):
        value = value["_value"]
    return value if isinstance(value, list) else []


def ref_value(value: Any) -> str | None:
    """The moId of a plain JSON ``ManagedObjectReference``, flat or boxed (``{"_value": {...}}``); else ``None``."""
    if not isinstance(value, dict):
        return None
    inner = value.get("_value")
    if isinstance(inner, dict):
        value = inner
    moid = value.get("value")
    return moid if isinstance(moid, str) else None


def decode_as(data: Any, cls: type[T]) -> T:
    """Validate already-parsed JSON (or a decoded object) as ``cls``. Raises ``ProtocolError``."""
    from ..errors import ProtocolError

    if isinstance(data, cls):
        return data
    if isinstance(data, VimObject):
        data = data.to_wire()
    try:
        return cls.model_validate(data)
    except _DECODE_ERRORS as exc:
        raise ProtocolError(f"expected {cls.__name__}: {_short(exc)}") from exc


def _snippet(text: str, limit: int = 120) -> str:
    """One line of at most ``limit`` characters; control characters (server text may hold them) escaped."""
    text = " ".join(text.split())
    if not text.isprintable():
        text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return text[:limit] + ("…" if len(text) > limit else "")


def describe_error(exc: BaseException) -> str:
    """A decoding error in one line of at most 200 characters, without the offending input."""
    return _short(exc)


def _short(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        # "ClusterDasFdmHostState.state: Input should be a valid string", not "1 validation error for …"
        problems = exc.errors(include_url=False, include_input=False)
        if problems:
            first = problems[0]
            where = ".".join(str(part) for part in (exc.title, *first.get("loc", ())))
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            return _snippet(f"{where}: {first.get('msg', 'invalid')}{more}", 200)
    return _snippet(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 200)


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
