"""property.py against a fake PropertyCollector/ViewManager behind httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
import math

import httpx
import pytest
from fake_vcenter import FakeVCenter, aconnect, fault, json_response, moref

from vsphere_nb import errors, wire
from vsphere_nb.client import property as prop
from vsphere_nb.client.config import Timeouts

VIEW = wire.MoRef("ContainerView", "session[52e1]5a2c")


def run(coro):
    return asyncio.run(coro)


def host_object(i: int) -> dict:
    return {
        "_typeName": "ObjectContent",
        "obj": moref("HostSystem", f"host-{i}"),
        "propSet": [
            {"_typeName": "DynamicProperty", "name": "name", "val": {"_typeName": "string", "_value": f"esx{i:03d}"}},
            {
                "_typeName": "DynamicProperty",
                "name": "runtime.dasHostState",
                "val": {"_typeName": "ClusterDasFdmHostState", "state": "connectedToMaster"},
            },
        ],
    }


class PagingCollector:
    """RetrievePropertiesEx / ContinueRetrievePropertiesEx over ``n`` hosts, honouring maxObjects."""

    def __init__(self, fake: FakeVCenter, n: int, empty_style: str = "null") -> None:
        self.n = n
        self.empty_style = empty_style
        self.pending: dict[str, list[dict]] = {}
        self.page_size = None
        self.cancelled: list[str] = []
        self.spec_bodies: list[dict] = []
        fake.on("PropertyCollector.RetrievePropertiesEx", self.retrieve)
        fake.on("PropertyCollector.ContinueRetrievePropertiesEx", self.continue_)
        fake.on("PropertyCollector.CancelRetrievePropertiesEx", self.cancel)

    def _page(self, objects: list[dict]) -> httpx.Response:
        page, rest = objects[: self.page_size], objects[self.page_size :]
        body: dict = {"_typeName": "RetrieveResult", "objects": page}
        if rest:
            token = str(len(self.pending) + 1)
            self.pending[token] = rest
            body["token"] = token
        return json_response(200, body)

    def retrieve(self, request, body):
        self.spec_bodies.append(body)
        self.page_size = body["options"]["maxObjects"]
        objects = [host_object(i) for i in range(self.n)]
        if not objects:
            return {
                "null": json_response(200, None),
                "204": httpx.Response(204),
                "empty200": httpx.Response(200, content=b""),
            }[self.empty_style]
        return self._page(objects)

    def continue_(self, request, body):
        rest = self.pending.pop(body["token"], None)
        if rest is None:
            return fault("InvalidArgument", invalidProperty="token")
        return self._page(rest)

    def cancel(self, request, body):
        self.cancelled.append(body["token"])
        self.pending.pop(body["token"], None)
        return httpx.Response(204)


def _walk_dicts(value):
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _walk_dicts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_dicts(v)


# ------------------------------------------------------------------------------------------------
# specs and views
# ------------------------------------------------------------------------------------------------
def test_container_filter_spec_matches_the_reference_shape():
    spec = prop.container_filter_spec(
        VIEW, {"HostSystem": ["name", "runtime.dasHostState"], "ClusterComputeResource": ["name"]}
    )
    assert spec.to_wire() == {
        "_typeName": "PropertyFilterSpec",
        "propSet": [
            {"_typeName": "PropertySpec", "type": "HostSystem", "pathSet": ["name", "runtime.dasHostState"]},
            {"_typeName": "PropertySpec", "type": "ClusterComputeResource", "pathSet": ["name"]},
        ],
        "objectSet": [
            {
                "_typeName": "ObjectSpec",
                "obj": {"_typeName": "ManagedObjectReference", "type": "ContainerView", "value": "session[52e1]5a2c"},
                "skip": True,
                "selectSet": [
                    {
                        "_typeName": "TraversalSpec",
                        "name": "view",
                        "type": "ContainerView",
                        "path": "view",
                        "skip": False,
                    }
                ],
            }
        ],
    }
    listed = prop.list_filter_spec(wire.MoRef("ListView", "session[1]lv"), {"Task": ["info.state"]}).to_wire()
    assert listed["objectSet"][0]["selectSet"][0]["type"] == "ListView"
    with pytest.raises(errors.ConfigError):
        prop.container_filter_spec(VIEW, {})


def test_view_helpers_send_the_documented_calls():
    fake = FakeVCenter()
    bodies: dict[str, object] = {}

    def record(name, answer):
        def handler(request, body):
            bodies[name] = (request.url.path, body)
            return answer

        return handler

    fake.on("ViewManager.CreateContainerView", record("ccv", json_response(200, moref("ContainerView", VIEW.value))))
    fake.on("ViewManager.CreateListView", record("clv", json_response(200, moref("ListView", "session[52e1]lv1"))))
    fake.on("ListView.ModifyListView", record("mlv", json_response(200, [moref("Task", "task-gone")])))
    fake.on("ContainerView.DestroyView", record("dv", httpx.Response(204)))

    async def main():
        async with await aconnect(fake) as vc:
            view = await prop.create_container_view(vc, vc.content.rootFolder, ["HostSystem"])
            lv = await prop.create_list_view(vc, [wire.MoRef("Task", "task-1")])
            failed = await prop.modify_list_view(
                vc,
                lv,
                add=[wire.MoRef("Task", "task-2"), wire.MoRef("Task", "task-gone")],
                remove=[wire.MoRef("Task", "task-1")],
            )
            await prop.destroy_view(vc, view)
            return view, lv, failed

    view, lv, failed = run(main())
    assert view == VIEW and lv == wire.MoRef("ListView", "session[52e1]lv1")
    assert failed == [wire.MoRef("Task", "task-gone")]
    assert bodies["ccv"][1] == {"container": moref("Folder", "group-d1"), "type": ["HostSystem"], "recursive": True}
    assert bodies["ccv"][0].endswith("/ViewManager/ViewManager/CreateContainerView")
    assert bodies["clv"][1] == {"obj": [moref("Task", "task-1")]}
    assert bodies["mlv"][1] == {
        "add": [moref("Task", "task-2"), moref("Task", "task-gone")],
        "remove": [moref("Task", "task-1")],
    }
    assert bodies["dv"][1] is None  # DestroyView has no parameters: no body


# ------------------------------------------------------------------------------------------------
# retrieve
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 9, 10, 11, 25, 100])
def test_retrieve_pages_through_tokens_and_request_count_grows_with_n_over_page_size(n):
    fake = FakeVCenter()
    collector = PagingCollector(fake, n)

    async def main():
        async with await aconnect(fake) as vc:
            spec = prop.container_filter_spec(VIEW, {"HostSystem": ["name", "runtime.dasHostState"]})
            before = vc.stats.requests
            objects = await prop.retrieve(vc, spec, page_size=10)
            return objects, vc.stats.requests - before

    objects, requests = run(main())
    assert [o.obj.value for o in objects] == [f"host-{i}" for i in range(n)]
    assert objects[0].props()["name"] == "esx000"
    assert str(objects[0].props()["runtime.dasHostState"].state) == "connectedToMaster"
    assert requests == math.ceil(n / 10)
    assert len(fake.calls("PropertyCollector.ContinueRetrievePropertiesEx")) == math.ceil(n / 10) - 1
    sent = collector.spec_bodies[0]
    assert sent["options"] == {"_typeName": "RetrieveOptions", "maxObjects": 10}
    assert all("_typeName" in d for d in _walk_dicts(sent["specSet"]))
    assert collector.cancelled == []


@pytest.mark.parametrize("style", ["null", "204", "empty200"])
def test_retrieve_of_nothing_is_an_empty_list(style):
    fake = FakeVCenter()
    PagingCollector(fake, 0, empty_style=style)

    async def main():
        async with await aconnect(fake) as vc:
            return await prop.retrieve(vc, prop.container_filter_spec(VIEW, {"HostSystem": ["name"]}))

    assert run(main()) == []


def test_leaving_retrieve_pages_early_cancels_the_result_set():
    fake = FakeVCenter()
    collector = PagingCollector(fake, 30)

    async def main():
        async with await aconnect(fake) as vc:
            pages = prop.retrieve_pages(vc, prop.container_filter_spec(VIEW, {"HostSystem": ["name"]}), page_size=10)
            async for page in pages:
                assert len(page) == 10
                break
            await pages.aclose()

    run(main())
    assert collector.cancelled == ["1"]
    assert fake.calls("PropertyCollector.ContinueRetrievePropertiesEx") == []


def test_retrieve_uses_a_given_collector_and_validates_page_size():
    fake = FakeVCenter()
    private = wire.MoRef("PropertyCollector", "session[52e1]pc9")
    fake.on(
        "PropertyCollector.RetrievePropertiesEx",
        lambda r, b: json_response(200, {"_typeName": "RetrieveResult", "objects": [host_object(1)]}),
    )

    async def main():
        async with await aconnect(fake) as vc:
            with pytest.raises(errors.ConfigError):
                await prop.retrieve(vc, prop.container_filter_spec(VIEW, {"HostSystem": ["name"]}), page_size=0)
            return await prop.retrieve(
                vc, [prop.container_filter_spec(VIEW, {"HostSystem": ["name"]})], collector=private
            )

    assert len(run(main())) == 1
    assert (
        fake.calls("PropertyCollector.RetrievePropertiesEx")[0]
        .url.raw_path.decode()
        .endswith("/PropertyCollector/session%5B52e1%5Dpc9/RetrievePropertiesEx")
    )


# ------------------------------------------------------------------------------------------------
# PropertyWatcher
# ------------------------------------------------------------------------------------------------
PRIVATE_PC = "session[52e1]pc1"


def update_set(version: str, state: str) -> dict:
    return {
        "_typeName": "UpdateSet",
        "version": version,
        "filterSet": [
            {
                "_typeName": "PropertyFilterUpdate",
                "filter": moref("PropertyFilter", "session[52e1]f1"),
                "objectSet": [
                    {
                        "_typeName": "ObjectUpdate",
                        "kind": "modify",
                        "obj": moref("Task", "task-1"),
                        "changeSet": [
                            {
                                "_typeName": "PropertyChange",
                                "name": "info.state",
                                "op": "assign",
                                "val": {"_typeName": "TaskInfoState", "_value": state},
                            }
                        ],
                    }
                ],
            }
        ],
    }


def watcher_fake(answers: list) -> tuple[FakeVCenter, list]:
    fake = FakeVCenter()
    waits: list = []
    fake.on(
        "PropertyCollector.CreatePropertyCollector",
        lambda r, b: json_response(200, moref("PropertyCollector", PRIVATE_PC)),
    )
    fake.on(
        "PropertyCollector.CreateFilter", lambda r, b: json_response(200, moref("PropertyFilter", "session[52e1]f1"))
    )
    fake.on("PropertyFilter.DestroyPropertyFilter", lambda r, b: httpx.Response(204))
    fake.on("PropertyCollector.DestroyPropertyCollector", lambda r, b: httpx.Response(204))

    def wait(request, body):
        waits.append((request.url.raw_path.decode(), body))
        return answers.pop(0)

    fake.on("PropertyCollector.WaitForUpdatesEx", wait)
    return fake, waits


def test_watcher_tracks_versions_and_handles_both_empty_answers():
    fake, waits = watcher_fake(
        [
            json_response(200, update_set("1", "running")),
            httpx.Response(204),
            httpx.Response(200, content=b""),
            json_response(200, update_set("2", "success")),
        ]
    )

    async def main():
        async with await aconnect(fake) as vc:
            async with await prop.PropertyWatcher.create(vc) as w:
                spec = prop.list_filter_spec(wire.MoRef("ListView", "session[52e1]lv1"), {"Task": ["info.state"]})
                f = await w.add_filter(spec)
                results = [await w.wait(max_wait_seconds=5) for _ in range(4)]
                return w, f, results

    w, f, results = run(main())
    assert w.collector == wire.MoRef("PropertyCollector", PRIVATE_PC) and f == wire.MoRef(
        "PropertyFilter", "session[52e1]f1"
    )
    assert results[1] is None and results[2] is None
    assert results[0].version == "1" and results[3].version == "2" and w.version == "2"
    assert [b["version"] for _, b in waits] == ["", "1", "1", "1"]
    assert all(b["options"] == {"_typeName": "WaitOptions", "maxWaitSeconds": 5} for _, b in waits)
    assert all(
        path == "/sdk/vim25/8.0.3.0/PropertyCollector/session%5B52e1%5Dpc1/WaitForUpdatesEx" for path, _ in waits
    )
    (create_filter,) = fake.calls("PropertyCollector.CreateFilter")
    body = json.loads(create_filter.content)
    assert body["partialUpdates"] is False and body["spec"]["_typeName"] == "PropertyFilterSpec"
    # destroy on exit: the filter, then the private collector
    assert len(fake.calls("PropertyFilter.DestroyPropertyFilter")) == 1
    assert len(fake.calls("PropertyCollector.DestroyPropertyCollector")) == 1
    objects: dict = {}
    prop.apply_update_set(objects, results[3])
    assert str(objects[wire.MoRef("Task", "task-1")]["info.state"]) == "success"


def test_watcher_keeps_max_wait_below_the_read_timeout():
    fake, waits = watcher_fake([httpx.Response(204), httpx.Response(204)])

    async def main():
        async with await aconnect(fake, timeout=Timeouts(read=30)) as vc:
            w = await prop.PropertyWatcher.create(vc, private=False)
            await w.wait(max_wait_seconds=60, max_object_updates=50)
            await w.wait(max_wait_seconds=3)
            await w.destroy()
            return w

    w = run(main())
    assert w.collector.value == "propertyCollector"  # the service collector, not a private one
    assert waits[0][1]["options"] == {"_typeName": "WaitOptions", "maxWaitSeconds": 25, "maxObjectUpdates": 50}
    assert waits[1][1]["options"]["maxWaitSeconds"] == 3
    assert fake.calls("PropertyCollector.CreatePropertyCollector") == []
    assert fake.calls("PropertyCollector.DestroyPropertyCollector") == []


def test_watcher_keeps_max_wait_below_the_overall_deadline_too():
    fake, waits = watcher_fake([httpx.Response(204)])

    async def main():
        async with await aconnect(fake, timeout=Timeouts(read=60, total=12)) as vc:
            w = await prop.PropertyWatcher.create(vc, private=False)
            await w.wait(max_wait_seconds=60)
            await w.destroy()

    run(main())
    assert waits[0][1]["options"]["maxWaitSeconds"] == 9  # 12 s deadline minus a 3 s margin


def test_watcher_destroy_is_best_effort():
    fake, _ = watcher_fake([])
    fake.inject("PropertyFilter.DestroyPropertyFilter", fault("ManagedObjectNotFound"))
    fake.inject("PropertyCollector.DestroyPropertyCollector", httpx.ReadError("reset"))

    async def main():
        async with await aconnect(fake) as vc:
            w = await prop.PropertyWatcher.create(vc)
            await w.add_filter(prop.container_filter_spec(VIEW, {"HostSystem": ["name"]}), partial_updates=True)
            await w.destroy()
            await w.destroy()  # idempotent

    run(main())
    assert len(fake.calls("PropertyCollector.DestroyPropertyCollector")) == 1
    assert json.loads(fake.calls("PropertyCollector.CreateFilter")[0].content)["partialUpdates"] is True


# ------------------------------------------------------------------------------------------------
# apply_changes
# ------------------------------------------------------------------------------------------------
def change(name, op, val=None):
    return wire.PropertyChange(name=name, op=op, val=val)


def test_apply_changes_ops():
    props = {"name": "old", "gone": 1, "recentTask": [wire.MoRef("Task", "task-1")]}
    prop.apply_changes(
        props,
        [
            change("name", "assign", "new"),
            change("gone", "remove"),
            change("missing", "indirectRemove"),
            change("recentTask", "add", wire.MoRef("Task", "task-2")),
            change("tags", "add", "a"),
            change("future", "someNewOp", 5),
        ],
    )
    assert props == {
        "name": "new",
        "recentTask": [wire.MoRef("Task", "task-1"), wire.MoRef("Task", "task-2")],
        "tags": ["a"],
        "future": 5,
    }


def test_apply_changes_keyed_paths():
    opt = lambda k, v: wire.OptionValue(key=k, value=v)  # noqa: E731
    props = {
        "option": [opt("das.isolationaddress0", "10.0.0.1"), opt("das.usedefaultisolationaddress", "true")],
        "recentTask": [wire.MoRef("Task", "task-1"), wire.MoRef("Task", "task-2")],
    }
    prop.apply_changes(
        props,
        [
            change('option["das.isolationaddress0"]', "assign", opt("das.isolationaddress0", "10.0.0.9")),
            change('option["das.usedefaultisolationaddress"]', "remove"),
            change('option["das.heartbeatDsPerHost"]', "add", opt("das.heartbeatDsPerHost", "3")),
            change('recentTask["task-1"]', "indirectRemove"),
        ],
    )
    assert [(o.key, o.value) for o in props["option"]] == [
        ("das.isolationaddress0", "10.0.0.9"),
        ("das.heartbeatDsPerHost", "3"),
    ]
    assert props["recentTask"] == [wire.MoRef("Task", "task-2")]


def test_apply_object_update_enter_modify_leave():
    objects: dict = {wire.MoRef("Task", "task-0"): {"info.state": "running"}}
    t1 = moref("Task", "task-1")
    prop.apply_object_update(
        objects,
        wire.ObjectUpdate.model_validate(
            {
                "_typeName": "ObjectUpdate",
                "kind": "enter",
                "obj": t1,
                "changeSet": [
                    {
                        "_typeName": "PropertyChange",
                        "name": "info.state",
                        "op": "assign",
                        "val": {"_typeName": "TaskInfoState", "_value": "queued"},
                    }
                ],
            }
        ),
    )
    prop.apply_object_update(
        objects,
        wire.ObjectUpdate.model_validate(
            {
                "_typeName": "ObjectUpdate",
                "kind": "modify",
                "obj": t1,
                "changeSet": [
                    {
                        "_typeName": "PropertyChange",
                        "name": "info.progress",
                        "op": "assign",
                        "val": {"_typeName": "int", "_value": 50},
                    }
                ],
            }
        ),
    )
    prop.apply_object_update(
        objects,
        wire.ObjectUpdate.model_validate(
            {"_typeName": "ObjectUpdate", "kind": "leave", "obj": moref("Task", "task-0")}
        ),
    )
    assert list(objects) == [wire.MoRef("Task", "task-1")]
    assert str(objects[wire.MoRef("Task", "task-1")]["info.state"]) == "queued"
    assert objects[wire.MoRef("Task", "task-1")]["info.progress"] == 50
    prop.apply_update_set(objects, None)  # nothing changed
    assert len(objects) == 1
