"""``vsphere-nb hosts``: the cluster hosts of a vCenter with their HA state, in one PropertyCollector pass.

A compact table by default (cluster, host, connection, maintenance, HA state, why the pre-flight skips it);
``--columns`` picks others (``--columns all``), ``-o json|csv|parquet|FILE`` writes every column for machines.
"""

from __future__ import annotations

import argparse

from ..vocabulary import UNHEALTHY
from ._connection import add_connection_args, connect_from_args
from ._output import add_output_args, check_output, write_frame

#: what the table shows unless ``--columns`` says otherwise (fits 120 columns with typical names)
DEFAULT_COLUMNS = (
    "cluster",
    "host",
    "connection_state",
    "in_maintenance",
    "das_state",
    "skip_reason",
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "hosts",
        help="list hosts with their vSphere HA state and eligibility",
        description="List hosts with their vSphere HA state and pre-flight eligibility.",
    )
    add_connection_args(p)
    p.add_argument("--cluster", action="append", default=[], metavar="NAME", help="only this cluster (repeatable)")
    p.add_argument("--only-unhealthy", action="store_true", help=f"only unhealthy hosts: {UNHEALTHY}")
    add_output_args(p, DEFAULT_COLUMNS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_output(args.output)
    with connect_from_args(args) as vc:
        frame = vc.hosts(clusters=args.cluster or None, only_unhealthy=args.only_unhealthy)
    write_frame(frame, args.output, columns=args.columns, default_columns=DEFAULT_COLUMNS)
    return 0
