"""HA inventory of a vCenter in one PropertyCollector pass.

One ``ContainerView`` over the root folder for every type the table needs (hosts, clusters, standalone compute
resources, folders, datacenters, datastores) and one ``RetrievePropertiesEx`` with a ``PropertySpec`` per type,
paged with ``ContinueRetrievePropertiesEx``. The number of requests grows with N / page size, never with N:
``CreateContainerView`` + ``ceil(objects / page_size)`` retrieve calls + ``DestroyView``.

The result is the ``hosts`` DataFrame (columns in :data:`HOST_COLUMNS`), with pre-flight eligibility applied.

One odd value never costs the whole table. A property the server sent in a shape that does not decode (the wire
layer keeps it as an :class:`~vsphere_nb.wire.UndecodedValue`), a property the server could not read
(``missingSet``), or a decoded value of the wrong shape (a string where a list of datastores belongs) leaves that
cell empty and is described in the host's ``data_issues`` cell; each kind of issue is logged once per pass as a
warning with the number of objects it touched. The check is a type test per property, so the normal path costs
nothing measurable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import wire
from .client import vcenter_name
from .property import container_filter_spec, create_container_view, destroy_quietly, retrieve
from .vocabulary import HOST_COLUMNS as _HOST_COLUMNS
from .wire import MoRef, UndecodedValue

__all__ = [
    "HOST_PATHS",
    "CLUSTER_PATHS",
    "HOST_COLUMNS",
    "Inventory",
    "collect_inventory",
    "hosts_frame",
    "filter_hosts",
]

logger = logging.getLogger("vsphere_nb.inventory")

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
#: the declared type of the data-object properties read: a newer server's subtype (an unknown ``_typeName``, a
#: generic object once decoded) is read as this type, its extra fields kept
_DECLARED: dict[str, type[wire.VimObject]] = {
    "runtime.dasHostState": wire.ClusterDasFdmHostState,
    "configurationEx": wire.ClusterConfigInfoEx,
}
_TYPE_PATHS: dict[str, list[str]] = {
    "HostSystem": HOST_PATHS,
    "ClusterComputeResource": CLUSTER_PATHS,
    "ComputeResource": ["name", "parent"],
    "Folder": ["name", "parent"],
    "Datacenter": ["name", "parent"],
    "Datastore": ["name"],
}

HOST_COLUMNS = _HOST_COLUMNS  # defined once, in vsphere_nb.vocabulary


@dataclass
class Inventory:
    """Raw result of one pass: properties per object, keyed by MoRef.

    ``issues`` lists, per object, the properties that could not be used (``"runtime.dasHostState: undecodable …"``,
    ``"configIssue: not readable (NoPermission)"``); such a property is absent from ``objects``.
    """

    vcenter: str
    objects: dict[MoRef, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0
    issues: dict[MoRef, list[str]] = field(default_factory=dict)
    #: per object, the properties whose value did not decode (removed from ``objects``): their cells stay empty
    undecoded: dict[MoRef, set[str]] = field(default_factory=dict)

    def add_issue(self, ref: MoRef, text: str) -> None:
        self.issues.setdefault(ref, []).append(text)

    def of_type(self, type_name: str) -> Iterable[tuple[MoRef, dict[str, Any]]]:
        return ((ref, props) for ref, props in self.objects.items() if ref.type == type_name)


async def collect_inventory(client: Any, *, page_size: int = 2000, vcenter: str | None = None) -> Inventory:
    """Collect hosts, clusters and their containers in one paged PropertyCollector pass. Values that did not
    decode and properties the server could not read are moved to ``Inventory.issues``; a newer server's subtype of a
    declared type (``runtime.dasHostState``, ``configurationEx``) is read as that type."""
    content = client.content
    before = client.stats.requests if hasattr(client, "stats") else 0
    view = await create_container_view(client, content.rootFolder, list(_TYPE_PATHS), recursive=True)
    try:
        spec = container_filter_spec(view, _TYPE_PATHS)
        objects = await retrieve(client, [spec], page_size=page_size)
    finally:
        await destroy_quietly(client, view, "DestroyView")
    inv = Inventory(vcenter=vcenter or vcenter_name(client))
    for oc in objects:
        props = oc.props()
        inv.objects[oc.obj] = props
        declared = _DECLARED_TYPES.get(oc.obj.type)
        if declared is not None:
            _check_shapes(props, declared)
        if oc.missingSet or not _UNUSUAL.isdisjoint(map(type, props.values())):  # rare: a type test per value
            _tidy(inv, oc, props)
    if hasattr(client, "stats"):
        inv.requests = client.stats.requests - before
    return inv


#: value types that need a second look: a generic object (an unknown ``_typeName``), an undecodable value
_UNUSUAL = frozenset({wire.VimObject, UndecodedValue})
#: the declared type of each property read, per object type (VMware's API reference, in ``wire.declared``)
_DECLARED_TYPES: dict[str, dict[str, str]] = {
    "HostSystem": wire.HOST_PROPERTY_TYPES,
    "ClusterComputeResource": wire.CLUSTER_PROPERTY_TYPES,
}
#: per declared type, the Python types a decoded value of it has in the normal case (the fast path: one lookup)
_EXPECTED: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "ManagedEntity": (MoRef,),
    **{name: (cls, str) for name, cls in wire.ENUMS.items()},
}
#: per declared list type, the element type of the normal case
_ELEMENTS: dict[str, type] = {"ArrayOfDatastore": MoRef, "ArrayOfMethodName": str}


def _check_shapes(props: dict[str, Any], declared: dict[str, str]) -> None:
    """Each value held against its property's declared type (:func:`wire.check_declared`): a value of another
    shape — a list, a number or a reference where an enum belongs — becomes an ``UndecodedValue``."""
    for name, value in props.items():
        kind = declared.get(name)
        if kind is None or value is None:
            continue
        expected = _EXPECTED.get(kind)
        if expected is not None and type(value) in expected:
            continue
        element = _ELEMENTS.get(kind)
        if element is not None and type(value) is list and all(type(item) is element for item in value):
            continue
        if type(value) is wire.VimObject and name in _DECLARED:  # a newer server's subtype: ``_tidy`` reads it
            continue
        props[name] = wire.check_declared(value, kind)


def _tidy(inv: Inventory, oc: wire.ObjectContent, props: dict[str, Any]) -> None:
    """Read a newer server's subtypes as their declared types; move undecodable values out of ``props`` into
    ``inv.issues``, with the properties the server could not read."""
    declared = _DECLARED_TYPES.get(oc.obj.type, {})
    for name, cls in _DECLARED.items():
        if name in props:
            props[name] = wire.check_declared(wire.as_declared(props[name], cls), declared.get(name))
    for name, value in list(props.items()):
        if isinstance(value, UndecodedValue):
            del props[name]
            inv.add_issue(oc.obj, f"{name}: {value}")
            inv.undecoded.setdefault(oc.obj, set()).add(name)
    for missing in oc.missingSet or []:
        fault = getattr(missing.fault, "type_name", None) or "fault"
        inv.add_issue(oc.obj, f"{missing.path}: not readable ({fault})")


def _state(value: Any) -> Any:
    return None if value is None else str(value)


def _datacenter_of(ref: MoRef | None, inv: Inventory, limit: int = 32) -> str | None:
    node = ref
    for _ in range(limit):
        if not isinstance(node, MoRef):
            return None
        if node.type == "Datacenter":
            return inv.objects.get(node, {}).get("name")
        node = inv.objects.get(node, {}).get("parent")
    return None


def _issue_text(issue: Any) -> str:
    if isinstance(issue, wire.Event):
        return issue.fullFormattedMessage or wire.event_type_id(issue)
    return str(issue)


def _items(props: dict[str, Any], name: str) -> list[Any] | tuple[Any, ...]:
    """A list-valued property (``[]`` when unset); any other shape is a data issue."""
    value = props.get(name)
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _ref_names(names: dict[MoRef, Any], refs: Iterable[Any]) -> str:
    """Referenced objects by name (moId if unknown), comma-separated; a value that is no reference raises."""
    return ", ".join(str(names.get(ref, ref.value)) for ref in refs)


#: per object, what could not be used: the pass's own issues plus the cells ``hosts_frame`` found unusable
_Issues = dict[MoRef, list[str]]


def _unusable(issues: _Issues, ref: MoRef, prop: str, exc: Exception) -> None:
    issues.setdefault(ref, []).append(f"{prop}: unusable value ({type(exc).__name__}: {exc})"[:240])


def _host_issues(inv: Inventory, issues: _Issues, ref: MoRef, cluster_ref: Any) -> str | None:
    """The ``data_issues`` cell: the host's own issues, then its cluster's."""
    texts = list(issues.get(ref, ()))
    if isinstance(cluster_ref, MoRef) and cluster_ref in issues:
        name = inv.objects.get(cluster_ref, {}).get("name") or cluster_ref.value
        texts.extend(f"cluster {name}: {text}" for text in issues[cluster_ref])
    return "; ".join(texts) if texts else None


def _warn_once_per_kind(inv: Inventory, issues: _Issues) -> None:
    """One log warning per kind of issue (object type + property + what went wrong), with how many objects."""
    kinds: dict[tuple[str, str], list[MoRef]] = {}
    for ref, texts in issues.items():
        for text in texts:
            prop, _, what = text.partition(": ")
            prop = prop.split("[", 1)[0]  # propSet[3] and propSet[7]: one kind
            kind = what.split(":", 1)[0] if what else "issue"
            kinds.setdefault((f"{ref.type}.{prop}", kind), []).append(ref)
    for (where, kind), refs in sorted(kinds.items()):
        first = refs[0]
        example = inv.objects.get(first, {}).get("name") or first.value
        logger.warning(
            "%s: %s on %d object(s), e.g. %s (%s); the value is left empty and described in data_issues",
            inv.vcenter,
            _printable(f"{where} {kind}"),
            len(refs),
            _printable(str(example)),
            first.value,
        )


def _printable(text: str, limit: int = 160) -> str:
    """Server text made safe for a log line on a terminal: one line, control characters escaped."""
    flat = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in " ".join(text.split()))
    return flat[:limit] + ("…" if len(flat) > limit else "")


def hosts_frame(inv: Inventory) -> pd.DataFrame:
    """The ``hosts`` table of an inventory pass, pre-flight applied (``eligible``/``skip_reason``).

    Dtypes are those of :data:`~vsphere_nb.batch.frames.SCHEMAS` ``["hosts"]`` (identifiers and states as
    ``category``, flags as ``boolean``, free text as ``string``): the table a user filters live is the very table
    a run saves as ``hosts`` and ``load_run`` gives back. ``data_issues`` (string, empty for a normal host) says
    which of the host's properties — or of its cluster's — could not be used and why.
    """
    from .batch.eligibility import preflight
    from .batch.frames import STRING
    from .batch.frames import hosts_frame as typed_hosts_frame

    issues: _Issues = {ref: list(texts) for ref, texts in inv.issues.items()}
    names = {ref: props.get("name") for ref, props in inv.objects.items()}
    clusters: dict[MoRef, dict[str, Any]] = {}
    for ref, props in inv.of_type("ClusterComputeResource"):
        config = props.get("configurationEx")
        ha_enabled = getattr(getattr(config, "dasConfig", None), "enabled", False)
        if ha_enabled is not None and not isinstance(ha_enabled, bool):  # HA counts as off; its hosts say why
            _unusable(issues, ref, "configurationEx", TypeError(f"dasConfig.enabled is a {type(ha_enabled).__name__}"))
            ha_enabled = False
        clusters[ref] = {
            "name": props.get("name"),
            "ha_enabled": bool(ha_enabled),
            "datacenter": _datacenter_of(props.get("parent"), inv),
        }
    cols: dict[str, list[Any]] = {c: [] for c in HOST_COLUMNS if c not in ("eligible", "skip_reason", "data_issues")}
    issue_cells: list[str | None] = []
    # the cells that can meet a value of the wrong shape are guarded one by one (a ``try`` costs nothing when
    # nothing is raised); a bad value costs its cell, never the row or the table
    for ref, props in sorted(inv.of_type("HostSystem"), key=lambda item: (str(item[1].get("name")), item[0].value)):
        parent = props.get("parent")
        cluster = clusters.get(parent) if isinstance(parent, MoRef) else None
        das_state = props.get("runtime.dasHostState")
        try:
            datacenter = cluster["datacenter"] if cluster else _datacenter_of(parent, inv)
        except Exception as exc:
            _unusable(issues, ref, "parent", exc)
            datacenter = None
        try:
            reporter = getattr(das_state, "stateReporter", None)
            reporter_name = None if reporter is None else names.get(reporter, reporter.value)
        except Exception as exc:
            _unusable(issues, ref, "runtime.dasHostState", exc)
            reporter_name = None
        gone = inv.undecoded.get(ref, ())  # an undecodable list is unknown, never "empty"
        try:
            datastores = None if "datastore" in gone else _ref_names(names, _items(props, "datastore"))
        except Exception as exc:
            _unusable(issues, ref, "datastore", exc)
            datastores = None
        try:
            config_issues = (
                None if "configIssue" in gone else "; ".join(_issue_text(i) for i in _items(props, "configIssue"))
            )
        except Exception as exc:
            _unusable(issues, ref, "configIssue", exc)
            config_issues = None
        try:
            disabled = None if "disabledMethod" in gone else ", ".join(str(m) for m in _items(props, "disabledMethod"))
        except Exception as exc:
            _unusable(issues, ref, "disabledMethod", exc)
            disabled = None
        cols["vcenter"].append(inv.vcenter)
        cols["datacenter"].append(datacenter)
        cols["cluster"].append(cluster["name"] if cluster else None)
        cols["cluster_moid"].append(parent.value if cluster and isinstance(parent, MoRef) else None)
        cols["host"].append(props.get("name"))
        cols["host_moid"].append(ref.value)
        cols["connection_state"].append(_state(props.get("runtime.connectionState")))
        cols["power_state"].append(_state(props.get("runtime.powerState")))
        cols["in_maintenance"].append(bool(props.get("runtime.inMaintenanceMode") or False))
        cols["ha_enabled"].append(bool(cluster["ha_enabled"]) if cluster else False)
        cols["das_state"].append(_state(getattr(das_state, "state", None)))
        cols["das_state_reporter"].append(reporter_name)
        cols["version"].append(props.get("summary.config.product.version"))
        cols["build"].append(props.get("summary.config.product.build"))
        cols["datastores"].append(datastores)
        cols["config_issues"].append(config_issues)
        cols["overall_status"].append(_state(props.get("overallStatus")))
        cols["disabled_methods"].append(disabled)
        issue_cells.append(_host_issues(inv, issues, ref, parent) if issues else None)
    frame = pd.DataFrame(cols)
    if issues:
        _warn_once_per_kind(inv, issues)
    frame["data_issues"] = issue_cells  # pre-flight reads it: an unreadable value never makes a host eligible
    typed = typed_hosts_frame(preflight(frame))
    typed["data_issues"] = pd.array(issue_cells, dtype=STRING)
    return typed


def filter_hosts(
    hosts: pd.DataFrame,
    *,
    clusters: Iterable[str] | None = None,
    host_names: Iterable[str] | None = None,
    only_unhealthy: bool = False,
) -> pd.DataFrame:
    """Select rows by cluster name, host name or moId, and HA health. Unknown names raise ``ConfigError``."""
    from .batch.eligibility import unhealthy_only
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
