"""Pre-flight eligibility: every rule gives eligible False with its reason; healthy selection."""

import pandas as pd
import pytest

from vsphere_nb.batch import eligible_only, preflight, unhealthy_only
from vsphere_nb.errors import ConfigError
from vsphere_nb.fleet.eligibility import SKIP_REASONS, unhealthy_mask


def host(**overrides):
    row = {
        "vcenter": "vc1",
        "datacenter": "DC0",
        "cluster": "C0",
        "cluster_moid": "domain-c1",
        "host": "esx1",
        "host_moid": "host-1",
        "connection_state": "connected",
        "power_state": "poweredOn",
        "in_maintenance": False,
        "ha_enabled": True,
        "das_state": "connectedToMaster",
        "das_state_reporter": "esx0",
        "version": "8.0.3",
        "build": "1",
        "datastores": "ds1",
        "config_issues": "",
        "overall_status": "green",
        "disabled_methods": "",
    }
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"connection_state": "disconnected"}, "host disconnected"),
        ({"connection_state": "notResponding"}, "host not responding"),
        ({"power_state": "poweredOff"}, "host powered off"),
        ({"power_state": "standBy"}, "host in standby mode"),
        ({"in_maintenance": True}, "in maintenance mode"),
        ({"cluster": None, "cluster_moid": None, "ha_enabled": False}, "standalone host (not in a cluster)"),
        ({"ha_enabled": False}, "vSphere HA not enabled on the cluster"),
        (
            {"disabled_methods": "EnterMaintenanceMode_Task, ReconfigureHostForDAS_Task"},
            "ReconfigureHostForDAS_Task is disabled on the host",
        ),
        ({"disabled_methods": ["ReconfigureHostForDAS_Task"]}, "ReconfigureHostForDAS_Task is disabled on the host"),
    ],
)
def test_each_rule_marks_the_host_not_eligible_with_its_reason(overrides, reason):
    df = preflight(pd.DataFrame([host(), host(host="esx2", host_moid="host-2", **overrides)]))
    assert df["eligible"].tolist() == [True, False]
    assert pd.isna(df["skip_reason"].iloc[0])
    assert df["skip_reason"].iloc[1] == reason
    assert reason in SKIP_REASONS


def test_all_reasons_are_listed_in_rule_order():
    df = preflight(pd.DataFrame([host(connection_state="notResponding", in_maintenance=True, ha_enabled=False)]))
    assert df["skip_reason"].iloc[0] == (
        "host not responding; in maintenance mode; vSphere HA not enabled on the cluster"
    )


def test_a_method_name_that_only_contains_the_seed_is_not_a_match():
    df = preflight(pd.DataFrame([host(disabled_methods="ReconfigureHostForDAS_TaskX")]))
    assert df["eligible"].iloc[0]


def test_missing_values_count_as_false_and_missing_columns_disable_their_rule():
    rows = pd.DataFrame([host(in_maintenance=None, ha_enabled=None)])
    out = preflight(rows)
    assert out["skip_reason"].iloc[0] == "vSphere HA not enabled on the cluster"  # unknown HA state is not HA
    minimal = pd.DataFrame([{"host": "esx1", "host_moid": "host-1", "cluster": "C0"}])
    assert preflight(minimal)["eligible"].tolist() == [True]


def test_preflight_is_pure_and_idempotent():
    rows = pd.DataFrame([host(), host(host_moid="host-2", in_maintenance=True)])
    before = rows.copy()
    once = preflight(rows)
    twice = preflight(once)
    pd.testing.assert_frame_equal(rows, before)  # input untouched
    pd.testing.assert_frame_equal(once, twice)
    assert once["eligible"].dtype == bool
    assert isinstance(once["skip_reason"].dtype, pd.CategoricalDtype)


def test_required_columns():
    with pytest.raises(ConfigError, match="host_moid"):
        preflight(pd.DataFrame([{"host": "a", "cluster": "c"}]))
    with pytest.raises(ConfigError):
        preflight([host()])  # not a DataFrame


def test_unhealthy_means_ha_enabled_and_agent_or_connection_bad():
    rows = [
        host(host_moid="ok"),
        host(host_moid="agent", das_state="initializationError"),
        host(host_moid="gone", connection_state="notResponding"),
        host(host_moid="ha-off", ha_enabled=False, das_state="initializationError"),
        host(host_moid="standalone", cluster=None, cluster_moid=None, ha_enabled=None, das_state=None),
        host(host_moid="ha-off-gone", ha_enabled=False, connection_state="disconnected", das_state=None),
    ]
    df = pd.DataFrame(rows)
    assert unhealthy_only(df)["host_moid"].tolist() == ["agent", "gone"]
    assert unhealthy_mask(df).tolist() == [False, True, True, False, False, False]


def test_unhealthy_only_keeps_everything_but_master_and_connected_to_master():
    states = ["master", "connectedToMaster", "initializationError", None, "fdmUnreachable", "election"]
    df = pd.DataFrame([host(host_moid=f"host-{i}", das_state=s) for i, s in enumerate(states)])
    out = unhealthy_only(df)
    assert out["host_moid"].tolist() == ["host-2", "host-3", "host-4", "host-5"]
    assert unhealthy_only(df.astype({"das_state": "category"}))["host_moid"].tolist() == out["host_moid"].tolist()


def test_eligible_only_runs_preflight_when_needed():
    df = pd.DataFrame([host(), host(host_moid="host-2", connection_state="disconnected")])
    assert eligible_only(df)["host_moid"].tolist() == ["host-1"]
    assert eligible_only(preflight(df))["host_moid"].tolist() == ["host-1"]


def test_preflight_on_a_large_frame_is_vectorised():
    import time

    df = pd.DataFrame([host(host_moid=f"host-{i}", in_maintenance=i % 10 == 0) for i in range(20_000)])
    start = time.perf_counter()
    out = preflight(df)
    assert time.perf_counter() - start < 2.0
    assert int((~out["eligible"]).sum()) == 2000
