"""vCenter's predefined host alarms, and which of them a host has triggered.

A vCenter defines its default alarms on the root folder (``Alarm`` objects, ``alarm-N``), and every entity lists
the alarms that apply to it in ``declaredAlarmState`` and the ones in a yellow/red state in
``triggeredAlarmState`` — what ``govc alarms`` and the vSphere Client's *Triggered Alarms* show. The simulator
models the host alarms an HA story touches, each evaluated from the host's state when read:

* *Host connection and power state* — red when the host is not responding or disconnected;
* *vSphere HA host status* — red when the host's vSphere HA agent is in an error state
  (``initializationError``, ``uninitializationError``, ``fdmUnreachable``, ``hostDown``, ``networkIsolated``,
  ``networkPartitionedFromMaster``), yellow while it is still ``uninitialized``;
* *Host certificate status* — yellow for a host whose SSL certificate is not the one vCenter expects (the
  ``certificate`` story).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .. import wire
from .clock import Clock
from .model import ManagedObject

if TYPE_CHECKING:
    from .entities import ManagedEntity
    from .inventory import HostSystem

__all__ = ["AlarmDef", "HOST_ALARMS", "Alarm", "host_alarm_states", "alarm_info"]

#: the agent states vCenter's "vSphere HA host status" alarm turns red on
_HA_RED = frozenset(
    {
        "initializationError",
        "uninitializationError",
        "fdmUnreachable",
        "hostDown",
        "networkIsolated",
        "networkPartitionedFromMaster",
    }
)


@dataclass(frozen=True)
class AlarmDef:
    moid: str
    name: str
    system_name: str
    description: str


HOST_ALARMS: tuple[AlarmDef, ...] = (
    AlarmDef(
        "alarm-1",
        "Host connection and power state",
        "alarm.HostConnectionStateAlarm",
        "Default alarm to monitor host connection and power state",
    ),
    AlarmDef(
        "alarm-11",
        "vSphere HA host status",
        "alarm.DasHostStatusAlarm",
        "Default alarm to monitor health of a host as reported by vSphere HA",
    ),
    AlarmDef(
        "alarm-98",
        "Host certificate status",
        "alarm.CertificateStatusAlarm",
        "Default alarm raised when a host certificate is expiring or not the one vCenter Server expects",
    ),
)


class Alarm(ManagedObject):
    """One predefined alarm, defined on the root folder."""

    TYPE = "Alarm"
    ANCESTRY = ("Alarm", "ExtensibleManagedObject", "ManagedObject")
    PROPERTIES = {"info": "AlarmInfo"}

    def __init__(self, definition: AlarmDef, root: ManagedEntity) -> None:
        super().__init__(definition.moid)
        self.definition = definition
        self.root = root

    def prop(self, name: str) -> Any:
        return alarm_info(self.definition, self.root.ref) if name == "info" else None


def alarm_info(definition: AlarmDef, entity: wire.MoRef) -> wire.AlarmInfo:
    return wire.AlarmInfo(
        name=definition.name,
        systemName=definition.system_name,
        description=definition.description,
        enabled=True,
        actionFrequency=0,
        key=definition.moid,
        alarm=wire.MoRef("Alarm", definition.moid),
        entity=entity,
        lastModifiedTime=datetime(2024, 6, 25, 9, 0, tzinfo=Clock.now().tzinfo),
        lastModifiedUser="",
        creationEventId=0,
    )


def _status(definition: AlarmDef, host: HostSystem, certificate_mismatch: bool) -> str:
    if definition.moid == "alarm-1":
        return "red" if host.connection_state in ("notResponding", "disconnected") else "green"
    if definition.moid == "alarm-11":
        if not host.ha_enabled or host.in_maintenance or host.das_state is None:
            return "green"
        if host.das_state in _HA_RED:
            return "red"
        return "yellow" if host.das_state == "uninitialized" else "green"
    return "yellow" if certificate_mismatch else "green"


def host_alarm_states(host: HostSystem, certificate_mismatch: bool, *, triggered: bool) -> list[wire.AlarmState]:
    """The host's alarm states: only yellow/red ones (``triggered``) or every applicable one (declared)."""
    out = []
    since = (host.boot_time or Clock.now()) + timedelta(minutes=5)
    for definition in HOST_ALARMS:
        status = _status(definition, host, certificate_mismatch)
        if triggered and status == "green":
            continue
        out.append(
            wire.AlarmState(
                key=f"{definition.moid}.{host.moid}",
                entity=host.ref,
                alarm=wire.MoRef("Alarm", definition.moid),
                overallStatus=wire.ManagedEntityStatus(status),
                time=since,
                acknowledged=False,
                disabled=False,
            )
        )
    return out
