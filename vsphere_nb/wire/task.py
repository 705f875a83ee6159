"""``TaskInfo`` and its reasons."""

from __future__ import annotations

from ._common import AnyValue, Known, UtcDatetime
from .base import VimObject
from .enums import TaskInfoState
from .faults import LocalizableMessage, MethodFault
from .moref import ManagedObjectReference

__all__ = [
    "TaskInfo",
    "TaskReason",
    "TaskReasonUser",
    "TaskReasonSystem",
    "TaskReasonAlarm",
    "TaskReasonSchedule",
    "TERMINAL_TASK_STATES",
]

TERMINAL_TASK_STATES = frozenset({"success", "error"})


class TaskReason(VimObject):
    pass


class TaskReasonUser(TaskReason):
    userName: str


class TaskReasonSystem(TaskReason):
    pass


class TaskReasonAlarm(TaskReason):
    alarmName: str = ""
    alarm: ManagedObjectReference | None = None
    entityName: str = ""
    entity: ManagedObjectReference | None = None


class TaskReasonSchedule(TaskReason):
    name: str = ""
    scheduledTask: ManagedObjectReference | None = None


class TaskInfo(VimObject):
    key: str
    task: ManagedObjectReference
    description: LocalizableMessage | None = None
    name: str | None = None
    descriptionId: str = ""
    entity: ManagedObjectReference | None = None
    entityName: str | None = None
    locked: list[ManagedObjectReference] | None = None
    state: Known(TaskInfoState)
    cancelled: bool = False
    cancelable: bool = False
    error: MethodFault | None = None
    result: AnyValue = None
    progress: int | None = None
    reason: TaskReason | None = None
    queueTime: UtcDatetime | None = None
    startTime: UtcDatetime | None = None
    completeTime: UtcDatetime | None = None
    eventChainId: int = 0
    changeTag: str | None = None
    parentTaskKey: str | None = None
    rootTaskKey: str | None = None
    activationId: str | None = None

    @property
    def done(self) -> bool:
        return str(self.state) in TERMINAL_TASK_STATES
