"""The architecture rule of ``vsphere_nb.widgets``: views over the core API, never HTTP, never pyplot state."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from widget_helpers import fail_on_handler_errors  # noqa: F401  (autouse fixture)

import vsphere_nb.widgets

PACKAGE = Path(vsphere_nb.widgets.__file__).parent
SOURCES = sorted(PACKAGE.glob("*.py"))

FORBIDDEN_MODULES = (
    "httpx",
    "vsphere_nb.client.aio",
    "vsphere_nb.client._transport",
    "vsphere_nb.client.property",
    "matplotlib.pyplot",
)
FORBIDDEN_RELATIVE = ("client", "transport", "property")  # ``from ..client import …``
FORBIDDEN_CALLS = ("invoke", "run", "submit")  # Client.invoke / Client.run(coro) / Client.submit(coro)


def _trees() -> list[tuple[Path, ast.AST]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"), filename=str(p))) for p in SOURCES]


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _dotted(node.func) + "()"
    return type(node).__name__


def test_the_package_has_modules_to_check() -> None:
    names = {p.name for p in SOURCES}
    assert {"connect.py", "hosts.py", "launch.py", "results.py", "runbook.py", "state.py", "_util.py"} <= names


def problems_in(tree: ast.AST) -> list[str]:
    """Every place in ``tree`` that breaks the rule."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(FORBIDDEN_MODULES):
                    problems.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.startswith(FORBIDDEN_MODULES) or (node.level and module.split(".")[-1] in FORBIDDEN_RELATIVE):
                problems.append(f"line {node.lineno}: from {'.' * node.level}{module} import ...")
            if module == "matplotlib" and any(a.name == "pyplot" for a in node.names):
                problems.append(f"line {node.lineno}: from matplotlib import pyplot")
        elif isinstance(node, ast.Attribute) and node.attr == "aio":
            problems.append(f"line {node.lineno}: uses the async client ({_dotted(node)})")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = _dotted(node.func.value).lower()
            if node.func.attr == "invoke":
                problems.append(f"line {node.lineno}: .invoke(...) call")
            elif node.func.attr in FORBIDDEN_CALLS and ("client" in target or target.endswith(("vc", "sim"))):
                problems.append(f"line {node.lineno}: {_dotted(node.func)}(...)")
            if node.func.attr == "get" and ("client" in target or target.split(".")[-1] == "vc"):
                problems.append(f"line {node.lineno}: {_dotted(node.func)}(...) reads a property over HTTP")
            if node.func.attr == "use" and "matplotlib" in target:
                problems.append(f"line {node.lineno}: matplotlib.use(...) changes the user's backend")
    return problems


@pytest.mark.parametrize("path,tree", _trees(), ids=[p.name for p in SOURCES])
def test_no_http_and_no_low_level_client_calls(path: Path, tree: ast.AST) -> None:
    problems = problems_in(tree)
    assert not problems, f"{path.name} breaks the widgets' architecture rule:\n" + "\n".join(problems)


def test_the_checker_catches_what_it_must() -> None:
    """The rule is not vacuous: each forbidden pattern in a sample is flagged."""
    sample = ast.parse(
        "import httpx\n"
        "from ..client import AsyncClient\n"
        "from matplotlib import pyplot\n"
        "def f(self, client, vc):\n"
        "    self.state.client.invoke(ref, 'X')\n"
        "    self.state.client.get(ref, 'runtime')\n"
        "    vc.get(ref, 'runtime')\n"
        "    client.run(coro())\n"
        "    client.aio\n"
        "    {}.get('fine')\n"
    )
    problems = problems_in(sample)
    assert len(problems) == 8, problems
    assert not any("fine" in p for p in problems)


def test_no_source_mentions_a_password_display() -> None:
    """No panel writes a ``.password`` attribute of a simulator or client into a widget value."""
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for line_no, line in enumerate(text.splitlines(), 1):
            if ".value" in line and "=" in line and ("sim.password" in line or ".reveal()" in line):
                pytest.fail(f"{path.name}:{line_no} puts a secret into a widget: {line.strip()}")


#: the CSS hooks the browser test relies on (one widget each unless noted)
CSS_HOOKS = {
    "vnb-runbook": 1,
    "vnb-panel": 5,
    "vnb-status": 5,
    "vnb-errors": 5,
    # connect
    "vnb-connect-panel": 1,
    "vnb-mode": 1,
    "vnb-server": 1,
    "vnb-user": 1,
    "vnb-password": 1,
    "vnb-ca-file": 1,
    "vnb-skip-verify": 1,
    "vnb-tls-warning": 1,
    "vnb-scenario": 1,
    "vnb-sim-clusters": 1,
    "vnb-sim-hosts": 1,
    "vnb-connect": 1,
    "vnb-disconnect": 1,
    "vnb-add-vcenter": 1,
    "vnb-sim-vcenters": 1,
    "vnb-connection-info": 1,
    "vnb-connect-status": 1,
    "vnb-connect-errors": 1,
    # hosts
    "vnb-hosts-panel": 1,
    "vnb-refresh-hosts": 1,
    "vnb-hosts-cluster": 1,
    "vnb-hosts-das-state": 1,
    "vnb-hosts-eligibility": 1,
    "vnb-hosts-search": 1,
    "vnb-only-unhealthy": 1,
    "vnb-select-all": 1,
    "vnb-select-none": 1,
    "vnb-hosts-chips": 1,
    "vnb-selected-count": 1,
    "vnb-hosts-table": 1,
    "vnb-hosts-status": 1,
    "vnb-hosts-errors": 1,
    # launch
    "vnb-launch-panel": 1,
    "vnb-max-in-flight": 1,
    "vnb-per-cluster": 1,
    "vnb-canary": 1,
    "vnb-max-failures": 1,
    "vnb-task-timeout": 1,
    "vnb-post-check": 1,
    "vnb-run-dir": 1,
    "vnb-plan": 1,
    "vnb-plan-view": 1,
    "vnb-plan-launch": 1,
    "vnb-plan-skipped": 1,
    "vnb-launch-chips": 1,
    "vnb-launch": 1,
    "vnb-confirm-box": 1,
    "vnb-confirm": 1,
    "vnb-confirm-cancel": 1,
    "vnb-cancel": 1,
    "vnb-retry": 1,
    "vnb-progress": 1,
    "vnb-progress-text": 1,
    "vnb-cluster-progress": 1,
    "vnb-host-states": 1,
    "vnb-run-summary": 1,
    "vnb-launch-status": 1,
    "vnb-launch-errors": 1,
    # results
    "vnb-results-panel": 1,
    "vnb-results-summary": 1,
    "vnb-results-chips": 1,
    # the data grids: hosts, plan, skipped, tasks, faults, events
    "vnb-grid": 6,
    "vnb-results-cluster": 1,
    "vnb-outcome-filter": 1,
    "vnb-reason-filter": 1,
    "vnb-event-type-filter": 1,
    "vnb-time-window": 1,
    "vnb-results-search": 1,
    "vnb-reset-filters": 1,
    "vnb-results-counts": 1,
    "vnb-tasks-table": 1,
    "vnb-fault-table": 1,
    "vnb-events-table": 1,
    "vnb-chart": 6,  # Results 4, Diagnose 2
    "vnb-chart-outcomes": 1,
    "vnb-chart-reasons": 1,
    "vnb-chart-timeline": 1,
    "vnb-chart-events": 1,
    "vnb-host-detail": 1,
    "vnb-host-detail-view": 1,
    "vnb-export-dir": 1,
    "vnb-export-csv": 1,
    "vnb-export-parquet": 1,
    "vnb-export-report": 1,
    "vnb-export-path": 1,
    "vnb-results-status": 1,
    "vnb-results-errors": 1,
}


def test_the_css_hooks_of_the_browser_test_exist() -> None:
    from collections import Counter

    from vsphere_nb.widgets import RunbookPanel
    from vsphere_nb.widgets._util import iter_widgets

    panel = RunbookPanel()
    try:
        counts = Counter(c for w in iter_widgets(panel.widget) for c in getattr(w, "_dom_classes", ()))
        assert {k: counts.get(k, 0) for k in CSS_HOOKS} == CSS_HOOKS
        assert panel.widget.titles == ("Connect", "Hosts", "Diagnose", "Launch", "Results")
    finally:
        panel.close()
