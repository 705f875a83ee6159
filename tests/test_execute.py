"""Planning and running through :mod:`vsphere_nb.batch.execute` against simulators: several vCenters in one run,
``retry_failed``, the progress feed, a non-blocking start, ``execute_async``, the default run directory, and the
``save``/``load_run`` round trip of a real run."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pandas as pd
import pytest

from vsphere_nb.batch import BatchLimits, load_run, read_journal
from vsphere_nb.batch.execute import plan_reconfigure
from vsphere_nb.batch.progress import Progress
from vsphere_nb.batch.result import FRAME_NAMES, RunResult
from vsphere_nb.errors import ConfigError
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect

MIXED = dict(
    clusters=5, hosts_per_cluster=4, standalone_hosts=1, scenario="mixed", seed=5, task_seconds=20, time_scale=100
)


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    """A finished mixed-scenario run (faults, events, skipped hosts) and its run directory."""
    run_dir = tmp_path_factory.mktemp("execute") / "run"
    with Simulator(**MIXED) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            run = vc.plan_reconfigure(
                vc.hosts(), BatchLimits(max_in_flight=8, per_cluster=2, post_check_timeout=5)
            ).execute(run_dir=run_dir)
    assert (run.tasks["outcome"] == "fault").any() and len(run.events) and len(run.fault_messages)
    return run, run_dir


@pytest.fixture
def two_vcenters():
    with Simulator(**MIXED) as a, Simulator(**MIXED) as b:
        with connect(a.url, a.user, a.password) as vc_a, connect(b.url, b.user, b.password) as vc_b:
            yield (a, vc_a), (b, vc_b)


def test_one_run_over_two_vcenters(two_vcenters, tmp_path):
    (sim_a, vc_a), (sim_b, vc_b) = two_vcenters
    limits = BatchLimits(max_in_flight=3, per_cluster=1)
    hosts = pd.concat([vc_a.hosts(), vc_b.hosts()], ignore_index=True)
    assert hosts["host_moid"].duplicated().any()  # same inventory twice: only vcenter tells the hosts apart
    plan = plan_reconfigure([vc_a, vc_b], hosts, limits)
    sim_a.reset_stats()
    sim_b.reset_stats()
    run = plan.execute(run_dir=tmp_path / "run")
    names = {vc_a.vcenter, vc_b.vcenter}
    assert len(names) == 2 and set(run.vcenters) == names
    assert set(read_journal(tmp_path / "run").records[0]["vcenters"]) == names

    tasks = run.tasks
    assert not tasks.duplicated(["vcenter", "host_moid", "attempt"]).any()
    for sim, vc in ((sim_a, vc_a), (sim_b, vc_b)):
        mine = tasks[(tasks["vcenter"] == vc.vcenter) & (tasks["attempt"] == 1)]
        stats = sim.stats()
        # each vCenter got exactly its own hosts, once each, under its own caps
        assert stats["launches_per_host"] == {m: 1 for m in mine["host_moid"].astype(str)}
        assert stats["max_concurrent_tasks"] <= 3 and max(stats["max_concurrent_tasks_per_cluster"].values()) == 1
        assert len(mine) == int(hosts[hosts["vcenter"] == vc.vcenter]["eligible"].sum())
    for name in ("tasks", "events", "hosts"):
        frame = getattr(run, name)
        assert set(frame["vcenter"].astype(str)) == names, name
    # the same scenario and seed on both: the same outcomes, told apart by vcenter
    per_vc = {
        vc: g.set_index("host_moid")["outcome"].astype(str).sort_index()
        for vc, g in tasks.groupby("vcenter", observed=True)
    }
    a, b = per_vc.values()
    assert a.to_dict() == b.to_dict() and (a == "fault").any()

    retry = run.retry_failed()
    failed = run.failed_hosts()
    assert {(h.vcenter, h.host_moid) for h in retry.launch} == set(
        zip(failed["vcenter"].astype(str), failed["host_moid"].astype(str))
    )
    assert {h.attempt for h in retry.launch} == {2}
    second = retry.execute()
    attempt2 = second.tasks[second.tasks["attempt"] == 2]
    assert len(attempt2) == len(failed) and set(attempt2["vcenter"].astype(str)) == names
    for sim, vc in ((sim_a, vc_a), (sim_b, vc_b)):
        again = attempt2[attempt2["vcenter"] == vc.vcenter]["host_moid"].astype(str)
        launches = sim.stats()["launches_per_host"]
        assert {m for m, n in launches.items() if n == 2} == set(again)
        assert set(launches.values()) <= {1, 2}


def test_fault_tables_of_a_two_vcenter_run_carry_vcenter(two_vcenters, tmp_path):
    (_, vc_a), (_, vc_b) = two_vcenters
    hosts = pd.concat([vc_a.hosts(), vc_b.hosts()], ignore_index=True)
    run = plan_reconfigure([vc_a, vc_b], hosts, BatchLimits(max_in_flight=16)).execute(run_dir=tmp_path / "run")
    for name in ("faults", "fault_messages"):
        frame = getattr(run, name)
        assert len(frame) and set(frame["vcenter"].astype(str)) == {vc_a.vcenter, vc_b.vcenter}, name


def test_plan_needs_a_client_for_every_vcenter(two_vcenters):
    (_, vc_a), (_, vc_b) = two_vcenters
    hosts = pd.concat([vc_a.hosts(), vc_b.hosts()], ignore_index=True)
    with pytest.raises(ConfigError, match=vc_b.vcenter):
        plan_reconfigure([vc_a], hosts)


def test_save_and_load_run_round_trip(mixed_run, tmp_path):
    run, run_dir = mixed_run
    copy = tmp_path / "copy"
    run.save(copy)
    for source in (run_dir, copy):  # the run saved itself when it finished; and the explicit copy
        loaded = load_run(source)
        assert loaded.run_id == run.run_id and loaded.stop_reason == run.stop_reason
        assert loaded.limits == run.limits and loaded.vcenters == run.vcenters
        for name in FRAME_NAMES:
            pd.testing.assert_frame_equal(
                getattr(loaded, name), getattr(run, name), check_categorical=False, obj=f"{source.name}/{name}"
            )
        assert loaded.summary().to_dict() == run.summary().to_dict()
    # the journal alone gives the same tables
    replayed = RunResult.from_journal(run_dir)
    for name in FRAME_NAMES:
        pd.testing.assert_frame_equal(replayed.frames()[name], run.frames()[name], check_categorical=False, obj=name)
    meta = json.loads((copy / "run.json").read_text())
    assert (
        meta["run_id"] == run.run_id
        and (copy / "journal.jsonl").read_bytes() == (run_dir / "journal.jsonl").read_bytes()
    )


def test_start_returns_at_once_and_progress_follows_the_run(tmp_path):
    snapshots: list[Progress] = []
    threads: set[str] = set()

    def on_progress(p: Progress) -> None:
        snapshots.append(p)
        threads.add(threading.current_thread().name)

    limits = BatchLimits(max_in_flight=4, per_cluster=2)
    with Simulator(
        clusters=3, hosts_per_cluster=4, standalone_hosts=1, scenario="healthy", task_seconds=50, time_scale=100
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            plan = vc.plan_reconfigure(vc.hosts(), limits)
            began = time.monotonic()
            handle = plan.start(on_progress, run_dir=tmp_path / "run")
            assert time.monotonic() - began < 0.5 and not handle.done()
            mid = handle.progress()
            run = handle.wait(60)
    assert mid.total == 12 and not mid.finished
    last = snapshots[-1]
    assert last.finished and last.done == last.total == 12 and last.fraction == 1.0
    assert last.states["success"] == 12 and sum(last.states.values()) == 12
    assert set(last.clusters) == {"DC0_C0", "DC0_C1", "DC0_C2"}
    assert all(c["done"] == c["total"] == 4 for c in last.clusters.values())
    done = [p.done for p in snapshots]
    assert done == sorted(done)  # never goes back
    # the caps show in the feed too: never more than 4 hosts between launch and end, 2 per cluster
    busy = ("launching", "queued", "running", "post_check")
    assert max(sum(p.states[s] for s in busy) for p in snapshots) <= 4
    assert all(c["running"] <= 2 for p in snapshots for c in p.clusters.values())
    assert len(snapshots) >= 3 and threading.main_thread().name not in threads
    assert run.run_id == handle.run_id == last.run_id
    assert last.line() == "12 of 12 finished (12 succeeded, 0 failed)"


def test_execute_async_inside_an_event_loop(tmp_path):
    with Simulator(
        clusters=1, hosts_per_cluster=3, standalone_hosts=0, scenario="healthy", task_seconds=20, time_scale=100
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            plan = vc.plan_reconfigure(vc.hosts())

            async def notebook_cell():
                ticker = 0

                async def tick():  # the caller's loop stays free while the batch runs
                    nonlocal ticker
                    while True:
                        ticker += 1
                        await asyncio.sleep(0.01)

                t = asyncio.ensure_future(tick())
                try:
                    return await plan.execute_async(run_dir=tmp_path / "run"), ticker
                finally:
                    t.cancel()

            run, ticks = asyncio.run(notebook_cell())
    assert (run.tasks["outcome"] == "success").all() and len(run.tasks) == 3
    assert ticks > 5


def test_default_run_directory_and_planning_launches_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("VSPHERE_NB_RUNS", str(tmp_path / "runs"))
    with Simulator(
        clusters=2, hosts_per_cluster=2, standalone_hosts=1, scenario="healthy", task_seconds=20, time_scale=100
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            plan = vc.plan_reconfigure(vc.hosts(), BatchLimits(canary=1))
            assert len(plan) == 4 and len(plan.skipped) == 1
            assert "dry run" in plan._repr_html_()
            assert sim.stats()["launches_per_host"] == {}
            run = plan.execute()
    assert run.run_dir == tmp_path / "runs" / run.run_id
    assert (run.run_dir / "journal.jsonl").is_file() and (run.run_dir / "tasks.parquet").is_file()
    assert run.warnings == [] and (run.tasks["attempt"] == 1).sum() == 4
    with pytest.raises(ConfigError, match="not empty"):
        plan.execute(run_dir=run.run_dir)


def test_hosts_frame_keeps_one_row_per_host_after_a_retry(tmp_path):
    with Simulator(
        clusters=2, hosts_per_cluster=4, standalone_hosts=0, scenario="flaky", seed=4, task_seconds=20, time_scale=100
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            run = vc.plan_reconfigure(vc.hosts()).execute(run_dir=tmp_path / "run")
            assert len(run.failed_hosts())
            second = run.retry_failed().execute()
    assert len(second.hosts) == 8 and second.hosts["host_moid"].is_unique
