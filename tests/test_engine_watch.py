"""How the engine follows its tasks: hosts listed once, tasks joining through ``recentTask``, early updates kept.

A launch's task shows up in the watch through its host's ``recentTask``, with no ``ModifyListView`` per launch; its
first updates can arrive before the launch answer, and the engine must keep them until the answer names the task
(otherwise a fast task would be missed and wait for its post-check timeout).
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from polling import wait_until

from vsphere_nb.batch import BatchLimits
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect

LAUNCH = "/ReconfigureHostForDAS_Task"


class LateAnswerTransport(httpx.AsyncBaseTransport):
    """Real HTTP; every launch answer is held back ``delay`` seconds after the server created the task."""

    def __init__(self, delay: float) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.delay = delay
        self.held = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith(LAUNCH):
            await response.aread()
            self.held += 1
            await asyncio.sleep(self.delay)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def sim():
    # tasks of 0.2 s real time
    with Simulator(
        clusters=2, hosts_per_cluster=3, standalone_hosts=0, scenario="healthy", task_seconds=20, time_scale=100
    ) as sim:
        yield sim


def test_task_finished_before_its_launch_answered_is_not_missed(sim, tmp_path):
    transport = LateAnswerTransport(delay=0.6)  # the task has ended on the server when the answer comes
    limits = BatchLimits(max_in_flight=6, per_cluster=3, post_check_timeout=30, task_timeout=20)
    with connect(sim.url, sim.user, sim.password, transport=transport) as vc:
        hosts = vc.hosts()
        sim.reset_stats()
        started = time.monotonic()
        run = vc.plan_reconfigure(hosts, limits).execute(run_dir=tmp_path / "run")
        elapsed = time.monotonic() - started
    assert transport.held == 6
    assert (run.tasks["outcome"] == "success").all(), run.tasks[["host", "outcome", "das_state_after"]]
    assert run.tasks["das_state_after"].astype(str).isin(["master", "connectedToMaster"]).all()
    assert run.tasks[["queued_at", "started_at", "completed_at"]].notna().all().all()
    assert elapsed < 15, elapsed  # nothing waited for the 30 s post-check timeout
    assert sim.stats()["launches_per_host"] == {moid: 1 for moid in run.tasks["host_moid"].astype(str)}


def test_launches_cost_no_view_changes(sim, tmp_path):
    with connect(sim.url, sim.user, sim.password) as vc:
        hosts = vc.hosts()
        before = dict(vc.stats.by_call)
        run = vc.plan_reconfigure(hosts, BatchLimits(max_in_flight=3, per_cluster=2)).execute(run_dir=tmp_path / "run")
        calls = {k: v - before.get(k, 0) for k, v in vc.stats.by_call.items() if v - before.get(k, 0)}
    assert (run.tasks["outcome"] == "success").all()
    assert calls["HostSystem.ReconfigureHostForDAS_Task"] == 6
    assert calls["ViewManager.CreateListView"] == 1 and "ListView.ModifyListView" not in calls, calls
    assert "Task.info" not in calls  # no polling: every state came through the one filter


def test_events_are_journalled_while_the_run_goes_on(sim, tmp_path):
    with connect(sim.url, sim.user, sim.password) as vc:
        hosts = vc.hosts()
        # one host at a time: the early hosts' events are read and journalled before the last host has ended
        run = vc.plan_reconfigure(hosts, BatchLimits(max_in_flight=1, per_cluster=1)).execute(run_dir=tmp_path / "run")
    from vsphere_nb.batch import read_journal

    records = read_journal(tmp_path / "run").records
    kinds = [r["kind"] for r in records]
    last_finished = max(i for i, k in enumerate(kinds) if k == "post_checked")
    assert any(k == "events" for k in kinds[:last_finished]), kinds
    per_host = run.events.groupby(run.events["host"].astype(str), observed=True)["event_type"].apply(set)
    assert len(per_host) == 6
    for types in per_host:
        assert {"TaskEvent", "HostDasEnablingEvent", "HostDasEnabledEvent"} <= types
    assert not run.events.duplicated(["host_moid", "event_key"]).any()


def test_an_answer_asked_for_before_a_wake_is_picked_up_without_pausing_again(sim, tmp_path):
    """The engine pauses before it *asks* for changes (so they pile up into fewer answers), never before it picks
    up an answer it has already asked for. Woken while a ``WaitForUpdatesEx`` is out (a launch ended, Stop was
    pressed), it used to sit out the whole pause again while that answer waited: ~25 ms added to every freed
    slot's refill in the batch benchmark. Here the pause is 30 s, so the old behaviour cannot pass by luck."""
    from vsphere_nb.batch.context import RunContext
    from vsphere_nb.batch.engine import VcenterEngine
    from vsphere_nb.batch.journal import Journal
    from vsphere_nb.batch.progress import ProgressTracker
    from vsphere_nb.batch.records import RunRecords
    from vsphere_nb.wire import MoRef

    with connect(sim.url, sim.user, sim.password) as vc:
        host = vc.plan_reconfigure(vc.hosts(), BatchLimits(max_in_flight=1)).launch[0]
        journal = Journal.create(tmp_path / "run")
        ctx = RunContext("run", journal, RunRecords("run"), BatchLimits(), ProgressTracker("run"))

        async def woken_then_answered() -> tuple[float, list[object] | None]:
            engine = VcenterEngine(vc.aio, [host], ctx, wait_interval=30.0)
            assert await engine.watch.start() is None
            try:
                engine._wake.set()
                assert await engine.watch.wait(20, engine._wake) is None  # woken: the request stays out
                assert engine.watch.outstanding
                await vc.aio.invoke(MoRef("HostSystem", host.host_moid), "ReconfigureHostForDAS_Task")
                started = time.monotonic()
                changes = await engine._next_changes()
                return time.monotonic() - started, changes
            finally:
                await engine.watch.stop()

        elapsed, changes = vc.run(woken_then_answered())
        journal.close()
    assert changes, "the outstanding answer carried the new task"
    assert elapsed < 10, f"paused {elapsed:.1f} s before picking up an answer already asked for"


def test_cancel_running_also_cancels_a_launch_answered_after_the_cancel(tmp_path):
    """Cancel with ``cancel_running`` while launch answers are still on their way: vCenter already holds those
    tasks (queued behind its one active task), the engine does not know their ids yet. Each is cancelled when
    its answer names it; before, they were left to run once the server's active task ended."""
    transport = LateAnswerTransport(delay=1.5)
    limits = BatchLimits(max_in_flight=3, per_cluster=3)
    with Simulator(
        clusters=1,
        hosts_per_cluster=6,
        standalone_hosts=0,
        scenario="healthy",
        task_seconds=300,  # 3 s: the first task still runs when the held answers arrive
        time_scale=100,
        max_active_tasks=1,
    ) as sim:
        with connect(sim.url, sim.user, sim.password, transport=transport) as vc:
            handle = vc.plan_reconfigure(vc.hosts(), limits).start(run_dir=tmp_path / "run")
            wait_until(lambda: len(sim.vc.tasks.pending) >= 2, what="two tasks queued on the server")
            handle.cancel(cancel_running=True)  # the launch answers are held back 1.5 s: none has arrived yet
            run = handle.wait(60)
        stats = sim.stats()
    tasks = run.tasks
    assert tasks["outcome"].astype(str).value_counts().to_dict() == {"success": 1, "cancelled": 5}
    gone = tasks[(tasks["outcome"] == "cancelled") & tasks["task_moid"].notna()]
    assert len(gone) == 2 and (gone["fault_type"] == "RequestCanceled").all()
    assert 2 <= stats["requests"].get("Task.CancelTask", 0) <= 3  # once per task at most (the running one refuses)
    assert sorted(stats["launches_per_host"].values()) == [1, 1, 1]
