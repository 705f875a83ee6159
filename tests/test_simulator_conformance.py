"""Everything the simulator emits uses VMware's type and field names (pyVmomi's tables are the oracle).

Walks a full inventory dump (every property of every served object, by PropertyCollector and by GET), tasks
that succeed and fail, their updates, every event, and one of each fault the simulator raises; checks each
``_typeName`` exists in VMware's tables, each field is a property of that type (inherited ones included),
enum values are members, arrays are arrays — and that the served managed object types, their properties
(with declared types) and methods exist in VMware's tables too.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import moref, view_spec

from vsphere_nb.simulator.dispatch import METHODS, SERVED_TYPES

V = pytest.importorskip("pyVmomi.VmomiSupport")
XSD = "http://www.w3.org/2001/XMLSchema"
PRIMITIVES = {
    "string",
    "boolean",
    "int",
    "long",
    "short",
    "byte",
    "double",
    "float",
    "dateTime",
    "anyURI",
    "base64Binary",
    "anyType",
}


def vmware(name: str) -> Any:
    try:
        return V.GetWsdlType("urn:vim25", name)
    except KeyError:
        return None


def is_enum(vtype: Any) -> bool:
    return vtype is not None and hasattr(vtype, "values") and isinstance(getattr(vtype, "values", None), (list, tuple))


def properties(vtype: Any) -> dict[str, Any]:
    return {p.name: p for p in vtype._GetPropertyList()}


class Walker:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.seen: set[str] = set()

    def fail(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def value(self, node: Any, where: str) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                self.value(item, f"{where}[{i}]")
        elif isinstance(node, dict):
            self.obj(node, where)

    def obj(self, node: dict[str, Any], where: str) -> None:
        name = node.get("_typeName")
        if not isinstance(name, str):
            self.fail(where, f"object without _typeName: {sorted(node)}")
            return
        self.seen.add(name)
        if "_value" in node:
            self.boxed(name, node["_value"], where)
            return
        if name == "ManagedObjectReference":
            if set(node) != {"_typeName", "type", "value"}:
                self.fail(where, f"MoRef fields {sorted(node)}")
            mo = vmware(node.get("type", ""))
            if mo is None or not issubclass(mo, V.ManagedObject):
                self.fail(where, f"MoRef type {node.get('type')!r} is not a VMware managed object type")
            return
        vtype = vmware(name)
        if vtype is None or not issubclass(vtype, V.DataObject):
            self.fail(where, f"{name} is not a VMware data object type")
            return
        props = properties(vtype)
        for key, val in node.items():
            if key == "_typeName":
                continue
            info = props.get(key)
            if info is None:
                self.fail(where, f"{name} has no field {key!r}")
                continue
            ptype = info.type
            if issubclass(ptype, list) or V.GetWsdlName(ptype).startswith("ArrayOf"):
                if not isinstance(val, list):
                    self.fail(f"{where}.{key}", f"expected an array, got {type(val).__name__}")
            elif is_enum(ptype) and isinstance(val, str) and val not in ptype.values:
                self.fail(f"{where}.{key}", f"{val!r} is not a {V.GetWsdlName(ptype)} value")
            self.value(val, f"{where}.{key}")

    def boxed(self, name: str, value: Any, where: str) -> None:
        if name.startswith("ArrayOf"):
            elem = name[len("ArrayOf") :]
            elem_ok = elem[0].lower() + elem[1:] in PRIMITIVES or elem == "ManagedObjectReference" or vmware(elem)
            if not elem_ok:
                self.fail(where, f"unknown array type {name}")
            if not isinstance(value, list):
                self.fail(where, f"{name} holds {type(value).__name__}")
            self.value(value, where)
            return
        if name in PRIMITIVES:
            return
        vtype = vmware(name)
        if not is_enum(vtype):
            self.fail(where, f"boxed {name} is neither a primitive nor an enum")
        elif value not in vtype.values:
            self.fail(where, f"{value!r} is not a {name} value")


@pytest.fixture
def dump(make_sim, make_vi):
    """Everything a busy simulator says, as (label, JSON) pairs."""
    scenario = {
        "name": "conformance",
        "fleet": {
            "maintenance": 0.1,
            "disconnected": 0.1,
            "reconfigure_disabled": 0.1,
            "ha_disabled_every": 2,
            "ha_disabled_min_clusters": 2,
            "initial_das_state": {"connectedToMaster": 0.5, "initializationError": 0.5},
        },
        "rules": [
            {"match": {"host": "*H00"}, "outcome": "fault", "reason": "Other"},
            {
                "match": {"cluster": "*_C0"},
                "outcome": "error",
                "reason": "HostNetworkMisconfiguration",
                "events": [
                    {"type": "HostIsolationIpPingFailedEvent", "isolationIp": "10.0.0.1"},
                    {"type": "HostMissingNetworksEvent", "ips": "10.1.0.0/24"},
                    {"type": "HostShortNameToIpFailedEvent", "shortName": "esx"},
                    {"type": "HostNoRedundantManagementNetworkEvent"},
                ],
            },
        ],
    }
    sim = make_sim(scenario=scenario, clusters=2, hosts_per_cluster=6, standalone_hosts=1, seed=4)
    vi = make_vi(sim)
    out: list[tuple[str, Any]] = [
        ("content", vi.content()),
        ("session", vi.read("SessionManager", "SessionManager", "currentSession")),
    ]
    every = vi.container_view([])
    spec = view_spec(every, "ManagedEntity", [])
    spec["propSet"] = [
        {"_typeName": "PropertySpec", "type": t, "all": True}
        for t in ("Folder", "Datacenter", "ComputeResource", "HostSystem", "Datastore", "ResourcePool", "Network")
    ]
    result = vi.call("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", {"specSet": [spec]})
    out.append(("inventory", result))
    out.append(
        (
            "nested",
            vi.call(
                "PropertyCollector",
                "propertyCollector",
                "RetrievePropertiesEx",
                {
                    "specSet": [
                        view_spec(
                            every,
                            "HostSystem",
                            [
                                "runtime.connectionState",
                                "runtime.inMaintenanceMode",
                                "runtime.bootTime",
                                "summary.config.port",
                                "runtime.dasHostState.state",
                            ],
                        )
                    ]
                },
            ),
        )
    )
    firsts: dict[str, str] = {}
    for oc in result["objects"]:
        firsts.setdefault(oc["obj"]["type"], oc["obj"]["value"])
    for type_name, moid in firsts.items():
        obj = sim.vc.registry.get(type_name, moid)
        for prop in obj.PROPERTIES:
            response = vi.get(type_name, moid, prop)
            if response.content:
                out.append((f"GET {type_name}.{prop}", response.json()))
    hosts = vi.hosts(["runtime.connectionState", "disabledMethod"])
    tasks = []
    for host, _props in hosts.items():
        response = vi.post("HostSystem", host, "ReconfigureHostForDAS_Task")
        if response.status_code == 200:
            tasks.append(response.json())
        else:
            out.append((f"fault {host}", response.json()))
    view = vi.call("ViewManager", "ViewManager", "CreateListView", {"obj": tasks})
    vi.call(
        "PropertyCollector",
        "propertyCollector",
        "CreateFilter",
        {"spec": view_spec(view, "Task", ["info"]), "partialUpdates": False},
    )
    version = ""
    for _ in range(50):
        response = vi.post(
            "PropertyCollector",
            "propertyCollector",
            "WaitForUpdatesEx",
            {"version": version, "options": {"_typeName": "WaitOptions", "maxWaitSeconds": 1}},
        )
        if not response.content:
            break
        out.append(("updates", response.json()))
        version = response.json()["version"]
    for task in tasks:
        out.append(("task", vi.wait_task(task["value"])))
    out.append(
        (
            "events",
            vi.call(
                "EventManager",
                "EventManager",
                "QueryEvents",
                {"filter": {"_typeName": "EventFilterSpec", "maxCount": 1000}},
            ),
        )
    )
    for prop in ("description", "latestEvent", "maxCollector"):
        out.append((f"EventManager.{prop}", vi.read("EventManager", "EventManager", prop)))
    collector = vi.call(
        "EventManager",
        "EventManager",
        "CreateCollectorForEvents",
        {"filter": {"_typeName": "EventFilterSpec", "eventTypeId": ["TaskEvent"]}},
    )
    for prop in ("filter", "latestPage"):
        out.append((f"collector.{prop}", vi.read("EventHistoryCollector", collector["value"], prop)))
    out.append(("viewList", vi.read("ViewManager", "ViewManager", "viewList")))
    flt = vi.read("PropertyCollector", "propertyCollector", "filter")[0]
    out.append(("filter.spec", vi.read("PropertyFilter", flt["value"], "spec")))
    # faults
    anonymous = make_vi(sim, login=False)
    readonly = make_vi(sim, sim.readonly_user, sim.readonly_password)
    connected = next(
        h for h, p in hosts.items() if str(p["runtime.connectionState"]) == "connected" and not p["disabledMethod"]
    )
    out += [
        (
            "InvalidLogin",
            anonymous.post("SessionManager", "SessionManager", "Login", {"userName": "x", "password": "y"}).json(),
        ),
        ("NotAuthenticated", anonymous.get("HostSystem", connected, "name").json()),
        ("NoPermission", readonly.post("HostSystem", connected, "ReconfigureHostForDAS_Task").json()),
        ("MethodNotFound", vi.post("HostSystem", connected, "Nope").json()),
        ("ManagedObjectNotFound", vi.get("HostSystem", "host-0", "name").json()),
        ("InvalidArgument", vi.post("ViewManager", "ViewManager", "CreateContainerView", {}).json()),
        ("InvalidProperty", vi.get("HostSystem", connected, "nope").json()),
        (
            "InvalidCollectorVersion",
            vi.post("PropertyCollector", "propertyCollector", "WaitForUpdatesEx", {"version": "x"}).json(),
        ),
        (
            "InvalidType",
            vi.post(
                "PropertyCollector",
                "propertyCollector",
                "RetrievePropertiesEx",
                {"specSet": [view_spec(every, "Nope", ["name"])]},
            ).json(),
        ),
        (
            "missingSet",
            vi.call(
                "PropertyCollector",
                "propertyCollector",
                "RetrievePropertiesEx",
                {"specSet": [view_spec(every, "HostSystem", ["name", "nope.path"])]},
            ),
        ),
        (
            "missingObject",
            vi.call(
                "PropertyCollector",
                "propertyCollector",
                "CreateFilter",
                {
                    "spec": {
                        "_typeName": "PropertyFilterSpec",
                        "objectSet": [{"_typeName": "ObjectSpec", "obj": moref("Task", "task-0")}],
                        "propSet": [{"_typeName": "PropertySpec", "type": "Task", "pathSet": ["info"]}],
                    },
                    "partialUpdates": False,
                },
            ),
        ),
    ]
    response = vi.post("PropertyCollector", "propertyCollector", "WaitForUpdatesEx", {"version": version})
    out.append(("missing update", response.json()))
    esx = make_sim(scenario="esx")
    esx_vi = make_vi(esx)
    out.append(("NotSupported", esx_vi.post("HostSystem", "ha-host", "ReconfigureHostForDAS_Task").json()))
    out.append(("esx content", esx_vi.content()))
    return out


def test_everything_emitted_uses_vmware_names(dump):
    walker = Walker()
    for label, document in dump:
        walker.value(document, label)
    assert not walker.problems, "\n".join(walker.problems[:40])
    expected = {
        "ServiceContent",
        "AboutInfo",
        "UserSession",
        "RetrieveResult",
        "ObjectContent",
        "DynamicProperty",
        "MissingProperty",
        "UpdateSet",
        "PropertyFilterUpdate",
        "ObjectUpdate",
        "PropertyChange",
        "TaskInfo",
        "TaskReasonUser",
        "DasConfigFault",
        "LocalizableMessage",
        "KeyAnyValue",
        "HostDasErrorEvent",
        "EventEx",
        "TaskEvent",
        "HostRuntimeInfo",
        "ClusterDasFdmHostState",
        "HostListSummary",
        "ClusterConfigInfoEx",
        "ClusterDasConfigInfo",
        "EventDescription",
        "EventFilterSpec",
        "PropertyFilterSpec",
        "MissingObject",
        "InvalidLogin",
        "NotAuthenticated",
        "NoPermission",
        "MethodNotFound",
        "ManagedObjectNotFound",
        "InvalidArgument",
        "InvalidProperty",
        "InvalidType",
        "InvalidCollectorVersion",
        "MethodDisabled",
        "HostNotConnected",
        "NotSupported",
        "HostIsolationIpPingFailedEvent",
        "HostMissingNetworksEvent",
        "HostShortNameToIpFailedEvent",
        "HostNoRedundantManagementNetworkEvent",
        "HostDasEnablingEvent",
        "ArrayOfEvent",
        "ArrayOfManagedObjectReference",
        "ArrayOfString",
        "HostSystemConnectionState",
        "ManagedEntityStatus",
        "string",
        "boolean",
        "dateTime",
    }
    assert expected <= walker.seen, sorted(expected - walker.seen)


def test_the_walker_catches_wrong_names():
    walker = Walker()
    walker.value({"_typeName": "TaskInfo", "key": "t", "stat": "x"}, "a")
    walker.value({"_typeName": "HostSystemConnectionState", "_value": "sleeping"}, "b")
    walker.value({"_typeName": "NoSuchType"}, "c")
    walker.value({"_typeName": "ManagedObjectReference", "type": "Host", "value": "h"}, "d")
    walker.value({"_typeName": "HostRuntimeInfo", "connectionState": "online"}, "e")
    assert len(walker.problems) == 5


def vmware_managed(name: str) -> Any:
    vtype = vmware(name)
    assert vtype is not None and issubclass(vtype, V.ManagedObject), f"{name} is not a VMware managed type"
    return vtype


def normalized(ptype: Any) -> str:
    """pyVmomi's declared type as VI/JSON boxes it (managed object references, method names as strings)."""
    name = V.GetWsdlName(ptype)
    array = name.startswith("ArrayOf")
    elem = name[len("ArrayOf") :] if array else name
    base = vmware(elem)
    if base is not None and isinstance(base, type) and issubclass(base, V.ManagedObject):
        elem = "ManagedObjectReference"
    if elem in ("MethodName", "TypeName", "PropertyPath"):  # pyVmomi-only aliases of xsd:string
        elem = "String" if array else "string"
    return ("ArrayOf" + elem) if array else elem


@pytest.mark.parametrize("type_name", sorted(SERVED_TYPES))
def test_served_types_properties_and_methods_exist(type_name):
    cls = SERVED_TYPES[type_name]
    vtype = vmware_managed(type_name)
    ancestry = [V.GetWsdlName(k) for k in vtype.__mro__ if hasattr(k, "_wsdlName")]
    assert list(cls.ANCESTRY) == ancestry
    props = properties(vtype)
    for prop, declared in cls.PROPERTIES.items():
        assert prop in props, f"{type_name}.{prop} is not a VMware property"
        expected = normalized(props[prop].type)
        assert declared == expected or (
            expected == "ComputeResourceConfigInfo" and declared == "ClusterConfigInfoEx"
        ), f"{type_name}.{prop} declared {declared}, VMware says {expected}"
    vmethods = {m.wsdlName for k in vtype.__mro__ for m in getattr(k, "_methodInfo", {}).values()}
    ours = {name for (t, name) in METHODS if t in cls.ANCESTRY}
    assert ours <= vmethods, f"{type_name}: {sorted(ours - vmethods)} are not VMware methods"


def test_wire_declared_types_of_nested_paths_match_vmware():
    from vsphere_nb.simulator.properties import _field_type

    for type_name, field in [
        ("HostRuntimeInfo", "connectionState"),
        ("HostRuntimeInfo", "dasHostState"),
        ("HostRuntimeInfo", "inMaintenanceMode"),
        ("TaskInfo", "state"),
        ("TaskInfo", "progress"),
        ("TaskInfo", "error"),
        ("TaskInfo", "eventChainId"),
        ("ClusterDasConfigInfo", "enabled"),
        ("HostListSummary", "overallStatus"),
        ("AboutInfo", "version"),
        ("TaskInfo", "locked"),
        ("DasConfigFault", "event"),
    ]:
        vtype = vmware(type_name)
        expected = normalized(properties(vtype)[field].type)
        ours = _field_type(type_name, field)
        if expected == "MethodFault":
            assert ours == "MethodFault"
        else:
            assert ours == expected, f"{type_name}.{field}: {ours} vs VMware {expected}"
