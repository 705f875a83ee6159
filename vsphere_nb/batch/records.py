"""The in-memory result model of a run: one :class:`TaskRecord` of plain Python values per host attempt.

The model is built by *applying journal records* (:meth:`RunRecords.apply`): the live engine writes a record to
the journal and applies the very same dict here, and an offline reader replays the journal through the same
method. So what a notebook shows during a run and what ``load_run`` shows after a crash cannot disagree.

Values stay as they came off the wire (ISO-8601 strings, the fault wire dict); events are reduced to the
events-frame columns as they arrive (:class:`~vsphere_nb.batch.event_columns.EventColumns`), so a million of them cost no dicts in memory and no
re-reading per rebuild. Turning all this into DataFrames is the job of :mod:`vsphere_nb.batch.frames`.

Outcomes and stages are listed in :mod:`vsphere_nb.vocabulary`; the wire dicts are read with
:mod:`vsphere_nb.wire.plain`. An attempt still under way has no outcome yet (``None``; ``NaN`` in frames).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..vocabulary import EVENT_SOURCES, FAILURE_OUTCOMES, FINAL_TASK_OUTCOMES, HEALTHY_DAS_STATES, OUTCOMES, STAGES
from ..wire.plain import fault_events, moid, task_state
from .event_columns import EventColumns

__all__ = [
    "OUTCOMES",
    "FAILURE_OUTCOMES",
    "FINAL_TASK_OUTCOMES",
    "HEALTHY_DAS_STATES",
    "STAGES",
    "EVENT_SOURCES",
    "AttemptKey",
    "TaskRecord",
    "RunRecords",
    "outcome_from_task_info",
]

#: ``(vcenter, host_moid, attempt)``
AttemptKey = tuple[str, str, int]


def outcome_from_task_info(info: Mapping[str, Any] | None, *, timed_out: bool = False) -> str | None:
    """The outcome a final ``TaskInfo`` wire dict stands for; ``None`` while the task is queued/running."""
    if timed_out:
        return "timed_out"
    if not info:
        return None
    state = task_state(info)
    if state == "success":
        return "success"
    if state == "error":
        return "cancelled" if info.get("cancelled") is True else "fault"
    return None


def _opt_str(entry: Mapping[str, Any], name: str) -> str | None:
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    return value


def _req_str(entry: Mapping[str, Any], name: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty string")
    return value


def _attempt(entry: Mapping[str, Any], default: int = 1) -> int:
    value = entry.get("attempt", default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError("attempt must be a non-negative integer")
    return value


@dataclass(slots=True)
class TaskRecord:
    """One host attempt. Plain values only: strings, ints, bools, wire dicts, lists."""

    run_id: str
    vcenter: str
    host: str
    host_moid: str
    attempt: int = 1
    cluster: str | None = None
    cluster_moid: str | None = None
    canary: bool = False
    stage: str = "planned"
    outcome: str | None = None
    skip_reason: str | None = None
    task_moid: str | None = None
    state: str | None = None
    queued_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    das_state_before: str | None = None
    das_state_after: str | None = None
    healthy: bool | None = None
    event_chain_id: int | None = None
    #: when this attempt's last launch was sent / answered (the journal's ``at`` of ``launching`` / ``launched``):
    #: a lost launch can only have created a task after it was sent, an adopted one was queued before its answer
    launch_sent_at: str | None = None
    launch_answered_at: str | None = None
    #: the fault wire dict: ``TaskInfo.error`` or the launch fault (possibly ``LocalizedMethodFault``-wrapped)
    fault: dict[str, Any] | None = None
    #: the attempt's events (``None`` until the first arrives), see :class:`EventColumns`
    events: EventColumns | None = None

    def add_events(self, source: str, events: Iterable[Mapping[str, Any]]) -> int:
        """Add event wire dicts collected from ``source`` (``task_chain``, ``host_events`` …); returns how many
        were new."""
        if self.events is None:
            self.events = EventColumns()
        return self.events.add_wire(source, events)

    def set_fault(self, fault: dict[str, Any] | None) -> None:
        """Record the attempt's fault wire dict; the events it carries (``DasConfigFault.event``) are added with
        source ``fault``. Always set the fault through here."""
        if fault is None or fault == self.fault:
            self.fault = fault if fault is not None else self.fault
            return
        self.fault = fault
        events = fault_events(fault)
        if events:
            self.add_events("fault", events)

    @property
    def key(self) -> AttemptKey:
        return (self.vcenter, self.host_moid, self.attempt)

    @property
    def is_final(self) -> bool:
        return self.outcome is not None

    def apply_task_info(self, info: Mapping[str, Any]) -> None:
        """Copy what the tables need out of a ``TaskInfo`` wire dict (state, times, fault, event chain)."""
        if not isinstance(info, Mapping):
            raise TypeError("info must be a TaskInfo object")
        task = moid(info.get("task"))
        if task:
            self.task_moid = task
        state = task_state(info)
        if state is not None:
            self.state = str(state)
        for attr, name in (("queued_at", "queueTime"), ("started_at", "startTime"), ("completed_at", "completeTime")):
            value = info.get(name)
            if isinstance(value, str):
                setattr(self, attr, value)
        chain = info.get("eventChainId")
        if isinstance(chain, int) and not isinstance(chain, bool):
            self.event_chain_id = chain
        error = info.get("error")
        if isinstance(error, dict):
            self.set_fault(error)


class RunRecords:
    """All :class:`TaskRecord` of a run, keyed by ``(vcenter, host_moid, attempt)``, in the order first seen.

    :meth:`apply` takes one journal record (a dict with ``kind``). It raises ``TypeError``/``ValueError``/
    ``KeyError`` for a record of the wrong shape; the journal reader turns that into ``RunDirectoryError``.
    """

    def __init__(self, run_id: str = "") -> None:
        self.run_id = run_id
        self.records: dict[AttemptKey, TaskRecord] = {}
        #: ``(vcenter, host_moid)`` -> the highest attempt seen
        self._latest: dict[tuple[str, str], TaskRecord] = {}
        #: host rows as planned (every column of the hosts frame), for ``RunResult.hosts``
        self.host_rows: list[dict[str, Any]] = []
        self._host_row_index: dict[tuple[Any, Any], int] = {}
        self.vcenters: list[str] = []
        self.limits: dict[str, Any] | None = None
        self.created_at: str | None = None
        self.finished_at: str | None = None
        self.stop_reason: str | None = None
        #: ``{vCenter name: about.instanceUuid}`` as the run found them
        self.vcenter_ids: dict[str, str | None] = {}
        #: ``running`` | ``detached`` | ``finished`` (see :data:`~vsphere_nb.vocabulary.LIFECYCLE_STATES`)
        self.lifecycle = "running"
        self.detached_reason: str | None = None

    # -- access ----------------------------------------------------------------------------------
    @property
    def run_finished(self) -> bool:
        """Every planned host has its final outcome (lifecycle ``finished``)."""
        return self.lifecycle == "finished"

    @run_finished.setter
    def run_finished(self, value: bool) -> None:
        self.lifecycle = "finished" if value else "running"

    def __iter__(self) -> Iterator[TaskRecord]:
        return iter(self.records.values())

    def __len__(self) -> int:
        return len(self.records)

    def get(self, vcenter: str, host_moid: str, attempt: int) -> TaskRecord | None:
        return self.records.get((vcenter, host_moid, attempt))

    def latest_of(self, vcenter: str, host_moid: str) -> TaskRecord | None:
        """The highest attempt of one host."""
        return self._latest.get((vcenter, host_moid))

    def latest(self) -> list[TaskRecord]:
        """The highest attempt of every host."""
        return list(self._latest.values())

    def add(self, record: TaskRecord) -> TaskRecord:
        """Add (or replace) the record of an attempt."""
        self.records[record.key] = record
        cur = self._latest.get((record.vcenter, record.host_moid))
        if cur is None or record.attempt >= cur.attempt:
            self._latest[(record.vcenter, record.host_moid)] = record
        return record

    def _add_new(self, record: TaskRecord) -> None:
        if record.key not in self.records:
            self.add(record)

    # -- journal replay --------------------------------------------------------------------------
    def apply_all(self, entries: Iterable[Mapping[str, Any]]) -> RunRecords:
        for entry in entries:
            self.apply(entry)
        return self

    def apply(self, entry: Mapping[str, Any]) -> TaskRecord | None:
        """Apply one journal record; returns the attempt it touched (``None`` for run-level records)."""
        if entry.__class__ is not dict and not isinstance(entry, Mapping):
            raise TypeError("a journal record must be an object")
        kind = entry.get("kind")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return None  # unknown kinds from a newer release are ignored, never fatal
        return handler(self, entry)

    def _record_for(self, entry: Mapping[str, Any]) -> TaskRecord:
        vcenter, host_moid = _req_str(entry, "vcenter"), _req_str(entry, "host_moid")
        attempt = _attempt(entry)
        rec = self.records.get((vcenter, host_moid, attempt))
        if rec is None:
            # a later attempt (resume) or a record without a plan: inherit what an earlier attempt knew
            prior = self._latest.get((vcenter, host_moid))
            rec = TaskRecord(
                run_id=self.run_id,
                vcenter=vcenter,
                host=_opt_str(entry, "host") or (prior.host if prior else host_moid),
                host_moid=host_moid,
                attempt=attempt,
                cluster=prior.cluster if prior else _opt_str(entry, "cluster"),
                cluster_moid=prior.cluster_moid if prior else _opt_str(entry, "cluster_moid"),
                das_state_before=prior.das_state_before if prior else None,
            )
            self.add(rec)
        return rec

    def _on_run_started(self, entry: Mapping[str, Any]) -> None:
        self.run_id = _req_str(entry, "run_id")
        vcenters = entry.get("vcenters") or []
        if not isinstance(vcenters, list) or not all(isinstance(v, str) for v in vcenters):
            raise TypeError("vcenters must be a list of strings")
        self.vcenters = list(vcenters)
        limits = entry.get("limits")
        if limits is not None and not isinstance(limits, dict):
            raise TypeError("limits must be an object")
        self.limits = limits
        self.created_at = _opt_str(entry, "created_at")
        self._on_vcenter_ids(entry)
        self.lifecycle, self.detached_reason = "running", None
        for rec in self.records.values():
            rec.run_id = self.run_id

    def _on_vcenter_ids(self, entry: Mapping[str, Any]) -> None:
        ids = entry.get("vcenter_ids") or {}
        if not isinstance(ids, dict) or not all(isinstance(v, (str, type(None))) for v in ids.values()):
            raise TypeError("vcenter_ids must map names to instance UUIDs")
        for name, uuid in ids.items():
            if uuid or name not in self.vcenter_ids:
                self.vcenter_ids[name] = uuid

    def _on_run_resumed(self, entry: Mapping[str, Any]) -> None:
        self._on_vcenter_ids(entry)
        self.lifecycle, self.detached_reason = "running", None

    def _on_run_detached(self, entry: Mapping[str, Any]) -> None:
        self.lifecycle = "detached"
        self.detached_reason = _opt_str(entry, "reason") or "detached"

    def _on_planned(self, entry: Mapping[str, Any]) -> None:
        hosts = entry.get("hosts") or []
        launch = entry.get("launch") or []
        skipped = entry.get("skipped") or []
        for name, value in (("hosts", hosts), ("launch", launch), ("skipped", skipped)):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise TypeError(f"planned.{name} must be a list of objects")
        for row in hosts:  # one row per host: a later plan (retry) brings the fresher inventory row
            key = (row.get("vcenter"), row.get("host_moid"))
            at = self._host_row_index.get(key)
            if at is None:
                self._host_row_index[key] = len(self.host_rows)
                self.host_rows.append(row)
            else:
                self.host_rows[at] = row
        for row in launch:
            rec = TaskRecord(
                run_id=self.run_id,
                vcenter=_req_str(row, "vcenter"),
                host=_req_str(row, "host"),
                host_moid=_req_str(row, "host_moid"),
                attempt=_attempt(row),
                cluster=_opt_str(row, "cluster"),
                cluster_moid=_opt_str(row, "cluster_moid"),
                canary=bool(row.get("canary", False)),
                das_state_before=_opt_str(row, "das_state"),
            )
            self._add_new(rec)
        for row in skipped:
            rec = TaskRecord(
                run_id=self.run_id,
                vcenter=_req_str(row, "vcenter"),
                host=_req_str(row, "host"),
                host_moid=_req_str(row, "host_moid"),
                attempt=0,
                cluster=_opt_str(row, "cluster"),
                cluster_moid=_opt_str(row, "cluster_moid"),
                stage="skipped",
                outcome="skipped",
                skip_reason=_opt_str(row, "reason"),
                das_state_before=_opt_str(row, "das_state"),
            )
            self._add_new(rec)

    def _on_launching(self, entry: Mapping[str, Any]) -> TaskRecord:
        rec = self._record_for(entry)
        rec.stage = "launching"
        rec.launch_sent_at, rec.launch_answered_at = _opt_str(entry, "at"), None
        return rec

    def _on_launched(self, entry: Mapping[str, Any]) -> TaskRecord:
        rec = self._record_for(entry)
        rec.task_moid = _req_str(entry, "task_moid")
        rec.stage = "launched"
        rec.launch_answered_at = _opt_str(entry, "at")
        return rec

    def _on_launch_failed(self, entry: Mapping[str, Any]) -> TaskRecord:
        rec = self._record_for(entry)
        fault = entry.get("fault")
        if fault is not None and not isinstance(fault, dict):
            raise TypeError("launch_failed.fault must be a fault object")
        message = _opt_str(entry, "message")
        if fault is None and message:
            fault = {"_typeName": "MethodFault", "faultstring": message}
        rec.set_fault(fault)
        rec.stage, rec.outcome = "finished", "launch_failed"
        return rec

    def _on_finished(self, entry: Mapping[str, Any]) -> TaskRecord:
        rec = self._record_for(entry)
        task = _opt_str(entry, "task_moid")
        if task:
            rec.task_moid = task
        info = entry.get("info")
        if info is not None:
            rec.apply_task_info(info)
        outcome = _opt_str(entry, "outcome") or outcome_from_task_info(info)
        if outcome is None:
            raise ValueError("a finished record needs an outcome or a final task info")
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        rec.outcome = outcome
        rec.stage = "finished"
        return rec

    def _on_post_checked(self, entry: Mapping[str, Any]) -> TaskRecord:
        rec = self._record_for(entry)
        before, after = _opt_str(entry, "das_state_before"), _opt_str(entry, "das_state_after")
        if before is not None:
            rec.das_state_before = before
        rec.das_state_after = after
        healthy = entry.get("healthy")
        if healthy is not None and not isinstance(healthy, bool):
            raise TypeError("healthy must be a boolean")
        rec.healthy = healthy
        if healthy is False and rec.outcome == "success":
            rec.outcome = "agent_unhealthy"
        rec.stage = "post_checked"
        return rec

    def _on_events(self, entry: Mapping[str, Any]) -> TaskRecord:
        rec = self._record_for(entry)
        events = entry.get("events") or []
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise TypeError("events must be a list of event objects")
        rec.add_events(_opt_str(entry, "source") or "host_events", events)
        return rec

    def _on_not_launched(self, entry: Mapping[str, Any]) -> TaskRecord:
        rec = self._record_for(entry)
        outcome = _opt_str(entry, "outcome") or "not_launched"
        if outcome not in ("not_launched", "cancelled"):
            raise ValueError(f"a host not launched cannot end {outcome!r}")
        rec.stage, rec.outcome = "not_launched", outcome
        rec.skip_reason = _opt_str(entry, "reason")
        return rec

    def _on_stopped(self, entry: Mapping[str, Any]) -> None:
        self.stop_reason = _opt_str(entry, "reason") or self.stop_reason

    def _on_run_finished(self, entry: Mapping[str, Any]) -> None:
        self.lifecycle, self.detached_reason = "finished", None
        self.finished_at = _opt_str(entry, "finished_at")
        self.stop_reason = _opt_str(entry, "stop_reason") or self.stop_reason


_HANDLERS = {
    "run_started": RunRecords._on_run_started,
    "planned": RunRecords._on_planned,
    "launching": RunRecords._on_launching,
    "launched": RunRecords._on_launched,
    "launch_failed": RunRecords._on_launch_failed,
    "run_resumed": RunRecords._on_run_resumed,
    "run_detached": RunRecords._on_run_detached,
    "finished": RunRecords._on_finished,
    "post_checked": RunRecords._on_post_checked,
    "events": RunRecords._on_events,
    "not_launched": RunRecords._on_not_launched,
    "stopped": RunRecords._on_stopped,
    "run_finished": RunRecords._on_run_finished,
}
