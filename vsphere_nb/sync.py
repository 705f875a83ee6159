"""The blocking facade: :class:`Client` runs an :class:`~vsphere_nb.client.AsyncClient` on a private event loop.

Why a private loop thread: a Jupyter kernel already runs an asyncio loop in the main thread, so
``asyncio.run`` (or ``loop.run_until_complete``) fails there, and patching the kernel's loop (nest_asyncio) is
fragile. Instead each :class:`Client` owns one daemon thread running its own loop; :meth:`Client.run` hands a
coroutine to it with :func:`asyncio.run_coroutine_threadsafe` and blocks the caller until it is done. The httpx
client lives on that loop for its whole life, which httpx requires.

::

    with connect("vc.example.com", "administrator@vsphere.local", pw) as vc:
        vc.get(host, "runtime")
        vc.run(property.retrieve(vc.aio, spec))   # any coroutine, on the client's loop

Interrupting the caller (Jupyter's "interrupt kernel" raises ``KeyboardInterrupt`` in the waiting thread) cancels
the coroutine on the loop as well.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from . import wire
from .client import AsyncClient, vcenter_name
from .config import (
    DEFAULT_USER_AGENT,
    MAX_RESPONSE_BYTES,
    RetryPolicy,
    Secret,
    Timeouts,
    VerifyArg,
    parse_server,
    resolve_verify,
)
from .transport import ClientStats

__all__ = ["Client", "connect", "LoopThread"]

logger = logging.getLogger("vsphere_nb.sync")

T = TypeVar("T")


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


class Client:
    """Blocking twin of :class:`~vsphere_nb.client.AsyncClient`; create it with :func:`connect`."""

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

    # -- the core job ---------------------------------------------------------------------------
    @property
    def vcenter(self) -> str:
        """This vCenter's name in every table (``host[:port]``)."""
        return vcenter_name(self._aio)

    def hosts(
        self,
        *,
        clusters: Any = None,
        host_names: Any = None,
        only_unhealthy: bool = False,
        page_size: int = 2000,
        diagnostics: bool = False,
    ) -> Any:
        """The ``hosts`` DataFrame: every host with its HA state and pre-flight eligibility, in one
        PropertyCollector pass. ``clusters``/``host_names`` select (unknown names raise ``ConfigError``).
        ``diagnostics=True`` adds what diagnosis reads per host (management vmknics, accessible datastores,
        heartbeat datastores, version vs vCenter's; see :mod:`vsphere_nb.clusters`) in the same pass.

        A value the server sent that cannot be used costs its cell only: the cell is empty, the host's
        ``data_issues`` says which property and why, and each kind of issue is logged once as a warning."""
        from .inventory import collect_inventory, filter_hosts, hosts_frame

        if diagnostics:
            from .clusters import collect_fleet, diagnosis_hosts_frame

            fleet = self.run(collect_fleet(self._aio, page_size=page_size, vcenter=self.vcenter))
            frame = diagnosis_hosts_frame(fleet, self.about.version)
        else:
            frame = hosts_frame(self.run(collect_inventory(self._aio, page_size=page_size, vcenter=self.vcenter)))
        return filter_hosts(frame, clusters=clusters, host_names=host_names, only_unhealthy=only_unhealthy)

    def events(
        self,
        *,
        hosts: Any = None,
        clusters: Any = None,
        since: Any = "24h",
        until: Any = None,
        types: Any = "ha",
        max_events: int | None = None,
        progress: Any = None,
    ) -> Any:
        """The HA event history of a window as a DataFrame (the run's events columns plus ``category``): one
        event collector, read in large pages. See :mod:`vsphere_nb.history`."""
        from .history import DEFAULT_MAX_EVENTS, read_history

        return self.run(
            read_history(
                self._aio,
                hosts=hosts,
                clusters=clusters,
                since=since,
                until=until,
                types=types,
                max_events=max_events or DEFAULT_MAX_EVENTS,
                progress=progress,
                vcenter=self.vcenter,
            )
        )

    def clusters(self, *, page_size: int = 2000) -> Any:
        """One row per cluster with its HA settings and host health, in one PropertyCollector pass
        (see :mod:`vsphere_nb.clusters`)."""
        from .clusters import clusters_frame, collect_fleet

        return clusters_frame(self.run(collect_fleet(self._aio, page_size=page_size, vcenter=self.vcenter)))

    def diagnose(
        self,
        hosts: Any = None,
        *,
        run: Any = None,
        since: Any = "72h",
        rules: Any = None,
        agent_logs: bool = True,
    ) -> Any:
        """Gather (one fleet pass, the HA history since ``since``) and :func:`~vsphere_nb.diagnosis.diagnose`.

        ``hosts`` narrows which hosts are diagnosed (a frame or names); ``run`` adds a run's attempts and events;
        ``agent_logs`` reads the HA agent's log (:func:`~vsphere_nb.agent_log.read_agent_logs`) of the hosts
        that need a diagnosis, and only theirs.
        """
        from .agent_log import read_agent_logs
        from .clusters import add_state_change_times, clusters_frame, collect_fleet, diagnosis_hosts_frame
        from .diagnosis import diagnose
        from .history import read_history, server_now
        from .inventory import filter_hosts

        inv = self.run(collect_fleet(self._aio, vcenter=self.vcenter))
        history = self.run(read_history(self._aio, since=since, vcenter=self.vcenter))
        frame = add_state_change_times(diagnosis_hosts_frame(inv, self.about.version), history)
        if hosts is not None:
            names = hosts["host_moid"].astype(str).tolist() if hasattr(hosts, "columns") else hosts
            frame = filter_hosts(frame, host_names=[names] if isinstance(names, str) else names)
        clusters = clusters_frame(inv)
        now = self.run(server_now(self._aio))  # state ages and event windows on the server's clock
        first = diagnose(frame, run=run, events=history, clusters=clusters, rules=rules, now=now)
        if not agent_logs or not len(first.hosts):
            return first
        mine = first.hosts[first.hosts["vcenter"].astype(str) == str(self.vcenter)]
        logs = self.run(read_agent_logs(self._aio, mine["host_moid"].astype(str).tolist()))
        keyed = {(self.vcenter, moid): lines for moid, lines in logs.items()}
        return diagnose(frame, run=run, events=history, clusters=clusters, rules=rules, logs=keyed, now=now)

    def plan_reconfigure(self, hosts: Any, limits: Any = None, *, diagnosis: Any = None) -> Any:
        """A dry run of *Reconfigure for vSphere HA* over ``hosts``: see :class:`~vsphere_nb.batch.ReconfigurePlan`.

        ``diagnosis`` (``vc.diagnose()``, or ``True`` to diagnose ``hosts`` now) adds each host's cause and flags
        the hosts a reconfigure will not help (launching them needs ``confirm_flagged=True``)."""
        from .batch.execute import plan_reconfigure

        if diagnosis is True:
            diagnosis = self.diagnose()
        return plan_reconfigure({self.vcenter: self}, hosts, limits, diagnosis=diagnosis)

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

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._aio).replace("<AsyncClient", "<Client", 1)


def connect(
    server: str,
    user: str | None = None,
    password: str | Secret | None = None,
    *,
    session_token: str | Secret | None = None,
    verify: VerifyArg = True,
    release: str | None = None,
    timeout: Timeouts = Timeouts(),
    retry: RetryPolicy = RetryPolicy(),
    transport: httpx.AsyncBaseTransport | None = None,
    user_agent: str = DEFAULT_USER_AGENT,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
) -> Client:
    """Blocking :meth:`AsyncClient.connect <vsphere_nb.client.AsyncClient.connect>`; works inside Jupyter."""
    parse_server(server)  # a bad URL fails before anything else happens
    # resolved here, in the caller's thread, so an InsecureTLSWarning points at the caller's line
    tls = resolve_verify(verify, stacklevel=2)
    loop_thread = LoopThread()
    try:
        aio = loop_thread.run(
            AsyncClient.connect(
                server,
                user,
                password,
                session_token=session_token,
                verify=tls,
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
    return Client(aio, loop_thread)
