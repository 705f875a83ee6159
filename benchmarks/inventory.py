"""Inventory: the hosts table of 1,000 and 10,000 hosts — requests and wall time, vs one GET per host per property.

vsphere-nb: ``Client.hosts()`` — one ``ContainerView`` and one paged ``RetrievePropertiesEx`` (reference §8).
Baseline: :func:`benchmarks.baselines.per_host_inventory`, sequential (a plain script) and with 16 requests in
flight (a tuned one). At sizes above ``baseline_limit`` hosts the baseline runs on the first ``baseline_limit``
hosts and is scaled linearly (requests and time both grow with hosts; labelled "extrapolated"). The baseline's
table is checked to be the same as vsphere-nb's for the hosts it read.

Targets (issue 6): 10,000 hosts in ≤ 15 requests, ≥ 20× fewer requests and ≥ 5× less time than the baseline.
"""

from __future__ import annotations

import statistics
from typing import Any

import pandas as pd

from .baselines import per_host_inventory
from .common import SimProcess, Timer, ratio

__all__ = ["run", "same_rows"]

HOSTS_PER_CLUSTER = 40


def same_rows(ours: pd.DataFrame, theirs: pd.DataFrame) -> bool:
    """Whether ``theirs`` has exactly ``ours``' rows for the same hosts (values compared, not dtypes)."""
    sub = ours[ours["host_moid"].astype(str).isin(set(theirs["host_moid"].astype(str)))]
    a = sub.sort_values("host_moid").reset_index(drop=True).astype(object).where(lambda f: f.notna(), None)
    b = theirs.sort_values("host_moid").reset_index(drop=True).astype(object).where(lambda f: f.notna(), None)
    return len(a) == len(b) == len(theirs) and a.equals(b)


def _measure_ours(vc: Any, repeats: int) -> dict[str, Any]:
    times, requests, rows = [], [], 0
    for _ in range(repeats):
        before = vc.stats.requests
        with Timer() as t:
            frame = vc.hosts()
        times.append(t.seconds)
        requests.append(vc.stats.requests - before)
        rows = len(frame)
    return {
        "seconds": statistics.median(times),
        "all_seconds": times,
        "requests": max(requests),
        "rows": rows,
        "frame": frame,
    }


def _measure_baseline(vc: Any, limit: int, concurrency: int) -> dict[str, Any]:
    before = vc.stats.requests
    with Timer() as t:
        frame = vc.run(per_host_inventory(vc.aio, limit=limit, concurrency=concurrency))
    return {"seconds": t.seconds, "requests": vc.stats.requests - before, "rows": len(frame), "frame": frame}


def run_size(hosts: int, *, baseline_limit: int, repeats: int, concurrency: int = 16) -> dict[str, Any]:
    clusters = max(1, hosts // HOSTS_PER_CLUSTER)
    per_cluster = hosts // clusters
    with (
        SimProcess.of(
            clusters=clusters, hosts_per_cluster=per_cluster, standalone_hosts=0, scenario="mixed", seed=1
        ) as sim,
        sim.connect() as vc,
    ):
        total = clusters * per_cluster
        vc.run(per_host_inventory(vc.aio, limit=3))  # warm both code paths (imports, first connections)
        vc.hosts()
        ours = _measure_ours(vc, repeats)
        limit = min(total, baseline_limit)
        seq = _measure_baseline(vc, limit, 1)
        conc = _measure_baseline(vc, limit, concurrency)
    scale = total / limit
    equivalent = same_rows(ours["frame"], seq["frame"]) and same_rows(ours["frame"], conc["frame"])
    base_req = seq["requests"] * scale
    base_s = seq["seconds"] * scale
    conc_s = conc["seconds"] * scale
    return {
        "hosts": total,
        "clusters": clusters,
        "ours": {
            "requests": ours["requests"],
            "seconds": ours["seconds"],
            "all_seconds": ours["all_seconds"],
            "rows": ours["rows"],
        },
        "baseline_sequential": {
            "requests": base_req,
            "seconds": base_s,
            "measured_hosts": limit,
            "measured_requests": seq["requests"],
            "measured_seconds": seq["seconds"],
            "extrapolated": scale > 1,
        },
        "baseline_concurrent": {
            "requests": conc["requests"] * scale,
            "seconds": conc_s,
            "concurrency": concurrency,
            "measured_hosts": limit,
            "measured_seconds": conc["seconds"],
            "extrapolated": scale > 1,
        },
        "baseline_same_table": bool(equivalent),
        "fewer_requests": ratio(base_req, ours["requests"]),
        "less_time": ratio(base_s, ours["seconds"]),
        "less_time_vs_concurrent": ratio(conc_s, ours["seconds"]),
    }


def run(sizes: tuple[int, ...] = (1000, 10_000), *, baseline_limit: int = 1000, repeats: int = 3) -> dict[str, Any]:
    results = [run_size(n, baseline_limit=baseline_limit, repeats=repeats) for n in sizes]
    largest = results[-1]
    targets = []
    if largest["hosts"] >= 10_000:
        targets = [
            {
                "name": "requests for 10,000 hosts",
                "target": "≤ 15",
                "value": largest["ours"]["requests"],
                "met": largest["ours"]["requests"] <= 15,
            },
            {
                "name": "fewer requests than per-host GETs",
                "target": "≥ 20×",
                "value": largest["fewer_requests"],
                "met": (largest["fewer_requests"] or 0) >= 20,
            },
            {
                "name": "less time than per-host GETs (sequential)",
                "target": "≥ 5×",
                "value": largest["less_time"],
                "met": (largest["less_time"] or 0) >= 5,
            },
        ]
    return {
        "name": "inventory",
        "sizes": results,
        "targets": targets,
        "equivalent": all(r["baseline_same_table"] for r in results),
    }
