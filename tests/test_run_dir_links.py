"""A run directory's files are never followed through links: a symlinked ``run.lock``, ``journal.jsonl`` or
``run.json`` (or a FIFO, a hard link, a directory that is not one) is refused with one line, and the link's target
is byte for byte what it was."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from vsphere_nb.batch import JOURNAL_NAME, BatchLimits, Journal, read_journal
from vsphere_nb.batch.lock import LOCK_NAME, RunLock, lock_holder
from vsphere_nb.batch.result import RUN_META_NAME, RunResult, load_run
from vsphere_nb.errors import RunDirectoryError


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text
    return text


def make_run(directory: Path, run_id: str = "run-1") -> Path:
    with Journal.create(directory) as journal:
        journal.run_started(run_id=run_id, vcenters=["https://vc1.example/sdk"], limits=BatchLimits())
    return directory


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file somebody cares about, outside the run directory."""
    path = tmp_path / "precious.txt"
    path.write_text("do not touch\n" * 100)
    return path


def test_a_symlinked_run_lock_is_refused_and_its_target_untouched(tmp_path, victim):
    run = make_run(tmp_path / "run")
    before = digest(victim)
    (run / LOCK_NAME).unlink()
    (run / LOCK_NAME).symlink_to(victim)
    with pytest.raises(RunDirectoryError) as info:
        Journal.open(run)  # a resume: the lock is taken first
    assert "run.lock is a symbolic link" in one_line(info.value)
    with pytest.raises(RunDirectoryError, match="symbolic link"):
        RunLock.acquire(run)
    assert lock_holder(run) is None
    assert digest(victim) == before


def test_a_symlinked_journal_of_another_run_is_refused_and_left_alone(tmp_path):
    other = make_run(tmp_path / "other", run_id="run-other")
    before = digest(other / JOURNAL_NAME)
    run = tmp_path / "run"
    run.mkdir()
    (run / JOURNAL_NAME).symlink_to(other / JOURNAL_NAME)
    for attempt in (lambda: Journal.open(run), lambda: read_journal(run), lambda: Journal.create(run)):
        with pytest.raises(RunDirectoryError) as info:
            attempt()
        message = one_line(info.value)
        assert "journal.jsonl is a symbolic link" in message or "already holds a journal" in message
    with pytest.raises(RunDirectoryError, match="journal.jsonl is a symbolic link"):
        load_run(run)
    assert digest(other / JOURNAL_NAME) == before
    assert read_journal(other).records[0]["run_id"] == "run-other"


def test_a_symlinked_run_json_is_refused_on_load_and_on_save(tmp_path, victim):
    run = make_run(tmp_path / "run")
    result = RunResult.from_journal(run)
    result.save(run)
    (run / RUN_META_NAME).unlink()
    (run / RUN_META_NAME).symlink_to(victim)
    before = digest(victim)
    with pytest.raises(RunDirectoryError, match="run.json is a symbolic link"):
        load_run(run)
    with pytest.raises(RunDirectoryError, match="run.json is a symbolic link"):
        result.save(run)
    assert digest(victim) == before


def test_a_symlinked_frame_or_temporary_file_is_never_written_through(tmp_path, victim):
    run = make_run(tmp_path / "run")
    result = RunResult.from_journal(run)
    target = tmp_path / "saved"
    target.mkdir()
    (target / "tasks.parquet").symlink_to(victim)
    before = digest(victim)
    with pytest.raises(RunDirectoryError, match="tasks.parquet is a symbolic link"):
        result.save(target)
    (target / "tasks.parquet").unlink()
    (target / ".tasks.csv.tmp").symlink_to(victim)  # a planted temporary name: removed, not written through
    result.save(target)
    assert digest(victim) == before
    assert not (target / ".tasks.csv.tmp").exists() and (target / "tasks.csv").is_file()
    assert load_run(target).run_id == result.run_id


def test_a_journal_copied_into_a_save_target_is_not_written_through_a_link(tmp_path, victim):
    run = make_run(tmp_path / "run")
    result = RunResult.from_journal(run)
    target = tmp_path / "saved"
    target.mkdir()
    (target / JOURNAL_NAME).symlink_to(victim)
    before = digest(victim)
    with pytest.raises(RunDirectoryError, match="journal.jsonl is a symbolic link"):
        result.save(target)
    assert digest(victim) == before


def test_a_fifo_journal_is_refused_without_blocking(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    os.mkfifo(run / JOURNAL_NAME)
    with pytest.raises(RunDirectoryError, match="journal.jsonl is not a regular file"):
        read_journal(run)


def test_a_hard_linked_journal_is_not_appended_to(tmp_path):
    other = make_run(tmp_path / "other", run_id="run-other")
    run = tmp_path / "run"
    run.mkdir()
    os.link(other / JOURNAL_NAME, run / JOURNAL_NAME)
    before = digest(other / JOURNAL_NAME)
    with pytest.raises(RunDirectoryError) as info:
        Journal.open(run)
    assert "2 hard links" in one_line(info.value)
    assert digest(other / JOURNAL_NAME) == before


@pytest.mark.parametrize("kind", ["file", "dangling"])
def test_a_run_directory_that_is_not_a_directory_is_one_line(tmp_path, kind):
    path = tmp_path / "run"
    if kind == "file":
        path.write_text("not a directory")
    else:
        path.symlink_to(tmp_path / "nowhere")
    for attempt in (lambda: read_journal(path), lambda: load_run(path), lambda: RunLock.acquire(path)):
        with pytest.raises(RunDirectoryError) as info:
            attempt()
        message = one_line(info.value)
        assert str(path) in message


def test_a_run_directory_reached_through_a_link_is_the_operators_choice(tmp_path):
    real = make_run(tmp_path / "real")
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    with Journal.open(tmp_path / "alias") as journal:
        journal.launching_done = None  # nothing to write: opening and locking is what is checked
    assert read_journal(tmp_path / "alias").records[0]["kind"] == "run_started"
