"""``vsphere-nb events`` and ``vsphere-nb diagnose`` against the root-causes simulator: tables, files, offline
diagnosis of a saved run, exit codes, and user errors as one line on stderr."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from vsphere_nb import BatchLimits, connect
from vsphere_nb.batch.frames import EVENT_COLUMNS
from vsphere_nb.cli import main
from vsphere_nb.simulator import Simulator


@pytest.fixture(scope="module")
def sim():
    with Simulator(clusters=6, hosts_per_cluster=8, scenario="root-causes", seed=1, task_seconds=2, time_scale=50) as s:
        yield s


def run_cli(argv, capsys, monkeypatch, password):
    monkeypatch.setenv("VSPHERE_PASSWORD", password)
    monkeypatch.delenv("VSPHERE_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("COLUMNS", "250")  # a wide terminal: the tables' cells are not cut
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_events_table_and_file(sim, capsys, monkeypatch, tmp_path):
    base = ["events", "--server", sim.url, "--user", sim.user, "--since", "4d"]
    code, out, err = run_cli([*base, "--cluster", "DC0_C1"], capsys, monkeypatch, sim.password)
    assert code == 0, err
    assert "could not reach isolation address" in out and "isolation" in out  # message first, then category
    assert "DC0_C0" not in out
    target = tmp_path / "events.parquet"
    code, out, err = run_cli([*base, "-o", str(target)], capsys, monkeypatch, sim.password)
    assert code == 0, err
    frame = pd.read_parquet(target)
    assert list(frame.columns) == EVENT_COLUMNS and len(frame) > 50


def test_events_cap_warns_on_stderr(sim, capsys, monkeypatch):
    argv = ["events", "--server", sim.url, "--user", sim.user, "--since", "4d", "--max-events", "5"]
    code, out, err = run_cli(argv, capsys, monkeypatch, sim.password)
    assert code == 0
    assert "capped at 5 events" in err and err.count("\n") == 1


def test_diagnose_live_shows_the_triage_and_exits_1(sim, capsys, monkeypatch, tmp_path):
    argv = ["diagnose", "--server", sim.url, "--user", sim.user]
    code, out, err = run_cli(argv, capsys, monkeypatch, sim.password)
    assert code == 1, err
    assert "management-network" in out and "isolation-address" in out and "7 of 8 hosts partitioned" in out
    target = tmp_path / "diagnosis.csv"
    code, out, err = run_cli([*argv, "-o", str(target)], capsys, monkeypatch, sim.password)
    frame = pd.read_csv(target)
    assert code == 1 and {"cause", "scope", "evidence", "next_step", "reference"} <= set(frame.columns)
    assert all(isinstance(json.loads(e), list) for e in frame["evidence"])


def test_diagnose_offline_from_a_run_dir(sim, capsys, monkeypatch, tmp_path):
    with connect(sim.url, sim.user, sim.password) as vc:
        hosts = vc.hosts(clusters=["DC0_C3"], only_unhealthy=True)
        run = vc.plan_reconfigure(hosts, limits=BatchLimits(post_check_timeout=2)).execute()
        run.save(tmp_path / "run")
    code, out, err = run_cli(["diagnose", "--run-dir", str(tmp_path / "run"), "--save"], capsys, monkeypatch, "x")
    assert code == 1, err
    for cause in ("agent-install", "certificate", "datastore-access", "timeout", "vsan-network"):
        assert cause in out
    assert (tmp_path / "run" / "diagnosis.parquet").exists()
    html = (tmp_path / "report.html").read_text() if run.report(tmp_path / "report.html") else ""
    assert "Triage: why HA broke" in html and "vsan-network" in html and "certificate" in html


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["diagnose"], "give --server (live) or --run-dir"),
        (["diagnose", "--run-dir", "/nonexistent/run"], "does not exist"),
        (["diagnose", "--server", "https://127.0.0.1:1", "--save"], "--save writes into the run directory"),
    ],
)
def test_user_errors_are_one_line(argv, fragment, capsys, monkeypatch):
    code, out, err = run_cli(argv, capsys, monkeypatch, "pw")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vsphere-nb: error: ") and fragment in lines[0]


def test_bad_rule_file_is_one_line(sim, capsys, monkeypatch, tmp_path):
    bad = tmp_path / "site.yaml"
    bad.write_text("rules: [{id: x, cause: nope, when: {das_state: x}, next_step: s}]")
    argv = ["diagnose", "--server", sim.url, "--user", sim.user, "--rules", str(bad)]
    code, out, err = run_cli(argv, capsys, monkeypatch, sim.password)
    assert code == 2 and "cause 'nope' is not one of" in err and len(err.strip().splitlines()) == 1
