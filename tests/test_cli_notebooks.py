"""``vsphere-nb notebooks DIR`` and the demo's working directory, without a server.

The notebooks command copies the shipped notebooks byte for byte, says what it wrote, refuses to overwrite unless
``--force`` (checking every target before writing anything), refuses folders of the installed package, and
leaves nothing half-written when a copy fails. The demo's working directory is a new folder the command names (in
the current directory, else the temporary directory), keeps a ``--workdir``'s edited notebooks, and is never
created inside the package or site-packages.
"""

from __future__ import annotations

import errno
import os
import sysconfig
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from vsphere_nb.cli import main
from vsphere_nb.cli import notebooks as nbcmd
from vsphere_nb.cli.demo import prepare_workdir
from vsphere_nb.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
NOW = datetime(2026, 1, 2, 3, 4, 5)


def _listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vsphere-nb: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_a_checkout_reads_its_notebooks_folder() -> None:
    assert nbcmd.notebooks_source() == REPO / "notebooks"
    assert len(SHIPPED) == 4 and nbcmd.RUNBOOK in SHIPPED and nbcmd.APP in SHIPPED


def test_notebooks_writes_every_notebook_byte_for_byte_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "team" / "runbooks"  # created, parents too
    assert main(["notebooks", str(target)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == [f"wrote {target.resolve() / name}" for name in SHIPPED]
    assert out[-1].startswith(f"4 notebooks in {target}")
    assert _listing(target) == SHIPPED  # no temporary file left
    for name in SHIPPED:
        assert (target / name).read_bytes() == (REPO / "notebooks" / name).read_bytes()
        assert (target / name).stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_notebooks_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / nbcmd.RUNBOOK).write_text("our adapted runbook")
    assert main(["notebooks", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    line = _one_error_line(captured.err)
    assert nbcmd.RUNBOOK in line and "--force" in line and "nothing written" in line
    assert captured.out == ""
    assert _listing(tmp_path) == [nbcmd.RUNBOOK], "another notebook was written"
    assert (tmp_path / nbcmd.RUNBOOK).read_text() == "our adapted runbook"


def test_notebooks_force_overwrites_and_says_which(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / nbcmd.APP).write_text("old")
    assert main(["notebooks", "--force", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"overwrote {tmp_path.resolve() / nbcmd.APP}" in out
    assert f"wrote {tmp_path.resolve() / nbcmd.RUNBOOK}" in out
    assert (tmp_path / nbcmd.APP).read_bytes() == (REPO / "notebooks" / nbcmd.APP).read_bytes()


@pytest.mark.parametrize("kind", ["file", "notebooks-folder", "package", "site-packages"])
def test_notebooks_refuses_a_file_and_the_installed_package(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if kind == "file":
        target = tmp_path / "a-file"
        target.write_text("x")
    elif kind == "notebooks-folder":
        target = REPO / "notebooks" / "copies"
    elif kind == "package":
        target = REPO / "vsphere_nb" / "templates"
    else:
        target = Path(sysconfig.get_paths()["purelib"]) / "vsphere-nb-notebooks"
    before = sorted(os.listdir(target.parent))
    assert main(["notebooks", str(target)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert str(target) in line
    assert sorted(os.listdir(target.parent)) == before, "something was written"


def test_a_failed_copy_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = []
    real = Path.read_bytes

    def failing(self: Path) -> bytes:
        reads.append(self.name)
        if len(reads) == 3:
            raise OSError(errno.EIO, "I/O error", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", failing)
    target = tmp_path / "new"
    with pytest.raises(OSError):
        nbcmd.copy_notebooks(target)
    assert not target.exists(), "the folder created for the copy was left behind"
    (tmp_path / "existing").mkdir()
    reads.clear()
    with pytest.raises(OSError):
        nbcmd.copy_notebooks(tmp_path / "existing")
    assert _listing(tmp_path / "existing") == []


def test_a_notebook_name_taken_by_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / nbcmd.APP).mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        nbcmd.copy_notebooks(tmp_path, existing="overwrite")
    assert _listing(tmp_path) == [nbcmd.APP]


def test_the_command_is_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "notebooks" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------------------------
# the demo's working directory
# ---------------------------------------------------------------------------------------------------------------
def test_demo_default_workdir_is_a_new_named_folder_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = prepare_workdir(None, now=NOW)
    assert first == tmp_path.resolve() / "vsphere-nb-demo-20260102-030405"
    assert _listing(first) == SHIPPED
    (first / "runs").mkdir()  # what a demo leaves: it is never reused
    second = prepare_workdir(None, now=NOW)
    assert second == tmp_path.resolve() / "vsphere-nb-demo-20260102-030405-2"
    assert _listing(second) == SHIPPED and (first / "runs").is_dir()


def test_demo_falls_back_to_the_temporary_directory_when_the_current_one_is_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vsphere_nb.cli.demo as demo

    def read_only(parent: Path, name: str) -> Path:
        raise PermissionError(errno.EACCES, "Permission denied", str(parent / name))

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demo, "_new_dir", read_only)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    workdir = prepare_workdir(None, now=NOW)
    assert workdir.parent == tmp_path / "tmp" and workdir.name.startswith("vsphere-nb-demo-20260102-030405-")
    assert _listing(workdir) == SHIPPED


def test_demo_workdir_keeps_edited_notebooks_and_adds_the_missing_ones(tmp_path: Path) -> None:
    (tmp_path / nbcmd.RUNBOOK).write_text("my edits")
    assert prepare_workdir(tmp_path / ".") == tmp_path.resolve()
    assert (tmp_path / nbcmd.RUNBOOK).read_text() == "my edits"
    assert _listing(tmp_path) == SHIPPED


def test_demo_never_works_inside_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebooks = REPO / "notebooks"
    before = _listing(notebooks)
    with pytest.raises(ConfigError, match="the notebooks vsphere-nb ships"):
        prepare_workdir(notebooks)
    monkeypatch.chdir(notebooks)  # the default folder would be created in there: refused before it is
    with pytest.raises(ConfigError, match="choose another directory"):
        prepare_workdir(None, now=NOW)
    assert _listing(notebooks) == before
