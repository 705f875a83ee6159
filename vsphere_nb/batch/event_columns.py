"""The events of one attempt as columns: each event wire dict read once, when it arrives, into the events frame's
columns (:data:`~vsphere_nb.tables.events.EVENT_COLUMNS`), and an event several sources report (the task's event
chain, the host's event window, the fault) kept once, under its best source (:data:`~vsphere_nb.vocabulary.EVENT_SOURCES`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..tables.events import EVENT_COLUMNS, event_columns
from ..vocabulary import EVENT_SOURCES

__all__ = ["EventColumns", "EVENT_FIELDS"]


#: the per-event columns of :class:`EventColumns`, in the events frame's order
EVENT_FIELDS: tuple[str, ...] = ("source", *EVENT_COLUMNS)
_SOURCE_RANK = {name: i for i, name in enumerate(EVENT_SOURCES)}


def _rank(source: Any) -> int:
    return _SOURCE_RANK.get(source, len(_SOURCE_RANK))


@dataclass(slots=True)
class EventColumns:
    """The events of one attempt, already reduced to the events-frame columns (one list per column).

    Each event is read out of its wire dict once, when it arrives (:meth:`add_wire`), not every time the frames
    are rebuilt, and the same event reported by several sources (the task's event chain and the host's event
    window overlap) is kept once, labelled with the first source of :data:`EVENT_SOURCES`. That keeps
    rebuilding the frames of a million-event run cheap and the dicts out of memory; the journal keeps the full
    wire JSON.
    """

    source: list[str] = field(default_factory=list)
    event_key: list[Any] = field(default_factory=list)
    chain_id: list[Any] = field(default_factory=list)
    event_type: list[Any] = field(default_factory=list)
    event_type_id: list[Any] = field(default_factory=list)
    created_time: list[Any] = field(default_factory=list)
    user_name: list[Any] = field(default_factory=list)
    severity: list[Any] = field(default_factory=list)
    message: list[Any] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.event_type)

    def add_wire(self, source: str, events: Iterable[Mapping[str, Any]]) -> int:
        """Add event wire dicts from ``source``; returns how many were new. ``event_type_id`` = ``eventTypeId``
        else ``_typeName``; ``message`` = ``fullFormattedMessage`` else ``message``; ``severity`` from
        :func:`~vsphere_nb.tables.events.event_severity`. Items that are not objects are ignored."""
        evs = [e for e in events if e.__class__ is dict or isinstance(e, Mapping)]
        if not evs:
            return 0
        keys = [e.get("key") for e in evs]
        keep = self._new_positions(source, keys)
        if len(keep) != len(evs):
            evs = [evs[j] for j in keep]
            keys = [keys[j] for j in keep]
        self.source.extend([sys.intern(source) if type(source) is str else source] * len(evs))
        for name, values in event_columns(evs).items():
            getattr(self, name).extend(values)
        return len(evs)

    def _new_positions(self, source: str, keys: list[Any]) -> list[int]:
        """Positions in ``keys`` of events not seen yet; a repeat from a better source relabels the old row."""
        index: dict[int, int] = {}
        for pos, key in enumerate(self.event_key):
            if type(key) is int and key:
                index.setdefault(key, pos)
        rank = _rank(source)
        keep: list[int] = []
        for j, key in enumerate(keys):
            if type(key) is int and key:
                found = index.get(key)
                if found is not None:
                    if found < len(self.source) and rank < _rank(self.source[found]):
                        self.source[found] = source
                    continue
                index[key] = len(self.event_key) + len(keep)
            keep.append(j)
        return keep
