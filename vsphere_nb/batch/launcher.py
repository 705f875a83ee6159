"""The exactly-once launcher: send ``ReconfigureHostForDAS_Task`` for one host, and find a task whose launch got no
answer, so that no host is ever launched twice by mistake.

The rules, in the order they apply:

1. **Journal first.** ``launching`` is written (and flushed) *before* the request. If it cannot be written
   (disk full, directory gone) the request is never sent: :class:`~vsphere_nb.errors.RunDirectoryError` goes up
   and the engine detaches the run.
2. **An answer is final.** A Task MoRef → ``launched``; a fault → ``launch_failed`` with the fault as vCenter
   sent it.
3. **No answer is not "no task".** A dropped connection, an expired session mid-call or a gateway 5xx
   (:class:`~vsphere_nb.errors.LaunchStateUnknown`) may hide a task that exists. :meth:`Launcher.find` looks for
   it: the host's ``recentTask`` (each task's ``info``), then — because vCenter forgets finished tasks there
   after about 10 minutes — the host's ``TaskEvent`` s since the launch. A candidate must be a *Reconfigure for
   vSphere HA* task of this host queued after the launch was sent (minus clock skew), and not a task known to
   belong to another attempt or known to be gone. Only when none exists, at once and again after a pause, is the
   launch sent again (the same attempt: no task was created).
4. **When even that cannot be established** (the look-up itself keeps failing), the host ends ``launch_failed``
   with "launch state unknown" and is never relaunched: a second task on a host is worse than a retry later.

Every wait between tries comes from one :class:`~vsphere_nb.client.config.RetryPolicy`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import wire
from ..client.config import RetryPolicy
from ..errors import LaunchStateUnknown, ProtocolError, ServerFault, TransportError
from ..vocabulary import RECONFIGURE_METHOD
from ..wire import MoRef
from .attempts import IDENTITY_SKEW
from .plan import PlannedHost

__all__ = ["Launcher", "Launched", "LaunchFailed", "LaunchUnknown", "is_reconfigure_task", "LAUNCH_RETRY"]

logger = logging.getLogger("vsphere_nb.batch")

#: waits between launch tries and between look-up tries (the look-up runs exactly when vCenter misbehaves)
LAUNCH_RETRY = RetryPolicy(attempts=6, base=0.5, cap=5.0)
#: launch requests sent for one host before giving up (only when vCenter provably never got the earlier ones)
LAUNCH_TRIES = 3


def _now() -> datetime:
    return datetime.now(UTC)


def is_reconfigure_task(info: wire.TaskInfo) -> bool:
    """Whether a TaskInfo belongs to *Reconfigure for vSphere HA* (by method name or description id)."""
    name = (info.name or "").lower()
    desc = (info.descriptionId or "").lower()
    return "reconfigurehostfordas" in name or name.endswith("reconfiguredas") or desc.endswith("reconfiguredas")


@dataclass(frozen=True)
class Launched:
    """The host's task: from the launch's answer, or found after a launch without one (``found``)."""

    task: str
    sent_at: datetime
    answered_at: datetime
    found: bool = False


@dataclass(frozen=True)
class LaunchFailed:
    """No task exists (the launch answered a fault, or vCenter provably never got any of the requests)."""

    fault: dict[str, Any] | None
    message: str


@dataclass(frozen=True)
class LaunchUnknown:
    """Whether a task exists could not be established because vCenter could not be reached: nothing is
    journalled beyond ``launching``; the engine looks again later (or detaches, and ``resume`` does)."""

    message: str
    since: datetime


class LookupFailed(Exception):
    """The ``recentTask``/``TaskEvent`` look-up itself could not be completed. ``transient``: because vCenter
    could not be reached (try again later), not because it refused."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class Launcher:
    """Launches for one vCenter. ``journal(kind, host, **fields)`` writes one journal record durably (raising
    ``RunDirectoryError`` when it cannot); ``known_tasks(host)`` gives the task ids of the host's other attempts,
    never candidates for this one."""

    def __init__(
        self,
        client: Any,
        journal: Callable[..., Any],
        known_tasks: Callable[[PlannedHost], set[str]],
        *,
        retry: RetryPolicy = LAUNCH_RETRY,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.client = client
        self._journal = journal
        self._known_tasks = known_tasks
        self.retry = retry
        self._sleep = sleep

    async def launch(self, host: PlannedHost) -> Launched | LaunchFailed | LaunchUnknown:
        """Launch ``host`` exactly once (see the module doc) and journal how it ended."""
        since = _now()
        self._journal("launching", host)
        last: Exception | None = None
        for tries in range(1, LAUNCH_TRIES + 1):
            sent = _now()
            try:
                result = await self.client.invoke(MoRef("HostSystem", host.host_moid), RECONFIGURE_METHOD)
                task = wire.decode_as(result, wire.ManagedObjectReference)
            except ServerFault as exc:
                fault = exc.raw if isinstance(exc.raw, dict) else exc.fault.to_wire()
                self._journal("launch_failed", host, fault, message=str(exc))
                return LaunchFailed(fault, str(exc))
            except (LaunchStateUnknown, TransportError, ProtocolError) as exc:
                last = exc
                logger.info("launch on %s got no answer (%s); looking for its task", host.host, exc)
                try:
                    found = await self.find(host, since)
                    if found is None:
                        # a request still queued in vCenter shows up a moment later: look once more after a
                        # pause; only then did the launch provably never reach vCenter
                        await self._sleep(self.retry.delay(tries))
                        found = await self.find(host, since)
                except LookupFailed as unknown:
                    if unknown.transient:
                        return LaunchUnknown(str(unknown), since)
                    message = f"launch state unknown: {unknown}; not relaunched"
                    self._journal("launch_failed", host, None, message=message)
                    return LaunchFailed(None, message)
                if found is not None:
                    return self.adopted(host, found, since)
                continue
            self._journal("launched", host, task.value)
            return Launched(task.value, sent, _now())
        message = f"no answer to {LAUNCH_TRIES} launch requests and no task on the host: {last}"
        self._journal("launch_failed", host, None, message=message)
        return LaunchFailed(None, message)

    def adopted(self, host: PlannedHost, task: str, since: datetime) -> Launched:
        """Journal ``task`` (found by a look-up) as the attempt's task."""
        self._journal("launched", host, task)
        return Launched(task, since, _now(), found=True)

    async def find(
        self, host: PlannedHost, since: datetime | None, gone: Iterable[tuple[str, datetime | None]] = ()
    ) -> str | None:
        """The id of ``host``'s *Reconfigure for vSphere HA* task queued since ``since`` (minus clock skew), if
        any — never one of ``gone`` or of the host's other attempts. Raises :class:`LookupFailed` when the
        look-up keeps failing."""
        cutoff = (since or _now()) - IDENTITY_SKEW
        excluded = self._known_tasks(host)
        gone_set = set(gone)
        last: Exception | None = None
        transient = False
        for tries in range(1, self.retry.attempts + 1):
            try:
                candidates = await self._recent_tasks(host, cutoff, excluded, gone_set)
                if not candidates:
                    # recentTask forgets finished tasks after a while (about 10 minutes on vCenter); the host's
                    # TaskEvents do not: a launch that reached vCenter always logged one
                    candidates = await self._task_events(host, cutoff, excluded, gone_set)
                return max(candidates, key=lambda c: c[0])[1] if candidates else None
            except ServerFault as exc:
                last, transient = exc, False
                if not exc.is_a("ManagedObjectNotFound") or exc.moref is None or exc.moref.type != "Task":
                    break
                # a task listed a moment ago is gone: read the list again
            except (TransportError, ProtocolError, LaunchStateUnknown) as exc:
                last, transient = exc, True
                logger.info("task look-up on %s failed (%s); retrying", host.host, exc)
                if tries < self.retry.attempts:
                    await self._sleep(self.retry.delay(tries))
        raise LookupFailed(str(last), transient=transient)

    async def _recent_tasks(
        self, host: PlannedHost, cutoff: datetime, excluded: set[str], gone: set[tuple[str, datetime | None]]
    ) -> list[tuple[datetime, str]]:
        refs = await self.client.get(MoRef("HostSystem", host.host_moid), "recentTask") or []
        found: list[tuple[datetime, str]] = []
        for ref in refs:
            if not isinstance(ref, MoRef) or ref.value in excluded:
                continue
            info = wire.decode_as(await self.client.get(ref, "info"), wire.TaskInfo)
            if self._candidate(host, info, cutoff, gone):
                found.append((info.queueTime or cutoff, ref.value))
        return found

    async def _task_events(
        self, host: PlannedHost, cutoff: datetime, excluded: set[str], gone: set[tuple[str, datetime | None]]
    ) -> list[tuple[datetime, str]]:
        manager = self.client.content.eventManager
        if manager is None:
            return []
        spec = wire.EventFilterSpec(
            entity=wire.EventFilterSpecByEntity(entity=MoRef("HostSystem", host.host_moid), recursion="self"),
            time=wire.EventFilterSpecByTime(beginTime=cutoff),
            eventTypeId=["TaskEvent"],
            maxCount=1000,
        )
        events = await self.client.invoke(manager, "QueryEvents", filter=spec) or []
        found: list[tuple[datetime, str]] = []
        for event in events:
            info = getattr(event, "info", None)
            if (
                isinstance(event, wire.TaskEvent)
                and info is not None
                and info.task.value not in excluded
                and self._candidate(host, info, cutoff, gone)
            ):
                found.append((event.createdTime, info.task.value))
        return found

    @staticmethod
    def _candidate(
        host: PlannedHost, info: wire.TaskInfo, cutoff: datetime, gone: set[tuple[str, datetime | None]]
    ) -> bool:
        entity = info.entity.value if info.entity is not None else None
        if entity != host.host_moid or not is_reconfigure_task(info):
            return False
        if info.queueTime is not None and info.queueTime < cutoff:
            return False
        # a task id known to be gone (vanished, or reused for another task) is never this attempt's again
        return (info.task.value, info.queueTime) not in gone and (info.task.value, None) not in gone


def answer_grace(client: Any) -> timedelta:
    """How long after sending a launch its task may still appear: the HTTP read timeout the sender waited."""
    read = getattr(getattr(client, "timeouts", None), "read", None)
    return timedelta(seconds=min(float(read), 120.0) if read else 60.0)
