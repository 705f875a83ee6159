"""A run of ``vsphere-nb reconfigure`` in the terminal: live progress while it runs, a summary table at the end.

**Progress** (:class:`LiveProgress`, on stderr so stdout stays clean for the summary): a ``rich`` live display
with one overall bar and one line per cluster still working — clusters with tasks running first, then the ones
waiting; finished clusters fold into one "N clusters done" line, and at most :data:`MAX_CLUSTER_LINES` lines are
shown whatever the fleet size. Colours come from :mod:`vsphere_nb.tables.palette`. When stderr is not a terminal (a log,
CI) there is no animation: one plain line every :data:`LOG_EVERY_S` seconds and one at the end.

**Summary** (:func:`print_summary`): one line of counts (finished, failed, not launched apart), hosts per outcome as a table (every outcome that occurred, in the fixed
order), then the hosts that need attention (cluster, host, outcome, reason) — the first :data:`SHOW_ATTENTION`,
the rest in the run directory — then why the run stopped early, warnings, and where the run directory is.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from typing import IO, Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ..batch.frames import latest_attempts
from ..tables import palette as style
from ._terminal import console, frame_table, safe_text, styled

__all__ = ["LiveProgress", "print_summary", "MAX_CLUSTER_LINES", "SHOW_ATTENTION"]

#: per-cluster lines shown at most (the rest are counted on one line)
MAX_CLUSTER_LINES = 12
#: seconds between plain progress lines when stderr is not a terminal
LOG_EVERY_S = 30.0
#: hosts listed under "need attention" in the summary
SHOW_ATTENTION = 20


_STOPPED = {
    "cancelled": "the run was cancelled",
    "canary_failed": "a canary host did not succeed",
    "failure_budget_exceeded": "the failure budget was exceeded",
}


def stop_text(reason: str) -> str:
    """A stop reason code in words (``failure_budget_exceeded`` -> "the failure budget was exceeded")."""
    return _STOPPED.get(reason, safe_text(reason))


def _elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _bar(done: int, total: int, failed: int, width: int) -> ProgressBar:
    color = style.TERMINAL_STYLES["fault"] if failed else style.TERMINAL_STYLES["success"]
    return ProgressBar(total=max(total, 1), completed=done, width=width, complete_style=color, finished_style=color)


def _counts(c: Any, checking: int = 0) -> Text:
    """``9 of 15 finished  failed 1  not launched 6  running 2``: launched-and-ended hosts apart from the ones
    that never launched (``c`` is a cluster's counts or :func:`_overall`)."""
    total, finished = int(c.get("total", 0)), int(c.get("finished", c.get("done", 0)))
    running, failed, unlaunched = int(c.get("running", 0)), int(c.get("failed", 0)), int(c.get("not_launched", 0))
    text = Text(f"{finished} of {total} finished")
    if failed:
        text.append(f"  failed {failed}", style=style.TERMINAL_STYLES["fault"])
    if unlaunched:
        text.append(f"  not launched {unlaunched}", style=style.TERMINAL_STYLES["not_launched"])
    if running - checking > 0:
        text.append(f"  running {running - checking}", style=style.TERMINAL_STYLES["running"])
    if checking:
        text.append(f"  checking HA {checking}", style=style.TERMINAL_STYLES["post_check"])
    return text


def _overall(progress: Any) -> dict[str, int]:
    return {
        "total": progress.total,
        "finished": progress.completed,
        "failed": progress.failed,
        "not_launched": progress.not_launched,
        "running": progress.running,
    }


def progress_view(progress: Any, *, max_lines: int = MAX_CLUSTER_LINES, elapsed: float | None = None) -> RenderableType:
    """The live display of one :class:`~vsphere_nb.batch.Progress` snapshot (see the module doc); ``elapsed``
    overrides the snapshot's own time (the clock keeps running between snapshots)."""
    clusters = progress.clusters
    head = Table.grid(padding=(0, 1))
    head.add_column(no_wrap=True)
    head.add_column(no_wrap=True)
    head.add_column(no_wrap=True)
    head.add_column(no_wrap=True)
    title = "Reconfigure for vSphere HA" + (" - ended" if progress.finished else "")
    head.add_row(
        Text(title, style="bold"),
        _bar(progress.done, progress.total, progress.failed + progress.not_launched, 30),
        _counts(_overall(progress), int(progress.states.get("post_check", 0))),
        Text(_elapsed(progress.elapsed_s if elapsed is None else elapsed), style="dim"),
    )
    parts: list[RenderableType] = [head]
    if progress.stop_reason:
        parts.append(
            Text(f"stopped launching: {stop_text(progress.stop_reason)}", style=style.TERMINAL_STYLES["fault"])
        )
    open_ = [(name, c) for name, c in clusters.items() if c.get("done", 0) < c.get("total", 0)]
    open_.sort(key=lambda item: (-item[1].get("running", 0), -item[1].get("failed", 0), str(item[0])))
    finished = len(clusters) - len(open_)
    lines = Table.grid(padding=(0, 1))
    lines.add_column(no_wrap=True, overflow="ellipsis", max_width=40)
    lines.add_column(no_wrap=True)
    lines.add_column(no_wrap=True)
    for name, c in open_[:max_lines]:
        lines.add_row(
            Text("  " + (safe_text(name) or "(no cluster)")),
            _bar(c.get("done", 0), c.get("total", 0), c.get("failed", 0) + c.get("not_launched", 0), 20),
            _counts(c),
        )
    if open_:
        parts.append(lines)
    rest = []
    if len(open_) > max_lines:
        rest.append(f"{len(open_) - max_lines} more clusters working or waiting")
    if finished:
        failed_clusters = sum(1 for c in clusters.values() if c.get("done", 0) >= c.get("total", 0) and c.get("failed"))
        rest.append(
            f"{finished} cluster{'s' if finished != 1 else ''} ended"
            + (f" ({failed_clusters} with failures)" if failed_clusters else "")
        )
    if rest:
        parts.append(Text("  " + "; ".join(rest), style="dim"))
    return Group(*parts)


class LiveProgress:
    """The ``progress=`` callback of a run: a live display on a terminal, plain lines otherwise (see module doc).

    Called on the engine's thread; :meth:`close` (in a ``finally``) ends the display.
    """

    def __init__(self, file: IO[str] | None = None) -> None:
        self.file = file if file is not None else sys.stderr
        self.console: Console = console(self.file)
        self.tty = bool(getattr(self.file, "isatty", lambda: False)())
        self._live: Live | None = None
        self._lock = threading.Lock()
        self._last_line = 0.0
        self._last: Any = None
        self._received = 0.0

    def _view(self) -> RenderableType:
        progress = self._last
        if progress is None:
            return Text("")
        running = 0.0 if progress.finished else time.monotonic() - self._received
        return progress_view(progress, elapsed=progress.elapsed_s + running)

    def __call__(self, progress: Any) -> None:
        with self._lock:
            self._last = progress
            if self.tty:
                self._received = time.monotonic()
                if self._live is None:
                    # redrawn twice a second from the latest snapshot, so the clock runs while nothing changes
                    self._live = Live(
                        console=self.console, get_renderable=self._view, refresh_per_second=2, transient=False
                    )
                    self._live.start()
                self._live.refresh()
                return
            now = time.monotonic()
            if progress.finished or now - self._last_line >= LOG_EVERY_S:
                self._last_line = now
                print(safe_text(f"[{_elapsed(progress.elapsed_s)}] {progress.line()}"), file=self.file, flush=True)

    def close(self) -> None:
        with self._lock:
            if self._live is not None:
                self._live.stop()
                self._live = None


def print_summary(run: Any, out: Console | None = None, *, err: Console | None = None) -> None:
    """The end of a run: hosts per outcome, hosts that need attention, stop reason, warnings, run directory."""
    out = out or console()
    err = err or console(sys.stderr)
    if hasattr(run, "end_text"):
        out.print(Text(run.end_text(), style="bold"))
    counts = run.summary()
    table = Table(box=None, header_style="bold", pad_edge=False, title="Outcome", title_justify="left")
    table.add_column("outcome", no_wrap=True)
    table.add_column("hosts", justify="right")
    total = 0
    for outcome, n in counts.items():
        if n:
            total += int(n)
            table.add_row(styled("outcome", str(outcome)), str(int(n)))
    table.add_row(Text("total", style="bold"), Text(str(total), style="bold"))
    out.print(table)
    attention = _needs_attention(run.tasks)
    if len(attention):
        out.print()
        columns = [c for c in ("cluster", "host", "outcome", "why") if c in attention.columns]
        out.print(frame_table(attention, columns, title="Hosts that need attention", max_rows=SHOW_ATTENTION))
    if getattr(run, "stop_reason", None):
        out.print(
            Text(
                f"Stopped early: {stop_text(run.stop_reason)} ({safe_text(run.stop_reason)})",
                style=style.TERMINAL_STYLES["fault"],
            )
        )
    for text in getattr(run, "warnings", []) or []:
        err.print(f"vsphere-nb: warning: {safe_text(text)}")
    out.print(f"Run directory: {safe_text(run.run_dir)}")
    if getattr(run, "lifecycle", "finished") == "detached":
        err.print(
            f"Run detached: {safe_text(run.detached_reason or 'not finished')}. Finish it with: "
            f"vsphere-nb reconfigure --resume {safe_text(run.run_dir)} --server SERVER --user USER",
            soft_wrap=True,
        )
    if len(attention):
        out.print(f"Details: vsphere-nb report {safe_text(run.run_dir)}", style="dim")


def _needs_attention(tasks: Any) -> Any:
    """Latest attempt of each launched host whose outcome is not ``success``, with one ``why`` column."""

    if tasks.empty:
        return tasks
    latest = latest_attempts(tasks[tasks["attempt"] > 0]) if (tasks["attempt"] > 0).any() else tasks.iloc[:0]
    bad = latest[latest["outcome"].astype(object).ne("success")].copy()
    bad["outcome"] = bad["outcome"].astype(object).where(bad["outcome"].notna(), style.IN_PROGRESS)
    bad["why"] = [_why(row) for row in bad.to_dict("records")]
    order = {o: i for i, o in enumerate(style.OUTCOME_ORDER)}
    bad["_rank"] = bad["outcome"].map(lambda o: order.get(o, len(order)))
    return bad.sort_values(["_rank", "cluster", "host"], kind="stable").drop(columns="_rank")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _why(row: Mapping[Any, Any]) -> str:
    """One short reason per host: the fault's reason and message, the HA state after, or why it was not launched."""
    reason, message = _text(row.get("fault_reason")), _text(row.get("fault_message"))
    if reason or message:
        return ": ".join(dict.fromkeys(t for t in (reason, message) if t))
    if row.get("outcome") == "agent_unhealthy" and _text(row.get("das_state_after")):
        return f"HA agent {row['das_state_after']} after the task succeeded"
    return _text(row.get("fault_type")) or _text(row.get("skip_reason")) or ""
