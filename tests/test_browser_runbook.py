"""The runbook in JupyterLab, in a real browser (Debian's chromium via Playwright), at 1,000 hosts.

Open a copy of the runbook (parameters injected as papermill does: a 20 × 50 simulator, ``dry_run=True`` so the
step-by-step cells launch nothing and the panel's hosts are still unhealthy), run all, then do the issue's flow
in the panel: sort, filter, the unhealthy chip, click + shift-click 20 hosts, plan, launch, confirm, progress,
Results, an outcome chip, one host's detail — with the layout check (no tall grid row, no cut label).

Screenshots go to ``artifacts/screenshots/lab-*.png``; the Results view is also ``docs/screenshot-runbook.png``
when that file is missing (or ``VSPHERE_NB_UPDATE_SCREENSHOT=1``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import (
    check_flow,
    chromium_page,
    drive_panels,
    jupyter_server,
    lab_open,
    lab_run_all,
    publish_screenshot,
    require_chromium,
    runbook_copy,
    wait_http_gone,
)

pytestmark = pytest.mark.browser

PARAMETERS = {"dry_run": True, "sim_clusters": 20, "sim_hosts_per_cluster": 50, "sim_time_scale": 20.0}
HOSTS = 20 * 50 + 2


def test_runbook_panel_in_jupyterlab_at_a_thousand_hosts(tmp_path: Path) -> None:
    require_chromium()
    root = tmp_path / "lab"
    runbook_copy(root, PARAMETERS)
    with jupyter_server("lab", root) as server:
        with chromium_page(width=1400, height=1100) as bp:
            page = bp.page
            lab_open(page, server)
            assert lab_run_all(page) == [], server.log()[-3000:]
            assert page.locator(".jp-OutputArea-output", has_text="dry_run=True: nothing launched.").count() == 1
            page.locator(".vnb-runbook").scroll_into_view_if_needed()
            seen = drive_panels(bp, "lab", ".jp-NotebookPanel")
            assert bp.page_errors == [], bp.page_errors
        check_flow(seen, HOSTS)
        publish_screenshot(seen["shots"]["results"])
        assert (root / "runs").is_dir(), "the panel's run was saved next to the notebook copy"
    assert wait_http_gone(server.base), "JupyterLab still answers after stop"
