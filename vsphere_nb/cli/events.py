"""``vsphere-nb events``: the HA event history of a window (one event collector), as a table or a file."""

from __future__ import annotations

import argparse
import sys
import warnings

from ._connection import add_connection_args, connect_from_args
from ._output import write_frame
from ._text import printable_frame

#: columns of the table on stdout (files get every column)
TABLE_COLUMNS = ["created_time", "cluster", "host", "category", "event_type_id", "severity", "message"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "events",
        help="the vSphere HA event history of a time window",
        description="The vSphere HA event history of a time window, read with one event collector.",
    )
    add_connection_args(p)
    p.add_argument("--since", default="24h", help="a duration back from the server's clock (30m, 24h, 7d) or a date")
    p.add_argument("--until", default=None, help="end of the window (a duration back or a date; default: now)")
    p.add_argument("--cluster", action="append", default=[], metavar="NAME", help="only this cluster (repeatable)")
    p.add_argument("--host", action="append", default=[], metavar="NAME", help="only this host (repeatable)")
    p.add_argument(
        "--types", default="ha", help="'ha' (the HA types the server describes), 'all', or a comma-separated list"
    )
    p.add_argument("--max-events", type=int, default=None, metavar="N", help="stop after N events (with a warning)")
    p.add_argument("-o", "--output", metavar="FILE", help=".csv, .parquet or .json (default: a table on stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    types = args.types if args.types in ("ha", "all") else [t.strip() for t in args.types.split(",") if t.strip()]
    with connect_from_args(args) as vc, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        frame = vc.events(
            clusters=args.cluster or None,
            hosts=args.host or None,
            since=args.since,
            until=args.until,
            types=types,
            max_events=args.max_events,
        )
    for w in caught:
        print(f"vsphere-nb: warning: {w.message}", file=sys.stderr)
    if args.output and args.output != "-":
        write_frame(frame, args.output)
    else:
        write_frame(printable_frame(frame[TABLE_COLUMNS]), None)
    return 0
