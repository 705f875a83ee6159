"""The simulated ``PropertyCollector`` and ``PropertyFilter``.

Retrieval (``RetrievePropertiesEx``): each ``ObjectSpec`` starts at an object, follows ``TraversalSpec``s
(any property that holds MoRefs, e.g. ``ContainerView.view``, ``Folder.childEntity``; ``SelectionSpec``s
refer to named traversal specs), and every object matched by a ``PropertySpec`` (by type, including
VMware's ancestors) yields an ``ObjectContent``: ``propSet`` with each set path (values boxed by declared
type, see :mod:`.properties`), ``missingSet`` with an ``InvalidProperty`` fault for paths the type does not
have. Results above ``maxObjects`` (or the server policy, :data:`POLICY_MAX_OBJECTS`) come back with a
``token`` for ``ContinueRetrievePropertiesEx``; pages are encoded lazily.

Waiting (``CreateFilter`` + ``WaitForUpdatesEx``): a filter remembers what it last reported per object
(values and the object's generation). A wait diffs the filter's current object set and values against that:
new objects ``enter`` with all set values, changed ones ``modify`` with only the changed paths, vanished ones
``leave``. Version ``""`` restarts from scratch; the current version continues; the previous version replays
the last answer (a client retrying a lost answer); any other version is ``InvalidCollectorVersion``. With
nothing to report the waiter sleeps on the registry's change event (no polling) until ``maxWaitSeconds``;
``maxObjectUpdates`` truncates (``truncated: true``), the rest follows on the next call. One waiter per
collector: a second ``WaitForUpdatesEx`` (or ``CancelWaitForUpdates``) cancels the first with
``RequestCanceled``.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from typing import Any

from .. import wire
from ..wire import MoRef
from . import faults
from .model import ManagedObject, Registry
from .properties import UNSET
from .traversal import (
    Membership,
    change_entry,
    check_types,
    collect_objects,
    object_content,
    paths_for,
    plan,
    preencoded_envelope,
    property_values,
    retrieve,
)

__all__ = [
    "PropertyCollector",
    "PropertyFilter",
    "POLICY_MAX_OBJECTS",
    "retrieve",
    "object_content",
    "UNSET_ANSWER",
    "check_types",
    "collect_objects",
    "plan",
]

#: objects per RetrievePropertiesEx page when the client sets no maxObjects (a server policy limit)
POLICY_MAX_OBJECTS = 2000
#: outstanding retrieval tokens kept per collector
MAX_TOKENS = 64

#: a method that returns "unset" (answered as an empty body, 200 or 204 per configuration)
UNSET_ANSWER: Any = UNSET

_token_counter = itertools.count(1)


class PropertyFilter(ManagedObject):
    TYPE = "PropertyFilter"
    ANCESTRY = ("PropertyFilter", "ManagedObject")
    PROPERTIES = {"spec": "PropertyFilterSpec", "partialUpdates": "boolean"}

    def __init__(self, moid: str, collector: PropertyCollector, spec: wire.PropertyFilterSpec, partial: bool) -> None:
        super().__init__(moid)
        self.collector = collector
        self.spec = spec
        self.partial = partial
        self.owner = collector.owner
        #: object -> (generation, paths, {path: value}) as last reported
        self.reported: dict[ManagedObject, tuple[int, tuple[str, ...], dict[str, Any]]] = {}
        self.missing_reported: set[MoRef] = set()
        self._paths_by_type: dict[str, tuple[str, ...] | None] = {}
        #: type -> whether one of its watched paths is never cached (its values are read on every wait)
        self.volatile_by_type: dict[str, bool] = {}
        self.membership = Membership(spec, collector.registry)
        #: registry log position up to which changes have been diffed; ``None``: diff every member next time
        self.log_pos: int | None = None
        #: a member type with a never-cached path was seen: every member is diffed on every wait
        self.has_volatile = False

    def prop(self, name: str) -> Any:
        if name == "spec":
            return self.spec
        if name == "partialUpdates":
            return self.partial
        return None

    def paths(self, obj: ManagedObject) -> tuple[str, ...] | None:
        try:
            return self._paths_by_type[obj.TYPE]
        except KeyError:
            paths = self._paths_by_type[obj.TYPE] = paths_for(obj, self.spec)
            return paths


class PropertyCollector(ManagedObject):
    TYPE = "PropertyCollector"
    ANCESTRY = ("PropertyCollector", "ManagedObject")
    PROPERTIES = {"filter": "ArrayOfManagedObjectReference"}

    def __init__(self, moid: str, registry: Registry, owner: str | None) -> None:
        super().__init__(moid)
        self.registry = registry
        self.owner = owner
        self.filters: dict[str, PropertyFilter] = {}
        self.version = 0
        #: (version the client sent, answer) of the last non-empty answer, replayed when the client retries
        self.last_answer: tuple[str, dict[str, Any]] | None = None
        self.tokens: dict[str, tuple[list[tuple[ManagedObject, tuple[str, ...]]], int]] = {}
        self._wait_seq = 0
        self._waiting: tuple[int, asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self._canceled: set[int] = set()
        #: registry generation at the last computation, and whether updates are still pending (truncated)
        self._seen_gen = -1
        self._dirty = True

    def prop(self, name: str) -> Any:
        if name == "filter":
            return [f.ref for f in self.filters.values()]
        return None

    # -- retrieval ---------------------------------------------------------------------------------
    def retrieve_ex(self, specs: list[wire.PropertyFilterSpec], max_objects: int | None) -> Any:
        if max_objects is not None and max_objects <= 0:
            raise faults.invalid_argument("options.maxObjects", "maxObjects must be a positive number.")
        items = plan(specs, self.registry)
        page = min(max_objects or POLICY_MAX_OBJECTS, POLICY_MAX_OBJECTS)
        return self._page(items, page)

    def continue_ex(self, token: str) -> Any:
        entry = self.tokens.pop(token, None)
        if entry is None:
            raise faults.invalid_argument("token", f"Unknown or expired retrieval token '{token}'.")
        items, page = entry
        return self._page(items, page)

    def cancel_ex(self, token: str) -> None:
        if self.tokens.pop(token, None) is None:
            raise faults.invalid_argument("token", f"Unknown or expired retrieval token '{token}'.")

    def _page(self, items: list[tuple[ManagedObject, tuple[str, ...]]], page: int) -> Any:
        if not items:
            return UNSET_ANSWER
        head, rest = items[:page], items[page:]
        objects = [object_content(obj, paths) for obj, paths in head if obj.alive]
        token = None
        if rest:
            token = f"{next(_token_counter)}"
            self.tokens[token] = (rest, page)
            while len(self.tokens) > MAX_TOKENS:
                self.tokens.pop(next(iter(self.tokens)))
        return preencoded_envelope(wire.RetrieveResult, {"objects": objects}, token=token)

    # -- filters -----------------------------------------------------------------------------------
    def add_filter(self, flt: PropertyFilter) -> None:
        self.filters[flt.moid] = flt
        self._dirty = True

    def remove_filter(self, flt: PropertyFilter) -> None:
        self.filters.pop(flt.moid, None)
        self._dirty = True

    # -- waiting -----------------------------------------------------------------------------------
    def _reset(self) -> None:
        for flt in self.filters.values():
            flt.reported.clear()
            flt.missing_reported.clear()
            flt.log_pos = None
        self._dirty = True

    def check_version(self, version: str | None) -> dict[str, Any] | None:
        """Validate ``version``; returns a replayed answer for a retry of the previous version."""
        if version in (None, ""):
            self._reset()
            return None
        if version == str(self.version):
            return None
        if self.last_answer is not None and version == self.last_answer[0]:
            return self.last_answer[1]
        raise faults.invalid_collector_version()

    def compute_updates(self, max_updates: int | None, force: bool) -> dict[str, Any] | None:
        """The next ``UpdateSet`` (wire dict) or ``None`` when nothing changed (and not ``force``)."""
        gen = self.registry.gen
        if not force and not self._dirty and gen == self._seen_gen:
            return None  # nothing changed anywhere since the last look
        budget = max_updates if max_updates and max_updates > 0 else math.inf
        truncated = False
        filter_sets = []
        for flt in list(self.filters.values()):
            if budget <= 0:
                truncated = True
                break
            updates, missing, cut = self._filter_updates(flt, budget)
            budget -= len(updates)
            truncated = truncated or cut
            if updates or missing:
                filter_sets.append(
                    preencoded_envelope(
                        wire.PropertyFilterUpdate,
                        {"objectSet": updates or None, "missingSet": missing or None},
                        filter=flt.ref,
                    )
                )
        self._seen_gen = gen
        self._dirty = truncated
        if not filter_sets and not force:
            return None
        self.version += 1
        return preencoded_envelope(
            wire.UpdateSet,
            {"filterSet": filter_sets or None},
            version=str(self.version),
            truncated=True if truncated else None,
        )

    def _filter_updates(
        self, flt: PropertyFilter, budget: float
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
        """``(object updates, missing objects, truncated)`` of one filter since its last answer.

        Only the members that changed since then are diffed (the registry logs every change), plus those that
        joined or left; every member is diffed after a reset, a truncated answer, a re-walk of the spec, or when
        a member type has a never-cached path.
        """
        missing_refs: list[MoRef] = []
        membership = flt.membership
        objects = membership.refresh(missing_refs)
        rewalked, joined, left = membership.take_changes()
        missing = []
        for ref in missing_refs:
            if ref not in flt.missing_reported:
                flt.missing_reported.add(ref)
                missing.append(wire.MissingObject(obj=ref, fault=faults.managed_object_not_found(ref).fault).to_wire())
        registry = self.registry
        changed = None
        if flt.log_pos is not None and not rewalked and not flt.has_volatile:
            changed = registry.changes_since(flt.log_pos)
        end = registry.log_end
        if changed is None:
            updates, cut = self._diff(flt, objects, objects, budget, every=True)
        else:
            reported = flt.reported
            candidates: dict[ManagedObject, None] = dict.fromkeys(joined)
            for obj in changed:
                if obj in objects or obj in reported:
                    candidates[obj] = None
            candidates.update(dict.fromkeys(left))
            updates, cut = self._diff(flt, candidates, objects, budget, every=False)
        flt.log_pos = None if cut else end
        return updates, missing, cut

    @staticmethod
    def _diff(
        flt: PropertyFilter, candidates: Any, members: dict[ManagedObject, int], budget: float, *, every: bool
    ) -> tuple[list[dict[str, Any]], bool]:
        """Updates for ``candidates`` against what ``flt`` last reported; with ``every`` the candidates are all
        the members, and reported objects not among them leave."""
        updates: list[dict[str, Any]] = []
        current: set[ManagedObject] = set()
        reported = flt.reported
        volatile_by_type = flt.volatile_by_type
        for obj in candidates:
            paths = flt.paths(obj) if obj.alive and (every or obj in members) else None
            if paths is None:
                if not every and obj in reported:  # left the filter, or removed from the inventory
                    if len(updates) >= budget:
                        return updates, True
                    del reported[obj]
                    updates.append(
                        preencoded_envelope(wire.ObjectUpdate, {}, kind=wire.ObjectUpdateKind.leave, obj=obj.ref)
                    )
                continue
            current.add(obj)
            seen = reported.get(obj)
            volatile = volatile_by_type.get(obj.TYPE)
            if volatile is None:
                volatile = volatile_by_type[obj.TYPE] = any(p.split(".", 1)[0] in obj.NO_CACHE for p in paths)
            if volatile:
                flt.has_volatile = True
            elif seen is not None and seen[0] == obj.gen and seen[1] is paths:
                continue
            if len(updates) >= budget:
                return updates, True
            values, _invalid = property_values(obj, paths)
            if seen is None:
                changes = [change_entry(p, v) for p, v in values.items()]
                updates.append(
                    preencoded_envelope(
                        wire.ObjectUpdate, {"changeSet": changes or None}, kind=wire.ObjectUpdateKind.enter, obj=obj.ref
                    )
                )
            else:
                old = seen[2]
                changes = [change_entry(p, values.get(p)) for p in paths if values.get(p) != old.get(p)]
                if changes:
                    updates.append(
                        preencoded_envelope(
                            wire.ObjectUpdate, {"changeSet": changes}, kind=wire.ObjectUpdateKind.modify, obj=obj.ref
                        )
                    )
            reported[obj] = (obj.gen, paths, values)
        if every and len(reported) > len(current):
            for gone in [o for o in reported if o not in current]:
                if len(updates) >= budget:
                    return updates, True
                del reported[gone]
                updates.append(
                    preencoded_envelope(wire.ObjectUpdate, {}, kind=wire.ObjectUpdateKind.leave, obj=gone.ref)
                )
        return updates, False

    async def wait_for_updates(self, version: str | None, max_wait: float | None, max_updates: int | None) -> Any:
        lock = self.registry.lock
        with lock:
            replay = self.check_version(version)
            if replay is not None:
                return replay
            self._wait_seq += 1
            me = self._wait_seq
            self._supersede()
        deadline = None if max_wait is None else time.monotonic() + max(0.0, max_wait)
        initial = version in (None, "")
        try:
            while True:
                with lock:
                    if me in self._canceled:
                        self._canceled.discard(me)
                        raise faults.request_canceled()
                    answer = self.compute_updates(max_updates, force=initial)
                    if answer is not None:
                        self.last_answer = (version or "", answer)
                        return answer
                    if deadline is not None and time.monotonic() >= deadline:
                        return UNSET_ANSWER
                    event = self.registry.subscribe()
                    self._waiting = (me, asyncio.get_running_loop(), event)
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    await asyncio.wait_for(event.wait(), timeout)
                except TimeoutError:
                    pass
                finally:
                    self.registry.unsubscribe(event)
        finally:
            with lock:
                if self._waiting is not None and self._waiting[0] == me:
                    self._waiting = None

    def _supersede(self) -> None:
        """Cancel the waiter in progress (one waiter per collector). Call under the lock."""
        waiting = self._waiting
        if waiting is not None:
            seq, loop, event = waiting
            self._canceled.add(seq)
            self._waiting = None
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass

    def cancel_wait(self) -> None:
        with self.registry.lock:
            self._supersede()

    def destroy(self) -> None:
        with self.registry.lock:
            self._supersede()
            for flt in list(self.filters.values()):
                self.registry.remove(flt)
            self.filters.clear()
            self.tokens.clear()
