"""The simulator as a third-party client written for a real vCenter sees it, over raw HTTP.

Path lookups from the root folder down to every host (``SearchIndex.FindByInventoryPath``), ``FindChild`` at
each level, hosts by DNS name / IP / UUID, session listing and termination, every ``ServiceContent`` manager's
properties (type and field names checked against pyVmomi's tables), host summary / hardware / config, compute
resources' root resource pools, release-dependent fields, the SOAP hint and ``vimServiceVersions.xml``.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
from conftest import moref

from vsphere_nb import wire
from vsphere_nb.simulator import Simulator
from vsphere_nb.simulator.hostinfo import FDM_VERSION_OPTION, HostNetworkSetup, PortGroup, Vmknic
from vsphere_nb.simulator.inventory import ClusterComputeResource
from vsphere_nb.simulator.managers import MANAGERS

V = pytest.importorskip("pyVmomi.VmomiSupport")


def search(vi: Any, method: str, **body: Any) -> dict[str, Any] | list[Any] | None:
    return vi.call("SearchIndex", vi.singleton("searchIndex"), method, body)


def walk_paths(vi: Any) -> dict[str, str]:
    """``{inventory path: host moId}`` for every host, found by reading childEntity / hostFolder / host."""
    out: dict[str, str] = {}
    root = vi.content()["rootFolder"]["value"]
    for dc in vi.read("Folder", root, "childEntity"):
        dc_name = vi.read("Datacenter", dc["value"], "name")
        host_folder = vi.read("Datacenter", dc["value"], "hostFolder")
        for cr in vi.read("Folder", host_folder["value"], "childEntity"):
            cr_name = vi.read(cr["type"], cr["value"], "name")
            for host in vi.read(cr["type"], cr["value"], "host"):
                name = vi.read("HostSystem", host["value"], "name")
                out[f"{dc_name}/host/{cr_name}/{name}"] = host["value"]
    return out


# -- SearchIndex ------------------------------------------------------------------------------------
def test_every_host_is_found_by_its_inventory_path(sim, vi):
    paths = walk_paths(vi)
    assert len(paths) == len(sim.vc.inventory.hosts) == 9
    for path, moid in paths.items():
        assert search(vi, "FindByInventoryPath", inventoryPath=path) == moref("HostSystem", moid)
        assert search(vi, "FindByInventoryPath", inventoryPath="/" + path) == moref("HostSystem", moid)  # as govc sends


def test_inventory_paths_of_containers_and_misses(vi):
    root = vi.content()["rootFolder"]
    dc = vi.read("Folder", root["value"], "childEntity")[0]
    host_folder = vi.read("Datacenter", dc["value"], "hostFolder")
    assert search(vi, "FindByInventoryPath", inventoryPath="") == root
    assert search(vi, "FindByInventoryPath", inventoryPath="DC0") == dc
    assert search(vi, "FindByInventoryPath", inventoryPath="DC0/host") == host_folder
    pool = search(vi, "FindByInventoryPath", inventoryPath="DC0/host/DC0_C0/Resources")
    assert pool["type"] == "ResourcePool"
    assert (
        vi.read("ResourcePool", pool["value"], "owner")["value"]
        == vi.read("ResourcePool", pool["value"], "parent")["value"]
    )
    for missing in ("DC9", "DC0/host/nope", "DC0/host/DC0_C0/DC0_C0_H00/deeper"):
        response = vi.post(
            "SearchIndex", vi.singleton("searchIndex"), "FindByInventoryPath", {"inventoryPath": missing}
        )
        assert response.status_code == 200 and not response.content, missing


def test_find_child_at_every_level(vi):
    root = vi.content()["rootFolder"]
    dc = search(vi, "FindChild", entity=root, name="DC0")
    assert dc["type"] == "Datacenter"
    folders = {name: search(vi, "FindChild", entity=dc, name=name) for name in ("vm", "host", "datastore", "network")}
    assert folders["host"] == vi.read("Datacenter", dc["value"], "hostFolder")
    assert folders["network"] == vi.read("Datacenter", dc["value"], "networkFolder")
    cluster = search(vi, "FindChild", entity=folders["host"], name="DC0_C1")
    assert cluster["type"] == "ClusterComputeResource"
    host = search(vi, "FindChild", entity=cluster, name="DC0_C1_H02")
    assert vi.read("HostSystem", host["value"], "name") == "DC0_C1_H02"
    pool = search(vi, "FindChild", entity=cluster, name="Resources")
    assert pool == vi.read("ClusterComputeResource", cluster["value"], "resourcePool")
    network = search(vi, "FindChild", entity=folders["network"], name="VM Network")
    assert network in vi.read("HostSystem", host["value"], "network")
    assert vi.post("SearchIndex", "SearchIndex", "FindChild", {"entity": cluster, "name": "nope"}).content == b""
    fault = vi.fault(vi.post("SearchIndex", "SearchIndex", "FindChild", {"entity": moref("Folder", "x"), "name": "a"}))
    assert fault["_typeName"] == "ManagedObjectNotFound"


def test_a_traversal_walk_from_the_root_finds_every_entity(sim, vi):
    """The classic pyVmomi / govmomi container walk (no views): Folder → Datacenter folders → compute resources →
    hosts and resource pools."""

    def trav(name: str, type_name: str, path: str, *select: str) -> dict[str, Any]:
        return {
            "_typeName": "TraversalSpec",
            "name": name,
            "type": type_name,
            "path": path,
            "skip": False,
            "selectSet": [{"_typeName": "SelectionSpec", "name": s} for s in select],
        }

    everything = ("folder", "dcHost", "dcNetwork", "dcDatastore", "crHost", "crPool", "poolPool")
    specs = [
        trav("folder", "Folder", "childEntity", *everything),
        trav("dcHost", "Datacenter", "hostFolder", "folder"),
        trav("dcNetwork", "Datacenter", "networkFolder", "folder"),
        trav("dcDatastore", "Datacenter", "datastoreFolder", "folder"),
        trav("crHost", "ComputeResource", "host"),
        trav("crPool", "ComputeResource", "resourcePool", "poolPool"),
        trav("poolPool", "ResourcePool", "resourcePool", "poolPool"),
    ]
    spec = {
        "_typeName": "PropertyFilterSpec",
        "objectSet": [
            {"_typeName": "ObjectSpec", "obj": vi.content()["rootFolder"], "skip": False, "selectSet": specs}
        ],
        "propSet": [{"_typeName": "PropertySpec", "type": "ManagedEntity", "pathSet": ["name"]}],
    }
    result = vi.call("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", {"specSet": [spec]})
    found: dict[str, int] = {}
    for oc in result["objects"]:
        found[oc["obj"]["type"]] = found.get(oc["obj"]["type"], 0) + 1
    inv = sim.vc.inventory
    assert found["HostSystem"] == len(inv.hosts)
    assert found["ResourcePool"] == len(inv.compute_resources) == len(inv.resource_pools)
    assert found["Network"] == len(inv.networks) and found["Datastore"] == len(inv.datastores)
    assert found["ClusterComputeResource"] + found["ComputeResource"] == len(inv.compute_resources)


def test_hosts_by_dns_name_ip_and_uuid(vi):
    hosts = vi.hosts(["name", "config.network.vnic", "hardware.systemInfo.uuid"])
    for moid, props in hosts.items():
        me = moref("HostSystem", moid)
        vnics = props["config.network.vnic"]
        management_ip = vnics[0].spec.ip.ipAddress
        assert search(vi, "FindByIp", ip=management_ip, vmSearch=False) == me
        assert search(vi, "FindByUuid", uuid=props["hardware.systemInfo.uuid"], vmSearch=False) == me
        assert search(vi, "FindByDnsName", dnsName=props["name"].lower(), vmSearch=False) == me
        assert search(vi, "FindAllByDnsName", dnsName=f"{props['name']}.example.internal", vmSearch=False) == [me]
    some = next(iter(hosts.values()))
    assert search(vi, "FindByIp", ip="192.0.2.1", vmSearch=False) is None
    assert search(vi, "FindByDnsName", dnsName=some["name"], vmSearch=True) is None  # no VMs are modelled
    dc = search(vi, "FindByInventoryPath", inventoryPath="DC0")
    assert len(search(vi, "FindAllByUuid", datacenter=dc, uuid=some["hardware.systemInfo.uuid"], vmSearch=False)) == 1


# -- sessions -----------------------------------------------------------------------------------------
def test_session_list_and_termination(sim, make_vi):
    admin = make_vi(sim)
    other = make_vi(sim)
    reader = make_vi(sim, sim.readonly_user, sim.readonly_password)
    me = admin.read("SessionManager", "SessionManager", "currentSession")
    listed = {s["key"]: s for s in admin.read("SessionManager", "SessionManager", "sessionList")}
    reader_key = reader.read("SessionManager", "SessionManager", "currentSession")["key"]
    assert {me["key"], reader_key} <= set(listed)
    assert listed[reader_key]["userName"] == sim.readonly_user
    assert [s["key"] for s in reader.read("SessionManager", "SessionManager", "sessionList")] == [reader_key]
    # a read-only user may neither end sessions nor see others
    fault = reader.fault(
        reader.post("SessionManager", "SessionManager", "TerminateSession", {"sessionId": [me["key"]]})
    )
    assert fault["_typeName"] == "NoPermission"
    assert admin.call(
        "SessionManager", "SessionManager", "SessionIsActive", {"sessionID": reader_key, "userName": sim.readonly_user}
    )
    assert (
        admin.post("SessionManager", "SessionManager", "TerminateSession", {"sessionId": [reader_key]}).status_code
        == 204
    )
    assert reader.fault(reader.get("HostSystem", "host-1", "name"))["_typeName"] == "NotAuthenticated"
    assert not admin.call(
        "SessionManager", "SessionManager", "SessionIsActive", {"sessionID": reader_key, "userName": sim.readonly_user}
    )
    assert reader_key not in {s["key"] for s in admin.read("SessionManager", "SessionManager", "sessionList")}
    gone = admin.fault(admin.post("SessionManager", "SessionManager", "TerminateSession", {"sessionId": [reader_key]}))
    assert gone["_typeName"] == "NotFound"
    own = admin.fault(admin.post("SessionManager", "SessionManager", "TerminateSession", {"sessionId": [me["key"]]}))
    assert own["_typeName"] == "InvalidArgument"
    assert other.read("SessionManager", "SessionManager", "currentSession")["key"] in {
        s["key"] for s in admin.read("SessionManager", "SessionManager", "sessionList")
    }


# -- ServiceContent managers --------------------------------------------------------------------------
def test_every_manager_in_the_service_content_answers_its_property_reads(sim, vi):
    from test_simulator_conformance import Walker, properties, vmware

    content = vi.content()
    refs = {k: v for k, v in content.items() if isinstance(v, dict) and v.get("_typeName") == "ManagedObjectReference"}
    ours = {p.name for p in V.GetWsdlType("urn:vim25", "ServiceContent")._GetPropertyList()}
    assert set(refs) <= ours
    # a vCenter 8.0U3 lists all but the ESXi-only, the deprecated and the 9.0-only ones
    assert ours - set(refs) - {"about", "dynamicType", "dynamicProperty"} == {
        "accountManager",
        "virtualizationManager",
        "directPathProfileManager",
    }
    catalog = {spec.type_name for spec in MANAGERS}
    walker = Walker()
    for field, ref in refs.items():
        vtype = vmware(ref["type"])
        assert vtype is not None, field
        for prop in properties(vtype):
            if prop in ("dynamicType", "dynamicProperty"):
                continue
            response = vi.get(ref["type"], ref["value"], prop)
            if ref["type"] not in catalog and response.status_code != 200:
                continue  # the root folder and the older singletons serve a documented subset
            assert response.status_code == 200, f"{field} {ref['type']}.{prop}: {response.text[:200]}"
            if response.content:
                walker.value(response.json(), f"{ref['type']}.{prop}")
    assert not walker.problems, "\n".join(walker.problems[:20])
    roles = vi.read("AuthorizationManager", refs["authorizationManager"]["value"], "roleList")
    assert {r["name"] for r in roles} >= {"Admin", "ReadOnly", "NoAccess"}
    settings = {o["key"]: o["value"]["_value"] for o in vi.read("OptionManager", "VpxSettings", "setting")}
    assert settings["VirtualCenter.InstanceName"]
    intervals = vi.read("PerformanceManager", refs["perfManager"]["value"], "historicalInterval")
    assert [i["samplingPeriod"] for i in intervals] == [300, 1800, 7200, 86400]


def test_out_of_scope_methods_answer_not_implemented(vi):
    host = next(iter(vi.hosts(["name"])))
    for type_name, moid, name in [
        ("HostSystem", host, "RebootHost_Task"),  # writes other than HA reconfiguration and maintenance mode
        ("DiagnosticManager", "DiagMgr", "GenerateLogBundles_Task"),  # the log methods for hosts are served
        ("SearchIndex", "SearchIndex", "FindByDatastorePath"),
        ("PerformanceManager", "PerfMgr", "QueryPerfComposite"),  # virtual machines' composite statistics
        ("OptionManager", "VpxSettings", "UpdateOptions"),
        ("DistributedVirtualSwitchManager", "DVSManager", "QueryAvailableDvsSpec"),  # distributed switches
        ("Folder", "group-d1", "CreateDatacenter"),
    ]:
        fault = vi.fault(vi.post(type_name, moid, name, {}))
        assert fault["_typeName"] == "NotImplemented", (type_name, name)
        assert "not implemented by the vsphere-nb simulator" in fault["faultMessage"][0]["message"]
    assert vi.fault(vi.post("HostSystem", host, "NoSuchMethod"))["_typeName"] == "MethodNotFound"


def test_the_method_table_is_vmwares():
    from vsphere_nb.simulator.vmodl_methods import VMWARE_METHODS

    for type_name, names in VMWARE_METHODS.items():
        vtype = V.GetWsdlType("urn:vim25", type_name)
        theirs = {m.wsdlName for m in vtype.__dict__.get("_methodInfo", {}).values()}
        assert names == theirs, type_name


# -- hosts, clusters, pools ---------------------------------------------------------------------------
def test_hosts_report_summary_hardware_and_config(sim, vi):
    hosts = vi.hosts(["summary", "hardware", "config", "runtime.connectionState"])
    connected = [p for p in hosts.values() if str(p["runtime.connectionState"]) == "connected"]
    assert connected
    for props in connected:
        summary, hardware, config = props["summary"], props["hardware"], props["config"]
        assert summary.hardware.memorySize == hardware.memorySize > 0
        assert summary.hardware.numCpuCores == hardware.cpuInfo.numCpuCores
        assert summary.hardware.uuid == hardware.systemInfo.uuid
        assert summary.hardware.family is None  # Since 9.0: not at 8.0.3
        assert summary.quickStats.uptime > 0 and summary.quickStats.overallCpuUsage > 0
        assert summary.config.product.version and config.product.build == summary.config.product.build
        selected = {c.nicType: c.selectedVnic for c in config.virtualNicManagerInfo.netConfig}
        management = [v for v in config.network.vnic if any(k.endswith(v.device) for k in selected["management"])]
        assert [v.device for v in management] == ["vmk0"]
        assert {g.spec.name for g in config.network.portgroup} >= {"Management Network", "VM Network"}
        assert config.dateTimeInfo.timeZone.key == "UTC" and config.dateTimeInfo.ntpConfig.server
        options = {o.key: o.value for o in config.option}
        assert options[FDM_VERSION_OPTION].startswith("8.0.3-")


def test_network_and_ha_settings_follow_what_a_scenario_sets(sim, vi):
    host = next(h for h in sim.vc.inventory.hosts if isinstance(h.compute_resource, ClusterComputeResource))
    cluster = host.compute_resource
    with sim.vc.registry.lock:
        host.network_setup = HostNetworkSetup(
            vswitches={"vSwitch0": ["vmnic0"]},
            portgroups=[PortGroup("Management Network", 99), PortGroup("Storage", 30)],
            vmknics=[
                Vmknic("vmk0", "Storage", "10.30.0.5", services=()),
                Vmknic("vmk1", "Management Network", "10.99.0.5", services=("management", "vmotion")),
            ],
        )
        host.fdm_version = "8.0.2-22385739"
        cluster.das.isolation_addresses = ["10.99.0.1", "10.99.0.2"]
        cluster.das.options["das.heartbeatDsPerHost"] = "4"
        sim.vc.registry.changed(host)
        sim.vc.registry.changed(cluster)
    config = vi.read("HostSystem", host.moid, "config")
    management = next(c for c in config["virtualNicManagerInfo"]["netConfig"] if c["nicType"] == "management")
    assert management["selectedVnic"] == ["VirtualNicManager.management.key-vim.host.VirtualNic-vmk1"]
    assert {g["spec"]["name"]: g["spec"]["vlanId"] for g in config["network"]["portgroup"]}["Management Network"] == 99
    assert {o["key"]: o["value"]["_value"] for o in config["option"]}[FDM_VERSION_OPTION] == "8.0.2-22385739"
    assert search(vi, "FindByIp", ip="10.99.0.5", vmSearch=False) == moref("HostSystem", host.moid)
    das = vi.read("ClusterComputeResource", cluster.moid, "configurationEx")["dasConfig"]
    options = {o["key"]: o["value"]["_value"] for o in das["option"]}
    assert options["das.isolationaddress1"] == "10.99.0.2" and options["das.heartbeatDsPerHost"] == "4"


def test_compute_resources_have_pools_summaries_and_complete_lists(sim, vi):
    for cr in sim.vc.inventory.compute_resources:
        pool = vi.read(cr.TYPE, cr.moid, "resourcePool")
        assert pool["type"] == "ResourcePool"
        assert vi.read("ResourcePool", pool["value"], "name") == "Resources"
        assert vi.read("ResourcePool", pool["value"], "owner") == moref(cr.TYPE, cr.moid)
        summary = vi.read(cr.TYPE, cr.moid, "summary")
        assert summary["_typeName"] == (
            "ClusterComputeResourceSummary" if cr.TYPE == "ClusterComputeResource" else "ComputeResourceSummary"
        )
        assert summary["numHosts"] == len(vi.read(cr.TYPE, cr.moid, "host")) == len(cr.hosts)
        assert summary["totalMemory"] == sum(vi.read("HostSystem", h.moid, "hardware")["memorySize"] for h in cr.hosts)
        assert vi.read(cr.TYPE, cr.moid, "datastore") and vi.read(cr.TYPE, cr.moid, "network")


# -- releases -----------------------------------------------------------------------------------------
def test_fields_since_9_are_written_only_at_those_releases(make_sim, make_vi):
    sim = make_sim(version="9.1.1", clusters=1, hosts_per_cluster=1, standalone_hosts=0)
    host = sim.vc.inventory.hosts[0].moid
    new = make_vi(sim, release="9.1.1.0")
    old = make_vi(sim, release="8.0.3.0")
    nine = make_vi(sim, release="9.0.0.0")
    assert new.read("HostSystem", host, "summary")["hardware"]["family"]
    assert new.read("HostSystem", host, "summary")["maintenanceModeRequired"] is False
    assert "maintenanceModeRequired" not in nine.read("HostSystem", host, "summary")
    assert nine.read("HostSystem", host, "hardware")["systemInfo"]["family"]
    for _ in range(2):  # the second read would come from a cache if one were shared between releases
        summary = old.read("HostSystem", host, "summary")
        assert "family" not in summary["hardware"] and "maintenanceModeRequired" not in summary
        assert "family" not in old.read("HostSystem", host, "hardware")["systemInfo"]
    assert "directPathProfileManager" in new.content() and "directPathProfileManager" in nine.content()
    assert "directPathProfileManager" not in old.content()
    view = old.container_view(["HostSystem"])
    [oc] = old.retrieve(view, "HostSystem", ["summary.hardware"])
    assert "family" not in oc["propSet"][0]["val"]
    r = httpx.post(f"{sim.url}/api/vcenter/system?action=hello", json={"api_releases": ["9.1.1.0", "9.0.0.0"]})
    assert r.json() == {"api_release": "9.1.1.0"}


def since(type_name: str, field: str) -> tuple[int, ...]:
    """The release VMware's tables give for a data object field (``vim.version.v9_0_0_0`` → (9, 0, 0, 0));
    the old ``versionN`` names all predate 7.0."""
    import re

    vtype = V.GetWsdlType("urn:vim25", type_name)
    version = next(p.version for p in vtype._GetPropertyList() if p.name == field)
    match = re.search(r"\.v(\d+)_(\d+)_(\d+)_(\d+)$", version)
    return tuple(int(g) for g in match.groups()) if match else (6, 0, 0, 0)


def newer_fields(node: Any, release: tuple[int, ...], where: str = "") -> list[str]:
    """Every ``Type.field`` in an encoded answer that VMware introduced after ``release``."""
    out: list[str] = []
    if isinstance(node, list):
        for item in node:
            out += newer_fields(item, release, where)
    elif isinstance(node, dict):
        name = node.get("_typeName", "")
        known = "_value" not in node and name not in ("", "ManagedObjectReference") and not name.startswith("ArrayOf")
        for key, value in node.items():
            if key == "_typeName":
                continue
            if known and since(name, key) > release:
                out.append(f"{where}{name}.{key}")
            out += newer_fields(value, release, f"{where}{name}.{key}/")
    return out


@pytest.mark.parametrize("release", ["8.0.3.0", "9.0.0.0", "9.1.1.0"])
def test_no_field_newer_than_the_path_release(make_sim, make_vi, release):
    sim = make_sim(version="9.1.1", clusters=1, hosts_per_cluster=2, standalone_hosts=1)
    vi = make_vi(sim, release=release)
    documents: list[Any] = [vi.content()]
    firsts = {}
    for obj in sim.vc.registry.objects():
        firsts.setdefault(obj.TYPE, obj)
    for type_name, obj in firsts.items():
        if obj.owner is not None or type_name in ("Task", "PropertyCollector"):
            continue
        for prop in obj.PROPERTIES:
            response = vi.get(type_name, obj.moid, prop)
            if response.status_code == 200 and response.content:
                documents.append(response.json())
    key = tuple(int(p) for p in release.split("."))
    assert newer_fields(documents, key) == []
    if release == "9.1.1.0":  # and the newer fields are there when the release knows them
        assert {"HostHardwareSummary.family", "HostListSummary.maintenanceModeRequired"} <= {
            f.rsplit("/", 1)[-1] for f in newer_fields(documents, (8, 0, 3, 0))
        }


def test_an_8_0_3_simulator_writes_no_9_x_field(sim, vi):
    host = sim.vc.inventory.hosts[0].moid
    summary = vi.read("HostSystem", host, "summary")
    assert "family" not in summary["hardware"] and "maintenanceModeRequired" not in summary
    assert "directPathProfileManager" not in vi.content()


# -- SOAP ---------------------------------------------------------------------------------------------
def test_a_soap_client_is_told_where_vi_json_is(sim):
    envelope = (
        '<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        '<soapenv:Body><RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance'
        "</_this></RetrieveServiceContent></soapenv:Body></soapenv:Envelope>"
    )
    for path in ("/sdk", "/sdk/"):
        r = httpx.post(
            sim.url + path, content=envelope, headers={"content-type": "text/xml", "SOAPAction": "urn:vim25/8.0.3.0"}
        )
        assert r.status_code == 500 and r.headers["content-type"].startswith("text/xml")
        fault = ET.fromstring(r.text).find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
        assert fault is not None
        text = fault.findtext("faultstring")
        assert "VI/JSON" in text and "/sdk/vim25/" in text and "8.0.3.0" in text


def test_vim_service_versions_answers_as_a_vcenter_does(sim):
    r = httpx.get(sim.url + "/sdk/vimServiceVersions.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(r.text)
    vim25 = next(ns for ns in root.iter("namespace") if ns.findtext("name") == "urn:vim25")
    assert vim25.findtext("version") == "8.0.3.0"
    prior = [v.text for v in vim25.find("priorVersions")]
    assert prior[0] == "8.0.2.0" and "9.0.0.0" not in prior


# -- what govc's everyday commands read: raw HTTP as govmomi/pyVmomi programs send it ------------------
def collect(vi: Any, ref: dict[str, str], paths: list[str]) -> dict[str, Any]:
    """``RetrievePropertiesEx`` of one object by path (as ``govc object.collect`` and pyVmomi's ``PropertyCollector``
    do), ``{path: encoded value}``; missing properties fail the test with their fault."""
    spec = {
        "_typeName": "PropertyFilterSpec",
        "objectSet": [{"_typeName": "ObjectSpec", "obj": ref, "skip": False}],
        "propSet": [{"_typeName": "PropertySpec", "type": ref["type"], "pathSet": paths}],
    }
    result = vi.call(
        "PropertyCollector", vi.singleton("propertyCollector"), "RetrievePropertiesEx", {"specSet": [spec]}
    )
    [oc] = result["objects"]
    assert not oc.get("missingSet"), oc["missingSet"]
    return {p["name"]: p["val"] for p in oc.get("propSet", [])}


def unboxed(value: Any) -> Any:
    return value["_value"] if isinstance(value, dict) and "_value" in value else value


def checked(walker: Any, label: str, value: Any) -> Any:
    walker.value(value, label)
    return value


@pytest.fixture
def walker():
    from test_simulator_conformance import Walker

    w = Walker()
    yield w
    assert not w.problems, "\n".join(w.problems[:20])


def test_datastores_pools_task_descriptions_and_alarms(sim, vi, walker):
    view = vi.container_view(["Datastore"])
    datastores = vi.retrieve(view, "Datastore", ["name", "summary", "info", "host", "capability"])
    assert len(datastores) == len(sim.vc.inventory.datastores)
    checked(walker, "datastores", datastores)
    mounts_of = {}
    for host in sim.vc.inventory.hosts:
        for ref in vi.read("HostSystem", host.moid, "datastore"):
            mounts_of.setdefault(ref["value"], set()).add(host.moid)
    for oc in datastores:
        props = {p["name"]: p["val"] for p in oc["propSet"]}
        summary, info = props["summary"], props["info"]
        assert summary["name"] == unboxed(props["name"]) == info["name"] and summary["type"] == "VMFS"
        assert 0 < summary["freeSpace"] < summary["capacity"] == info["vmfs"]["capacity"]
        assert summary["url"] == info["url"] == f"ds:///vmfs/volumes/{info['vmfs']['uuid']}/"
        assert {m["key"]["value"] for m in unboxed(props["host"])} == mounts_of[oc["obj"]["value"]]
        assert summary["multipleHostAccess"] is ("_DS" in summary["name"])  # a cluster's, not a host's local one
    # a host vCenter loses no longer reaches its mounts: read again, the datastore says so
    lost = sim.vc.inventory.clusters()[0].hosts[0]
    shared = lost.datastores[0]
    with sim.vc.registry.lock:
        lost.connection_state = "notResponding"
        sim.vc.registry.changed(lost)
    mounts = {m["key"]["value"]: m["mountInfo"] for m in vi.read("Datastore", shared.moid, "host")}
    assert mounts[lost.moid]["accessible"] is False and mounts[lost.moid]["inaccessibleReason"]
    assert all(m["accessible"] for moid, m in mounts.items() if moid != lost.moid)
    # resource pools: runtime usage against the cluster's capacity (govc pool.info / cluster.usage)
    for cr in sim.vc.inventory.compute_resources:
        pool = vi.read(cr.TYPE, cr.moid, "resourcePool")
        runtime = checked(walker, "pool.runtime", collect(vi, pool, ["runtime"])["runtime"])
        effective = vi.read(cr.TYPE, cr.moid, "summary")
        assert runtime["cpu"]["maxUsage"] == effective["effectiveCpu"]
        assert runtime["memory"]["maxUsage"] == effective["effectiveMemory"] << 20
        assert (
            0
            < runtime["cpu"]["overallUsage"]
            <= sum(h.hardware_profile().cpu_mhz * h.hardware_profile().cores for h in cr.hosts)
        )
        by_path = collect(vi, pool, ["runtime.cpu.maxUsage"])["runtime.cpu.maxUsage"]
        assert by_path["_value"] == effective["effectiveCpu"] and by_path["_typeName"] in ("int", "long")
    # the task manager's description names the tasks the simulator runs (govc tasks -l)
    description = checked(walker, "tasks", vi.read("TaskManager", "TaskManager", "description"))
    labels = {d["key"]: d["label"] for d in description["methodInfo"]}
    assert labels["HostSystem.reconfigureDAS"] and labels["HostSystem.enterMaintenanceMode"]
    assert {d["key"] for d in description["state"]} == {"queued", "running", "success", "error"}
    # alarms: defined on the root folder, declared on every host, none triggered in a healthy fleet
    root = vi.content()["rootFolder"]
    alarms = vi.call("AlarmManager", "AlarmManager", "GetAlarm", {"entity": root})
    names = {checked(walker, "alarm", vi.read("Alarm", a["value"], "info"))["name"] for a in alarms}
    assert {"Host connection and power state", "vSphere HA host status"} <= names
    host = sim.vc.inventory.clusters()[0].hosts[1].moid
    states = vi.call("AlarmManager", "AlarmManager", "GetAlarmState", {"entity": moref("HostSystem", host)})
    assert {s["alarm"]["value"] for s in checked(walker, "states", states)} == {a["value"] for a in alarms}
    assert {s["overallStatus"] for s in states} == {"green"}
    assert vi.read("HostSystem", host, "triggeredAlarmState") == []
    # the host that stopped responding above: its connection alarm is red
    triggered = checked(walker, "triggered", vi.read("HostSystem", lost.moid, "triggeredAlarmState"))
    assert [(t["alarm"]["value"], t["overallStatus"]) for t in triggered] == [("alarm-1", "red")]


def test_alarms_and_host_sub_objects_tell_each_root_cause(make_sim, make_vi, walker):
    sim = make_sim(clusters=6, hosts_per_cluster=8, standalone_hosts=0, scenario="root-causes", seed=1)
    vi = make_vi(sim)
    truth = httpx.get(f"{sim.url}/simulator/root-causes").json()["hosts"]
    by_cause: dict[str, str] = {}
    for moid, story in truth.items():
        by_cause.setdefault(story["cause"], moid)
    healthy = next(h.moid for h in sim.vc.inventory.hosts if h.compute_resource.name == "DC0_C5")
    managers = {m: collect(vi, moref("HostSystem", m), ["configManager"])["configManager"] for m in (healthy, *truth)}

    def read(moid: str, field: str, prop: str) -> Any:
        return checked(walker, f"{moid}.{field}", collect(vi, managers[moid][field], [prop]).get(prop))

    # certificate: the host shows a certificate vCenter did not issue; its certificate alarm is yellow
    good = read(healthy, "certificateManager", "certificateInfo")
    bad = read(by_cause["certificate"], "certificateManager", "certificateInfo")
    assert "CN=CA" in good["issuer"] and good["status"] == "good"
    assert bad["issuer"] == "O=VMware Installer" and bad["issuer"] != good["issuer"]
    assert bad["notBefore"] > good["notBefore"]
    triggered = vi.read("HostSystem", by_cause["certificate"], "triggeredAlarmState")
    assert {(t["alarm"]["value"], t["overallStatus"]) for t in checked(walker, "alarms", triggered)} >= {
        ("alarm-98", "yellow")
    }
    assert not any(t["alarm"]["value"] == "alarm-98" for t in vi.read("HostSystem", healthy, "triggeredAlarmState"))

    # management network: the management port group carries another VLAN than its healthy peers'
    def management_vlan(moid: str) -> int:
        info = read(moid, "networkSystem", "networkInfo")
        portgroup = next(v["portgroup"] for v in info["vnic"] if v["device"] == "vmk0")
        return next(g["spec"]["vlanId"] for g in info["portgroup"] if g["spec"]["name"] == portgroup)

    assert management_vlan(healthy) == 10 and management_vlan(by_cause["management-network"]) == 112
    # govc host.vnic.info / host.portgroup.info: vmknic services from the VirtualNicManager, port groups by path
    assert (
        read(healthy, "virtualNicManager", "info") == vi.read("HostSystem", healthy, "config")["virtualNicManagerInfo"]
    )
    groups = unboxed(read(healthy, "networkSystem", "networkInfo.portgroup"))
    assert {g["spec"]["name"] for g in groups} >= {"Management Network", "VM Network"}
    assert all(g["computedPolicy"]["security"]["allowPromiscuous"] is False for g in groups)
    assert read(healthy, "networkSystem", "dnsConfig")["hostName"] == vi.read("HostSystem", healthy, "name")

    # agent install: the FDM service is not running; on a healthy host it is
    def fdm(moid: str) -> dict[str, Any]:
        services = read(moid, "serviceSystem", "serviceInfo")["service"]
        return next(s for s in services if s["key"] == "vmware-fdm")

    assert fdm(healthy)["running"] and not fdm(by_cause["agent-install"])["running"]
    installed = sim.vc.host(by_cause["agent-install"])
    with sim.vc.registry.lock:  # the agent comes up (as after a successful reconfigure): the service follows at once
        installed.das_state = "connectedToMaster"
        sim.vc.registry.changed(installed)
    assert fdm(by_cause["agent-install"])["running"]

    # datastore access: the cluster's two VMFS volumes still mounted, neither reachable (all paths down); a healthy
    # host mounts and reaches both
    def mounts(moid: str) -> dict[str, bool]:
        info = read(moid, "storageSystem", "fileSystemVolumeInfo")
        return {m["volume"]["name"]: m["mountInfo"]["accessible"] for m in info.get("mountInfo", [])}

    assert list(mounts(healthy).values()) == [True, True]
    assert list(mounts(by_cause["datastore-access"]).values()) == [False, False]
    devices = read(healthy, "storageSystem", "storageDeviceInfo")
    assert sorted(h["_typeName"] for h in devices["hostBusAdapter"]) == ["HostBlockHba"] + ["HostFibreChannelHba"] * 2
    luns = devices["scsiLun"]
    assert {lun["canonicalName"] for lun in luns} == {
        m["volume"]["extent"][0]["diskName"]
        for m in read(healthy, "storageSystem", "fileSystemVolumeInfo")["mountInfo"]
    }
    # the vSphere HA host status alarm is red on hosts whose agent is in error, e.g. every image-remediation host
    for moid, story in truth.items():
        if story["cause"] == "image-remediation":
            states = {
                t["alarm"]["value"]: t["overallStatus"] for t in vi.read("HostSystem", moid, "triggeredAlarmState")
            }
            assert states.get("alarm-11") == "red", moid
    # an unreachable host has no configuration to show
    unreachable = by_cause["host-unreachable"]
    assert collect(vi, managers[unreachable]["networkSystem"], ["networkInfo"]) == {}


def test_date_time_and_advanced_options(sim, vi, walker):
    host = next(h for h in sim.vc.inventory.hosts if h.connection_state == "connected")
    manager = collect(vi, moref("HostSystem", host.moid), ["configManager"])["configManager"]
    assert manager["networkSystem"]["value"] == "networkSystem-" + host.moid.removeprefix("host-")
    clock = collect(vi, manager["dateTimeSystem"], ["dateTimeInfo"])["dateTimeInfo"]
    assert checked(walker, "dateTime", clock)["timeZone"]["key"] == "UTC" and clock["ntpConfig"]["server"]
    now = vi.call("HostDateTimeSystem", manager["dateTimeSystem"]["value"], "QueryDateTime")
    server = vi.call("ServiceInstance", "ServiceInstance", "CurrentTime")
    assert abs(wire.parse_datetime(now) - wire.parse_datetime(server)).total_seconds() < 5
    options = manager["advancedOption"]
    assert options["type"] == "OptionManager"
    settings = checked(walker, "setting", collect(vi, options, ["setting"])["setting"])
    keys = [o["key"] for o in unboxed(settings)]
    assert keys == sorted(keys) and FDM_VERSION_OPTION in keys
    supported = checked(walker, "supportedOption", collect(vi, options, ["supportedOption"])["supportedOption"])
    assert [d["key"] for d in unboxed(supported)] == keys
    fdm = vi.call("OptionManager", options["value"], "QueryOptions", {"name": FDM_VERSION_OPTION})
    assert [o["key"] for o in checked(walker, "QueryOptions", fdm)] == [FDM_VERSION_OPTION]
    assert fdm[0]["value"]["_value"].startswith("8.0.3-")
    under = vi.call("OptionManager", options["value"], "QueryOptions", {"name": "Net."})
    assert {o["key"] for o in under} == {k for k in keys if k.startswith("Net.")} and under
    assert len(vi.call("OptionManager", options["value"], "QueryOptions", {})) == len(keys)
    missing = vi.fault(vi.post("OptionManager", options["value"], "QueryOptions", {"name": "No.Such.Option"}))
    assert missing["_typeName"] == "InvalidName" and missing["name"] == "No.Such.Option"
    vpx = vi.call("OptionManager", "VpxSettings", "QueryOptions", {"name": "VirtualCenter."})
    assert {o["key"] for o in vpx} >= {"VirtualCenter.InstanceName", "VirtualCenter.FQDN"}
    gone = vi.fault(vi.get("HostNetworkSystem", "networkSystem-999999", "networkInfo"))
    assert gone["_typeName"] == "ManagedObjectNotFound"


def test_permissions_of_entities(sim, vi, walker):
    root = vi.content()["rootFolder"]
    everything = checked(
        walker, "all", vi.call("AuthorizationManager", "AuthorizationManager", "RetrieveAllPermissions")
    )
    assert {(p["principal"], p["roleId"], p["group"]) for p in everything} >= {
        ("VSPHERE.LOCAL\\Administrators", -1, True),
        ("VSPHERE.LOCAL\\administrator", -1, False),
        ("VSPHERE.LOCAL\\readonly", -2, False),
    }
    roles = {r["roleId"] for r in vi.read("AuthorizationManager", "AuthorizationManager", "roleList")}
    assert {p["roleId"] for p in everything} <= roles and all(p["entity"] == root for p in everything)
    host = moref("HostSystem", sim.vc.inventory.hosts[0].moid)

    def of(entity: dict[str, str], inherited: bool) -> list[dict[str, Any]]:
        body = {"entity": entity, "inherited": inherited}
        return checked(walker, "entity", vi.call("AuthorizationManager", "AuthorizationManager",
                                                 "RetrieveEntityPermissions", body) or [])  # fmt: skip

    assert of(host, True) == everything and of(host, False) == [] and of(root, False) == everything
    fault = vi.fault(vi.post("AuthorizationManager", "AuthorizationManager", "RetrieveEntityPermissions",
                             {"entity": moref("HostSystem", "host-0"), "inherited": True}))  # fmt: skip
    assert fault["_typeName"] == "ManagedObjectNotFound"


def test_performance_counters_provider_summary_and_samples(sim, vi, walker):
    counters = checked(walker, "perfCounter", vi.read("PerformanceManager", "PerfMgr", "perfCounter"))
    names = {f"{c['groupInfo']['key']}.{c['nameInfo']['key']}.{c['rollupType']}": c["key"] for c in counters}
    assert names["cpu.usage.average"] == 2 and names["mem.usage.average"] == 24 and names["sys.uptime.latest"] == 155
    host = next(h for h in sim.vc.inventory.hosts if h.connection_state == "connected")
    me = moref("HostSystem", host.moid)
    summary = vi.call("PerformanceManager", "PerfMgr", "QueryPerfProviderSummary", {"entity": me})
    assert checked(walker, "summary", summary)["currentSupported"] and summary["refreshRate"] == 20
    cluster = moref("ClusterComputeResource", sim.vc.inventory.clusters()[0].moid)
    assert not vi.call("PerformanceManager", "PerfMgr", "QueryPerfProviderSummary", {"entity": cluster})[
        "currentSupported"
    ]
    available = vi.call("PerformanceManager", "PerfMgr", "QueryAvailablePerfMetric", {"entity": me, "intervalId": 20})
    assert {m["counterId"] for m in checked(walker, "available", available)} == set(names.values())
    assert {m["instance"] for m in available if m["counterId"] == 148} == {"", "vmnic0", "vmnic1", "vmnic2", "vmnic3"}
    described = vi.call("PerformanceManager", "PerfMgr", "QueryPerfCounter", {"counterId": [2, 155, 99999]})
    assert [c["key"] for c in described] == [2, 155]
    spec = {
        "_typeName": "PerfQuerySpec",
        "entity": me,
        "maxSample": 3,
        "intervalId": 20,
        "metricId": [
            {"_typeName": "PerfMetricId", "counterId": 2, "instance": ""},
            {"_typeName": "PerfMetricId", "counterId": 155, "instance": ""},
            {"_typeName": "PerfMetricId", "counterId": 148, "instance": "*"},
        ],
    }
    [metric] = checked(
        walker, "QueryPerf", vi.call("PerformanceManager", "PerfMgr", "QueryPerf", {"querySpec": [spec]})
    )
    assert metric["_typeName"] == "PerfEntityMetric" and metric["entity"] == me
    assert len(metric["sampleInfo"]) == 3 and {s["interval"] for s in metric["sampleInfo"]} == {20}
    stamps = [wire.parse_datetime(s["timestamp"]) for s in metric["sampleInfo"]]
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)] == [20, 20]
    series = {(v["id"]["counterId"], v["id"]["instance"]): v["value"] for v in metric["value"]}
    assert len(series) == 2 + 5 and all(len(values) == 3 for values in series.values())
    assert all(0 <= v <= 10000 for v in series[(2, "")])  # hundredths of a percent
    uptime = vi.read("HostSystem", host.moid, "summary")["quickStats"]["uptime"]
    assert abs(series[(155, "")][-1] - uptime) <= 60
    assert series[(148, "")][0] == sum(series[(148, f"vmnic{i}")][0] for i in range(4))
    assert vi.call("PerformanceManager", "PerfMgr", "QueryPerf", {"querySpec": [{**spec, "entity": cluster}]}) == []
    bad = vi.fault(vi.post("PerformanceManager", "PerfMgr", "QueryPerf", {"querySpec": [{**spec, "intervalId": 7}]}))
    assert bad["_typeName"] == "InvalidArgument"


def wait_task_by_collector(vi: Any, task: dict[str, str], timeout: float = 20.0) -> dict[str, Any]:
    """Follow a task to its end as govmomi's ``task.Wait`` does: a filter on ``info`` and ``WaitForUpdatesEx``."""
    import time

    collector = vi.call("PropertyCollector", vi.singleton("propertyCollector"), "CreatePropertyCollector")
    spec = {
        "_typeName": "PropertyFilterSpec",
        "objectSet": [{"_typeName": "ObjectSpec", "obj": task}],
        "propSet": [{"_typeName": "PropertySpec", "type": "Task", "pathSet": ["info"]}],
    }
    vi.call("PropertyCollector", collector["value"], "CreateFilter", {"spec": spec, "partialUpdates": False})
    version, deadline, info = "", time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        options = {"_typeName": "WaitOptions", "maxWaitSeconds": 1}
        updates = vi.call(
            "PropertyCollector", collector["value"], "WaitForUpdatesEx", {"version": version, "options": options}
        )
        if not updates:
            continue
        version = updates["version"]
        for flt in updates["filterSet"]:
            for change in flt["objectSet"][0]["changeSet"]:
                info = change["val"]
        if info and info["state"] in ("success", "error"):
            vi.call("PropertyCollector", collector["value"], "DestroyPropertyCollector")
            return info
    raise AssertionError(f"task {task['value']} did not end: {info}")


def test_maintenance_mode_as_tasks_with_vcenters_events(sim, make_vi, walker):
    vi = make_vi(sim)
    host = next(h for h in sim.vc.inventory.hosts if h.ha_enabled and h.connection_state == "connected")
    me = moref("HostSystem", host.moid)
    reader = make_vi(sim, sim.readonly_user, sim.readonly_password)
    denied = reader.fault(reader.post("HostSystem", host.moid, "EnterMaintenanceMode_Task", {"timeout": 0}))
    assert denied["_typeName"] == "NoPermission"
    not_in = vi.fault(vi.post("HostSystem", host.moid, "ExitMaintenanceMode_Task", {"timeout": 0}))
    assert not_in["_typeName"] == "InvalidState"
    task = vi.call("HostSystem", host.moid, "EnterMaintenanceMode_Task", {"timeout": 0})
    assert task["type"] == "Task"
    again = vi.fault(vi.post("HostSystem", host.moid, "EnterMaintenanceMode_Task", {"timeout": 0}))
    assert again["_typeName"] == "InvalidState"  # already entering
    info = checked(walker, "info", wait_task_by_collector(vi, task))
    assert info["state"] == "success" and info["name"] == "EnterMaintenanceMode_Task"
    assert info["descriptionId"] == "HostSystem.enterMaintenanceMode" and info["entity"] == me
    assert collect(vi, me, ["runtime.inMaintenanceMode"])["runtime.inMaintenanceMode"]["_value"] is True
    assert task in vi.read("HostSystem", host.moid, "recentTask")

    def chain(info: dict[str, Any]) -> list[str]:
        events = vi.call("EventManager", "EventManager", "QueryEvents",
                         {"filter": {"_typeName": "EventFilterSpec", "eventChainId": info["eventChainId"]}})  # fmt: skip
        checked(walker, "events", events)
        assert all(e["host"]["host"] == me for e in events)
        return sorted(e["_typeName"] for e in events)

    assert chain(info) == ["EnteredMaintenanceModeEvent", "EnteringMaintenanceModeEvent", "TaskEvent"]
    # HA reconfiguration of a host in maintenance mode runs as on any other host
    reconfigure = vi.call("HostSystem", host.moid, "ReconfigureHostForDAS_Task")
    assert wait_task_by_collector(vi, reconfigure)["state"] == "success"
    done = wait_task_by_collector(vi, vi.call("HostSystem", host.moid, "ExitMaintenanceMode_Task", {"timeout": 0}))
    assert done["state"] == "success" and chain(done) == ["ExitMaintenanceModeEvent", "TaskEvent"]
    assert collect(vi, me, ["runtime.inMaintenanceMode"])["runtime.inMaintenanceMode"]["_value"] is False
    missing = vi.fault(vi.post("HostSystem", host.moid, "EnterMaintenanceMode_Task", {}))
    assert missing["_typeName"] == "InvalidArgument" and missing["invalidProperty"] == "timeout"


# -- sessions: an idle timeout and a cap, as on a vCenter ---------------------------------------------
def test_idle_sessions_expire_and_leave_the_session_list(make_sim, make_vi):
    import time

    sim = make_sim(session_idle_timeout=120.0, max_sessions=2000)
    admin = make_vi(sim)
    anonymous = make_vi(sim, login=False)
    body = {"userName": sim.user, "password": sim.password}
    for _ in range(200):  # a client that logs in on every command and never logs out (govc in JSON mode)
        assert anonymous.post("SessionManager", "SessionManager", "Login", body).status_code == 200
    assert len(admin.read("SessionManager", "SessionManager", "sessionList")) == 201
    sim.vc.sessions.idle_timeout = 2.0  # the configured timeout, shortened on the running server
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        time.sleep(0.3)  # the admin session stays in use, the 200 others idle
        listed = admin.read("SessionManager", "SessionManager", "sessionList")
        if len(listed) == 1:
            break
    me = admin.read("SessionManager", "SessionManager", "currentSession")
    assert [s["key"] for s in listed] == [me["key"]]
    assert httpx.get(f"{sim.url}/simulator/stats").json()["sessions"] == 1
    time.sleep(2.5)  # now the admin session idles too: it ends, as on a vCenter
    assert (
        admin.fault(admin.get("SessionManager", "SessionManager", "currentSession"))["_typeName"] == "NotAuthenticated"
    )


def test_the_session_cap_answers_503_as_vpxd_does(make_sim, make_vi):
    sim = make_sim(max_sessions=5)
    clients = [make_vi(sim) for _ in range(5)]
    extra = make_vi(sim, login=False)
    body = {"userName": sim.user, "password": sim.password}
    refused = extra.post("SessionManager", "SessionManager", "Login", body)
    assert refused.status_code == 503 and refused.headers["content-type"].startswith("text/plain")
    assert "vmware-api-session-id" not in refused.headers and sim.password not in refused.text
    api = httpx.post(f"{sim.url}/api/session", auth=(sim.user, sim.password))
    assert api.status_code == 503 and api.json()["error_type"] == "SERVICE_UNAVAILABLE"
    assert len(clients[0].read("SessionManager", "SessionManager", "sessionList")) == 5
    clients[1].call("SessionManager", "SessionManager", "Logout")
    assert extra.login(sim.user, sim.password)["userName"] == sim.user  # a freed place is usable at once


def test_session_settings_are_validated():
    from vsphere_nb.errors import ConfigError

    for bad in (dict(max_sessions=0), dict(session_idle_timeout=0)):
        with pytest.raises(ConfigError):
            Simulator(**bad)


# -- releases: a vCenter serves the releases up to its own -------------------------------------------
@pytest.mark.parametrize("version", ["8.0.1", "8.0.3", "9.0.0", "9.1.1"])
def test_each_version_serves_the_releases_up_to_its_own(make_sim, version):
    from vsphere_nb.simulator.config import KNOWN_RELEASES

    sim = make_sim(version=version, clusters=1, hosts_per_cluster=1, standalone_hosts=0)
    own = version + ".0"
    expected = [r for r in KNOWN_RELEASES if tuple(map(int, r.split("."))) <= tuple(map(int, own.split(".")))]
    for release in KNOWN_RELEASES:
        r = httpx.get(f"{sim.url}/sdk/vim25/{release}/ServiceInstance/ServiceInstance/content")
        assert r.status_code == (200 if release in expected else 404), release
    root = ET.fromstring(httpx.get(sim.url + "/sdk/vimServiceVersions.xml").text)
    vim25 = next(ns for ns in root.iter("namespace") if ns.findtext("name") == "urn:vim25")
    prior = [v.text for v in vim25.find("priorVersions")]
    assert vim25.findtext("version") == own and prior == [r for r in reversed(expected) if r != own]
    hint = ET.fromstring(httpx.post(sim.url + "/sdk", content=b"<x/>").text).findtext(".//faultstring")
    assert hint.endswith(f"releases: {', '.join(expected)}.") and f"/sdk/vim25/{own}/" in hint
    if sim.vc.has_hello:
        offered = httpx.post(
            f"{sim.url}/api/vcenter/system?action=hello", json={"api_releases": list(reversed(KNOWN_RELEASES))}
        )
        assert offered.json() == {"api_release": own}


# -- secrets ------------------------------------------------------------------------------------------
def test_config_repr_hides_both_passwords():
    sim = Simulator(password="pw-admin-1234", readonly_password="pw-read-5678", users={"ops": ("pw-ops-9", "admin")})
    text = repr(sim.config)
    assert "pw-admin-1234" not in text and "pw-read-5678" not in text and "pw-ops-9" not in text
    assert "password='***'" in text and "readonly_password='***'" in text and "ops" in text
    sim.vc.shutdown()
