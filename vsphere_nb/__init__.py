"""vsphere-nb: batch *Reconfigure for vSphere HA* over vCenter's VI/JSON API, for notebooks and the shell.

The public API is listed in ``__all__`` and pinned by ``tests/test_public_api.py``.
"""

from __future__ import annotations

from . import wire
from ._version import __version__
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
from .wire import ManagedObjectReference, MoRef

__all__ = [
    "__version__",
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
