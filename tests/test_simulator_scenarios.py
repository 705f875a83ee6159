"""Scenarios: built-ins load, files (YAML and JSON) validate with clear errors, fleets are seeded."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from vsphere_nb import ConfigError
from vsphere_nb.simulator import BUILTIN_SCENARIOS, Simulator, load_scenario
from vsphere_nb.simulator.scenarios import seeded_fraction


@pytest.mark.parametrize("name", BUILTIN_SCENARIOS)
def test_builtin_scenarios_load(name):
    scenario = load_scenario(name)
    assert scenario.name == name and scenario.description


def test_mixed_failure_shares_follow_the_reference():
    rules = load_scenario("mixed").rules
    share = Counter()
    for rule in rules:
        if rule.outcome == "error" and rule.times is None and rule.match.fraction is not None:  # the seeded share
            share[rule.reason] += rule.match.fraction
    network = share["HostNetworkMisconfiguration"] + share["DasNetworkMisconfiguration"]
    assert network == max(network, *share.values())  # management network problems come first
    assert 0.2 < sum(share.values()) < 0.3
    assert {
        "NoDatastoresConfigured",
        "HostMisconfiguration",
        "SetDesiredImageSpecFailed",
        "ApplyHAVibsOnClusterFailed",
        "Other",
        "VSanNotSupportedOnHost",
    } <= set(share)


def test_yaml_and_json_files(tmp_path):
    doc = {
        "name": "mine",
        "mode": "vcenter",
        "task_seconds": 5,
        "fleet": {"maintenance": 0.5, "initial_das_state": {"initializationError": 1.0}},
        "rules": [
            {
                "match": {"cluster": "*_C1", "fraction": 0.5},
                "outcome": "error",
                "reason": "Other",
                "times": 2,
                "duration": 3,
            }
        ],
    }
    (tmp_path / "s.json").write_text(json.dumps(doc))
    (tmp_path / "s.yaml").write_text("name: mine\nrules:\n  - {outcome: error, reason: Other}\n")
    assert load_scenario(tmp_path / "s.json").rules[0].band == (0.0, 0.5)
    assert load_scenario(str(tmp_path / "s.yaml")).rules[0].reason == "Other"
    sim = Simulator(scenario=str(tmp_path / "s.json"), clusters=2, hosts_per_cluster=10, standalone_hosts=0)
    try:
        assert sim.vc.task_seconds == 5
        hosts = sim.inventory.hosts
        assert 0 < sum(h.in_maintenance for h in hosts) < len(hosts)
        assert {h.das_state for h in hosts if not h.in_maintenance} <= {"master", "initializationError"}
    finally:
        sim.stop()


@pytest.mark.parametrize(
    "content,message",
    [
        ("rules: [{outcome: explode}]", "outcome"),
        ("rules: [{match: {fraction: 0.7}}, {match: {fraction: 0.7}}]", "add up"),
        ("rules: [{das_state: sleepy}]", "dasHostState"),
        ("rules: [{events: [{type: NoSuchEvent}]}]", "unknown event type"),
        ("fleet: {product_versions: {'6.5.0': 1}}", "ESXi version"),
        ("rules: [{unknown_key: 1}]", "unknown_key"),
        ("- just a list", "mapping"),
        ("name: [unclosed", "cannot read"),
    ],
)
def test_bad_files_give_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert message in str(info.value)


def test_unknown_scenario_name():
    with pytest.raises(ConfigError, match="unknown scenario"):
        load_scenario("chaos-monkey")


def test_seeded_fleet_is_deterministic():
    def fleet(seed):
        sim = Simulator(scenario="mixed", seed=seed, clusters=5, hosts_per_cluster=20)
        try:
            return [
                (h.moid, h.name, h.das_state, h.connection_state, h.in_maintenance, h.product.version)
                for h in sim.inventory.hosts
            ]
        finally:
            sim.stop()

    assert fleet(1) == fleet(1)
    assert fleet(1) != fleet(2)
    assert 0 <= seeded_fraction(1, "x", "host-1") < 1


def test_one_cluster_in_five_without_ha():
    sim = Simulator(scenario="mixed", clusters=10, hosts_per_cluster=1, standalone_hosts=0)
    try:
        off = [c.name for c in sim.inventory.clusters() if not c.ha_enabled]
        assert off == ["DC0_C3", "DC0_C8"]
        assert all(h.das_state is None for c in sim.inventory.clusters() if not c.ha_enabled for h in c.hosts)
    finally:
        sim.stop()
    small = Simulator(scenario="mixed", clusters=3)
    try:
        assert all(c.ha_enabled for c in small.inventory.clusters())
    finally:
        small.stop()


def test_bad_simulator_arguments():
    for kwargs in (
        {"clusters": -1},
        {"time_scale": 0},
        {"mode": "cloud"},
        {"version": "6.0"},
        {"drop_rate": 2.0},
        {"empty_answer_status": 404},
        {"host_name_style": "x"},
    ):
        with pytest.raises(ConfigError):
            Simulator(**kwargs)
