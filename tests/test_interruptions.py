"""Runs interrupted every way a real one can be, against the simulator over HTTP, then resumed.

Each test interrupts a run of up to 40 hosts whose tasks take about two seconds, then checks what a user relies
on: every planned host has exactly one row per attempt at every moment (``load_run`` of the interrupted run), each
ends with exactly one final outcome after ``resume``, and no host is ever launched twice (the simulator's own
count, ``GET /simulator/stats`` → ``launches_per_host``). A process killed with SIGKILL is covered by
``tests/test_resuming.py``; the chaos run (``make chaos``) does it at 500 hosts.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest
from polling import wait_until

from vsphere_nb.batch import BatchLimits, load_run, read_journal
from vsphere_nb.batch.attempts import AttemptBook
from vsphere_nb.batch.execute import resume
from vsphere_nb.errors import ConfigError, RunDirectoryError
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
LIMITS = BatchLimits(max_in_flight=8, per_cluster=2)


def fleet(**kwargs) -> Simulator:
    """40 healthy hosts in 4 HA clusters; each reconfigure takes 2 s (20 simulated seconds)."""
    options = dict(clusters=4, hosts_per_cluster=10, standalone_hosts=0, scenario="healthy", task_seconds=20)
    options.update(kwargs)
    return Simulator(time_scale=10, **options)


def launches(sim: Simulator) -> dict[str, int]:
    response = httpx.get(f"{sim.url}/simulator/stats", timeout=10)
    response.raise_for_status()
    return response.json()["launches_per_host"]


def stats(sim: Simulator) -> dict:
    return httpx.get(f"{sim.url}/simulator/stats", timeout=10).json()


def kinds(run_dir: Path) -> list[str]:
    try:
        return [r["kind"] for r in read_journal(run_dir).records]
    except RunDirectoryError:
        return []


def start(vc, run_dir: Path, limits: BatchLimits = LIMITS):
    return vc.plan_reconfigure(vc.hosts(), limits).start(run_dir=run_dir)


def assert_every_host_has_one_row(run_dir: Path, n: int = 40):
    """The interrupted run as ``load_run`` shows it: one row per planned host, an honest stage for each."""
    run = load_run(run_dir)
    tasks = run.tasks
    assert len(tasks) == n and not tasks.duplicated(["host_moid", "attempt"]).any()
    open_rows = tasks[tasks["outcome"].isna()]
    assert set(open_rows["stage"].astype(str)) <= {"planned", "launching", "launched", "finished"}
    return run


def assert_finished_once(run_dir: Path, sim: Simulator, n: int = 40, outcomes=frozenset({"success"})):
    run = load_run(run_dir)
    assert run.lifecycle == "finished" and kinds(run_dir)[-1] == "run_finished"
    tasks = run.tasks
    assert len(tasks) == n and not tasks.duplicated(["host_moid", "attempt"]).any()
    assert tasks["outcome"].notna().all()
    assert set(tasks["outcome"].astype(str)) <= set(outcomes), tasks["outcome"].value_counts()
    assert set(launches(sim).values()) <= {1}, "a host was launched twice"
    return run


def cli(*args: str, password: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "VSPHERE_PASSWORD": password, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "vsphere_nb", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        **kwargs,
    )


def cli_child(sim: Simulator, run_dir: Path, *extra: str, prefix: list[str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "VSPHERE_PASSWORD": sim.password, "PYTHONPATH": str(ROOT)}
    command = prefix or [sys.executable, "-m", "vsphere_nb"]
    args = [
        "reconfigure",
        "--server",
        sim.url,
        "--user",
        sim.user,
        "--yes",
        "--include-flagged",
        "--run-dir",
        str(run_dir),
    ]
    args += ["--max-in-flight", "8", "--per-cluster", "2", *extra]
    return subprocess.Popen(
        [*command, *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def resume_cli(sim: Simulator, run_dir: Path) -> subprocess.CompletedProcess:
    return cli("reconfigure", "--server", sim.url, "--user", sim.user, "--resume", str(run_dir), password=sim.password)


# ---------------------------------------------------------------------------------------------
# client closed in-process (vc.close(), a kernel shutdown)
# ---------------------------------------------------------------------------------------------
def test_a_closed_client_detaches_the_run_and_resume_finishes_it(tmp_path):
    run_dir = tmp_path / "run"
    with fleet() as sim:
        vc = connect(sim.url, sim.user, sim.password)
        handle = start(vc, run_dir)
        wait_until(lambda: len(launches(sim)) >= 6, what="six launches")
        vc.close()
        run = handle.wait(60)
        assert run.lifecycle == "detached" and "closed" in run.detached_reason
        journal = kinds(run_dir)
        assert journal[-1] == "run_detached" and "run_finished" not in journal
        seen = assert_every_host_has_one_row(run_dir)
        assert seen.lifecycle == "detached" and seen.tasks["outcome"].isna().sum() >= 30
        with connect(sim.url, sim.user, sim.password) as vc2:
            done = resume(run_dir, vc2).wait(120)
        assert done.lifecycle == "finished"
        assert_finished_once(run_dir, sim)
        assert len(launches(sim)) == 40
        # resuming a finished run changes nothing
        with connect(sim.url, sim.user, sim.password) as vc3:
            again = resume(run_dir, vc3).wait(10)
        assert again.lifecycle == "finished" and kinds(run_dir)[-1] == "run_finished"


# ---------------------------------------------------------------------------------------------
# Ctrl-C in the CLI: once, then twice
# ---------------------------------------------------------------------------------------------
def test_ctrl_c_once_stops_launching_follows_running_tasks_and_says_how_to_resume(tmp_path):
    run_dir = tmp_path / "run"
    with fleet() as sim:
        child = cli_child(sim, run_dir)
        try:
            wait_until(lambda: kinds(run_dir).count("launched") >= 4, what="four launches")
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=60)
        finally:
            child.kill()
        assert child.returncode == 1, err
        assert "Traceback" not in err
        assert f"--resume {run_dir}" in err and "interrupted" in err
        journal = read_journal(run_dir).records
        assert journal[-1]["kind"] == "run_detached" and "interrupted" in journal[-1]["reason"]
        run = assert_every_host_has_one_row(run_dir)
        launched = run.tasks[run.tasks["task_moid"].notna()]
        assert len(launched) >= 4 and launched["outcome"].notna().all()  # the running tasks were followed
        assert (run.tasks[run.tasks["task_moid"].isna()]["stage"] == "planned").all()
        done = resume_cli(sim, run_dir)
        assert done.returncode == 0, done.stderr
        assert_finished_once(run_dir, sim)


def test_ctrl_c_twice_detaches_at_once_and_resume_finishes(tmp_path):
    run_dir = tmp_path / "run"
    with fleet(task_seconds=60) as sim:
        child = cli_child(sim, run_dir)
        try:
            wait_until(lambda: kinds(run_dir).count("launched") >= 4, what="four launches")
            child.send_signal(signal.SIGINT)
            time.sleep(0.3)
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=30)
        finally:
            child.kill()
        assert child.returncode == 1, err
        assert "Traceback" not in err and f"--resume {run_dir}" in err
        run = assert_every_host_has_one_row(run_dir)
        assert run.lifecycle == "detached"
        assert (run.tasks[run.tasks["task_moid"].notna()]["outcome"].isna()).any()  # left running on vCenter
        done = resume_cli(sim, run_dir)
        assert done.returncode == 0, done.stderr
        assert_finished_once(run_dir, sim)


# ---------------------------------------------------------------------------------------------
# cancel is a decision
# ---------------------------------------------------------------------------------------------
def test_cancel_then_resume_follows_running_tasks_and_launches_nothing_new(tmp_path):
    run_dir = tmp_path / "run"
    with fleet(task_seconds=40) as sim:
        vc = connect(sim.url, sim.user, sim.password)
        handle = start(vc, run_dir)
        wait_until(lambda: kinds(run_dir).count("launched") >= 4, what="four launches")
        handle.cancel()
        vc.close()  # the process goes away while the launched tasks still run
        assert handle.wait(60).lifecycle == "detached"
        before = dict(launches(sim))
        with connect(sim.url, sim.user, sim.password) as vc2:
            done = resume(run_dir, vc2).wait(120)
        assert launches(sim) == before  # not one new launch
        tasks = done.tasks
        assert done.lifecycle == "finished" and done.stop_reason == "cancelled"
        launched = tasks[tasks["task_moid"].notna()]
        assert set(launched["host_moid"].astype(str)) == set(before)
        assert (launched["outcome"] == "success").all()
        rest = tasks[tasks["task_moid"].isna()]
        assert len(rest) == 40 - len(before) and (rest["outcome"] == "cancelled").all()
        assert_finished_once(run_dir, sim, outcomes={"success", "cancelled"})


# ---------------------------------------------------------------------------------------------
# an error inside the engine
# ---------------------------------------------------------------------------------------------
def test_an_unexpected_engine_error_detaches_with_the_error_and_resume_finishes(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    real_tick = AttemptBook.tick
    calls = {"n": 0}

    def broken_tick(self, now):
        calls["n"] += 1
        if calls["n"] == 40:
            raise RuntimeError("injected fault in the engine")
        return real_tick(self, now)

    with fleet() as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            monkeypatch.setattr(AttemptBook, "tick", broken_tick)
            run = start(vc, run_dir).wait(60)
            monkeypatch.setattr(AttemptBook, "tick", real_tick)
            assert run.lifecycle == "detached"
            assert "RuntimeError: injected fault in the engine" in run.detached_reason
            assert_every_host_has_one_row(run_dir)
            done = resume(run_dir, vc).wait(120)
        assert done.lifecycle == "finished"
        assert_finished_once(run_dir, sim)


# ---------------------------------------------------------------------------------------------
# vCenter unreachable longer than the retry budget
# ---------------------------------------------------------------------------------------------
def test_vcenter_unreachable_too_long_detaches_and_resume_finishes_once_it_is_back(tmp_path):
    run_dir = tmp_path / "run"
    limits = BatchLimits(max_in_flight=8, per_cluster=2, unreachable_timeout=2)
    with fleet(task_seconds=30) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            handle = start(vc, run_dir, limits)
            # the collector follows the tasks: the outage hits a run in full swing, not its set-up
            wait_until(lambda: handle.progress().states.get("running", 0) >= 4, what="four tasks seen running")
            # vCenter stays down until the run has given up on it: however slow the machine, it never comes back
            # inside the window (a fixed downtime raced the engine's retries under load and the run finished)
            with sim.outage():
                down = time.monotonic()
                run = handle.wait(60)
                gave_up_after = time.monotonic() - down
            assert run.lifecycle == "detached" and "unreachable for more than 2 s" in run.detached_reason
            assert gave_up_after >= limits.unreachable_timeout, "detached before the window was over"
            assert_every_host_has_one_row(run_dir)
            done = resume(run_dir, vc).wait(120)
        assert done.lifecycle == "finished"
        assert_finished_once(run_dir, sim)


def test_stop_pressed_again_and_again_while_vcenter_is_down_still_detaches(tmp_path):
    """Each Stop wakes the engine out of its wait for vCenter's answer; a wake is no answer, so the give-up
    window keeps running (it used to start over at every wake, and the run never detached)."""
    run_dir = tmp_path / "run"
    limits = BatchLimits(max_in_flight=8, per_cluster=2, unreachable_timeout=2)
    with fleet(clusters=2, hosts_per_cluster=4, task_seconds=300) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            handle = start(vc, run_dir, limits)
            wait_until(lambda: handle.progress().states.get("running", 0) >= 4, what="four tasks seen running")
            pressed = threading.Event()
            stop_pressing = threading.Event()

            def press_stop() -> None:
                while not stop_pressing.wait(0.3):
                    handle.stop_launching("Stop pressed")
                    pressed.set()

            with sim.outage():
                presser = threading.Thread(target=press_stop, daemon=True)
                presser.start()
                try:
                    run = handle.wait(45)
                finally:
                    stop_pressing.set()
                    presser.join()
                    if not handle.done():
                        handle.detach("the test gave up")
                        handle.wait(30)
        assert pressed.is_set()
        assert run.lifecycle == "detached" and "unreachable for more than 2 s" in run.detached_reason
        assert_every_host_has_one_row(run_dir, n=8)


# ---------------------------------------------------------------------------------------------
# the run directory fills up
# ---------------------------------------------------------------------------------------------
DISK_FULL = textwrap.dedent(
    """
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # a full disk: writes fail with an error
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from vsphere_nb.cli import main
    sys.exit(main(sys.argv[2:]))
    """
)


def test_a_full_disk_stops_launching_with_one_line_and_resume_finishes(tmp_path):
    run_dir = tmp_path / "run"
    probe = tmp_path / "probe"
    with fleet(task_seconds=10) as sim:
        # how big the journal is once the run has started: room for a few more records only
        with connect(sim.url, sim.user, sim.password) as vc:
            plan = vc.plan_reconfigure(vc.hosts(), LIMITS)
            from vsphere_nb.batch import Journal

            with Journal.create(probe) as j:
                j.run_started(run_id="probe", vcenters=[vc.vcenter], limits=LIMITS)
                j.planned(plan.plan)
            start_size = (probe / "journal.jsonl").stat().st_size
        limit = start_size + 4000
        child = cli_child(sim, run_dir, prefix=[sys.executable, "-c", DISK_FULL, str(limit)])
        out, err = child.communicate(timeout=120)
        assert child.returncode == 1, err
        lines = [line for line in err.splitlines() if line.strip()]
        assert "Traceback" not in err
        assert any("cannot be written" in line or "File too large" in line for line in lines), err
        records = read_journal(run_dir).records  # parses: no torn line in the middle
        assert (run_dir / "journal.jsonl").stat().st_size <= limit
        journalled = {r["host_moid"] for r in records if r["kind"] == "launching"}
        assert set(launches(sim)) <= journalled, "a launch went out that was never journalled"
        assert 0 < len(journalled) < 40
        assert_every_host_has_one_row(run_dir)
        done = resume_cli(sim, run_dir)  # space is back
        assert done.returncode == 0, done.stderr
        assert_finished_once(run_dir, sim)


# ---------------------------------------------------------------------------------------------
# two processes on one run directory
# ---------------------------------------------------------------------------------------------
def test_a_second_process_on_the_same_run_directory_is_refused_naming_the_holder(tmp_path):
    run_dir = tmp_path / "run"
    # 4 s tasks: the run holds its directory for about 20 s, time enough for a second CLI process to start and be
    # refused even on a loaded machine (with 1 s tasks the run could end before the second process got there)
    with fleet(task_seconds=40) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            handle = start(vc, run_dir)
            wait_until(lambda: kinds(run_dir).count("launched") >= 2, what="two launches")
            with pytest.raises(RunDirectoryError, match=f"in use by process {os.getpid()}"):
                resume(run_dir, vc)
            second = resume_cli(sim, run_dir)
            assert second.returncode == 2
            assert second.stderr.count("\n") == 1 and f"in use by process {os.getpid()}" in second.stderr
            run = handle.wait(120)
        assert run.lifecycle == "finished"
        assert_finished_once(run_dir, sim)
        assert read_journal(run_dir).records  # still one readable journal


def test_two_resumes_at_once_launch_nothing_twice(tmp_path):
    run_dir = tmp_path / "run"
    with fleet(task_seconds=10) as sim:
        vc = connect(sim.url, sim.user, sim.password)
        handle = start(vc, run_dir)
        wait_until(lambda: kinds(run_dir).count("launched") >= 2, what="two launches")
        vc.close()
        handle.wait(60)
        first = cli_child(sim, run_dir, "--resume", str(run_dir))
        second = cli_child(sim, run_dir, "--resume", str(run_dir))
        out1, err1 = first.communicate(timeout=120)
        out2, err2 = second.communicate(timeout=120)
        codes = sorted([first.returncode, second.returncode])
        assert codes == [0, 2], (err1, err2)
        assert "in use by process" in (err1 + err2)
        assert_finished_once(run_dir, sim)


# ---------------------------------------------------------------------------------------------
# a vCenter restart that forgets its tasks and hands their ids out again
# ---------------------------------------------------------------------------------------------
def test_a_restarted_vcenter_reusing_task_ids_never_fools_the_engine(tmp_path):
    run_dir = tmp_path / "run"
    limits = BatchLimits(max_in_flight=2, per_cluster=1)
    with fleet(clusters=2, hosts_per_cluster=4, task_seconds=30) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            handle = start(vc, run_dir, limits)
            wait_until(lambda: len(sim.vc.tasks.running) == 2, what="two tasks running")
            in_flight = {t.entity.moid for t in sim.vc.tasks.running.values()}
            sim.restart(forget_tasks=True)
            run = handle.wait(120)
        served = stats(sim)
    tasks = run.tasks.set_index(run.tasks["host_moid"].astype(str))
    assert run.lifecycle == "finished" and len(tasks) == 8
    # the tasks the restart dropped are lost, never "success" from another host's task with the same id
    assert set(tasks.loc[sorted(in_flight), "outcome"].astype(str)) == {"lost"}
    others = tasks.drop(index=sorted(in_flight))
    assert (others["outcome"] == "success").all()
    # each success is the task the server ran for that host, and the caps held across the restart
    done = {t.entity.moid: moid for moid, t in sim.vc.tasks.completed.items()}
    assert dict(zip(others.index, others["task_moid"].astype(str))) == {h: done[h] for h in others.index}
    assert served["max_concurrent_tasks"] <= 2
    assert set(served["launches_per_host"].values()) == {1}


def test_a_task_that_vanishes_is_lost_not_timed_out(tmp_path):
    run_dir = tmp_path / "run"
    with fleet(clusters=1, hosts_per_cluster=2, task_seconds=100) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            handle = start(vc, run_dir, BatchLimits(max_in_flight=2, per_cluster=2))
            wait_until(lambda: handle.progress().states.get("running") == 2, what="two tasks seen running")
            sim.vc.tasks.forget_all()
            run = handle.wait(60)
    assert run.lifecycle == "finished"
    assert (run.tasks["outcome"] == "lost").all()
    assert any("vanished" in w for w in run.warnings)


# ---------------------------------------------------------------------------------------------
# a journal cut mid-line, and resuming against another vCenter
# ---------------------------------------------------------------------------------------------
def test_a_torn_last_line_is_ignored_with_a_warning_and_resume_works(tmp_path, caplog):
    run_dir = tmp_path / "run"
    with fleet(task_seconds=10) as sim:
        vc = connect(sim.url, sim.user, sim.password)
        handle = start(vc, run_dir)
        wait_until(lambda: kinds(run_dir).count("launched") >= 2, what="two launches")
        vc.close()
        handle.wait(60)
        with open(run_dir / "journal.jsonl", "ab") as fh:
            fh.write(b'{"kind":"launched","vcenter":"127.0.0.1:1","host_moid":"ho')  # a crash mid-write
        with caplog.at_level(logging.WARNING, logger="vsphere_nb.batch"):
            with connect(sim.url, sim.user, sim.password) as vc2:
                done = resume(run_dir, vc2).wait(120)
        assert any("torn" in r.getMessage() for r in caplog.records)
        assert done.lifecycle == "finished"
        assert_finished_once(run_dir, sim)


def test_resume_against_another_vcenter_is_refused_before_anything_is_sent(tmp_path):
    run_dir = tmp_path / "run"
    with fleet(seed=1, task_seconds=10) as first:
        port = int(first.url.rsplit(":", 1)[1])
        vc = connect(first.url, first.user, first.password)
        handle = start(vc, run_dir)
        wait_until(lambda: kinds(run_dir).count("launched") >= 2, what="two launches")
        vc.close()
        handle.wait(60)
    # another vCenter answers at the same address
    with fleet(seed=2, port=port) as other:
        before = stats(other)["requests"].get("HostSystem.ReconfigureHostForDAS_Task", 0)
        with connect(other.url, other.user, other.password) as vc2:
            with pytest.raises(ConfigError, match="not the vCenter this run was started on"):
                resume(run_dir, vc2)
        refused = resume_cli(other, run_dir)
        assert refused.returncode == 2 and "not the vCenter this run was started on" in refused.stderr
        assert refused.stderr.count("\n") == 1
        assert stats(other)["requests"].get("HostSystem.ReconfigureHostForDAS_Task", 0) == before == 0
    assert kinds(run_dir)[-1] == "run_detached"  # untouched
