"""Plans made with a diagnosis: causes per host, 'reconfigure fixes it', flagged hosts and the second
confirmation (plan_reconfigure / make_plan)."""

from __future__ import annotations

import pandas as pd
import pytest

from vsphere_nb import ConfigError, connect
from vsphere_nb.batch.plan import make_plan
from vsphere_nb.diagnosis import FIX_FIRST, reconfigure_fixes


def _hosts(states: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "vcenter": "vc1",
            "datacenter": "DC0",
            "cluster": "C0",
            "cluster_moid": "domain-c1",
            "host": [f"H{i}" for i in range(len(states))],
            "host_moid": [f"host-{i}" for i in range(len(states))],
            "das_state": states,
            "connection_state": "connected",
            "in_maintenance": False,
            "ha_enabled": True,
        }
    )


def test_fix_first_vocabulary():
    assert reconfigure_fixes("election") is True and reconfigure_fixes("timeout") is True
    assert reconfigure_fixes("isolation-address") is False and "isolation-address" in FIX_FIRST
    assert reconfigure_fixes("unknown") is None


def test_make_plan_flags_healthy_hosts_and_causes_to_fix_first():
    hosts = _hosts(["initializationError", "initializationError", "connectedToMaster", "initializationError"])
    diagnosis = pd.DataFrame(
        {
            "vcenter": "vc1",
            "host_moid": ["host-0", "host-1", "host-3"],
            "cause": ["isolation-address", "election", "unknown"],
            "reconfigure_fixes": pd.array([False, True, None], dtype="boolean"),
        }
    )
    plan = make_plan(hosts, diagnosis=diagnosis)
    by = {h.host_moid: h for h in plan.launch}
    assert by["host-0"].flag == "fix first: isolation-address" and by["host-0"].reconfigure_fixes is False
    assert by["host-1"].flag is None and by["host-1"].cause == "election"
    assert by["host-2"].flag == "healthy: nothing to fix"
    assert by["host-3"].flag is None and by["host-3"].reconfigure_fixes is None
    assert {h.host_moid for h in plan.flagged} == {"host-0", "host-2"}
    lean = plan.without_flagged()
    assert {h.host_moid for h in lean.launch} == {"host-1", "host-3"}
    assert {s.reason for s in lean.skipped} == {"fix first: isolation-address", "healthy: nothing to fix"}
    frame = plan.to_frame()
    assert {"cause", "reconfigure_fixes", "flag"} <= set(frame.columns)
    # without a diagnosis nothing is flagged (the plan of before)
    assert not make_plan(hosts).flagged
    assert plan.diagnosed and not make_plan(hosts).diagnosed


def test_flag_healthy_without_a_diagnosis_flags_only_healthy_hosts_and_says_it_was_not_diagnosed(make_sim, tmp_path):
    hosts = _hosts(["initializationError", "master", "election", "connectedToMaster"])
    plan = make_plan(hosts, flag_healthy=True)
    assert not plan.diagnosed  # no cause is known: the panel shows "not diagnosed", not empty causes
    assert {h.host_moid: h.flag for h in plan.launch if h.flag} == {
        "host-1": "healthy: nothing to fix",
        "host-3": "healthy: nothing to fix",
    }
    assert all(h.cause is None and h.reconfigure_fixes is None for h in plan.launch)
    # the flags hold at launch as a diagnosis's do: healthy hosts only with the second confirmation
    sim = make_sim(scenario="mixed", clusters=1, hosts_per_cluster=6)
    with connect(sim.url, sim.user, sim.password) as vc:
        from vsphere_nb import plan_reconfigure

        live = plan_reconfigure(vc, vc.hosts(), flag_healthy=True)
        assert not live.plan.diagnosed and len(live.flagged)
        assert set(live.flagged["flag"]) == {"healthy: nothing to fix"}
        with pytest.raises(ConfigError, match="confirm_flagged=True"):
            live.start(run_dir=tmp_path / "refused")
        assert not (tmp_path / "refused").exists()


def test_launching_flagged_hosts_needs_confirm_flagged(make_sim, tmp_path):
    sim = make_sim(scenario="root-causes", clusters=2, hosts_per_cluster=6)
    with connect(sim.url, sim.user, sim.password) as vc:
        hosts = vc.hosts()
        plan = vc.plan_reconfigure(hosts, diagnosis=True)
        assert len(plan.flagged) and "will not be helped" in plan._repr_html_()
        with pytest.raises(ConfigError, match="confirm_flagged=True"):
            plan.start(run_dir=tmp_path / "refused")
        assert not (tmp_path / "refused").exists()
        lean = plan.without_flagged()
        assert not len(lean.flagged) and len(lean) == len(plan) - len(plan.flagged)
