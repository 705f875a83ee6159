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
