"""``vsphere-nb hosts``: the cluster hosts of a vCenter with their HA state, in one PropertyCollector pass."""

from __future__ import annotations

import argparse

from ._connection import add_connection_args, connect_from_args
from ._output import write_frame


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "hosts",
        help="list hosts with their vSphere HA state and eligibility",
        description="List hosts with their vSphere HA state and pre-flight eligibility.",
    )
    add_connection_args(p)
    p.add_argument("--cluster", action="append", default=[], metavar="NAME", help="only this cluster (repeatable)")
    p.add_argument("--only-unhealthy", action="store_true", help="only hosts whose HA agent is not healthy")
    p.add_argument("-o", "--output", metavar="FILE", help=".csv, .parquet or .json (default: a table on stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with connect_from_args(args) as vc:
        frame = vc.hosts(clusters=args.cluster or None, only_unhealthy=args.only_unhealthy)
    write_frame(frame, args.output)
    return 0
