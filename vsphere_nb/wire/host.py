"""Host, compute-resource and resource-pool data objects beyond the runtime state: hardware, configuration
(network with vmknics and port groups, date/time, advanced options), quick stats and summaries.

Names and fields are VMware's (``vim.host.*``, ``vim.ComputeResource.Summary`` …, checked against pyVmomi's
tables by the tests). Only the fields a browsing client reads are declared; anything else a server sends is kept
as an extra field, as everywhere in :mod:`vsphere_nb.wire`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import Known, UtcDatetime
from .base import VimObject
from .enums import ManagedEntityStatus
from .moref import ManagedObjectReference
from .service import AboutInfo

if TYPE_CHECKING:  # resolved when ``wire`` rebuilds every model with the full registry
    from .inventory import OptionValue

__all__ = [
    "HostSystemIdentificationInfo",
    "HostHardwareSummary",
    "HostListSummaryQuickStats",
    "HostSystemInfo",
    "HostCpuInfo",
    "HostCpuPackage",
    "HostHardwareInfo",
    "HostIpConfig",
    "HostVirtualNicSpec",
    "HostVirtualNic",
    "HostNetworkSecurityPolicy",
    "HostNetworkPolicy",
    "HostPortGroupSpec",
    "HostPortGroup",
    "HostVirtualSwitchSpec",
    "HostVirtualSwitch",
    "PhysicalNic",
    "HostDnsConfig",
    "HostIpRouteConfig",
    "HostNetworkInfo",
    "VirtualNicManagerNetConfig",
    "HostVirtualNicManagerInfo",
    "HostDateTimeSystemTimeZone",
    "HostNtpConfig",
    "HostDateTimeInfo",
    "HostConfigInfo",
    "ComputeResourceSummary",
    "ClusterComputeResourceSummary",
    "ResourceAllocationInfo",
    "ResourceConfigSpec",
    "NetworkSummary",
]


# -- hardware ----------------------------------------------------------------------------------
class HostSystemIdentificationInfo(VimObject):
    identifierValue: str
    identifierType: VimObject | None = None  # ElementDescription {label, summary, key}


class HostHardwareSummary(VimObject):
    vendor: str = ""
    model: str = ""
    #: Since 9.0.0.0
    family: str | None = None
    uuid: str = ""
    otherIdentifyingInfo: list[HostSystemIdentificationInfo] | None = None
    memorySize: int = 0
    cpuModel: str = ""
    cpuMhz: int = 0
    numCpuPkgs: int = 0
    numCpuCores: int = 0
    numCpuThreads: int = 0
    numNics: int = 0
    numHBAs: int = 0


class HostListSummaryQuickStats(VimObject):
    overallCpuUsage: int | None = None
    overallMemoryUsage: int | None = None
    distributedCpuFairness: int | None = None
    distributedMemoryFairness: int | None = None
    availablePMemCapacity: int | None = None
    uptime: int | None = None


class HostSystemInfo(VimObject):
    vendor: str = ""
    model: str = ""
    #: Since 9.0.0.0
    family: str | None = None
    uuid: str = ""
    otherIdentifyingInfo: list[HostSystemIdentificationInfo] | None = None
    serialNumber: str | None = None


class HostCpuInfo(VimObject):
    numCpuPackages: int = 0
    numCpuCores: int = 0
    numCpuThreads: int = 0
    hz: int = 0


class HostCpuPackage(VimObject):
    index: int = 0
    vendor: str = ""
    hz: int = 0
    busHz: int = 0
    description: str = ""
    threadId: list[int] | None = None


class HostHardwareInfo(VimObject):
    systemInfo: HostSystemInfo | None = None
    cpuInfo: HostCpuInfo | None = None
    cpuPkg: list[HostCpuPackage] | None = None
    memorySize: int = 0


# -- network -----------------------------------------------------------------------------------
class HostIpConfig(VimObject):
    dhcp: bool = False
    ipAddress: str | None = None
    subnetMask: str | None = None


class HostVirtualNicSpec(VimObject):
    ip: HostIpConfig | None = None
    mac: str | None = None
    portgroup: str | None = None
    mtu: int | None = None
    tsoEnabled: bool | None = None
    netStackInstanceKey: str | None = None


class HostVirtualNic(VimObject):
    device: str = ""
    key: str = ""
    portgroup: str = ""
    spec: HostVirtualNicSpec | None = None
    port: str | None = None


class HostNetworkSecurityPolicy(VimObject):
    allowPromiscuous: bool | None = None
    macChanges: bool | None = None
    forgedTransmits: bool | None = None


class HostNetworkPolicy(VimObject):
    security: HostNetworkSecurityPolicy | None = None


class HostPortGroupSpec(VimObject):
    name: str = ""
    vlanId: int = 0
    vswitchName: str = ""
    policy: HostNetworkPolicy | None = None


class HostPortGroup(VimObject):
    key: str | None = None
    vswitch: str | None = None
    computedPolicy: HostNetworkPolicy | None = None
    spec: HostPortGroupSpec | None = None


class HostVirtualSwitchSpec(VimObject):
    numPorts: int = 0
    policy: HostNetworkPolicy | None = None
    mtu: int | None = None


class HostVirtualSwitch(VimObject):
    name: str = ""
    key: str = ""
    numPorts: int = 0
    numPortsAvailable: int = 0
    mtu: int | None = None
    portgroup: list[str] | None = None
    pnic: list[str] | None = None
    spec: HostVirtualSwitchSpec | None = None


class PhysicalNic(VimObject):
    key: str | None = None
    device: str = ""
    pci: str = ""
    driver: str | None = None
    mac: str = ""
    wakeOnLanSupported: bool = False


class HostDnsConfig(VimObject):
    dhcp: bool = False
    hostName: str = ""
    domainName: str = ""
    address: list[str] | None = None
    searchDomain: list[str] | None = None


class HostIpRouteConfig(VimObject):
    defaultGateway: str | None = None
    gatewayDevice: str | None = None


class HostNetworkInfo(VimObject):
    vswitch: list[HostVirtualSwitch] | None = None
    portgroup: list[HostPortGroup] | None = None
    pnic: list[PhysicalNic] | None = None
    vnic: list[HostVirtualNic] | None = None
    dnsConfig: HostDnsConfig | None = None
    ipRouteConfig: HostIpRouteConfig | None = None
    ipV6Enabled: bool | None = None


class VirtualNicManagerNetConfig(VimObject):
    """Which vmknics carry one kind of traffic (``nicType`` ``management``, ``vmotion``, ``faultToleranceLogging`` …);
    ``selectedVnic`` holds ``HostVirtualNic.key`` links into ``candidateVnic``."""

    nicType: str = ""
    multiSelectAllowed: bool = True
    candidateVnic: list[HostVirtualNic] | None = None
    selectedVnic: list[str] | None = None


class HostVirtualNicManagerInfo(VimObject):
    netConfig: list[VirtualNicManagerNetConfig] | None = None


# -- date and time ------------------------------------------------------------------------------
class HostDateTimeSystemTimeZone(VimObject):
    key: str = ""
    name: str = ""
    description: str = ""
    gmtOffset: int = 0


class HostNtpConfig(VimObject):
    server: list[str] | None = None
    configFile: list[str] | None = None


class HostDateTimeInfo(VimObject):
    timeZone: HostDateTimeSystemTimeZone | None = None
    systemClockProtocol: str | None = None
    ntpConfig: HostNtpConfig | None = None
    enabled: bool | None = None
    inFallbackState: bool | None = None
    lastSyncTime: UtcDatetime | None = None
    remoteNtpServer: str | None = None


# -- configuration ------------------------------------------------------------------------------
class HostConfigInfo(VimObject):
    host: ManagedObjectReference | None = None
    product: AboutInfo | None = None
    network: HostNetworkInfo | None = None
    virtualNicManagerInfo: HostVirtualNicManagerInfo | None = None
    dateTimeInfo: HostDateTimeInfo | None = None
    #: advanced settings (``OptionValue``), e.g. the vSphere HA agent's version
    option: list[OptionValue] | None = None
    adminDisabled: bool | None = None
    lockdownMode: str | None = None
    sslThumbprintInfo: VimObject | None = None
    featureVersion: list[VimObject] | None = None


# -- compute resources, pools and networks -------------------------------------------------------
class ComputeResourceSummary(VimObject):
    totalCpu: int = 0
    totalMemory: int = 0
    numCpuCores: int = 0
    numCpuThreads: int = 0
    effectiveCpu: int = 0
    effectiveMemory: int = 0
    numHosts: int = 0
    numEffectiveHosts: int = 0
    overallStatus: Known(ManagedEntityStatus) = ManagedEntityStatus.gray


class ClusterComputeResourceSummary(ComputeResourceSummary):
    currentFailoverLevel: int = 0
    numVmotions: int = 0
    targetBalance: int | None = None
    currentBalance: int | None = None
    drsScore: int | None = None
    currentEVCModeKey: str | None = None
    clusterMaintenanceModeStatus: str | None = None
    vcsHealthStatus: str | None = None


class ResourceAllocationInfo(VimObject):
    reservation: int | None = None
    expandableReservation: bool | None = None
    limit: int | None = None
    shares: VimObject | None = None  # SharesInfo {shares, level}
    overheadLimit: int | None = None


class ResourceConfigSpec(VimObject):
    entity: ManagedObjectReference | None = None
    changeVersion: str | None = None
    lastModified: UtcDatetime | None = None
    cpuAllocation: ResourceAllocationInfo | None = None
    memoryAllocation: ResourceAllocationInfo | None = None


class NetworkSummary(VimObject):
    network: ManagedObjectReference | None = None
    name: str = ""
    accessible: bool = True
    ipPoolName: str | None = None
    ipPoolId: int | None = None
