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
import dataclasses
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

import pandas as pd

from ..client.aio import AsyncClient
from ..diagnosis import Diagnosis
from ..errors import ConfigError
from ..safetext import html_text
from ..vocabulary import FAILURE_OUTCOMES
from .clients import Clients, Connection, clients_by_name
from .context import RunContext
from .engine import VcenterEngine
from .frames import latest_attempts
from .handle import RunHandle
from .journal import Journal, new_run_id, state_from_journal
from .limits import BatchLimits
from .plan import Plan, PlannedHost, make_plan
from .progress import ProgressCallback, ProgressTracker
from .records import RunRecords
from .result import RunResult
from .resuming import check_vcenters, instance_uuid, resume_run

__all__ = ["ReconfigurePlan", "RunHandle", "BatchRun", "plan_reconfigure", "resume"]

logger = logging.getLogger("vsphere_nb.batch")


def _default_run_dir(run_id: str) -> Path:
    return Path(os.environ.get("VSPHERE_NB_RUNS", "runs")) / run_id


class ReconfigurePlan:
    """A dry run: the hosts that will be launched, in order, and the hosts skipped with their reasons.

    Nothing is launched until :meth:`execute` / :meth:`start`.
    """

    def __init__(
        self, clients: Mapping[str, Connection], plan: Plan, limits: BatchLimits, *, continues: BatchRun | None = None
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
        flagged = self.plan.flagged
        warning = ""
        if flagged:
            warning = (
                f"<p style='color:#b35900'><b>{len(flagged)} host(s) will not be helped by a reconfigure</b> "
                "(healthy, or a cause to fix first): launching them needs <code>confirm_flagged=True</code>; "
                "<code>plan.without_flagged()</code> leaves them out.</p>"
            )
        reasons = frame["skip_reason"].value_counts()
        rows = "".join(f"<tr><td>{html_text(str(r))}</td><td>{n}</td></tr>" for r, n in reasons.items())
        head = frame[frame["skip_reason"].isna()].head(20)
        return (
            f"<div><b>Reconfigure for vSphere HA — dry run</b>: {len(self.plan.launch)} host(s) to launch in "
            f"{len({h.cluster_key for h in self.plan.launch})} cluster(s), {len(self.plan.skipped)} skipped; "
            f"limits: {html_text(str(self.limits))}<br>"
            + (f"<table><tr><th>skip reason</th><th>hosts</th></tr>{rows}</table>" if rows else "")
            + warning
            + "<p>Launch order (first 20):</p>"
            + head[
                ["order", "vcenter", "cluster", "host", "das_state", "cause", "reconfigure_fixes", "flag", "canary"]
            ].to_html(index=False, escape=True)
            + "</div>"
        )

    # -- running ---------------------------------------------------------------------------------
    @property
    def flagged(self) -> pd.DataFrame:
        """Planned hosts a reconfigure will not help (healthy, or a cause to fix first), with ``flag``."""
        frame = self.plan.to_frame()
        return frame[frame["flag"].notna() & frame["skip_reason"].isna()].reset_index(drop=True)

    def without_flagged(self) -> ReconfigurePlan:
        """The same plan without the flagged hosts (they become skipped hosts, the flag as the reason)."""
        plan = self.plan.without_flagged(canary=self.limits.canary)
        return ReconfigurePlan(self.clients, plan, self.limits, continues=self._continues)

    def _check_flagged(self, confirm_flagged: bool) -> None:
        flagged = self.plan.flagged
        if not flagged or confirm_flagged:
            return
        kinds: dict[str, int] = {}
        for h in flagged:
            kinds[str(h.flag)] = kinds.get(str(h.flag), 0) + 1
        what = ", ".join(f"{k} ×{n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        raise ConfigError(
            f"{len(flagged)} planned host(s) will not be helped by a reconfigure ({what}): launch them only with "
            "confirm_flagged=True, or plan.without_flagged()"
        )

    def start(
        self,
        progress: ProgressCallback | None = None,
        *,
        run_dir: str | os.PathLike[str] | None = None,
        confirm_flagged: bool = False,
    ) -> RunHandle:
        """Launch in the background and return at once. ``progress`` gets :class:`Progress` snapshots.

        A plan made with a diagnosis refuses flagged hosts (healthy, or a cause a reconfigure does not fix)
        unless ``confirm_flagged=True`` (the second confirmation)."""
        self._check_flagged(confirm_flagged)
        ids = {name: instance_uuid(client) for name, client in self.clients.items()}
        if self._continues is not None:
            prev = self._continues
            if prev.run_dir is None:
                raise ConfigError("the run to continue has no run directory")
            directory = Path(prev.run_dir)
            state = state_from_journal(directory)
            check_vcenters(sorted(self.clients), state.vcenter_ids, self.clients)
            journal = Journal.open(directory)
            records = prev.records if prev.records is not None else state.records
            run_id = prev.run_id
            prev.refresh()
        else:
            run_id = new_run_id()
            directory = Path(run_dir) if run_dir is not None else _default_run_dir(run_id)
            if directory.exists() and any(directory.iterdir()):
                raise ConfigError(f"run directory {directory} is not empty (choose another, or resume it)")
            journal = Journal.create(directory)
            records = RunRecords(run_id)
        ctx = RunContext(run_id, journal, records, self.limits, ProgressTracker(run_id, progress))
        try:
            if self._continues is None:
                ctx.write(
                    "run_started", run_id=run_id, vcenters=sorted(self.clients), limits=self.limits, vcenter_ids=ids
                )
            else:
                ctx.write("run_resumed", vcenter_ids=ids)
            ctx.write("planned", self.plan)
        except BaseException:
            journal.close()
            raise
        ctx.progress.add((h.key, h.host, h.cluster) for h in self.plan.launch)
        groups: dict[str, list[PlannedHost]] = {}
        for host in self.plan.launch:
            groups.setdefault(host.vcenter, []).append(host)
        engines = {name: VcenterEngine(_aio(self.clients[name]), hosts, ctx) for name, hosts in groups.items()}
        return RunHandle.start(ctx, directory, self.clients, engines, BatchRun)

    def execute(
        self,
        progress: ProgressCallback | None = None,
        *,
        run_dir: str | os.PathLike[str] | None = None,
        confirm_flagged: bool = False,
    ) -> BatchRun:
        """Launch and wait for the end (Ctrl-C / kernel interrupt: stop launching, then detach; see
        :meth:`RunHandle.wait`)."""
        return self.start(progress, run_dir=run_dir, confirm_flagged=confirm_flagged).wait()

    async def execute_async(
        self,
        progress: ProgressCallback | None = None,
        *,
        run_dir: str | os.PathLike[str] | None = None,
        confirm_flagged: bool = False,
    ) -> BatchRun:
        """The same, awaitable from any event loop (e.g. a notebook cell with ``await``)."""
        handle = self.start(progress, run_dir=run_dir, confirm_flagged=confirm_flagged)
        await asyncio.wrap_future(handle.future)
        return handle.wait()


def _aio(client: Any) -> Any:
    return getattr(client, "aio", client)


class BatchRun(RunResult):
    """A finished run: the DataFrames of :class:`RunResult` plus :meth:`retry_failed`."""

    #: the connections the run was given (``retry_failed`` reuses them)
    clients: dict[str, Connection]
    #: what went wrong around the run (a journal record that could not be written, frames not saved)
    warnings: list[str]

    @classmethod
    def from_records(cls, records: RunRecords, *, run_dir: str | os.PathLike[str] | None = None) -> Self:
        run = super().from_records(records, run_dir=run_dir)
        run.clients = {}
        run.warnings = []
        return run

    def failed_hosts(self) -> pd.DataFrame:
        """The latest attempt of every host whose outcome counts as a failure."""
        latest = latest_attempts(self.tasks)
        return latest[latest["outcome"].astype(str).isin(FAILURE_OUTCOMES)]

    def retry_failed(self, limits: BatchLimits | None = None, *, clients: Clients | None = None) -> ReconfigurePlan:
        """Plan a new attempt (same run, ``attempt + 1``) for failed hosts only, with a fresh pre-flight."""
        clients_map = clients_by_name(clients) if clients is not None else self.clients
        if not clients_map:
            raise ConfigError("retry_failed needs the clients of the run (pass clients=...)")
        failed = self.failed_hosts()
        limits = limits or self.limits or BatchLimits()
        next_attempt = {
            (str(v), str(m)): int(a) + 1 for v, m, a in zip(failed["vcenter"], failed["host_moid"], failed["attempt"])
        }
        frames = []
        for name, client in clients_map.items():
            wanted = [moid for (vc, moid) in next_attempt if vc == name]
            if not wanted:
                continue
            if isinstance(client, AsyncClient):
                raise ConfigError("retry_failed re-reads the hosts: pass the clients vsphere_nb.connect gave")
            hosts = client.hosts()
            frames.append(hosts[hosts["host_moid"].astype(str).isin(wanted)])
        current = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=self.hosts.columns)
        plan = make_plan(current, limits)
        launch = tuple(dataclasses.replace(h, attempt=next_attempt.get(h.key, h.attempt)) for h in plan.launch)
        plan = dataclasses.replace(plan, launch=launch, skipped=())
        return ReconfigurePlan(clients_map, plan, limits, continues=self)


def resume(run_dir: str | os.PathLike[str], clients: Clients, progress: ProgressCallback | None = None) -> RunHandle:
    """Finish the run in ``run_dir`` (detached, or its process died); launches nothing twice (see
    :mod:`vsphere_nb.batch.resuming`). A finished run comes back unchanged; ``wait()`` gives a :class:`BatchRun`."""
    return resume_run(run_dir, clients, progress, BatchRun)


def plan_reconfigure(
    clients: Clients,
    hosts: pd.DataFrame,
    limits: BatchLimits | None = None,
    *,
    diagnosis: Diagnosis | pd.DataFrame | None = None,
    flag_healthy: bool = False,
) -> ReconfigurePlan:
    """A dry run over ``hosts`` (the ``hosts`` frame, possibly filtered) for ``clients`` (one or several);
    with ``diagnosis`` each host carries its cause and flagged hosts need ``confirm_flagged=True``;
    ``flag_healthy`` flags hosts whose agent is already healthy without a diagnosis."""
    limits = limits or BatchLimits()
    plan = make_plan(hosts, limits, diagnosis=diagnosis, flag_healthy=flag_healthy)
    return ReconfigurePlan(clients_by_name(clients), plan, limits)
