"""Telling the root-cause stories (:mod:`.stories`) on a built vCenter: every story host's observables made to
agree with its cause.

The vCenter knows nothing of stories: :class:`~.simulator.Simulator` builds it, then calls :func:`tell_stories`,
which reads the scenario's rules and changes hosts, clusters, events and agent logs from above. The ground truth
it returns (host moId → cause) is what ``GET /simulator/root-causes`` serves to tests; the client never sees it,
only what a vCenter would show.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .. import wire
from .agent_logs import fdm_line
from .clock import Clock
from .inventory import ClusterComputeResource, ComputeResource, HostSystem
from .scenarios import Rule, seeded_fraction
from .stories import (
    AGENT_LOG,
    HISTORY_DAYS,
    HISTORY_REPEATS,
    INACCESSIBLE_REASON,
    ISOLATION_ADDRESS,
    STORIES,
    WRONG_MANAGEMENT_VLAN,
    Story,
)

if TYPE_CHECKING:  # pragma: no cover
    from .vcenter import Vcenter

__all__ = ["tell_stories"]


def _isolation_address(cluster: ComputeResource) -> str:
    """The story's unpingable :data:`ISOLATION_ADDRESS`, made the cluster's ``das.isolationaddress0``."""
    if isinstance(cluster, ClusterComputeResource):
        cluster.das.isolation_addresses = [ISOLATION_ADDRESS]
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
    _failover_capacity(vc, truth)
    return truth


def _apply_state(vc: Vcenter, host: HostSystem, cause: str, story: Story, isolation: str, now: datetime) -> None:
    host.das_state = story.das_state
    if cause == "host-unreachable":
        host.connection_state = "notResponding"
        host.power_state = "unknown"
    if cause == "datastore-access":  # all paths down: still mounted, none reachable, so no heartbeat datastore
        for datastore in host.datastores:
            datastore.set_accessible(host, False, INACCESSIBLE_REASON)
            vc.registry.changed(datastore)
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
    for i in range(HISTORY_REPEATS):
        when = now - timedelta(days=HISTORY_DAYS) + timedelta(hours=20 * i + 2)
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
        host.agent_log = [fdm_line(m, lvl, sub, _fill(t, isolation), now) for m, lvl, sub, t in lines]
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
    """Keep one management vmknic only (no management redundancy)."""
    setup = host.network()
    management = [v for v in setup.vmknics if v.management]
    if len(management) > 1:
        setup.vmknics = [v for v in setup.vmknics if v is management[0] or not v.management]
    host.network_setup = setup


def _mistagged_management_vlan(host: HostSystem) -> None:
    """The management vmknic's port group carries the wrong VLAN tag: the host cannot reach its peers."""
    setup = host.network()
    management = {v.portgroup for v in setup.vmknics if v.management}
    for group in setup.portgroups:
        if group.name in management:
            group.vlan = WRONG_MANAGEMENT_VLAN
    host.network_setup = setup


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


def _failover_capacity(vc: Vcenter, truth: dict[str, dict[str, str]]) -> None:
    """A cluster whose stories left no more healthy hosts than its failover level cannot tolerate that many host
    failures: vCenter lists ``InsufficientFailoverResourcesEvent`` in the cluster's ``configIssue``."""
    now = Clock.now()
    for cluster in vc.inventory.clusters():
        das = cluster.das
        admission = das.enabled if das.admission_control is None else das.admission_control
        if not das.enabled or not admission or not any(h.moid in truth for h in cluster.hosts):
            continue
        healthy = sum(1 for h in cluster.hosts if h.das_state in ("master", "connectedToMaster"))
        if healthy > das.failover_level:
            continue
        with vc.registry.lock:
            issue = vc.events.make("InsufficientFailoverResourcesEvent", cr=cluster, created=now - timedelta(hours=1))
            vc.events.post(issue)
            cluster.config_issues.append(issue)
            vc.registry.changed(cluster)
