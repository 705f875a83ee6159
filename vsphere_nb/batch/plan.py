"""Planning a batch: which hosts to launch, in which order, and which to skip (and why). Pure, no network.

Order, deterministic whatever the row order of the input:

1. Clusters are sorted by ``(vcenter, datacenter, cluster, cluster_moid)``, hosts inside a cluster by
   ``(host, host_moid)``.
2. The launch list takes one host from each cluster in turn (round-robin), so that when the per-cluster cap holds
   back one cluster the next hosts in line belong to other clusters and the global cap stays usable.
3. The first ``limits.canary`` hosts of that list are the canaries: because round-robin starts with one host per
   cluster, canaries are spread over as many clusters as possible.

Skipped hosts are the ones :func:`~vsphere_nb.fleet.eligibility.preflight` marks not eligible (reason copied from
``skip_reason``) and repeated rows of the same ``(vcenter, host_moid)``.

With a diagnosis (``make_plan(hosts, diagnosis=d)``, a :class:`~vsphere_nb.diagnosis.Diagnosis` or its ``hosts``
frame), every planned host carries its ``cause`` and whether a reconfigure can fix it by itself
(``reconfigure_fixes``), and hosts a launch will not help are *flagged*: ``healthy`` (the agent is already
``master``/``connectedToMaster``) or ``fix first: <cause>``. Launching flagged hosts takes an explicit second
confirmation (``plan.execute(confirm_flagged=True)``; CLI ``--include-flagged``); ``plan.without_flagged()``
moves them to the skipped hosts. Without a diagnosis, ``flag_healthy=True`` flags the healthy hosts alone.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..fleet.eligibility import SKIP_REASONS, preflight
from ..vocabulary import HEALTHY_DAS_STATES
from .limits import BatchLimits

__all__ = ["PlannedHost", "SkippedHost", "Plan", "make_plan", "HostKey", "ClusterKey"]

#: ``(vcenter, host_moid)``: a host's identity across vCenters
HostKey = tuple[str, str]
#: ``(vcenter, cluster_moid)``: what the per-cluster cap counts by
ClusterKey = tuple[str, str]

_REQUIRED = ("vcenter", "host", "host_moid", "cluster", "cluster_moid")
DUPLICATE_REASON = "duplicate row for this host"
STANDALONE = SKIP_REASONS[5]


def _fields_dict(obj: Any) -> dict[str, Any]:
    """A flat record's fields as a dict. Every field holds a plain value: ``asdict`` would deep-copy each one,
    about 40 % of the time the journal's ``planned`` record takes at 1,000 hosts."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


@dataclass(frozen=True)
class PlannedHost:
    """A host to launch, with what the scheduler and the journal need. Hashable."""

    vcenter: str
    host: str
    host_moid: str
    cluster: str
    cluster_moid: str
    datacenter: str | None = None
    das_state: str | None = None
    canary: bool = False
    attempt: int = 1
    order: int = 0
    #: the diagnosed cause (``None``: not diagnosed, or healthy)
    cause: str | None = None
    #: whether a reconfigure can fix the cause by itself (``None``: not known)
    reconfigure_fixes: bool | None = None
    #: why launching this host needs a second confirmation (``healthy`` / ``fix first: <cause>``), if it does
    flag: str | None = None

    @property
    def key(self) -> HostKey:
        return (self.vcenter, self.host_moid)

    @property
    def cluster_key(self) -> ClusterKey:
        return (self.vcenter, self.cluster_moid)

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(self)


@dataclass(frozen=True)
class SkippedHost:
    """A host left out of the launch list, and why."""

    vcenter: str
    host: str
    host_moid: str
    reason: str
    cluster: str | None = None
    cluster_moid: str | None = None
    datacenter: str | None = None
    das_state: str | None = None

    @property
    def key(self) -> HostKey:
        return (self.vcenter, self.host_moid)

    def to_dict(self) -> dict[str, Any]:
        return _fields_dict(self)


@dataclass(frozen=True, eq=False)
class Plan:
    """Ordered launch list (canaries first) and skipped hosts; ``hosts`` is the pre-flighted input frame."""

    launch: tuple[PlannedHost, ...]
    skipped: tuple[SkippedHost, ...]
    hosts: pd.DataFrame = field(repr=False)
    #: the plan was made with a diagnosis (each host carries its cause); flags, with or without one, are enforced
    #: at launch
    diagnosed: bool = False

    @property
    def canaries(self) -> tuple[PlannedHost, ...]:
        return tuple(h for h in self.launch if h.canary)

    @property
    def flagged(self) -> tuple[PlannedHost, ...]:
        """Hosts a reconfigure will not help (healthy, or a cause to fix first)."""
        return tuple(h for h in self.launch if h.flag)

    def without_flagged(self, canary: int | None = None) -> Plan:
        """The same plan with flagged hosts moved to the skipped ones (order and canaries renumbered)."""
        kept = [h for h in self.launch if not h.flag]
        n_canary = sum(1 for h in self.launch if h.canary) if canary is None else canary
        launch = tuple(dataclasses.replace(h, order=i, canary=i < n_canary) for i, h in enumerate(kept))
        skipped = self.skipped + tuple(
            SkippedHost(
                vcenter=h.vcenter,
                host=h.host,
                host_moid=h.host_moid,
                reason=str(h.flag),
                cluster=h.cluster,
                cluster_moid=h.cluster_moid,
                datacenter=h.datacenter,
                das_state=h.das_state,
            )
            for h in self.launch
            if h.flag
        )
        return dataclasses.replace(self, launch=launch, skipped=skipped)

    def __len__(self) -> int:
        return len(self.launch)

    def __iter__(self) -> Iterator[PlannedHost]:
        return iter(self.launch)

    def __repr__(self) -> str:
        clusters = len({h.cluster_key for h in self.launch})
        return (
            f"Plan(launch={len(self.launch)} hosts in {clusters} clusters, canaries={len(self.canaries)}, "
            f"skipped={len(self.skipped)})"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per host: launch order (``order``, ``canary``) then skipped hosts with ``skip_reason``."""
        rows = [{**h.to_dict(), "skip_reason": None} for h in self.launch]
        rows += [
            {
                **{k: v for k, v in s.to_dict().items() if k != "reason"},
                "skip_reason": s.reason,
                "canary": False,
                "attempt": 0,
                "order": None,
            }
            for s in self.skipped
        ]
        frame = pd.DataFrame(
            rows,
            columns=[
                "order",
                "vcenter",
                "datacenter",
                "cluster",
                "cluster_moid",
                "host",
                "host_moid",
                "das_state",
                "cause",
                "reconfigure_fixes",
                "flag",
                "canary",
                "attempt",
                "skip_reason",
            ],
        )
        frame["order"] = frame["order"].astype("Int64")
        return frame

    def journal_fields(self) -> dict[str, Any]:
        """The body of the journal's ``planned`` record: host rows, launch order, skipped hosts with reasons."""
        hosts = []
        if len(self.hosts):
            hosts = json.loads(self.hosts.to_json(orient="records", date_format="iso", date_unit="us"))
        return {
            "hosts": hosts,
            "launch": [h.to_dict() for h in self.launch],
            "skipped": [s.to_dict() for s in self.skipped],
        }


def _str(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    text = str(value)
    return text or None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, (bool, np.bool_)) and bool(value))


def _advice(diagnosis: Any) -> dict[HostKey, tuple[str, bool | None]]:
    """``(vcenter, host_moid)`` → (cause, reconfigure_fixes) from a Diagnosis or its hosts frame."""
    frame = getattr(diagnosis, "hosts", diagnosis)
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError("diagnosis must be a Diagnosis or its hosts frame")
    if not len(frame):
        return {}
    fixes = frame["reconfigure_fixes"] if "reconfigure_fixes" in frame.columns else pd.Series(pd.NA, index=frame.index)
    out: dict[HostKey, tuple[str, bool | None]] = {}
    for vc, moid, cause, fix in zip(
        frame["vcenter"].astype(str), frame["host_moid"].astype(str), frame["cause"].astype(str), fixes.tolist()
    ):
        out[(vc, moid)] = (cause, None if fix is None or fix is pd.NA else bool(fix))
    return out


def _flag(das_state: str | None, cause: str | None, fixes: bool | None) -> str | None:
    if cause is None and das_state in HEALTHY_DAS_STATES:
        return "healthy: nothing to fix"
    if cause is not None and fixes is False:
        return f"fix first: {cause}"
    return None


def make_plan(
    hosts: pd.DataFrame,
    limits: BatchLimits | None = None,
    *,
    attempt: int = 1,
    diagnosis: Any = None,
    flag_healthy: bool = False,
) -> Plan:
    """Plan a batch over ``hosts`` (runs pre-flight when ``eligible`` is absent). See the module doc.

    ``flag_healthy`` flags the hosts whose agent is already healthy even without a diagnosis (the panel plans
    this way, so a selection that includes healthy hosts is never launched on them by accident); the plan still
    says it was not diagnosed."""
    limits = limits or BatchLimits()
    if not isinstance(hosts, pd.DataFrame):
        raise ConfigError("make_plan expects the hosts DataFrame")
    missing = [c for c in _REQUIRED if c not in hosts.columns]
    if missing:
        raise ConfigError(f"hosts frame lacks column(s): {', '.join(missing)}")
    if "eligible" not in hosts.columns:
        hosts = preflight(hosts)
    cols = {c: hosts[c].tolist() for c in (*_REQUIRED, "eligible")}
    n = len(hosts)
    datacenter = hosts["datacenter"].tolist() if "datacenter" in hosts.columns else [None] * n
    das_state = hosts["das_state"].tolist() if "das_state" in hosts.columns else [None] * n
    reason = hosts["skip_reason"].tolist() if "skip_reason" in hosts.columns else [None] * n

    rows = []
    for i in range(n):
        vcenter, host, host_moid = _str(cols["vcenter"][i]), _str(cols["host"][i]), _str(cols["host_moid"][i])
        if vcenter is None or host_moid is None:
            raise ConfigError(f"hosts row {i} has no vcenter or host_moid")
        rows.append(
            (
                vcenter,
                _str(datacenter[i]) or "",
                _str(cols["cluster"][i]),
                _str(cols["cluster_moid"][i]),
                host or host_moid,
                host_moid,
                _str(das_state[i]),
                _truthy(cols["eligible"][i]),
                _str(reason[i]),
            )
        )
    rows.sort(key=lambda r: (r[0], r[1], r[2] or "", r[3] or "", r[4], r[5]))

    seen: set[HostKey] = set()
    skipped: list[SkippedHost] = []
    by_cluster: dict[ClusterKey, list[tuple[Any, ...]]] = {}
    for row in rows:
        vcenter, dc, cluster, cluster_moid, host, host_moid, das, eligible, why = row
        key = (vcenter, host_moid)
        if key in seen or not eligible or not (cluster or cluster_moid):
            skipped.append(
                SkippedHost(
                    vcenter=vcenter,
                    host=host,
                    host_moid=host_moid,
                    cluster=cluster,
                    cluster_moid=cluster_moid,
                    datacenter=dc or None,
                    das_state=das,
                    reason=DUPLICATE_REASON
                    if key in seen
                    else (why or ("not eligible" if not eligible else STANDALONE)),
                )
            )
            seen.add(key)
            continue
        seen.add(key)
        by_cluster.setdefault((vcenter, cluster_moid or cluster or ""), []).append(row)

    # round-robin over clusters (dict order = sorted order of the rows)
    queues = [list(reversed(members)) for members in by_cluster.values()]
    ordered: list[tuple[Any, ...]] = []
    while queues:
        still = []
        for q in queues:
            ordered.append(q.pop())
            if q:
                still.append(q)
        queues = still

    advice = _advice(diagnosis) if diagnosis is not None else {}
    flags = diagnosis is not None or flag_healthy
    launch = []
    for i, r in enumerate(ordered):
        cause, fixes = advice.get((r[0], r[5]), (None, None))
        launch.append(
            PlannedHost(
                vcenter=r[0],
                host=r[4],
                host_moid=r[5],
                cluster=r[2] or r[3],
                cluster_moid=r[3] or r[2],
                datacenter=r[1] or None,
                das_state=r[6],
                canary=i < limits.canary,
                attempt=attempt,
                order=i,
                cause=cause,
                reconfigure_fixes=fixes,
                flag=_flag(r[6], cause, fixes) if flags else None,
            )
        )
    return Plan(launch=tuple(launch), skipped=tuple(skipped), hosts=hosts, diagnosed=diagnosis is not None)
