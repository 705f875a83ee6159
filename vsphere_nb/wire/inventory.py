"""Host and cluster data objects read by the inventory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import AnyValue, Known, UtcDatetime
from .base import VimObject
from .enums import ClusterDasFdmAvailabilityState, HostSystemConnectionState, HostSystemPowerState, ManagedEntityStatus
from .moref import ManagedObjectReference
from .service import AboutInfo

if TYPE_CHECKING:  # resolved when ``wire`` rebuilds every model with the full registry
    from .host import HostHardwareSummary, HostListSummaryQuickStats

__all__ = [
    "ClusterDasFdmHostState",
    "HostRuntimeInfo",
    "HostListSummary",
    "HostConfigSummary",
    "HostListSummaryConfigSummary",
    "ClusterDasConfigInfo",
    "ComputeResourceConfigInfo",
    "ClusterConfigInfoEx",
    "OptionValue",
]


class ClusterDasFdmHostState(VimObject):
    state: Known(ClusterDasFdmAvailabilityState)
    stateReporter: ManagedObjectReference | None = None


class HostRuntimeInfo(VimObject):
    connectionState: Known(HostSystemConnectionState)
    powerState: Known(HostSystemPowerState)
    standbyMode: str | None = None
    inMaintenanceMode: bool = False
    inQuarantineMode: bool | None = None
    bootTime: UtcDatetime | None = None
    dasHostState: ClusterDasFdmHostState | None = None


class HostConfigSummary(VimObject):
    name: str
    port: int = 443
    sslThumbprint: str | None = None
    product: AboutInfo | None = None
    vmotionEnabled: bool = False
    faultToleranceEnabled: bool | None = None


class HostListSummary(VimObject):
    host: ManagedObjectReference | None = None
    hardware: HostHardwareSummary | None = None
    runtime: HostRuntimeInfo | None = None
    config: HostConfigSummary | None = None
    quickStats: HostListSummaryQuickStats | None = None
    overallStatus: Known(ManagedEntityStatus) = ManagedEntityStatus.gray
    rebootRequired: bool = False
    #: Since 9.1.0.0
    maintenanceModeRequired: bool | None = None
    managementServerIp: str | None = None


class OptionValue(VimObject):
    key: str
    value: AnyValue = None


class ClusterDasConfigInfo(VimObject):
    enabled: bool | None = None
    vmMonitoring: str | None = None
    hostMonitoring: str | None = None
    vmComponentProtecting: str | None = None
    failoverLevel: int | None = None
    admissionControlEnabled: bool | None = None
    option: list[OptionValue] | None = None
    heartbeatDatastore: list[ManagedObjectReference] | None = None
    hBDatastoreCandidatePolicy: str | None = None
    #: ``ClusterDasVmSettings`` (``restartPriority``, ``isolationResponse`` …)
    defaultVmSettings: VimObject | None = None


class ComputeResourceConfigInfo(VimObject):
    vmSwapPlacement: str = "vmDirectory"
    defaultHardwareVersionKey: str | None = None


class ClusterConfigInfoEx(ComputeResourceConfigInfo):
    dasConfig: ClusterDasConfigInfo | None = None
    drsConfig: VimObject | None = None
    #: ``VsanClusterConfigInfo`` (``enabled``): with vSAN on, HA agents talk over the vSAN network
    vsanConfigInfo: VimObject | None = None


#: pyVmomi's Python name for ``HostConfigSummary`` (the wire name is ``HostConfigSummary``)
HostListSummaryConfigSummary = HostConfigSummary
