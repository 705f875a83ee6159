"""The Voila app (``notebooks/app.ipynb``) in a real browser (Debian's chromium via Playwright) at 1,000 hosts.

The flow of a user: connect to the built-in simulator (the form set to 20 clusters × 50 hosts), sort the hosts
by HA state, filter a column, show only the unhealthy ones with their chip, click then shift-click 20 hosts, plan,
launch, confirm, watch the progress, open Results, filter by an outcome chip, click an attempt for the host's
detail. The layout check fails on a grid row taller than about three lines or a label whose text is cut.

Each step's screenshot goes to ``artifacts/screenshots/`` (CI artefacts); one per panel is copied to
``docs/panel-*.png`` for the README when missing (or ``VSPHERE_NB_UPDATE_SCREENSHOT=1``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_helpers import (
    NOTEBOOKS,
    check_flow,
    chromium_page,
    drive_panels,
    jupyter_server,
    publish_panel_screenshots,
    require_chromium,
    wait_http_gone,
)

pytestmark = pytest.mark.browser

APP = "app.ipynb"
FORM = {"clusters": 20, "hosts_per_cluster": 50}
HOSTS = 20 * 50 + 2  # and the story fleet's two standalone hosts


def test_app_panels_in_voila_at_a_thousand_hosts(tmp_path: Path) -> None:
    require_chromium()
    root = tmp_path / "voila"
    root.mkdir()
    shutil.copyfile(NOTEBOOKS / APP, root / APP)
    with jupyter_server("voila", root, notebook=APP) as server:
        with chromium_page(width=1400, height=1100) as bp:
            page = bp.page
            page.goto(server.url())
            page.locator(".vnb-runbook").wait_for()
            assert page.locator("text=Traceback").count() == 0
            # nothing acts on load: the app waits for Connect
            assert page.locator(".vnb-connect-status").inner_text().strip() == "not connected"
            seen = drive_panels(bp, "voila", ".vnb-runbook", connect_form=FORM)
            assert bp.page_errors == [], bp.page_errors
        check_flow(seen, HOSTS)
        publish_panel_screenshots(seen["shots"])
    assert wait_http_gone(server.base), "Voila still answers after stop"


def test_the_layout_check_sees_a_tall_row_and_a_cut_label() -> None:
    """The check the flow relies on can fail: a row wrapped over many lines and a label cut by its box."""
    require_chromium()
    from browser_helpers import layout_problems

    long_text = "Cannot complete the configuration of the vSphere HA agent on the host. " * 12
    page_html = f"""
    <div class="vnb-runbook">
      <div class="vnb-grid"><table><tbody>
        <tr><td>DC0_C0_H01</td><td style="max-width: 20em">{long_text}</td></tr>
        <tr><td>DC0_C0_H02</td><td>short</td></tr>
      </tbody></table></div>
      <div class="widget-label" style="width: 40px; overflow: hidden; white-space: nowrap">Failure budget</div>
      <div class="widget-label" style="width: 200px">Task timeout (s)</div>
    </div>"""
    with chromium_page(width=1000, height=800) as bp:
        bp.page.set_content(page_html)
        problems = layout_problems(bp.page, ".vnb-runbook")
    assert any(p.startswith("row ") and "DC0_C0_H01" in p for p in problems), problems
    assert "cut label: Failure budget" in problems, problems
    assert not any("DC0_C0_H02" in p or "Task timeout" in p for p in problems), problems
