"""The HA agent's log through vCenter: DiagnosticManager.QueryDescriptions / BrowseDiagnosticLog in the
simulator (shapes checked against VMware's tables in pyVmomi), read_agent_logs in the client, notes instead of
errors, and the log lines as diagnosis evidence."""

from __future__ import annotations

import pytest

from vsphere_nb import connect, wire
from vsphere_nb.fleet.agent_log import read_agent_logs


def _requests(sim, method: str) -> int:
    stats = sim.stats()
    calls = stats.get("requests") or {}
    return sum(v for k, v in calls.items() if k.endswith(method)) if isinstance(calls, dict) else 0


def test_shapes_match_vmwares_tables():
    pytest.importorskip("pyVmomi")
    from pyVmomi import VmomiSupport

    manager = VmomiSupport.GetVmodlType("vim.DiagnosticManager")
    browse = manager._GetMethodInfo("Browse")
    query = manager._GetMethodInfo("QueryDescriptions")
    assert browse.wsdlName == "BrowseDiagnosticLog"
    assert [p.name for p in browse.params] == ["host", "key", "start", "lines"]
    assert [p.name for p in query.params] == ["host"]
    assert browse.privId == query.privId == "Global.Diagnostics"
    for ours, theirs in (
        (wire.DiagnosticManagerLogHeader, "vim.DiagnosticManager.LogHeader"),
        (wire.DiagnosticManagerLogDescriptor, "vim.DiagnosticManager.LogDescriptor"),
    ):
        t = VmomiSupport.GetVmodlType(theirs)
        assert VmomiSupport.GetWsdlName(t) == ours.__name__
        names = {p.name for p in t._GetPropertyList()} - {"dynamicType", "dynamicProperty"}
        assert names == set(ours.model_fields) - {"dynamicType", "dynamicProperty", "vim_type"}


def test_story_hosts_logs_read_for_the_asked_hosts_only(make_sim):
    sim = make_sim(scenario="root-causes", clusters=4, hosts_per_cluster=6)
    truth = sim.stories
    with connect(sim.url, sim.user, sim.password) as vc:
        hosts = vc.hosts()
        unhealthy = hosts[~hosts["das_state"].astype(str).isin(["master", "connectedToMaster"])]
        asked = unhealthy["host_moid"].astype(str).tolist()[:6]
        before = _requests(sim, "QueryDescriptions")
        logs = vc.run(read_agent_logs(vc.aio, asked, lines=50))
        assert _requests(sim, "QueryDescriptions") - before == len(asked)  # the asked hosts, no others
    assert set(logs) == set(asked)
    for moid, lines in logs.items():
        cause = (truth.get(moid) or {}).get("cause")
        if cause == "host-unreachable":
            assert isinstance(lines, str) and "HostNotConnected" in lines
        else:
            assert isinstance(lines, list) and lines and all(" fdm[" in x for x in lines), (moid, lines)
            assert len(lines) <= 50


def test_no_permission_and_no_fdm_log_are_notes_not_errors(make_sim):
    sim = make_sim(scenario="root-causes", clusters=2, hosts_per_cluster=4, standalone_hosts=1)
    with connect(sim.url, sim.readonly_user, sim.readonly_password) as vc:
        moid = str(vc.hosts()["host_moid"].iloc[0])
        logs = vc.run(read_agent_logs(vc.aio, [moid]))
    assert "Global.Diagnostics" in logs[moid] and "NoPermission" in logs[moid]
    with connect(sim.url, sim.user, sim.password) as vc:
        hosts = vc.hosts()
        standalone = hosts[hosts["cluster"].isna()]
        moid = str(standalone["host_moid"].iloc[0])
        logs = vc.run(read_agent_logs(vc.aio, [moid]))
    assert logs[moid] == "agent log: the host lists no FDM log (/var/run/log/fdm.log)"


def test_browse_answers_the_end_then_the_last_lines(make_sim):
    sim = make_sim(scenario="root-causes", clusters=1, hosts_per_cluster=4)
    with connect(sim.url, sim.user, sim.password) as vc:
        host = wire.MoRef("HostSystem", str(vc.hosts()["host_moid"].iloc[1]))
        dm = vc.content.diagnosticManager
        head = vc.invoke(dm, "BrowseDiagnosticLog", host=host, key="fdm", start=2**31 - 1, lines=0)
        assert head.lineText in (None, []) and head.lineEnd >= 1
        page = vc.invoke(dm, "BrowseDiagnosticLog", host=host, key="fdm", start=head.lineEnd, lines=5)
        assert page.lineStart == page.lineEnd == head.lineEnd and len(page.lineText) == 1
        with pytest.raises(Exception, match="InvalidArgument|no log"):
            vc.invoke(dm, "BrowseDiagnosticLog", host=host, key="nosuchlog")


def test_diagnosis_shows_agent_log_lines_and_notes(make_sim):
    sim = make_sim(scenario="root-causes", clusters=4, hosts_per_cluster=6)
    with connect(sim.url, sim.user, sim.password) as vc:
        d = vc.diagnose()
    assert any(e.startswith("agent log: ") and " fdm[" in e for ev in d.hosts["evidence"] for e in ev)
    with connect(sim.url, sim.readonly_user, sim.readonly_password) as vc:
        d = vc.diagnose()
    assert all(any("not readable" in e for e in ev) for ev in d.hosts["evidence"])
