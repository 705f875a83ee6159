"""Following a run's tasks and hosts with one PropertyCollector: what changed, as plain facts for the book.

One private collector (:class:`~vsphere_nb.client.property.PropertyWatcher`), one ``ListView`` holding the run's hosts,
and one filter that reports each host's ``runtime.dasHostState`` and follows its ``recentTask`` to its tasks
(``Task.info.*``). A task started on a listed host joins the filter by itself, so following a launch costs no
request of its own. Tasks that may have left ``recentTask`` (adopted on resume, found after a launch without an
answer, in flight when the collector is rebuilt) are added to the view itself (:meth:`TaskWatch.add`, sent by
:meth:`TaskWatch.sync` as one ``ModifyListView``).

The watched properties of every object are mirrored with :func:`~vsphere_nb.client.property.apply_object_update` (the
one change-applying helper), and each change is handed on as the object's *whole* current facts: a task's
``TaskInfo`` fields as wire JSON (what vCenter sent, nothing filled in), a host's agent state.

Nested ``info.*`` paths, not the whole ``info``: a task's ``progress`` ticks would otherwise wake the waiter
many times per task; these change only when the task changes state.

When the collector cannot be created the watch *polls* (``Task/{id}/info`` and ``HostSystem/{id}/runtime`` per
in-flight attempt); the engine tries to create it again every few cycles.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import wire
from ..client.property import (
    PropertyWatcher,
    apply_object_update,
    create_list_view,
    destroy_quietly,
    list_filter_spec,
    modify_list_view,
)
from ..errors import ProtocolError, ServerFault, TransportError, VsphereError
from ..wire import MoRef

__all__ = ["TaskWatch", "TaskChange", "HostChange", "TASK_FIELDS", "WATCH_PATHS", "WatchLost"]

logger = logging.getLogger("vsphere_nb.batch")

#: the ``TaskInfo`` fields followed (``entity`` and ``queueTime`` identify a task; ids are reused)
TASK_FIELDS: tuple[str, ...] = (
    "state",
    "error",
    "cancelled",
    "entity",
    "queueTime",
    "startTime",
    "completeTime",
    "eventChainId",
)
WATCH_PATHS: dict[str, list[str]] = {
    "Task": [f"info.{name}" for name in TASK_FIELDS],
    "HostSystem": ["runtime.dasHostState"],
}
#: faults after which the collector must be created again: it died with its session, or a late, abandoned wait
#: took its place
_LOST_COLLECTOR = ("ManagedObjectNotFound", "InvalidCollectorVersion", "RequestCanceled")


class WatchLost(Exception):
    """The collector is gone (session lost, server restarted): :meth:`TaskWatch.rebuild` it."""


@dataclass(frozen=True)
class TaskChange:
    """A task's current ``TaskInfo`` fields (wire JSON); ``fields is None``: it left the watch."""

    task: str
    fields: dict[str, Any] | None


@dataclass(frozen=True)
class HostChange:
    """A listed host's ``runtime.dasHostState.state`` (``None`` when unset)."""

    host_moid: str
    das_state: str | None


Change = TaskChange | HostChange


def _das_state(value: Any) -> str | None:
    state = getattr(value, "state", None)
    return None if state is None else str(state)


class TaskWatch:
    """The collector, view and filter of one vCenter's share of a run (see the module doc)."""

    def __init__(self, client: Any, host_moids: Sequence[str]) -> None:
        self.client = client
        self.host_moids = list(host_moids)
        self.polling = False
        self._watcher: PropertyWatcher | None = None
        self._view: MoRef | None = None
        self._objects: dict[MoRef, dict[str, Any]] = {}
        self._to_add: set[str] = set()
        self._pending: asyncio.Future[wire.UpdateSet | None] | None = None

    async def start(self) -> str | None:
        """Create the collector, view and filter; on failure switch to polling and say why."""
        try:
            self._watcher = await PropertyWatcher.create(self.client)
            self._view = await create_list_view(self.client, [MoRef("HostSystem", h) for h in self.host_moids])
            await self._watcher.add_filter(list_filter_spec(self._view, WATCH_PATHS, recent_tasks="HostSystem"))
            self.polling = False
            return None
        except VsphereError as exc:
            self.polling = True
            self._watcher, self._view = None, None
            return f"{self.client.server}: property collector unavailable ({exc}); polling tasks instead"

    async def stop(self) -> None:
        await self._drop_pending()
        watcher, view = self._watcher, self._view
        self._watcher, self._view = None, None
        if watcher is not None:
            await watcher.destroy()
        if view is not None:
            await destroy_quietly(self.client, view, "DestroyView")

    async def rebuild(self, reason: object, in_flight: Iterable[str]) -> str | None:
        """Create the collector again (its objects died with the session). Tasks in flight may have left their
        host's ``recentTask`` meanwhile: they are added to the new view."""
        logger.info("property collector lost (%s); creating it again", reason)
        await self._drop_pending()
        if self._watcher is not None:
            self._watcher.abandon()
        self._watcher, self._view = None, None
        self._objects.clear()
        warning = await self.start()
        if not self.polling:
            self._to_add = set(in_flight)
        return warning

    @property
    def outstanding(self) -> bool:
        """Whether a ``WaitForUpdatesEx`` sent by :meth:`wait` is still to be picked up (answered or not)."""
        return self._pending is not None

    @property
    def has_additions(self) -> bool:
        """Whether :meth:`sync` has view additions to send."""
        return bool(self._to_add) and not self.polling and self._view is not None

    def add(self, tasks: Iterable[str]) -> None:
        """List ``tasks`` in the view itself (sent by the next :meth:`sync`)."""
        self._to_add.update(tasks)

    async def sync(self) -> list[str]:
        """Send pending view additions; returns the tasks the server could not add (it does not know them)."""
        if self.polling or self._view is None or not self._to_add:
            return []
        add = sorted(self._to_add)
        try:
            missing = await modify_list_view(self.client, self._view, add=[MoRef("Task", t) for t in add])
        except ServerFault as exc:
            if exc.is_a("ManagedObjectNotFound") and exc.moref is not None and exc.moref == self._view:
                raise WatchLost(exc) from exc
            raise
        self._to_add.difference_update(add)  # only what was sent: more may have been added meanwhile
        return [ref.value for ref in missing if ref.type == "Task"]

    async def wait(self, max_wait: int, wake: asyncio.Event) -> list[Change] | None:
        """The next changes: one ``WaitForUpdatesEx`` (up to ``max_wait`` s); ``[]`` when nothing changed. ``None``
        when ``wake`` was set before the answer came — the request then stays outstanding and the next call picks
        up its answer (or its failure):
        a wait cancelled after the server answered would lose that answer's version, and the collector would
        refuse the next one (``InvalidCollectorVersion``). Raises :class:`WatchLost` when the collector must be
        rebuilt; transport errors go up to the caller."""
        assert self._watcher is not None
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._watcher.wait(max_wait_seconds=max_wait))
        waiting = self._pending
        if not waiting.done():
            woken: asyncio.Future[Any] = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait([waiting, woken], return_when=asyncio.FIRST_COMPLETED)
            finally:
                woken.cancel()
            if not waiting.done():
                wake.clear()
                return None
        self._pending = None
        try:
            update = waiting.result()
        except ServerFault as exc:
            if any(exc.is_a(name) for name in _LOST_COLLECTOR):
                raise WatchLost(exc) from exc
            raise
        return self.changes(update)

    async def _drop_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and not pending.done():
            pending.cancel()
            try:
                await pending
            except (asyncio.CancelledError, VsphereError):
                pass

    def changes(self, update: wire.UpdateSet | None) -> list[Change]:
        """Apply ``update`` to the mirror; the whole current facts of every object it touched."""
        if update is None:
            return []
        out: list[Change] = []
        for filter_update in update.filterSet or []:
            for object_update in filter_update.objectSet or []:
                ref = object_update.obj
                apply_object_update(self._objects, object_update)
                props = self._objects.get(ref)
                if ref.type == "Task":
                    out.append(TaskChange(ref.value, None if props is None else _task_fields(props)))
                elif ref.type == "HostSystem" and props is not None:
                    out.append(HostChange(ref.value, _das_state(props.get("runtime.dasHostState"))))
        return out

    async def poll_all(
        self, polled: list[tuple[str | None, str]]
    ) -> tuple[list[Change], list[str], BaseException | None]:
        """Polling mode: :meth:`poll` each ``(task, host)``. Returns the changes, the tasks vCenter no longer
        knows, and the last transport failure (``None`` when every read was answered)."""
        changes: list[Change] = []
        vanished: list[str] = []
        failure: BaseException | None = None
        for task, host_moid in polled:
            try:
                changes += await self.poll(task, host_moid)
            except ServerFault as exc:
                if exc.is_a("ManagedObjectNotFound") and task is not None:
                    vanished.append(task)
            except (TransportError, ProtocolError) as exc:
                logger.info("polling %s failed: %s", host_moid, exc)
                failure = exc
        return changes, vanished, failure

    async def poll(self, task: str | None, host_moid: str) -> list[Change]:
        """Polling mode: one task's whole ``info`` and its host's agent state. A task vCenter does not know
        raises ``ServerFault`` (``ManagedObjectNotFound``)."""
        out: list[Change] = []
        if task is not None:
            info = await self.client.get(MoRef("Task", task), "info")
            fields = info.to_wire() if isinstance(info, wire.VimObject) else {}
            fields.pop("_typeName", None)
            out.append(TaskChange(task, fields))
        runtime = await self.client.get(MoRef("HostSystem", host_moid), "runtime")
        out.append(HostChange(host_moid, _das_state(getattr(runtime, "dasHostState", None))))
        return out


def _task_fields(props: dict[str, Any]) -> dict[str, Any]:
    return {
        path[5:]: wire.encode_value(value)
        for path, value in props.items()
        if path.startswith("info.") and value is not None
    }
