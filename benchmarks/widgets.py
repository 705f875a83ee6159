"""Widgets: filter latency of the hosts panel at 10,000 hosts.

vsphere-nb: :class:`vsphere_nb.widgets.hosts.HostsPanel` fed a 10,000-host table; each figure is the time of one
filter change made the way a user makes it — assigning the widget's ``value`` (search text, clusters, HA states,
eligibility, "only unhealthy", clearing), which runs the panel's observer and ``apply_filters()`` (mask, grid
rows, count, chips). No browser is involved: this is the kernel-side cost of a filter change.

Baseline: a straightforward panel — a pandas boolean mask, then ``DataFrame.to_html()`` of the filtered rows into
a ``widgets.HTML`` (:func:`benchmarks.baselines.naive_filter`), for the same filter changes.

Target (issue 6): ≤ 300 ms per filter change at 10,000 hosts.

In a real browser (:func:`run_browser`, section ``widgets_browser``): the hosts panel in Voila + Debian's chromium at
10,000 hosts — time from the hosts frame arriving in the kernel to the grid's rows painted, a column filter and a
sort to painted rows (in-page ``performance.now()`` around the action and the next animation frame), and a click /
shift-click selection until the panel's count says so (a kernel round trip). Baseline in the same page: the
previous panel's table — a search box and the first 200 filtered rows as static HTML (kernel-side filtering; it
cannot sort or select, and rows past 200 cannot be reached). Targets: ready ≤ 1.5 s, filter/sort ≤ 150 ms.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from .baselines import naive_filter

__all__ = ["run", "run_browser"]


def _hosts(n: int) -> Any:
    from benchmarks.synthetic import synthetic_hosts
    from vsphere_nb.fleet.eligibility import preflight

    return preflight(synthetic_hosts(n, max(1, n // 40), seed=1))


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(hosts: int = 10_000, *, repeats: int = 5) -> dict[str, Any]:
    try:
        from vsphere_nb.widgets.hosts import HostsPanel
        from vsphere_nb.widgets.state import RunbookState
    except ImportError as exc:
        return {
            "name": "widgets",
            "measured": False,
            "reason": f"not measured yet: HostsPanel unavailable ({exc})",
            "targets": [],
        }
    import ipywidgets as widgets

    frame = _hosts(hosts)
    clusters = sorted(frame["cluster"].dropna().astype(str).unique())
    with_load = time.perf_counter()
    state = RunbookState()
    panel = HostsPanel(state)
    state.hosts = frame
    load_seconds = time.perf_counter() - with_load

    def ours_changes() -> list[tuple[str, Callable[[], None]]]:
        return [
            ("search 'h1'", lambda: setattr(panel.search, "value", "h1")),
            ("search cleared", lambda: setattr(panel.search, "value", "")),
            ("one cluster", lambda: setattr(panel.cluster_filter, "value", (clusters[0],))),
            ("ten clusters", lambda: setattr(panel.cluster_filter, "value", tuple(clusters[:10]))),
            ("clusters cleared", lambda: setattr(panel.cluster_filter, "value", ())),
            ("only unhealthy", lambda: setattr(panel.only_unhealthy, "value", True)),
            ("all hosts again", lambda: setattr(panel.only_unhealthy, "value", False)),
        ]

    html = widgets.HTML()
    naive_state: dict[str, Any] = {"text": "", "clusters": (), "only_unhealthy": False}

    naive_rows: dict[str, int] = {}
    ours_rows: dict[str, int] = {}

    def naive(**change: Any) -> Callable[[], None]:
        def apply() -> None:
            naive_state.update(change)
            rows = naive_filter(frame, **naive_state)
            html.value = rows.to_html(max_rows=None)
            naive_rows[name_of[id(apply)]] = len(rows)

        return apply

    name_of: dict[int, str] = {}

    naive_changes = [
        ("search 'h1'", naive(text="h1")),
        ("search cleared", naive(text="")),
        ("one cluster", naive(clusters=(clusters[0],))),
        ("ten clusters", naive(clusters=tuple(clusters[:10]))),
        ("clusters cleared", naive(clusters=())),
        ("only unhealthy", naive(only_unhealthy=True)),
        ("all hosts again", naive(only_unhealthy=False)),
    ]
    for name, fn in naive_changes:
        name_of[id(fn)] = name
    ours: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    for _ in range(repeats):
        for name, change in ours_changes():
            ours.setdefault(name, []).append(_timed(change))
            ours_rows[name] = len(panel.filtered)
        for name, change in naive_changes:
            theirs.setdefault(name, []).append(_timed(change))
    ours_med = {k: statistics.median(v) for k, v in ours.items()}
    theirs_med = {k: statistics.median(v) for k, v in theirs.items()}
    worst = max(ours_med.values())
    panel.close() if hasattr(panel, "close") else None
    return {
        "name": "widgets",
        "measured": True,
        "hosts": len(frame),
        "load_seconds": load_seconds,
        "ours": ours_med,
        "baseline_naive": theirs_med,
        "rows": ours_rows,
        "baseline_rows": naive_rows,
        "same_rows": ours_rows == naive_rows,
        "worst_seconds": worst,
        "worst_baseline_seconds": max(theirs_med.values()),
        "targets": [
            {
                "name": f"hosts panel filter change at 10,000 hosts (worst of the changes, median of {repeats})",
                "target": "≤ 300 ms",
                "value": worst,
                "met": worst <= 0.3,
            }
        ]
        if len(frame) >= 10_000
        else [],
    }


# ---------------------------------------------------------------------------------------------------------------
# in a real browser (Voila + Debian's chromium): the hosts panel's grid against the static-HTML table
# ---------------------------------------------------------------------------------------------------------------
_BENCH_NOTEBOOK = r"""
import ipywidgets as widgets
import numpy as np
from IPython.display import display

import sys
sys.path.insert(0, REPO)  # the benchmarks' synthetic fleet lives next to the package, not in it
from benchmarks.synthetic import synthetic_hosts
from vsphere_nb.fleet.eligibility import preflight
from vsphere_nb.widgets import HostsPanel, RunbookState
from vsphere_nb.widgets._util import html_table

frame = preflight(synthetic_hosts(HOSTS, max(1, HOSTS // 40), seed=1))
state = RunbookState()
panel = HostsPanel(state)
load_ours = widgets.Button(description="load ours")
load_ours.add_class("bench-load-ours")
load_ours.on_click(lambda _b: setattr(state, "hosts", frame))

# the baseline: the previous panel's table — a search box, the first 200 filtered rows as static HTML
COLUMNS = ["host", "cluster", "vcenter", "das_state", "connection_state", "in_maintenance", "version", "build",
           "eligible", "skip_reason", "config_issues"]
search = frame[["host", "cluster", "das_state", "build"]].astype(str).agg(" ".join, axis=1).str.lower()
base_text = widgets.Text(description="Search", continuous_update=True)
base_text.add_class("bench-base-search")
base_table = widgets.HTML()
base_table.add_class("bench-base-table")
base_loaded = {"on": False}

def base_render(_change=None):
    if not base_loaded["on"]:
        return
    mask = np.ones(len(frame), dtype=bool)
    for term in base_text.value.lower().split():
        mask &= search.str.contains(term, regex=False).to_numpy()
    base_table.value = html_table(frame[mask], COLUMNS, max_rows=200, what="hosts")

def base_load(_b):
    base_loaded["on"] = True
    base_render()

base_text.observe(base_render, "value")
load_base = widgets.Button(description="load baseline")
load_base.add_class("bench-load-base")
load_base.on_click(base_load)
display(widgets.VBox([load_ours, panel.widget]))
display(widgets.VBox([load_base, base_text, base_table]))
"""

#: in-page timing: run ``action``, then wait (one animation frame at a time) until ``done`` is true and one more
#: frame is painted; milliseconds, or -1 after 60 s
_TIMED_JS = """async ([action, done]) => {
  const act = new Function(action), ok = new Function(done);
  const frame = () => new Promise(r => requestAnimationFrame(r));
  const t0 = performance.now();
  act();
  while (!ok()) { await frame(); if (performance.now() - t0 > 60000) return -1; }
  await frame();
  return performance.now() - t0;
}"""


def _grid_total_js(total: str, *, negate: bool = False) -> str:
    """JS: the grid's info line says "of <total> hosts" (or, with ``negate``, a total that is not it)."""
    test = f"/ of {total} /.test(text)"
    return (
        "const el = document.querySelector('.vnb-hosts-table .dt-info'); if (!el) return false;"
        "const text = el.textContent.replace(/,/g, '');"
        f"return / of [0-9]+ /.test(text) && {'!' if negate else ''}{test};"
    )


def _filter_js(text: str) -> str:
    return (
        "const inp = document.querySelector(\".vnb-hosts-table thead input[placeholder='cluster']\");"
        f"inp.value = {text!r}; inp.dispatchEvent(new KeyboardEvent('keyup', {{bubbles: true}}));"
    )


def run_browser(hosts: int = 10_000, *, repeats: int = 3) -> dict[str, Any]:
    """The hosts panel in Voila + chromium: ready after the data arrives, filter, sort, select; the static-HTML
    table (first 200 rows, kernel-side search) as the baseline, in the same page."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    chromium = "/usr/bin/chromium"
    if not os.access(chromium, os.X_OK):
        return {"name": "widgets_browser", "measured": False, "reason": f"{chromium} not found", "targets": []}
    import nbformat
    from playwright.sync_api import sync_playwright

    from vsphere_nb.cli.demo import free_port, jupyter_env, stop_process_group, voila_command, wait_until_serving

    work = Path(tempfile.mkdtemp(prefix="vnb-bench-browser-"))
    nb = nbformat.v4.new_notebook()
    from .common import REPO

    nb.cells = [nbformat.v4.new_code_cell(f"HOSTS = {int(hosts)}\nREPO = {str(REPO)!r}\n" + _BENCH_NOTEBOOK)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, work / "bench.ipynb")
    port, token = free_port(), "bench" + os.urandom(8).hex()
    env = jupyter_env(work / "state", token=token, autosave=False)
    import subprocess

    log = open(work / "voila.log", "wb")
    proc = subprocess.Popen(
        voila_command("bench.ipynb", port),
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    result: dict[str, Any] = {"name": "widgets_browser", "measured": False, "hosts": hosts}
    try:
        wait_until_serving(proc, f"http://127.0.0.1:{port}", tcp_only=True)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=args, headless=True)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(180_000)
            page.goto(f"http://127.0.0.1:{port}/?token={token}")
            page.locator(".bench-load-base").wait_for()
            page.locator(".vnb-hosts-table").wait_for()

            def timed(action: str, done: str) -> float:
                return float(page.evaluate(_TIMED_JS, [action, done])) / 1000.0

            total = f"{hosts}"
            ready = timed("document.querySelector('.bench-load-ours').click();", _grid_total_js(total))
            base_ready = timed(
                "document.querySelector('.bench-load-base').click();",
                "return !!document.querySelector('.bench-base-table table tbody tr');",
            )
            filters, sorts, base_filters = [], [], []
            for i in range(repeats):
                filters.append(timed(_filter_js(f"DC0_C{i + 1}"), _grid_total_js(total, negate=True)))
                filters.append(timed(_filter_js(""), _grid_total_js(total)))
                order = "asc" if i % 2 == 0 else "desc"
                sorts.append(
                    timed(
                        "const th = [...document.querySelectorAll('.vnb-hosts-table thead th')].find("
                        "t => t.querySelector(\"input[placeholder='HA state']\"));"
                        "th.querySelector('.dt-column-order').click();",
                        f"return !!document.querySelector('.vnb-hosts-table thead th.dt-ordering-{order}');",
                    )
                )
                term = f"c{i + 1}_"
                base_filters.append(
                    timed(
                        "const inp = document.querySelector('.bench-base-search input');"
                        f"inp.value = {term!r}; inp.dispatchEvent(new Event('input', {{bubbles: true}}));",
                        f"const t = document.querySelector('.bench-base-table'); return !!t && !/of {hosts:,} hosts/"
                        ".test(t.textContent) && !!t.querySelector('tbody tr');",
                    )
                )
                base_filters.append(
                    timed(
                        "const inp = document.querySelector('.bench-base-search input');"
                        "inp.value = ''; inp.dispatchEvent(new Event('input', {bubbles: true}));",
                        f"const t = document.querySelector('.bench-base-table'); return !!t && /of {hosts:,} hosts/"
                        ".test(t.textContent);",
                    )
                )
            click_sync = (
                float(
                    page.evaluate(
                        "() => { const t0 = performance.now();"
                        "document.querySelectorAll('.vnb-hosts-table tbody tr')[3].cells[0].click();"
                        "return performance.now() - t0; }"
                    )
                )
                / 1000.0
            )
            page.wait_for_function(
                "() => /^1 selected/.test(document.querySelector('.vnb-selected-count').textContent.trim())"
            )
            page.evaluate("() => document.querySelectorAll('.vnb-hosts-table tbody tr')[3].cells[0].click()")
            page.wait_for_function(
                "() => /^0 selected/.test(document.querySelector('.vnb-selected-count').textContent.trim())"
            )
            select_one = timed(
                "document.querySelector('.vnb-hosts-table tbody tr').cells[0].click();",
                "return /^1 selected/.test(document.querySelector('.vnb-selected-count').textContent.trim());",
            )
            select = timed(
                "const rows = document.querySelectorAll('.vnb-hosts-table tbody tr');"
                "rows[9].cells[0].dispatchEvent(new MouseEvent('click', {bubbles: true, shiftKey: true}));",
                "return /^10 selected/.test(document.querySelector('.vnb-selected-count').textContent.trim());",
            )
            browser.close()
        filter_med = statistics.median(filters)
        sort_med = statistics.median(sorts)
        result.update(
            {
                "measured": True,
                "ready_seconds": ready,
                "filter_seconds": filter_med,
                "sort_seconds": sort_med,
                "select_one_seconds": select_one,
                "select_click_handler_seconds": click_sync,
                "select_range_seconds": select,
                "baseline_ready_seconds": base_ready,
                "baseline_filter_seconds": statistics.median(base_filters),
                "baseline_rows_reachable": 200,
                "targets": [
                    {
                        "name": f"hosts panel ready after the data arrives, {hosts:,} hosts (browser)",
                        "target": "≤ 1.5 s",
                        "value": ready,
                        "met": ready <= 1.5,
                    },
                    {
                        "name": f"filter / sort to painted rows, {hosts:,} hosts (browser, median of {repeats})",
                        "target": "≤ 150 ms",
                        "value": max(filter_med, sort_med),
                        "met": max(filter_med, sort_med) <= 0.15,
                    },
                ]
                if hosts >= 10_000
                else [],
            }
        )
    except Exception as exc:  # a benchmark reports what went wrong instead of stopping the others
        result.update({"measured": False, "reason": f"{type(exc).__name__}: {str(exc)[:300]}", "targets": []})
    finally:
        stop_process_group(proc)
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    return result
