"""One host's detail in the Results panel: every attempt, its fault chain, the agent output, the fault messages
and the events — the full text, escaped (the grids above cut long text; this is where it is read in full)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..safetext import html_text
from ._util import html_table

__all__ = ["host_detail_html", "FAULT_COLUMNS", "EVENT_COLUMNS", "IN_PROGRESS"]

IN_PROGRESS = "in progress"
FAULT_COLUMNS = ["host", "vcenter", "task_moid", "depth", "fault_type", "fault_reason", "message", "output"]
EVENT_COLUMNS = ["created_time", "host", "vcenter", "event_type_id", "severity", "source", "message"]


def _text(v: Any) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def host_detail_html(attempts: pd.DataFrame, faults: pd.DataFrame, messages: pd.DataFrame, events: pd.DataFrame) -> str:
    """The detail of one host: its ``attempts`` (tasks rows, in order), then its faults, messages and events."""
    e = html_text
    parts = []
    for rec in attempts.itertuples(index=False):

        def get(name: str, rec: Any = rec) -> str:
            return _text(getattr(rec, name, None))

        attempt = getattr(rec, "attempt", 0)
        parts.append(
            f"<div class='vnb-attempt'><b>{e(get('host'))}</b> — attempt {int(attempt)}: "
            f"<b>{e(get('outcome') or IN_PROGRESS)}</b> (task {e(get('task_moid') or '—')}, "
            f"HA state {e(get('das_state_before') or '?')} → {e(get('das_state_after') or '?')})"
            + (f"<br>skipped: {e(get('skip_reason'))}" if get("skip_reason") else "")
            + (
                f"<br>fault: <b>{e(get('fault_type'))}</b> reason <b>{e(get('fault_reason') or '—')}"
                f"</b><br>{e(get('fault_message'))}"
                if get("fault_type")
                else ""
            )
            + (
                "<pre style='white-space:pre-wrap;background:#f5f5f5;padding:4px;max-height:20em;overflow:auto'>"
                f"{e(get('fault_output'))}</pre>"
                if get("fault_output")
                else ""
            )
            + "</div>"
        )
    parts.append(
        "<div><b>Fault chain</b></div>" + html_table(faults, FAULT_COLUMNS, max_rows=50, what="faults", pre=("output",))
    )
    parts.append(
        "<div><b>Fault messages</b></div>"
        + html_table(messages, ["task_moid", "depth", "key", "message", "args"], max_rows=50, what="messages")
    )
    parts.append("<div><b>Events</b></div>" + html_table(events, EVENT_COLUMNS, max_rows=200, what="events"))
    return "".join(parts)
