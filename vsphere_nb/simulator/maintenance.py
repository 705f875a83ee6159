"""``HostSystem.EnterMaintenanceMode_Task`` / ``ExitMaintenanceMode_Task``: real tasks with the events vCenter logs.

At launch (the first that applies answers ``500`` with the fault): the user lacks ``Host.Config.Maintenance`` →
``NoPermission``; the host is not connected → ``HostNotConnected``; it is already in (entering) or not in
(exiting) maintenance mode → ``InvalidState``. Otherwise a task is queued on the host (one task per host at a time,
behind a running HA reconfiguration) with a ``TaskEvent``, and runs for a quarter of the simulator's task duration
(no virtual machines to evacuate):

* entering: ``EnteringMaintenanceModeEvent`` when it starts, then ``runtime.inMaintenanceMode`` becomes true with
  ``EnteredMaintenanceModeEvent`` — from then on the batch pre-flight skips the host (``in maintenance mode``);
* exiting: ``runtime.inMaintenanceMode`` becomes false with ``ExitMaintenanceModeEvent``.

The host's vSphere HA agent state is left as it is: maintenance mode neither fixes nor breaks HA on the host, and a
*Reconfigure for vSphere HA* of a host in maintenance mode runs as on any other host (the vSphere Client offers the
action there; it is the pre-flight, not vCenter, that leaves such hosts alone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import wire
from . import faults
from .inventory import HostSystem
from .sessions import Session
from .tasks import Task

if TYPE_CHECKING:  # pragma: no cover
    from .vcenter import Vcenter

__all__ = ["MaintenanceMode", "PRIVILEGE", "ENTER", "EXIT"]

PRIVILEGE = "Host.Config.Maintenance"
ENTER = ("EnterMaintenanceMode_Task", "HostSystem.enterMaintenanceMode", "Enter maintenance mode")
EXIT = ("ExitMaintenanceMode_Task", "HostSystem.exitMaintenanceMode", "Exit maintenance mode")


class MaintenanceMode:
    """The :class:`~.tasks.TaskRunner` of both maintenance-mode tasks (``task.plan`` is ``True`` to enter)."""

    def __init__(self, vc: Vcenter) -> None:
        self.vc = vc

    def launch(self, host: HostSystem, session: Session, enter: bool) -> wire.ManagedObjectReference:
        vc = self.vc
        if PRIVILEGE not in session.user.privileges:
            raise faults.no_permission(host.ref, PRIVILEGE)
        name, description_id, text = ENTER if enter else EXIT
        with vc.registry.lock:
            if host.connection_state != "connected":
                raise faults.host_not_connected(host.name)
            if enter and (host.in_maintenance or self._pending(host, True)):
                raise faults.invalid_state("The operation is not allowed in the current state: the host is already "
                                           "in maintenance mode.")  # fmt: skip
            if not enter and not host.in_maintenance:
                raise faults.invalid_state("The operation is not allowed in the current state: the host is not in "
                                           "maintenance mode.")  # fmt: skip
            chain = vc.events.new_key()
            task = vc.tasks.create(
                host,
                name=name,
                description_id=description_id,
                user=session.user.name,
                runner=self,
                chain_id=chain,
                plan=enter,
                admit=False,
            )
            vc.post(
                vc.events.make(
                    "TaskEvent", host=host, key=chain, chain_id=chain, user=session.user.name, text=text, info=task.info
                )
            )
            vc.tasks.admit()
            return task.ref

    def _pending(self, host: HostSystem, enter: bool) -> bool:
        """An enter (or exit) task of the host not finished yet."""
        tasks = [*self.vc.tasks.pending.values(), *self.vc.tasks.running.values()]
        return any(t.entity is host and t.runner is self and t.plan is enter for t in tasks)

    # -- TaskRunner --------------------------------------------------------------------------------
    def duration(self, task: Task) -> float:
        return self.vc.task_seconds / 4

    def on_start(self, task: Task) -> None:
        if task.plan:
            self._event(task, "EnteringMaintenanceModeEvent")

    def on_progress(self, task: Task, percent: int) -> None:
        return None

    def on_finish(self, task: Task) -> wire.MethodFault | None:
        host: HostSystem = task.entity  # type: ignore[assignment]
        host.in_maintenance = bool(task.plan)
        self.vc.registry.changed(host)
        self.vc.registry.changed(host.compute_resource)  # its summary counts effective hosts
        self._event(task, "EnteredMaintenanceModeEvent" if task.plan else "ExitMaintenanceModeEvent")
        return None

    def _event(self, task: Task, type_name: str) -> None:
        host: HostSystem = task.entity  # type: ignore[assignment]
        user: Any = getattr(task.info.reason, "userName", "") or ""
        self.vc.post(self.vc.events.make(type_name, host=host, chain_id=task.info.eventChainId, user=user))
