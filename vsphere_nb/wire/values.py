"""Plain values of the wire format that need no model: wire timestamps, a value with a forced wire type
(:class:`Boxed`) and a value kept as sent because it does not decode (:class:`UndecodedValue`).

The leaf of :mod:`vsphere_nb.wire`: the models (:mod:`.base`), the decoder (:mod:`.codec`) and the plain-JSON
readers (:mod:`.plain`) all read it; it reads none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["Boxed", "UndecodedValue", "format_datetime", "parse_datetime"]


@dataclass(frozen=True)
class Boxed:
    """A value with an explicit wire type for an ``Any`` slot (e.g. ``Boxed("ArrayOfEvent", [])``)."""

    type_name: str
    value: Any


@dataclass(frozen=True)
class UndecodedValue:
    """A property value that is not valid VI/JSON for its type, kept as the server sent it.

    ``raw`` is the wire JSON, ``reason`` a one-line explanation (at most 200 characters, server text included
    as is: escape it before showing it). Encoding an ``UndecodedValue`` writes ``raw`` back unchanged.
    """

    raw: Any
    reason: str

    @property
    def type_name(self) -> str | None:
        """The value's ``_typeName`` as sent, when it had one."""
        name = self.raw.get("_typeName") if isinstance(self.raw, dict) else None
        return name if isinstance(name, str) else None

    def __str__(self) -> str:
        return f"undecodable {self.type_name or type(self.raw).__name__}: {self.reason}"


def format_datetime(value: datetime) -> str:
    """``2026-03-01T08:57:35.279575Z``: UTC, microseconds, four-digit year (naive values are taken as UTC)."""
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_datetime(value: str) -> datetime:
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
