"""Reading a run's journal: every complete record, or the run replayed into a :class:`JournalState`.

Streaming (a million-event journal never sits in memory as dicts). A torn last line — a crash in the middle of a
write, no final newline — is ignored with a warning; anything else that is not a journal (missing directory or
file, bad UTF-8, a broken line before the last, a first record that is not ``run_started``) raises
:class:`~vsphere_nb.errors.RunDirectoryError` naming the file and line. Record kinds are listed in
:mod:`vsphere_nb.batch.journal`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, RunDirectoryError
from .limits import BatchLimits
from .records import RunRecords
from .run_files import check_run_dir, open_run_file

__all__ = ["JOURNAL_NAME", "JournalContents", "JournalState", "read_journal", "scan", "state_from_journal"]

logger = logging.getLogger("vsphere_nb.batch")

JOURNAL_NAME = "journal.jsonl"


@dataclass
class JournalContents:
    """The records of a journal, oldest first; ``torn_tail`` when an incomplete last line was ignored."""

    path: Path
    records: list[dict[str, Any]]
    torn_tail: bool = False


def scan(run_dir: str | os.PathLike[str], on_record: Callable[[int, dict[str, Any]], None]) -> tuple[Path, bool, int]:
    """Stream the complete records of a journal to ``on_record(n, record)`` (``n`` counts from 1), one line at a
    time so a million-event journal never sits in memory as dicts. Returns ``(path, torn_tail, count)``."""
    directory = check_run_dir(run_dir)
    path = directory / JOURNAL_NAME
    try:
        handle = os.fdopen(open_run_file(path, os.O_RDONLY), "rb")
    except FileNotFoundError:
        raise RunDirectoryError(f"{directory} is not a vsphere-nb run directory (no {JOURNAL_NAME})") from None
    except OSError as exc:
        raise RunDirectoryError(f"cannot read {path}: {exc.strerror or exc}") from exc
    torn = False
    count = 0
    with handle:
        try:
            for number, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):  # the last line, cut short by a crash mid-write
                    torn = bool(raw.strip(b"\x00 \t\r"))
                    break
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    raise RunDirectoryError(f"{path} line {number} is not UTF-8 text") from None
                except (ValueError, RecursionError):
                    raise RunDirectoryError(f"{path} line {number} is not a JSON record (garbled journal)") from None
                if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
                    raise RunDirectoryError(f"{path} line {number} is not a journal record (no 'kind')")
                if count == 0 and record["kind"] != "run_started":
                    raise RunDirectoryError(
                        f"{path} does not start with a run_started record: not a vsphere-nb run journal"
                    )
                count += 1
                on_record(count, record)
        except OSError as exc:
            raise RunDirectoryError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not count:
        raise RunDirectoryError(f"{path} holds no complete record")
    return path, torn, count


def read_journal(run_dir: str | os.PathLike[str]) -> JournalContents:
    """Every complete record of ``run_dir/journal.jsonl``. Raises ``RunDirectoryError`` for anything else."""
    records: list[dict[str, Any]] = []
    path, torn, _ = scan(run_dir, lambda _n, record: records.append(record))
    return JournalContents(path=path, records=records, torn_tail=torn)


@dataclass
class JournalState:
    """A run as its journal tells it: metadata and one :class:`TaskRecord` per ``(vcenter, host_moid, attempt)``.

    ``record.stage`` is one of :data:`~vsphere_nb.vocabulary.STAGES`; :func:`~vsphere_nb.batch.resuming.plan_resume`
    turns the latest attempts into what ``resume`` must do. ``lifecycle`` is what the journal's last lifecycle
    record says (``running``, ``detached``, ``finished``); whether a process still drives a ``running`` run is
    the directory lock's business (:func:`~vsphere_nb.batch.lock.lock_holder`).
    """

    run_dir: Path
    run_id: str
    created_at: str | None
    vcenters: list[str]
    vcenter_ids: dict[str, str | None]
    limits: BatchLimits
    records: RunRecords
    lifecycle: str
    detached_reason: str | None
    stop_reason: str | None
    torn_tail: bool

    @property
    def run_finished(self) -> bool:
        return self.lifecycle == "finished"

    def stage(self, vcenter: str, host_moid: str, attempt: int | None = None) -> str | None:
        """The stage of an attempt (the latest attempt of the host when ``attempt`` is ``None``)."""
        if attempt is None:
            rec = self.records.latest_of(vcenter, host_moid)
        else:
            rec = self.records.get(vcenter, host_moid, attempt)
        return rec.stage if rec else None

    def stage_counts(self) -> dict[str, int]:
        """Latest attempts per stage."""
        counts: dict[str, int] = {}
        for rec in self.records.latest():
            counts[rec.stage] = counts.get(rec.stage, 0) + 1
        return counts


def state_from_journal(run_dir: str | os.PathLike[str]) -> JournalState:
    """Replay ``run_dir``'s journal into a :class:`JournalState` (streaming). Raises ``RunDirectoryError`` only."""
    records = RunRecords()
    journal_path = Path(run_dir) / JOURNAL_NAME

    def apply(number: int, entry: dict[str, Any]) -> None:
        try:
            records.apply(entry)
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            raise RunDirectoryError(
                f"{journal_path} record {number} ({entry.get('kind')}) is malformed: {exc}"
            ) from None

    path, torn, _ = scan(run_dir, apply)
    if torn:
        logger.warning("%s: the last record is torn (a crash in the middle of a write); it is ignored", path)
    try:
        limits = BatchLimits.from_dict(records.limits or {})
    except (ConfigError, TypeError) as exc:
        raise RunDirectoryError(f"{path}: the run's limits are malformed: {exc}") from None
    return JournalState(
        run_dir=Path(run_dir),
        run_id=records.run_id,
        created_at=records.created_at,
        vcenters=records.vcenters,
        vcenter_ids=dict(records.vcenter_ids),
        limits=limits,
        records=records,
        lifecycle=records.lifecycle,
        detached_reason=records.detached_reason,
        stop_reason=records.stop_reason,
        torn_tail=torn,
    )
