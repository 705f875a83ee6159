"""Datastores as vCenter describes them (``summary``, ``info``, ``host`` mounts, ``capability``) and a host's
storage as its ``HostStorageSystem`` does (VMFS mounts, the LUNs backing them, its HBAs).

Derived on demand from the datastore's moId and the seed (capacity, free space, VMFS UUID, the backing LUN's
``naa.`` id), so datastores cost no memory until read. Shared datastores are the cluster's two VMFS volumes on a
Fibre Channel array; a standalone host's is its local disk. A host mounts the datastores in its ``datastore``
list; a mount is accessible while the host is connected, unless it was made inaccessible for that host
(``Datastore.set_accessible``: a ``datastore-access`` story does it, with the reason VMware names).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from .. import wire

if TYPE_CHECKING:
    from .entities import Datastore
    from .inventory import HostSystem

__all__ = [
    "datastore_summary",
    "datastore_info",
    "datastore_mounts",
    "datastore_capability",
    "storage_device_info",
    "file_system_volume_info",
    "vmfs_uuid",
]

_TIB = 1 << 40


def _digest(seed: int, key: str) -> bytes:
    return hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=16).digest()


def vmfs_uuid(seed: int, moid: str) -> str:
    """A VMFS volume UUID as ESXi writes it (``6523a1b2-0c4f8e2a-91d3-3cfdfe0a1b2c``)."""
    h = _digest(seed, "vmfs" + moid).hex()
    return f"{h[:8]}-{h[8:16]}-{h[16:20]}-{h[20:32]}"


def _naa(seed: int, moid: str) -> str:
    return "naa.600a0980" + _digest(seed, "lun" + moid).hex()[:24]


def _capacity(ds: Datastore, seed: int) -> tuple[int, int]:
    d = _digest(seed, "cap" + ds.moid)
    if ds.shared:
        capacity = (4 + d[0] % 13) * _TIB
    else:
        capacity = (1 + d[0] % 2) * _TIB // 2
    free = capacity * (25 + d[1] % 50) // 100
    return capacity, free


def _url(ds: Datastore, seed: int) -> str:
    return f"ds:///vmfs/volumes/{vmfs_uuid(seed, ds.moid)}/"


def datastore_summary(ds: Datastore, seed: int) -> wire.DatastoreSummary:
    capacity, free = _capacity(ds, seed)
    return wire.DatastoreSummary(
        datastore=ds.ref,
        name=ds.name,
        url=_url(ds, seed),
        capacity=capacity,
        freeSpace=free,
        uncommitted=0,
        accessible=any(ds.accessible_from(h) for h in ds.mounted_hosts()) or not ds.mounted_hosts(),
        multipleHostAccess=ds.shared,
        type="VMFS",
        maintenanceMode="normal",
    )


def _volume(ds: Datastore, seed: int) -> wire.HostVmfsVolume:
    capacity, _free = _capacity(ds, seed)
    return wire.HostVmfsVolume(
        type="VMFS",
        name=ds.name,
        capacity=capacity,
        blockSizeMb=1,
        blockSize=1024,
        maxBlocks=63963136,
        majorVersion=6,
        version="6.82",
        uuid=vmfs_uuid(seed, ds.moid),
        extent=[wire.HostScsiDiskPartition(diskName=_naa(seed, ds.moid), partition=1)],
        vmfsUpgradable=False,
        ssd=True,
        local=not ds.shared,
    )


def datastore_info(ds: Datastore, seed: int, now: datetime, since_9_0: bool) -> wire.VmfsDatastoreInfo:
    """``Datastore.info``; the virtual disk formats it supports are listed from release 9.0 (*Since 9.0*)."""
    capacity, free = _capacity(ds, seed)
    return wire.VmfsDatastoreInfo(
        name=ds.name,
        url=_url(ds, seed),
        freeSpace=free,
        maxFileSize=64 * _TIB,
        maxVirtualDiskCapacity=64 * _TIB - 512 * (1 << 20),
        maxMemoryFileSize=64 * _TIB,
        timestamp=now,
        containerId=vmfs_uuid(seed, ds.moid),
        supportedVDiskFormats=["thin", "preallocated", "eagerZeroedThick", "thick"] if since_9_0 else None,
        maxPhysicalRDMFileSize=64 * _TIB,
        maxVirtualRDMFileSize=62 * _TIB,
        vmfs=_volume(ds, seed),
    )


def _mount(ds: Datastore, host: HostSystem, seed: int) -> wire.HostMountInfo:
    accessible = ds.accessible_from(host)
    return wire.HostMountInfo(
        path=f"/vmfs/volumes/{vmfs_uuid(seed, ds.moid)}",
        accessMode="readWrite",
        mounted=True,
        accessible=accessible,
        inaccessibleReason=None if accessible else ds.inaccessible.get(host.moid, "AllPathsDown_Start"),
    )


def datastore_mounts(ds: Datastore, seed: int) -> list[wire.DatastoreHostMount]:
    return [wire.DatastoreHostMount(key=h.ref, mountInfo=_mount(ds, h, seed)) for h in ds.mounted_hosts()]


def datastore_capability() -> wire.DatastoreCapability:
    return wire.DatastoreCapability(
        directoryHierarchySupported=True,
        rawDiskMappingsSupported=True,
        perFileThinProvisioningSupported=True,
        storageIORMSupported=True,
        nativeSnapshotSupported=False,
        topLevelDirectoryCreateSupported=True,
        seSparseSupported=True,
        vmfsSparseSupported=True,
        vsanSparseSupported=False,
    )


def storage_device_info(host: HostSystem, seed: int) -> wire.HostStorageDeviceInfo:
    """The host's HBAs (a local controller and two FC ports) and one LUN per mounted datastore."""
    wwn = int.from_bytes(_digest(seed, "wwn" + host.moid)[:5], "big")
    hbas: list[wire.HostHostBusAdapter] = [
        wire.HostBlockHba(
            key="key-vim.host.BlockHba-vmhba0", device="vmhba0", bus=3, status="unknown", model="Dell HBA355i",
            driver="lsi_msgpt35", pci="0000:03:00.0", storageProtocol="scsi",
        ),
        *(
            wire.HostFibreChannelHba(
                key=f"key-vim.host.FibreChannelHba-vmhba{i}", device=f"vmhba{i}", bus=59, status="online",
                model="Emulex LightPulse LPe35002-M2 32Gb 2-port PCIe Fibre Channel Adapter", driver="lpfc",
                pci=f"0000:3b:00.{i - 1}", storageProtocol="scsi",
                # Emulex WWNs: 10:00 (port) / 20:00 (node), OUI 00:90:fa, then the port's serial
                portWorldWideName=(0x10000090FA << 24 | wwn & 0xFFFFFF) + i,
                nodeWorldWideName=(0x20000090FA << 24 | wwn & 0xFFFFFF) + i,
                portType="fabric", speed=32_000_000_000,  # bits per second (VMware's unit)
            )
            for i in (1, 2)
        ),
    ]  # fmt: skip
    luns: list[wire.ScsiLun] = []
    for ds in host.datastores:
        naa = _naa(seed, ds.moid)
        capacity, _free = _capacity(ds, seed)
        luns.append(
            wire.HostScsiDisk(
                deviceName=f"/vmfs/devices/disks/{naa}",
                deviceType="disk",
                key=f"key-vim.host.ScsiDisk-{naa}",
                uuid="0200000000" + naa[4:] + "4d6f64656c",
                canonicalName=naa,
                displayName=("Local" if not ds.shared else "NETAPP Fibre Channel Disk") + f" ({naa})",
                lunType="disk",
                vendor="NETAPP  " if ds.shared else "ATA     ",
                model="LUN C-Mode      " if ds.shared else "MZ7LH1T9HMLT0D3 ",
                revision="9140",
                operationalState=["ok"],
                capacity=wire.HostDiskDimensionsLba(blockSize=512, block=capacity // 512),
                devicePath=f"/vmfs/devices/disks/{naa}",
                ssd=True,
                localDisk=not ds.shared,
            )
        )
    return wire.HostStorageDeviceInfo(hostBusAdapter=hbas, scsiLun=luns, softwareInternetScsiEnabled=False)


def file_system_volume_info(host: HostSystem, seed: int) -> wire.HostFileSystemVolumeInfo:
    return wire.HostFileSystemVolumeInfo(
        volumeTypeList=["VMFS", "NFS", "NFS41", "vsan", "VVOL", "VFFS", "OTHER", "PMEM"],
        mountInfo=[
            wire.HostFileSystemMountInfo(mountInfo=_mount(ds, host, seed), volume=_volume(ds, seed))
            for ds in host.datastores
        ],
    )
