"""What a ``PropertyFilterSpec`` selects in the simulated inventory: objects, paths and their wire values.

Each ``ObjectSpec`` starts at an object and follows ``TraversalSpec`` s (any property that holds MoRefs, e.g.
``ContainerView.view``, ``Folder.childEntity``, ``HostSystem.recentTask``; ``SelectionSpec`` s refer to named
traversal specs); every object matched by a ``PropertySpec`` (by type, including VMware's ancestors) yields an
``ObjectContent`` with each set path (``propSet``) and an ``InvalidProperty`` fault for each path its type does
not have (``missingSet``). :class:`Membership` keeps a filter's object set between waits and re-follows only the
links that changed. Used by :mod:`.collector` for both ``RetrievePropertiesEx`` and ``WaitForUpdatesEx``.
"""

from __future__ import annotations

from typing import Any

from .. import wire
from ..wire import MoRef
from . import faults
from .model import ManagedObject, Registry
from .properties import KNOWN_MANAGED_TYPES, UNSET, InvalidPath, envelope, read_path

__all__ = [
    "Membership",
    "check_types",
    "collect_objects",
    "object_content",
    "paths_for",
    "plan",
    "property_values",
    "retrieve",
]


def preencoded_envelope(cls: type[wire.VimObject], preencoded: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The wire dict of ``cls``: ``fields`` encoded here (MoRefs, enums, strings), ``preencoded`` as-is."""
    encoded = {k: (v.to_wire() if isinstance(v, wire.VimObject) else wire.encode_value(v)) for k, v in fields.items()}
    return envelope(cls, **encoded, **preencoded)


# ---------------------------------------------------------------------------------------------
# traversal
# ---------------------------------------------------------------------------------------------
def _named_specs(specs: list[wire.SelectionSpec] | None, out: dict[str, wire.TraversalSpec]) -> None:
    for spec in specs or ():
        if isinstance(spec, wire.TraversalSpec):
            if spec.name and spec.name not in out:
                out[spec.name] = spec
                _named_specs(spec.selectSet, out)
            elif not spec.name:
                _named_specs(spec.selectSet, out)


def check_types(spec: wire.PropertyFilterSpec) -> None:
    for prop_spec in spec.propSet:
        if prop_spec.type not in KNOWN_MANAGED_TYPES:
            raise faults.invalid_type(prop_spec.type, f"Invalid type '{prop_spec.type}' in PropertySpec.")
    for obj_spec in spec.objectSet:
        for sel in _walk_selects(obj_spec.selectSet):
            if isinstance(sel, wire.TraversalSpec) and sel.type not in KNOWN_MANAGED_TYPES:
                raise faults.invalid_type(sel.type, f"Invalid type '{sel.type}' in TraversalSpec '{sel.name or ''}'.")


def _walk_selects(specs: list[wire.SelectionSpec] | None, seen: set[int] | None = None) -> list[wire.SelectionSpec]:
    seen = seen if seen is not None else set()
    out = []
    for spec in specs or ():
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        out.append(spec)
        if isinstance(spec, wire.TraversalSpec):
            out.extend(_walk_selects(spec.selectSet, seen))
    return out


def _follow(obj: ManagedObject, path: str, registry: Registry) -> list[ManagedObject]:
    """The live objects ``obj.path`` refers to. Kept in the object's cache until it changes (a filter over a
    1,000-host view follows every host's ``recentTask`` on each wait); objects removed since are left out."""
    key = ("follow", path)
    cached = obj.cache.get(key)
    if cached is None:
        if path not in obj.PROPERTIES:
            cached = []
        else:
            value = obj.prop(path)
            cached = []
            for ref in value if isinstance(value, list) else [value]:
                if isinstance(ref, MoRef):
                    target = registry.resolve(ref)
                    if target is not None:
                        cached.append(target)
        obj.cache[key] = cached
    return [target for target in cached if target.alive]


def collect_objects(
    spec: wire.PropertyFilterSpec, registry: Registry, missing: list[MoRef] | None = None
) -> list[ManagedObject]:
    """The objects a filter spec selects, in traversal order, without duplicates.

    Root objects that do not exist go to ``missing`` when given, else raise ``ManagedObjectNotFound``.
    """
    return list(Membership(spec, registry).refresh(missing))


class Membership:
    """The objects a filter spec selects, kept up to date between waits.

    A wait over a 1,000-host ``ListView`` that follows each host's ``recentTask`` would otherwise walk every host
    on every call. The first :meth:`refresh` walks the spec (``ObjectSpec`` roots, ``TraversalSpec`` edges, named
    ``SelectionSpec`` s) and remembers each edge followed with the generation of the object it starts from. A later
    refresh re-follows only the edges whose object changed: a changed edge that ends the traversal (no
    ``selectSet`` below it, as ``HostSystem.recentTask`` → ``Task``) updates the members in place, counting how many
    edges reach each member; any other change (a view's contents, a root removed) walks the spec again.
    """

    def __init__(self, spec: wire.PropertyFilterSpec, registry: Registry) -> None:
        self.spec = spec
        self.registry = registry
        self.named: dict[str, wire.TraversalSpec] = {}
        for obj_spec in spec.objectSet:
            _named_specs(obj_spec.selectSet, self.named)
        #: member -> how many roots and edges reach it (insertion order = traversal order)
        self.members: dict[ManagedObject, int] = {}
        #: [node, traversal, node generation when followed, children] per edge followed
        self.edges: list[list[Any]] = []
        self.roots: list[ManagedObject] = []
        self.missing: list[MoRef] = []
        self._walked = False
        #: since the last :meth:`take_changes`: the members may all have changed (a walk), or these did
        self.rewalked = True
        self.joined: list[ManagedObject] = []
        self.left: list[ManagedObject] = []

    def take_changes(self) -> tuple[bool, list[ManagedObject], list[ManagedObject]]:
        """``(walked again, members that joined, members that left)`` since the last call."""
        changes = (self.rewalked, self.joined, self.left)
        self.rewalked, self.joined, self.left = False, [], []
        return changes

    def refresh(self, missing: list[MoRef] | None = None) -> dict[ManagedObject, int]:
        """The current members; root objects that do not exist go to ``missing`` (else ``ManagedObjectNotFound``)."""
        if not self._walked or not self._update():
            self._walk()
        if self.missing:
            if missing is None:
                raise faults.managed_object_not_found(self.missing[0])
            missing.extend(self.missing)
        return self.members

    def _walk(self) -> None:
        members: dict[ManagedObject, int] = {}
        edges: list[list[Any]] = []
        self.roots, self.missing = [], []
        for obj_spec in self.spec.objectSet:
            root = self.registry.resolve(obj_spec.obj)
            if root is None:
                self.missing.append(obj_spec.obj)
                continue
            self.roots.append(root)
            if not obj_spec.skip:
                members[root] = members.get(root, 0) + 1
            visited: set[tuple[int, int]] = set()
            stack: list[tuple[ManagedObject, list[wire.SelectionSpec] | None]] = [(root, obj_spec.selectSet)]
            while stack:
                node, selects = stack.pop()
                for sel in selects or ():
                    trav = sel if isinstance(sel, wire.TraversalSpec) else self.named.get(sel.name or "")
                    if trav is None or trav.type not in node.ANCESTRY:
                        continue
                    mark = (id(node), id(trav))
                    if mark in visited:
                        continue
                    visited.add(mark)
                    children = _follow(node, trav.path, self.registry)
                    edges.append([node, trav, node.gen, children])
                    if not trav.skip:
                        for child in children:
                            members[child] = members.get(child, 0) + 1
                    if trav.selectSet:
                        for child in reversed(children):
                            stack.append((child, trav.selectSet))
        self.members, self.edges, self._walked = members, edges, True
        self.rewalked = True

    def _update(self) -> bool:
        """Apply the changes since the last refresh; ``False`` when the spec must be walked again."""
        for root in self.roots:
            if not root.alive:
                return False
        members = self.members
        for edge in self.edges:
            node, trav, gen, old = edge
            if node.gen == gen and node.alive and not node.DERIVED_LINKS:
                continue
            if trav.selectSet or not node.alive:
                return False  # what lies below this edge may have changed: walk again
            new = _follow(node, trav.path, self.registry)
            edge[2], edge[3] = node.gen, new
            if new == old or trav.skip:
                continue
            for child in old:
                count = members.get(child, 0) - 1
                if count > 0:
                    members[child] = count
                elif members.pop(child, None) is not None:
                    self.left.append(child)
            for child in new:
                count = members.get(child, 0)
                members[child] = count + 1
                if count == 0:
                    self.joined.append(child)
        return True


def paths_for(obj: ManagedObject, spec: wire.PropertyFilterSpec) -> tuple[str, ...] | None:
    """The property paths ``spec.propSet`` asks of ``obj`` (``None`` when no PropertySpec matches its type)."""
    paths: dict[str, None] = {}
    matched = False
    for prop_spec in spec.propSet:
        if prop_spec.type in obj.ANCESTRY:
            matched = True
            if prop_spec.all:
                for name in obj.PROPERTIES:
                    paths[name] = None
            for path in prop_spec.pathSet or ():
                paths[path] = None
    return tuple(paths) if matched else None


# ---------------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------------
def property_values(obj: ManagedObject, paths: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    """``({path: encoded value}, [invalid paths])`` for the set paths; cached per object until it changes."""
    values: dict[str, Any] = {}
    invalid: list[str] = []
    cache = obj.cache
    for path in paths:
        key = ("v", path)
        top = path.split(".", 1)[0]
        cached = cache.get(key) if top not in obj.NO_CACHE else None
        if cached is None:
            try:
                cached = read_path(obj, path)
            except InvalidPath:
                cached = InvalidPath
            if top not in obj.NO_CACHE:
                cache[key] = cached
        if cached is InvalidPath:
            invalid.append(path)
        elif cached is not UNSET:
            values[path] = cached
    return values, invalid


def _missing_property(path: str) -> dict[str, Any]:
    return wire.MissingProperty(path=path, fault=faults.invalid_property(path).fault).to_wire()


def object_content(obj: ManagedObject, paths: tuple[str, ...]) -> dict[str, Any]:
    """The wire ``ObjectContent`` of ``obj`` for ``paths`` (cached per object until it changes)."""
    key = ("oc", paths)
    cacheable = not any(p.split(".", 1)[0] in obj.NO_CACHE for p in paths)
    if cacheable:
        hit = obj.cache.get(key)
        if isinstance(hit, dict):
            return hit
    values, invalid = property_values(obj, paths)
    prop_set = [envelope(wire.DynamicProperty, name=p, val=v) for p, v in values.items()]
    content = preencoded_envelope(
        wire.ObjectContent,
        {"propSet": prop_set or None, "missingSet": [_missing_property(p) for p in invalid] or None},
        obj=obj.ref,
    )
    if cacheable:
        obj.cache[key] = content
    return content


# ---------------------------------------------------------------------------------------------
# PropertyFilter / PropertyCollector
# ---------------------------------------------------------------------------------------------


def change_entry(path: str, value: Any) -> dict[str, Any]:
    return envelope(wire.PropertyChange, name=path, op=wire.PropertyChangeOp.assign.value, val=value)


def plan(specs: list[wire.PropertyFilterSpec], registry: Registry) -> list[tuple[ManagedObject, tuple[str, ...]]]:
    """Objects and paths a retrieval covers, merged across specs (validated; nothing encoded yet)."""
    merged: dict[tuple[str, str], tuple[ManagedObject, dict[str, None]]] = {}
    for spec in specs:
        check_types(spec)
        per_type: dict[str, tuple[str, ...] | None] = {}
        for obj in collect_objects(spec, registry):
            if obj.TYPE not in per_type:
                per_type[obj.TYPE] = paths_for(obj, spec)
            paths = per_type[obj.TYPE]
            if paths is None:
                continue
            key = (obj.TYPE, obj.moid)
            if key in merged:
                merged[key][1].update(dict.fromkeys(paths))
            else:
                merged[key] = (obj, dict.fromkeys(paths))
    return [(obj, tuple(paths)) for obj, paths in merged.values()]


def retrieve(specs: list[wire.PropertyFilterSpec], registry: Registry) -> list[dict[str, Any]]:
    """``RetrieveProperties`` (no paging): every ObjectContent at once."""
    return [object_content(obj, paths) for obj, paths in plan(specs, registry)]
