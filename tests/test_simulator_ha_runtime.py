"""What the diagnosis reads of HA's run time, served by the simulator in VMware's shapes (pyVmomi's tables are the
oracle): ``ClusterComputeResource.RetrieveDasAdvancedRuntimeInfo`` (the heartbeat datastores the primary chose per
host), each host's mount of a datastore and whether it can reach it (``Datastore.host``, the host's
``fileSystemVolumeInfo``), and a cluster's own ``configIssue``; and the ``datastore-access`` story told with them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import moref
from test_simulator_conformance import Walker

V = pytest.importorskip("pyVmomi.VmomiSupport")

METHOD = "RetrieveDasAdvancedRuntimeInfo"


@pytest.fixture
def walker():
    w = Walker()
    yield w
    assert not w.problems, "\n".join(w.problems[:20])


def checked(walker: Walker, label: str, value: Any) -> Any:
    walker.value(value, label)
    return value


def _runtime(vi: Any, cluster: Any) -> dict[str, Any]:
    return vi.call("ClusterComputeResource", cluster.moid, METHOD)


def _by_host(info: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for entry in info.get("heartbeatDatastoreInfo", []):
        for host in entry["hosts"]:
            out.setdefault(host["value"], set()).add(entry["datastore"]["value"])
    return out


def test_the_method_is_vmwares_and_answers_its_declared_type(sim, vi, walker):
    cluster = sim.vc.inventory.clusters()[0]
    info = checked(walker, METHOD, _runtime(vi, cluster))
    method = V.GetWsdlType("urn:vim25", "ClusterComputeResource")._GetMethodInfo(METHOD)
    declared = method.result  # vim.cluster.DasAdvancedRuntimeInfo: the answer is it or one of its subtypes
    assert issubclass(V.GetWsdlType("urn:vim25", info["_typeName"]), declared)
    assert info["_typeName"] == "ClusterDasAdvancedRuntimeInfo"
    assert {"heartbeatDatastoreInfo", "vmcpSupported"} <= set(info) and "dasHostInfo" not in info
    assert info["vmcpSupported"] == {
        "_typeName": "ClusterDasAdvancedRuntimeInfoVmcpCapabilityInfo",
        "storageAPDSupported": True,
        "storagePDLSupported": True,
    }
    entry = V.GetWsdlType("urn:vim25", "DasHeartbeatDatastoreInfo")
    assert {p.name for p in entry._GetPropertyList()} >= {"datastore", "hosts"}
    for item in info["heartbeatDatastoreInfo"]:
        assert item["_typeName"] == "DasHeartbeatDatastoreInfo" and item["datastore"]["type"] == "Datastore"
        assert all(h["type"] == "HostSystem" for h in item["hosts"])
    # every host of a healthy cluster heartbeats through das.heartbeatDsPerHost = 2 datastores, its cluster's
    assert _by_host(info) == {h.moid: {d.moid for d in cluster.datastores} for h in cluster.hosts}


def test_readable_with_system_read_only(sim, make_vi):
    """VMware's privilege for it is System.Read: the read-only user may call it."""
    method = V.GetWsdlType("urn:vim25", "ClusterComputeResource")._GetMethodInfo(METHOD)
    assert method.privId == "System.Read"
    readonly = make_vi(sim, sim.readonly_user, sim.readonly_password)
    assert _runtime(readonly, sim.vc.inventory.clusters()[0])["_typeName"] == "ClusterDasAdvancedRuntimeInfo"


def test_a_cluster_without_ha_answers_no_value_and_a_standalone_host_has_no_such_method(make_sim, make_vi):
    sim = make_sim(scenario={"name": "x", "fleet": {"ha_disabled_clusters": ["DC0_C1"]}})
    vi = make_vi(sim)
    off = next(c for c in sim.vc.inventory.clusters() if c.name == "DC0_C1")
    response = vi.post("ClusterComputeResource", off.moid, METHOD)
    assert response.status_code in (200, 204) and not response.content
    standalone = next(cr for cr in sim.vc.inventory.compute_resources if cr.TYPE == "ComputeResource")
    assert vi.fault(vi.post("ComputeResource", standalone.moid, METHOD))["_typeName"] == "MethodNotFound"


def test_heartbeat_datastores_follow_mounts_policy_and_overrides(sim, vi):
    vc = sim.vc
    cluster = vc.inventory.clusters()[0]
    first, second = cluster.datastores
    a, b, c, d = cluster.hosts
    with vc.registry.lock:
        first.set_accessible(a, False)  # a reaches only the second datastore
        first.set_accessible(b, False)
        second.set_accessible(b, False)  # b reaches none
        cluster.heartbeat_overrides[c.moid] = [second]  # the primary's own choice for c
    got = _by_host(_runtime(vi, cluster))
    assert got[a.moid] == {second.moid} and b.moid not in got and got[c.moid] == {second.moid}
    assert got[d.moid] == {first.moid, second.moid}
    # userSelectedDs: only the preferred ones; das.heartbeatDsPerHost cannot go below 2
    with vc.registry.lock:
        cluster.preferred_heartbeat = [first]
        cluster.das.heartbeat_policy = "userSelectedDs"
        cluster.das.options["das.heartbeatDsPerHost"] = "1"
    got = _by_host(_runtime(vi, cluster))
    assert got[d.moid] == {first.moid} and a.moid not in got
    preferred = vi.read("ClusterComputeResource", cluster.moid, "configurationEx")["dasConfig"]["heartbeatDatastore"]
    assert [r["value"] for r in preferred] == [first.moid]
    with vc.registry.lock:  # the mount comes back: the host heartbeats through it again
        first.set_accessible(a, True)
        cluster.das.heartbeat_policy = "allFeasibleDsWithUserPreference"
    assert _by_host(_runtime(vi, cluster))[a.moid] == {first.moid, second.moid}


def test_mount_accessibility_per_datastore_and_host(sim, vi, walker):
    vc = sim.vc
    cluster = vc.inventory.clusters()[0]
    ds = cluster.datastores[0]
    lost, other = cluster.hosts[0], cluster.hosts[1]
    with vc.registry.lock:
        ds.set_accessible(lost, False, "PermanentDeviceLoss")
        vc.registry.changed(ds)
    mounts = {m["key"]["value"]: m["mountInfo"] for m in checked(walker, "host", vi.read("Datastore", ds.moid, "host"))}
    reasons = V.GetWsdlType("urn:vim25", "HostMountInfoInaccessibleReason").values
    assert mounts[lost.moid]["accessible"] is False and mounts[lost.moid]["mounted"] is True
    assert mounts[lost.moid]["inaccessibleReason"] == "PermanentDeviceLoss" in reasons
    assert mounts[other.moid]["accessible"] is True and "inaccessibleReason" not in mounts[other.moid]
    assert vi.read("Datastore", ds.moid, "summary")["accessible"] is True  # the others still reach it
    # the host's own storage system says the same
    storage = vi.read("HostSystem", lost.moid, "configManager")["storageSystem"]
    volumes = vi.call(
        "PropertyCollector",
        "propertyCollector",
        "RetrievePropertiesEx",
        {
            "specSet": [
                {
                    "_typeName": "PropertyFilterSpec",
                    "objectSet": [{"_typeName": "ObjectSpec", "obj": storage}],
                    "propSet": [
                        {"_typeName": "PropertySpec", "type": "HostStorageSystem", "pathSet": ["fileSystemVolumeInfo"]}
                    ],
                }
            ]
        },
    )["objects"][0]["propSet"][0]["val"]
    checked(walker, "fileSystemVolumeInfo", volumes)
    by_name = {m["volume"]["name"]: m["mountInfo"] for m in volumes["mountInfo"]}
    assert by_name[ds.name]["accessible"] is False and by_name[cluster.datastores[1].name]["accessible"] is True
    # no host reaches it any more: the datastore is inaccessible
    with vc.registry.lock:
        for host in ds.mounted_hosts():
            ds.set_accessible(host, False)
    assert vi.read("Datastore", ds.moid, "summary")["accessible"] is False
    with pytest.raises(ValueError, match="inaccessibleReason"):
        ds.set_accessible(lost, False, "Gremlins")


def test_a_clusters_config_issue_is_served_as_vmwares_events(sim, vi, walker):
    vc = sim.vc
    cluster = vc.inventory.clusters()[0]
    with vc.registry.lock:
        issue = vc.events.make("InsufficientFailoverResourcesEvent", cr=cluster)
        vc.events.post(issue)
        cluster.config_issues.append(issue)
        vc.registry.changed(cluster)
    (served,) = checked(walker, "configIssue", vi.read("ClusterComputeResource", cluster.moid, "configIssue"))
    assert issubclass(V.GetWsdlType("urn:vim25", served["_typeName"]), V.GetWsdlType("urn:vim25", "Event"))
    assert served["computeResource"]["computeResource"]["value"] == cluster.moid
    assert (
        served["fullFormattedMessage"]
        == f"Insufficient resources to satisfy vSphere HA failover level on cluster {cluster.name} in DC0"
    )
    by_collector = vi.retrieve(vi.container_view(["ClusterComputeResource"]), "ClusterComputeResource", ["configIssue"])
    issues = {oc["obj"]["value"]: oc.get("propSet", []) for oc in by_collector}
    assert issues[cluster.moid][0]["val"]["_value"] == [served]


def test_the_datastore_story_reaches_no_datastore_and_has_no_heartbeat_datastore(make_sim, make_vi, walker):
    sim = make_sim(clusters=6, hosts_per_cluster=8, standalone_hosts=0, scenario="root-causes", seed=1)
    vi = make_vi(sim)
    truth = httpx.get(f"{sim.url}/simulator/root-causes").json()["hosts"]
    moid = next(m for m, t in truth.items() if t["cause"] == "datastore-access")
    host = sim.vc.host(moid)
    cluster = host.compute_resource
    mounted = vi.read("HostSystem", moid, "datastore")
    assert {r["value"] for r in mounted} == {d.moid for d in cluster.datastores}  # still mounted …
    for ref in mounted:
        mounts = {m["key"]["value"]: m["mountInfo"] for m in vi.read("Datastore", ref["value"], "host")}
        assert mounts[moid]["accessible"] is False and mounts[moid]["inaccessibleReason"] == "AllPathsDown_Timeout"
    got = _by_host(checked(walker, METHOD, _runtime(vi, cluster)))
    assert moid not in got and all(len(v) == 2 for v in got.values())  # … none reachable, no heartbeat datastore
    events = vi.call(
        "EventManager",
        "EventManager",
        "QueryEvents",
        {
            "filter": {
                "_typeName": "EventFilterSpec",
                "entity": {
                    "_typeName": "EventFilterSpecByEntity",
                    "entity": moref("HostSystem", moid),
                    "recursion": "self",
                },
                "eventTypeId": ["com.vmware.vc.HA.HeartbeatDatastoreNotSufficient"],
            }
        },
    )
    assert len(events) == 3  # the history: three times over the last days, as the config issue says
    assert all(f"heartbeat datastores for host {host.name} in cluster {cluster.name}" in e["fullFormattedMessage"]
               and "is 0, which is less than required: 2" in e["fullFormattedMessage"] for e in events)  # fmt: skip
    issues = [e["fullFormattedMessage"] for e in vi.read("HostSystem", moid, "configIssue")]
    assert any("heartbeat datastores for this host is 0" in text for text in issues)
    # a cluster-wide story that leaves only its primary healthy: the cluster cannot tolerate a host failure
    partitioned = next(c for c in sim.vc.inventory.clusters() if c.name == "DC0_C0")
    (issue,) = vi.read("ClusterComputeResource", partitioned.moid, "configIssue")
    assert issue["_typeName"] == "InsufficientFailoverResourcesEvent"
    assert vi.read("ClusterComputeResource", cluster.moid, "configIssue") in ([], None)
