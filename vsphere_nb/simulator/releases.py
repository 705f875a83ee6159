"""Which fields each API release may carry: a server writes only what the release in the path knows.

A 9.x simulator builds its objects with the fields VMware's schema marks *Since 9.x* (:data:`SINCE`); a client
that asks at an older release (``/sdk/vim25/8.0.3.0/…``) gets them without those fields, as from a vCenter.
Answers are only walked when the path's release is older than the server's and older than some entry of
:data:`SINCE` — never on the common path, so large PropertyCollector answers cost nothing extra.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["SINCE", "release_key", "needs_scrub", "scrub"]


def release_key(release: str) -> tuple[int, ...]:
    return tuple(int(p) for p in release.split("."))


#: data object type -> field -> first release that has it (the fields the simulator writes, from VMware's schema)
SINCE: dict[str, dict[str, tuple[int, ...]]] = {
    "ServiceContent": {"directPathProfileManager": (9, 0, 0, 0)},
    "HostHardwareSummary": {"family": (9, 0, 0, 0)},
    "HostSystemInfo": {"family": (9, 0, 0, 0)},
    "HostListSummary": {"maintenanceModeRequired": (9, 1, 0, 0)},
    "VmfsDatastoreInfo": {"supportedVDiskFormats": (9, 0, 0, 0)},
}
#: the newest release any entry of SINCE names
_NEWEST = max(v for fields in SINCE.values() for v in fields.values())


@lru_cache(maxsize=256)
def needs_scrub(path_release: str, server_release: str) -> bool:
    """Whether answers to a request at ``path_release`` may hold fields it does not know."""
    try:
        path = release_key(path_release)
    except ValueError:
        return False
    return path < release_key(server_release) and path < _NEWEST


def scrub(value: Any, path_release: str) -> Any:
    """``value`` (encoded JSON) without the fields newer than ``path_release``; shared parts are not modified."""
    key = release_key(path_release)
    if key >= _NEWEST:
        return value
    return _scrub(value, key)


def _scrub(value: Any, key: tuple[int, ...]) -> Any:
    if isinstance(value, list):
        out = [_scrub(v, key) for v in value]
        return value if all(a is b for a, b in zip(out, value)) else out
    if not isinstance(value, dict):
        return value
    drop = SINCE.get(value.get("_typeName", ""), {})
    changed = False
    result: dict[str, Any] = {}
    for k, v in value.items():
        if k in drop and key < drop[k]:
            changed = True
            continue
        nv = _scrub(v, key)
        changed = changed or nv is not v
        result[k] = nv
    return result if changed else value
