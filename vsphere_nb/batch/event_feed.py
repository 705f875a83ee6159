"""The HA events of a run, read while it goes on: one event collector per vCenter, pages not hosts.

``CreateCollectorForEvents`` over the whole inventory (root folder, ``recursion=all``), from a minute before the
run's first launch, for the HA event types the server describes and the known ones
(:func:`vsphere_nb.history.ha_event_types`, shared with the history reader) and ``TaskEvent``, then ``ReadNextEvents`` pages — every 250 ms while attempts are running, until empty at
the end. Events are kept as the server wrote them (plain JSON, once per ``key``); which attempt each belongs to
is :func:`~vsphere_nb.batch.event_matching.match_events`' job. A collector that died with its session is opened
again; any other failure is logged and reported by :attr:`EventFeed.complete` (events are best effort: they
explain outcomes, they never decide them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .. import wire
from ..errors import ServerFault, VsphereError
from ..history import ha_event_types
from ..property import destroy_quietly
from ..wire import MoRef
from ..wire.plain import EventRef, event_ref
from .event_matching import AttemptWindow, match_events
from .plan import PlannedHost

if TYPE_CHECKING:
    from .context import RunContext

__all__ = ["EventFeed", "RunEvents", "EVENT_PAGE"]

logger = logging.getLogger("vsphere_nb.batch")

#: events asked for per ``ReadNextEvents`` (vCenter's maximum)
EVENT_PAGE = 1000


class EventFeed:
    """One vCenter's event collector for a run (see the module doc)."""

    def __init__(self, client: Any, window_start: datetime) -> None:
        self.client = client
        self.window_start = window_start
        self.buffer: list[EventRef] = []
        #: ``False`` once a read failed for another reason than a lost collector
        self.complete = True
        self._collector: MoRef | None = None
        self._keys: set[int] = set()

    @property
    def available(self) -> bool:
        return self.client.content.eventManager is not None

    async def event_types(self) -> list[str]:
        """The HA event types this server describes, and ``TaskEvent`` (a task's own event chain)."""
        return sorted({*await ha_event_types(self.client), "TaskEvent"})

    async def _open(self) -> None:
        manager = self.client.content.eventManager
        if manager is None or self._collector is not None:
            return
        spec = wire.EventFilterSpec(
            entity=wire.EventFilterSpecByEntity(entity=self.client.content.rootFolder, recursion="all"),
            time=wire.EventFilterSpecByTime(beginTime=self.window_start),
            eventTypeId=await self.event_types(),
        )
        self._collector = wire.decode_as(
            await self.client.invoke(manager, "CreateCollectorForEvents", filter=spec), wire.ManagedObjectReference
        )

    async def read(self, *, until_empty: bool = True) -> None:
        """Read the pages the collector has now into :attr:`buffer` (new keys only).

        Without ``until_empty`` (the reads during the run) a page shorter than asked ends the read: the next one
        starts where it stopped, and the empty answer that would confirm it costs a request per read.
        """
        for _ in range(2):
            try:
                await self._open()
                if self._collector is None:
                    return
                for _ in range(10_000):
                    # plain JSON: a few fields are needed here, the rest is kept as the server wrote it
                    page = wire.unbox_list(
                        await self.client.invoke_json(self._collector, "ReadNextEvents", maxCount=EVENT_PAGE)
                    )
                    if not page:
                        return
                    self._keep(page)
                    if not until_empty and len(page) < EVENT_PAGE:
                        return
                return
            except ServerFault as exc:
                if exc.is_a("ManagedObjectNotFound"):  # the collector died with its session: open a new one
                    self._collector = None
                    continue
                self.complete = False
                logger.info("reading events failed: %s", exc)
                return
            except VsphereError as exc:
                self.complete = False
                logger.info("reading events failed: %s", exc)
                return

    def _keep(self, page: list[Any]) -> None:
        for event in page:
            ref = event_ref(event)
            if ref is None or ref.key is None or ref.key in self._keys:
                continue
            self._keys.add(ref.key)
            self.buffer.append(ref)

    async def close(self) -> None:
        if self._collector is not None:
            await destroy_quietly(self.client, self._collector, "DestroyCollector")
            self._collector = None


class RunEvents:
    """One vCenter's share of a run's events: the feed read while attempts run, matched and journalled as soon
    as their attempt has ended, and a last read at the end. ``running()`` gives the host moIds whose attempt
    has not ended yet."""

    def __init__(
        self,
        client: Any,
        ctx: RunContext,
        vcenter: str,
        hosts: Sequence[PlannedHost],
        running: Callable[[], set[str]],
        *,
        every: float = 0.25,
    ) -> None:
        self.client = client
        self.ctx = ctx
        self.vcenter = vcenter
        self.feed = EventFeed(client, ctx.started_at - timedelta(minutes=1))
        self._current = {(h.host_moid, h.attempt) for h in hosts}
        self._running = running
        self._every = every
        self._stop = asyncio.Event()

    def start(self) -> asyncio.Future[None]:
        return asyncio.ensure_future(self._read_while_running())

    def stop(self) -> None:
        self._stop.set()

    async def _read_while_running(self) -> None:
        """Keep the event collector drained during the run, so little is left to read at the end."""
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self._every)
                return
            except asyncio.TimeoutError:
                pass
            if self._running():
                await self.feed.read(until_empty=False)
                self._match(final=False)

    async def finish(self, reader: asyncio.Future[None], *, final: bool) -> None:
        """The last read, then the buffered events matched (all of them when ``final``). Never raises: events
        explain outcomes, they never decide them."""
        try:
            await reader
        except (asyncio.CancelledError, Exception) as exc:
            logger.info("event reader stopped: %s", exc)
        if self.client.is_closed:
            return
        try:
            if self.feed.available and self._windows():
                await self.feed.read()
                if not self.feed.complete:
                    self.ctx.warn(f"{self.client.server}: some events could not be collected")
                self._match(final=final)
            await self.feed.close()
        except (VsphereError, asyncio.CancelledError) as exc:
            logger.info("collecting the last events failed: %s", exc)

    def _windows(self) -> list[AttemptWindow]:
        return [
            AttemptWindow(r.host_moid, r.attempt, r.event_chain_id, r.queued_at, r)
            for r in self.ctx.records
            if r.vcenter == self.vcenter and r.task_moid is not None and (r.host_moid, r.attempt) in self._current
        ]

    def _match(self, *, final: bool) -> None:
        matches, kept = match_events(
            self.feed.buffer,
            self._windows(),
            running_hosts=self._running(),
            window_start=self.feed.window_start,
            final=final,
        )
        self.feed.buffer = kept
        for match in matches:
            self.ctx.write("events", match.record, match.events, source=match.source, attempt=match.record.attempt)
