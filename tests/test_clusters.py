"""vc.clusters() and the per-host diagnosis columns: one PropertyCollector pass, values as the simulator has them."""

from __future__ import annotations

import pandas as pd

from vsphere_nb import connect
from vsphere_nb.clusters import CLUSTER_COLUMNS, HOST_DIAGNOSIS_COLUMNS, collect_fleet, diagnosis_hosts_frame


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
