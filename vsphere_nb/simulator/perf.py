"""``PerformanceManager``: the counters a vCenter lists, what each entity provides, and samples of hosts.

The counters are a subset of a vCenter's table with vCenter's own keys, names, units, rollups and levels (as
captured from a vCenter in govmomi's simulator): CPU usage (%, MHz), memory usage, network receive / transmit
rates per physical NIC and uptime. Hosts answer real-time samples (every 20 s) and the historical intervals;
values are seeded per host, counter and timestamp around the host's quick stats, so a sample and
``summary.quickStats`` tell the same story. A host vCenter cannot reach has no samples; other entities have no
real-time statistics (``currentSupported`` false), as on a vCenter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .. import wire
from .clock import Clock

if TYPE_CHECKING:
    from .inventory import HostSystem
    from .model import ManagedObject

__all__ = [
    "Counter",
    "COUNTERS",
    "REALTIME_INTERVAL",
    "counter_infos",
    "provider_summary",
    "available_metrics",
    "query",
]

#: seconds between real-time samples
REALTIME_INTERVAL = 20
#: real-time samples a vCenter keeps (one hour)
REALTIME_SAMPLES = 180


@dataclass(frozen=True)
class Counter:
    key: int
    group: tuple[str, str]  # (key, label)
    name: tuple[str, str, str]  # (key, label, summary)
    unit: tuple[str, str, str]  # (key, label, summary)
    rollup: str
    stats: str
    level: int
    per_device_level: int
    per_nic: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.group[0]}.{self.name[0]}.{self.rollup}"


_CPU = ("cpu", "CPU")
_MEM = ("mem", "Memory")
_NET = ("net", "Network")
_SYS = ("sys", "System")
_PERCENT = ("percent", "%", "Percentage")
_KBPS = ("kiloBytesPerSecond", "KBps", "Kilobytes per second")

COUNTERS: tuple[Counter, ...] = (
    Counter(2, _CPU, ("usage", "Usage", "CPU usage as a percentage during the interval"), _PERCENT,
            "average", "rate", 1, 3),
    Counter(6, _CPU, ("usagemhz", "Usage in MHz", "CPU usage in megahertz during the interval"),
            ("megaHertz", "MHz", "Megahertz"), "average", "rate", 1, 3),
    Counter(24, _MEM, ("usage", "Usage", "Memory usage as percent of total configured or available memory"),
            _PERCENT, "average", "absolute", 1, 3),
    Counter(148, _NET, ("received", "Data receive rate", "Average rate at which data was received during the interval"),
            _KBPS, "average", "rate", 2, 3, per_nic=True),
    Counter(149, _NET, ("transmitted", "Data transmit rate",
                        "Average rate at which data was transmitted during the interval"),
            _KBPS, "average", "rate", 2, 3, per_nic=True),
    Counter(155, _SYS, ("uptime", "Uptime", "Total time elapsed, in seconds, since last system startup"),
            ("second", "s", "Second"), "latest", "absolute", 1, 3),
)  # fmt: skip
_BY_KEY = {c.key: c for c in COUNTERS}


def _element(key: str, label: str, summary: str) -> wire.ElementDescription:
    return wire.ElementDescription(key=key, label=label, summary=summary)


def counter_infos() -> list[wire.PerfCounterInfo]:
    return [
        wire.PerfCounterInfo(
            key=c.key,
            nameInfo=_element(*c.name),
            groupInfo=_element(c.group[0], c.group[1], c.group[1]),
            unitInfo=_element(*c.unit),
            rollupType=c.rollup,
            statsType=c.stats,
            level=c.level,
            perDeviceLevel=c.per_device_level,
        )
        for c in COUNTERS
    ]


def _is_host(obj: ManagedObject) -> bool:
    return obj.TYPE == "HostSystem"


def provider_summary(obj: ManagedObject) -> wire.PerfProviderSummary:
    """Hosts have real-time statistics (every 20 s); clusters, datacenters and the rest historical ones only."""
    host = _is_host(obj)
    return wire.PerfProviderSummary(
        entity=obj.ref, currentSupported=host, summarySupported=True, refreshRate=REALTIME_INTERVAL if host else -1
    )


def _nics(host: HostSystem) -> list[str]:
    return [p for uplinks in host.network().vswitches.values() for p in uplinks]


def available_metrics(obj: ManagedObject) -> list[wire.PerfMetricId]:
    if not _is_host(obj):
        return []
    host: HostSystem = obj  # type: ignore[assignment]
    out = []
    for c in COUNTERS:
        out.append(wire.PerfMetricId(counterId=c.key, instance=""))
        if c.per_nic:
            out += [wire.PerfMetricId(counterId=c.key, instance=nic) for nic in _nics(host)]
    return out


def _noise(seed: int, key: str) -> float:
    """A seeded number in [-1, 1)."""
    d = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=2).digest()
    return int.from_bytes(d, "big") / 32768.0 - 1.0


def _value(
    host: HostSystem, stats: wire.HostListSummaryQuickStats, counter: Counter, instance: str, when: datetime
) -> int:
    profile = host.hardware_profile()
    seed = host.ctx.seed
    wobble = _noise(seed, f"{host.moid}:{counter.key}:{instance}:{int(when.timestamp())}")
    if counter.key == 155:
        return int((when - host.boot_time).total_seconds()) if host.boot_time else 0
    if counter.key in (2, 6):
        total = profile.cpu_mhz * profile.cores
        mhz = max(0, int((stats.overallCpuUsage or 0) * (1 + 0.1 * wobble)))
        return mhz if counter.key == 6 else min(10000, mhz * 10000 // max(total, 1))  # hundredths of a percent
    if counter.key == 24:
        total_mb = profile.memory_gib * 1024
        return min(10000, max(0, int((stats.overallMemoryUsage or 0) * 10000 / total_mb * (1 + 0.02 * wobble))))
    if instance == "":  # the host's rate: the sum over its physical NICs
        return sum(_value(host, stats, counter, nic, when) for nic in _nics(host))
    base = 2000 if counter.key == 148 else 1500  # KBps per NIC
    return max(0, int(base * (1 + 0.5 * wobble)))


def _timestamps(spec: wire.PerfQuerySpec, interval: int, now: datetime) -> list[datetime]:
    end = min(spec.endTime or now, now)
    last = datetime.fromtimestamp(int(end.timestamp()) // interval * interval, tz=now.tzinfo)
    limit = spec.maxSample if spec.maxSample is not None else REALTIME_SAMPLES
    limit = max(1, min(limit, REALTIME_SAMPLES)) if spec.startTime is None else REALTIME_SAMPLES * 12
    out: list[datetime] = []
    when = last
    while len(out) < limit:
        if spec.startTime is not None and when <= spec.startTime:
            break
        out.append(when)
        when -= timedelta(seconds=interval)
    return list(reversed(out))


def query(obj: ManagedObject, spec: wire.PerfQuerySpec, intervals: list[int]) -> wire.PerfEntityMetric | None:
    """Samples of ``spec.metricId`` (every available one when unset) at ``spec.intervalId`` (20 s by default);
    ``None`` for an entity without statistics, or a host vCenter cannot reach."""
    if not _is_host(obj):
        return None
    host: HostSystem = obj  # type: ignore[assignment]
    if host.connection_state != "connected" or host.power_state != "poweredOn":
        return None
    interval = spec.intervalId or REALTIME_INTERVAL
    if interval != REALTIME_INTERVAL and interval not in intervals:
        raise ValueError(f"intervalId {interval} is not one of this vCenter's intervals")
    available = {(m.counterId, m.instance) for m in available_metrics(host)}
    wanted = [(m.counterId, m.instance) for m in spec.metricId] if spec.metricId else sorted(available)
    expanded: list[tuple[int, str]] = []
    for counter_id, instance in wanted:
        if instance == "*":
            expanded += sorted(p for p in available if p[0] == counter_id)
        elif (counter_id, instance) in available:
            expanded.append((counter_id, instance))
    times = _timestamps(spec, interval, Clock.now())
    stats = host.summary().quickStats or wire.HostListSummaryQuickStats()
    return wire.PerfEntityMetric(
        entity=host.ref,
        sampleInfo=[wire.PerfSampleInfo(timestamp=t, interval=interval) for t in times],
        value=[
            wire.PerfMetricIntSeries(
                id=wire.PerfMetricId(counterId=counter_id, instance=instance),
                value=[_value(host, stats, _BY_KEY[counter_id], instance, t) for t in times],
            )
            for counter_id, instance in expanded
        ],
    )
