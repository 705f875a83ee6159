"""vsphere-nb: batch *Reconfigure for vSphere HA* over vCenter's VI/JSON API, for notebooks and the shell.

The public API is listed in ``__all__`` and pinned by ``tests/test_public_api.py``. Names are loaded on first use
(module ``__getattr__``): a bare ``import vsphere_nb`` loads neither pydantic, httpx, pandas nor matplotlib, so the
``vsphere-nb`` command starts fast; ``tests/test_imports.py`` pins what it loads.
"""

import typing as _typing

from ._lazy import lazy_attributes as _lazy_attributes
from ._version import __version__
from .errors import (
    ConfigError,
    ConnectError,
    LaunchStateUnknown,
    NotAuthenticatedError,
    ProtocolError,
    RunDirectoryError,
    ServerFault,
    TimeoutError,
    TLSError,
    TransportError,
    VsphereError,
)

if _typing.TYPE_CHECKING:
    from . import wire
    from .batch.execute import BatchRun, ReconfigurePlan, RunHandle, plan_reconfigure, resume
    from .batch.limits import BatchLimits
    from .batch.result import RunResult, load_run
    from .client.aio import AsyncClient
    from .client.config import InsecureTLSWarning, RetryPolicy, Timeouts
    from .diagnosis import Diagnosis, diagnose, load_diagnosis
    from .sync import Client, connect
    from .wire import ManagedObjectReference, MoRef

__getattr__, __dir__ = _lazy_attributes(
    __name__,
    globals(),
    {
        "wire": ".wire",
        "BatchRun": ".batch.execute",
        "ReconfigurePlan": ".batch.execute",
        "RunHandle": ".batch.execute",
        "plan_reconfigure": ".batch.execute",
        "resume": ".batch.execute",
        "BatchLimits": ".batch.limits",
        "RunResult": ".batch.result",
        "load_run": ".batch.result",
        "AsyncClient": ".client.aio",
        "InsecureTLSWarning": ".client.config",
        "RetryPolicy": ".client.config",
        "Timeouts": ".client.config",
        "Diagnosis": ".diagnosis",
        "diagnose": ".diagnosis",
        "load_diagnosis": ".diagnosis",
        "Client": ".sync",
        "connect": ".sync",
        "ManagedObjectReference": ".wire",
        "MoRef": ".wire",
    },
)

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
    "RunDirectoryError",
]
