"""What an HTTP answer from a VI/JSON server means: a result, a fault, an expired session, or garbage.

Module level, used by :class:`~vsphere_nb.client.aio.AsyncClient` (also before a client exists, for the service
content): a 2xx body is decoded (or kept as plain JSON); a non-2xx answer with a ``MethodFault`` body is a
:class:`~vsphere_nb.errors.ServerFault`; ``NotAuthenticated`` (or a 401, or a 403 without a fault body) means the
session is gone; a launch answered by a gateway 5xx may have reached vCenter
(:class:`~vsphere_nb.errors.LaunchStateUnknown`); anything else is a :class:`~vsphere_nb.errors.ProtocolError`
quoting the start of the body.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx

from .. import errors, wire
from ._transport import RETRY_STATUSES, ClientStats
from .config import redact

__all__ = ["interpret", "not_authenticated", "synthetic_not_authenticated", "unverified", "target", "fault_body"]


def fault_body(response: httpx.Response) -> dict[str, Any] | None:
    """The JSON object of a non-2xx answer when it looks like a fault (has a string ``_typeName``)."""
    content = response.content
    if not content or not content.strip():
        return None
    text = content.lstrip()[:1]
    ctype = response.headers.get("content-type", "")
    if "json" not in ctype and text != b"{":
        return None
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict) and isinstance(data.get("_typeName"), str):
        return data
    return None


def _snippet(response: httpx.Response, limit: int = 100) -> str:
    try:
        text = response.content.decode("utf-8", "replace")
    except Exception:
        return ""
    text = " ".join(text.split())
    text = redact(text)
    return text[:limit] + ("…" if len(text) > limit else "")


def target(moref: wire.MoRef | None) -> str:
    return f" on {moref.type}:{moref.value}" if moref is not None else ""


# ----------------------------------------------------------------------------------------------
# answer interpretation (module level: also used before a client exists, for the content read)
# ----------------------------------------------------------------------------------------------
def unverified(tls: object) -> bool:
    return tls is False or (isinstance(tls, ssl.SSLContext) and tls.verify_mode == ssl.CERT_NONE)


def synthetic_not_authenticated(text: str) -> wire.MethodFault:
    return wire.decode_as({"_typeName": "NotAuthenticated", "faultstring": text}, wire.MethodFault)


def not_authenticated(response: httpx.Response) -> tuple[wire.MethodFault, dict[str, Any]] | None:
    """``(fault, raw)`` when the answer says the session is missing or expired, else ``None``.

    ``NotAuthenticated`` (or a subtype) in any non-2xx answer; any 401; a 403 without a JSON fault body
    (a 403 *with* a fault body such as ``NoPermission`` is a real permission problem, not an expiry).
    """
    status = response.status_code
    if 200 <= status < 300:
        return None
    raw = fault_body(response)
    if raw is not None:
        try:
            fault = wire.decode_as(raw, wire.MethodFault)
        except errors.ProtocolError:
            fault = None
        if fault is not None and fault.is_a("NotAuthenticated"):
            return fault, raw
        if status == 401:
            return (fault or synthetic_not_authenticated(f"HTTP {status}: session missing or expired")), raw
        return None
    if status in (401, 403):
        return synthetic_not_authenticated(f"HTTP {status}: session missing or expired"), {}
    return None


def interpret(
    response: httpx.Response,
    stats: ClientStats,
    *,
    method: str,
    moref: wire.MoRef | None,
    launch: bool,
    decode: bool = True,
) -> Any:
    status = response.status_code
    if 200 <= status < 300:
        if status == 204 or not response.content.strip():
            return None
        try:
            return wire.decode_body(response.content) if decode else wire.parse_body(response.content)
        except errors.ProtocolError as exc:
            raise errors.ProtocolError(f"{method}{target(moref)}: {exc}", status=status, method=method) from None
    raw = fault_body(response)
    if raw is not None:
        try:
            fault = wire.decode_as(raw, wire.MethodFault)
        except errors.ProtocolError as exc:
            raise errors.ProtocolError(
                f"{method}{target(moref)}: HTTP {status} with an unreadable fault: {exc}", status=status, method=method
            ) from None
        stats.faults += 1
        raise errors.ServerFault(fault, raw=raw, method=method, moref=moref, status=status)
    if launch and status in RETRY_STATUSES:
        raise errors.LaunchStateUnknown(
            f"{method}{target(moref)}: HTTP {status} from a gateway - the request may have reached vCenter, so the "
            "task may or may not exist; check the entity's recentTask before launching again",
            method=method,
            moref=moref,
        )
    ctype = response.headers.get("content-type", "no content type")
    snippet = _snippet(response)
    raise errors.ProtocolError(
        f"{method}{target(moref)}: HTTP {status} {response.reason_phrase} without a VI/JSON fault body "
        f"({ctype}{': ' + snippet if snippet else ''})",
        status=status,
        method=method,
    )
