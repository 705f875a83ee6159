"""One process per run directory: the lock names its holder and dies with it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from vsphere_nb.batch.lock import RunLock, lock_holder
from vsphere_nb.errors import RunDirectoryError


def test_a_second_lock_is_refused_naming_the_holder_and_released_on_release(tmp_path):
    first = RunLock.acquire(tmp_path)
    assert lock_holder(tmp_path)["pid"] == os.getpid()
    with pytest.raises(RunDirectoryError, match=f"in use by process {os.getpid()}"):
        RunLock.acquire(tmp_path)
    first.release()
    assert lock_holder(tmp_path) is None
    with RunLock.acquire(tmp_path) as again:
        assert again.held


def test_the_lock_dies_with_a_killed_holder(tmp_path):
    code = (
        "import sys, time\n"
        "from vsphere_nb.batch.lock import RunLock\n"
        f"RunLock.acquire({str(tmp_path)!r}); print('held', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        assert lock_holder(tmp_path)["pid"] == child.pid
        with pytest.raises(RunDirectoryError):
            RunLock.acquire(tmp_path)
    finally:
        child.kill()
        child.wait(10)
    RunLock.acquire(tmp_path).release()  # no stale lock left behind


def test_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(RunDirectoryError, match="does not exist"):
        RunLock.acquire(tmp_path / "nope")
