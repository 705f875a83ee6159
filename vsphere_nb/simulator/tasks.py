"""Tasks on the simulated clock: ``queued → running → success | error``, with limits.

vCenter runs a bounded number of operations at once and queues the rest; a host runs one HA
reconfiguration at a time. :class:`TaskQueue` does the same: a task is admitted (``running``) only when its
entity has no running task and fewer than ``max_active_tasks`` run globally; otherwise it stays ``queued``
in FIFO order. A :class:`TaskRunner` supplies the behaviour (duration, side effects, outcome); the queue
owns the life cycle: ``queueTime``/``startTime``/``completeTime``, ``progress`` ticks (20 % steps),
``cancelable`` while queued, ``CancelTask``, ``recentTask`` lists (active tasks plus those completed in the
last :data:`RECENT_SECONDS` real seconds), and the concurrency statistics.

All transitions run on the clock thread under the registry lock and call ``Registry.changed`` so
``WaitForUpdatesEx`` waiters see them at once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from .. import wire
from ..wire import MoRef
from . import faults
from .clock import Clock, Timer
from .inventory import HostSystem, ManagedEntity
from .model import ManagedObject, Registry

__all__ = ["Task", "TaskManager", "TaskQueue", "TaskRunner", "RECENT_SECONDS", "PROGRESS_STEPS"]

#: completed tasks stay in ``recentTask`` this long (*real* seconds, whatever the time scale), as vCenter keeps
#: ~10 minutes: a retention policy of the server, not a duration of the work, so it is not sped up
RECENT_SECONDS = 600.0
#: progress ticks per task
PROGRESS_STEPS = 5
#: completed tasks kept readable (``Task/{id}/info``); older ones are forgotten (ManagedObjectNotFound)
TASK_RETENTION = 50_000


class TaskRunner(Protocol):
    def duration(self, task: Task) -> float: ...
    def on_start(self, task: Task) -> None: ...
    def on_progress(self, task: Task, percent: int) -> None: ...
    def on_finish(self, task: Task) -> wire.MethodFault | None: ...


class Task(ManagedObject):
    TYPE = "Task"
    ANCESTRY = ("Task", "ExtensibleManagedObject", "ManagedObject")
    PROPERTIES = {"info": "TaskInfo"}

    def __init__(
        self, moid: str, info: wire.TaskInfo, entity: ManagedEntity, runner: TaskRunner, group: str | None
    ) -> None:
        super().__init__(moid)
        self.info = info
        self.entity = entity
        self.runner = runner
        #: concurrency group for statistics (the host's cluster / compute resource moId)
        self.group = group
        self.timers: list[Timer] = []
        #: runner-specific data (the scenario rule chosen at launch …)
        self.plan: Any = None

    def prop(self, name: str) -> Any:
        return self.info if name == "info" else None

    @property
    def state(self) -> str:
        return str(self.info.state)

    def update(self, **fields: Any) -> None:
        self.info = self.info.model_copy(update=fields)


class TaskManager(ManagedObject):
    TYPE = "TaskManager"
    ANCESTRY = ("TaskManager", "ManagedObject")
    PROPERTIES = {
        "recentTask": "ArrayOfManagedObjectReference",
        "description": "TaskDescription",
        "maxCollector": "int",
    }

    def __init__(self, moid: str) -> None:
        super().__init__(moid)
        self.recent: dict[MoRef, None] = {}

    def prop(self, name: str) -> Any:
        if name == "recentTask":
            return list(self.recent)
        if name == "description":
            return task_description()
        if name == "maxCollector":
            return 32
        return None


#: the tasks this simulator runs: ``TaskInfo.descriptionId`` -> label (as a vCenter's ``TaskManager.description``)
TASK_LABELS = {
    "HostSystem.reconfigureDAS": "Reconfigure vSphere HA host",
    "HostSystem.enterMaintenanceMode": "Enter maintenance mode",
    "HostSystem.exitMaintenanceMode": "Exit maintenance mode",
}
_STATES = {"queued": "Queued", "running": "Running", "success": "Completed", "error": "Failed"}
_REASONS = {
    "TaskReasonUser": "Task initiated by a user",
    "TaskReasonSystem": "Task initiated by the server",
    "TaskReasonSchedule": "Task initiated by a scheduled task",
    "TaskReasonAlarm": "Task initiated by an alarm",
}


def task_description() -> wire.TaskDescription:
    """``TaskManager.description``: labels of the task methods, states and reasons (``govc tasks -l``)."""
    return wire.TaskDescription(
        methodInfo=[wire.ElementDescription(key=k, label=v, summary=v) for k, v in TASK_LABELS.items()],
        state=[wire.ElementDescription(key=k, label=v, summary=v) for k, v in _STATES.items()],
        reason=[wire.TypeDescription(key=k, label=v, summary=v) for k, v in _REASONS.items()],
    )


class TaskQueue:
    def __init__(
        self,
        registry: Registry,
        clock: Clock,
        manager: TaskManager,
        max_active: int,
        on_concurrency: Callable[[int, dict[str, int]], None],
    ) -> None:
        self.registry = registry
        self.clock = clock
        self.manager = manager
        self.max_active = max_active
        self.pending: OrderedDict[str, Task] = OrderedDict()
        self.running: dict[str, Task] = {}
        self.running_per_group: dict[str, int] = {}
        self.completed: OrderedDict[str, Task] = OrderedDict()
        self._on_concurrency = on_concurrency

    # -- creation ----------------------------------------------------------------------------------
    def create(
        self,
        entity: ManagedEntity,
        *,
        name: str,
        description_id: str,
        user: str,
        runner: TaskRunner,
        chain_id: int,
        group: str | None = None,
        plan: Any = None,
        admit: bool = True,
    ) -> Task:
        """A new ``queued`` task on ``entity`` (call under the registry lock); admitted at once if allowed
        (``admit=False`` lets the caller log the ``TaskEvent`` first, then call :meth:`admit`)."""
        moid = self.registry.next_id("task-", 1000)
        info = wire.TaskInfo(
            key=moid,
            task=MoRef("Task", moid),
            name=name,
            descriptionId=description_id,
            entity=entity.ref,
            entityName=entity.name,
            state=wire.TaskInfoState.queued,
            cancelled=False,
            cancelable=True,
            reason=wire.TaskReasonUser(userName=user),
            queueTime=self.clock.now(),
            eventChainId=chain_id,
        )
        task = Task(moid, info, entity, runner, group)
        task.plan = plan
        self.registry.add(task)
        self.pending[moid] = task
        self._add_recent(task)
        if admit:
            self.admit()
        return task

    # -- admission and life cycle -----------------------------------------------------------------
    def admit(self) -> None:
        """Start queued tasks while limits allow (FIFO; a busy entity's tasks wait)."""
        with self.registry.lock:
            while self.pending and len(self.running) < self.max_active:
                picked = None
                for task in self.pending.values():
                    if getattr(task.entity, "running_task", None) is None:
                        picked = task
                        break
                if picked is None:
                    return
                self._start(picked)

    def _start(self, task: Task) -> None:
        del self.pending[task.moid]
        self.running[task.moid] = task
        if isinstance(task.entity, HostSystem):
            task.entity.running_task = task.moid
        if task.group:
            self.running_per_group[task.group] = self.running_per_group.get(task.group, 0) + 1
        self._on_concurrency(len(self.running), self.running_per_group)
        task.update(state=wire.TaskInfoState.running, startTime=self.clock.now(), cancelable=False, progress=0)
        self.registry.changed(task)
        task.runner.on_start(task)
        duration = max(0.0, task.runner.duration(task))
        for step in range(1, PROGRESS_STEPS):
            task.timers.append(
                self.clock.call_later(
                    duration * step / PROGRESS_STEPS, self._progress, task, int(100 * step / PROGRESS_STEPS)
                )
            )
        task.timers.append(self.clock.call_later(duration, self._finish, task))

    def _progress(self, task: Task, percent: int) -> None:
        with self.registry.lock:
            if task.state != "running":
                return
            task.update(progress=percent)
            self.registry.changed(task)
            task.runner.on_progress(task, percent)

    def _finish(self, task: Task) -> None:
        with self.registry.lock:
            if task.state != "running":
                return
            fault = task.runner.on_finish(task)
            self._complete(task, fault)
            self.running.pop(task.moid, None)
            if isinstance(task.entity, HostSystem) and task.entity.running_task == task.moid:
                task.entity.running_task = None
            if task.group:
                self.running_per_group[task.group] = max(0, self.running_per_group.get(task.group, 1) - 1)
            self._on_concurrency(len(self.running), self.running_per_group)
            self.admit()

    def _complete(self, task: Task, fault: wire.MethodFault | None, cancelled: bool = False) -> None:
        if fault is None:
            task.update(state=wire.TaskInfoState.success, progress=100, completeTime=self.clock.now(), cancelable=False)
        else:
            task.update(
                state=wire.TaskInfoState.error,
                error=fault,
                completeTime=self.clock.now(),
                cancelable=False,
                cancelled=cancelled,
            )
        self.registry.changed(task)
        self.completed[task.moid] = task
        self.clock.call_later(RECENT_SECONDS * self.clock.time_scale, self._expire_recent, task)
        while len(self.completed) > TASK_RETENTION:
            _, old = self.completed.popitem(last=False)
            self._drop_recent(old)
            self.registry.remove(old)

    # -- cancel ------------------------------------------------------------------------------------
    def cancel(self, task: Task) -> None:
        with self.registry.lock:
            state = task.state
            if state in ("success", "error"):
                raise faults.invalid_state("The operation is not allowed in the current state: the task has completed.")
            if state == "running" or not task.info.cancelable:
                raise faults.not_supported("The task cannot be cancelled once it is running.")
            self.pending.pop(task.moid, None)
            for timer in task.timers:
                timer.cancel()
            self._complete(task, faults.request_canceled("The task was canceled by a user.").fault, cancelled=True)

    # -- recentTask --------------------------------------------------------------------------------
    def _add_recent(self, task: Task) -> None:
        self.manager.recent[task.ref] = None
        self.registry.changed(self.manager)
        task.entity.recent_tasks.append(task.ref)
        self.registry.changed(task.entity)

    def _drop_recent(self, task: Task) -> None:
        if task.ref in self.manager.recent:
            del self.manager.recent[task.ref]
            self.registry.changed(self.manager)
        if task.ref in task.entity.recent_tasks:
            task.entity.recent_tasks.remove(task.ref)
            self.registry.changed(task.entity)

    def _expire_recent(self, task: Task) -> None:
        with self.registry.lock:
            self._drop_recent(task)

    # -- a vCenter restart -------------------------------------------------------------------------
    def forget_all(self) -> int:
        """What a vCenter service restart does to tasks: every task object is gone (queued and running ones
        never finish), ``recentTask`` lists are empty, and task ids are handed out again from the start.
        Returns how many tasks were in flight."""
        with self.registry.lock:
            in_flight = len(self.pending) + len(self.running)
            for task in [*self.pending.values(), *self.running.values(), *self.completed.values()]:
                for timer in task.timers:
                    timer.cancel()
                self._drop_recent(task)
                if isinstance(task.entity, HostSystem) and task.entity.running_task == task.moid:
                    task.entity.running_task = None
                self.registry.remove(task)
            self.pending.clear()
            self.running.clear()
            self.completed.clear()
            self.running_per_group.clear()
            self.registry.reset_ids("task-")
            self._on_concurrency(0, {})
            return in_flight

    # -- introspection -----------------------------------------------------------------------------
    def active(self) -> int:
        return len(self.running) + len(self.pending)

    def find(self, moid: str) -> Task | None:
        obj = self.registry.get("Task", moid)
        return obj if isinstance(obj, Task) else None
