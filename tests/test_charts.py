"""Charts: plain matplotlib Figures (no pyplot), the right bars and markers in the shared colours, integer count
axes, caps with notes, empty input."""

import subprocess
import sys

import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from benchmarks.synthetic import synthetic_records
from vsphere_nb.batch import (
    BatchLimits,
    build_frames,
    causes_by_cluster,
    events_over_time,
    events_swimlane,
    fault_reasons,
    figure_png,
    outcomes_by_cluster,
    task_timeline,
)
from vsphere_nb.batch.frames import coerce, empty_frame
from vsphere_nb.tables import palette as style
from vsphere_nb.tables.categories import EVENT_CATEGORIES


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
            row("B", "b3", "success"),
            row("C", "c1", "skipped"),
        ]
    )
    fig = outcomes_by_cluster(df)
    assert isinstance(fig, Figure)
    rects = bars(fig)
    assert len(rects) == 3 * 3  # clusters A, B, C x outcomes success, fault, skipped
    totals = {}
    for r in rects:
        y = round(r.get_y() + r.get_height() / 2)
        totals[y] = totals.get(y, 0) + r.get_width()
    ax = fig.axes[0]
    # horizontal bars, worst cluster first (A has a fault), then by hosts: B (3) before C (1)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C"]
    assert [totals[i] for i in range(3)] == [2, 3, 1]
    assert ax.yaxis_inverted()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["success", "fault", "skipped"]
    legend = ax.get_legend()
    colours = {t.get_text(): p.get_facecolor()[:3] for t, p in zip(legend.get_texts(), legend.get_patches())}
    assert colours["fault"] == pytest.approx(to_rgb(style.OUTCOME_COLORS["fault"]))


def test_count_axes_have_whole_numbers_only():
    fig = outcomes_by_cluster(tasks([row("A", "a1", "success"), row("B", "b1", "fault"), row("B", "b2", "success")]))
    figure_png(fig)  # ticks are decided at draw time
    ticks = [t for t in fig.axes[0].get_xticks() if 0 <= t <= 2]
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
    reasons = fault_reasons(tasks([row("A", "a1", "fault", fault_reason="Other")]))
    figure_png(reasons)
    assert all(float(t).is_integer() for t in reasons.axes[0].get_xticks())


def test_outcomes_by_cluster_caps_clusters_with_a_note_and_counts_latest_attempt():
    rows = [row(f"C{i:02d}", f"h{i}", "fault" if i < 5 else "success") for i in range(40)]
    rows.append(row("C00", "h0", "success", attempt=2))  # retried: the latest attempt counts
    fig = outcomes_by_cluster(tasks(rows), max_clusters=10)
    assert len(bars(fig)) == 10 * 2
    assert any("30 of 40 clusters not shown" in t for t in texts(fig))
    fig = outcomes_by_cluster(tasks(rows[:3] + [rows[-1]]))
    widths = sum(r.get_width() for r in bars(fig))
    assert widths == 3


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


def timeline_rows(n=6):
    base = pd.Timestamp("2026-03-01T08:00:00Z")
    rows = [
        row(
            "A" if i % 2 else "B",
            f"h{i}",
            "success" if i else None,
            queued_at=(base + pd.Timedelta(seconds=10 * i)).isoformat(),
            started_at=(base + pd.Timedelta(seconds=10 * i + (5 if i == 3 else 0))).isoformat(),
            completed_at=(base + pd.Timedelta(seconds=10 * i + 60)).isoformat() if i else None,
            canary=i < 2,
        )
        for i in range(n)
    ]
    rows.append(row("A", "never", "not_launched"))
    return tasks(rows)


def test_task_timeline_gantt_one_bar_per_started_task_queue_time_and_cap_note():
    df = timeline_rows()
    fig = task_timeline(df)
    gantt, flight = fig.axes
    solid = [p for p in gantt.patches if isinstance(p, Rectangle) and p.get_alpha() is None]
    queued = [p for p in gantt.patches if isinstance(p, Rectangle) and p.get_alpha() is not None]
    assert len(solid) == 6 and len(queued) == 1  # h3 waited 5 s in vCenter's queue
    assert sum(1 for p in solid if p.get_linewidth() > 0) == 2  # canaries outlined
    colours = {tuple(p.get_facecolor()[:3]) for p in solid}
    assert tuple(to_rgb(style.OUTCOME_COLORS["success"])) in colours
    assert tuple(to_rgb(style.IN_PROGRESS_COLOR)) in colours  # h0 still running
    capped = task_timeline(df, max_hosts=4)
    assert len([p for p in capped.axes[0].patches if p.get_alpha() is None]) == 4
    assert any("first 4 of 6 tasks" in t for t in texts(capped))


def test_task_timeline_shows_tasks_in_flight_against_the_caps():
    df = timeline_rows()
    fig = task_timeline(df, limits=BatchLimits(max_in_flight=8, per_cluster=3))
    flight = fig.axes[1]
    in_flight, busiest = flight.lines[:2]
    assert max(in_flight.get_ydata()) == 6  # h0 runs to the end, every task overlaps
    assert max(busiest.get_ydata()) == 3
    caps = sorted(line.get_ydata()[0] for line in flight.lines[2:])
    assert caps == [3, 8]
    assert {"max in flight 8", "per cluster 3"} <= {t.get_text().strip() for t in flight.texts}
    without = task_timeline(df)
    assert len(without.axes[1].lines) == 2


def test_events_swimlane_one_lane_per_host_and_one_marker_style_per_category():
    frames = build_frames(synthetic_records(40, 400, seed=1))
    events = frames.events
    fig = events_swimlane(events, max_hosts=100)
    (ax,) = fig.axes
    hosts = events["host"].astype(str).nunique()
    assert len(ax.get_yticks()) == hosts
    categories = {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}
    assert set(categories) <= set(EVENT_CATEGORIES) and {"agent-error", "task"} <= set(categories)
    assert set(events["category"].astype(str)) == set(categories)  # the frames' own category column, one scheme
    for name, line in categories.items():
        colour, marker = style.EVENT_CATEGORY_STYLE[name]
        assert line.get_marker() == marker and line.get_linestyle() == "None"
        assert to_rgb(line.get_color()) == pytest.approx(to_rgb(colour))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sum(int(t.split("(")[1].rstrip(")")) for t in legend) == len(events)
    capped = events_swimlane(events, max_hosts=5)
    assert len(capped.axes[0].get_yticks()) == 5
    assert any(f"5 of {hosts} hosts shown" in t for t in texts(capped))
    assert len(events_over_time(events).axes[0].get_yticks()) == min(hosts, 40)  # the old name still works


def test_events_swimlane_merges_markers_too_close_to_tell_apart():
    frames = build_frames(synthetic_records(40, 400, seed=1))
    many = pd.concat([frames.events] * 20, ignore_index=True)
    fig = events_swimlane(many, max_points=10)
    markers = [line for line in fig.axes[0].lines if line.get_label() in style.EVENT_CATEGORIES]
    drawn = sum(len(line.get_xdata()) for line in markers)
    assert 0 < drawn < len(frames.events)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sum(int(t.split("(")[1].rstrip(")")) for t in legend) == len(many)  # the legend counts every event


def diagnosis(rows):
    return pd.DataFrame(
        [{"vcenter": "vc1", "cluster": c, "host": h, "cause": cause, "scope": "host"} for c, h, cause in rows]
    )


def test_causes_by_cluster_heat_map_counts_hosts_in_cause_colours():
    df = diagnosis(
        [
            ("A", "a1", "management_network"),
            ("A", "a2", "management_network"),
            ("A", "a2", "management_network"),  # the same host twice counts once
            ("A", "a3", "no_datastore"),
            ("B", "b1", "no_datastore"),
            ("B", "b2", "something new"),
        ]
    )
    fig = causes_by_cluster(df)
    (ax,) = fig.axes
    (image,) = ax.images
    grid = image.get_array()
    assert grid.shape[:2] == (2, 3)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["management network", "no datastore", "something new"]
    counts = sorted((round(t.get_position()[1]), round(t.get_position()[0]), t.get_text()) for t in ax.texts)
    assert counts == [(0, 0, "2"), (0, 1, "1"), (1, 1, "1"), (1, 2, "1")]
    # the fullest cell of a column is that cause's colour; an empty cell is white
    assert tuple(grid[0, 0][:3]) == pytest.approx(to_rgb(style.cause_color("management_network")), abs=0.01)
    assert tuple(grid[1, 0][:3]) == (1.0, 1.0, 1.0)


def test_causes_by_cluster_caps_rows_and_columns_with_a_note():
    rows = [(f"C{i:02d}", f"h{i}-{j}", f"cause-{j}") for i in range(40) for j in range(1 + i % 15)]
    fig = causes_by_cluster(diagnosis(rows), max_clusters=10, max_causes=5)
    (ax,) = fig.axes
    assert len(ax.get_yticklabels()) == 10 and len(ax.get_xticklabels()) == 5
    assert ax.get_xticklabels()[-1].get_text() == "other"
    assert any("30 of 40 clusters not shown" in t for t in texts(fig))
    assert any("summed as 'other'" in t for t in texts(fig))


@pytest.mark.parametrize("frame", [None, pd.DataFrame(columns=["vcenter", "cluster", "host", "cause", "scope"])])
def test_no_causes_give_a_no_data_figure(frame):
    fig = causes_by_cluster(frame)
    assert "no causes diagnosed" in texts(fig)


@pytest.mark.parametrize("chart", [outcomes_by_cluster, fault_reasons, task_timeline])
def test_empty_tasks_give_a_no_data_figure(chart):
    fig = chart(empty_frame("tasks"))
    assert isinstance(fig, Figure) and bars(fig) == []
    assert any(t in ("no data", "no failures", "no task started") for t in texts(fig))


def test_empty_events_give_a_no_data_figure():
    fig = events_swimlane(empty_frame("events"))
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) == 0 and "no data" in texts(fig)


def test_figure_png():
    png = figure_png(outcomes_by_cluster(tasks([row("A", "a", "success")])))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_no_pyplot_and_no_backend_switch():
    code = (
        "import sys\n"
        "from benchmarks.synthetic import synthetic_records\nfrom vsphere_nb.batch import charts, build_frames\n"
        "f = build_frames(synthetic_records(20, 100))\n"
        "figs = [charts.outcomes_by_cluster(f.tasks), charts.fault_reasons(f.tasks), charts.task_timeline(f.tasks),"
        " charts.events_swimlane(f.events), charts.causes_by_cluster(None)]\n"
        "[charts.figure_png(x) for x in figs]\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert all(x.canvas.manager is None for x in figs), 'figure registered with a GUI manager'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_every_chart_has_the_house_width_and_no_text_under_the_small_size():
    """At the notebook's width (about 1,000 px and more) a chart keeps its text at 10 px or more: every chart is
    the house width in its PNG and its smallest text is style.SMALL_SIZE (12.5 px at 100 dpi, measured from the
    figure's text artists)."""
    import io

    from PIL import Image

    from vsphere_nb.batch.charts import min_text_px
    from vsphere_nb.diagnosis import charts as dcharts

    frames = build_frames(synthetic_records(40, 300, seed=3))
    diag = pd.DataFrame(
        {
            "vcenter": "vc1",
            "cluster": [f"DC0_C{i % 9}" for i in range(60)],
            "host": [f"DC0_C{i % 9}_H{i:02d}" for i in range(60)],
            "cause": ["isolation-address", "election", "datastore-access"] * 20,
            "scope": "host",
        }
    )
    history = frames.events.assign(category="state-change")
    figures = {
        "outcomes": outcomes_by_cluster(frames.tasks),
        "reasons": fault_reasons(frames.tasks),
        "timeline": task_timeline(frames.tasks, limits=BatchLimits(max_in_flight=8)),
        "swimlane": events_swimlane(frames.events),
        "over time": events_over_time(frames.events),
        "causes heat map": causes_by_cluster(diag),
        "diagnosis causes": dcharts.causes_by_cluster(diag),
        "diagnosis swimlane": dcharts.event_swimlane(history),
    }
    smallest = style.SMALL_SIZE * style.DPI / 72
    assert smallest >= 12.5 - 0.1
    for name, fig in figures.items():
        assert min_text_px(fig) >= smallest - 0.01, (name, min_text_px(fig))
        width, _height = Image.open(io.BytesIO(figure_png(fig))).size
        assert width == style.FIGURE_WIDTH * style.DPI, (name, width)
