"""The VI/JSON wire format: one definition shared by the client and the simulator.

``from vsphere_nb import wire`` then ``wire.TaskInfo``, ``wire.decode_any(...)``, ``wire.MoRef(...)``.
"""

from __future__ import annotations

from . import plain
from .base import ENUMS, REGISTRY, VimEnum, VimObject, ancestry, box, encode_value, lookup
from .codec import (
    as_declared,
    decode_any,
    decode_as,
    decode_body,
    decode_property,
    parse_body,
    ref_value,
    unbox_list,
)
from .collector import *  # noqa: F403
from .collector import __all__ as _collector_all
from .declared import CLUSTER_PROPERTY_TYPES, HOST_PROPERTY_TYPES, check_declared
from .diagnostics import *  # noqa: F403
from .diagnostics import __all__ as _diagnostics_all
from .enums import *  # noqa: F403
from .enums import __all__ as _enums_all
from .events import *  # noqa: F403
from .events import __all__ as _events_all
from .faults import *  # noqa: F403
from .faults import __all__ as _faults_all
from .host import *  # noqa: F403
from .host import __all__ as _host_all
from .inventory import *  # noqa: F403
from .inventory import __all__ as _inventory_all
from .managers import *  # noqa: F403
from .managers import __all__ as _managers_all
from .monitoring import *  # noqa: F403
from .monitoring import __all__ as _monitoring_all
from .moref import ManagedObjectReference, MoRef
from .service import *  # noqa: F403
from .service import __all__ as _service_all
from .storage import *  # noqa: F403
from .storage import __all__ as _storage_all
from .task import *  # noqa: F403
from .task import __all__ as _task_all
from .values import Boxed, UndecodedValue, format_datetime, parse_datetime

_namespace = {name: cls for name, cls in REGISTRY.items()}
for _cls in list(REGISTRY.values()):
    _cls.model_rebuild(_types_namespace=_namespace, force=True)
del _cls, _namespace

__all__ = [
    "plain",
    "HOST_PROPERTY_TYPES",
    "CLUSTER_PROPERTY_TYPES",
    "check_declared",
    "ENUMS",
    "REGISTRY",
    "VimEnum",
    "VimObject",
    "ancestry",
    "lookup",
    "Boxed",
    "box",
    "decode_any",
    "decode_as",
    "decode_body",
    "encode_value",
    "format_datetime",
    "parse_datetime",
    "parse_body",
    "ref_value",
    "unbox_list",
    "UndecodedValue",
    "as_declared",
    "decode_property",
    "ManagedObjectReference",
    "MoRef",
    *_collector_all,
    *_diagnostics_all,
    *_enums_all,
    *_events_all,
    *_faults_all,
    *_inventory_all,
    *_service_all,
    *_task_all,
    *_host_all,
    *_managers_all,
    *_monitoring_all,
    *_storage_all,
]
