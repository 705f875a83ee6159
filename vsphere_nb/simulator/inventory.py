"""The inventory: folders, datacenters, clusters (HA on or off), standalone compute resources, hosts, datastores.

Built deterministically from counts and a seed (``build_inventory``), vcsim style: the same arguments give
the same names, moIds and initial states. Names are ``DC0_C1_H03`` (``host_name_style="vcsim"``) or
realistic FQDNs (``"fqdn"``); moIds look like vCenter's (``group-d1``, ``datacenter-1001``, ``domain-c1004``,
``host-1007``, ``datastore-1010``). In ``esx`` mode the inventory is one ESXi host with ESXi's fixed ids
(``ha-folder-root``, ``ha-datacenter``, ``ha-host`` …).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .. import wire
from ..wire import MoRef
from .clock import Clock
from .config import SimulatorConfig
from .model import ManagedObject, Registry
from .properties import top_value
from .scenarios import ESXI_BUILDS, Fleet, Scenario, seeded_fraction

__all__ = [
    "ManagedEntity",
    "Folder",
    "Datacenter",
    "ComputeResource",
    "ClusterComputeResource",
    "HostSystem",
    "Datastore",
    "Inventory",
    "build_inventory",
    "RECONFIGURE_METHOD",
    "VLCM_SOURCE",
]

RECONFIGURE_METHOD = "ReconfigureHostForDAS_Task"
#: who disables ReconfigureHostForDAS_Task on hosts under remediation (vSphere Lifecycle Manager)
VLCM_SOURCE = "com.vmware.vcIntegrity"

_ENTITY_ANCESTRY = ("ManagedEntity", "ExtensibleManagedObject", "ManagedObject")
_ENTITY_PROPERTIES = {
    "name": "string",
    "parent": "ManagedObjectReference",
    "overallStatus": "ManagedEntityStatus",
    "configStatus": "ManagedEntityStatus",
    "configIssue": "ArrayOfEvent",
    "disabledMethod": "ArrayOfString",
    "recentTask": "ArrayOfManagedObjectReference",
}


class ManagedEntity(ManagedObject):
    ANCESTRY = ("ManagedEntity",) + _ENTITY_ANCESTRY[1:]
    PROPERTIES = dict(_ENTITY_PROPERTIES)

    def __init__(self, moid: str, name: str, parent: ManagedEntity | None) -> None:
        super().__init__(moid)
        self.name = name
        self.parent_entity = parent
        self.config_issues: list[wire.Event] = []
        self.disabled_methods: list[str] = []
        self.recent_tasks: list[MoRef] = []

    def overall_status(self) -> str:
        return "green"

    def children(self) -> list[ManagedEntity]:
        """Entities below this one, for ContainerView and event recursion."""
        return []

    def prop(self, name: str) -> Any:
        if name == "name":
            return self.name
        if name == "parent":
            return self.parent_entity.ref if self.parent_entity is not None else None
        if name in ("overallStatus", "configStatus"):
            return wire.ManagedEntityStatus(self.overall_status())
        if name == "configIssue":
            return list(self.config_issues)
        if name == "disabledMethod":
            return list(self.disabled_methods)
        if name == "recentTask":
            return list(self.recent_tasks)
        return None

    def descendants(self) -> list[ManagedEntity]:
        out: list[ManagedEntity] = []
        stack = list(reversed(self.children()))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children()))
        return out


class Folder(ManagedEntity):
    TYPE = "Folder"
    ANCESTRY = ("Folder",) + _ENTITY_ANCESTRY
    PROPERTIES = {**_ENTITY_PROPERTIES, "childEntity": "ArrayOfManagedObjectReference", "childType": "ArrayOfString"}

    def __init__(self, moid: str, name: str, parent: ManagedEntity | None, child_type: list[str]) -> None:
        super().__init__(moid, name, parent)
        self.child_type = child_type
        self.child_entities: list[ManagedEntity] = []

    def children(self) -> list[ManagedEntity]:
        return list(self.child_entities)

    def prop(self, name: str) -> Any:
        if name == "childEntity":
            return [c.ref for c in self.child_entities]
        if name == "childType":
            return list(self.child_type)
        return super().prop(name)


class Datacenter(ManagedEntity):
    TYPE = "Datacenter"
    ANCESTRY = ("Datacenter",) + _ENTITY_ANCESTRY
    PROPERTIES = {
        **_ENTITY_PROPERTIES,
        "hostFolder": "ManagedObjectReference",
        "vmFolder": "ManagedObjectReference",
        "datastoreFolder": "ManagedObjectReference",
        "networkFolder": "ManagedObjectReference",
        "datastore": "ArrayOfManagedObjectReference",
        "network": "ArrayOfManagedObjectReference",
    }

    host_folder: Folder
    vm_folder: Folder
    datastore_folder: Folder
    network_folder: Folder

    def children(self) -> list[ManagedEntity]:
        return [self.host_folder, self.vm_folder, self.datastore_folder, self.network_folder]

    def prop(self, name: str) -> Any:
        if name == "hostFolder":
            return self.host_folder.ref
        if name == "vmFolder":
            return self.vm_folder.ref
        if name == "datastoreFolder":
            return self.datastore_folder.ref
        if name == "networkFolder":
            return self.network_folder.ref
        if name == "datastore":
            return [d.ref for d in self.datastore_folder.child_entities]
        if name == "network":
            return []
        return super().prop(name)


class Datastore(ManagedEntity):
    TYPE = "Datastore"
    ANCESTRY = ("Datastore",) + _ENTITY_ANCESTRY
    PROPERTIES = {**_ENTITY_PROPERTIES, "vm": "ArrayOfManagedObjectReference"}

    def prop(self, name: str) -> Any:
        if name == "vm":
            return []
        return super().prop(name)


class ComputeResource(ManagedEntity):
    """A standalone host's compute resource (``domain-s…``); clusters derive from it."""

    TYPE = "ComputeResource"
    ANCESTRY = ("ComputeResource",) + _ENTITY_ANCESTRY
    PROPERTIES = {
        **_ENTITY_PROPERTIES,
        "host": "ArrayOfManagedObjectReference",
        "datastore": "ArrayOfManagedObjectReference",
        "network": "ArrayOfManagedObjectReference",
        "configurationEx": "ComputeResourceConfigInfo",
    }

    ha_enabled = False

    def __init__(self, moid: str, name: str, parent: ManagedEntity, datacenter: Datacenter) -> None:
        super().__init__(moid, name, parent)
        self.datacenter = datacenter
        self.hosts: list[HostSystem] = []
        self.datastores: list[Datastore] = []

    def children(self) -> list[ManagedEntity]:
        return list(self.hosts)

    def configuration(self) -> wire.ComputeResourceConfigInfo:
        return wire.ComputeResourceConfigInfo(vmSwapPlacement="vmDirectory", defaultHardwareVersionKey="vmx-21")

    def prop(self, name: str) -> Any:
        if name == "host":
            return [h.ref for h in self.hosts]
        if name == "datastore":
            return [d.ref for d in self.datastores]
        if name == "network":
            return []
        if name == "configurationEx":
            return self.configuration()
        return super().prop(name)

    def master(self) -> HostSystem | None:
        for host in self.hosts:
            if host.das_state == "master":
                return host
        return None


class ClusterComputeResource(ComputeResource):
    TYPE = "ClusterComputeResource"
    ANCESTRY = ("ClusterComputeResource", "ComputeResource") + _ENTITY_ANCESTRY
    PROPERTIES = {**ComputeResource.PROPERTIES, "configurationEx": "ClusterConfigInfoEx"}

    def __init__(self, moid: str, name: str, parent: ManagedEntity, datacenter: Datacenter, ha_enabled: bool) -> None:
        super().__init__(moid, name, parent, datacenter)
        self.ha_enabled = ha_enabled

    def configuration(self) -> wire.ClusterConfigInfoEx:
        das = wire.ClusterDasConfigInfo(
            enabled=self.ha_enabled,
            vmMonitoring="vmMonitoringDisabled",
            hostMonitoring="enabled",
            vmComponentProtecting="disabled",
            failoverLevel=1,
            admissionControlEnabled=self.ha_enabled,
            option=[
                wire.OptionValue(key="das.isolationaddress0", value="10.10.0.1"),
                wire.OptionValue(key="das.usedefaultisolationaddress", value="false"),
            ],
            heartbeatDatastore=[d.ref for d in self.datastores],
            hBDatastoreCandidatePolicy="allFeasibleDsWithUserPreference",
        )
        drs = wire.VimObject.model_validate(
            {
                "_typeName": "ClusterDrsConfigInfo",
                "enabled": True,
                "enableVmBehaviorOverrides": True,
                "defaultVmBehavior": "fullyAutomated",
                "vmotionRate": 3,
            }
        )
        return wire.ClusterConfigInfoEx(
            vmSwapPlacement="vmDirectory", defaultHardwareVersionKey="vmx-21", dasConfig=das, drsConfig=drs
        )


class HostSystem(ManagedEntity):
    TYPE = "HostSystem"
    ANCESTRY = ("HostSystem",) + _ENTITY_ANCESTRY
    PROPERTIES = {
        **_ENTITY_PROPERTIES,
        "runtime": "HostRuntimeInfo",
        "summary": "HostListSummary",
        "datastore": "ArrayOfManagedObjectReference",
        "vm": "ArrayOfManagedObjectReference",
        "network": "ArrayOfManagedObjectReference",
    }

    def __init__(self, moid: str, name: str, parent: ComputeResource) -> None:
        super().__init__(moid, name, parent)
        self.compute_resource = parent
        self.datacenter = parent.datacenter
        self.connection_state = "connected"
        self.power_state = "poweredOn"
        self.in_maintenance = False
        self.das_state: str | None = None
        self.das_reporter: MoRef | None = None
        self.boot_time = None
        self.product = wire.AboutInfo()
        self.datastores: list[Datastore] = []
        self.disabled_source: str | None = None
        #: the reconfigure task running on this host (per-host limit of one)
        self.running_task: str | None = None

    @property
    def ha_enabled(self) -> bool:
        return self.compute_resource.ha_enabled

    def overall_status(self) -> str:
        if self.connection_state == "disconnected":
            return "gray"
        if self.connection_state == "notResponding" or self.config_issues:
            return "red"
        if self.das_state is not None and self.das_state not in wire.HEALTHY_DAS_STATES:
            return "yellow"
        return "green"

    def runtime(self) -> wire.HostRuntimeInfo:
        das = None
        if self.das_state is not None:
            das = wire.ClusterDasFdmHostState(state=self.das_state, stateReporter=self.das_reporter)
        return wire.HostRuntimeInfo(
            connectionState=self.connection_state,
            powerState=self.power_state,
            inMaintenanceMode=self.in_maintenance,
            inQuarantineMode=False,
            bootTime=self.boot_time,
            dasHostState=das,
        )

    def summary(self) -> wire.HostListSummary:
        return wire.HostListSummary(
            host=self.ref,
            runtime=top_value(self, "runtime"),
            config=wire.HostListSummaryConfigSummary(
                name=self.name, port=443, product=self.product, vmotionEnabled=True, faultToleranceEnabled=False
            ),
            overallStatus=self.overall_status(),
            rebootRequired=False,
            managementServerIp="10.0.0.10",
        )

    def prop(self, name: str) -> Any:
        if name == "runtime":
            return self.runtime()
        if name == "summary":
            return self.summary()
        if name == "datastore":
            return [d.ref for d in self.datastores]
        if name in ("vm", "network"):
            return []
        return super().prop(name)


@dataclass
class Inventory:
    root: Folder
    datacenters: list[Datacenter] = field(default_factory=list)
    compute_resources: list[ComputeResource] = field(default_factory=list)
    hosts: list[HostSystem] = field(default_factory=list)
    datastores: list[Datastore] = field(default_factory=list)

    def clusters(self) -> list[ClusterComputeResource]:
        return [c for c in self.compute_resources if isinstance(c, ClusterComputeResource)]


# ---------------------------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------------------------
def _weighted(weights: dict[str, float], u: float) -> str:
    total = sum(weights.values())
    acc = 0.0
    for key, weight in weights.items():
        acc += weight / total
        if u < acc:
            return key
    return list(weights)[-1]


def _product(version: str) -> wire.AboutInfo:
    build, api = ESXI_BUILDS[version]
    return wire.AboutInfo(
        name="VMware ESXi",
        fullName=f"VMware ESXi {version} build-{build}",
        vendor="VMware, Inc.",
        version=version,
        build=build,
        localeVersion="INTL",
        localeBuild="000",
        osType="vmnix-x86",
        productLineId="embeddedEsx",
        apiType="HostAgent",
        apiVersion=api,
        licenseProductName="VMware ESX Server",
        licenseProductVersion=version.split(".")[0] + ".0",
    )


class _Names:
    def __init__(self, style: str, hosts_per_cluster: int, standalone: int) -> None:
        self.style = style
        self.width = max(2, len(str(max(hosts_per_cluster, standalone, 1) - 1)))

    def datacenter(self, d: int) -> str:
        return f"DC{d}" if self.style == "vcsim" else f"dc{d + 1:02d}"

    def cluster(self, d: int, c: int) -> str:
        return f"DC{d}_C{c}" if self.style == "vcsim" else f"cl{d + 1:02d}-{c + 1:02d}"

    def host(self, d: int, c: int, h: int) -> str:
        if self.style == "vcsim":
            return f"DC{d}_C{c}_H{h:0{self.width}d}"
        return f"esx-c{c + 1:02d}-{h + 1:03d}.dc{d + 1:02d}.example.internal"

    def standalone(self, d: int, h: int) -> str:
        if self.style == "vcsim":
            return f"DC{d}_H{h:0{self.width}d}"
        return f"esx-sa-{h + 1:03d}.dc{d + 1:02d}.example.internal"

    def shared_datastore(self, d: int, c: int, i: int) -> str:
        return (
            f"DC{d}_C{c}_DS{i}"
            if self.style == "vcsim"
            else f"vsanDatastore-{d + 1:02d}-{c + 1:02d}"
            if i == 0
            else f"nfs-{d + 1:02d}-{c + 1:02d}-{i:02d}"
        )

    def local_datastore(self, d: int, h: int, name: str) -> str:
        return f"{name}_local" if self.style == "vcsim" else f"datastore1 ({h + 1})"


def build_inventory(registry: Registry, config: SimulatorConfig, scenario: Scenario, mode: str) -> Inventory:
    """Create and register the whole inventory. Deterministic in (config, scenario, seed)."""
    if mode == "esx":
        return _build_esx(registry, config, scenario)
    counter = itertools.count(1001)

    def moid(prefix: str) -> str:
        return f"{prefix}{next(counter)}"

    names = _Names(config.host_name_style, config.hosts_per_cluster, config.standalone_hosts)
    root = Folder("group-d1", "Datacenters", None, ["Folder", "Datacenter"])
    inv = Inventory(root=root)
    registry.add(root)
    fleet = scenario.fleet
    for d in range(config.datacenters):
        dc = Datacenter(moid("datacenter-"), names.datacenter(d), root)
        dc.host_folder = Folder(moid("group-h"), "host", dc, ["Folder", "ComputeResource"])
        dc.vm_folder = Folder(moid("group-v"), "vm", dc, ["Folder", "VirtualMachine", "VirtualApp"])
        dc.datastore_folder = Folder(moid("group-s"), "datastore", dc, ["Folder", "Datastore", "StoragePod"])
        dc.network_folder = Folder(moid("group-n"), "network", dc, ["Folder", "Network", "DistributedVirtualSwitch"])
        root.child_entities.append(dc)
        inv.datacenters.append(dc)
        for obj in (dc, dc.host_folder, dc.vm_folder, dc.datastore_folder, dc.network_folder):
            registry.add(obj)
        for c in range(config.clusters):
            cname = names.cluster(d, c)
            ha = not fleet.ha_disabled(c, cname, config.clusters)
            cluster = ClusterComputeResource(moid("domain-c"), cname, dc.host_folder, dc, ha_enabled=ha)
            dc.host_folder.child_entities.append(cluster)
            registry.add(cluster)
            inv.compute_resources.append(cluster)
            for i in range(2):
                ds = Datastore(moid("datastore-"), names.shared_datastore(d, c, i), dc.datastore_folder)
                dc.datastore_folder.child_entities.append(ds)
                cluster.datastores.append(ds)
                inv.datastores.append(ds)
                registry.add(ds)
            for h in range(config.hosts_per_cluster):
                host = HostSystem(moid("host-"), names.host(d, c, h), cluster)
                host.datastores = list(cluster.datastores)
                cluster.hosts.append(host)
                inv.hosts.append(host)
            _assign_das_roles(cluster, fleet, config.seed)
            for host in cluster.hosts:
                registry.add(host)
        for s in range(config.standalone_hosts):
            hname = names.standalone(d, s)
            cr = ComputeResource(moid("domain-s"), hname, dc.host_folder, dc)
            dc.host_folder.child_entities.append(cr)
            registry.add(cr)
            inv.compute_resources.append(cr)
            host = HostSystem(moid("host-"), hname, cr)
            ds = Datastore(moid("datastore-"), names.local_datastore(d, s, hname), dc.datastore_folder)
            dc.datastore_folder.child_entities.append(ds)
            cr.datastores.append(ds)
            inv.datastores.append(ds)
            registry.add(ds)
            host.datastores = [ds]
            cr.hosts.append(host)
            inv.hosts.append(host)
            _assign_das_roles(cr, fleet, config.seed)
            registry.add(host)
    return inv


def _assign_das_roles(cr: ComputeResource, fleet: Fleet, seed: int) -> None:
    """Fleet state of each host (seeded), then one ``master`` per HA cluster that reports for the others."""
    for host in cr.hosts:
        key = host.moid
        host.product = _product(_weighted(fleet.product_versions, seeded_fraction(seed, "version", key)))
        boot_days = 3 + int(seeded_fraction(seed, "boot", key) * 60)
        host.boot_time = Clock.now() - timedelta(days=boot_days)
        u = seeded_fraction(seed, "state", key)
        if u < fleet.maintenance:
            host.in_maintenance = True
        elif u < fleet.maintenance + fleet.disconnected:
            host.connection_state = "disconnected"
            host.power_state = "unknown"
        elif u < fleet.maintenance + fleet.disconnected + fleet.not_responding:
            host.connection_state = "notResponding"
            host.power_state = "unknown"
        if seeded_fraction(seed, "datastores", key) < fleet.no_datastores:
            host.datastores = []
        if not cr.ha_enabled:
            host.disabled_methods = [RECONFIGURE_METHOD]
            continue
        if seeded_fraction(seed, "disabled", key) < fleet.reconfigure_disabled:
            host.disabled_methods = [RECONFIGURE_METHOD]
            host.disabled_source = VLCM_SOURCE
        if host.connection_state == "disconnected":
            host.das_state = None
        elif host.connection_state == "notResponding":
            host.das_state = "fdmUnreachable"
        else:
            host.das_state = _weighted(fleet.initial_das_state, seeded_fraction(seed, "das", key))
    if not cr.ha_enabled:
        return
    master = next((h for h in cr.hosts if h.das_state in ("connectedToMaster", "master")), None)
    for host in cr.hosts:
        if host is master:
            host.das_state = "master"
        elif host.das_state == "master":
            host.das_state = "connectedToMaster"
    for host in cr.hosts:
        if host.das_state is not None:
            host.das_reporter = master.ref if master is not None else host.ref


def _build_esx(registry: Registry, config: SimulatorConfig, scenario: Scenario) -> Inventory:
    root = Folder("ha-folder-root", "ha-folder-root", None, ["Datacenter"])
    dc = Datacenter("ha-datacenter", "ha-datacenter", root)
    dc.host_folder = Folder("ha-folder-host", "host", dc, ["ComputeResource"])
    dc.vm_folder = Folder("ha-folder-vm", "vm", dc, ["VirtualMachine"])
    dc.datastore_folder = Folder("ha-folder-datastore", "datastore", dc, ["Datastore"])
    dc.network_folder = Folder("ha-folder-network", "network", dc, ["Network"])
    root.child_entities.append(dc)
    name = "esx-01.example.internal" if config.host_name_style == "fqdn" else "localhost.localdomain"
    cr = ComputeResource("ha-compute-res", name, dc.host_folder, dc)
    dc.host_folder.child_entities.append(cr)
    host = HostSystem("ha-host", name, cr)
    ds = Datastore("datastore1", "datastore1", dc.datastore_folder)
    dc.datastore_folder.child_entities.append(ds)
    cr.datastores.append(ds)
    host.datastores = [ds]
    cr.hosts.append(host)
    version = next(iter(scenario.fleet.product_versions))
    host.product = _product(version)
    host.boot_time = Clock.now() - timedelta(days=12)
    for obj in (root, dc, dc.host_folder, dc.vm_folder, dc.datastore_folder, dc.network_folder, cr, ds, host):
        registry.add(obj)
    return Inventory(root=root, datacenters=[dc], compute_resources=[cr], hosts=[host], datastores=[ds])
