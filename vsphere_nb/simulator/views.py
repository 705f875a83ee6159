"""``ViewManager``, ``ContainerView`` and ``ListView``: session-scoped windows on the inventory and on tasks.

A ``ContainerView`` lists the entities below a container (direct children, or all descendants with
``recursive``) filtered by type; the inventory does not move, so its list is computed once. A ``ListView``
holds an explicit list — the batch engine puts its tasks there and watches them with one filter;
``ModifyListView`` adds and removes objects and reports the ones it could not resolve. Changing a view's
list is a change of its ``view`` property, so PropertyCollector filters over it see objects enter and leave.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..wire import MoRef
from .inventory import ManagedEntity
from .model import ManagedObject, Registry
from .sessions import CURRENT_SESSION

__all__ = ["ViewManager", "ContainerView", "ListView", "session_object_id"]


def session_object_id(session_key: str) -> str:
    """An opaque id like vCenter's session-scoped ones: ``session[52…]52…`` (needs percent-encoding in URLs)."""
    return f"session[{session_key}]52{uuid.uuid4().hex[:6]}-{uuid.uuid4().hex[:4]}-{uuid.uuid4().hex[:12]}"


class ViewManager(ManagedObject):
    TYPE = "ViewManager"
    ANCESTRY = ("ViewManager", "ManagedObject")
    PROPERTIES = {"viewList": "ArrayOfManagedObjectReference"}
    NO_CACHE = frozenset({"viewList"})  # depends on the caller's session

    def prop(self, name: str) -> Any:
        if name == "viewList":
            session = CURRENT_SESSION.get()
            if session is None:
                return []
            return [o.ref for o in session.owned if isinstance(o, (ContainerView, ListView)) and o.alive]
        return None


class ContainerView(ManagedObject):
    TYPE = "ContainerView"
    ANCESTRY = ("ContainerView", "ManagedObjectView", "View", "ManagedObject")
    DERIVED_LINKS = True
    PROPERTIES = {
        "view": "ArrayOfManagedObjectReference",
        "container": "ManagedObjectReference",
        "type": "ArrayOfString",
        "recursive": "boolean",
    }

    def __init__(self, moid: str, container: ManagedEntity, types: list[str], recursive: bool) -> None:
        super().__init__(moid)
        self.container = container
        self.types = list(types)
        self.recursive = recursive
        self._members: list[ManagedObject] | None = None

    def members(self) -> list[ManagedObject]:
        if self._members is None:
            candidates: list[ManagedObject] = list(
                self.container.descendants() if self.recursive else self.container.children()
            )
            if self.types:
                candidates = [c for c in candidates if any(t in c.ANCESTRY for t in self.types)]
            self._members = candidates
        return candidates if self._members is None else self._members

    def prop(self, name: str) -> Any:
        if name == "view":
            return [m.ref for m in self.members()]
        if name == "container":
            return self.container.ref
        if name == "type":
            return list(self.types)
        if name == "recursive":
            return self.recursive
        return None


class ListView(ManagedObject):
    TYPE = "ListView"
    ANCESTRY = ("ListView", "ManagedObjectView", "View", "ManagedObject")
    PROPERTIES = {"view": "ArrayOfManagedObjectReference"}

    def __init__(self, moid: str, registry: Registry) -> None:
        super().__init__(moid)
        self.registry = registry
        self.refs: dict[MoRef, None] = {}  # ordered set

    def members(self) -> list[ManagedObject]:
        out = []
        for ref in self.refs:
            obj = self.registry.resolve(ref)
            if obj is not None:
                out.append(obj)
        return out

    def add(self, refs: list[MoRef]) -> list[MoRef]:
        """Add objects; return the ones that do not exist (``ModifyListView``'s unresolved list)."""
        unresolved = []
        for ref in refs:
            if self.registry.resolve(ref) is None:
                unresolved.append(ref)
            else:
                self.refs[ref] = None
        return unresolved

    def remove(self, refs: list[MoRef]) -> None:
        for ref in refs:
            self.refs.pop(ref, None)

    def reset(self, refs: list[MoRef]) -> list[MoRef]:
        self.refs.clear()
        return self.add(refs)

    def prop(self, name: str) -> Any:
        if name == "view":
            return list(self.refs)
        return None
