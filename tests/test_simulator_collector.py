"""PropertyCollector semantics: traversal, boxing by declared type, missingSet, paging, filters and waits."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import moref, view_spec

from vsphere_nb import wire

HOST_PATHS = [
    "name",
    "parent",
    "runtime.connectionState",
    "runtime.powerState",
    "runtime.inMaintenanceMode",
    "runtime.dasHostState",
    "configIssue",
    "overallStatus",
    "summary.config.product.version",
    "summary.config.product.build",
    "datastore",
    "recentTask",
    "disabledMethod",
]


def wait(vi, version, max_wait=5, max_updates=None, collector="propertyCollector"):
    options = {"_typeName": "WaitOptions", "maxWaitSeconds": max_wait}
    if max_updates:
        options["maxObjectUpdates"] = max_updates
    response = vi.post("PropertyCollector", collector, "WaitForUpdatesEx", {"version": version, "options": options})
    assert response.status_code in (200, 204), response.text
    return wire.decode_as(response.json(), wire.UpdateSet) if response.content else None


def task_filter(vi, tasks, paths=("info.state", "info.progress"), collector="propertyCollector"):
    view = vi.call("ViewManager", "ViewManager", "CreateListView", {"obj": tasks})
    flt = vi.call(
        "PropertyCollector",
        collector,
        "CreateFilter",
        {"spec": view_spec(view, "Task", list(paths)), "partialUpdates": False},
    )
    return view, flt


# -- retrieval ----------------------------------------------------------------------------------
def test_values_are_boxed_by_declared_type(vi):
    view = vi.container_view(["HostSystem"])
    objects = vi.retrieve(view, "HostSystem", HOST_PATHS)
    assert len(objects) == 9
    types = {}
    for oc in objects:
        for prop in oc["propSet"]:
            types.setdefault(prop["name"], prop["val"]["_typeName"])
    assert types["name"] == "string"
    assert types["parent"] == "ManagedObjectReference"
    assert types["runtime.connectionState"] == "HostSystemConnectionState"
    assert types["runtime.powerState"] == "HostSystemPowerState"
    assert types["runtime.inMaintenanceMode"] == "boolean"
    assert types["runtime.dasHostState"] == "ClusterDasFdmHostState"
    assert types["configIssue"] == "ArrayOfEvent"
    assert types["overallStatus"] == "ManagedEntityStatus"
    assert types["summary.config.product.version"] == "string"
    assert types["datastore"] == "ArrayOfManagedObjectReference"
    assert types["recentTask"] == "ArrayOfManagedObjectReference"
    assert types["disabledMethod"] == "ArrayOfString"
    for oc in objects:  # everything decodes with the wire models
        wire.decode_as(oc, wire.ObjectContent)


def test_unset_paths_are_left_out_and_unknown_paths_reported(vi):
    hosts = vi.hosts(["name", "runtime.dasHostState"])
    standalone = [h for h, p in hosts.items() if p["name"] == "DC0_H00"][0]
    assert "runtime.dasHostState" not in hosts[standalone]  # not in an HA cluster
    view = vi.container_view(["HostSystem"])
    oc = vi.retrieve(view, "HostSystem", ["name", "runtime.noSuchThing", "bogus"])[0]
    assert [p["name"] for p in oc["propSet"]] == ["name"]
    missing = {m["path"]: m["fault"]["_typeName"] for m in oc["missingSet"]}
    assert missing == {"runtime.noSuchThing": "InvalidProperty", "bogus": "InvalidProperty"}


def test_nested_paths_into_cluster_configuration(vi):
    view = vi.container_view(["ClusterComputeResource"])
    objects = vi.retrieve(
        view, "ClusterComputeResource", ["name", "configurationEx", "configurationEx.dasConfig.enabled", "host"]
    )
    assert len(objects) == 2
    for oc in objects:
        props = wire.decode_as(oc, wire.ObjectContent).props()
        assert isinstance(props["configurationEx"], wire.ClusterConfigInfoEx)
        assert props["configurationEx.dasConfig.enabled"] is True
        assert len(props["host"]) == 4


def test_traversal_from_root_folder_without_views(vi):
    root = vi.content()["rootFolder"]
    spec = {
        "_typeName": "PropertyFilterSpec",
        "objectSet": [
            {
                "_typeName": "ObjectSpec",
                "obj": root,
                "skip": False,
                "selectSet": [
                    {
                        "_typeName": "TraversalSpec",
                        "name": "folderTraversal",
                        "type": "Folder",
                        "path": "childEntity",
                        "selectSet": [
                            {"_typeName": "SelectionSpec", "name": "folderTraversal"},
                            {"_typeName": "SelectionSpec", "name": "dcToHf"},
                            {"_typeName": "SelectionSpec", "name": "crToH"},
                        ],
                    },
                    {
                        "_typeName": "TraversalSpec",
                        "name": "dcToHf",
                        "type": "Datacenter",
                        "path": "hostFolder",
                        "selectSet": [{"_typeName": "SelectionSpec", "name": "folderTraversal"}],
                    },
                    {"_typeName": "TraversalSpec", "name": "crToH", "type": "ComputeResource", "path": "host"},
                ],
            }
        ],
        "propSet": [
            {"_typeName": "PropertySpec", "type": "HostSystem", "pathSet": ["name"]},
            {"_typeName": "PropertySpec", "type": "Folder", "pathSet": ["name"]},
        ],
    }
    result = vi.call("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", {"specSet": [spec]})
    kinds = [oc["obj"]["type"] for oc in result["objects"]]
    assert kinds.count("HostSystem") == 9
    assert "Folder" in kinds and "Datacenter" not in kinds  # Datacenter has no PropertySpec


def test_direct_object_spec_without_traversal(vi):
    host = next(iter(vi.hosts(["name"])))
    spec = {
        "_typeName": "PropertyFilterSpec",
        "objectSet": [{"_typeName": "ObjectSpec", "obj": moref("HostSystem", host)}],
        "propSet": [{"_typeName": "PropertySpec", "type": "HostSystem", "pathSet": ["runtime.dasHostState"]}],
    }
    result = vi.call("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", {"specSet": [spec]})
    assert len(result["objects"]) == 1
    assert result["objects"][0]["propSet"][0]["val"]["_typeName"] == "ClusterDasFdmHostState"


def test_retrieve_faults(vi):
    spec = {
        "_typeName": "PropertyFilterSpec",
        "objectSet": [{"_typeName": "ObjectSpec", "obj": moref("HostSystem", "host-404")}],
        "propSet": [{"_typeName": "PropertySpec", "type": "HostSystem", "pathSet": ["name"]}],
    }
    fault = vi.fault(vi.post("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", {"specSet": [spec]}))
    assert fault["_typeName"] == "ManagedObjectNotFound"
    spec["propSet"][0]["type"] = "NoSuchType"
    spec["objectSet"][0]["obj"] = vi.content()["rootFolder"]
    fault = vi.fault(vi.post("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", {"specSet": [spec]}))
    assert fault["_typeName"] == "InvalidType"


def test_empty_result_is_an_empty_answer(vi):
    view = vi.container_view(["Datastore"], container=vi.content()["rootFolder"])
    spec = view_spec(view, "VirtualMachine", ["name"])
    r = vi.post("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", {"specSet": [spec]})
    assert r.status_code == 200 and r.content == b""


def test_paging_with_tokens_and_cancel(vi):
    view = vi.container_view(["HostSystem"])
    body = {
        "specSet": [view_spec(view, "HostSystem", ["name"])],
        "options": {"_typeName": "RetrieveOptions", "maxObjects": 4},
    }
    first = vi.call("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", body)
    assert len(first["objects"]) == 4 and first["token"]
    second = vi.call(
        "PropertyCollector", "propertyCollector", "ContinueRetrievePropertiesEx", {"token": first["token"]}
    )
    assert len(second["objects"]) == 4 and second["token"]
    third = vi.call(
        "PropertyCollector", "propertyCollector", "ContinueRetrievePropertiesEx", {"token": second["token"]}
    )
    assert len(third["objects"]) == 1 and "token" not in third
    names = [oc["propSet"][0]["val"]["_value"] for page in (first, second, third) for oc in page["objects"]]
    assert len(set(names)) == 9
    again = vi.call("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", body)
    assert (
        vi.post(
            "PropertyCollector", "propertyCollector", "CancelRetrievePropertiesEx", {"token": again["token"]}
        ).status_code
        == 204
    )
    fault = vi.fault(
        vi.post("PropertyCollector", "propertyCollector", "ContinueRetrievePropertiesEx", {"token": again["token"]})
    )
    assert fault["_typeName"] == "InvalidArgument"


def test_private_property_collectors(vi):
    pc = vi.call("PropertyCollector", "propertyCollector", "CreatePropertyCollector")
    assert pc["type"] == "PropertyCollector" and pc["value"] != "propertyCollector"
    view = vi.container_view(["HostSystem"])
    assert len(vi.retrieve(view, "HostSystem", ["name"], collector=pc["value"])) == 9
    assert vi.post("PropertyCollector", pc["value"], "DestroyPropertyCollector").status_code == 204
    assert (
        vi.fault(
            vi.post(
                "PropertyCollector",
                pc["value"],
                "RetrievePropertiesEx",
                {"specSet": [view_spec(view, "HostSystem", ["name"])]},
            )
        )["_typeName"]
        == "ManagedObjectNotFound"
    )


# -- filters and WaitForUpdatesEx ---------------------------------------------------------------
def test_first_wait_enters_then_modify_then_timeout(sim, vi):
    host = next(h for h, p in vi.hosts(["runtime.dasHostState"]).items() if p.get("runtime.dasHostState"))
    task = vi.reconfigure(host)
    _, flt = task_filter(vi, [task])
    first = wait(vi, "")
    assert first.filterSet[0].filter == wire.MoRef("PropertyFilter", flt["value"])
    update = first.filterSet[0].objectSet[0]
    assert str(update.kind) == "enter" and update.obj == wire.MoRef("Task", task["value"])
    assert {c.name for c in update.changeSet} == {"info.state", "info.progress"}
    version, states = first.version, []
    while not states or states[-1] not in ("success", "error"):
        update_set = wait(vi, version)
        assert update_set is not None
        version = update_set.version
        for obj_update in update_set.filterSet[0].objectSet:
            assert str(obj_update.kind) == "modify"
            for change in obj_update.changeSet:
                assert change.name in ("info.state", "info.progress") and str(change.op) == "assign"
                if change.name == "info.state":
                    states.append(str(change.val))
    assert states[-1] == "success"
    start = time.monotonic()
    assert wait(vi, version, max_wait=1) is None  # nothing changes: empty answer after maxWaitSeconds
    assert 0.9 <= time.monotonic() - start < 3
    assert wait(vi, version, max_wait=0) is None  # 0 = answer at once


def test_timeout_answer_204_knob(make_sim, make_vi):
    sim = make_sim(empty_answer_status=204)
    vi = make_vi(sim)
    task_filter(vi, [])
    version = wait(vi, "").version
    r = vi.post(
        "PropertyCollector",
        "propertyCollector",
        "WaitForUpdatesEx",
        {"version": version, "options": {"_typeName": "WaitOptions", "maxWaitSeconds": 0}},
    )
    assert r.status_code == 204 and r.content == b""


def test_waiter_wakes_promptly_on_change(make_sim, make_vi):
    sim = make_sim(task_seconds=20, time_scale=20)  # 1 s tasks
    vi = make_vi(sim)
    host = next(h for h, p in vi.hosts(["runtime.dasHostState"]).items() if p.get("runtime.dasHostState"))
    view = vi.call("ViewManager", "ViewManager", "CreateListView", {"obj": [moref("HostSystem", host)]})
    vi.call(
        "PropertyCollector",
        "propertyCollector",
        "CreateFilter",
        {"spec": view_spec(view, "HostSystem", ["runtime.dasHostState", "recentTask"]), "partialUpdates": False},
    )
    version = wait(vi, "").version
    other = make_vi(sim)
    timer = threading.Timer(0.3, other.reconfigure, args=(host,))
    timer.start()
    start = time.monotonic()
    update = wait(vi, version, max_wait=10)
    elapsed = time.monotonic() - start
    timer.join()
    assert update is not None and 0.25 < elapsed < 5  # woken by the change, not by the 10 s timeout
    names = {c.name for c in update.filterSet[0].objectSet[0].changeSet}
    assert names & {"recentTask", "runtime.dasHostState"}


def test_list_view_modify_enters_and_leaves(sim, vi):
    hosts = list(vi.hosts(["name"]))
    refs = [moref("HostSystem", h) for h in hosts[:3]]
    view = vi.call("ViewManager", "ViewManager", "CreateListView", {"obj": refs[:2]})
    vi.call(
        "PropertyCollector",
        "propertyCollector",
        "CreateFilter",
        {"spec": view_spec(view, "HostSystem", ["name"]), "partialUpdates": False},
    )
    first = wait(vi, "")
    assert {u.obj.value for u in first.filterSet[0].objectSet} == set(hosts[:2])
    unresolved = vi.call(
        "ListView",
        view["value"],
        "ModifyListView",
        {"add": [refs[2], moref("HostSystem", "host-404")], "remove": [refs[0]]},
    )
    assert unresolved == [moref("HostSystem", "host-404")]
    update = wait(vi, first.version)
    kinds = {u.obj.value: str(u.kind) for u in update.filterSet[0].objectSet}
    assert kinds == {hosts[2]: "enter", hosts[0]: "leave"}
    assert vi.read("ListView", view["value"], "view") == [refs[1], refs[2]]


def test_empty_version_restarts_and_unknown_version_faults(sim, vi):
    view = vi.call(
        "ViewManager", "ViewManager", "CreateListView", {"obj": [moref("HostSystem", next(iter(vi.hosts(["name"]))))]}
    )
    vi.call(
        "PropertyCollector",
        "propertyCollector",
        "CreateFilter",
        {"spec": view_spec(view, "HostSystem", ["name"]), "partialUpdates": False},
    )
    first = wait(vi, "")
    assert first.version == "1" and str(first.filterSet[0].objectSet[0].kind) == "enter"
    assert wait(vi, "1", max_wait=0) is None
    again = wait(vi, "")  # from scratch: everything enters again
    assert again.version == "2" and str(again.filterSet[0].objectSet[0].kind) == "enter"
    fault = vi.fault(
        vi.post(
            "PropertyCollector",
            "propertyCollector",
            "WaitForUpdatesEx",
            {"version": "999", "options": {"_typeName": "WaitOptions", "maxWaitSeconds": 0}},
        )
    )
    assert fault["_typeName"] == "InvalidCollectorVersion"


def test_retry_with_previous_version_replays(make_sim, make_vi):
    sim = make_sim(task_seconds=2, time_scale=20)
    vi = make_vi(sim)
    host = next(h for h, p in vi.hosts(["runtime.dasHostState"]).items() if p.get("runtime.dasHostState"))
    task = vi.reconfigure(host)
    task_filter(vi, [task], paths=["info.state"])
    v1 = wait(vi, "").version
    answer = wait(vi, v1, max_wait=10)
    assert answer is not None
    replay = wait(vi, v1, max_wait=0)
    assert replay == answer


def test_truncated_with_max_object_updates(sim, vi):
    view = vi.container_view(["HostSystem"])
    vi.call(
        "PropertyCollector",
        "propertyCollector",
        "CreateFilter",
        {"spec": view_spec(view, "HostSystem", ["name"]), "partialUpdates": False},
    )
    seen, version, rounds = set(), "", 0
    while True:
        update = wait(vi, version, max_updates=4)
        rounds += 1
        version = update.version
        seen.update(u.obj.value for u in update.filterSet[0].objectSet)
        assert len(update.filterSet[0].objectSet) <= 4
        if not update.truncated:
            break
    assert len(seen) == 9 and rounds == 3


def test_second_waiter_cancels_the_first(sim, vi, make_vi):
    task_filter(vi, [])
    version = wait(vi, "").version
    results = {}

    def first():
        results["first"] = vi.post(
            "PropertyCollector",
            "propertyCollector",
            "WaitForUpdatesEx",
            {"version": version, "options": {"_typeName": "WaitOptions", "maxWaitSeconds": 10}},
        )

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.3)
    second = vi.post("PropertyCollector", "propertyCollector", "CancelWaitForUpdates")
    assert second.status_code == 204
    thread.join(5)
    assert results["first"].status_code == 500
    assert results["first"].json()["_typeName"] == "RequestCanceled"


def test_missing_objects_in_filter(vi):
    spec = {
        "_typeName": "PropertyFilterSpec",
        "objectSet": [{"_typeName": "ObjectSpec", "obj": moref("Task", "task-404")}],
        "propSet": [{"_typeName": "PropertySpec", "type": "Task", "pathSet": ["info.state"]}],
    }
    vi.call("PropertyCollector", "propertyCollector", "CreateFilter", {"spec": spec, "partialUpdates": False})
    update = wait(vi, "")
    missing = update.filterSet[0].missingSet[0]
    assert missing.obj == wire.MoRef("Task", "task-404") and missing.fault.is_a("ManagedObjectNotFound")


def test_destroy_filter_and_view(vi):
    view, flt = task_filter(vi, [])
    assert vi.read("PropertyCollector", "propertyCollector", "filter") == [flt]
    assert vi.post("PropertyFilter", flt["value"], "DestroyPropertyFilter").status_code == 204
    assert vi.read("PropertyCollector", "propertyCollector", "filter") == []
    assert vi.post("ListView", view["value"], "DestroyView").status_code == 204
    assert vi.fault(vi.get("ListView", view["value"], "view"))["_typeName"] == "ManagedObjectNotFound"


def test_session_end_destroys_its_objects(sim, make_vi):
    vi = make_vi(sim)
    view, flt = task_filter(vi, [])
    vi.call("SessionManager", "SessionManager", "Logout")
    other = make_vi(sim)
    vi.token = other.token
    assert vi.fault(vi.get("PropertyFilter", flt["value"], "spec"))["_typeName"] == "ManagedObjectNotFound"


@pytest.mark.slow
def test_ten_thousand_hosts_are_servable(make_sim, make_vi):
    sim = make_sim(clusters=100, hosts_per_cluster=100, standalone_hosts=0, scenario="mixed")
    vi = make_vi(sim)
    view = vi.container_view(["HostSystem"])
    objects = vi.retrieve(
        view, "HostSystem", ["name", "runtime.dasHostState", "summary.config.product.version"], max_objects=1000
    )
    assert len(objects) == 10_000
    assert len({oc["obj"]["value"] for oc in objects}) == 10_000
    vi.call(
        "PropertyCollector",
        "propertyCollector",
        "CreateFilter",
        {"spec": view_spec(view, "HostSystem", ["runtime.dasHostState"]), "partialUpdates": False},
    )
    first = wait(vi, "", max_updates=5000)
    assert first.truncated and len(first.filterSet[0].objectSet) == 5000
