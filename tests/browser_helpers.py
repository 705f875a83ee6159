"""Real-browser test support: a JupyterLab / Voila server in a subprocess, Debian's chromium through Playwright,
and the steps that drive the runbook panel.

Servers start exactly the way ``vsphere-nb demo`` starts them (the helpers of :mod:`vsphere_nb.cli.demo`): bound to
127.0.0.1, token auth on, fresh Jupyter/IPython/matplotlib/XDG state directories, autosave and the news feed off.
They serve a *copy* of the runbook (parameters injected as papermill does), never the tracked file.

Chromium is ``/usr/bin/chromium`` (``apt-get install -y chromium``); Playwright never downloads a browser here.
Without it the tests fail — unless ``VSPHERE_NB_ALLOW_NO_BROWSER=1`` is set, then they skip with that reason.
"""

from __future__ import annotations

import json
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
from vsphere_nb.widgets.launch import NOT_DIAGNOSED

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
RUNBOOK = "reconfigure-ha-runbook.ipynb"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
DOCS = REPO / "docs"
DOC_SCREENSHOT = DOCS / "screenshot-runbook.png"

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

    def __init__(
        self,
        kind: str,
        root: Path,
        notebook: str = RUNBOOK,
        env: Mapping[str, str] | None = None,
        lab_settings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
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
            self.state,
            token=self.token,
            autosave=False,
            base=base_env,
            lab_settings={**LAB_TEST_SETTINGS, **(lab_settings or {})},
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "") -> str:
        if not path:
            path = self.notebook_path() if self.kind == "lab" else "/"
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def notebook_path(self, name: str | None = None) -> str:
        """Lab's path for the notebook ``name`` in a workspace of its own, new for each page. Pages on the shared
        ``default`` workspace restore each other's notebooks (Lab saves every page's layout into it, and clones it
        for a page that opens while another uses it): a page then holds a second notebook, hidden or in front,
        whose cells that page never runs."""
        return f"/lab/workspaces/vnb-{secrets.token_hex(6)}/tree/{name or self.notebook}"

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


def lab_wait_ready(page: Any, name: str, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Wait until the page's notebook ``name`` can run: in front, its file loaded into the model, its session
    ready, the kernel connected and idle (as the status bar says it). Fails when the page holds another notebook
    too (its cells would never run here)."""
    page.wait_for_function(
        """(name) => { const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel;
            return !!kernel && panel.context.path === name && panel.context.isReady && panel.sessionContext.isReady
                && kernel.connectionStatus === 'connected' && kernel.status === 'idle'; }""",
        arg=name,
        timeout=timeout_ms,
    )
    lab_wait_idle(page, timeout_ms)
    notebooks = page.evaluate(
        "() => [...window.jupyterapp.shell.widgets('main')].filter(w => w.content && w.content.widgets)"
        ".map(w => w.context.path)"
    )
    assert notebooks == [name], f"the page holds {notebooks}, not {name} alone"


def lab_open(page: Any, server: JupyterServer, name: str | None = None) -> None:
    """Open the notebook ``name`` (by default the server's) in a workspace of its own; wait until it can run."""
    page.goto(server.url(server.notebook_path(name)))
    lab_wait_ready(page, name or server.notebook)


def lab_start_run_all(page: Any) -> None:
    """Run every cell as the Run menu does (``runmenu:run-all``), without waiting. The promise the command returns
    is kept in the page: Lab settles it when every cell has run (``true``) or as soon as a cell failed
    (``false``: Lab then leaves the cells after it unrun, ``[ ]``; they never get an execution count)."""
    page.evaluate(
        """() => { window.__vnbRunAll = {settled: false};
            window.jupyterapp.commands.execute('runmenu:run-all').then(
                ok => { window.__vnbRunAll = {settled: true, ok: ok === true}; },
                err => { window.__vnbRunAll = {settled: true, ok: false, error: String(err)}; }); }"""
    )


def lab_await_run_all(
    page: Any, timeout_ms: int = STEP_TIMEOUT_MS, server: JupyterServer | None = None, name: str = "run-all"
) -> list[str]:
    """Wait for the Run All started by :func:`lab_start_run_all` to settle, then for the kernel to be idle; the
    tracebacks shown. A Run All that stopped at a failing cell returns its traceback at once (waiting for every
    cell's count would wait for counts that never come). One that has not settled within ``timeout_ms`` fails
    with what the page shows (each code cell's prompt and count, the kernel's status, any dialog or notification,
    the server log's tail) and a screenshot (``artifacts/screenshots/<name>-timeout.png``)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("() => window.__vnbRunAll && window.__vnbRunAll.settled", timeout=timeout_ms)
    except PlaywrightTimeout as exc:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"{name}-timeout.png"
        page.screenshot(path=str(shot))
        state = json.dumps(lab_state(page), indent=1)
        log = server.log()[-3000:] if server is not None else ""
        raise AssertionError(
            f"{name}: Run All did not end in {timeout_ms / 1000:.0f} s: {state}\n{log}\n{shot}"
        ) from exc
    outcome = page.evaluate("() => window.__vnbRunAll")
    lab_wait_idle(page)
    if outcome.get("ok"):
        unrun = [c for c in lab_state(page).get("cells", []) if c["count"] is None]
        assert not unrun, f"{name}: Run All ended, yet these cells have no execution count: {unrun}"
        return error_outputs(page)
    # the failing cell's traceback is in the model once Lab has its reply
    return error_outputs(page) or [f"{name}: Run All stopped: {json.dumps({**outcome, **lab_state(page)})}"]


def lab_run_all(page: Any, timeout_ms: int = STEP_TIMEOUT_MS) -> list[str]:
    """Run every cell and wait until Run All has ended and the kernel is idle; the tracebacks shown."""
    lab_start_run_all(page)
    return lab_await_run_all(page, timeout_ms)


#: what a notebook page shows of its run: the kernel's status (status bar and session), the notebooks the page
#: holds, each code cell's prompt and its model's execution count and state, any dialog or notification open
_LAB_STATE_JS = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const nb = panel && panel.content;
    const ctx = panel && panel.sessionContext;
    const kernel = ctx && ctx.session && ctx.session.kernel;
    const cells = [];
    if (nb && nb.widgets) {
        nb.widgets.forEach((cell, i) => {
            if (cell.model.type !== 'code') return;
            const prompt = cell.node.querySelector('.jp-InputPrompt');
            cells.push({index: i, prompt: prompt ? prompt.textContent.trim() : null,
                        count: cell.model.executionCount ?? null, state: cell.model.executionState ?? null});
        });
    }
    return {
        visibility: document.visibilityState,
        statusbar: (document.querySelector('#jp-main-statusbar') || {}).textContent || null,
        kernel_display: ctx ? ctx.kernelDisplayStatus : null,
        kernel_status: kernel ? kernel.status : null,
        kernel_connection: kernel ? kernel.connectionStatus : null,
        notebooks: [...window.jupyterapp.shell.widgets('main')].filter(w => w.content && w.content.widgets)
            .map(w => w.context.path),
        current: panel && panel.context ? panel.context.path : null,
        dialogs: [...document.querySelectorAll('.jp-Dialog')].map(d => d.textContent.slice(0, 300)),
        notifications: [...document.querySelectorAll('.jp-Notification-Toast, .Toastify__toast')]
            .map(t => t.textContent.slice(0, 300)),
        cells,
    };
}"""


def lab_state(page: Any) -> dict[str, Any]:
    """The open notebook's run as Lab holds it (see ``_LAB_STATE_JS``), for a message when a wait ends badly."""
    try:
        return dict(page.evaluate(_LAB_STATE_JS))
    except Exception as exc:  # the page itself is gone or stuck: say so instead of hiding the first failure
        return {"unreadable": f"{type(exc).__name__}: {exc}"}


#: the error outputs (tracebacks) of the open notebook's cells, read from the notebook model: Lab renders a
#: traceback as ``application/vnd.jupyter.stderr``, like any stderr text, so the page alone cannot tell them apart
_ERRORS_JS = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const out = [];
    if (!panel || !panel.content || !panel.content.widgets) return out;
    panel.content.widgets.forEach((cell, i) => {
        if (cell.model.type !== 'code') return;
        const outputs = cell.model.outputs;
        for (let k = 0; k < outputs.length; k++) {
            const o = outputs.get(k).toJSON();
            if (o.output_type === 'error') {
                const last = (o.traceback || []).slice(-3).join('\\n').replace(/\\u001b\\[[0-9;]*m/g, '');
                out.push(`cell ${i}: ${o.ename}: ${o.evalue}\\n${last}`);
            }
        }
    });
    return out;
}"""


def error_outputs(page: Any) -> list[str]:
    """The tracebacks in the open notebook's outputs (``error`` outputs of its cells), each as ``cell N: Error:
    message`` and the traceback's last lines."""
    return list(page.evaluate(_ERRORS_JS))


# ---------------------------------------------------------------------------------------------------------------
# the runbook panel (same steps in Lab and in Voila)
# ---------------------------------------------------------------------------------------------------------------
def _tab(page: Any, title: str) -> None:
    page.locator(".vnb-runbook").get_by_role("tab", name=title).click()


def grid_info(page: Any, grid: str) -> str:
    """The grid's "1–15 of N hosts" line."""
    return str(page.locator(f"{grid} .dt-info").first.inner_text())


def grid_total(page: Any, grid: str) -> int:
    match = re.search(r"of ([\d,]+)", grid_info(page, grid))
    return int(match.group(1).replace(",", "")) if match else 0


def wait_grid_total(page: Any, grid: str, predicate: str, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Wait until the grid's total N (from its info line) satisfies ``predicate`` (JS over ``n``)."""
    page.wait_for_function(
        f"""() => {{ const el = document.querySelector('{grid} .dt-info');
                     const m = el && /of ([\\d,]+)/.exec(el.textContent);
                     if (!m) return false; const n = Number(m[1].replace(/,/g, '')); return {predicate}; }}""",
        timeout=timeout_ms,
    )


def column_texts(page: Any, grid: str, header: str) -> list[str]:
    """The visible cells of the column whose filter box says ``header``."""
    return list(
        page.locator(grid).evaluate(
            """(root, header) => {
                const heads = [...root.querySelectorAll('thead th')];
                const i = heads.findIndex(th => { const inp = th.querySelector('input');
                                                  return inp && inp.placeholder === header; });
                return [...root.querySelectorAll('tbody tr')].map(tr => tr.children[i].textContent);
            }""",
            header,
        )
    )


def layout_problems(page: Any, scope: str, max_row_px: float = 64.0) -> list[str]:
    """What a reader would see as broken in ``scope``: a grid row taller than about three lines, a label, button
    or chip whose text is cut (its content wider than its box)."""
    return list(
        page.locator(scope).first.evaluate(
            """(root, maxRow) => {
                const bad = [];
                const visible = el => el.offsetParent !== null && el.getBoundingClientRect().width > 0;
                for (const tr of root.querySelectorAll('.vnb-grid tbody tr')) {
                    if (visible(tr) && tr.getBoundingClientRect().height > maxRow)
                        bad.push(`row ${Math.round(tr.getBoundingClientRect().height)}px: ${tr.textContent.slice(0, 60)}`);
                }
                const cut = '.widget-label, .widget-label-basic, button.jupyter-button, .vnb-chip, .widget-inline-hbox label';
                for (const el of root.querySelectorAll(cut)) {
                    if (visible(el) && el.textContent.trim() && el.scrollWidth > el.clientWidth + 1)
                        bad.push(`cut label: ${el.textContent.trim()}`);
                }
                return bad;
            }""",
            max_row_px,
        )
    )


def drive_panels(
    bp: BrowserPage, shot_prefix: str, scope: str, *, connect_form: Mapping[str, int] | None = None, pick: int = 20
) -> dict[str, Any]:
    """The flow of the issue, in the panels as a user clicks it: connect (filling the simulator form when
    ``connect_form`` gives ``clusters`` / ``hosts_per_cluster``), sort the hosts by HA state, filter a column,
    click-select ``pick`` hosts (click, then shift-click), plan, launch, confirm, watch the progress, open
    Results, filter by an outcome chip, open one host's detail. A screenshot of ``scope`` after each step
    (``artifacts/screenshots/<prefix>-<n>-<step>.png``); returns what was observed, with the layout problems."""
    page = bp.page
    seen: dict[str, Any] = {"shots": {}, "layout": []}
    panel = page.locator(".vnb-runbook")
    panel.wait_for()

    def shot(name: str, panel_name: str | None = None) -> None:
        panel.evaluate("el => el.scrollIntoView({block: 'start'})")
        path = bp.screenshot(scope, f"{shot_prefix}-{len(seen['shots']) + 1}-{name}")
        seen["shots"][panel_name or name] = path
        seen["layout"] += [f"{name}: {p}" for p in layout_problems(page, ".vnb-runbook")]

    if connect_form is not None:
        for css, value in (("vnb-sim-clusters", "clusters"), ("vnb-sim-hosts", "hosts_per_cluster")):
            field = page.locator(f".{css} input")
            field.fill(str(connect_form[value]))
            field.press("Tab")
        page.locator("button.vnb-connect").click()
    page.locator(".vnb-connect-status").get_by_text(re.compile(r"^connected to ")).first.wait_for()
    shot("connect", "connect")

    grid = ".vnb-hosts-table"
    _tab(page, "Hosts")
    wait_grid_total(page, grid, "n > 0")
    seen["hosts_all"] = grid_total(page, grid)
    # sort by HA state: a click on the header's sort icon
    started = time.perf_counter()
    head = page.locator(f"{grid} thead th").filter(has=page.locator("input[placeholder='HA state']"))
    head.locator(".dt-column-order").click()
    page.wait_for_function(
        f"() => document.querySelector('{grid} thead th.dt-ordering-asc, {grid} thead th[aria-sort=ascending]')"
    )
    seen["sort_ms"] = (time.perf_counter() - started) * 1000
    states = column_texts(page, grid, "HA state")
    seen["sorted_states"] = states
    # filter one column: hosts of one cluster
    started = time.perf_counter()
    page.locator(f"{grid} thead input[placeholder='cluster']").press_sequentially("DC0_C1")
    wait_grid_total(page, grid, f"n < {seen['hosts_all']}")
    seen["filter_ms"] = (time.perf_counter() - started) * 1000
    seen["filtered_total"] = grid_total(page, grid)
    page.locator(f"{grid} thead input[placeholder='cluster']").fill("")
    page.locator(f"{grid} thead input[placeholder='cluster']").press("Backspace")
    wait_grid_total(page, grid, f"n === {seen['hosts_all']}")
    # the unhealthy chip, then click + shift-click: `pick` hosts
    page.locator(".vnb-hosts-chips .vnb-chip-unhealthy").click()
    wait_grid_total(page, grid, f"n < {seen['hosts_all']}")
    seen["unhealthy_total"] = grid_total(page, grid)
    # one selection model: a filter typed in the grid's own header, then "Select all N shown" selects exactly the
    # rows the grid shows; the column's name stays visible above the typed filter
    das_filter = page.locator(f"{grid} thead input[placeholder='HA state']")
    started = time.perf_counter()
    das_filter.press_sequentially("initializationError")
    wait_grid_total(page, grid, f"n < {seen['unhealthy_total']}")
    seen["grid_shown"] = grid_total(page, grid)
    seen["column_name_while_typing"] = (
        page.locator(f"{grid} thead th")
        .filter(has=page.locator("input[placeholder='HA state']"))
        .locator(".vnb-col-name")
        .inner_text()
    )
    button = page.locator("button.vnb-select-all")
    button.get_by_text(f"Select all {seen['grid_shown']:,} shown").wait_for()
    seen["select_button"] = button.inner_text()
    button.click()
    page.locator(".vnb-selected-count").get_by_text(re.compile(rf"^{seen['grid_shown']:,} selected")).wait_for()
    seen["select_all_ms"] = (time.perf_counter() - started) * 1000
    seen["select_all_text"] = page.locator(".vnb-selected-count").inner_text()
    page.wait_for_function(
        f"() => /{seen['grid_shown']} rows? selected/.test(document.querySelector('{grid} .dt-info').textContent)"
    )
    seen["grid_selected_info"] = grid_info(page, grid)
    page.locator("button.vnb-select-none").click()
    page.locator(".vnb-selected-count").get_by_text(re.compile(r"^0 selected")).wait_for()
    das_filter.fill("")
    das_filter.press("Backspace")
    wait_grid_total(page, grid, f"n === {seen['unhealthy_total']}")
    page.locator(f"{grid} .dt-length select").select_option("50")
    rows = page.locator(f"{grid} tbody tr")
    rows.nth(pick - 1).wait_for()
    rows.nth(0).click()
    rows.nth(pick - 1).click(modifiers=["Shift"])
    page.locator(".vnb-selected-count").get_by_text(re.compile(rf"^{pick} selected")).first.wait_for()
    seen["selected_text"] = page.locator(".vnb-selected-count").inner_text()
    shot("hosts", "hosts")

    _tab(page, "Launch")
    in_flight = page.locator(".vnb-max-in-flight input")
    in_flight.fill("1")  # one task at a time, so Stop leaves hosts that never launched
    in_flight.press("Tab")
    page.locator("button.vnb-plan").click()
    page.locator(".vnb-plan-view").get_by_text("Dry run").first.wait_for()
    wait_grid_total(page, ".vnb-plan-launch", "n > 0")
    seen["plan_total"] = grid_total(page, ".vnb-plan-launch")
    shot("plan", "plan")
    page.locator("button.vnb-launch").click()
    confirm = page.locator("button.vnb-confirm")
    confirm.wait_for(state="visible")
    seen["confirm_text"] = confirm.inner_text()
    shot("confirm")
    confirm.click()
    page.locator(".vnb-host-states table tbody tr").first.wait_for()  # progress: hosts past pending
    page.locator("button.vnb-cancel").click()  # Stop: no new launch; the running task is followed to its end
    seen["progress_seen"] = page.locator(".vnb-progress-text").inner_text()
    shot("progress")
    page.locator(".vnb-launch-status").get_by_text(re.compile(r"run \S+ ended")).first.wait_for()
    seen["progress"] = page.locator(".vnb-progress-text").inner_text()
    seen["launch_status"] = page.locator(".vnb-launch-status").inner_text()
    seen["cluster_progress"] = page.locator(".vnb-cluster-progress").inner_text()
    seen["launch_chips"] = page.locator(".vnb-launch-chips .vnb-chip").all_inner_texts()
    shot("launched", "launch")

    _tab(page, "Results")
    tasks = ".vnb-tasks-table"
    wait_grid_total(page, tasks, "n > 0")
    seen["tasks_total"] = grid_total(page, tasks)
    chips = page.locator(".vnb-results-chips .vnb-chip")
    seen["results_chips"] = [t for t in chips.all_inner_texts() if t.strip()]
    shot("results", "results")
    # the charts: at the panel's width, the aspect kept, the smallest text 10 px or more on screen
    page.wait_for_function(
        "() => { const imgs = [...document.querySelectorAll('.vnb-results-panel img.vnb-chart')];"
        " return imgs.length >= 4 && imgs.every(i => i.naturalWidth > 0 && i.getBoundingClientRect().width > 0); }"
    )
    seen["charts"] = page.evaluate(
        """() => [...document.querySelectorAll('.vnb-results-panel img.vnb-chart')].map(i => {
                 const r = i.getBoundingClientRect();
                 return {width: r.width, height: r.height, natural: i.naturalWidth, naturalHeight: i.naturalHeight,
                         panel: i.closest('.vnb-results-panel').getBoundingClientRect().width}; })"""
    )
    first_chart = page.locator(".vnb-results-panel img.vnb-chart").first
    first_chart.scroll_into_view_if_needed()
    seen["shots"]["charts"] = bp.screenshot(".vnb-results-panel img.vnb-chart", f"{shot_prefix}-charts")
    chips_visible = [
        name
        for name in ("fault", "success", "agent_unhealthy", "timed_out", "cancelled")
        if page.locator(f".vnb-results-chips .vnb-chip-{name}").is_visible()
    ]
    outcome = chips_visible[0]
    page.locator(f".vnb-results-chips .vnb-chip-{outcome}").click()
    wait_grid_total(page, tasks, f"n < {seen['tasks_total']}")
    seen["chip_outcome"] = outcome
    seen["chip_outcomes_shown"] = sorted(set(column_texts(page, tasks, "outcome")))
    first = page.locator(f"{tasks} tbody tr").first
    host = column_texts(page, tasks, "host")[0]
    first.click()
    detail = page.locator(".vnb-host-detail-view")
    detail.get_by_text(re.compile(rf"^{re.escape(host)}")).first.wait_for()
    seen["detail_host"] = host
    seen["detail_text"] = detail.inner_text()
    detail.scroll_into_view_if_needed()
    path = bp.screenshot(scope, f"{shot_prefix}-{len(seen['shots']) + 1}-detail")
    seen["shots"]["detail"] = path
    seen["layout"] += [f"results: {p}" for p in layout_problems(page, ".vnb-runbook")]
    diagnose_after_run(bp, seen, shot)
    return seen


#: causes a reconfigure does not fix by itself (the plan flags their hosts)
_FIX_FIRST_CAUSES = ("isolation-address", "image-remediation", "certificate", "datastore-access", "agent-install",
                     "management-network", "permissions", "vsan-network", "agent-unhealthy-after-success")  # fmt: skip


def _png_shown(page: Any, css: str) -> bool:
    """The image widget ``css`` shows a decoded picture (not a broken image)."""
    return bool(
        page.evaluate(
            """css => { const el = document.querySelector(css); if (!el) return false;
                const img = el.tagName === 'IMG' ? el : el.querySelector('img');
                return !!img && img.complete && img.naturalWidth > 0; }""",
            css,
        )
    )


def diagnose_after_run(bp: BrowserPage, seen: dict[str, Any], shot: Any) -> None:
    """After the run: Diagnose, both charts render, pick a cause a reconfigure does not fix, select its hosts, plan:
    the plan shows the causes and the warning."""
    page = bp.page
    _tab(page, "Diagnose")
    page.locator("button.vnb-diagnose-run").click()
    page.locator(".vnb-diagnose-status").get_by_text(re.compile(r"host\(s\) diagnosed")).first.wait_for(
        timeout=STEP_TIMEOUT_MS
    )
    page.wait_for_function(
        """() => { const el = document.querySelector('.vnb-diagnose-causes-chart');
            const img = el && (el.tagName === 'IMG' ? el : el.querySelector('img'));
            return !!img && img.complete && img.naturalWidth > 0; }""",
        timeout=STEP_TIMEOUT_MS,
    )
    seen["diagnose_board"] = page.locator(".vnb-diagnose-board").inner_text()
    # the causes chart at the panel's width, its aspect kept (checked with the Results charts in check_flow)
    seen.setdefault("charts", []).extend(
        page.evaluate(
            """() => [...document.querySelectorAll('.vnb-diagnose-panel img.vnb-diagnose-causes-chart')].map(i => {
                     const r = i.getBoundingClientRect();
                     return {width: r.width, height: r.height, natural: i.naturalWidth,
                             naturalHeight: i.naturalHeight,
                             panel: i.closest('.vnb-diagnose-panel').getBoundingClientRect().width}; })"""
        )
    )
    select = page.locator(".vnb-diagnose-cause select")
    labels = select.locator("option").all_inner_texts()  # as shown (ipywidgets puts non-breaking spaces in them)
    options = [o.replace("\xa0", " ") for o in labels]
    seen["diagnose_causes"] = options
    index = next((i for i, o in enumerate(options) if o.split(" (")[0] in _FIX_FIRST_CAUSES), None)
    seen["diagnose_pick"] = None if index is None else options[index]
    if index is None:
        return
    select.select_option(label=labels[index])
    page.wait_for_function(
        """() => { const el = document.querySelector('.vnb-diagnose-swimlane');
            const img = el && (el.tagName === 'IMG' ? el : el.querySelector('img'));
            return !!img && img.complete && img.naturalWidth > 0; }""",
        timeout=STEP_TIMEOUT_MS,
    )
    seen["charts_rendered"] = _png_shown(page, ".vnb-diagnose-causes-chart") and _png_shown(
        page, ".vnb-diagnose-swimlane"
    )
    seen["diagnose_detail"] = page.locator(".vnb-diagnose-detail").inner_text()
    shot("diagnose", "diagnose")
    page.locator("button.vnb-diagnose-select").click()
    page.locator(".vnb-runbook").get_by_text(re.compile(r"host\(s\) selected for a launch")).first.wait_for()
    _tab(page, "Launch")
    page.locator("button.vnb-plan").click()
    page.locator(".vnb-plan-view").get_by_text("will not be helped by a reconfigure").first.wait_for(
        timeout=STEP_TIMEOUT_MS
    )
    seen["plan_after_diagnose"] = page.locator(".vnb-plan-view").inner_text()
    # the grid re-renders the new plan after the summary line; until then it shows the run's plan, made before
    # the diagnosis ("not diagnosed" in every cause cell)
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        causes = column_texts(page, ".vnb-plan-launch", "cause")
        if any(causes) and NOT_DIAGNOSED not in causes:
            break
        page.wait_for_timeout(250)
    seen["plan_causes"] = sorted(set(column_texts(page, ".vnb-plan-launch", "cause")))
    seen["plan_flags"] = sorted(set(column_texts(page, ".vnb-plan-launch", "flag")))
    shot("plan-diagnosed")


def check_flow(seen: dict[str, Any], hosts: int, pick: int = 20) -> None:
    """What :func:`drive_panels` must have seen."""
    assert seen["hosts_all"] == hosts, seen["hosts_all"]
    states = [s for s in seen["sorted_states"] if s]
    assert states == sorted(states), states
    assert 0 < seen["filtered_total"] < hosts and 0 < seen["unhealthy_total"] < hosts
    assert seen["selected_text"].startswith(f"{pick} selected"), seen["selected_text"]
    assert seen["plan_total"] <= pick and seen["confirm_text"].startswith("Confirm launch of "), seen
    # one selection model: the grid's own filter, then "Select all N shown" selects exactly those N
    assert 0 < seen["grid_shown"] < seen["unhealthy_total"], seen
    assert seen["select_button"].strip() == f"Select all {seen['grid_shown']:,} shown", seen["select_button"]
    assert seen["select_all_text"].startswith(f"{seen['grid_shown']:,} selected"), seen["select_all_text"]
    assert re.search(rf"\b{seen['grid_shown']} rows? selected", seen["grid_selected_info"]), seen["grid_selected_info"]
    assert seen["column_name_while_typing"] == "HA state", seen["column_name_while_typing"]
    # the run stopped early: finished, failed and not launched apart, never "N of N"
    match = re.search(r"(\d+) of (\d+) finished", seen["progress"])
    assert match and int(match.group(1)) < int(match.group(2)), seen["progress"]
    assert "not launched" in seen["progress"] and "done" not in seen["progress"], seen["progress"]
    assert re.search(r"\d+ of \d+ planned hosts finished .*\d+ not launched", seen["launch_status"]), seen[
        "launch_status"
    ]
    assert "not launched" in seen["cluster_progress"], seen["cluster_progress"]
    # charts at the panel's width, the aspect kept, text 10 px or more (every chart's smallest text is
    # style.SMALL_SIZE in its PNG: tests/test_charts.py)
    from vsphere_nb.tables import palette as style

    smallest = style.SMALL_SIZE * style.DPI / 72
    assert len(seen["charts"]) >= 5, seen["charts"]  # Results 4, Diagnose's causes by cluster
    for img in seen["charts"]:
        assert img["width"] >= 0.9 * img["panel"] - 40, img  # the panel's width less its padding
        ratio, natural = img["width"] / img["height"], img["natural"] / img["naturalHeight"]
        assert abs(ratio - natural) / natural < 0.01, img
        assert smallest * img["width"] / img["natural"] >= 10, img
    assert any(chip.startswith(("success", "fault", "agent_unhealthy")) for chip in seen["launch_chips"]), seen[
        "launch_chips"
    ]
    assert seen["chip_outcomes_shown"] == [seen["chip_outcome"]], seen["chip_outcomes_shown"]
    assert "attempt 1" in seen["detail_text"], seen["detail_text"][:300]
    # after the run: the Diagnose tab works, both charts render, the plan shows causes and the warning
    assert "Traceback" not in seen["diagnose_board"] and seen["diagnose_pick"], seen.get("diagnose_causes")
    assert seen["charts_rendered"], "a diagnosis chart did not render"
    assert "KeyError" not in seen["diagnose_detail"]
    cause = seen["diagnose_pick"].split(" (")[0]
    assert seen["plan_causes"] == [cause], seen["plan_causes"]
    assert seen["plan_flags"] == [f"fix first: {cause}"], seen["plan_flags"]
    assert seen["layout"] == [], seen["layout"]


def publish_panel_screenshots(shots: Mapping[str, Path]) -> None:
    """Copy one screenshot per panel to ``docs/panel-<name>.png`` (the README shows them) when missing or when
    ``VSPHERE_NB_UPDATE_SCREENSHOT=1``."""
    for name in ("connect", "hosts", "plan", "launch", "results", "charts", "detail", "diagnose"):
        if name not in shots:
            continue
        target = DOCS / f"panel-{name}.png"
        if not target.exists() or os.environ.get("VSPHERE_NB_UPDATE_SCREENSHOT") == "1":
            target.parent.mkdir(parents=True, exist_ok=True)
            publish_top(shots[name], target)


def publish_top(source: Path, target: Path, max_height: int = 1600) -> None:
    """Copy a screenshot, cut to its top ``max_height`` pixels (a panel with hundreds of rows is a tall page)."""
    from PIL import Image

    with Image.open(source) as image:
        if image.height <= max_height:
            shutil.copyfile(source, target)
        else:
            image.crop((0, 0, image.width, max_height)).save(target)


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
