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

from ..batch.limits import BatchLimits
from ..errors import ConfigError
from ..vocabulary import UNHEALTHY
from ._connection import add_connection_args, connect_from_args
from ._output import add_output_args, check_output, write_frame

#: plan columns written by ``--dry-run -o json|csv|FILE`` and shown by ``--dry-run --columns``
PLAN_COLUMNS = ("order", "cluster", "host", "das_state", "cause", "reconfigure_fixes", "flag", "canary", "skip_reason")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "reconfigure",
        help="batch 'Reconfigure for vSphere HA' (dry run, caps, canary, journal)",
        description="Plan, confirm and run Reconfigure for vSphere HA on many hosts.",
    )
    add_connection_args(p)
    sel = p.add_argument_group("hosts")
    sel.add_argument("--cluster", action="append", default=[], metavar="NAME", help="only this cluster (repeatable)")
    sel.add_argument("--host", action="append", default=[], metavar="NAME", help="only this host name or moId")
    sel.add_argument("--only-unhealthy", action="store_true", help=f"only unhealthy hosts: {UNHEALTHY}")
    lim = p.add_argument_group("safety (defaults: BatchLimits)")
    d = BatchLimits()
    lim.add_argument(
        "--max-in-flight", type=int, default=None, metavar="N", help=f"tasks in flight (default {d.max_in_flight})"
    )
    lim.add_argument(
        "--per-cluster", type=int, default=None, metavar="N", help=f"tasks per cluster (default {d.per_cluster})"
    )
    lim.add_argument(
        "--canary",
        type=int,
        default=None,
        metavar="N",
        help=f"launch N hosts first; continue if all succeed (default {d.canary})",
    )
    lim.add_argument("--max-failures", default=None, metavar="N|P%", help="stop launching after N failures or P%%")
    lim.add_argument(
        "--task-timeout", type=float, default=None, metavar="S", help=f"per task (default {d.task_timeout:g} s)"
    )
    lim.add_argument(
        "--post-check-timeout",
        type=float,
        default=None,
        metavar="S",
        help=f"wait this long for a healthy HA agent after success (default {d.post_check_timeout:g} s)",
    )
    run = p.add_argument_group("run")
    run.add_argument("--dry-run", action="store_true", help="show the plan and exit; launch nothing")
    run.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    run.add_argument(
        "--include-flagged",
        action="store_true",
        help="also launch hosts the diagnosis says a reconfigure will not help (healthy, or a cause to fix first)",
    )
    run.add_argument(
        "--no-diagnose", action="store_true", help="plan without diagnosing the hosts first (no causes, no flags)"
    )
    run.add_argument("--run-dir", metavar="DIR", help="run directory (default runs/RUN_ID)")
    run.add_argument("--resume", metavar="DIR", help="re-attach to the run in DIR (launches nothing twice)")
    add_output_args(p, PLAN_COLUMNS, what="with --dry-run, the plan as: ")
    p.set_defaults(func=main)


def _limits(args: argparse.Namespace) -> Any:
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


def _confirm(n: int) -> bool:
    if not sys.stdin.isatty():
        raise ConfigError("confirmation needed but stdin is not a terminal: pass --yes (or --dry-run)")
    answer = input(f"Launch Reconfigure for vSphere HA on {n} host{'' if n == 1 else 's'}? [y/N] ").strip().lower()
    return answer in ("y", "yes")


def _confirm_flagged(n: int) -> bool:
    """The second confirmation, for hosts a reconfigure will not help."""
    answer = input(f"{n} of them will not be helped by a reconfigure (see the warning above). Launch those too? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _exit_code(run: Any) -> int:
    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    from ..batch.frames import latest_attempts

    if run.lifecycle != "finished":
        return 1
    tasks = run.tasks
    launched = tasks[tasks["attempt"] > 0] if len(tasks) else tasks
    if not len(launched):
        return 0
    latest = latest_attempts(launched)
    return 0 if (latest["outcome"].astype(str) == "success").all() else 1


def _check_run_dirs(args: argparse.Namespace) -> None:
    """Refuse a bad ``--resume``/``--run-dir`` before connecting: a typo must not cost a login and an inventory."""
    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    from ..batch import read_journal

    if args.resume:
        read_journal(args.resume)  # RunDirectoryError: one clear line
        return
    if args.run_dir and not args.dry_run:
        directory = Path(args.run_dir)
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise ConfigError(f"run directory {directory} is not empty (choose another, or --resume it)")


def _run(start: Any) -> Any:
    """Run ``start(progress)`` with the live progress display, ended however the run ends."""
    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    from ._run_view import LiveProgress

    display = LiveProgress()
    try:
        return start(display)
    finally:
        display.close()


def main(args: argparse.Namespace) -> int:
    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    from ..batch.execute import resume
    from ._plan_view import print_plan
    from ._run_view import print_summary
    from ._terminal import console

    _check_run_dirs(args)
    machine = (args.output or "table").lower() != "table"
    if machine and not args.dry_run:
        raise ConfigError("-o/--output writes the plan: use it with --dry-run")
    check_output(args.output)
    limits = None if args.resume else _limits(args)
    out = console()
    with connect_from_args(args) as vc:
        if args.resume:
            run = _run(lambda progress: resume(args.resume, vc, progress=progress).wait())
            print_summary(run, out)
            return _exit_code(run)
        hosts = vc.hosts(
            clusters=args.cluster or None, host_names=args.host or None, only_unhealthy=args.only_unhealthy
        )
        diagnosis = None if args.no_diagnose or not len(hosts) else vc.diagnose(hosts)
        plan = vc.plan_reconfigure(hosts, limits, diagnosis=diagnosis)
        if machine:
            frame = plan.to_frame()
            write_frame(frame, args.output, columns=args.columns or "all", default_columns=PLAN_COLUMNS)
            return 0
        if args.columns:
            write_frame(plan.to_frame(), "table", columns=args.columns, default_columns=PLAN_COLUMNS)
        else:
            print_plan(plan, out)
        if args.dry_run:
            out.print("Dry run: nothing launched.")
            return 0
        if not len(plan):
            out.print("Nothing to launch.")
            return 0
        if not args.yes and not _confirm(len(plan)):
            out.print("Not confirmed: nothing launched.")
            return 0
        flagged = len(plan.plan.flagged)
        include = args.include_flagged or (flagged and not args.yes and _confirm_flagged(flagged))
        if flagged and not include:
            plan = plan.without_flagged()
            out.print(f"Left out {flagged} flagged host(s) (--include-flagged launches them too).")
            if not len(plan):
                out.print("Nothing else to launch.")
                return 0
        run = _run(
            lambda progress: plan.execute(progress=progress, run_dir=args.run_dir, confirm_flagged=bool(include))
        )
        print_summary(run, out)
        return _exit_code(run)
