"""The held-out case sets: ``holdout.yaml`` (the first held-out set), ``blind.yaml`` (the second, blind set) and
``blind2.yaml`` (the third, blind set: shared causes with one host apart, hosts in maintenance mode and in
HA-disabled clusters, attempts of several runs, agent-log-only evidence), cases written apart from the diagnosis's
rules and weights, from VMware's documentation, KB articles and public
agent-log captures. They tell whether the diagnosis generalises beyond the library it was tuned on. Same targets as
the library, for each set, through the pure ``diagnose()`` and end to end (simulators over HTTP): ≥ 95 % of failing
hosts right, ``high`` answers ≥ 98 % right, no healthy host given a cause. A failing assertion lists every miss with
its case, expected and given cause, confidence and evidence."""

from __future__ import annotations

from typing import Any

import pytest

from tests.diagnosis_cases.fleet import HERE, MESSY_KINDS, build_fleet, load_cases
from tests.diagnosis_cases.measure import answers, measure
from tests.diagnosis_cases.sim_fleet import diagnose_over_http
from tests.diagnosis_cases.sim_members import build_sim_fleet_with_members
from vsphere_nb.diagnosis import CAUSES
from vsphere_nb.vocabulary import OUTCOMES

SETS = {
    "holdout": load_cases(HERE / "holdout.yaml"),
    "blind": load_cases(HERE / "blind.yaml"),
    "blind2": load_cases(HERE / "blind2.yaml"),
}
# DasConfigFault.reason values of vSphere API 9.1 (VMware's API reference, DasConfigFaultDasConfigFaultReason)
DAS_CONFIG_FAULT_REASONS = {
    "HostNetworkMisconfiguration", "HostMisconfiguration", "InsufficientPrivileges", "NoPrimaryAgentAvailable",
    "Other", "NoDatastoresConfigured", "CreateConfigVvolFailed", "VSanNotSupportedOnHost",
    "DasNetworkMisconfiguration", "SetDesiredImageSpecFailed", "ApplyHAVibsOnClusterFailed",
}  # fmt: skip


def _catalogue_ids() -> set[str]:
    lines = (HERE / "vcenter_event_catalogue.tsv").read_text(encoding="utf-8").splitlines()
    return {line.split("\t")[0] for line in lines if line and not line.startswith("#")}


@pytest.mark.parametrize("name", sorted(SETS))
def test_held_out_set_is_large_messy_sourced_and_real(name: str) -> None:
    cases = SETS[name]
    assert len(cases) >= 45
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    others = [load_cases()] + [v for k, v in SETS.items() if k != name]
    assert not set(ids) & {c["id"] for other in others for c in other}  # no case shared with another set
    messy = [c for c in cases if c.get("messy")]
    assert len(messy) * 2 >= len(cases)
    assert {k for c in messy for k in c["messy"]} == MESSY_KINDS
    catalogue = _catalogue_ids()
    for case in cases:
        assert case.get("source"), case["id"]
        members = case.get("members") or []
        for one in [case, *members]:
            assert one["expect"] in set(CAUSES) | {"none"}, case["id"]
        for ev in [ev for one in [case, *members] for ev in one.get("events") or []] + (case.get("peers_events") or []):
            assert ev["type"] in catalogue, (case["id"], ev["type"])
        for att in [att for one in [case, *members] for att in one.get("attempts") or []]:
            assert att["outcome"] in OUTCOMES, (case["id"], att["outcome"])
            if att.get("fault_type") == "DasConfigFault":
                assert att.get("fault_reason") in DAS_CONFIG_FAULT_REASONS, (case["id"], att.get("fault_reason"))
    assert {"none", "unknown"} <= {c["expect"] for c in cases}


def test_das_config_fault_reasons_are_vmwares() -> None:
    """The reason list above against pyVmomi's type table (a test-only oracle)."""
    pytest.importorskip("pyVmomi")
    from pyVmomi import VmomiSupport

    assert set(VmomiSupport.GetVmodlType("vim.fault.DasConfigFault.DasConfigFaultReason").values) == (
        DAS_CONFIG_FAULT_REASONS
    )


@pytest.mark.parametrize("name", sorted(SETS))
def test_held_out_set_through_the_pure_diagnosis_meets_the_targets(name: str) -> None:
    fleet = build_fleet(SETS[name])
    d = fleet.diagnose()
    expected = {k: (fleet.case_of[k], v) for k, v in fleet.expected.items()}
    m = measure(expected, answers(d.hosts))
    assert m.meets_targets(), m.report()


@pytest.fixture(scope="module", params=sorted(SETS))
def e2e(request: pytest.FixtureRequest) -> Any:
    fleet = build_sim_fleet_with_members(SETS[request.param], time_scale=50.0)
    got: dict[Any, Any] = {}
    vcenters: dict[str, str] = {}
    for name, (vcenter, d, _) in diagnose_over_http(fleet).items():
        vcenters[name] = vcenter
        got.update(answers(d.hosts[d.hosts["vcenter"].astype(str) == vcenter], vcenter=name))
    return fleet, got, vcenters, SETS[request.param]


def test_held_out_set_over_http_meets_the_targets(e2e: Any) -> None:
    fleet, got, _, _ = e2e
    m = measure(fleet.expected, got)
    assert m.meets_targets(), m.report()


def test_held_out_twins_over_http_keep_their_own_vcenter(e2e: Any) -> None:
    fleet, got, vcenters, cases = e2e
    assert len(set(vcenters.values())) == 2
    twins = [c["id"] for c in cases if "same-names-two-vcenters" in (c.get("messy") or [])]
    keys = {k: v for k, v in fleet.expected.items() if v[0] in twins}
    moids_a = {k[1] for k in keys if k[0] == "vc-a.lab.local"}
    moids_b = {k[1] for k in keys if k[0] == "vc-b.lab.local"}
    assert moids_a & moids_b  # the same moIds in both vCenters, each diagnosed on its own
    for key, (case, _expect) in keys.items():
        assert key in got or fleet.expected[key][1] == "none", case
