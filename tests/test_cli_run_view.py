"""The run in the terminal: the live progress view keeps to a few lines whatever the fleet size, plain lines when
stderr is not a terminal, and the end summary's "hosts that need attention" says why in one cell."""

from __future__ import annotations

import io

import pandas as pd
from rich.console import Console

from vsphere_nb.batch.progress import Progress
from vsphere_nb.cli._run_view import MAX_CLUSTER_LINES, LiveProgress, _needs_attention, progress_view


def snapshot(clusters: int, *, finished: bool = False, stop: str | None = None) -> Progress:
    per = {}
    for i in range(clusters):
        done = 4 if i % 3 == 0 else i % 4
        per[f"C{i:03d}"] = {
            "total": 4,
            "done": done,
            "running": 0 if done == 4 else 1,
            "failed": 1 if i % 5 == 0 else 0,
        }
    states = {"pending": 0, "running": sum(c["running"] for c in per.values()), "success": 0}
    states["success"] = sum(c["done"] for c in per.values())
    return Progress("run-x", 4 * clusters, states, per, {}, stop, finished, 65.0)


def render(progress: Progress, width: int = 120) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(progress_view(progress))
    return out.getvalue().splitlines()


def test_progress_view_shows_busy_clusters_first_and_folds_the_rest():
    lines = render(snapshot(200))
    assert lines[0].startswith("Reconfigure for vSphere HA") and "0:01:05" in lines[0]
    cluster_lines = [line for line in lines if line.startswith("  C")]
    assert len(cluster_lines) == MAX_CLUSTER_LINES
    assert all("running 1" in line for line in cluster_lines)  # busy ones first
    open_clusters = sum(1 for i in range(200) if i % 3 != 0)
    assert f"{open_clusters - MAX_CLUSTER_LINES} more clusters working or waiting" in lines[-1]
    assert "67 clusters ended (14 with failures)" in lines[-1]
    assert max(len(line) for line in lines) <= 120


def test_progress_view_says_why_launching_stopped():
    lines = render(snapshot(3, stop="failure_budget_exceeded"))
    assert "stopped launching: the failure budget was exceeded" in "\n".join(lines)


def test_plain_lines_when_not_a_terminal():
    err = io.StringIO()
    live = LiveProgress(err)
    live(snapshot(3))
    live(snapshot(3))  # within 30 s of the first: not repeated
    live(snapshot(3, finished=True))
    live.close()
    lines = err.getvalue().splitlines()
    assert len(lines) == 2 and all(line.startswith("[0:01:05] ") for line in lines)


def test_needs_attention_says_why_in_one_column():
    tasks = pd.DataFrame(
        [
            {"cluster": "A", "host": "a1", "attempt": 1, "outcome": "success"},
            {
                "cluster": "A",
                "host": "a2",
                "attempt": 1,
                "outcome": "fault",
                "fault_reason": "Other",
                "fault_message": "esxupdate error",
            },
            {
                "cluster": "A",
                "host": "a3",
                "attempt": 1,
                "outcome": "agent_unhealthy",
                "das_state_after": "uninitialized",
            },
            {
                "cluster": "B",
                "host": "b1",
                "attempt": 1,
                "outcome": "not_launched",
                "skip_reason": "failure budget exceeded",
            },
            {"cluster": "B", "host": "b2", "attempt": 0, "outcome": "skipped", "skip_reason": "in maintenance mode"},
        ]
    )
    tasks["host_moid"] = tasks["host"]
    tasks["vcenter"] = "vc"
    for column in ("fault_reason", "fault_message", "fault_type", "das_state_after", "skip_reason"):
        tasks[column] = tasks.get(column, pd.Series(dtype=object)).astype(object)
    attention = _needs_attention(tasks)
    assert attention[["host", "outcome", "why"]].values.tolist() == [
        ["a3", "agent_unhealthy", "HA agent uninitialized after the task succeeded"],
        ["a2", "fault", "Other: esxupdate error"],
        ["b1", "not_launched", "failure budget exceeded"],
    ]
