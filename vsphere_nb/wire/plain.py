"""Readers of *plain* wire JSON: the dicts a journal keeps and bulk reads leave undecoded.

The batch engine keeps what vCenter said as the server wrote it (the journal records only that), and the frames
are built from those dicts without building a pydantic model per row. This module is the one place outside the
models that knows how such a dict is shaped: ``_typeName``, ``_value`` boxes, flat or boxed MoRefs, the SOAP-era
``LocalizedMethodFault`` wrapper, ``faultCause`` chains, ``LocalizableMessage`` arguments, event fields.

Every reader is total: a value of an unexpected shape reads as ``None`` (or an empty list), never raises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from .base import lookup
from .codec import ref_value
from .values import parse_datetime

__all__ = [
    "unbox",
    "moid",
    "ref_parts",
    "is_a",
    "unwrap_fault",
    "fault_chain",
    "fault_events",
    "fault_text",
    "fault_type",
    "message_args_text",
    "FaultRow",
    "fault_rows",
    "task_state",
    "task_entity",
    "task_queue_time",
    "EventRef",
    "event_ref",
]


# ---------------------------------------------------------------------------------------------
# values and references
# ---------------------------------------------------------------------------------------------
def unbox(value: Any) -> Any:
    """The value inside a ``{"_typeName": ..., "_value": ...}`` box (anything else as it is)."""
    if isinstance(value, dict) and "_value" in value and value.get("_typeName") != "ManagedObjectReference":
        return value["_value"]
    return value


def moid(value: Any) -> str | None:
    """``task-1`` from a MoRef dict (flat or boxed), or a plain string; else ``None``."""
    if isinstance(value, str):
        return value
    return ref_value(value)


def ref_parts(value: Any) -> tuple[Any, Any] | None:
    """``(type, value)`` of a MoRef dict (flat or boxed); ``None`` for anything else."""
    if isinstance(value, dict):
        boxed = value.get("_value")
        inner = boxed if isinstance(boxed, dict) else value
        return inner.get("type"), inner.get("value")
    return None


@lru_cache(maxsize=1024)
def is_a(type_name: str, ancestor: str) -> bool:
    """Whether the wire type ``type_name`` is ``ancestor`` or one of its subtypes (unknown names: ``False``)."""
    cls, base = lookup(type_name), lookup(ancestor)
    return cls is not None and base is not None and issubclass(cls, base)


# ---------------------------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------------------------
def unwrap_fault(fault: Any) -> dict[str, Any] | None:
    """The fault dict itself: unwraps the SOAP-era ``LocalizedMethodFault`` ``{fault, localizedMessage}``."""
    for _ in range(4):
        if not isinstance(fault, dict):
            return None
        if fault.get("_typeName") == "LocalizedMethodFault" and isinstance(fault.get("fault"), dict):
            inner = dict(fault["fault"])
            text = fault.get("localizedMessage")
            if isinstance(text, str) and "faultstring" not in inner:
                inner["localizedMessage"] = text
            fault = inner
            continue
        return fault
    return fault if isinstance(fault, dict) else None


def fault_chain(fault: Any, limit: int = 32) -> list[dict[str, Any]]:
    """The fault and every ``faultCause`` below it, unwrapped, outermost first."""
    chain: list[dict[str, Any]] = []
    node = unwrap_fault(fault)
    while node is not None and len(chain) < limit:
        chain.append(node)
        node = unwrap_fault(node.get("faultCause"))
    return chain


def fault_events(fault: Any) -> list[dict[str, Any]]:
    """The ``event`` lists of every ``DasConfigFault`` in the fault chain (what explains the failure)."""
    events: list[dict[str, Any]] = []
    for node in fault_chain(fault):
        found = node.get("event")
        if isinstance(found, list):
            events.extend(e for e in found if isinstance(e, dict))
    return events


def fault_type(fault: Mapping[str, Any]) -> str:
    name = fault.get("_typeName")
    return name if isinstance(name, str) and name else "MethodFault"


def _str_field(fault: Mapping[str, Any], name: str) -> str | None:
    value = fault.get(name)
    return value if isinstance(value, str) and value else None


def _type_specific(fault: Mapping[str, Any], type_name: str) -> str | None:
    """What a fault type's own fields say, for faults that carry no message."""
    if is_a(type_name, "DasConfigFault"):
        parts = []
        reason, output = fault.get("reason"), fault.get("output")
        if isinstance(reason, str) and reason:
            parts.append(f"reason {reason}")
        if isinstance(output, str) and output.strip():
            parts.append(output.strip().splitlines()[-1])
        return f"vSphere HA configuration failed ({'; '.join(parts)})" if parts else None
    if is_a(type_name, "NoPermission"):
        privs: list[str] = []
        for entry in fault.get("missingPrivileges") or []:
            if isinstance(entry, dict):
                privs.extend(p for p in entry.get("privilegeIds") or [] if isinstance(p, str))
        if not privs and _str_field(fault, "privilegeId"):
            privs.append(fault["privilegeId"])
        if privs:
            ref = ref_parts(fault.get("object"))
            target = f" on {ref[1]}" if ref else ""
            return f"permission denied{target}: missing {', '.join(privs)}"
        return None
    if is_a(type_name, "ManagedObjectNotFound"):
        ref = ref_parts(fault.get("obj"))
        return f"managed object {ref[0]}:{ref[1]} not found" if ref else None
    for ancestor, name, template in (
        ("InvalidArgument", "invalidProperty", "invalid argument: {}"),
        ("InvalidProperty", "name", "invalid property: {}"),
        ("MethodNotFound", "method", "method not found: {}"),
        ("SystemError", "reason", "{}"),
    ):
        if is_a(type_name, ancestor):
            value = _str_field(fault, name)
            return template.format(value) if value else None
    return None


def fault_text(fault: Mapping[str, Any]) -> str:
    """The readable message of one (unwrapped) fault dict: ``faultMessage[].message``, then ``faultstring``
    (or a ``LocalizedMethodFault``'s ``localizedMessage``), then what the type's fields say, then the type name.
    :func:`vsphere_nb.wire.fault_message` gives the same text for a decoded fault."""
    type_name = fault_type(fault)
    messages = fault.get("faultMessage")
    if isinstance(messages, list):
        texts = [
            m["message"] for m in messages if isinstance(m, dict) and isinstance(m.get("message"), str) and m["message"]
        ]
        if texts:
            return " ".join(texts)
    for name in ("faultstring", "localizedMessage"):
        text = _str_field(fault, name)
        if text:
            return text
    return _type_specific(fault, type_name) or type_name


def _arg_value(value: Any) -> Any:
    if isinstance(value, dict) and value.get("_typeName") == "ManagedObjectReference":
        parts = ref_parts(value)
        return f"{parts[0]}:{parts[1]}" if parts else None
    return unbox(value)


def message_args_text(args: Any) -> str | None:
    """A ``LocalizableMessage.arg`` list as compact JSON ``{"key": value}`` (MoRefs as ``Type:moId``)."""
    if not isinstance(args, list) or not args:
        return None
    out = {}
    for arg in args:
        if isinstance(arg, dict) and isinstance(arg.get("key"), str):
            out[arg["key"]] = _arg_value(arg.get("value"))
    return json.dumps(out, ensure_ascii=False, default=str, sort_keys=False)


class FaultRow(NamedTuple):
    """One fault of a chain as the faults frame shows it; ``messages`` are ``(key, message, args_text)``."""

    depth: int
    type_name: str
    reason: str | None
    output: str | None
    text: str
    messages: list[tuple[Any, Any, str | None]]


def fault_rows(fault: Any) -> list[FaultRow]:
    """Every fault of ``fault``'s chain (outermost first) with its readable text and localizable messages."""
    rows = []
    for depth, node in enumerate(fault_chain(fault)):
        messages = node.get("faultMessage")
        found = (
            [(m.get("key"), m.get("message"), message_args_text(m.get("arg"))) for m in messages if isinstance(m, dict)]
            if isinstance(messages, list)
            else []
        )
        rows.append(
            FaultRow(
                depth, fault_type(node), _str_field(node, "reason"), _str_field(node, "output"), fault_text(node), found
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# tasks
# ---------------------------------------------------------------------------------------------
def task_state(info: Mapping[str, Any] | None) -> str | None:
    """``TaskInfo.state`` of a TaskInfo dict (boxed or not): ``queued|running|success|error``."""
    if not info:
        return None
    state = unbox(info.get("state"))
    return state if isinstance(state, str) else None


def task_entity(info: Mapping[str, Any] | None) -> str | None:
    """The moId of ``TaskInfo.entity``."""
    return moid(info.get("entity")) if info else None


def task_queue_time(info: Mapping[str, Any] | None) -> datetime | None:
    """``TaskInfo.queueTime`` as an aware datetime (``None`` if absent or unreadable)."""
    value = info.get("queueTime") if info else None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except (ValueError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------
# events
# ---------------------------------------------------------------------------------------------
class EventRef(NamedTuple):
    """What matches an event to a host attempt: its key, chain id, type, host moId and time; plus the dict."""

    key: int | None
    chain_id: int | None
    type_name: str
    host_moid: str | None
    created: datetime | None
    wire: dict[str, Any]


def event_ref(event: Any) -> EventRef | None:
    """The matching fields of one event dict (``None`` for anything that is not an event object)."""
    if not isinstance(event, dict) or not isinstance(event.get("_typeName"), str):
        return None
    key, chain, host = event.get("key"), event.get("chainId"), event.get("host")
    created: datetime | None = None
    if isinstance(event.get("createdTime"), str):
        try:
            created = parse_datetime(event["createdTime"])
        except ValueError:
            created = None
    return EventRef(
        key if type(key) is int else None,
        chain if type(chain) is int else None,
        event["_typeName"],
        ref_value(host.get("host")) if isinstance(host, dict) else None,
        created,
        event,
    )
