"""Building the inventory: deterministic in (config, scenario, seed), vcsim style.

Names are ``DC0_C1_H03`` (``host_name_style="vcsim"``) or realistic FQDNs (``"fqdn"``); moIds look like
vCenter's (``group-d1``, ``datacenter-1001``, ``domain-c1004``, ``host-1007``, ``datastore-1010``; root resource
pools and networks count on their own: ``resgroup-1``, ``network-1``). In ``esx`` mode the inventory is one ESXi
host with ESXi's fixed ids (``ha-folder-root``, ``ha-datacenter``, ``ha-host``, ``ha-root-pool`` …).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from .. import wire
from ..errors import ConfigError
from .clock import Clock
from .config import VCENTER_BUILDS, SimulatorConfig, release_of
from .inventory import (
    RECONFIGURE_METHOD,
    VLCM_SOURCE,
    ClusterComputeResource,
    ComputeResource,
    Datacenter,
    Datastore,
    FleetContext,
    Folder,
    HostSystem,
    Inventory,
    Network,
    ResourcePool,
)
from .model import Registry
from .scenarios import ESXI_BUILDS, Fleet, Scenario, seeded_fraction

__all__ = ["build_inventory", "fleet_context"]


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


def fleet_context(config: SimulatorConfig) -> FleetContext:
    release = tuple(int(p) for p in release_of(config.version).split("."))
    version = ".".join(str(p) for p in release[:3])
    return FleetContext(
        seed=config.seed,
        since_9_0=release >= (9, 0, 0, 0),
        since_9_1=release >= (9, 1, 0, 0),
        fdm_version=f"{version}-{VCENTER_BUILDS.get(version, '0')}",
    )


def _pool(registry: Registry, inv: Inventory, cr: ComputeResource, moid: str) -> None:
    pool = ResourcePool(moid, cr)
    cr.resource_pool = pool
    inv.resource_pools.append(pool)
    registry.add(pool)


def build_inventory(registry: Registry, config: SimulatorConfig, scenario: Scenario, mode: str) -> Inventory:
    """Create and register the whole inventory. Deterministic in (config, scenario, seed)."""
    ctx = fleet_context(config)
    if mode == "esx":
        return _build_esx(registry, config, scenario, ctx)
    counter = itertools.count(1001)
    index = itertools.count()
    # pools and networks count on their own so that the moIds of everything else stay what they always were
    side = {"resgroup-": itertools.count(1), "network-": itertools.count(1)}

    def side_moid(prefix: str) -> str:
        return f"{prefix}{next(side[prefix])}"

    def moid(prefix: str) -> str:
        return f"{prefix}{next(counter)}"

    names = _Names(config.host_name_style, config.hosts_per_cluster, config.standalone_hosts)
    chosen = scenario.names  # names the scenario's administrators chose, escaped as ManagedEntity.name is
    host_index = itertools.count()

    def host_name(generated: str, taken: set[str]) -> str:
        name = chosen.host(next(host_index), generated)
        if name in taken:
            raise ConfigError(f"scenario {scenario.name}: host name {name!r} is not unique in its datacenter")
        taken.add(name)
        return name

    root = Folder("group-d1", "Datacenters", None, ["Folder", "Datacenter"])
    inv = Inventory(root=root)
    registry.add(root)
    fleet = scenario.fleet
    for d in range(config.datacenters):
        taken: set[str] = set()
        dc = Datacenter(moid("datacenter-"), names.datacenter(d), root)
        dc.host_folder = Folder(moid("group-h"), "host", dc, ["Folder", "ComputeResource"])
        dc.vm_folder = Folder(moid("group-v"), "vm", dc, ["Folder", "VirtualMachine", "VirtualApp"])
        dc.datastore_folder = Folder(moid("group-s"), "datastore", dc, ["Folder", "Datastore", "StoragePod"])
        dc.network_folder = Folder(moid("group-n"), "network", dc, ["Folder", "Network", "DistributedVirtualSwitch"])
        root.child_entities.append(dc)
        inv.datacenters.append(dc)
        vm_network = Network(side_moid("network-"), "VM Network", dc.network_folder)
        dc.network_folder.child_entities.append(vm_network)
        inv.networks.append(vm_network)
        for obj in (dc, dc.host_folder, dc.vm_folder, dc.datastore_folder, dc.network_folder, vm_network):
            registry.add(obj)
        for c in range(config.clusters):
            cname = chosen.cluster(c, names.cluster(d, c))
            if cname in taken:
                raise ConfigError(f"scenario {scenario.name}: cluster name {cname!r} is not unique in its datacenter")
            taken.add(cname)
            ha = not fleet.ha_disabled(c, cname, config.clusters)
            cluster = ClusterComputeResource(moid("domain-c"), cname, dc.host_folder, dc, ha_enabled=ha)
            dc.host_folder.child_entities.append(cluster)
            registry.add(cluster)
            inv.compute_resources.append(cluster)
            cluster.networks = [vm_network]
            _pool(registry, inv, cluster, side_moid("resgroup-"))
            for i in range(2):
                ds = Datastore(moid("datastore-"), names.shared_datastore(d, c, i), dc.datastore_folder)
                ds.compute_resource = cluster
                dc.datastore_folder.child_entities.append(ds)
                cluster.datastores.append(ds)
                inv.datastores.append(ds)
                registry.add(ds)
            for h in range(config.hosts_per_cluster):
                host = HostSystem(moid("host-"), host_name(names.host(d, c, h), taken), cluster, ctx)
                host.index = next(index)
                vm_network.hosts.append(host)
                host.datastores = list(cluster.datastores)
                cluster.hosts.append(host)
                inv.hosts.append(host)
            _assign_das_roles(cluster, fleet, config.seed)
            for host in cluster.hosts:
                registry.add(host)
        for s in range(config.standalone_hosts):
            hname = host_name(names.standalone(d, s), taken)
            cr = ComputeResource(moid("domain-s"), hname, dc.host_folder, dc)
            dc.host_folder.child_entities.append(cr)
            registry.add(cr)
            inv.compute_resources.append(cr)
            cr.networks = [vm_network]
            _pool(registry, inv, cr, side_moid("resgroup-"))
            host = HostSystem(moid("host-"), hname, cr, ctx)
            host.index = next(index)
            vm_network.hosts.append(host)
            ds = Datastore(moid("datastore-"), names.local_datastore(d, s, hname), dc.datastore_folder)
            ds.compute_resource = cr
            ds.shared = False
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


def _build_esx(registry: Registry, config: SimulatorConfig, scenario: Scenario, ctx: FleetContext) -> Inventory:
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
    host = HostSystem("ha-host", name, cr, ctx)
    pool = ResourcePool("ha-root-pool", cr)
    cr.resource_pool = pool
    network = Network("HaNetwork-VM Network", "VM Network", dc.network_folder)
    dc.network_folder.child_entities.append(network)
    network.hosts.append(host)
    cr.networks = [network]
    ds = Datastore("datastore1", "datastore1", dc.datastore_folder)
    ds.compute_resource = cr
    ds.shared = False
    dc.datastore_folder.child_entities.append(ds)
    cr.datastores.append(ds)
    host.datastores = [ds]
    cr.hosts.append(host)
    version = next(iter(scenario.fleet.product_versions))
    host.product = _product(version)
    host.boot_time = Clock.now() - timedelta(days=12)
    folders = (dc.host_folder, dc.vm_folder, dc.datastore_folder, dc.network_folder)
    for obj in (root, dc, *folders, cr, pool, network, ds, host):
        registry.add(obj)
    return Inventory(
        root=root,
        datacenters=[dc],
        compute_resources=[cr],
        hosts=[host],
        datastores=[ds],
        networks=[network],
        resource_pools=[pool],
    )
