"""The in-memory result model of a run: one :class:`TaskRecord` of plain Python values per host attempt.

The model is built by *applying journal records* (:meth:`RunRecords.apply`): the live engine writes a record to
the journal and applies the very same dict here, and an offline reader replays the journal through the same
method. So what a notebook shows during a run and what ``load_run`` shows after a crash cannot disagree.

Values stay as they came off the wire (ISO-8601 strings, the fault wire dict); events are reduced to the
events-frame columns as they arrive (:class:`EventColumns`), so a million of them cost no dicts in memory and no
re-reading per rebuild. Turning all this into DataFrames is the job of :mod:`vsphere_nb.batch.frames`.

Outcomes (the ``outcome`` column of the tasks frame):

==================  ============================================================================================
``success``          the task ended ``success`` (and, with post-check on, the HA agent is healthy afterwards)
``agent_unhealthy``  the task ended ``success`` but ``dasHostState`` was not ``master``/``connectedToMaster``
                     when the post-check gave up
``fault``            the task ended ``error`` with a fault (``TaskInfo.error``)
``launch_failed``    ``ReconfigureHostForDAS_Task`` itself answered a fault; no task exists
``skipped``          pre-flight excluded the host (``skip_reason`` says why); attempt ``0``
``timed_out``        the task did not end within ``task_timeout``
``cancelled``        the task ended ``error`` with ``cancelled: true`` (we or someone else cancelled it)
``not_launched``     planned but never launched: the run stopped (canary failed, failure budget exceeded, cancel)
==================  ============================================================================================

An attempt still under way has no outcome yet (``None``; ``NaN`` in frames).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "OUTCOMES",
    "FAILURE_OUTCOMES",
    "EventColumns",
    "EVENT_FIELDS",
    "SEVERITY_BY_TYPE",
    "event_severity",
    "fault_chain",
    "fault_events",
    "FINAL_TASK_OUTCOMES",
    "HEALTHY_DAS_STATES",
    "STAGES",
    "EVENT_SOURCES",
    "AttemptKey",
    "TaskRecord",
    "RunRecords",
    "outcome_from_task_info",
    "unwrap_fault",
]

#: every outcome, in the order tables and charts list them
OUTCOMES: tuple[str, ...] = (
    "success",
    "agent_unhealthy",
    "fault",
    "launch_failed",
    "skipped",
    "timed_out",
    "cancelled",
    "not_launched",
)
#: outcomes that count against the failure budget and close the canary gate
FAILURE_OUTCOMES: frozenset[str] = frozenset({"agent_unhealthy", "fault", "launch_failed", "timed_out"})
#: outcomes a launched host can end with (what :meth:`Scheduler.finished` accepts)
FINAL_TASK_OUTCOMES: frozenset[str] = frozenset(
    {"success", "agent_unhealthy", "fault", "launch_failed", "timed_out", "cancelled"}
)
#: ``ClusterDasFdmHostState.state`` values that mean "the HA agent is fine"
HEALTHY_DAS_STATES: frozenset[str] = frozenset({"master", "connectedToMaster"})

#: where an attempt stands, as the journal tells it (what ``resume`` needs)
STAGES: tuple[str, ...] = (
    "planned",  # in the plan, nothing sent yet
    "launching",  # the launch request was about to be sent; no answer recorded: the task may or may not exist
    "launched",  # the server answered a Task MoRef (``task_moid``); no final state recorded yet
    "finished",  # final: task info recorded, or the launch answered a fault (outcome ``launch_failed``)
    "post_checked",  # final, and the HA state was re-read afterwards
    "not_launched",  # final: the run stopped before this host was launched
    "skipped",  # final: pre-flight excluded the host
)
#: where an event row came from, in priority order when the same event arrives twice
EVENT_SOURCES: tuple[str, ...] = ("fault", "task_chain", "host_events")

#: ``(vcenter, host_moid, attempt)``
AttemptKey = tuple[str, str, int]


def unwrap_fault(fault: Any) -> dict[str, Any] | None:
    """The fault dict itself: unwraps the SOAP-era ``LocalizedMethodFault`` ``{fault, localizedMessage}``."""
    for _ in range(4):
        if not isinstance(fault, dict):
            return None
        if fault.get("_typeName") == "LocalizedMethodFault" and isinstance(fault.get("fault"), dict):
            inner = dict(fault["fault"])
            text = fault.get("localizedMessage")
            if isinstance(text, str) and "faultstring" not in inner:
                inner["localizedMessage"] = text
            fault = inner
            continue
        return fault
    return fault if isinstance(fault, dict) else None


def outcome_from_task_info(info: Mapping[str, Any] | None, *, timed_out: bool = False) -> str | None:
    """The outcome a final ``TaskInfo`` wire dict stands for; ``None`` while the task is queued/running."""
    if timed_out:
        return "timed_out"
    if not info:
        return None
    state = _boxed_str(info.get("state"))
    if state == "success":
        return "success"
    if state == "error":
        return "cancelled" if info.get("cancelled") is True else "fault"
    return None


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else None


def _boxed_str(value: Any) -> Any:
    if isinstance(value, dict) and "_value" in value:
        return value["_value"]
    return value


def _moid(value: Any) -> str | None:
    """``task-1`` from a MoRef wire dict (flat or boxed), or a plain string."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("_value") if isinstance(value.get("_value"), dict) else value
        moid = inner.get("value")
        return moid if isinstance(moid, str) else None
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


#: severity of event types that do not carry one (``EventEx`` does); any other type is ``info``
SEVERITY_BY_TYPE: dict[str, str] = {
    "HostDasErrorEvent": "error",
    "DasHostFailedEvent": "error",
    "DasHostIsolatedEvent": "error",
    "DasAgentUnavailableEvent": "error",
    "DasClusterIsolatedEvent": "error",
    "HostConnectionLostEvent": "error",
    "HostIsolationIpPingFailedEvent": "warning",
    "HostNoRedundantManagementNetworkEvent": "warning",
    "HostMissingNetworksEvent": "warning",
    "HostShortNameToIpFailedEvent": "warning",
    "InsufficientFailoverResourcesEvent": "warning",
    "HostNotInClusterEvent": "warning",
}


def event_severity(event: Mapping[str, Any]) -> str:
    """``EventEx.severity`` when present, else derived from the type (``HostDasErrorEvent`` → ``error``)."""
    sev = event.get("severity")
    if isinstance(sev, str) and sev:
        return sev
    return SEVERITY_BY_TYPE.get(event.get("_typeName"), "info")  # type: ignore[arg-type]


#: the per-event columns of :class:`EventColumns`, in the events frame's order
EVENT_FIELDS: tuple[str, ...] = (
    "source",
    "event_key",
    "chain_id",
    "event_type",
    "event_type_id",
    "created_time",
    "user_name",
    "severity",
    "message",
)
_SOURCE_RANK = {name: i for i, name in enumerate(EVENT_SOURCES)}


def _interned(values: list[Any]) -> list[Any]:
    """Labels repeat across a million events: one shared string each (less memory, faster factorizing)."""
    intern = sys.intern
    return [intern(v) if type(v) is str else v for v in values]


def _rank(source: Any) -> int:
    return _SOURCE_RANK.get(source, len(_SOURCE_RANK))


@dataclass(slots=True)
class EventColumns:
    """The events of one attempt, already reduced to the events-frame columns (one list per column).

    Each event is read out of its wire dict once, when it arrives (:meth:`add_wire`), not every time the frames
    are rebuilt, and the same event reported by several sources (the task's event chain and the host's event
    window overlap) is kept once, labelled with the first source of :data:`EVENT_SOURCES`. That keeps
    rebuilding the frames of a million-event run cheap and the dicts out of memory; the journal keeps the full
    wire JSON.
    """

    source: list[str] = field(default_factory=list)
    event_key: list[Any] = field(default_factory=list)
    chain_id: list[Any] = field(default_factory=list)
    event_type: list[Any] = field(default_factory=list)
    event_type_id: list[Any] = field(default_factory=list)
    created_time: list[Any] = field(default_factory=list)
    user_name: list[Any] = field(default_factory=list)
    severity: list[Any] = field(default_factory=list)
    message: list[Any] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.event_type)

    def add_wire(self, source: str, events: Iterable[Mapping[str, Any]]) -> int:
        """Add event wire dicts from ``source``; returns how many were new. ``event_type_id`` = ``eventTypeId``
        else ``_typeName``; ``message`` = ``fullFormattedMessage`` else ``message``; ``severity`` from
        :func:`event_severity`. Items that are not objects are ignored."""
        evs = [e for e in events if e.__class__ is dict or isinstance(e, Mapping)]
        if not evs:
            return 0
        keys = [e.get("key") for e in evs]
        keep = self._new_positions(source, keys)
        if len(keep) != len(evs):
            evs = [evs[j] for j in keep]
            keys = [keys[j] for j in keep]
        types = _interned([t if t.__class__ is str else None for t in (e.get("_typeName") for e in evs)])
        by_type = SEVERITY_BY_TYPE
        self.source.extend([sys.intern(source) if type(source) is str else source] * len(evs))
        self.event_key.extend(keys)
        self.chain_id.extend([e.get("chainId") for e in evs])
        self.event_type.extend(types)
        self.event_type_id.extend(_interned([e.get("eventTypeId") or t for e, t in zip(evs, types)]))
        self.created_time.extend(
            [c if c is None or isinstance(c, str) else _iso(c) for c in (e.get("createdTime") for e in evs)]
        )
        self.user_name.extend(_interned([e.get("userName") for e in evs]))
        self.severity.extend(
            _interned(
                [
                    sev if sev and sev.__class__ is str else by_type.get(t, "info")
                    for sev, t in zip((e.get("severity") for e in evs), types)
                ]
            )
        )
        self.message.extend([e.get("fullFormattedMessage") or e.get("message") for e in evs])
        return len(evs)

    def _new_positions(self, source: str, keys: list[Any]) -> list[int]:
        """Positions in ``keys`` of events not seen yet; a repeat from a better source relabels the old row."""
        index: dict[int, int] = {}
        for pos, key in enumerate(self.event_key):
            if type(key) is int and key:
                index.setdefault(key, pos)
        rank = _rank(source)
        keep: list[int] = []
        for j, key in enumerate(keys):
            if type(key) is int and key:
                pos = index.get(key)
                if pos is not None:
                    if pos < len(self.source) and rank < _rank(self.source[pos]):
                        self.source[pos] = source
                    continue
                index[key] = len(self.event_key) + len(keep)
            keep.append(j)
        return keep


def fault_chain(fault: Any, limit: int = 32) -> list[dict[str, Any]]:
    """The fault and every ``faultCause`` below it, unwrapped, outermost first."""
    chain: list[dict[str, Any]] = []
    node = unwrap_fault(fault)
    while node is not None and len(chain) < limit:
        chain.append(node)
        node = unwrap_fault(node.get("faultCause"))
    return chain


def fault_events(fault: Any) -> list[dict[str, Any]]:
    """The ``event`` lists of every ``DasConfigFault`` in the fault chain (what explains the failure)."""
    events: list[dict[str, Any]] = []
    for node in fault_chain(fault):
        found = node.get("event")
        if isinstance(found, list):
            events.extend(e for e in found if isinstance(e, dict))
    return events


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
        moid = _moid(info.get("task"))
        if moid:
            self.task_moid = moid
        state = _boxed_str(info.get("state"))
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
        self.run_finished = False

    # -- access ----------------------------------------------------------------------------------
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
        for rec in self.records.values():
            rec.run_id = self.run_id

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
        return rec

    def _on_launched(self, entry: Mapping[str, Any]) -> TaskRecord:
        rec = self._record_for(entry)
        rec.task_moid = _req_str(entry, "task_moid")
        rec.stage = "launched"
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

    def _on_task_update(self, entry: Mapping[str, Any]) -> TaskRecord:
        rec = self._record_for(entry)
        info = entry.get("info")
        if info is not None:
            rec.apply_task_info(info)
        if rec.stage in ("planned", "launching"):
            rec.stage = "launched"
        return rec

    def _on_finished(self, entry: Mapping[str, Any]) -> TaskRecord:
        rec = self._record_for(entry)
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
        rec.stage, rec.outcome = "not_launched", "not_launched"
        rec.skip_reason = _opt_str(entry, "reason")
        return rec

    def _on_stopped(self, entry: Mapping[str, Any]) -> None:
        self.stop_reason = _opt_str(entry, "reason") or self.stop_reason

    def _on_run_finished(self, entry: Mapping[str, Any]) -> None:
        self.run_finished = True
        self.finished_at = _opt_str(entry, "finished_at")
        self.stop_reason = _opt_str(entry, "stop_reason") or self.stop_reason


_HANDLERS = {
    "run_started": RunRecords._on_run_started,
    "planned": RunRecords._on_planned,
    "launching": RunRecords._on_launching,
    "launched": RunRecords._on_launched,
    "launch_failed": RunRecords._on_launch_failed,
    "task_update": RunRecords._on_task_update,
    "finished": RunRecords._on_finished,
    "post_checked": RunRecords._on_post_checked,
    "events": RunRecords._on_events,
    "not_launched": RunRecords._on_not_launched,
    "stopped": RunRecords._on_stopped,
    "run_finished": RunRecords._on_run_finished,
}
