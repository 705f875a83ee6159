"""The runbook in a real browser (Debian's chromium via Playwright), in JupyterLab and as a Voila app.

The flow a user follows: open the runbook (a copy), run all, then in the panel filter to unhealthy hosts,
select them, plan, launch, confirm, wait for the run to finish, and read the results: the outcome chart is
drawn, the fault table has rows, and choosing a fault reason narrows the tables. The headless part of the
runbook runs as a dry run here (``dry_run=True``), so the hosts the panel launches are still unhealthy.

Screenshots go to ``artifacts/screenshots/`` (CI artefacts); the JupyterLab results view is also copied to
``docs/screenshot-runbook.png`` when that file is missing (or ``VSPHERE_NB_UPDATE_SCREENSHOT=1``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import (
    chromium_page,
    code_cells,
    drive_runbook_panel,
    error_outputs,
    jupyter_server,
    lab_open,
    lab_run_all,
    publish_screenshot,
    require_chromium,
    runbook_copy,
    wait_http_gone,
)

pytestmark = pytest.mark.browser

#: the runbook's default simulator (mixed scenario, seed 8) with the headless launch turned off
PARAMETERS = {"dry_run": True}


def check_panel_flow(seen: dict[str, Any]) -> None:
    assert 0 < seen["hosts_unhealthy"] < seen["hosts_all"], seen
    assert seen["confirm_text"].startswith("Confirm launch of "), seen["confirm_text"]
    assert "done" in seen["progress"], seen["progress"]
    width, height = seen["chart_size"]
    assert width > 100 and height > 100
    assert seen["fault_rows"] >= 2, "the seeded fleet has faults with two different reasons"
    assert len(seen["reasons"]) >= 2, seen["reasons"]
    # choosing one reason narrows the tasks (and faults) to that reason
    assert seen["tasks_rows_filtered"] < seen["tasks_rows"]
    assert seen["fault_rows_filtered"] < seen["fault_rows"]
    assert seen["reasons"][0] in seen["filtered_text"]
    assert all(other not in seen["filtered_text"] for other in seen["reasons"][1:])


def test_runbook_panel_in_jupyterlab(tmp_path: Path) -> None:
    require_chromium()
    root = tmp_path / "lab"
    notebook = runbook_copy(root, PARAMETERS)
    with jupyter_server("lab", root) as server:
        with chromium_page() as bp:
            page = bp.page
            lab_open(page, server)
            lab_run_all(page, code_cells(notebook))
            assert error_outputs(page) == [], server.log()[-3000:]
            assert page.locator(".jp-OutputArea-output", has_text="dry_run=True: nothing launched.").count() == 1
            page.locator(".vnb-runbook").scroll_into_view_if_needed()
            bp.screenshot(".jp-NotebookPanel", "lab-0-after-run-all")
            seen = drive_runbook_panel(bp, "lab", ".jp-NotebookPanel")
            assert bp.page_errors == [], bp.page_errors
        check_panel_flow(seen)
        publish_screenshot(seen["results_shot"])
        assert (root / "runs").is_dir(), "the panel's run was saved next to the notebook copy"
    assert wait_http_gone(server.base), "JupyterLab still answers after stop"


def test_runbook_panel_as_voila_app(tmp_path: Path) -> None:
    require_chromium()
    root = tmp_path / "voila"
    runbook_copy(root, PARAMETERS)
    with jupyter_server("voila", root) as server:
        with chromium_page() as bp:
            page = bp.page
            page.goto(server.url())  # Voila runs the notebook in a fresh kernel, then shows the outputs
            page.locator(".vnb-runbook").wait_for()
            assert page.locator(".jp-OutputArea-output", has_text="dry_run=True: nothing launched.").count() == 1
            assert page.locator("text=Traceback").count() == 0
            seen = drive_runbook_panel(bp, "voila", ".vnb-runbook")
            assert bp.page_errors == [], bp.page_errors
        check_panel_flow(seen)
    assert wait_http_gone(server.base), "Voila still answers after stop"
