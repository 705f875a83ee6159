"""Where a subcommand's DataFrame goes: a compact table for people, or JSON/CSV/Parquet for machines.

``-o/--output`` takes a format or a file:

* ``table`` (default): a ``rich`` table of the default columns (``--columns`` to choose, ``--columns all``);
  when the columns chosen cannot fit side by side, one block of ``column  value`` lines per row instead;
* ``json`` / ``csv``: every column (or ``--columns``) on stdout — JSON is a list of records with ``null`` for missing
  values and ISO-8601 times, CSV has empty fields for missing values;
* ``parquet``: on stdout only when stdout is not a terminal (it is binary);
* ``FILE.json`` / ``FILE.csv`` / ``FILE.parquet``: that file, format from the suffix (Parquet keeps the dtypes).

Data for machines is written as it is; text meant for a terminal is neutralised (see :mod:`._terminal`): CSV
written to a terminal shows control characters as escapes, CSV into a pipe or file keeps the exact values.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "add_output_args", "choose_columns", "write_frame"]

#: what ``-o`` accepts besides a file name
FORMATS = ("table", "json", "csv", "parquet")
_SUFFIXES = (".csv", ".parquet", ".json")


def add_output_args(parser: argparse.ArgumentParser, default_columns: Sequence[str], *, what: str = "") -> None:
    """``-o/--output`` and ``--columns``; ``what`` starts the help text (for example "with --dry-run, the plan: ")."""
    parser.add_argument(
        "-o",
        "--output",
        default="table",
        metavar="FORMAT|FILE",
        help=what + "table (default), json, csv, parquet, or a .json/.csv/.parquet file",
    )
    parser.add_argument(
        "--columns",
        default=None,
        metavar="A,B,...",
        help=f"columns to show, comma-separated, or 'all' (default: {', '.join(default_columns)})",
    )


def choose_columns(frame: pd.DataFrame, columns: str | None, default: Sequence[str]) -> list[str]:
    """The columns ``--columns`` names (``all``: every column); unknown names are one clear error."""
    if columns is None:
        return [c for c in default if c in frame.columns]
    if columns.strip().lower() == "all":
        return list(frame.columns)
    wanted = [c.strip() for c in columns.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in frame.columns]
    if unknown or not wanted:
        raise ConfigError(
            f"unknown column(s) {', '.join(map(repr, unknown)) or '(none given)'}; choose from: "
            + ", ".join(frame.columns)
        )
    return list(dict.fromkeys(wanted))


def _check_file(path: Path) -> None:
    if path.suffix.lower() not in _SUFFIXES:
        raise ConfigError(
            f"output must be table, json, csv, parquet or end in .csv, .parquet or .json, not {path.name!r}"
        )
    if path.parent and not path.parent.exists():
        raise ConfigError(f"output folder does not exist: {path.parent}")


def check_output(output: str | None) -> None:
    """Refuse a bad ``-o`` before any work (connecting, collecting)."""
    target = output or "table"
    if target.lower() in FORMATS or target == "-":
        if target.lower() == "parquet" and sys.stdout.isatty():
            raise ConfigError("Parquet is binary: redirect stdout or give a file name (-o hosts.parquet)")
        return
    _check_file(Path(target))


def write_frame(
    frame: pd.DataFrame,
    output: str | None,
    *,
    columns: str | None = None,
    default_columns: Sequence[str] = (),
    title: str | None = None,
) -> None:
    """Write ``frame`` as ``-o`` asks (see the module doc)."""
    target = output or "table"
    kind = target.lower()
    if kind in ("table", "-"):
        # lazy: a command loads what it needs when it runs, so --help and --version stay fast
        from ._terminal import console, fits, frame_records, frame_table

        chosen = choose_columns(frame, columns, default_columns or list(frame.columns))
        out = console()
        if not len(frame):
            out.print("(no rows)")
            return
        if fits(frame, chosen, out.width):
            out.print(frame_table(frame, chosen, title=title))
        else:  # too many columns side by side: one block per row
            out.print(frame_records(frame, chosen))
        return
    check_output(target)
    chosen = choose_columns(frame, columns, list(frame.columns))
    data = frame[chosen]
    if kind == "json":
        sys.stdout.write(data.to_json(orient="records", date_format="iso", indent=1) + "\n")
    elif kind == "csv":
        if sys.stdout.isatty():
            # lazy: a command loads what it needs when it runs, so --help and --version stay fast
            from ._terminal import safe_text

            data = data.map(lambda v: safe_text(v) if isinstance(v, str) else v)
        data.to_csv(sys.stdout, index=False)
    elif kind == "parquet":
        sys.stdout.flush()
        data.to_parquet(sys.stdout.buffer, index=False)
    else:
        path = Path(target)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            data.to_csv(path, index=False)
        elif suffix == ".parquet":
            data.to_parquet(path, index=False)
        else:
            data.to_json(path, orient="records", date_format="iso", indent=1)
