"""Text from a vCenter is data on every surface: the escaping helpers (:mod:`vsphere_nb.safetext`), charts with
``$`` in names, the hostile simulator scenario, the panels after a run, the report and its paths.

The payloads are the ones a hostile (or careless) inventory administrator can write: HTML and script tags,
quotes and backticks, ``$…$`` math, template braces, bidi overrides and control characters. The real-browser
proof (0 script dialogs in JupyterLab, nbconvert, papermill, Voila and the report) is
``tests/test_browser_hostile.py``; these tests fail fast without a browser.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from widget_helpers import (  # noqa: F401  (autouse fixture)
    assert_no_errors,
    fail_on_handler_errors,
    grid_data,
    wait_for,
)

from vsphere_nb import ConfigError
from vsphere_nb.batch import BatchLimits, charts, figure_png, load_run
from vsphere_nb.cli import main
from vsphere_nb.diagnosis import charts as diagnosis_charts
from vsphere_nb.safetext import chart_text, html_frame, html_style, html_text, visible
from vsphere_nb.simulator import Simulator, load_scenario
from vsphere_nb.simulator.scenarios import entity_name
from vsphere_nb.sync import connect

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"
#: the scenario's payloads written raw (not as &lt;…): markup that would act in a browser
RAW_TAG = re.compile(
    r"<(?:img src=x|script>alert|/script>|svg[ /]onload|iframe src=javascript|/textarea>)", re.IGNORECASE
)


def acting_markup(html: str) -> list[str]:
    return RAW_TAG.findall(html)


# ---------------------------------------------------------------------------------------------------------------
# the helpers
# ---------------------------------------------------------------------------------------------------------------
def test_html_text_escapes_markup_quotes_and_shows_invisible_characters() -> None:
    assert html_text(IMG) == "&lt;img src=x onerror=alert(1)&gt;"
    assert html_text("\"'`") == "&quot;&#x27;`"
    assert html_text("a\u202eb\x1b[31m\x00") == "a\\u202eb\\x1b[31m\\x00"
    assert html_text("line 1\r\nline 2\tx") == "line 1\nline 2\tx"  # multi-line output stays multi-line
    assert html_text(None) == html_text(float("nan")) == html_text(pd.NA) == ""
    assert html_text(["a", IMG]) == "[&#x27;a&#x27;, &#x27;&lt;img src=x onerror=alert(1)&gt;&#x27;]"
    assert visible("a\tb\nc\u2028d") == "a b c d"  # one line for a terminal


def test_a_plain_styler_does_not_escape_and_html_style_does() -> None:
    """The bug class itself: pandas' Styler writes cells, labels and captions as HTML."""
    frame = pd.DataFrame({IMG: [SCRIPT, 1]}, index=pd.Index([IMG, "b\u202e"], name=IMG))
    raw = frame.style.set_caption(IMG).to_html()
    assert acting_markup(raw), "pandas changed: the Styler now escapes (the helper may be simpler)"
    safe = html_style(frame.style.background_gradient(axis=None, subset=pd.IndexSlice[["b\u202e"], :]), caption=IMG)
    out = safe.to_html()
    assert acting_markup(out) == [], out
    assert out.count("&lt;img src=x onerror=alert(1)&gt;") == 4  # caption, column, index name, index label
    assert "&lt;/script&gt;&lt;script&gt;" in out and "b\\u202e" in out
    reasons = pd.DataFrame([[1, 0]], index=pd.MultiIndex.from_tuples([("r1 #1", IMG)], names=["run", "cluster"]))
    reasons.columns = pd.Index([SCRIPT, "Prod$_$East"], name="reason")
    assert acting_markup(html_style(reasons.style.background_gradient(axis=None)).to_html()) == []


def test_html_frame_escapes_cells_and_labels_and_keeps_number_formats() -> None:
    frame = pd.DataFrame({"host": [IMG], "duration_s": [1.234], IMG: ["x"], "ok": [True]})
    out = html_frame(frame, float_format="%.1f")
    assert acting_markup(out) == [] and "&lt;img" in out
    assert "<td>1.2</td>" in out and "<td>True</td>" in out
    assert acting_markup(html_frame(frame.set_index("host"), index=True)) == []
    assert acting_markup(html_frame(frame, escape=False)) == []  # escaping cannot be turned off


def test_chart_text_is_never_math() -> None:
    for name in ("Prod$_$East", "$\\frac{1}{0}$", "a\\$b$", "$x^$", "$", "plain"):
        shown = Text(text=chart_text(name))
        assert shown._preprocess_math(shown.get_text()) == (name, False), name


# ---------------------------------------------------------------------------------------------------------------
# a hostile fleet, reconfigured once (shared by the tests below)
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    run_dir = tmp_path_factory.mktemp("hostile") / "run"
    with Simulator(
        scenario="hostile", clusters=6, hosts_per_cluster=4, standalone_hosts=1, seed=3, time_scale=50
    ) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            hosts = vc.hosts()
            limits = BatchLimits(max_in_flight=16, per_cluster=4, post_check_timeout=5)
            run = vc.plan_reconfigure(vc.hosts(only_unhealthy=True), limits).execute(run_dir=run_dir)
            history = vc.events(since="72h")
            diagnosis = vc.diagnose(run=run, since="72h")
    return hosts, run, history, diagnosis


def test_the_hostile_scenario_is_a_valid_fleet_with_hostile_text_everywhere(hostile_run: Any) -> None:
    hosts, run, history, _diagnosis = hostile_run
    # names: unique per datacenter, returned as ManagedEntity.name is (no raw /), payloads intact otherwise
    assert hosts["host"].is_unique and len(hosts) == 6 * 4 + 1
    clusters = set(hosts["cluster"].dropna().astype(str))
    assert {IMG, "Prod$_$East", "<%2fscript><script>alert(1)<%2fscript>"} <= clusters
    assert any("\u202e" in c and "\x1b" in c for c in clusters)
    assert not any("/" in n for n in [*clusters, *hosts["host"].astype(str)])
    assert any(h.startswith(IMG) for h in hosts["host"].astype(str))
    assert any("{{7*7}}" in h for h in hosts["host"].astype(str))
    # texts: DasConfigFault reasons, messages, outputs (some of 100 KB), events
    reasons = set(run.tasks["fault_reason"].dropna().astype(str))
    assert IMG in reasons and SCRIPT in reasons
    outputs = run.tasks["fault_output"].dropna().astype(str)
    assert outputs.str.len().max() == 102_400 and outputs.str.contains("<(?:img|iframe) src=", regex=True).all()
    assert run.fault_messages["message"].astype(str).str.contains("<svg onload", regex=False).any()
    assert run.events["message"].astype(str).str.contains(SCRIPT, regex=False).any()
    assert history["message"].astype(str).str.contains(IMG, regex=False).any()


def test_scenario_names_are_checked_and_escaped_like_managed_entity_names(tmp_path: Path) -> None:
    assert entity_name("a/b\\c%d%2f") == "a%2fb%5cc%25d%2f"
    with pytest.raises(ConfigError, match="lacks"):
        load_scenario({"name": "x", "names": {"hosts": ["esx"]}})
    with pytest.raises(ConfigError, match="unique"):
        load_scenario({"name": "x", "names": {"clusters": ["a/b", "a%2fb"]}})
    with pytest.raises(ConfigError, match="not unique"):
        Simulator(scenario={"name": "x", "names": {"clusters": ["DC0_C1"]}}, clusters=2, hosts_per_cluster=1)


def test_simulate_serves_the_hostile_scenario() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "vsphere_nb", "simulate", "--scenario", "hostile", "--clusters", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not any(line.startswith("scenario:") for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        assert lines[-1].startswith("scenario: hostile, ")
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def _displayed_texts(fig: Figure) -> list[str]:
    """Every text the figure draws, as matplotlib shows it (math text parsed or not), after a render."""
    figure_png(fig)
    shown = []
    for text in fig.findobj(Text):
        raw = text.get_text()
        if raw:
            value, math = text._preprocess_math(raw)
            assert math is False or not text.get_parse_math(), raw
            shown.append(value)
    return shown


def test_every_chart_shows_dollar_names_as_written(hostile_run: Any) -> None:
    _hosts, run, history, diagnosis = hostile_run
    figures = {
        "outcomes_by_cluster": charts.outcomes_by_cluster(run.tasks),
        "fault_reasons": charts.fault_reasons(run.tasks),
        "task_timeline": charts.task_timeline(run.tasks, limits=run.limits),
        "events_swimlane": charts.events_swimlane(run.events),
        "events_over_time": charts.events_over_time(run.events),
        "causes_by_cluster": charts.causes_by_cluster(diagnosis.hosts),
        "diagnosis causes": diagnosis_charts.causes_by_cluster(diagnosis.hosts),
        "diagnosis swimlane": diagnosis_charts.event_swimlane(history),
    }
    seen = {name: _displayed_texts(fig) for name, fig in figures.items()}
    assert any("Prod$_$East" in t for t in seen["outcomes_by_cluster"]), seen["outcomes_by_cluster"]
    assert any(t.startswith("Prod$_$East") for t in seen["fault_reasons"]), seen["fault_reasons"]
    assert any("$x^$" in t for t in seen["task_timeline"]), seen["task_timeline"]
    assert any("Prod$_$East" in t for t in seen["diagnosis causes"]), seen["diagnosis causes"]


def test_the_payload_bites_a_chart_without_escaping() -> None:
    """Control: the same name set raw is parsed as math and fails the render (what the charts used to do)."""
    fig = Figure()
    fig.add_subplot().set_title("Prod$_$East")
    with pytest.raises(ValueError):
        figure_png(fig)


# ---------------------------------------------------------------------------------------------------------------
# HTML surfaces without a browser: reprs, triage board, report, the panels after a run
# ---------------------------------------------------------------------------------------------------------------
def test_reprs_triage_board_and_report_escape_everything(hostile_run: Any) -> None:
    _hosts, run, _history, diagnosis = hostile_run
    for html in (run._repr_html_(), diagnosis._repr_html_(), run.report()):
        assert acting_markup(html) == [], acting_markup(html)[:5]
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def _html_of(root: Any) -> list[str]:
    """Every HTML string the panels send to the browser: HTML widgets' values, tooltips, grids' rows."""
    from vsphere_nb.widgets._util import iter_widgets

    out = []
    for w in iter_widgets(root):
        state = w.get_state()
        for key, value in state.items():
            if key.startswith(("_esm", "_css", "_model", "_view")):
                continue
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, dict):
                out += [str(v) for v in value.values() if isinstance(v, str)]
    return out


def test_panels_show_hostile_text_as_text_before_and_after_a_run(tmp_path: Path) -> None:
    from vsphere_nb.widgets import RunbookPanel

    panel = RunbookPanel(
        simulator=dict(scenario="hostile", clusters=6, hosts_per_cluster=4, seed=3, time_scale=50, task_seconds=2),
        limits=BatchLimits(max_in_flight=16, per_cluster=4, post_check_timeout=5),
        autoconnect=True,
        run_dir=str(tmp_path / "run"),
    )
    try:
        assert_no_errors(*panel.panels)
        state = panel.state
        assert any(str(c) == IMG for c in state.hosts["cluster"])
        panel.hosts.only_unhealthy.value = True
        panel.hosts.select_all.click()
        panel.launch.plan_button.click()
        panel.launch.launch_button.click()
        panel.launch.confirm_button.click()
        wait_for(lambda: panel.launch.handle.done(), 60, "the run")
        run = panel.launch.wait(30)
        assert panel.results.wait_charts(60)
        panel.results.host_select.value = panel.results.host_select._options_values[-1]
        panel.diagnose.diagnose_button.click()
        panel.diagnose.wait(60)
        panel.diagnose.cause.value = panel.diagnose.cause._options_values[-1]
        panel.diagnose.host.value = panel.diagnose.host._options_values[-1]
        assert_no_errors(*panel.panels)
        shown = "\n".join(_html_of(panel.widget))
        assert "&lt;img src=x onerror=alert(1)&gt;" in shown and run.run_id in shown
        # the grids' rows are part of what is checked (cells and their tooltips)
        assert "&lt;img src=x onerror=alert(1)&gt;" in grid_data(panel.hosts.table) in shown
        assert "&lt;/script&gt;&lt;script&gt;" in grid_data(panel.results.tasks_table) in shown
        assert acting_markup(shown) == [], sorted(set(acting_markup(shown)))
    finally:
        panel.close()


# ---------------------------------------------------------------------------------------------------------------
# report paths
# ---------------------------------------------------------------------------------------------------------------
def test_report_expands_the_home_directory(hostile_run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _hosts, run, _history, _diagnosis = hostile_run
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir(), cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    path = run.report("~/reports/x.html")
    assert Path(path) == home / "reports" / "x.html" and Path(path).is_file()
    assert list(cwd.iterdir()) == [], "a literal ./~ folder"


def test_report_command_on_a_dollar_named_run_and_into_a_directory(hostile_run: Any, tmp_path: Path, capsys) -> None:
    _hosts, run, _history, _diagnosis = hostile_run
    out = tmp_path / "reports"
    out.mkdir()
    assert main(["report", str(run.run_dir), "-o", str(out)]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Prod$_$East" in text and acting_markup(text) == []
    assert [p.name for p in out.iterdir()] == ["report.html"]
    assert load_run(run.run_dir).run_id == run.run_id


def test_a_report_that_cannot_be_written_leaves_nothing_behind(hostile_run: Any, tmp_path: Path, capsys) -> None:
    _hosts, run, _history, _diagnosis = hostile_run
    blocked = tmp_path / "out"
    (blocked / "report.html").mkdir(parents=True)  # a directory where the file should go: the rename fails
    assert main(["report", str(run.run_dir), "-o", str(blocked)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "vsphere-nb: error:" in err
    assert sorted(p.name for p in blocked.iterdir()) == ["report.html"]
    assert list((blocked / "report.html").iterdir()) == []


def test_a_failed_write_removes_its_temporary_file(
    hostile_run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hosts, run, _history, _diagnosis = hostile_run
    target = tmp_path / "r.html"
    target.write_text("the previous report")

    def refuse(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        run.report(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]
    assert target.read_text() == "the previous report"
