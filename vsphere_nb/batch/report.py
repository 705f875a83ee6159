"""A self-contained HTML report of a run: a headline, the limits, counts, triage, charts, the tables that matter.

It opens with one headline — what ran, what came out (finished, failed and not launched apart), what needs doing —
then the limits in words and only the outcomes that occurred. "Hosts that need attention" lists the latest attempt
of each launched host that did not succeed (hosts the pre-flight skipped have their own short table). Multi-line
text (agent output) keeps its line breaks; names never break inside a word; each chart takes the page's width
(up to 1400 px) with its aspect kept, so its text stays 10 px or more.

Self-contained means one file that opens anywhere, offline, years later: CSS inline, charts embedded as base64
PNG (``data:`` URLs), no script, no external URL. Every value from vCenter (host names, fault messages, event
text, ``output`` of the HA installer) is HTML-escaped: a fault message is data, never markup.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..diagnosis import diagnose
from ..errors import VsphereError
from ..safetext import html_text
from ..vocabulary import label
from . import charts
from .frames import end_counts, end_text, latest_attempts
from .records import OUTCOMES
from .scheduler import STOP_REASON_TEXT

if TYPE_CHECKING:  # pragma: no cover
    from .result import RunResult

__all__ = ["render_report", "write_report", "report_path", "NAME_COLUMNS", "TEXT_COLUMNS"]

#: columns whose values are names, states or ids: never broken inside a word
NAME_COLUMNS = frozenset(
    {
        "run_id",
        "vcenter",
        "cluster",
        "host",
        "host_moid",
        "task_moid",
        "attempt",
        "outcome",
        "fault_type",
        "fault_reason",
        "das_state",
        "das_state_before",
        "das_state_after",
        "event_type_id",
        "severity",
        "source",
        "created_time",
        "depth",
        "key",
        "attempts",
        "events",
    }
)
#: columns of running text: wrap at spaces, keep their line breaks
TEXT_COLUMNS = frozenset({"fault_message", "message", "output", "fault_output", "skip_reason", "args", "next_step"})

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:1.5em 2em;color:#212121}
h1{font-size:1.5em;margin-bottom:.3em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
.headline{font-size:1.05em;line-height:1.5;background:#f5f7fa;border-left:4px solid #1e88e5;padding:.6em 1em;
  max-width:75em}
.headline p{margin:.2em 0}
.meta{color:#555;font-size:.9em} .meta td{padding:1px 12px 1px 0;white-space:nowrap}
ul.limits{margin:.3em 0;padding-left:1.4em;font-size:.9em}
table.tbl{border-collapse:collapse;font-size:.85em;margin:.5em 0}
table.tbl th,table.tbl td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
table.tbl th{background:#f5f5f5;white-space:nowrap}
table.tbl td{word-break:normal;overflow-wrap:normal;hyphens:none}
table.tbl td.name{white-space:nowrap}
table.tbl td.text{min-width:10em;max-width:48em;overflow-wrap:break-word}
.counts td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#666;font-size:.85em} .stop{color:#b71c1c;font-weight:bold}
.charts{display:grid;gap:1em;max-width:1400px}
img.chart{width:100%;height:auto;border:1px solid #eee}
.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:middle}
"""

#: the latest attempt of a host that needs attention (the fault's type and the task are in the faults table)
_ATTENTION_COLUMNS = [
    "host",
    "cluster",
    "attempt",
    "outcome",
    "fault_reason",
    "fault_message",
    "das_state_before",
    "das_state_after",
    "skip_reason",
]


_e = html_text


def _cell(value: Any) -> str:
    """A cell's text, escaped, its line breaks as ``<br>``; times to the second."""
    if _missing(value):
        return ""
    if isinstance(value, pd.Timestamp):
        value = value.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, float):
        value = f"{value:.1f}"
    text = str(value).replace("\r\n", "\n").strip("\n")
    return "<br>".join(_e(line) for line in text.split("\n"))


def _table(frame: pd.DataFrame, *, max_rows: int, what: str, columns: Sequence[str] | None = None) -> str:
    """``frame`` as an escaped table: one label per column, names on one line, running text wrapped at spaces."""
    if frame.empty:
        return f'<p class="note">No {_e(what)}.</p>'
    cols = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    shown = frame.head(max_rows)
    head = "".join(f"<th>{html_text(label(str(c)))}</th>" for c in cols)
    klass = {c: ' class="name"' if c in NAME_COLUMNS else ' class="text"' if c in TEXT_COLUMNS else "" for c in cols}
    values = [shown[c].tolist() for c in cols]
    rows = [
        "<tr>" + "".join(f"<td{klass[c]}>{_cell(v)}</td>" for c, v in zip(cols, row)) + "</tr>" for row in zip(*values)
    ]
    body = f'<table class="tbl"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
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
    """Hosts per outcome: only the outcomes that occurred."""
    summary = result.summary()
    rows = []
    for outcome, count in summary.items():
        if not int(count):
            continue
        color = charts.OUTCOME_COLORS.get(str(outcome), charts.IN_PROGRESS_COLOR)
        rows.append(
            f'<tr><td class="name"><span class="swatch" style="background:{color}"></span>{_e(outcome)}</td>'
            f'<td class="n">{int(count)}</td></tr>'
        )
    rows.append(f'<tr><th>total</th><th class="n">{int(summary.sum())}</th></tr>')
    return '<table class="tbl counts"><tr><th>outcome</th><th>hosts</th></tr>' + "".join(rows) + "</table>"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def headline(result: RunResult) -> list[tuple[str, str]]:
    """The report's first lines: (``what ran``, …), (``what came out``, …), (``what needs doing``, …)."""
    tasks = result.tasks
    counts = end_counts(tasks)
    planned = counts["finished"] + counts["not launched"] + counts["in progress"]
    latest = latest_attempts(tasks) if len(tasks) else tasks
    launched = latest[~latest["outcome"].astype(object).eq("skipped")] if len(latest) else latest
    clusters = launched["cluster"].dropna().astype(str).nunique() if len(launched) else 0
    vcenters = ", ".join(result.vcenters) or "no vCenter"
    ran = f"Reconfigure for vSphere HA on {_plural(planned, 'host')} in {_plural(clusters, 'cluster')} of {vcenters}"
    if counts["skipped"]:
        ran += f"; {_plural(counts['skipped'], 'more host')} skipped by the pre-flight"
    attempts = int(tasks["attempt"].max()) if len(tasks) else 0
    if attempts > 1:
        ran += f" (up to attempt {attempts})"
    out = end_text(counts)
    if result.stop_reason:
        out += f"; the run stopped launching: {STOP_REASON_TEXT.get(result.stop_reason, result.stop_reason)}"
    if getattr(result, "lifecycle", "finished") == "detached":
        out += "; the run is detached (not finished): resume it to follow its tasks to the end"
    todo = []
    if counts["failed"]:
        todo.append(
            f"{_plural(counts['failed'], 'host')} failed: read each one's cause and next step in the triage below, "
            "fix it, then retry the failed hosts (run.retry_failed(), or Retry failed in the panel)"
        )
    if counts["not launched"]:
        todo.append(
            f"{_plural(counts['not launched'], 'host')} never launched: plan them again once the failures are "
            "understood"
        )
    if counts["in progress"]:
        todo.append(f"{_plural(counts['in progress'], 'host')} still in progress: resume the run to finish them")
    if not todo:
        todo.append("nothing: every launched host ended with a healthy HA agent")
    return [("What ran", ran), ("What came out", out), ("What needs doing", "; ".join(todo))]


def _triage(result: RunResult) -> str:
    """The diagnosis triage board of the run's failed and unhealthy hosts (pure: from the run's own frames)."""

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
    lines = headline(result)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        '<div class="headline">' + "".join(f"<p><b>{_e(k)}:</b> {_e(v)}.</p>" for k, v in lines) + "</div>",
        '<table class="meta">' + "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in meta) + "</table>",
    ]
    if result.limits is not None:
        planned = int(tasks["outcome"].astype(object).ne("skipped").sum()) if len(tasks) else None
        words = result.limits.in_words(planned)
        parts.append("<h2>Limits</h2><ul class=limits>" + "".join(f"<li>{_e(w)}</li>" for w in words) + "</ul>")
    parts += ["<h2>Outcomes</h2>", _counts_table(result)]
    parts += ["<h2>Triage: why HA broke</h2>", _triage(result)]

    if with_charts:
        parts.append('<h2>Charts</h2><div class="charts">')
        for fig, alt in (
            (charts.outcomes_by_cluster(tasks), "outcome by cluster"),
            (charts.fault_reasons(tasks), "fault reasons"),
            (charts.task_timeline(tasks, limits=result.limits), "task timeline"),
            (charts.events_swimlane(events), "events by host"),
        ):
            parts.append(_img(fig, alt))
        parts.append("</div>")

    latest = latest_attempts(tasks) if len(tasks) else tasks
    outcome = latest["outcome"].astype(object) if len(latest) else pd.Series(dtype=object)
    attention = latest[outcome.ne("success") & outcome.ne("skipped")] if len(latest) else latest
    attention = attention.sort_values(["outcome", "cluster", "host"], kind="stable")
    parts += [
        "<h2>Hosts that need attention</h2>",
        _table(attention, columns=_ATTENTION_COLUMNS, max_rows=max_rows, what="hosts that need attention"),
    ]
    skipped = latest[outcome.eq("skipped")] if len(latest) else latest
    if len(skipped):
        parts += [
            "<h2>Skipped by the pre-flight</h2>",
            _table(
                skipped.sort_values(["cluster", "host"], kind="stable"),
                columns=["host", "cluster", "skip_reason"],
                max_rows=max_rows,
                what="skipped hosts",
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
    fault_cols = ["host", "task_moid", "depth", "fault_type", "fault_reason", "message", "output"]
    parts += ["<h2>Faults (with causes)</h2>", _table(faults, columns=fault_cols, max_rows=max_rows, what="faults")]
    message_cols = ["host", "task_moid", "depth", "key", "message", "args"]
    parts += [
        "<h2>Fault messages</h2>",
        _table(messages, columns=message_cols, max_rows=max_rows, what="fault messages"),
    ]
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
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
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
