"""``vsphere-nb report RUN_DIR``: a self-contained HTML file (inline CSS, charts as data: URLs, no script, no
external URL) from a finished run, from a crashed run's journal alone, and one-line errors for bad directories."""

from __future__ import annotations

import re
import shutil

import pytest

from vsphere_nb.batch import BatchLimits
from vsphere_nb.cli import main
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect

EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)|<script|<link|@import|url\(\s*["']?https?:""", re.IGNORECASE
)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A mixed-scenario run saved in its run directory (faults, events, skipped hosts)."""
    run_dir = tmp_path_factory.mktemp("report") / "run"
    with Simulator(
        clusters=5, hosts_per_cluster=6, standalone_hosts=1, scenario="mixed", seed=5, task_seconds=20, time_scale=100
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            run = vc.plan_reconfigure(
                vc.hosts(), BatchLimits(max_in_flight=16, per_cluster=4, post_check_timeout=5)
            ).execute(run_dir=run_dir)
    assert (run.tasks["outcome"] == "fault").any() and len(run.events)
    return run, run_dir


def check_self_contained(text: str, run) -> None:
    assert text.lstrip().lower().startswith("<!doctype html")
    assert not EXTERNAL.search(text), EXTERNAL.search(text).group(0)
    assert text.count("data:image/png;base64,") >= 2  # the charts are embedded
    assert run.run_id in text
    for host in run.tasks[run.tasks["outcome"] == "fault"]["host"].astype(str):
        assert host in text
    for reason in run.tasks["fault_reason"].dropna().astype(str).unique():
        assert reason in text


def test_report_into_the_run_directory(finished_run, capsys):
    run, run_dir = finished_run
    assert main(["report", str(run_dir)]) == 0
    out = capsys.readouterr().out
    path = run_dir / "report.html"
    assert f"report written: {path}" in out
    check_self_contained(path.read_text(encoding="utf-8"), run)


def test_report_to_another_file(finished_run, capsys, tmp_path):
    run, run_dir = finished_run
    target = tmp_path / "elsewhere.html"
    assert main(["report", str(run_dir), "-o", str(target)]) == 0
    check_self_contained(target.read_text(encoding="utf-8"), run)


def test_report_from_the_journal_of_a_run_that_never_saved_its_frames(finished_run, capsys, tmp_path):
    run, run_dir = finished_run
    journal_only = tmp_path / "crashed"
    journal_only.mkdir()
    shutil.copy(run_dir / "journal.jsonl", journal_only / "journal.jsonl")
    assert main(["report", str(journal_only)]) == 0
    check_self_contained((journal_only / "report.html").read_text(encoding="utf-8"), run)


@pytest.mark.parametrize(
    "make, contains",
    [
        (lambda d: d / "missing", "does not exist"),
        (lambda d: d, "neither saved frames nor a journal.jsonl"),
    ],
)
def test_bad_run_directory_is_one_line(capsys, tmp_path, make, contains):
    code = main(["report", str(make(tmp_path))])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vsphere-nb: error: ") and contains in lines[0]


def test_garbled_journal_is_one_line(capsys, tmp_path):
    (tmp_path / "journal.jsonl").write_text('{"kind": "run_started"\nnot json\n')
    code = main(["report", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1 and "journal.jsonl" in err and "Traceback" not in err
