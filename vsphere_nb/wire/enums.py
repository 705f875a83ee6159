"""VMware enumerations used by vsphere-nb. Slots that hold them accept unknown strings too."""

from __future__ import annotations

from ..vocabulary import HEALTHY_DAS_STATES as _HEALTHY_DAS_STATES
from .base import VimEnum, _register_enum

__all__ = [
    "TaskInfoState",
    "HostSystemConnectionState",
    "HostSystemPowerState",
    "ManagedEntityStatus",
    "ClusterDasFdmAvailabilityState",
    "DasConfigFaultDasConfigFaultReason",
    "DasConfigFaultReason",
    "HostDasErrorEventHostDasErrorReason",
    "ObjectUpdateKind",
    "PropertyChangeOp",
    "EventFilterSpecRecursionOption",
    "EventEventSeverity",
    "HEALTHY_DAS_STATES",
]


@_register_enum
class TaskInfoState(VimEnum):
    queued = "queued"
    running = "running"
    success = "success"
    error = "error"


@_register_enum
class HostSystemConnectionState(VimEnum):
    connected = "connected"
    notResponding = "notResponding"
    disconnected = "disconnected"


@_register_enum
class HostSystemPowerState(VimEnum):
    poweredOn = "poweredOn"
    poweredOff = "poweredOff"
    standBy = "standBy"
    unknown = "unknown"


@_register_enum
class ManagedEntityStatus(VimEnum):
    gray = "gray"
    green = "green"
    yellow = "yellow"
    red = "red"


@_register_enum
class ClusterDasFdmAvailabilityState(VimEnum):
    uninitialized = "uninitialized"
    election = "election"
    master = "master"
    connectedToMaster = "connectedToMaster"
    networkPartitionedFromMaster = "networkPartitionedFromMaster"
    networkIsolated = "networkIsolated"
    hostDown = "hostDown"
    initializationError = "initializationError"
    uninitializationError = "uninitializationError"
    fdmUnreachable = "fdmUnreachable"
    retry = "retry"


#: ``dasHostState.state`` values an operator reads as healthy (the vocabulary's, re-exported)
HEALTHY_DAS_STATES = _HEALTHY_DAS_STATES


@_register_enum
class DasConfigFaultDasConfigFaultReason(VimEnum):
    HostNetworkMisconfiguration = "HostNetworkMisconfiguration"
    HostMisconfiguration = "HostMisconfiguration"
    InsufficientPrivileges = "InsufficientPrivileges"
    NoPrimaryAgentAvailable = "NoPrimaryAgentAvailable"
    Other = "Other"
    NoDatastoresConfigured = "NoDatastoresConfigured"
    CreateConfigVvolFailed = "CreateConfigVvolFailed"
    VSanNotSupportedOnHost = "VSanNotSupportedOnHost"
    DasNetworkMisconfiguration = "DasNetworkMisconfiguration"
    SetDesiredImageSpecFailed = "SetDesiredImageSpecFailed"
    ApplyHAVibsOnClusterFailed = "ApplyHAVibsOnClusterFailed"


DasConfigFaultReason = DasConfigFaultDasConfigFaultReason


@_register_enum
class HostDasErrorEventHostDasErrorReason(VimEnum):
    configFailed = "configFailed"
    timeout = "timeout"
    communicationInitFailed = "communicationInitFailed"
    healthCheckScriptFailed = "healthCheckScriptFailed"
    agentFailed = "agentFailed"
    agentShutdown = "agentShutdown"
    isolationAddressUnpingable = "isolationAddressUnpingable"
    other = "other"


@_register_enum
class ObjectUpdateKind(VimEnum):
    modify = "modify"
    enter = "enter"
    leave = "leave"


@_register_enum
class PropertyChangeOp(VimEnum):
    add = "add"
    remove = "remove"
    assign = "assign"
    indirectRemove = "indirectRemove"


@_register_enum
class EventFilterSpecRecursionOption(VimEnum):
    self = "self"
    children = "children"
    all = "all"


@_register_enum
class EventEventSeverity(VimEnum):
    error = "error"
    warning = "warning"
    info = "info"
    user = "user"
