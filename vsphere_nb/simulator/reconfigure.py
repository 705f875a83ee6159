"""``HostSystem.ReconfigureHostForDAS_Task``: checks at launch, then the task's behaviour and side effects.

At launch, in this order (the first that applies answers ``500`` with the fault):

1. ``--mode esx`` → ``NotSupported`` (there is no vCenter to configure HA from);
2. the user lacks ``Host.Config.Connection`` (read-only user) → ``NoPermission`` with ``missingPrivileges``;
3. the method is in the host's ``disabledMethod`` → ``MethodDisabled``. It is there for hosts whose cluster
   has HA disabled and for standalone hosts (no HA to reconfigure — the vSphere Client greys the action out),
   and for the scenario's ``reconfigure_disabled`` share of HA hosts (``source`` ``com.vmware.vcIntegrity``:
   a vLCM remediation holds the host);
4. the host is ``disconnected`` or ``notResponding`` → ``HostNotConnected`` (chosen over ``InvalidState``:
   it names the cause and is what vpxd raises when it cannot reach the host agent);
5. a scenario rule with ``outcome: fault`` → ``DasConfigFault`` at once.

Otherwise a task is queued (one running per host; global limit) and a ``TaskEvent`` posted; its
``eventChainId`` ties together every event the run logs. While running, ``dasHostState`` goes ``election``
(``retry`` half-way on a run that will fail). On success: ``master`` (no master in the cluster yet) or
``connectedToMaster`` — or the rule's ``das_state``, or ``unhealthy_state`` for ``agent_unhealthy_seconds``
first — HA ``configIssue``s cleared, ``HostDasEnabledEvent`` + ``com.vmware.vc.HA.HostStateChangedEvent``.
On failure: ``initializationError``, a ``HostDasErrorEvent`` in ``configIssue``, ``HostDasErrorEvent`` +
``EventEx com.vmware.vc.HA.HostAgentErrorEvent`` + the rule's events, and the task's error is a
``DasConfigFault`` whose ``event`` lists them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import wire
from . import faults
from .inventory import RECONFIGURE_METHOD, HostSystem
from .scenarios import Rule, default_host_error, seeded_fraction
from .sessions import Session
from .tasks import Task

if TYPE_CHECKING:  # pragma: no cover
    from .vcenter import Vcenter

__all__ = ["HaReconfigure", "PRIVILEGE", "DESCRIPTION_ID"]

PRIVILEGE = "Host.Config.Connection"
DESCRIPTION_ID = "HostSystem.reconfigureDAS"
_HA_ISSUES = ("HostDasErrorEvent", "com.vmware.vc.HA.HostAgentErrorEvent")
_SUCCESS = Rule(name="default", outcome="success")


class HaReconfigure:
    """The :class:`~.tasks.TaskRunner` of HA reconfiguration, plus the launch checks."""

    def __init__(self, vc: Vcenter) -> None:
        self.vc = vc
        #: (rule index, host moId) -> times applied
        self.applied: dict[tuple[int, str], int] = {}

    # -- launch ------------------------------------------------------------------------------------
    def launch(self, host: HostSystem, session: Session) -> wire.ManagedObjectReference:
        vc = self.vc
        if vc.mode == "esx":
            raise faults.not_supported(
                "This operation is not supported on an ESXi host: configure vSphere HA from vCenter Server."
            )
        if PRIVILEGE not in session.user.privileges:
            raise faults.no_permission(host.ref, PRIVILEGE)
        with vc.registry.lock:
            if RECONFIGURE_METHOD in host.disabled_methods:
                raise faults.method_disabled(RECONFIGURE_METHOD, host.disabled_source)
            if host.connection_state != "connected":
                raise faults.host_not_connected(host.name)
            rule = self._choose(host)
            if rule.outcome == "fault":
                raise faults.SimFault(self._das_fault(host, rule, []))
            chain = vc.events.new_key()
            task = vc.tasks.create(
                host,
                name=RECONFIGURE_METHOD,
                description_id=DESCRIPTION_ID,
                user=session.user.name,
                runner=self,
                chain_id=chain,
                group=host.compute_resource.moid,
                plan=rule,
                admit=False,
            )
            vc.post(
                vc.events.make(
                    "TaskEvent",
                    host=host,
                    key=chain,
                    chain_id=chain,
                    user=session.user.name,
                    text="Reconfigure vSphere HA host",
                    info=task.info,
                )
            )
            vc.stats.launched(host.moid)
            vc.tasks.admit()
            return task.ref

    def _choose(self, host: HostSystem) -> Rule:
        scenario = self.vc.scenario
        cr = host.compute_resource
        u = seeded_fraction(self.vc.config.seed, "outcome", host.moid)
        for index, rule in enumerate(scenario.rules):
            if not rule.matches(cluster=cr.name, host=host.name, moid=host.moid, u=u):
                continue
            if rule.times is not None and self.applied.get((index, host.moid), 0) >= rule.times:
                continue
            self.applied[(index, host.moid)] = self.applied.get((index, host.moid), 0) + 1
            return rule
        return _SUCCESS

    # -- TaskRunner --------------------------------------------------------------------------------
    def duration(self, task: Task) -> float:
        rule: Rule = task.plan
        base = rule.duration or self.vc.task_seconds
        # ±20 % seeded jitter so a batch does not finish in lock-step
        jitter = 0.8 + 0.4 * seeded_fraction(self.vc.config.seed, "duration", task.moid)
        return base * jitter

    def on_start(self, task: Task) -> None:
        host: HostSystem = task.entity  # type: ignore[assignment]
        self._set_das(host, "election", task)
        self.vc.post(
            self.vc.events.make("HostDasEnablingEvent", host=host, chain_id=task.info.eventChainId, user=_user(task))
        )

    def on_progress(self, task: Task, percent: int) -> None:
        rule: Rule = task.plan
        host: HostSystem = task.entity  # type: ignore[assignment]
        if rule.outcome == "error" and percent >= 50 and host.das_state == "election":
            self._set_das(host, "retry", task)

    def on_finish(self, task: Task) -> wire.MethodFault | None:
        rule: Rule = task.plan
        host: HostSystem = task.entity  # type: ignore[assignment]
        if rule.outcome == "error":
            return self._fail(host, rule, task)
        self._succeed(host, rule, task)
        return None

    # -- outcomes ----------------------------------------------------------------------------------
    def _succeed(self, host: HostSystem, rule: Rule, task: Task) -> None:
        vc = self.vc
        chain = task.info.eventChainId
        host.config_issues = [e for e in host.config_issues if wire.event_type_id(e) not in _HA_ISSUES]
        vc.registry.changed(host)
        vc.post(vc.events.make("HostDasEnabledEvent", host=host, chain_id=chain, user=_user(task)))
        if rule.agent_unhealthy_seconds:
            self._set_das(host, rule.unhealthy_state, task)
            vc.clock.call_later(rule.agent_unhealthy_seconds, self._recover, host, rule.das_state)
        else:
            self._settle(host, rule.das_state, task)

    def _recover(self, host: HostSystem, final: str | None) -> None:
        with self.vc.registry.lock:
            if host.running_task is None and host.das_state not in (None, "initializationError"):
                self._settle(host, final, None)

    def _settle(self, host: HostSystem, final: str | None, task: Task | None) -> None:
        """End in ``final`` or healthy: ``master`` if the cluster has none, else ``connectedToMaster``."""
        cluster = host.compute_resource
        if final is not None:
            self._set_das(host, final, task)
            return
        master = cluster.master()
        if master is None or master is host:
            self._set_das(host, "master", task, reporter=host.ref)
            for other in cluster.hosts:
                if other is not host and other.das_state is not None and other.das_reporter != host.ref:
                    other.das_reporter = host.ref
                    self.vc.registry.changed(other)
        else:
            self._set_das(host, "connectedToMaster", task, reporter=master.ref)
            self.vc.post(
                self.vc.events.make(
                    "com.vmware.vc.HA.ConnectedToMaster",
                    host=host,
                    text=master.name,
                    chain_id=task.info.eventChainId if task else None,
                )
            )

    def _fail(self, host: HostSystem, rule: Rule, task: Task) -> wire.MethodFault:
        vc = self.vc
        chain = task.info.eventChainId
        reason = rule.reason or "Other"
        host_error = rule.host_error or default_host_error(reason)
        message = rule.fault_messages()[0]
        error_event = vc.events.make(
            "HostDasErrorEvent",
            host=host,
            chain_id=chain,
            text=f"{message}: {host_error}",
            message=message,
            reason=host_error,
        )
        extra = [
            vc.events.make(spec.type, host=host, chain_id=chain, text=_spec_text(spec), **spec.fields())
            for spec in rule.events
        ]
        agent_error = vc.events.make(
            "com.vmware.vc.HA.HostAgentErrorEvent",
            host=host,
            chain_id=chain,
            text=host_error,
            arguments=[wire.KeyAnyValue(key="reason", value=host_error)],
        )
        for event in (error_event, agent_error, *extra):
            vc.post(event)
        host.config_issues = [e for e in host.config_issues if wire.event_type_id(e) not in _HA_ISSUES]
        host.config_issues.append(error_event)
        self._set_das(host, "initializationError", task)
        return self._das_fault(host, rule, [error_event, *extra])

    def _das_fault(self, host: HostSystem, rule: Rule, events: list[wire.Event]) -> wire.DasConfigFault:
        reason = rule.reason or "Other"
        messages = rule.fault_messages()
        return wire.DasConfigFault(
            reason=reason,
            output=rule.output_text(),
            event=events or None,
            faultMessage=[
                faults.message(f"com.vmware.vim.das.configFault.{reason}", text, host=host.name) for text in messages
            ],
        )

    def _set_das(self, host: HostSystem, state: str, task: Task | None, reporter: Any = None) -> None:
        if not host.ha_enabled or host.das_state == state:
            return
        host.das_state = state
        if reporter is not None:
            host.das_reporter = reporter
        elif host.das_reporter is None:
            master = host.compute_resource.master()
            host.das_reporter = master.ref if master is not None else host.ref
        self.vc.registry.changed(host)
        self.vc.post(
            self.vc.events.make(
                "com.vmware.vc.HA.HostStateChangedEvent",
                host=host,
                text=state,
                chain_id=task.info.eventChainId if task is not None else None,
                arguments=[wire.KeyAnyValue(key="newState", value=state)],
            )
        )


def _user(task: Task) -> str:
    reason = task.info.reason
    return getattr(reason, "userName", "") or ""


def _spec_text(spec: Any) -> str:
    fields = spec.fields()
    return str(spec.message or fields.get("isolationIp") or fields.get("ips") or fields.get("shortName") or "")
