"""The vSphere HA agent's log of a host (``/var/run/log/fdm.log``): its line format, and what a host's log holds.

A root-cause story (or a test) writes a host's lines into ``HostSystem.agent_log``; a host without them has the
few lines of a running agent. :mod:`.diagnostics` serves them through ``BrowseDiagnosticLog``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .clock import Clock

if TYPE_CHECKING:  # pragma: no cover
    from .inventory import HostSystem

__all__ = ["fdm_line", "agent_log_of"]


def fdm_line(minutes_ago: float, level: str, sub: str, text: str, now: datetime) -> str:
    """One line in the FDM log's format (``<time> <level> fdm[<pid>] [Originator@6876 sub=<sub>] <text>``)."""
    when = now - timedelta(minutes=minutes_ago)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return f"{stamp} {level} fdm[2099301] [Originator@6876 sub={sub}] {text}"


def agent_log_of(host: HostSystem) -> list[str]:
    """The host's FDM log: what a story wrote, else the lines of a running agent."""
    if host.agent_log is not None:
        return host.agent_log
    now = Clock.now()
    state = host.das_state or "uninitialized"
    return [
        fdm_line(180, "info", "Main", "Starting vSphere HA agent (fdm)", now),
        fdm_line(179, "info", "Cluster", "Joined the cluster's election", now),
        fdm_line(178, "info", "Cluster", f"Host state is now {state}", now),
    ]
