"""DataFrames: 100,000 task rows with 1,000,000 event rows — time to build all frames, and peak memory.

Each measurement runs in a fresh child process (``python -m benchmarks.frames --child …``) so peak memory is that
job's alone: the child generates the records (:func:`vsphere_nb.batch.synthetic.synthetic_records`), notes its
resident memory, builds the frames, and reports the build time and the process's peak resident set size
(``VmHWM``, the same figure as ``resource.getrusage().ru_maxrss``). ``peak_total`` includes the records
themselves (what a notebook holds); ``peak_over_records`` is what building the frames added on top.

vsphere-nb: :func:`vsphere_nb.batch.frames.build_frames` (tasks, faults, fault_messages, events).
Baseline: :func:`benchmarks.baselines.naive_frames` — tasks and events only, one dict per row.

Targets (issue 6): all frames in ≤ 3 s, peak memory ≤ 2 GB.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from typing import Any

from .common import REPO, peak_rss_bytes, ratio, rss_bytes

__all__ = ["run", "measure"]

GB = 1024**3


def _child(kind: str, tasks: int, events: int) -> dict[str, Any]:
    from benchmarks.synthetic import synthetic_records

    records = synthetic_records(tasks, events, seed=1)
    gc.collect()
    before = rss_bytes()
    cpu = time.process_time()
    start = time.perf_counter()
    if kind == "ours":
        from vsphere_nb.batch.frames import build_frames

        frames = build_frames(records)
        sizes = {name: len(frame) for name, frame in frames.items()}
    else:
        from .baselines import naive_frames

        built = naive_frames(records)
        sizes = {name: len(frame) for name, frame in built.items()}
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu
    peak = peak_rss_bytes()
    return {
        "kind": kind,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rows": sizes,
        "rss_before_build": before,
        "peak_total": peak,
        "peak_over_records": max(0, peak - before),
    }


def measure(kind: str, tasks: int, events: int, timeout: float = 900) -> dict[str, Any]:
    """Run one measurement in a child process and return its figures."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.frames", "--child", kind, "--tasks", str(tasks), "--events", str(events)],
        capture_output=True,
        text=True,
        cwd=str(REPO),
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"frames child {kind} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(tasks: int = 100_000, events: int = 1_000_000, *, repeats: int = 2) -> dict[str, Any]:
    ours_runs = [measure("ours", tasks, events) for _ in range(repeats)]
    ours = min(ours_runs, key=lambda r: r["seconds"])
    naive = measure("naive", tasks, events)
    full = tasks >= 100_000 and events >= 1_000_000
    targets = []
    if full:
        targets = [
            {"name": "all frames built", "target": "≤ 3 s", "value": ours["seconds"], "met": ours["seconds"] <= 3.0},
            {
                "name": "peak memory (whole process, records included)",
                "target": "≤ 2 GB",
                "value": ours["peak_total"] / GB,
                "met": ours["peak_total"] <= 2 * GB,
            },
        ]
    return {
        "name": "frames",
        "tasks": tasks,
        "events": events,
        "ours": ours,
        "ours_all_seconds": [r["seconds"] for r in ours_runs],
        "baseline_naive": naive,
        "faster": ratio(naive["seconds"], ours["seconds"]),
        "less_memory_over_records": ratio(naive["peak_over_records"], ours["peak_over_records"]),
        "targets": targets,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.frames")
    p.add_argument("--child", choices=("ours", "naive"), required=True)
    p.add_argument("--tasks", type=int, default=100_000)
    p.add_argument("--events", type=int, default=1_000_000)
    args = p.parse_args(argv)
    print(json.dumps(_child(args.child, args.tasks, args.events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
