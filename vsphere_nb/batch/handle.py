"""``RunHandle``: a run under way, and how it ends — *finished* or *detached*, never "finished" with hosts in limbo.

When the last vCenter engine of a run returns, the handle looks at every planned host's latest attempt:

* all have a final outcome → the journal gets ``stopped`` (when the run stopped itself) and ``run_finished``;
* otherwise → ``run_detached`` with the reasons the engines gave (client closed, Ctrl-C, vCenter unreachable,
  journal unwritable, an engine error). ``resume(run_dir, vc)`` finishes such a run.

Either way the frames are saved next to the journal (a host still under way is a row with no outcome and the
stage it reached) and the directory's lock is released.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, RunDirectoryError
from . import heap
from .clients import Connection
from .context import RunContext
from .engine import VcenterEngine
from .progress import Progress
from .scheduler import STOP_CANCELLED

if TYPE_CHECKING:
    from .execute import BatchRun

__all__ = ["RunHandle", "INTERRUPTED"]

logger = logging.getLogger("vsphere_nb.batch")

#: the detach reason of a run stopped with Ctrl-C (or a kernel interrupt)
INTERRUPTED = "interrupted (Ctrl-C)"


def _submit(client: Any, coro: Any) -> Any:
    """Start ``coro`` on the client's loop: a sync ``Client`` has its own loop thread; an ``AsyncClient`` runs
    on the caller's loop (only inside ``ReconfigurePlan.execute_async``)."""
    if hasattr(client, "submit"):
        return client.submit(coro)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        coro.close()
        raise ConfigError("with an AsyncClient, run the batch with 'await plan.execute_async()'") from None
    return asyncio.ensure_future(coro)


async def _guarded(engine: VcenterEngine) -> None:
    """Run one vCenter's engine; whatever happens, its hosts keep their rows and the others run on."""
    try:
        await engine.run()
    except asyncio.CancelledError:
        engine.detach_reason = engine.detach_reason or "the engine was cancelled"
        raise
    except Exception as exc:  # the engine catches its own errors; this is the last line of defence
        logger.debug("engine for %s failed", engine.vcenter, exc_info=True)
        engine.detach_reason = engine.detach_reason or f"engine error: {type(exc).__name__}: {exc}"


class RunHandle:
    """A run under way: :meth:`progress`, :meth:`cancel`, :meth:`detach`, :meth:`done`, :meth:`wait` →
    :class:`~vsphere_nb.batch.execute.BatchRun`."""

    def __init__(
        self, ctx: RunContext, run_dir: Path, clients: Mapping[str, Connection], result_type: type[BatchRun]
    ) -> None:
        self.ctx = ctx
        self._result_type = result_type  # given by the caller: the run's result type sits above the handle
        self.run_dir = run_dir
        self.clients = dict(clients)
        self.future: concurrent.futures.Future[BatchRun] = concurrent.futures.Future()
        self.engines: dict[str, VcenterEngine] = {}
        self._lock = threading.Lock()
        self._heap_held = False

    @classmethod
    def start(
        cls,
        ctx: RunContext,
        run_dir: Path,
        clients: Mapping[str, Connection],
        engines: Mapping[str, VcenterEngine],
        result_type: type[BatchRun],
    ) -> RunHandle:
        handle = cls(ctx, run_dir, clients, result_type)
        handle.engines = dict(engines)
        heap.hold()
        handle._heap_held = True
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
                _submit(clients[name], _guarded(engine)).add_done_callback(on_done)
        except BaseException:
            handle._release_heap()
            ctx.journal.close()
            raise
        return handle

    @classmethod
    def finished(cls, ctx: RunContext, run_dir: Path, clients: Mapping[str, Connection], result: BatchRun) -> RunHandle:
        """A handle for a run that has nothing left to do (resume of a finished run)."""
        handle = cls(ctx, run_dir, clients, type(result))
        handle.future.set_result(result)
        return handle

    @property
    def run_id(self) -> str:
        return self.ctx.run_id

    # -- the end ---------------------------------------------------------------------------------
    def _release_heap(self) -> None:
        with self._lock:
            held, self._heap_held = self._heap_held, False
        if held:
            heap.release()

    def _finish(self) -> None:
        try:
            ctx = self.ctx
            unfinished = [r for r in ctx.records.latest() if r.outcome is None]
            reasons = list(dict.fromkeys(e.detach_reason for e in self.engines.values() if e.detach_reason))
            stop = ctx.progress.stop_reason or ctx.records.stop_reason
            try:
                if unfinished:
                    why = "; ".join(reasons) or "the run ended with hosts still under way"
                    ctx.write("run_detached", why)
                else:
                    if stop and stop != ctx.records.stop_reason:
                        ctx.write("stopped", stop)
                    counts: dict[str, int] = {}
                    for rec in ctx.records:
                        if rec.outcome:
                            counts[rec.outcome] = counts.get(rec.outcome, 0) + 1
                    ctx.write("run_finished", stop_reason=stop, counts=counts)
            except RunDirectoryError as exc:
                ctx.warn(f"the end of the run could not be journalled: {exc}")
            ctx.journal.close()
            result = self._result_type.from_records(ctx.records, run_dir=self.run_dir)
            if unfinished and result.lifecycle != "detached":
                result.lifecycle = "detached"
                result.detached_reason = "; ".join(reasons) or "the run ended with hosts still under way"
            result.clients = self.clients
            result.warnings = list(ctx.warnings)
            try:
                result.save(self.run_dir)
            except Exception as exc:  # the journal has everything; the frames can be rebuilt from it
                logger.info("saving frames to %s failed: %s", self.run_dir, exc)
                result.warnings.append(f"saving the frames failed: {exc}")
            ctx.progress.finished = True
            ctx.progress.emit(force=True)
            self._release_heap()  # after the frames are saved: a full collection then walks the whole heap again
            self.future.set_result(result)
        except BaseException as exc:
            self._release_heap()
            self.ctx.journal.close()
            logger.debug("finishing run %s failed", self.ctx.run_id, exc_info=True)
            self.future.set_exception(exc)

    # -- control ---------------------------------------------------------------------------------
    def cancel(self, cancel_running: bool | None = None) -> None:
        """A decision: no new launches, hosts not launched end ``cancelled`` (``resume`` will not launch them);
        with ``cancel_running=True`` also ``CancelTask`` the running tasks.

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

    def stop_launching(self, reason: str = INTERRUPTED) -> None:
        """An interruption, not a decision: no new launches; once the running tasks have ended the run detaches
        and ``resume`` launches the rest."""
        self.ctx.request_hold(reason)

    def detach(self, reason: str = "detached by the user") -> None:
        """Let go at once: running tasks are left to vCenter, launches in flight stay ``launching`` in the
        journal; ``resume`` finishes the run."""
        self.ctx.request_detach(reason)

    def progress(self) -> Progress:
        return self.ctx.progress.snapshot()

    def done(self) -> bool:
        return self.future.done()

    def wait(self, timeout: float | None = None) -> BatchRun:
        """Block until the run ends. Ctrl-C (a kernel interrupt) once: stop launching, follow the running tasks
        to the end, then detach; twice: detach at once; a third time gives up waiting."""
        interrupts = 0
        while True:
            try:
                return self.future.result(timeout)
            except KeyboardInterrupt:
                interrupts += 1
                if interrupts == 1:
                    logger.warning(
                        "interrupted: no new launches; following the running tasks (interrupt again to detach now)"
                    )
                    self.stop_launching(INTERRUPTED)
                elif interrupts == 2:
                    logger.warning("detaching: running tasks are left to vCenter; resume the run to finish it")
                    self.detach(f"{INTERRUPTED}, twice")
                else:
                    raise

    def __repr__(self) -> str:
        return f"<RunHandle {self.run_id}: {self.progress().line()}>"
