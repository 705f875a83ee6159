"""The case library end to end: every case's observations loaded into simulators (one per vCenter of the
library), read over HTTP by the client (hosts, clusters, HA history, agent logs) and diagnosed with the
attempts as a run's saved tasks. Same targets as the pure run: ≥ 95 % right, `high` answers ≥ 98 % right, no
healthy host given a cause, and the two vCenters' same-named hosts kept apart."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tests.diagnosis_cases.sim_fleet import build_sim_fleet
from vsphere_nb import connect


@pytest.fixture(scope="module")
def e2e() -> Any:
    fleet = build_sim_fleet(time_scale=50.0)
    results: dict[str, Any] = {}
    for sim in fleet.sims.values():
        sim.start()
    try:
        for name, sim in fleet.sims.items():
            with connect(sim.url, sim.user, sim.password) as vc:
                tasks = fleet.tasks[name].copy()
                tasks["vcenter"] = vc.vcenter
                results[name] = (vc.vcenter, vc.diagnose(run={"tasks": tasks} if len(tasks) else None))
    finally:
        for sim in fleet.sims.values():
            sim.stop()
    return fleet, results


def test_library_over_http_meets_the_targets(e2e: Any) -> None:
    fleet, results = e2e
    right = failing = high = high_right = 0
    wrong, healthy_with_cause = [], []
    for (vc_name, moid), (case, expect) in fleet.expected.items():
        vcenter, d = results[vc_name]
        rows = d.hosts[(d.hosts["vcenter"].astype(str) == vcenter) & (d.hosts["host_moid"].astype(str) == moid)]
        got = str(rows["cause"].iloc[0]) if len(rows) else "none"
        if expect == "none":
            if got != "none":
                healthy_with_cause.append((case, moid, got))
            continue
        failing += 1
        right += got == expect
        if got != expect:
            wrong.append((case, expect, got, list(rows["evidence"].iloc[0]) if len(rows) else None))
        if len(rows) and str(rows["confidence"].iloc[0]) == "high":
            high += 1
            high_right += got == expect
    assert healthy_with_cause == []
    assert right / failing >= 0.95, wrong
    assert high and high_right / high >= 0.98, wrong


def test_two_vcenters_same_names_apart(e2e: Any) -> None:
    fleet, results = e2e
    a_vc, a = results["vc-a.lab.local"]
    b_vc, b = results["vc-b.lab.local"]
    assert a_vc != b_vc
    both = pd.concat([a.hosts, b.hosts])
    name = "DC0_C0_H00"
    mine = both[both["host"].astype(str) == name]
    assert sorted(mine["cause"].astype(str)) == ["certificate", "isolation-address"]
    assert set(mine["host_moid"].astype(str)) == {mine["host_moid"].astype(str).iloc[0]}  # same moId too


def test_agent_log_lines_arrive_as_evidence(e2e: Any) -> None:
    fleet, results = e2e
    _vc, d = results["vc-a.lab.local"]
    logged = [e for ev in d.hosts["evidence"] for e in ev if e.startswith("agent log: ")]
    assert any("No space left on device" in e for e in logged)
    assert any("isolation address" in e for e in logged)
