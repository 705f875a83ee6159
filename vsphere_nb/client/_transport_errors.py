"""The one place where an httpx (or ssl, or socket) exception becomes a vsphere-nb exception: the message names
what failed and where (origin, HTTP method and path, never a header), and whether the request may have reached
the server (what decides if a ``*_Task`` launch's state is unknown)."""

from __future__ import annotations

import ssl

import httpx

from .. import errors
from .config import redact

__all__ = ["map_transport_error", "request_was_sent"]


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    node: BaseException | None = exc
    while node is not None and node not in seen and len(seen) < 16:
        seen.append(node)
        node = node.__cause__ or node.__context__
    return seen


def _is_tls(exc: BaseException) -> bool:
    for node in _chain(exc):
        if isinstance(node, ssl.SSLError):
            return True
        text = str(node)
        if "CERTIFICATE_VERIFY_FAILED" in text or "[SSL" in text or "SSLError" in text:
            return True
    return False


def _reason(exc: BaseException) -> str:
    text = redact(str(exc).strip())
    if len(text) > 200:
        text = text[:200] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def request_was_sent(exc: BaseException) -> bool:
    """False when the failure happened before any byte of the request could reach the server."""
    if isinstance(
        exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol, httpx.ProxyError)
    ):
        return False
    return not isinstance(exc, ssl.SSLError)


def map_transport_error(exc: BaseException, *, origin: str, method: str, path: str) -> errors.TransportError:
    """The vsphere-nb exception for a low-level failure; the message names what failed and where."""
    where = f"{method} {origin}{path}"
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for the answer",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a free connection",
        }.get(type(exc), "talking to the server")
        return errors.TimeoutError(f"timed out {phase} ({where})", method=method, url=origin + path)
    if _is_tls(exc):
        return errors.TLSError(
            f"TLS handshake with {origin} failed ({_reason(exc)}); pass verify='/path/to/ca.pem' to trust the "
            "vCenter CA",
            method=method,
            url=origin + path,
        )
    if isinstance(exc, httpx.ConnectError):
        return errors.ConnectError(f"cannot connect to {origin} ({_reason(exc)})", method=method, url=origin + path)
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.CloseError)):
        return errors.ConnectError(
            f"connection to {origin} was reset or closed during {where} ({_reason(exc)})",
            method=method,
            url=origin + path,
        )
    return errors.ConnectError(f"HTTP failure during {where} ({_reason(exc)})", method=method, url=origin + path)
