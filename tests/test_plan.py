"""Planning: skipped hosts with reasons, canaries spread over clusters, round-robin, determinism."""

import pandas as pd
import pytest

from benchmarks.synthetic import synthetic_hosts
from vsphere_nb.batch import BatchLimits, make_plan, preflight
from vsphere_nb.batch.plan import DUPLICATE_REASON
from vsphere_nb.errors import ConfigError


def hosts_frame(layout, **extra):
    """``layout``: {cluster: n_hosts}; all eligible unless ``extra`` says otherwise per host_moid."""
    rows = []
    for _c, (cluster, n) in enumerate(layout.items()):
        for i in range(n):
            moid = f"host-{cluster}-{i}"
            row = {
                "vcenter": "vc1",
                "datacenter": "DC0",
                "cluster": cluster,
                "cluster_moid": f"domain-{cluster}",
                "host": f"{cluster.lower()}-esx{i:02d}",
                "host_moid": moid,
                "connection_state": "connected",
                "in_maintenance": False,
                "ha_enabled": True,
                "das_state": "initializationError",
            }
            row.update(extra.get(moid, {}))
            rows.append(row)
    return pd.DataFrame(rows)


def test_round_robin_over_clusters_then_leftovers():
    plan = make_plan(hosts_frame({"A": 3, "B": 1, "C": 2}))
    order = [(h.cluster, h.host) for h in plan.launch]
    assert order == [
        ("A", "a-esx00"),
        ("B", "b-esx00"),
        ("C", "c-esx00"),
        ("A", "a-esx01"),
        ("C", "c-esx01"),
        ("A", "a-esx02"),
    ]
    assert [h.order for h in plan.launch] == list(range(6))
    assert plan.skipped == ()


def test_canaries_are_first_and_spread_over_clusters():
    plan = make_plan(hosts_frame({"A": 4, "B": 4, "C": 4}), BatchLimits(canary=3))
    canaries = plan.canaries
    assert len(canaries) == 3
    assert {h.cluster for h in canaries} == {"A", "B", "C"}
    assert [h.canary for h in plan.launch] == [True] * 3 + [False] * 9


def test_more_canaries_than_hosts_makes_every_host_a_canary():
    plan = make_plan(hosts_frame({"A": 2}), BatchLimits(canary=5))
    assert all(h.canary for h in plan.launch) and len(plan.launch) == 2


def test_skipped_hosts_carry_their_reason_and_are_not_launched():
    df = hosts_frame(
        {"A": 3}, **{"host-A-1": {"in_maintenance": True}, "host-A-2": {"connection_state": "notResponding"}}
    )
    plan = make_plan(df)
    assert [h.host_moid for h in plan.launch] == ["host-A-0"]
    reasons = {s.host_moid: s.reason for s in plan.skipped}
    assert reasons == {"host-A-1": "in maintenance mode", "host-A-2": "host not responding"}


def test_precomputed_eligibility_is_respected():
    df = preflight(hosts_frame({"A": 2}))
    df.loc[1, "eligible"] = False
    df["skip_reason"] = df["skip_reason"].cat.add_categories(["excluded by operator"])
    df.loc[1, "skip_reason"] = "excluded by operator"
    plan = make_plan(df)
    assert [s.reason for s in plan.skipped] == ["excluded by operator"]


def test_duplicate_rows_are_skipped_once():
    df = hosts_frame({"A": 2})
    plan = make_plan(pd.concat([df, df.iloc[[0]]], ignore_index=True))
    assert len(plan.launch) == 2
    assert [(s.host_moid, s.reason) for s in plan.skipped] == [("host-A-0", DUPLICATE_REASON)]


def test_same_moid_in_two_vcenters_is_two_hosts():
    df = hosts_frame({"A": 1})
    other = df.assign(vcenter="vc2")
    plan = make_plan(pd.concat([df, other], ignore_index=True))
    assert sorted(h.key for h in plan.launch) == [("vc1", "host-A-0"), ("vc2", "host-A-0")]
    assert len({h.cluster_key for h in plan.launch}) == 2


def test_plan_is_deterministic_whatever_the_row_order():
    df = synthetic_hosts(60, 7, seed=3)
    a = make_plan(df, BatchLimits(canary=4))
    b = make_plan(df.sample(frac=1.0, random_state=11).reset_index(drop=True), BatchLimits(canary=4))
    assert a.launch == b.launch
    assert sorted(a.skipped, key=lambda s: s.host_moid) == sorted(b.skipped, key=lambda s: s.host_moid)


def test_round_robin_lets_the_global_cap_fill_despite_the_cluster_cap():
    # one big cluster and many small ones: the first max_in_flight hosts must span enough clusters
    layout = {"BIG": 40, **{f"S{i}": 2 for i in range(10)}}
    plan = make_plan(hosts_frame(layout))
    head = plan.launch[:16]
    per_cluster = pd.Series([h.cluster for h in head]).value_counts()
    assert per_cluster.max() <= 2


def test_missing_columns_and_bad_input():
    with pytest.raises(ConfigError, match="cluster_moid"):
        make_plan(pd.DataFrame([{"vcenter": "v", "host": "h", "host_moid": "m", "cluster": "c"}]))
    with pytest.raises(ConfigError):
        make_plan("not a frame")


def test_to_frame_and_journal_fields():
    df = hosts_frame({"A": 2, "B": 1}, **{"host-B-0": {"in_maintenance": True}})
    plan = make_plan(df, BatchLimits(canary=1))
    frame = plan.to_frame()
    assert list(frame["order"].dropna()) == [0, 1]
    assert frame["skip_reason"].dropna().tolist() == ["in maintenance mode"]
    fields = plan.journal_fields()
    assert len(fields["hosts"]) == 3 and fields["hosts"][0]["host_moid"]
    assert [h["host_moid"] for h in fields["launch"]] == ["host-A-0", "host-A-1"]
    assert fields["launch"][0]["canary"] is True
    assert fields["skipped"][0]["reason"] == "in maintenance mode"
    assert "Plan(launch=2 hosts in 1 clusters" in repr(plan)
