"""Start-up: ``import vsphere_nb`` and ``vsphere-nb --help`` / ``--version``, each in a fresh Python process.

vsphere-nb: the package as it is — public names loaded on first use (module ``__getattr__``), the CLI importing a
subcommand's dependencies only when it runs.

Baseline: the eager import path vsphere-nb had before, run in the same kind of process in the same run — the
modules its ``__init__`` imported at once (``wire``, ``client``, ``config``, ``sync``, the whole ``batch`` package
with ``charts`` and so matplotlib) and, for the CLI, pandas as the ``hosts`` subcommand's output module imported it
at parse time. The floor is ``python -c pass``. Each figure is the median of ``repeats`` wall-clock times
(``subprocess.run`` from start to exit), so it includes the interpreter's own start.

Targets (issue): ``vsphere-nb --help`` / ``--version`` ≤ 0.3 s, ``import vsphere_nb`` ≤ 0.5 s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from .common import REPO

__all__ = ["run", "EAGER_IMPORTS", "HEAVY"]

#: what the old ``vsphere_nb/__init__.py`` imported when the package was imported
EAGER_IMPORTS = (
    "import vsphere_nb.wire, vsphere_nb.client.aio, vsphere_nb.client.config, vsphere_nb.sync, vsphere_nb.errors\n"
    "import vsphere_nb.batch.charts, vsphere_nb.batch.execute, vsphere_nb.batch.frames, vsphere_nb.batch.journal\n"
    "import vsphere_nb.batch.limits, vsphere_nb.batch.plan, vsphere_nb.fleet.eligibility, vsphere_nb.batch.progress\n"
    "import vsphere_nb.batch.records, vsphere_nb.batch.report, vsphere_nb.batch.result, vsphere_nb.batch.scheduler\n"
    "import benchmarks.synthetic\n"
)
#: third-party packages a bare import must not load (reported per command)
HEAVY = ("matplotlib", "pandas", "numpy", "pyarrow", "pydantic", "httpx", "ipywidgets", "starlette", "uvicorn", "yaml")

_REPORT = "import sys, json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)"

#: name -> (ours, baseline) Python code run with ``python -c``
COMMANDS: dict[str, tuple[str, str]] = {
    "import vsphere_nb": ("import vsphere_nb\n", EAGER_IMPORTS + "import vsphere_nb\n"),
    "vsphere-nb --version": (
        "import sys\nfrom vsphere_nb.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n",
        EAGER_IMPORTS
        + "import pandas\nfrom vsphere_nb.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n",
    ),
    "vsphere-nb --help": (
        "import sys\nfrom vsphere_nb.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n",
        EAGER_IMPORTS
        + "import pandas\nfrom vsphere_nb.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n",
    ),
}
TARGETS = {"import vsphere_nb": 0.5, "vsphere-nb --version": 0.3, "vsphere-nb --help": 0.3}


def _env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(REPO) + (os.pathsep + path if path else "")}


def _time(code: str, *, report: bool = False) -> tuple[float, list[str]]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code + (_REPORT if report else "")],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=str(REPO),
        timeout=120,
        check=True,
    )
    seconds = time.perf_counter() - start
    loaded = json.loads(done.stderr.strip().splitlines()[-1]) if report else []
    return seconds, loaded


def run(repeats: int = 7) -> dict[str, Any]:
    floor = statistics.median(_time("pass")[0] for _ in range(repeats))
    commands: dict[str, Any] = {}
    targets = []
    for name, (ours_code, base_code) in COMMANDS.items():
        _, ours_loaded = _time(ours_code, report=True)  # also warms the file cache for both
        _, base_loaded = _time(base_code, report=True)
        ours, base = [], []
        for _ in range(repeats):  # interleaved, so a burst of load hits both alike
            ours.append(_time(ours_code)[0])
            base.append(_time(base_code)[0])
        ours_med, base_med = statistics.median(ours), statistics.median(base)
        commands[name] = {
            "ours": ours_med,
            "ours_min": min(ours),
            "baseline_eager": base_med,
            "baseline_min": min(base),
            "faster": base_med / ours_med if ours_med else None,
            "heavy_loaded": [m for m in HEAVY if m in ours_loaded],
            "baseline_heavy_loaded": [m for m in HEAVY if m in base_loaded],
        }
        targets.append(
            {
                "name": f"{name} (fresh process, median of {repeats})",
                "target": f"≤ {TARGETS[name] * 1000:.0f} ms",
                "value": ours_med,
                "met": ours_med <= TARGETS[name],
            }
        )
    return {
        "name": "startup",
        "python_floor": floor,
        "repeats": repeats,
        "commands": commands,
        "targets": targets,
    }
