"""The run directory's journal: ``journal.jsonl``, append-only, one JSON object per line, each on disk before the
next step starts (``flush`` + ``fsync`` per record).

Why a journal: a batch over hundreds of hosts outlives notebooks, laptops and VPNs. Written *before* each step
(``launching`` precedes the HTTP request), it tells after a crash exactly which hosts may have a task running
on vCenter without us knowing its id — ``resume`` must look at those hosts' ``recentTask`` instead of launching
twice. :func:`state_from_journal` gives that picture per ``(vcenter, host_moid, attempt)``.

Record kinds (every record also has ``kind`` and ``at``, the UTC time it was written; host records carry
``vcenter``, ``host``, ``host_moid``, ``attempt``):

=================  ==========================================================================================
``run_started``     ``run_id``, ``vcenters`` (URLs without credentials), ``vcenter_ids`` (``{name:
                    about.instanceUuid}``: ``resume`` refuses another vCenter), ``limits``
                    (:meth:`BatchLimits.to_dict`), ``created_at``, ``version`` (of vsphere-nb), ``format`` (1)
``run_resumed``     ``pid``, ``vcenter_ids`` — another process took the run over (lifecycle ``running``)
``planned``         ``hosts`` (every column of the pre-flighted hosts frame), ``launch`` (plan order, ``canary``),
                    ``skipped`` (with ``reason``)
``launching``       about to send ``ReconfigureHostForDAS_Task``
``launched``        ``task_moid`` — the server answered a Task
``launch_failed``   ``fault`` (the fault wire dict the server answered), ``message``
``finished``        ``info`` (the ``TaskInfo`` fields vCenter sent: state, times, ``error``, ``eventChainId`` …;
                    nothing filled in by the client), ``task_moid``, ``outcome`` (``success``/``fault``/
                    ``cancelled``/``timed_out``/``lost``; derived from ``info`` if absent)
``post_checked``    ``das_state_before``, ``das_state_after``, ``healthy``
``events``          ``events`` (event wire dicts), ``source`` (``task_chain`` | ``host_events``)
``not_launched``    ``reason``, ``outcome`` (``not_launched``, or ``cancelled`` after a cancel) — the run stopped
                    before this host
``stopped``         ``reason`` — ``cancelled`` | ``canary_failed`` | ``failure_budget_exceeded``
``run_detached``    ``reason`` — the process let go of an unfinished run (client closed, Ctrl-C, engine error,
                    vCenter unreachable, journal unwritable); ``resume`` finishes it (lifecycle ``detached``)
``run_finished``    ``stop_reason``, ``counts`` (per outcome), ``finished_at`` — every planned host has its final
                    outcome (lifecycle ``finished``)
=================  ==========================================================================================

A run's *lifecycle* follows from its last lifecycle record: ``running`` (after ``run_started``/``run_resumed``,
while a process holds the directory's lock), ``detached`` (after ``run_detached``, or when no process holds the
lock any more: a crash or a kill), ``finished``.

One writer per directory: the journal holds the directory's :class:`~vsphere_nb.batch.lock.RunLock`. A write
that fails (disk full) is cut back to the last whole record, and the journal refuses further writes: a torn
line never sits in the middle of the file. Reading tolerates a torn last line (a crash in the middle of a
write: the line has no final newline; a warning is logged) and ignores record kinds it does not know. Anything else that is not a journal — missing directory, missing file,
bad UTF-8, a broken line before the last, a first record that is not ``run_started`` — raises
:class:`~vsphere_nb.errors.RunDirectoryError` naming the file and line.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .._version import __version__
from ..errors import ConfigError, RunDirectoryError, ServerFault
from ..run_files import open_run_file, refuse_link
from ..wire import VimObject, format_datetime
from .journal_reader import JOURNAL_NAME, JournalContents, JournalState, read_journal, scan, state_from_journal
from .limits import BatchLimits
from .lock import RunLock
from .plan import Plan, PlannedHost
from .records import TaskRecord

__all__ = [
    "JOURNAL_NAME",
    "JOURNAL_FORMAT",
    "Journal",
    "JournalContents",
    "JournalState",
    "read_journal",
    "state_from_journal",
    "new_run_id",
]

logger = logging.getLogger("vsphere_nb.batch")

JOURNAL_FORMAT = 1


def new_run_id(now: datetime | None = None) -> str:
    """``run-20260301T085735Z-3f9a1c``: sortable by time, unique enough to name a directory."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"run-{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def _now() -> str:
    return format_datetime(datetime.now(UTC))


def redact_url(url: str) -> str:
    """``https://user:pw@vc/sdk`` → ``https://vc/sdk``: credentials never reach the journal."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _json_default(value: Any) -> Any:
    if isinstance(value, VimObject):
        return value.to_wire()
    if isinstance(value, datetime):
        return format_datetime(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _wire(value: Any) -> Any:
    if isinstance(value, ServerFault):
        return value.raw or value.fault.to_wire()
    if isinstance(value, VimObject):
        return value.to_wire()
    return value


def _host_fields(host: PlannedHost | TaskRecord | Mapping[str, Any], attempt: int | None) -> dict[str, Any]:
    if isinstance(host, (PlannedHost, TaskRecord)):
        fields = {"vcenter": host.vcenter, "host": host.host, "host_moid": host.host_moid, "attempt": host.attempt}
    elif isinstance(host, Mapping):
        fields = {k: host.get(k) for k in ("vcenter", "host", "host_moid")}
        fields["attempt"] = host.get("attempt", 1)
    else:
        raise ConfigError(f"cannot journal a host given as {type(host).__name__}")
    if attempt is not None:
        fields["attempt"] = attempt
    return fields


class Journal:
    """Append-only writer of ``journal.jsonl``. Use :meth:`create` for a new run, :meth:`open` to resume one.

    Every method writes one record and hands it to the operating system before returning — so a killed or
    crashed Python process loses nothing it wrote — and returns the dict it wrote: apply that dict to a
    :class:`~vsphere_nb.batch.records.RunRecords` to keep the in-memory results in step with the file.

    ``fsync`` (on by default) also protects against an operating-system crash or power loss: records are
    fsync'd as a group, at most ``fsync_interval`` seconds after they were written (0 = every record), and
    always on :meth:`close`. At 1,000 hosts a run writes ~5,000 records; an fsync per record costs seconds on
    the engine's event loop, a group commit every 0.2 s costs almost nothing.

    The journal holds the run directory's lock (:class:`~vsphere_nb.batch.lock.RunLock`) until :meth:`close`. A
    write that fails is cut back to the last whole record and every later write raises ``RunDirectoryError``.
    Thread-safe.
    """

    #: seconds between group fsyncs (see the class doc)
    fsync_interval: float = 0.2

    def __init__(self, path: Path, *, fsync: bool = True, _fd: int | None = None, _lock: RunLock | None = None) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._fd = _fd
        self._lock_file = _lock
        self._lock = threading.Lock()
        self._last_sync = float("-inf")  # the first record of a journal is synced at once, whatever the clock
        self._unsynced = False
        self._size = os.lseek(_fd, 0, os.SEEK_END) if _fd is not None else 0
        self._broken: str | None = None

    @property
    def run_dir(self) -> Path:
        return self.path.parent

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def create(cls, run_dir: str | os.PathLike[str], *, fsync: bool = True) -> Journal:
        """A new journal in ``run_dir`` (created if needed); refuses a directory that already has one."""
        directory = Path(run_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunDirectoryError(f"cannot create {directory}: {exc.strerror or exc}") from exc
        lock = RunLock.acquire(directory)
        path = directory / JOURNAL_NAME
        try:
            refuse_link(path)
            fd = open_run_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        except RunDirectoryError:
            lock.release()
            raise
        except FileExistsError:
            lock.release()
            raise RunDirectoryError(f"{directory} already holds a journal; open it to resume instead") from None
        except OSError as exc:
            lock.release()
            raise RunDirectoryError(f"cannot create a journal in {directory}: {exc.strerror or exc}") from exc
        if fsync:
            _fsync_dir(directory)
        return cls(path, fsync=fsync, _fd=fd, _lock=lock)

    @classmethod
    def open(cls, run_dir: str | os.PathLike[str], *, fsync: bool = True, lock: RunLock | None = None) -> Journal:
        """Reopen an existing journal to append (resume). A torn last line is cut off first (with a warning).

        Takes the directory's lock unless the caller already holds it (``lock``)."""
        directory = Path(run_dir)
        path = directory / JOURNAL_NAME
        scan(directory, lambda _n, _record: None)  # a clear error for anything that is not a journal
        held = lock if lock is not None and lock.held else RunLock.acquire(directory)
        try:
            fd = open_run_file(path, os.O_RDWR | os.O_APPEND)
            end = _end_of_last_line(fd)
            if end != os.lseek(fd, 0, os.SEEK_END):
                logger.warning("%s: a torn last record (a crash in the middle of a write) was cut off", path)
                os.ftruncate(fd, end)
            if fsync:
                os.fsync(fd)
        except RunDirectoryError:
            if held is not lock:
                held.release()
            raise
        except OSError as exc:
            if held is not lock:
                held.release()
            raise RunDirectoryError(f"cannot open {path} for appending: {exc.strerror or exc}") from exc
        return cls(path, fsync=fsync, _fd=fd, _lock=held)

    def sync(self) -> None:
        """fsync what was written since the last group commit."""
        with self._lock:
            if self._fd is not None and self._unsynced:
                try:
                    os.fsync(self._fd)
                except OSError as exc:
                    raise RunDirectoryError(f"cannot sync {self.path}: {exc.strerror or exc}") from exc
                self._last_sync, self._unsynced = time.monotonic(), False

    def close(self) -> None:
        """Sync, close and release the directory's lock. Never raises (it runs in ``finally`` blocks): a sync
        that fails is logged."""
        try:
            if self.fsync:
                self.sync()
        except RunDirectoryError as exc:
            logger.warning("%s", exc)
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
            if self._lock_file is not None:
                self._lock_file.release()
                self._lock_file = None

    @property
    def closed(self) -> bool:
        return self._fd is None

    @property
    def broken(self) -> str | None:
        """Why writing failed (the journal refuses further writes), or ``None``."""
        return self._broken

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r}{', closed' if self.closed else ''})"

    # -- writing ---------------------------------------------------------------------------------
    def append(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Write one record ``{"kind": kind, "at": now, **fields}``; durable when this returns."""
        record: dict[str, Any] = {"kind": kind, "at": _now(), **fields}
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=_json_default, allow_nan=False)
        data = (line + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                raise RunDirectoryError(f"journal {self.path} is closed")
            if self._broken is not None:
                raise RunDirectoryError(self._broken)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
                if self.fsync:
                    now = time.monotonic()
                    if now - self._last_sync >= self.fsync_interval:
                        os.fsync(self._fd)
                        self._last_sync, self._unsynced = now, False
                    else:
                        self._unsynced = True
            except OSError as exc:
                self._broken = f"cannot write to {self.path}: {exc.strerror or exc}"
                try:  # never leave a torn record in the middle of the file
                    os.ftruncate(self._fd, self._size)
                except OSError:
                    pass
                raise RunDirectoryError(self._broken) from None
            self._size += len(data)
        echoed: dict[str, Any] = json.loads(line)  # exactly what a reader will see
        return echoed

    def run_started(
        self,
        *,
        run_id: str | None = None,
        vcenters: Iterable[str] = (),
        limits: BatchLimits | None = None,
        created_at: datetime | str | None = None,
        vcenter_ids: Mapping[str, str | None] | None = None,
    ) -> dict[str, Any]:
        created = created_at if isinstance(created_at, str) else format_datetime(created_at or datetime.now(UTC))
        return self.append(
            "run_started",
            run_id=run_id or new_run_id(),
            vcenters=[redact_url(v) for v in vcenters],
            vcenter_ids=dict(vcenter_ids or {}),
            limits=(limits or BatchLimits()).to_dict(),
            created_at=created,
            version=__version__,
            format=JOURNAL_FORMAT,
        )

    def run_resumed(self, *, vcenter_ids: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        return self.append("run_resumed", pid=os.getpid(), vcenter_ids=dict(vcenter_ids or {}), version=__version__)

    def run_detached(self, reason: str) -> dict[str, Any]:
        return self.append("run_detached", reason=reason)

    def planned(self, plan: Plan) -> dict[str, Any]:
        return self.append("planned", **plan.journal_fields())

    def launching(
        self, host: PlannedHost | TaskRecord | Mapping[str, Any], *, attempt: int | None = None
    ) -> dict[str, Any]:
        return self.append("launching", **_host_fields(host, attempt))

    def launched(
        self, host: PlannedHost | TaskRecord | Mapping[str, Any], task_moid: str, *, attempt: int | None = None
    ) -> dict[str, Any]:
        return self.append("launched", **_host_fields(host, attempt), task_moid=task_moid)

    def launch_failed(
        self,
        host: PlannedHost | TaskRecord | Mapping[str, Any],
        fault: Any = None,
        *,
        message: str | None = None,
        attempt: int | None = None,
    ) -> dict[str, Any]:
        """``fault``: a wire dict, a ``MethodFault`` model or a ``ServerFault``; ``message`` for non-fault errors."""
        wire_fault = _wire(fault)
        if message is None and isinstance(fault, Exception):
            message = str(fault)
        return self.append("launch_failed", **_host_fields(host, attempt), fault=wire_fault, message=message)

    def finished(
        self,
        host: PlannedHost | TaskRecord | Mapping[str, Any],
        info: Any = None,
        *,
        outcome: str | None = None,
        task_moid: str | None = None,
        attempt: int | None = None,
    ) -> dict[str, Any]:
        fields = _host_fields(host, attempt)
        if task_moid is not None:
            fields["task_moid"] = task_moid
        return self.append("finished", **fields, info=_wire(info), outcome=outcome)

    def post_checked(
        self,
        host: PlannedHost | TaskRecord | Mapping[str, Any],
        *,
        das_state_before: str | None,
        das_state_after: str | None,
        healthy: bool,
        attempt: int | None = None,
    ) -> dict[str, Any]:
        return self.append(
            "post_checked",
            **_host_fields(host, attempt),
            das_state_before=das_state_before,
            das_state_after=das_state_after,
            healthy=bool(healthy),
        )

    def events(
        self,
        host: PlannedHost | TaskRecord | Mapping[str, Any],
        events: Iterable[Any],
        *,
        source: str,
        attempt: int | None = None,
    ) -> dict[str, Any]:
        return self.append("events", **_host_fields(host, attempt), source=source, events=[_wire(e) for e in events])

    def not_launched(
        self,
        host: PlannedHost | TaskRecord | Mapping[str, Any],
        reason: str,
        *,
        outcome: str = "not_launched",
        attempt: int | None = None,
    ) -> dict[str, Any]:
        return self.append("not_launched", **_host_fields(host, attempt), reason=reason, outcome=outcome)

    def stopped(self, reason: str) -> dict[str, Any]:
        return self.append("stopped", reason=reason)

    def run_finished(
        self, *, stop_reason: str | None = None, counts: Mapping[str, int] | None = None
    ) -> dict[str, Any]:
        return self.append("run_finished", stop_reason=stop_reason, counts=dict(counts or {}), finished_at=_now())


def _end_of_last_line(fd: int, chunk: int = 64 * 1024) -> int:
    """Offset just after the file's last newline (0 if none), reading backwards from the end."""
    position = os.lseek(fd, 0, os.SEEK_END)
    while position > 0:
        start = max(0, position - chunk)
        data = os.pread(fd, position - start, start)
        found = data.rfind(b"\n")
        if found >= 0:
            return start + found + 1
        position = start
    return 0


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------
