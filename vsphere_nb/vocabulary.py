"""The words vsphere-nb uses everywhere, defined once (a leaf module: it imports nothing, so the wire format, the
palette and the CLI can all read it without loading anything else): the method, the HA states, outcomes, stages, columns.

Every module that needs one of these imports it from here (the frames' categories, the scheduler's failure
budget, the widgets' filters, the CLI's exit code, the simulator's method table), so a new outcome or column is
added in one place.

Outcomes (the ``outcome`` column of the tasks frame):

==================  ============================================================================================
``success``          the task ended ``success`` (and, with post-check on, the HA agent is healthy afterwards)
``agent_unhealthy``  the task ended ``success`` but ``dasHostState`` was not ``master``/``connectedToMaster``
                     when the post-check gave up
``fault``            the task ended ``error`` with a fault (``TaskInfo.error``)
``launch_failed``    ``ReconfigureHostForDAS_Task`` itself answered a fault (no task exists), or the launch's
                     fate could not be established and the host was deliberately not relaunched
``skipped``          pre-flight excluded the host (``skip_reason`` says why); attempt ``0``
``timed_out``        the task did not end within ``task_timeout`` (it is left to vCenter)
``cancelled``        the task ended ``error`` with ``cancelled: true``, or the run was cancelled before this host
                     was launched (a cancel is a decision: ``resume`` does not launch it)
``not_launched``     planned but never launched because the run stopped itself (canary failed, failure budget)
``lost``             the task vanished from vCenter: neither the host's ``recentTask`` nor its ``TaskEvent`` s know
                     it any more (a vCenter restart drops running tasks); whether HA was configured is unknown
==================  ============================================================================================

An attempt still under way has no outcome yet; its ``stage`` (:data:`STAGES`) says how far it got.
"""

from __future__ import annotations

__all__ = [
    "RECONFIGURE_METHOD",
    "HEALTHY_DAS_STATES",
    "UNHEALTHY",
    "COLUMN_LABELS",
    "label",
    "DAS_STATES",
    "OUTCOMES",
    "FAILURE_OUTCOMES",
    "FINAL_TASK_OUTCOMES",
    "STAGES",
    "EVENT_SOURCES",
    "LIFECYCLE_STATES",
    "HOST_COLUMN_KINDS",
    "HOST_COLUMNS",
]

#: the one method this kit exists for (*Reconfigure for vSphere HA*)
RECONFIGURE_METHOD = "ReconfigureHostForDAS_Task"

#: ``dasHostState.state`` values an operator reads as healthy
HEALTHY_DAS_STATES: frozenset[str] = frozenset({"master", "connectedToMaster"})

#: what "unhealthy" means, everywhere (``vc.hosts(only_unhealthy=True)``, ``vsphere-nb hosts --only-unhealthy``,
#: the panel's "unhealthy" chip and filter); computed by :func:`vsphere_nb.batch.eligibility.unhealthy_mask`
UNHEALTHY = "vSphere HA enabled on its cluster, and the HA agent not master/connectedToMaster or the host not connected"

#: ``ClusterDasFdmAvailabilityState`` values, healthy first (the order tables and filters list them)
DAS_STATES: tuple[str, ...] = (
    "master",
    "connectedToMaster",
    "election",
    "uninitialized",
    "networkPartitionedFromMaster",
    "networkIsolated",
    "hostDown",
    "initializationError",
    "uninitializationError",
    "fdmUnreachable",
    "retry",
)

#: every outcome, in the order tables and charts list them (see the module doc)
OUTCOMES: tuple[str, ...] = (
    "success",
    "agent_unhealthy",
    "fault",
    "launch_failed",
    "skipped",
    "timed_out",
    "cancelled",
    "not_launched",
    "lost",
)
#: outcomes that count against the failure budget and close the canary gate
FAILURE_OUTCOMES: frozenset[str] = frozenset({"agent_unhealthy", "fault", "launch_failed", "timed_out", "lost"})
#: outcomes a host that held a slot can end with (what ``Scheduler.finished`` accepts)
FINAL_TASK_OUTCOMES: frozenset[str] = frozenset(
    {"success", "agent_unhealthy", "fault", "launch_failed", "timed_out", "cancelled", "lost"}
)

#: where an attempt stands, as the journal tells it (what ``resume`` needs)
STAGES: tuple[str, ...] = (
    "planned",  # in the plan, nothing sent yet
    "launching",  # the launch request was about to be sent; no answer recorded: the task may or may not exist
    "launched",  # the server answered a Task MoRef (``task_moid``); no final state recorded yet
    "finished",  # final: task info recorded, or the launch answered a fault (outcome ``launch_failed``)
    "post_checked",  # final, and the HA state was re-read afterwards
    "not_launched",  # final: the run stopped (or was cancelled) before this host was launched
    "skipped",  # final: pre-flight excluded the host
)

#: where an event row came from, in priority order when the same event arrives twice
EVENT_SOURCES: tuple[str, ...] = ("fault", "task_chain", "host_events", "history")

#: a run's lifecycle (``run.json`` ``lifecycle``): a process is driving it; it was left unfinished (``resume``
#: finishes it); every planned host has its final outcome
LIFECYCLE_STATES: tuple[str, ...] = ("running", "detached", "finished")

#: the ``hosts`` frame: column → kind (see ``vsphere_nb.batch.frames`` for the kinds' dtypes), in column order
HOST_COLUMN_KINDS: dict[str, str] = {
    "vcenter": "id",
    "datacenter": "id",
    "cluster": "id",
    "cluster_moid": "id",
    "host": "id",
    "host_moid": "id",
    "connection_state": "category",
    "power_state": "category",
    "in_maintenance": "boolean",
    "ha_enabled": "boolean",
    "das_state": "category",
    "das_state_reporter": "category",
    "version": "category",
    "build": "category",
    "datastores": "string",
    "config_issues": "string",
    "overall_status": "category",
    "disabled_methods": "string",
    "eligible": "boolean",
    "skip_reason": "category",
    "data_issues": "string",
}
#: the ``hosts`` frame's columns, in order
HOST_COLUMNS: list[str] = list(HOST_COLUMN_KINDS)

#: the one label of each column a person reads (panels' grids and tables, the CLI's table headers, the HTML
#: report); a column not listed reads as its name with spaces. Programs keep using the column names
#: (``--columns``, ``-o csv``, the frames).
COLUMN_LABELS: dict[str, str] = {
    "vcenter": "vCenter",
    "host_moid": "host moId",
    "cluster_moid": "cluster moId",
    "connection_state": "connection",
    "power_state": "power",
    "in_maintenance": "maintenance",
    "ha_enabled": "HA enabled",
    "das_state": "HA state",
    "das_state_reporter": "HA state from",
    "das_state_before": "HA state before",
    "das_state_after": "HA state after",
    "skip_reason": "why skipped",
    "config_issues": "config issues",
    "data_issues": "data issues",
    "overall_status": "status",
    "disabled_methods": "disabled methods",
    "task_moid": "task",
    "fault_type": "fault",
    "fault_reason": "fault reason",
    "fault_message": "fault message",
    "fault_output": "agent output",
    "output": "agent output",
    "duration_s": "seconds",
    "queued_at": "queued",
    "started_at": "started",
    "completed_at": "completed",
    "created_time": "time",
    "event_type_id": "event type",
    "event_key": "event key",
    "chain_id": "chain",
    "event_chain_id": "event chain",
    "user_name": "user",
    "next_step": "next step",
    "reconfigure_fixes": "reconfigure fixes it",
}


def label(column: str) -> str:
    """The label people read for ``column`` (:data:`COLUMN_LABELS`, else the name with spaces)."""
    return COLUMN_LABELS.get(column, column.replace("_", " "))
