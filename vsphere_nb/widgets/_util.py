"""What every panel shares: error reporting into an ``Output``, guarded handlers, a throttled updater, HTML tables.

Threading model of the panels (one rule, so that it can be reasoned about):

* Button clicks and ``observe`` callbacks run on the kernel's thread (the one handling comm messages).
* Anything that comes from elsewhere — the batch engine's progress callback (it runs on the client's event-loop
  thread) and the end of a run — never touches a widget directly. It hands its value to a :class:`Throttle`,
  whose single worker thread applies the *latest* value at most a few times a second.
* Both sides take the shared :attr:`RunbookState.lock <vsphere_nb.widgets.state.RunbookState.lock>` (an
  ``RLock``) while they change widgets, so a click and a progress update never interleave half-way.

ipywidgets can send comm messages from any thread; what it cannot do is capture ``print`` output from another
thread with ``with out:`` (that relies on the kernel's current request). So errors are appended to
``Output.outputs`` as stream entries (what :meth:`~ipywidgets.Output.append_stdout` does), which works from any
thread and without a kernel, and lets the history be capped.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..client.config import redact
from ..errors import VsphereError
from ..safetext import html_text
from ..vocabulary import label
from .state import RunbookState

__all__ = [
    "Throttle",
    "Panel",
    "report_error",
    "one_line",
    "html_table",
    "styled",
    "chart_image",
    "status_html",
    "MPL_LOCK",
    "iter_widgets",
]

logger = logging.getLogger("vsphere_nb.widgets")

#: held while matplotlib renders in any panel thread: figures are independent, but font and text caches are
#: shared module state, and a report export on the kernel thread may render at the same time as the chart worker
MPL_LOCK = threading.Lock()

#: at most this many entries are kept in a panel's error ``Output`` (oldest dropped first)
MAX_ERROR_ENTRIES = 20


def one_line(text: str, limit: int = 500) -> str:
    """``text`` on a single line (whitespace collapsed), cut at ``limit`` characters, secrets redacted."""
    text = " ".join(redact(str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report_error(out: widgets.Output, exc: BaseException, context: str = "") -> str:
    """Show ``exc`` in ``out`` and return the line shown.

    A :class:`~vsphere_nb.errors.VsphereError` is an expected failure (wrong password, unreachable server, bad
    limit): one line, no traceback, because the message already says what to do. Anything else is a bug or an
    environment problem: the full traceback, and a log record at ERROR level (which the tests turn into a
    failure). Secrets are redacted from both.
    """
    prefix = f"{context}: " if context else ""
    if isinstance(exc, VsphereError):
        line = one_line(f"{prefix}{type(exc).__name__}: {exc}")
        _append(out, "stdout", line + "\n")
        logger.info("%s", line)
        return line
    text = redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    line = one_line(f"{prefix}{type(exc).__name__}: {exc}")
    _append(out, "stderr", f"{prefix}unexpected error\n{text}")
    logger.error("%sunexpected error in a vsphere-nb panel", prefix, exc_info=(type(exc), exc, exc.__traceback__))
    return line


def _append(out: widgets.Output, stream: str, text: str) -> None:
    entry = {"output_type": "stream", "name": stream, "text": text}
    outputs = tuple(out.outputs)[-(MAX_ERROR_ENTRIES - 1) :] + (entry,)
    out.outputs = outputs


def styled(widget: Any, *classes: str) -> Any:
    """``widget`` with the CSS classes added (the stable hooks a browser test finds it by); returns it."""
    for css in classes:
        widget.add_class(css)
    return widget


def chart_image(*classes: str) -> Any:
    """An ``Image`` for a chart's PNG: the panel's full width, its height from the image (the aspect is kept), in
    Lab and Voila alike. Every chart is :data:`vsphere_nb.tables.palette.FIGURE_WIDTH` wide with text of
    :data:`vsphere_nb.tables.palette.SMALL_SIZE` or more, so at a panel 800 px wide or more its text is 10 px or more."""
    layout = widgets.Layout(width="100%", max_width="100%", height="auto", object_fit="contain")
    return styled(widgets.Image(format="png", layout=layout), "vnb-chart", *classes)


_STATUS_COLORS = {"info": "#455a64", "ok": "#2e7d32", "warn": "#ef6c00", "error": "#c62828", "busy": "#1565c0"}


def status_html(text: str, kind: str = "info") -> str:
    """A one-line status message (escaped) coloured by ``kind``: info, ok, warn, error, busy."""
    color = _STATUS_COLORS.get(kind, _STATUS_COLORS["info"])
    return f'<span class="vnb-status-{kind}" style="color:{color}">{html_text(text)}</span>'


def _cell(value: Any) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return html_text(value.strftime("%Y-%m-%d %H:%M:%S"))
    if isinstance(value, float):
        return f"{value:.2f}"
    return html_text(str(value))


def html_table(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    max_rows: int = 200,
    css: str = "",
    what: str = "rows",
    pre: Iterable[str] = (),
) -> str:
    """The first ``max_rows`` rows of ``frame`` as an escaped HTML table with a "showing N of M" note.

    ``columns`` missing from ``frame`` are left out; ``pre`` names columns whose text is shown in ``<pre>``
    (multi-line tool output).
    """
    cols = [c for c in columns if c in frame.columns]
    total = len(frame)
    if total == 0:
        return f'<div class="{css}"><i>no {html_text(what)}</i></div>'
    pre = set(pre)
    head = frame.iloc[:max_rows]
    values = {c: head[c].tolist() for c in cols}
    rows = []
    for i in range(len(head)):
        cells = []
        for c in cols:
            text = _cell(values[c][i])
            cells.append(
                f"<td><pre style='margin:0;white-space:pre-wrap'>{text}</pre></td>"
                if c in pre and text
                else f"<td>{text}</td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f"<th>{html_text(label(c))}</th>" for c in cols)
    note = (
        f"showing {len(head):,} of {total:,} {html_text(what)}" if total > len(head) else f"{total:,} {html_text(what)}"
    )
    return (
        f'<div class="{css}"><div class="vnb-note"><small>{note}</small></div>'
        f'<table class="vnb-table"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )


def iter_widgets(root: Any) -> Iterable[widgets.Widget]:
    """``root`` and every widget below it (``children``), depth first; for tests and secret checks."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        w = stack.pop()
        if not isinstance(w, widgets.Widget) or id(w) in seen:
            continue
        seen.add(id(w))
        yield w
        stack.extend(reversed(list(getattr(w, "children", ()) or ())))


_LIVE_THROTTLES: weakref.WeakSet[Throttle] = weakref.WeakSet()


@atexit.register
def _close_throttles_at_exit() -> None:
    """Stop every worker before the interpreter finalises: a daemon thread still inside native code (a chart
    being rendered, a pyarrow column being built) when the runtime tears down aborts the whole process."""
    for throttle in list(_LIVE_THROTTLES):
        throttle.close(wait=5.0)


class Throttle:
    """Apply the newest of many values from one worker thread, at most once every ``interval`` seconds.

    Why: the batch engine reports progress up to ten times a second from its event-loop thread, and a live
    table of 1,000 hosts re-sent that often floods the browser. :meth:`push` only stores the value (cheap, from
    any thread); a single daemon thread calls ``apply(value)`` with the newest one. :meth:`call` queues a
    function to run on the same thread right after the pending value, which keeps "final progress, then the
    result" in order. Errors in ``apply`` or a queued call go to ``on_error`` and never stop the worker.
    """

    def __init__(
        self,
        apply: Callable[[Any], None],
        *,
        interval: float = 0.25,
        on_error: Callable[[BaseException], None] | None = None,
        name: str = "vsphere-nb-widgets",
    ) -> None:
        self._apply = apply
        self.interval = interval
        self._on_error = on_error
        self._name = name
        self._cv = threading.Condition()
        self._value: Any = None
        self._has_value = False
        self._calls: list[Callable[[], None]] = []
        self._busy = False
        self._closed = False
        self._last = 0.0
        self._thread: threading.Thread | None = None
        _LIVE_THROTTLES.add(self)

    def push(self, value: Any) -> None:
        """Store ``value`` as the newest; the worker applies it when the interval allows."""
        with self._cv:
            if self._closed:
                return
            self._value, self._has_value = value, True
            self._ensure_thread()
            self._cv.notify_all()

    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the worker thread (after applying a pending value, without waiting for the interval)."""
        with self._cv:
            if self._closed:
                return
            self._calls.append(fn)
            self._ensure_thread()
            self._cv.notify_all()

    def idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is pending or running; ``False`` if ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while self._has_value or self._calls or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cv.wait(left)
            return True

    def close(self, wait: float | None = None) -> None:
        """Drop what is pending and stop the worker. It finishes the value it is applying (a chart being
        rendered, say); ``wait`` seconds to wait for that, by default none (the thread is a daemon)."""
        with self._cv:
            self._closed = True
            self._has_value = False
            self._calls.clear()
            self._cv.notify_all()
        thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout=wait)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not (self._has_value or self._calls or self._closed):
                    self._cv.wait()
                if self._closed:
                    self._cv.notify_all()
                    return
                if self._has_value and not self._calls:
                    wait = self._last + self.interval - time.monotonic()
                    if wait > 0:
                        self._cv.wait(wait)
                        continue
                value, take = self._value, self._has_value
                self._value, self._has_value = None, False
                calls, self._calls = self._calls, []
                self._busy = True
            try:
                if take:
                    self._guard(self._apply, value)
                for fn in calls:
                    self._guard(fn)
            finally:
                with self._cv:
                    self._last = time.monotonic()
                    self._busy = False
                    self._cv.notify_all()

    def _guard(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except BaseException as exc:
            if self._on_error is not None:
                try:
                    self._on_error(exc)
                    return
                except BaseException:
                    pass
            logger.error("error in a panel update", exc_info=True)


class Panel:
    """Base of the panels: a root ``widget``, a ``status`` line, an ``errors`` Output, guarded handlers.

    Panels are plain objects holding widgets (not widget subclasses), so their attribute names never clash
    with ipywidgets' own (``close``, ``keys``, ``log`` …). ``display(panel)`` shows :attr:`widget`.
    """

    #: short name used in CSS classes: ``vnb-<name>-panel``, ``vnb-<name>-status``, ``vnb-<name>-errors``
    name = "panel"

    def __init__(self, state: Any = None) -> None:

        #: the shared :class:`~vsphere_nb.widgets.state.RunbookState` (a fresh one when not given)
        self.state = state if state is not None else RunbookState()
        self.status = styled(widgets.HTML(value=""), "vnb-status", f"vnb-{self.name}-status")
        self.errors = styled(widgets.Output(), "vnb-errors", f"vnb-{self.name}-errors")
        self.widget: widgets.Widget = widgets.VBox()

    # -- display ---------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _finish_layout(self, *children: widgets.Widget) -> None:
        self.widget = styled(widgets.VBox([*children, self.status, self.errors]), "vnb-panel", f"vnb-{self.name}-panel")

    def set_status(self, text: str, kind: str = "info") -> None:
        self.status.value = status_html(text, kind)

    # -- errors ----------------------------------------------------------------------------------
    def error_lines(self) -> list[str]:
        """The text of every entry in :attr:`errors` (for tests and for a quick look in a cell)."""
        return [o.get("text", "") for o in self.errors.outputs]

    def clear_errors(self) -> None:
        self.errors.outputs = ()

    def report(self, exc: BaseException, context: str = "") -> None:
        """Show ``exc`` once: its message in :attr:`errors`, and only "<context> failed" in the status line."""
        report_error(self.errors, exc, context)
        what = f"{context} failed" if context else "failed"
        self.set_status(what if isinstance(exc, VsphereError) else f"{what} (details below)", "error")

    # -- handlers --------------------------------------------------------------------------------
    def action(self, fn: Callable[[], Any], context: str = "") -> Callable[..., None]:
        """A button handler running ``fn()`` under the state lock; errors go to :attr:`errors`, never lost.

        The error ``Output`` is cleared first (the ``interact_manual`` convention: it shows the last action's
        problems).
        """

        @functools.wraps(fn)
        def handler(*_args: Any) -> None:
            with self.state.lock:
                self.clear_errors()
                try:
                    fn()
                except Exception as exc:
                    self.report(exc, context)

        return handler

    def observer(self, fn: Callable[[Any], Any], context: str = "") -> Callable[[Any], None]:
        """An ``observe`` handler running ``fn(change)`` under the state lock; errors go to :attr:`errors`."""

        @functools.wraps(fn)
        def handler(change: Any) -> None:
            with self.state.lock:
                try:
                    fn(change)
                except Exception as exc:
                    self.report(exc, context)

        return handler

    def close(self) -> None:
        """Stop the panel's background threads (the widgets stay displayed)."""
