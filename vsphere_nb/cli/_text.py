"""Server text made safe for a terminal: control characters shown as ``\\xNN``, lists joined."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["printable", "printable_frame"]


def printable(value: Any, limit: int = 160) -> Any:
    """One line of printable text (a host name or event message may hold escape sequences)."""
    if isinstance(value, (list, tuple)):
        value = " | ".join(str(v) for v in value)
    if not isinstance(value, str):
        return value
    flat = " ".join(value.split())
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in flat)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printable_frame(frame: pd.DataFrame, limit: int = 160) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are :func:`printable` (for a table on stdout)."""
    # lazy: a command loads what it needs when it runs, so --help and --version stay fast
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out[col] = [printable(v, limit) for v in out[col].astype(object)]
    return out
