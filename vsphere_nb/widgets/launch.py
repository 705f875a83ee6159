"""``LaunchPanel``: limits, the dry-run plan, a two-step launch, live progress, cancel and retry.

The flow: **Plan (dry run)** shows what would be launched and what is skipped (and why) — nothing happens on
vCenter. **Launch…** only reveals a second button, **Confirm launch of N hosts** (and a Cancel); only that one
launches. The run goes through ``plan.start(progress=…)``, which returns at once: the batch engine runs on the
client's own event-loop thread and the kernel stays free.

Progress threading: the engine calls the progress callback on its loop thread up to ten times a second. The
callback only stores the newest snapshot in a :class:`~vsphere_nb.widgets._util.Throttle`; the throttle's single
worker thread pushes it into the widgets at most four times a second, under ``hold_sync()`` and the shared
state lock. The run's end is queued on the same worker, after the last snapshot, and re-enables the buttons in a
``finally`` — so a failure while finishing can never leave the panel stuck "running".
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..batch.execute import plan_reconfigure
from ..batch.limits import BatchLimits
from ..batch.progress import Progress
from ..errors import ConfigError
from ..safetext import html_text
from ..vocabulary import RECONFIGURE_FIXES_WORDS
from ._util import Panel, Throttle, styled
from .grid import DataGrid
from .hosts import selected_hosts
from .plan_view import plan_summary_html
from .result_frames import pairs
from .run_progress import RunProgressView

__all__ = ["LaunchPanel", "PLAN_COLUMNS", "SKIPPED_COLUMNS", "NOT_DIAGNOSED"]

PLAN_COLUMNS = tuple(
    pairs(
        ("order", "host", "cluster", "vcenter", "das_state", "cause", "reconfigure_fixes", "flag", "canary", "attempt")
    )
)
SKIPPED_COLUMNS = tuple(pairs(("host", "cluster", "vcenter", "das_state", "skip_reason")))
#: the cause cells of a plan made without a diagnosis: unknown, not "none"
NOT_DIAGNOSED = "not diagnosed"
_NOT_DIAGNOSED_NOTE = (
    "<div class='vnb-note' style='color:#b35900'><b>Not diagnosed:</b> the causes are unknown — run Diagnose "
    "first, then plan again, to see each host's cause and whether a reconfigure fixes it.</div>"
)
_WIDE = {"description_width": "initial"}


class LaunchPanel(Panel):
    """Limits (:attr:`max_in_flight`, :attr:`per_cluster`, :attr:`canary`, :attr:`max_failures`,
    :attr:`task_timeout`, :attr:`post_check`, :attr:`run_dir`), :attr:`plan_button`, :attr:`launch_button`
    → :attr:`confirm_button` / :attr:`confirm_cancel_button`, :attr:`cancel_button`, :attr:`retry_button`,
    :attr:`progress` with :attr:`cluster_table` and :attr:`host_table`. :meth:`wait` blocks until a run's result
    is shown (for tests and scripts; a notebook just watches)."""

    name = "launch"

    def __init__(
        self,
        state: Any = None,
        *,
        limits: BatchLimits | None = None,
        run_dir: str | None = None,
        update_interval: float = 0.25,
        max_host_rows: int = 100,
    ) -> None:
        super().__init__(state)
        self.base_limits = limits or BatchLimits()
        base = self.base_limits
        self.max_in_flight = styled(
            widgets.BoundedIntText(
                value=base.max_in_flight, min=1, max=640, description="In flight (per vCenter)", style=_WIDE
            ),
            "vnb-max-in-flight",
        )
        self.per_cluster = styled(
            widgets.BoundedIntText(
                value=base.per_cluster or 0, min=0, max=640, description="Per cluster (0: no cap)", style=_WIDE
            ),
            "vnb-per-cluster",
        )
        self.canary = styled(
            widgets.BoundedIntText(value=base.canary, min=0, max=10000, description="Canaries", style=_WIDE),
            "vnb-canary",
        )
        self.max_failures = styled(
            widgets.Text(
                value="" if base.max_failures is None else str(base.max_failures),
                description="Failure budget",
                placeholder="none, N or P%",
                style=_WIDE,
            ),
            "vnb-max-failures",
        )
        self.task_timeout = styled(
            widgets.BoundedFloatText(
                value=base.task_timeout, min=1, max=86400, description="Task timeout (s)", style=_WIDE
            ),
            "vnb-task-timeout",
        )
        self.post_check = styled(
            widgets.Checkbox(
                value=base.post_check,
                description="Re-check HA state after each task",
                indent=False,
                layout=widgets.Layout(width="auto"),
            ),
            "vnb-post-check",
        )
        self.run_dir = styled(
            widgets.Text(
                value=run_dir or "",
                description="Run folder",
                placeholder="empty: runs/<run id> (or $VSPHERE_NB_RUNS)",
                style=_WIDE,
                layout=widgets.Layout(width="36em"),
            ),
            "vnb-run-dir",
        )
        auto = widgets.Layout(width="auto")
        self.plan_button = styled(widgets.Button(description="Plan (dry run)", icon="list", layout=auto), "vnb-plan")
        self.plan_view = styled(widgets.HTML(value=""), "vnb-plan-view")
        self.plan_grid = DataGrid(PLAN_COLUMNS, page_length=10, what="hosts to launch")
        #: above the plan table: says so when the plan was made without a diagnosis
        self.plan_note = styled(widgets.HTML(value=""), "vnb-plan-note")
        self.skipped_grid = DataGrid(SKIPPED_COLUMNS, long_text=("skip_reason",), page_length=5, what="skipped hosts")
        styled(self.plan_grid.widget, "vnb-plan-launch")
        styled(self.skipped_grid.widget, "vnb-plan-skipped")
        self.plan_box = widgets.VBox(
            [
                widgets.HTML("<b>Launch order</b> (canaries first, clusters interleaved)"),
                self.plan_note,
                self.plan_grid.widget,
                widgets.HTML("<b>Skipped, and why</b>"),
                self.skipped_grid.widget,
            ],
            layout=widgets.Layout(display="none"),
        )
        self.launch_button = styled(
            widgets.Button(description="Launch…", button_style="warning", icon="play", disabled=True, layout=auto),
            "vnb-launch",
        )
        self.confirm_button = styled(
            widgets.Button(description="Confirm launch", button_style="danger", layout=auto), "vnb-confirm"
        )
        self.confirm_cancel_button = styled(widgets.Button(description="Cancel"), "vnb-confirm-cancel")
        #: the second confirmation: also launch the hosts the diagnosis says a reconfigure will not help
        self.include_flagged = styled(
            widgets.Checkbox(
                value=False, description="", indent=False, layout=widgets.Layout(display="none", width="auto")
            ),
            "vnb-include-flagged",
        )
        self.confirm_box = styled(
            widgets.HBox(
                [self.confirm_button, self.confirm_cancel_button, self.include_flagged],
                layout=widgets.Layout(display="none"),
            ),
            "vnb-confirm-box",
        )
        self.cancel_button = styled(
            widgets.Button(description="Stop launching", icon="stop", disabled=True, layout=auto), "vnb-cancel"
        )
        self.retry_button = styled(
            widgets.Button(description="Retry failed hosts…", icon="repeat", disabled=True, layout=auto), "vnb-retry"
        )
        #: the run's live progress: the bar, its status line, the chips, the per-cluster and per-host tables
        self.run_progress = RunProgressView(self.state.lock, max_host_rows=max_host_rows)
        view = self.run_progress
        self.progress, self.progress_text, self.chips = view.progress, view.progress_text, view.chips
        self.cluster_table, self.host_table = view.cluster_table, view.host_table
        self.summary = styled(widgets.HTML(value=""), "vnb-run-summary")

        self._updater = Throttle(
            self._apply_progress,
            interval=update_interval,
            on_error=lambda exc: self._locked_report(exc, "progress"),
            name="vsphere-nb-launch-updates",
        )
        self._result_shown = threading.Event()
        self._result_shown.set()
        self._plan_from_selection = False

        limits_box = widgets.VBox(
            [
                widgets.HBox([self.max_in_flight, self.per_cluster, self.canary], layout=_wrap()),
                widgets.HBox([self.max_failures, self.task_timeout, self.post_check], layout=_wrap()),
                self.run_dir,
            ]
        )
        self._finish_layout(
            self.chips.widget,
            limits_box,
            widgets.HBox([self.plan_button, self.launch_button, self.cancel_button, self.retry_button]),
            self.confirm_box,
            self.plan_view,
            self.progress,
            self.progress_text,
            self.summary,
            self.host_table,
            self.cluster_table,
            self.plan_box,
        )

        self.plan_button.on_click(self.action(self.make_plan, "plan"))
        self.launch_button.on_click(self.action(self.ask_confirmation, "launch"))
        self.confirm_button.on_click(self.action(self.start, "launch"))
        self.confirm_cancel_button.on_click(self.action(self.dismiss_confirmation, "launch"))
        self.include_flagged.observe(self.observer(lambda _c: self._confirm_text(), "launch"), "value")
        self.cancel_button.on_click(self.action(self.cancel, "stop"))
        self.retry_button.on_click(self.action(self.plan_retry, "retry"))
        self.state.observe(self.observer(self._plan_changed, "plan"), "plan")
        self.state.observe(self.observer(self._selection_changed, "plan"), "selected")
        self.state.observe(self.observer(self._client_changed, "plan"), ["client", "clients"])
        self.state.observe(self.observer(lambda _c: self._buttons(), "launch"), ["client", "running", "run", "handle"])
        self._buttons()

    # -- public API ------------------------------------------------------------------------------
    @property
    def handle(self) -> Any:
        """The :class:`~vsphere_nb.batch.execute.RunHandle` of the latest run, or ``None``."""
        return self.state.handle

    @property
    def run(self) -> Any:
        """The latest finished run shown, or ``None``."""
        return self.state.run

    def limits(self) -> BatchLimits:
        """The limits the form says (fields not on the form come from the constructor's ``limits``)."""
        budget = self.max_failures.value.strip()
        return dataclasses.replace(
            self.base_limits,
            max_in_flight=int(self.max_in_flight.value),
            per_cluster=int(self.per_cluster.value) or None,
            canary=int(self.canary.value),
            max_failures=None if budget.lower() in ("", "none") else budget,
            task_timeout=float(self.task_timeout.value),
            post_check=bool(self.post_check.value),
        )

    def make_plan(self) -> Any:
        """Dry run over the selected hosts with the current limits; sets ``state.plan``."""
        client = self.state.client
        if client is None:
            raise ConfigError("not connected: connect first")
        if self.state.running:
            raise ConfigError("a run is in progress")
        if not self.state.selected:
            raise ConfigError("no hosts selected: select hosts in the Hosts panel first")
        hosts = selected_hosts(self.state.hosts, self.state.selected)
        clients = list(self.state.clients or ()) or [client]
        # each host's cause from the Diagnose tab; with none, healthy hosts are still flagged
        diagnosis = self.state.diagnosis
        advice = diagnosis.hosts if diagnosis is not None else None
        # one plan across every connected vCenter; the caps and the failure budget apply per vCenter
        plan = plan_reconfigure(clients, hosts, self.limits(), diagnosis=advice, flag_healthy=True)
        self._plan_from_selection = True
        self.state.plan = plan
        return plan

    def plan_retry(self) -> Any:
        """A new attempt for the failed hosts of the last run (fresh pre-flight); sets ``state.plan``."""
        run = self.state.run
        if run is None:
            raise ConfigError("no finished run to retry")
        if not hasattr(run, "retry_failed"):
            raise ConfigError("this run was loaded from disk: retry it from the notebook that ran it, or resume it")
        if self.state.running:
            raise ConfigError("a run is in progress")
        if self.state.client is None:
            raise ConfigError("not connected: connect again to retry")
        # the current client: after a reconnect the run's own client is closed (same vCenter name, same hosts)
        plan = run.retry_failed(limits=self.limits(), clients=list(self.state.clients or ()) or [self.state.client])
        self._plan_from_selection = False
        self.state.plan = plan
        if not len(plan):
            self.set_status("no failed host is eligible for a retry", "warn")
        return plan

    def ask_confirmation(self) -> None:
        """Show "Confirm launch of N hosts" / Cancel; nothing is launched yet."""
        plan = self.state.plan
        if plan is None or not len(plan):
            raise ConfigError("nothing to launch: make a plan with at least one host first")
        if self.state.running:
            raise ConfigError("a run is in progress")
        flagged = len(plan.plan.flagged)
        self.include_flagged.value = False
        self.include_flagged.description = (
            f"also launch the {flagged} flagged host(s) a reconfigure will not help" if flagged else ""
        )
        self.include_flagged.layout.display = None if flagged else "none"
        self._confirm_text()
        self.confirm_button.disabled = False
        self.confirm_box.layout.display = None
        self.launch_button.disabled = True
        n = len(plan) - (0 if self.include_flagged.value else flagged)
        extra = f"; {flagged} flagged host(s) stay out unless you tick the box" if flagged else ""
        self.set_status(f"about to run Reconfigure for vSphere HA on {n} host(s): confirm or cancel{extra}", "warn")

    def _confirm_text(self) -> None:
        plan = self.state.plan
        if plan is None:
            return
        flagged = len(plan.plan.flagged)
        n = len(plan) - (0 if self.include_flagged.value else flagged)
        self.confirm_button.description = f"Confirm launch of {n} host{'s' if n != 1 else ''}"
        self.confirm_button.disabled = n == 0

    def dismiss_confirmation(self) -> None:
        self.confirm_box.layout.display = "none"
        self._buttons()
        self.set_status("launch cancelled: nothing was started")

    def start(self) -> Any:
        """Launch the current plan in the background (the Confirm button); returns the ``RunHandle``."""
        plan = self.state.plan
        if plan is None or not len(plan):
            raise ConfigError("nothing to launch: make a plan first")
        if self.state.running:
            raise ConfigError("a run is in progress")
        self.confirm_box.layout.display = "none"
        self.state.running = True  # disables every launching button at once
        started = False
        try:
            run_dir = self.run_dir.value.strip() or None
            self.run_progress.start()
            self._result_shown.clear()
            confirm = bool(self.include_flagged.value)
            if plan.plan.flagged and not confirm:
                plan = plan.without_flagged()
                if not len(plan):
                    raise ConfigError("every planned host is flagged: tick the box to launch them anyway")
            handle = plan.start(progress=self._updater.push, run_dir=run_dir, confirm_flagged=confirm)
            started = True
            self.state.handle = handle
            self.summary.value = ""
            self.progress.bar_style = "info"
            self.set_status(f"run {handle.run_id} started in {handle.run_dir}", "busy")
            handle.future.add_done_callback(lambda fut: self._updater.call(lambda: self._finished(fut)))
            return handle
        finally:
            if not started:
                self._result_shown.set()
                self.state.running = False

    def cancel(self) -> None:
        """Stop launching new tasks (running tasks are followed to their end)."""
        handle = self.state.handle
        if handle is None or handle.done():
            raise ConfigError("no run in progress")
        handle.cancel()
        self.cancel_button.disabled = True
        self.set_status("stopping: no new launches; running tasks are followed to their end", "warn")

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the latest run has ended *and* its result is shown; returns ``state.run``.

        Not for a button handler (it would block the kernel); for tests, scripts and papermill notebooks.
        """
        handle = self.state.handle
        if handle is None:
            raise ConfigError("no run was started")
        handle.future.result(timeout)
        if not self._result_shown.wait(timeout):
            raise TimeoutError("the run ended but its result is not shown yet")
        return self.state.run

    def close(self) -> None:
        self._updater.close()

    # -- background updates (Throttle worker thread) ---------------------------------------------
    def _locked_report(self, exc: BaseException, context: str) -> None:
        with self.state.lock:
            self.report(exc, context)

    def _apply_progress(self, snap: Progress) -> None:
        with self.state.lock:
            self.run_progress.show(snap)

    def _finished(self, future: Any) -> None:
        with self.state.lock:
            try:
                run = future.result()
                # the plan was carried out: it cannot be launched a second time (a retry or a new plan can)
                self.state.plan = None
                self.state.run = run
                self.summary.value = self._summary_html(run)
                stop = getattr(run, "stop_reason", None)
                counts = run.end_counts()
                text = f"run {run.run_id} ended: {run.end_text()}"
                text += (f" (stopped: {stop})" if stop else "") + " — see Results"
                bad = counts["failed"] or counts["not launched"] or counts["in progress"]
                self.set_status(text, "warn" if bad or stop else "ok")
                for warning in getattr(run, "warnings", []) or []:
                    self.errors.append_stdout(f"warning: {warning}\n")
            except Exception as exc:
                self.report(exc, "run")
            finally:
                self.state.running = False
                self._buttons()
                self._result_shown.set()

    def _summary_html(self, run: Any) -> str:
        """The run's name and folder; its counts go into the header's chips (one per outcome, coloured)."""
        summary = run.summary()
        self.run_progress.show_outcomes({str(k): int(v) for k, v in summary.items()})
        where = f" — saved in <code>{html_text(str(run.run_dir))}</code>" if getattr(run, "run_dir", None) else ""
        return f"<div><b>Run {html_text(run.run_id)}</b>{where}</div>"

    # -- state changes (kernel thread) -----------------------------------------------------------
    def _plan_changed(self, _change: Any) -> None:
        plan = self.state.plan
        self.confirm_box.layout.display = "none"
        if plan is not None and not self.state.running:  # a new plan: the last run's progress is history
            self.run_progress.clear()
        self.plan_view.value = "" if plan is None else plan_summary_html(plan)
        self._show_plan(plan)
        if plan is not None and not self.state.running:
            self.set_status(
                f"dry run: {len(plan)} host(s) to launch, {len(plan.plan.skipped)} skipped — nothing launched yet",
                "info",
            )
        self._buttons()

    def _selection_changed(self, _change: Any) -> None:
        if self._plan_from_selection and self.state.plan is not None and not self.state.running:
            self.state.plan = None
            self.set_status("the selection changed: make a new plan")

    def _client_changed(self, _change: Any) -> None:
        if self.state.plan is not None and not self.state.running:
            self.state.plan = None  # it holds the previous connection

    def _buttons(self) -> None:
        running = bool(self.state.running)
        plan = self.state.plan
        confirming = self.confirm_box.layout.display != "none"
        self.plan_button.disabled = running or self.state.client is None
        self.launch_button.disabled = running or confirming or plan is None or not len(plan)
        self.confirm_button.disabled = running
        handle = self.state.handle
        self.cancel_button.disabled = not running or handle is None
        run = self.state.run
        self.retry_button.disabled = (
            running or run is None or not hasattr(run, "retry_failed") or not len(run.failed_hosts())
        )
        for w in (
            self.max_in_flight,
            self.per_cluster,
            self.canary,
            self.max_failures,
            self.task_timeout,
            self.post_check,
            self.run_dir,
        ):
            w.disabled = running

    def _show_plan(self, plan: Any) -> None:
        if plan is None:
            self.plan_box.layout.display = "none"
            return
        frame = plan.to_frame()
        launch = frame[frame["skip_reason"].isna()].copy()
        launch["order"] = launch["order"] + 1  # the plan counts from 0, an operator from 1
        diagnosed = plan.plan.diagnosed
        if not diagnosed:
            launch["cause"] = NOT_DIAGNOSED
        # words, not an empty cell for False: "fix first" and "not a canary" must read differently from "unknown"
        launch["reconfigure_fixes"] = [
            RECONFIGURE_FIXES_WORDS[None if pd.isna(v) else bool(v)] if diagnosed else ""
            for v in launch["reconfigure_fixes"]
        ]
        launch["canary"] = ["canary" if v is True else "" for v in launch["canary"]]
        self.plan_note.value = "" if diagnosed else _NOT_DIAGNOSED_NOTE
        self.plan_grid.set_frame(launch)
        self.skipped_grid.set_frame(frame[frame["skip_reason"].notna()])
        self.plan_box.layout.display = None


def _wrap() -> widgets.Layout:
    return widgets.Layout(flex_flow="row wrap", align_items="center")
