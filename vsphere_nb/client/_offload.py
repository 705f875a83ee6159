"""CPU-heavy work moved off the event loop: decoding large answers into models.

The event loop of a batch has latency-critical work (a finished task frees a slot; the next launch should go out at
once). Decoding a large answer into models (an inventory page, the first update set of a 1,000-host watch) takes tens
to hundreds of milliseconds of pure Python; done on the loop it would hold every launch back for that long. :func:`offload` runs such work on one shared worker thread: the GIL
still serialises Python code, but the interpreter switches threads every few milliseconds, so the loop keeps
answering while a page is decoded. One thread is enough (the work is CPU-bound under the GIL) and keeps the answers
of one caller in order.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["offload", "OFFLOAD_BYTES"]

T = TypeVar("T")

#: answers at least this large are decoded on the worker thread; smaller ones cost less than the thread hop
OFFLOAD_BYTES = 32 * 1024

_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vsphere-nb-decode")
    return _executor


async def offload(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on the decode thread; its result or exception comes back to the awaiting coroutine."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), functools.partial(fn, *args, **kwargs))
