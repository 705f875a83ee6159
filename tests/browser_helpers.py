"""Real-browser test support: a JupyterLab / Voila server in a subprocess, Debian's chromium through Playwright,
and the steps that drive the runbook panel.

Servers start exactly the way ``vsphere-nb demo`` starts them (the helpers of :mod:`vsphere_nb.cli.demo`): bound to
127.0.0.1, token auth on, fresh Jupyter/IPython/matplotlib/XDG state directories, autosave and the news feed off.
They serve a *copy* of the runbook (parameters injected as papermill does), never the tracked file.

Chromium is ``/usr/bin/chromium`` (``apt-get install -y chromium``); Playwright never downloads a browser here.
Without it the tests fail — unless ``VSPHERE_NB_ALLOW_NO_BROWSER=1`` is set, then they skip with that reason.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest

from vsphere_nb.cli.demo import (
    free_port,
    jupyter_env,
    lab_command,
    stop_process_group,
    voila_command,
    wait_until_serving,
)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
RUNBOOK = "reconfigure-ha-runbook.ipynb"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
DOC_SCREENSHOT = REPO / "docs" / "screenshot-runbook.png"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Lab settings for tests: every cell rendered (no virtual scrolling), so any output can be found in the DOM
LAB_TEST_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}

#: seconds for one step in the page (kernel start, a run of the runbook's simulator, a chart render)
STEP_TIMEOUT_MS = 60_000


def require_chromium() -> str:
    """The chromium path; fails the test when missing, unless ``VSPHERE_NB_ALLOW_NO_BROWSER=1`` (then skips)."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
    if os.environ.get("VSPHERE_NB_ALLOW_NO_BROWSER") == "1":
        pytest.skip(f"{reason}; skipped because VSPHERE_NB_ALLOW_NO_BROWSER=1")
    pytest.fail(f"{reason}, or set VSPHERE_NB_ALLOW_NO_BROWSER=1 to skip the browser tests")


def runbook_copy(directory: Path, parameters: Mapping[str, Any], name: str = RUNBOOK) -> Path:
    """Write the runbook with ``parameters`` injected (papermill's ``injected-parameters`` cell) into
    ``directory``; the tracked notebook is never opened by a server."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = parameterize_notebook(load_notebook_node(str(NOTEBOOKS / name)), dict(parameters))
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    nbformat.write(nb, target)
    return target


class JupyterServer:
    """``jupyter lab`` (``kind="lab"``) or ``voila NOTEBOOK`` (``kind="voila"``) serving ``root``."""

    def __init__(self, kind: str, root: Path, notebook: str = RUNBOOK, env: Mapping[str, str] | None = None) -> None:
        assert kind in ("lab", "voila")
        self.kind = kind
        self.root = root
        self.notebook = notebook
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.state = Path(tempfile.mkdtemp(prefix=f"vnb-{kind}-state-"))
        self.log_path = self.state / "server.log"
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("VSPHERE_")}
        base_env.update(env or {})
        self.env = jupyter_env(
            self.state, token=self.token, autosave=False, base=base_env, lab_settings=LAB_TEST_SETTINGS
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "") -> str:
        if not path:
            path = f"/lab/tree/{self.notebook}" if self.kind == "lab" else "/"
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def start(self) -> JupyterServer:
        if self.kind == "lab":
            # the app object in the page lets a test run Lab commands (runmenu:run-all) like a menu click
            cmd = lab_command(self.root, self.port, "--LabApp.expose_app_in_browser=True")
            probe, tcp_only = f"{self.base}/api/status?token={self.token}", False
        else:
            cmd = voila_command(self.notebook, self.port, "--show_tracebacks=True")
            probe, tcp_only = self.base, True  # every Voila page load starts a kernel: probe the port only
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        try:
            wait_until_serving(self.proc, probe, tcp_only=tcp_only)
        except Exception:
            self.stop()
            raise
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the server's own process group (its kernels shut down with it), then clean its state."""
        if self.proc is not None:
            stop_process_group(self.proc)
        shutil.rmtree(self.state, ignore_errors=True)


@contextmanager
def jupyter_server(kind: str, root: Path, **kwargs: Any) -> Iterator[JupyterServer]:
    server = JupyterServer(kind, root, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


class BrowserPage:
    """A chromium page plus everything the page complained about (uncaught errors, console errors)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)

    def screenshot(self, selector: str, name: str) -> Path:
        """Screenshot of the element ``selector`` to ``artifacts/screenshots/<name>.png``."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.locator(selector).first.screenshot(path=str(path))
        return path


@contextmanager
def chromium_page(width: int = 1400, height: int = 1800) -> Iterator[BrowserPage]:
    """A fresh headless chromium (Debian's) with one page; closed afterwards."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.set_default_timeout(STEP_TIMEOUT_MS)
            yield BrowserPage(context.new_page())
        finally:
            browser.close()


def publish_screenshot(path: Path) -> None:
    """Copy a good screenshot to ``docs/screenshot-runbook.png`` (the README shows it) when it is missing or
    when ``VSPHERE_NB_UPDATE_SCREENSHOT=1`` — so a plain test run never rewrites a committed file."""
    if not DOC_SCREENSHOT.exists() or os.environ.get("VSPHERE_NB_UPDATE_SCREENSHOT") == "1":
        DOC_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SCREENSHOT)


# ---------------------------------------------------------------------------------------------------------------
# JupyterLab
# ---------------------------------------------------------------------------------------------------------------
def lab_wait_idle(page: Any, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Wait until the status bar says the kernel is ``Idle`` (the toolbar indicator says it too early)."""
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\bIdle\b")).first.wait_for(timeout=timeout_ms)


def lab_open(page: Any, server: JupyterServer) -> None:
    """Open the notebook copy and wait for its kernel."""
    page.goto(server.url())
    page.locator(".jp-NotebookPanel").first.wait_for()
    lab_wait_idle(page)


def lab_run_all(page: Any, cells: int, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Run every cell (the ``runmenu:run-all`` command, as the Run menu does) and wait until each code cell has
    an execution count and the kernel is idle again."""
    page.evaluate("() => window.jupyterapp.commands.execute('runmenu:run-all')")
    page.wait_for_function(
        """(n) => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
            return prompts.length >= n && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        arg=cells,
        timeout=timeout_ms,
    )
    lab_wait_idle(page)


def code_cells(notebook: Path) -> int:
    return sum(1 for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")


def error_outputs(page: Any) -> list[str]:
    """Tracebacks shown in cell outputs (Lab marks them ``application/vnd.jupyter.stderr`` / error)."""
    return page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").all_inner_texts()


# ---------------------------------------------------------------------------------------------------------------
# the runbook panel (same steps in Lab and in Voila)
# ---------------------------------------------------------------------------------------------------------------
def _tab(page: Any, title: str) -> None:
    page.locator(".vnb-runbook").get_by_role("tab", name=title).click()


def _rows(page: Any, selector: str) -> int:
    return page.locator(f"{selector} table tbody tr").count()


def drive_runbook_panel(bp: BrowserPage, shot_prefix: str, frame_selector: str) -> dict[str, Any]:
    """Connect is automatic; filter to unhealthy hosts, select them, plan, launch, confirm, wait for the end,
    then check the Results tab (chart, fault table, reason filter). Returns what was observed."""
    page = bp.page
    seen: dict[str, Any] = {}
    panel = page.locator(".vnb-runbook")
    panel.wait_for()
    page.locator(".vnb-connect-status").get_by_text(re.compile(r"^connected to ")).first.wait_for()

    _tab(page, "Hosts")
    table = page.locator(".vnb-hosts-table table tbody tr")
    table.first.wait_for()
    seen["hosts_all"] = table.count()
    page.locator(".vnb-only-unhealthy input[type=checkbox]").check()
    page.wait_for_function(
        "(n) => document.querySelectorAll('.vnb-hosts-table table tbody tr').length < n", arg=seen["hosts_all"]
    )
    seen["hosts_unhealthy"] = table.count()
    page.locator("button.vnb-select-all").click()
    page.locator(".vnb-selected-count").get_by_text(re.compile(r"\b[1-9]\d* selected")).first.wait_for()

    _tab(page, "Launch")
    page.locator("button.vnb-plan").click()
    page.locator(".vnb-plan-view").get_by_text("Dry run").first.wait_for()
    page.locator("button.vnb-launch").click()
    confirm = page.locator("button.vnb-confirm")
    confirm.wait_for(state="visible")
    seen["confirm_text"] = confirm.inner_text()
    panel.evaluate("el => el.scrollIntoView({block: 'start'})")
    bp.screenshot(frame_selector, f"{shot_prefix}-1-confirm")
    confirm.click()
    page.locator(".vnb-launch-status").get_by_text(re.compile(r"run \S+ finished")).first.wait_for()
    seen["progress"] = page.locator(".vnb-progress-text").inner_text()
    bp.screenshot(frame_selector, f"{shot_prefix}-2-finished")

    _tab(page, "Results")
    chart = page.locator("img.vnb-chart-outcomes")
    page.wait_for_function(
        """() => { const img = document.querySelector('img.vnb-chart-outcomes');
                   return img && img.naturalWidth > 100 && img.naturalHeight > 100; }"""
    )
    seen["chart_size"] = chart.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    faults = page.locator(".vnb-fault-table table tbody tr")
    faults.first.wait_for()
    seen["fault_rows"] = faults.count()
    select = page.locator(".vnb-reason-filter select")
    labels = [o for o in select.locator("option").all_inner_texts() if o.strip() and o != "(any)"]
    seen["reasons"] = [re.sub(r"\s*\(\d+\)$", "", label.replace("\xa0", " ")).strip() for label in labels]
    reasons = labels
    tasks_before = _rows(page, ".vnb-tasks-table")
    seen["tasks_rows"] = tasks_before
    panel.evaluate("el => el.scrollIntoView({block: 'start'})")
    seen["results_shot"] = bp.screenshot(frame_selector, f"{shot_prefix}-3-results")
    if reasons:
        select.select_option(label=reasons[0])
        page.wait_for_function(
            "(n) => document.querySelectorAll('.vnb-tasks-table table tbody tr').length !== n", arg=tasks_before
        )
        seen["tasks_rows_filtered"] = _rows(page, ".vnb-tasks-table")
        seen["fault_rows_filtered"] = _rows(page, ".vnb-fault-table")
        seen["filtered_text"] = page.locator(".vnb-tasks-table").inner_text()
    bp.screenshot(frame_selector, f"{shot_prefix}-4-filtered")
    return seen


def wait_http_gone(url: str, timeout: float = 15.0) -> bool:
    """True once nothing answers at ``url`` any more."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
        except httpx.HTTPError:
            return True
        time.sleep(0.2)
    return False
