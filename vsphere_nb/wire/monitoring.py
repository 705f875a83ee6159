"""Data objects of monitoring and access control: performance counters and samples (``PerformanceManager``),
permissions (``AuthorizationManager``), alarm states and definitions, the task manager's description, and a
resource pool's runtime usage.

Names and fields are VMware's (checked against pyVmomi's tables by the tests); undeclared fields a server sends
are kept as extras.
"""

from __future__ import annotations

from ._common import Known, UtcDatetime
from .base import VimObject
from .enums import ManagedEntityStatus
from .managers import Description, ElementDescription
from .moref import ManagedObjectReference

__all__ = [
    "PerfCounterInfo",
    "PerfProviderSummary",
    "PerfMetricId",
    "PerfQuerySpec",
    "PerfSampleInfo",
    "PerfMetricSeries",
    "PerfMetricIntSeries",
    "PerfEntityMetricBase",
    "PerfEntityMetric",
    "Permission",
    "AlarmState",
    "AlarmInfo",
    "TypeDescription",
    "TaskDescription",
    "ResourcePoolResourceUsage",
    "ResourcePoolRuntimeInfo",
]


# -- performance -------------------------------------------------------------------------------
class PerfCounterInfo(VimObject):
    key: int = 0
    nameInfo: ElementDescription | None = None
    groupInfo: ElementDescription | None = None
    unitInfo: ElementDescription | None = None
    #: ``PerfSummaryType``: average, maximum, minimum, latest, summation, none
    rollupType: str = ""
    #: ``PerfStatsType``: absolute, delta, rate
    statsType: str = ""
    level: int | None = None
    perDeviceLevel: int | None = None
    associatedCounterId: list[int] | None = None


class PerfProviderSummary(VimObject):
    entity: ManagedObjectReference | None = None
    currentSupported: bool = False
    summarySupported: bool = False
    refreshRate: int | None = None


class PerfMetricId(VimObject):
    counterId: int = 0
    instance: str = ""


class PerfQuerySpec(VimObject):
    entity: ManagedObjectReference
    startTime: UtcDatetime | None = None
    endTime: UtcDatetime | None = None
    maxSample: int | None = None
    metricId: list[PerfMetricId] | None = None
    intervalId: int | None = None
    #: ``PerfFormat``: normal or csv
    format: str | None = None


class PerfSampleInfo(VimObject):
    timestamp: UtcDatetime | None = None
    interval: int = 0


class PerfMetricSeries(VimObject):
    id: PerfMetricId | None = None


class PerfMetricIntSeries(PerfMetricSeries):
    value: list[int] | None = None


class PerfEntityMetricBase(VimObject):
    entity: ManagedObjectReference | None = None


class PerfEntityMetric(PerfEntityMetricBase):
    sampleInfo: list[PerfSampleInfo] | None = None
    value: list[PerfMetricSeries] | None = None


# -- permissions -------------------------------------------------------------------------------
class Permission(VimObject):
    entity: ManagedObjectReference | None = None
    principal: str = ""
    group: bool = False
    roleId: int = 0
    propagate: bool = True


# -- alarms ------------------------------------------------------------------------------------
class AlarmState(VimObject):
    key: str = ""
    entity: ManagedObjectReference | None = None
    alarm: ManagedObjectReference | None = None
    overallStatus: Known(ManagedEntityStatus) | None = None
    time: UtcDatetime | None = None
    acknowledged: bool | None = None
    acknowledgedByUser: str | None = None
    acknowledgedTime: UtcDatetime | None = None
    eventKey: int | None = None
    disabled: bool | None = None


class AlarmInfo(VimObject):
    name: str = ""
    systemName: str | None = None
    description: str = ""
    enabled: bool = True
    actionFrequency: int | None = None
    key: str = ""
    alarm: ManagedObjectReference | None = None
    entity: ManagedObjectReference | None = None
    lastModifiedTime: UtcDatetime | None = None
    lastModifiedUser: str = ""
    creationEventId: int = 0


# -- task manager ------------------------------------------------------------------------------
class TypeDescription(Description):
    key: str = ""


class TaskDescription(VimObject):
    methodInfo: list[ElementDescription] | None = None
    state: list[ElementDescription] | None = None
    reason: list[TypeDescription] | None = None


# -- resource pools ----------------------------------------------------------------------------
class ResourcePoolResourceUsage(VimObject):
    reservationUsed: int = 0
    reservationUsedForVm: int = 0
    unreservedForPool: int = 0
    unreservedForVm: int = 0
    overallUsage: int = 0
    maxUsage: int = 0


class ResourcePoolRuntimeInfo(VimObject):
    memory: ResourcePoolResourceUsage | None = None
    cpu: ResourcePoolResourceUsage | None = None
    overallStatus: Known(ManagedEntityStatus) | None = None
    sharesScalable: str | None = None
