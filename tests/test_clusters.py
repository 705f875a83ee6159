"""vc.clusters() and the per-host diagnosis columns: one PropertyCollector pass, values as the simulator has them."""

from __future__ import annotations

import pandas as pd

from vsphere_nb import connect
from vsphere_nb.fleet.clusters import CLUSTER_COLUMNS, HOST_DIAGNOSIS_COLUMNS, collect_fleet, diagnosis_hosts_frame


def test_one_row_per_cluster_with_its_ha_settings(make_sim):
    sim = make_sim(clusters=5, hosts_per_cluster=4, scenario="mixed", seed=3)
    with connect(sim.url, sim.user, sim.password) as vc:
        before = vc.stats.requests
        frame = vc.clusters()
        used = vc.stats.requests - before
    assert list(frame.columns) == CLUSTER_COLUMNS
    model = {c.name: c for c in sim.vc.inventory.clusters()}
    assert set(frame["cluster"].astype(str)) == set(model)
    for row in frame.itertuples():
        cluster = model[str(row.cluster)]
        assert bool(row.ha_enabled) == cluster.ha_enabled
        assert row.hosts == len(cluster.hosts)
        master = next((h.name for h in cluster.hosts if h.das_state == "master"), None)
        assert (None if pd.isna(row.primary_host) else row.primary_host) == master
        healthy = sum(h.das_state in ("master", "connectedToMaster") for h in cluster.hosts)
        assert row.hosts_healthy == healthy
        assert row.heartbeat_datastore_count == len(cluster.configuration().dasConfig.heartbeatDatastore or [])
        options = {o.key: o.value for o in cluster.configuration().dasConfig.option or []}
        assert row.isolation_addresses == options.get("das.isolationaddress0", "")
    assert not frame["ha_enabled"].all()  # mixed: one cluster in five has HA off
    # container view + retrieve + destroy, and at most one RetrieveDasAdvancedRuntimeInfo probe per HA cluster
    assert used <= 3 + len(model)


def test_hosts_frame_gains_the_diagnosis_columns(make_sim):
    sim = make_sim(clusters=2, hosts_per_cluster=3, standalone_hosts=1)
    with connect(sim.url, sim.user, sim.password) as vc:
        inv = vc.run(collect_fleet(vc.aio, vcenter=vc.vcenter))
        hosts = diagnosis_hosts_frame(inv, vc.about.version)
        plain = vc.hosts()
    for col in HOST_DIAGNOSIS_COLUMNS:
        assert col in hosts.columns
    assert list(hosts.columns[: len(plain.columns)]) == list(plain.columns)
    assert list(hosts["host_moid"].astype(str)) == list(plain["host_moid"].astype(str))
    # every simulated host sees its datastores; the version comparison is against vCenter's own version
    model = {h.moid: h for h in sim.vc.inventory.hosts}
    for row in hosts.itertuples():
        assert row.datastores_accessible == len(model[str(row.host_moid)].datastores)
    assert set(hosts["version_vs_vcenter"].dropna().astype(str)) <= {"same", "older", "newer"}
    assert str(hosts["state_changed_at"].dtype) == "datetime64[us, UTC]"


def test_hosts_with_diagnostics_in_one_call(make_sim):
    sim = make_sim(clusters=2, hosts_per_cluster=3)
    with connect(sim.url, sim.user, sim.password) as vc:
        hosts = vc.hosts(diagnostics=True, clusters=["DC0_C1"])
    assert set(hosts["cluster"].astype(str)) == {"DC0_C1"}
    assert set(HOST_DIAGNOSIS_COLUMNS) <= set(hosts.columns)


class _FakeClient:
    """Answers RetrieveDasAdvancedRuntimeInfo (or refuses it) and counts the calls."""

    def __init__(self, supported: bool) -> None:
        self.supported = supported
        self.calls: list[str] = []

    async def invoke(self, ref, method, **params):
        from vsphere_nb import ServerFault, wire

        self.calls.append(ref.value)
        if not self.supported:
            raise ServerFault(wire.MethodFault.model_validate({"_typeName": "MethodNotFound"}), method=method)
        return {"_typeName": "ClusterDasAdvancedRuntimeInfo", "cluster": ref.value}


def _fleet_inventory():
    from vsphere_nb import wire
    from vsphere_nb.fleet.clusters import FleetInventory
    from vsphere_nb.wire import MoRef

    inv = FleetInventory(vcenter="vc")
    fleet = (
        ("domain-c1", ["master", "initializationError"]),
        ("domain-c2", ["master", "connectedToMaster"]),
        ("domain-c3", ["networkIsolated", "master"]),
        ("domain-c4", ["election"]),
    )
    for c, states in fleet:
        cref = MoRef("ClusterComputeResource", c)
        inv.objects[cref] = {
            "name": c,
            "configurationEx": wire.ClusterConfigInfoEx(dasConfig=wire.ClusterDasConfigInfo(enabled=True)),
        }
        for i, state in enumerate(states):
            inv.objects[MoRef("HostSystem", f"{c}-h{i}")] = {
                "name": f"{c}-h{i}",
                "parent": cref,
                "runtime.dasHostState": wire.ClusterDasFdmHostState(state=state),
            }
    return inv


def test_advanced_runtime_info_only_for_clusters_with_unhealthy_hosts():
    import asyncio

    from vsphere_nb.fleet.clusters import _advanced_runtime

    client = _FakeClient(supported=True)
    out = asyncio.run(_advanced_runtime(client, _fleet_inventory()))
    assert sorted(client.calls) == ["domain-c1", "domain-c3", "domain-c4"] and set(out) == set(client.calls)
    refused = _FakeClient(supported=False)
    assert asyncio.run(_advanced_runtime(refused, _fleet_inventory())) == {}
    assert refused.calls == ["domain-c1"]  # the first refusal stops the asking


def test_a_host_in_no_heartbeat_entry_of_its_answering_cluster_has_none():
    """``heartbeatDatastoreInfo`` maps each datastore to the hosts using it (vSphere API reference,
    ``DasHeartbeatDatastoreInfo``): a host of the answering HA cluster that no entry names has 0 heartbeat
    datastores; hosts of clusters not asked, and hosts outside the HA cluster, stay unknown."""
    from vsphere_nb import wire
    from vsphere_nb.fleet.clusters import _heartbeat_counts
    from vsphere_nb.wire import MoRef

    inv = _fleet_inventory()
    inv.objects[MoRef("HostSystem", "domain-c1-h2")] = {
        "name": "gone",
        "parent": MoRef("ClusterComputeResource", "domain-c1"),
    }  # disconnected: no agent state
    ds = {"_typeName": "ManagedObjectReference", "type": "Datastore", "value": "datastore-1"}
    host = {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "domain-c1-h0"}
    inv.das_runtime = {
        "domain-c1": wire.decode_any(
            {
                "_typeName": "ClusterDasAdvancedRuntimeInfo",
                "heartbeatDatastoreInfo": [
                    {"_typeName": "DasHeartbeatDatastoreInfo", "datastore": ds, "hosts": [host]}
                ],
            }
        ),
        "domain-c3": wire.decode_any({"_typeName": "ClusterDasAdvancedRuntimeInfo"}),  # nobody heartbeats
        "domain-c4": None,  # answered no value
    }
    counts = _heartbeat_counts(inv)
    assert counts == {"domain-c1-h0": 1, "domain-c1-h1": 0, "domain-c3-h0": 0, "domain-c3-h1": 0}
