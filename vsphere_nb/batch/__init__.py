"""The batch job: limits, pre-flight, planning, scheduling, the live engine, journal, results, charts, report.

Only the engine's I/O parts talk to vCenter (through the client): :mod:`.launcher` (the exactly-once launch),
:mod:`.watch` (one PropertyCollector), :mod:`.event_feed` (one event collector). The rest is pure and tested
without a server: :class:`Scheduler` (caps, canary gate, failure budget, cancel), :class:`AttemptBook` (what each
fact from vCenter means), :func:`match_events`, :func:`plan_resume`, :class:`RunRecords` (the journal replayed).
:mod:`.engine` wires them; :mod:`.handle` ends a run *finished* or *detached*; :mod:`.resuming` finishes a detached
one. :class:`Journal` writes one record per step, before the step (``launching`` precedes the request).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from ..fleet.eligibility import eligible_only, preflight, unhealthy_only
    from ..vocabulary import FAILURE_OUTCOMES, HEALTHY_DAS_STATES, OUTCOMES, STAGES
    from .attempts import AttemptBook
    from .charts import (
        causes_by_cluster,
        events_over_time,
        events_swimlane,
        fault_reasons,
        figure_png,
        outcomes_by_cluster,
        task_timeline,
    )
    from .event_columns import EventColumns
    from .event_matching import match_events
    from .execute import BatchRun, ReconfigurePlan, plan_reconfigure, resume
    from .frames import SCHEMAS, Frames, build_frames, coerce, empty_frame, hosts_frame
    from .handle import RunHandle
    from .journal import (
        JOURNAL_NAME,
        Journal,
        JournalContents,
        JournalState,
        new_run_id,
        read_journal,
        state_from_journal,
    )
    from .limits import BatchLimits, FailureBudget
    from .plan import Plan, PlannedHost, SkippedHost, make_plan
    from .progress import HOST_STATES, Progress
    from .records import RunRecords, TaskRecord
    from .report import render_report, write_report
    from .result import RunResult, load_run
    from .resume_plan import plan_resume
    from .scheduler import STOP_BUDGET_EXCEEDED, STOP_CANARY_FAILED, STOP_CANCELLED, STOP_REASON_TEXT, Scheduler

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "causes_by_cluster": ".charts",
        "events_over_time": ".charts",
        "events_swimlane": ".charts",
        "fault_reasons": ".charts",
        "figure_png": ".charts",
        "outcomes_by_cluster": ".charts",
        "task_timeline": ".charts",
        "AttemptBook": ".attempts",
        "match_events": ".event_matching",
        "BatchRun": ".execute",
        "ReconfigurePlan": ".execute",
        "plan_reconfigure": ".execute",
        "RunHandle": ".handle",
        "plan_resume": ".resume_plan",
        "resume": ".execute",
        "SCHEMAS": ".frames",
        "Frames": ".frames",
        "build_frames": ".frames",
        "coerce": ".frames",
        "empty_frame": ".frames",
        "hosts_frame": ".frames",
        "JOURNAL_NAME": ".journal",
        "Journal": ".journal",
        "JournalContents": ".journal",
        "JournalState": ".journal",
        "new_run_id": ".journal",
        "read_journal": ".journal",
        "state_from_journal": ".journal",
        "BatchLimits": ".limits",
        "FailureBudget": ".limits",
        "Plan": ".plan",
        "PlannedHost": ".plan",
        "SkippedHost": ".plan",
        "make_plan": ".plan",
        "eligible_only": "..fleet.eligibility",
        "preflight": "..fleet.eligibility",
        "unhealthy_only": "..fleet.eligibility",
        "HOST_STATES": ".progress",
        "Progress": ".progress",
        "FAILURE_OUTCOMES": "..vocabulary",
        "HEALTHY_DAS_STATES": "..vocabulary",
        "OUTCOMES": "..vocabulary",
        "STAGES": "..vocabulary",
        "EventColumns": ".event_columns",
        "RunRecords": ".records",
        "TaskRecord": ".records",
        "render_report": ".report",
        "write_report": ".report",
        "RunResult": ".result",
        "load_run": ".result",
        "STOP_BUDGET_EXCEEDED": ".scheduler",
        "STOP_CANARY_FAILED": ".scheduler",
        "STOP_CANCELLED": ".scheduler",
        "STOP_REASON_TEXT": ".scheduler",
        "Scheduler": ".scheduler",
    },
)

__all__ = [
    # planning and running
    "plan_reconfigure",
    "ReconfigurePlan",
    "RunHandle",
    "BatchRun",
    "resume",
    "plan_resume",
    "AttemptBook",
    "match_events",
    "Progress",
    "HOST_STATES",
    # limits, pre-flight, plan, scheduler
    "BatchLimits",
    "FailureBudget",
    "preflight",
    "unhealthy_only",
    "eligible_only",
    "Plan",
    "PlannedHost",
    "SkippedHost",
    "make_plan",
    "Scheduler",
    "STOP_CANCELLED",
    "STOP_CANARY_FAILED",
    "STOP_BUDGET_EXCEEDED",
    "STOP_REASON_TEXT",
    # journal and records
    "JOURNAL_NAME",
    "Journal",
    "JournalContents",
    "JournalState",
    "read_journal",
    "state_from_journal",
    "new_run_id",
    "RunRecords",
    "TaskRecord",
    "EventColumns",
    "OUTCOMES",
    "FAILURE_OUTCOMES",
    "HEALTHY_DAS_STATES",
    "STAGES",
    # results
    "SCHEMAS",
    "Frames",
    "build_frames",
    "hosts_frame",
    "coerce",
    "empty_frame",
    "RunResult",
    "load_run",
    "outcomes_by_cluster",
    "fault_reasons",
    "task_timeline",
    "events_over_time",
    "events_swimlane",
    "causes_by_cluster",
    "figure_png",
    "render_report",
    "write_report",
]
