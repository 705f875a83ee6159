"""Root-cause stories: a scenario rule names *why* its hosts are broken, and every observable agrees.

A rule with ``root_cause: management-network`` (any cause of the diagnosis vocabulary) makes the simulator tell
one consistent story for the hosts it matches:

* **before any reconfigure** — the host's ``dasHostState`` (``networkPartitionedFromMaster``, ``networkIsolated``,
  ``uninitialized`` …), its ``configIssue`` (the HA error vCenter would list, with realistic text), the backdated HA
  event history of the last three days (state changes, agent errors, isolation pings failing, no management
  redundancy, host failures …), its datastores (none for ``datastore-access``), its connection
  (``notResponding`` for ``host-unreachable``) and, where the simulator models them, its management vmknics (one
  where redundancy is missing) and the cluster's isolation address;
* **when reconfigured** — the rule's defaults: outcome, ``DasConfigFault.reason``, ``HostDasErrorEvent`` reason,
  ``output`` and extra events matching the cause (a rule may still override any of them).

The ground truth (host moId → cause) is :attr:`Vcenter.stories`; tests read it through
``GET /simulator/root-causes``. The client never sees it: it only sees what a vCenter would show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .. import wire
from .clock import Clock
from .diagnostics import fdm_line, set_agent_log
from .scenarios import default_fault_message, seeded_fraction

if TYPE_CHECKING:  # pragma: no cover
    from .inventory import HostSystem
    from .scenarios import Rule
    from .vcenter import Vcenter

__all__ = ["STORY_CAUSES", "Story", "STORIES", "ISOLATION_ADDRESS", "story_defaults", "tell_stories"]

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
        history=(("com.vmware.vc.HA.HostStateChangedEvent", {"text": "uninitialized"}),),
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

_HISTORY_DAYS = 3
_HISTORY_REPEATS = 3


def story_defaults(rule: Rule) -> None:
    """Fill the reconfigure behaviour of ``rule`` from its root cause, keeping what the rule set itself."""
    story = STORIES[rule.root_cause or ""]
    given = rule.model_fields_set
    defaults: dict[str, Any] = {
        "outcome": story.outcome,
        "reason": story.reason,
        "host_error": story.host_error,
        "output": story.output,
        "fault_message": story.fault_message,
        "times": story.times,
        "agent_unhealthy_seconds": story.agent_unhealthy_seconds,
    }
    if story.unhealthy_state is not None:
        defaults["unhealthy_state"] = story.unhealthy_state
    for name, value in defaults.items():
        if name not in given and value is not None:
            object.__setattr__(rule, name, value)
    if "events" not in given and story.events:
        from .scenarios import EventSpec

        object.__setattr__(rule, "events", [EventSpec.model_validate(dict(e)) for e in story.events])


def _isolation_address(cluster: Any) -> str:
    """The cluster's first isolation address; where the simulator models HA settings (``cluster.das``), the
    story's unpingable :data:`ISOLATION_ADDRESS` is made the cluster's setting."""
    das = getattr(cluster, "das", None)
    if das is not None and hasattr(das, "isolation_addresses"):
        das.isolation_addresses = [ISOLATION_ADDRESS]
    try:
        for option in cluster.configuration().dasConfig.option or []:
            if option.key == "das.isolationaddress0" and option.value:
                return str(option.value)
    except AttributeError:
        pass
    return ISOLATION_ADDRESS


def _story_of(vc: Vcenter, host: HostSystem) -> Rule | None:
    """The first scenario rule matching ``host`` (the one its reconfigure would use), if it names a root cause."""
    cr = host.compute_resource
    u = seeded_fraction(vc.config.seed, "outcome", host.moid)
    for rule in vc.scenario.rules:
        if rule.matches(cluster=cr.name, host=host.name, moid=host.moid, u=u):
            return rule if rule.root_cause else None
    return None


def _fill(text: str, isolation: str) -> str:
    return text.replace("{isolation}", isolation)


def tell_stories(vc: Vcenter) -> dict[str, dict[str, str]]:
    """Make every story host's observables agree with its root cause; returns the ground truth by host moId."""
    truth: dict[str, dict[str, str]] = {}
    if vc.mode == "esx":
        return truth
    now = Clock.now()
    for host in vc.inventory.hosts:
        if not host.ha_enabled or host.in_maintenance or host.connection_state == "disconnected":
            continue
        rule = _story_of(vc, host)
        if rule is None or rule.root_cause is None:
            continue
        cause = rule.root_cause
        story = STORIES[cause]
        cluster = host.compute_resource
        isolation = _isolation_address(cluster) if cause == "isolation-address" else ISOLATION_ADDRESS
        with vc.registry.lock:
            _apply_state(vc, host, cause, story, isolation, now)
        truth[host.moid] = {"host": host.name, "cluster": cluster.name, "cause": cause}
    _reassign_masters(vc, truth)
    return truth


def _apply_state(vc: Vcenter, host: HostSystem, cause: str, story: Story, isolation: str, now: Any) -> None:
    host.das_state = story.das_state
    if cause == "host-unreachable":
        host.connection_state = "notResponding"
        host.power_state = "unknown"
    if cause == "datastore-access":
        host.datastores = []
    if cause == "management-network":
        _one_management_vmknic(host)
        _mistagged_management_vlan(host)
    if cause == "certificate":
        host.certificate_mismatch = True
    host.config_issues = [
        e
        for e in host.config_issues
        if wire.event_type_id(e) not in ("HostDasErrorEvent", "HostNoRedundantManagementNetworkEvent")
    ]
    # the backdated history: each story event a few times over the last days, oldest first
    for i in range(_HISTORY_REPEATS):
        when = now - timedelta(days=_HISTORY_DAYS) + timedelta(hours=20 * i + 2)
        for type_name, fields in story.history:
            fields = {k: _fill(v, isolation) if isinstance(v, str) else v for k, v in fields.items()}
            text = fields.pop("text", "")
            if type_name == "com.vmware.vc.HA.HostAgentErrorEvent":
                fields["arguments"] = [wire.KeyAnyValue(key="reason", value=text)]
            if type_name == "com.vmware.vc.HA.HostStateChangedEvent":
                fields["arguments"] = [wire.KeyAnyValue(key="newState", value=text)]
            if type_name == "DasHostFailedEvent":
                fields["failedHost"] = wire.HostEventArgument(name=host.name, host=host.ref)
            text = text or fields.get("isolationIp", "")
            vc.events.post(vc.events.make(type_name, host=host, created=when, text=text, **fields))
    lines = AGENT_LOG.get(cause, ())
    if lines:
        set_agent_log(vc, host, [fdm_line(m, lvl, sub, _fill(t, isolation), now) for m, lvl, sub, t in lines])
    if cause == "election":  # an election is transient: the agent entered it minutes ago
        vc.events.post(
            vc.events.make(
                "com.vmware.vc.HA.HostStateChangedEvent",
                host=host,
                created=now - timedelta(minutes=3),
                text="election",
                arguments=[wire.KeyAnyValue(key="newState", value="election")],
            )
        )
    issue_text = _fill(story.issue_text, isolation)
    if issue_text:
        message = issue_text
        issue = vc.events.make(
            "HostDasErrorEvent",
            host=host,
            created=now - timedelta(hours=1),
            text=f"{message}: {story.issue_reason}",
            message=message,
            reason=story.issue_reason,
        )
        vc.events.post(issue)
        host.config_issues.append(issue)
    if cause == "management-network":
        redundancy = vc.events.make(
            "HostNoRedundantManagementNetworkEvent", host=host, created=now - timedelta(hours=1)
        )
        vc.events.post(redundancy)
        host.config_issues.append(redundancy)
    vc.registry.changed(host)


def _one_management_vmknic(host: HostSystem) -> None:
    """Where the simulator models host networking (``network_setup``), keep one management vmknic only."""
    network = getattr(host, "network", None)
    if not callable(network) or not hasattr(host, "network_setup"):
        return
    try:
        setup = network()
        management = [v for v in setup.vmknics if getattr(v, "management", False)]
        if len(management) > 1:
            setup.vmknics = [v for v in setup.vmknics if v is management[0] or not v.management]
        host.network_setup = setup
    except (AttributeError, TypeError):  # another network model: leave it alone
        return


#: the VLAN the management port group of a ``management-network`` story host is tagged with (its peers use the
#: fleet's management VLAN); the story's agent output names it
WRONG_MANAGEMENT_VLAN = 112


def _mistagged_management_vlan(host: HostSystem) -> None:
    """The management vmknic's port group carries the wrong VLAN tag: the host cannot reach its peers."""
    setup = getattr(host, "network_setup", None)
    if setup is None:
        return
    management = {v.portgroup for v in setup.vmknics if getattr(v, "management", False)}
    for group in setup.portgroups:
        if group.name in management:
            group.vlan = WRONG_MANAGEMENT_VLAN


def _reassign_masters(vc: Vcenter, truth: dict[str, dict[str, str]]) -> None:
    """A cluster whose primary became a story host gets a healthy primary (if any host is left)."""
    for cluster in vc.inventory.clusters():
        if not cluster.ha_enabled or not any(h.moid in truth for h in cluster.hosts):
            continue
        healthy = [h for h in cluster.hosts if h.das_state in ("master", "connectedToMaster")]
        master = next((h for h in healthy if h.das_state == "master"), healthy[0] if healthy else None)
        for host in cluster.hosts:
            if host is master:
                host.das_state = "master"
            elif host.das_state == "master":
                host.das_state = "connectedToMaster"
            if host.das_state is not None:
                host.das_reporter = master.ref if master is not None else host.ref
            vc.registry.changed(host)


def default_fault_text(cause: str) -> str:
    """The fault message a story's reconfigure failure carries (for docs and tests)."""
    story = STORIES[cause]
    return story.fault_message or default_fault_message(story.reason or "Other")
