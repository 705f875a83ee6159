"""``vsphere-nb demo``: the simulator plus JupyterLab (or Voilà) opened at the runbook, in one command.

What it does, and why:

* starts the embedded simulator in this process, on 127.0.0.1, on the *story* fleet by default (6 clusters × 12
  hosts + 2 standalone, about a quarter unhealthy for several reasons: see ``simulator/scenarios/story.yaml``);
* copies the notebooks that ship with the package (:mod:`.notebooks`) into a working directory: ``--workdir DIR``
  (notebooks already there are kept), or by default a new ``vsphere-nb-demo-<date>-<time>`` folder in the current
  directory (in the temporary directory when the current one is not writable). JupyterLab's checkpoints, the runs
  (``runs/``) and any edits land there, never in the installed package or the repository, and the folder is kept
  when the demo stops (its path is printed at start and at exit);
* starts ``jupyter lab`` on the runbook, or ``voila`` on the app notebook (``--voila``: a header and the panels,
  nothing that acts on load), as a child process in its own session, bound to
  127.0.0.1, with token authentication ON (a token generated here, handed over in ``JUPYTER_TOKEN`` rather than on
  the command line where ``ps`` would show it), ``--allow-root`` when run as root, and fresh Jupyter/IPython/
  matplotlib state directories so nothing is read from or written to ``$HOME``;
* gives the kernel the simulator's address and demo credentials in ``VSPHERE_SERVER`` / ``VSPHERE_USER`` /
  ``VSPHERE_PASSWORD`` (loopback demo credentials, generated per run; never printed, never written to a file), so
  the runbook opens with the connection filled in;
* prints the URL (with the token) once the server answers, and opens a browser unless ``--no-browser``;
* on Ctrl-C or SIGTERM: terminates the child's whole process group (the server shuts its kernels down), kills what
  is left after a grace period, stops the simulator and removes its Jupyter state directory.

The helpers (:func:`jupyter_env`, :func:`lab_command`, :func:`voila_command`, :func:`wait_until_serving`,
:func:`stop_process_group`) are public because the browser tests start their servers the same way.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .notebooks import APP, RUNBOOK, check_target, copy_notebooks

__all__ = [
    "add_parser",
    "run",
    "RUNBOOK",
    "APP",
    "STORY_SCENARIO",
    "prepare_workdir",
    "free_port",
    "jupyter_env",
    "lab_command",
    "voila_command",
    "wait_until_serving",
    "stop_process_group",
]

#: the demo fleet: a scenario file shipped with the simulator
STORY_SCENARIO = Path(__file__).resolve().parents[1] / "simulator" / "scenarios" / "story.yaml"
#: seconds the server gets to start, then to stop after SIGTERM
START_TIMEOUT = 90.0
STOP_GRACE = 10.0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "demo",
        help="start the simulator and JupyterLab (or Voila) at the runbook",
        description="Start the embedded vCenter simulator and JupyterLab on 127.0.0.1, opened at the runbook with "
        "the connection filled in. Ctrl-C stops everything it started.",
    )
    p.add_argument("--port", type=int, default=8888, help="JupyterLab/Voila port, 0 = a free one (default 8888)")
    p.add_argument(
        "--voila", action="store_true", help="serve the app notebook (header + panels) with Voila instead of JupyterLab"
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.add_argument(
        "--scenario",
        default=str(STORY_SCENARIO),
        help="simulator scenario or a YAML/JSON file (default: the story fleet, simulator/scenarios/story.yaml)",
    )
    p.add_argument("--clusters", type=int, default=6, help="simulated clusters (default 6)")
    p.add_argument("--hosts-per-cluster", type=int, default=12, help="simulated hosts per cluster (default 12)")
    p.add_argument("--standalone-hosts", type=int, default=2, help="simulated standalone hosts (default 2)")
    p.add_argument("--seed", type=int, default=8, help="simulator seed (default 8: the story fleet's seed)")
    p.add_argument(
        "--time-scale",
        type=float,
        default=20.0,
        help="simulated seconds per real second (default 20: a task takes about 1 s)",
    )
    p.add_argument("--sim-port", type=int, default=0, help="simulator port, 0 = a free one (default 0)")
    p.add_argument(
        "--workdir",
        default=None,
        metavar="DIR",
        help="work in DIR, created if missing, and keep it (notebooks copied in unless already there); default: a "
        "new vsphere-nb-demo-<date>-<time> folder in the current directory",
    )
    p.set_defaults(func=run)
    return p


# ---------------------------------------------------------------------------------------------------------------
# building blocks (shared with the browser tests)
# ---------------------------------------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def jupyter_env(
    state_dir: str | os.PathLike[str],
    *,
    token: str,
    autosave: bool = True,
    extra: Mapping[str, str] | None = None,
    base: Mapping[str, str] | None = None,
    lab_settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, str]:
    """Environment for a Jupyter server whose every state directory lives under ``state_dir``.

    Fresh ``JUPYTER_CONFIG_DIR``, ``JUPYTER_DATA_DIR``, ``JUPYTER_RUNTIME_DIR``, ``JUPYTERLAB_SETTINGS_DIR``,
    ``JUPYTERLAB_WORKSPACES_DIR``, ``IPYTHONDIR``, ``MPLCONFIGDIR`` and ``XDG_*`` dirs: nothing is read from or
    written to ``$HOME`` (no stale workspace, no user extension changes what is served). Lab settings: the news
    feed and update checks off (no network), autosave as asked, plus ``lab_settings`` (plugin id →
    settings, e.g. ``{"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}``). The token goes in
    ``JUPYTER_TOKEN``.
    """
    state = Path(state_dir)
    dirs = {
        "JUPYTER_CONFIG_DIR": state / "config",
        "JUPYTER_DATA_DIR": state / "data",
        "JUPYTER_RUNTIME_DIR": state / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": state / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": state / "lab-workspaces",
        "IPYTHONDIR": state / "ipython",
        "MPLCONFIGDIR": state / "matplotlib",
        "XDG_CONFIG_HOME": state / "xdg-config",
        "XDG_DATA_HOME": state / "xdg-data",
        "XDG_CACHE_HOME": state / "xdg-cache",
        "XDG_RUNTIME_DIR": state / "xdg-runtime",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    os.chmod(dirs["XDG_RUNTIME_DIR"], 0o700)
    settings = dirs["JUPYTERLAB_SETTINGS_DIR"]
    _write_json(
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    _write_json(
        settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings", {"autosave": autosave}
    )
    for plugin, values in (lab_settings or {}).items():
        package, _, name = plugin.partition(":")
        _write_json(settings.joinpath(*package.split("/")) / f"{name}.jupyterlab-settings", dict(values))
    env = dict(os.environ if base is None else base)
    env.update({k: str(v) for k, v in dirs.items()})
    env["JUPYTER_TOKEN"] = token
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("JUPYTER_TOKEN_FILE", None)
    if extra:
        env.update(extra)
    return env


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_command(root_dir: str | os.PathLike[str], port: int, *extra_args: str) -> list[str]:
    """``jupyter lab`` on 127.0.0.1:``port`` serving ``root_dir`` (token from ``JUPYTER_TOKEN``)."""
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root_dir}",
        "--ServerApp.open_browser=False",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if _is_root():
        cmd.append("--allow-root")
    return [*cmd, *extra_args]


def voila_command(notebook: str | os.PathLike[str], port: int, *extra_args: str) -> list[str]:
    """``voila NOTEBOOK`` on 127.0.0.1:``port``; ``auto_token`` makes it take the token from ``JUPYTER_TOKEN``."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--Voila.auto_token=True",
        *extra_args,
    ]


def wait_until_serving(
    proc: subprocess.Popen[Any], url: str, *, timeout: float = START_TIMEOUT, tcp_only: bool = False
) -> None:
    """Wait until ``url`` answers (or, with ``tcp_only``, its port accepts connections — for Voila, whose pages
    each start a kernel). Raises :class:`ConfigError` when the process exits or the time runs out."""
    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    from urllib.parse import urlsplit

    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    import httpx

    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise ConfigError(
                f"the server exited with status {proc.returncode} before serving on port {parts.port} "
                "(port in use? see its messages above)"
            )
        try:
            if tcp_only:
                with socket.create_connection((parts.hostname, parts.port), timeout=1.0):
                    return
            elif httpx.get(url, timeout=2.0).status_code == 200:
                return
        except (OSError, httpx.HTTPError):
            pass
        if time.monotonic() > deadline:
            raise ConfigError(f"the server did not answer at {parts.scheme}://{parts.netloc} within {timeout:.0f} s")
        time.sleep(0.25)


def stop_process_group(proc: subprocess.Popen[Any], *, grace: float = STOP_GRACE) -> None:
    """SIGTERM the process group ``proc`` leads (it was started with ``start_new_session=True``), wait up to
    ``grace`` seconds, then SIGKILL the group. A Jupyter server shuts its kernels down on SIGTERM."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    # whatever is left in the group (the server, or children that outlived it)
    _signal_group(proc, signal.SIGKILL)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that survives SIGKILL
        pass


def _signal_group(proc: subprocess.Popen[Any], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# ---------------------------------------------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------------------------------------------
def _check_installed(voila: bool) -> None:
    needed = ["voila"] if voila else ["jupyterlab"]
    needed.append("ipykernel")
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"{', '.join(missing)} not installed: pip install 'vsphere-nb[lab]' (or run 'make demo')")


def prepare_workdir(workdir: str | os.PathLike[str] | None, *, now: datetime | None = None) -> Path:
    """The demo's working directory, with the notebooks in it. ``workdir``: that directory (created if missing;
    notebooks already there are kept, the others copied in); ``None``: a new ``vsphere-nb-demo-<date>-<time>``
    folder in the current directory (``-2``, ``-3`` … when taken), or in the temporary directory when the current
    one is not writable. Refuses the installed package, its notebooks' folder and site-packages. A folder created
    here is removed again when the copy fails."""
    if workdir is not None:
        copy_notebooks(workdir, existing="keep")
        return Path(workdir).expanduser().resolve()
    stamp = f"vsphere-nb-demo-{(now or datetime.now()):%Y%m%d-%H%M%S}"
    check_target(Path.cwd() / stamp)  # before anything is created there
    try:
        target = _new_dir(Path.cwd(), stamp)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        target = Path(tempfile.mkdtemp(prefix=f"{stamp}-"))
    try:
        copy_notebooks(target, existing="keep")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _new_dir(parent: Path, name: str) -> Path:
    for n in range(1, 1000):
        candidate = parent / (name if n == 1 else f"{name}-{n}")
        try:
            candidate.mkdir()
            return candidate.resolve()
        except FileExistsError:
            continue
    raise ConfigError(f"{parent}: too many {name}* folders; give --workdir")


def run(args: argparse.Namespace) -> int:
    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    from ..simulator import Simulator
    from ._terminal import safe_text

    for name in ("port", "sim_port", "clusters", "hosts_per_cluster", "standalone_hosts"):
        if getattr(args, name) < 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 0")
    if args.time_scale <= 0:
        raise ConfigError("--time-scale must be > 0")
    _check_installed(args.voila)

    sim = Simulator(
        scenario=args.scenario,
        clusters=args.clusters,
        hosts_per_cluster=args.hosts_per_cluster,
        standalone_hosts=args.standalone_hosts,
        seed=args.seed,
        time_scale=args.time_scale,
        port=args.sim_port,
    )
    stop = threading.Event()
    previous: dict[int, Any] = {}
    proc: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None
    state_dir = Path(tempfile.mkdtemp(prefix="vsphere-nb-demo-state-"))
    try:
        if threading.current_thread() is threading.main_thread():  # Ctrl-C and SIGTERM end the waits below
            previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        workdir = prepare_workdir(args.workdir)
        sim.start()
        print(
            f"vsphere-nb demo: simulator at {sim.url} (scenario {sim.scenario.name}, "
            f"{len(sim.inventory.hosts)} hosts, user {sim.user})",
            flush=True,
        )
        port = args.port or free_port()
        token = secrets.token_hex(24)
        env = jupyter_env(
            state_dir,
            token=token,
            extra={
                "VSPHERE_SERVER": sim.url,
                "VSPHERE_USER": sim.user,
                "VSPHERE_PASSWORD": sim.password,
                # names the simulator: the runbook launches its step-by-step batch only there (or when confirmed)
                "VSPHERE_NB_SIMULATOR": sim.url,
                # its clock: the app and the runbook run BatchLimits' defaults on it (BatchLimits.on_simulator_clock)
                "VSPHERE_NB_SIM_TIME_SCALE": str(args.time_scale),
                "VSPHERE_NB_RUNS": str(workdir / "runs"),
            },
        )
        base = f"http://127.0.0.1:{port}"
        if args.voila:
            cmd, what = voila_command(APP, port), "Voila"
            url, probe = f"{base}/?token={token}", base
        else:
            cmd, what = lab_command(workdir, port), "JupyterLab"
            url, probe = f"{base}/lab/tree/{RUNBOOK}?token={token}", f"{base}/api/status?token={token}"
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, start_new_session=True, stdin=subprocess.DEVNULL)
        _wait(proc, probe, args.voila, stop)
        if stop.is_set():
            return 130
        print(f"{what}: {url}", flush=True)
        print(f"working directory: {safe_text(workdir)} (the notebooks, and the runs under runs/; kept)", flush=True)
        print("Ctrl-C to stop the server, its kernels and the simulator.", flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        while not stop.wait(0.5):
            if proc.poll() is not None:
                print(f"vsphere-nb demo: {what} exited with status {proc.returncode}", file=sys.stderr)
                return 1
        return 0
    finally:
        if proc is not None:
            stop_process_group(proc)
        sim.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        kept = f"; working directory kept: {safe_text(workdir)}" if workdir is not None else ""
        print(f"vsphere-nb demo stopped{kept}", file=sys.stderr, flush=True)


def _wait(proc: subprocess.Popen[Any], probe: str, tcp_only: bool, stop: threading.Event) -> None:
    """:func:`wait_until_serving`, interruptible by Ctrl-C / SIGTERM while the server starts."""
    done: list[BaseException | None] = []

    def target() -> None:
        try:
            wait_until_serving(proc, probe, tcp_only=tcp_only)
            done.append(None)
        except BaseException as exc:
            done.append(exc)

    waiter = threading.Thread(target=target, name="vsphere-nb-demo-wait", daemon=True)
    waiter.start()
    while waiter.is_alive() and not stop.wait(0.2):
        pass
    if done and done[0] is not None:
        raise done[0]
