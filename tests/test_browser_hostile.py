"""A hostile vCenter in a real browser (Debian's chromium via Playwright): its text never runs as script.

The simulator's ``hostile`` scenario puts HTML/JS payloads (``<img src=x onerror=alert(1)>``,
``</script><script>alert(1)</script>``, ``<svg onload=…>``, quotes, backticks, ``$…$``, ``{{ }}``, bidi and
control characters, 100 KB outputs) in cluster and host names, ``DasConfigFault`` reasons, fault messages, task
outputs and event messages. Every dialog any page opens is counted (``BrowserContext.on("dialog")``); a control
page that fires exactly one proves the counter works. Then, 0 dialogs in:

* JupyterLab, "Run All" of the runbook, fault-analysis and multi-vcenter notebooks against the hostile simulator
  (each starts its own), and the runbook's panel walked after it (hosts grid and its tooltips, chips, Diagnose
  tab and triage board, host detail);
* the notebooks as Lab saved them (widget state included) converted by nbconvert to HTML, and papermill's output
  of fault-analysis converted the same way;
* the HTML report the runbook wrote;
* the Voila app: connect to the built-in simulator on the hostile scenario, hosts grid, chips, plan, launch,
  confirm, results, a host's detail, the Diagnose tab after the run.

In the same Lab, a notebook holding the Connect form proves that a password typed into it but never submitted is
not in the widget state Lab saves into the notebook — while a plain ``ipywidgets.Password`` typed the same way
is (the control). (The runbook itself cannot be saved with widget state today: Lab fails to serialize the
itables grids' state, so its widget state is left out whole.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_helpers import (
    NOTEBOOKS,
    RUNBOOK,
    STEP_TIMEOUT_MS,
    _tab,
    chromium_page,
    jupyter_server,
    lab_await_run_all,
    lab_open,
    lab_start_run_all,
    lab_wait_idle,
    lab_wait_ready,
    require_chromium,
    runbook_copy,
    wait_grid_total,
)

from vsphere_nb.cli.demo import jupyter_env

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
FAULT_ANALYSIS = "fault-analysis.ipynb"
MULTI_VCENTER = "multi-vcenter.ipynb"
APP = "app.ipynb"
SIM = {"scenario": "hostile", "sim_clusters": 6, "sim_hosts_per_cluster": 2, "sim_time_scale": 100.0}
PARAMETERS = {
    RUNBOOK: {
        **SIM,
        "dry_run": False,  # the step-by-step section launches (Run All only plans by default)
        "sim_standalone_hosts": 1,
        "limits": {
            "max_in_flight": 16,
            "per_cluster": 4,
            "canary": 0,
            "max_failures": "100%",
            "post_check_timeout": 10,
        },
    },
    FAULT_ANALYSIS: SIM,
    # its tables, captions and charts; its panel is the runbook's (walked there and in Voila): not started twice
    MULTI_VCENTER: {**SIM, "show_panel": False},
}
#: Lab saves the browser's widget state into the notebook on every save (what a user may have turned on)
SAVE_WIDGET_STATE = {"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}}
TYPED = "Typed-But-Never-Submitted-4711"
CONTROL_TYPED = "Control-Typed-Into-Plain-Password-0815"
CONNECT_FORM = "connect-form.ipynb"
CONNECT_FORM_CELLS = [
    """from vsphere_nb.widgets import ConnectPanel
panel = ConnectPanel(server="vc.example.test", user="administrator@vsphere.local")
panel""",
    """import ipywidgets as widgets
control = widgets.Password(description="control")
control.add_class("vnb-control-password")
control""",
]
RUN_ALL_TIMEOUT_MS = 180_000


class Dialogs:
    """Every script dialog (alert, confirm, prompt) any page of the context opens, dismissed. A page closed with
    unsaved changes asks ``beforeunload``: accepted, and not counted (no script of a page's content asks it)."""

    def __init__(self, context: Any) -> None:
        self.seen: list[str] = []
        context.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog: Any) -> None:
        if dialog.type == "beforeunload":
            dialog.accept()
            return
        page = dialog.page
        self.seen.append(f"{dialog.type} {dialog.message!r} on {page.url if page else '?'}")
        dialog.dismiss()


@pytest.fixture(scope="module")
def browser() -> Iterator[tuple[Any, Dialogs]]:
    require_chromium()
    with chromium_page(width=1400, height=1100) as bp:
        context = bp.page.context
        # offline: nothing leaves the machine (nbconvert pages name CDN scripts; they fail fast instead)
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
        dialogs = Dialogs(context)
        yield bp.page, dialogs


def wait_settled(page: Any, ms: int = 800) -> None:
    """Give event handlers (an ``onerror`` of a broken image, an ``onload``) time to run."""
    page.wait_for_timeout(ms)


def shows_as_text(page: Any, text: str = IMG) -> bool:
    return bool(page.evaluate("(t) => document.body.innerText.includes(t)", text))


def test_the_dialog_counter_sees_the_payload_on_a_control_page(browser: tuple[Any, Dialogs]) -> None:
    page, dialogs = browser
    before = len(dialogs.seen)
    page.set_content(f"<p>control</p>{IMG}")
    page.wait_for_function("() => true")
    deadline = time.monotonic() + 10
    while len(dialogs.seen) == before and time.monotonic() < deadline:
        wait_settled(page, 100)
    wait_settled(page)
    assert len(dialogs.seen) - before == 1, dialogs.seen
    dialogs.seen.clear()


# ---------------------------------------------------------------------------------------------------------------
# papermill (in the background while Lab runs)
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def papermill_output(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """fault-analysis executed by papermill on the hostile scenario, started at once, awaited when asked."""
    work = tmp_path_factory.mktemp("papermill")
    state = Path(tempfile.mkdtemp(prefix="vnb-papermill-state-"))
    env = jupyter_env(state, token="unused", base={k: v for k, v in os.environ.items() if not k.startswith("VSPHERE_")})
    out = work / f"papermill-{FAULT_ANALYSIS}"
    cmd = [sys.executable, "-m", "papermill", str(NOTEBOOKS / FAULT_ANALYSIS), str(out), "--cwd", str(work)]
    cmd += ["-y", json.dumps(SIM), "--kernel", "python3", "--no-progress-bar"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def result() -> Path:
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, output.decode(errors="replace")[-3000:]
        return out

    yield result
    if proc.poll() is None:
        proc.kill()
        proc.communicate()
    shutil.rmtree(state, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# JupyterLab
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lab")
    for name, parameters in PARAMETERS.items():
        runbook_copy(root, parameters, name=name)
    form = nbformat.v4.new_notebook()
    form.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    form.cells = [nbformat.v4.new_code_cell(source) for source in CONNECT_FORM_CELLS]
    nbformat.write(form, root / CONNECT_FORM)
    return root


def _lab_open(context: Any, server: Any, name: str) -> Any:
    """A new page on the notebook ``name``, ready to run (model loaded, kernel connected and idle)."""
    page = context.new_page()
    lab_open(page, server, name)
    return page


def _ran_all(page: Any, name: str, server: Any) -> list[str]:
    """Wait until Run All has ended and the kernel is idle; the tracebacks shown (a failing cell at once)."""
    return lab_await_run_all(page, RUN_ALL_TIMEOUT_MS, server=server, name=f"hostile-{name}")


def _shut_down_kernels(server: Any) -> None:
    """Stop every kernel of the Lab server (the notebooks' simulators and panels with them)."""
    import httpx

    kernels = httpx.get(server.url("/api/kernels"), timeout=10).json()
    for kernel in kernels:
        httpx.delete(server.url(f"/api/kernels/{kernel['id']}"), timeout=30)


def _walk_runbook_panel(page: Any) -> None:
    """The panel after Run All (it connected to the notebook's hostile simulator): hosts grid with tooltips, the
    unhealthy chip, the Diagnose tab and its triage board, a cause and a host's detail."""
    panel = page.locator(".vnb-runbook")
    panel.scroll_into_view_if_needed()
    page.locator(".vnb-connect-status").get_by_text(re.compile(r"^connected to ")).first.wait_for()
    _tab(page, "Hosts")
    wait_grid_total(page, ".vnb-hosts-table", "n > 0")
    tip = page.locator(".vnb-hosts-table tbody td span[title]").first
    if tip.count():
        tip.hover()
    page.locator(".vnb-hosts-chips .vnb-chip-unhealthy").click()
    _tab(page, "Diagnose")
    page.locator("button.vnb-diagnose-run").click()
    page.locator(".vnb-diagnose-board .vnb-cause").first.wait_for(timeout=STEP_TIMEOUT_MS)
    causes = page.locator(".vnb-diagnose-cause select option")
    page.locator(".vnb-diagnose-cause select").select_option(index=causes.count() - 1)
    page.locator(".vnb-diagnose-detail h4").first.wait_for()
    wait_settled(page)


def _save(page: Any) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    lab_wait_idle(page)


def _type_passwords_and_save(page: Any, server: Any, root: Path) -> str:
    """Run the Connect-form notebook, type a password into the form (never submitted) and into a plain Password
    widget, save the notebook (Lab writes the widget state), and return what was saved."""
    page = _lab_open(page.context, server, CONNECT_FORM)
    lab_start_run_all(page)
    assert _ran_all(page, CONNECT_FORM, server) == []
    copy = root / CONNECT_FORM
    page.locator(".vnb-password input").fill(TYPED)
    page.locator(".vnb-control-password input").fill(CONTROL_TYPED)
    page.locator(".vnb-control-password input").press("Tab")
    wait_settled(page, 500)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        saved = copy.read_text(encoding="utf-8")
        if CONTROL_TYPED in saved:
            return saved
        time.sleep(0.2)
    raise AssertionError("the saved notebook never held the control widget's state")


def _voila_flow(page: Any, server: Any) -> dict[str, Any]:
    """The app in Voila as a user clicks it: the built-in simulator on the hostile scenario, hosts grid (a
    tooltip hovered), the unhealthy chip, select all, plan, launch, confirm, results, a host's detail, then the
    Diagnose tab after the run (triage board, a cause, a host's detail)."""
    page.goto(server.url())
    page.locator(".vnb-runbook").wait_for()
    page.locator(".vnb-scenario select").select_option(label="hostile")
    for css, value in (("vnb-sim-clusters", "6"), ("vnb-sim-hosts", "2")):
        page.locator(f".{css} input").fill(value)
        page.locator(f".{css} input").press("Tab")
    page.locator("button.vnb-connect").click()
    page.locator(".vnb-connect-status").get_by_text(re.compile(r"^connected to ")).first.wait_for()
    _tab(page, "Hosts")
    wait_grid_total(page, ".vnb-hosts-table", "n > 0")
    page.locator(".vnb-hosts-table tbody td span[title]").first.hover()
    page.locator(".vnb-hosts-chips .vnb-chip-unhealthy").click()
    page.locator("button.vnb-select-all").click()
    page.locator(".vnb-selected-count").get_by_text(re.compile(r"^[1-9]\d* selected")).first.wait_for()
    hosts_text = shows_as_text(page)
    _tab(page, "Launch")
    page.locator("button.vnb-plan").click()
    page.locator(".vnb-plan-view").get_by_text("Dry run").first.wait_for()
    page.locator("button.vnb-launch").click()
    page.locator("button.vnb-confirm").click()
    page.locator(".vnb-launch-status").get_by_text(re.compile(r"run \S+ ended")).first.wait_for()
    _tab(page, "Results")
    wait_grid_total(page, ".vnb-tasks-table", "n > 0")
    page.locator(".vnb-tasks-table tbody tr").first.click()
    page.locator(".vnb-host-detail-view").get_by_text("attempt 1").first.wait_for()
    _tab(page, "Diagnose")
    page.locator("button.vnb-diagnose-run").click()
    page.locator(".vnb-diagnose-board .vnb-cause").first.wait_for()
    causes = page.locator(".vnb-diagnose-cause select option")
    page.locator(".vnb-diagnose-cause select").select_option(index=causes.count() - 1)
    page.locator(".vnb-diagnose-detail h4").first.wait_for()
    wait_settled(page)
    return {
        "hosts_text": hosts_text,
        "detail_text": shows_as_text(page),
        "tracebacks": page.locator("text=Traceback").count(),
    }


@pytest.fixture(scope="module")
def live_session(
    browser: tuple[Any, Dialogs], lab_root: Path, papermill_output: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Everything with a kernel, overlapped to keep the test short (papermill already runs in the background):
    the three notebooks side by side in one Lab (a page each, "Run All" in all three at once); while their
    kernels work, the Voila app is walked; then the runbook's panel is walked and each notebook saved; then the
    Connect-form notebook. Dialogs are counted per phase."""
    page, dialogs = browser
    seen: dict[str, Any] = {"errors": {}, "text": {}}
    started = time.monotonic()
    voila_root = tmp_path_factory.mktemp("voila")
    shutil.copyfile(NOTEBOOKS / APP, voila_root / APP)
    with (
        jupyter_server("lab", lab_root, lab_settings=SAVE_WIDGET_STATE) as lab,
        jupyter_server("voila", voila_root, notebook=APP) as voila,
    ):
        start = len(dialogs.seen)
        pages = {name: page.context.new_page() for name in PARAMETERS}
        for name, tab in pages.items():  # all three load at once, each in a workspace of its own
            tab.goto(lab.url(lab.notebook_path(name)))
        for name, tab in pages.items():
            lab_wait_ready(tab, name)
            lab_start_run_all(tab)
        seen["voila"] = _voila_flow(page.context.new_page(), voila)
        seen["voila_dialogs"] = dialogs.seen[start:]
        start = len(dialogs.seen)
        for name, tab in pages.items():
            seen["errors"][name] = _ran_all(tab, name, lab)
        _walk_runbook_panel(pages[RUNBOOK])
        for name, tab in pages.items():
            wait_settled(tab)
            seen["text"][name] = shows_as_text(tab)
            _save(tab)  # the saved copy, for nbconvert below
        _shut_down_kernels(lab)
        for tab in pages.values():
            tab.close(run_before_unload=True)
        seen["saved_form"] = _type_passwords_and_save(page, lab, lab_root)
        _shut_down_kernels(lab)
        seen["lab_dialogs"] = dialogs.seen[start:]
        seen["log"] = lab.log()[-3000:]
    seen["seconds"] = time.monotonic() - started
    return seen


def test_lab_run_all_of_every_notebook_runs_no_script(live_session: dict[str, Any]) -> None:
    for name in PARAMETERS:
        assert live_session["errors"][name] == [], (name, live_session["errors"][name], live_session["log"])
        assert live_session["text"][name], f"{name}: the hostile names are not shown as text"
    assert live_session["lab_dialogs"] == []


def test_a_typed_password_never_reaches_the_saved_notebook(live_session: dict[str, Any]) -> None:
    saved = live_session["saved_form"]
    assert CONTROL_TYPED in saved, "control: Lab saved the plain Password widget's typed value"
    assert TYPED not in saved
    state = json.loads(saved)["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(m["model_name"] == "AnyModel" and m["state"].get("description") == "Password" for m in state.values())


# ---------------------------------------------------------------------------------------------------------------
# static copies: nbconvert HTML of the saved notebooks and of papermill's output, the report
# ---------------------------------------------------------------------------------------------------------------
def _nbconvert(notebook: Path) -> Path:
    from nbconvert import HTMLExporter

    body, _resources = HTMLExporter().from_filename(str(notebook))
    target = notebook.with_suffix(".html")
    target.write_text(body, encoding="utf-8")
    return target


def test_saved_converted_papermill_and_report_copies_run_no_script(
    browser: tuple[Any, Dialogs], live_session: dict[str, Any], lab_root: Path, papermill_output: Any
) -> None:
    page, dialogs = browser
    pages = [_nbconvert(lab_root / name) for name in PARAMETERS]
    pages.append(_nbconvert(papermill_output()))
    reports = sorted(lab_root.glob("runs/*/report.html"))
    assert reports, "the runbook wrote no report"
    pages += reports
    found: dict[str, list[str]] = {}
    for path in pages:
        start = len(dialogs.seen)
        page.goto(path.as_uri(), wait_until="load")
        wait_settled(page)
        assert shows_as_text(page), f"{path.name}: the hostile names are not shown as text"
        found[path.name] = dialogs.seen[start:]
    assert all(v == [] for v in found.values()), found


# ---------------------------------------------------------------------------------------------------------------
# the Voila app
# ---------------------------------------------------------------------------------------------------------------
def test_voila_app_panels_run_no_script_before_and_after_a_run(live_session: dict[str, Any]) -> None:
    seen = live_session["voila"]
    assert live_session["voila_dialogs"] == []
    assert seen["hosts_text"] and seen["detail_text"] and seen["tracebacks"] == 0
