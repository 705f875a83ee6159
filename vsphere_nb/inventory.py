"""HA inventory of a vCenter in one PropertyCollector pass.

One ``ContainerView`` over the root folder for every type the table needs (hosts, clusters, standalone compute
resources, folders, datacenters, datastores) and one ``RetrievePropertiesEx`` with a ``PropertySpec`` per type,
paged with ``ContinueRetrievePropertiesEx``. The number of requests grows with N / page size, never with N:
``CreateContainerView`` + ``ceil(objects / page_size)`` retrieve calls + ``DestroyView``.

The result is the ``hosts`` DataFrame (columns in :data:`HOST_COLUMNS`), with pre-flight eligibility applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import wire
from .client import vcenter_name
from .property import container_filter_spec, create_container_view, destroy_view, retrieve
from .wire import MoRef

__all__ = [
    "HOST_PATHS",
    "CLUSTER_PATHS",
    "HOST_COLUMNS",
    "Inventory",
    "collect_inventory",
    "hosts_frame",
    "filter_hosts",
]

#: HostSystem properties collected (nested paths go through the PropertyCollector)
HOST_PATHS = [
    "name",
    "parent",
    "runtime.connectionState",
    "runtime.powerState",
    "runtime.inMaintenanceMode",
    "runtime.dasHostState",
    "configIssue",
    "overallStatus",
    "summary.config.product.version",
    "summary.config.product.build",
    "datastore",
    "disabledMethod",
]
#: cluster properties; the whole ``configurationEx`` (a nested path below it may be refused)
CLUSTER_PATHS = ["name", "parent", "configurationEx"]
_TYPE_PATHS: dict[str, list[str]] = {
    "HostSystem": HOST_PATHS,
    "ClusterComputeResource": CLUSTER_PATHS,
    "ComputeResource": ["name", "parent"],
    "Folder": ["name", "parent"],
    "Datacenter": ["name", "parent"],
    "Datastore": ["name"],
}

HOST_COLUMNS = [
    "vcenter",
    "datacenter",
    "cluster",
    "cluster_moid",
    "host",
    "host_moid",
    "connection_state",
    "power_state",
    "in_maintenance",
    "ha_enabled",
    "das_state",
    "das_state_reporter",
    "version",
    "build",
    "datastores",
    "config_issues",
    "overall_status",
    "disabled_methods",
    "eligible",
    "skip_reason",
]


@dataclass
class Inventory:
    """Raw result of one pass: properties per object, keyed by MoRef."""

    vcenter: str
    objects: dict[MoRef, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0

    def of_type(self, type_name: str) -> Iterable[tuple[MoRef, dict[str, Any]]]:
        return ((ref, props) for ref, props in self.objects.items() if ref.type == type_name)


async def collect_inventory(client: Any, *, page_size: int = 2000, vcenter: str | None = None) -> Inventory:
    """Collect hosts, clusters and their containers in one paged PropertyCollector pass."""
    content = client.content
    before = client.stats.requests if hasattr(client, "stats") else 0
    view = await create_container_view(client, content.rootFolder, list(_TYPE_PATHS), recursive=True)
    try:
        spec = container_filter_spec(view, _TYPE_PATHS)
        objects = await retrieve(client, [spec], page_size=page_size)
    finally:
        await destroy_view(client, view)
    inv = Inventory(vcenter=vcenter or vcenter_name(client))
    for oc in objects:
        inv.objects[oc.obj] = oc.props()
    if hasattr(client, "stats"):
        inv.requests = client.stats.requests - before
    return inv


def _state(value: Any) -> Any:
    return None if value is None else str(value)


def _datacenter_of(ref: MoRef | None, inv: Inventory, limit: int = 32) -> str | None:
    node = ref
    for _ in range(limit):
        if node is None:
            return None
        if node.type == "Datacenter":
            return inv.objects.get(node, {}).get("name")
        node = inv.objects.get(node, {}).get("parent")
    return None


def _issue_text(issue: Any) -> str:
    if isinstance(issue, wire.Event):
        return issue.fullFormattedMessage or wire.event_type_id(issue)
    return str(issue)


def hosts_frame(inv: Inventory) -> pd.DataFrame:
    """The ``hosts`` table of an inventory pass, pre-flight applied (``eligible``/``skip_reason``).

    Dtypes are those of :data:`~vsphere_nb.batch.frames.SCHEMAS` ``["hosts"]`` (identifiers and states as
    ``category``, flags as ``boolean``, free text as ``string``): the table a user filters live is the very table
    a run saves as ``hosts`` and ``load_run`` gives back.
    """
    from .batch.frames import hosts_frame as typed_hosts_frame
    from .batch.preflight import preflight

    names = {ref: props.get("name") for ref, props in inv.objects.items()}
    clusters: dict[MoRef, dict[str, Any]] = {}
    for ref, props in inv.of_type("ClusterComputeResource"):
        config = props.get("configurationEx")
        das = getattr(config, "dasConfig", None)
        clusters[ref] = {
            "name": props.get("name"),
            "ha_enabled": bool(getattr(das, "enabled", False)),
            "datacenter": _datacenter_of(props.get("parent"), inv),
        }
    cols: dict[str, list[Any]] = {c: [] for c in HOST_COLUMNS if c not in ("eligible", "skip_reason")}
    for ref, props in sorted(inv.of_type("HostSystem"), key=lambda item: (str(item[1].get("name")), item[0].value)):
        parent = props.get("parent")
        cluster = clusters.get(parent) if isinstance(parent, MoRef) else None
        das_state = props.get("runtime.dasHostState")
        reporter = getattr(das_state, "stateReporter", None)
        issues = props.get("configIssue") or []
        cols["vcenter"].append(inv.vcenter)
        cols["datacenter"].append(cluster["datacenter"] if cluster else _datacenter_of(parent, inv))
        cols["cluster"].append(cluster["name"] if cluster else None)
        cols["cluster_moid"].append(parent.value if cluster else None)
        cols["host"].append(props.get("name"))
        cols["host_moid"].append(ref.value)
        cols["connection_state"].append(_state(props.get("runtime.connectionState")))
        cols["power_state"].append(_state(props.get("runtime.powerState")))
        cols["in_maintenance"].append(bool(props.get("runtime.inMaintenanceMode") or False))
        cols["ha_enabled"].append(bool(cluster["ha_enabled"]) if cluster else False)
        cols["das_state"].append(_state(getattr(das_state, "state", None)))
        cols["das_state_reporter"].append(names.get(reporter, reporter.value) if reporter is not None else None)
        cols["version"].append(props.get("summary.config.product.version"))
        cols["build"].append(props.get("summary.config.product.build"))
        cols["datastores"].append(", ".join(str(names.get(d, d.value)) for d in props.get("datastore") or []))
        cols["config_issues"].append("; ".join(_issue_text(i) for i in issues))
        cols["overall_status"].append(_state(props.get("overallStatus")))
        cols["disabled_methods"].append(", ".join(str(m) for m in props.get("disabledMethod") or []))
    frame = pd.DataFrame(cols)
    return typed_hosts_frame(preflight(frame))


def filter_hosts(
    hosts: pd.DataFrame,
    *,
    clusters: Iterable[str] | None = None,
    host_names: Iterable[str] | None = None,
    only_unhealthy: bool = False,
) -> pd.DataFrame:
    """Select rows by cluster name, host name or moId, and HA health. Unknown names raise ``ConfigError``."""
    from .batch.preflight import unhealthy_only
    from .errors import ConfigError

    out = hosts
    if clusters:
        wanted = list(dict.fromkeys(clusters))
        known = set(hosts["cluster"].dropna().astype(str))
        missing = [c for c in wanted if c not in known]
        if missing:
            raise ConfigError(f"unknown cluster(s): {', '.join(missing)}")
        out = out[out["cluster"].astype("string").isin(wanted).fillna(False).astype(bool)]
    if host_names:
        wanted = list(dict.fromkeys(host_names))
        known = set(hosts["host"].astype(str)) | set(hosts["host_moid"].astype(str))
        missing = [h for h in wanted if h not in known]
        if missing:
            raise ConfigError(f"unknown host(s): {', '.join(missing)}")
        out = out[out["host"].astype(str).isin(wanted) | out["host_moid"].astype(str).isin(wanted)]
    if only_unhealthy:
        out = unhealthy_only(out)
    return out
