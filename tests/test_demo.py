"""``vsphere-nb demo`` as a user runs it (a real subprocess, real HTTP), and the Binder folder's consistency.

The demo tests check what the user relies on: the printed URL opens JupyterLab (token required), the simulator
answers, the kernel gets the connection from the environment (the Voila page shows the runbook connected), the
password is printed nowhere and written nowhere, the repository's ``notebooks/`` stays untouched, and Ctrl-C /
SIGTERM leaves no process, port or temporary folder behind.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
from secret_scan import scan_tree

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
BINDER = REPO / "binder"
RUNBOOK = "reconfigure-ha-runbook.ipynb"
START_TIMEOUT = 120.0


class Demo:
    """``python -m vsphere_nb demo …`` (or ``command`` … ``demo``) in its own session, in ``cwd`` (default
    ``tmp``); stdout read line by line on a thread."""

    def __init__(
        self,
        *args: str,
        tmp: Path,
        command: tuple[str, ...] = (sys.executable, "-m", "vsphere_nb"),
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        if env is None:
            env = {k: v for k, v in os.environ.items() if not k.startswith("VSPHERE_")}
        self.cwd = (cwd or tmp).resolve()
        self.stderr_path = tmp / "demo-stderr.txt"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [
                *command,
                "demo",
                "--no-browser",
                "--port",
                "0",
                "--clusters",
                "2",
                "--hosts-per-cluster",
                "3",
                "--time-scale",
                "50",
                *args,
            ],
            cwd=self.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            self._queue.put(line)

    def wait_for(self, prefix: str, timeout: float = START_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                line = ""
            if line.startswith(prefix):
                return line.strip()
            if self.proc.poll() is not None and self._queue.empty():
                pytest.fail(f"demo exited ({self.proc.returncode}) before printing {prefix!r}:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {prefix!r} line within {timeout} s:\n{self.output()}")

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def output(self) -> str:
        return "".join(self.lines) + "\n--- stderr ---\n" + self.stderr()[-3000:]

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def kill_all(self) -> None:
        """Test clean-up whatever happened: stop the demo (SIGTERM: it removes its Jupyter state folder), then
        kill whatever is left."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                pass
        for p in self.descendants():
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._stderr.close()


@pytest.fixture
def demo_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[Demo] = []

    def start(*args: str) -> Demo:
        demo = Demo(*args, tmp=tmp_path)
        started.append(demo)
        return demo

    yield start
    for demo in started:
        demo.kill_all()


def _sim_url(line: str) -> str:
    match = re.search(r"simulator at (http://127\.0\.0\.1:\d+)", line)
    assert match, line
    return match.group(1)


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


def _environ(processes: list[psutil.Process], name: str) -> str:
    for p in processes:
        try:
            value = p.environ().get(name)
        except psutil.Error:
            continue
        if value:
            return value
    raise AssertionError(f"no process of the demo has {name} in its environment")


def _notebooks_listing() -> list[tuple[str, float]]:
    return sorted((str(p.relative_to(NOTEBOOKS)), p.stat().st_mtime) for p in NOTEBOOKS.rglob("*"))


def stop_demo(demo: Demo, sig: int, processes: list[psutil.Process], urls: list[str], workdir: Path) -> None:
    """Send ``sig`` to the demo; it exits 0, leaves no process or port behind, and keeps its working directory
    (the notebooks and the runs), which its last line names."""
    assert processes, "the demo started no child process"
    demo.proc.send_signal(sig)
    try:
        code = demo.proc.wait(40)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the demo did not stop on {signal.Signals(sig).name}:\n{demo.output()}")
    assert code == 0, demo.output()
    gone, alive = psutil.wait_procs(processes, timeout=10)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], f"left running: {alive}"
    for url in urls:
        assert not _port_open(url), f"{url} still answers"
    assert (workdir / RUNBOOK).is_file(), "the working directory was not kept"
    assert f"vsphere-nb demo stopped; working directory kept: {workdir}" in demo.stderr()


# ---------------------------------------------------------------------------------------------------------------
def test_demo_serves_the_runbook_in_jupyterlab_and_ctrl_c_stops_everything(demo_factory: Any) -> None:
    before = _notebooks_listing()
    demo = demo_factory()
    sim_url = _sim_url(demo.wait_for("vsphere-nb demo: simulator at"))
    lab_url = demo.wait_for("JupyterLab: ").split(" ", 1)[1]
    workdir = Path(demo.wait_for("working directory: ").split(" ")[2])
    parts = urlsplit(lab_url)
    base = f"{parts.scheme}://{parts.netloc}"
    token = re.search(r"token=([0-9a-f]+)", lab_url).group(1)
    assert parts.hostname == "127.0.0.1" and parts.path == f"/lab/tree/{RUNBOOK}"

    # token authentication is on (a fresh client: the token URL below sets a login cookie)
    assert httpx.get(f"{base}/api/contents/{RUNBOOK}", timeout=30).status_code in (401, 403)
    with httpx.Client(timeout=30) as http:
        page = http.get(lab_url)
        assert page.status_code == 200 and "JupyterLab" in page.text
        contents = http.get(f"{base}/api/contents/{RUNBOOK}", params={"token": token, "content": 0})
        assert contents.status_code == 200 and contents.json()["type"] == "notebook"
        # a kernel, so that stopping is checked with one running
        kernel = http.post(f"{base}/api/kernels", params={"token": token}, json={"name": "python3"})
        assert kernel.status_code == 201, kernel.text
        # the simulator answers
        about = http.get(f"{sim_url}/sdk/vim25/8.0.3.0/ServiceInstance/ServiceInstance/content").json()["about"]
        assert about["fullName"].startswith("VMware vCenter Server")

    deadline = time.monotonic() + 30
    while not any("ipykernel" in " ".join(p.cmdline()) for p in demo.descendants()):
        assert time.monotonic() < deadline, "the kernel process did not appear"
        time.sleep(0.2)
    processes = demo.descendants()
    # the kernel inherits the connection; the password is shown nowhere and stored nowhere
    assert _environ(processes, "VSPHERE_SERVER") == sim_url
    # a fresh working directory in the current one, named at start; the runs are saved in it
    assert workdir.name.startswith("vsphere-nb-demo-") and workdir.parent == demo.cwd
    assert _environ(processes, "VSPHERE_NB_RUNS") == str(workdir / "runs")
    password = _environ(processes, "VSPHERE_PASSWORD")
    assert len(password) >= 8
    assert password not in demo.output()
    assert scan_tree(workdir, {"simulator password": password}) == []
    assert (workdir / RUNBOOK).is_file()

    stop_demo(demo, signal.SIGINT, processes, [sim_url, base], workdir)
    assert _notebooks_listing() == before, "the repository's notebooks/ changed"


def test_demo_voila_serves_the_app_and_nothing_acts_on_load(demo_factory: Any) -> None:
    demo = demo_factory("--voila")
    sim_url = _sim_url(demo.wait_for("vsphere-nb demo: simulator at"))
    voila_url = demo.wait_for("Voila: ").split(" ", 1)[1]
    workdir = Path(demo.wait_for("working directory: ").split(" ")[2])
    base = voila_url.split("/?", 1)[0]
    with httpx.Client(timeout=90) as http:
        assert http.get(base, follow_redirects=False).status_code in (302, 401, 403), "Voila without a token"
        page = http.get(voila_url)  # runs the app notebook in a fresh kernel: the header and the panels
        stats = http.get(f"{sim_url}/simulator/stats").json()
    assert page.status_code == 200
    assert "Reconfigure for vSphere HA" in page.text and "application/vnd.jupyter.widget-view+json" in page.text
    assert "papermill" not in page.text, "the app is not the runbook"
    assert "Traceback" not in page.text
    assert stats["launches_per_host"] == {}, "opening the app launched something"
    processes = demo.descendants()
    password = _environ(processes, "VSPHERE_PASSWORD")
    assert password not in page.text and password not in demo.output()
    stop_demo(demo, signal.SIGTERM, processes, [sim_url, base], workdir)


def test_demo_rejects_bad_arguments_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vsphere_nb", "demo", "--no-browser", "--port", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "vsphere-nb: error: --port must be >= 0"


# ---------------------------------------------------------------------------------------------------------------
# Binder
# ---------------------------------------------------------------------------------------------------------------
def _lines(path: Path) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in path.read_text().splitlines() if line.split("#", 1)[0].strip()]


def test_binder_requirements_install_this_project_with_the_lab_extra() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        from pip._vendor import tomli as tomllib

    lines = _lines(BINDER / "requirements.txt")
    local = [line for line in lines if re.fullmatch(r"(-e\s+)?\.(\[[\w,]+\])?", line)]
    assert len(local) == 1, f"requirements.txt must install the project itself ('-e .[lab]'): {lines}"
    # repo2docker runs pip from the repository root: '.' must be the project
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["name"] == "vsphere-nb"
    extras = re.search(r"\[([\w,]+)\]", local[0])
    assert extras, "the [lab] extra brings JupyterLab, Voila and ipykernel"
    assert set(extras.group(1).split(",")) <= set(project["optional-dependencies"])
    lab = " ".join(project["optional-dependencies"]["lab"])
    assert "jupyterlab" in lab and "voila" in lab


def test_binder_runtime_is_python_3_11() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def test_binder_start_exports_nothing_secret_and_ends_with_exec(tmp_path: Path) -> None:
    start = BINDER / "start"
    assert start.stat().st_mode & stat.S_IXUSR, "start must be executable"
    lines = _lines(start)
    assert start.read_text().startswith("#!"), "start needs a shebang"
    assert lines[-1] == 'exec "$@"'
    exported = " ".join(line for line in lines if line.startswith("export")).upper()
    assert not re.search(r"PASSWORD|TOKEN|SECRET", exported)
    # it really hands over to the command it is given
    result = subprocess.run(
        [str(start), sys.executable, "-c", "import os; print(os.environ['VSPHERE_NB_RUNS'])"],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "runs") and (tmp_path / "runs").is_dir()


def test_binder_postbuild_writes_lab_settings_and_checks_the_import(tmp_path: Path) -> None:
    post = BINDER / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!") and re.search(r"^set -e", text, re.M), "postBuild must stop on the first error"
    env = {
        **os.environ,
        "NB_PYTHON_PREFIX": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = subprocess.run([str(post)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    overrides = json.loads((tmp_path / "share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_binder_badge_opens_a_notebook_that_exists() -> None:
    texts = [(BINDER / "README.md").read_text()]
    if (REPO / "README.md").exists():
        texts.append((REPO / "README.md").read_text())
    paths = set()
    for text in texts:
        paths.update(
            re.findall(
                r"mybinder\.org/v2/gh/[^/\s]+/[^/\s]+/HEAD\?urlpath=(?:lab/tree|voila/render)/"
                r"([^\s)\"']+\.ipynb)",
                text,
            )
        )
    assert "notebooks/reconfigure-ha-runbook.ipynb" in paths
    for path in paths:
        assert (REPO / path).is_file(), f"the Binder link opens {path}, which does not exist"


def test_the_demo_fleet_tells_a_story() -> None:
    """The default fleet of ``vsphere-nb demo`` (and the runbook): about a quarter unhealthy, several causes, some
    cluster-wide and some single-host, a flaky cluster that succeeds on retry, an agent that stays down after a
    successful task, hosts in maintenance, disconnected and standalone — a run worth analysing."""
    from vsphere_nb.batch import BatchLimits
    from vsphere_nb.cli.demo import STORY_SCENARIO, add_parser
    from vsphere_nb.simulator import Simulator
    from vsphere_nb.sync import connect

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["demo"])
    assert (args.scenario, args.clusters, args.hosts_per_cluster, args.standalone_hosts) == (
        str(STORY_SCENARIO),
        6,
        12,
        2,
    )
    with (
        Simulator(
            scenario=args.scenario,
            clusters=args.clusters,
            hosts_per_cluster=args.hosts_per_cluster,
            standalone_hosts=args.standalone_hosts,
            seed=args.seed,
            time_scale=100,
        ) as sim,
        connect(sim.url, sim.user, sim.password) as vc,
    ):
        hosts = vc.hosts()
        unhealthy = hosts[~hosts["das_state"].isin(["master", "connectedToMaster"])]
        assert len(hosts) == 74 and 0.2 <= len(unhealthy) / len(hosts) <= 0.35
        assert hosts["in_maintenance"].astype(bool).any() and hosts["cluster"].isna().sum() == 2
        plan = vc.plan_reconfigure(unhealthy, BatchLimits(max_in_flight=16, per_cluster=2, post_check_timeout=4))
        first = plan.execute()
        run = first.retry_failed().execute()
    tasks = run.tasks
    one = tasks[tasks["attempt"] <= 1]  # skipped hosts are attempt 0
    outcomes = set(one["outcome"].astype(str))
    assert {"success", "fault", "agent_unhealthy", "skipped"} <= outcomes, outcomes
    reasons = one.groupby("fault_reason", observed=True)["cluster"].agg(lambda c: set(c.astype(str)))
    assert len(reasons) >= 5, reasons
    # cluster-wide causes fail every launched host of their cluster; single-host causes one host each
    assert {"DC0_C1"} == reasons["HostNetworkMisconfiguration"] and {"DC0_C4"} == reasons["ApplyHAVibsOnClusterFailed"]
    assert (one["fault_reason"].astype(str) == "NoDatastoresConfigured").sum() == 1
    # the flaky cluster: every host fails once, then succeeds on retry
    flaky = tasks[tasks["cluster"].astype(str) == "DC0_C3"]
    assert set(flaky[flaky["attempt"] == 1]["fault_reason"].astype(str)) == {"NoPrimaryAgentAvailable"}
    retried = flaky[(flaky["attempt"] == 2) & (flaky["outcome"].astype(str) != "skipped")]
    assert len(retried) >= 2 and set(retried["outcome"].astype(str)) == {"success"}
    skipped = " ".join(one[one["outcome"] == "skipped"]["skip_reason"].astype(str))
    assert "maintenance" in skipped and "standalone" in skipped and "disconnected" in skipped
