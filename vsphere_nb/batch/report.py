"""A self-contained HTML report of a run: summary, charts, the tables that matter.

Self-contained means one file that opens anywhere, offline, years later: CSS inline, charts embedded as base64
PNG (``data:`` URLs), no script, no external URL. Every value from vCenter (host names, fault messages, event
text, ``output`` of the HA installer) is HTML-escaped: a fault message is data, never markup.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..safetext import html_text
from . import charts
from .records import OUTCOMES

if TYPE_CHECKING:  # pragma: no cover
    from .result import RunResult

__all__ = ["render_report", "write_report", "report_path"]

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2em;color:#212121;max-width:1400px}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:.9em} .meta td{padding:1px 12px 1px 0}
table.tbl{border-collapse:collapse;font-size:.85em;margin:.5em 0}
table.tbl th,table.tbl td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
table.tbl th{background:#f5f5f5} table.tbl td{max-width:40em;overflow-wrap:anywhere;white-space:pre-wrap}
.counts td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#666;font-size:.85em} .stop{color:#b71c1c;font-weight:bold}
img.chart{max-width:100%;height:auto;border:1px solid #eee;margin:.4em 0}
.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:middle}
"""

_ATTENTION_COLUMNS = [
    "host",
    "cluster",
    "attempt",
    "outcome",
    "fault_type",
    "fault_reason",
    "fault_message",
    "das_state_before",
    "das_state_after",
    "skip_reason",
    "task_moid",
]


_e = html_text


def _table(frame: pd.DataFrame, *, max_rows: int, what: str) -> str:
    if frame.empty:
        return f'<p class="note">No {_e(what)}.</p>'
    shown = frame.head(max_rows).astype(object)
    # escape ourselves (quotes included: pandas' escape leaves them) and hand pandas finished text
    shown = shown.map(lambda v: "" if _missing(v) else html_text(v))
    shown.columns = [html_text(c) for c in shown.columns]
    body = shown.to_html(index=False, escape=False, na_rep="", border=0, classes="tbl")
    if len(frame) > max_rows:
        body += f'<p class="note">{max_rows} of {len(frame)} {_e(what)} shown; the saved frames hold all.</p>'
    return body


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _img(fig: Any, alt: str) -> str:
    data = base64.b64encode(charts.figure_png(fig)).decode("ascii")
    return f'<img class="chart" alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _counts_table(result: RunResult) -> str:
    summary = result.summary()
    rows = []
    for outcome, count in summary.items():
        color = charts.OUTCOME_COLORS.get(str(outcome), charts.IN_PROGRESS_COLOR)
        rows.append(
            f'<tr><td><span class="swatch" style="background:{color}"></span>{_e(outcome)}</td>'
            f'<td class="n">{int(count)}</td></tr>'
        )
    rows.append(f'<tr><th>total</th><th class="n">{int(summary.sum())}</th></tr>')
    return '<table class="tbl counts"><tr><th>outcome</th><th>hosts</th></tr>' + "".join(rows) + "</table>"


def _triage(result: RunResult) -> str:
    """The diagnosis triage board of the run's failed and unhealthy hosts (pure: from the run's own frames)."""
    from ..diagnosis import diagnose
    from ..errors import VsphereError

    try:
        return diagnose(None, run=result)._repr_html_()
    except (VsphereError, KeyError, ValueError) as exc:
        return f'<p class="note">No diagnosis: {_e(exc)}</p>'


def render_report(result: RunResult, *, title: str | None = None, max_rows: int = 500, with_charts: bool = True) -> str:
    """The report as one HTML string (see the module doc)."""
    tasks, faults, messages, events = result.tasks, result.faults, result.fault_messages, result.events
    title = title or f"Reconfigure for vSphere HA — {result.run_id}"
    meta = [
        ("run", result.run_id),
        ("created", result.created_at),
        ("finished", result.finished_at or "not finished"),
        ("vCenter", ", ".join(result.vcenters) or "—"),
    ]
    if result.limits is not None:
        lim = result.limits.to_dict()
        meta.append(("limits", ", ".join(f"{k}={v}" for k, v in lim.items())))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        '<table class="meta">' + "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in meta) + "</table>",
    ]
    if result.stop_reason:
        parts.append(f'<p class="stop">The run stopped launching: {_e(result.stop_reason)}.</p>')
    parts += ["<h2>Summary</h2>", _counts_table(result)]
    parts += ["<h2>Triage: why HA broke</h2>", _triage(result)]

    if with_charts:
        parts.append("<h2>Charts</h2>")
        for fig, alt in (
            (charts.outcomes_by_cluster(tasks), "outcome by cluster"),
            (charts.fault_reasons(tasks), "fault reasons"),
            (charts.task_timeline(tasks, limits=result.limits), "task timeline"),
            (charts.events_swimlane(events), "events by host"),
        ):
            parts.append(_img(fig, alt))

    attention = tasks[tasks["outcome"].astype(object) != "success"]
    attention = attention.sort_values(["outcome", "cluster", "host"], kind="stable")
    parts += [
        "<h2>Hosts that need attention</h2>",
        _table(
            attention[[c for c in _ATTENTION_COLUMNS if c in attention.columns]],
            max_rows=max_rows,
            what="hosts that need attention",
        ),
    ]

    if not tasks.empty:
        reasons = tasks[tasks["fault_type"].notna()]
        if not reasons.empty:
            grouped = (
                reasons.assign(fault_reason=reasons["fault_reason"].astype(object).fillna(""))
                .groupby(["fault_type", "fault_reason"], observed=True)
                .size()
                .rename("attempts")
                .reset_index()
                .sort_values("attempts", ascending=False)
            )
            parts += ["<h2>Fault types and reasons</h2>", _table(grouped, max_rows=max_rows, what="fault kinds")]
    parts += ["<h2>Faults (with causes)</h2>", _table(faults, max_rows=max_rows, what="faults")]
    parts += ["<h2>Fault messages</h2>", _table(messages, max_rows=max_rows, what="fault messages")]
    if not events.empty:
        by_type = (
            events.groupby(["event_type_id", "severity"], observed=True)
            .size()
            .rename("events")
            .reset_index()
            .sort_values("events", ascending=False)
        )
        parts += ["<h2>Events by type</h2>", _table(by_type, max_rows=max_rows, what="event types")]
        serious = events[events["severity"].isin(["error", "warning"])].sort_values("created_time", kind="stable")
        cols = ["created_time", "host", "cluster", "source", "event_type_id", "severity", "message"]
        parts += ["<h2>Error and warning events</h2>", _table(serious[cols], max_rows=max_rows, what="events")]
    else:
        parts += ["<h2>Events</h2>", '<p class="note">No events collected.</p>']
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    parts.append(
        f'<p class="note">Generated by vsphere-nb on {_e(generated)}. Outcomes: '
        f"{_e(', '.join(OUTCOMES))}.</p></body></html>"
    )
    return "\n".join(parts)


def report_path(path: str | os.PathLike[str]) -> Path:
    """Where a report asked for at ``path`` goes: ``~`` expanded; an existing directory gets ``report.html``."""
    target = Path(path).expanduser()
    return target / "report.html" if target.is_dir() else target


def write_report(result: RunResult, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8, see :func:`report_path`); returns the path.

    Atomic: the report is rendered first, written to a temporary file next to the target and renamed over it;
    on any failure the temporary file is removed and the target is left as it was."""
    text = render_report(result, **options)
    target = report_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_name = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    # created as any new file is (mode 0666 less the umask), never an existing file or a link followed
    fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as tmp:
            tmp.write(text)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return target
