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
    "TRANSIENT_DAS_STATES",
    "UNHEALTHY",
    "COLUMN_LABELS",
    "label",
    "RECONFIGURE_FIXES_WORDS",
    "DAS_STATES",
    "OUTCOMES",
    "FAILURE_OUTCOMES",
    "DIAGNOSED_OUTCOMES",
    "FINAL_TASK_OUTCOMES",
    "STAGES",
    "EVENT_SOURCES",
    "LIFECYCLE_STATES",
    "CAUSES",
    "CONFIDENCE_LEVELS",
]

#: the one method this kit exists for (*Reconfigure for vSphere HA*)
RECONFIGURE_METHOD = "ReconfigureHostForDAS_Task"

#: ``dasHostState.state`` values an operator reads as healthy
HEALTHY_DAS_STATES: frozenset[str] = frozenset({"master", "connectedToMaster"})

#: ``dasHostState.state`` values that are on their way somewhere (VMware: look again after a minute before calling
#: them broken); still unhealthy for selection, shown apart from the broken states
TRANSIENT_DAS_STATES: frozenset[str] = frozenset({"election", "retry"})

#: what "unhealthy" means, everywhere (``vc.hosts(only_unhealthy=True)``, ``vsphere-nb hosts --only-unhealthy``,
#: the panel's "unhealthy" chip and filter); computed by :func:`vsphere_nb.fleet.eligibility.unhealthy_mask`
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
#: outcomes of a last attempt that make the diagnosis look at a host whatever its HA state: the failures and a
#: cancelled task (the host still lacks HA); ``lost`` is left to the host's HA state, as vCenter forgot the task
DIAGNOSED_OUTCOMES: frozenset[str] = frozenset({"fault", "launch_failed", "timed_out", "agent_unhealthy", "cancelled"})
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


#: the causes the diagnosis names (``cause`` column), with what each means (README "Causes"); every cause has
#: a colour and a label in :mod:`vsphere_nb.tables.palette`
CAUSES: dict[str, str] = {
    "management-network": "the host cannot talk to its peers over the management network (VLAN, NIC, switch, IP version)",
    "isolation-address": "the host can ping none of its isolation addresses",
    "datastore-access": "no (or too few) datastores for the agent or for heartbeating",
    "agent-install": "the HA agent (FDM VIB) did not install: disk, memory, pending reboot",
    "image-remediation": "the image-managed cluster's desired image / HA VIB remediation failed",
    "election": "transient: no primary agent yet (an election is running)",
    "certificate": "vCenter lacks the host's expected SSL thumbprint / certificate",
    "permissions": "the user or vCenter's solution user lacks a privilege",
    "host-unreachable": "vCenter (or the primary) cannot reach the host or its agent",
    "vsan-network": "HA runs over the vSAN network and the host cannot use it",
    "timeout": "the agent did not answer in time",
    "agent-unhealthy-after-success": "the reconfigure task succeeded but the agent stays unhealthy",
    "unknown": "no rule matched: read the events and the task output",
}
#: how sure the diagnosis is of a cause, weakest first
CONFIDENCE_LEVELS: tuple[str, ...] = ("low", "medium", "high")

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


#: what a plan or a diagnosis says about ``reconfigure_fixes`` (the panels' cells, the terminal's plan)
RECONFIGURE_FIXES_WORDS: dict[bool | None, str] = {True: "reconfigure fixes", False: "fix first", None: "fix not known"}


def label(column: str) -> str:
    """The label people read for ``column`` (:data:`COLUMN_LABELS`, else the name with spaces)."""
    return COLUMN_LABELS.get(column, column.replace("_", " "))
