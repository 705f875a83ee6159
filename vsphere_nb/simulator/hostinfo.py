"""What a host reports beyond its runtime state: hardware, network configuration, date/time, quick stats.

Everything here is derived on demand from a few per-host facts (the host's position in the fleet, its name,
product and boot time, the seed), so 10,000 hosts cost no more memory until a client reads these properties.

Network configuration is the exception that a scenario (a "root cause story") may want to change per host: a
host's :class:`HostNetworkSetup` — port groups with their VLAN and vSwitch, vmknics with their addresses and the
traffic each carries (``services``: ``management``, ``vmotion`` …, VMware's ``VirtualNicManager`` nic types) —
is :func:`default_network` until something assigns ``host.network_setup``; the simulator then serves
``config.network``, ``config.virtualNicManagerInfo`` and ``summary.managementServerIp``-style reads from it.
Call ``registry.changed(host)`` after changing it, under the registry lock.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from .. import wire

_T = TypeVar("_T", bound=wire.VimObject)

__all__ = [
    "Vmknic",
    "PortGroup",
    "HostNetworkSetup",
    "HardwareProfile",
    "HARDWARE_PROFILES",
    "default_network",
    "hardware_profile",
    "host_uuid",
    "hardware_summary",
    "hardware_info",
    "quick_stats",
    "config_info",
    "host_options",
    "date_time_info",
    "network_info",
    "nic_manager_info",
    "thumbprint",
    "NIC_TYPES",
    "FDM_VERSION_OPTION",
]

#: the traffic kinds a vmknic can carry (``VirtualNicManager`` nic types a vCenter lists for a host)
NIC_TYPES = ("management", "vmotion", "faultToleranceLogging", "vSphereReplication", "vSphereProvisioning", "vsan")
#: advanced option under which the simulator reports the host's vSphere HA (FDM) agent version; no VMware
#: property carries it, so this is the simulator's own convention (documented in the README)
FDM_VERSION_OPTION = "FDM.AgentVersion"


@dataclass
class Vmknic:
    """A VMkernel adapter: ``device`` (``vmk0``) on port group ``portgroup`` with a static IPv4 address."""

    device: str
    portgroup: str
    ip: str
    netmask: str = "255.255.255.0"
    mac: str = ""
    mtu: int = 1500
    dhcp: bool = False
    #: the traffic it carries (``NIC_TYPES``); ``"management"`` makes it a management vmknic (HA heartbeats)
    services: tuple[str, ...] = ("management",)

    @property
    def management(self) -> bool:
        return "management" in self.services


@dataclass
class PortGroup:
    name: str
    vlan: int = 0
    vswitch: str = "vSwitch0"


@dataclass
class HostNetworkSetup:
    """A host's standard-switch network: switches (name → uplinks), port groups, vmknics, DNS and gateway."""

    vswitches: dict[str, list[str]]
    portgroups: list[PortGroup]
    vmknics: list[Vmknic]
    gateway: str = ""
    dns_servers: list[str] = field(default_factory=list)
    domain: str = "example.internal"
    mtu: int = 1500

    def management_ips(self) -> list[str]:
        return [v.ip for v in self.vmknics if v.management]


@dataclass(frozen=True)
class HardwareProfile:
    vendor: str
    model: str
    family: str
    cpu_model: str
    cpu_mhz: int
    packages: int
    cores: int
    threads: int
    memory_gib: int
    nics: int
    hbas: int


HARDWARE_PROFILES = (
    HardwareProfile(
        "Dell Inc.", "PowerEdge R750", "PowerEdge", "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
        1995, 2, 64, 128, 1024, 4, 3,
    ),
    HardwareProfile(
        "HPE", "ProLiant DL380 Gen10 Plus", "ProLiant", "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz",
        1995, 2, 56, 112, 768, 4, 2,
    ),
    HardwareProfile(
        "Lenovo", "ThinkSystem SR650 V2", "ThinkSystem", "Intel(R) Xeon(R) Gold 5318Y CPU @ 2.10GHz",
        2095, 2, 48, 96, 512, 6, 2,
    ),
    HardwareProfile(
        "Cisco Systems Inc", "UCSC-C240-M6SX", "UCS", "AMD EPYC 7543 32-Core Processor",
        2794, 2, 64, 128, 1024, 4, 2,
    ),
)  # fmt: skip


def _digest(seed: int, key: str) -> bytes:
    return hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=16).digest()


def hardware_profile(seed: int, moid: str) -> HardwareProfile:
    return HARDWARE_PROFILES[_digest(seed, "hw" + moid)[0] % len(HARDWARE_PROFILES)]


def host_uuid(seed: int, moid: str) -> str:
    """The host's BIOS UUID (``hardware.systemInfo.uuid``), stable per (seed, moId)."""
    return str(uuid.UUID(bytes=_digest(seed, "uuid" + moid), version=4))


def _mac(seed: int, moid: str, n: int) -> str:
    d = _digest(seed, f"mac{n}{moid}")
    return f"00:50:56:{d[0] & 0x3F:02x}:{d[1]:02x}:{d[2]:02x}"


def default_network(index: int, seed: int, moid: str, short_name: str) -> HostNetworkSetup:
    """The usual two-switch layout: management and vMotion vmknics, a VM port group, 2 uplinks each."""
    third, fourth = divmod(index, 250)
    mgmt = f"10.10.{third % 256}.{fourth + 1}"
    vmotion = f"10.20.{third % 256}.{fourth + 1}"
    return HostNetworkSetup(
        vswitches={"vSwitch0": ["vmnic0", "vmnic1"], "vSwitch1": ["vmnic2", "vmnic3"]},
        portgroups=[
            PortGroup("Management Network", 10, "vSwitch0"),
            PortGroup("VM Network", 0, "vSwitch0"),
            PortGroup("vMotion", 20, "vSwitch1"),
        ],
        vmknics=[
            Vmknic("vmk0", "Management Network", mgmt, "255.255.0.0", _mac(seed, moid, 0), services=("management",)),
            Vmknic("vmk1", "vMotion", vmotion, "255.255.0.0", _mac(seed, moid, 1), 9000, services=("vmotion",)),
        ],
        gateway="10.10.0.1",
        dns_servers=["10.0.0.53", "10.0.1.53"],
    )


#: one shared, empty "fields set" for the lean per-host models below (nothing reads which fields were set)
_NO_FIELDS_SET: frozenset[str] = frozenset()


def _lean(cls: type[_T], **values: Any) -> _T:
    """``cls(**values)`` without validation and without a per-instance fields-set: the models every host keeps in
    its cached ``summary`` cost ~25 % less memory this way. Only for values already of the declared types."""
    built: _T = cls.model_construct(_fields_set=_NO_FIELDS_SET, **values)  # type: ignore[arg-type, assignment]
    return built


def hardware_summary(profile: HardwareProfile, host_uuid_: str, with_family: bool) -> wire.HostHardwareSummary:
    return _lean(
        wire.HostHardwareSummary,
        vendor=profile.vendor,
        model=profile.model,
        family=profile.family if with_family else None,
        uuid=host_uuid_,
        memorySize=profile.memory_gib << 30,
        cpuModel=profile.cpu_model,
        cpuMhz=profile.cpu_mhz,
        numCpuPkgs=profile.packages,
        numCpuCores=profile.cores,
        numCpuThreads=profile.threads,
        numNics=profile.nics,
        numHBAs=profile.hbas,
    )


def hardware_info(profile: HardwareProfile, host_uuid_: str, serial: str, with_family: bool) -> wire.HostHardwareInfo:
    hz = profile.cpu_mhz * 1_000_000
    per_pkg = profile.threads // max(profile.packages, 1)
    return wire.HostHardwareInfo(
        systemInfo=wire.HostSystemInfo(
            vendor=profile.vendor,
            model=profile.model,
            family=profile.family if with_family else None,
            uuid=host_uuid_,
            serialNumber=serial,
        ),
        cpuInfo=wire.HostCpuInfo(
            numCpuPackages=profile.packages, numCpuCores=profile.cores, numCpuThreads=profile.threads, hz=hz
        ),
        cpuPkg=[
            wire.HostCpuPackage(
                index=i,
                vendor="amd" if "AMD" in profile.cpu_model else "intel",
                hz=hz,
                busHz=100_000_000,
                description=profile.cpu_model,
                threadId=list(range(i * per_pkg, (i + 1) * per_pkg)),
            )
            for i in range(profile.packages)
        ],
        memorySize=profile.memory_gib << 30,
    )


def quick_stats(
    profile: HardwareProfile, seed: int, moid: str, boot_time: datetime | None, now: datetime, powered_on: bool
) -> wire.HostListSummaryQuickStats:
    if not powered_on:
        return wire.HostListSummaryQuickStats()
    d = _digest(seed, "load" + moid)
    cpu_total = profile.cpu_mhz * profile.cores
    mem_total_mb = profile.memory_gib * 1024
    return _lean(
        wire.HostListSummaryQuickStats,
        overallCpuUsage=cpu_total * (10 + d[0] % 50) // 100,
        overallMemoryUsage=mem_total_mb * (20 + d[1] % 60) // 100,
        distributedCpuFairness=d[2] % 100,
        distributedMemoryFairness=d[3] % 100,
        uptime=int((now - boot_time).total_seconds()) if boot_time is not None else None,
    )


def _vnic(v: Vmknic, key_prefix: str = "key-vim.host.VirtualNic-") -> wire.HostVirtualNic:
    return wire.HostVirtualNic(
        device=v.device,
        key=key_prefix + v.device,
        portgroup=v.portgroup,
        spec=wire.HostVirtualNicSpec(
            ip=wire.HostIpConfig(dhcp=v.dhcp, ipAddress=v.ip, subnetMask=v.netmask),
            mac=v.mac or None,
            portgroup=v.portgroup,
            mtu=v.mtu,
            tsoEnabled=True,
            netStackInstanceKey="defaultTcpipStack",
        ),
    )


#: a standard switch's security policy as ESXi 8 creates it (nothing allowed); shared, never modified
_SWITCH_POLICY = wire.HostNetworkPolicy(
    security=wire.HostNetworkSecurityPolicy(allowPromiscuous=False, macChanges=False, forgedTransmits=False)
)


def network_info(setup: HostNetworkSetup, short_name: str) -> wire.HostNetworkInfo:
    pnics = [p for uplinks in setup.vswitches.values() for p in uplinks]
    return wire.HostNetworkInfo(
        vswitch=[
            wire.HostVirtualSwitch(
                name=name,
                key=f"key-vim.host.VirtualSwitch-{name}",
                numPorts=2560,
                numPortsAvailable=2560 - 8 * len([g for g in setup.portgroups if g.vswitch == name]),
                mtu=_switch_mtu(setup, name),
                portgroup=[f"key-vim.host.PortGroup-{g.name}" for g in setup.portgroups if g.vswitch == name],
                pnic=[f"key-vim.host.PhysicalNic-{p}" for p in uplinks],
                spec=wire.HostVirtualSwitchSpec(numPorts=2560, policy=_SWITCH_POLICY, mtu=_switch_mtu(setup, name)),
            )
            for name, uplinks in setup.vswitches.items()
        ],
        portgroup=[
            wire.HostPortGroup(
                key=f"key-vim.host.PortGroup-{g.name}",
                vswitch=f"key-vim.host.VirtualSwitch-{g.vswitch}",
                computedPolicy=_SWITCH_POLICY,  # a port group inherits its switch's policy
                spec=wire.HostPortGroupSpec(
                    name=g.name, vlanId=g.vlan, vswitchName=g.vswitch, policy=wire.HostNetworkPolicy()
                ),
            )
            for g in setup.portgroups
        ],
        pnic=[
            wire.PhysicalNic(
                key=f"key-vim.host.PhysicalNic-{p}",
                device=p,
                pci=f"0000:3b:00.{i}",
                driver="i40en",
                mac=f"3c:fd:fe:{_digest(0, short_name)[0]:02x}:{_digest(0, short_name)[1]:02x}:{i:02x}",
            )
            for i, p in enumerate(pnics)
        ],
        vnic=[_vnic(v) for v in setup.vmknics],
        dnsConfig=wire.HostDnsConfig(
            dhcp=False,
            hostName=short_name,
            domainName=setup.domain,
            address=list(setup.dns_servers),
            searchDomain=[setup.domain],
        ),
        ipRouteConfig=wire.HostIpRouteConfig(defaultGateway=setup.gateway or None, gatewayDevice="vmk0"),
        ipV6Enabled=False,
    )


def _switch_of(setup: HostNetworkSetup, vmknic: Vmknic) -> str | None:
    return next((g.vswitch for g in setup.portgroups if g.name == vmknic.portgroup), None)


def _switch_mtu(setup: HostNetworkSetup, switch: str) -> int:
    """A switch's MTU: large enough for every vmknic on it (jumbo frames for vMotion)."""
    return max([setup.mtu] + [v.mtu for v in setup.vmknics if _switch_of(setup, v) == switch])


def nic_manager_info(setup: HostNetworkSetup) -> wire.HostVirtualNicManagerInfo:
    """Per traffic kind: every vmknic is a candidate, the ones whose ``services`` name it are selected."""
    prefix = "VirtualNicManager.{}.key-vim.host.VirtualNic-"
    configs = []
    for nic_type in NIC_TYPES:
        key = prefix.format(nic_type)
        configs.append(
            wire.VirtualNicManagerNetConfig(
                nicType=nic_type,
                multiSelectAllowed=True,
                candidateVnic=[_vnic(v, key) for v in setup.vmknics],
                selectedVnic=[key + v.device for v in setup.vmknics if nic_type in v.services] or None,
            )
        )
    return wire.HostVirtualNicManagerInfo(netConfig=configs)


def host_options(short_name: str, fdm_version: str | None) -> list[wire.OptionValue]:
    """The advanced settings ``config.option`` lists (the vSphere HA agent version among them)."""
    options = [
        wire.OptionValue(key="Config.HostAgent.log.level", value="info"),
        wire.OptionValue(key="Misc.PreferredHostName", value=short_name),
        wire.OptionValue(key="UserVars.SuppressShellWarning", value=0),
    ]
    if fdm_version:
        options.append(wire.OptionValue(key=FDM_VERSION_OPTION, value=fdm_version))
    return options


def date_time_info(setup: HostNetworkSetup) -> wire.HostDateTimeInfo:
    """UTC, kept by NTP against the site's two time servers."""
    return wire.HostDateTimeInfo(
        timeZone=wire.HostDateTimeSystemTimeZone(key="UTC", name="UTC", description="UTC", gmtOffset=0),
        systemClockProtocol="ntp",
        ntpConfig=wire.HostNtpConfig(server=["ntp1." + setup.domain, "ntp2." + setup.domain]),
        enabled=True,
    )


def config_info(
    ref: wire.MoRef,
    product: wire.AboutInfo,
    setup: HostNetworkSetup,
    short_name: str,
    fdm_version: str | None,
) -> wire.HostConfigInfo:
    return wire.HostConfigInfo(
        host=ref,
        product=product,
        network=network_info(setup, short_name),
        virtualNicManagerInfo=nic_manager_info(setup),
        dateTimeInfo=date_time_info(setup),
        option=host_options(short_name, fdm_version),
        adminDisabled=False,
        lockdownMode="lockdownDisabled",
    )


def thumbprint(seed: int, moid: str) -> str:
    """An SSL thumbprint (SHA-256, colon-separated hex) stable per (seed, moId)."""
    d = hashlib.sha256(f"{seed}:cert:{moid}".encode()).digest()
    return ":".join(f"{b:02X}" for b in d)
