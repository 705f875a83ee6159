"""The batch job: limits, pre-flight, planning, scheduling, the live engine, journal, results, charts, report.

Only :mod:`.engine` and :mod:`.execute` talk to vCenter (through the client). The live engine uses three seams:

* :class:`Scheduler` — asks ``launchable()``, reports ``launched(host)`` / ``finished(host, outcome)`` /
  ``cancel()``; caps, canary gate and failure budget live there.
* :class:`Journal` — one record per step, written before the step (``launching`` precedes the request);
  :func:`state_from_journal` tells ``resume`` what may already exist on vCenter.
* :class:`RunRecords` — apply each journal record to it and :class:`RunResult` shows the run as DataFrames.
"""

from __future__ import annotations

from .charts import events_over_time, fault_reasons, figure_png, outcomes_by_cluster, task_timeline
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
    "figure_png",
    "render_report",
    "write_report",
    "synthetic_records",
    "synthetic_hosts",
]
