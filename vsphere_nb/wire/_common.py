"""Shared field types for the wire models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

from .codec import decode_any, decode_property
from .values import format_datetime, parse_datetime


def _to_utc(value: object) -> object:
    if isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


#: a tz-aware datetime; naive input is taken as UTC; written as ``…Z``
UtcDatetime = Annotated[datetime, BeforeValidator(_to_utc), PlainSerializer(format_datetime)]


def _known(enum_cls: type) -> Callable[[object], object]:
    members = enum_cls._value2member_map_  # type: ignore[attr-defined]

    def convert(value: object) -> object:
        if isinstance(value, str) and not isinstance(value, enum_cls) and value in members:
            return members[value]
        return value

    return convert


def Known(enum_cls: type) -> Any:
    """``Known(TaskInfoState)``: the enum member for known values, the plain string for unknown ones."""

    return Annotated[enum_cls | str, BeforeValidator(_known(enum_cls))]


def _decode_any_slot(value: object) -> object:
    return decode_any(value)


#: a slot typed ``Any`` in VMware's tables: boxed on the wire, plain Python in the model
AnyValue = Annotated[Any, BeforeValidator(_decode_any_slot)]


def _decode_property_slot(value: object) -> object:
    return decode_property(value)


#: a property value of a ``RetrievePropertiesEx`` page (``DynamicProperty.val``): an
#: ``Any`` slot where a value that does not decode becomes an :class:`~.values.UndecodedValue` rather than failing
#: the whole answer — one odd property of one object must not cost every other object
PropertyValue = Annotated[Any, BeforeValidator(_decode_property_slot)]
