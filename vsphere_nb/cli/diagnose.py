"""``vsphere-nb diagnose``: why HA is broken, host by host — live from a vCenter, or offline from a run directory.

Exit codes: 0 nothing to diagnose (every HA host healthy), 1 hosts were diagnosed, 2 usage or connection errors.
"""

from __future__ import annotations

import argparse
import json

from ._connection import add_connection_args, connect_from_args
from ._output import write_frame
from ._text import printable_frame

#: columns of the hosts table on stdout
TABLE_COLUMNS = ["cluster", "host", "das_state", "cause", "confidence", "scope", "next_step"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diagnose",
        help="why vSphere HA is broken on each unhealthy or failed host",
        description=(
            "Diagnose every unhealthy or failed host: cause, confidence, scope, evidence and next step. With --server "
            "it reads the fleet, the clusters and the HA history; with only --run-dir it works offline on a saved run."
        ),
    )
    add_connection_args(p)
    for action in p._actions:  # the server is optional here: a saved run can be diagnosed offline
        if action.dest == "server":
            action.required = False
    p.add_argument("--run-dir", metavar="DIR", help="a run directory: its attempts and events are used")
    p.add_argument("--since", default="72h", help="HA history window (with --server; default 72h)")
    p.add_argument("--rules", metavar="FILE", help="a site rule file (YAML) merged with the built-in rules")
    p.add_argument("--save", action="store_true", help="also write diagnosis.parquet/.csv into --run-dir")
    p.add_argument("-o", "--output", metavar="FILE", help=".csv, .parquet or .json (default: tables on stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    from ..batch.result import load_run
    from ..diagnosis import diagnose
    from ..errors import ConfigError

    if not args.server and not args.run_dir:
        raise ConfigError("give --server (live) or --run-dir (offline), or both")
    if args.save and not args.run_dir:
        raise ConfigError("--save writes into the run directory: give --run-dir")
    run_result = load_run(args.run_dir) if args.run_dir else None
    if args.server:
        with connect_from_args(args) as vc:
            result = vc.diagnose(run=run_result, since=args.since, rules=args.rules)
    else:
        result = diagnose(None, run=run_result, rules=args.rules)
    if args.save:
        result.save(args.run_dir)
    frame = result.hosts
    if args.output and args.output != "-":
        out = frame.copy()
        if not args.output.lower().endswith(".json"):
            out["evidence"] = [json.dumps(list(e), ensure_ascii=False) for e in out["evidence"]]
        write_frame(out, args.output)
    else:
        if len(result.summary):
            write_frame(printable_frame(result.summary[["cause", "hosts", "clusters", "scope", "example_host"]]), None)
            print()
        write_frame(printable_frame(frame[TABLE_COLUMNS]), None)
    return 1 if len(frame) else 0
