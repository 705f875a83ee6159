"""``binder/`` checked by repo2docker itself, as far as it goes without a Docker engine.

``jupyter-repo2docker --no-build --no-run --debug`` reads the folder exactly as mybinder.org would and prints the
Dockerfile it would build: which buildpack it picked (``runtime.txt`` → Python 3.11), that ``requirements.txt`` is
installed after the repository is copied in (it says ``-e .[lab]``: the project itself must be there), that
``postBuild`` runs and that ``start`` is the entrypoint. Building the image needs Docker, which this machine has not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dockerfile() -> str:
    try:
        import repo2docker  # noqa: F401
    except ImportError:
        pytest.fail("jupyter-repo2docker is not installed: pip install -e '.[test]'")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "repo2docker",
            "--no-build",
            "--no-run",
            "--debug",
            "--user-id",
            "1000",
            "--user-name",
            "jovyan",
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_repo2docker_reads_the_binder_folder_for_python_3_11(dockerfile: str) -> None:
    assert "Building conda environment for python=3.11" in dockerfile
    assert "FROM docker.io/library/buildpack-deps" in dockerfile


def test_requirements_install_after_the_repository_is_copied(dockerfile: str) -> None:
    copy = dockerfile.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    install = dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    assert copy < install, "`-e .[lab]` needs the project in the image before pip runs"


def test_postbuild_runs_and_start_is_the_entrypoint(dockerfile: str) -> None:
    install = dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    post = dockerfile.index("RUN ./binder/postBuild")
    assert install < post, "postBuild imports the package: it must run after the install"
    assert 'ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in dockerfile


def test_the_notebooks_binder_opens_exist() -> None:
    text = (REPO / "binder" / "README.md").read_text(encoding="utf-8")
    for name in ("reconfigure-ha-runbook.ipynb", "app.ipynb"):
        assert f"notebooks/{name}" in text
        assert (REPO / "notebooks" / name).is_file()
