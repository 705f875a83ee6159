"""Writing DataFrames where the user asked: ``.csv``, ``.parquet``, ``.json`` or a table on stdout."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import ConfigError

__all__ = ["write_frame"]


def write_frame(frame: pd.DataFrame, output: str | None) -> None:
    if not output or output == "-":
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
            print(frame.to_string(index=False) if len(frame) else "(no rows)")
        return
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".json"):
        raise ConfigError(f"output must end in .csv, .parquet or .json, not {path.name!r}")
    if path.parent and not path.parent.exists():
        raise ConfigError(f"output folder does not exist: {path.parent}")
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", date_format="iso", indent=1)
