"""The live engine: launch ``ReconfigureHostForDAS_Task`` on one vCenter's share of a plan and follow every task.

One :class:`VcenterEngine` per vCenter, running on that client's event loop:

* **Launching** — :class:`~vsphere_nb.batch.scheduler.Scheduler` says which hosts may start (global cap,
  per-cluster cap, canary gate, failure budget, cancel). Each launch is journalled *before* the request
  (``launching``) and after the answer (``launched`` with the task moId, or ``launch_failed`` with the fault), so a
  crash never leaves a launch unaccounted for.
* **A launch with no answer** (connection dropped, session expired mid-call, gateway 5xx: the client raises
  :class:`~vsphere_nb.errors.LaunchStateUnknown`) is never blindly repeated: the host's ``recentTask`` is read
  and a ``ReconfigureHostForDAS_Task`` task queued since the launch (and not known from another attempt) is
  adopted; when ``recentTask`` no longer lists it (vCenter forgets finished tasks after about 10 minutes), the host's
  ``TaskEvent`` s since the launch are searched. Only when none exists, at once and again after a pause, is the launch sent again (same attempt: no
  task was created, so the host is still launched at most once).
* **Resume** — tasks the journal shows launched are followed again. A launch journalled without an answer is
  resolved in the background while the host holds its slot: its task is looked up in ``recentTask`` from the
  moment the launch was *sent* (not from the resume), and only after the sender's HTTP read timeout has passed
  since then — a request sent just before the crash may still sit in vCenter's queue.
* **Monitoring** — one private PropertyCollector, one ``ListView`` holding the run's hosts, one filter that also
  follows each host's ``recentTask`` to its tasks (``Task.info.*``, ``HostSystem.runtime.dasHostState``) and a
  ``WaitForUpdatesEx`` loop. A task started on a listed host joins the filter by itself, so following a launch
  costs no request of its own: the HTTP cost per host is one launch plus a share of the waits. Updates of a task
  that arrive before its launch answer are kept and applied when the answer comes. Tasks that may have left
  ``recentTask`` (adopted on resume, found after a launch without an answer, still running when the collector is
  rebuilt) are added to the view itself with ``ModifyListView``. When the collector fails (for example after a
  server restart the session's collectors are gone) it is created again; when that fails too, in-flight tasks are
  polled one by one until it can be created.
* **Post-check** — after a task succeeds, the host's ``runtime.dasHostState`` (already in the view) must reach
  ``master``/``connectedToMaster`` before ``post_check_timeout``; otherwise the outcome is ``agent_unhealthy``.
  A host keeps its slot until then: its cluster's HA agents are still settling.
* **Timeouts** — a task not finished within ``task_timeout`` (vCenter's 15 minutes by default) is ``timed_out``;
  it is left to vCenter (not cancelled).
* **Events** — one event collector over the run's time window (``CreateCollectorForEvents`` +
  ``ReadNextEvents`` pages, read every second while the run goes on and until empty at the end) for the HA event
  types the server describes, kept as the server's wire JSON. Events are matched to attempts by the task's
  ``eventChainId`` (source ``task_chain``) or by host (``host_events``) and journalled as soon as their attempt has
  ended, so little is left for the end of the run. Cost: pages, not hosts.

Every fact is written to the journal first and then applied to the run's records, so what a notebook sees live
is exactly what ``load_run`` reads back after a crash.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from .. import wire
from ..errors import LaunchStateUnknown, ProtocolError, ServerFault, TransportError, VsphereError
from ..property import PropertyWatcher, create_list_view, destroy_view, list_filter_spec, modify_list_view
from ..wire import MoRef
from .journal import Journal
from .limits import BatchLimits
from .plan import HostKey, PlannedHost
from .progress import ProgressTracker
from .records import HEALTHY_DAS_STATES, RunRecords, outcome_from_task_info
from .scheduler import STOP_REASON_TEXT, Scheduler

__all__ = ["RunContext", "VcenterEngine", "RECONFIGURE_METHOD", "HA_EVENT_TYPES", "is_reconfigure_task"]

logger = logging.getLogger("vsphere_nb.batch")

RECONFIGURE_METHOD = "ReconfigureHostForDAS_Task"
#: event types collected when the server's ``EventManager.description`` cannot be read
HA_EVENT_TYPES: tuple[str, ...] = (
    "TaskEvent",
    "HostDasEnablingEvent",
    "HostDasEnabledEvent",
    "HostDasDisablingEvent",
    "HostDasDisabledEvent",
    "HostDasErrorEvent",
    "DasHostFailedEvent",
    "DasHostIsolatedEvent",
    "HostIsolationIpPingFailedEvent",
    "HostNoRedundantManagementNetworkEvent",
    "HostMissingNetworksEvent",
    "HostShortNameToIpFailedEvent",
    "InsufficientFailoverResourcesEvent",
    "com.vmware.vc.HA.HostAgentErrorEvent",
    "com.vmware.vc.HA.HostStateChangedEvent",
    "com.vmware.vc.HA.ConnectedToMaster",
    "com.vmware.vc.HA.HostDasAgentHealthyEvent",
    "com.vmware.vc.HA.AllHostAddrsPingable",
)
#: what the one filter watches. Nested ``info.*`` paths, not the whole ``info``: a task's ``progress`` ticks would
#: otherwise wake the waiter many times per task; these change only when the task changes state
_TASK_PATHS = [
    "info.state",
    "info.error",
    "info.cancelled",
    "info.queueTime",
    "info.startTime",
    "info.completeTime",
    "info.eventChainId",
    "info.descriptionId",
    "info.entityName",
    "info.result",
]
_WATCH_PATHS = {"Task": _TASK_PATHS, "HostSystem": ["runtime.dasHostState"]}
#: events asked for per ``ReadNextEvents`` (vCenter's maximum)
EVENT_PAGE = 1000
#: concurrent launch requests per vCenter (the caps bound tasks; this bounds HTTP requests in the air). Below the
#: transport's connection pool (:data:`~vsphere_nb.transport.MAX_CONNECTIONS`), so the long-poll, the view
#: updates and the event reads always find a free connection
LAUNCH_CONCURRENCY = 8


class _SeenEvent(NamedTuple):
    """An event read during the run: its wire JSON and the fields that match it to an attempt."""

    chain_id: int | None
    type_name: str
    host_moid: str | None
    created: datetime | None
    wire: dict[str, Any]

    @classmethod
    def of(cls, event: dict[str, Any]) -> _SeenEvent:
        chain = event.get("chainId")
        host = event.get("host")
        created: datetime | None = None
        if isinstance(event.get("createdTime"), str):
            try:
                created = wire.parse_datetime(event["createdTime"])
            except ValueError:
                created = None
        return cls(
            chain if type(chain) is int else None,
            event["_typeName"],
            wire.ref_value(host.get("host")) if isinstance(host, dict) else None,
            created,
            event,
        )


class _StillUnknown(Exception):
    """The ``recentTask`` check could not be completed."""


def is_reconfigure_task(info: wire.TaskInfo) -> bool:
    """Whether a TaskInfo belongs to *Reconfigure for vSphere HA* (by method name or description id)."""
    name = (info.name or "").lower()
    desc = (info.descriptionId or "").lower()
    return "reconfigurehostfordas" in name or name.endswith("reconfiguredas") or desc.endswith("reconfiguredas")


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class RunContext:
    """What the vCenter engines of one run share: journal, records, progress, cancel. Thread-safe."""

    run_id: str
    journal: Journal
    records: RunRecords
    limits: BatchLimits
    progress: ProgressTracker
    started_at: datetime = field(default_factory=_now)
    warnings: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cancel: threading.Event = field(default_factory=threading.Event)
    cancel_running: bool | None = None
    _wakers: list[Any] = field(default_factory=list)

    def write(self, kind: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Journal one record (durable), then apply it to the in-memory records."""
        with self._lock:
            entry = getattr(self.journal, kind)(*args, **kwargs)
            self.records.apply(entry)
            return entry

    def warn(self, text: str) -> None:
        logger.warning(text)
        with self._lock:
            self.warnings.append(text)

    # -- cancel ------------------------------------------------------------------------------------
    def request_cancel(self, cancel_running: bool | None = None) -> None:
        self.cancel_running = cancel_running
        self._cancel.set()
        for waker in list(self._wakers):
            waker()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def register_waker(self, loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
        def wake() -> None:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # loop closed
                pass

        self._wakers.append(wake)


@dataclass
class _Attempt:
    host: PlannedHost
    task: MoRef | None = None
    launched_at: float = 0.0
    info: wire.TaskInfo | None = None
    task_outcome: str | None = None
    post_deadline: float | None = None
    das_state: str | None = None
    task_props: dict[str, Any] = field(default_factory=dict)

    def task_info(self) -> wire.TaskInfo | None:
        """The task's ``TaskInfo`` assembled from the watched ``info.*`` paths (``None`` before any arrived)."""
        props = self.task_props
        if self.task is None or "info.state" not in props:
            return None
        fields = {name[len("info.") :]: value for name, value in props.items() if value is not None}
        fields.setdefault("eventChainId", 0)
        return wire.TaskInfo(
            key=self.task.value,
            task=self.task,
            entity=self.host_ref,
            entityName=fields.pop("entityName", self.host.host),
            name=RECONFIGURE_METHOD,
            **fields,
        )

    @property
    def host_ref(self) -> MoRef:
        return MoRef("HostSystem", self.host.host_moid)


class VcenterEngine:
    """Runs one vCenter's hosts of a plan; see the module doc. Use through :mod:`vsphere_nb.batch.execute`."""

    def __init__(
        self,
        client: Any,
        hosts: Sequence[PlannedHost],
        ctx: RunContext,
        *,
        adopt: Mapping[HostKey, str] | None = None,
        unknown: Mapping[HostKey, datetime | None] | Iterable[HostKey] = (),
        post_check: Mapping[HostKey, str] | None = None,
        finished: Mapping[HostKey, str] | None = None,
        wait_interval: float = 0.02,
    ) -> None:
        self.client = client
        self.ctx = ctx
        self.limits = ctx.limits
        self.hosts = list(hosts)
        self.vcenter = self.hosts[0].vcenter if self.hosts else ""
        self.sched = Scheduler(self.hosts, self.limits)
        self._by_key = {h.key: h for h in self.hosts}
        self._adopt = dict(adopt or {})
        #: launches journalled without an answer (resume): host -> when the launch was sent, if known
        self._unknown: dict[HostKey, datetime | None] = {
            k: (unknown.get(k) if isinstance(unknown, Mapping) else None) for k in unknown if k in self._by_key
        }
        self._checks: set[asyncio.Future[Any]] = set()
        self._resume_post_check = dict(post_check or {})
        self._replay = dict(finished or {})
        self.wait_interval = wait_interval
        self.attempts: dict[HostKey, _Attempt] = {}
        self.by_task: dict[str, _Attempt] = {}
        #: tasks to add to the view itself (see the module doc)
        self._add: set[MoRef] = set()
        #: watched values of tasks not (yet) known as this run's: a launch's first updates can beat its answer
        self._unclaimed: dict[str, dict[str, Any]] = {}
        #: the last ``dasHostState.state`` the watch reported per host moId
        self._das: dict[str, str | None] = {}
        self._watcher: PropertyWatcher | None = None
        self._view: MoRef | None = None
        self._polling = False
        self._cycles_since_watch_failure = 0
        self._launch_sem = asyncio.Semaphore(LAUNCH_CONCURRENCY)
        self._wake = asyncio.Event()
        self._cancel_handled = False
        self._launching: set[asyncio.Future] = set()
        self._launch_errors: list[BaseException] = []
        self._events_stop = asyncio.Event()
        self._event_collector: MoRef | None = None
        self._event_buffer: list[_SeenEvent] = []
        self._event_keys: set[int] = set()
        self._events_ok = True
        self._window_start = ctx.started_at - timedelta(minutes=1)

    # ------------------------------------------------------------------------------------------
    async def run(self) -> None:
        self.ctx.register_waker(asyncio.get_running_loop(), self._wake)
        reader = asyncio.ensure_future(self._read_events_while_running())
        try:
            watch = asyncio.ensure_future(self._start_watch())
            if not (self._adopt or self._unknown or self._resume_post_check or self._replay):
                # a fresh run: the first launches go out while the collector is set up (it lists the tasks
                # through their hosts' recentTask, whenever they were started)
                self._handle_cancel()
                await self._launch_ready()
            await watch
            await self._resume_known()
            while True:
                self._handle_cancel()
                await self._launch_ready()
                await self._sync_view()
                if self._launch_errors:
                    raise self._launch_errors[0]
                if self.sched.done and not self.attempts and not self._checks and not self._launching:
                    break
                update = await self._next_update()
                self._apply(update)
                self._check_deadlines()
                self.ctx.progress.emit()
            for host in self.sched.not_launched():
                reason = STOP_REASON_TEXT.get(self.sched.stop_reason or "", self.sched.stop_reason or "run stopped")
                self.ctx.write("not_launched", host, reason, attempt=host.attempt)
                self.ctx.progress.set(host.key, "not_launched")
            if self.sched.stop_reason:
                self.ctx.progress.stop_reason = self.sched.stop_reason
        finally:
            if self._launching:
                await asyncio.gather(*self._launching, return_exceptions=True)
            for check in list(self._checks):
                check.cancel()
            self._events_stop.set()
            await self._stop_watch()
        try:
            await reader
        except (asyncio.CancelledError, Exception) as exc:
            logger.info("event reader stopped: %s", exc)
        await self._collect_events()

    # -- launching -----------------------------------------------------------------------------
    async def _launch_ready(self) -> None:
        ready = self.sched.launchable()
        if not ready:
            return
        for host in ready:
            self.sched.launched(host)
            self.ctx.progress.set(host.key, "launching")
            # launches go out in the background: the loop keeps following the tasks already running meanwhile
            launch = asyncio.ensure_future(self._launch(host))
            self._launching.add(launch)
            launch.add_done_callback(self._launch_done)

    def _launch_done(self, launch: asyncio.Future) -> None:
        self._launching.discard(launch)
        if not launch.cancelled() and launch.exception() is not None:
            logger.error("launch task failed", exc_info=launch.exception())
            self._launch_errors.append(launch.exception())

    async def _launch(self, host: PlannedHost) -> None:
        async with self._launch_sem:
            since = _now()
            self.ctx.write("launching", host, attempt=host.attempt)
            for tries in range(1, 4):
                try:
                    result = await self.client.invoke(MoRef("HostSystem", host.host_moid), RECONFIGURE_METHOD)
                    task = wire.decode_as(result, wire.ManagedObjectReference)
                except ServerFault as exc:
                    self._launch_failed(host, exc.fault.to_wire(), str(exc))
                    return
                except (LaunchStateUnknown, TransportError, ProtocolError) as exc:
                    logger.info("launch on %s got no answer (%s); checking recentTask", host.host, exc)
                    try:
                        found = await self._find_launched_task(host, since)
                        if found is None:
                            # a request still queued in vCenter shows up a moment later: look once more after
                            # a pause; only then did the launch provably never reach vCenter
                            await asyncio.sleep(0.5 * tries)
                            found = await self._find_launched_task(host, since)
                    except _StillUnknown as unknown:
                        self._launch_failed(host, None, f"launch state unknown: {unknown}; not relaunched")
                        return
                    if found is not None:
                        self._launched(host, found, watch=True)
                        return
                    if tries < 3:
                        continue
                    self._launch_failed(host, None, f"no answer to {tries} launch requests: {exc}")
                    return
                self._launched(host, task)
                return

    def _launched(self, host: PlannedHost, task: MoRef, *, watch: bool = False) -> None:
        self.ctx.write("launched", host, task.value, attempt=host.attempt)
        self._track(host, task, watch=watch)

    def _track(self, host: PlannedHost, task: MoRef, *, watch: bool = False) -> None:
        """Follow ``task``: through its host's ``recentTask``, and with ``watch`` also as a member of the view."""
        att = _Attempt(host, task=task, launched_at=time.monotonic(), das_state=self._das.get(host.host_moid))
        self.attempts[host.key] = att
        self.by_task[task.value] = att
        self.ctx.progress.set(host.key, "queued")
        if watch:
            self._add.add(task)
            self._wake.set()
        early = self._unclaimed.pop(task.value, None)
        if early:  # the watch saw this task before the launch answered
            att.task_props.update(early)
            att.info = att.task_info()
            if att.info is not None:
                self._on_task_info(att, att.info)
            self._evaluate(att)
            if host.key not in self.attempts:
                self._wake.set()  # it has finished already: its slot is free

    def _launch_failed(self, host: PlannedHost, fault: dict[str, Any] | None, message: str) -> None:
        self.ctx.write("launch_failed", host, fault, message=message, attempt=host.attempt)
        self.sched.finished(host, "launch_failed")
        self.ctx.progress.set(host.key, "launch_failed")
        self._wake.set()  # its slot is free: the loop may launch the next host

    async def _find_launched_task(self, host: PlannedHost, since: datetime) -> MoRef | None:
        """A ``ReconfigureHostForDAS_Task`` task of ``host`` queued since ``since`` (minus clock skew), if any.

        Reads the host's ``recentTask`` and each task's ``info``; retried a few times, because this runs exactly
        when the server or the network is misbehaving. ``None`` means checked and not found; when the check itself
        cannot be done, :class:`_StillUnknown` is raised (and the host is never relaunched).
        """
        cutoff = since - timedelta(seconds=120)
        # tasks of this host's other attempts are never "the" task of this launch
        known = {
            r.task_moid
            for r in self.ctx.records
            if r.vcenter == host.vcenter and r.host_moid == host.host_moid and r.task_moid and r.attempt != host.attempt
        }
        last: Exception | None = None
        for tries in range(6):
            try:
                refs = await self.client.get(MoRef("HostSystem", host.host_moid), "recentTask") or []
                candidates: list[tuple[datetime, MoRef]] = []
                for ref in refs:
                    if not isinstance(ref, MoRef) or ref.value in known:
                        continue
                    info = wire.decode_as(await self.client.get(ref, "info"), wire.TaskInfo)
                    entity = info.entity.value if info.entity is not None else None
                    if (
                        entity == host.host_moid
                        and is_reconfigure_task(info)
                        and (info.queueTime is None or info.queueTime >= cutoff)
                    ):
                        candidates.append((info.queueTime or since, ref))
                if not candidates:
                    # recentTask forgets finished tasks after a while (about 10 minutes on vCenter); the host's
                    # TaskEvents do not: a launch that reached vCenter always logged one
                    candidates = await self._reconfigure_task_events(host, cutoff, known)
                return max(candidates, key=lambda c: c[0])[1] if candidates else None
            except ServerFault as exc:
                last = exc
                if not exc.is_a("ManagedObjectNotFound") or exc.moref is None or exc.moref.type != "Task":
                    break
                # a task listed a moment ago is gone: read the list again
            except (TransportError, ProtocolError, LaunchStateUnknown) as exc:
                last = exc
                logger.info("recentTask check on %s failed (%s); retrying", host.host, exc)
                await asyncio.sleep(min(0.5 * 2**tries, 5.0))
        raise _StillUnknown(str(last))

    async def _reconfigure_task_events(
        self, host: PlannedHost, since: datetime, known: set[str]
    ) -> list[tuple[datetime, MoRef]]:
        """``(created, task)`` of the host's *Reconfigure for vSphere HA* ``TaskEvent`` s since ``since``."""
        manager = self.client.content.eventManager
        if manager is None:
            return []
        spec = wire.EventFilterSpec(
            entity=wire.EventFilterSpecByEntity(entity=MoRef("HostSystem", host.host_moid), recursion="self"),
            time=wire.EventFilterSpecByTime(beginTime=since),
            eventTypeId=["TaskEvent"],
            maxCount=1000,
        )
        events = await self.client.invoke(manager, "QueryEvents", filter=spec) or []
        found: list[tuple[datetime, MoRef]] = []
        for event in events:
            info = getattr(event, "info", None)
            if (
                isinstance(event, wire.TaskEvent)
                and info is not None
                and info.task.value not in known
                and is_reconfigure_task(info)
            ):
                found.append((event.createdTime, info.task))
        return found

    # -- resume ------------------------------------------------------------------------------------
    async def _resume_known(self) -> None:
        """Re-attach to tasks the journal knows (resume): no launch is sent for them.

        Outcomes already final are replayed into the scheduler first, so the failure budget and the canary gate
        count them exactly as in the first process.
        """
        for key, outcome in self._replay.items():
            host = self._by_key.get(key)
            if host is None:
                continue
            self.sched.adopt(host)
            self.sched.finished(host, outcome)
            self.ctx.progress.set(key, outcome)
        for key, task_moid in self._adopt.items():
            host = self._by_key.get(key)
            if host is None:
                continue
            self.sched.adopt(host)
            self._track(host, MoRef("Task", task_moid), watch=True)
        for key, task_moid in self._resume_post_check.items():
            host = self._by_key.get(key)
            if host is None:
                continue
            self.sched.adopt(host)
            att = _Attempt(
                host,
                task=MoRef("Task", task_moid),
                launched_at=time.monotonic(),
                task_outcome="success",
                post_deadline=time.monotonic() + self.limits.post_check_timeout,
            )
            self.attempts[key] = att
            self.by_task[task_moid] = att
            self.ctx.progress.set(key, "post_check")
        for key, since in self._unknown.items():
            host = self._by_key[key]
            self.sched.adopt(host)  # holds its slot while we find out whether its task exists
            self.ctx.progress.set(key, "launching")
            check = asyncio.ensure_future(self._resolve_unknown(host, since or self.ctx.started_at))
            self._checks.add(check)
            check.add_done_callback(self._checks.discard)

    def _answer_grace(self) -> float:
        """How long after sending a launch its task may still appear: the HTTP read timeout the sender waited."""
        read = getattr(getattr(self.client, "timeouts", None), "read", None)
        return min(float(read), 120.0) if read else 60.0

    async def _resolve_unknown(self, host: PlannedHost, since: datetime) -> None:
        """Resume: a launch journalled without an answer. Adopt its task, or launch it if vCenter never got it.

        A request sent just before the crash may still sit in vCenter's queue, so the ``recentTask`` check waits
        until the sender would have given up waiting (``since`` + the read timeout); a resume long after the crash
        checks at once.
        """
        try:
            wait = (since + timedelta(seconds=self._answer_grace()) - _now()).total_seconds()
            if wait > 0:
                logger.info(
                    "%s: launch sent %.0f s ago without an answer; checking recentTask in %.0f s",
                    host.host,
                    (_now() - since).total_seconds(),
                    wait,
                )
                await asyncio.sleep(wait)
            try:
                found = await self._find_launched_task(host, since)
            except _StillUnknown as exc:
                self._launch_failed(host, None, f"launch state unknown on resume: {exc}; not relaunched")
                return
            if found is not None:
                self._launched(host, found, watch=True)
            elif self.sched.stop_reason is not None:  # stopped meanwhile: it was never launched, so don't
                reason = STOP_REASON_TEXT.get(self.sched.stop_reason, self.sched.stop_reason)
                self.ctx.write("not_launched", host, reason, attempt=host.attempt)
                self.sched.finished(host, "cancelled")
                self.ctx.progress.set(host.key, "not_launched")
            else:  # vCenter never got it: launch it now (its slot is already held)
                await self._launch(host)
        except Exception:
            logger.exception("resolving the launch state of %s failed", host.host)
        finally:
            if host.key not in self.attempts and self.sched.outcome(host) is None:
                # nothing follows this host any more (an unexpected error): record it, free its slot
                try:
                    self._launch_failed(host, None, "launch state unknown on resume; not relaunched")
                except Exception:
                    self.sched.finished(host, "launch_failed")
            self._wake.set()

    # -- watching --------------------------------------------------------------------------------
    async def _start_watch(self) -> None:
        try:
            self._watcher = await PropertyWatcher.create(self.client)
            self._view = await create_list_view(self.client, [MoRef("HostSystem", h.host_moid) for h in self.hosts])
            await self._watcher.add_filter(list_filter_spec(self._view, _WATCH_PATHS, recent_tasks="HostSystem"))
            self._polling = False
        except VsphereError as exc:
            self.ctx.warn(f"{self.client.server}: property collector unavailable ({exc}); polling tasks instead")
            self._polling = True
            self._watcher, self._view = None, None

    async def _stop_watch(self) -> None:
        watcher, view = self._watcher, self._view
        self._watcher, self._view = None, None
        if watcher is not None:
            await watcher.destroy()
        if view is not None:
            try:
                await destroy_view(self.client, view)
            except VsphereError as exc:
                logger.debug("DestroyView failed: %s", exc)

    async def _rebuild_watch(self, reason: Exception) -> None:
        logger.info("property collector lost (%s); creating it again", reason)
        old = self._watcher
        self._watcher, self._view = None, None
        if old is not None:
            old._destroyed = True  # its objects died with the session; nothing to clean up
        await self._start_watch()
        if not self._polling:
            # a task that finished while no collector watched may have left recentTask meanwhile: list it itself
            self._add = {att.task for att in self.attempts.values() if att.task is not None}

    async def _sync_view(self) -> None:
        if self._polling or self._view is None or not self._add:
            return
        add = sorted(self._add, key=str)
        try:
            missing = await modify_list_view(self.client, self._view, add=add)
        except ServerFault as exc:
            if exc.is_a("ManagedObjectNotFound") and exc.moref is not None and exc.moref == self._view:
                await self._rebuild_watch(exc)
                return
            raise
        except (TransportError, ProtocolError) as exc:
            logger.info("ModifyListView failed (%s); will retry", exc)
            await asyncio.sleep(0.5)
            return
        # only what was sent: a resume check may have added objects while the request was out
        self._add.difference_update(add)
        for ref in missing:
            # a task vCenter no longer knows: read it directly once, below
            att = self.by_task.get(ref.value) if ref.type == "Task" else None
            if att is not None:
                await self._poll_one(att)

    async def _next_update(self) -> wire.UpdateSet | None:
        """Wait for changes (or a deadline, or a cancel). ``None`` when nothing changed."""
        if self._polling:
            await self._poll_all()
            self._cycles_since_watch_failure += 1
            if self._cycles_since_watch_failure >= 10:
                self._cycles_since_watch_failure = 0
                await self._rebuild_watch(RuntimeError("retrying the collector"))
            return None
        await asyncio.sleep(self.wait_interval)  # let changes pile up: fewer, fuller answers
        if self.sched.launchable() and not self.ctx.cancel_requested:
            max_wait = 0
        else:
            max_wait = max(0, min(20, int(self._seconds_to_next_deadline())))
        assert self._watcher is not None
        wait = asyncio.ensure_future(self._watcher.wait(max_wait_seconds=max_wait))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            done, _ = await asyncio.wait({wait, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
        if wait not in done:
            wait.cancel()
            self._wake.clear()
            try:
                await wait
            except (asyncio.CancelledError, VsphereError):
                pass
            return None
        try:
            return wait.result()
        except ServerFault as exc:
            if exc.is_a("ManagedObjectNotFound") or exc.is_a("InvalidCollectorVersion") or exc.is_a("RequestCanceled"):
                # the collector died with its session, or a late, abandoned wait took its place: start again
                await self._rebuild_watch(exc)
                return None
            raise
        except (TransportError, ProtocolError) as exc:
            logger.info("WaitForUpdatesEx failed (%s); retrying", exc)
            await asyncio.sleep(1.0)
            return None

    def _seconds_to_next_deadline(self) -> float:
        now = time.monotonic()
        soonest = 20.0
        for att in self.attempts.values():
            if att.task_outcome is None:
                soonest = min(soonest, att.launched_at + self.limits.task_timeout - now)
            elif att.post_deadline is not None:
                soonest = min(soonest, att.post_deadline - now)
        return max(soonest, 0.0) + 0.5

    async def _poll_one(self, att: _Attempt) -> None:
        try:
            if att.task_outcome is None and att.task is not None:
                info = wire.decode_as(await self.client.get(att.task, "info"), wire.TaskInfo)
                self._on_task_info(att, info)
            runtime = await self.client.get(att.host_ref, "runtime")
            state = getattr(getattr(runtime, "dasHostState", None), "state", None)
            att.das_state = None if state is None else str(state)
        except ServerFault as exc:
            if exc.is_a("ManagedObjectNotFound") and att.task_outcome is None:
                self._finish(att, None, "timed_out")  # the task vanished: its outcome is unknowable
                self.ctx.warn(f"task {att.task.value if att.task else '?'} of {att.host.host} vanished")
        except (TransportError, ProtocolError) as exc:
            logger.info("polling %s failed: %s", att.host.host, exc)
        self._evaluate(att)

    async def _poll_all(self) -> None:
        await asyncio.sleep(max(self.wait_interval, 1.0))
        for att in list(self.attempts.values()):
            await self._poll_one(att)

    # -- applying updates --------------------------------------------------------------------------
    def _apply(self, update: wire.UpdateSet | None) -> None:
        if update is None:
            return
        touched: dict[HostKey, _Attempt] = {}
        for fset in update.filterSet or []:
            for obj in fset.objectSet or []:
                if str(obj.kind) == "leave":
                    self._unclaimed.pop(obj.obj.value, None)
                    continue
                if obj.obj.type == "Task":
                    att = self.by_task.get(obj.obj.value)
                    if att is None:
                        # another user's task on a listed host, or ours before its launch answered
                        early = self._unclaimed.setdefault(obj.obj.value, {})
                        for change in obj.changeSet or []:
                            early[change.name] = None if str(change.op) == "remove" else change.val
                        continue
                    for change in obj.changeSet or []:
                        if change.name == "info" and isinstance(change.val, wire.TaskInfo):
                            att.info = change.val  # a server that answered the whole object
                        elif change.name.startswith("info."):
                            att.task_props[change.name] = None if str(change.op) == "remove" else change.val
                    if att.task_props:
                        att.info = att.task_info()
                    touched[att.host.key] = att
                elif obj.obj.type == "HostSystem":
                    for change in obj.changeSet or []:
                        if change.name == "runtime.dasHostState":
                            state = getattr(change.val, "state", None)
                            self._das[obj.obj.value] = None if state is None else str(state)
                    att = self.attempts.get((self.vcenter, obj.obj.value))
                    if att is None:
                        continue
                    att.das_state = self._das.get(obj.obj.value)
                    touched[att.host.key] = att
        for att in touched.values():
            if att.info is not None and att.task_outcome is None:
                self._on_task_info(att, att.info)
            self._evaluate(att)

    def _on_task_info(self, att: _Attempt, info: wire.TaskInfo) -> None:
        att.info = info
        if not info.done:
            state = str(info.state)
            self.ctx.progress.set(att.host.key, "running" if state == "running" else "queued", info.progress)
            return
        info_wire = info.to_wire()
        outcome = outcome_from_task_info(info_wire) or "fault"
        if outcome == "success" and self.limits.post_check:
            self.ctx.write("finished", att.host, info_wire, outcome="success", attempt=att.host.attempt)
            att.task_outcome = "success"
            att.post_deadline = time.monotonic() + self.limits.post_check_timeout
            self.ctx.progress.set(att.host.key, "post_check", 100)
            return
        self._finish(att, info_wire, outcome)

    def _evaluate(self, att: _Attempt) -> None:
        """Close the post-check of a succeeded task as soon as its host reports a healthy agent."""
        if att.task_outcome == "success" and att.post_deadline is not None and att.das_state in HEALTHY_DAS_STATES:
            self._post_checked(att, healthy=True)

    def _post_checked(self, att: _Attempt, *, healthy: bool) -> None:
        host = att.host
        self.ctx.write(
            "post_checked",
            host,
            das_state_before=host.das_state,
            das_state_after=att.das_state,
            healthy=healthy,
            attempt=host.attempt,
        )
        outcome = "success" if healthy else "agent_unhealthy"
        self._release(att, outcome)

    def _finish(self, att: _Attempt, info_wire: dict[str, Any] | None, outcome: str) -> None:
        self.ctx.write("finished", att.host, info_wire, outcome=outcome, attempt=att.host.attempt)
        att.task_outcome = outcome
        if att.das_state is not None:  # what the agent says after a failed task helps the diagnosis
            self.ctx.write(
                "post_checked",
                att.host,
                das_state_before=att.host.das_state,
                das_state_after=att.das_state,
                healthy=att.das_state in HEALTHY_DAS_STATES,
                attempt=att.host.attempt,
            )
        self._release(att, outcome)

    def _release(self, att: _Attempt, outcome: str) -> None:
        self.attempts.pop(att.host.key, None)
        if att.task is not None:
            self.by_task.pop(att.task.value, None)
            self._add.discard(att.task)
        self.sched.finished(att.host, outcome)
        self.ctx.progress.set(att.host.key, outcome)

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        for att in list(self.attempts.values()):
            if att.task_outcome is None and now - att.launched_at > self.limits.task_timeout:
                info = att.info.to_wire() if att.info is not None else None
                self._finish(att, info, "timed_out")
            elif att.task_outcome == "success" and att.post_deadline is not None and now >= att.post_deadline:
                self._post_checked(att, healthy=False)

    # -- cancel ------------------------------------------------------------------------------------
    def _handle_cancel(self) -> None:
        if not self.ctx.cancel_requested or self._cancel_handled:
            return
        self._cancel_handled = True
        to_cancel = self.sched.cancel()
        cancel_running = self.ctx.cancel_running
        if cancel_running is None:
            cancel_running = self.limits.cancel_running_on_cancel
        if cancel_running:
            running = to_cancel or [a.host for a in self.attempts.values()]
            tasks = [self.attempts[h.key].task for h in running if h.key in self.attempts]
            self._cancelling = asyncio.ensure_future(self._cancel_tasks([t for t in tasks if t is not None]))

    async def _cancel_tasks(self, tasks: list[MoRef]) -> None:
        for task in tasks:
            try:
                await self.client.invoke(task, "CancelTask")
            except VsphereError as exc:  # a finished task cannot be cancelled: fine
                logger.info("CancelTask %s: %s", task.value, exc)

    # -- events, read while the run goes on --------------------------------------------------------
    async def _open_event_collector(self) -> None:
        manager = self.client.content.eventManager
        if manager is None or self._event_collector is not None:
            return
        spec = wire.EventFilterSpec(
            entity=wire.EventFilterSpecByEntity(entity=self.client.content.rootFolder, recursion="all"),
            time=wire.EventFilterSpecByTime(beginTime=self._window_start),
            eventTypeId=await self._event_types(),
        )
        self._event_collector = wire.decode_as(
            await self.client.invoke(manager, "CreateCollectorForEvents", filter=spec), wire.ManagedObjectReference
        )

    async def _drain_events(self, *, until_empty: bool = True) -> None:
        """Read the pages the collector has now (``ReadNextEvents`` until empty); events kept once by key.

        Without ``until_empty`` (the reads during the run) a page shorter than asked ends the read: the next one
        starts where it stopped, and the empty answer that would confirm it costs a request per read.
        """
        for _ in range(2):
            try:
                await self._open_event_collector()
                if self._event_collector is None:
                    return
                for _ in range(10_000):
                    # plain JSON: a few fields are needed here, the rest is kept as the server wrote it
                    batch = wire.unbox_list(
                        await self.client.invoke_json(self._event_collector, "ReadNextEvents", maxCount=EVENT_PAGE)
                    )
                    if not batch:
                        return
                    self._keep_events(batch)
                    if not until_empty and len(batch) < EVENT_PAGE:
                        return
                return
            except ServerFault as exc:
                if exc.is_a("ManagedObjectNotFound"):  # the collector died with its session: open a new one
                    self._event_collector = None
                    continue
                self._events_ok = False
                logger.info("reading events failed: %s", exc)
                return
            except VsphereError as exc:
                self._events_ok = False
                logger.info("reading events failed: %s", exc)
                return

    def _keep_events(self, batch: list[Any]) -> None:
        """Keep each new event (by key) of a ``ReadNextEvents`` page, with what matching it to an attempt needs."""
        for event in batch:
            if not isinstance(event, dict) or not isinstance(event.get("_typeName"), str):
                continue
            key = event.get("key")
            if type(key) is not int or key in self._event_keys:
                continue
            self._event_keys.add(key)
            self._event_buffer.append(_SeenEvent.of(event))

    async def _read_events_while_running(self, every: float = 0.25) -> None:
        """Keep the event collector drained during the run, so little is left to read at the end."""
        while not self._events_stop.is_set():
            try:
                await asyncio.wait_for(self._events_stop.wait(), timeout=every)
                return
            except asyncio.TimeoutError:
                pass
            if self.attempts:
                await self._drain_events(until_empty=False)
                self._match_events(final=False)

    async def _close_event_collector(self) -> None:
        if self._event_collector is not None:
            try:
                await self.client.invoke(self._event_collector, "DestroyCollector")
            except VsphereError:
                pass
            self._event_collector = None

    # -- events ------------------------------------------------------------------------------------
    async def _event_types(self) -> list[str]:
        try:
            desc = await self.client.get(self.client.content.eventManager, "description")
            keys = [d.key for d in getattr(desc, "eventInfo", None) or []]
            wanted = [k for k in keys if ".HA." in k or "Das" in k or k in HA_EVENT_TYPES]
            return sorted(set(wanted) | {"TaskEvent"}) if wanted else list(HA_EVENT_TYPES)
        except VsphereError:
            return list(HA_EVENT_TYPES)

    async def _collect_events(self) -> None:
        """The last event-collector read of the run, then every event still buffered matched (see the module doc)."""
        if self.client.content.eventManager is None or not self._launched_records():
            await self._close_event_collector()
            return
        await self._drain_events()
        await self._close_event_collector()
        if not self._events_ok:
            self.ctx.warn(f"{self.client.server}: some events could not be collected")
        self._match_events(final=True)

    def _launched_records(self) -> list[Any]:
        current = {(h.host_moid, h.attempt) for h in self.hosts}
        return [
            r
            for r in self.ctx.records
            if r.vcenter == self.vcenter and r.task_moid is not None and (r.host_moid, r.attempt) in current
        ]

    def _match_events(self, *, final: bool) -> None:
        """Journal the buffered events with the attempt each belongs to: by the task's ``eventChainId``
        (``task_chain``), else the host's attempt launched before the event (``host_events``).

        While the run goes on (``final=False``) only events of attempts that have ended are written, and the rest
        stay buffered: an attempt's record knows its queue time only once it ends, and most events arrive while
        it runs. An attempt can get more than one ``events`` record; readers merge them (by event key). At the
        end (``final=True``) every buffered event is matched or dropped.
        """
        records = self._launched_records()
        if not records or not self._event_buffer:
            if final:
                self._event_buffer.clear()
            return
        running = set(self.attempts)  # (vcenter, host moId) of attempts not ended yet
        by_chain = {r.event_chain_id: r for r in records if r.event_chain_id}
        # a host's HA events belong to the attempt launched before them; events older than the host's first
        # attempt in this batch (minus clock skew) belong to somebody else's work and are left out
        skew = timedelta(seconds=5)
        by_host: dict[str, list[tuple[datetime, Any]]] = {}
        for r in records:
            started = wire.parse_datetime(r.queued_at) if r.queued_at else self._window_start
            by_host.setdefault(r.host_moid, []).append((started - skew, r))
        for attempts in by_host.values():
            attempts.sort(key=lambda item: item[0])

        def attempt_for(host_moid: str | None, created: datetime) -> Any:
            chosen = None
            for started, rec in by_host.get(host_moid or "", []):
                if started <= created:
                    chosen = rec
            return chosen

        found: dict[tuple[str, int, str], tuple[Any, str, list[dict[str, Any]]]] = {}
        kept: list[_SeenEvent] = []
        for event in self._event_buffer:
            rec = by_chain.get(event.chain_id) if event.chain_id else None
            source = "task_chain"
            if rec is None:
                if event.type_name == "TaskEvent" and not final:
                    kept.append(event)  # its attempt's chain id may not be known yet
                    continue
                if event.type_name == "TaskEvent" or event.created is None:
                    continue  # another task's record on the same host (or an event that says not when)
                if not final and (
                    event.host_moid is None
                    or (self.vcenter, event.host_moid) in running
                    or event.host_moid not in by_host
                ):
                    kept.append(event)  # its host's attempt is still running, or not launched yet
                    continue
                rec = attempt_for(event.host_moid, event.created)
                source = "host_events"
            elif not final and (rec.vcenter, rec.host_moid) in running:
                kept.append(event)
                continue
            if rec is None:
                continue
            key = (rec.host_moid, rec.attempt, source)
            found.setdefault(key, (rec, source, []))[2].append(event.wire)
        self._event_buffer = [] if final else kept
        for rec, source, events in found.values():
            self.ctx.write("events", rec, events, source=source, attempt=rec.attempt)
