"""PropertyCollector and view helpers: the cheap way to read many objects and to watch many tasks.

Reading N hosts property by property costs N × properties requests; one ``RetrievePropertiesEx`` over a
``ContainerView`` costs about N / ``page_size`` (reference §8). Watching N tasks by polling ``Task/{id}/info``
costs N requests per interval; one ``WaitForUpdatesEx`` over a ``ListView`` of the tasks costs one long-poll per
change batch (reference §7, govmomi's ``property.Wait`` / ``view.TaskView``).

* Views: :func:`create_container_view`, :func:`create_list_view`, :func:`modify_list_view`, :func:`destroy_view`.
* Specs: :func:`container_filter_spec` / :func:`list_filter_spec` — the ``view`` traversal, ``_typeName`` on
  every object.
* Reading: :func:`retrieve_pages` (async generator, one page at a time) and :func:`retrieve` (all of them).
* Watching: :class:`PropertyWatcher` (private collector, filters, ``WaitForUpdatesEx`` with version tracking),
  plus :func:`apply_changes` / :func:`apply_object_update` to keep a local copy of the watched properties.

All functions take an :class:`~vsphere_nb.client.AsyncClient`; a sync user runs them through ``Client.run``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from . import errors, wire
from .client import AsyncClient

__all__ = [
    "create_container_view",
    "create_list_view",
    "modify_list_view",
    "destroy_view",
    "destroy_quietly",
    "container_filter_spec",
    "list_filter_spec",
    "retrieve",
    "retrieve_pages",
    "PropertyWatcher",
    "apply_changes",
    "apply_object_update",
    "apply_update_set",
]

logger = logging.getLogger("vsphere_nb.property")


def _view_manager(client: AsyncClient) -> wire.MoRef:
    vm = client.content.viewManager
    if vm is None:
        raise errors.ProtocolError("the service content has no viewManager", method="content")
    return vm


def _as_moref(value: Any, what: str) -> wire.MoRef:
    try:
        return wire.decode_as(value, wire.MoRef)
    except errors.ProtocolError as exc:
        raise errors.ProtocolError(f"{what} did not answer a managed object reference: {exc}", method=what) from None


# ---------------------------------------------------------------------------------------------
# views
# ---------------------------------------------------------------------------------------------
async def create_container_view(
    client: AsyncClient, container: wire.MoRef, types: Sequence[str], recursive: bool = True
) -> wire.MoRef:
    """``ViewManager.CreateContainerView``: every object of ``types`` below ``container`` (e.g. ``rootFolder``)."""
    if isinstance(types, str):
        types = [types]
    result = await client.invoke(
        _view_manager(client), "CreateContainerView", container=container, type=list(types), recursive=recursive
    )
    return _as_moref(result, "CreateContainerView")


async def create_list_view(client: AsyncClient, objs: Iterable[wire.MoRef]) -> wire.MoRef:
    """``ViewManager.CreateListView``: a view over exactly ``objs`` (e.g. the tasks of a batch)."""
    result = await client.invoke(_view_manager(client), "CreateListView", obj=list(objs))
    return _as_moref(result, "CreateListView")


async def modify_list_view(
    client: AsyncClient, view: wire.MoRef, add: Iterable[wire.MoRef] = (), remove: Iterable[wire.MoRef] = ()
) -> list[wire.MoRef]:
    """``ListView.ModifyListView``: add and drop objects; returns the objects the server could not add."""
    add, remove = list(add), list(remove)
    result = await client.invoke(view, "ModifyListView", add=add or None, remove=remove or None)
    if not result:
        return []
    return [_as_moref(r, "ModifyListView") for r in (result if isinstance(result, list) else [result])]


async def destroy_view(client: AsyncClient, view: wire.MoRef) -> None:
    """``View.DestroyView`` (raises like any call; after a read use :func:`destroy_quietly`)."""
    await client.invoke(view, "DestroyView")


async def destroy_quietly(client: AsyncClient, obj: wire.MoRef, method: str) -> None:
    """The cleanup after a read — ``DestroyView``, ``DestroyPropertyCollector``, ``DestroyCollector``,
    ``DestroyPropertyFilter`` on ``obj`` — with a failure logged, never raised: the read's result (or the read's
    own error) is what the caller gets. A view or collector left behind ends with the session."""
    try:
        await client.invoke(obj, method)
    except errors.VsphereError as exc:
        logger.info("%s %s failed (%s); the server drops it with the session", method, obj.value, exc)


def _view_filter_spec(
    view: wire.MoRef, view_type: str, type_paths: dict[str, list[str]], then: list[wire.SelectionSpec] | None = None
) -> wire.PropertyFilterSpec:
    if not type_paths:
        raise errors.ConfigError("type_paths must name at least one type, e.g. {'HostSystem': ['name']}")
    return wire.PropertyFilterSpec(
        objectSet=[
            wire.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=[wire.TraversalSpec(name="view", type=view_type, path="view", skip=False, selectSet=then)],
            )
        ],
        propSet=[wire.PropertySpec(type=type_name, pathSet=list(paths)) for type_name, paths in type_paths.items()],
    )


def container_filter_spec(view: wire.MoRef, type_paths: dict[str, list[str]]) -> wire.PropertyFilterSpec:
    """The filter spec over ``ContainerView.view`` (reference §8): the view itself skipped, its objects
    reported with ``type_paths`` (``{"HostSystem": ["name", "runtime.dasHostState"]}``)."""
    return _view_filter_spec(view, "ContainerView", type_paths)


def list_filter_spec(
    view: wire.MoRef, type_paths: dict[str, list[str]], *, recent_tasks: str | None = None
) -> wire.PropertyFilterSpec:
    """The same over ``ListView.view`` (reference §7), e.g. ``{"Task": ["info.state", "info.error"]}``.

    ``recent_tasks="HostSystem"`` also follows each listed object of that type to the tasks in its ``recentTask``:
    a task started on a listed host joins the filter by itself, with no ``ModifyListView`` per task.
    """
    then: list[wire.SelectionSpec] | None = (
        [wire.TraversalSpec(name="recentTask", type=recent_tasks, path="recentTask", skip=False)]
        if recent_tasks
        else None
    )
    return _view_filter_spec(view, "ListView", type_paths, then)


# ---------------------------------------------------------------------------------------------
# retrieving
# ---------------------------------------------------------------------------------------------
def _spec_list(specs: wire.PropertyFilterSpec | Iterable[wire.PropertyFilterSpec]) -> list[wire.PropertyFilterSpec]:
    if isinstance(specs, wire.PropertyFilterSpec):
        return [specs]
    out = list(specs)
    if not out:
        raise errors.ConfigError("retrieve needs at least one PropertyFilterSpec")
    return out


async def retrieve_pages(
    client: AsyncClient,
    specs: wire.PropertyFilterSpec | Iterable[wire.PropertyFilterSpec],
    *,
    page_size: int = 1000,
    collector: wire.MoRef | None = None,
) -> AsyncIterator[list[wire.ObjectContent]]:
    """Yield pages of ``ObjectContent``: ``RetrievePropertiesEx`` with ``maxObjects=page_size``, then
    ``ContinueRetrievePropertiesEx`` with each ``token`` until none is left. Leaving the loop early cancels the
    server-side result set (``CancelRetrievePropertiesEx``, best effort)."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise errors.ConfigError(f"page_size must be a positive integer, got {page_size!r}")
    pc = collector or client.content.propertyCollector
    result = await client.invoke(
        pc, "RetrievePropertiesEx", specSet=_spec_list(specs), options=wire.RetrieveOptions(maxObjects=page_size)
    )
    token: str | None = None
    try:
        while result is not None:
            page = wire.decode_as(result, wire.RetrieveResult)
            token = page.token or None
            if page.unreadable:
                logger.warning(
                    "%d object(s) of a RetrievePropertiesEx page could not be read at all (no usable obj): %s",
                    len(page.unreadable),
                    page.unreadable[0].reason,
                )
            if page.objects:
                yield list(page.objects)
            if token is None:
                return
            result = await client.invoke(pc, "ContinueRetrievePropertiesEx", token=token)
            token = None
    finally:
        if token is not None:
            try:
                await client.invoke(pc, "CancelRetrievePropertiesEx", token=token)
            except errors.VsphereError as exc:
                logger.debug("CancelRetrievePropertiesEx failed: %s", exc)


async def retrieve(
    client: AsyncClient,
    specs: wire.PropertyFilterSpec | Iterable[wire.PropertyFilterSpec],
    *,
    page_size: int = 1000,
    collector: wire.MoRef | None = None,
) -> list[wire.ObjectContent]:
    """Every ``ObjectContent`` the specs select (all pages). An empty result (``null``/204) is ``[]``.

    A property value the server sent in a shape that does not decode is a :class:`~vsphere_nb.wire.UndecodedValue`
    in ``propSet`` (raw JSON and reason), not a failure of the page: check for it where one odd object matters."""
    objects: list[wire.ObjectContent] = []
    async for page in retrieve_pages(client, specs, page_size=page_size, collector=collector):
        objects.extend(page)
    return objects


# ---------------------------------------------------------------------------------------------
# watching
# ---------------------------------------------------------------------------------------------
def _wait_ceiling(client: AsyncClient) -> int | None:
    """The largest ``maxWaitSeconds`` that still answers before the HTTP read timeout (or the overall deadline of
    the call, ``Timeouts.total``) fires."""
    read = client.timeouts.longest_wait
    if read is None:
        return None
    margin = max(1.0, min(5.0, read * 0.25))
    return max(0, int(read - margin))


class PropertyWatcher:
    """``WaitForUpdatesEx`` on one collector, tracking the version.

    ``private=True`` (the default) creates a collector of its own (``CreatePropertyCollector``), because a
    collector serves one waiter at a time and its filters would otherwise mix with everybody else's.

    ::

        w = await PropertyWatcher.create(client)
        await w.add_filter(list_filter_spec(view, {"Task": ["info.state"]}))
        while (update := await w.wait(max_wait_seconds=20)) is not None or keep_going:
            ...
        await w.destroy()

    A ``truncated`` UpdateSet means more changes are waiting: call :meth:`wait` again at once. Collectors, filters
    and views belong to the session: after a re-login they are gone (``ManagedObjectNotFound``) and must be
    created again.
    """

    def __init__(self, client: AsyncClient, collector: wire.MoRef, *, private: bool) -> None:
        self.client = client
        self.collector = collector
        self.private = private
        self.version = ""
        self.filters: list[wire.MoRef] = []
        self._destroyed = False

    @classmethod
    async def create(cls, client: AsyncClient, private: bool = True) -> PropertyWatcher:
        pc = client.content.propertyCollector
        if private:
            collector = _as_moref(await client.invoke(pc, "CreatePropertyCollector"), "CreatePropertyCollector")
        else:
            collector = pc
        return cls(client, collector, private=private)

    async def add_filter(self, spec: wire.PropertyFilterSpec, partial_updates: bool = False) -> wire.MoRef:
        """``CreateFilter``; the new filter's MoRef (kept for :meth:`destroy`)."""
        result = await self.client.invoke(self.collector, "CreateFilter", spec=spec, partialUpdates=partial_updates)
        filt = _as_moref(result, "CreateFilter")
        self.filters.append(filt)
        return filt

    async def remove_filter(self, filt: wire.MoRef) -> None:
        """``DestroyPropertyFilter`` for one filter of this watcher."""
        await self.client.invoke(filt, "DestroyPropertyFilter")
        if filt in self.filters:
            self.filters.remove(filt)

    async def wait(self, max_wait_seconds: int = 20, max_object_updates: int | None = None) -> wire.UpdateSet | None:
        """One ``WaitForUpdatesEx`` from :attr:`version`; ``None`` when nothing changed within the wait (the server
        answers 204 or an empty 200). ``max_wait_seconds`` is lowered to stay below the HTTP read timeout."""
        ceiling = _wait_ceiling(self.client)
        wait_s = int(max_wait_seconds)
        if ceiling is not None and wait_s > ceiling:
            logger.debug(
                "maxWaitSeconds %d lowered to %d (read timeout / call deadline %s s)",
                wait_s,
                ceiling,
                self.client.timeouts.longest_wait,
            )
            wait_s = ceiling
        options = wire.WaitOptions(maxWaitSeconds=max(0, wait_s), maxObjectUpdates=max_object_updates)
        result = await self.client.invoke(self.collector, "WaitForUpdatesEx", version=self.version, options=options)
        if result is None:
            return None
        update = wire.decode_as(result, wire.UpdateSet)
        self.version = update.version
        return update

    def abandon(self) -> None:
        """Forget the collector without destroying it: its objects died with the session (a re-login or a
        server restart), so :meth:`destroy` has nothing left to clean up."""
        self._destroyed = True
        self.filters.clear()

    async def destroy(self) -> None:
        """``DestroyPropertyFilter`` for each filter, then ``DestroyPropertyCollector`` when private. Best effort:
        failures are logged, never raised (this runs in ``finally`` blocks and on close)."""
        if self._destroyed:
            return
        self._destroyed = True
        for filt in list(self.filters):
            await destroy_quietly(self.client, filt, "DestroyPropertyFilter")
        self.filters.clear()
        if self.private:
            await destroy_quietly(self.client, self.collector, "DestroyPropertyCollector")

    async def __aenter__(self) -> PropertyWatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.destroy()


# ---------------------------------------------------------------------------------------------
# local copies of watched properties
# ---------------------------------------------------------------------------------------------
_KEYED = re.compile(r"^(?P<base>.+?)\[(?P<key>[^\]]*)\]$")


def _element_key(element: Any) -> str | None:
    if isinstance(element, wire.MoRef):
        return element.value
    if isinstance(element, dict):
        key = element.get("key")
        return None if key is None else str(key)
    key = getattr(element, "key", None)
    if key is not None:
        return str(key)
    if isinstance(element, (str, int)):
        return str(element)
    return None


def apply_changes(props: dict[str, Any], changes: Iterable[wire.PropertyChange] | None) -> dict[str, Any]:
    """Apply a ``changeSet`` to ``props`` (property path → value) in place and return it.

    ``assign`` sets, ``remove``/``indirectRemove`` delete, ``add`` appends to a list. A keyed path
    ``name["key"]`` (partial updates) acts on the element of list ``name`` whose ``key`` (or MoRef value) is
    ``key``. An unknown op is treated as ``assign`` so a newer server cannot lose a value.
    """
    for change in changes or []:
        op = str(change.op)
        match = _KEYED.match(change.name)
        if match is None:
            if op in ("remove", "indirectRemove"):
                props.pop(change.name, None)
            elif op == "add":
                current = props.get(change.name)
                items = list(current) if isinstance(current, list) else ([] if current is None else [current])
                items.extend(change.val if isinstance(change.val, list) else [change.val])
                props[change.name] = items
            else:
                props[change.name] = change.val
            continue
        base, key = match.group("base"), match.group("key").strip("\"'")
        items = list(props.get(base) or [])
        index = next((i for i, item in enumerate(items) if _element_key(item) == key), None)
        if op in ("remove", "indirectRemove"):
            if index is not None:
                del items[index]
        elif index is not None:
            items[index] = change.val
        else:
            items.append(change.val)
        props[base] = items
    return props


def apply_object_update(objects: dict[wire.MoRef, dict[str, Any]], update: wire.ObjectUpdate) -> None:
    """Apply one ``ObjectUpdate`` to ``objects`` (MoRef → properties): ``enter`` adds, ``modify`` changes,
    ``leave`` drops."""
    kind = str(update.kind)
    if kind == "leave":
        objects.pop(update.obj, None)
        return
    props = {} if kind == "enter" else objects.setdefault(update.obj, {})
    apply_changes(props, update.changeSet)
    objects[update.obj] = props


def apply_update_set(objects: dict[wire.MoRef, dict[str, Any]], update_set: wire.UpdateSet | None) -> None:
    """Apply every object update of ``update_set`` (``None`` = nothing changed)."""
    if update_set is None:
        return
    for filter_update in update_set.filterSet or []:
        for object_update in filter_update.objectSet or []:
            apply_object_update(objects, object_update)
