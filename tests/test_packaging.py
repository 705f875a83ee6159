"""The package as a user gets it: the sdist and the wheel ``python -m build`` makes, the wheel installed with
``[lab]`` into a fresh virtualenv and run from an empty directory — never the source tree.

* the wheel carries the package, its data and the notebooks (byte for byte the repository's ``notebooks/``), not
  the tests or the benchmarks; the sdist carries those too and builds the same wheel as the source tree does;
* ``twine check --strict`` passes on both; the metadata: licence, classifiers matching ``requires-python``, the
  version from ``vsphere_nb/_version.py``, project URLs, the README's opening as the long description;
* installed (no ``PYTHONPATH``, an empty working directory, a fresh ``$HOME``): ``vsphere-nb --version``,
  ``vsphere-nb notebooks DIR``, ``vsphere-nb demo`` (JupyterLab lists the runbook) and ``demo --voila`` (the app
  page renders), the runbook executed by papermill against the simulator — and nothing written into
  site-packages;
* an editable install of the source tree reads the notebooks from its ``notebooks/`` folder (one copy).

The source tree is copied first (the files git would commit), so building writes nothing into the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import nbformat
import psutil
import pytest
from test_demo import Demo, stop_demo

from vsphere_nb._version import __version__

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
RUNBOOK = "reconfigure-ha-runbook.ipynb"
DIST = f"vsphere_nb-{__version__}"
#: what a copy of the source tree leaves out when git cannot say (the tests run from an unpacked sdist)
_NOT_SOURCE = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache"}


def _run(cmd: list[str], *, timeout: float = 300, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


def _copy_source(dest: Path) -> Path:
    """The files of the source tree git would commit (tracked, or new and not ignored) copied to ``dest``."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.split(b"\0")
        files = [REPO / name.decode() for name in listed if name]
    except (OSError, subprocess.CalledProcessError):
        files = [
            p
            for p in REPO.rglob("*")
            if p.is_file()
            and not _NOT_SOURCE.intersection(p.relative_to(REPO).parts)
            and not any(part.endswith(".egg-info") for part in p.relative_to(REPO).parts)
        ]
    for path in files:
        if path.is_file():
            target = dest / path.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return dest


@dataclass
class Built:
    source: Path
    sdist: Path
    wheel: Path  # built from the sdist
    wheel_from_tree: Path


@pytest.fixture(scope="module")
def built(prepared: Any, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The artefacts (``prepared``, the fresh virtualenv, is made meanwhile)."""
    tmp = tmp_path_factory.mktemp("build")
    source = _copy_source(tmp / "src")
    # the sdist, then the wheel built from that sdist (what `python -m build` does by default)
    _run([sys.executable, "-m", "build", "--outdir", str(tmp / "dist"), str(source)], timeout=600)
    # and a wheel straight from the source tree
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp / "tree"), str(source)], timeout=600)
    return Built(
        source=source,
        sdist=tmp / "dist" / f"{DIST}.tar.gz",
        wheel=tmp / "dist" / f"{DIST}-py3-none-any.whl",
        wheel_from_tree=tmp / "tree" / f"{DIST}-py3-none-any.whl",
    )


def _wheel_files(wheel: Path) -> dict[str, str]:
    """name → sha256 of every file but RECORD (which lists the others' hashes)."""
    with zipfile.ZipFile(wheel) as zf:
        return {
            info.filename: hashlib.sha256(zf.read(info)).hexdigest()
            for info in zf.infolist()
            if not info.filename.endswith(".dist-info/RECORD")
        }


def _metadata(wheel: Path) -> tuple[dict[str, list[str]], str]:
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read(f"{DIST}.dist-info/METADATA").decode()
    head, _, body = text.partition("\n\n")
    fields: dict[str, list[str]] = {}
    for line in head.splitlines():
        key, _, value = line.partition(": ")
        fields.setdefault(key, []).append(value)
    return fields, body


# ---------------------------------------------------------------------------------------------------------------
# the artefacts
# ---------------------------------------------------------------------------------------------------------------
def test_the_wheel_carries_the_package_its_data_and_the_notebooks_not_the_tests(built: Built) -> None:
    names = set(_wheel_files(built.wheel))
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"vsphere_nb", f"{DIST}.dist-info"}, tops
    for name in NOTEBOOKS:  # one copy: the repository's, byte for byte
        with zipfile.ZipFile(built.wheel) as zf:
            assert zf.read(f"vsphere_nb/notebooks/{name}") == (REPO / "notebooks" / name).read_bytes()
    assert sorted(n for n in names if n.startswith("vsphere_nb/notebooks/")) == [
        f"vsphere_nb/notebooks/{name}" for name in NOTEBOOKS
    ]
    modules = {
        str(p.relative_to(REPO))
        for p in (REPO / "vsphere_nb").rglob("*")
        if p.suffix in {".py", ".yaml", ".typed"} and "__pycache__" not in p.parts
    }
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"
    assert f"{DIST}.dist-info/licenses/LICENSE" in names


def test_the_sdist_carries_tests_and_benchmarks_and_builds_the_same_wheel(built: Built) -> None:
    with tarfile.open(built.sdist) as tf:
        names = {m.name.split("/", 1)[1] for m in tf.getmembers() if m.isfile()}
    for needed in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "setup.py", "MANIFEST.in", "Makefile"):
        assert needed in names
    for folder in ("tests", "benchmarks", "notebooks", "binder", "vsphere_nb"):
        assert any(n.startswith(f"{folder}/") for n in names), f"no {folder}/ in the sdist"
    assert "tests/test_packaging.py" in names and any(n.startswith("tests/fixtures/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    from_sdist, from_tree = _wheel_files(built.wheel), _wheel_files(built.wheel_from_tree)
    assert sorted(from_sdist) == sorted(from_tree), "the sdist builds another file list than the source tree"
    assert from_sdist == from_tree, [n for n in from_sdist if from_sdist[n] != from_tree[n]]


def test_twine_check_passes_on_both_artefacts(built: Built) -> None:
    proc = _run([sys.executable, "-m", "twine", "check", "--strict", str(built.sdist), str(built.wheel)])
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_the_metadata_a_user_and_an_index_expect(built: Built) -> None:
    fields, description = _metadata(built.wheel)
    assert fields["Name"] == ["vsphere-nb"] and fields["Version"] == [__version__]
    assert fields["License-Expression"] == ["Apache-2.0"] and fields["License-File"] == ["LICENSE"]
    assert "Apache License" in (REPO / "LICENSE").read_text() and "Version 2.0" in (REPO / "LICENSE").read_text()
    # classifiers name exactly the Pythons requires-python admits, up to the newest one supported
    minimum = re.fullmatch(r">=3\.(\d+)", fields["Requires-Python"][0])
    assert minimum, fields["Requires-Python"]
    pythons = sorted(
        int(c.rsplit(".", 1)[1])
        for c in fields["Classifier"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert pythons == list(range(int(minimum.group(1)), 14)) == [11, 12, 13]
    urls = dict(u.split(", ", 1) for u in fields["Project-URL"])
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(urls)
    assert all(u.startswith("https://github.com/") for u in urls.values())
    # the long description: the README's opening, with no link an index cannot resolve
    assert fields["Description-Content-Type"] == ["text/markdown"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert description.strip() and readme.startswith(description.strip())
    assert 'pip install "vsphere-nb[lab]"' in description and "vsphere-nb notebooks" in description
    links = re.findall(r"\]\(([^)\s]+)", description) + re.findall(r"""(?:src|href)=["']([^"']+)""", description)
    assert all(re.match(r"https?://", link) for link in links), links


# ---------------------------------------------------------------------------------------------------------------
# installed from the wheel, run from an empty directory
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Installed:
    venv: Path
    bin: Path
    home: Path
    env: dict[str, str]
    install_seconds: float

    def site_package(self) -> Path:
        found = list(self.venv.glob("lib/python3*/site-packages/vsphere_nb"))
        assert len(found) == 1, found
        return found[0]

    def empty_dir(self, name: str) -> Path:
        path = self.home / name
        path.mkdir()
        return path


def _installed_files(package: Path) -> dict[str, float]:
    """The installed package's files but compiled bytecode, with their modification times."""
    return {
        str(p.relative_to(package)): p.stat().st_mtime
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _clean_env(venv: Path, home: Path) -> dict[str, str]:
    """No PYTHONPATH (the source tree must not be what runs), nothing from this machine's Jupyter or vCenter."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"} and not k.startswith(("VSPHERE_", "JUPYTER"))
    }
    # pip keeps using this machine's cache (downloads and index pages) under the fresh $HOME
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pip"
    env.setdefault("PIP_CACHE_DIR", str(cache))
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", JUPYTER_PLATFORM_DIRS="1")
    return env


class _Prepared(threading.Thread):
    """A fresh virtualenv with the project's dependencies and its ``[lab]`` extra (from pyproject.toml), made
    while the artefacts build: the install waits mostly on the package index, the build on the CPU."""

    def __init__(self, venv: Path, env: dict[str, str]) -> None:
        super().__init__(name="fresh-virtualenv", daemon=True)
        self.venv, self.env = venv, env
        self.started_at = time.monotonic()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            import tomllib

            project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
            needed = [*project["dependencies"], *project["optional-dependencies"]["lab"]]
            _run([sys.executable, "-m", "venv", str(self.venv)], timeout=120, env=self.env)
            _run(
                [str(self.venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *needed],
                timeout=900,
                env=self.env,
            )
        except BaseException as exc:
            self.error = exc


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Prepared]:
    tmp = tmp_path_factory.mktemp("installed")
    (tmp / "home").mkdir()
    thread = _Prepared(tmp / "venv", _clean_env(tmp / "venv", tmp / "home"))
    thread.start()
    yield thread
    thread.join(900)


@pytest.fixture(scope="module")
def installed(prepared: _Prepared, built: Built) -> Installed:
    prepared.join(900)
    assert not prepared.is_alive(), "the virtualenv's install did not end"
    if prepared.error is not None:
        raise prepared.error
    dependencies = time.monotonic() - prepared.started_at
    venv, env = prepared.venv, prepared.env
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{built.wheel}[lab]"], timeout=900, env=env)
    seconds = time.monotonic() - prepared.started_at
    print(
        f"\nfresh virtualenv + pip install {built.wheel.name}[lab]: {seconds:.0f} s "
        f"(its dependencies: {dependencies:.0f} s, while the artefacts were built)"
    )
    return Installed(venv=venv, bin=venv / "bin", home=Path(env["HOME"]), env=env, install_seconds=seconds)


@pytest.fixture(scope="module")
def package_before(installed: Installed) -> dict[str, float]:
    return _installed_files(installed.site_package())


def _nothing_written_into_the_package(installed: Installed, before: dict[str, float]) -> None:
    assert _installed_files(installed.site_package()) == before, "something was written into site-packages"


def test_installed_version_and_no_source_tree(installed: Installed, package_before: dict[str, float]) -> None:
    cwd = installed.empty_dir("version")
    proc = _run([str(installed.bin / "vsphere-nb"), "--version"], cwd=cwd, env=installed.env)
    assert proc.stdout.strip() == f"vsphere-nb {__version__}"
    where = _run(
        [str(installed.bin / "python"), "-c", "import vsphere_nb, sys; print(vsphere_nb.__file__)"],
        cwd=cwd,
        env=installed.env,
    ).stdout.strip()
    assert Path(where).parent == installed.site_package(), "the package imported is not the installed one"
    assert list(cwd.iterdir()) == []


def test_installed_notebooks_command_writes_the_templates(
    installed: Installed, package_before: dict[str, float]
) -> None:
    cwd = installed.empty_dir("templates")
    vnb = str(installed.bin / "vsphere-nb")
    proc = _run([vnb, "notebooks", "runbooks"], cwd=cwd, env=installed.env)
    assert [line.split(" ", 1)[0] for line in proc.stdout.splitlines()[:-1]] == ["wrote"] * len(NOTEBOOKS)
    for name in NOTEBOOKS:
        assert (cwd / "runbooks" / name).read_bytes() == (REPO / "notebooks" / name).read_bytes()
    again = subprocess.run([vnb, "notebooks", "runbooks"], cwd=cwd, env=installed.env, capture_output=True, text=True)
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.count("\n") == 1 and again.stderr.startswith("vsphere-nb: error: runbooks:")
    refused = subprocess.run(
        [vnb, "notebooks", str(installed.site_package() / "copies")], env=installed.env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "choose another directory" in refused.stderr
    _nothing_written_into_the_package(installed, package_before)


@pytest.fixture
def demo_in(installed: Installed, tmp_path: Path) -> Iterator[Any]:
    started: list[Demo] = []

    def start(cwd: Path, *args: str) -> Demo:
        demo = Demo(*args, tmp=tmp_path, command=(str(installed.bin / "vsphere-nb"),), env=installed.env, cwd=cwd)
        started.append(demo)
        return demo

    yield start
    for demo in started:
        demo.kill_all()


def _workdir(demo: Demo, cwd: Path) -> Path:
    workdir = Path(demo.wait_for("working directory: ").split(" ")[2])
    assert workdir.parent == cwd.resolve() and workdir.name.startswith("vsphere-nb-demo-")
    return workdir


def test_installed_demo_serves_the_runbook_in_jupyterlab(
    installed: Installed, package_before: dict[str, float], demo_in: Any
) -> None:
    cwd = installed.empty_dir("lab")
    demo = demo_in(cwd)
    sim_url = re.search(r"simulator at (\S+)", demo.wait_for("vsphere-nb demo: simulator at")).group(1)
    lab_url = demo.wait_for("JupyterLab: ").split(" ", 1)[1]
    workdir = _workdir(demo, cwd)
    parts = urlsplit(lab_url)
    base, token = f"{parts.scheme}://{parts.netloc}", re.search(r"token=(\w+)", lab_url).group(1)
    with httpx.Client(timeout=60) as http:
        page = http.get(lab_url)
        assert page.status_code == 200 and "JupyterLab" in page.text
        listing = http.get(f"{base}/api/contents", params={"token": token})
        assert listing.status_code == 200
        assert RUNBOOK in {item["name"] for item in listing.json()["content"]}
        runbook = http.get(f"{base}/api/contents/{RUNBOOK}", params={"token": token})
        assert runbook.json()["content"]["cells"][0]["source"].startswith("# Reconfigure for vSphere HA")
    processes = psutil.Process(demo.proc.pid).children(recursive=True)
    stop_demo(demo, signal.SIGINT, processes, [sim_url, base], workdir)
    assert sorted(p.name for p in workdir.glob("*.ipynb")) == NOTEBOOKS
    _nothing_written_into_the_package(installed, package_before)


def test_installed_demo_voila_renders_the_app(
    installed: Installed, package_before: dict[str, float], demo_in: Any
) -> None:
    cwd = installed.empty_dir("voila")
    demo = demo_in(cwd, "--voila")
    sim_url = re.search(r"simulator at (\S+)", demo.wait_for("vsphere-nb demo: simulator at")).group(1)
    voila_url = demo.wait_for("Voila: ").split(" ", 1)[1]
    workdir = _workdir(demo, cwd)
    with httpx.Client(timeout=120) as http:
        page = http.get(voila_url)  # runs the app notebook in a kernel of the fresh virtualenv
    assert page.status_code == 200
    assert "Reconfigure for vSphere HA" in page.text and "application/vnd.jupyter.widget-view+json" in page.text
    assert "Traceback" not in page.text
    processes = psutil.Process(demo.proc.pid).children(recursive=True)
    stop_demo(demo, signal.SIGTERM, processes, [sim_url, voila_url.split("/?", 1)[0]], workdir)
    _nothing_written_into_the_package(installed, package_before)


def test_installed_runbook_runs_with_papermill_against_the_simulator(
    installed: Installed, package_before: dict[str, float]
) -> None:
    cwd = installed.empty_dir("papermill")
    _run([str(installed.bin / "vsphere-nb"), "notebooks", "."], cwd=cwd, env=installed.env)
    limits = {"max_in_flight": 16, "per_cluster": 2, "canary": 0, "max_failures": "50%", "post_check_timeout": 8}
    _run(
        [
            str(installed.bin / "papermill"),
            RUNBOOK,
            "executed.ipynb",
            "-k",
            "python3",
            "-p",
            "show_panel",
            "False",
            "-p",
            "sim_clusters",
            "2",
            "-p",
            "sim_hosts_per_cluster",
            "4",
            "-p",
            "dry_run",
            "False",  # the runbook only plans unless told to launch (on the simulator)
            "-y",
            json.dumps({"limits": limits}),
            "--cwd",
            str(cwd),
        ],
        cwd=cwd,
        env=installed.env,
        timeout=600,
    )
    nb = nbformat.read(cwd / "executed.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert nb.metadata["kernelspec"]["name"] == "python3"
    runs = [d for d in (cwd / "runs").iterdir() if d.is_dir()]
    assert len(runs) == 1 and (runs[0] / "run.json").is_file(), "the runbook saved no run"
    # the kernel is the fresh virtualenv's (its kernelspec, whose "python" is papermill's own interpreter)
    specs = json.loads(
        _run([str(installed.bin / "jupyter"), "kernelspec", "list", "--json"], cwd=cwd, env=installed.env).stdout
    )["kernelspecs"]
    assert Path(specs["python3"]["resource_dir"]).is_relative_to(installed.venv)
    _nothing_written_into_the_package(installed, package_before)


def test_an_editable_install_reads_the_source_trees_notebooks(built: Built, installed: Installed) -> None:
    """Last (it replaces the wheel in the virtualenv): ``pip install -e`` of the source tree; the notebooks come
    from its ``notebooks/`` folder, so an edit there is what ``vsphere-nb notebooks`` copies."""
    _run(
        [str(installed.bin / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(built.source)],
        timeout=600,
        env=installed.env,
    )
    edited = built.source / "notebooks" / RUNBOOK
    edited.write_bytes(
        edited.read_bytes().replace(b"# Reconfigure for vSphere HA", b"# Our Reconfigure for vSphere HA")
    )
    cwd = installed.empty_dir("editable")
    _run([str(installed.bin / "vsphere-nb"), "notebooks", "copies"], cwd=cwd, env=installed.env)
    assert (cwd / "copies" / RUNBOOK).read_bytes() == edited.read_bytes()
    where = _run(
        [str(installed.bin / "python"), "-c", "import vsphere_nb; print(vsphere_nb.__file__)"],
        cwd=cwd,
        env=installed.env,
    ).stdout.strip()
    assert Path(where).parent == built.source / "vsphere_nb"
    assert not list(installed.venv.glob("lib/python3*/site-packages/vsphere_nb/notebooks")), "a second copy"
