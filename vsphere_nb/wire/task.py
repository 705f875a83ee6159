"""``TaskInfo`` and its reasons."""

from __future__ import annotations

from typing import Optional

from ._common import AnyValue, Known, UtcDatetime
from .base import VimObject
from .enums import TaskInfoState
from .faults import LocalizableMessage, MethodFault
from .moref import ManagedObjectReference

__all__ = ["TaskInfo", "TaskReason", "TaskReasonUser", "TaskReasonSystem", "TaskReasonAlarm", "TaskReasonSchedule",
           "TERMINAL_TASK_STATES"]

TERMINAL_TASK_STATES = frozenset({"success", "error"})


class TaskReason(VimObject):
    pass


class TaskReasonUser(TaskReason):
    userName: str


class TaskReasonSystem(TaskReason):
    pass


class TaskReasonAlarm(TaskReason):
    alarmName: str = ""
    alarm: Optional[ManagedObjectReference] = None
    entityName: str = ""
    entity: Optional[ManagedObjectReference] = None


class TaskReasonSchedule(TaskReason):
    name: str = ""
    scheduledTask: Optional[ManagedObjectReference] = None


class TaskInfo(VimObject):
    key: str
    task: ManagedObjectReference
    description: Optional[LocalizableMessage] = None
    name: Optional[str] = None
    descriptionId: str = ""
    entity: Optional[ManagedObjectReference] = None
    entityName: Optional[str] = None
    locked: Optional[list[ManagedObjectReference]] = None
    state: Known(TaskInfoState)
    cancelled: bool = False
    cancelable: bool = False
    error: Optional[MethodFault] = None
    result: AnyValue = None
    progress: Optional[int] = None
    reason: Optional[TaskReason] = None
    queueTime: Optional[UtcDatetime] = None
    startTime: Optional[UtcDatetime] = None
    completeTime: Optional[UtcDatetime] = None
    eventChainId: int = 0
    changeTag: Optional[str] = None
    parentTaskKey: Optional[str] = None
    rootTaskKey: Optional[str] = None
    activationId: Optional[str] = None

    @property
    def done(self) -> bool:
        return str(self.state) in TERMINAL_TASK_STATES
