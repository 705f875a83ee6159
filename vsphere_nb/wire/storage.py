"""Datastore and host storage data objects (``Datastore.summary`` / ``info`` / ``host``, a host's
``HostStorageSystem``), and the data objects of a host's other sub-managers: services, certificate, option
definitions, its ``configManager``.

Names and fields are VMware's (checked against pyVmomi's tables by the tests); only the fields a browsing client
reads are declared, anything else a server sends is kept as an extra field.
"""

from __future__ import annotations

from ._common import UtcDatetime
from .base import VimObject
from .moref import ManagedObjectReference

__all__ = [
    "DatastoreSummary",
    "DatastoreCapability",
    "DatastoreInfo",
    "HostScsiDiskPartition",
    "HostFileSystemVolume",
    "HostVmfsVolume",
    "VmfsDatastoreInfo",
    "HostMountInfo",
    "DatastoreHostMount",
    "HostFileSystemMountInfo",
    "HostFileSystemVolumeInfo",
    "HostDiskDimensionsLba",
    "HostDevice",
    "ScsiLun",
    "HostScsiDisk",
    "HostHostBusAdapter",
    "HostBlockHba",
    "HostFibreChannelHba",
    "HostStorageDeviceInfo",
    "HostServiceSourcePackage",
    "HostService",
    "HostServiceInfo",
    "HostCertificateManagerCertificateInfo",
    "OptionType",
    "StringOption",
    "IntOption",
    "BoolOption",
    "OptionDef",
    "HostConfigManager",
]


# -- datastores --------------------------------------------------------------------------------
class DatastoreSummary(VimObject):
    datastore: ManagedObjectReference | None = None
    name: str = ""
    url: str = ""
    capacity: int = 0
    freeSpace: int = 0
    uncommitted: int | None = None
    accessible: bool = True
    multipleHostAccess: bool | None = None
    type: str = ""
    maintenanceMode: str | None = None


class DatastoreCapability(VimObject):
    directoryHierarchySupported: bool = True
    rawDiskMappingsSupported: bool = True
    perFileThinProvisioningSupported: bool = True
    storageIORMSupported: bool | None = None
    nativeSnapshotSupported: bool | None = None
    topLevelDirectoryCreateSupported: bool | None = None
    seSparseSupported: bool | None = None
    vmfsSparseSupported: bool | None = None
    vsanSparseSupported: bool | None = None


class DatastoreInfo(VimObject):
    name: str = ""
    url: str = ""
    freeSpace: int = 0
    maxFileSize: int = 0
    maxVirtualDiskCapacity: int | None = None
    maxMemoryFileSize: int | None = None
    timestamp: UtcDatetime | None = None
    containerId: str | None = None
    supportedVDiskFormats: list[str] | None = None


class HostScsiDiskPartition(VimObject):
    diskName: str = ""
    partition: int = 0


class HostFileSystemVolume(VimObject):
    type: str = ""
    name: str = ""
    capacity: int = 0


class HostVmfsVolume(HostFileSystemVolume):
    blockSizeMb: int | None = None
    blockSize: int | None = None
    maxBlocks: int | None = None
    majorVersion: int | None = None
    version: str | None = None
    uuid: str | None = None
    extent: list[HostScsiDiskPartition] | None = None
    vmfsUpgradable: bool | None = None
    ssd: bool | None = None
    local: bool | None = None


class VmfsDatastoreInfo(DatastoreInfo):
    maxPhysicalRDMFileSize: int | None = None
    maxVirtualRDMFileSize: int | None = None
    vmfs: HostVmfsVolume | None = None


class HostMountInfo(VimObject):
    path: str | None = None
    accessMode: str = "readWrite"
    mounted: bool | None = None
    accessible: bool | None = None
    inaccessibleReason: str | None = None


class DatastoreHostMount(VimObject):
    key: ManagedObjectReference | None = None
    mountInfo: HostMountInfo | None = None


class HostFileSystemMountInfo(VimObject):
    mountInfo: HostMountInfo | None = None
    volume: HostFileSystemVolume | None = None
    vStorageSupport: str | None = None


class HostFileSystemVolumeInfo(VimObject):
    volumeTypeList: list[str] | None = None
    mountInfo: list[HostFileSystemMountInfo] | None = None


class HostDiskDimensionsLba(VimObject):
    blockSize: int = 512
    block: int = 0


class HostDevice(VimObject):
    deviceName: str = ""
    deviceType: str = ""


class ScsiLun(HostDevice):
    key: str | None = None
    uuid: str = ""
    canonicalName: str | None = None
    displayName: str | None = None
    lunType: str = ""
    vendor: str | None = None
    model: str | None = None
    revision: str | None = None
    operationalState: list[str] | None = None


class HostScsiDisk(ScsiLun):
    capacity: HostDiskDimensionsLba | None = None
    devicePath: str = ""
    ssd: bool | None = None
    localDisk: bool | None = None


class HostHostBusAdapter(VimObject):
    key: str | None = None
    device: str = ""
    bus: int = 0
    status: str = ""
    model: str = ""
    driver: str | None = None
    pci: str | None = None
    storageProtocol: str | None = None


class HostBlockHba(HostHostBusAdapter):
    pass


class HostFibreChannelHba(HostHostBusAdapter):
    portWorldWideName: int = 0
    nodeWorldWideName: int = 0
    #: ``FibreChannelPortType``: fabric, loop, pointToPoint, unknown
    portType: str = "unknown"
    #: bits per second
    speed: int = 0


class HostStorageDeviceInfo(VimObject):
    hostBusAdapter: list[HostHostBusAdapter] | None = None
    scsiLun: list[ScsiLun] | None = None
    softwareInternetScsiEnabled: bool = False


# -- services, certificate, options ------------------------------------------------------------
class HostServiceSourcePackage(VimObject):
    sourcePackageName: str = ""
    description: str = ""


class HostService(VimObject):
    key: str = ""
    label: str = ""
    required: bool = False
    uninstallable: bool = False
    running: bool = False
    ruleset: list[str] | None = None
    policy: str = ""
    sourcePackage: HostServiceSourcePackage | None = None


class HostServiceInfo(VimObject):
    service: list[HostService] | None = None


class HostCertificateManagerCertificateInfo(VimObject):
    kind: str | None = None
    issuer: str | None = None
    notBefore: UtcDatetime | None = None
    notAfter: UtcDatetime | None = None
    subject: str | None = None
    #: ``HostCertificateManagerCertificateInfoCertificateStatus``: good, expiring…, expired, revoked, unknown
    status: str = ""


class OptionType(VimObject):
    valueIsReadonly: bool | None = None


class StringOption(OptionType):
    defaultValue: str = ""
    validCharacters: str | None = None


class IntOption(OptionType):
    min: int = 0
    max: int = 0
    defaultValue: int = 0


class BoolOption(OptionType):
    supported: bool = True
    defaultValue: bool = False


class OptionDef(VimObject):
    label: str = ""
    summary: str = ""
    key: str = ""
    optionType: OptionType | None = None


class HostConfigManager(VimObject):
    """``HostSystem.configManager``: the host's managed sub-objects (unset where a server has none)."""

    storageSystem: ManagedObjectReference | None = None
    networkSystem: ManagedObjectReference | None = None
    serviceSystem: ManagedObjectReference | None = None
    advancedOption: ManagedObjectReference | None = None
    dateTimeSystem: ManagedObjectReference | None = None
    virtualNicManager: ManagedObjectReference | None = None
    certificateManager: ManagedObjectReference | None = None
