"""End to end: the client against the embedded simulator, over real HTTP on 127.0.0.1 and in-process (ASGI)."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest
from polling import wait_for_task

from vsphere_nb import errors, wire
from vsphere_nb.client import property as prop
from vsphere_nb.client.aio import AsyncClient
from vsphere_nb.client.config import RetryPolicy, parse_release
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect

FAST = {"task_seconds": 1, "time_scale": 20}


def hosts_of(vc_aio: AsyncClient, page_size: int = 1000):
    async def main():
        view = await prop.create_container_view(vc_aio, vc_aio.content.rootFolder, ["HostSystem"])
        try:
            spec = prop.container_filter_spec(view, {"HostSystem": ["name", "runtime.dasHostState"]})
            return await prop.retrieve(vc_aio, spec, page_size=page_size)
        finally:
            await prop.destroy_view(vc_aio, view)

    return main()


def test_connect_inventory_launch_and_wait_over_real_http():
    with Simulator(clusters=2, hosts_per_cluster=4, scenario="healthy", seed=1, **FAST) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            assert vc.release_source in ("hello", "about") and parse_release(vc.release) >= (8, 0, 1, 0)
            assert vc.session.userName == sim.user
            before = vc.stats.requests
            objects = vc.run(hosts_of(vc.aio, page_size=3))
            hosts = [o for o in objects if o.obj.type == "HostSystem"]
            assert len(hosts) >= 8
            # CreateContainerView + ceil(N/3) pages + DestroyView
            assert vc.stats.requests - before == 2 + math.ceil(len(objects) / 3)
            assert all(isinstance(o.props()["name"], str) for o in hosts)
            clustered = [o for o in hosts if o.props().get("runtime.dasHostState") is not None]
            assert clustered and all(
                isinstance(o.props()["runtime.dasHostState"], wire.ClusterDasFdmHostState) for o in clustered
            )
            task = vc.invoke(clustered[0].obj, "ReconfigureHostForDAS_Task")
            assert isinstance(task, wire.MoRef) and task.type == "Task"
            info = vc.run(wait_for_task(vc.aio, task, timeout=30, poll=0.05))
            assert info.done and info.entity == clustered[0].obj
        assert vc.is_closed


def test_watch_many_tasks_through_a_list_view_in_process():
    sim = Simulator(clusters=1, hosts_per_cluster=4, standalone_hosts=0, scenario="healthy", seed=2, **FAST)

    async def main():
        async with await AsyncClient.connect(
            "http://127.0.0.1", sim.user, sim.password, transport=httpx.ASGITransport(sim.app)
        ) as vc:
            hosts = [o.obj for o in await hosts_of(vc) if o.obj.type == "HostSystem"][:3]
            tasks = [await vc.invoke(h, "ReconfigureHostForDAS_Task") for h in hosts]
            view = await prop.create_list_view(vc, tasks)
            states: dict = {}
            async with await prop.PropertyWatcher.create(vc) as watcher:
                await watcher.add_filter(prop.list_filter_spec(view, {"Task": ["info.state", "info.error"]}))
                for _ in range(100):
                    update = await watcher.wait(max_wait_seconds=2)
                    prop.apply_update_set(states, update)
                    if len(states) == len(tasks) and all(
                        str(p.get("info.state")) in ("success", "error") for p in states.values()
                    ):
                        break
            await prop.destroy_view(vc, view)
            return tasks, states, watcher.version

    try:
        tasks, states, version = asyncio.run(main())
    finally:
        sim.stop()
    assert set(states) == set(tasks)
    assert all(str(p["info.state"]) in ("success", "error") for p in states.values())
    assert version  # the watcher tracked the server's version


@pytest.mark.parametrize("status", [500, 401])
def test_session_lost_on_restart_relogin_and_launch_not_replayed(status):
    with Simulator(
        clusters=1,
        hosts_per_cluster=2,
        standalone_hosts=0,
        scenario="healthy",
        seed=3,
        not_authenticated_status=status,
        **FAST,
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            host = next(o.obj for o in vc.run(hosts_of(vc.aio)) if o.obj.type == "HostSystem")
            sim.restart()  # every session is gone
            assert isinstance(vc.get(host, "name"), str)  # re-login + replay
            assert vc.stats.relogins == 1
            sim.restart()
            with pytest.raises(errors.LaunchStateUnknown):
                vc.invoke(host, "ReconfigureHostForDAS_Task")
            assert vc.stats.relogins == 2
            assert isinstance(vc.invoke(host, "ReconfigureHostForDAS_Task"), wire.MoRef)  # the caller's own retry


@pytest.mark.parametrize("empty_status", [200, 204])
def test_empty_wait_answer_variants(empty_status):
    sim = Simulator(
        clusters=1,
        hosts_per_cluster=1,
        standalone_hosts=0,
        scenario="healthy",
        seed=4,
        empty_answer_status=empty_status,
        **FAST,
    )

    async def main():
        async with await AsyncClient.connect(
            "http://127.0.0.1", sim.user, sim.password, transport=httpx.ASGITransport(sim.app)
        ) as vc:
            view = await prop.create_container_view(vc, vc.content.rootFolder, ["HostSystem"])
            async with await prop.PropertyWatcher.create(vc) as watcher:
                await watcher.add_filter(prop.container_filter_spec(view, {"HostSystem": ["name"]}))
                first = await watcher.wait(max_wait_seconds=1)
                second = await watcher.wait(max_wait_seconds=0)
            return first, second

    try:
        first, second = asyncio.run(main())
    finally:
        sim.stop()
    assert isinstance(first, wire.UpdateSet) and first.filterSet
    assert second is None


def test_tls_simulator_needs_its_ca():
    with Simulator(clusters=1, hosts_per_cluster=1, standalone_hosts=0, scenario="healthy", tls=True, **FAST) as sim:
        with pytest.raises(errors.TLSError):
            connect(sim.url, sim.user, sim.password, retry=RetryPolicy(attempts=1))
        with connect(sim.url, sim.user, sim.password, verify=sim.ca_file) as vc:
            assert vc.server.startswith("https://127.0.0.1:")
            assert vc.about.apiType == "VirtualCenter"


def test_reads_survive_503_chaos_with_retries():
    with Simulator(clusters=1, hosts_per_cluster=2, standalone_hosts=0, scenario="healthy", seed=5, **FAST) as sim:
        with connect(sim.url, sim.user, sim.password, retry=RetryPolicy(attempts=12, base=0.001, cap=0.005)) as vc:
            host = next(o.obj for o in vc.run(hosts_of(vc.aio)) if o.obj.type == "HostSystem")
            sim.chaos.http_503_rate = 0.3
            names = {vc.get(host, "name") for _ in range(25)}
            sim.chaos.http_503_rate = 0.0
            assert len(names) == 1
            assert vc.stats.retries > 0
