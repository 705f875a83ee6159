"""``make bench``: run the benchmarks, write ``benchmarks/results.json`` and ``benchmarks/results.md``.

::

    python -m benchmarks.run                 # the issue's sizes; writes benchmarks/results.{json,md}
    python -m benchmarks.run --quick         # reduced sizes, a few minutes; prints, writes only with --out
    python -m benchmarks.run --tiny --out D  # seconds; what tests/test_benchmarks_smoke.py runs
    python -m benchmarks.run --only batch,frames

Every figure is measured against the simulator over loopback HTTP (a separate process) and shown next to a
baseline measured in the same run (see :mod:`benchmarks.baselines`). The machine is described in the output, with
the load average before and after each section: the figures are wall-clock times on a shared machine, and other
processes' load shows up in them. Sections not run keep their previous figures (each section carries its own
``measured_at``); ``make chaos`` (:mod:`benchmarks.chaos`) adds the chaos section the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import REPO, machine

__all__ = ["main", "MODES", "render_markdown", "merge_sections", "RESULTS_JSON", "RESULTS_MD"]

RESULTS_JSON = REPO / "benchmarks" / "results.json"
RESULTS_MD = REPO / "benchmarks" / "results.md"
SECTIONS = ("inventory", "batch", "frames", "simulator", "widgets", "widgets_browser", "startup", "diagnosis")


def _inventory(**kw: Any) -> Callable[[], dict[str, Any]]:
    from . import inventory

    return lambda: inventory.run(**kw)


def _batch(**kw: Any) -> Callable[[], dict[str, Any]]:
    from . import batch

    return lambda: batch.run(**kw)


def _frames(**kw: Any) -> Callable[[], dict[str, Any]]:
    from . import frames

    return lambda: frames.run(**kw)


def _simulator(**kw: Any) -> Callable[[], dict[str, Any]]:
    from . import simulator

    return lambda: simulator.run(**kw)


def _widgets(**kw: Any) -> Callable[[], dict[str, Any]]:
    from . import widgets

    return lambda: widgets.run(**kw)


def _startup(**kw: Any) -> Callable[[], dict[str, Any]]:
    from . import startup

    return lambda: startup.run(**kw)


def _diagnosis(**kw: Any) -> Callable[[], dict[str, Any]]:
    from . import diagnosis

    return lambda: diagnosis.run(**kw)


def _widgets_browser(**kw: Any) -> Callable[[], dict[str, Any]]:
    from . import widgets

    return lambda: widgets.run_browser(**kw)


#: sizes per mode (the issue's sizes are "full")
MODES: dict[str, dict[str, dict[str, Any]]] = {
    "full": {
        "inventory": {"sizes": (1000, 10_000), "baseline_limit": 1000, "repeats": 3},
        "batch": {
            "clusters": 50,
            "hosts_per_cluster": 20,
            "task_seconds": 1.0,
            "max_in_flight": 100,
            "per_cluster": 4,
            "sequential_slice": 10,
        },
        "frames": {"tasks": 100_000, "events": 1_000_000, "repeats": 2},
        "simulator": {"hosts": 10_000, "seconds": 5.0},
        "widgets": {"hosts": 10_000, "repeats": 5},
        "startup": {"repeats": 9},
        "diagnosis": {
            "events": 100_000,
            "hosts": 10_000,
            "diag_hosts": 10_000,
            "baseline_hosts": 50,
            "repeats": 3,
            "log_hosts": 500,
        },
        "widgets_browser": {"hosts": 10_000, "repeats": 5},
    },
    "quick": {
        "inventory": {"sizes": (1000,), "baseline_limit": 300, "repeats": 1},
        "batch": {
            "clusters": 10,
            "hosts_per_cluster": 20,
            "task_seconds": 1.0,
            "max_in_flight": 40,
            "per_cluster": 4,
            "sequential_slice": 5,
        },
        "frames": {"tasks": 10_000, "events": 100_000, "repeats": 1},
        "simulator": {"hosts": 2000, "seconds": 2.0},
        "widgets": {"hosts": 10_000, "repeats": 3},
        "startup": {"repeats": 5},
        "diagnosis": {
            "events": 20_000,
            "hosts": 400,
            "diag_hosts": 2000,
            "baseline_hosts": 20,
            "repeats": 1,
            "log_hosts": 100,
        },
        "widgets_browser": {"hosts": 10_000, "repeats": 3},
    },
    "tiny": {
        "inventory": {"sizes": (80,), "baseline_limit": 30, "repeats": 1},
        "batch": {
            "clusters": 2,
            "hosts_per_cluster": 6,
            "task_seconds": 0.4,
            "max_in_flight": 5,
            "per_cluster": 3,
            "sequential_slice": 2,
        },
        "frames": {"tasks": 500, "events": 5000, "repeats": 1},
        "simulator": {"hosts": 80, "seconds": 0.3, "concurrency": 4},
        "widgets": {"hosts": 400, "repeats": 1},
        "startup": {"repeats": 1},
        "diagnosis": {
            "events": 3000,
            "hosts": 80,
            "diag_hosts": 500,
            "baseline_hosts": 10,
            "repeats": 1,
            "log_hosts": 20,
        },
        "widgets_browser": {"hosts": 400, "repeats": 1},
    },
}
_RUNNERS = {
    "inventory": _inventory,
    "batch": _batch,
    "frames": _frames,
    "simulator": _simulator,
    "widgets": _widgets,
    "startup": _startup,
    "diagnosis": _diagnosis,
    "widgets_browser": _widgets_browser,
}


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def run_sections(mode: str, only: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in only:
        print(f"[bench] {name} ({mode}) …", file=sys.stderr, flush=True)
        load_before = _loadavg()
        started = time.perf_counter()
        try:
            section = _RUNNERS[name](**MODES[mode][name])()
        except Exception as exc:
            traceback.print_exc()
            section = {"name": name, "error": f"{type(exc).__name__}: {exc}", "targets": []}
        section.update(
            mode=mode,
            measured_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            load_before=load_before,
            load_after=_loadavg(),
            section_seconds=round(time.perf_counter() - started, 1),
        )
        results[name] = section
        print(f"[bench] {name} done in {section['section_seconds']} s", file=sys.stderr, flush=True)
    return results


def merge_sections(
    sections: dict[str, Any], json_path: Path = RESULTS_JSON, md_path: Path = RESULTS_MD
) -> dict[str, Any]:
    """Update ``sections`` in ``json_path`` (keeping the others) and re-render ``md_path``."""
    data: dict[str, Any] = {}
    if json_path.exists():
        try:
            data = json.loads(json_path.read_text())
        except ValueError:
            data = {}
    data.setdefault("sections", {}).update(sections)
    data["machine"] = machine()
    data["generated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=1, default=str, ensure_ascii=False) + "\n")
    md_path.write_text(render_markdown(data))
    return data


# ---------------------------------------------------------------------------------------------
# markdown
# ---------------------------------------------------------------------------------------------
def _n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _s(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}×"


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1024**2:,.0f} MB"


def _target_value(t: dict[str, Any]) -> str:
    v = t.get("value")
    if isinstance(v, float):
        if "GB" in t["target"]:
            return f"{v:.2f} GB"
        if "ms" in t["target"] or " s" in t["target"]:
            return _s(v)
        if "×" in t["target"]:
            return f"{v:.2f}×"
        return f"{v:,.2f}"
    return str(v)


def _header(sec: dict[str, Any]) -> str:
    return (
        f"_{sec.get('mode', '?')} mode, measured {sec.get('measured_at', '?')}, load average "
        f"{sec.get('load_before')} → {sec.get('load_after')}, section took {sec.get('section_seconds', '?')} s_\n"
    )


def _md_inventory(sec: dict[str, Any]) -> list[str]:
    out = [
        "## Inventory: the hosts table",
        "",
        _header(sec),
        "vsphere-nb: `Client.hosts()` — one `ContainerView`, one paged `RetrievePropertiesEx`. "
        "Baseline: **one GET per host per property** (8 host properties, then clusters, folders, datacenter, "
        "datastores, HA reporters), as pyVmomi property access / PowerCLI `Get-View` loops do; sequential "
        "(a plain script) and with 16 requests in flight (a tuned one). The baseline builds the same table "
        f"(checked: {'identical rows' if sec.get('equivalent') else 'NOT identical'}).",
        "",
        "| hosts | vsphere-nb requests | vsphere-nb time | baseline requests | baseline time (sequential) | "
        "baseline time (16 in flight) | fewer requests | less time | less time vs 16 in flight |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for r in sec.get("sizes", []):
        b, c = r["baseline_sequential"], r["baseline_concurrent"]
        mark = " †" if b["extrapolated"] else ""
        out.append(
            f"| {_n(r['hosts'])} | {_n(r['ours']['requests'])} | {_s(r['ours']['seconds'])} | "
            f"{_n(round(b['requests']))}{mark} | {_s(b['seconds'])}{mark} | {_s(c['seconds'])}{mark} | "
            f"{_x(r['fewer_requests'])} | {_x(r['less_time'])} | {_x(r['less_time_vs_concurrent'])} |"
        )
        if b["extrapolated"]:
            notes.append(
                f"† {_n(r['hosts'])} hosts: baseline measured on the first {_n(b['measured_hosts'])} hosts "
                f"({_n(b['measured_requests'])} requests, {_s(b['measured_seconds'])} sequential, "
                f"{_s(c['measured_seconds'])} with 16 in flight) and scaled linearly — extrapolated."
            )
    return out + [""] + notes + [""]


def _md_batch(sec: dict[str, Any]) -> list[str]:
    s, o = sec["settings"], sec["ours"]
    p, q, j = sec["baseline_polling"], sec["baseline_sequential"], sec["journal"]
    return [
        "## Batch: Reconfigure for vSphere HA on many hosts",
        "",
        _header(sec),
        f"{_n(s['hosts'])} hosts in {s['clusters']} clusters, tasks of {s['task_seconds']} s (±20 % jitter in the "
        f"simulator; mean measured {o['mean_task_seconds']:.2f} s), caps `max_in_flight={s['max_in_flight']}`, "
        f"`per_cluster={s['per_cluster']}` → effective cap {s['effective_cap']}. "
        f"Ideal = ceil({s['hosts']} / {s['effective_cap']}) × {s['task_seconds']} s = {_s(sec['ideal_seconds'])}. "
        "vsphere-nb's time is the whole `plan.execute()` call: journal, launches, one PropertyCollector watch, "
        "post-check of each host's HA state, event collection at the end, frames saved to the run directory.",
        "",
        "| | hosts | wall time | × ideal | HTTP requests | requests / host |",
        "|---|---:|---:|---:|---:|---:|",
        f"| vsphere-nb | {_n(o['hosts'])} | {_s(o['seconds'])} | {sec['x_ideal']:.2f}× | {_n(o['requests'])} | "
        f"{o['requests_per_host']:.2f} |",
        f"| baseline (a): same caps, poll `Task.info` every 1 s (PowerCLI `Wait-Task`, Ansible) | {_n(p['hosts'])} | "
        f"{_s(p['seconds'])} | {p['seconds'] / (sec['ideal_seconds'] * p['hosts'] / max(o['hosts'], 1)):.2f}× | "
        f"{_n(p['requests'])} | {p['requests_per_host']:.2f} |",
        f"| baseline (b): sequential launch + `WaitForTask` (pyVmomi samples) † | {_n(q['hosts'])} | "
        f"{_s(q['seconds'])} | {q['seconds'] / sec['ideal_seconds']:.1f}× | {_n(round(q['requests']))} | "
        f"{q['requests_per_host']:.2f} |",
        "",
        f"† measured on {q['measured_hosts']} hosts ({_s(q['measured_seconds'])}) and scaled linearly — extrapolated.",
        "",
        f"- Where the time goes: {_s(o.get('before_first_launch_seconds'))} from `execute()` to the first task "
        f"queued (journal, collector set-up, first launches); {_s(o['tasks_span_seconds'])} from the first task "
        f"queued to the last completed ({sec.get('x_ideal_tasks_only', 0):.2f}× ideal); "
        f"{_s(o.get('after_last_task_seconds'))} after the last task completed (its post-check, event collection, "
        "frames saved).",
        f"- The simulator's tasks last 0.8–1.2× the nominal duration: these very tasks needed "
        f"{_s(o.get('task_work_seconds'))} of task time, so no scheduler could finish them under the effective cap in "
        f"less than {_s(sec.get('work_bound_seconds'))}; handing each freed slot the next task at once, in the order "
        f"they were launched, they end after {_s(o.get('list_schedule_floor_seconds'))} "
        f"({(o.get('list_schedule_floor_seconds') or 0) / sec['ideal_seconds']:.2f}× ideal): the floor of any "
        "scheduler that cannot know a task's duration before it ends.",
        *(
            [
                f"- Refill lag (server timestamps): a freed slot got its next task queued "
                f"{_s(o['refill_lag_seconds']['mean'])} after its task ended on average (median "
                f"{_s(o['refill_lag_seconds']['median'])}, p90 {_s(o['refill_lag_seconds']['p90'])}, over "
                f"{_n(o['refill_lag_seconds']['refills'])} refills): the watch's 20 ms coalescing pause, the "
                "`WaitForUpdatesEx` answer, and the launch request."
            ]
            if o.get("refill_lag_seconds")
            else []
        ),
        f"- Server-side maxima: {o['server_max_concurrent_tasks']} tasks running at once, "
        f"{o['server_max_per_cluster']} per cluster; {o['launches']} launches, "
        f"{o['hosts_launched_twice']} host(s) launched twice. Outcomes: {o['outcomes']}.",
        f"- Requests by call: {o['by_call']}.",
        f"- Journal: {o['journal_records']} records ({j['records_per_host']:.1f} per host), each flushed at once and "
        f"fsynced in groups (at most 0.2 s apart); appending costs {j['ms_per_record_fsync']:.3f} ms per record that "
        f"way vs {j['ms_per_record_no_fsync']:.3f} ms without fsync on this disk → about "
        f"{_s(j['estimated_fsync_seconds'])} of the engine's event loop for the run's records.",
        "",
    ]


def _md_frames(sec: dict[str, Any]) -> list[str]:
    o, b = sec["ours"], sec["baseline_naive"]
    return [
        "## DataFrames: building every frame of a large run",
        "",
        _header(sec),
        f"{_n(sec['tasks'])} task records with {_n(sec['events'])} events "
        "(`benchmarks.synthetic.synthetic_records`), each measurement in a fresh child process; peak memory is "
        "the child's peak resident set (`VmHWM`, = `ru_maxrss`). Baseline: one Python dict per row then "
        "`pd.DataFrame(rows)` and the same dtypes (tasks and events only).",
        "",
        "| | build time | CPU time | rows | peak memory (process) | added by the build |",
        "|---|---:|---:|---|---:|---:|",
        f"| vsphere-nb `build_frames` (tasks, faults, fault_messages, events) | {_s(o['seconds'])} | "
        f"{_s(o.get('cpu_seconds'))} | {o['rows']} | {_mb(o['peak_total'])} | {_mb(o['peak_over_records'])} |",
        f"| baseline: dict per row → `pd.DataFrame` (tasks, events) | {_s(b['seconds'])} | {_s(b.get('cpu_seconds'))} | "
        f"{b['rows']} | {_mb(b['peak_total'])} | {_mb(b['peak_over_records'])} |",
        "",
        f"vsphere-nb is {_x(sec.get('faster'))} faster and adds {_x(sec.get('less_memory_over_records'))} less memory "
        f"on top of the records. Build times of the repeats: {[round(x, 2) for x in sec.get('ours_all_seconds', [])]} s.",
        "",
    ]


def _md_simulator(sec: dict[str, Any]) -> list[str]:
    r, b, m = sec["reads"], sec["baseline_bare_http"], sec["memory"]
    return [
        "## Simulator: reads per second and memory",
        "",
        _header(sec),
        f"`GET …/HostSystem/{{id}}/runtime` with a session, {sec['concurrency']} requests in flight over keep-alive "
        f"connections, simulator with {_n(sec['hosts'])} hosts in its own process. Baseline: the simulator's own "
        "uvicorn server class answering a fixed body (no routing, model or session) — the HTTP stack's ceiling. "
        "Two load generators: a minimal HTTP/1.1 client on asyncio streams (wrk-like: the server sets the rate) and "
        "httpx (what vsphere-nb's client uses; on 2 cores it is the client that sets that rate).",
        "",
        "| | raw HTTP/1.1 client | httpx client |",
        "|---|---:|---:|",
        f"| simulator | {_n(r['raw']['per_second'])}/s | {_n(r['httpx']['per_second'])}/s |",
        f"| baseline: bare uvicorn | {_n(b['raw']['per_second'])}/s | {_n(b['httpx']['per_second'])}/s |",
        f"| share of the ceiling | {sec['share_of_http_ceiling']:.0%} | {sec['share_of_http_ceiling_httpx']:.0%} |",
        "",
        f"Memory with {_n(m['hosts'])} hosts: {_mb(m['rss_after_start'])} after start, "
        f"{_mb(m['rss_after_inventory_pass'])} after a full PropertyCollector pass; baseline (empty simulator, same "
        f"process kind): {_mb(m['baseline_empty_simulator_rss'])} → about {m['bytes_per_host'] / 1024:,.1f} KB per "
        "host.",
        "",
    ]


def _md_widgets(sec: dict[str, Any]) -> list[str]:
    if not sec.get("measured"):
        return ["## Widgets: hosts panel filter latency", "", _header(sec), sec.get("reason", "not measured yet"), ""]
    rows = [
        f"| {name} | {sec['rows'][name]:,} | {_s(v)} | {_s(sec['baseline_naive'].get(name))} |"
        for name, v in sec["ours"].items()
    ]
    return [
        "## Widgets: hosts panel filter latency",
        "",
        _header(sec),
        f"`HostsPanel` with {_n(sec['hosts'])} hosts; each change is made as a user makes it (assigning the "
        "widget's value, which runs the panel's observer and `apply_filters()`: mask, grid rows, count, chips); "
        "median per change. Kernel-side cost only (no browser). Baseline: a straightforward panel — pandas boolean "
        "mask, then `DataFrame.to_html()` of the filtered rows into a `widgets.HTML`. Both give the same rows "
        f"({'checked' if sec.get('same_rows') else 'NOT the same'}).",
        "",
        "| filter change | rows shown | HostsPanel | baseline |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        f"Loading the {_n(sec['hosts'])} hosts into the panel (indexing, first render): {_s(sec['load_seconds'])}.",
        "",
    ]


def _md_startup(sec: dict[str, Any]) -> list[str]:
    rows = [
        f"| `{name}` | {_s(c['ours'])} | {_s(c['baseline_eager'])} | {_x(c.get('faster'))} | "
        f"{', '.join(c['heavy_loaded']) or 'none'} | {', '.join(c['baseline_heavy_loaded']) or 'none'} |"
        for name, c in sec.get("commands", {}).items()
    ]
    return [
        "## Start-up: import and CLI",
        "",
        _header(sec),
        "Each command in a fresh `python -c` process, wall clock from start to exit (the interpreter's own start "
        f"included: `python -c pass` takes {_s(sec.get('python_floor'))} here), median of {sec.get('repeats')}, ours "
        "and the baseline interleaved. vsphere-nb: public names loaded on first use, subcommands import their "
        "dependencies when they run. Baseline: the eager import path vsphere-nb had before (`wire`, `client`, "
        "`sync`, the whole `batch` package with `charts` → matplotlib; pandas for the CLI), timed the same way in "
        "the same run.",
        "",
        "| command | vsphere-nb | baseline (eager) | faster | heavy packages loaded | baseline loaded |",
        "|---|---:|---:|---:|---|---|",
        *rows,
        "",
    ]


def _md_widgets_browser(sec: dict[str, Any]) -> list[str]:
    title = "## Widgets in a real browser: hosts panel grid vs the static-HTML table"
    if not sec.get("measured"):
        return [title, "", _header(sec), sec.get("reason", "not measured yet"), ""]
    ms = lambda v: "—" if v is None else f"{v * 1000:,.0f} ms"  # noqa: E731
    return [
        title,
        "",
        _header(sec),
        f"The hosts panel in Voila + Debian's chromium with {_n(sec['hosts'])} hosts; times measured in the page "
        "(`performance.now()` around the action, until the rows are painted). Baseline in the same page: the previous "
        "panel's table — a search box and the first 200 filtered rows as static HTML (kernel-side filtering; no sort, "
        "no click selection, rows past 200 unreachable).",
        "",
        "| step | grid (itables) | static HTML baseline |",
        "|---|---:|---:|",
        f"| ready after the hosts frame arrives | {ms(sec['ready_seconds'])} | {ms(sec['baseline_ready_seconds'])} |",
        f"| column filter / search to painted rows (median) | {ms(sec['filter_seconds'])} | "
        f"{ms(sec['baseline_filter_seconds'])} |",
        f"| sort by a column (median) | {ms(sec['sort_seconds'])} | not possible |",
        f"| click one row → panel count updated | {ms(sec.get('select_one_seconds'))} | not possible |",
        f"| shift-click a range → panel count updated | {ms(sec.get('select_range_seconds'))} | not possible |",
        f"| rows reachable | {_n(sec['hosts'])} | {sec['baseline_rows_reachable']} |",
        "",
    ]


def _md_chaos(sec: dict[str, Any]) -> list[str]:
    s = sec["settings"]
    c = sec.get("client", {})
    f = sec.get("faults_injected", {})
    return [
        "## Chaos: a batch under a hostile vCenter, killed and resumed",
        "",
        f"_measured {sec.get('measured_at', '?')}_\n",
        f"{_n(sec['hosts'])} hosts ({sec['eligible']} eligible, the rest skipped by pre-flight) in the `{s['scenario']}` "
        f"scenario, caps {s['max_in_flight']}/{s['per_cluster']} per cluster; all at once: "
        f"{s['http_503_rate']:.0%} HTTP 503, {s['drop_rate']:.0%} dropped connections, 0–{s['jitter'] * 1000:.0f} ms "
        f"latency jitter, sessions expiring {s['session_lifetime']:.0f} s after login, one server restart (after "
        f"{sec.get('restarted_after_launches')} launches), the client process killed with SIGKILL after "
        f"{sec.get('killed_after_launches')} launches — while the server executed the launch on "
        f"{sec.get('killed_during_launch_of')}, whose answer it never received — and resumed from its run directory "
        "(`vsphere-nb reconfigure --resume`).",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| hosts | {_n(sec['hosts'])} |",
        f"| hosts with exactly one outcome | {_n(sec['hosts_with_one_outcome'])} |",
        f"| outcomes | {sec['outcomes']} |",
        f"| HTTP 503 injected | {_n(f.get('http_503'))} |",
        f"| connections dropped | {_n(f.get('dropped_connections'))} |",
        f"| sessions expired | {_n(f.get('session_expiries'))} |",
        f"| server restarts | {_n(f.get('restarts'))} |",
        f"| client retries (both processes) | {_n(c.get('retries'))} |",
        f"| client re-logins | {_n(c.get('relogins'))} |",
        f"| client requests without an answer | {_n(c.get('transport_errors'))} |",
        f"| launches (server) | {_n(sec['launches'])} |",
        f"| **duplicate launches** | **{_n(sec['duplicate_launches'])}** |",
        f"| max tasks at once (cap {s['max_in_flight']}) / per cluster (cap {s['per_cluster']}) | "
        f"{sec['max_concurrent_tasks']} / {sec['max_concurrent_per_cluster']} |",
        f"| results lost | {len(sec.get('lost_results', []))} |",
        f"| run finished | {'yes' if sec['run_finished'] else 'NO'} (resume exit code {sec['resume_exit_code']}) |",
        f"| secrets found in {sec['files_scanned']} written files ({sec['tokens_issued']} tokens + 2 passwords "
        f"checked) | {len(sec.get('secret_hits', []))} |",
        f"| wall time | {_s(sec['seconds'])} |",
        "",
        f"Verdict: {'all checks passed' if sec.get('ok') else 'FAILED: ' + '; '.join(sec.get('problems', []))}.",
        "",
        *(
            ["Hosts launched twice, from the journal:", "", *[f"- {t}" for t in sec["duplicates_explained"]], ""]
            if sec.get("duplicates_explained")
            else []
        ),
        *([f"Notes: {'; '.join(sec['notes'])}.", ""] if sec.get("notes") else []),
    ]


_RENDER = {
    "inventory": _md_inventory,
    "batch": _md_batch,
    "frames": _md_frames,
    "simulator": _md_simulator,
    "widgets": _md_widgets,
    "startup": _md_startup,
    "widgets_browser": _md_widgets_browser,
    "chaos": _md_chaos,
    "diagnosis": lambda sec: __import__("benchmarks.diagnosis", fromlist=["markdown"]).markdown(sec),
}


def _missed_notes(sections: dict[str, Any]) -> list[str]:
    """Why a target is missed, from the section's own figures."""
    notes = []
    batch = sections.get("batch")
    if batch and not batch.get("error") and batch.get("x_ideal", 0) > 1.15:
        o = batch["ours"]
        lag = o.get("refill_lag_seconds") or {}
        notes.append(
            f"**Batch wall time {batch['x_ideal']:.2f}× ideal (target 1.15×).** Of {_s(o['seconds'])}: "
            f"{_s(o.get('before_first_launch_seconds'))} before the first task was queued, "
            f"{_s(o['tasks_span_seconds'])} of tasks and {_s(o.get('after_last_task_seconds'))} after the last one "
            f"(event collection, frames saved). With zero refill lag these tasks would end after "
            f"{_s(o.get('list_schedule_floor_seconds'))}; the measured lag was {_s(lag.get('mean'))} per refill "
            f"(p90 {_s(lag.get('p90'))}). The load average during the section was {batch.get('load_before')} → "
            f"{batch.get('load_after')} on 2 cores shared by the client and the simulator: re-run `make bench` on an "
            "idle machine before concluding."
        )
    frames = sections.get("frames")
    if frames and not frames.get("error"):
        for t in frames.get("targets", []):
            if not t["met"] and "frames built" in t["name"]:
                o = frames["ours"]
                notes.append(
                    f"**Frames built in {_s(o['seconds'])} (target 3 s)** with {_s(o.get('cpu_seconds'))} of CPU: "
                    f"the load average during the section was {frames.get('load_before')} → "
                    f"{frames.get('load_after')} on {2} cores, so the process did not have a core to itself. "
                    "Re-run `make bench` on an idle machine before concluding."
                )
    inv = sections.get("inventory")
    if inv and not inv.get("error"):
        for t in inv.get("targets", []):
            if not t["met"]:
                notes.append(
                    f"**Inventory: {t['name']} = {_target_value(t)} (target {t['target']}).** See the "
                    "inventory section; the baseline's figures at 10,000 hosts are extrapolated from "
                    f"{inv['sizes'][-1]['baseline_sequential']['measured_hosts']:,} hosts."
                )
    return notes


def render_markdown(data: dict[str, Any]) -> str:
    m = data.get("machine", {})
    sections = data.get("sections", {})
    lines = [
        "# vsphere-nb benchmarks",
        "",
        "Generated by `make bench` (`python -m benchmarks.run`) and `make chaos` (`python -m benchmarks.chaos`); "
        "the numbers below are in `results.json` too. Every figure is measured against the simulator over loopback "
        "HTTP, next to a baseline measured in the same run (implemented in `benchmarks/baselines.py`, labelled "
        "below). Times are wall-clock on a shared machine: the load average before and after each section is shown.",
        "",
        f"**Machine**: {m.get('cpu')}, {m.get('cores')} cores, {_mb(m.get('memory_bytes'))} RAM, {m.get('os')}; "
        f"{m.get('implementation')} {m.get('python')}, httpx {m.get('httpx')}, uvicorn {m.get('uvicorn')}, "
        f"pandas {m.get('pandas')}, pyarrow {m.get('pyarrow')}; vsphere-nb {m.get('vsphere_nb')}. "
        f"Generated {data.get('generated_at')}.",
        "",
        "## Targets",
        "",
        "| section | target | required | measured | |",
        "|---|---|---|---:|---|",
    ]
    for name in (*SECTIONS, "chaos"):
        sec = sections.get(name)
        if not sec:
            lines.append(f"| {name} | — | — | not measured yet | |")
            continue
        if sec.get("error"):
            lines.append(f"| {name} | — | — | error: {sec['error']} | ✗ |")
            continue
        if name == "chaos":
            lines.append(
                f"| chaos | every check (see below) | pass | "
                f"{'pass' if sec.get('ok') else 'FAIL'} | {'✓' if sec.get('ok') else '✗'} |"
            )
            continue
        if name in ("widgets", "widgets_browser") and not sec.get("measured"):
            reason = " ".join(str(sec.get("reason")).split())
            lines.append(f"| {name} | measured in the browser and the kernel | measured | not measured: {reason} | ✗ |")
            continue
        for t in sec.get("targets", []):
            lines.append(
                f"| {name} | {t['name']} | {t['target']} | {_target_value(t)} | {'✓' if t['met'] else '✗ missed'} |"
            )
    notes = list(data.get("notes") or []) + _missed_notes(sections)
    if notes:
        lines += ["", "### Where a target is missed", "", *[f"- {n}" for n in notes]]
    lines.append("")
    for name in (*SECTIONS, "chaos"):
        sec = sections.get(name)
        if not sec:
            continue
        if sec.get("error"):
            lines += [f"## {name}", "", f"The section failed: `{sec['error']}`.", ""]
            continue
        lines += _RENDER[name](sec)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="reduced sizes (a few minutes)")
    size.add_argument("--tiny", action="store_true", help="minimal sizes (seconds): keeps the harness from rotting")
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections ({', '.join(SECTIONS)})")
    p.add_argument(
        "--out",
        default=None,
        help="directory for results.json and results.md (default: benchmarks/ "
        "for a full run; a quick or tiny run writes only when given)",
    )
    args = p.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        p.error(f"unknown section(s): {', '.join(unknown)}")
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    results = run_sections(mode, only)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        data = merge_sections(results, out / "results.json", out / "results.md")
    elif mode == "full":
        data = merge_sections(results)
    else:
        data = {"sections": results, "machine": machine(), "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
    print(render_markdown(data))
    failed = [name for name, sec in results.items() if sec.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
