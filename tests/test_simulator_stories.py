"""Root-cause stories over HTTP: every cause of the vocabulary has a scenario whose hosts ``diagnose`` assigns
that cause with the right scope — from what a vCenter shows (state, configIssue, HA history, settings) before a
run, and from the run's faults after one. The ground truth comes from the test-only ``/simulator/root-causes``."""

from __future__ import annotations

import httpx
import pytest

from vsphere_nb import BatchLimits, ConfigError, connect
from vsphere_nb.diagnosis import CAUSES
from vsphere_nb.simulator.scenarios import load_scenario
from vsphere_nb.simulator.stories import ISOLATION_ADDRESS, STORY_CAUSES

CLUSTER_WIDE = {"management-network", "isolation-address", "image-remediation"}
#: causes a vCenter's own view can show before anything is launched (the rest need a run's outcome)
NEEDS_RUN = {"agent-unhealthy-after-success"}


@pytest.fixture(scope="module")
def fleet():
    from vsphere_nb.simulator import Simulator

    with Simulator(
        clusters=6, hosts_per_cluster=8, scenario="root-causes", seed=1, task_seconds=2.0, time_scale=50.0
    ) as sim:
        truth = httpx.get(f"{sim.url}/simulator/root-causes", verify=False).json()["hosts"]
        with connect(sim.url, sim.user, sim.password) as vc:
            yield sim, vc, truth


def _by_moid(diagnosis):
    return {str(r.host_moid): r for r in diagnosis.hosts.itertuples()}


def test_the_scenario_covers_the_vocabulary(fleet):
    _, _, truth = fleet
    assert set(STORY_CAUSES) == set(CAUSES)
    assert {t["cause"] for t in truth.values()} == set(CAUSES)


def test_before_a_run_each_cause_is_diagnosed_from_what_vcenter_shows(fleet):
    sim, vc, truth = fleet
    diagnosis = vc.diagnose()
    got = _by_moid(diagnosis)
    for moid, t in truth.items():
        if t["cause"] in NEEDS_RUN:
            continue
        row = got.get(moid)
        assert row is not None, f"{t} not diagnosed"
        assert row.cause == t["cause"], (t, row.evidence)
        assert row.scope == ("cluster" if t["cause"] in CLUSTER_WIDE else "host"), (t, row.scope)
        assert row.evidence and row.reference.startswith("ha-troubleshooting")
    # only story hosts are unhealthy in this scenario (plus nothing invented)
    assert set(got) <= set(truth)
    mgmt = next(r for r in diagnosis.hosts.itertuples() if r.cause == "management-network")
    assert "7 of 8 hosts partitioned" in mgmt.next_step and "DC0_C0" in mgmt.next_step


def test_observables_agree_with_the_story(fleet):
    sim, vc, truth = fleet
    hosts = vc.hosts().set_index("host_moid")
    diagnostic = vc.hosts(diagnostics=True).set_index("host_moid")
    clusters = vc.clusters().set_index("cluster")
    history = vc.events(since="4d")
    assert history["created_time"].is_monotonic_increasing  # oldest first, though logged host by host
    for moid, t in truth.items():
        row = hosts.loc[moid]
        own = history[history["host_moid"].astype(str) == moid]
        if t["cause"] == "host-unreachable":
            assert row["connection_state"] == "notResponding"
            assert "host-failure" in set(own["category"].astype(str))
        if t["cause"] == "datastore-access":  # still mounted, none reachable, no heartbeat datastore left
            assert row["datastores"] and row["das_state"] == "uninitialized"
            assert diagnostic.loc[moid, "datastores_accessible"] == 0
            assert diagnostic.loc[moid, "heartbeat_datastores"] == 0
            assert "HeartbeatDatastoreNotSufficient" in " ".join(own["event_type_id"].astype(str))
        if t["cause"] == "isolation-address":
            assert row["das_state"] == "networkIsolated"
            pings = own[own["event_type_id"] == "HostIsolationIpPingFailedEvent"]
            assert len(pings) >= 3 and all(ISOLATION_ADDRESS in m for m in pings["message"])
            assert clusters.loc[t["cluster"], "isolation_addresses"] == ISOLATION_ADDRESS
        if t["cause"] == "management-network":
            assert row["das_state"] == "networkPartitionedFromMaster"
            assert "no management network redundancy" in row["config_issues"]
            assert "HostNoRedundantManagementNetworkEvent" in set(own["event_type_id"].astype(str))
        # the history is backdated over the last days, not all "now"
        if len(own):
            assert own["created_time"].min() < own["created_time"].max()
    # every HA cluster with story hosts still has a healthy primary
    for name in ("DC0_C0", "DC0_C1", "DC0_C2", "DC0_C3", "DC0_C4"):
        assert clusters.loc[name, "primary_host"] == f"{name}_H00"


def test_after_a_run_each_cause_is_diagnosed_from_the_faults(fleet):
    sim, vc, truth = fleet
    hosts = vc.hosts()
    targets = hosts[hosts["host_moid"].astype(str).isin(list(truth))]
    limits = BatchLimits(max_in_flight=32, per_cluster=8, post_check_timeout=3.0)
    run = vc.plan_reconfigure(targets, limits=limits).execute()
    diagnosis = vc.diagnose(run=run)
    got = _by_moid(diagnosis)
    for moid, t in truth.items():
        row = got.get(moid)
        assert row is not None, f"{t} not diagnosed after the run"
        assert row.cause == t["cause"], (t, row.evidence)
        assert row.scope == ("cluster" if t["cause"] in CLUSTER_WIDE else "host"), (t, row.scope)
    after_success = next(moid for moid, t in truth.items() if t["cause"] == "agent-unhealthy-after-success")
    assert any("outcome: agent_unhealthy" in e for e in got[after_success].evidence)


def test_unknown_root_causes_are_refused():
    with pytest.raises(ConfigError, match="unknown root cause 'gremlins'"):
        load_scenario({"name": "x", "rules": [{"match": {"host": "*"}, "root_cause": "gremlins"}]})


def test_a_rule_can_override_a_story_default():
    scenario = load_scenario(
        {"name": "x", "rules": [{"root_cause": "isolation-address", "reason": "DasNetworkMisconfiguration"}]}
    )
    rule = scenario.rules[0]
    assert rule.reason == "DasNetworkMisconfiguration"  # kept
    assert rule.host_error == "isolationAddressUnpingable" and rule.outcome == "error"  # from the story
    assert rule.events and rule.events[0].type == "HostIsolationIpPingFailedEvent"
