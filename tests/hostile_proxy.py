"""A small hostile HTTP proxy for tests: it sits on 127.0.0.1 in front of the simulator (or any VI/JSON server)
and does what proxies, load balancers and broken servers do to answers.

::

    with Simulator(...) as sim, HostileProxy(sim.url) as proxy:
        proxy.fail_rate = 0.1                                   # 10 % of requests answered 503 (seeded)
        proxy.fail_methods["DestroyView"] = 503                 # every DestroyView answered 503
        proxy.fail_next["CreateContainerView"] = 2              # the next two answered 503, then forwarded
        proxy.extra_headers.append((b"X-Note", "café".encode()))  # a non-ASCII header on every answer
        proxy.gzip_layers = 2                                   # Content-Encoding: gzip, gzip
        proxy.bodies["RetrievePropertiesEx"] = (bomb, "gzip, gzip")  # a fixed body with its encoding
        proxy.rewrite["runtime.connectionState"] = {"_typeName": "Frobnicate", "_value": [1, 2]}
        proxy.session_suffix = b"\\xe9"                        # latin-1 bytes appended to the session id
        with connect(proxy.url, sim.user, sim.password) as vc:
            ...

It speaks just enough HTTP/1.1 (keep-alive, ``Content-Length`` bodies) to carry the client's requests, and writes
its answers byte by byte as configured, so header values need not be ASCII. The upstream call goes through
httpx with ``Accept-Encoding: identity``; what the client sees is only what this proxy writes.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import struct
import threading
import zlib
from collections import Counter
from typing import Any

import httpx

__all__ = ["HostileProxy", "gzip_bomb"]

SESSION_HEADER = b"vmware-api-session-id"
_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"content-encoding"}


def gzip_bomb(expanded: int, layers: int = 2) -> bytes:
    """A valid gzip body (``layers`` deep) that expands to ``expanded`` zero bytes (a multiple of 1 MiB): a few KB
    on the wire. Built fast: one MiB of zeros deflated and fully flushed is a byte-aligned piece that repeats."""
    mib = 1 << 20
    count = max(1, expanded // mib)
    chunk = b"\0" * mib
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    piece = deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = b"\x03\x00" + struct.pack("<II", crc, (count * mib) & 0xFFFFFFFF)  # an empty final block, then crc
    outer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [outer.compress(header)] + [outer.compress(piece) for _ in range(count)]
    body = b"".join(parts) + outer.compress(trailer) + outer.flush()
    for _ in range(layers - 2):
        body = gzip.compress(body, 9)
    return body if layers >= 2 else gzip.decompress(body)


def _method_of(path: str) -> str:
    """The VI/JSON method (or property) a request path names: its last segment."""
    return path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class HostileProxy:
    """See the module doc. Every knob can be changed while the proxy runs."""

    def __init__(self, upstream: str, *, seed: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.rng = random.Random(seed)
        self.fail_rate = 0.0
        self.fail_status = 503
        #: method name -> status answered instead of forwarding (every time)
        self.fail_methods: dict[str, int] = {}
        #: method name -> how many of its next requests are answered ``fail_status``
        self.fail_next: Counter[str] = Counter()
        #: methods the random failures apply to (empty: every request)
        self.fail_only: set[str] = set()
        self.extra_headers: list[tuple[bytes, bytes]] = []
        self.gzip_layers = 0
        #: method name -> (body bytes, Content-Encoding) answered with status 200 instead of forwarding
        self.bodies: dict[str, tuple[bytes, str]] = {}
        #: property path -> wire value written into every RetrievePropertiesEx / ContinueRetrievePropertiesEx page
        self.rewrite: dict[str, Any] = {}
        #: bytes appended to the session id the client sees (and removed from what it sends back)
        self.session_suffix = b""
        #: requests seen, by method; the answers this proxy made up, by method
        self.seen: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None
        self.url = ""

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> HostileProxy:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def boot() -> None:
                self._client = httpx.AsyncClient(timeout=120, headers={"Accept-Encoding": "identity"})
                self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
                port = self._server.sockets[0].getsockname()[1]
                self.url = f"http://127.0.0.1:{port}"
                ready.set()

            loop.run_until_complete(boot())
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="hostile-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the hostile proxy did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            if self._client is not None:
                await self._client.aclose()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def __enter__(self) -> HostileProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one connection -------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                method, target, _ = lines[0].decode("latin-1").split(" ", 2)
                headers = []
                length = 0
                for line in lines[1:]:
                    if not line:
                        continue
                    name, _, value = line.partition(b":")
                    name, value = name.strip(), value.strip()
                    if name.lower() == b"content-length":
                        length = int(value)
                    headers.append((name, value))
                body = await reader.readexactly(length) if length else b""
                status, out_headers, out_body = await self._answer(method, target, headers, body)
                writer.write(self._render(status, out_headers, out_body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    @staticmethod
    def _render(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        out = [f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}".encode()]
        out += [name + b": " + value for name, value in headers]
        out += [b"Content-Length: " + str(len(body)).encode(), b"Connection: keep-alive", b"", b""]
        return b"\r\n".join(out) + body

    async def _answer(
        self, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        name = _method_of(target)
        self.seen[name] += 1
        extra = list(self.extra_headers)
        status = self.fail_methods.get(name)
        if status is None and self.fail_next[name] > 0:
            self.fail_next[name] -= 1
            status = self.fail_status
        if status is None and self.fail_rate and (not self.fail_only or name in self.fail_only):
            if self.rng.random() < self.fail_rate:
                status = self.fail_status
        if status is not None:
            self.failed[name] += 1
            return status, [(b"Content-Type", b"text/plain"), *extra], b"made up by the hostile proxy"
        if name in self.bodies:
            data, encoding = self.bodies[name]
            return 200, [(b"Content-Type", b"application/json"), (b"Content-Encoding", encoding.encode()), *extra], data
        forward = []
        for key, value in headers:
            if key.lower() in _HOP or key.lower() in (b"host", b"accept-encoding"):
                continue
            if key.lower() == SESSION_HEADER and self.session_suffix and value.endswith(self.session_suffix):
                value = value[: -len(self.session_suffix)]
            forward.append((key, value))
        assert self._client is not None
        upstream = await self._client.request(method, self.upstream + target, headers=forward, content=body)
        data = upstream.content
        if self.rewrite and name in ("RetrievePropertiesEx", "ContinueRetrievePropertiesEx") and data:
            data = self._rewrite(data)
        out: list[tuple[bytes, bytes]] = []
        for key, value in upstream.headers.raw:
            if key.lower() in _HOP:
                continue
            if key.lower() == SESSION_HEADER and self.session_suffix:
                value = value + self.session_suffix
            out.append((key, value))
        if self.gzip_layers:
            for _ in range(self.gzip_layers):
                data = gzip.compress(data)
            out.append((b"Content-Encoding", ", ".join(["gzip"] * self.gzip_layers).encode()))
        return upstream.status_code, out + extra, data

    def _rewrite(self, data: bytes) -> bytes:
        page = json.loads(data)
        for oc in page.get("objects") or []:
            for prop in oc.get("propSet") or []:
                if prop.get("name") in self.rewrite:
                    prop["val"] = self.rewrite[prop["name"]]
        return json.dumps(page).encode()
