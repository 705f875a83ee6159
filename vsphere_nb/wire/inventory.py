"""Host and cluster data objects read by the inventory."""

from __future__ import annotations

from typing import Optional

from ._common import AnyValue, Known, UtcDatetime
from .base import VimObject
from .enums import ClusterDasFdmAvailabilityState, HostSystemConnectionState, HostSystemPowerState, ManagedEntityStatus
from .moref import ManagedObjectReference
from .service import AboutInfo

__all__ = [
    "ClusterDasFdmHostState", "HostRuntimeInfo", "HostListSummary", "HostConfigSummary", "HostListSummaryConfigSummary",
    "ClusterDasConfigInfo", "ComputeResourceConfigInfo", "ClusterConfigInfoEx", "OptionValue",
]


class ClusterDasFdmHostState(VimObject):
    state: Known(ClusterDasFdmAvailabilityState)
    stateReporter: Optional[ManagedObjectReference] = None


class HostRuntimeInfo(VimObject):
    connectionState: Known(HostSystemConnectionState)
    powerState: Known(HostSystemPowerState)
    standbyMode: Optional[str] = None
    inMaintenanceMode: bool = False
    inQuarantineMode: Optional[bool] = None
    bootTime: Optional[UtcDatetime] = None
    dasHostState: Optional[ClusterDasFdmHostState] = None


class HostConfigSummary(VimObject):
    name: str
    port: int = 443
    sslThumbprint: Optional[str] = None
    product: Optional[AboutInfo] = None
    vmotionEnabled: bool = False
    faultToleranceEnabled: Optional[bool] = None


class HostListSummary(VimObject):
    host: Optional[ManagedObjectReference] = None
    hardware: Optional[VimObject] = None
    runtime: Optional[HostRuntimeInfo] = None
    config: Optional[HostConfigSummary] = None
    quickStats: Optional[VimObject] = None
    overallStatus: Known(ManagedEntityStatus) = ManagedEntityStatus.gray
    rebootRequired: bool = False
    managementServerIp: Optional[str] = None


class OptionValue(VimObject):
    key: str
    value: AnyValue = None


class ClusterDasConfigInfo(VimObject):
    enabled: Optional[bool] = None
    vmMonitoring: Optional[str] = None
    hostMonitoring: Optional[str] = None
    vmComponentProtecting: Optional[str] = None
    failoverLevel: Optional[int] = None
    admissionControlEnabled: Optional[bool] = None
    option: Optional[list[OptionValue]] = None
    heartbeatDatastore: Optional[list[ManagedObjectReference]] = None
    hBDatastoreCandidatePolicy: Optional[str] = None


class ComputeResourceConfigInfo(VimObject):
    vmSwapPlacement: str = "vmDirectory"
    defaultHardwareVersionKey: Optional[str] = None


class ClusterConfigInfoEx(ComputeResourceConfigInfo):
    dasConfig: Optional[ClusterDasConfigInfo] = None
    drsConfig: Optional[VimObject] = None


#: pyVmomi's Python name for ``HostConfigSummary`` (the wire name is ``HostConfigSummary``)
HostListSummaryConfigSummary = HostConfigSummary
