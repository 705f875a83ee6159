"""Resume after the process died: nothing is launched twice, every host ends with one outcome.

The first test is the real thing: ``vsphere-nb reconfigure --yes --run-dir D`` in a child process is killed with
SIGKILL in the middle of a run against a simulator served by this test process, then ``--resume D`` finishes it.
The others build the exact journal a crash leaves behind at the worst moment — a ``launching`` record with no
answer — with the real :class:`~vsphere_nb.batch.Journal`, and check each way that launch can have ended on the
server: its task exists (adopt it, even long after), it never arrived (launch it once), or it is still queued in
vCenter when the resume starts (wait for it instead of launching a second task).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from vsphere_nb.batch import BatchLimits, Journal, load_run, read_journal
from vsphere_nb.batch.execute import resume
from vsphere_nb.config import Timeouts
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect
from vsphere_nb.wire import MoRef, format_datetime, parse_datetime

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, password: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "VSPHERE_PASSWORD": password, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "vsphere_nb", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def kinds(run_dir) -> list[str]:
    try:
        return [r["kind"] for r in read_journal(run_dir).records]
    except Exception:
        return []


def test_kill_9_during_a_cli_run_then_resume_launches_nothing_twice(tmp_path):
    run_dir = tmp_path / "run"
    with Simulator(
        clusters=2, hosts_per_cluster=6, standalone_hosts=1, scenario="healthy", task_seconds=50, time_scale=100
    ) as sim:
        env = {**os.environ, "VSPHERE_PASSWORD": sim.password, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vsphere_nb",
                "reconfigure",
                "--server",
                sim.url,
                "--user",
                sim.user,
                "--yes",
                "--include-flagged",
                "--run-dir",
                str(run_dir),
                "--max-in-flight",
                "2",
                "--per-cluster",
                "1",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while kinds(run_dir).count("launched") < 3:
                assert child.poll() is None, child.communicate()
                assert time.monotonic() < deadline, "the child never launched 3 hosts"
                time.sleep(0.02)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(10)
        assert child.returncode == -signal.SIGKILL
        before = kinds(run_dir)
        assert "run_finished" not in before
        assert 3 <= before.count("launched") < 12  # some hosts were never launched by the dead process
        eligible = {h.moid for h in sim.inventory.hosts if type(h.compute_resource).__name__ != "ComputeResource"}

        done = cli(
            "reconfigure", "--server", sim.url, "--user", sim.user, "--resume", str(run_dir), password=sim.password
        )
        assert done.returncode == 0, done.stderr
        assert re.search(r"success\s+12\n", done.stdout) and re.search(r"skipped\s+1\n", done.stdout), done.stdout
        stats = sim.stats()
    assert stats["launches_per_host"] == {moid: 1 for moid in eligible}
    run = load_run(run_dir)
    tasks = run.tasks
    assert not tasks.duplicated(["host_moid", "attempt"]).any() and len(tasks) == 13
    launched = tasks[tasks["attempt"] == 1]
    assert set(launched["host_moid"].astype(str)) == eligible
    assert (launched["outcome"] == "success").all() and launched["task_moid"].notna().all()
    # each host's task is the one the server created for it
    served = {task.entity.moid: moid for moid, task in sim.vc.tasks.completed.items()}
    assert dict(zip(launched["host_moid"].astype(str), launched["task_moid"].astype(str))) == served
    assert kinds(run_dir)[-1] == "run_finished"


@pytest.fixture
def trio():
    """One HA cluster of three healthy hosts; recentTask keeps finished tasks 30 s (600 simulated s)."""
    with Simulator(
        clusters=1, hosts_per_cluster=3, standalone_hosts=0, scenario="healthy", task_seconds=10, time_scale=20
    ) as sim:
        yield sim


def crashed_run(vc, run_dir: Path, *, launching: int, sent_ago: timedelta):
    """The journal a process leaves when it dies right after sending the launch of host ``launching``
    ``sent_ago`` ago: ``run_started``, ``planned`` and one ``launching`` record without an answer."""
    limits = BatchLimits(max_in_flight=3, per_cluster=3)
    plan = vc.plan_reconfigure(vc.hosts(), limits).plan
    journal = Journal.create(run_dir)
    journal.run_started(run_id="run-crashed", vcenters=[vc.vcenter], limits=limits)
    journal.planned(plan)
    host = plan.launch[launching]
    journal.launching(host)
    journal.close()
    path = run_dir / "journal.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for rec in lines:  # the crash happened ``sent_ago`` ago
        rec["at"] = format_datetime(parse_datetime(rec["at"]) - sent_ago)
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return host


def age_task(sim: Simulator, task_moid: str, by: timedelta) -> None:
    """Make a server task look as if it had been queued ``by`` earlier."""
    task = sim.vc.tasks.find(task_moid)
    task.update(queueTime=task.info.queueTime - by)


def test_resume_adopts_a_task_launched_long_before_the_resume(trio, tmp_path):
    """The crash was 10 minutes ago: the task the lost launch created is still in ``recentTask`` and is
    adopted, although it is much older than the resume."""
    with connect(trio.url, trio.user, trio.password) as vc:
        host = crashed_run(vc, tmp_path / "run", launching=0, sent_ago=timedelta(minutes=10))
        task = vc.invoke(MoRef("HostSystem", host.host_moid), "ReconfigureHostForDAS_Task")
        age_task(trio, task.value, timedelta(minutes=10))
        run = resume(tmp_path / "run", vc).wait(30)
    stats = trio.stats()
    assert stats["launches_per_host"] == {h.moid: 1 for h in trio.inventory.hosts}
    row = run.tasks.set_index("host_moid").loc[host.host_moid]
    assert row["task_moid"] == task.value and row["outcome"] == "success"
    assert (run.tasks["outcome"] == "success").all() and len(run.tasks) == 3


def test_resume_launches_once_what_never_reached_vcenter(trio, tmp_path):
    with connect(trio.url, trio.user, trio.password) as vc:
        host = crashed_run(vc, tmp_path / "run", launching=1, sent_ago=timedelta(minutes=10))
        run = resume(tmp_path / "run", vc).wait(30)
    assert trio.stats()["launches_per_host"] == {h.moid: 1 for h in trio.inventory.hosts}
    assert (run.tasks["outcome"] == "success").all()
    records = [r for r in read_journal(tmp_path / "run").records if r.get("host_moid") == host.host_moid]
    assert [r["kind"] for r in records][:3] == ["launching", "launching", "launched"]  # sent again, once


def test_resume_right_after_the_crash_waits_for_a_launch_still_queued_in_vcenter(trio, tmp_path, make_vi):
    """The lost launch reaches vCenter 0.7 s after the resume began (it sat in a queue). The resume waits until
    the sender's read timeout (2 s here) has passed before it looks, finds the task and adopts it."""
    with connect(trio.url, trio.user, trio.password, timeout=Timeouts(read=2.0)) as vc:
        host = crashed_run(vc, tmp_path / "run", launching=2, sent_ago=timedelta(0))
        late = make_vi(trio)
        created: list[str] = []
        timer = threading.Timer(0.7, lambda: created.append(late.reconfigure(host.host_moid)["value"]))
        timer.start()
        try:
            started = time.monotonic()
            run = resume(tmp_path / "run", vc).wait(30)
        finally:
            timer.join()
    assert created and time.monotonic() - started >= 1.5
    assert trio.stats()["launches_per_host"] == {h.moid: 1 for h in trio.inventory.hosts}
    row = run.tasks.set_index("host_moid").loc[host.host_moid]
    assert row["task_moid"] == created[0] and row["outcome"] == "success"


def test_resume_of_a_finished_run_changes_nothing(trio, tmp_path):
    with connect(trio.url, trio.user, trio.password) as vc:
        first = vc.plan_reconfigure(vc.hosts(), BatchLimits()).execute(run_dir=tmp_path / "run")
        before = (tmp_path / "run" / "journal.jsonl").read_bytes()
        again = resume(tmp_path / "run", vc).wait(10)
    assert trio.stats()["launches_per_host"] == {h.moid: 1 for h in trio.inventory.hosts}
    assert (tmp_path / "run" / "journal.jsonl").read_bytes() == before
    assert again.run_id == first.run_id
    assert again.summary().to_dict() == first.summary().to_dict()
