"""Time spans as people write them: ``"30m"``, ``"24h"``, ``"7d"``, ``"2w"`` — the history window (``since``,
``until``) and the diagnosis rules' event windows read them the same way."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = ["parse_duration"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(value: Any) -> pd.Timedelta:
    """``"30m"``, ``"24h"``, ``"7d"``, ``"2w"`` (or a timedelta) as a Timedelta; ``ValueError`` otherwise."""
    if isinstance(value, pd.Timedelta):
        return value
    if hasattr(value, "total_seconds"):
        return pd.Timedelta(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"bad duration {value!r}")
    return pd.Timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])
