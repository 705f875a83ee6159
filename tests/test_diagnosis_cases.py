"""The case library (tests/diagnosis_cases): every case through the pure diagnosis, and the measures the
diagnosis must meet on it (≥ 95 % right, `high` answers ≥ 98 % right, no healthy host given a cause)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import pytest

from tests.diagnosis_cases.fleet import MESSY_KINDS, NOW, build_fleet, load_cases
from vsphere_nb.diagnosis import CAUSES, diagnose

CASES = load_cases()


@pytest.fixture(scope="module")
def fleet() -> Any:
    return build_fleet(CASES)


@pytest.fixture(scope="module")
def result(fleet: Any) -> Any:
    return fleet.diagnose()


def _rows(result: Any) -> dict[tuple[str, str], Any]:
    return {(r.vcenter, r.host_moid): r for r in result.hosts.itertuples()}


def test_library_is_large_messy_and_well_formed() -> None:
    assert len(CASES) >= 60
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    messy = [c for c in CASES if c.get("messy")]
    assert len(messy) * 3 >= len(CASES)
    assert {k for c in messy for k in c["messy"]} == MESSY_KINDS
    for case in CASES:
        assert case["expect"] in set(CAUSES) | {"none"}, case["id"]
        assert case.get("source"), case["id"]
    # every cause of the vocabulary is exercised, "unknown" included
    assert set(CAUSES) <= {c["expect"] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_each_case_alone(case: dict[str, Any]) -> None:
    """One case as its own fleet: the expected cause for its failing hosts, nothing for its healthy ones."""
    fleet = build_fleet([case])
    d = fleet.diagnose()
    rows = _rows(d)
    for key, expected in fleet.expected.items():
        row = rows.get(key)
        got = row.cause if row is not None else "none"
        assert got == expected, (case["id"], key, row.evidence if row is not None else None)
        if row is not None and expected != "unknown":
            assert row.evidence and row.alternative


def test_library_as_one_fleet_meets_the_targets(fleet: Any, result: Any) -> None:
    rows = _rows(result)
    right = high = high_right = failing = 0
    healthy_given_cause = []
    for key, expected in fleet.expected.items():
        row = rows.get(key)
        got = row.cause if row is not None else "none"
        if expected == "none":
            if row is not None:
                healthy_given_cause.append((fleet.case_of[key], got))
            continue
        failing += 1
        right += got == expected
        if row is not None and row.confidence == "high":
            high += 1
            high_right += got == expected
    assert healthy_given_cause == []
    assert right / failing >= 0.95, (right, failing)
    assert high and high_right / high >= 0.98, (high_right, high)


def test_same_host_names_in_two_vcenters_keep_their_own_diagnosis(result: Any) -> None:
    twins = result.hosts[result.hosts["host"].astype(str) == "esx-twin-01"]
    assert sorted(twins["vcenter"].astype(str)) == ["vc-a.lab.local", "vc-b.lab.local"]
    by_vc = dict(zip(twins["vcenter"].astype(str), twins["cause"].astype(str)))
    assert by_vc == {"vc-a.lab.local": "isolation-address", "vc-b.lab.local": "certificate"}


def test_evidence_lists_every_source_and_marks_stale_and_shared_lines(result: Any, fleet: Any) -> None:
    rows = {fleet.case_of[k]: rows for k, rows in _rows(result).items()}
    iso = rows["iso-isolated-ping-failed"]
    # the state, the ping failures and the isolated event: all the evidence, not only the first rule's
    assert any("das_state: networkIsolated" in e for e in iso.evidence)
    assert any("HostIsolationIpPingFailedEvent" in e for e in iso.evidence)
    assert any("DasHostIsolatedEvent" in e for e in iso.evidence)
    stale = rows["messy-stale-isolation-now-partitioned"]
    assert stale.cause == "management-network"
    assert "isolation-address" in stale.alternative
    vib = rows["messy-cluster-heartbeat-warning-vib"]
    assert any("InstallationError" in e for e in vib.evidence)
    log = rows["log-no-space"]
    assert any(e.startswith("agent log: ") and "No space left" in e for e in log.evidence)
    note = rows["messy-log-unavailable"]
    assert note.cause == "unknown" and any("Global.Diagnostics" in e for e in note.evidence)


def test_confidence_is_lower_when_the_runner_up_is_close(result: Any, fleet: Any) -> None:
    rows = {fleet.case_of[k]: rows for k, rows in _rows(result).items()}
    assert rows["ds-fault-no-datastores"].confidence == "high"
    assert rows["messy-vsan-partition"].confidence != "high"  # management-network is close behind
    assert rows["messy-no-history"].confidence == "low"


def test_counts(result: Any) -> None:
    counts = Counter(result.hosts["cause"].astype(str))
    assert counts["unknown"] >= 5
    assert isinstance(result.hosts["support"].iloc[0], float) or pd.api.types.is_float_dtype(result.hosts["support"])


def test_detail_is_keyed_by_vcenter_and_moid(fleet: Any) -> None:
    from vsphere_nb import ConfigError

    faults = pd.DataFrame(
        [
            {"vcenter": "vc-a.lab.local", "host": "esx-twin-01", "host_moid": "host-77", "task_moid": "task-1000",
             "depth": 0, "fault_type": "DasConfigFault", "fault_reason": "HostNetworkMisconfiguration",
             "message": "isolation address not pingable", "output": ""},
            {"vcenter": "vc-b.lab.local", "host": "esx-twin-01", "host_moid": "host-77", "task_moid": "task-1000",
             "depth": 0, "fault_type": "DasConfigFault", "fault_reason": "Other",
             "message": "the host SSL certificate thumbprint does not match", "output": ""},
        ]
    )  # fmt: skip
    d = diagnose(
        fleet.hosts,
        run={"tasks": fleet.tasks, "faults": faults},
        events=fleet.events,
        clusters=fleet.clusters,
        now=NOW,
        logs=fleet.logs,
    )
    with pytest.raises(ConfigError, match="several vCenters"):
        d.detail("esx-twin-01")
    b = d.detail(("vc-b.lab.local", "host-77"))
    assert b["diagnosis"]["cause"] == "certificate" and b["diagnosis"]["vcenter"] == "vc-b.lab.local"
    assert b["cluster"]["vcenter"] == "vc-b.lab.local"
    assert list(b["fault_chain"]["fault_reason"]) == ["Other"]
    assert b["facts"]["vcenter"] == "vc-b.lab.local"
    a = d.detail("host-77", vcenter="vc-a.lab.local")
    assert list(a["fault_chain"]["fault_reason"]) == ["HostNetworkMisconfiguration"]
    assert a["cluster"]["isolation_response"] == "not set"  # a missing setting reads "not set", never nan


def test_history_and_run_events_keep_host_names_for_charts(fleet: Any) -> None:
    from vsphere_nb.diagnosis import charts

    run_events = fleet.events.iloc[:5].copy()
    run_events["source"] = "host_events"
    run_events["event_key"] = run_events["event_key"] + 10**7
    d = diagnose(fleet.hosts, run={"tasks": fleet.tasks, "events": run_events}, events=fleet.events, now=NOW)
    assert {"host", "cluster", "vcenter", "host_moid"} <= set(d.events.columns)
    keys = list(zip(d.hosts["vcenter"].astype(str), d.hosts["host_moid"].astype(str)))[:10]
    fig = charts.event_swimlane(d.events, hosts=keys)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels and all(label for label in labels)
