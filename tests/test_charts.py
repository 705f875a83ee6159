"""Charts: plain matplotlib Figures (no pyplot), the right number of bars/lines, caps with notes, empty input."""

import subprocess
import sys

import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from benchmarks.synthetic import synthetic_records
from vsphere_nb.batch import (
    build_frames,
    events_over_time,
    fault_reasons,
    figure_png,
    outcomes_by_cluster,
    task_timeline,
)
from vsphere_nb.batch.frames import coerce, empty_frame


def tasks(rows):
    return coerce(pd.DataFrame(rows), "tasks")


def bars(fig):
    (ax,) = fig.axes
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def row(cluster, host, outcome, **extra):
    return {
        "run_id": "r",
        "vcenter": "vc1",
        "cluster": cluster,
        "host": host,
        "host_moid": f"m-{host}",
        "attempt": 1,
        "outcome": outcome,
        **extra,
    }


def texts(fig):
    return [t.get_text() for t in fig.texts] + [t.get_text() for ax in fig.axes for t in ax.texts]


def test_outcomes_by_cluster_stacks_one_segment_per_cluster_and_outcome():
    df = tasks(
        [
            row("A", "a1", "success"),
            row("A", "a2", "fault"),
            row("B", "b1", "success"),
            row("B", "b2", "success"),
            row("C", "c1", "skipped"),
        ]
    )
    fig = outcomes_by_cluster(df)
    assert isinstance(fig, Figure)
    rects = bars(fig)
    assert len(rects) == 3 * 3  # clusters A, B, C x outcomes success, fault, skipped
    totals = {}
    for r in rects:
        x = round(r.get_x() + r.get_width() / 2)
        totals[x] = totals.get(x, 0) + r.get_height()
    assert [totals[i] for i in range(3)] == [2, 2, 1]
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["success", "fault", "skipped"]


def test_outcomes_by_cluster_caps_clusters_with_a_note_and_counts_latest_attempt():
    rows = [row(f"C{i:02d}", f"h{i}", "fault" if i < 5 else "success") for i in range(40)]
    rows.append(row("C00", "h0", "success", attempt=2))  # retried: the latest attempt counts
    fig = outcomes_by_cluster(tasks(rows), max_clusters=10)
    assert len(bars(fig)) == 10 * 2
    assert any("30 of 40 clusters not shown" in t for t in texts(fig))
    fig = outcomes_by_cluster(tasks(rows[:3] + [rows[-1]]))
    heights = sum(r.get_height() for r in bars(fig))
    assert heights == 3


def test_unfinished_attempts_show_as_in_progress():
    fig = outcomes_by_cluster(tasks([row("A", "a1", None), row("A", "a2", "success")]))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["success", "in progress"]


def test_fault_reasons_one_bar_per_reason_and_other():
    rows = (
        [
            row("A", f"x{i}", "fault", fault_type="DasConfigFault", fault_reason="HostNetworkMisconfiguration")
            for i in range(5)
        ]
        + [row("A", f"y{i}", "fault", fault_type="DasConfigFault", fault_reason="Other") for i in range(2)]
        + [row("A", "z", "launch_failed", fault_type="NoPermission")]
        + [row("A", "t", "timed_out")]
        + [row("A", "s", "success")]
    )
    fig = fault_reasons(tasks(rows))
    rects = bars(fig)
    widths = sorted(r.get_width() for r in rects)
    assert widths == [1, 1, 2, 5]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert set(labels) == {"HostNetworkMisconfiguration", "Other", "NoPermission", "timed_out"}
    capped = fault_reasons(tasks(rows), top=2)
    assert len(bars(capped)) == 2
    assert "other" in [t.get_text() for t in capped.axes[0].get_yticklabels()]


def test_task_timeline_one_bar_per_started_task_and_cap_note():
    base = pd.Timestamp("2026-03-01T08:00:00Z")
    rows = [
        row(
            "A",
            f"h{i}",
            "success" if i else None,
            started_at=(base + pd.Timedelta(seconds=10 * i)).isoformat(),
            completed_at=(base + pd.Timedelta(seconds=10 * i + 60)).isoformat() if i else None,
        )
        for i in range(6)
    ]
    rows.append(row("A", "never", "not_launched"))
    df = tasks(rows)
    fig = task_timeline(df)
    assert len(bars(fig)) == 6
    capped = task_timeline(df, max_hosts=4)
    assert len(bars(capped)) == 4
    assert any("first 4 of 6 tasks" in t for t in texts(capped))


def test_events_over_time_one_line_per_type_and_other():
    frames = build_frames(synthetic_records(40, 400, seed=1))
    n_types = frames.events["event_type_id"].nunique()
    assert n_types > 3
    fig = events_over_time(frames.events, top_types=20)
    assert len(fig.axes[0].lines) == n_types
    fig = events_over_time(frames.events, top_types=3)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert len(labels) == 3 and labels[-1] == "other"
    total = sum(line.get_ydata().sum() for line in fig.axes[0].lines)
    assert total == len(frames.events)


@pytest.mark.parametrize("chart", [outcomes_by_cluster, fault_reasons, task_timeline])
def test_empty_tasks_give_a_no_data_figure(chart):
    fig = chart(empty_frame("tasks"))
    assert isinstance(fig, Figure) and bars(fig) == []
    assert any(t in ("no data", "no failures", "no task started") for t in texts(fig))


def test_empty_events_give_a_no_data_figure():
    fig = events_over_time(empty_frame("events"))
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) == 0


def test_figure_png():
    png = figure_png(outcomes_by_cluster(tasks([row("A", "a", "success")])))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_no_pyplot_and_no_backend_switch():
    code = (
        "import sys\n"
        "from benchmarks.synthetic import synthetic_records\nfrom vsphere_nb.batch import charts, build_frames\n"
        "f = build_frames(synthetic_records(20, 100))\n"
        "figs = [charts.outcomes_by_cluster(f.tasks), charts.fault_reasons(f.tasks), charts.task_timeline(f.tasks),"
        " charts.events_over_time(f.events)]\n"
        "[charts.figure_png(x) for x in figs]\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert all(x.canvas.manager is None for x in figs), 'figure registered with a GUI manager'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
