"""The benchmark harness runs end to end at a tiny size, so it cannot rot between ``make bench`` runs.

No timing is asserted (the tiny sizes say nothing about speed); what is asserted is what must hold at any size:
every section ran and produced its figures, the baselines computed the same answer as vsphere-nb (the inventory
table, the filtered hosts), the batch respected its caps and launched nothing twice, and the Markdown renders
every section — the chaos section too, from a report of the shape ``make chaos`` writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--tiny", "--out", str(out)],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads((out / "results.json").read_text())
    data["_markdown"] = (out / "results.md").read_text()
    data["_stdout"] = proc.stdout
    return data


@pytest.mark.slow
def test_every_section_ran(tiny: dict) -> None:
    sections = tiny["sections"]
    assert set(sections) >= {"inventory", "batch", "frames", "simulator", "widgets"}
    for name, sec in sections.items():
        assert "error" not in sec, (name, sec.get("error"))
        assert sec["mode"] == "tiny" and sec["measured_at"]
    assert tiny["machine"]["cores"] and tiny["machine"]["python"]


@pytest.mark.slow
def test_baselines_compute_the_same_answers(tiny: dict) -> None:
    inv = tiny["sections"]["inventory"]
    assert inv["equivalent"] is True
    size = inv["sizes"][0]
    assert size["ours"]["rows"] == size["hosts"]
    assert size["baseline_sequential"]["measured_requests"] > size["ours"]["requests"]
    widgets = tiny["sections"]["widgets"]
    if widgets.get("measured"):
        assert widgets["same_rows"] is True


@pytest.mark.slow
def test_batch_section_is_sound(tiny: dict) -> None:
    batch = tiny["sections"]["batch"]
    ours, settings = batch["ours"], batch["settings"]
    assert ours["hosts"] == settings["hosts"] and ours["outcomes"] == {"success": settings["hosts"]}
    assert ours["hosts_launched_twice"] == 0 and ours["launches"] == settings["hosts"]
    assert ours["server_max_concurrent_tasks"] <= settings["max_in_flight"]
    assert ours["server_max_per_cluster"] <= settings["per_cluster"]
    assert batch["baseline_polling"]["states"] == {"success": batch["baseline_polling"]["hosts"]}
    assert batch["baseline_sequential"]["states"] == {"success": batch["baseline_sequential"]["measured_hosts"]}
    assert batch["journal"]["ms_per_record_fsync"] > 0 and ours["journal_records"] > ours["hosts"]


@pytest.mark.slow
def test_other_sections_have_their_figures(tiny: dict) -> None:
    frames = tiny["sections"]["frames"]
    assert frames["ours"]["rows"]["tasks"] == frames["tasks"]
    assert frames["ours"]["rows"]["events"] >= frames["events"]
    assert frames["ours"]["peak_total"] > 0 and frames["baseline_naive"]["rows"]["tasks"] == frames["tasks"]
    sim = tiny["sections"]["simulator"]
    assert sim["reads"]["raw"]["reads"] > 0 and sim["reads"]["raw"]["errors"] == 0
    assert sim["baseline_bare_http"]["raw"]["reads"] > 0
    assert sim["memory"]["hosts"] == sim["hosts"]
    # the panels are measured, in the kernel and in Debian's chromium (make test installs it): never "not measured"
    assert tiny["sections"]["widgets"]["measured"], tiny["sections"]["widgets"].get("reason")
    browser = tiny["sections"]["widgets_browser"]
    assert browser["measured"], browser.get("reason")
    assert browser["ready_seconds"] > 0 and browser["filter_seconds"] > 0


@pytest.mark.slow
def test_markdown_renders_every_section(tiny: dict) -> None:
    md = tiny["_markdown"]
    for title in (
        "## Targets",
        "## Inventory",
        "## Batch",
        "## DataFrames",
        "## Simulator",
        "## Widgets",
        "**Machine**",
    ):
        assert title in md
    assert "baseline" in md.lower() and "extrapolated" in md
    assert "## Targets" in tiny["_stdout"]  # a run prints what it wrote


def test_chaos_section_renders() -> None:
    from dataclasses import asdict

    from benchmarks.chaos import SMALL, ChaosReport
    from benchmarks.run import render_markdown

    report = ChaosReport(
        settings=asdict(SMALL),
        hosts=60,
        eligible=45,
        seconds=30.0,
        outcomes={"success": 45},
        launches=45,
        hosts_with_one_outcome=60,
        run_finished=True,
        resume_exit_code=0,
        faults_injected={"http_503": 3, "dropped_connections": 2, "restarts": 1, "session_expiries": 2},
        client={"retries": 4, "relogins": 2},
        files_scanned=12,
        tokens_issued=5,
        notes=["resume attempt 1 exited with 2: x"],
    )
    md = render_markdown({"sections": {"chaos": {"name": "chaos", "measured_at": "now", **report.as_dict()}}})
    assert "## Chaos" in md and "**duplicate launches** | **0**" in md and "all checks passed" in md
    assert "resume attempt 1 exited with 2" in md
    failed = ChaosReport(settings=asdict(SMALL), problems=["2 duplicate launch(es)"])
    md = render_markdown({"sections": {"chaos": {"name": "chaos", **failed.as_dict()}}})
    assert "FAILED: 2 duplicate launch(es)" in md and "| chaos | every check (see below) | pass | FAIL | ✗ |" in md


@pytest.mark.slow
def test_startup_section_compares_with_the_eager_baseline(tiny: dict) -> None:
    sec = tiny["sections"]["startup"]
    assert set(sec["commands"]) == {"import vsphere_nb", "vsphere-nb --version", "vsphere-nb --help"}
    for figures in sec["commands"].values():
        assert figures["heavy_loaded"] == []
        assert "matplotlib" in figures["baseline_heavy_loaded"]  # the baseline really is the eager path
        assert figures["ours"] > 0 and figures["baseline_eager"] > 0
    assert "## Start-up: import and CLI" in tiny["_markdown"]
