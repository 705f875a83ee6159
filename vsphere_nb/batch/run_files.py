"""Opening the files of a run directory without following links.

A run directory is written by one process and read by many; its files (``run.lock``, ``journal.jsonl``,
``run.json``, the saved frames) are opened here with ``O_NOFOLLOW``: a file that is a symbolic link — say a
``run.lock`` pointing at someone's ``.bashrc``, or a ``journal.jsonl`` pointing at another run's journal — is
refused with one line (:class:`~vsphere_nb.errors.RunDirectoryError`) and the link's target is never opened,
truncated or appended to. Anything but a regular file (a FIFO, a device, a directory) is refused the same way,
without blocking on it, and a file this process writes must not be a hard link shared with another path.

The run directory itself is taken as the operator gave it (a link to a directory elsewhere is their choice), but
it must be a directory.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path

from ..errors import RunDirectoryError

__all__ = ["check_run_dir", "open_run_file", "read_run_file", "refuse_link"]


def _link_error(path: Path) -> RunDirectoryError:
    return RunDirectoryError(
        f"{path} is a symbolic link: the files of a run directory are never followed through links "
        "(remove the link, or use another run directory)"
    )


def check_run_dir(directory: str | os.PathLike[str]) -> Path:
    """``directory`` as a path, when it exists and is a directory; else a one-line ``RunDirectoryError``."""
    path = Path(directory)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise RunDirectoryError(f"run directory {path} is a link to nothing") from None
        raise RunDirectoryError(f"run directory {path} does not exist") from None
    except OSError as exc:
        raise RunDirectoryError(f"cannot use run directory {path}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise RunDirectoryError(f"{path} is not a directory")
    return path


def refuse_link(path: Path) -> None:
    """A ``RunDirectoryError`` when ``path`` is a symbolic link (or anything but a regular file, when present)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise RunDirectoryError(f"cannot use {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise _link_error(path)
    if not stat.S_ISREG(info.st_mode):
        raise RunDirectoryError(f"{path} is not a regular file")


def open_run_file(path: Path, flags: int, mode: int = 0o644, *, writing: bool | None = None) -> int:
    """``os.open(path, flags)`` that never follows a link at ``path`` and only ever returns a regular file.

    ``OSError`` s other than the ones below propagate (the caller words them: ``FileNotFoundError``,
    ``FileExistsError`` …). A link, a non-regular file and — when ``writing`` (default: ``flags`` ask to
    write) — a file with more than one hard link raise ``RunDirectoryError``."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, mode)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise _link_error(path) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RunDirectoryError(f"{path} is not a regular file")
        if writing is None:
            writing = bool(flags & (os.O_WRONLY | os.O_RDWR))
        if writing and info.st_nlink > 1:
            raise RunDirectoryError(
                f"{path} has {info.st_nlink} hard links: writing it would change another file too "
                "(use another run directory)"
            )
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_run_file(path: Path) -> bytes:
    """The whole of one (small) run file, read without following a link."""
    fd = open_run_file(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()
