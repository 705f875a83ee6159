"""``vsphere-nb report RUN_DIR [-o report.html]``: a self-contained HTML report of a run (tables + charts)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a run directory",
        description="Write a self-contained HTML report (tables and charts) of a run directory.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="HTML file, or a directory to write report.html into (default RUN_DIR)"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    from ..batch import load_run

    run = load_run(args.run_dir)
    out = Path(args.output) if args.output else Path(args.run_dir) / "report.html"
    path = run.report(out)
    print(f"report written: {path}")
    return 0
