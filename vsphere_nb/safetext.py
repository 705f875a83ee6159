"""Text from a vCenter, shown safely: in HTML, in a matplotlib chart, on a terminal.

Names and messages are written by whoever administers the inventory (or by a proxy in front of it): a cluster may
be called ``<img src=x onerror=alert(1)>`` or ``Prod$_$East``, a host name may hold U+202E (which reverses what
follows) or an escape sequence. Every surface that shows server text goes through this module, so there is one
definition of "safe" for each kind of surface:

* :func:`visible` — control, format (bidi), surrogate and line-separator characters as visible escapes
  (``\\x1b``, ``\\u202e``), the terminal's and the HTML's common ground.
* :func:`html_text` — one value as HTML text: :func:`visible`, then escaped (``& < > " '``), missing as ``""``.
* :func:`html_frame` — a DataFrame as an HTML ``<table>`` whose every cell, header and index label is escaped.
* :func:`html_style` — a pandas ``Styler`` that escapes cells, index and column labels and the caption (a
  ``Styler`` does *not* escape by default: its output is HTML in JupyterLab, in a saved notebook, in nbconvert).
* :func:`chart_text` — text for a matplotlib label, title, tick or legend: every ``$`` escaped, so a name is
  never parsed as math text (``Prod$_$East`` would raise ``ValueError``; ``$\\frac{a}{b}$`` would be typeset).

Only the standard library and pandas; everything above may import it.
"""

from __future__ import annotations

import html
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pandas.io.formats.style import Styler

__all__ = ["visible", "html_text", "html_frame", "html_style", "chart_text", "is_missing"]

#: characters shown as a space when text must stay on one line (a terminal cell, a log line)
_FOLD = {"\t", "\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}
#: Unicode categories shown as escapes: controls, format characters (bidi overrides, zero-width), surrogates,
#: line and paragraph separators
_ESCAPE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _code(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(value: Any, *, lines: bool = False) -> str:
    """``value`` as text without invisible or acting characters: each control, format (bidi), surrogate and
    line-separator character becomes a visible escape (``\\x1b``, ``\\u202e``).

    ``lines=False`` (a terminal cell, a log line): tabs and line breaks become a space, the text is one line.
    ``lines=True`` (HTML, a ``<pre>`` block): ``\\n`` and ``\\t`` stay (``\\r\\n`` becomes ``\\n``)."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and text.isprintable():
        return text
    if lines:
        text = text.replace("\r\n", "\n")
        keep = {"\n", "\t"}
        return "".join(c if c in keep or unicodedata.category(c) not in _ESCAPE_CATEGORIES else _code(c) for c in text)
    return "".join(
        (" " if c in _FOLD else _code(c)) if unicodedata.category(c) in _ESCAPE_CATEGORIES else c for c in text
    )


def is_missing(value: Any) -> bool:
    """``None``, NaN, ``pd.NA``, ``NaT`` (a list or array is never missing)."""
    if value is None:
        return True
    if isinstance(value, (str, list, tuple, dict, set)):
        return False
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def html_text(value: Any, *, missing: str = "") -> str:
    """``value`` as HTML text (element content or a quoted attribute): :func:`visible` (line breaks kept), then
    ``& < > " '`` escaped. Missing values become ``missing``."""
    if is_missing(value):
        return missing
    return html.escape(visible(value, lines=True), quote=True)


def _is_text_column(series: pd.Series) -> bool:
    import pandas as pd

    dtype = series.dtype
    return not (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    )


def html_frame(frame: pd.DataFrame, *, index: bool = False, na_rep: str = "", **to_html: Any) -> str:
    """``frame.to_html(...)`` with every text cell, column label and index label passed through
    :func:`html_text` (numbers, booleans and times keep pandas' formatting, ``float_format`` included).
    ``escape`` cannot be turned off."""
    import pandas as pd

    to_html.pop("escape", None)
    shown = frame.copy()
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if _is_text_column(series):
            shown.isetitem(position, series.astype(object).map(lambda v: html_text(v, missing=na_rep)))

    def labels(axis: pd.Index) -> pd.Index:
        if isinstance(axis, pd.MultiIndex):
            return pd.MultiIndex.from_tuples(
                [tuple(html_text(v) for v in t) for t in axis], names=[html_text(n) for n in axis.names]
            )
        return pd.Index([html_text(v) for v in axis], name=None if axis.name is None else html_text(axis.name))

    shown.columns = labels(frame.columns)
    if index:
        shown.index = labels(frame.index)
    return str(shown.to_html(index=index, na_rep=na_rep, escape=False, **to_html))


def html_style(data: pd.DataFrame | Styler, *, caption: str | None = None, na_rep: str = "") -> Styler:
    """A ``Styler`` of ``data`` (a frame, or a Styler with colours or gradients already set) that escapes what
    it shows: text cells through :func:`html_text`, numbers formatted as pandas does, every index and column
    label, and the caption (``caption``, or the one set before). Call it last but for colours: a later
    ``.format()`` would replace the escaping formatter for its cells."""
    import pandas as pd

    styler = data.style if isinstance(data, pd.DataFrame) else data
    frame = styler.data
    text_columns = [c for i, c in enumerate(frame.columns) if _is_text_column(frame.iloc[:, i])]
    styler = styler.format(na_rep=na_rep)
    if text_columns:
        styler = styler.format(lambda v: html_text(v, missing=na_rep), subset=text_columns, na_rep=na_rep)
    styler = styler.format_index(html_text, axis=0).format_index(html_text, axis=1)
    for axis in ("index", "columns"):
        names = getattr(frame, axis).names
        if any(n is not None for n in names):
            # the level names are shown as header cells: escape them in a copy of the data's labels
            styler.data = styler.data.rename_axis(
                [None if n is None else html_text(n) for n in names], axis=0 if axis == "index" else 1
            )
    text = caption if caption is not None else styler.caption
    if text is not None:
        styler = styler.set_caption(html_text(text))
    return styler


def chart_text(value: Any) -> str:
    """Text for a matplotlib title, label, tick or legend entry, shown as written: every ``$`` escaped as
    ``\\$`` (matplotlib shows ``\\$`` as ``$`` and never enters math mode without an unescaped pair), missing
    as ``(none)``."""
    text = "(none)" if is_missing(value) else str(value)
    return text.replace("$", "\\$") if "$" in text else text
