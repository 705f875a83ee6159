"""The vSphere HA agent's own log, read through vCenter: :func:`read_agent_logs`.

For each host asked for (the diagnosed ones, never the whole fleet), a few hosts at a time:

1. ``DiagnosticManager.QueryDescriptions(host)`` lists the host's log files; the FDM agent's is the one whose
   ``fileName`` ends in ``fdm.log`` (its ``key`` is taken from the descriptor, not guessed);
2. ``BrowseDiagnosticLog(host, key, start=2**31-1)`` answers no text but the number of the last line
   (``lineEnd``), as govc's ``logs`` command asks;
3. ``BrowseDiagnosticLog(host, key, start, lines)`` reads the last ``lines`` lines.

A host whose log cannot be read gets a one-line note instead of lines (``agent log: not readable (NoPermission:
Global.Diagnostics)``, ``agent log: the host lists no FDM log``, ``agent log: not readable (HostNotConnected)``):
the diagnosis shows it as evidence, never as an error. Privilege: ``Global.Diagnostics``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from . import wire
from .errors import ServerFault, VsphereError

__all__ = ["read_agent_logs", "AGENT_LOG_LINES", "AGENT_LOG_CONCURRENCY", "FDM_LOG_FILE"]

logger = logging.getLogger("vsphere_nb.agent_log")

#: lines read from the end of each host's agent log
AGENT_LOG_LINES = 300
#: hosts whose logs are read at once (each costs three calls)
AGENT_LOG_CONCURRENCY = 8
FDM_LOG_FILE = "fdm.log"
_END = 2**31 - 1


def _fault_name(exc: BaseException) -> str:
    fault = getattr(exc, "fault", None) if isinstance(exc, ServerFault) else None
    if fault is None:
        return type(exc).__name__
    return str(getattr(fault, "vim_type", None) or type(fault).__name__)


def _note(exc: BaseException) -> str:
    name = _fault_name(exc)
    if name in ("NoPermission", "NotAuthenticated"):
        return f"agent log: not readable ({name}: the user lacks Global.Diagnostics)"
    return f"agent log: not readable ({name})"


async def _one(client: Any, manager: wire.MoRef, host: wire.MoRef, lines: int) -> list[str] | str:
    try:
        descriptors = await client.invoke(manager, "QueryDescriptions", host=host) or []
        fdm = next((d for d in descriptors if str(getattr(d, "fileName", "")).endswith(FDM_LOG_FILE)), None)
        if fdm is None:
            return "agent log: the host lists no FDM log (/var/run/log/fdm.log)"
        key = str(fdm.key)
        head = await client.invoke(manager, "BrowseDiagnosticLog", host=host, key=key, start=_END, lines=0)
        end = int(getattr(head, "lineEnd", 0) or 0)
        if end <= 0:
            return []
        start = max(1, end - lines + 1)
        page = await client.invoke(manager, "BrowseDiagnosticLog", host=host, key=key, start=start, lines=lines)
        return [str(x) for x in (getattr(page, "lineText", None) or [])]
    except VsphereError as exc:
        return _note(exc)


async def read_agent_logs(
    client: Any,
    hosts: Iterable[str | wire.MoRef],
    *,
    lines: int = AGENT_LOG_LINES,
    concurrency: int = AGENT_LOG_CONCURRENCY,
) -> dict[str, list[str] | str]:
    """The last ``lines`` lines of each host's FDM log (or a note why not), by host moId."""
    manager = getattr(client.content, "diagnosticManager", None)
    refs = [h if isinstance(h, wire.MoRef) else wire.MoRef("HostSystem", str(h)) for h in hosts]
    if manager is None:
        return {r.value: "agent log: this server has no DiagnosticManager" for r in refs}
    gate = asyncio.Semaphore(max(1, concurrency))
    out: dict[str, list[str] | str] = {}

    async def one(ref: wire.MoRef) -> None:
        async with gate:
            out[ref.value] = await _one(client, manager, ref, max(1, lines))

    await asyncio.gather(*(one(r) for r in refs))
    notes = sum(1 for v in out.values() if isinstance(v, str))
    if notes:
        logger.info("agent log: %d of %d host(s) not readable", notes, len(refs))
    return out
