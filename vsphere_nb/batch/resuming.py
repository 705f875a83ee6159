"""``resume(run_dir, clients)``: finish a run that was detached, or whose process died.

In order, before anything is sent to any vCenter:

1. the run directory's lock is taken (a second process gets a clear ``RunDirectoryError`` naming the holder);
2. the journal is replayed; a *finished* run is returned unchanged;
3. each vCenter of the run must have a client, and each client must be **the same vCenter** the run started on
   (``about.instanceUuid`` as journalled), else ``ConfigError``.

Then :func:`plan_resume` (pure) sorts every host's latest attempt by the stage it reached:

==================  ========================================================================================
``planned``          launched normally, under the run's limits (a cancelled run launches nothing new)
``launching``        the launch got no recorded answer: its task is looked up (from when it was *sent*) and
                     adopted; launched only when vCenter provably never got it
``launched``         its task is followed again (matched by identity: id, host and queue time)
``finished``         with post-check on and ``success``: the agent is post-checked again
final outcomes       replayed into the scheduler, so the failure budget and canary gate count them
==================  ========================================================================================
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .clients import Clients, clients_by_name
from .context import RunContext
from .engine import VcenterEngine
from .handle import RunHandle
from .journal import JOURNAL_NAME, Journal, state_from_journal
from .journal_reader import scan
from .lock import RunLock
from .progress import ProgressCallback, ProgressTracker
from .resume_plan import launch_times, parse_time, plan_resume
from .scheduler import STOP_CANCELLED

if TYPE_CHECKING:  # annotations only: the result type is given by the caller (execute sits above)
    from .execute import BatchRun

__all__ = ["resume_run", "check_vcenters", "instance_uuid"]

logger = logging.getLogger("vsphere_nb.batch")


def instance_uuid(client: Any) -> str | None:
    """``about.instanceUuid`` of a connected client (``None`` if the server does not say)."""
    about = getattr(client, "about", None)
    uuid = getattr(about, "instanceUuid", None)
    return uuid if isinstance(uuid, str) and uuid else None


def check_vcenters(names: list[str], recorded: Mapping[str, str | None], clients: Mapping[str, Any]) -> None:
    """Refuse clients missing for a vCenter of the run, or connected to another vCenter than the run's."""
    missing = sorted(set(names) - set(clients))
    if missing:
        raise ConfigError(f"resume needs a client for vCenter(s): {', '.join(missing)}")
    for name in names:
        expected, actual = recorded.get(name), instance_uuid(clients[name])
        if expected and actual != expected:
            raise ConfigError(
                f"{name} is not the vCenter this run was started on (instance UUID {actual or 'unknown'}, "
                f"the run's is {expected}); nothing was sent"
            )


def resume_run(
    run_dir: str | os.PathLike[str],
    clients: Clients,
    progress: ProgressCallback | None,
    result_type: type[BatchRun],
) -> RunHandle:
    """Finish the run in ``run_dir`` (detached, or its process died); launches nothing twice (see the module
    doc). A finished run comes back unchanged. ``result_type`` builds the run's result
    (:func:`vsphere_nb.batch.execute.resume` gives :class:`~vsphere_nb.batch.execute.BatchRun`)."""
    directory = Path(run_dir)
    scan(directory, lambda _n, _record: None)  # a clear error for anything that is not a run (before any lock file)
    lock = RunLock.acquire(directory)
    try:
        state = state_from_journal(directory)
        clients_map = clients_by_name(clients)
        if state.run_finished:
            result = result_type.from_records(state.records, run_dir=directory)
            result.clients = clients_map
            lock.release()
            ctx = RunContext(
                state.run_id,
                Journal(directory / JOURNAL_NAME),  # not opened: a finished run is not written to
                state.records,
                state.limits,
                ProgressTracker(state.run_id, progress),
            )
            return RunHandle.finished(ctx, directory, clients_map, result)
        check_vcenters(state.vcenters, state.vcenter_ids, clients_map)
        times = launch_times(state)
        journal = Journal.open(directory, lock=lock)
    except BaseException:
        lock.release()
        raise
    groups = plan_resume(state, times)
    # the events window and the look-ups start at this attempt's first launch, not at the resume
    sent = [
        times[h.key + (h.attempt,)][0] for hosts, _ in groups.values() for h in hosts if h.key + (h.attempt,) in times
    ]
    first = min((t for t in sent if t is not None), default=None)
    started = first or parse_time(state.created_at) or datetime.now(UTC)
    ctx = RunContext(
        state.run_id, journal, state.records, state.limits, ProgressTracker(state.run_id, progress), started_at=started
    )
    try:
        ctx.write("run_resumed", vcenter_ids={name: instance_uuid(c) for name, c in clients_map.items()})
    except BaseException:
        journal.close()
        raise
    ctx.progress.add((h.key, h.host, h.cluster) for hosts, _ in groups.values() for h in hosts)
    engines = {
        name: VcenterEngine(getattr(clients_map[name], "aio", clients_map[name]), hosts, ctx, resume=work)
        for name, (hosts, work) in groups.items()
    }
    if state.stop_reason == STOP_CANCELLED:
        ctx.request_cancel(False)
    return RunHandle.start(ctx, directory, clients_map, engines, result_type)
