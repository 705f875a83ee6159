"""The HTML report: self-contained (no external URL, no script), every server value escaped."""

import re

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
        assert re.search(rf"{outcome}</td><td class=\"n\">{count}</td>", html)
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
