"""uvicorn in a background thread, restartable on the same port.

``HttpServer.start()`` binds the socket itself (port 0 → a free port, remembered), runs ``uvicorn.Server``
in a daemon thread with its own event loop, and returns once it accepts connections. ``restart()`` stops
the server — listeners closed, open connections closed, in-flight requests cancelled after a short grace —
and starts it again on the same port; clients in between get "connection refused", as with a real
vCenter restart. The HTTP protocol class is uvicorn's httptools protocol (h11 when httptools is missing) plus a
table of live transports, which is how the app can drop a connection without answering (chaos).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import uvicorn

if TYPE_CHECKING:  # both implementations share the interface used here
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _BaseProtocol
else:
    try:  # the C parser (uvicorn's "httptools" implementation): several times less CPU per request than h11's
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _BaseProtocol
    except ImportError:  # pragma: no cover - httptools is a dependency; h11 still serves without it
        from uvicorn.protocols.http.h11_impl import H11Protocol as _BaseProtocol

__all__ = ["HttpServer"]

log = logging.getLogger(__name__)


def _protocol_class(transports: dict[Any, asyncio.BaseTransport]) -> type[_BaseProtocol]:
    class TrackedProtocol(_BaseProtocol):
        """uvicorn's HTTP protocol, recording its transport by client address so the app can abort it."""

        # uvicorn's protocol takes an asyncio.Transport (narrower than asyncio.BaseProtocol's): so does its subclass
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if self.client:
                transports[tuple(self.client)] = transport

        def connection_lost(self, exc: Exception | None) -> None:
            if self.client:
                transports.pop(tuple(self.client), None)
            super().connection_lost(exc)

    return TrackedProtocol


class _CutRequests(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" traceback for a request a stop or restart cut short.

    :class:`_AbortingServer` cancels in-flight requests on purpose — that is the outage being simulated — and
    uvicorn logs each cancelled request as an error with a ``CancelledError`` traceback. Any other exception is
    still logged in full.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


_CUT_REQUESTS = _CutRequests()


class _AbortingServer(uvicorn.Server):
    """Stops like a killed process: listeners closed, every connection reset, in-flight requests cancelled.

    uvicorn's graceful shutdown would wait for idle keep-alive (and TLS close-notify) connections and log an
    error when they linger; a restarting vCenter just drops them, and clients must cope with exactly that.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        tasks = [t for t in self.server_state.tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)
        await super().shutdown(sockets)


class HttpServer:
    def __init__(
        self,
        app: Any,
        *,
        bind: str = "127.0.0.1",
        port: int = 0,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        transports: dict[Any, asyncio.BaseTransport] | None = None,
        graceful_seconds: float = 0.5,
    ) -> None:
        self.app = app
        self.bind = bind
        self.port = port
        self.ssl_certfile = ssl_certfile
        self.ssl_keyfile = ssl_keyfile
        self.transports = transports if transports is not None else {}
        self.graceful_seconds = graceful_seconds
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _socket(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.bind else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the proto says TCP,
        # and without it every answer waits ~40 ms for a delayed ACK
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.bind, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(2048)
        sock.set_inheritable(True)
        self.port = sock.getsockname()[1]
        return sock

    def start(self, timeout: float = 15.0) -> None:
        with self._lock:
            if self.running:
                return
            sock = self._socket()
            config = uvicorn.Config(
                self.app,
                http=_protocol_class(self.transports),
                lifespan="off",
                log_level="warning",
                access_log=False,
                server_header=False,
                ssl_certfile=self.ssl_certfile,
                ssl_keyfile=self.ssl_keyfile,
                timeout_graceful_shutdown=max(1, round(self.graceful_seconds)),
                timeout_keep_alive=30,
                backlog=2048,
            )
            # after the Config: it sets uvicorn's logging up; adding the same filter again is a no-op
            logging.getLogger("uvicorn.error").addFilter(_CUT_REQUESTS)
            server = _AbortingServer(config)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name="vsphere-nb-sim-http", daemon=True
            )
            thread.start()
            deadline = time.monotonic() + timeout
            while not server.started:
                if not thread.is_alive():
                    sock.close()
                    raise RuntimeError("the simulator's HTTP server failed to start (see the log)")
                if time.monotonic() > deadline:
                    server.should_exit = True
                    raise RuntimeError("the simulator's HTTP server did not start in time")
                time.sleep(0.005)
            self._server, self._thread, self._sock = server, thread, sock

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            if server is None or thread is None:
                return
            server.should_exit = True
            thread.join(timeout)
            if thread.is_alive():  # pragma: no cover - a stuck shutdown
                server.force_exit = True
                thread.join(timeout)
            try:
                self._sock.close()
            except OSError:  # pragma: no cover
                pass
            self._server = self._thread = None
            self.transports.clear()

    def restart(self, downtime: float = 0.0) -> None:
        self.stop()
        if downtime > 0:
            time.sleep(downtime)
        self.start()
