"""A run's progress and end count finished, failed and not launched apart, on every surface: the tracker's
snapshot, its line, the terminal view, the panel's cluster table and the end counts of the tasks frame."""

from __future__ import annotations

import io

import pandas as pd
from rich.console import Console

from vsphere_nb.batch.frames import end_counts, end_text
from vsphere_nb.batch.progress import ProgressTracker
from vsphere_nb.cli._run_view import progress_view
from vsphere_nb.widgets.plan_view import cluster_progress_html


def stopped_run() -> ProgressTracker:
    """9 hosts launched (1 failed), 6 never launched: 4 left by the failure budget, 2 cancelled before launch;
    1 more launched and then cancelled on vCenter (a finished, failed host)."""
    t = ProgressTracker("run-x")
    hosts = [(("vc", f"host-{i}"), f"H{i:02d}", "C0" if i < 8 else "C1") for i in range(16)]
    t.add(hosts)
    for i in range(8):
        t.set(hosts[i][0], "launching")
        t.set(hosts[i][0], "running", 50)
        t.set(hosts[i][0], "success" if i else "fault")
    t.set(hosts[8][0], "launching")
    t.set(hosts[8][0], "cancelled")  # launched, then cancelled on vCenter: finished, failed
    for i in range(9, 13):
        t.set(hosts[i][0], "not_launched")
    for i in range(13, 15):
        t.set(hosts[i][0], "cancelled")  # the run was cancelled before these launched
    t.set(hosts[15][0], "not_launched")
    t.stop_reason, t.finished = "failure_budget_exceeded", True
    return t


def test_snapshot_counts_the_hosts_that_never_launched_apart():
    snap = stopped_run().snapshot()
    assert (snap.total, snap.done, snap.completed) == (16, 16, 9)
    assert (snap.succeeded, snap.failed, snap.not_launched, snap.running, snap.waiting) == (7, 2, 7, 0, 0)
    assert snap.line() == ("9 of 16 finished (7 succeeded, 2 failed), 7 not launched, stopped: failure_budget_exceeded")
    assert "16/16" not in snap.line() and "done" not in snap.line()
    c0, c1 = snap.clusters["C0"], snap.clusters["C1"]
    assert (c0["finished"], c0["failed"], c0["not_launched"]) == (8, 1, 0)
    assert (c1["finished"], c1["failed"], c1["not_launched"]) == (1, 1, 7)


def test_the_terminal_last_progress_line_never_says_all_done_when_some_never_launched():
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(progress_view(stopped_run().snapshot()))
    first = out.getvalue().splitlines()[0]
    assert "9 of 16 finished" in first and "failed 2" in first and "not launched 7" in first, first
    assert "16/16" not in out.getvalue() and "16 of 16" not in out.getvalue()


def test_the_panel_cluster_table_has_a_not_launched_column():
    page = cluster_progress_html(stopped_run().snapshot())
    head = page[page.index("<thead") : page.index("</thead>")]
    assert ">finished<" in head and ">not launched<" in head and ">done<" not in head


def test_end_counts_of_a_tasks_frame():
    tasks = pd.DataFrame(
        {
            "vcenter": ["vc"] * 7,
            "host_moid": [f"h{i}" for i in range(6)] + ["h0"],
            "attempt": [1, 1, 1, 1, 1, 0, 2],
            "outcome": ["fault", "success", "not_launched", "cancelled", None, "skipped", "success"],
            "stage": [
                "post_checked",
                "post_checked",
                "not_launched",
                "not_launched",
                "launched",
                "skipped",
                "post_checked",
            ],
        }
    )
    counts = end_counts(tasks)
    assert counts == {
        "succeeded": 2,
        "failed": 0,
        "not launched": 2,
        "in progress": 1,
        "skipped": 1,
        "finished": 2,
    }
    assert (
        end_text(counts)
        == "2 of 5 planned hosts finished (2 succeeded, 0 failed), 2 not launched, 1 in progress, 1 skipped"
    )
