"""``vsphere-nb simulate``: run the embedded vCenter simulator until Ctrl-C or SIGTERM.

Prints ``vsphere-nb simulator listening on URL`` then ``user: NAME`` and ``password: SECRET`` (demo credentials
of a loopback simulator, generated per run unless ``VSPHERE_NB_SIM_PASSWORD`` is set), the read-only user's,
and ``ca file: PATH`` with ``--tls``.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading

from ..errors import ConfigError

__all__ = ["add_parser", "run"]


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "simulate",
        help="run the embedded vCenter simulator (VI/JSON over HTTP)",
        description="Run the embedded vCenter simulator until Ctrl-C. Scenarios: healthy, mixed, flaky, "
        "agent-slow, network-partition, esx, or a YAML/JSON file.",
    )
    net = p.add_argument_group("serving")
    net.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    net.add_argument("--port", type=int, default=0, help="port, 0 = a free one (default 0)")
    net.add_argument("--tls", action="store_true", help="serve HTTPS with a certificate generated at start")
    net.add_argument("--tls-dir", default=None, help="where to write ca.pem and the server certificate")
    inv = p.add_argument_group("inventory")
    inv.add_argument("--datacenters", type=int, default=1)
    inv.add_argument("--clusters", type=int, default=4, help="clusters per datacenter (default 4)")
    inv.add_argument("--hosts-per-cluster", type=int, default=8)
    inv.add_argument("--standalone-hosts", type=int, default=2, help="standalone hosts per datacenter (default 2)")
    inv.add_argument("--host-name-style", choices=("vcsim", "fqdn"), default="vcsim")
    beh = p.add_argument_group("behaviour")
    beh.add_argument("--scenario", default="mixed", help="built-in scenario name or a YAML/JSON file (default mixed)")
    beh.add_argument("--seed", type=int, default=0)
    beh.add_argument("--task-seconds", type=_positive, default=None, help="simulated task duration (default 20)")
    beh.add_argument(
        "--time-scale", type=_positive, default=10.0, help="simulated seconds per real second (default 10)"
    )
    beh.add_argument("--max-active-tasks", type=int, default=640)
    beh.add_argument("--mode", choices=("vcenter", "esx"), default=None)
    beh.add_argument(
        "--vcenter-version",
        "--version",
        dest="sim_version",
        default="8.0.3",
        help="vCenter version to simulate: 8.0.1, 8.0.2, 8.0.3, 9.0.0, 9.1.0 or 9.1.1 (default 8.0.3)",
    )
    beh.add_argument("--not-authenticated-status", type=int, choices=(500, 401, 403), default=500)
    beh.add_argument(
        "--empty-answer-status",
        type=int,
        choices=(200, 204),
        default=200,
        help="how WaitForUpdatesEx answers a timeout: 200 with an empty body or 204",
    )
    beh.add_argument(
        "--session-idle-timeout",
        type=_positive,
        default=1800.0,
        help="seconds an unused session lives (default 1800, vCenter's 30 minutes)",
    )
    beh.add_argument(
        "--max-sessions",
        type=int,
        default=2000,
        help="sessions that may exist at once; a login beyond answers 503 (default 2000, as vpxd)",
    )
    chaos = p.add_argument_group("chaos")
    chaos.add_argument("--latency", type=_non_negative, default=0.0, help="seconds added to every answer")
    chaos.add_argument("--jitter", type=_non_negative, default=0.0, help="up to this many more seconds, random")
    chaos.add_argument("--http-503-rate", type=_probability, default=0.0, help="probability of a 503")
    chaos.add_argument(
        "--drop-rate", type=_probability, default=0.0, help="probability of closing the connection without an answer"
    )
    chaos.add_argument("--session-lifetime", type=_positive, default=None, help="seconds until a session expires")
    chaos.add_argument(
        "--restart-every",
        type=_positive,
        default=None,
        help="restart the server every N seconds (sessions lost, tasks continue)",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    from ..simulator import Simulator

    for name in ("port", "datacenters", "clusters", "hosts_per_cluster", "standalone_hosts", "max_active_tasks"):
        if getattr(args, name) < 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 0")
    sim = Simulator(
        bind=args.bind,
        port=args.port,
        tls=args.tls,
        tls_dir=args.tls_dir,
        datacenters=args.datacenters,
        clusters=args.clusters,
        hosts_per_cluster=args.hosts_per_cluster,
        standalone_hosts=args.standalone_hosts,
        host_name_style=args.host_name_style,
        scenario=args.scenario,
        seed=args.seed,
        task_seconds=args.task_seconds,
        time_scale=args.time_scale,
        max_active_tasks=args.max_active_tasks,
        mode=args.mode,
        version=args.sim_version,
        not_authenticated_status=args.not_authenticated_status,
        empty_answer_status=args.empty_answer_status,
        session_idle_timeout=args.session_idle_timeout,
        max_sessions=args.max_sessions,
        latency=args.latency,
        jitter=args.jitter,
        http_503_rate=args.http_503_rate,
        drop_rate=args.drop_rate,
        session_lifetime=args.session_lifetime,
        restart_every=args.restart_every,
        password=os.environ.get("VSPHERE_NB_SIM_PASSWORD") or None,
    )
    # a dedicated process: keep the (large, long-lived) inventory out of every garbage collection
    gc.collect()
    gc.freeze()
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if _main_thread() else None
    try:
        sim.start()
        print(f"vsphere-nb simulator listening on {sim.url}")
        print(f"user: {sim.user}")
        print(f"password: {sim.password}")
        print(f"readonly user: {sim.readonly_user}")
        print(f"readonly password: {sim.readonly_password}")
        if sim.ca_file:
            print(f"ca file: {sim.ca_file}")
        print(
            f"scenario: {sim.scenario.name}, {len(sim.inventory.hosts)} hosts, mode {sim.vc.mode}; Ctrl-C to stop",
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("vsphere-nb simulator stopped", file=sys.stderr)
    return 0


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
