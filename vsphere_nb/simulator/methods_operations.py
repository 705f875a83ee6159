"""The methods beyond inventory, collectors and HA reconfiguration: advanced options, a host's clock, permissions,
performance statistics, alarms and maintenance mode — one small handler each (see :mod:`.methods`).
"""

from __future__ import annotations

from typing import Any

from .. import wire
from ..wire import MoRef
from . import faults, perf
from .alarms import HOST_ALARMS, Alarm
from .clock import Clock
from .dispatch import Call, Param, method, served
from .entities import ManagedEntity
from .hostmanagers import (
    HostCertificateManager,
    HostDateTimeSystem,
    HostNetworkSystem,
    HostServiceSystem,
    HostStorageSystem,
    HostVirtualNicManager,
)
from .inventory import HostSystem
from .managers import historical_intervals
from .model import ManagedObject
from .sessions import User

__all__ = ["permissions_on", "ROLE_ADMIN", "ROLE_READONLY"]

ROLE_ADMIN = -1
ROLE_READONLY = -2

for _cls in (
    HostNetworkSystem,
    HostVirtualNicManager,
    HostDateTimeSystem,
    HostServiceSystem,
    HostCertificateManager,
    HostStorageSystem,
    Alarm,
):
    served(_cls)


def _entity(call: Call, ref: MoRef) -> ManagedObject:
    obj = call.vc.registry.resolve(ref)
    if obj is None or not obj.alive:
        raise faults.managed_object_not_found(ref)
    return obj


# -- OptionManager (vCenter settings and a host's advanced options) ----------------------------------
@method("OptionManager", "QueryOptions", Param("name", "string", required=False))
def query_options(call: Call, this: ManagedObject, name: str | None) -> Any:
    """Every setting; those under a prefix ending in ``.``; or the one named — ``InvalidName`` when none is."""
    with call.vc.registry.lock:
        settings: list[wire.OptionValue] = this.prop("setting") or []
    if not name:
        return settings
    if name.endswith("."):
        found = [o for o in settings if o.key.startswith(name)]
    else:
        found = [o for o in settings if o.key == name]
    if not found:
        raise faults.invalid_name(name, f"Invalid name: '{name}'.")
    return found


# -- HostDateTimeSystem ------------------------------------------------------------------------------
@method("HostDateTimeSystem", "QueryDateTime")
def query_date_time(call: Call, this: HostDateTimeSystem) -> Any:
    """The host's clock (NTP keeps it on vCenter's)."""
    if not this.reachable:
        raise faults.host_not_connected(this.host.name)
    return Clock.now()


# -- AuthorizationManager --------------------------------------------------------------------------
def _principal(user: User) -> str:
    name, _, domain = user.name.partition("@")
    return f"{(domain or 'vsphere.local').upper()}\\{name}"


def permissions_on(call: Call) -> list[wire.Permission]:
    """The permissions a vCenter has out of the box, all on the root folder and propagating: the SSO
    administrators group as Administrator, and each configured user with its role."""
    root = call.vc.inventory.root.ref
    out = [wire.Permission(entity=root, principal="VSPHERE.LOCAL\\Administrators", group=True, roleId=ROLE_ADMIN)]
    for user in call.vc.sessions.users.values():
        role = ROLE_ADMIN if user.role == "admin" else ROLE_READONLY
        out.append(wire.Permission(entity=root, principal=_principal(user), group=False, roleId=role))
    return out


@method("AuthorizationManager", "RetrieveAllPermissions")
def retrieve_all_permissions(call: Call, this: Any) -> Any:
    return permissions_on(call)


@method("AuthorizationManager", "RetrieveEntityPermissions", Param("entity", "moref"), Param("inherited", "boolean"))
def retrieve_entity_permissions(call: Call, this: Any, entity: MoRef, inherited: bool) -> Any:
    """Permissions defined on ``entity`` itself, or (``inherited``) also those it inherits from its ancestors."""
    with call.vc.registry.lock:
        target = _entity(call, entity)
        if not isinstance(target, ManagedEntity):
            raise faults.invalid_argument("entity", f"'{entity.type}:{entity.value}' is not a managed entity.")
        chain = {target.ref}
        node = target.parent_entity
        while inherited and node is not None:
            chain.add(node.ref)
            node = node.parent_entity
    return [p for p in permissions_on(call) if p.entity in chain]


# -- PerformanceManager ----------------------------------------------------------------------------
@method("PerformanceManager", "QueryPerfProviderSummary", Param("entity", "moref"))
def query_perf_provider_summary(call: Call, this: Any, entity: MoRef) -> Any:
    with call.vc.registry.lock:
        return perf.provider_summary(_entity(call, entity))


@method(
    "PerformanceManager",
    "QueryAvailablePerfMetric",
    Param("entity", "moref"),
    Param("beginTime", "string", required=False),
    Param("endTime", "string", required=False),
    Param("intervalId", "int", required=False),
)
def query_available_perf_metric(
    call: Call, this: Any, entity: MoRef, beginTime: str | None, endTime: str | None, intervalId: int | None
) -> Any:
    with call.vc.registry.lock:
        return perf.available_metrics(_entity(call, entity))


@method("PerformanceManager", "QueryPerfCounter", Param("counterId", "ints"))
def query_perf_counter(call: Call, this: Any, counterId: list[int]) -> Any:
    known = {c.key: c for c in perf.counter_infos()}
    return [known[k] for k in counterId if k in known]


@method("PerformanceManager", "QueryPerf", Param("querySpec", wire.PerfQuerySpec, many=True))
def query_perf(call: Call, this: Any, querySpec: list[wire.PerfQuerySpec]) -> Any:
    intervals = [i.samplingPeriod for i in historical_intervals(call.vc)]
    out = []
    with call.vc.registry.lock:
        for spec in querySpec:
            if spec.format not in (None, "normal"):
                raise faults.not_supported("Only the 'normal' format of performance statistics is served.")
            try:
                metric = perf.query(_entity(call, spec.entity), spec, intervals)
            except ValueError as exc:
                raise faults.invalid_argument("querySpec.intervalId", str(exc)) from None
            if metric is not None:
                out.append(metric)
    return out


# -- AlarmManager ----------------------------------------------------------------------------------
@method("AlarmManager", "GetAlarm", Param("entity", "moref", required=False))
def get_alarm(call: Call, this: Any, entity: MoRef | None) -> Any:
    """The alarms defined on ``entity`` (all predefined ones live on the root folder)."""
    root = call.vc.inventory.root.ref
    if entity is not None and entity != root:
        with call.vc.registry.lock:
            _entity(call, entity)
        return []
    return [MoRef("Alarm", d.moid) for d in HOST_ALARMS] if call.vc.mode != "esx" else []


@method("AlarmManager", "GetAlarmState", Param("entity", "moref"))
def get_alarm_state(call: Call, this: Any, entity: MoRef) -> Any:
    with call.vc.registry.lock:
        target = _entity(call, entity)
        if not isinstance(target, ManagedEntity):
            raise faults.invalid_argument("entity", f"'{entity.type}:{entity.value}' is not a managed entity.")
        return target.alarm_states(triggered=False)


# -- HostSystem: maintenance mode -------------------------------------------------------------------
@method(
    "HostSystem",
    "EnterMaintenanceMode_Task",
    Param("timeout", "int"),
    Param("evacuatePoweredOffVms", "boolean", required=False),
    Param("maintenanceSpec", wire.VimObject, required=False),
)
def enter_maintenance_mode(
    call: Call, this: HostSystem, timeout: int, evacuatePoweredOffVms: bool | None, maintenanceSpec: Any
) -> Any:
    assert call.session is not None
    return call.vc.maintenance.launch(this, call.session, enter=True)


@method(
    "HostSystem",
    "ExitMaintenanceMode_Task",
    Param("timeout", "int"),
    Param("maintenanceSpec", wire.VimObject, required=False),
)
def exit_maintenance_mode(call: Call, this: HostSystem, timeout: int, maintenanceSpec: Any) -> Any:
    assert call.session is not None
    return call.vc.maintenance.launch(this, call.session, enter=False)
