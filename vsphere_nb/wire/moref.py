"""``ManagedObjectReference``: ``{"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-42"}``.

Both the flat form and the boxed form (``{"_typeName": "ManagedObjectReference", "_value": {...}}``) are read;
the flat form is written. ``MoRef("HostSystem", "host-42")`` builds one; MoRefs are immutable and hashable.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from .base import VimObject

__all__ = ["ManagedObjectReference", "MoRef"]


class ManagedObjectReference(VimObject):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    type: str
    value: str

    def __init__(self, type: str | None = None, value: str | None = None, /, **data: Any) -> None:
        if type is not None:
            data.setdefault("type", type)
        if value is not None:
            data.setdefault("value", value)
        super().__init__(**data)

    # Positional construction only: decoding (``model_validate``) must not route every MoRef through this Python
    # ``__init__``. Pydantic calls a model's own ``__init__`` during validation unless it carries this marker
    # (the mechanism pydantic's ``RootModel`` uses); without it each decoded MoRef is validated twice.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.type, self.value))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ManagedObjectReference):
            return self.type == other.type and self.value == other.value
        return NotImplemented

    def __repr__(self) -> str:
        return f"MoRef({self.type!r}, {self.value!r})"

    __str__ = __repr__

    def to_wire(self) -> dict[str, Any]:
        return {"_typeName": "ManagedObjectReference", "type": self.type, "value": self.value}


MoRef = ManagedObjectReference
