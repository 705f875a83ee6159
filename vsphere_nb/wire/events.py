"""``Event``, ``EventEx``, ``TaskEvent``, the HA event types and ``EventFilterSpec``."""

from __future__ import annotations

from ._common import Known, UtcDatetime
from .base import VimObject
from .enums import EventEventSeverity, EventFilterSpecRecursionOption, HostDasErrorEventHostDasErrorReason
from .faults import KeyAnyValue, MethodFault
from .moref import ManagedObjectReference

__all__ = [
    "EventArgument",
    "EntityEventArgument",
    "HostEventArgument",
    "ComputeResourceEventArgument",
    "DatacenterEventArgument",
    "VmEventArgument",
    "Event",
    "EventEx",
    "TaskEvent",
    "HostEvent",
    "ClusterEvent",
    "HostDasEvent",
    "HostDasEnablingEvent",
    "HostDasEnabledEvent",
    "HostDasDisablingEvent",
    "HostDasDisabledEvent",
    "HostDasErrorEvent",
    "DasHostFailedEvent",
    "DasHostIsolatedEvent",
    "HostIsolationIpPingFailedEvent",
    "HostNoRedundantManagementNetworkEvent",
    "HostMissingNetworksEvent",
    "HostExtraNetworksEvent",
    "HostNoAvailableNetworksEvent",
    "HostNoHAEnabledPortGroupsEvent",
    "HostDasOkEvent",
    "NoDatastoresConfiguredEvent",
    "HostShortNameToIpFailedEvent",
    "InsufficientFailoverResourcesEvent",
    "HostConnectionLostEvent",
    "EnteringMaintenanceModeEvent",
    "EnteredMaintenanceModeEvent",
    "ExitMaintenanceModeEvent",
    "EventFilterSpec",
    "EventFilterSpecByEntity",
    "EventFilterSpecByTime",
    "EventDescription",
    "EventDescriptionEventDetail",
    "event_type_id",
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
    datacenter: DatacenterEventArgument | None = None
    computeResource: ComputeResourceEventArgument | None = None
    host: HostEventArgument | None = None
    vm: VmEventArgument | None = None
    ds: EntityEventArgument | None = None
    net: EntityEventArgument | None = None
    dvs: EntityEventArgument | None = None
    fullFormattedMessage: str | None = None
    changeTag: str | None = None


class EventEx(Event):
    eventTypeId: str
    severity: Known(EventEventSeverity) | None = None
    message: str | None = None
    arguments: list[KeyAnyValue] | None = None
    objectId: str | None = None
    objectType: str | None = None
    objectName: str | None = None
    fault: MethodFault | None = None


class TaskEvent(Event):
    info: TaskInfo  # noqa: F821  (resolved in wire/__init__)


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
    message: str | None = None
    reason: Known(HostDasErrorEventHostDasErrorReason) | None = None


class DasHostFailedEvent(ClusterEvent):
    failedHost: HostEventArgument


class DasHostIsolatedEvent(ClusterEvent):
    isolatedHost: HostEventArgument


class HostIsolationIpPingFailedEvent(HostDasEvent):
    isolationIp: str = ""


class HostNoRedundantManagementNetworkEvent(HostDasEvent):
    pass


class HostMissingNetworksEvent(HostDasEvent):
    ips: str | None = None


class HostExtraNetworksEvent(HostDasEvent):
    ips: str | None = None


class HostNoAvailableNetworksEvent(HostDasEvent):
    ips: str | None = None


class HostNoHAEnabledPortGroupsEvent(HostDasEvent):
    pass


class HostDasOkEvent(HostEvent):
    """The HA agent on the host is configured correctly."""


class NoDatastoresConfiguredEvent(HostEvent):
    pass


class HostShortNameToIpFailedEvent(HostEvent):
    shortName: str = ""


class InsufficientFailoverResourcesEvent(ClusterEvent):
    pass


class HostConnectionLostEvent(HostEvent):
    """vCenter lost its connection to the host ("Host … is not responding")."""


class EnteringMaintenanceModeEvent(HostEvent):
    pass


class EnteredMaintenanceModeEvent(HostEvent):
    pass


class ExitMaintenanceModeEvent(HostEvent):
    pass


class EventFilterSpecByEntity(VimObject):
    entity: ManagedObjectReference
    recursion: Known(EventFilterSpecRecursionOption) = EventFilterSpecRecursionOption.self


class EventFilterSpecByTime(VimObject):
    beginTime: UtcDatetime | None = None
    endTime: UtcDatetime | None = None


class EventFilterSpec(VimObject):
    entity: EventFilterSpecByEntity | None = None
    time: EventFilterSpecByTime | None = None
    userName: VimObject | None = None
    eventChainId: int | None = None
    category: list[str] | None = None
    type: list[str] | None = None
    eventTypeId: list[str] | None = None
    maxCount: int | None = None
    disableFullMessage: bool | None = None


class EventDescriptionEventDetail(VimObject):
    key: str
    description: str | None = None
    category: str = "info"
    formatOnDatacenter: str = ""
    formatOnComputeResource: str = ""
    formatOnHost: str = ""
    formatOnVm: str = ""
    fullFormat: str = ""
    longDescription: str | None = None


class EventDescription(VimObject):
    category: list[VimObject] | None = None
    eventInfo: list[EventDescriptionEventDetail] | None = None
    enumeratedTypes: list[VimObject] | None = None


def event_type_id(event: Event) -> str:
    """What ``EventFilterSpec.eventTypeId`` matches: ``EventEx.eventTypeId``, else the wire type name."""
    if isinstance(event, EventEx) and event.eventTypeId:
        return event.eventTypeId
    return event.vim_type or type(event).__name__
