"""The event log, ``EventManager`` and ``EventHistoryCollector``.

Events are wire models (``TaskEvent``, ``HostDasErrorEvent``, ``EventEx`` …) kept in key order, indexed by
``chainId`` so "the events of one task" is a dictionary lookup. ``QueryEvents`` honours the filter fields
vsphere-nb uses — ``entity`` + ``recursion``, ``time``, ``eventTypeId`` (``EventEx.eventTypeId`` or the type
name), ``type``, ``eventChainId``, ``maxCount`` — and answers **newest first** (vCenter's latest-page order).
A collector pages forward from the oldest matching event with ``ReadNextEvents`` (the loop the reference
describes) and backwards with ``ReadPreviousEvents``; ``RewindCollector``/``ResetCollector`` move its cursor.

Entity matching: an event's *entity* is its most specific argument (vm > host > computeResource >
datacenter). ``self`` matches that entity, ``children`` also its direct children, ``all`` every descendant.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .. import wire
from ..tables.categories import HA_HISTORY_TYPES
from .clock import Clock
from .faults import managed_object_not_found
from .inventory import ComputeResource, Datacenter, HostSystem, ManagedEntity
from .model import ManagedObject, Registry

__all__ = ["EventLog", "EventManager", "EventHistoryCollector", "HA_EVENT_IDS", "MAX_COLLECTORS"]

#: EventEx ids this simulator logs (also listed in EventManager.description)
HA_EVENT_IDS = {
    "com.vmware.vc.HA.HostAgentErrorEvent": (
        "error",
        "vSphere HA agent on {host} in cluster {cluster} in {dc} has an error: {text}",
    ),
    "com.vmware.vc.HA.HostStateChangedEvent": (
        "info",
        "The vSphere HA availability state of the host {host} in cluster {cluster} in {dc} has changed to {text}",
    ),
    "com.vmware.vc.HA.ConnectedToMaster": (
        "info",
        "vSphere HA agent on host {host} connected to the vSphere HA master on host {text} in cluster {cluster} in {dc}",
    ),
    "com.vmware.vc.HA.HostDasAgentHealthyEvent": (
        "info",
        "vSphere HA agent on host {host} in cluster {cluster} in {dc} is healthy",
    ),
    "com.vmware.vc.HA.HeartbeatDatastoreNotSufficient": (
        "warning",
        "The number of vSphere HA heartbeat datastores for host {host} in cluster {cluster} in {dc} is {text}, "
        "which is less than required: 2",
    ),
    "com.vmware.vc.HA.AllHostAddrsPingable": (
        "info",
        "All vSphere HA isolation addresses are reachable by host {host} in cluster {cluster} in {dc}",
    ),
}

_CLASSIC = {
    "TaskEvent": "Task: {text}",
    "HostDasEnablingEvent": "Enabling vSphere HA agent on {host} in cluster {cluster} in {dc}",
    "HostDasEnabledEvent": "vSphere HA agent on {host} in cluster {cluster} in {dc} is enabled",
    "HostDasDisablingEvent": "Disabling vSphere HA on {host} in cluster {cluster} in {dc}",
    "HostDasDisabledEvent": "vSphere HA agent on {host} in cluster {cluster} in {dc} is disabled",
    "HostDasErrorEvent": "vSphere HA agent on {host} in cluster {cluster} in {dc} has an error: {text}",
    "HostIsolationIpPingFailedEvent": "vSphere HA agent on host {host} in cluster {cluster} in {dc} could not reach isolation address: {text}",
    "HostNoRedundantManagementNetworkEvent": "Host {host} in cluster {cluster} in {dc} currently has no management network redundancy",
    "HostMissingNetworksEvent": "Host {host} does not have the following networks used by other hosts for vSphere HA communication: {text}",
    "HostShortNameToIpFailedEvent": "Host {host} cannot resolve short name {text} to an IP address",
    "DasHostFailedEvent": "A possible host failure has been detected by vSphere HA on {host} in cluster {cluster} in {dc}",
    "DasHostIsolatedEvent": "Host {host} has been isolated from cluster {cluster} in {dc}",
    "InsufficientFailoverResourcesEvent": "Insufficient resources to satisfy vSphere HA failover level on cluster {cluster} in {dc}",
    "EnteringMaintenanceModeEvent": "Host {host} in {dc} has started to enter maintenance mode",
    "EnteredMaintenanceModeEvent": "Host {host} in {dc} has entered maintenance mode",
    "ExitMaintenanceModeEvent": "Host {host} in {dc} has exited maintenance mode",
}

#: the HA ids vCenter 8.0 U1–U3 describe as ``EventEx`` (the others are ``ExtendedEvent``)
_EVENTEX_IDS = frozenset(
    {
        "com.vmware.vc.HA.HostAgentErrorEvent",
        "com.vmware.vc.HA.HostStateChangedEvent",
        "com.vmware.vc.HA.HostDasErrorEvent",
        "com.vmware.vc.HA.NotAllHostAddrsPingable",
        "com.vmware.vc.HA.HeartbeatDatastoreNotSufficient",
        "com.vmware.vc.HA.HeartbeatDatastoreChanged",
        "com.vmware.vc.HA.HostNetworkFailedEvent",
        "com.vmware.vc.HA.HostDatastoreFailedEvent",
        "com.vmware.vc.HA.DasHostCompleteNetworkFailureEvent",
        "com.vmware.vc.HA.DasHostCompleteDatastoreFailureEvent",
        "com.vmware.vc.HA.InvalidMaster",
        "com.vmware.vc.HA.VcCannotCommunicateWithMasterEvent",
        "com.vmware.vc.HA.VcConnectedToMasterEvent",
        "com.vmware.vc.HA.VcDisconnectedFromMasterEvent",
    }
)


def _extended_detail(type_id: str, severity: str, text: str) -> wire.EventDescriptionEventDetail:
    """How vCenter describes an ``EventEx``/``ExtendedEvent`` type: ``key`` is the kind, the type id starts
    ``fullFormat`` (before the first ``|``), as the public catalogues of vCenter 8.0 U1–U3 show."""
    kind = "EventEx" if type_id in _EVENTEX_IDS else "ExtendedEvent"
    full = f"{type_id}|{text}"
    return wire.EventDescriptionEventDetail(
        key=kind,
        description=text,
        category=severity,
        fullFormat=full,
        formatOnHost=text,
        formatOnComputeResource=text,
        formatOnDatacenter=text,
    )


MAX_COLLECTORS = 32
DEFAULT_PAGE_SIZE = 10


def _category(event: wire.Event) -> str:
    if isinstance(event, wire.EventEx) and event.severity:
        return str(event.severity)
    if isinstance(event, wire.HostDasErrorEvent):
        return "error"
    if isinstance(
        event,
        (
            wire.HostIsolationIpPingFailedEvent,
            wire.HostNoRedundantManagementNetworkEvent,
            wire.HostMissingNetworksEvent,
            wire.HostShortNameToIpFailedEvent,
        ),
    ):
        return "warning"
    return "info"


class EventLog:
    """All events, oldest first, with indexes by ``chainId``; bounded to ``cap`` events."""

    def __init__(self, registry: Registry, cap: int = 200_000) -> None:
        self.registry = registry
        self.cap = cap
        self.events: list[wire.Event] = []
        self.keys: list[int] = []
        #: key -> the event's wire dict, encoded once (an event never changes after it is posted)
        self._wire: dict[int, dict[str, Any]] = {}
        self.by_chain: dict[int, list[wire.Event]] = defaultdict(list)
        self.primary: dict[int, str | None] = {}
        self._next_key = 1000

    def new_key(self) -> int:
        with self.registry.lock:
            key = self._next_key
            self._next_key += 1
            return key

    # -- building events ---------------------------------------------------------------------------
    def make(
        self,
        type_name: str,
        *,
        host: HostSystem | None = None,
        cr: ComputeResource | None = None,
        dc: Datacenter | None = None,
        chain_id: int | None = None,
        key: int | None = None,
        user: str = "",
        text: str = "",
        created: datetime | None = None,
        **fields: Any,
    ) -> wire.Event:
        """A wire event of ``type_name`` (or an ``EventEx`` when ``type_name`` is an event type id)."""
        if host is not None:
            cr = cr or host.compute_resource
        if cr is not None:
            dc = dc or cr.datacenter
        key = key if key is not None else self.new_key()
        names = {
            "host": host.name if host else "",
            "cluster": cr.name if cr else "",
            "dc": dc.name if dc else "",
            "text": text,
        }
        common: dict[str, Any] = {
            "key": key,
            "chainId": chain_id if chain_id is not None else key,
            "createdTime": created or Clock.now(),
            "userName": user,
        }
        if dc is not None:
            common["datacenter"] = wire.DatacenterEventArgument(name=dc.name, datacenter=dc.ref)
        if cr is not None:
            common["computeResource"] = wire.ComputeResourceEventArgument(name=cr.name, computeResource=cr.ref)
        if host is not None:
            common["host"] = wire.HostEventArgument(name=host.name, host=host.ref)
        if type_name in HA_EVENT_IDS or "." in type_name:
            severity, fmt = HA_EVENT_IDS.get(type_name, ("info", "{text}"))
            fields.setdefault("severity", severity)
            message = fmt.format(**names)
            target = host or cr or dc
            extra = {}
            if target is not None:
                extra = {"objectId": target.moid, "objectType": f"vim.{target.TYPE}", "objectName": target.name}
            return wire.EventEx(
                eventTypeId=type_name, fullFormattedMessage=message, message=message, **common, **extra, **fields
            )
        cls = wire.REGISTRY[type_name]
        fmt = _CLASSIC.get(type_name, "{text}")
        event: wire.Event = cls(fullFormattedMessage=fmt.format(**names), **common, **fields)  # type: ignore[assignment]
        return event

    # -- logging -----------------------------------------------------------------------------------
    def post(self, event: wire.Event) -> wire.Event:
        """Append ``event`` (call under the registry lock)."""
        with self.registry.lock:
            if self.keys and event.key <= self.keys[-1]:
                index = bisect.bisect_left(self.keys, event.key)
                self.keys.insert(index, event.key)
                self.events.insert(index, event)
            else:
                self.keys.append(event.key)
                self.events.append(event)
            chain = self.by_chain[event.chainId]
            if chain and event.key < chain[-1].key:
                chain.insert(bisect.bisect_left([e.key for e in chain], event.key), event)
            else:
                chain.append(event)
            self.primary[event.key] = _primary(event)
            if len(self.events) > self.cap:
                drop = len(self.events) - self.cap
                for old in self.events[:drop]:
                    kept = self.by_chain.get(old.chainId)
                    if kept is not None:
                        kept[:] = [e for e in kept if e.key != old.key]
                        if not kept:
                            del self.by_chain[old.chainId]
                    self.primary.pop(old.key, None)
                    self._wire.pop(old.key, None)
                del self.events[:drop]
                del self.keys[:drop]
        return event

    def encoded(self, events: Iterable[wire.Event]) -> list[dict[str, Any]]:
        """The wire dicts of ``events``, each encoded once and reused by every later answer."""
        cache = self._wire
        out = []
        for event in events:
            encoded = cache.get(event.key)
            if encoded is None:
                encoded = cache[event.key] = event.to_wire()
            out.append(encoded)
        return out

    # -- querying ----------------------------------------------------------------------------------
    def matching(
        self, spec: wire.EventFilterSpec | None, registry: Registry, after: int | None = None
    ) -> list[wire.Event]:
        """Events matching ``spec``, oldest first (``maxCount`` not applied); only keys above ``after`` if given
        (a collector's cursor: its reads then cost the events since the last read, not the whole log)."""
        start = 0 if after is None else bisect.bisect_right(self.keys, after)
        if spec is None:
            return self.events[start:]
        source: Iterable[wire.Event]
        if spec.eventChainId is not None:
            source = [e for e in self.by_chain.get(spec.eventChainId, ()) if after is None or e.key > after]
        else:
            source = self.events[start:] if start else self.events
        entities: set[str] | None = None
        if spec.entity is not None:
            entities = _entity_scope(spec.entity, registry)
        type_ids = set(spec.eventTypeId or ())
        types = set(spec.type or ())
        categories = set(spec.category or ())
        begin = spec.time.beginTime if spec.time else None
        end = spec.time.endTime if spec.time else None
        out = []
        for event in source:
            if begin is not None and event.createdTime < begin:
                continue
            if end is not None and event.createdTime > end:
                continue
            if type_ids and wire.event_type_id(event) not in type_ids:
                continue
            if types and not any(event.is_a(t) for t in types):
                continue
            if categories and _category(event) not in categories:
                continue
            if entities is not None and self.primary.get(event.key) not in entities:
                continue
            out.append(event)
        return out


def _primary(event: wire.Event) -> str | None:
    if event.vm is not None:
        return event.vm.vm.value
    if event.host is not None:
        return event.host.host.value
    if event.computeResource is not None:
        return event.computeResource.computeResource.value
    if event.datacenter is not None:
        return event.datacenter.datacenter.value
    return None


def _entity_scope(by: wire.EventFilterSpecByEntity, registry: Registry) -> set[str]:
    entity = registry.resolve(by.entity)
    if entity is None:
        raise managed_object_not_found(by.entity)
    scope = {entity.moid}
    if not isinstance(entity, ManagedEntity):
        return scope
    recursion = str(by.recursion or "self")
    if recursion == "children":
        scope.update(c.moid for c in entity.children())
    elif recursion == "all":
        cached = entity.cache.get("descendants")
        if cached is None:
            cached = entity.cache["descendants"] = frozenset(d.moid for d in entity.descendants())
        scope.update(cached)
    return scope


class EventHistoryCollector(ManagedObject):
    TYPE = "EventHistoryCollector"
    ANCESTRY = ("EventHistoryCollector", "HistoryCollector", "ManagedObject")
    PROPERTIES = {"filter": "anyType", "latestPage": "ArrayOfEvent", "initialized": "boolean"}
    NO_CACHE = frozenset({"latestPage"})  # new events change it without changing the collector

    def __init__(self, moid: str, log: EventLog, registry: Registry, spec: wire.EventFilterSpec, owner: str) -> None:
        super().__init__(moid)
        self.log = log
        self.registry = registry
        self.spec = spec
        self.owner = owner
        self.page_size = DEFAULT_PAGE_SIZE
        self.cursor = 0  # key: ReadNext returns events with key > cursor
        self._unbounded = spec.model_copy(update={"maxCount": None})

    def _matching(self, after: int | None = None) -> list[wire.Event]:
        return self.log.matching(self._unbounded, self.registry, after=after)

    def prop(self, name: str) -> Any:
        if name == "filter":
            return self.spec
        if name == "latestPage":
            return list(reversed(self._matching()[-self.page_size :]))
        if name == "initialized":
            return True
        return None

    def read_next(self, max_count: int) -> list[wire.Event]:
        events = self._matching(after=self.cursor)[:max_count]
        if events:
            self.cursor = events[-1].key
        return events

    def read_previous(self, max_count: int) -> list[wire.Event]:
        older = [e for e in self._matching() if e.key <= self.cursor]
        events = older[-max_count:] if max_count > 0 else []
        if events:
            self.cursor = events[0].key - 1
        return events

    def rewind(self) -> None:
        self.cursor = 0

    def reset(self) -> None:
        page = self._matching()[-self.page_size :]
        self.cursor = (page[0].key - 1) if page else (self.log.keys[-1] if self.log.keys else 0)


class EventManager(ManagedObject):
    TYPE = "EventManager"
    ANCESTRY = ("EventManager", "ManagedObject")
    PROPERTIES = {"description": "EventDescription", "latestEvent": "Event", "maxCollector": "int"}

    def __init__(self, moid: str, log: EventLog) -> None:
        super().__init__(moid)
        self.log = log
        self._description = _description()

    def prop(self, name: str) -> Any:
        if name == "description":
            return self._description
        if name == "latestEvent":
            return self.log.events[-1] if self.log.events else None
        if name == "maxCollector":
            return MAX_COLLECTORS
        return None


def _description() -> wire.EventDescription:
    details = []
    for type_name, fmt in _CLASSIC.items():
        text = (
            fmt.replace("{host}", "{host.name}")
            .replace("{cluster}", "{computeResource.name}")
            .replace("{dc}", "{datacenter.name}")
            .replace("{text}", "{message}")
        )
        details.append(
            wire.EventDescriptionEventDetail(
                key=type_name,
                description=type_name,
                category="error" if "Error" in type_name else "info",
                fullFormat=text,
                formatOnHost=text,
                formatOnComputeResource=text,
                formatOnDatacenter=text,
            )
        )
    for type_id, (severity, fmt) in HA_EVENT_IDS.items():
        text = (
            fmt.replace("{host}", "{host.name}")
            .replace("{cluster}", "{computeResource.name}")
            .replace("{dc}", "{datacenter.name}")
            .replace("{text}", "{reason}")
        )
        details.append(_extended_detail(type_id, severity, text))
    for type_id in HA_HISTORY_TYPES:  # the other HA ids a vCenter describes (it logs them; this simulator does not)
        if "." in type_id and type_id not in HA_EVENT_IDS:
            details.append(_extended_detail(type_id, "info", type_id.rsplit(".", 1)[-1]))
    categories = [
        wire.VimObject.model_validate(
            {"_typeName": "ElementDescription", "key": k, "label": k.title(), "summary": f"{k.title()} events"}
        )
        for k in ("info", "warning", "error", "user")
    ]
    return wire.EventDescription(category=categories, eventInfo=details)
