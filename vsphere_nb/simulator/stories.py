"""Root-cause stories, as data: what each cause of the diagnosis vocabulary looks like on a vCenter.

A scenario rule with ``root_cause: management-network`` (any cause of :data:`STORY_CAUSES`) makes the simulator
tell that cause's story for the hosts it matches (:mod:`.storytelling` acts it out on the vCenter):

* **before any reconfigure** — the host's ``dasHostState`` (``networkPartitionedFromMaster``, ``networkIsolated``,
  ``uninitialized`` …), its ``configIssue`` (the HA error vCenter would list, with realistic text), the backdated HA
  event history of the last three days (state changes, agent errors, isolation pings failing, no management
  redundancy, too few heartbeat datastores, host failures …), the FDM agent's log (:data:`AGENT_LOG`), its
  datastores (``datastore-access``: still mounted, every mount inaccessible — all paths down — so the primary has
  no heartbeat datastore for it), its connection (``notResponding`` for ``host-unreachable``), its management
  vmknics (one where redundancy is missing), the cluster's isolation address and the cluster's own config issue
  (``InsufficientFailoverResourcesEvent`` when too few healthy hosts are left to tolerate the failover level);
* **when reconfigured** — the rule's defaults (:func:`.scenarios.Rule` fills them from :data:`STORIES`): outcome,
  ``DasConfigFault.reason``, ``HostDasErrorEvent`` reason, ``output`` and extra events matching the cause (a rule
  may still override any of them).

This module is data only: it imports nothing of the simulator, so scenarios (which validate a rule's cause and
take its defaults from here) and the storyteller (which acts on the vCenter) both read it from above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "STORY_CAUSES",
    "Story",
    "STORIES",
    "AGENT_LOG",
    "ISOLATION_ADDRESS",
    "WRONG_MANAGEMENT_VLAN",
    "INACCESSIBLE_REASON",
    "HISTORY_DAYS",
    "HISTORY_REPEATS",
]

#: the isolation address of the simulated clusters (``das.isolationaddress0``) that story hosts cannot ping
ISOLATION_ADDRESS = "10.10.0.1"


@dataclass(frozen=True)
class Story:
    """What a root cause looks like: initial state, config issue, history and the reconfigure's outcome."""

    das_state: str
    issue_reason: str  # HostDasErrorEvent.reason of the configIssue
    issue_text: str  # its message; {isolation} is the cluster's isolation address
    history: tuple[tuple[str, dict[str, Any]], ...]  # (event type, fields) logged a few times over three days
    outcome: str = "error"
    reason: str | None = None
    host_error: str | None = None
    output: str | None = None
    fault_message: str | None = None
    events: tuple[dict[str, Any], ...] = ()
    times: int | None = None
    agent_unhealthy_seconds: float | None = None
    unhealthy_state: str | None = None


_NET_OUT = (
    "[fdm-installer] Configuring vSphere HA agent\n"
    "[fdm-installer] ERROR: vmk0 cannot reach 6 of 7 cluster peers on the management network (VLAN 112 tag mismatch)\n"
    "[fdm-installer] Aborting: host network misconfiguration"
)
STORIES: dict[str, Story] = {
    "management-network": Story(
        das_state="networkPartitionedFromMaster",
        issue_reason="communicationInitFailed",
        issue_text="vSphere HA agent cannot communicate with the primary over the management network",
        history=(
            ("HostNoRedundantManagementNetworkEvent", {}),
            ("com.vmware.vc.HA.HostStateChangedEvent", {"text": "networkPartitionedFromMaster"}),
        ),
        reason="HostNetworkMisconfiguration",
        host_error="communicationInitFailed",
        output=_NET_OUT,
        events=({"type": "HostNoRedundantManagementNetworkEvent"},),
    ),
    "isolation-address": Story(
        das_state="networkIsolated",
        issue_reason="isolationAddressUnpingable",
        issue_text="vSphere HA agent could not reach isolation address {isolation}",
        history=(
            ("HostIsolationIpPingFailedEvent", {"isolationIp": "{isolation}"}),
            ("com.vmware.vc.HA.HostStateChangedEvent", {"text": "networkIsolated"}),
        ),
        reason="HostNetworkMisconfiguration",
        host_error="isolationAddressUnpingable",
        output=f"[fdm] Isolation address {ISOLATION_ADDRESS} is not pingable from vmk0\n"
        "[fdm] Aborting: host network misconfiguration",
        events=({"type": "HostIsolationIpPingFailedEvent", "isolationIp": ISOLATION_ADDRESS},),
    ),
    "datastore-access": Story(
        das_state="uninitialized",
        issue_reason="configFailed",
        issue_text="The number of vSphere HA heartbeat datastores for this host is 0, which is less than required: 2",
        history=(
            ("com.vmware.vc.HA.HeartbeatDatastoreNotSufficient", {"text": "0"}),
            ("com.vmware.vc.HA.HostStateChangedEvent", {"text": "uninitialized"}),
        ),
        reason="NoDatastoresConfigured",
        host_error="configFailed",
    ),
    "agent-install": Story(
        das_state="initializationError",
        issue_reason="configFailed",
        issue_text="Cannot install the vSphere HA agent: Not enough space on /tmp; the host requires a reboot",
        history=(("com.vmware.vc.HA.HostAgentErrorEvent", {"text": "configFailed"}),),
        reason="HostMisconfiguration",
        host_error="configFailed",
    ),
    "image-remediation": Story(
        das_state="initializationError",
        issue_reason="configFailed",
        issue_text="Cannot apply the vSphere HA VIBs on the cluster: the desired image could not be applied",
        history=(("com.vmware.vc.HA.HostAgentErrorEvent", {"text": "configFailed"}),),
        reason="ApplyHAVibsOnClusterFailed",
        host_error="configFailed",
    ),
    "election": Story(
        das_state="election",
        issue_reason="agentFailed",
        issue_text="",
        history=(("com.vmware.vc.HA.HostStateChangedEvent", {"text": "election"}),),
        reason="NoPrimaryAgentAvailable",
        host_error="agentFailed",
        times=1,
    ),
    "certificate": Story(
        das_state="initializationError",
        issue_reason="other",
        issue_text="Cannot complete the configuration of the vSphere HA agent: the host SSL certificate thumbprint does not match",
        history=(("com.vmware.vc.HA.HostAgentErrorEvent", {"text": "other"}),),
        reason="Other",
        host_error="other",
        fault_message="Cannot complete the configuration of the vSphere HA agent on the host: the host SSL certificate thumbprint does not match.",
    ),
    "permissions": Story(
        das_state="initializationError",
        issue_reason="configFailed",
        issue_text="vSphere HA agent cannot be configured: insufficient privileges on the host (vpxuser access denied)",
        history=(("com.vmware.vc.HA.HostAgentErrorEvent", {"text": "configFailed"}),),
        reason="InsufficientPrivileges",
        host_error="configFailed",
    ),
    "host-unreachable": Story(
        das_state="fdmUnreachable",
        issue_reason="agentShutdown",
        issue_text="",
        history=(
            ("DasHostFailedEvent", {}),
            ("com.vmware.vc.HA.HostStateChangedEvent", {"text": "fdmUnreachable"}),
        ),
    ),
    "vsan-network": Story(
        das_state="initializationError",
        issue_reason="configFailed",
        issue_text="vSphere HA cannot be configured: vSAN is enabled on the cluster but the host has no vSAN vmknic",
        history=(("com.vmware.vc.HA.HostAgentErrorEvent", {"text": "configFailed"}),),
        reason="VSanNotSupportedOnHost",
        host_error="configFailed",
    ),
    "timeout": Story(
        das_state="initializationError",
        issue_reason="timeout",
        issue_text="Operation timed out: the vSphere HA agent did not respond in time",
        history=(("com.vmware.vc.HA.HostAgentErrorEvent", {"text": "timeout"}),),
        reason="Other",
        host_error="timeout",
        output="[vpxd] Timed out waiting for the vSphere HA agent to respond (120 s)\n[vpxd] Reconfigure vSphere HA failed",
        fault_message="Operation timed out: the vSphere HA agent did not respond in time.",
    ),
    "agent-unhealthy-after-success": Story(
        das_state="initializationError",
        issue_reason="configFailed",
        issue_text="",
        history=(("com.vmware.vc.HA.HostStateChangedEvent", {"text": "initializationError"}),),
        outcome="success",
        agent_unhealthy_seconds=86400.0,
        unhealthy_state="uninitialized",
    ),
    "unknown": Story(
        das_state="initializationError",
        issue_reason="other",
        issue_text="vSphere HA agent has an error: code 0x5f3 (see fdm.log)",
        history=(("com.vmware.vc.HA.HostAgentErrorEvent", {"text": "other"}),),
        reason="Other",
        host_error="other",
        output="[fdm] unexpected error 0x5f3 in stage 4\n[fdm] see /var/log/fdm.log",
        fault_message="vSphere HA agent reported error 0x5f3.",
    ),
}
STORY_CAUSES: tuple[str, ...] = tuple(STORIES)
#: what each cause's FDM agent writes to /var/run/log/fdm.log: (minutes ago, level, sub, text)
AGENT_LOG: dict[str, tuple[tuple[float, str, str, str], ...]] = {
    "management-network": (
        (50, "warning", "Cluster", "Failed to reach the management network address of the master (vmk0)"),
        (49, "error", "Cluster", "Host is network partitioned from the master: no management network connectivity"),
    ),
    "isolation-address": (
        (40, "warning", "Cluster", "Failed to ping isolation address {isolation}"),
        (39, "error", "Cluster", "Host is network isolated: no isolation address answers ping"),
    ),
    "datastore-access": (
        (45, "error", "Cluster", "Unable to open the vSphere HA datastore directory: no accessible datastore"),
    ),
    "agent-install": (
        (30, "error", "Installer", "vmware-fdm install failed: InstallationError: not enough space on /tmp"),
    ),
    "image-remediation": (
        (30, "error", "Installer", "Desired image remediation of host failed: vSphere HA VIBs could not be applied"),
    ),
    "election": ((3, "info", "Election", "Election in progress: no master elected yet"),),
    "certificate": (
        (30, "error", "Cluster", "SSL thumbprint of the host does not match the thumbprint vCenter Server expects"),
    ),
    "permissions": ((30, "error", "Main", "Access denied for vpxuser: insufficient privileges"),),
    "vsan-network": ((30, "error", "Cluster", "vSAN network vmk2 cannot reach the vSAN addresses of peers"),),
    "timeout": ((30, "error", "Main", "Timed out waiting for the vSphere HA agent to start"),),
    "agent-unhealthy-after-success": ((20, "info", "Main", "Agent started; waiting to join the cluster"),),
}

#: the VLAN the management port group of a ``management-network`` story host is tagged with (its peers use the
#: fleet's management VLAN); the story's agent output names it
WRONG_MANAGEMENT_VLAN = 112

#: the ``HostMountInfo.inaccessibleReason`` of a ``datastore-access`` story host's mounts (all paths down, timed out)
INACCESSIBLE_REASON = "AllPathsDown_Timeout"

#: a story's history is logged :data:`HISTORY_REPEATS` times over the last :data:`HISTORY_DAYS` days
HISTORY_DAYS = 3
HISTORY_REPEATS = 3
