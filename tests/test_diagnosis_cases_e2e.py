"""The case library end to end: every case's observations loaded into simulators (one per vCenter of the
library), read over HTTP by the client (hosts, mounts and their accessibility, the heartbeat datastores per host
from ``RetrieveDasAdvancedRuntimeInfo``, clusters and their config issues, HA history, agent logs) and diagnosed
with the attempts as a run's saved tasks. Same targets as the pure run: ≥ 95 % right, `high` answers ≥ 98 % right, no
healthy host given a cause, and the two vCenters' same-named hosts kept apart."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tests.diagnosis_cases.fleet import DEFAULT_VCENTER, load_cases
from tests.diagnosis_cases.sim_fleet import build_sim_fleet, diagnose_over_http


@pytest.fixture(scope="module")
def e2e() -> Any:
    fleet = build_sim_fleet(time_scale=50.0)
    out = diagnose_over_http(fleet, read=lambda vc: (vc.hosts(diagnostics=True), vc.clusters()))
    results = {name: (o.vcenter, o.diagnosis) for name, o in out.items()}
    served = {name: o.read for name, o in out.items()}
    return fleet, results, served


def test_library_over_http_meets_the_targets(e2e: Any) -> None:
    fleet, results, _served = e2e
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
    fleet, results, _served = e2e
    a_vc, a = results["vc-a.lab.local"]
    b_vc, b = results["vc-b.lab.local"]
    assert a_vc != b_vc
    both = pd.concat([a.hosts, b.hosts])
    name = "DC0_C0_H00"
    mine = both[both["host"].astype(str) == name]
    assert sorted(mine["cause"].astype(str)) == ["certificate", "isolation-address"]
    assert set(mine["host_moid"].astype(str)) == {mine["host_moid"].astype(str).iloc[0]}  # same moId too


def test_agent_log_lines_arrive_as_evidence(e2e: Any) -> None:
    fleet, results, _served = e2e
    _vc, d = results["vc-a.lab.local"]
    logged = [e for ev in d.hosts["evidence"] for e in ev if e.startswith("agent log: ")]
    assert any("No space left on device" in e for e in logged)
    assert any("isolation address" in e for e in logged)


def _case_rows(fleet: Any, served: Any, case_id: str) -> tuple[dict[str, Any], pd.DataFrame, pd.Series]:
    """The case, the served hosts frame rows of its failing hosts, and its cluster's served row."""
    case = next(c for c in load_cases() if c["id"] == case_id)
    vc_name = case.get("vcenter", DEFAULT_VCENTER)
    hosts, clusters = served[vc_name]
    failing = {moid for _vc, moid in fleet.case_hosts[case_id]}
    rows = hosts[hosts["host_moid"].astype(str).isin(failing)]
    (cluster,) = set(rows["cluster"].astype(str))
    return case, rows, clusters[clusters["cluster"].astype(str) == cluster].iloc[0]


def test_mounts_heartbeat_datastores_and_cluster_issues_arrive_as_the_cases_give_them(e2e: Any) -> None:
    """Per case, what the client read over HTTP is what the library says (a cluster here has two shared
    datastores: counts above two read as two)."""
    fleet, _results, served = e2e
    checked = {"accessible": 0, "heartbeat": 0, "cluster_issues": 0}
    for case in load_cases():
        _case, rows, cluster = _case_rows(fleet, served, case["id"])
        spec = {"datastores": 3, "datastores_accessible": None, "heartbeat_datastores": 2, **(case.get("host") or {})}
        mounted = min(int(spec["datastores"]), 2)
        accessible = mounted if spec["datastores_accessible"] is None else min(int(spec["datastores_accessible"]), 2)
        if spec.get("connection_state", "connected") != "connected":
            accessible = 0  # vCenter shows the mounts of a host it cannot reach as inaccessible
        for row in rows.itertuples():
            assert len([d for d in str(row.datastores or "").split(",") if d.strip()]) == mounted, case["id"]
            assert row.datastores_accessible == accessible, (case["id"], row.datastores_accessible)
            if spec.get("das_state") in ("master", "connectedToMaster"):  # a cluster without unhealthy host is
                assert pd.isna(row.heartbeat_datastores), case["id"]  # not asked (nothing there to diagnose)
            else:
                assert row.heartbeat_datastores == min(int(spec["heartbeat_datastores"]), 2), case["id"]
        checked["accessible"] += accessible < mounted
        checked["heartbeat"] += int(spec["heartbeat_datastores"]) < 2
        issues = (case.get("cluster") or {}).get("config_issues") or []
        assert str(cluster["config_issues"] or "") == "; ".join(issues), case["id"]
        checked["cluster_issues"] += bool(issues)
        preferred = (case.get("cluster") or {}).get("heartbeat_datastores", "ds-shared-01, ds-shared-02")
        assert cluster["heartbeat_datastore_count"] == len([p for p in preferred.split(",") if p.strip()])
    # the library exercises each: mounts that are there but unreachable, hosts short of heartbeat datastores,
    # clusters with their own config issue
    assert all(checked.values()), checked


def test_a_case_resting_on_unreachable_mounts_shows_that_evidence_after_http(e2e: Any) -> None:
    """``ds-all-inaccessible``: the host still mounts its datastores, reaches none of them and the primary has no
    heartbeat datastore for it — facts only the per-host mount state and RetrieveDasAdvancedRuntimeInfo carry."""
    fleet, results, served = e2e
    _case, rows, _cluster = _case_rows(fleet, served, "ds-all-inaccessible")
    (row,) = rows.itertuples()
    assert row.datastores and row.datastores_accessible == 0 and row.heartbeat_datastores == 0
    vcenter, d = results[DEFAULT_VCENTER]
    got = d.hosts[(d.hosts["vcenter"].astype(str) == vcenter) & (d.hosts["host_moid"].astype(str) == row.host_moid)]
    assert str(got["cause"].iloc[0]) == "datastore-access"
    evidence = list(got["evidence"].iloc[0])
    assert "datastores_accessible: 0" in evidence and "heartbeat_datastores: 0" in evidence, evidence


def test_a_case_short_of_heartbeat_datastores_shows_the_count_after_http(e2e: Any) -> None:
    """``ds-fault-no-datastores``: one datastore reachable, none chosen for heartbeating by the primary."""
    fleet, results, served = e2e
    _case, rows, _cluster = _case_rows(fleet, served, "ds-fault-no-datastores")
    (row,) = rows.itertuples()
    assert row.datastores_accessible == 1 and row.heartbeat_datastores == 0
    vcenter, d = results[DEFAULT_VCENTER]
    got = d.hosts[(d.hosts["vcenter"].astype(str) == vcenter) & (d.hosts["host_moid"].astype(str) == row.host_moid)]
    assert "heartbeat_datastores: 0" in list(got["evidence"].iloc[0])
