"""Planning and running a batch across one or more vCenters; resuming a run from its directory.

::

    hosts = vc.hosts(only_unhealthy=True)
    plan = vc.plan_reconfigure(hosts, limits=BatchLimits(max_in_flight=16, per_cluster=2, canary=2))
    plan                      # dry run: order, skipped hosts and why — nothing launched
    run = plan.execute(progress=print)          # blocks; or plan.start() → RunHandle (never blocks)
    run.tasks, run.faults, run.events           # DataFrames
    retry = run.retry_failed(); retry.execute() # a new attempt for the failed hosts only

Each vCenter's share runs on its own client's event loop (:class:`~vsphere_nb.batch.engine.VcenterEngine`), so the
caps (``max_in_flight``, ``per_cluster``) and the failure budget apply **per vCenter**: each vCenter is its own
failure domain and its own task queue. All vCenters of a run share one run directory and one journal.

A run directory holds ``journal.jsonl`` (append-only, flushed per record) and, once the run ends, the frames as
Parquet and CSV. :func:`resume` re-attaches to a run whose process died: tasks in flight are watched again, a
launch that got no answer is looked up in the host's ``recentTask`` first, and nothing is launched twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import html
import logging
import os
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ..client import vcenter_name
from ..errors import ConfigError, RunDirectoryError
from ..wire import parse_datetime
from . import heap
from .engine import RunContext, VcenterEngine
from .frames import latest_attempts
from .journal import Journal, new_run_id, read_journal, state_from_journal
from .limits import BatchLimits
from .plan import HostKey, Plan, PlannedHost, make_plan
from .progress import Progress, ProgressCallback, ProgressTracker
from .records import FAILURE_OUTCOMES, RunRecords
from .result import RunResult
from .scheduler import STOP_CANCELLED

__all__ = ["ReconfigurePlan", "RunHandle", "BatchRun", "plan_reconfigure", "resume", "vcenter_name"]

logger = logging.getLogger("vsphere_nb.batch")


def _clients_by_name(clients: Any) -> dict[str, Any]:
    if isinstance(clients, Mapping):
        return dict(clients)
    if not isinstance(clients, (list, tuple)):
        clients = [clients]
    return {vcenter_name(c): c for c in clients}


def _default_run_dir(run_id: str) -> Path:
    return Path(os.environ.get("VSPHERE_NB_RUNS", "runs")) / run_id


class ReconfigurePlan:
    """A dry run: the hosts that will be launched, in order, and the hosts skipped with their reasons.

    Nothing is launched until :meth:`execute` / :meth:`start`.
    """

    def __init__(
        self, clients: Mapping[str, Any], plan: Plan, limits: BatchLimits, *, continues: BatchRun | None = None
    ) -> None:
        unknown = sorted({h.vcenter for h in plan.launch} - set(clients))
        if unknown:
            raise ConfigError(f"no client for vCenter(s) {', '.join(unknown)} (connect to them first)")
        self.clients = dict(clients)
        self.plan = plan
        self.limits = limits
        self._continues = continues

    # -- what a dry run shows --------------------------------------------------------------------
    @property
    def launch(self) -> tuple[PlannedHost, ...]:
        return self.plan.launch

    @property
    def skipped(self) -> pd.DataFrame:
        frame = self.plan.to_frame()
        return frame[frame["skip_reason"].notna()].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        return self.plan.to_frame()

    def __len__(self) -> int:
        return len(self.plan.launch)

    def __repr__(self) -> str:
        return (
            f"<ReconfigurePlan: launch {len(self.plan.launch)} host(s), skip {len(self.plan.skipped)}, "
            f"limits {self.limits}>"
        )

    def _repr_html_(self) -> str:
        frame = self.plan.to_frame()
        reasons = frame["skip_reason"].value_counts()
        rows = "".join(f"<tr><td>{html.escape(str(r))}</td><td>{n}</td></tr>" for r, n in reasons.items())
        head = frame[frame["skip_reason"].isna()].head(20)
        return (
            f"<div><b>Reconfigure for vSphere HA — dry run</b>: {len(self.plan.launch)} host(s) to launch in "
            f"{len({h.cluster_key for h in self.plan.launch})} cluster(s), {len(self.plan.skipped)} skipped; "
            f"limits: {html.escape(str(self.limits))}<br>"
            + (f"<table><tr><th>skip reason</th><th>hosts</th></tr>{rows}</table>" if rows else "")
            + "<p>Launch order (first 20):</p>"
            + head[["order", "vcenter", "cluster", "host", "das_state", "canary"]].to_html(index=False, escape=True)
            + "</div>"
        )

    # -- running ---------------------------------------------------------------------------------
    def start(
        self, progress: ProgressCallback | None = None, *, run_dir: str | os.PathLike[str] | None = None
    ) -> RunHandle:
        """Launch in the background and return at once. ``progress`` gets :class:`Progress` snapshots."""
        if self._continues is not None:
            prev = self._continues
            if prev.run_dir is None:
                raise ConfigError("the run to continue has no run directory")
            journal = Journal.open(prev.run_dir)
            records = prev.records if prev.records is not None else state_from_journal(prev.run_dir).records
            run_id = prev.run_id
            directory = Path(prev.run_dir)
            prev.refresh()
        else:
            run_id = new_run_id()
            directory = Path(run_dir) if run_dir is not None else _default_run_dir(run_id)
            if directory.exists() and any(directory.iterdir()):
                raise ConfigError(f"run directory {directory} is not empty (choose another, or resume it)")
            directory.mkdir(parents=True, exist_ok=True)
            journal = Journal.create(directory)
            records = RunRecords(run_id)
        ctx = RunContext(run_id, journal, records, self.limits, ProgressTracker(run_id, progress))
        if self._continues is None:
            ctx.write("run_started", run_id=run_id, vcenters=sorted(self.clients), limits=self.limits)
        ctx.write("planned", self.plan)
        ctx.progress.add((h.key, h.host, h.cluster) for h in self.plan.launch)
        groups: dict[str, list[PlannedHost]] = {}
        for host in self.plan.launch:
            groups.setdefault(host.vcenter, []).append(host)
        engines = {name: VcenterEngine(_aio(self.clients[name]), hosts, ctx) for name, hosts in groups.items()}
        return RunHandle._start(ctx, directory, self.clients, engines)

    def execute(
        self, progress: ProgressCallback | None = None, *, run_dir: str | os.PathLike[str] | None = None
    ) -> BatchRun:
        """Launch and wait for the end (Ctrl-C / kernel interrupt cancels launching, then waits)."""
        return self.start(progress, run_dir=run_dir).wait()

    async def execute_async(
        self, progress: ProgressCallback | None = None, *, run_dir: str | os.PathLike[str] | None = None
    ) -> BatchRun:
        """The same, awaitable from any event loop (e.g. a notebook cell with ``await``)."""
        handle = self.start(progress, run_dir=run_dir)
        await asyncio.wrap_future(handle.future)
        return handle.wait()


def _aio(client: Any) -> Any:
    return getattr(client, "aio", client)


def _submit(client: Any, coro: Any) -> Any:
    """Start ``coro`` on the client's loop: a sync ``Client`` has its own loop thread; an ``AsyncClient`` runs
    on the caller's loop (only inside :meth:`ReconfigurePlan.execute_async`)."""
    if hasattr(client, "submit"):
        return client.submit(coro)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        coro.close()
        raise ConfigError("with an AsyncClient, run the batch with 'await plan.execute_async()'") from None
    return asyncio.ensure_future(coro)


async def _guarded(engine: VcenterEngine, ctx: RunContext) -> None:
    """Run one vCenter's engine; an unexpected error is recorded, never loses the other hosts' results."""
    try:
        await engine.run()
    except asyncio.CancelledError:
        ctx.warn(f"{engine.vcenter}: engine cancelled; in-flight tasks can be re-attached with resume()")
        raise
    except Exception as exc:
        logger.exception("engine for %s failed", engine.vcenter)
        ctx.warn(f"{engine.vcenter}: engine stopped by an error: {type(exc).__name__}: {exc}")
        for host in engine.sched.not_launched():
            ctx.write("not_launched", host, f"engine error: {exc}", attempt=host.attempt)


class RunHandle:
    """A run under way. :meth:`cancel`, :meth:`progress`, :meth:`done`, :meth:`wait` → :class:`BatchRun`."""

    def __init__(self, ctx: RunContext, run_dir: Path, clients: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.run_dir = run_dir
        self.clients = dict(clients)
        self.future: concurrent.futures.Future = concurrent.futures.Future()
        self._engine_futures: list[Any] = []
        self._lock = threading.Lock()
        self._result: BatchRun | None = None
        self._heap_held = False

    @classmethod
    def _start(
        cls, ctx: RunContext, run_dir: Path, clients: Mapping[str, Any], engines: Mapping[str, VcenterEngine]
    ) -> RunHandle:
        handle = cls(ctx, run_dir, clients)
        handle._hold_heap()
        if not engines:
            handle._finish()
            return handle
        remaining = [len(engines)]

        def on_done(_fut: Any) -> None:
            with handle._lock:
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:
                handle._finish()

        try:
            for name, engine in engines.items():
                fut = _submit(clients[name], _guarded(engine, ctx))
                handle._engine_futures.append(fut)
                fut.add_done_callback(on_done)
        except BaseException:
            handle._release_heap()
            raise
        return handle

    def _hold_heap(self) -> None:
        heap.hold()
        self._heap_held = True

    def _release_heap(self) -> None:
        with self._lock:
            held, self._heap_held = self._heap_held, False
        if held:
            heap.release()

    @property
    def run_id(self) -> str:
        return self.ctx.run_id

    def _finish(self) -> None:
        try:
            stop = self.ctx.progress.stop_reason or self.ctx.records.stop_reason
            if stop:
                self.ctx.write("stopped", stop)
            counts: dict[str, int] = {}
            for rec in self.ctx.records:
                if rec.outcome:
                    counts[rec.outcome] = counts.get(rec.outcome, 0) + 1
            self.ctx.write("run_finished", stop_reason=stop, counts=counts)
            self.ctx.journal.close()
            result = BatchRun.from_records(self.ctx.records, run_dir=self.run_dir)
            result.clients = self.clients
            result.warnings = list(self.ctx.warnings)
            try:
                result.save(self.run_dir)
            except Exception as exc:
                logger.warning("saving frames to %s failed: %s", self.run_dir, exc)
                result.warnings.append(f"saving frames failed: {exc}")
            self._result = result
            self.ctx.progress.finished = True
            self.ctx.progress.emit(force=True)
            self._release_heap()  # after the frames are saved: a full collection then walks the whole heap again
            self.future.set_result(result)
        except BaseException as exc:
            self._release_heap()
            logger.exception("finishing run %s failed", self.ctx.run_id)
            self.future.set_exception(exc)

    # -- control ---------------------------------------------------------------------------------
    def cancel(self, cancel_running: bool | None = None) -> None:
        """Stop launching; with ``cancel_running=True`` also ``CancelTask`` the running tasks.

        A no-op once the run has ended (a notebook's Cancel button may be pressed a moment too late).
        """
        if self.future.done():
            return
        try:
            self.ctx.write("stopped", STOP_CANCELLED)
        except RunDirectoryError:
            if self.ctx.journal.closed:  # the run ended between the check and the write
                return
            raise
        self.ctx.request_cancel(cancel_running)

    def progress(self) -> Progress:
        return self.ctx.progress.snapshot()

    def done(self) -> bool:
        return self.future.done()

    def wait(self, timeout: float | None = None) -> BatchRun:
        """Block until the run ends; Ctrl-C cancels launching and keeps waiting for running tasks."""
        try:
            return self.future.result(timeout)
        except KeyboardInterrupt:
            logger.warning("interrupted: no new launches; waiting for running tasks (interrupt again to detach)")
            self.cancel()
            return self.future.result(timeout)

    def __repr__(self) -> str:
        return f"<RunHandle {self.run_id}: {self.progress().line()}>"


class BatchRun(RunResult):
    """A finished run: the DataFrames of :class:`RunResult` plus :meth:`retry_failed`."""

    clients: dict[str, Any]
    warnings: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clients = {}
        self.warnings = []

    def failed_hosts(self) -> pd.DataFrame:
        """The latest attempt of every host whose outcome counts as a failure."""
        latest = latest_attempts(self.tasks)
        return latest[latest["outcome"].astype(str).isin(FAILURE_OUTCOMES)]

    def retry_failed(self, limits: BatchLimits | None = None, *, clients: Any = None) -> ReconfigurePlan:
        """Plan a new attempt (same run, ``attempt + 1``) for failed hosts only, with a fresh pre-flight."""
        clients_map = _clients_by_name(clients) if clients is not None else self.clients
        if not clients_map:
            raise ConfigError("retry_failed needs the clients of the run (pass clients=...)")
        failed = self.failed_hosts()
        limits = limits or self.limits or BatchLimits()
        next_attempt = {(r.vcenter, r.host_moid): int(r.attempt) + 1 for r in failed.itertuples()}
        frames = []
        for name, client in clients_map.items():
            wanted = [moid for (vc, moid) in next_attempt if vc == name]
            if not wanted:
                continue
            hosts = client.hosts()
            frames.append(hosts[hosts["host_moid"].astype(str).isin(wanted)])
        current = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=self.hosts.columns)
        plan = make_plan(current, limits)
        launch = tuple(dataclasses.replace(h, attempt=next_attempt.get(h.key, h.attempt)) for h in plan.launch)
        plan = dataclasses.replace(plan, launch=launch, skipped=())
        return ReconfigurePlan(clients_map, plan, limits, continues=self)


def plan_reconfigure(clients: Any, hosts: pd.DataFrame, limits: BatchLimits | None = None) -> ReconfigurePlan:
    """A dry run over ``hosts`` (the ``hosts`` frame, possibly filtered) for ``clients`` (one or several)."""
    limits = limits or BatchLimits()
    return ReconfigurePlan(_clients_by_name(clients), make_plan(hosts, limits), limits)


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return parse_datetime(text)
    except (ValueError, TypeError):
        return None


def _launch_times(run_dir: str | os.PathLike[str]) -> dict[tuple[str, str, int], datetime]:
    """When each attempt's last ``launching`` record was written: a lost launch can only have created a task
    after that moment."""
    times: dict[tuple[str, str, int], datetime] = {}
    for entry in read_journal(run_dir).records:
        if entry.get("kind") != "launching":
            continue
        at = _parse_time(entry.get("at"))
        attempt = entry.get("attempt", 1)
        if at is not None and isinstance(entry.get("vcenter"), str) and isinstance(entry.get("host_moid"), str):
            times[(entry["vcenter"], entry["host_moid"], attempt if isinstance(attempt, int) else 1)] = at
    return times


def resume(run_dir: str | os.PathLike[str], clients: Any, progress: ProgressCallback | None = None) -> RunHandle:
    """Re-attach to the run in ``run_dir`` after its process died; launches nothing twice.

    Tasks the journal shows launched are watched again; a launch with no recorded answer is looked up in the
    host's ``recentTask`` (adopted when found, launched when vCenter never saw it); hosts never launched are
    launched under the run's limits; succeeded tasks missing their post-check are post-checked.
    """
    state = state_from_journal(run_dir)
    clients_map = _clients_by_name(clients)
    if state.run_finished:
        ctx = RunContext(
            state.run_id, Journal.open(run_dir), state.records, state.limits, ProgressTracker(state.run_id, progress)
        )
        handle = RunHandle(ctx, Path(run_dir), clients_map)
        result = BatchRun.from_records(state.records, run_dir=run_dir)
        result.clients = clients_map
        ctx.journal.close()
        handle._result = result
        handle.future.set_result(result)
        return handle
    missing = sorted(set(state.vcenters) - set(clients_map))
    if missing:
        raise ConfigError(f"resume needs a client for vCenter(s): {', '.join(missing)}")
    sent_at = _launch_times(run_dir)
    journal = Journal.open(run_dir)
    current = [r for r in state.records.latest() if r.stage != "skipped" and r.attempt > 0]
    # the events window and the recentTask checks start at this attempt's first launch, not at the resume
    first = min((t for r in current if (t := sent_at.get(r.key)) is not None), default=None)
    started = first or _parse_time(state.created_at) or datetime.now(timezone.utc)
    ctx = RunContext(
        state.run_id, journal, state.records, state.limits, ProgressTracker(state.run_id, progress), started_at=started
    )
    groups: dict[str, dict[str, Any]] = {}
    for rec in state.records.latest():
        if rec.stage == "skipped" or rec.attempt == 0:
            continue
        group = groups.setdefault(rec.vcenter, {"hosts": [], "adopt": {}, "unknown": {}, "post": {}, "done": {}})
        host = PlannedHost(
            vcenter=rec.vcenter,
            host=rec.host,
            host_moid=rec.host_moid,
            cluster=rec.cluster or "",
            cluster_moid=rec.cluster_moid or "",
            das_state=rec.das_state_before,
            canary=rec.canary,
            attempt=rec.attempt,
            order=len(group["hosts"]),
        )
        key: HostKey = host.key
        if rec.stage == "not_launched":
            continue
        group["hosts"].append(host)
        if rec.stage == "launching":
            group["unknown"][key] = sent_at.get(rec.key)
        elif rec.stage == "launched" and rec.task_moid:
            group["adopt"][key] = rec.task_moid
        elif rec.stage == "finished" and rec.outcome == "success" and state.limits.post_check and rec.task_moid:
            group["post"][key] = rec.task_moid
        elif rec.outcome is not None:
            group["done"][key] = rec.outcome
    ctx.progress.add((h.key, h.host, h.cluster) for g in groups.values() for h in g["hosts"])
    engines = {}
    for name, g in groups.items():
        hosts = sorted(g["hosts"], key=lambda h: (not h.canary, h.order))
        engines[name] = VcenterEngine(
            _aio(clients_map[name]),
            hosts,
            ctx,
            adopt=g["adopt"],
            unknown=g["unknown"],
            post_check=g["post"],
            finished=g["done"],
        )
    if state.stop_reason == STOP_CANCELLED:
        ctx.request_cancel(False)
    return RunHandle._start(ctx, Path(run_dir), clients_map, engines)
