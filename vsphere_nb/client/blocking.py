"""The blocking facade: :class:`BlockingClient` runs an :class:`~vsphere_nb.client.aio.AsyncClient` on a private
event loop.

Why a private loop thread: a Jupyter kernel already runs an asyncio loop in the main thread, so
``asyncio.run`` (or ``loop.run_until_complete``) fails there, and patching the kernel's loop (nest_asyncio) is
fragile. Instead each client owns one daemon thread running its own loop; :meth:`BlockingClient.run` hands a
coroutine to it with :func:`asyncio.run_coroutine_threadsafe` and blocks the caller until it is done. The httpx
client lives on that loop for its whole life, which httpx requires.

::

    with connect("vc.example.com", "administrator@vsphere.local", pw) as vc:
        vc.get(host, "runtime")
        vc.run(property.retrieve(vc.aio, spec))   # any coroutine, on the client's loop

Interrupting the caller (Jupyter's "interrupt kernel" raises ``KeyboardInterrupt`` in the waiting thread) cancels
the coroutine on the loop as well. The notebook's :class:`vsphere_nb.Client` adds the fleet, batch and diagnosis
verbs on top of this one (:mod:`vsphere_nb.sync`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from .. import wire
from ._transport import ClientStats
from .aio import AsyncClient, vcenter_name
from .config import RetryPolicy, Secret, Timeouts

__all__ = ["BlockingClient", "LoopThread", "start_client"]

T = TypeVar("T")
C = TypeVar("C", bound="BlockingClient")


class LoopThread:
    """One daemon thread running one asyncio event loop until :meth:`stop`."""

    def __init__(self, name: str = "vsphere-nb-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.thread.start()
        self._ready.wait()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                self.loop.close()

    @property
    def alive(self) -> bool:
        return self.thread.is_alive() and not self.loop.is_closed()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError(
                "Client.run() was called from a coroutine already running on the client's loop; "
                "use 'await client.aio...' there instead"
            )
        if not self.alive:
            coro.close()
            raise RuntimeError("the client's event loop is stopped (client closed)")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()  # KeyboardInterrupt / timeout in the caller: stop the work on the loop too
            raise

    def stop(self) -> None:
        if self.thread.is_alive() and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout=10)


def _stop_loop(loop_thread: LoopThread) -> None:  # weakref.finalize callback: must not reference the Client
    try:
        loop_thread.stop()
    except Exception:
        pass


class BlockingClient:
    """Blocking twin of :class:`~vsphere_nb.client.aio.AsyncClient`; :func:`vsphere_nb.connect` gives its notebook
    subclass :class:`vsphere_nb.Client`."""

    def __init__(self, aio: AsyncClient, loop_thread: LoopThread) -> None:
        self._aio = aio
        self._loop_thread = loop_thread
        self._finalizer = weakref.finalize(self, _stop_loop, loop_thread)

    @property
    def aio(self) -> AsyncClient:
        """The underlying async client; use it only in coroutines given to :meth:`run`."""
        return self._aio

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop_thread.loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the client's loop and return its result (or raise its exception).

        Only coroutine objects are accepted: a future or ``asyncio.gather(...)`` built in the caller's thread
        belongs to the caller's loop and cannot be awaited on this one — wrap it in an ``async def``.
        ``timeout`` (seconds) raises ``concurrent.futures.TimeoutError`` and cancels the coroutine.
        """
        if not asyncio.iscoroutine(coro):
            raise TypeError(f"Client.run() needs a coroutine (an 'async def' call), not {type(coro).__name__}")
        return self._loop_thread.run(coro, timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``coro`` on the client's loop and return at once with a :class:`concurrent.futures.Future`.

        What a notebook button uses so a long job never blocks the kernel.
        """
        if not asyncio.iscoroutine(coro):
            raise TypeError(f"Client.submit() needs a coroutine (an 'async def' call), not {type(coro).__name__}")
        return self._loop_thread.submit(coro)

    @property
    def vcenter(self) -> str:
        """This vCenter's name in every table (``host[:port]``)."""
        return vcenter_name(self._aio)

    # -- mirrors of the async API ---------------------------------------------------------------
    def get(self, moref: wire.MoRef, prop: str) -> Any:
        return self.run(self._aio.get(moref, prop))

    def invoke(self, moref: wire.MoRef, method: str, /, **params: Any) -> Any:
        return self.run(self._aio.invoke(moref, method, **params))

    def login(self) -> wire.UserSession:
        return self.run(self._aio.login())

    def logout(self) -> None:
        self.run(self._aio.logout())

    def close(self) -> None:
        """Log out (best effort), close the connections, stop the loop thread. Idempotent."""
        if self._loop_thread.alive:
            try:
                self.run(self._aio.close())
            finally:
                self._finalizer()

    @property
    def content(self) -> wire.ServiceContent:
        return self._aio.content

    @property
    def about(self) -> wire.AboutInfo:
        return self._aio.about

    @property
    def release(self) -> str:
        return self._aio.release

    @property
    def release_source(self) -> str:
        return self._aio.release_source

    @property
    def session(self) -> wire.UserSession | None:
        return self._aio.session

    @property
    def session_token(self) -> Secret | None:
        return self._aio.session_token

    @property
    def server(self) -> str:
        return self._aio.server

    @property
    def base_url(self) -> str:
        return self._aio.base_url

    @property
    def user(self) -> str | None:
        return self._aio.user

    @property
    def timeouts(self) -> Timeouts:
        return self._aio.timeouts

    @property
    def stats(self) -> ClientStats:
        return self._aio.stats

    @property
    def max_response_bytes(self) -> int:
        return self._aio.max_response_bytes

    @property
    def is_closed(self) -> bool:
        return self._aio.is_closed

    def __enter__(self: C) -> C:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._aio).replace("<AsyncClient", "<Client", 1)


def start_client(
    cls: type[C],
    server: str,
    user: str | None,
    password: str | Secret | None,
    *,
    session_token: str | Secret | None,
    verify: Any,
    release: str | None,
    timeout: Timeouts,
    retry: RetryPolicy,
    transport: httpx.AsyncBaseTransport | None,
    user_agent: str,
    max_response_bytes: int,
) -> C:
    """Connect an :class:`AsyncClient` on a new loop thread and wrap it in ``cls``; ``verify`` already resolved
    (in the caller's thread, so an ``InsecureTLSWarning`` points at the caller's line)."""
    loop_thread = LoopThread()
    try:
        aio = loop_thread.run(
            AsyncClient.connect(
                server,
                user,
                password,
                session_token=session_token,
                verify=verify,
                release=release,
                timeout=timeout,
                retry=retry,
                transport=transport,
                user_agent=user_agent,
                max_response_bytes=max_response_bytes,
            )
        )
    except BaseException:
        loop_thread.stop()
        raise
    return cls(aio, loop_thread)
