"""Readers of the HA-related values diagnosis needs, whether the server's types are modelled here or not.

A value of a type this package does not model (``DatastoreHostMount``, ``ClusterDasVmSettings``, a newer
server's field) arrives as a generic :class:`~vsphere_nb.wire.base.VimObject` whose nested parts may still be
plain wire dicts; these functions read both shapes, and answer ``None`` for anything odd instead of raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .moref import ManagedObjectReference

__all__ = [
    "field",
    "ref_id",
    "management_vmknics",
    "mount_accessibility",
    "das_settings",
    "heartbeat_datastores_by_host",
]


def field(obj: Any, name: str) -> Any:
    """``obj.name`` for a model (declared or extra field) or ``obj[name]`` for a wire dict; ``None`` if absent."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None:
        extra = getattr(obj, "model_extra", None)
        if isinstance(extra, Mapping):
            value = extra.get(name)
    return value


def ref_id(value: Any) -> str | None:
    """The moId of a MoRef model or MoRef wire dict (boxed or not)."""
    if isinstance(value, ManagedObjectReference):
        return value.value
    if isinstance(value, Mapping):
        boxed = value.get("_value")
        inner: Mapping[str, Any] = boxed if isinstance(boxed, Mapping) else value
        v = inner.get("value")
        return v if isinstance(v, str) else None
    return None


def _items(value: Any) -> list[Any]:
    if isinstance(value, Mapping) and isinstance(value.get("_value"), list):
        return list(value["_value"])
    return list(value) if isinstance(value, (list, tuple)) else []


def management_vmknics(net_config: Any) -> list[str] | None:
    """Devices (``vmk0`` …) selected for management traffic, from ``config.virtualNicManagerInfo.netConfig``
    (``VirtualNicManagerNetConfig[]``); ``None`` when the value is absent or unreadable."""
    configs = _items(net_config)
    if not configs:
        return None
    for cfg in configs:
        if field(cfg, "nicType") != "management":
            continue
        selected = {str(k) for k in _items(field(cfg, "selectedVnic"))}
        devices = []
        for vnic in _items(field(cfg, "candidateVnic")):
            key, device = field(vnic, "key"), field(vnic, "device")
            if key in selected or any(str(s).endswith(str(key)) for s in selected):
                devices.append(str(device or key))
        if not devices and selected:
            devices = [s.rsplit("-", 1)[-1] for s in sorted(selected)]
        return devices
    return []


def mount_accessibility(mounts: Any) -> dict[str, bool]:
    """host moId → accessible, from a datastore's ``host`` (``DatastoreHostMount[]``)."""
    out: dict[str, bool] = {}
    for mount in _items(mounts):
        host = ref_id(field(mount, "key"))
        info = field(mount, "mountInfo")
        accessible = field(info, "accessible")
        if host is not None:
            out[host] = bool(accessible) if accessible is not None else True
    return out


def _option_text(value: Any) -> str | None:
    if isinstance(value, Mapping) and "_value" in value:
        value = value["_value"]
    return None if value is None else str(value)


def das_settings(das: Any) -> dict[str, Any]:
    """The HA settings operators look at, from ``ClusterConfigInfoEx.dasConfig``."""
    options = {}
    for opt in _items(field(das, "option")):
        key = field(opt, "key")
        if isinstance(key, str):
            options[key.lower()] = _option_text(field(opt, "value"))
    isolation = [v for k, v in sorted(options.items()) if k.startswith("das.isolationaddress") and v]
    policy = field(das, "admissionControlPolicy")
    policy_type = None
    if policy is not None:
        policy_type = field(policy, "_typeName") or getattr(policy, "vim_type", None)
    vm_settings = field(das, "defaultVmSettings")
    enabled = field(das, "enabled")
    admission = field(das, "admissionControlEnabled")
    return {
        "ha_enabled": bool(enabled) if enabled is not None else False,
        "host_monitoring": field(das, "hostMonitoring"),
        "vm_monitoring": field(das, "vmMonitoring"),
        "admission_control": (
            None
            if admission is None
            else ("enabled" if admission else "disabled")
            + (
                f" ({str(policy_type).replace('Cluster', '').replace('AdmissionControlPolicy', '')})"
                if policy_type
                else ""
            )
        ),
        "failover_level": field(das, "failoverLevel"),
        "isolation_response": field(vm_settings, "isolationResponse"),
        "heartbeat_policy": field(das, "hBDatastoreCandidatePolicy"),
        "heartbeat_datastore_ids": [r for r in (ref_id(d) for d in _items(field(das, "heartbeatDatastore"))) if r],
        "isolation_addresses": isolation,
        "use_default_isolation_address": options.get("das.usedefaultisolationaddress"),
        "heartbeat_ds_per_host": options.get("das.heartbeatdsperhost"),
    }


def heartbeat_datastores_by_host(info: Any) -> dict[str, list[str]]:
    """host moId → heartbeat datastore moIds, from ``ClusterDasAdvancedRuntimeInfo.heartbeatDatastoreInfo``."""
    out: dict[str, list[str]] = {}
    for entry in _items(field(info, "heartbeatDatastoreInfo")):
        ds = ref_id(field(entry, "datastore"))
        for host in _items(field(entry, "hosts")):
            moid = ref_id(host)
            if moid is not None and ds is not None:
                out.setdefault(moid, []).append(ds)
    return out
