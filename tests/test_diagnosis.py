"""Diagnosis over frames, without a server: causes, scope, confidence, evidence, rule files, HTML, save/load."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from vsphere_nb import ConfigError, diagnose, load_diagnosis
from vsphere_nb.batch.frames import coerce, hosts_frame
from vsphere_nb.diagnosis import CAUSES, builtin_rules, load_rules, scope_of

NOW = pd.Timestamp("2026-12-05T04:00:00Z")


def host(name: str, cluster: str = "C1", das: str | None = "initializationError", **kw: Any) -> dict[str, Any]:
    row = {
        "vcenter": "vc1",
        "datacenter": "DC0",
        "cluster": cluster,
        "cluster_moid": f"domain-{cluster}",
        "host": name,
        "host_moid": f"host-{name}",
        "connection_state": "connected",
        "power_state": "poweredOn",
        "in_maintenance": False,
        "ha_enabled": True,
        "das_state": das,
        "datastores": "ds1, ds2",
        "config_issues": "",
    }
    row.update(kw)
    return row


def hosts_of(*rows: dict[str, Any]) -> pd.DataFrame:
    return hosts_frame(list(rows))


def task(name: str, attempt: int = 1, outcome: str = "fault", **kw: Any) -> dict[str, Any]:
    row = {
        "run_id": "r1",
        "vcenter": "vc1",
        "cluster": "C1",
        "host": name,
        "host_moid": f"host-{name}",
        "attempt": attempt,
        "outcome": outcome,
        "fault_type": "DasConfigFault" if outcome == "fault" else None,
        "canary": False,
    }
    row.update(kw)
    return row


def run_of(*tasks: dict[str, Any], events: list[dict[str, Any]] | None = None) -> dict[str, pd.DataFrame]:
    return {
        "tasks": coerce(pd.DataFrame(list(tasks)), "tasks"),
        "events": coerce(pd.DataFrame(events or []), "events"),
    }


def event(name: str, type_id: str, when: str = "2026-12-05T03:00:00Z", message: str = "", **kw: Any) -> dict:
    row = {
        "vcenter": "vc1",
        "cluster": "C1",
        "host": name,
        "host_moid": f"host-{name}",
        "source": "history",
        "event_key": kw.pop("key", None),
        "event_type": "EventEx" if "." in type_id else type_id,
        "event_type_id": type_id,
        "created_time": when,
        "severity": "warning",
        "message": message or type_id,
    }
    row.update(kw)
    return row


def events_of(*rows: dict[str, Any]) -> pd.DataFrame:
    return coerce(pd.DataFrame(list(rows)), "events")


def cause_of(d: Any, name: str) -> str:
    row = d.hosts[d.hosts["host"].astype(str) == name]
    assert len(row) == 1, d.hosts
    return str(row["cause"].iloc[0])


# --- one case per cause ----------------------------------------------------------------------------------------
CASES: dict[str, dict[str, Any]] = {
    "management-network": {"host": {"das": "networkPartitionedFromMaster"}},
    "isolation-address": {
        "task": {
            "fault_reason": "HostNetworkMisconfiguration",
            "fault_output": "[fdm] Isolation address 10.1.1.1 is not pingable",
        }
    },
    "datastore-access": {"task": {"fault_reason": "NoDatastoresConfigured"}},
    "agent-install": {
        "task": {
            "fault_reason": "HostMisconfiguration",
            "fault_output": "ERROR: Not enough space on /tmp\nreboot required",
        }
    },
    "image-remediation": {"task": {"fault_reason": "SetDesiredImageSpecFailed"}},
    "election": {"host": {"das": "election"}},
    "certificate": {
        "task": {"fault_reason": "Other", "fault_message": "the host SSL certificate thumbprint does not match"}
    },
    "permissions": {"task": {"fault_type": "NoPermission", "outcome": "launch_failed"}},
    "host-unreachable": {"host": {"das": "fdmUnreachable", "connection_state": "notResponding"}},
    "vsan-network": {"task": {"fault_reason": "VSanNotSupportedOnHost"}},
    "timeout": {"task": {"fault_reason": "Other", "fault_output": "[vpxd] Timed out waiting for the vSphere HA agent"}},
    "agent-unhealthy-after-success": {"host": {"das": "uninitialized"}, "task": {"outcome": "agent_unhealthy"}},
    "unknown": {"host": {"das": "initializationError"}},
}


def test_every_cause_has_a_case():
    assert set(CASES) == set(CAUSES)


@pytest.mark.parametrize("cause", list(CASES))
def test_each_cause_is_recognised(cause: str):
    case = CASES[cause]
    h = dict(case.get("host", {}))
    das = h.pop("das", "initializationError")
    hosts = hosts_of(host("H1", das=das, **h), host("H2", das="master"))
    run = None
    if "task" in case:
        t = dict(case["task"])
        outcome = t.pop("outcome", "fault")
        run = run_of(task("H1", outcome=outcome, **t))
    d = diagnose(hosts, run=run, now=NOW)
    assert list(d.hosts["host"].astype(str)) == ["H1"]  # the healthy master is not diagnosed
    assert cause_of(d, "H1") == cause
    row = d.hosts.iloc[0]
    assert row["scope"] == "host"
    assert row["next_step"] and "{" not in row["next_step"]
    assert row["reference"].startswith("ha-troubleshooting")
    assert row["evidence"]


def test_evidence_names_the_matching_output_line():
    hosts = hosts_of(host("H1"))
    out = "[fdm-installer] Installing VIB\n[fdm-installer] ERROR: Not enough space on /tmp\n[fdm] done"
    d = diagnose(hosts, run=run_of(task("H1", fault_reason="HostMisconfiguration", fault_output=out)), now=NOW)
    evidence = d.hosts.iloc[0]["evidence"]
    assert any("Not enough space on /tmp" in e and "Installing" not in e for e in evidence)


# --- scope -----------------------------------------------------------------------------------------------------
def test_many_hosts_of_one_cluster_with_one_cause_is_cluster_scope():
    rows = [host(f"A{i}", "C2", das="networkPartitionedFromMaster") for i in range(11)]
    rows.append(host("A11", "C2", das="master"))
    rows.append(host("B0", "C3", das="networkPartitionedFromMaster"))
    rows += [host(f"B{i}", "C3", das="connectedToMaster") for i in range(1, 8)]
    d = diagnose(hosts_of(*rows), now=NOW)
    c2 = d.hosts[d.hosts["cluster"] == "C2"]
    assert set(c2["scope"]) == {"cluster"} and set(c2["cause"]) == {"management-network"}
    assert "11 of 12 hosts partitioned" in c2.iloc[0]["next_step"]
    assert "C2" in c2.iloc[0]["next_step"]
    b0 = d.hosts[d.hosts["host"] == "B0"].iloc[0]
    assert b0["scope"] == "host"
    summary = d.summary
    assert summary.iloc[0]["cause"] == "management-network" and summary.iloc[0]["hosts"] == 12
    assert summary.iloc[0]["scope"] == "mixed" and summary.iloc[0]["clusters"] == 2


@pytest.mark.parametrize(
    ("count", "size", "scope"), [(1, 8, "host"), (2, 4, "cluster"), (2, 8, "host"), (3, 10, "cluster"), (3, 12, "host")]
)
def test_scope_thresholds(count: int, size: int, scope: str):
    assert scope_of(count, size) == scope


# --- attempts --------------------------------------------------------------------------------------------------
def test_one_no_primary_failure_is_an_election():
    d = diagnose(hosts_of(host("H1")), run=run_of(task("H1", fault_reason="NoPrimaryAgentAvailable")), now=NOW)
    assert cause_of(d, "H1") == "election"
    assert d.hosts.iloc[0]["confidence"] == "medium"


def test_two_attempts_failing_alike_rule_out_election_and_raise_confidence():
    run = run_of(
        task("H1", 1, fault_reason="NoPrimaryAgentAvailable"), task("H1", 2, fault_reason="NoPrimaryAgentAvailable")
    )
    d = diagnose(hosts_of(host("H1")), run=run, now=NOW)
    assert cause_of(d, "H1") == "management-network"
    assert d.hosts.iloc[0]["confidence"] == "high"
    assert any("2 failed the same way" in e for e in d.hosts.iloc[0]["evidence"])
    same = run_of(
        task("H1", 1, fault_reason="HostMisconfiguration"), task("H1", 2, fault_reason="HostMisconfiguration")
    )
    d2 = diagnose(hosts_of(host("H1")), run=same, now=NOW)
    assert cause_of(d2, "H1") == "agent-install" and d2.hosts.iloc[0]["confidence"] == "high"


def test_success_then_unhealthy_agent_is_its_own_cause():
    d = diagnose(hosts_of(host("H1", das="uninitialized")), run=run_of(task("H1", outcome="success")), now=NOW)
    assert cause_of(d, "H1") == "agent-unhealthy-after-success"


def test_a_failed_host_is_diagnosed_even_if_it_looks_healthy_now_and_healthy_ones_are_not():
    hosts = hosts_of(host("H1", das="connectedToMaster"), host("H2", das="connectedToMaster"))
    d = diagnose(hosts, run=run_of(task("H1", fault_reason="VSanNotSupportedOnHost"), task("H2", outcome="success")))
    assert list(d.hosts["host"].astype(str)) == ["H1"]


def test_maintenance_and_ha_disabled_hosts_are_left_out():
    hosts = hosts_of(host("H1", in_maintenance=True), host("H2", ha_enabled=False, das=None), host("H3"))
    assert list(diagnose(hosts, now=NOW).hosts["host"].astype(str)) == ["H3"]


# --- history ---------------------------------------------------------------------------------------------------
def test_history_events_explain_a_host_without_a_run():
    hosts = hosts_of(host("H1"), host("H2"))
    events = events_of(
        event("H1", "HostIsolationIpPingFailedEvent", message="could not reach isolation address: 10.9.9.9"),
        event("H2", "HostNoRedundantManagementNetworkEvent", message="no management network redundancy"),
    )
    d = diagnose(hosts, events=events, now=NOW)
    assert cause_of(d, "H1") == "isolation-address"
    assert cause_of(d, "H2") == "management-network"
    ev = d.hosts[d.hosts["host"] == "H2"].iloc[0]["evidence"]
    assert any("HostNoRedundantManagementNetworkEvent ×1" in e and "2026-12-05 03:00" in e for e in ev)


def test_event_windows_are_respected(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text(
        "rules:\n"
        "  - id: recent-failure\n"
        "    cause: host-unreachable\n"
        "    when: {events: {types: [DasHostFailedEvent], within: 2h}}\n"
        "    next_step: look at {host}\n"
    )
    old = events_of(event("H1", "DasHostFailedEvent", when="2026-12-04T20:00:00Z"))
    new = events_of(event("H1", "DasHostFailedEvent", when="2026-12-05T03:30:00Z"))
    assert cause_of(diagnose(hosts_of(host("H1")), events=old, rules=site, now=NOW), "H1") == "unknown"
    d = diagnose(hosts_of(host("H1")), events=new, rules=site, now=NOW)
    assert cause_of(d, "H1") == "host-unreachable" and d.hosts.iloc[0]["next_step"] == "look at H1"


def _cluster(**kw: Any) -> pd.DataFrame:
    row = {"vcenter": "vc1", "cluster": "C1", "cluster_moid": "domain-C1", "hosts": 4, "config_issues": ""}
    row.update(kw)
    return pd.DataFrame([row])


def test_a_partition_in_a_vsan_cluster_is_on_the_vsan_network_and_elsewhere_on_the_management_network():
    pings = events_of(
        event(
            "H1",
            "com.vmware.vc.HA.NotAllHostAddrsPingable",
            message="cannot reach 192.168.77.11",
            when="2026-12-05T02:00:00Z",
        )
    )
    hosts = hosts_of(host("H1", das="networkPartitionedFromMaster"))
    on_vsan = diagnose(hosts, events=pings, clusters=_cluster(vsan_enabled=True), now=NOW)
    assert cause_of(on_vsan, "H1") == "vsan-network"
    assert cause_of(diagnose(hosts, events=pings, clusters=_cluster(vsan_enabled=False), now=NOW), "H1") == (
        "management-network"
    )
    # vSAN not known (no cluster frame): the `unless` does not hold, the management-network rules still fire
    assert cause_of(diagnose(hosts, events=pings, now=NOW), "H1") == "management-network"


def test_events_shortly_before_the_state_change_count_in_full_and_older_ones_as_an_earlier_episode():
    changed = pd.Timestamp("2026-12-05T02:00:00Z")  # two hours before NOW
    hosts = hosts_of(host("H1", state_changed_at=changed))
    text = "vSphere HA cannot be configured on host H1 because its SSL thumbprint has not been verified"

    def evidence(when: str) -> str:
        ev = events_of(event("H1", "com.vmware.vc.HA.HostHasNoSslThumbprint", when=when, message=text))
        d = diagnose(hosts, events=ev, now=NOW)
        assert cause_of(d, "H1") in ("certificate", "unknown")
        return "\n".join(d.hosts.iloc[0]["evidence"]) + f"\ncause={cause_of(d, 'H1')}"

    leading = evidence("2026-12-05T01:00:00Z")  # an hour before the change: what led the host there
    assert "cause=certificate" in leading and "older than" not in leading
    earlier = evidence("2026-12-04T12:00:00Z")  # 14 h before the change: an earlier episode, a quarter of the weight
    assert "cause=unknown" in earlier and "too weak to name a cause: certificate" in earlier


def test_an_agent_that_failed_to_unconfigure_is_a_host_vcenter_lost():
    d = diagnose(hosts_of(host("H1", das="uninitializationError")), now=NOW)
    assert cause_of(d, "H1") == "host-unreachable"
    assert "reconnect" in d.hosts.iloc[0]["next_step"]


def test_a_healthy_host_whose_failed_attempt_predates_its_recovery_is_not_diagnosed():
    failed = task("H1", outcome="agent_unhealthy", completed_at=pd.Timestamp("2026-12-03T04:00:00Z"))
    recovered = hosts_of(host("H1", das="connectedToMaster", state_changed_at=pd.Timestamp("2026-12-03T12:00:00Z")))
    assert "H1" not in set(diagnose(recovered, run=run_of(failed), now=NOW).hosts["host"].astype(str))
    # the same attempt after the host's last state change still describes it
    later = hosts_of(host("H1", das="connectedToMaster", state_changed_at=pd.Timestamp("2026-12-02T12:00:00Z")))
    assert "H1" in set(diagnose(later, run=run_of(failed), now=NOW).hosts["host"].astype(str))


def test_the_clusters_preferred_heartbeat_list_never_stands_in_for_a_hosts_own_count():
    # allFeasibleDs with no preferred datastore: the cluster's list is empty (0), every host still has its two
    clusters = _cluster(heartbeat_datastores=0, heartbeat_policy="allFeasibleDs", isolation_addresses="10.10.0.1")
    d = diagnose(hosts_of(host("H1", das="initializationError")), clusters=clusters, now=NOW)
    assert cause_of(d, "H1") != "datastore-access"
    assert not any("heartbeat" in line for line in d.hosts.iloc[0]["evidence"])
    # the host's own count (from RetrieveDasAdvancedRuntimeInfo) is what the rules read
    short = diagnose(hosts_of(host("H1", heartbeat_datastores=0)), clusters=clusters, now=NOW)
    assert any("heartbeat_datastores: 0" in line for line in short.hosts.iloc[0]["evidence"])


def test_cluster_facts_fill_the_next_step():
    clusters = pd.DataFrame(
        [
            {
                "vcenter": "vc1",
                "cluster": "C1",
                "cluster_moid": "domain-C1",
                "isolation_addresses": "10.10.0.1",
                "heartbeat_datastores": 1,
                "hosts": 4,
                "config_issues": "",
            }
        ]
    )
    d = diagnose(hosts_of(host("H1", das="networkIsolated")), clusters=clusters, now=NOW)
    assert cause_of(d, "H1") == "isolation-address"
    assert "10.10.0.1" in d.hosts.iloc[0]["next_step"]


# --- rule files ------------------------------------------------------------------------------------------------
def test_builtin_rules_cover_the_vocabulary_and_cite_the_guide():
    rules = builtin_rules()
    assert {r.cause for r in rules} == set(CAUSES) - {"unknown"}
    assert all(r.reference.startswith("ha-troubleshooting §") for r in rules)
    assert len({r.id for r in rules}) == len(rules)


def test_site_rules_override_by_id_and_new_rules_come_first(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text(
        "version: 1\nrules:\n"
        "  - id: partitioned-state\n    cause: management-network\n    confidence: low\n"
        "    when: {das_state: [networkPartitionedFromMaster]}\n    next_step: call the network team about {cluster}\n"
        "  - id: our-lab-hosts\n    cause: permissions\n    when: {das_state: [initializationError]}\n"
        "    next_step: ask the lab owner\n"
    )
    rules = load_rules(site)
    assert rules[0].id == "our-lab-hosts"
    assert [r.id for r in rules].count("partitioned-state") == 1
    d = diagnose(hosts_of(host("H1", das="networkPartitionedFromMaster"), host("H2")), rules=str(site), now=NOW)
    assert d.hosts.set_index("host").loc["H1", "next_step"] == "call the network team about C1"
    assert d.hosts.set_index("host").loc["H1", "confidence"] == "low"
    assert cause_of(d, "H2") == "permissions"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("rules: [{id: a, cause: nope, when: {das_state: x}, next_step: s}]", "cause 'nope' is not one of"),
        ("rules: [{id: a, cause: timeout, when: {colour: red}, next_step: s}]", "unknown condition 'colour'"),
        ("rules: [{id: a, cause: timeout, when: {output: '(['}, next_step: s}]", "bad regular expression"),
        ("rules: [{id: a, cause: timeout, when: {das_state: x}}]", "'next_step' is required"),
        ("rules: [{id: a, cause: timeout, confidence: sure, when: {das_state: x}, next_step: s}]", "confidence"),
        ("rules: [{id: a, cause: timeout, when: {events: {types: [X], within: soon}}, next_step: s}]", "bad duration"),
        ("rules: [{id: a, cause: timeout, when: {mgmt_vmknics: {max: two}}, next_step: s}]", "must be a number"),
        (
            "rules: [{id: a, cause: timeout, when: {das_state: x}, unless: {colour: red}, next_step: s}]",
            "unknown fact 'colour' in 'unless'",
        ),
        ("rules: [{id: a, cause: timeout, when: {das_state: x}, unless: [vsan], next_step: s}]", "'unless' must be"),
        ("version: 2\nrules: []", "unsupported version"),
        ("rules: {a: 1}", "expected 'rules:'"),
        (
            "rules: [{id: a, cause: timeout, when: {das_state: x}, next_step: s}, {id: a, cause: timeout, when: {das_state: x}, next_step: s}]",
            "appears twice",
        ),
        ("rules: [\n  - id: [", "not valid YAML"),
    ],
)
def test_bad_rule_files_fail_in_one_clear_line(tmp_path, text: str, fragment: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    message = str(info.value)
    assert fragment in message and "\n" not in message and str(path) in message


def test_missing_rule_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_rules(tmp_path / "nope.yaml")


# --- result ----------------------------------------------------------------------------------------------------
def test_html_board_escapes_server_text():
    evil = "<script>alert(1)</script>"
    hosts = hosts_of(host(evil, das="networkPartitionedFromMaster", config_issues=evil))
    html = diagnose(hosts, now=NOW)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "management-network" in html


def test_save_and_load_roundtrip(tmp_path):
    hosts = hosts_of(host("H1", das="networkPartitionedFromMaster"), host("H2", das="election"))
    d = diagnose(hosts, now=NOW)
    d.save(tmp_path)
    back = load_diagnosis(tmp_path)
    assert list(back.hosts["cause"].astype(str)) == list(d.hosts["cause"].astype(str))
    assert list(back.hosts["evidence"].iloc[0]) == list(d.hosts["evidence"].iloc[0])
    (tmp_path / "diagnosis.parquet").unlink()
    again = load_diagnosis(tmp_path)
    assert list(again.hosts["evidence"].iloc[1]) == list(d.hosts["evidence"].iloc[1])
    assert (tmp_path / "diagnosis_summary.csv").exists()


def test_hosts_for_and_detail():
    hosts = hosts_of(host("H1", das="networkPartitionedFromMaster"), host("H2", das="election"))
    events = events_of(event("H1", "com.vmware.vc.HA.HostStateChangedEvent", message="changed to partitioned"))
    d = diagnose(hosts, events=events, now=NOW)
    assert list(d.hosts_for("election")["host"].astype(str)) == ["H2"]
    detail = d.detail("H1")
    assert detail["diagnosis"]["cause"] == "management-network"
    assert list(detail["timeline"]["category"]) == ["state-change"]
    with pytest.raises(ConfigError):
        d.hosts_for("gremlins")
    assert "management-network=1" in repr(d)


def test_detail_has_the_fault_chain_of_the_last_failed_task():
    run = run_of(
        task("H1", 1, fault_reason="HostMisconfiguration", task_moid="task-1"),
        task("H1", 2, fault_reason="HostMisconfiguration", task_moid="task-2"),
    )
    faults = []
    for t in ("task-1", "task-2"):
        faults += [
            {
                "run_id": "r1",
                "vcenter": "vc1",
                "host": "H1",
                "host_moid": "host-H1",
                "task_moid": t,
                "depth": 0,
                "fault_type": "DasConfigFault",
                "fault_reason": "HostMisconfiguration",
                "message": f"outer {t}",
            },
            {
                "run_id": "r1",
                "vcenter": "vc1",
                "host": "H1",
                "host_moid": "host-H1",
                "task_moid": t,
                "depth": 1,
                "fault_type": "SystemError",
                "message": f"inner {t}",
            },
        ]
    run["faults"] = coerce(pd.DataFrame(faults), "faults")
    d = diagnose(hosts_of(host("H1")), run=run, now=NOW)
    chain = d.detail("H1")["fault_chain"]
    assert list(chain["message"]) == ["outer task-2", "inner task-2"]
    assert list(chain["depth"]) == [0, 1]


def test_history_and_run_events_together_keep_host_and_cluster_names():
    """After a run, the history and the run's events are merged: each event keeps its host's and cluster's
    names (the swimlane and a host's timeline read them; without them the Diagnose tab failed after a run)."""
    import pandas as pd

    from vsphere_nb.diagnosis import charts as dcharts
    from vsphere_nb.diagnosis.reason import _combined_events

    when = pd.Timestamp("2026-03-01T08:00:00Z")
    base = {"vcenter": "vc1", "event_type": "HostDasErrorEvent", "event_type_id": "HostDasErrorEvent"}
    history = pd.DataFrame(
        [
            {
                **base,
                "host_moid": "host-1",
                "host": "esx1",
                "cluster": "C0",
                "event_key": 1,
                "created_time": when,
                "message": "a",
                "category": "agent-error",
            }
        ]
    )
    run = pd.DataFrame(
        [
            {
                **base,
                "host_moid": "host-2",
                "host": "esx2",
                "cluster": "C0",
                "event_key": 2,
                "created_time": when,
                "message": "b",
                "category": "agent-error",
            }
        ]
    )
    both = _combined_events(history, run)
    assert sorted(both["host"]) == ["esx1", "esx2"] and set(both["cluster"]) == {"C0"}
    fig = dcharts.event_swimlane(both, hosts=["esx1", "esx2"])
    assert {t.get_text() for t in fig.axes[0].get_yticklabels()} == {"esx1", "esx2"}
