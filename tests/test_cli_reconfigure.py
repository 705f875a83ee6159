"""``vsphere-nb reconfigure`` against the simulator: dry run, confirmation, exit codes 0/1/2, the run directory,
and one-line errors that launch nothing. Launch counts come from the simulator's statistics."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from secret_scan import scan_tree

from vsphere_nb.batch import load_run, read_journal
from vsphere_nb.cli import main
from vsphere_nb.simulator import Simulator

WRONG = "Wr0ng-pa55word-xyz"


def run_cli(sim: Simulator, capsys, monkeypatch, *extra: str, password: str | None = None) -> tuple[int, str, str]:
    monkeypatch.setenv("VSPHERE_PASSWORD", sim.password if password is None else password)
    monkeypatch.delenv("VSPHERE_SESSION_TOKEN", raising=False)
    code = main(["reconfigure", "--server", sim.url, "--user", sim.user, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def outcome_counts(out: str) -> dict[str, int]:
    """The rows of the summary's outcome table (``outcome  hosts``), without the total."""
    table = out[re.search(r"outcome +hosts", out).start() :].splitlines()[1:]
    counts = {}
    for line in table:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        counts[parts[0]] = int(parts[1])
    assert counts.pop("total") == sum(counts.values())
    return counts


def launch_requests(sim: Simulator) -> int:
    return sim.stats()["requests"].get("HostSystem.ReconfigureHostForDAS_Task", 0)


def assert_one_line_error(code: int, out: str, err: str, contains: str, sim: Simulator) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vsphere-nb: error: ") and contains in lines[0], err
    assert "Traceback" not in out + err and sim.password not in out + err


@pytest.fixture
def healthy():
    with Simulator(
        clusters=2, hosts_per_cluster=3, standalone_hosts=1, scenario="healthy", task_seconds=20, time_scale=100
    ) as sim:
        yield sim


def test_dry_run_shows_the_plan_and_launches_nothing(capsys, monkeypatch):
    with Simulator(
        clusters=5, hosts_per_cluster=3, standalone_hosts=1, scenario="mixed", seed=2, time_scale=100
    ) as sim:
        code, out, err = run_cli(sim, capsys, monkeypatch, "--dry-run", "--canary", "2")
        assert code == 0, err
        assert launch_requests(sim) == 0 and sim.stats()["launches_per_host"] == {}
    assert "Dry run: nothing launched." in out
    assert "Plan: launch " in out and "(2 canaries first)" in out and "\nSkipped" in out
    assert "vSphere HA not enabled on the cluster" in out and "standalone host (not in a cluster)" in out
    assert "the first 2 hosts run alone" in out and "no failure budget" in out


def test_yes_runs_the_batch_and_exits_0_when_every_host_is_healthy(healthy, capsys, monkeypatch, tmp_path):
    run_dir = tmp_path / "run"
    code, out, err = run_cli(
        healthy, capsys, monkeypatch, "--yes", "--include-flagged", "--run-dir", str(run_dir), "--per-cluster", "1"
    )
    assert code == 0, err
    assert outcome_counts(out) == {"success": 6, "skipped": 1} and f"Run directory: {run_dir}" in out
    stats = healthy.stats()
    assert launch_requests(healthy) == 6 and set(stats["launches_per_host"].values()) == {1}
    assert max(stats["max_concurrent_tasks_per_cluster"].values()) == 1
    run = load_run(run_dir)
    assert (run.tasks[run.tasks["attempt"] == 1]["outcome"] == "success").all()
    assert read_journal(run_dir).records[-1]["kind"] == "run_finished"
    for name in ("tasks", "faults", "events", "hosts"):
        assert (run_dir / f"{name}.parquet").is_file() and (run_dir / f"{name}.csv").is_file()
    assert main(["report", str(run_dir)]) == 0
    secrets = {"password": healthy.password, **{f"token {i}": t for i, t in enumerate(healthy.issued_tokens())}}
    assert len(secrets) >= 2 and scan_tree(run_dir, secrets) == []


def test_host_selection_launches_only_those_hosts(healthy, capsys, monkeypatch, tmp_path):
    code, out, err = run_cli(
        healthy,
        capsys,
        monkeypatch,
        "--yes",
        "--include-flagged",
        "--run-dir",
        str(tmp_path / "run"),
        "--host",
        "DC0_C1_H02",
        "--host",
        "host-1009",
    )
    assert code == 0, err
    assert sorted(healthy.stats()["launches_per_host"]) == ["host-1009", "host-1017"]


def test_failures_exit_1(capsys, monkeypatch, tmp_path):
    scenario = {
        "name": "one-bad",
        "rules": [{"match": {"host": "DC0_C0_H01"}, "outcome": "error", "reason": "NoDatastoresConfigured"}],
    }
    with Simulator(
        clusters=1, hosts_per_cluster=3, standalone_hosts=0, scenario=scenario, task_seconds=20, time_scale=100
    ) as sim:
        code, out, err = run_cli(
            sim, capsys, monkeypatch, "--yes", "--include-flagged", "--run-dir", str(tmp_path / "run")
        )
    assert code == 1, err
    assert outcome_counts(out) == {"success": 2, "fault": 1}
    assert "Hosts that need attention" in out and "NoDatastoresConfigured" in out
    tasks = load_run(tmp_path / "run").tasks.set_index("host")
    assert tasks.loc["DC0_C0_H01", "fault_reason"] == "NoDatastoresConfigured"


def test_stopped_run_exits_1_and_says_why(capsys, monkeypatch, tmp_path):
    scenario = {"name": "all-bad", "rules": [{"outcome": "error", "reason": "Other"}]}
    with Simulator(
        clusters=1, hosts_per_cluster=4, standalone_hosts=0, scenario=scenario, task_seconds=20, time_scale=100
    ) as sim:
        code, out, err = run_cli(
            sim,
            capsys,
            monkeypatch,
            "--yes",
            "--include-flagged",
            "--run-dir",
            str(tmp_path / "run"),
            "--max-in-flight",
            "1",
            "--max-failures",
            "0",
        )
        assert launch_requests(sim) == 1
    assert code == 1
    assert "Stopped early: the failure budget was exceeded" in out
    assert outcome_counts(out) == {"fault": 1, "not_launched": 3}


def test_without_yes_and_without_a_terminal_nothing_is_launched(healthy, capsys, monkeypatch, tmp_path):
    code, out, err = run_cli(healthy, capsys, monkeypatch, "--run-dir", str(tmp_path / "run"))
    assert_one_line_error(code, out, err, "--yes", healthy)
    assert launch_requests(healthy) == 0 and not (tmp_path / "run").exists()


def test_confirmation_answer_no_launches_nothing(healthy, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    code, out, err = run_cli(healthy, capsys, monkeypatch, "--run-dir", str(tmp_path / "run"))
    assert code == 0 and "Not confirmed: nothing launched." in out
    assert launch_requests(healthy) == 0


def test_wrong_password_launches_nothing(healthy, capsys, monkeypatch, tmp_path):
    code, out, err = run_cli(healthy, capsys, monkeypatch, "--yes", "--run-dir", str(tmp_path / "run"), password=WRONG)
    assert_one_line_error(code, out, err, "InvalidLogin", healthy)
    assert WRONG not in out + err and launch_requests(healthy) == 0


@pytest.mark.parametrize(
    "extra, contains",
    [
        (("--cluster", "no-such-cluster"), "no-such-cluster"),
        (("--host", "esx-nowhere"), "esx-nowhere"),
        (("--max-failures", "lots"), "max_failures"),
        (("--per-cluster", "0"), "per_cluster"),
    ],
)
def test_bad_selection_or_limits(healthy, capsys, monkeypatch, tmp_path, extra, contains):
    code, out, err = run_cli(healthy, capsys, monkeypatch, "--yes", "--run-dir", str(tmp_path / "run"), *extra)
    assert_one_line_error(code, out, err, contains, healthy)
    assert launch_requests(healthy) == 0


def test_bad_run_directories_fail_before_connecting(healthy, capsys, monkeypatch, tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something.txt").write_text("x")
    healthy.reset_stats()
    code, out, err = run_cli(healthy, capsys, monkeypatch, "--yes", "--run-dir", str(busy))
    assert_one_line_error(code, out, err, "not empty", healthy)
    code, out, err = run_cli(healthy, capsys, monkeypatch, "--resume", str(tmp_path / "nowhere"))
    assert_one_line_error(code, out, err, "does not exist", healthy)
    code, out, err = run_cli(healthy, capsys, monkeypatch, "--resume", str(busy))
    assert_one_line_error(code, out, err, "not a vsphere-nb run directory", healthy)
    assert healthy.stats()["requests"] == {}  # not even a login


def test_resume_of_a_finished_run_reports_it_again(healthy, capsys, monkeypatch, tmp_path):
    run_dir = tmp_path / "run"
    code, first, _ = run_cli(healthy, capsys, monkeypatch, "--yes", "--include-flagged", "--run-dir", str(run_dir))
    assert code == 0
    code, again, err = run_cli(healthy, capsys, monkeypatch, "--resume", str(run_dir))
    assert code == 0, err
    assert outcome_counts(again) == {"success": 6, "skipped": 1}
    assert launch_requests(healthy) == 6


def test_dry_run_writes_the_whole_plan_for_machines(healthy, capsys, monkeypatch, tmp_path):
    import json

    code, out, err = run_cli(healthy, capsys, monkeypatch, "--dry-run", "-o", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert len(plan) == 7 and {"order", "host", "host_moid", "skip_reason"} <= set(plan[0])
    assert [p["order"] for p in plan if p["skip_reason"] is None] == list(range(6))
    assert launch_requests(healthy) == 0
    code, out, err = run_cli(healthy, capsys, monkeypatch, "--yes", "-o", "json", "--run-dir", str(tmp_path / "r"))
    assert_one_line_error(code, out, err, "--dry-run", healthy)
    assert launch_requests(healthy) == 0


def test_flagged_hosts_need_a_second_confirmation(capsys, monkeypatch, tmp_path):
    """Healthy hosts and hosts whose cause a reconfigure does not fix are flagged in the plan; with --yes they are
    left out unless --include-flagged."""
    with Simulator(clusters=3, hosts_per_cluster=8, scenario="root-causes", task_seconds=20, time_scale=100) as sim:
        code, out, err = run_cli(sim, capsys, monkeypatch, "--dry-run", "-o", "json")
        assert code == 0, err
        plan = pd.DataFrame(json.loads(out))
        launch = plan[plan["skip_reason"].isna()]
        assert {"cause", "reconfigure_fixes", "flag"} <= set(plan.columns)
        flags = launch["flag"].dropna().astype(str)
        assert any(f.startswith("fix first: ") for f in flags) and "healthy: nothing to fix" in set(flags)
        code, out, err = run_cli(sim, capsys, monkeypatch, "--dry-run")
        words = " ".join(out.split())  # the warning is a sentence, wrapped to the terminal's width
        assert "will not be helped by a reconfigure" in words and "diagnosis" in out and "fix first: " in words
        code, out, err = run_cli(sim, capsys, monkeypatch, "--yes", "--run-dir", str(tmp_path / "run"))
        assert "Left out" in out and "--include-flagged" in out
        fixable = set(launch[launch["flag"].isna()]["host_moid"].astype(str))
        if not fixable:
            assert "Nothing else to launch" in out and not (tmp_path / "run").exists()
            return
        tasks = load_run(tmp_path / "run").tasks
        assert set(tasks[tasks["attempt"] > 0]["host_moid"].astype(str)) == fixable
