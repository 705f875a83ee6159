"""The HTML report: self-contained (no external URL, no script), every server value escaped."""

import re

import pytest
from run_helpers import stopped_run as make_stopped_run

from benchmarks.synthetic import synthetic_records
from vsphere_nb.batch import RunRecords, RunResult, render_report, write_report

EVIL = '<script>alert("x")</script><img src="https://evil.example/p.png">'


def result_with(records):
    rr = RunRecords("run-r")
    rr.vcenters = ["https://vc1.example/sdk"]
    for r in records:
        rr.add(r)
    return RunResult.from_records(rr)


def evil_result():
    recs = synthetic_records(30, 200, seed=4)
    recs[0].host = f"esx{EVIL}"
    recs[1].outcome = "fault"
    recs[1].set_fault(
        {
            "_typeName": "DasConfigFault",
            "reason": "Other",
            "output": EVIL,
            "faultMessage": [{"_typeName": "LocalizableMessage", "key": "k", "message": EVIL}],
        }
    )
    recs[2].add_events(
        "host_events",
        [
            {
                "_typeName": "HostDasErrorEvent",
                "key": 1,
                "chainId": 1,
                "createdTime": "2026-03-01T08:00:00Z",
                "fullFormattedMessage": EVIL,
            }
        ],
    )
    return result_with(recs)


def test_report_is_self_contained():
    html = render_report(evil_result())
    assert html.startswith("<!DOCTYPE html>")
    for attr in re.findall(r'\b(?:src|href)\s*=\s*"([^"]*)"', html, flags=re.I):
        assert attr.startswith("data:image/png;base64,"), attr
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, flags=re.I)
    assert not re.search(r"url\(", html)
    assert len(re.findall(r'<img class="chart"', html)) == 4


def test_every_server_value_is_escaped():
    html = render_report(evil_result(), with_charts=False)
    assert "<script>" not in html and "evil.example" in html  # present only as text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html or "&lt;script&gt;alert(" in html


def test_report_content():
    result = evil_result()
    html = render_report(result, title="Nightly <HA> run", with_charts=False)
    assert "<title>Nightly &lt;HA&gt; run</title>" in html
    summary = result.summary()
    for outcome, count in summary.items():
        row = re.search(rf"{outcome}</td><td class=\"n\">{count}</td>", html)
        assert bool(row) == bool(count), outcome  # only the outcomes that occurred have a row
    assert "Hosts that need attention" in html and "Fault messages" in html and "Events by type" in html
    assert "https://vc1.example/sdk" in html  # as text: the vCenter it ran against


def test_report_without_charts_and_max_rows(tmp_path):
    result = evil_result()
    html = render_report(result, with_charts=False, max_rows=3)
    assert "<img" not in html
    assert "3 of " in html and "shown; the saved frames hold all" in html
    path = write_report(result, tmp_path / "sub" / "report.html", with_charts=False)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert result.report(tmp_path / "r2.html", with_charts=False) == tmp_path / "r2.html"
    assert isinstance(result.report(with_charts=False), str)


def test_report_of_an_empty_run():
    html = render_report(result_with([]))
    assert "No hosts that need attention" in html and "No events collected" in html


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory):
    """A real run on the demo fleet that stops on its failure budget: hosts failed, never launched and skipped."""
    return make_stopped_run(tmp_path_factory.mktemp("run") / "run")


def test_report_opens_with_one_headline_and_the_limits_in_words(stopped_run):
    html = render_report(stopped_run, with_charts=False)
    body = html[html.index("<body>") :]
    first = re.search(r'<div class="headline">(.*?)</div>', body, flags=re.S)
    assert first and body.index('<div class="headline">') < body.index("<h2>"), "the headline comes first"
    text = re.sub(r"<[^>]+>", "", first.group(1))
    counts = stopped_run.end_counts()
    assert "What ran:" in text and "What came out:" in text and "What needs doing:" in text
    assert f"{counts['not launched']} not launched" in text and f"{counts['failed']} failed" in text
    assert "failure budget exceeded" in text and "retry" in text
    planned = counts["finished"] + counts["not launched"]
    assert f"{counts['finished']} of {planned} planned hosts finished" in text
    # the limits in words, never a Python repr
    assert "max_in_flight=" not in html and "FailureBudget(" not in html
    assert "at most 4 tasks at once, at most 1 per cluster" in html
    assert "stop launching after 4 failures (3 tolerated)" in html


def test_report_rows_line_breaks_and_skipped_hosts(stopped_run):
    html = render_report(stopped_run, with_charts=False)
    # only outcomes that occurred
    for outcome, n in stopped_run.summary().items():
        assert (f'{outcome}</td><td class="n">' in html) == bool(n), outcome
    # agent output keeps its line breaks: no literal backslash-n, a <br> between lines
    assert "\\n" not in html
    assert "[fdm]" in html and re.search(r"\[fdm\][^<]*<br>\[fdm\]", html)
    # skipped hosts have their own table, not under "Hosts that need attention"
    attention = html[
        html.index("<h2>Hosts that need attention</h2>") : html.index("<h2>Skipped by the pre-flight</h2>")
    ]
    tasks = stopped_run.tasks
    skipped = tasks[tasks["outcome"].astype(object) == "skipped"]["host"].astype(str)
    assert len(skipped) and not any(f">{h}<" in attention for h in skipped)
    skipped_part = html[html.index("<h2>Skipped by the pre-flight</h2>") :]
    assert all(f">{h}<" in skipped_part for h in skipped)
    # one label per column: HA state, not das_state
    assert "<th>HA state before</th>" in attention and "das_state" not in attention
