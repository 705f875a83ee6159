"""``RunResult``: the result of a batch as DataFrames, with a notebook summary, save/load and a report.

A result comes from the in-memory records of a run (live, or replayed from a journal) or from a saved
directory. Frames are built lazily, once; :meth:`RunResult.refresh` rebuilds them while a run is still going.

A result says where the run stands: ``lifecycle`` is ``running`` (a process holds the run directory),
``detached`` (left unfinished — ``detached_reason`` says why; ``resume`` finishes it) or ``finished``. Every
planned host has its row at every moment: a host not finished yet has no ``outcome`` and a ``stage`` saying how
far it got (``planned``, ``launching``, ``launched``).

``save(dir)`` writes every frame twice — Parquet (exact dtypes: categoricals, tz-aware times, nullable ints)
and CSV (for spreadsheets and grep) — plus ``run.json`` (metadata); the journal is copied next to them when the
directory is not the run directory itself, so a saved directory can always be replayed. ``load_run(dir)`` reads
Parquet when present, else CSV (dtypes restored from :data:`~vsphere_nb.batch.frames.SCHEMAS`), else replays the
journal. Frames saved before the journal grew further (a detached run resumed and then killed) are stale:
``load_run`` replays the journal instead.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from ..errors import ConfigError, RunDirectoryError
from ..run_files import check_run_dir, open_run_file, read_run_file, refuse_link
from ..safetext import html_text
from ..vocabulary import OUTCOMES
from . import frames as _frames
from .journal import JOURNAL_NAME, state_from_journal
from .limits import BatchLimits
from .lock import LOCK_NAME, lock_holder
from .records import RunRecords

__all__ = ["RunResult", "load_run", "FRAME_NAMES", "RUN_META_NAME"]

R = TypeVar("R", bound="RunResult")

#: the frames a result holds, in save order
FRAME_NAMES: tuple[str, ...] = ("tasks", "faults", "fault_messages", "events", "hosts")
RUN_META_NAME = "run.json"
_SAVE_FORMAT = 1


class RunResult:
    """The outcome of a run: ``.tasks``, ``.faults``, ``.fault_messages``, ``.events``, ``.hosts`` DataFrames."""

    def __init__(
        self,
        *,
        run_id: str,
        records: RunRecords | None = None,
        frames: dict[str, pd.DataFrame] | None = None,
        limits: BatchLimits | None = None,
        vcenters: list[str] | tuple[str, ...] = (),
        created_at: str | None = None,
        finished_at: str | None = None,
        stop_reason: str | None = None,
        finished: bool = True,
        run_dir: str | os.PathLike[str] | None = None,
        lifecycle: str | None = None,
        detached_reason: str | None = None,
    ) -> None:
        if records is None and frames is None:
            raise ConfigError("a RunResult needs records or frames")
        self.run_id = run_id
        self.records = records
        self.limits = limits
        self.vcenters = list(vcenters)
        self.created_at = created_at
        self.finished_at = finished_at
        self.stop_reason = stop_reason
        self.finished = finished
        #: ``running`` | ``detached`` | ``finished``
        self.lifecycle = lifecycle or ("finished" if finished else "running")
        self.detached_reason = detached_reason
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self._frames: dict[str, pd.DataFrame] | None = dict(frames) if frames is not None else None

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_records(cls: type[R], records: RunRecords, *, run_dir: str | os.PathLike[str] | None = None) -> R:
        limits = None
        if records.limits is not None:
            try:
                limits = BatchLimits.from_dict(records.limits)
            except ConfigError:
                limits = None
        return cls(
            run_id=records.run_id,
            records=records,
            limits=limits,
            vcenters=records.vcenters,
            created_at=records.created_at,
            finished_at=records.finished_at,
            stop_reason=records.stop_reason,
            finished=records.run_finished,
            run_dir=run_dir,
            lifecycle=records.lifecycle,
            detached_reason=records.detached_reason,
        )

    @classmethod
    def from_journal(cls: type[R], run_dir: str | os.PathLike[str]) -> R:
        """Replay ``run_dir/journal.jsonl`` (a finished, running, detached or crashed run). A run whose journal
        says ``running`` while no process holds its directory crashed or was killed: it reads ``detached``."""
        state = state_from_journal(run_dir)
        result = cls.from_records(state.records, run_dir=run_dir)
        result.limits = state.limits
        if result.lifecycle == "running" and lock_holder(run_dir) is None:
            result.lifecycle = "detached"
            result.detached_reason = "the process driving the run ended without closing it (crashed or killed)"
        return result

    # -- frames ----------------------------------------------------------------------------------
    def _all(self) -> dict[str, pd.DataFrame]:
        if self._frames is None:
            assert self.records is not None
            built = _frames.build_frames(list(self.records))
            hosts = (
                _frames.hosts_frame(self.records.host_rows) if self.records.host_rows else _frames.empty_frame("hosts")
            )
            self._frames = {**dict(built.items()), "hosts": hosts}
        return self._frames

    def refresh(self) -> RunResult:
        """Rebuild the frames from the records (a run still going); no-op for a loaded result."""
        if self.records is not None:
            self._frames = None
        return self

    @property
    def tasks(self) -> pd.DataFrame:
        return self._all()["tasks"]

    @property
    def faults(self) -> pd.DataFrame:
        return self._all()["faults"]

    @property
    def fault_messages(self) -> pd.DataFrame:
        return self._all()["fault_messages"]

    @property
    def events(self) -> pd.DataFrame:
        return self._all()["events"]

    @property
    def hosts(self) -> pd.DataFrame:
        return self._all()["hosts"]

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every frame by name (:data:`FRAME_NAMES`)."""
        return dict(self._all())

    # -- summaries -------------------------------------------------------------------------------
    def summary(self) -> pd.Series:
        """Hosts per outcome (latest attempt of each host), every outcome listed; ``in progress`` is added when
        some attempt has no outcome yet."""
        tasks = self.tasks
        if not tasks.empty and tasks["attempt"].max() > 1:
            tasks = tasks.sort_values("attempt", kind="stable").drop_duplicates(["vcenter", "host_moid"], keep="last")
        counts = tasks["outcome"].astype(object).value_counts()
        out = pd.Series({o: int(counts.get(o, 0)) for o in OUTCOMES}, name="hosts", dtype="int64")
        pending = int(tasks["outcome"].isna().sum())
        if pending:
            out["in progress"] = pending
        out.index.name = "outcome"
        return out

    def end_counts(self) -> dict[str, int]:
        """Hosts by how their part of the run ended (:func:`~vsphere_nb.batch.frames.end_counts`): succeeded,
        failed, not launched, in progress, skipped — never a host that did not launch counted as finished."""
        return _frames.end_counts(self.tasks)

    def end_text(self) -> str:
        """:meth:`end_counts` in words (``9 of 15 planned hosts finished (8 succeeded, 1 failed), 6 not launched``)."""
        return _frames.end_text(self.end_counts())

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.summary().items() if v)
        state = "" if self.finished else f", {self.lifecycle}"
        return f"RunResult({self.run_id!r}: {counts or 'no hosts'}{state})"

    def _repr_html_(self) -> str:
        e = html_text
        summary = self.summary()
        cells = "".join(f"<th>{e(str(k))}</th>" for k in summary.index)
        values = "".join(f"<td>{int(v)}</td>" for v in summary.to_numpy())
        parts = [
            f"<div><b>Run {e(self.run_id)}</b> — {len(self.tasks)} attempts"
            + (
                ""
                if self.finished
                else f" ({e(self.lifecycle)}{': ' + e(self.detached_reason) if self.detached_reason else ''})"
            )
        ]
        if self.stop_reason:
            parts.append(f" — <b>stopped: {e(self.stop_reason)}</b>")
        parts.append(f"<table><tr>{cells}</tr><tr>{values}</tr></table>")
        failed = self.tasks[self.tasks["fault_type"].notna()]
        if not failed.empty:
            reason = failed["fault_reason"].astype(object).fillna(failed["fault_type"].astype(object))
            top = reason.value_counts().head(5)
            parts.append(
                "<div>Top fault reasons: " + ", ".join(f"{e(str(k))} ({int(v)})" for k, v in top.items()) + "</div>"
            )
        parts.append(
            "<div><small><code>.tasks</code>, <code>.faults</code>, <code>.fault_messages</code>, "
            "<code>.events</code>, <code>.hosts</code>, <code>.report()</code>, <code>.save(dir)</code>"
            "</small></div></div>"
        )
        return "".join(parts)

    def report(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        title: str | None = None,
        max_rows: int = 500,
        with_charts: bool = True,
    ) -> str | Path:
        """The HTML report; written to ``path`` (and the path returned) when given."""
        # lazy: the report draws charts (matplotlib); importing the batch does not load it
        from .report import render_report, write_report

        options = {"title": title, "max_rows": max_rows, "with_charts": with_charts}
        if path is None:
            return render_report(self, title=title, max_rows=max_rows, with_charts=with_charts)
        return write_report(self, path, **options)

    # -- persistence -----------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        return {
            "format": _SAVE_FORMAT,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "finished": self.finished,
            "lifecycle": self.lifecycle,
            "detached_reason": self.detached_reason,
            "journal_bytes": self._journal_bytes(),
            "stop_reason": self.stop_reason,
            "vcenters": self.vcenters,
            "limits": self.limits.to_dict() if self.limits else None,
            "frames": list(FRAME_NAMES),
        }

    def _journal_bytes(self) -> int | None:
        if self.run_dir is None:
            return None
        try:
            return (self.run_dir / JOURNAL_NAME).stat().st_size
        except OSError:
            return None

    def save(self, directory: str | os.PathLike[str] | None = None, *, csv: bool = True) -> Path:
        """Write every frame as Parquet and CSV, and ``run.json``, into ``directory`` (default: the run directory).

        Files are written to a temporary name and renamed, so a reader never sees half a file.
        """
        target = Path(directory) if directory is not None else self.run_dir
        if target is None:
            raise ConfigError("save() needs a directory (this result has no run directory)")
        try:
            target.mkdir(parents=True, exist_ok=True)
            check_run_dir(target)
            for name in [RUN_META_NAME, JOURNAL_NAME, *(f"{n}.{x}" for n in self._all() for x in ("parquet", "csv"))]:
                refuse_link(target / name)  # before anything is written: a run directory holding links is refused
            for name, frame in self._all().items():
                _atomic(target / f"{name}.parquet", lambda h, f=frame: f.to_parquet(h, index=False))
                if csv:
                    _atomic(
                        target / f"{name}.csv",
                        lambda h, f=frame: f.to_csv(h, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ"),
                    )
            meta = json.dumps(self.meta(), indent=2).encode("utf-8")
            _atomic(target / RUN_META_NAME, lambda h: h.write(meta))
            source = self.run_dir / JOURNAL_NAME if self.run_dir is not None else None
            if source is not None and source.exists():
                same = (target / JOURNAL_NAME).exists() and os.path.samefile(source, target / JOURNAL_NAME)
                if not same:
                    with os.fdopen(open_run_file(source, os.O_RDONLY), "rb") as src:
                        _atomic(target / JOURNAL_NAME, lambda h: shutil.copyfileobj(src, h))
        except OSError as exc:
            raise RunDirectoryError(f"cannot save the run to {target}: {exc.strerror or exc}") from exc
        return target


def _atomic(path: Path, write: Any) -> None:
    """``write(handle)`` into a fresh temporary file (created, never followed through a link), then renamed over
    ``path`` (a rename replaces a name, never writes through it)."""
    tmp = path.with_name(f".{path.name}.tmp")
    if os.path.lexists(tmp):
        os.unlink(tmp)  # a leftover of a crash (or a planted link): removed, never written through
    try:
        with os.fdopen(open_run_file(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def load_run(directory: str | os.PathLike[str]) -> RunResult:
    """A saved run (Parquet, else CSV) or, if nothing was saved, the run replayed from its journal."""
    path = check_run_dir(directory)
    for name in (RUN_META_NAME, JOURNAL_NAME, LOCK_NAME):
        refuse_link(path / name)
    meta: dict[str, Any] = {}
    meta_path = path / RUN_META_NAME
    if meta_path.exists():
        try:
            meta = json.loads(read_run_file(meta_path).decode("utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as exc:
            raise RunDirectoryError(f"{meta_path} is unreadable: {exc}") from None
    frames: dict[str, pd.DataFrame] = {}
    journal = path / JOURNAL_NAME
    saved_bytes = meta.get("journal_bytes")
    if journal.exists() and (
        not meta or (isinstance(saved_bytes, int) and journal.stat().st_size > saved_bytes) or lock_holder(path)
    ):
        return RunResult.from_journal(path)  # nothing saved yet, saved before the journal grew, or still running
    if all((path / f"{n}.parquet").exists() for n in FRAME_NAMES):
        for name in FRAME_NAMES:
            try:
                with os.fdopen(open_run_file(path / f"{name}.parquet", os.O_RDONLY), "rb") as handle:
                    frames[name] = _frames.coerce(pd.read_parquet(handle), name)
            except RunDirectoryError:
                raise
            except Exception as exc:
                raise RunDirectoryError(f"{path / (name + '.parquet')} is unreadable: {exc}") from None
    elif all((path / f"{n}.csv").exists() for n in FRAME_NAMES):
        for name in FRAME_NAMES:
            try:
                with os.fdopen(open_run_file(path / f"{name}.csv", os.O_RDONLY), "rb") as handle:
                    frames[name] = _frames.coerce(
                        pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[""]), name
                    )
            except RunDirectoryError:
                raise
            except Exception as exc:
                raise RunDirectoryError(f"{path / (name + '.csv')} is unreadable: {exc}") from None
    elif (path / JOURNAL_NAME).exists():
        return RunResult.from_journal(path)
    else:
        raise RunDirectoryError(f"{path} holds neither saved frames nor a {JOURNAL_NAME}")
    limits = None
    if isinstance(meta.get("limits"), dict):
        try:
            limits = BatchLimits.from_dict(meta["limits"])
        except ConfigError:
            limits = None
    run_id = meta.get("run_id") or _first(frames["tasks"], "run_id") or path.name
    return RunResult(
        run_id=str(run_id),
        frames=frames,
        limits=limits,
        vcenters=list(meta.get("vcenters") or []),
        created_at=meta.get("created_at"),
        finished_at=meta.get("finished_at"),
        stop_reason=meta.get("stop_reason"),
        finished=bool(meta.get("finished", True)),
        run_dir=path,
        lifecycle=meta.get("lifecycle") if meta.get("lifecycle") in ("running", "detached", "finished") else None,
        detached_reason=meta.get("detached_reason") if isinstance(meta.get("detached_reason"), str) else None,
    )


def _first(frame: pd.DataFrame, column: str) -> str | None:
    if column in frame.columns and len(frame):
        value = frame[column].iloc[0]
        return None if pd.isna(value) else str(value)
    return None
