"""What ``import vsphere_nb`` and the ``vsphere-nb`` command load, pinned: a bare import and ``--help`` /
``--version`` load no heavy package (matplotlib, pandas, pydantic, httpx, ipywidgets, the simulator's server
stack), and every public name still resolves on first use. How long they take is measured by ``make bench``
(``benchmarks/startup.py``, against the eager import path in the same run), not here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import vsphere_nb

ROOT = Path(__file__).resolve().parents[1]
#: packages a bare ``import vsphere_nb`` must not load
HEAVY = (
    "matplotlib",
    "pandas",
    "numpy",
    "pyarrow",
    "pydantic",
    "httpx",
    "httpcore",
    "anyio",
    "ipywidgets",
    "IPython",
    "starlette",
    "uvicorn",
    "yaml",
    "cryptography",
    "rich",
)
REPORT = "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"


def loaded_by(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + REPORT],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(ROOT),
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


def test_a_bare_import_loads_nothing_heavy_and_no_submodule_beyond_errors():
    modules = loaded_by("import vsphere_nb")
    assert heavy(modules) == []
    ours = sorted(m for m in modules if m.startswith("vsphere_nb"))
    assert ours == ["vsphere_nb", "vsphere_nb._lazy", "vsphere_nb._version", "vsphere_nb.errors"]


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["reconfigure", "--help"], ["hosts", "--help"]])
def test_help_and_version_load_nothing_heavy(argv):
    code = f"from vsphere_nb.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    modules = loaded_by(code)
    assert heavy(modules) == []
    assert not any(m.startswith("vsphere_nb.simulator") or m.startswith("vsphere_nb.widgets") for m in modules)


def test_every_public_name_loads_on_first_use_and_is_the_real_object():
    code = "import vsphere_nb\nnames = {n: getattr(vsphere_nb, n) for n in vsphere_nb.__all__}"
    modules = loaded_by(code)
    assert {"pydantic", "httpx", "pandas"} <= {m.split(".")[0] for m in modules}
    from vsphere_nb.batch.execute import plan_reconfigure
    from vsphere_nb.sync import connect
    from vsphere_nb.wire import MoRef

    assert vsphere_nb.connect is connect and vsphere_nb.MoRef is MoRef
    assert vsphere_nb.plan_reconfigure is plan_reconfigure
    assert vsphere_nb.wire is sys.modules["vsphere_nb.wire"]
    assert set(vsphere_nb.__all__) <= set(dir(vsphere_nb))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        vsphere_nb.nope  # noqa: B018


def test_the_chart_and_simulator_packages_load_their_heavy_parts_only_when_used():
    modules = loaded_by("import vsphere_nb.batch, vsphere_nb.simulator")
    assert "matplotlib" not in {m.split(".")[0] for m in modules}
    assert "starlette" not in {m.split(".")[0] for m in modules} and "uvicorn" not in modules
    modules = loaded_by("from vsphere_nb.batch import outcomes_by_cluster")
    assert "matplotlib" in {m.split(".")[0] for m in modules}
