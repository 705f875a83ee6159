"""The live engine: run one vCenter's share of a plan to the end, or detach it with a reason.

One :class:`VcenterEngine` per vCenter, on that client's event loop. It only *wires* the parts, each of which can
be read and tested alone:

* :class:`~vsphere_nb.batch.scheduler.Scheduler` — who may start now (caps, canary gate, failure budget, cancel);
* :class:`~vsphere_nb.batch.launcher.Launcher` — the exactly-once launch, and finding a task whose launch got
  no answer;
* :class:`~vsphere_nb.batch.watch.TaskWatch` — one PropertyCollector following the hosts and their tasks;
* :class:`~vsphere_nb.batch.attempts.AttemptBook` — pure: what each fact means (outcomes, identity of tasks,
  deadlines), as effects this engine applies in order: journal first, then scheduler and progress;
* :class:`~vsphere_nb.batch.detach.Reachability` — when vCenter has not answered for too long;
* :class:`~vsphere_nb.batch.background.Background` — the launches, look-ups and cancels running beside the loop;
* :class:`~vsphere_nb.batch.event_feed.EventFeed` and :func:`~vsphere_nb.batch.event_matching.match_events` —
  the run's HA events, journalled with the attempt they belong to as soon as it has ended.

The loop: launch what the scheduler allows, send pending view changes, wait for changes (or a deadline, a
cancel, a launch that ended), apply them, tick the deadlines. It ends when nothing runs and nothing may start.
Before it *asks* for changes it pauses ``wait_interval`` (20 ms), so that changes pile up into fewer, fuller
answers: about 0.35 ``WaitForUpdatesEx`` per host at 1,000 hosts. An answer already asked for (the loop was woken
meanwhile) is picked up at once: it has been gathering changes since it was sent, and each freed slot would
otherwise wait out a second pause before its next launch.

**Detaching** (:class:`~vsphere_nb.batch.detach.Detach`) ends the loop without an outcome for the hosts still under way; they stay in the
journal at the stage they reached and ``resume`` finishes them. Causes: the user asked (hold after Ctrl-C, or at
once), the client was closed, vCenter stayed unreachable longer than ``limits.unreachable_timeout``, the journal
could not be written (then nothing more is sent: no launch goes out that cannot be journalled first), or an
unexpected error inside the engine (recorded with its type).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..errors import ProtocolError, RunDirectoryError, TransportError, VsphereError
from ..wire import MoRef
from .attempts import AttemptBook, Effect, LookUp, Progress, Release, Write
from .background import Background
from .context import RunContext
from .detach import CLIENT_CLOSED, Detach, Reachability
from .event_feed import RunEvents
from .launcher import LAUNCH_RETRY, Launched, Launcher, LaunchFailed, LaunchUnknown, LookupFailed, answer_grace
from .plan import PlannedHost
from .resume_plan import ResumeWork
from .scheduler import STOP_CANCELLED, STOP_REASON_TEXT, Scheduler
from .watch import HostChange, TaskChange, TaskWatch, WatchLost

__all__ = ["VcenterEngine", "LAUNCH_CONCURRENCY"]

logger = logging.getLogger("vsphere_nb.batch")

#: concurrent launch requests per vCenter (the caps bound tasks; this bounds HTTP requests in the air). Below the
#: transport's connection pool, so the long-poll, the view updates and the event reads always find a connection
LAUNCH_CONCURRENCY = 8
#: polling cycles before the engine tries to create the property collector again
_POLL_CYCLES_BEFORE_REBUILD = 10
#: seconds after which a task the watch has never reported is added to the view itself (a task that vanished
#: before its host's recentTask showed it then comes back from ModifyListView as missing)
UNSEEN_AFTER = 30.0


def _now() -> datetime:
    return datetime.now(UTC)


class VcenterEngine:
    """Runs one vCenter's hosts of a plan; see the module doc. Use through :mod:`vsphere_nb.batch.execute`."""

    def __init__(
        self,
        client: Any,
        hosts: Sequence[PlannedHost],
        ctx: RunContext,
        *,
        resume: ResumeWork | None = None,
        wait_interval: float = 0.02,
    ) -> None:
        self.client = client
        self.ctx = ctx
        self.limits = ctx.limits
        self.hosts = list(hosts)
        self.vcenter = self.hosts[0].vcenter if self.hosts else ""
        self.sched = Scheduler(self.hosts, self.limits)
        self.book = AttemptBook(self.limits)
        self.launcher = Launcher(client, self._journal, self._other_tasks)
        self.watch = TaskWatch(client, [h.host_moid for h in self.hosts])
        self.events = RunEvents(client, ctx, self.vcenter, self.hosts, lambda: {a.host.host_moid for a in self.book})
        self.resume = resume or ResumeWork()
        self.wait_interval = wait_interval
        #: why the engine detached (``None``: it ran its share to the end)
        self.detach_reason: str | None = None
        self._by_key = {h.key: h for h in self.hosts}
        self._wake = asyncio.Event()
        self._launch_sem = asyncio.Semaphore(LAUNCH_CONCURRENCY)
        self._background = Background(self._wake)
        self._vcenter_answers = Reachability(
            self.vcenter, self.limits.unreachable_timeout, lambda: bool(self.client.is_closed)
        )
        self._cancel_handled = False
        #: the run's running tasks are being cancelled on vCenter (cancel with ``cancel_running``)
        self._cancelling_running = False
        self._cancel_sent: set[str] = set()
        self._poll_cycles = 0
        self._checked_unseen: set[str] = set()

    # -- the loop --------------------------------------------------------------------------------
    async def run(self) -> str | None:
        """Run to the end (``None``) or detach (the reason, also in :attr:`detach_reason`)."""
        self.ctx.register_waker(asyncio.get_running_loop(), self._wake)
        reader = self.events.start()
        try:
            await self._loop()
            self._record_not_launched()
        except Detach as exc:
            self.detach_reason = exc.reason
        except RunDirectoryError as exc:
            self.detach_reason = f"the journal cannot be written ({exc}); nothing more was sent"
        except asyncio.CancelledError:
            self.detach_reason = CLIENT_CLOSED
            raise
        except Exception as exc:
            if self.client.is_closed:
                self.detach_reason = CLIENT_CLOSED
            else:
                logger.debug("engine for %s failed", self.vcenter, exc_info=True)
                self.detach_reason = f"engine error: {type(exc).__name__}: {exc}"
        finally:
            await self._background.stop()
            self.events.stop()
            if not self.client.is_closed:
                await self._stop_watch()
        await self.events.finish(reader, final=self.detach_reason is None)
        return self.detach_reason

    async def _loop(self) -> None:
        watch = asyncio.ensure_future(self.watch.start())
        if not self.resume:
            # a fresh run: the first launches go out while the collector is set up (it lists the tasks
            # through their hosts' recentTask, whenever they were started)
            self._handle_cancel()
            self._launch_ready()
        warning = await watch
        if warning:
            self.ctx.warn(warning)
        self._resume_known()
        while True:
            self._check_requests()
            self._handle_cancel()
            self._launch_ready()
            await self._sync_view()
            if self._background.failure is not None:
                raise self._background.failure
            if not self._background.busy and not len(self.book) and self._all_launched_or_stopped():
                if self.ctx.hold_reason is not None and self.sched.pending_count and not self.sched.stopped:
                    raise Detach(f"{self.ctx.hold_reason}; {self.sched.pending_count} host(s) not launched yet")
                return
            changes = await self._next_changes()
            self._apply_changes(changes)
            self._apply(self.book.tick(time.monotonic()))
            self._check_unseen()
            self.ctx.progress.emit()

    def _all_launched_or_stopped(self) -> bool:
        return self.sched.done or (self.ctx.hold_reason is not None and not self.sched.running_count)

    def _check_requests(self) -> None:
        if self.ctx.detach_reason is not None:
            raise Detach(self.ctx.detach_reason)
        if self.client.is_closed:
            raise Detach(CLIENT_CLOSED)

    def _record_not_launched(self) -> None:
        """The run stopped itself (canary, budget) or was cancelled: the hosts never launched get their row."""
        stop = self.sched.stop_reason
        if stop is None:
            return
        for host in self.sched.not_launched():
            outcome = "cancelled" if stop == STOP_CANCELLED else "not_launched"
            self.ctx.write(
                "not_launched", host, STOP_REASON_TEXT.get(stop, stop), outcome=outcome, attempt=host.attempt
            )
            self.ctx.progress.set(host.key, outcome)
        self.ctx.progress.stop_reason = stop

    # -- effects ---------------------------------------------------------------------------------
    def _journal(self, kind: str, host: PlannedHost, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.ctx.write(kind, host, *args, attempt=host.attempt, **kwargs)

    def _apply(self, effects: list[Effect]) -> None:
        """Apply the book's effects in order: each journal record is durable before what follows it."""
        for effect in effects:
            if isinstance(effect, Write):
                self._journal(effect.kind, effect.host, **effect.fields)
            elif isinstance(effect, Release):
                self.sched.finished(effect.host, effect.outcome)
                self.ctx.progress.set(effect.host.key, effect.outcome)
            elif isinstance(effect, Progress):
                self.ctx.progress.set(effect.host.key, effect.state, effect.percent)
            elif isinstance(effect, LookUp):
                self._background.spawn(self._look_up(effect))

    def _apply_changes(self, changes: list[TaskChange | HostChange]) -> None:
        """Apply one answer's changes: the hosts' agent states first, then the tasks — they are the same moment,
        and a task that ended records the agent state its host reported with it."""
        now = time.monotonic()
        effects: list[Effect] = []
        for change in changes:
            if isinstance(change, HostChange):
                effects += self.book.das(change.host_moid, change.das_state, now=now, vcenter=self.vcenter)
        for change in changes:
            if not isinstance(change, TaskChange):
                continue
            if change.fields is None:
                att = self.book.by_task(change.task)
                if att is not None and att.task_outcome is None:
                    # an unfinished task left its host's recentTask: follow it through the view itself (a task
                    # vCenter no longer knows comes back from ModifyListView as missing: vanished)
                    self.watch.add([change.task])
                    self._wake.set()
                else:
                    self.book.task_left(change.task)
            else:
                effects += self.book.task_fields(change.task, change.fields, now=now, whole=True)
        self._apply(effects)

    def _other_tasks(self, host: PlannedHost) -> set[str]:
        """Task ids of the host's other attempts: never "the" task of this one."""
        rec_tasks = {
            r.task_moid
            for r in self.ctx.records
            if r.vcenter == host.vcenter and r.host_moid == host.host_moid and r.task_moid and r.attempt != host.attempt
        }
        return {t for t in rec_tasks if t is not None}

    # -- launching -------------------------------------------------------------------------------
    def _launch_ready(self) -> None:
        if self.ctx.hold_reason is not None or self.ctx.detach_reason is not None:
            return
        for host in self.sched.launchable():
            self.sched.launched(host)
            self.ctx.progress.set(host.key, "launching")
            # launches go out in the background: the loop keeps following the tasks already running meanwhile
            self._background.spawn(self._launch(host))

    async def _launch(self, host: PlannedHost) -> None:
        async with self._launch_sem:
            result = await self.launcher.launch(host)
        self._launch_result(host, result)

    def _launch_result(self, host: PlannedHost, result: Launched | LaunchFailed | LaunchUnknown) -> None:
        if isinstance(result, Launched):
            self._track(host, result)
        elif isinstance(result, LaunchUnknown):
            self._vcenter_answers.unreachable(TransportError(result.message))
            self._background.spawn(self._resolve_unknown(host, result.since, wait=LAUNCH_RETRY.cap))
        else:
            self.sched.finished(host, "launch_failed")
            self.ctx.progress.set(host.key, "launch_failed")
            self._wake.set()

    def _track(self, host: PlannedHost, launched: Launched) -> None:
        effects = self.book.track(
            host, launched.task, now=time.monotonic(), sent_at=launched.sent_at, answered_at=launched.answered_at
        )
        if launched.found:  # it may have left recentTask already: list it in the view itself
            self.watch.add([launched.task])
        self._apply(effects)
        self._cancel_on_vcenter([launched.task])  # launched before a cancel, answered after it: may still be queued
        if launched.found or any(isinstance(e, Release) for e in effects):
            self._wake.set()  # a view change to send, or a slot freed already (the task ended before its answer)

    async def _resolve_unknown(self, host: PlannedHost, since: datetime | None, *, wait: float = 0.0) -> None:
        """A launch without an answer whose fate could not be checked yet: adopt its task, or launch it when
        vCenter never got it. Looks again (holding the host's slot) while vCenter cannot be reached."""
        tries = 0
        while True:
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                found = await self.launcher.find(host, since)
                self._vcenter_answers.reachable()
            except LookupFailed as exc:
                if not exc.transient:
                    message = f"launch state unknown: {exc}; not relaunched"
                    self._journal("launch_failed", host, None, message=message)
                    self._launch_result(host, LaunchFailed(None, message))
                    return
                self._vcenter_answers.unreachable(TransportError(str(exc)))
                tries += 1
                wait = LAUNCH_RETRY.delay(tries) + 1.0
                continue
            if found is not None:
                self._track(host, self.launcher.adopted(host, found, since or _now()))
            elif self.sched.stop_reason is not None:  # stopped meanwhile: it was never launched, so don't
                stop = self.sched.stop_reason
                outcome = "cancelled" if stop == STOP_CANCELLED else "not_launched"
                self._journal("not_launched", host, STOP_REASON_TEXT.get(stop, stop), outcome=outcome)
                self.sched.finished(host, "cancelled")
                self.ctx.progress.set(host.key, outcome)
                self._wake.set()
            elif self.ctx.hold_reason is not None or self.ctx.detach_reason is not None:
                return  # never launched, and no new launches now: it stays "launching" for resume to settle
            else:  # vCenter never got it: launch it now (its slot is already held)
                async with self._launch_sem:
                    result = await self.launcher.launch(host)
                self._launch_result(host, result)
            return

    async def _look_up(self, look: LookUp) -> None:
        """The book lost an attempt's task (vanished, or its id now names another task): find it again."""
        tries = 0
        while True:
            try:
                found = await self.launcher.find(look.host, look.since, look.gone)
                self._vcenter_answers.reachable()
                break
            except LookupFailed as exc:
                if exc.transient:
                    self._vcenter_answers.unreachable(TransportError(str(exc)))
                tries += 1
                await asyncio.sleep(LAUNCH_RETRY.delay(tries) + 1.0)
        if found is not None:
            self.launcher.adopted(look.host, found, look.since or _now())
            self.watch.add([found])
            self._cancel_on_vcenter([found])
        else:
            self.ctx.warn(
                f"{look.host.host}: its task vanished from vCenter (neither recentTask nor events know it): lost"
            )
        self._apply(self.book.found(look.host.key, found, now=time.monotonic()))
        self._wake.set()

    # -- resume ----------------------------------------------------------------------------------
    def _resume_known(self) -> None:
        """Re-attach to what the journal knows (resume): no launch is sent for it.

        Outcomes already final are replayed into the scheduler first, so the failure budget and the canary gate
        count them exactly as in the first process.
        """
        work, now = self.resume, time.monotonic()
        for key, outcome in work.done.items():
            host = self._by_key.get(key)
            if host is not None:
                self.sched.adopt(host)
                self.sched.finished(host, outcome)
                self.ctx.progress.set(key, outcome)
        for key, (task, sent_at, answered_at) in work.adopt.items():
            host = self._by_key.get(key)
            if host is not None:
                self.sched.adopt(host)
                self._apply(self.book.track(host, task, now=now, sent_at=sent_at, answered_at=answered_at))
                self.watch.add([task])
        for key, task in work.post_check.items():
            host = self._by_key.get(key)
            if host is not None:
                self.sched.adopt(host)
                self._apply(self.book.track_post_check(host, task, now=now))
        for key, since in work.unknown.items():
            host = self._by_key[key]
            self.sched.adopt(host)  # holds its slot while we find out whether its task exists
            self.ctx.progress.set(key, "launching")
            # a request sent just before the crash may still sit in vCenter's queue: look only once the sender
            # would have given up waiting for its answer
            wait = ((since or _now()) + answer_grace(self.client) - _now()).total_seconds() if since else 0.0
            self._background.spawn(self._resolve_unknown(host, since or self.ctx.started_at, wait=max(0.0, wait)))
        self.resume = ResumeWork()

    # -- watching --------------------------------------------------------------------------------
    async def _sync_view(self) -> None:
        if not self.watch.has_additions:
            return
        try:
            missing = await self.watch.sync()
            self._vcenter_answers.reachable()
        except WatchLost as exc:
            await self._rebuild(exc)
            return
        except (TransportError, ProtocolError) as exc:
            self._vcenter_answers.unreachable(exc)
            return
        for task in missing:
            self._apply(self.book.vanished(task))

    def _check_unseen(self) -> None:
        now = time.monotonic()
        for att in self.book:
            task = att.task
            if task and not att.fields and now - att.started > UNSEEN_AFTER and task not in self._checked_unseen:
                self._checked_unseen.add(task)
                self.watch.add([task])

    async def _rebuild(self, reason: object) -> None:
        warning = await self.watch.rebuild(reason, self.book.tasks())
        if warning:
            self.ctx.warn(warning)

    async def _next_changes(self) -> list[TaskChange | HostChange]:
        """Wait for changes (or a deadline, a cancel, a launch that ended)."""
        if self.watch.polling:
            return await self._poll()
        if not self.watch.outstanding:
            # let changes pile up before asking: fewer, fuller answers. A request already out (the loop was woken
            # before its answer) is picked up at once: it has been gathering changes since it was sent
            await asyncio.sleep(self.wait_interval)
        if self.sched.launchable() and self.ctx.hold_reason is None and not self.ctx.cancel_requested:
            max_wait = 0
        else:
            due = self.book.next_deadline(time.monotonic())
            soonest = 20.0 if due is None else min(20.0, due - time.monotonic())
            max_wait = max(0, int(soonest + 0.5))
        try:
            changes = await self.watch.wait(max_wait, self._wake)
        except WatchLost as exc:
            await self._rebuild(exc)
            return []
        except (TransportError, ProtocolError) as exc:
            logger.info("WaitForUpdatesEx failed (%s); retrying", exc)
            self._vcenter_answers.unreachable(exc)
            await asyncio.sleep(1.0)
            return []
        if changes is None:  # woken before vCenter answered: no news on whether it can be reached
            return []
        self._vcenter_answers.reachable()
        return changes

    async def _poll(self) -> list[TaskChange | HostChange]:
        await asyncio.sleep(max(self.wait_interval, 1.0))
        polled = [(a.task if a.task_outcome is None else None, a.host.host_moid) for a in self.book]
        changes, vanished, failure = await self.watch.poll_all(polled)
        if failure is not None:
            self._vcenter_answers.unreachable(failure)
        elif polled:
            self._vcenter_answers.reachable()
        for task in vanished:
            self._apply(self.book.vanished(task))
        self._poll_cycles += 1
        if self._poll_cycles >= _POLL_CYCLES_BEFORE_REBUILD:
            self._poll_cycles = 0
            await self._rebuild(RuntimeError("retrying the collector"))
        return changes

    async def _stop_watch(self) -> None:
        try:
            await asyncio.wait_for(self.watch.stop(), timeout=10)
        except (TimeoutError, VsphereError) as exc:
            logger.debug("cleaning up the collector failed: %s", exc)

    # -- cancel ----------------------------------------------------------------------------------
    def _handle_cancel(self) -> None:
        if not self.ctx.cancel_requested or self._cancel_handled:
            return
        self._cancel_handled = True
        to_cancel = self.sched.cancel()
        cancel_running = self.ctx.cancel_running
        if cancel_running is None:
            cancel_running = self.limits.cancel_running_on_cancel
        if cancel_running:
            self._cancelling_running = True
            running = to_cancel or [a.host for a in self.book]
            tasks = [a.task for h in running if (a := self.book.get(h.key)) is not None and a.task is not None]
            self._cancel_on_vcenter(tasks)

    def _cancel_on_vcenter(self, tasks: list[str]) -> None:
        """Once the run cancels its running tasks: ``CancelTask`` each of ``tasks`` not sent one yet. A launch whose
        answer was still on its way at the cancel is cancelled when the answer (or a look-up) names its task."""
        if not self._cancelling_running:
            return
        new = [task for task in tasks if task not in self._cancel_sent]
        if new:
            self._cancel_sent.update(new)
            self._background.spawn(self._cancel_tasks(new))

    async def _cancel_tasks(self, tasks: list[str]) -> None:
        for task in tasks:
            try:
                await self.client.invoke(MoRef("Task", task), "CancelTask")
            except VsphereError as exc:  # a finished task cannot be cancelled: fine
                logger.info("CancelTask %s: %s", task, exc)
