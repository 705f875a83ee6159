"""What a release relies on, checked without building (``test_packaging.py`` builds and installs): the version in
one place, the changelog's newest section under that version, the README's opening as a long description an index
can render, and the repository's GitHub path written by ``make set-repo`` everywhere it is used.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tomllib

from vsphere_nb._version import __version__

REPO = Path(__file__).resolve().parents[1]
#: the files holding the repository's GitHub path (Binder badges, project URLs)
REPO_FILES = ("README.md", "binder/README.md", "pyproject.toml")
MARKER = "<!-- end of the package description -->"
GITHUB_PATH = re.compile(r"(?:github\.com|mybinder\.org/v2/gh)/([\w.-]+/[\w.-]+)")


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_in_one_place() -> None:
    pyproject = _project()
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "vsphere_nb._version.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?", __version__)
    literal = [p for p in REPO.glob("*") if p.is_file() and p.suffix in {".toml", ".py", ".cfg"}]
    assert not [p.name for p in literal if f'"{__version__}"' in p.read_text(encoding="utf-8")]


def test_the_changelog_has_a_section_for_this_version_on_top() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## (\S+)", text, re.M)
    assert sections and sections[0] == __version__, sections


def test_the_long_description_is_the_readmes_opening_without_relative_links() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.count(MARKER) == 1
    opening = readme.split(MARKER)[0]
    assert opening.startswith("# vsphere-nb\n") and 'pip install "vsphere-nb[lab]"' in opening
    links = re.findall(r"\]\(([^)\s]+)", opening) + re.findall(r"""(?:src|href)=["']([^"']+)""", opening)
    assert all(re.match(r"https?://", link) for link in links), links
    assert "![" not in opening, "an image in the index's description"


def test_every_github_path_is_the_same_one() -> None:
    paths = {m for name in REPO_FILES for m in GITHUB_PATH.findall((REPO / name).read_text(encoding="utf-8"))}
    assert len(paths) == 1, f"different repository paths in {REPO_FILES}: {paths}"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in (*REPO_FILES, "Makefile"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, tmp_path / name)
    return tmp_path


def _make(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "-s", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_set_repo_writes_the_path_into_every_file(copy: Path) -> None:
    if "OWNER/REPO" not in (REPO / "README.md").read_text(encoding="utf-8"):
        pytest.skip("the repository's GitHub path is already set")
    done = _make(copy, "set-repo", "REPO=acme-ops/vsphere-nb")
    assert done.returncode == 0, done.stderr
    for name in REPO_FILES:
        text = (copy / name).read_text(encoding="utf-8")
        assert "OWNER/REPO" not in text and set(GITHUB_PATH.findall(text)) == {"acme-ops/vsphere-nb"}, name
    urls = tomllib.loads((copy / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls["Source"] == "https://github.com/acme-ops/vsphere-nb"
    again = _make(copy, "set-repo", "REPO=other/name")
    assert again.returncode == 2 and "no OWNER/REPO placeholder" in again.stderr


@pytest.mark.parametrize("bad", ["", "acme", "acme/vsphere nb", "acme/x/y", "a#b/c"])
def test_set_repo_refuses_a_bad_path_and_changes_nothing(copy: Path, bad: str) -> None:
    before = {name: (copy / name).read_bytes() for name in REPO_FILES}
    done = _make(copy, "set-repo", f"REPO={bad}")
    assert done.returncode == 2 and "usage: make set-repo REPO=owner/name" in done.stderr
    assert {name: (copy / name).read_bytes() for name in REPO_FILES} == before
