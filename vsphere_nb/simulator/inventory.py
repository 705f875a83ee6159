"""The inventory: folders, datacenters, clusters (HA on or off), standalone compute resources with their root
resource pools, hosts, datastores and networks.

Each managed object type declares its top-level properties with their VMware types in ``PROPERTIES`` (the one
table the PropertyCollector, property GETs and the conformance tests read) and answers them in ``prop``.
Built deterministically from counts and a seed (:func:`.building.build_inventory`), vcsim style: the same arguments give
the same names, moIds and initial states. Names are ``DC0_C1_H03`` (``host_name_style="vcsim"``) or
realistic FQDNs (``"fqdn"``); moIds look like vCenter's (``group-d1``, ``datacenter-1001``, ``domain-c1004``,
``host-1007``, ``datastore-1010``). In ``esx`` mode the inventory is one ESXi host with ESXi's fixed ids
(``ha-folder-root``, ``ha-datacenter``, ``ha-host`` …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from .. import wire
from ..vocabulary import RECONFIGURE_METHOD
from ..wire import MoRef
from . import hostinfo
from .alarms import host_alarm_states
from .clock import Clock
from .entities import (
    ENTITY_ANCESTRY,
    ENTITY_PROPERTIES,
    VLCM_SOURCE,
    Datacenter,
    Datastore,
    Folder,
    ManagedEntity,
    Network,
    ResourcePool,
)
from .hostinfo import HostNetworkSetup
from .hostmanagers import config_manager
from .properties import top_value

__all__ = [
    "ManagedEntity",
    "Folder",
    "Datacenter",
    "ComputeResource",
    "ClusterComputeResource",
    "HostSystem",
    "Datastore",
    "Network",
    "ResourcePool",
    "DasSettings",
    "FleetContext",
    "Inventory",
    "RECONFIGURE_METHOD",
    "VLCM_SOURCE",
]


@dataclass
class DasSettings:
    """A cluster's vSphere HA settings, served as ``configurationEx.dasConfig``; a scenario may change them
    (then ``registry.changed(cluster)``)."""

    enabled: bool = True
    host_monitoring: str = "enabled"
    vm_monitoring: str = "vmMonitoringDisabled"
    vm_component_protecting: str = "disabled"
    admission_control: bool | None = None  # None: follows ``enabled``
    failover_level: int = 1
    isolation_addresses: list[str] = field(default_factory=lambda: ["10.10.0.1"])
    use_default_isolation_address: bool = False
    #: further advanced options (``das.*`` key → value)
    options: dict[str, str] = field(default_factory=dict)
    heartbeat_policy: str = "allFeasibleDsWithUserPreference"
    #: ``defaultVmSettings.isolationResponse`` (vCenter's default: ``none``, VMs keep running)
    isolation_response: str = "none"

    def option_values(self) -> list[wire.OptionValue]:
        out = [
            wire.OptionValue(key=f"das.isolationaddress{i}", value=a) for i, a in enumerate(self.isolation_addresses)
        ]
        out.append(
            wire.OptionValue(
                key="das.usedefaultisolationaddress", value="true" if self.use_default_isolation_address else "false"
            )
        )
        out += [wire.OptionValue(key=k, value=v) for k, v in self.options.items()]
        return out


@dataclass
class FleetContext:
    """What every host shares: the seed, whether 9.x-only fields are written, the vSphere HA agent version."""

    seed: int = 0
    #: the server's release is 9.0.0.0 or later (``Since 9.0`` fields such as ``HostSystemInfo.family``)
    since_9_0: bool = False
    #: 9.1.0.0 or later (``HostListSummary.maintenanceModeRequired``)
    since_9_1: bool = False
    #: the FDM agent vCenter installs on hosts (vCenter's own version-build)
    fdm_version: str = ""


class ComputeResource(ManagedEntity):
    """A standalone host's compute resource (``domain-s…``); clusters derive from it."""

    TYPE = "ComputeResource"
    ANCESTRY: ClassVar[tuple[str, ...]] = ("ComputeResource",) + ENTITY_ANCESTRY
    PROPERTIES = {
        **ENTITY_PROPERTIES,
        "resourcePool": "ManagedObjectReference",
        "host": "ArrayOfManagedObjectReference",
        "datastore": "ArrayOfManagedObjectReference",
        "network": "ArrayOfManagedObjectReference",
        "summary": "ComputeResourceSummary",
        "configurationEx": "ComputeResourceConfigInfo",
    }

    ha_enabled = False

    def __init__(self, moid: str, name: str, parent: ManagedEntity, datacenter: Datacenter) -> None:
        super().__init__(moid, name, parent)
        self.datacenter = datacenter
        self.hosts: list[HostSystem] = []
        self.datastores: list[Datastore] = []
        self.networks: list[Network] = []
        self.resource_pool: ResourcePool | None = None

    def children(self) -> list[ManagedEntity]:
        out: list[ManagedEntity] = list(self.hosts)
        if self.resource_pool is not None:
            out.append(self.resource_pool)
        return out

    def configuration(self) -> wire.ComputeResourceConfigInfo:
        return wire.ComputeResourceConfigInfo(vmSwapPlacement="vmDirectory", defaultHardwareVersionKey="vmx-21")

    def _summary_fields(self) -> dict[str, Any]:
        cpu = mem = cores = threads = eff_cpu = eff_mem = effective = 0
        for host in self.hosts:
            p = host.hardware_profile()
            cpu += p.cpu_mhz * p.cores
            mem += p.memory_gib << 30
            cores += p.cores
            threads += p.threads
            if host.connection_state == "connected" and not host.in_maintenance:
                effective += 1
                eff_cpu += p.cpu_mhz * p.cores * 9 // 10
                eff_mem += (p.memory_gib << 10) * 9 // 10
        worst = "green"
        for host in self.hosts:
            status = host.overall_status()
            if status == "red" or (status == "yellow" and worst == "green"):
                worst = status
        return dict(
            totalCpu=cpu,
            totalMemory=mem,
            numCpuCores=cores,
            numCpuThreads=threads,
            effectiveCpu=eff_cpu,
            effectiveMemory=eff_mem,
            numHosts=len(self.hosts),
            numEffectiveHosts=effective,
            overallStatus=worst if self.hosts else "gray",
        )

    def summary(self) -> wire.ComputeResourceSummary:
        return wire.ComputeResourceSummary(**self._summary_fields())

    def prop(self, name: str) -> Any:
        if name == "host":
            return [h.ref for h in self.hosts]
        if name == "datastore":
            return [d.ref for d in self.datastores]
        if name == "network":
            return [n.ref for n in self.networks]
        if name == "resourcePool":
            return self.resource_pool.ref if self.resource_pool is not None else None
        if name == "summary":
            return self.summary()
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
    ANCESTRY = ("ClusterComputeResource", "ComputeResource") + ENTITY_ANCESTRY
    PROPERTIES = {**ComputeResource.PROPERTIES, "configurationEx": "ClusterConfigInfoEx"}

    def __init__(self, moid: str, name: str, parent: ManagedEntity, datacenter: Datacenter, ha_enabled: bool) -> None:
        super().__init__(moid, name, parent, datacenter)
        #: vSphere HA settings (``configurationEx.dasConfig``)
        self.das = DasSettings(enabled=ha_enabled)
        #: vSAN on the cluster (``configurationEx.vsanConfigInfo.enabled``)
        self.vsan_enabled = False
        #: the datastores the user prefers for heartbeating (``dasConfig.heartbeatDatastore``); ``None`` = the
        #: cluster's shared datastores
        self.preferred_heartbeat: list[Datastore] | None = None
        #: host moId → the heartbeat datastores the primary chose for it, where a scenario or a test decided them
        #: (otherwise they follow the policy: see :mod:`.das_runtime`)
        self.heartbeat_overrides: dict[str, list[Datastore]] = {}

    def preferred_heartbeat_datastores(self) -> list[Datastore]:
        return list(self.datastores if self.preferred_heartbeat is None else self.preferred_heartbeat)

    @property
    def ha_enabled(self) -> bool:
        return self.das.enabled

    @ha_enabled.setter
    def ha_enabled(self, value: bool) -> None:
        self.das.enabled = value

    def summary(self) -> wire.ClusterComputeResourceSummary:
        fields = self._summary_fields()
        level = self.das.failover_level if self.das.enabled else 0
        return wire.ClusterComputeResourceSummary(
            **fields,
            currentFailoverLevel=min(level, max(fields["numEffectiveHosts"] - 1, 0)),
            numVmotions=0,
            currentBalance=0,
            targetBalance=200,
            drsScore=100,
            clusterMaintenanceModeStatus="notInMaintenance",
            vcsHealthStatus="healthy",
        )

    def configuration(self) -> wire.ClusterConfigInfoEx:
        das = self.das
        admission = das.enabled if das.admission_control is None else das.admission_control
        config = wire.ClusterDasConfigInfo(
            enabled=das.enabled,
            vmMonitoring=das.vm_monitoring,
            hostMonitoring=das.host_monitoring,
            vmComponentProtecting=das.vm_component_protecting,
            failoverLevel=das.failover_level,
            admissionControlEnabled=admission,
            option=das.option_values(),
            heartbeatDatastore=[d.ref for d in self.preferred_heartbeat_datastores()],
            hBDatastoreCandidatePolicy=das.heartbeat_policy,
            defaultVmSettings=wire.VimObject.model_validate(
                {
                    "_typeName": "ClusterDasVmSettings",
                    "restartPriority": "medium",
                    "isolationResponse": das.isolation_response,
                }
            ),
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
        vsan = wire.VimObject.model_validate({"_typeName": "VsanClusterConfigInfo", "enabled": self.vsan_enabled})
        return wire.ClusterConfigInfoEx(
            vmSwapPlacement="vmDirectory",
            defaultHardwareVersionKey="vmx-21",
            dasConfig=config,
            drsConfig=drs,
            vsanConfigInfo=vsan,
        )


class HostSystem(ManagedEntity):
    TYPE = "HostSystem"
    ANCESTRY = ("HostSystem",) + ENTITY_ANCESTRY
    PROPERTIES = {
        **ENTITY_PROPERTIES,
        "runtime": "HostRuntimeInfo",
        "summary": "HostListSummary",
        "hardware": "HostHardwareInfo",
        "config": "HostConfigInfo",
        "datastore": "ArrayOfManagedObjectReference",
        "vm": "ArrayOfManagedObjectReference",
        "network": "ArrayOfManagedObjectReference",
        "configManager": "HostConfigManager",
    }

    #: the host's SSL certificate is not the one vCenter expects (the ``certificate`` story sets it per host)
    certificate_mismatch = False

    def __init__(self, moid: str, name: str, parent: ComputeResource, ctx: FleetContext | None = None) -> None:
        super().__init__(moid, name, parent)
        self.compute_resource = parent
        self.datacenter = parent.datacenter
        self.ctx = ctx if ctx is not None else FleetContext()
        #: position in the fleet (addresses of the default network are derived from it)
        self.index = 0
        self.connection_state = "connected"
        self.power_state = "poweredOn"
        self.in_maintenance = False
        self.das_state: str | None = None
        self.das_reporter: MoRef | None = None
        self.boot_time: datetime | None = None
        self.product = wire.AboutInfo()
        self.datastores: list[Datastore] = []
        self.disabled_source: str | None = None
        #: the reconfigure task running on this host (per-host limit of one)
        self.running_task: str | None = None
        #: the host's network when a scenario set one; ``None`` = :func:`.hostinfo.default_network`
        self.network_setup: HostNetworkSetup | None = None
        #: the vSphere HA agent version when a scenario set one; ``None`` = the fleet's (vCenter's build)
        self.fdm_version: str | None = None
        #: the lines of the FDM agent's log when a story wrote them; ``None`` = a running agent's (see .agent_logs)
        self.agent_log: list[str] | None = None

    @property
    def ha_enabled(self) -> bool:
        return self.compute_resource.ha_enabled

    @property
    def short_name(self) -> str:
        return self.name.split(".", 1)[0]

    def network(self) -> HostNetworkSetup:
        """The host's network configuration (the scenario's, or the default layout)."""
        if self.network_setup is not None:
            return self.network_setup
        return hostinfo.default_network(self.index, self.ctx.seed, self.moid, self.short_name)

    def dns_names(self) -> tuple[str, ...]:
        """Names ``SearchIndex.FindByDnsName`` matches: the host's name and its DNS host.domain name."""
        setup = self.network()
        return (self.name, f"{self.short_name}.{setup.domain}")

    def hardware_profile(self) -> hostinfo.HardwareProfile:
        return hostinfo.hardware_profile(self.ctx.seed, self.moid)

    def uuid(self) -> str:
        return hostinfo.host_uuid(self.ctx.seed, self.moid)

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
        profile = self.hardware_profile()
        ctx = self.ctx
        return wire.HostListSummary(
            host=self.ref,
            hardware=hostinfo.hardware_summary(profile, self.uuid(), ctx.since_9_0),
            runtime=top_value(self, "runtime"),
            config=wire.HostListSummaryConfigSummary(
                name=self.name,
                port=443,
                sslThumbprint=hostinfo.thumbprint(ctx.seed, self.moid),
                product=self.product,
                vmotionEnabled=any("vmotion" in v.services for v in self.network().vmknics),
                faultToleranceEnabled=False,
            ),
            quickStats=hostinfo.quick_stats(
                profile, ctx.seed, self.moid, self.boot_time, Clock.now(), self.power_state == "poweredOn"
            ),
            overallStatus=self.overall_status(),
            rebootRequired=False,
            maintenanceModeRequired=False if ctx.since_9_1 else None,
            managementServerIp="10.0.0.10",
        )

    def prop(self, name: str) -> Any:
        if name == "runtime":
            return self.runtime()
        if name == "summary":
            return self.summary()
        if name == "hardware":
            serial = "SN" + self.uuid().replace("-", "")[:10].upper()
            return hostinfo.hardware_info(self.hardware_profile(), self.uuid(), serial, self.ctx.since_9_0)
        if name == "config":
            if self.connection_state != "connected":
                return None  # vCenter has no configuration of a host it cannot reach
            return hostinfo.config_info(
                self.ref, self.product, self.network(), self.short_name, self.fdm_version or self.ctx.fdm_version
            )
        if name == "datastore":
            return [d.ref for d in self.datastores]
        if name == "network":
            return [n.ref for n in self.compute_resource.networks]
        if name == "vm":
            return []
        if name == "configManager":
            return config_manager(self)
        return super().prop(name)

    def alarm_states(self, triggered: bool) -> list[wire.AlarmState]:
        if self.moid == "ha-host":  # an ESXi endpoint: vCenter's alarms are not defined there
            return []
        return host_alarm_states(self, self.certificate_mismatch, triggered=triggered)


@dataclass
class Inventory:
    root: Folder
    datacenters: list[Datacenter] = field(default_factory=list)
    compute_resources: list[ComputeResource] = field(default_factory=list)
    hosts: list[HostSystem] = field(default_factory=list)
    datastores: list[Datastore] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    resource_pools: list[ResourcePool] = field(default_factory=list)

    def clusters(self) -> list[ClusterComputeResource]:
        return [c for c in self.compute_resources if isinstance(c, ClusterComputeResource)]
