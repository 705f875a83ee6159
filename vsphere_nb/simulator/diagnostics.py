"""``DiagnosticManager.QueryDescriptions`` / ``BrowseDiagnosticLog`` for hosts: the log files an ESXi host lists
and the lines of its vSphere HA agent log (``/var/run/log/fdm.log``).

Shapes follow VMware's tables (pyVmomi ``vim.DiagnosticManager``): both methods take an optional ``host``
(vCenter's own logs without it, which this simulator does not serve) and need ``Global.Diagnostics``;
``BrowseDiagnosticLog(host, key, start, lines)`` answers ``DiagnosticManagerLogHeader {lineStart, lineEnd,
lineText}`` with 1-based line numbers; a ``start`` past the end answers no text and ``lineEnd`` = the last line
(govc's ``logs`` asks that way first to learn the length); at most :data:`MAX_LINES` lines per answer.

A host outside an HA-enabled cluster lists no FDM log; a host vCenter cannot reach answers ``HostNotConnected``.
The lines of each host's FDM log come from :func:`.agent_logs.agent_log_of` (the root-cause stories write theirs).
"""

from __future__ import annotations

from typing import Any

from .. import wire
from ..wire import MoRef
from . import faults
from .agent_logs import agent_log_of
from .dispatch import Call, Param, method
from .inventory import HostSystem

__all__ = ["MAX_LINES", "FDM_LOG_KEY"]

#: the most lines one BrowseDiagnosticLog answers
MAX_LINES = 1000
FDM_LOG_KEY = "fdm"
_LOGS: tuple[tuple[str, str, str], ...] = (
    ("hostd", "/var/run/log/hostd.log", "hostd"),
    ("vmkernel", "/var/run/log/vmkernel.log", "hostd"),
    ("vpxa", "/var/run/log/vpxa.log", "vpxa"),
)


def _host(call: Call, host: MoRef | None) -> HostSystem:
    if host is None:
        raise faults.not_supported("This simulator serves the logs of hosts only: pass a host.")
    target = call.vc.registry.resolve(host)
    if not isinstance(target, HostSystem):
        raise faults.managed_object_not_found(host)
    if target.connection_state != "connected":
        raise faults.host_not_connected(target.name)
    return target


def _has_fdm(host: HostSystem) -> bool:
    cr = host.compute_resource
    return bool(getattr(cr, "ha_enabled", False))


@method(
    "DiagnosticManager",
    "QueryDescriptions",
    Param("host", "moref", required=False),
    privilege="Global.Diagnostics",
)
def query_descriptions(call: Call, this: Any, host: MoRef | None) -> Any:
    with call.vc.registry.lock:
        target = _host(call, host)
        logs = list(_LOGS) + ([(FDM_LOG_KEY, "/var/run/log/fdm.log", "hostd")] if _has_fdm(target) else [])
    return [
        wire.DiagnosticManagerLogDescriptor(
            key=key,
            fileName=path,
            creator=creator,
            format="plain",
            mimeType="text/plain",
            info=wire.Description(label=path.rsplit("/", 1)[-1], summary=f"{key} log of the host"),
        )
        for key, path, creator in logs
    ]


@method(
    "DiagnosticManager",
    "BrowseDiagnosticLog",
    Param("host", "moref", required=False),
    Param("key", "string"),
    Param("start", "int", required=False),
    Param("lines", "int", required=False),
    privilege="Global.Diagnostics",
)
def browse_diagnostic_log(
    call: Call, this: Any, host: MoRef | None, key: str, start: int | None, lines: int | None
) -> Any:
    with call.vc.registry.lock:
        target = _host(call, host)
        if key == FDM_LOG_KEY and _has_fdm(target):
            text = agent_log_of(target)
        elif key in {k for k, _p, _c in _LOGS}:
            text = [f"{key}: nothing of note"]
        else:
            raise faults.invalid_argument("key", f"The host has no log with the key {key!r}.")
    total = len(text)
    first = max(1, start if start is not None else 1)
    count = MAX_LINES if not lines or lines <= 0 else min(lines, MAX_LINES)
    if first > total:
        return wire.DiagnosticManagerLogHeader(lineStart=total, lineEnd=total, lineText=[])
    chunk = text[first - 1 : first - 1 + count]
    return wire.DiagnosticManagerLogHeader(lineStart=first, lineEnd=first + len(chunk) - 1, lineText=chunk)
