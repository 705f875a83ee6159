"""The HTTP layer under :class:`~vsphere_nb.client.aio.AsyncClient`: one ``httpx.AsyncClient``, the session header,
retries for reads, request counters; httpx exceptions become vsphere-nb exceptions through
:mod:`~vsphere_nb.client._transport_errors`, the one place that maps them.

It knows nothing about faults or logins: it sends a request and returns the ``httpx.Response`` whatever its
status (after retrying reads on 502/503/504 and dropped connections). The client above decides what an
answer means.

Why each rule:

* **Session header** — ``vmware-api-session-id`` goes on every request once known, and the newest value from any
  2xx answer replaces it (vCenter may rotate it). The token is held in a :class:`~vsphere_nb.client.config.Secret`.
* **Retries only for reads** — a read replayed after a 503 or a reset connection cannot change anything. A
  method call may already have run, so it is never retried here.
* **Task launches** (``*_Task``) — when the connection fails *after* the request went out (read timeout,
  reset, server closed the connection) the task may exist on the server: that raises
  :class:`~vsphere_nb.errors.LaunchStateUnknown` instead of a plain transport error, so no caller mistakes it
  for "not launched". A failure to connect at all (refused, TLS, connect timeout) means nothing was sent.
* **An overall deadline per call** (``Timeouts.total``) — httpx's read timeout restarts with every byte, so a
  server that trickles its answer would hold a call forever. The whole exchange (request, answer, a read's retries
  and pauses) must end within ``total`` or it fails with :class:`~vsphere_nb.errors.TimeoutError` (a launch: with
  :class:`~vsphere_nb.errors.LaunchStateUnknown`, the request went out). Never retried.
* **A cap on the answer's size** (``max_response_bytes``, default :data:`~vsphere_nb.client.config.MAX_RESPONSE_BYTES`) —
  the body is streamed and decoded in bounded steps (:mod:`~vsphere_nb.client._content_decoding`: every layer of a
  ``Content-Encoding`` chain such as ``gzip, gzip`` is counted as it comes out, never decompressed in one go); a
  ``Content-Length`` over the cap, or more bytes than the cap, stops the read and raises
  :class:`~vsphere_nb.errors.ProtocolError` naming the limit (a launch: ``LaunchStateUnknown``). Never retried.
* **Header bytes as sent** — the answer's headers are kept as bytes (a proxy's ``X-Note: café`` is no error); the
  session id is read and sent back byte for byte (as latin-1, which maps every byte to one character).
* **No secrets in errors or logs** — messages carry the server origin, HTTP method and path only. A logging
  filter (:mod:`~vsphere_nb.client._log_redaction`, installed when this module loads) also scrubs session headers
  and live secrets from httpx's and httpcore's own DEBUG lines (httpcore logs the raw response headers, token
  included).
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import random
import ssl
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from .. import errors
from ._content_decoding import ACCEPT_ENCODING, ChainDecoder, DecodedTooLarge, UnsupportedEncoding
from ._log_redaction import install_log_redaction
from ._transport_errors import map_transport_error, request_was_sent
from .config import DEFAULT_USER_AGENT, MAX_RESPONSE_BYTES, RetryPolicy, Secret, Timeouts

__all__ = [
    "SESSION_HEADER",
    "RETRY_STATUSES",
    "MAX_CONNECTIONS",
    "ClientStats",
    "Transport",
]

logger = logging.getLogger("vsphere_nb.transport")

SESSION_HEADER = "vmware-api-session-id"
#: statuses a read is retried on: a gateway or an overloaded vCenter answered, not the API
RETRY_STATUSES = frozenset({502, 503, 504})
#: connections kept open to one server, all kept alive between requests. Requests beyond it wait for a free
#: connection (``Timeouts.pool``). Small on purpose: httpcore scans every pooled connection on each request and
#: each answer, so a large pool costs CPU on every call; keep-alive for all of them avoids a TCP + TLS handshake
#: per request once more than httpx's default 20 are busy (a batch's launches plus the long-poll).
MAX_CONNECTIONS = 16

install_log_redaction()


# ---------------------------------------------------------------------------------------------
# counters
# ---------------------------------------------------------------------------------------------
@dataclass
class ClientStats:
    """Request counters of one client, for benchmarks and the chaos suite.

    ``requests`` counts every HTTP request sent (retries included); ``by_call`` the same per
    ``"Type.Method"`` / ``"Type.property"``; ``retries`` the extra attempts of reads; ``relogins`` the
    sessions renewed after ``NotAuthenticated``; ``transport_errors`` requests that got no HTTP answer;
    ``faults`` answers that carried a ``MethodFault``.
    """

    requests: int = 0
    by_call: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    relogins: int = 0
    transport_errors: int = 0
    faults: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "relogins": self.relogins,
            "transport_errors": self.transport_errors,
            "faults": self.faults,
            "by_call": dict(self.by_call),
        }

    def reset(self) -> None:
        self.requests = self.retries = self.relogins = self.transport_errors = self.faults = 0
        self.by_call.clear()


class _DeadlineExceeded(Exception):
    """The call's overall deadline (``Timeouts.total``) passed before its answer was complete."""


class _Undecodable(Exception):
    """The body's ``Content-Encoding`` is not one this client reads, or the body does not decode as it says."""


class _TooLarge(Exception):
    """The answer is larger than ``max_response_bytes``; ``size`` is what was announced or read so far."""

    def __init__(self, size: int, announced: bool) -> None:
        super().__init__(size)
        self.size = size
        self.announced = announced


#: headers that describe the body as it travelled, not the decoded bytes handed on
_TRANSFER_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def _session_id(response: httpx.Response) -> str | None:
    """The session header's value byte for byte (latin-1 maps each byte to one character and back)."""
    for key, value in response.headers.raw:
        if key.lower() == SESSION_HEADER.encode():
            return value.decode("latin-1") or None
    return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


# ---------------------------------------------------------------------------------------------
# the transport
# ---------------------------------------------------------------------------------------------
class Transport:
    """One server, one ``httpx.AsyncClient``, one session token.

    ``http_transport`` is any httpx async transport (``httpx.ASGITransport(app)`` to run the simulator
    in-process, ``httpx.MockTransport(handler)`` in tests); by default httpx opens real connections.
    """

    def __init__(
        self,
        origin: str,
        *,
        verify: bool | ssl.SSLContext = True,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        http_transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        stats: ClientStats | None = None,
        rng: random.Random | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int) or max_response_bytes < 1:
            raise errors.ConfigError(f"max_response_bytes must be a positive integer, got {max_response_bytes!r}")
        self.origin = origin
        self.timeouts = timeouts
        self.retry = retry
        self.max_response_bytes = max_response_bytes
        self.stats = stats if stats is not None else ClientStats()
        self._rng = rng or random.Random()
        self._token: Secret | None = None
        self._http = httpx.AsyncClient(
            verify=verify,
            timeout=timeouts.to_httpx(),
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
            transport=http_transport,
            headers={"User-Agent": user_agent, "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING},
            follow_redirects=False,
            trust_env=http_transport is None,
        )

    # -- session token ---------------------------------------------------------------------------
    @property
    def token(self) -> Secret | None:
        return self._token

    @token.setter
    def token(self, value: Secret | str | None) -> None:
        self._token = None if value is None else (value if isinstance(value, Secret) else Secret(value))

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- one request -----------------------------------------------------------------------------
    async def send(
        self,
        method: str,
        path: str,
        *,
        call: str,
        json_body: Any = None,
        has_body: bool = False,
        retry: bool = False,
        launch: bool = False,
        moref: Any = None,
        token: bool = True,
    ) -> httpx.Response:
        """Send ``method path`` (``path`` starts with ``/``) and return the answer, whatever its status.

        ``call`` names the request for the counters (``"HostSystem.ReconfigureHostForDAS_Task"``).
        ``retry=True`` marks a read: retried on 502/503/504 and on connect/reset errors.
        ``launch=True`` marks a ``*_Task`` launch (see module doc). ``token=False`` sends no session header
        (a fresh one in a 2xx answer, as Login gives, is still kept).
        """
        attempts = self.retry.attempts if retry else 1
        attempt = 0
        total = self.timeouts.total
        deadline = None if total is None else time.monotonic() + total
        while True:
            attempt += 1
            headers: dict[bytes, bytes] = {}
            if token and self._token:
                headers[SESSION_HEADER.encode()] = self._token.reveal().encode("latin-1")
            self.stats.requests += 1
            self.stats.by_call[call] += 1
            started = time.perf_counter()
            failure: BaseException | None = None
            try:
                response = await self._exchange(method, path, headers, json_body, has_body, deadline)
            except (httpx.HTTPError, ssl.SSLError, OSError, _DeadlineExceeded, _TooLarge, _Undecodable) as exc:
                failure = exc
            if failure is not None:
                # handled outside the ``except`` block so the httpx exception (whose request carries the session
                # header) is not attached as ``__context__`` of what the caller sees
                self.stats.transport_errors += 1
                mapped = self._map_failure(failure, method=method, path=path, call=call)
                sent = request_was_sent(failure) and not isinstance(mapped, errors.TLSError)
                if launch and sent:
                    target = f" on {moref.type}:{moref.value}" if moref is not None else ""
                    raise errors.LaunchStateUnknown(
                        f"{call.split('.', 1)[-1]}{target}: the request was sent but no usable answer came back "
                        f"({mapped}); the task may or may not exist - check the entity's recentTask before launching "
                        "again",
                        method=call.split(".", 1)[-1],
                        moref=moref,
                    ) from mapped
                retryable = retry and (
                    (isinstance(mapped, errors.ConnectError) and not isinstance(mapped, errors.TLSError))
                    or isinstance(failure, httpx.ConnectTimeout)
                )
                if retryable and attempt < attempts and await self._pause(attempt, method, path, failure, deadline):
                    continue
                raise mapped from None
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug("%s %s -> %d in %.1f ms", method, path, response.status_code, elapsed_ms)
            if (
                retry
                and response.status_code in RETRY_STATUSES
                and attempt < attempts
                and await self._pause(attempt, method, path, f"HTTP {response.status_code}", deadline, response)
            ):
                continue
            if 200 <= response.status_code < 300:
                fresh = _session_id(response)
                if fresh and (self._token is None or fresh != self._token.reveal()):
                    self._token = Secret(fresh)
            return response

    async def _exchange(
        self,
        method: str,
        path: str,
        headers: dict[bytes, bytes],
        json_body: Any,
        has_body: bool,
        deadline: float | None,
    ) -> httpx.Response:
        """One request and its whole answer, read within the deadline and the size cap."""
        request = self._http.build_request(
            method, self.origin + path, headers=headers, **({"json": json_body} if has_body else {})
        )
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise _DeadlineExceeded()
        try:
            async with asyncio.timeout(remaining):
                response = await self._http.send(request, stream=True)
                try:
                    body = await self._read_body(response)
                finally:
                    await response.aclose()
        except builtins.TimeoutError:  # asyncio.timeout's own expiry (httpx's timeouts are httpx exceptions)
            raise _DeadlineExceeded() from None
        extensions = {k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")}
        return httpx.Response(
            response.status_code,
            headers=[(k, v) for k, v in response.headers.raw if k.lower().decode("latin-1") not in _TRANSFER_HEADERS],
            content=body,
            request=request,
            extensions=extensions,
        )

    async def _read_body(self, response: httpx.Response) -> bytes:
        cap = self.max_response_bytes
        announced = response.headers.get("content-length", "")
        if announced.isdigit() and int(announced) > cap and not response.headers.get("content-encoding"):
            raise _TooLarge(int(announced), announced=True)
        if response.is_stream_consumed:  # an answer built in memory (httpx.MockTransport): already read and decoded
            if len(response.content) > cap:
                raise _TooLarge(len(response.content), announced=False)
            return response.content
        try:
            decoder = ChainDecoder(response.headers.get("content-encoding", ""), cap)
        except UnsupportedEncoding as exc:
            raise _Undecodable(f"the answer's Content-Encoding ({exc}) is not one this client reads") from None
        chunks: list[bytes] = []
        size = 0
        try:
            async for raw in response.aiter_raw():
                for chunk in decoder.feed(raw):
                    size += len(chunk)
                    if size > cap:
                        raise _TooLarge(size, announced=False)
                    chunks.append(chunk)
            for chunk in decoder.finish():
                size += len(chunk)
                if size > cap:
                    raise _TooLarge(size, announced=False)
                chunks.append(chunk)
        except DecodedTooLarge as exc:
            raise _TooLarge(exc.size, announced=False) from None
        except zlib.error as exc:
            raise _Undecodable(f"the answer does not decode as its Content-Encoding says ({exc})") from None
        return b"".join(chunks)

    def _map_failure(self, failure: BaseException, *, method: str, path: str, call: str) -> errors.VsphereError:
        if isinstance(failure, _DeadlineExceeded):
            return errors.TimeoutError(
                f"no complete answer within {self.timeouts.total:g} s (Timeouts.total) for {method} {self.origin}{path}",
                method=method,
                url=self.origin + path,
            )
        if isinstance(failure, _Undecodable):
            return errors.ProtocolError(f"{call}: {failure}", method=call.split(".", 1)[-1])
        if isinstance(failure, _TooLarge):
            what = "announces" if failure.announced else "is larger than the limit, read"
            return errors.ProtocolError(
                f"{call}: the answer {what} {_mib(failure.size)}; answers are capped at "
                f"{_mib(self.max_response_bytes)} (max_response_bytes) - read fewer objects per page or raise the cap",
                method=call.split(".", 1)[-1],
            )
        return map_transport_error(failure, origin=self.origin, method=method, path=path)

    async def _pause(
        self,
        attempt: int,
        method: str,
        path: str,
        why: BaseException | str,
        deadline: float | None,
        response: httpx.Response | None = None,
    ) -> bool:
        """Sleep before the next attempt; ``False`` (no sleep) when the pause would end past the deadline."""
        delay = self.retry.delay(attempt, retry_after=_retry_after(response) if response else None, rng=self._rng)
        if deadline is not None and time.monotonic() + delay >= deadline:
            return False
        reason = why if isinstance(why, str) else type(why).__name__
        self.stats.retries += 1
        logger.info(
            "retrying %s %s after %s (attempt %d of %d) in %.2f s",
            method,
            path,
            reason,
            attempt + 1,
            self.retry.attempts,
            delay,
        )
        await asyncio.sleep(delay)
        return True
