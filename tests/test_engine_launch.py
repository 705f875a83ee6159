"""Launches that get no answer, sessions that expire mid-run, and tasks that never end — against the simulator.

A lost launch answer is the dangerous case: the task may exist on vCenter without us knowing its id. The engine
must look at the host's ``recentTask`` and adopt what it finds; only a launch that provably never arrived may be
sent again. ``/simulator/stats`` ``launches_per_host`` (counted by the server) must stay at 1 in every variant.

The network faults are made by :class:`LosingTransport`, a real HTTP transport that drops chosen requests either
before they reach the server or after the server executed them, and by the simulator's own drop-connection knob.
"""

from __future__ import annotations

import json

import httpx
import pytest

from vsphere_nb.batch import BatchLimits, read_journal
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect

LAUNCH = "/ReconfigureHostForDAS_Task"


def host_of(request: httpx.Request) -> str:
    return request.url.path.split("/")[-2]


class LosingTransport(httpx.AsyncBaseTransport):
    """Real HTTP, except that the first launch request per host loses its answer.

    ``when="after"``: the server executes the launch, the answer is lost (connection reset).
    ``when="before"``: the request never reaches the server.
    ``refuse_recent_task``: the host's ``recentTask`` cannot be read either (a ``NoPermission`` fault).
    ``forget_recent_task``: ``recentTask`` reads empty, as on vCenter once a finished task is ~10 minutes old.
    """

    def __init__(self, when: str, *, refuse_recent_task: bool = False, forget_recent_task: bool = False) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.when = when
        self.refuse_recent_task = refuse_recent_task
        self.forget_recent_task = forget_recent_task
        self.lost: list[str] = []
        self.launch_requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.endswith(LAUNCH):
            moid = host_of(request)
            self.launch_requests.append(moid)
            if moid not in self.lost:
                self.lost.append(moid)
                if self.when == "after":
                    response = await self.inner.handle_async_request(request)
                    await response.aread()
                    await response.aclose()
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if self.refuse_recent_task and request.method == "GET" and path.endswith("/recentTask"):
            body = {
                "_typeName": "NoPermission",
                "privilegeId": "System.Read",
                "faultMessage": [{"_typeName": "LocalizableMessage", "key": "x", "message": "no read access"}],
            }
            return httpx.Response(500, json=body, request=request)
        if self.forget_recent_task and request.method == "GET" and path.endswith("/recentTask"):
            return httpx.Response(
                200, json={"_typeName": "ArrayOfManagedObjectReference", "_value": []}, request=request
            )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def run_with(sim: Simulator, transport: httpx.AsyncBaseTransport, limits: BatchLimits, run_dir):
    with connect(sim.url, sim.user, sim.password, transport=transport) as vc:
        hosts = vc.hosts()
        sim.reset_stats()
        return vc.plan_reconfigure(hosts, limits).execute(run_dir=run_dir)


def journal_kinds(run_dir) -> dict[str, list[str]]:
    """``{host moId: [record kinds in order]}`` from the run's journal."""
    out: dict[str, list[str]] = {}
    for rec in read_journal(run_dir).records:
        if "host_moid" in rec:
            out.setdefault(rec["host_moid"], []).append(rec["kind"])
    return out


@pytest.fixture
def small_sim():
    with Simulator(
        clusters=2, hosts_per_cluster=3, standalone_hosts=0, scenario="healthy", task_seconds=20, time_scale=100
    ) as sim:
        yield sim


def test_lost_answer_after_the_launch_is_adopted_from_recent_task(small_sim, tmp_path):
    transport = LosingTransport("after")
    run = run_with(small_sim, transport, BatchLimits(max_in_flight=6, per_cluster=3), tmp_path / "run")
    stats = small_sim.stats()
    assert len(transport.lost) == 6
    assert transport.launch_requests == transport.lost  # no second launch request at all
    assert stats["launches_per_host"] == {moid: 1 for moid in transport.lost}
    assert (run.tasks["outcome"] == "success").all() and run.tasks["task_moid"].notna().all()
    # the adopted task is the one the server created for the host
    for moid, task in zip(run.tasks["host_moid"].astype(str), run.tasks["task_moid"].astype(str)):
        host = next(h for h in small_sim.inventory.hosts if h.moid == moid)
        assert [r.value for r in host.recent_tasks] == [task]
    kinds = journal_kinds(tmp_path / "run")
    assert all(k[:3] == ["launching", "launched", "finished"] for k in kinds.values()), kinds


def test_lost_answer_whose_task_left_recent_task_is_found_in_the_hosts_task_events(small_sim, tmp_path):
    transport = LosingTransport("after", forget_recent_task=True)
    run = run_with(small_sim, transport, BatchLimits(max_in_flight=6, per_cluster=3), tmp_path / "run")
    assert len(transport.lost) == 6
    assert transport.launch_requests == transport.lost  # found through TaskEvent: never sent again
    assert small_sim.stats()["launches_per_host"] == {moid: 1 for moid in transport.lost}
    assert (run.tasks["outcome"] == "success").all() and run.tasks["task_moid"].notna().all()


def test_launch_that_never_arrived_is_sent_again_once(small_sim, tmp_path):
    transport = LosingTransport("before")
    run = run_with(small_sim, transport, BatchLimits(max_in_flight=6, per_cluster=3), tmp_path / "run")
    stats = small_sim.stats()
    assert sorted(transport.launch_requests) == sorted(transport.lost * 2)  # lost once, sent once more
    assert stats["launches_per_host"] == {moid: 1 for moid in transport.lost}
    assert (run.tasks["outcome"] == "success").all()


def test_unknown_launch_state_that_cannot_be_checked_is_never_relaunched(small_sim, tmp_path):
    transport = LosingTransport("after", refuse_recent_task=True)
    run = run_with(small_sim, transport, BatchLimits(max_in_flight=6, per_cluster=3), tmp_path / "run")
    stats = small_sim.stats()
    assert transport.launch_requests == transport.lost and len(transport.lost) == 6
    assert set(stats["launches_per_host"].values()) == {1}
    tasks = run.tasks
    assert (tasks["outcome"] == "launch_failed").all()
    assert tasks["fault_message"].str.contains("launch state unknown").all()
    assert tasks["fault_message"].str.contains("not relaunched").all()


def test_simulator_dropping_every_launch_connection_still_launches_each_host_once(tmp_path):
    """The simulator's drop knob at 1.0 while a launch is on the wire: it drops half before and half after
    executing the request; whichever happened, each host ends with exactly one task."""
    with Simulator(
        clusters=2, hosts_per_cluster=3, standalone_hosts=0, scenario="healthy", task_seconds=20, time_scale=100, seed=7
    ) as sim:

        class DropLaunches(httpx.AsyncBaseTransport):
            def __init__(self) -> None:
                self.inner = httpx.AsyncHTTPTransport()
                self.dropped: set[str] = set()

            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                first = (
                    request.method == "POST"
                    and request.url.path.endswith(LAUNCH)
                    and host_of(request) not in self.dropped
                )
                if not first:
                    return await self.inner.handle_async_request(request)
                self.dropped.add(host_of(request))
                sim.chaos.drop_rate = 1.0
                try:
                    return await self.inner.handle_async_request(request)
                finally:
                    sim.chaos.drop_rate = 0.0

            async def aclose(self) -> None:
                await self.inner.aclose()

        transport = DropLaunches()
        run = run_with(sim, transport, BatchLimits(max_in_flight=1, per_cluster=1), tmp_path / "run")
        stats = sim.stats()
    assert len(transport.dropped) == 6 and stats["chaos"]["dropped_connections"] >= 6
    assert stats["launches_per_host"] == {moid: 1 for moid in transport.dropped}
    assert (run.tasks["outcome"] == "success").all()


def test_session_expiring_mid_run_relaunches_nothing_twice(tmp_path):
    """Sessions live 0.4 s: launches and waits hit ``NotAuthenticated``; the client logs in again, the engine
    checks ``recentTask`` for each launch that saw the expiry and rebuilds its property collector."""
    with Simulator(
        clusters=2,
        hosts_per_cluster=6,
        standalone_hosts=0,
        scenario="healthy",
        task_seconds=30,
        time_scale=100,
        session_lifetime=0.4,
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            hosts = vc.hosts()
            sim.reset_stats()
            run = vc.plan_reconfigure(hosts, BatchLimits(max_in_flight=2, per_cluster=1)).execute(
                run_dir=tmp_path / "run"
            )
            relogins = vc.stats.relogins
        stats = sim.stats()
    assert relogins >= 1 and stats["chaos"]["session_expiries"] >= 1
    assert stats["launches_per_host"] == {moid: 1 for moid in hosts["host_moid"].astype(str)}
    assert (run.tasks["outcome"] == "success").all()


def test_task_that_never_ends_is_timed_out_and_left_to_vcenter(tmp_path):
    scenario = {"name": "stuck", "rules": [{"match": {"host": "*_H00"}, "outcome": "success", "duration": 100000}]}
    limits = BatchLimits(max_in_flight=6, per_cluster=3, task_timeout=1.0)
    with Simulator(
        clusters=2, hosts_per_cluster=3, standalone_hosts=0, scenario=scenario, task_seconds=20, time_scale=100
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            sim.reset_stats()
            run = vc.plan_reconfigure(vc.hosts(), limits).execute(run_dir=tmp_path / "run")
        stats = sim.stats()
        still_running = {t.entity.name for t in sim.vc.tasks.running.values()}
    tasks = run.tasks.set_index("host")
    stuck = ["DC0_C0_H00", "DC0_C1_H00"]
    assert (tasks.loc[stuck, "outcome"] == "timed_out").all()
    assert (tasks.loc[stuck, "state"].astype(str) == "running").all()  # last state seen before giving up
    assert (tasks.drop(index=stuck)["outcome"] == "success").all()
    assert still_running == set(stuck) and "Task.CancelTask" not in stats["requests"]
    assert set(stats["launches_per_host"].values()) == {1}
    journal = [json.loads(line) for line in (tmp_path / "run" / "journal.jsonl").read_text().splitlines()]
    assert sum(1 for r in journal if r["kind"] == "finished" and r.get("outcome") == "timed_out") == 2


def test_gateway_503s_on_every_kind_of_request_still_launch_each_host_once(tmp_path):
    """A flaky reverse proxy answers 20 % of all requests with 503: reads are retried, a launch that got a 503
    is checked in ``recentTask`` (the proxy never passed it on) and sent again."""
    with Simulator(
        clusters=2, hosts_per_cluster=3, standalone_hosts=0, scenario="healthy", task_seconds=20, time_scale=100, seed=3
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            hosts = vc.hosts()
            sim.reset_stats()
            sim.chaos.http_503_rate = 0.2
            try:
                run = vc.plan_reconfigure(hosts, BatchLimits(max_in_flight=3, per_cluster=2)).execute(
                    run_dir=tmp_path / "run"
                )
            finally:
                sim.chaos.http_503_rate = 0.0
            retries = vc.stats.retries
        stats = sim.stats()
    assert stats["chaos"]["http_503"] >= 3 and retries >= 1
    assert stats["launches_per_host"] == {moid: 1 for moid in hosts["host_moid"].astype(str)}
    assert (run.tasks["outcome"] == "success").all()
