"""DiagnosePanel without a browser: the triage board, cause → hosts → selection, host detail, charts, escaping,
and a live diagnosis of the root-causes simulator on a background thread."""

from __future__ import annotations

import pandas as pd
from widget_helpers import assert_no_errors, fail_on_handler_errors, wait_for  # noqa: F401  (autouse fixture)

from vsphere_nb import connect, diagnose
from vsphere_nb.batch.frames import coerce, hosts_frame
from vsphere_nb.simulator import Simulator
from vsphere_nb.widgets import DiagnosePanel, RunbookState
from vsphere_nb.widgets.diagnose import ALL

PNG = b"\x89PNG\r\n\x1a\n"
EVIL = "<img src=x onerror=alert(1)>"


def _hosts() -> pd.DataFrame:
    rows = []
    for i in range(8):
        rows.append(
            {
                "vcenter": "vc1",
                "cluster": "C2",
                "cluster_moid": "domain-c2",
                "host": f"A{i}",
                "host_moid": f"host-a{i}",
                "connection_state": "connected",
                "ha_enabled": True,
                "in_maintenance": False,
                "das_state": "networkPartitionedFromMaster" if i else "master",
                "datastores": "ds1, ds2",
                "config_issues": "",
            }
        )
    rows.append(
        {
            "vcenter": "vc1",
            "cluster": "C3",
            "cluster_moid": "domain-c3",
            "host": EVIL,
            "host_moid": "host-evil",
            "connection_state": "connected",
            "ha_enabled": True,
            "in_maintenance": False,
            "das_state": "election",
            "datastores": "ds1",
            "config_issues": EVIL,
        }
    )
    return hosts_frame(rows)


def _events() -> pd.DataFrame:
    rows = [
        {
            "vcenter": "vc1",
            "cluster": "C2",
            "host": f"A{i}",
            "host_moid": f"host-a{i}",
            "source": "history",
            "event_type": "HostNoRedundantManagementNetworkEvent",
            "event_type_id": "HostNoRedundantManagementNetworkEvent",
            "created_time": f"2026-12-0{1 + i % 3}T10:00:00Z",
            "message": "no management network redundancy",
            "category": "network",
        }
        for i in range(1, 8)
    ]
    return coerce(pd.DataFrame(rows), "events")


def test_board_cause_selection_and_detail():
    state = RunbookState()
    d = diagnose(_hosts(), events=_events(), now="2026-12-04T00:00:00Z")
    panel = DiagnosePanel(state, diagnosis=d)
    assert "management-network" in panel.board.value and "election" in panel.board.value
    assert [v for _label, v in panel.cause.options] == [ALL, "management-network", "election"]
    assert bytes(panel.causes_chart.value).startswith(PNG) and bytes(panel.swimlane_chart.value).startswith(PNG)
    panel.cause.value = "management-network"
    assert panel.hosts_table.value.count("<tr>") - 1 == 7
    assert "7 of 8 hosts partitioned" in panel.hosts_table.value
    panel.select_button.click()
    assert state.selected == frozenset(("vc1", f"host-a{i}") for i in range(1, 8))
    panel.host.value = ("vc1", "host-a3")  # hosts are picked by (vCenter, moId)
    assert "HostNoRedundantManagementNetworkEvent" in panel.detail.value and "Next step" in panel.detail.value
    assert_no_errors(panel)


def test_server_text_is_escaped_everywhere():
    panel = DiagnosePanel(diagnosis=diagnose(_hosts(), now="2026-12-04T00:00:00Z"), charts=False)
    panel.cause.value = "election"
    panel.host.value = next(key for label, key in panel.host.options if label == EVIL)
    for html in (panel.board.value, panel.hosts_table.value, panel.detail.value):
        assert "<img" not in html
    assert "&lt;img" in panel.detail.value


def test_diagnose_button_without_a_connection_says_so():
    panel = DiagnosePanel(charts=False)
    panel.diagnose_button.click()
    assert "connect first" in panel.status.value
    assert_no_errors(panel)


def test_live_diagnosis_runs_in_the_background():
    with Simulator(clusters=6, hosts_per_cluster=8, scenario="root-causes", seed=1, time_scale=50) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            state = RunbookState(client=vc)
            panel = DiagnosePanel(state)
            panel.diagnose_button.click()
            panel.wait(60)
            wait_for(lambda: panel.diagnosis is not None, what="diagnosis shown")
            causes = {v for _l, v in panel.cause.options}
            assert {"management-network", "isolation-address", "image-remediation", "certificate"} <= causes
            assert not panel.diagnose_button.disabled
            panel.cause.value = "isolation-address"
            assert "10.10.0.1" in panel.detail.value  # the cluster's isolation address, from its HA settings
            assert_no_errors(panel)
