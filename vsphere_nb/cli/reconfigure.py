"""``vsphere-nb reconfigure``: batch *Reconfigure for vSphere HA* with a plan, a confirmation and a progress bar.

Exit codes: 0 every launched host ended healthy; 1 some did not, the run stopped early, or it *detached* (Ctrl-C,
vCenter unreachable, journal unwritable: a line on stderr says how to resume it); 2 usage or connection errors
(one line on stderr).

Ctrl-C once stops launching and follows the running tasks to the end; twice detaches at once. Either way the run
directory can be resumed with ``--resume DIR``: nothing is launched twice.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._connection import add_connection_args, connect_from_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reconfigure",
        help="batch 'Reconfigure for vSphere HA' (dry run, caps, canary, journal)",
        description="Plan, confirm and run Reconfigure for vSphere HA on many hosts.",
    )
    add_connection_args(p)
    sel = p.add_argument_group("hosts")
    sel.add_argument("--cluster", action="append", default=[], metavar="NAME", help="only this cluster (repeatable)")
    sel.add_argument("--host", action="append", default=[], metavar="NAME", help="only this host name or moId")
    sel.add_argument("--only-unhealthy", action="store_true", help="only hosts whose HA agent is not healthy")
    lim = p.add_argument_group("safety")
    lim.add_argument("--max-in-flight", type=int, default=None, metavar="N", help="tasks in flight (default 32)")
    lim.add_argument("--per-cluster", type=int, default=None, metavar="N", help="tasks per cluster (default 4)")
    lim.add_argument(
        "--canary", type=int, default=None, metavar="N", help="launch N hosts first; continue if all succeed"
    )
    lim.add_argument("--max-failures", default=None, metavar="N|P%", help="stop launching after N failures or P%%")
    lim.add_argument("--task-timeout", type=float, default=None, metavar="S", help="per task (default 900 s)")
    lim.add_argument(
        "--post-check-timeout",
        type=float,
        default=None,
        metavar="S",
        help="wait this long for a healthy HA agent after success (default 300 s)",
    )
    run = p.add_argument_group("run")
    run.add_argument("--dry-run", action="store_true", help="show the plan and exit; launch nothing")
    run.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    run.add_argument("--run-dir", metavar="DIR", help="run directory (default runs/RUN_ID)")
    run.add_argument("--resume", metavar="DIR", help="re-attach to the run in DIR (launches nothing twice)")
    p.set_defaults(func=main)


def _limits(args: argparse.Namespace) -> Any:
    from ..batch import BatchLimits

    given = {
        k: v
        for k, v in {
            "max_in_flight": args.max_in_flight,
            "per_cluster": args.per_cluster,
            "canary": args.canary,
            "max_failures": args.max_failures,
            "task_timeout": args.task_timeout,
            "post_check_timeout": args.post_check_timeout,
        }.items()
        if v is not None
    }
    return BatchLimits(**given)


class _Bar:
    """A one-line progress bar on stderr (a plain line per update when stderr is not a terminal)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ""

    def __call__(self, progress: Any) -> None:
        width = 30
        filled = int(width * progress.fraction)
        line = f"[{'#' * filled}{'.' * (width - filled)}] {progress.line()}"
        if line == self.last:
            return
        self.last = line
        if self.tty:
            sys.stderr.write("\r" + line[:160].ljust(160))
            sys.stderr.flush()
        elif progress.finished:
            print(line, file=sys.stderr)

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def _print_plan(plan: Any) -> None:
    frame = plan.to_frame()
    launch = frame[frame["skip_reason"].isna()]
    skipped = frame[frame["skip_reason"].notna()]
    print(f"Plan: launch {len(launch)} host(s) in {launch['cluster'].nunique()} cluster(s); skip {len(skipped)}.")
    print(f"Limits: {plan.limits}")
    if len(launch):
        print(launch[["order", "cluster", "host", "das_state", "canary"]].to_string(index=False))
    if len(skipped):
        print("Skipped:")
        print(skipped[["cluster", "host", "skip_reason"]].to_string(index=False))


def _confirm(n: int) -> bool:
    if not sys.stdin.isatty():
        raise ConfigError("confirmation needed but stdin is not a terminal: pass --yes (or --dry-run)")
    answer = input(f"Launch Reconfigure for vSphere HA on {n} host(s)? [y/N] ").strip().lower()
    return answer in ("y", "yes")


def _exit_code(run: Any) -> int:
    from ..batch.frames import latest_attempts

    if run.lifecycle != "finished":
        return 1
    tasks = run.tasks
    launched = tasks[tasks["attempt"] > 0] if len(tasks) else tasks
    if not len(launched):
        return 0
    latest = latest_attempts(launched)
    return 0 if (latest["outcome"].astype(str) == "success").all() else 1


def _report(run: Any) -> None:
    counts = run.summary()
    print("Outcomes: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    if run.stop_reason:
        print(f"Stopped: {run.stop_reason}")
    for text in getattr(run, "warnings", []) or []:
        print(f"warning: {text}", file=sys.stderr)
    print(f"Run directory: {run.run_dir}")
    if run.lifecycle == "detached":
        print(
            f"Run detached: {run.detached_reason or 'not finished'}. Finish it with: "
            f"vsphere-nb reconfigure --resume {run.run_dir} --server SERVER --user USER",
            file=sys.stderr,
        )


def _check_run_dirs(args: argparse.Namespace) -> None:
    """Refuse a bad ``--resume``/``--run-dir`` before connecting: a typo must not cost a login and an inventory."""
    from ..batch import read_journal

    if args.resume:
        read_journal(args.resume)  # RunDirectoryError: one clear line
        return
    if args.run_dir and not args.dry_run:
        directory = Path(args.run_dir)
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise ConfigError(f"run directory {directory} is not empty (choose another, or --resume it)")


def main(args: argparse.Namespace) -> int:
    from ..batch.execute import resume

    _check_run_dirs(args)
    limits = None if args.resume else _limits(args)
    with connect_from_args(args) as vc:
        if args.resume:
            bar = _Bar()
            try:
                run = resume(args.resume, vc, progress=bar).wait()
            finally:
                bar.close()
            _report(run)
            return _exit_code(run)
        hosts = vc.hosts(
            clusters=args.cluster or None, host_names=args.host or None, only_unhealthy=args.only_unhealthy
        )
        plan = vc.plan_reconfigure(hosts, limits)
        _print_plan(plan)
        if args.dry_run:
            print("Dry run: nothing launched.")
            return 0
        if not len(plan):
            print("Nothing to launch.")
            return 0
        if not args.yes and not _confirm(len(plan)):
            print("Not confirmed: nothing launched.")
            return 0
        bar = _Bar()
        try:
            run = plan.execute(progress=bar, run_dir=args.run_dir)
        finally:
            bar.close()
        _report(run)
        return _exit_code(run)
