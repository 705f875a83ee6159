"""Decoding of VI/JSON values, including boxed ``Any`` values (their encoding lives with the models, in
:mod:`.base`, since a model writes itself: :func:`~.base.box`, :func:`~.base.encode_value`).

* :func:`decode_any` turns any JSON value into Python: data objects into their model (by ``_typeName``,
  unknown names into a generic :class:`VimObject` that keeps every field), boxed values
  ``{"_typeName": "string", "_value": "esx01"}`` into plain values, ``ArrayOf…`` into lists,
  enum values into their :class:`VimEnum` (unknown values stay strings).
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
from typing import Any, TypeVar

from pydantic import ValidationError

from ..errors import ProtocolError
from .base import ENUMS, REGISTRY, VimObject
from .values import UndecodedValue, parse_datetime

__all__ = [
    "decode_any",
    "decode_body",
    "decode_as",
    "parse_body",
    "ref_value",
    "unbox_list",
    "as_declared",
    "decode_property",
    "describe_error",
]

T = TypeVar("T", bound=VimObject)

_PRIMITIVES_STR = {"string", "anyURI", "base64Binary", "TypeName", "MethodName", "PropertyPath"}
_PRIMITIVES_INT = {"int", "long", "short", "byte"}
_PRIMITIVES_FLOAT = {"double", "float"}


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
    data = parse_body(body)
    try:
        return decode_any(data)
    except _DECODE_ERRORS as exc:
        raise ProtocolError(f"response body is not valid VI/JSON: {_short(exc)}") from exc


def parse_body(body: bytes | str) -> Any:
    """A response body as plain JSON (``_typeName`` s and boxes as the server wrote them); empty → ``None``.
    Raises ``ProtocolError``. For bulk reads whose caller picks out a few fields itself (event pages)."""
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
