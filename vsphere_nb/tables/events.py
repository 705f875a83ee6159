"""Event wire dicts (``ReadNextEvents`` pages read as plain JSON) reduced to table columns, in one pass.

The history frame (:mod:`vsphere_nb.fleet.history`) is built from these lists; reading the wire format stays here.
An odd value (a key that is not a number, a missing host) becomes ``None`` in its cell, never an error.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

from ..wire.plain import event_severity
from .categories import event_category

__all__ = ["EVENT_ROW_FIELDS", "event_rows"]

#: the columns :func:`event_rows` fills
EVENT_ROW_FIELDS: tuple[str, ...] = (
    "event_key",
    "chain_id",
    "event_type",
    "event_type_id",
    "created_time",
    "user_name",
    "severity",
    "message",
    "category",
    "host_moid",
    "host",
    "cluster_moid",
    "cluster",
    "datacenter",
)


def _ref_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        boxed = value.get("_value")
        inner: Mapping[str, Any] = boxed if isinstance(boxed, Mapping) else value
        v = inner.get("value")
        return v if isinstance(v, str) else None
    return None


def _arg(event: Mapping[str, Any], name: str, ref: str) -> tuple[Any, Any]:
    """(moId, name) of an ``EntityEventArgument`` such as ``host`` → ``{name, host: MoRef}``."""
    arg = event.get(name)
    if not isinstance(arg, Mapping):
        return None, None
    label = arg.get("name")
    return _ref_value(arg.get(ref)), (label if isinstance(label, str) else None)


def _int(value: Any) -> Any:
    return value if type(value) is int else None


def _str(value: Any) -> Any:
    return value if isinstance(value, str) else None


def event_rows(events: Iterable[Any]) -> dict[str, list[Any]]:
    """Columns (:data:`EVENT_ROW_FIELDS`) of the event dicts in ``events``; items that are not objects are skipped.

    ``event_type_id`` is ``EventEx.eventTypeId`` else ``_typeName``; ``message`` ``fullFormattedMessage`` else
    ``message``; ``severity`` from :func:`~vsphere_nb.wire.plain.event_severity`, the rule a run's events use too
    (``EventEx.severity``, else the type's: ``DasHostIsolatedEvent`` is ``error`` in both frames).
    """
    out: dict[str, list[Any]] = {name: [] for name in EVENT_ROW_FIELDS}
    intern = sys.intern
    for event in events:
        if not isinstance(event, Mapping):
            continue
        type_name = _str(event.get("_typeName")) or "Event"
        type_id = _str(event.get("eventTypeId")) or type_name
        category = event_category(type_id)
        severity = event_severity(event)
        host_moid, host = _arg(event, "host", "host")
        cluster_moid, cluster = _arg(event, "computeResource", "computeResource")
        _, datacenter = _arg(event, "datacenter", "datacenter")
        created = event.get("createdTime")
        out["event_key"].append(_int(event.get("key")))
        out["chain_id"].append(_int(event.get("chainId")))
        out["event_type"].append(intern(type_name))
        out["event_type_id"].append(intern(type_id))
        out["created_time"].append(created if isinstance(created, str) else None)
        out["user_name"].append(_str(event.get("userName")))
        out["severity"].append(intern(severity))
        out["message"].append(_str(event.get("fullFormattedMessage")) or _str(event.get("message")))
        out["category"].append(category)
        out["host_moid"].append(host_moid)
        out["host"].append(host)
        out["cluster_moid"].append(cluster_moid)
        out["cluster"].append(cluster)
        out["datacenter"].append(datacenter)
    return out
