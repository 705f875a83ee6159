"""A host's managed sub-objects, as ``HostSystem.configManager`` lists them: network, vmknic traffic types,
date/time, advanced options, services, certificate and storage.

Objects every host has but few clients read, so they are made on first lookup (:attr:`.model.Registry.lazy`) and
hold nothing but their host: every value is derived from the host when read (and never cached), so it always
agrees with the rest of the inventory and with a root-cause story — the ``management-network`` host's port group with the wrong VLAN,
the ``certificate`` host's certificate that vCenter does not expect, the HA agent service (``vmware-fdm``) of a host
whose agent is down, the VMFS mounts of a ``datastore-access`` host (none). moIds are vCenter's
(``networkSystem-1007`` for ``host-1007``; ESXi's fixed ones in ``esx`` mode). A host vCenter cannot reach has no
configuration: those properties are unset, as on a vCenter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .. import wire
from . import hostinfo, hoststorage
from .clock import Clock
from .model import ManagedObject

if TYPE_CHECKING:
    from .inventory import HostSystem
    from .vcenter import Vcenter

__all__ = [
    "HostSubManager",
    "HostNetworkSystem",
    "HostVirtualNicManager",
    "HostDateTimeSystem",
    "HostAdvancedOptions",
    "HostServiceSystem",
    "HostCertificateManager",
    "HostStorageSystem",
    "SUB_MANAGERS",
    "config_manager",
    "register_lazy",
    "advanced_options",
    "option_defs",
    "HA_AGENT_SERVICE",
]

_EXTENSIBLE = {"value": "ArrayOfCustomFieldValue", "availableField": "ArrayOfCustomFieldDef"}
#: the vSphere HA agent's service key on ESXi (label "vSphere High Availability Agent")
HA_AGENT_SERVICE = "vmware-fdm"
#: agent states in which the FDM service runs
_AGENT_RUNNING = frozenset(
    {"master", "connectedToMaster", "election", "networkPartitionedFromMaster", "networkIsolated", "retry"}
)


class HostSubManager(ManagedObject):
    """One of a host's sub-objects: every property is read from :attr:`host` when asked."""

    #: ``HostConfigManager`` field, vCenter moId prefix, ESXi moId
    FIELD = ""
    PREFIX = ""
    ESX_ID = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # every value derives from the host, which changes without this object changing: never cached (that also
        # keeps a client that reads every host's sub-objects from leaving ~140 KB of cached values per host)
        cls.NO_CACHE = frozenset(cls.PROPERTIES)

    def __init__(self, moid: str, host: HostSystem, vc: Vcenter) -> None:
        super().__init__(moid)
        self.host = host
        self.vc = vc

    @property
    def reachable(self) -> bool:
        return self.host.connection_state == "connected"

    def prop(self, name: str) -> Any:
        if name in _EXTENSIBLE:
            return []
        return self.read(name) if self.reachable else None

    def read(self, name: str) -> Any:
        return None


class HostNetworkSystem(HostSubManager):
    TYPE = "HostNetworkSystem"
    ANCESTRY = ("HostNetworkSystem", "ExtensibleManagedObject", "ManagedObject")
    PROPERTIES = {
        **_EXTENSIBLE,
        "capabilities": "HostNetCapabilities",
        "networkInfo": "HostNetworkInfo",
        "offloadCapabilities": "HostNetOffloadCapabilities",
        "networkConfig": "HostNetworkConfig",
        "dnsConfig": "HostDnsConfig",
        "ipRouteConfig": "HostIpRouteConfig",
        "consoleIpRouteConfig": "HostIpRouteConfig",
    }
    FIELD, PREFIX, ESX_ID = "networkSystem", "networkSystem-", "networkSystem"

    def read(self, name: str) -> Any:
        if name not in ("networkInfo", "dnsConfig", "ipRouteConfig"):
            return None
        info = hostinfo.network_info(self.host.network(), self.host.short_name)
        return info if name == "networkInfo" else getattr(info, name)


class HostVirtualNicManager(HostSubManager):
    """Which traffic each vmknic carries (``info.netConfig``; the same as ``config.virtualNicManagerInfo``)."""

    TYPE = "HostVirtualNicManager"
    ANCESTRY = ("HostVirtualNicManager", "ExtensibleManagedObject", "ManagedObject")
    PROPERTIES = {**_EXTENSIBLE, "info": "HostVirtualNicManagerInfo"}
    FIELD, PREFIX, ESX_ID = "virtualNicManager", "virtualNicManager-", "ha-vnic-mgr"

    def read(self, name: str) -> Any:
        return hostinfo.nic_manager_info(self.host.network()) if name == "info" else None


class HostDateTimeSystem(HostSubManager):
    TYPE = "HostDateTimeSystem"
    ANCESTRY = ("HostDateTimeSystem", "ManagedObject")
    PROPERTIES = {"dateTimeInfo": "HostDateTimeInfo"}
    FIELD, PREFIX, ESX_ID = "dateTimeSystem", "dateTimeSystem-", "dateTimeSystem"

    def read(self, name: str) -> Any:
        return hostinfo.date_time_info(self.host.network()) if name == "dateTimeInfo" else None


def advanced_options(host: HostSystem) -> list[wire.OptionValue]:
    """The host's advanced settings (``config.option`` and more), sorted by key."""
    setup = host.network()
    options = {o.key: o for o in hostinfo.host_options(host.short_name, host.fdm_version or host.ctx.fdm_version)}
    more = {
        "Net.TcpipHeapSize": 0,
        "Net.TcpipHeapMax": 1024,
        "Misc.HostName": host.short_name,
        "Syslog.global.logHost": "",
        "UserVars.ESXiShellTimeOut": 0,
        "Config.HostAgent.plugins.solo.enableMob": False,
        "Vpx.Vpxa.config.vpxa.hostIp": setup.management_ips()[0] if setup.management_ips() else "",
        "Das.IgnoreRedundantNetWarning": "false",
    }
    for key, value in more.items():
        options.setdefault(key, wire.OptionValue(key=key, value=value))
    return [options[k] for k in sorted(options)]


def option_defs(options: list[wire.OptionValue]) -> list[wire.OptionDef]:
    """``supportedOption``: a definition (label, type, default) for each setting."""
    out = []
    for option in options:
        value = option.value
        if isinstance(value, bool):
            kind: wire.OptionType = wire.BoolOption(valueIsReadonly=False, supported=True, defaultValue=value)
        elif isinstance(value, int):
            kind = wire.IntOption(valueIsReadonly=False, min=0, max=2**31 - 1, defaultValue=value)
        else:
            kind = wire.StringOption(valueIsReadonly=False, defaultValue="")
        label = option.key.rsplit(".", 1)[-1]
        out.append(wire.OptionDef(label=label, summary=label, key=option.key, optionType=kind))
    return out


class HostAdvancedOptions(HostSubManager):
    """``configManager.advancedOption``: an ``OptionManager`` of the host's advanced settings."""

    TYPE = "OptionManager"
    ANCESTRY = ("OptionManager", "ManagedObject")
    PROPERTIES = {"supportedOption": "ArrayOfOptionDef", "setting": "ArrayOfOptionValue"}
    FIELD, PREFIX, ESX_ID = "advancedOption", "EsxHostAdvSettings-", "ha-adv-options"

    def read(self, name: str) -> Any:
        if name == "setting":
            return advanced_options(self.host)
        if name == "supportedOption":
            return option_defs(advanced_options(self.host))
        return None


#: the services an ESXi 8 host lists: key -> (label, required, ruleset, policy, running)
_SERVICES: tuple[tuple[str, str, bool, tuple[str, ...], str, bool], ...] = (
    ("DCUI", "Direct Console UI", False, (), "on", True),
    ("TSM", "ESXi Shell", False, (), "off", False),
    ("TSM-SSH", "SSH", False, ("sshServer",), "off", False),
    ("attestd", "attestd", False, (), "off", False),
    ("dpd", "dpd", False, (), "off", False),
    ("kmxd", "kmxd", False, (), "off", False),
    ("lbtd", "Load-Based Teaming Daemon", False, (), "on", True),
    ("lwsmd", "Active Directory Service", False, (), "off", False),
    ("ntpd", "NTP Daemon", False, ("ntpClient",), "on", True),
    ("pcscd", "PC/SC Smart Card Daemon", False, (), "off", False),
    ("ptpd", "PTP Daemon", False, ("ptpd",), "off", False),
    ("sfcbd-watchdog", "CIM Server", False, ("CIMHttpServer", "CIMHttpsServer"), "on", True),
    ("slpd", "slpd", False, ("CIMSLP",), "off", False),
    ("snmpd", "SNMP Server", False, ("snmp",), "on", False),
    ("vltd", "vltd", False, (), "off", False),
    ("vmsyslogd", "Syslog Server", True, (), "on", True),
    ("vpxa", "VMware vCenter Agent", False, ("vpxHeartbeats",), "on", True),
    ("xorg", "X.Org Server", False, (), "on", False),
)


class HostServiceSystem(HostSubManager):
    TYPE = "HostServiceSystem"
    ANCESTRY = ("HostServiceSystem", "ExtensibleManagedObject", "ManagedObject")
    PROPERTIES = {**_EXTENSIBLE, "serviceInfo": "HostServiceInfo"}
    FIELD, PREFIX, ESX_ID = "serviceSystem", "serviceSystem-", "serviceSystem"

    def read(self, name: str) -> Any:
        if name != "serviceInfo":
            return None
        services = [
            wire.HostService(
                key=key, label=label, required=required, uninstallable=False, running=running,
                ruleset=list(ruleset), policy=policy,
                sourcePackage=wire.HostServiceSourcePackage(sourcePackageName="esx-base", description="ESXi base"),
            )
            for key, label, required, ruleset, policy, running in _SERVICES
        ]  # fmt: skip
        host = self.host
        if host.ha_enabled and host.das_state is not None:  # the FDM VIB is installed on hosts of HA clusters
            services.append(
                wire.HostService(
                    key=HA_AGENT_SERVICE, label="vSphere High Availability Agent", required=False,
                    uninstallable=True, running=host.das_state in _AGENT_RUNNING, ruleset=["fdm"], policy="on",
                    sourcePackage=wire.HostServiceSourcePackage(
                        sourcePackageName="vmware-fdm", description="vSphere High Availability Agent"
                    ),
                )
            )  # fmt: skip
        return wire.HostServiceInfo(service=sorted(services, key=lambda s: s.key.lower()))


class HostCertificateManager(HostSubManager):
    """The host's SSL certificate. Normally issued by vCenter's certificate authority (VMCA) for five years; a
    ``certificate`` story host shows the self-signed certificate ESXi regenerated two days ago — not the one
    whose thumbprint vCenter holds (``summary.config.sslThumbprint``)."""

    TYPE = "HostCertificateManager"
    ANCESTRY = ("HostCertificateManager", "ManagedObject")
    PROPERTIES = {"certificateInfo": "HostCertificateManagerCertificateInfo"}
    FIELD, PREFIX, ESX_ID = "certificateManager", "certificateManager-", "ha-certificate-manager"

    #: VMCA's issuer name on a vCenter whose certificate authority was never replaced
    VMCA_ISSUER = "O=vcenter.example.internal, C=US, DC=local, DC=vsphere, CN=CA"
    #: the issuer of the self-signed certificate ESXi makes when it regenerates its own
    SELF_SIGNED_ISSUER = "O=VMware Installer"

    def read(self, name: str) -> Any:
        if name != "certificateInfo":
            return None
        host = self.host
        fqdn = f"{host.short_name}.{host.network().domain}"
        if host.certificate_mismatch:
            issued = Clock.now() - timedelta(days=2)
            return wire.HostCertificateManagerCertificateInfo(
                issuer=self.SELF_SIGNED_ISSUER,
                notBefore=issued,
                notAfter=issued + timedelta(days=3650),
                subject=f"CN={fqdn}, OU=VMware ESX Server Default Certificate, O=VMware, Inc, L=Palo Alto, "
                "ST=California, C=US",
                status="good",
            )
        issued = (host.boot_time or Clock.now()) - timedelta(days=200)
        return wire.HostCertificateManagerCertificateInfo(
            issuer=self.VMCA_ISSUER,
            notBefore=issued,
            notAfter=issued + timedelta(days=1825),
            subject=f"CN={fqdn}, C=US, ST=California, L=Palo Alto, O=VMware, OU=VMware Engineering",
            status="good",
        )


class HostStorageSystem(HostSubManager):
    TYPE = "HostStorageSystem"
    ANCESTRY = ("HostStorageSystem", "ExtensibleManagedObject", "ManagedObject")
    PROPERTIES = {
        **_EXTENSIBLE,
        "storageDeviceInfo": "HostStorageDeviceInfo",
        "fileSystemVolumeInfo": "HostFileSystemVolumeInfo",
        "systemFile": "ArrayOfString",
        "multipathStateInfo": "HostMultipathStateInfo",
    }
    FIELD, PREFIX, ESX_ID = "storageSystem", "storageSystem-", "storageSystem"

    def read(self, name: str) -> Any:
        if name == "storageDeviceInfo":
            return hoststorage.storage_device_info(self.host, self.host.ctx.seed)
        if name == "fileSystemVolumeInfo":
            return hoststorage.file_system_volume_info(self.host, self.host.ctx.seed)
        return None


SUB_MANAGERS: tuple[type[HostSubManager], ...] = (
    HostNetworkSystem,
    HostVirtualNicManager,
    HostDateTimeSystem,
    HostAdvancedOptions,
    HostServiceSystem,
    HostCertificateManager,
    HostStorageSystem,
)


def _moid(cls: type[HostSubManager], host: HostSystem) -> str:
    if host.moid == "ha-host":
        return cls.ESX_ID
    return cls.PREFIX + host.moid.removeprefix("host-")


def config_manager(host: HostSystem) -> wire.HostConfigManager:
    """``HostSystem.configManager``: references to the sub-objects this simulator serves."""
    return wire.HostConfigManager(**{cls.FIELD: wire.MoRef(cls.TYPE, _moid(cls, host)) for cls in SUB_MANAGERS})


def _factory(cls: type[HostSubManager], vc: Vcenter) -> Callable[[str], ManagedObject | None]:
    def make(moid: str) -> ManagedObject | None:
        if moid == cls.ESX_ID and vc.mode == "esx":
            host = vc.host("ha-host")
        elif moid.startswith(cls.PREFIX):
            host = vc.host("host-" + moid[len(cls.PREFIX) :])
        else:
            return None
        return cls(moid, host, vc) if host is not None else None

    return make


def register_lazy(vc: Vcenter) -> None:
    """Let the registry make a host's sub-objects when a client first names them."""
    for cls in SUB_MANAGERS:
        vc.registry.lazy[cls.TYPE] = _factory(cls, vc)
