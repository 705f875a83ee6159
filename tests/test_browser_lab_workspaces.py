"""Lab pages of one server share its ``default`` workspace: Lab saves every page's layout into it, and a page opened
later on ``/lab/tree/NAME`` restores the notebooks listed there next to NAME, behind it or in front of it. That
page then holds a notebook its Run All never runs (or runs the wrong one) — the browser tests waited for
execution counts that never came (the hostile test's Connect-form page opens after the three notebooks' pages). They open every notebook in a workspace of its own
(``JupyterServer.notebook_path``); this proves the failure on the shared workspace (the control) and its absence
in a page's own one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from browser_helpers import chromium_page, jupyter_server, lab_open, lab_run_all, require_chromium

pytestmark = pytest.mark.browser


def _notebook(path: Path, source: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)


def _open_notebooks(page: Any) -> list[str]:
    return sorted(
        page.evaluate(
            "() => [...window.jupyterapp.shell.widgets('main')].filter(w => w.content && w.content.widgets)"
            ".map(w => w.context.path)"
        )
    )


def _saved_in_default_workspace(server: Any, name: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = httpx.get(server.url("/lab/api/workspaces/default"), timeout=10).json().get("data") or {}
        main = (data.get("layout-restorer:data") or {}).get("main") or {}
        if f"notebook:{name}" in ((main.get("dock") or {}).get("widgets") or []):
            return True
        time.sleep(0.2)
    return False


def test_a_page_in_a_workspace_of_its_own_holds_its_notebook_alone(tmp_path: Path) -> None:
    require_chromium()
    root = tmp_path / "lab"
    root.mkdir()
    _notebook(root / "first.ipynb", "1")
    _notebook(root / "second.ipynb", "2")
    with jupyter_server("lab", root, notebook="first.ipynb") as server, chromium_page() as bp:
        context = bp.page.context
        first = context.new_page()
        first.goto(server.url("/lab/tree/first.ipynb"))  # the shared default workspace
        first.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget")
        assert _saved_in_default_workspace(server, "first.ipynb"), "Lab never saved the first page's layout"
        first.close(run_before_unload=True)
        # control: the next page on the shared workspace holds the first page's notebook too
        control = context.new_page()
        control.goto(server.url("/lab/tree/second.ipynb"))
        control.wait_for_function(
            "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            " return !!w && !!w.context && w.context.path === 'second.ipynb' && w.context.isReady; }"
        )
        control.wait_for_timeout(1000)  # the restored notebook is added alongside
        assert _open_notebooks(control) == ["first.ipynb", "second.ipynb"]
        # the tests' way: a workspace of its own holds the notebook alone, and Run All runs all of it
        own = context.new_page()
        lab_open(own, server, "second.ipynb")
        assert _open_notebooks(own) == ["second.ipynb"]
        assert lab_run_all(own) == []
