"""The notebooks, executed headless — as ``pytest --nbmake notebooks/`` would, plus what nbmake cannot check.

Each notebook runs in a fresh kernel, in a temporary working directory (its ``runs/`` land there, never in the
repository), through nbclient (the engine nbmake and papermill use: an error output fails the test) or through
papermill with parameters. After the run, a *probe* cell executed in the same kernel — and not kept in the
notebook — collects the secrets the kernel holds (the simulator's passwords, the live session tokens); the saved
notebook JSON, widget state included, must contain none of them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.notebook

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
RUNBOOK = "reconfigure-ha-runbook.ipynb"
FAULT_ANALYSIS = "fault-analysis.ipynb"
MULTI_VCENTER = "multi-vcenter.ipynb"
APP = "app.ipynb"
ALL = (RUNBOOK, FAULT_ANALYSIS, MULTI_VCENTER, APP)
#: the runbook's limits with a short post-check wait (the story fleet has an agent that stays down)
QUICK_LIMITS = {"max_in_flight": 16, "per_cluster": 2, "canary": 0, "max_failures": "50%", "post_check_timeout": 8}
CELL_TIMEOUT = 120

#: probe code: prints a JSON list of the secrets the kernel holds after the notebook ran
_SECRETS_OF_SIMULATORS = """
import json as _json
def _secrets_of(sim):
    return [sim.password, sim.readonly_password, *sim.issued_tokens()]  # every session token ever issued
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A clean working directory and environment: the kernel inherits it (no real vCenter from the developer's
    environment, no state from ``$HOME``)."""
    for name in ("VSPHERE_SERVER", "VSPHERE_USER", "VSPHERE_PASSWORD", "VSPHERE_SESSION_TOKEN", "VSPHERE_NB_RUNS"):
        monkeypatch.delenv(name, raising=False)
    state = Path(tempfile.mkdtemp(prefix="vnb-nbstate-"))
    for name, sub in (
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "mpl"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
    ):
        (state / sub).mkdir()
        monkeypatch.setenv(name, str(state / sub))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    work = tmp_path / "work"
    work.mkdir()
    yield work
    shutil.rmtree(state, ignore_errors=True)


def read_notebook(name: str, parameters: dict[str, Any] | None = None) -> nbformat.NotebookNode:
    if not parameters:
        return nbformat.read(NOTEBOOKS / name, as_version=4)
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    return parameterize_notebook(load_notebook_node(str(NOTEBOOKS / name)), parameters)


def execute(
    name: str, cwd: Path, *, parameters: dict[str, Any] | None = None, probe: str | None = None
) -> tuple[nbformat.NotebookNode, Any]:
    """Run every cell (an error output raises ``CellExecutionError``), then ``probe`` in the same kernel.

    Returns the executed notebook — without the probe cell, widget state stored as Jupyter would — and the
    JSON the probe printed.
    """
    nb = read_notebook(name, parameters)
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False, resources={"metadata": {"path": str(cwd)}}
    )
    probed = None
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        if probe is not None:
            cell = nbformat.v4.new_code_cell(probe)
            nb.cells.append(cell)
            client.execute_cell(cell, len(nb.cells) - 1)
            nb.cells.pop()
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            probed = json.loads(text.strip().splitlines()[-1])
        client.set_widgets_metadata()
    (cwd / f"executed-{name}").write_text(nbformat.writes(nb), encoding="utf-8")
    return nb, probed


def outputs(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def mime(nb: nbformat.NotebookNode, kind: str) -> list[str]:
    return [o["data"][kind] for o in outputs(nb) if kind in o.get("data", {})]


def text_of(nb: nbformat.NotebookNode) -> str:
    """Every stream and HTML/plain output, concatenated (what a reader of the saved notebook sees)."""
    parts = []
    for o in outputs(nb):
        if o["output_type"] == "stream":
            parts.append(o["text"])
        for kind in ("text/html", "text/plain"):
            if kind in o.get("data", {}):
                parts.append(o["data"][kind])
    return "\n".join(parts)


def assert_no_secrets(nb: nbformat.NotebookNode, secrets: list[str], workdir: Path) -> None:
    """No secret in the executed notebook (outputs and widget state), nor in any file the run wrote (run
    directories, journal, Parquet/CSV, report), in any encoding :mod:`secret_scan` knows."""
    from secret_scan import scan_tree

    labelled = {f"secret{i}": s for i, s in enumerate(secrets) if s}
    assert len(labelled) >= 3, "the probe found too few secrets (password, read-only password, a session token)"
    assert all(len(s) >= 8 for s in labelled.values()), "a secret this short would match by chance"
    saved = nbformat.writes(nb)
    leaked = [label for label, secret in labelled.items() if secret in saved]
    # labels only: pytest would print a compared secret in the failure message
    assert not leaked, f"{leaked} found in the executed notebook"
    hits = scan_tree(workdir, labelled)
    assert hits == [], hits


def assert_no_errors(nb: nbformat.NotebookNode) -> None:
    errors = [o for o in outputs(nb) if o["output_type"] == "error"]
    assert not errors, errors
    stderr = [o["text"] for o in outputs(nb) if o["output_type"] == "stream" and o["name"] == "stderr"]
    assert not any("Traceback" in t or "Error" in t for t in stderr), stderr


# ---------------------------------------------------------------------------------------------------------------
def test_notebooks_are_committed_clean_and_parameterised() -> None:
    for name in ALL:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code, name
        assert all(not c.outputs and c.execution_count is None for c in code), f"{name} has outputs: clear them"
        assert "widgets" not in nb.metadata, f"{name} carries saved widget state"
        tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == (0 if name == APP else 1), f"{name}: exactly one cell tagged 'parameters'"
        assert nb.metadata["kernelspec"]["name"] == "python3"


def test_runbook_connects_launches_retries_and_leaves_static_outputs(workdir: Path) -> None:
    nb, probed = execute(
        RUNBOOK,
        workdir,
        parameters={"limits": QUICK_LIMITS, "dry_run": False},
        probe=_SECRETS_OF_SIMULATORS
        + """
found = _secrets_of(sim) + [vc.session_token.reveal()]
print(_json.dumps({"secrets": found, "launches": sim.stats()["launches_per_host"], "vcenter": vc.vcenter,
                   "panel_connected": panel.state.client is not None, "panel_errors": panel.errors()}))
""",
    )
    assert_no_errors(nb)
    assert_no_secrets(nb, probed["secrets"], workdir)
    text = text_of(nb)
    assert f"Connected to {probed['vcenter']}" in text
    # the interactive panel is shown and connected to the same simulator, without errors
    assert probed["panel_connected"] and not any(probed["panel_errors"].values()), probed["panel_errors"]
    assert "application/vnd.jupyter.widget-view+json" in json.dumps(outputs(nb))
    assert "widgets" in nb.metadata, "widget state is saved, so the secret scan covers it"
    # launched for real: the simulator saw the tasks, and the retry gave failed hosts a second attempt
    assert probed["launches"] and max(probed["launches"].values()) == 2
    # static outputs a saved copy shows without a kernel: charts as PNG, tables as HTML
    assert len(mime(nb, "image/png")) >= 6
    html = "\n".join(mime(nb, "text/html"))
    assert "Diagnosis:" in html and "vsnb-diagnosis" in html  # the triage board before and after the run
    assert "<h4>Tasks</h4>" in html and "<h4>Faults</h4>" in html and "DasConfigFault" in html
    assert "Reconfigure for vSphere HA — dry run" in html
    reports = list((workdir / "runs").glob("*/report.html"))
    assert len(reports) == 1 and reports[0].stat().st_size > 10_000
    assert (reports[0].parent / "journal.jsonl").exists() and (reports[0].parent / "tasks.parquet").exists()


def test_runbook_dry_run_with_papermill_parameters_launches_nothing(workdir: Path) -> None:
    import papermill

    out = workdir / "dry-run.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / RUNBOOK),
        str(out),
        cwd=str(workdir),
        kernel_name="python3",
        progress_bar=False,
        parameters={
            "dry_run": True,
            "scenario": "network-partition",
            "only_unhealthy": False,
            "sim_seed": 3,
            "limits": {"max_in_flight": 4, "per_cluster": 1, "canary": 2},
        },
    )
    nb = nbformat.read(out, as_version=4)
    assert_no_errors(nb)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    text = text_of(nb)
    assert "scenario 'network-partition'" in text
    assert "dry_run=True: nothing launched." in text
    assert "canary" in text and "BatchLimits(max_in_flight=4, per_cluster=1, canary=2" in text
    assert not (workdir / "runs").exists(), "a dry run must not create a run"
    assert len(mime(nb, "image/png")) == 2, "no run, so no run chart (only the two diagnosis charts of 1b)"


def test_fault_analysis_compares_its_own_two_runs(workdir: Path) -> None:
    nb, probed = execute(
        FAULT_ANALYSIS,
        workdir,
        probe=_SECRETS_OF_SIMULATORS
        + """
print(_json.dumps({"secrets": _secrets_of(sim), "runs": [r.run_id for r in runs],
                   "repeat": list(repeat_offenders["host"])}))
""",
    )
    assert_no_errors(nb)
    assert_no_secrets(nb, probed["secrets"], workdir)
    assert len(probed["runs"]) == 2
    html = "\n".join(mime(nb, "text/html"))
    assert all(run_id in html for run_id in probed["runs"])
    # the seeded fleet has a host whose image spec cannot be set: it fails in every run and attempt
    assert probed["repeat"], "no host failing repeatedly"
    assert all(host in html for host in probed["repeat"])
    assert "Diagnosed hosts across runs" in html
    assert len(mime(nb, "image/png")) >= 3


def test_fault_analysis_loads_given_run_dirs(workdir: Path) -> None:
    """``run_dirs`` given: nothing is simulated, the saved runs are loaded (Parquet) and compared."""
    import papermill

    from vsphere_nb.batch import BatchLimits
    from vsphere_nb.simulator import Simulator
    from vsphere_nb.sync import connect

    dirs = []
    with (
        Simulator(scenario="mixed", clusters=2, hosts_per_cluster=5, standalone_hosts=0, seed=30, time_scale=50) as sim,
        connect(sim.url, sim.user, sim.password) as vc,
    ):
        for name in ("a", "b"):
            plan = vc.plan_reconfigure(vc.hosts(only_unhealthy=True), BatchLimits(post_check_timeout=30))
            dirs.append(str(plan.execute(run_dir=workdir / "saved" / name).run_dir))
    out = workdir / "analysis.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / FAULT_ANALYSIS),
        str(out),
        cwd=str(workdir),
        kernel_name="python3",
        progress_bar=False,
        parameters={"run_dirs": dirs},
    )
    nb = nbformat.read(out, as_version=4)
    assert_no_errors(nb)
    text = text_of(nb)
    assert "example runs written" not in text
    runs = [json.loads((Path(d) / "run.json").read_text())["run_id"] for d in dirs]
    assert all(run_id in text for run_id in runs)
    assert "HostNetworkMisconfiguration" in text


def test_multi_vcenter_one_run_across_two_simulators(workdir: Path) -> None:
    nb, probed = execute(
        MULTI_VCENTER,
        workdir,
        probe=_SECRETS_OF_SIMULATORS
        + """
found = [s for sim in sims for s in _secrets_of(sim)]
print(_json.dumps({"secrets": found, "vcenters": [vc.vcenter for vc in clients],
                   "run_vcenters": sorted(run.tasks["vcenter"].astype(str).unique()), "run_dir": str(run.run_dir)}))
""",
    )
    assert_no_errors(nb)
    assert_no_secrets(nb, probed["secrets"], workdir)
    assert len(set(probed["vcenters"])) == 2
    assert probed["run_vcenters"] == sorted(probed["vcenters"]), "one run across both vCenters"
    html = "\n".join(mime(nb, "text/html"))
    for vcenter in probed["vcenters"]:
        assert html.count(vcenter) >= 5, f"{vcenter} missing from the tables"
    assert "Outcomes per vCenter" in html
    journal = (workdir / probed["run_dir"] / "journal.jsonl").read_text()
    assert all(vcenter in journal for vcenter in probed["vcenters"])
    assert len(mime(nb, "image/png")) >= 2


@pytest.fixture
def outside_simulator(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A server the notebook reaches through ``VSPHERE_SERVER`` only — as a real vCenter would be (no
    ``VSPHERE_NB_SIMULATOR`` naming it): the kernel inherits the environment."""
    from vsphere_nb.simulator import Simulator

    with Simulator(scenario="mixed", clusters=2, hosts_per_cluster=4, standalone_hosts=0, seed=8, time_scale=50) as sim:
        monkeypatch.setenv("VSPHERE_SERVER", sim.url)
        monkeypatch.setenv("VSPHERE_USER", sim.user)
        monkeypatch.setenv("VSPHERE_PASSWORD", sim.password)
        yield sim


def test_runbook_pointed_at_a_real_server_plans_but_never_launches_by_itself(
    workdir: Path, outside_simulator: Any
) -> None:
    """Running every cell against a server that is not the simulator, even with ``dry_run=False``: a plan, no
    task (``confirm=True`` is missing)."""
    nb, _ = execute(RUNBOOK, workdir, parameters={"show_panel": False, "dry_run": False})
    assert_no_errors(nb)
    text = text_of(nb)
    assert "Not launched:" in text and "confirm=True" in text
    assert outside_simulator.stats()["launches_per_host"] == {}, "a task was launched without confirm=True"
    assert not (workdir / "runs").exists()


def test_runbook_launches_on_a_real_server_when_confirmed(workdir: Path, outside_simulator: Any) -> None:
    nb, _ = execute(
        RUNBOOK, workdir, parameters={"show_panel": False, "confirm": True, "retry": False, "dry_run": False}
    )
    assert_no_errors(nb)
    assert "Not launched:" not in text_of(nb)
    assert outside_simulator.stats()["launches_per_host"], "confirm=True and dry_run=False launch"


def test_runbook_names_the_demo_simulator_only_by_its_exact_loopback_url(
    workdir: Path, outside_simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``vsphere-nb demo`` names its simulator in ``VSPHERE_NB_SIMULATOR``; a different URL does not count."""
    monkeypatch.setenv("VSPHERE_NB_SIMULATOR", outside_simulator.url + "/other")
    nb, _ = execute(RUNBOOK, workdir, parameters={"show_panel": False, "retry": False, "dry_run": False})
    assert "Not launched:" in text_of(nb) and outside_simulator.stats()["launches_per_host"] == {}


def test_run_all_on_the_runbook_launches_nothing_and_shows_the_panel_first(
    workdir: Path, outside_simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run as a new user does it: Run All with the defaults, on the demo's own simulator — a plan, the
    panel in the third cell (after the parameters), one sentence on what to do first, and no task launched."""
    monkeypatch.setenv("VSPHERE_NB_SIMULATOR", outside_simulator.url)
    nb, _ = execute(RUNBOOK, workdir)
    assert_no_errors(nb)
    assert "dry_run=True: nothing launched." in text_of(nb)
    assert outside_simulator.stats()["launches_per_host"] == {}, "Run All launched by itself"
    assert not (workdir / "runs").exists()
    code = [c for c in nb.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
    panel_cell = next(i for i, c in enumerate(code) if "RunbookPanel(" in c.source)
    assert panel_cell == 1, "the panel is shown by the first cell after the parameters"
    assert "application/vnd.jupyter.widget-view+json" in json.dumps(code[1].get("outputs", []))
    intro = nb.cells[0].source.split("\n", 1)[1]
    assert intro.count(". ") + intro.rstrip().endswith(".") <= 2 and "Confirm" in intro, intro


def test_the_app_notebook_shows_the_panels_and_acts_on_nothing(workdir: Path, outside_simulator: Any) -> None:
    nb, probed = execute(
        APP,
        workdir,
        probe="""
import json as _json
print(_json.dumps({"connected": panel.state.client is not None, "hosts": len(panel.state.hosts),
                   "errors": panel.errors(), "vcenter": panel.state.client.vcenter}))
""",
    )
    assert_no_errors(nb)
    assert probed["connected"] and probed["hosts"] == 8 and not any(probed["errors"].values()), probed
    assert outside_simulator.stats()["launches_per_host"] == {}
    assert "application/vnd.jupyter.widget-view+json" in json.dumps(outputs(nb))
    # no prose about papermill or environment variables: a header and the panels
    markdown = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "papermill" not in markdown and "VSPHERE_" not in markdown


def test_runbook_launches_on_the_demo_simulator_it_is_told_about(
    workdir: Path, outside_simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``VSPHERE_NB_SIMULATOR`` names the very server, so ``dry_run=False`` is enough to launch there."""
    monkeypatch.setenv("VSPHERE_NB_SIMULATOR", outside_simulator.url)
    parameters = {"show_panel": False, "retry": False, "limits": QUICK_LIMITS, "dry_run": False}
    nb, _ = execute(RUNBOOK, workdir, parameters=parameters)
    assert_no_errors(nb)
    assert "the demo's simulator" in text_of(nb) and "Not launched:" not in text_of(nb)
    assert outside_simulator.stats()["launches_per_host"]
