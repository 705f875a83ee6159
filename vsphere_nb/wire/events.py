"""``Event``, ``EventEx``, ``TaskEvent``, the HA event types and ``EventFilterSpec``."""

from __future__ import annotations

from typing import Optional

from ._common import AnyValue, Known, UtcDatetime
from .base import VimObject
from .enums import EventEventSeverity, EventFilterSpecRecursionOption, HostDasErrorEventHostDasErrorReason
from .faults import KeyAnyValue, MethodFault
from .moref import ManagedObjectReference

__all__ = [
    "EventArgument", "EntityEventArgument", "HostEventArgument", "ComputeResourceEventArgument",
    "DatacenterEventArgument", "VmEventArgument", "Event", "EventEx", "TaskEvent", "HostEvent", "ClusterEvent",
    "HostDasEvent", "HostDasEnablingEvent", "HostDasEnabledEvent", "HostDasDisablingEvent", "HostDasDisabledEvent",
    "HostDasErrorEvent", "DasHostFailedEvent", "DasHostIsolatedEvent", "HostIsolationIpPingFailedEvent",
    "HostNoRedundantManagementNetworkEvent", "HostMissingNetworksEvent", "HostShortNameToIpFailedEvent",
    "InsufficientFailoverResourcesEvent", "EventFilterSpec", "EventFilterSpecByEntity", "EventFilterSpecByTime",
    "EventDescription", "EventDescriptionEventDetail", "event_type_id",
]


class EventArgument(VimObject):
    pass


class EntityEventArgument(EventArgument):
    name: str = ""


class HostEventArgument(EntityEventArgument):
    host: ManagedObjectReference


class ComputeResourceEventArgument(EntityEventArgument):
    computeResource: ManagedObjectReference


class DatacenterEventArgument(EntityEventArgument):
    datacenter: ManagedObjectReference


class VmEventArgument(EntityEventArgument):
    vm: ManagedObjectReference


class Event(VimObject):
    key: int
    chainId: int
    createdTime: UtcDatetime
    userName: str = ""
    datacenter: Optional[DatacenterEventArgument] = None
    computeResource: Optional[ComputeResourceEventArgument] = None
    host: Optional[HostEventArgument] = None
    vm: Optional[VmEventArgument] = None
    ds: Optional[EntityEventArgument] = None
    net: Optional[EntityEventArgument] = None
    dvs: Optional[EntityEventArgument] = None
    fullFormattedMessage: Optional[str] = None
    changeTag: Optional[str] = None


class EventEx(Event):
    eventTypeId: str
    severity: Optional[Known(EventEventSeverity)] = None
    message: Optional[str] = None
    arguments: Optional[list[KeyAnyValue]] = None
    objectId: Optional[str] = None
    objectType: Optional[str] = None
    objectName: Optional[str] = None
    fault: Optional[MethodFault] = None


class TaskEvent(Event):
    info: "TaskInfo"  # noqa: F821  (resolved in wire/__init__)


class HostEvent(Event):
    pass


class ClusterEvent(Event):
    pass


class HostDasEvent(HostEvent):
    pass


class HostDasEnablingEvent(HostEvent):
    pass


class HostDasEnabledEvent(HostEvent):
    pass


class HostDasDisablingEvent(HostEvent):
    pass


class HostDasDisabledEvent(HostEvent):
    pass


class HostDasErrorEvent(HostEvent):
    message: Optional[str] = None
    reason: Optional[Known(HostDasErrorEventHostDasErrorReason)] = None


class DasHostFailedEvent(ClusterEvent):
    failedHost: HostEventArgument


class DasHostIsolatedEvent(ClusterEvent):
    isolatedHost: HostEventArgument


class HostIsolationIpPingFailedEvent(HostDasEvent):
    isolationIp: str = ""


class HostNoRedundantManagementNetworkEvent(HostDasEvent):
    pass


class HostMissingNetworksEvent(HostDasEvent):
    ips: Optional[str] = None


class HostShortNameToIpFailedEvent(HostEvent):
    shortName: str = ""


class InsufficientFailoverResourcesEvent(ClusterEvent):
    pass


class EventFilterSpecByEntity(VimObject):
    entity: ManagedObjectReference
    recursion: Known(EventFilterSpecRecursionOption) = EventFilterSpecRecursionOption.self


class EventFilterSpecByTime(VimObject):
    beginTime: Optional[UtcDatetime] = None
    endTime: Optional[UtcDatetime] = None


class EventFilterSpec(VimObject):
    entity: Optional[EventFilterSpecByEntity] = None
    time: Optional[EventFilterSpecByTime] = None
    userName: Optional[VimObject] = None
    eventChainId: Optional[int] = None
    category: Optional[list[str]] = None
    type: Optional[list[str]] = None
    eventTypeId: Optional[list[str]] = None
    maxCount: Optional[int] = None
    disableFullMessage: Optional[bool] = None


class EventDescriptionEventDetail(VimObject):
    key: str
    description: Optional[str] = None
    category: str = "info"
    formatOnDatacenter: str = ""
    formatOnComputeResource: str = ""
    formatOnHost: str = ""
    formatOnVm: str = ""
    fullFormat: str = ""
    longDescription: Optional[str] = None


class EventDescription(VimObject):
    category: Optional[list[VimObject]] = None
    eventInfo: Optional[list[EventDescriptionEventDetail]] = None
    enumeratedTypes: Optional[list[VimObject]] = None


def event_type_id(event: Event) -> str:
    """What ``EventFilterSpec.eventTypeId`` matches: ``EventEx.eventTypeId``, else the wire type name."""
    if isinstance(event, EventEx) and event.eventTypeId:
        return event.eventTypeId
    return event.vim_type or type(event).__name__
