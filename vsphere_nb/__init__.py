"""vsphere-nb: batch *Reconfigure for vSphere HA* over vCenter's VI/JSON API, for notebooks and the shell.

The public API is listed in ``__all__`` and pinned by ``tests/test_public_api.py``.
"""

from __future__ import annotations

from . import wire
from ._version import __version__
from .batch.execute import BatchRun, ReconfigurePlan, RunHandle, plan_reconfigure, resume
from .batch.limits import BatchLimits
from .batch.result import RunResult, load_run
from .client import AsyncClient
from .config import InsecureTLSWarning, RetryPolicy, Timeouts
from .diagnosis import Diagnosis, diagnose, load_diagnosis
from .errors import (
    ConfigError,
    ConnectError,
    LaunchStateUnknown,
    NotAuthenticatedError,
    ProtocolError,
    RunDirectoryError,
    ServerFault,
    TaskFailed,
    TimeoutError,
    TLSError,
    TransportError,
    VsphereError,
)
from .sync import Client, connect
from .wire import ManagedObjectReference, MoRef

__all__ = [
    "__version__",
    "connect",
    "Client",
    "AsyncClient",
    "Timeouts",
    "RetryPolicy",
    "InsecureTLSWarning",
    "BatchLimits",
    "plan_reconfigure",
    "ReconfigurePlan",
    "RunHandle",
    "BatchRun",
    "RunResult",
    "resume",
    "load_run",
    "diagnose",
    "Diagnosis",
    "load_diagnosis",
    "wire",
    "MoRef",
    "ManagedObjectReference",
    "VsphereError",
    "ConfigError",
    "TransportError",
    "ConnectError",
    "TimeoutError",
    "TLSError",
    "ProtocolError",
    "ServerFault",
    "NotAuthenticatedError",
    "LaunchStateUnknown",
    "TaskFailed",
    "RunDirectoryError",
]
