"""``vsphere-nb events``: the HA event history of a window (one event collector), as a table or a file.

The table reads like a log: the message first, then the host, a compact time (``MM-DD HH:MM:SS`` UTC; the year
when the window spans more than one) and the event's category coloured by severity — one line per event where the
message fits, never more than :data:`MAX_LINES` (a longer message ends with "…"; ``-o FILE`` keeps every column
and the full text).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import warnings
from typing import Any

from ..tables.palette import SEVERITY_COLORS, TERMINAL_STYLES
from ..vocabulary import label
from ._connection import add_connection_args, connect_from_args
from ._output import write_frame
from ._text import printable_frame

#: columns of the table on stdout (files get every column)
TABLE_COLUMNS = ["message", "host", "created_time", "category"]
#: lines a message may take in the table
MAX_LINES = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        # lazy: rich loads only when a table is printed, so --help and -o FILE stay light
        from ._terminal import console

        out = console()
        out.print(events_table(frame, out.width) if len(frame) else "(no events)")
    return 0


def _wrapped(text: str, width: int, lines: int = MAX_LINES) -> str:
    """``text`` in at most ``lines`` lines of ``width`` (broken at spaces; the last line cut with "…")."""
    width = max(width, 8)
    parts = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]
    if len(parts) > lines:
        last = " ".join(parts[lines - 1 :])
        parts = parts[: lines - 1] + [last[: width - 1].rstrip() + "…"]
    return "\n".join(parts)


def events_table(frame: Any, width: int) -> Any:
    """The events of ``frame`` as a ``width``-wide table (see the module doc)."""
    # lazy: rich loads only when a table is printed, so --help and -o FILE stay light
    from rich.table import Table
    from rich.text import Text

    times = frame["created_time"]
    years = {t.year for t in times.dropna()}
    fmt = "%m-%d %H:%M:%S" if len(years) <= 1 else "%Y-%m-%d %H:%M:%S"
    view = printable_frame(frame[["message", "host", "category", "severity"]], limit=10_000)
    hosts = [str(h) if isinstance(h, str) else "" for h in view["host"].astype(object)]
    cats = [str(c) if isinstance(c, str) else "" for c in view["category"].astype(object)]
    host_w = min(max([len(h) for h in hosts] + [len(label("host"))]), 24)
    cat_w = max([len(c) for c in cats] + [len(label("category"))])
    time_w = len(times.dropna().iloc[0].strftime(fmt)) if times.notna().any() else 14
    message_w = max(width - host_w - time_w - cat_w - 3 * 2, 20)
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0), width=width)
    table.add_column(label("message"), width=message_w, no_wrap=True, overflow="crop")
    table.add_column(label("host"), width=host_w, no_wrap=True, overflow="ellipsis")
    table.add_column(f"{label('created_time')} (UTC)", width=time_w, no_wrap=True)
    table.add_column(label("category"), width=cat_w, no_wrap=True)
    severities = [str(s) if isinstance(s, str) else "" for s in view["severity"].astype(object)]
    for message, host, when, cat, sev in zip(view["message"].astype(object), hosts, times, cats, severities):
        text = message if isinstance(message, str) else ""
        table.add_row(
            Text(_wrapped(text, message_w)),
            Text(host),
            Text("" if when is None or when != when else when.strftime(fmt), style="dim"),
            Text(cat, style=TERMINAL_STYLES[sev] if sev in SEVERITY_COLORS else ""),
        )
    return table
