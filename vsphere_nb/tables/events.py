"""The one reader from wire events to rows: event dicts (``ReadNextEvents`` pages and the journal's records, read
as plain JSON) become table columns in one pass, with one severity rule (:func:`event_severity`) and one category
scheme (:func:`~vsphere_nb.tables.categories.event_category`).

A run's events (:class:`~vsphere_nb.batch.event_columns.EventColumns`) read :data:`EVENT_COLUMNS` with
:func:`event_columns`; the history (:mod:`vsphere_nb.fleet.history`) reads the same columns plus the category
and the places (:data:`EVENT_ROW_FIELDS`) with :func:`event_rows`. An odd value (a key that is not a number, a
missing host) becomes ``None`` in its cell, never an error. Written for speed: it runs once per event of a
million-event run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

from .categories import event_category

__all__ = ["SEVERITY_BY_TYPE", "event_severity", "EVENT_COLUMNS", "event_columns", "EVENT_ROW_FIELDS", "event_rows"]

#: severity of event types that do not carry one (``EventEx`` does); any other type is ``info``
SEVERITY_BY_TYPE: dict[str, str] = {
    "HostDasErrorEvent": "error",
    "DasHostFailedEvent": "error",
    "DasHostIsolatedEvent": "error",
    "DasAgentUnavailableEvent": "error",
    "DasClusterIsolatedEvent": "error",
    "HostConnectionLostEvent": "error",
    "HostIsolationIpPingFailedEvent": "warning",
    "HostNoRedundantManagementNetworkEvent": "warning",
    "HostMissingNetworksEvent": "warning",
    "HostShortNameToIpFailedEvent": "warning",
    "InsufficientFailoverResourcesEvent": "warning",
    "HostNotInClusterEvent": "warning",
}


def event_severity(event: Mapping[str, Any]) -> str:
    """``EventEx.severity`` when present, else derived from the type (``HostDasErrorEvent`` → ``error``)."""
    sev = event.get("severity")
    if isinstance(sev, str) and sev:
        return sev
    type_name = event.get("_typeName")
    return SEVERITY_BY_TYPE.get(type_name, "info") if isinstance(type_name, str) else "info"


#: the per-event columns :func:`event_columns` reads, in the events frame's order
EVENT_COLUMNS: tuple[str, ...] = (
    "event_key",
    "chain_id",
    "event_type",
    "event_type_id",
    "created_time",
    "user_name",
    "severity",
    "message",
)
#: the columns :func:`event_rows` fills: :data:`EVENT_COLUMNS`, the category and where the event happened
EVENT_ROW_FIELDS: tuple[str, ...] = (
    *EVENT_COLUMNS,
    "category",
    "host_moid",
    "host",
    "cluster_moid",
    "cluster",
    "datacenter",
)


def _interned(values: list[Any]) -> list[Any]:
    """Labels repeat across a million events: one shared string each (less memory, faster factorizing)."""
    intern = sys.intern
    return [intern(v) if type(v) is str else v for v in values]


def _text(value: Any) -> Any:
    return value if value.__class__ is str or isinstance(value, str) else None


def _time(value: Any) -> str | None:
    if value is None or value.__class__ is str:
        return value
    iso = getattr(value, "isoformat", None)
    return iso() if callable(iso) else None


def event_columns(events: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The events-frame columns of event dicts, one list per name of :data:`EVENT_COLUMNS`.

    ``event_key``/``chain_id`` are numbers (else empty); ``event_type_id`` = ``eventTypeId`` else ``_typeName``;
    ``message`` = ``fullFormattedMessage`` else ``message``; ``severity`` from :func:`event_severity`;
    ``created_time`` stays the ISO string (a datetime is written as one).
    """
    evs = events if isinstance(events, list) else list(events)
    types = _interned([t if t.__class__ is str else None for t in (e.get("_typeName") for e in evs)])
    by_type = SEVERITY_BY_TYPE
    return {
        "event_key": [k if k.__class__ is int else None for k in (e.get("key") for e in evs)],
        "chain_id": [k if k.__class__ is int else None for k in (e.get("chainId") for e in evs)],
        "event_type": types,
        "event_type_id": _interned([_text(e.get("eventTypeId")) or t for e, t in zip(evs, types)]),
        "created_time": [_time(e.get("createdTime")) for e in evs],
        "user_name": _interned([_text(e.get("userName")) for e in evs]),
        "severity": _interned(
            [
                sev if sev and sev.__class__ is str else by_type.get(t, "info")
                for sev, t in zip((e.get("severity") for e in evs), types)
            ]
        ),
        "message": [_text(e.get("fullFormattedMessage")) or _text(e.get("message")) for e in evs],
    }


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


def event_rows(events: Iterable[Any]) -> dict[str, list[Any]]:
    """Columns (:data:`EVENT_ROW_FIELDS`) of the event dicts in ``events``; items that are not objects are skipped.

    The :data:`EVENT_COLUMNS` come from :func:`event_columns` (the same cells a run's events get); ``category``
    from :func:`~vsphere_nb.tables.categories.event_category` of ``event_type_id``; the host, cluster and
    datacenter from the event's entity arguments.
    """
    evs = [e for e in events if isinstance(e, Mapping)]
    out = event_columns(evs)
    out["category"] = [event_category(t) for t in out["event_type_id"]]
    places: dict[str, list[Any]] = {name: [] for name in EVENT_ROW_FIELDS[len(EVENT_COLUMNS) + 1 :]}
    for event in evs:
        host_moid, host = _arg(event, "host", "host")
        cluster_moid, cluster = _arg(event, "computeResource", "computeResource")
        _, datacenter = _arg(event, "datacenter", "datacenter")
        places["host_moid"].append(host_moid)
        places["host"].append(host)
        places["cluster_moid"].append(cluster_moid)
        places["cluster"].append(cluster)
        places["datacenter"].append(datacenter)
    out.update(places)
    return out
