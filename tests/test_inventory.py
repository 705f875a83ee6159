"""The hosts inventory against the simulator over real HTTP: one paged PropertyCollector pass, the documented
columns and dtypes, pre-flight reasons checked against the simulator's own model, and host selection.

The oracle for every expectation is the simulator's inventory object (``sim.inventory``), never the code under
test: a reason that the inventory or pre-flight gets wrong shows up as a per-host difference.
"""

from __future__ import annotations

import logging
import math

import pandas as pd
import pytest
from messy_vcenter import MessyVCenter

from vsphere_nb.batch.frames import SCHEMAS
from vsphere_nb.client.config import RetryPolicy
from vsphere_nb.errors import ConfigError
from vsphere_nb.fleet.inventory import HOST_COLUMNS, collect_inventory
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect

HEALTHY = {"master", "connectedToMaster"}
METHOD = "ReconfigureHostForDAS_Task"


@pytest.fixture(scope="module")
def mixed():
    """The mixed scenario, seed 2: 5 clusters (one with HA off) × 12 hosts + 1 standalone host, and among the
    HA hosts some in maintenance, disconnected, not responding and with the method disabled by vLCM."""
    with Simulator(clusters=5, hosts_per_cluster=12, standalone_hosts=1, scenario="mixed", seed=2) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            yield sim, vc


def expected_reasons(host) -> str | None:
    """Pre-flight reasons of one simulated host, from the simulator's model, in the documented order."""
    cr = host.compute_resource
    standalone = type(cr).__name__ != "ClusterComputeResource"
    reasons = []
    if host.connection_state == "disconnected":
        reasons.append("host disconnected")
    if host.connection_state == "notResponding":
        reasons.append("host not responding")
    if host.in_maintenance:
        reasons.append("in maintenance mode")
    if standalone:
        reasons.append("standalone host (not in a cluster)")
    elif not cr.ha_enabled:
        reasons.append("vSphere HA not enabled on the cluster")
    if METHOD in host.disabled_methods:
        reasons.append(f"{METHOD} is disabled on the host")
    return "; ".join(reasons) or None


def test_columns_and_dtypes_are_the_documented_ones(mixed):
    sim, vc = mixed
    hosts = vc.hosts()
    assert list(hosts.columns) == HOST_COLUMNS == list(SCHEMAS["hosts"])  # data_issues included, last
    assert hosts["data_issues"].dtype == pd.StringDtype("pyarrow") and hosts["data_issues"].isna().all()
    for column, kind in SCHEMAS["hosts"].items():
        dtype = hosts[column].dtype
        if kind in ("id", "category"):
            assert isinstance(dtype, pd.CategoricalDtype), column
        elif kind == "boolean":
            assert dtype == "boolean", column
        elif kind == "string":
            assert dtype == pd.StringDtype("pyarrow"), column
    assert len(hosts) == len(sim.inventory.hosts) == 61
    assert hosts["host_moid"].is_unique
    assert set(hosts["vcenter"]) == {vc.vcenter} and vc.vcenter == sim.url.split("//", 1)[1]


def test_every_host_matches_the_simulated_model(mixed):
    sim, vc = mixed
    hosts = vc.hosts().set_index("host_moid")
    names = {h.ref: h.name for h in sim.inventory.hosts}
    for h in sim.inventory.hosts:
        row = hosts.loc[h.moid]
        cr = h.compute_resource
        in_cluster = type(cr).__name__ == "ClusterComputeResource"
        assert row["host"] == h.name
        assert row["datacenter"] == "DC0"
        if in_cluster:
            assert (row["cluster"], row["cluster_moid"]) == (cr.name, cr.moid)
        else:
            assert pd.isna(row["cluster"]) and pd.isna(row["cluster_moid"])
        assert bool(row["ha_enabled"]) == bool(in_cluster and cr.ha_enabled)
        assert row["connection_state"] == h.connection_state
        assert bool(row["in_maintenance"]) == h.in_maintenance
        if h.das_state is None:
            assert pd.isna(row["das_state"]) and pd.isna(row["das_state_reporter"])
        else:
            assert row["das_state"] == h.das_state
            assert row["das_state_reporter"] == names[h.das_reporter]
        assert row["version"] == h.product.version and row["build"] == h.product.build
        assert row["datastores"] == ", ".join(d.name for d in h.datastores)
        assert (row["disabled_methods"] or "") == ", ".join(h.disabled_methods)


def test_preflight_reasons_match_the_fleet(mixed):
    sim, vc = mixed
    hosts = vc.hosts().set_index("host_moid")
    got = {moid: (None if pd.isna(r) else r) for moid, r in hosts["skip_reason"].items()}
    want = {h.moid: expected_reasons(h) for h in sim.inventory.hosts}
    assert got == want
    assert (hosts["eligible"] == hosts["skip_reason"].isna()).all()
    # the fleet really holds every case, so each rule was exercised (guards against a seed change)
    texts = " | ".join(r for r in want.values() if r)
    for reason in (
        "host disconnected",
        "host not responding",
        "in maintenance mode",
        "standalone host (not in a cluster)",
        "vSphere HA not enabled on the cluster",
    ):
        assert reason in texts, reason
    vlcm = [h for h in sim.inventory.hosts if h.disabled_source is not None]
    assert vlcm and all(got[h.moid] == f"{METHOD} is disabled on the host" for h in vlcm)


def test_only_unhealthy_and_selection(mixed):
    sim, vc = mixed
    unhealthy = vc.hosts(only_unhealthy=True)
    # the definition, from the simulator's own state: HA enabled on the host's cluster, and the agent not
    # master/connectedToMaster or the host not connected; hosts of HA-disabled clusters and standalone never
    expected = {
        h.moid
        for h in sim.inventory.hosts
        if h.ha_enabled and (h.das_state not in HEALTHY or h.connection_state != "connected")
    }
    assert set(unhealthy["host_moid"]) == expected
    assert unhealthy["ha_enabled"].astype(bool).all()
    assert any(not h.ha_enabled and h.das_state not in HEALTHY for h in sim.inventory.hosts)  # the case exists
    assert 0 < len(unhealthy) < len(sim.inventory.hosts)

    one = vc.hosts(clusters=["DC0_C1"])
    assert set(one["host_moid"]) == {h.moid for h in sim.inventory.hosts if h.compute_resource.name == "DC0_C1"}
    both = vc.hosts(clusters=["DC0_C1", "DC0_C2"], only_unhealthy=True)
    assert set(both["cluster"].astype(str)) <= {"DC0_C1", "DC0_C2"}
    assert set(both["das_state"].astype(object)) & HEALTHY == set()

    picked = vc.hosts(host_names=["DC0_C0_H03", "host-1010"])
    assert set(picked["host"].astype(str)) == {"DC0_C0_H03", "DC0_C0_H01"}


@pytest.mark.parametrize(
    "kwargs, missing",
    [
        ({"clusters": ["DC0_C1", "no-such-cluster"]}, "no-such-cluster"),
        ({"host_names": ["DC0_C0_H00", "esx-nowhere"]}, "esx-nowhere"),
    ],
)
def test_unknown_names_raise_config_error(mixed, kwargs, missing):
    _, vc = mixed
    with pytest.raises(ConfigError, match=missing) as info:
        vc.hosts(**kwargs)
    assert "DC0_C1," not in str(info.value)  # only the unknown names are listed


@pytest.mark.parametrize("clusters, per_cluster", [(4, 10), (10, 40)])
def test_request_count_grows_with_pages_not_hosts(clusters, per_cluster):
    """40 and 400 hosts, pages of 100 objects: CreateContainerView + ceil(objects / 100) retrieve calls +
    DestroyView, counted on both sides of the wire; never a request per host."""
    with Simulator(clusters=clusters, hosts_per_cluster=per_cluster, standalone_hosts=0, scenario="healthy") as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            sim.reset_stats()
            before = vc.stats.requests
            inv = vc.run(collect_inventory(vc.aio, page_size=100))
            pages = math.ceil(len(inv.objects) / 100)
            assert inv.requests == vc.stats.requests - before == 2 + pages
            served = sim.stats()["requests"]
            assert served.get("PropertyCollector.RetrievePropertiesEx") == 1
            assert served.get("PropertyCollector.ContinueRetrievePropertiesEx", 0) == pages - 1
            assert sum(served.values()) == 2 + pages
            assert sum(1 for ref in inv.objects if ref.type == "HostSystem") == clusters * per_cluster
            if clusters * per_cluster == 400:
                assert pages >= 5 and 2 + pages < 400 / 40

            before = vc.stats.requests
            hosts = vc.hosts(page_size=100)
            assert len(hosts) == clusters * per_cluster
            assert vc.stats.requests - before == 2 + pages


# ---------------------------------------------------------------------------------------------
# a messy server: one odd value never costs the inventory
# ---------------------------------------------------------------------------------------------
def messy_hosts(fake: MessyVCenter, **kwargs) -> pd.DataFrame:
    with connect(
        "https://vc.test",
        fake.user,
        fake.password,
        transport=fake.transport(),
        retry=RetryPolicy(attempts=2, base=0.001, cap=0.002),
    ) as vc:
        return vc.hosts(**kwargs)


BAD_STATE = {"_typeName": "ClusterDasFdmHostState", "state": {"unexpected": "object"}}


def test_messy_server_every_host_returned_and_the_one_bad_value_flagged(caplog):
    fake = MessyVCenter(hosts=1000, corrupt={"host-537": ("runtime.dasHostState", BAD_STATE)})
    with caplog.at_level(logging.WARNING, logger="vsphere_nb.fleet.inventory"):
        hosts = messy_hosts(fake, page_size=300)
    assert len(hosts) == 1000 and set(hosts["host_moid"]) == {f"host-{i}" for i in range(1000)}
    assert list(hosts.columns) == HOST_COLUMNS
    # exactly one host flagged, and it names the property and the type
    flagged = hosts[hosts["data_issues"].notna()]
    assert list(flagged["host_moid"]) == ["host-537"]
    issue = flagged["data_issues"].iloc[0]
    assert issue.startswith("runtime.dasHostState: undecodable ClusterDasFdmHostState")
    assert pd.isna(flagged["das_state"].iloc[0])  # the bad cell is empty, the rest of the row is there
    assert flagged["host"].iloc[0] == "esx0537.lab.example" and flagged["cluster"].iloc[0] == "C10"
    # null / absent boxed arrays read as empty; unknown subtypes decode as their base types
    by_moid = hosts.set_index(hosts["host_moid"].astype(str))
    assert by_moid.loc["host-4", "disabled_methods"] == "" and by_moid.loc["host-5", "datastores"] == "ds-C0"
    assert by_moid.loc["host-8", "datastores"] == ""  # i % 4 == 0: an empty array, in its null form
    assert by_moid.loc["host-7", "das_state"] == "connectedToMaster"  # ClusterDasFdmHostStateV9
    assert by_moid.loc["host-50", "das_state_reporter"] == "esx0050.lab.example"
    assert by_moid.loc["host-5", "config_issues"] == "HA agent on esx0005.lab.example reports a future condition"
    assert by_moid.loc["host-11", "overall_status"] == "purple"
    assert by_moid.loc["host-53", "ha_enabled"]  # cluster C1: dasConfig is a ClusterDasConfigInfoV2
    assert hosts["eligible"].sum() == 1000
    # one warning for the one kind of issue, naming the property and the example host
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "HostSystem.runtime.dasHostState undecodable ClusterDasFdmHostState on 1 object(s)" in warnings[0]
    assert "esx0537.lab.example" in warnings[0]


def test_messy_server_wrong_shapes_and_unreadable_properties_are_flagged_per_host(caplog):
    fake = MessyVCenter(
        hosts=120,
        corrupt={
            "host-3": ("datastore", {"_typeName": "string", "_value": "datastore-0"}),  # decodes, wrong shape
            "host-4": ("disabledMethod", {"_typeName": "ArrayOfString", "_value": "Reconfigure"}),  # does not decode
            "host-5": ("disabledMethod", {"_typeName": "ArrayOfString", "_value": 7}),
            "host-6": (
                "runtime.dasHostState",
                {"_typeName": "ClusterDasFdmHostState", "state": "master", "stateReporter": 5},
            ),
        },
        missing={"host-9": "runtime.dasHostState"},
    )
    with caplog.at_level(logging.WARNING, logger="vsphere_nb.fleet.inventory"):
        hosts = messy_hosts(fake)
    assert len(hosts) == 120
    issues = {str(k): v for k, v in zip(hosts["host_moid"], hosts["data_issues"]) if not pd.isna(v)}
    assert set(issues) == {"host-3", "host-4", "host-5", "host-6", "host-9"}
    assert issues["host-3"].startswith("datastore: undecodable string: expected ArrayOfDatastore (a list), got text")
    assert issues["host-4"].startswith("disabledMethod: undecodable ArrayOfString: ArrayOfString expects a list")
    assert issues["host-6"].startswith("runtime.dasHostState: undecodable ClusterDasFdmHostState")
    assert issues["host-9"] == "runtime.dasHostState: not readable (NoPermission)"
    # an unreadable value of a property pre-flight reads makes the host ineligible; other data issues do not
    eligible = dict(zip(hosts["host_moid"], hosts["eligible"]))
    reasons = dict(zip(hosts["host_moid"], hosts["skip_reason"]))
    for moid in ("host-4", "host-5"):
        assert not eligible[moid] and reasons[moid] == "disabledMethod unreadable (see data_issues)"
    assert eligible["host-3"] and eligible["host-6"] and eligible["host-9"]
    row = hosts[hosts["host_moid"] == "host-3"].iloc[0]
    assert (
        pd.isna(row["datastores"]) and row["host"] == "esx0003.lab.example" and row["das_state"] == "connectedToMaster"
    )
    # one warning per kind: disabledMethod's two hosts share one line
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4, warnings
    assert any("HostSystem.disabledMethod undecodable ArrayOfString on 2 object(s)" in w for w in warnings)


def test_a_cluster_whose_configuration_does_not_decode_flags_its_hosts():
    class BadCluster(MessyVCenter):
        def objects(self):
            out = super().objects()
            for oc in out:
                if oc["obj"]["value"] == "domain-c1":
                    for prop in oc["propSet"]:
                        if prop["name"] == "configurationEx":
                            prop["val"] = {"_typeName": "ClusterConfigInfoEx", "dasConfig": {"enabled": "maybe"}}
            return out

    hosts = messy_hosts(BadCluster(hosts=100))
    assert len(hosts) == 100
    in_c1 = hosts[hosts["cluster"] == "C1"]
    assert len(in_c1) == 50 and in_c1["data_issues"].str.startswith("cluster C1: configurationEx: undecodable").all()
    assert hosts[hosts["cluster"] == "C0"]["data_issues"].isna().all()
    assert (in_c1["skip_reason"] == "configurationEx unreadable (see data_issues)").all()
    assert not in_c1["eligible"].any()


def test_hosts_frame_twice_on_one_pass_gives_the_same_issues():
    from vsphere_nb.fleet.inventory import hosts_frame

    fake = MessyVCenter(hosts=60, corrupt={"host-3": ("datastore", {"_typeName": "string", "_value": "x"})})
    with connect("https://vc.test", fake.user, fake.password, transport=fake.transport()) as vc:
        inv = vc.run(collect_inventory(vc.aio))
    first, second = hosts_frame(inv), hosts_frame(inv)
    assert first["data_issues"].equals(second["data_issues"])
    assert first["data_issues"].notna().sum() == 1


def test_a_broken_object_costs_only_itself(caplog):
    class BrokenObjects(MessyVCenter):
        def objects(self):
            out = super().objects()
            for oc in out:
                if oc["obj"]["value"] == "host-7":  # one property entry without a name
                    oc["propSet"].append({"_typeName": "DynamicProperty", "val": "orphan"})
                if oc["obj"]["value"] == "host-8":  # no usable obj: cannot be attributed to any host
                    oc["obj"] = {"_typeName": "ManagedObjectReference", "type": "HostSystem"}
            return out

    with caplog.at_level(logging.WARNING):
        hosts = messy_hosts(BrokenObjects(hosts=60))
    moids = set(hosts["host_moid"].astype(str))
    assert len(hosts) == 59 and "host-8" not in moids and "host-7" in moids
    row = hosts[hosts["host_moid"] == "host-7"].iloc[0]
    assert row["host"] == "esx0007.lab.example" and row["data_issues"].startswith("propSet[")
    assert any("1 object(s) of a RetrievePropertiesEx page could not be read" in r.getMessage() for r in caplog.records)
