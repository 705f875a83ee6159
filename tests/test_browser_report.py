"""The HTML report in a real browser (Debian's chromium) at 1280 px: it uses the page (no sideways scrolling,
charts side by side), and no name, state or type is broken inside a word — measured on the rendered text: every
word of every table cell sits on one line.

Every chart is at the page's width with its aspect kept, so its smallest text is 10 px or more on screen.

The report is the one of a real run on the demo fleet that stops on its failure budget (failed, not launched and
skipped hosts). Its screenshot goes to ``artifacts/screenshots/report-1280.png`` and, when missing or with
``VSPHERE_NB_UPDATE_SCREENSHOT=1``, to ``docs/report.png``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser_helpers import DOCS, SCREENSHOTS, chromium_page, require_chromium
from run_helpers import stopped_run

from vsphere_nb.tables import palette as style

pytestmark = pytest.mark.browser

#: the smallest text of any chart in its PNG (tests/test_charts.py checks every chart against it)
SMALLEST_TEXT_PX = style.SMALL_SIZE * style.DPI / 72

#: JavaScript: the words the browser laid out over more than one line. A word is any run of non-space characters
#: in a name cell (``td.name``, or any cell that keeps its text on one line); in running text a line may end after
#: a hyphen ("vCenter-to-/host" is typography), so there the pieces between hyphens count as words — a break
#: anywhere else ("DasConfigFa/ult", "DC0_C/0_H01") is a broken word
BROKEN_WORDS = """(scope) => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector(scope), NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    const cell = node.parentElement && node.parentElement.closest('td, th');
    const name = cell && (cell.classList.contains('name') || getComputedStyle(cell).whiteSpace === 'nowrap');
    const re = name ? /\\S+/g : /[^\\s-]+-?/g;
    let m;
    while ((m = re.exec(text))) {
      if (m[0].length < 2 || m[0].length > 60) continue;
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
  return broken;
}"""


def test_report_layout_at_1280_px(tmp_path: Path) -> None:
    require_chromium()
    run = stopped_run(tmp_path / "run")
    report = run.report(tmp_path / "report.html")
    with chromium_page(width=1280, height=900) as bp:
        page = bp.page
        page.goto(report.as_uri())
        page.locator(".headline").wait_for()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 1280, f"the report scrolls sideways at 1280 px: {width} px wide"
        broken = page.evaluate(BROKEN_WORDS, "body")
        assert broken == [], f"words broken over two lines: {broken[:20]}"
        # each chart at the page's width, its aspect kept, its smallest text 10 px or more on screen
        shown = page.evaluate(
            """() => [...document.querySelectorAll('img.chart')].map(i => ({
                   width: i.getBoundingClientRect().width, height: i.getBoundingClientRect().height,
                   natural: i.naturalWidth, naturalHeight: i.naturalHeight,
                   page: document.body.clientWidth - 64}))"""
        )
        assert len(shown) == 4
        for img in shown:
            assert img["width"] >= 0.9 * min(img["page"], 1400), img
            ratio, natural = img["width"] / img["height"], img["natural"] / img["naturalHeight"]
            assert abs(ratio - natural) / natural < 0.01, img  # the aspect is kept
            assert SMALLEST_TEXT_PX * img["width"] / img["natural"] >= 10, img
        # the headline is the first thing under the title
        first = page.evaluate("() => document.querySelector('h1').nextElementSibling.className")
        assert first == "headline"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / "report-1280.png"
        page.screenshot(path=str(shot), full_page=False)
        assert bp.page_errors == []
    target = DOCS / "report.png"
    if not target.exists() or os.environ.get("VSPHERE_NB_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, target)


def test_the_broken_word_check_sees_a_name_broken_in_two() -> None:
    """The check can fail: a host name in a cell too narrow for it, allowed to break anywhere."""
    require_chromium()
    page_html = """<body><table><tr>
      <td style="width:40px;max-width:40px;overflow-wrap:anywhere">DC0_C10_H01</td><td>DC0_C10_H02 fine</td>
    </tr></table></body>"""
    with chromium_page(width=800, height=400) as bp:
        bp.page.set_content(page_html)
        broken = bp.page.evaluate(BROKEN_WORDS, "body")
    assert broken == ["DC0_C10_H01"], broken
