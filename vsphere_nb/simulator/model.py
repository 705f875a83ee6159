"""The simulator's object model: managed objects in a registry that versions every change.

As in vcsim, state lives in one registry of managed objects; the PropertyCollector reads it and waits on it.

* Every managed object has a ``TYPE`` (VMware's managed object type name), an ``ANCESTRY`` (for
  ``PropertySpec.type`` / ``TraversalSpec.type`` matching) and a table ``PROPERTIES`` of its top-level
  properties with their *declared* VMware types (``"ArrayOfEvent"``, ``"HostRuntimeInfo"`` …) — the
  PropertyCollector boxes values by these declared types, not by what Python happens to hold.
* ``prop(name)`` returns the current value as wire models / MoRefs / plain values (``None`` = unset).
* All reads and writes happen under ``Registry.lock`` (an ``RLock``: request handlers in any event loop and
  the clock thread share it). :meth:`Registry.changed` bumps the global generation, stamps the object
  with it, drops its encoded caches and wakes every waiting ``WaitForUpdatesEx`` in its own loop.
* Encoded JSON is cached per object and property (``cache``) until the object changes, so a 10,000-host
  inventory is not re-encoded per request.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

from ..wire import MoRef

__all__ = ["ManagedObject", "Registry"]

_M = TypeVar("_M", bound="ManagedObject")


class ManagedObject:
    TYPE: ClassVar[str] = "ManagedObject"
    #: this type and its VMware ancestors, most specific first
    ANCESTRY: ClassVar[tuple[str, ...]] = ("ManagedObject",)
    #: top-level property name -> declared VMware type name
    PROPERTIES: ClassVar[dict[str, str]] = {}
    #: properties whose value depends on the caller (never cached)
    NO_CACHE: ClassVar[frozenset[str]] = frozenset()
    #: whether the objects this one refers to can change without this object changing (a container view's
    #: contents follow the inventory below its container); a filter then re-reads them on every wait
    DERIVED_LINKS: ClassVar[bool] = False

    def __init__(self, moid: str) -> None:
        self.ref = MoRef(self.TYPE, moid)
        self.moid = moid
        #: registry generation of the last change
        self.gen = 0
        #: session key for session-scoped objects (views, collectors, filters, event collectors)
        self.owner: str | None = None
        #: encoded-value cache, cleared on every change (see Registry.changed)
        self.cache: dict[Any, Any] = {}
        self.alive = True

    def prop(self, name: str) -> Any:
        """The value of top-level property ``name`` (``None`` when unset)."""
        return getattr(self, name, None)

    def __repr__(self) -> str:
        return f"<{self.TYPE} {self.moid}>"


class Registry:
    """All managed objects, keyed by ``(type, moId)``; one lock; a generation counter; waiter wake-ups."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.gen = 0
        self._objects: dict[tuple[str, str], ManagedObject] = {}
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._counters: dict[str, Iterator[int]] = {}
        #: every object added, changed or removed, in order (see :meth:`changes_since`)
        self.log: list[ManagedObject] = []
        #: the position of ``log[0]`` among all changes ever logged (the log is trimmed from the front)
        self.log_start = 0
        #: type name -> ``factory(moid)`` making an object on first lookup (``None``: no such object), so that
        #: objects every host has but few clients read (its configManager sub-objects) cost nothing until used
        self.lazy: dict[str, Callable[[str], ManagedObject | None]] = {}

    # -- ids -------------------------------------------------------------------------------------
    def next_id(self, prefix: str, start: int = 1) -> str:
        """``host-1``, ``domain-c2`` …: one counter per prefix, as vCenter's ids look."""
        counter = self._counters.get(prefix)
        if counter is None:
            counter = self._counters[prefix] = itertools.count(start)
        return f"{prefix}{next(counter)}"

    def reset_ids(self, prefix: str) -> None:
        """Hand out ``prefix`` ids from the start again (a restarted vCenter reuses task ids)."""
        self._counters.pop(prefix, None)

    # -- objects ---------------------------------------------------------------------------------
    def add(self, obj: _M) -> _M:
        with self.lock:
            self._objects[(obj.TYPE, obj.moid)] = obj
            self.gen += 1
            obj.gen = self.gen
            self._log(obj)
        return obj

    def remove(self, obj: ManagedObject) -> None:
        with self.lock:
            if self._objects.pop((obj.TYPE, obj.moid), None) is not None:
                obj.alive = False
                self.gen += 1
                self._log(obj)
                self._wake()

    def get(self, type_name: str, moid: str) -> ManagedObject | None:
        obj = self._objects.get((type_name, moid))
        if obj is None and type_name in self.lazy:
            return self._materialize(type_name, moid)
        return obj

    def resolve(self, ref: MoRef) -> ManagedObject | None:
        return self.get(ref.type, ref.value)

    def _materialize(self, type_name: str, moid: str) -> ManagedObject | None:
        with self.lock:
            obj = self._objects.get((type_name, moid))
            if obj is None:
                made = self.lazy[type_name](moid)
                if made is not None:
                    obj = self.add(made)
            return obj

    def objects(self, type_name: str | None = None) -> list[ManagedObject]:
        with self.lock:
            if type_name is None:
                return list(self._objects.values())
            return [o for o in self._objects.values() if type_name in o.ANCESTRY]

    def __len__(self) -> int:
        return len(self._objects)

    # -- change notification ---------------------------------------------------------------------
    def changed(self, obj: ManagedObject) -> None:
        """Call (under ``lock``) after mutating ``obj``: new generation, caches dropped, waiters woken."""
        with self.lock:
            self.gen += 1
            obj.gen = self.gen
            obj.cache.clear()
            self._log(obj)
            self._wake()

    #: changes kept in the log; older ones are dropped (a reader that fell behind looks at everything again)
    LOG_LIMIT = 200_000

    def _log(self, obj: ManagedObject) -> None:
        log = self.log
        log.append(obj)
        if len(log) > self.LOG_LIMIT:
            drop = len(log) // 2
            del log[:drop]
            self.log_start += drop

    @property
    def log_end(self) -> int:
        """The position after the last logged change."""
        return self.log_start + len(self.log)

    def changes_since(self, position: int) -> list[ManagedObject] | None:
        """Objects added, changed or removed since ``position`` (a past :attr:`log_end`), oldest first, with
        repeats; ``None`` when the log no longer reaches back that far. Call under ``lock``."""
        if position < self.log_start:
            return None
        return self.log[position - self.log_start :]

    def subscribe(self) -> asyncio.Event:
        """An event set (thread-safely, in the caller's loop) at the next change. Call under ``lock``."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        self._waiters.append((loop, event))
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        with self.lock:
            self._waiters = [(lp, ev) for lp, ev in self._waiters if ev is not event]

    def wake_all(self) -> None:
        with self.lock:
            self._wake()

    def _wake(self) -> None:
        if not self._waiters:
            return
        waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # loop closed: the waiter is gone
                pass
