"""The service-content managers, declared in one table: which ``ServiceContent`` field, which managed object
type and moId, which properties (with VMware's declared types) and how each is answered.

A vCenter sets nearly every ``ServiceContent`` field and clients rely on them (govc reads ``searchIndex`` to
walk paths, ``perfManager`` for metrics, ``setting`` for the server's name …). Each entry of :data:`MANAGERS`
becomes one managed object of a small generated class (so the dispatcher and the conformance tests see its
``TYPE``, ``ANCESTRY`` and ``PROPERTIES`` like any other type). A property whose value is ``None`` reads as
unset; a VMware method of the type that the simulator does not serve answers ``NotImplemented``.

Adding a manager is one :class:`ManagerSpec` line (plus handlers in :mod:`.methods` for the methods it serves).
Managers whose ``ServiceContent`` field is marked *Since 9.0* are only listed at release 9.0.0.0 and later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import wire
from .model import ManagedObject, Registry
from .perf import counter_infos
from .sessions import ADMIN_PRIVILEGES

if TYPE_CHECKING:
    from .vcenter import Vcenter

__all__ = [
    "ManagerSpec",
    "MANAGERS",
    "Manager",
    "manager_class",
    "register_managers",
    "release_key",
    "historical_intervals",
]

Getter = Callable[["Vcenter"], Any]


def release_key(release: str) -> tuple[int, ...]:
    return tuple(int(p) for p in release.split("."))


@dataclass(frozen=True)
class ManagerSpec:
    #: the ``ServiceContent`` field (``None``: reachable only through another object, e.g. a manager's property)
    content_field: str | None
    type_name: str
    moid: str
    #: property -> (declared VMware type, value for a given vCenter; ``None`` = unset)
    properties: dict[str, tuple[str, Getter | None]] = field(default_factory=dict)
    #: the types between this one and ``ManagedObject``
    bases: tuple[str, ...] = ()
    #: the moId on an ESXi host (``None``: absent there)
    esx_moid: str | None = None
    #: the first release whose ``ServiceContent`` has the field
    since: str | None = None
    #: only on ESXi (``accountManager``)
    esx_only: bool = False


def _empty(_: Vcenter) -> list[Any]:
    return []


def _vpx_settings(vc: Vcenter) -> list[wire.OptionValue]:
    name = "vcenter.example.internal"
    return [
        wire.OptionValue(key="VirtualCenter.InstanceName", value=name),
        wire.OptionValue(key="VirtualCenter.FQDN", value=name),
        wire.OptionValue(key="VirtualCenter.AutoManagedIPV4", value="10.0.0.10"),
        wire.OptionValue(key="VirtualCenter.MaxActiveTasks", value=vc.config.max_active_tasks),
        wire.OptionValue(key="instance.id", value=vc.config.seed % 64),
        wire.OptionValue(key="event.maxAge", value=30),
        wire.OptionValue(key="task.maxAge", value=30),
        wire.OptionValue(key="config.vpxd.das.electionWaitTimeSec", value="120"),
    ]


def _privileges(vc: Vcenter) -> list[wire.AuthorizationPrivilege]:
    return [
        wire.AuthorizationPrivilege(
            privId=p, onParent=False, name=p.rsplit(".", 1)[-1], privGroupName=p.rsplit(".", 1)[0]
        )
        for p in sorted(ADMIN_PRIVILEGES)
    ]


def _roles(vc: Vcenter) -> list[wire.AuthorizationRole]:
    def role(role_id: int, name: str, label: str, privileges: list[str]) -> wire.AuthorizationRole:
        return wire.AuthorizationRole(
            roleId=role_id,
            system=True,
            name=name,
            info=wire.Description(label=label, summary=label),
            privilege=privileges,
        )

    return [
        role(-1, "Admin", "Administrator", sorted(ADMIN_PRIVILEGES)),
        role(-2, "ReadOnly", "Read-only", ["System.Anonymous", "System.Read", "System.View"]),
        role(-3, "View", "View", ["System.Anonymous", "System.View"]),
        role(-4, "Anonymous", "Anonymous", ["System.Anonymous"]),
        role(-5, "NoAccess", "No access", []),
    ]


def historical_intervals(vc: Vcenter) -> list[wire.PerfInterval]:
    """``PerformanceManager.historicalInterval``: vCenter's four statistics intervals."""
    day = 86400
    return [
        wire.PerfInterval(key=1, samplingPeriod=300, name="Past day", length=day, level=1, enabled=True),
        wire.PerfInterval(key=2, samplingPeriod=1800, name="Past week", length=7 * day, level=1, enabled=True),
        wire.PerfInterval(key=3, samplingPeriod=7200, name="Past month", length=30 * day, level=1, enabled=True),
        wire.PerfInterval(key=4, samplingPeriod=day, name="Past year", length=365 * day, level=1, enabled=True),
    ]


def _licenses(vc: Vcenter) -> list[wire.LicenseManagerLicenseInfo]:
    hosts = vc.inventory.hosts
    sockets = sum(h.hardware_profile().packages for h in hosts)
    esx = wire.LicenseManagerLicenseInfo(
        licenseKey="00000-00000-00000-00000-00000",
        editionKey="esx.enterprisePlus.cpuPackageCoreLimited",
        name="VMware vSphere 8 Enterprise Plus",
        total=max(sockets, 1) * 2,
        used=sockets,
        costUnit="cpuPackageCoreLimited",
    )
    if vc.mode == "esx":
        return [esx]
    vcenter = wire.LicenseManagerLicenseInfo(
        licenseKey="11111-11111-11111-11111-11111",
        editionKey="vc.standard.instance",
        name="VMware vCenter Server 8 Standard",
        total=1,
        used=1,
        costUnit="server",
    )
    return [vcenter, esx]


def _edition(vc: Vcenter) -> str:
    return "" if vc.mode == "esx" else "vc.standard.instance"


def _domains(vc: Vcenter) -> list[str]:
    return ["vsphere.local", "localos"]


def _true(vc: Vcenter) -> bool:
    return True


def _false(vc: Vcenter) -> bool:
    return False


def _unset(declared: str) -> tuple[str, Getter | None]:
    return (declared, None)


_EMPTY_MOREFS = ("ArrayOfManagedObjectReference", _empty)

#: every manager a vCenter 8.0U3 / 9.x lists in ``ServiceContent`` (event, task, session, view managers and the
#: property collector are modelled in their own modules and listed by :meth:`.vcenter.Vcenter.content`)
MANAGERS: tuple[ManagerSpec, ...] = (
    ManagerSpec(
        "setting",
        "OptionManager",
        "VpxSettings",
        {"supportedOption": ("ArrayOfOptionDef", _empty), "setting": ("ArrayOfOptionValue", _vpx_settings)},
        esx_moid="HostAgentSettings",
    ),
    ManagerSpec("userDirectory", "UserDirectory", "UserDirectory", {"domainList": ("ArrayOfString", _domains)},
                esx_moid="ha-user-directory"),
    ManagerSpec(
        "authorizationManager",
        "AuthorizationManager",
        "AuthorizationManager",
        {
            "privilegeList": ("ArrayOfAuthorizationPrivilege", _privileges),
            "roleList": ("ArrayOfAuthorizationRole", _roles),
            "description": _unset("AuthorizationDescription"),
        },
        esx_moid="ha-authmgr",
    ),
    ManagerSpec("serviceManager", "ServiceManager", "ServiceMgr",
                {"service": ("ArrayOfServiceManagerServiceInfo", _empty)}, esx_moid="ha-servicemanager"),
    ManagerSpec(
        "perfManager",
        "PerformanceManager",
        "PerfMgr",
        {
            "description": _unset("PerformanceDescription"),
            "historicalInterval": ("ArrayOfPerfInterval", historical_intervals),
            "perfCounter": ("ArrayOfPerfCounterInfo", lambda vc: counter_infos()),
        },
        esx_moid="ha-perfmgr",
    ),
    ManagerSpec(
        "scheduledTaskManager",
        "ScheduledTaskManager",
        "ScheduledTaskManager",
        {"scheduledTask": _EMPTY_MOREFS, "description": _unset("ScheduledTaskDescription")},
    ),
    ManagerSpec(
        "alarmManager",
        "AlarmManager",
        "AlarmManager",
        {"defaultExpression": ("ArrayOfAlarmExpression", _empty), "description": _unset("AlarmDescription")},
    ),
    ManagerSpec("extensionManager", "ExtensionManager", "ExtensionManager",
                {"extensionList": ("ArrayOfExtension", _empty)}),
    ManagerSpec(
        "customizationSpecManager",
        "CustomizationSpecManager",
        "CustomizationSpecManager",
        {"info": ("ArrayOfCustomizationSpecInfo", _empty), "encryptionKey": _unset("ArrayOfByte")},
    ),
    ManagerSpec("guestCustomizationManager", "VirtualMachineGuestCustomizationManager", "GuestCustomizationManager"),
    ManagerSpec("customFieldsManager", "CustomFieldsManager", "CustomFieldsManager",
                {"field": ("ArrayOfCustomFieldDef", _empty)}, esx_moid="ha-customfieldsmgr"),
    ManagerSpec("accountManager", "HostLocalAccountManager", "ha-localacctmgr", esx_moid="ha-localacctmgr",
                esx_only=True),
    ManagerSpec("diagnosticManager", "DiagnosticManager", "DiagMgr", esx_moid="ha-diagnosticmgr"),
    ManagerSpec(
        "licenseManager",
        "LicenseManager",
        "LicenseManager",
        {
            "source": _unset("LicenseSource"),
            "sourceAvailable": ("boolean", _true),
            "diagnostics": _unset("LicenseDiagnostics"),
            "featureInfo": ("ArrayOfLicenseFeatureInfo", _empty),
            "licensedEdition": ("string", _edition),
            "licenses": ("ArrayOfLicenseManagerLicenseInfo", _licenses),
            "licenseAssignmentManager": (
                "ManagedObjectReference",
                lambda vc: wire.MoRef("LicenseAssignmentManager", "LicenseAssignmentManager"),
            ),
            "evaluation": _unset("LicenseManagerEvaluationInfo"),
        },
        esx_moid="ha-license-manager",
    ),
    ManagerSpec(None, "LicenseAssignmentManager", "LicenseAssignmentManager"),
    ManagerSpec("searchIndex", "SearchIndex", "SearchIndex", esx_moid="ha-searchindex"),
    ManagerSpec("fileManager", "FileManager", "FileManager", esx_moid="ha-nfc-file-manager"),
    ManagerSpec("datastoreNamespaceManager", "DatastoreNamespaceManager", "DatastoreNamespaceManager",
                esx_moid="ha-datastore-namespace-manager"),
    ManagerSpec("virtualDiskManager", "VirtualDiskManager", "virtualDiskManager", esx_moid="ha-vdiskmanager"),
    ManagerSpec("snmpSystem", "HostSnmpSystem", "SnmpSystem",
                {"configuration": _unset("HostSnmpConfigSpec"), "limits": _unset("HostSnmpSystemAgentLimits")}),
    ManagerSpec("vmProvisioningChecker", "VirtualMachineProvisioningChecker", "ProvChecker"),
    ManagerSpec("vmCompatibilityChecker", "VirtualMachineCompatibilityChecker", "CompatChecker"),
    ManagerSpec(
        "ovfManager",
        "OvfManager",
        "OvfManager",
        {"ovfImportOption": ("ArrayOfOvfOptionInfo", _empty), "ovfExportOption": ("ArrayOfOvfOptionInfo", _empty)},
        esx_moid="ha-ovf-manager",
    ),
    ManagerSpec("ipPoolManager", "IpPoolManager", "IpPoolManager"),
    ManagerSpec("dvSwitchManager", "DistributedVirtualSwitchManager", "DVSManager", esx_moid="ha-dvsmanager"),
    ManagerSpec("hostProfileManager", "HostProfileManager", "HostProfileManager",
                {"profile": _EMPTY_MOREFS}, bases=("ProfileManager",)),
    ManagerSpec("clusterProfileManager", "ClusterProfileManager", "ClusterProfileManager",
                {"profile": _EMPTY_MOREFS}, bases=("ProfileManager",)),
    ManagerSpec("complianceManager", "ProfileComplianceManager", "MoComplianceManager"),
    ManagerSpec("localizationManager", "LocalizationManager", "LocalizationManager",
                {"catalog": ("ArrayOfLocalizationManagerMessageCatalog", _empty)}, esx_moid="ha-l10n-manager"),
    ManagerSpec("storageResourceManager", "StorageResourceManager", "StorageResourceManager"),
    ManagerSpec(
        "guestOperationsManager",
        "GuestOperationsManager",
        "guestOperationsManager",
        {
            "authManager": _unset("ManagedObjectReference"),
            "fileManager": _unset("ManagedObjectReference"),
            "processManager": _unset("ManagedObjectReference"),
            "guestWindowsRegistryManager": _unset("ManagedObjectReference"),
            "aliasManager": _unset("ManagedObjectReference"),
        },
        esx_moid="ha-guest-operations-manager",
    ),
    ManagerSpec("overheadMemoryManager", "OverheadMemoryManager", "OverheadMemoryManager"),
    ManagerSpec("certificateManager", "CertificateManager", "certificateManager"),
    ManagerSpec("ioFilterManager", "IoFilterManager", "IoFilterManager", esx_moid="ha-iofilter-manager"),
    ManagerSpec("vStorageObjectManager", "VcenterVStorageObjectManager", "VStorageObjectManager",
                bases=("VStorageObjectManagerBase",)),
    ManagerSpec("hostSpecManager", "HostSpecificationManager", "HostSpecificationManager"),
    ManagerSpec("cryptoManager", "CryptoManagerKmip", "CryptoManager",
                {"enabled": ("boolean", _false), "kmipServers": ("ArrayOfKmipClusterInfo", _empty)},
                bases=("CryptoManager",)),
    ManagerSpec("healthUpdateManager", "HealthUpdateManager", "HealthUpdateManager"),
    ManagerSpec("failoverClusterConfigurator", "FailoverClusterConfigurator", "FailoverClusterConfigurator",
                {"disabledConfigureMethod": ("ArrayOfString", _empty)}),
    ManagerSpec("failoverClusterManager", "FailoverClusterManager", "FailoverClusterManager",
                {"disabledClusterMethod": ("ArrayOfString", _empty)}),
    ManagerSpec("tenantManager", "TenantTenantManager", "TenantManager"),
    ManagerSpec("siteInfoManager", "SiteInfoManager", "SiteInfoManager"),
    ManagerSpec("storageQueryManager", "StorageQueryManager", "StorageQueryManager"),
    ManagerSpec("directPathProfileManager", "DirectPathProfileManager", "DirectPathProfileManager", since="9.0.0.0"),
)  # fmt: skip


class Manager(ManagedObject):
    """A manager from :data:`MANAGERS`; its properties come from its spec."""

    SPEC: ManagerSpec

    def __init__(self, moid: str, vc: Vcenter) -> None:
        super().__init__(moid)
        self.vc = vc

    def prop(self, name: str) -> Any:
        entry = self.SPEC.properties.get(name)
        if entry is None or entry[1] is None:
            return None
        return entry[1](self.vc)


_CLASSES: dict[str, type[Manager]] = {}


def manager_class(spec: ManagerSpec) -> type[Manager]:
    """The managed object class of a spec's type (one per type, made on first use)."""
    cls = _CLASSES.get(spec.type_name)
    if cls is None:
        cls = type(
            spec.type_name,
            (Manager,),
            {
                "TYPE": spec.type_name,
                "ANCESTRY": (spec.type_name, *spec.bases, "ManagedObject"),
                "PROPERTIES": {name: declared for name, (declared, _getter) in spec.properties.items()},
                "SPEC": spec,
                "__doc__": f"``{spec.type_name}`` (see :data:`MANAGERS`).",
            },
        )
        _CLASSES[spec.type_name] = cls
    return cls


def register_managers(vc: Vcenter, registry: Registry, esx: bool) -> dict[str, wire.MoRef]:
    """Create every manager this server lists; answer ``{ServiceContent field: moref}``."""
    refs: dict[str, wire.MoRef] = {}
    for spec in MANAGERS:
        if spec.esx_only and not esx:
            continue
        moid = spec.esx_moid if esx else spec.moid
        if moid is None:
            continue
        obj = registry.add(manager_class(spec)(moid, vc))
        if spec.content_field is not None:
            if spec.since is not None and release_key(vc.release) < release_key(spec.since):
                continue
            refs[spec.content_field] = obj.ref
    return refs


for _spec in MANAGERS:
    manager_class(_spec)
del _spec
