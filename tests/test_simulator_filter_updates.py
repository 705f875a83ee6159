"""Filters kept up to date between waits: members followed through ``recentTask``, only changes diffed.

The simulator's property filters remember their members and diff only the objects that changed since the last
answer. The invariant that makes this safe: after any sequence of changes, what a long-lived filter has reported
(enter / modify / leave applied in order) equals what a brand-new filter over the same spec reports at once.
"""

from __future__ import annotations

import random
import time
from typing import Any

from conftest import moref

from vsphere_nb import wire

TASK_PATHS = ["info.state", "info.completeTime"]
HOST_PATHS = ["runtime.dasHostState", "name"]


def spec(view: dict[str, str]) -> dict[str, Any]:
    """Hosts of a ListView, and the tasks in each host's ``recentTask``."""
    return {
        "_typeName": "PropertyFilterSpec",
        "objectSet": [
            {
                "_typeName": "ObjectSpec",
                "obj": view,
                "skip": True,
                "selectSet": [
                    {
                        "_typeName": "TraversalSpec",
                        "name": "view",
                        "type": "ListView",
                        "path": "view",
                        "skip": False,
                        "selectSet": [
                            {
                                "_typeName": "TraversalSpec",
                                "name": "recentTask",
                                "type": "HostSystem",
                                "path": "recentTask",
                                "skip": False,
                            }
                        ],
                    }
                ],
            }
        ],
        "propSet": [
            {"_typeName": "PropertySpec", "type": "Task", "pathSet": TASK_PATHS},
            {"_typeName": "PropertySpec", "type": "HostSystem", "pathSet": HOST_PATHS},
        ],
    }


def wait(vi, collector: str, version: str, max_wait: float = 0) -> wire.UpdateSet | None:
    response = vi.post(
        "PropertyCollector",
        collector,
        "WaitForUpdatesEx",
        {"version": version, "options": {"_typeName": "WaitOptions", "maxWaitSeconds": max_wait}},
    )
    assert response.status_code in (200, 204), response.text
    return wire.decode_as(response.json(), wire.UpdateSet) if response.content else None


def apply(state: dict[str, dict[str, Any]], update: wire.UpdateSet | None) -> None:
    for fset in (update.filterSet or []) if update else []:
        for obj in fset.objectSet or []:
            key = f"{obj.obj.type}:{obj.obj.value}"
            if str(obj.kind) == "leave":
                state.pop(key, None)
                continue
            if str(obj.kind) == "enter":
                state[key] = {}
            props = state.setdefault(key, {})
            for change in obj.changeSet or []:
                if str(change.op) == "remove" or change.val is None:
                    props.pop(change.name, None)
                else:
                    props[change.name] = wire.encode_value(change.val)


def snapshot(vi, view: dict[str, str]) -> dict[str, dict[str, Any]]:
    """What a new filter over the same spec reports at once."""
    collector = vi.call("PropertyCollector", "propertyCollector", "CreatePropertyCollector")["value"]
    vi.call("PropertyCollector", collector, "CreateFilter", {"spec": spec(view), "partialUpdates": False})
    state: dict[str, dict[str, Any]] = {}
    apply(state, wait(vi, collector, ""))
    vi.call("PropertyCollector", collector, "DestroyPropertyCollector")
    return state


def settle(sim, timeout: float = 10.0) -> None:
    """Until no task runs or is queued (the clock thread changes nothing meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queue = sim.vc.tasks
        with sim.vc.registry.lock:
            if not queue.running and not queue.pending:
                return
        time.sleep(0.02)
    raise AssertionError("tasks did not settle")


def test_a_task_started_on_a_listed_host_enters_without_changing_the_view(sim, vi):
    hosts = list(vi.hosts(["name"]))[:2]
    view = vi.call("ViewManager", "ViewManager", "CreateListView", {"obj": [moref("HostSystem", h) for h in hosts]})
    collector = vi.call("PropertyCollector", "propertyCollector", "CreatePropertyCollector")["value"]
    vi.call("PropertyCollector", collector, "CreateFilter", {"spec": spec(view), "partialUpdates": False})
    first = wait(vi, collector, "")
    assert {u.obj.value for u in first.filterSet[0].objectSet} == set(hosts)
    task = vi.call("HostSystem", hosts[0], "ReconfigureHostForDAS_Task")
    entered = wait(vi, collector, first.version, max_wait=5)
    kinds = {(u.obj.type, u.obj.value): str(u.kind) for u in entered.filterSet[0].objectSet}
    assert kinds[("Task", task["value"])] == "enter"
    state: dict[str, dict[str, Any]] = {}
    apply(state, first)
    apply(state, entered)
    version = entered.version
    deadline = time.monotonic() + 10
    while state[f"Task:{task['value']}"].get("info.state") != "success":
        assert time.monotonic() < deadline, state
        update = wait(vi, collector, version, max_wait=5)
        if update is not None:
            apply(state, update)
            version = update.version
    assert "info.completeTime" in state[f"Task:{task['value']}"]


def test_a_long_lived_filter_agrees_with_a_new_one_after_any_changes(make_sim, make_vi, monkeypatch):
    # finished tasks leave recentTask after 0.3 s (vCenter: ~10 minutes), so members also leave one by one
    monkeypatch.setattr("vsphere_nb.simulator.tasks.RECENT_SECONDS", 0.3)
    sim = make_sim()
    vi = make_vi(sim)
    hosts = sorted(vi.hosts(["name"]))
    view = vi.call("ViewManager", "ViewManager", "CreateListView", {"obj": [moref("HostSystem", hosts[0])]})
    collector = vi.call("PropertyCollector", "propertyCollector", "CreatePropertyCollector")["value"]
    vi.call("PropertyCollector", collector, "CreateFilter", {"spec": spec(view), "partialUpdates": False})
    state: dict[str, dict[str, Any]] = {}
    version = ""
    seen: set[str] = set()

    def check(ops: list) -> None:
        nonlocal version
        update = wait(vi, collector, version)
        if update is not None:
            apply(state, update)
            version = update.version
        seen.update(state)
        assert state == snapshot(vi, view), ops

    check([])
    listed = {hosts[0]}
    rng = random.Random(7)
    ops: list[tuple[str, str]] = []
    for _ in range(30):
        op = rng.choice(["add", "remove", "launch", "launch", "launch", "launch", "noop"])
        host = rng.choice(hosts)
        if op == "add" and host not in listed:
            vi.call("ListView", view["value"], "ModifyListView", {"add": [moref("HostSystem", host)]})
            listed.add(host)
        elif op == "remove" and host in listed:
            vi.call("ListView", view["value"], "ModifyListView", {"remove": [moref("HostSystem", host)]})
            listed.discard(host)
        elif op == "launch":
            response = vi.post("HostSystem", host, "ReconfigureHostForDAS_Task")
            assert response.status_code in (200, 500), response.text  # standalone hosts refuse: no change
        ops.append((op, host))
        if rng.random() < 0.3:
            check(ops)  # in the middle of the task's life
        settle(sim)
        check(ops)  # the task has ended: it is a member, with its final state
        if op == "launch":
            time.sleep(0.4)  # it has left recentTask again
            check(ops)
    assert any(key.startswith("Task:") for key in seen)  # tasks did join the filter (and left it again)
    assert not any(key.startswith("Task:") for key in state)
