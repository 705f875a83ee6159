"""The simulator as a third-party client written for a real vCenter sees it, over raw HTTP.

Path lookups from the root folder down to every host (``SearchIndex.FindByInventoryPath``), ``FindChild`` at
each level, hosts by DNS name / IP / UUID, session listing and termination, every ``ServiceContent`` manager's
properties (type and field names checked against pyVmomi's tables), host summary / hardware / config, compute
resources' root resource pools, release-dependent fields, the SOAP hint and ``vimServiceVersions.xml``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
from conftest import moref

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
        ("HostSystem", host, "EnterMaintenanceMode_Task"),
        ("DiagnosticManager", "DiagMgr", "GenerateLogBundles_Task"),
        ("SearchIndex", "SearchIndex", "FindByDatastorePath"),
        ("PerformanceManager", "PerfMgr", "QueryPerf"),
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


# -- secrets ------------------------------------------------------------------------------------------
def test_config_repr_hides_both_passwords():
    sim = Simulator(password="pw-admin-1234", readonly_password="pw-read-5678", users={"ops": ("pw-ops-9", "admin")})
    text = repr(sim.config)
    assert "pw-admin-1234" not in text and "pw-read-5678" not in text and "pw-ops-9" not in text
    assert "password='***'" in text and "readonly_password='***'" in text and "ops" in text
    sim.vc.shutdown()
