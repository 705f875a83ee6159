"""One process per run directory: an OS-level lock (``flock``) on ``run_dir/run.lock``.

Held by whoever writes the journal (a run, a resume, a retry) from before the journal is read until the run
ends, so two resumes of one directory can never both launch the hosts never launched, and their appends can
never interleave. The kernel releases the lock when the holder exits or crashes — no stale lock files to clean
up. The file names the holder (pid, host name, since) for the error the second process gets. It is opened without
following links (:mod:`.run_files`): a ``run.lock`` that is a link is refused, its target never written.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import RunDirectoryError
from .run_files import check_run_dir, open_run_file

__all__ = ["RunLock", "LOCK_NAME", "lock_holder"]

LOCK_NAME = "run.lock"


def lock_holder(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Who holds ``run_dir``'s lock right now (``{"pid", "host", "since"}``), or ``None`` when nobody does."""
    path = Path(run_dir) / LOCK_NAME
    try:
        fd = open_run_file(path, os.O_RDONLY)
    except (OSError, RunDirectoryError):
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


class RunLock:
    """The exclusive lock of one run directory; :meth:`acquire` or :class:`RunDirectoryError`."""

    def __init__(self, run_dir: Path, fd: int) -> None:
        self.run_dir = run_dir
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, run_dir: str | os.PathLike[str]) -> RunLock:
        """Take the lock (never waits). The directory must exist."""
        directory = check_run_dir(run_dir)
        path = directory / LOCK_NAME
        try:
            fd = open_run_file(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise RunDirectoryError(f"cannot lock {directory}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            who = f"process {holder.get('pid', '?')} on {holder.get('host', '?')}"
            since = holder.get("since")
            raise RunDirectoryError(
                f"{directory} is in use by {who}{f' since {since}' if since else ''} "
                "(a run or resume of this directory); wait for it to end or stop it first"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise RunDirectoryError(f"cannot lock {directory}: {exc.strerror or exc}") from None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        except OSError:
            pass  # who holds it is a courtesy for the error message; the lock itself is what counts
        return cls(directory, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"RunLock({str(self.run_dir)!r}{'' if self.held else ', released'})"
