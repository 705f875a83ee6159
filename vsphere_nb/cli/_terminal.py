"""The terminal side of the CLI: safe text, a ``rich`` console, DataFrames as compact tables.

**Safe text.** Names, messages and reasons come from vCenter and may hold anything: ``ESC ] 0 ; … BEL`` retitles
the terminal, other escape sequences move the cursor or hide text, U+202E reverses what follows, a NUL or a lone
surrogate breaks the output. :func:`safe_text` shows every such character as a visible escape (``\\x1b``,
``\\u202e``) and folds line breaks and tabs to a space, so one cell stays one line and nothing reaches the terminal
as a control. Every string printed for a person goes through it (tables, the plan, the summary, errors, logs).

**Tables.** :func:`frame_table` turns a DataFrame into a ``rich`` table: missing values are empty cells (never
``NaN``/``<NA>``), booleans are ``yes``/empty, lists are joined with ``, ``, times are UTC without microseconds.
Outcome and HA-state cells are coloured from :mod:`vsphere_nb.tables.palette` (the charts' colours); ``NO_COLOR`` turns
colour off (``rich`` honours it). When stdout is not a terminal the table is laid out for ``COLUMNS`` (default
120) so piped output stays readable; machines should ask for ``-o json``/``csv`` instead.

pandas is imported only by the functions that take a frame.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..safetext import visible
from ..tables import palette as style
from ..vocabulary import COLUMN_LABELS, label

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "safe_text",
    "console",
    "cell_text",
    "frame_table",
    "frame_records",
    "fits",
    "styled",
    "DEFAULT_WIDTH",
    "NO_WRAP",
]

#: layout width when the output is not a terminal and ``COLUMNS`` is not set
DEFAULT_WIDTH = 120


def safe_text(value: Any) -> str:
    """``value`` as text that cannot act on a terminal: control, format (bidi), surrogate and line-separator
    characters become visible escapes; tabs and line breaks become a space (:func:`vsphere_nb.safetext.visible`)."""
    return visible(value)


def console(file: IO[str] | None = None) -> Console:
    """A console on ``file`` (stdout by default). Not a terminal: no colour, ``COLUMNS`` or 120 wide, no wrapping
    at an 80-column guess. ``NO_COLOR`` and ``FORCE_COLOR`` work as everywhere else."""
    stream = file if file is not None else sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    width = None
    if not tty:
        try:
            width = int(os.environ.get("COLUMNS") or DEFAULT_WIDTH)
        except ValueError:
            width = DEFAULT_WIDTH
    # soft_wrap: a plain line (a run directory's path, a resume command) is never broken to fit the width;
    # tables are laid out for the width all the same
    return Console(file=stream, width=width, highlight=False, emoji=False, markup=False, soft_wrap=True)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        # lazy: a command loads what it needs when it runs, so --help and --version stay fast
        import pandas as pd

        result = pd.isna(value)
        return bool(result) if isinstance(result, bool) or getattr(result, "ndim", 1) == 0 else False
    except (ImportError, TypeError, ValueError):
        return False


def cell_text(value: Any) -> str:
    """The text of one cell: empty for missing values, ``yes`` / empty for booleans, lists joined, times in UTC."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):
        return "yes" if value else ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return ", ".join(cell_text(v) for v in value if not _missing(v))
    if _missing(value):
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") + ("Z" if value.utcoffset() is not None else "")
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    return safe_text(value)


#: columns that never wrap (short values; wrapping them would cut a name or state in two)
NO_WRAP = (
    "cluster",
    "host",
    "order",
    "outcome",
    "state",
    "das_state",
    "connection_state",
    "attempt",
    "hosts",
    "in_maintenance",
    "eligible",
)


#: the header of each column: its one label (:data:`vsphere_nb.vocabulary.COLUMN_LABELS`); ``--columns`` still
#: takes the column names
HEADERS = COLUMN_LABELS


def styled(column: str, text: str) -> Text:
    """``text`` as a ``rich`` Text coloured like everywhere else (:data:`vsphere_nb.tables.palette.TERMINAL_STYLES`):
    outcomes and live states by name, HA agent states green when healthy, yellow on their way (an election, a
    retry), red when broken."""
    if column in ("outcome", "state") and text in style.TERMINAL_STYLES:
        return Text(text, style=style.TERMINAL_STYLES[text])
    health = style.ha_health(text) if column.startswith("das_state") else None
    if health is not None:
        return Text(text, style=style.TERMINAL_STYLES[health])
    return Text(text)


def frame_table(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
    no_wrap: Iterable[str] = NO_WRAP,
    max_rows: int | None = None,
) -> Table:
    """``frame`` (its ``columns``, all by default) as a compact ``rich`` table; ``max_rows`` cuts it with a note."""
    columns = list(frame.columns if columns is None else columns)
    keep = set(no_wrap)
    table = Table(
        title=safe_text(title) if title else None, title_justify="left", box=None, header_style="bold", pad_edge=False
    )
    for column in columns:
        numeric = str(frame[column].dtype) in ("int64", "Int64", "float64", "Float64", "int32")
        table.add_column(
            label(column),
            justify="right" if numeric else "left",
            no_wrap=column in keep,
            overflow="ellipsis" if column in keep else "fold",
        )
    shown = frame if max_rows is None else frame.head(max_rows)
    values = [shown[c].tolist() for c in columns]
    for row in zip(*values) if columns else ():
        table.add_row(*(styled(c, cell_text(v)) for c, v in zip(columns, row)))
    if max_rows is not None and len(frame) > max_rows:
        table.caption = f"{max_rows} of {len(frame)} rows shown"
        table.caption_justify = "left"
    return table


def fits(frame: pd.DataFrame, columns: Sequence[str], width: int) -> bool:
    """Whether ``columns`` can be a readable table ``width`` wide: every column at least as wide as its header and
    its values up to 12 characters (beyond that, text wraps), two spaces between columns."""
    needed = 2 * max(len(columns) - 1, 0)
    sample = frame.head(200)
    for column in columns:
        header = len(label(column))
        longest = max((len(cell_text(v)) for v in sample[column].tolist()), default=0)
        needed += max(header, min(longest, 12))
    return needed <= width


def frame_records(frame: pd.DataFrame, columns: Sequence[str]) -> Table:
    """``frame`` as one block of ``column  value`` lines per row (like ``psql -x``): for more columns than fit
    side by side. Empty values are left out of a block."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for i, row in enumerate(frame[list(columns)].itertuples(index=False, name=None)):
        if i:
            table.add_row("", "")
        table.add_row(Text(f"-- {i + 1} --", style="bold"), "")
        for column, value in zip(columns, row):
            text = cell_text(value)
            if text:
                table.add_row(column, styled(column, text))
    return table
