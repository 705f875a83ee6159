"""Keep Python's full garbage collections short while a batch runs.

The cyclic collector's full (generation 2) pass walks every tracked object in the process: in a notebook kernel with
pandas, pydantic and an inventory loaded that is several hundred thousand objects, 50-150 ms during which the run's
event loop stands still and freed slots wait for their next launch. While any run is under way the objects that
existed before it are frozen (:func:`gc.freeze`: set aside, not collected, not walked); the full passes then only
walk what the run itself allocated. The last run to end unfreezes them, and they are collected as usual again.
"""

from __future__ import annotations

import gc
import threading

__all__ = ["hold", "release"]

_lock = threading.Lock()
_runs = 0


def hold() -> None:
    """A run starts: freeze the heap if it is the first one under way."""
    global _runs
    with _lock:
        _runs += 1
        if _runs == 1:
            gc.freeze()


def release() -> None:
    """A run ended (call once per :func:`hold`): unfreeze when it was the last one under way."""
    global _runs
    with _lock:
        if _runs == 0:
            return
        _runs -= 1
        if _runs == 0:
            gc.unfreeze()
