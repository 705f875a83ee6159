"""The ``Diagnosis.hosts`` frame: its columns and dtypes, shared by the reasoning that builds it and the loader that
reads it back."""

from __future__ import annotations

import pandas as pd

from ..vocabulary import CAUSES
from .rules import CONFIDENCE_LEVELS

__all__ = ["HOST_COLUMNS"]

#: the columns of ``Diagnosis.hosts``, in order
HOST_COLUMNS = [
    "vcenter",
    "cluster",
    "host",
    "host_moid",
    "das_state",
    "cause",
    "confidence",
    "scope",
    "evidence",
    "next_step",
    "reference",
    "rule",
]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for col in ("vcenter", "cluster", "host", "host_moid", "das_state", "rule"):
        frame[col] = frame[col].astype("category")
    frame["cause"] = pd.Categorical(frame["cause"], categories=list(CAUSES))
    frame["confidence"] = pd.Categorical(frame["confidence"], categories=list(CONFIDENCE_LEVELS), ordered=True)
    frame["scope"] = pd.Categorical(frame["scope"], categories=["cluster", "host"])
    for col in ("next_step", "reference"):
        frame[col] = frame[col].astype("string")
    return frame
