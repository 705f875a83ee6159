"""The batch job: limits, pre-flight, planning, scheduling, the live engine, journal, results, charts, report.

Only :mod:`.engine` and :mod:`.execute` talk to vCenter (through the client). The live engine uses three seams:

* :class:`Scheduler` — asks ``launchable()``, reports ``launched(host)`` / ``finished(host, outcome)`` /
  ``cancel()``; caps, canary gate and failure budget live there.
* :class:`Journal` — one record per step, written before the step (``launching`` precedes the request);
  :func:`state_from_journal` tells ``resume`` what may already exist on vCenter.
* :class:`RunRecords` — apply each journal record to it and :class:`RunResult` shows the run as DataFrames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .charts import (
        causes_by_cluster,
        events_over_time,
        events_swimlane,
        fault_reasons,
        figure_png,
        outcomes_by_cluster,
        task_timeline,
    )
    from .execute import BatchRun, ReconfigurePlan, RunHandle, plan_reconfigure, resume
    from .frames import SCHEMAS, Frames, build_frames, coerce, empty_frame, hosts_frame
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
    from .preflight import eligible_only, preflight, unhealthy_only
    from .progress import HOST_STATES, Progress
    from .records import (
        FAILURE_OUTCOMES,
        HEALTHY_DAS_STATES,
        OUTCOMES,
        STAGES,
        EventColumns,
        RunRecords,
        TaskRecord,
    )
    from .report import render_report, write_report
    from .result import RunResult, load_run
    from .scheduler import STOP_BUDGET_EXCEEDED, STOP_CANARY_FAILED, STOP_CANCELLED, STOP_REASON_TEXT, Scheduler
    from .synthetic import synthetic_hosts, synthetic_records

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "events_over_time": ".charts",
        "events_swimlane": ".charts",
        "causes_by_cluster": ".charts",
        "fault_reasons": ".charts",
        "figure_png": ".charts",
        "outcomes_by_cluster": ".charts",
        "task_timeline": ".charts",
        "BatchRun": ".execute",
        "ReconfigurePlan": ".execute",
        "RunHandle": ".execute",
        "plan_reconfigure": ".execute",
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
        "eligible_only": ".preflight",
        "preflight": ".preflight",
        "unhealthy_only": ".preflight",
        "HOST_STATES": ".progress",
        "Progress": ".progress",
        "FAILURE_OUTCOMES": ".records",
        "HEALTHY_DAS_STATES": ".records",
        "OUTCOMES": ".records",
        "STAGES": ".records",
        "EventColumns": ".records",
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
        "synthetic_hosts": ".synthetic",
        "synthetic_records": ".synthetic",
    },
)

__all__ = [
    # planning and running
    "plan_reconfigure",
    "ReconfigurePlan",
    "RunHandle",
    "BatchRun",
    "resume",
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
    "synthetic_records",
    "synthetic_hosts",
]
