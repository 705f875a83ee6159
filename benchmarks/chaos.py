"""The chaos suite: a batch that survives a hostile vCenter and its own death, and loses nothing.

What :func:`run_chaos` does (``make chaos``: 500 hosts; ``tests/test_chaos.py``: the same at a small scale):

1. A simulator **in this process** serving real HTTP on 127.0.0.1, with — all at once — HTTP 503s, dropped
   connections, uniform 0–``jitter`` s latency, sessions that expire ``session_lifetime`` s after login, and
   (step 3) one restart.
2. The batch client as a **child process**: the real ``vsphere-nb reconfigure --yes --run-dir D`` CLI (password in
   ``VSPHERE_PASSWORD``), run through :func:`client_main`, which only adds a thread writing the client's request
   counters (``ClientStats``: retries, re-logins …, no secrets) to a JSON file twice a second.
3. When ``restart_at`` of the eligible hosts have been launched (the simulator's own launch counter), the server is
   restarted (sessions lost, tasks go on); at ``kill_at`` the client is killed with ``SIGKILL``.
4. ``vsphere-nb reconfigure --resume D`` in a new child finishes the run.
5. Checks — every host of the inventory ends with exactly one outcome (journal replay); no host was launched twice
   (the simulator's ``launches_per_host``); the caps were never exceeded (the simulator's concurrency maxima); no
   result was lost (every task the simulator ran is in the run, with the outcome its final state implies); the run
   finished (``run_finished`` journalled, exit code 0 or 1); and no file written (run directory, HTML report,
   child logs, counters) contains the password or any session token the simulator issued.

``python -m benchmarks.chaos`` runs the full suite and merges the figures into ``benchmarks/results.json`` and
``results.md``; ``python -m benchmarks.chaos client STATS_FILE -- ARGS…`` is the child-process wrapper.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .common import REPO

__all__ = ["ChaosSettings", "ChaosReport", "run_chaos", "FULL", "SMALL", "client_main"]


@dataclass(frozen=True)
class ChaosSettings:
    clusters: int = 25
    hosts_per_cluster: int = 20
    scenario: str = "mixed"
    seed: int = 7
    #: simulated seconds per task and simulated seconds per real second (2 s real tasks by default)
    task_seconds: float = 40.0
    time_scale: float = 20.0
    http_503_rate: float = 0.05
    drop_rate: float = 0.02
    jitter: float = 0.3
    session_lifetime: float = 20.0
    max_in_flight: int = 48
    per_cluster: int = 4
    #: share of the eligible hosts launched when the server restarts / when the client is killed
    restart_at: float = 0.2
    kill_at: float = 0.45
    restart_downtime: float = 1.0
    #: the clients' HTTP read timeout (``Timeouts.read``); ``None`` = the CLI's default (60 s). A resumed run waits
    #: that long after a launch that got no answer before it looks for its task (the sender's own timeout), so the
    #: scaled-down run uses a shorter one to stay fast
    read_timeout: float | None = None
    timeout: float = 900.0

    @property
    def hosts(self) -> int:
        return self.clusters * self.hosts_per_cluster


#: ``make chaos``: the issue's 500-host batch
FULL = ChaosSettings()
#: the scaled-down run of ``make test`` (< 90 s): the same faults on fewer hosts, with faster tasks, shorter sessions
#: and higher fault rates, so that every kind of fault still happens in a run of ~150 requests
SMALL = ChaosSettings(
    clusters=6,
    hosts_per_cluster=10,
    task_seconds=40.0,
    time_scale=40.0,
    session_lifetime=4.0,
    http_503_rate=0.08,
    drop_rate=0.05,
    max_in_flight=16,
    per_cluster=3,
    restart_at=0.2,
    kill_at=0.45,
    restart_downtime=0.5,
    read_timeout=8.0,
    timeout=85.0,
)


@dataclass
class ChaosReport:
    settings: dict[str, Any]
    hosts: int = 0
    eligible: int = 0
    seconds: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)
    launches: int = 0
    duplicate_launches: int = 0
    hosts_with_one_outcome: int = 0
    hosts_without_outcome: list[str] = field(default_factory=list)
    hosts_with_several_outcomes: list[str] = field(default_factory=list)
    lost_results: list[str] = field(default_factory=list)
    max_concurrent_tasks: int = 0
    max_concurrent_per_cluster: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    client: dict[str, int] = field(default_factory=dict)
    killed_after_launches: int | None = None
    #: the host whose launch was executed by the server but never answered: the client died in between
    killed_during_launch_of: str | None = None
    restarted_after_launches: int | None = None
    first_exit_code: int | None = None
    resume_exit_code: int | None = None
    run_finished: bool = False
    secret_hits: list[str] = field(default_factory=list)
    files_scanned: int = 0
    tokens_issued: int = 0
    duplicates_explained: list[str] = field(default_factory=list)
    resume_attempts: int = 0
    #: observations that are not failures (e.g. a command re-run after it could not connect)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        return out


# ---------------------------------------------------------------------------------------------
# the child process
# ---------------------------------------------------------------------------------------------
def client_main(stats_file: str, argv: list[str]) -> int:
    """Run ``vsphere-nb ARGV`` in this process, writing the client's ``ClientStats`` to ``stats_file`` every 0.25 s
    and at the end (atomic replace), so the counters survive a ``SIGKILL`` up to the last write."""
    import vsphere_nb.sync as sync_module
    from vsphere_nb.cli import main as cli_main

    clients: list[Any] = []
    real_connect = sync_module.connect

    read_timeout = os.environ.get("VSPHERE_NB_CHAOS_READ_TIMEOUT")

    def recording_connect(*args: Any, **kwargs: Any) -> Any:
        if read_timeout:
            from vsphere_nb.config import Timeouts

            kwargs["timeout"] = Timeouts(read=float(read_timeout))
        client = real_connect(*args, **kwargs)
        clients.append(client)
        return client

    sync_module.connect = recording_connect  # type: ignore[assignment]
    stop = threading.Event()

    def dump() -> None:
        totals: Counter[str] = Counter()
        for client in clients:
            stats = client.stats.as_dict()
            for key in ("requests", "retries", "relogins", "transport_errors", "faults"):
                totals[key] += int(stats.get(key, 0))
        tmp = f"{stats_file}.tmp"
        with open(tmp, "w") as fh:
            json.dump(dict(totals), fh)
        os.replace(tmp, stats_file)

    def loop() -> None:
        while not stop.wait(0.25):
            dump()

    threading.Thread(target=loop, daemon=True).start()
    try:
        return cli_main(argv)
    finally:
        stop.set()
        dump()


# ---------------------------------------------------------------------------------------------
# the suite
# ---------------------------------------------------------------------------------------------
def _child(
    work: Path, name: str, args: list[str], password: str, read_timeout: float | None = None
) -> tuple[subprocess.Popen[bytes], Path]:
    stats = work / f"{name}-stats.json"
    env = {**os.environ, "VSPHERE_PASSWORD": password, "PYTHONUNBUFFERED": "1"}
    env.pop("VSPHERE_SESSION_TOKEN", None)
    env.pop("VSPHERE_NB_CHAOS_READ_TIMEOUT", None)
    if read_timeout:
        env["VSPHERE_NB_CHAOS_READ_TIMEOUT"] = str(read_timeout)
    out = open(work / f"{name}.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.chaos", "client", str(stats), "--", "-v", *args],
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(REPO),
    )
    out.close()
    return proc, stats


def _kill_on_next_launch(sim: Any, proc: subprocess.Popen[bytes], report: ChaosReport) -> threading.Event:
    """Once the returned event is set, the next ``ReconfigureHostForDAS_Task`` the simulator executes SIGKILLs the
    batch client *after* the task is created and *before* the answer is sent: the client dies with a launch that
    took effect but whose answer it never saw — exactly what a resume must sort out without launching it again.
    (A harness hook on this simulator instance only.)"""
    armed = threading.Event()
    lock = threading.Lock()
    original = sim.vc.reconfigure.launch

    def launch(host: Any, session: Any) -> Any:
        ref = original(host, session)
        if armed.is_set():
            with lock:
                if report.killed_after_launches is None and proc.poll() is None:
                    report.killed_after_launches = _launches(sim)
                    report.killed_during_launch_of = host.moid
                    proc.send_signal(signal.SIGKILL)
        return ref

    sim.vc.reconfigure.launch = launch
    return armed


def _launches(sim: Any) -> int:
    return sum(sim.stats()["launches_per_host"].values())


def run_chaos(settings: ChaosSettings, work_dir: str | os.PathLike[str]) -> ChaosReport:
    """Run the suite in ``work_dir`` (run directory, child logs and counters are written there) and check it."""
    from vsphere_nb.batch.journal import read_journal
    from vsphere_nb.batch.result import RunResult
    from vsphere_nb.simulator import Simulator

    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    run_dir = work / "run"
    report = ChaosReport(settings=asdict(settings))
    started = time.monotonic()
    deadline = started + settings.timeout
    sim = Simulator(
        clusters=settings.clusters,
        hosts_per_cluster=settings.hosts_per_cluster,
        standalone_hosts=0,
        scenario=settings.scenario,
        seed=settings.seed,
        task_seconds=settings.task_seconds,
        time_scale=settings.time_scale,
        latency=0.0,
        jitter=settings.jitter,
        http_503_rate=settings.http_503_rate,
        drop_rate=settings.drop_rate,
        session_lifetime=settings.session_lifetime,
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        sim.start()
        report.hosts = len(sim.inventory.hosts)
        common = ["--server", sim.url, "--user", sim.user]
        first_args = [
            "reconfigure",
            *common,
            "--yes",
            "--include-flagged",
            "--run-dir",
            str(run_dir),
            "--max-in-flight",
            str(settings.max_in_flight),
            "--per-cluster",
            str(settings.per_cluster),
        ]
        eligible = 0
        for attempt in range(1, 4):  # a connection dropped during login fails the command: the operator re-runs it
            first, _ = _child(work, "first", first_args, sim.password, settings.read_timeout)
            procs.append(first)
            try:
                eligible = _wait_for_plan(run_dir, first, deadline)  # the plan is journalled before any launch
                break
            except _ExitedEarly as exc:
                report.notes.append(
                    f"batch attempt {attempt} exited with {exc} before planning: {_last_line(work / 'first.log')}"
                )
                if run_dir.exists():
                    shutil.rmtree(run_dir)
        else:
            raise RuntimeError("the batch client never got to plan; see first.log")
        report.eligible = eligible
        armed = _kill_on_next_launch(sim, first, report)
        restart_thread: threading.Thread | None = None
        while first.poll() is None and time.monotonic() < deadline:
            launched = _launches(sim)
            if restart_thread is None and launched >= settings.restart_at * eligible:
                report.restarted_after_launches = launched
                restart_thread = threading.Thread(target=sim.restart, args=(settings.restart_downtime,), daemon=True)
                restart_thread.start()
            if restart_thread is not None and not restart_thread.is_alive() and launched >= settings.kill_at * eligible:
                armed.set()  # the next launch the server executes kills the client before it is answered
            time.sleep(0.02)
        report.first_exit_code = first.wait(max(1.0, deadline - time.monotonic()))
        if restart_thread is not None:
            restart_thread.join(30)
        if report.killed_after_launches is None:
            report.problems.append("the client finished before it could be killed: the suite proved nothing")
        for attempt in range(1, 4):  # as an operator would: re-run a resume that could not even connect
            name = "resume" if attempt == 1 else f"resume{attempt}"
            resume, _ = _child(
                work, name, ["reconfigure", *common, "--resume", str(run_dir)], sim.password, settings.read_timeout
            )
            procs.append(resume)
            try:
                report.resume_exit_code = resume.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                resume.kill()
                resume.wait(10)
                report.problems.append(f"the resumed run did not finish within {settings.timeout:.0f} s")
                break
            report.resume_attempts = attempt
            if report.resume_exit_code != 2:
                break
            report.notes.append(f"resume attempt {attempt} exited with 2: {_last_line(work / (name + '.log'))}")
        report.seconds = time.monotonic() - started
        if report.resume_exit_code not in (0, 1):
            report.problems.append(f"resume exited with {report.resume_exit_code} (0 or 1 expected); see resume.log")
        # an HTML report too: one more file that must not hold a secret
        subprocess.run(
            [sys.executable, "-m", "vsphere_nb", "report", str(run_dir), "-o", str(work / "report.html")],
            cwd=str(REPO),
            capture_output=True,
            timeout=120,
        )
        _check(report, sim, run_dir, settings, RunResult, read_journal)
        for stats_file in sorted(work.glob("*-stats.json")):
            try:
                for key, value in json.loads(stats_file.read_text()).items():
                    report.client[key] = report.client.get(key, 0) + int(value)
            except (OSError, ValueError):
                report.problems.append(f"client counters missing: {stats_file.name}")
        _scan(report, sim, work)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        sim.stop()
    return report


class _ExitedEarly(Exception):
    """The batch client exited before journalling its plan."""


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "(no log)"
    return lines[-1][:300] if lines else "(empty log)"


def _wait_for_plan(run_dir: Path, proc: subprocess.Popen[bytes], deadline: float) -> int:
    from vsphere_nb.batch.journal import read_journal
    from vsphere_nb.errors import RunDirectoryError

    while time.monotonic() < deadline:
        if (run_dir / "journal.jsonl").exists():
            try:
                for record in read_journal(run_dir).records:
                    if record.get("kind") == "planned":
                        return len(record.get("launch") or [])
            except RunDirectoryError:
                pass
        if proc.poll() is not None:
            raise _ExitedEarly(proc.returncode)
        time.sleep(0.05)
    raise RuntimeError("no plan journalled in time")


def _check(
    report: ChaosReport, sim: Any, run_dir: Path, settings: ChaosSettings, run_result: Any, read_journal: Any
) -> None:
    stats = sim.stats()
    launches: dict[str, int] = stats["launches_per_host"]
    report.launches = sum(launches.values())
    report.duplicate_launches = sum(n - 1 for n in launches.values() if n > 1)
    report.max_concurrent_tasks = stats["max_concurrent_tasks"]
    report.max_concurrent_per_cluster = max(stats["max_concurrent_tasks_per_cluster"].values() or [0])
    report.faults_injected = dict(stats["chaos"])
    if report.duplicate_launches:
        twice = sorted(h for h, n in launches.items() if n > 1)
        report.problems.append(f"{report.duplicate_launches} duplicate launch(es): {twice[:10]}")
        report.duplicates_explained = _explain_duplicates(run_dir, twice, settings, read_journal)
    if report.max_concurrent_tasks > settings.max_in_flight:
        report.problems.append(f"max_in_flight exceeded: {report.max_concurrent_tasks} > {settings.max_in_flight}")
    if report.max_concurrent_per_cluster > settings.per_cluster:
        report.problems.append(f"per_cluster exceeded: {report.max_concurrent_per_cluster} > {settings.per_cluster}")
    for key in ("http_503", "dropped_connections", "restarts", "session_expiries"):
        if not report.faults_injected.get(key):
            report.problems.append(f"no {key.replace('_', ' ')} happened: the run was not under full chaos")

    records = read_journal(run_dir).records
    report.run_finished = any(r.get("kind") == "run_finished" for r in records)
    if not report.run_finished:
        report.problems.append("the journal has no run_finished record")
    result = run_result.from_journal(run_dir)
    tasks = result.tasks
    final = tasks[tasks["outcome"].notna()]
    per_host = Counter(final["host_moid"].astype(str))
    inventory = {h.moid for h in sim.inventory.hosts}
    report.outcomes = {str(k): int(v) for k, v in final["outcome"].astype(str).value_counts().items()}
    report.hosts_without_outcome = sorted(inventory - set(per_host))
    report.hosts_with_several_outcomes = sorted(h for h, n in per_host.items() if n > 1)
    report.hosts_with_one_outcome = sum(1 for h in inventory if per_host.get(h) == 1)
    if report.hosts_without_outcome:
        report.problems.append(
            f"{len(report.hosts_without_outcome)} host(s) without an outcome: {report.hosts_without_outcome[:10]}"
        )
    if report.hosts_with_several_outcomes:
        report.problems.append(f"host(s) with several outcomes: {report.hosts_with_several_outcomes[:10]}")
    # no result lost: every task the simulator created is in the run, with the outcome its final state implies
    by_host = {str(r.host_moid): r for r in final.itertuples()}
    for host_moid in sorted(launches):
        row = by_host.get(host_moid)
        if row is None or row.task_moid is None or (isinstance(row.task_moid, float)):
            report.lost_results.append(f"{host_moid}: launched on the server, no task in the run")
            continue
        task = sim.vc.tasks.find(str(row.task_moid))
        if task is None:
            report.lost_results.append(f"{host_moid}: task {row.task_moid} unknown to the server")
            continue
        state = str(getattr(task.info.state, "value", task.info.state))
        expected = {"success": {"success", "agent_unhealthy"}, "error": {"fault", "cancelled"}}.get(state, set())
        if str(row.outcome) not in expected:
            report.lost_results.append(f"{host_moid}: server task {state}, run says {row.outcome}")
    if report.lost_results:
        report.problems.append(f"{len(report.lost_results)} result(s) lost or wrong: {report.lost_results[:5]}")


def _explain_duplicates(run_dir: Path, hosts: list[str], settings: ChaosSettings, read_journal: Any) -> list[str]:
    """For each host launched twice: what the journal says happened between its two launches."""
    from datetime import datetime

    from vsphere_nb.simulator.tasks import RECENT_SECONDS

    retention = RECENT_SECONDS  # real seconds, whatever the time scale
    by_host: dict[str, list[dict[str, Any]]] = {}
    for record in read_journal(run_dir).records:
        if record.get("host_moid") in hosts and record.get("kind") != "planned":
            by_host.setdefault(record["host_moid"], []).append(record)
    out = []
    for host in hosts:
        records = by_host.get(host, [])
        sent = [datetime.fromisoformat(r["at"].replace("Z", "+00:00")) for r in records if r.get("kind") == "launching"]
        kinds = " → ".join(r.get("kind", "?") for r in records)
        text = f"{host}: {kinds}"
        if len(sent) >= 2:
            gap = (sent[1] - sent[0]).total_seconds()
            text += (
                f"; launched again {gap:.0f} s after a launch whose answer was never journalled (the client was "
                f"killed); the simulator keeps a finished task in the host's recentTask for {retention:.0f} s"
            )
            if gap > retention:
                text += ", so the resumed run's recentTask check could no longer see the first task"
        out.append(text)
    return out


def _scan(report: ChaosReport, sim: Any, work: Path) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from secret_scan import scan_tree  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "tests"))
    tokens = sim.issued_tokens()
    report.tokens_issued = len(tokens)
    secrets = {
        "password": sim.password,
        "readonly password": sim.readonly_password,
        **{f"session token #{i}": t for i, t in enumerate(tokens)},
    }
    report.files_scanned = sum(1 for p in work.rglob("*") if p.is_file())
    hits = scan_tree(work, secrets)
    report.secret_hits = [str(h) for h in hits]
    if hits:
        report.problems.append(f"{len(hits)} secret(s) found in written files: {report.secret_hits[:5]}")
    if not tokens:
        report.problems.append("the simulator issued no session token: nothing was checked")


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["client"]:
        stats_file, rest = argv[1], argv[2:]
        if rest[:1] == ["--"]:
            rest = rest[1:]
        return client_main(stats_file, rest)
    p = argparse.ArgumentParser(prog="python -m benchmarks.chaos", description="Run the chaos suite (500 hosts).")
    p.add_argument("--small", action="store_true", help="the scaled-down settings of the test suite")
    p.add_argument("--work-dir", default=None, help="where to keep the run directory and logs (default: a temp dir)")
    p.add_argument("--no-write", action="store_true", help="do not update benchmarks/results.json and results.md")
    args = p.parse_args(argv)
    import tempfile

    from .run import merge_sections

    settings = SMALL if args.small else FULL
    measured_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="vsphere-nb-chaos-") as tmp:
        report = run_chaos(settings, args.work_dir or tmp)
    data = report.as_dict()
    print(json.dumps({k: v for k, v in data.items() if k not in ("settings",)}, indent=1, default=str))
    if not args.no_write and not args.small:
        merge_sections({"chaos": {"name": "chaos", "mode": "full", "measured_at": measured_at, **data}})
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
