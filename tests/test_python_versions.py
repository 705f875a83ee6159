"""Every Python vsphere-nb claims: pyproject's requires-python, classifiers, ruff and mypy targets agree, and pip
refuses an older Python with a message naming requires-python (the package uses 3.11's ``asyncio.timeout``)."""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import subprocess
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SUPPORTED = ["3.11", "3.12", "3.13"]


def test_requires_python_classifiers_and_tool_targets_agree():
    project = PYPROJECT["project"]
    assert project["requires-python"] == ">=3.11"
    claimed = sorted(
        c.rsplit(" :: ", 1)[1] for c in project["classifiers"] if c.startswith("Programming Language :: Python :: 3.")
    )
    assert claimed == SUPPORTED
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py311"
    assert PYPROJECT["tool"]["mypy"]["python_version"] == "3.11"
    assert sys.version_info >= (3, 11)


def test_noxfile_smokes_every_claimed_python():
    import ast

    tree = ast.parse((ROOT / "noxfile.py").read_text())
    supported = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "SUPPORTED" for t in node.targets)
    )
    assert ast.literal_eval(supported) == SUPPORTED


def _python310() -> str | None:
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(os.path.join(root, "versions", "3.10.*", "bin", "python3.10")))
    if found:
        return found[-1]
    candidate = shutil.which("python3.10")
    if candidate and subprocess.run([candidate, "-V"], capture_output=True).returncode == 0:
        return candidate
    return None


@pytest.mark.slow
def test_pip_refuses_python_310_naming_requires_python(tmp_path):
    python = _python310()
    if python is None:
        pytest.skip("no Python 3.10 on this machine")
    done = subprocess.run(
        [python, "-m", "pip", "install", "--dry-run", "--no-deps", "--quiet", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert "requires a different Python" in done.stderr and "'>=3.11'" in done.stderr, done.stderr
