"""The simulated vCenter: configuration, inventory, singletons, sessions, tasks and events in one place.

:class:`Vcenter` is what the HTTP layer dispatches to. It owns the registry (and its lock), the clock,
the event log, the task queue, the session table and the statistics; it knows the service content,
the ``about`` information of the configured version and mode, and which API releases it speaks.
Session-scoped objects (views, collectors, filters, event collectors) are registered through
:meth:`Vcenter.own` and destroyed when their session ends (logout, expiry, server restart).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from functools import cached_property
from typing import Any

from .. import wire
from ..wire import MoRef
from .alarms import HOST_ALARMS, Alarm
from .building import build_inventory
from .clock import Clock
from .collector import PropertyCollector
from .config import KNOWN_RELEASES, VCENTER_BUILDS, SimulatorConfig, release_of
from .events import EventLog, EventManager
from .hostmanagers import register_lazy
from .inventory import HostSystem
from .maintenance import MaintenanceMode
from .managers import register_managers
from .model import ManagedObject, Registry
from .reconfigure import HaReconfigure
from .scenarios import Scenario, default_fault_message, load_scenario
from .sessions import Session, SessionManager, SessionTable, User
from .stats import Stats
from .tasks import TaskManager, TaskQueue
from .views import ViewManager, session_object_id

__all__ = ["Vcenter", "ServiceInstance", "DEFAULT_TASK_SECONDS"]

DEFAULT_TASK_SECONDS = 20.0


class ServiceInstance(ManagedObject):
    TYPE = "ServiceInstance"
    ANCESTRY = ("ServiceInstance", "ManagedObject")
    PROPERTIES = {"content": "ServiceContent", "serverClock": "dateTime"}
    NO_CACHE = frozenset({"serverClock"})

    def __init__(self, moid: str, content: wire.ServiceContent) -> None:
        super().__init__(moid)
        self.content = content

    def prop(self, name: str) -> Any:
        if name == "content":
            return self.content
        if name == "serverClock":
            return Clock.now()
        return None


class Vcenter:
    def __init__(self, config: SimulatorConfig, scenario: Scenario | None = None) -> None:
        config.validate()
        # demo credentials of a loopback simulator: random per simulator unless given
        config.password = config.password or secrets.token_urlsafe(12)
        config.readonly_password = config.readonly_password or secrets.token_urlsafe(12)
        self.config = config
        self.scenario = scenario or load_scenario(config.scenario)  # type: ignore[arg-type]
        self.mode = config.mode or self.scenario.mode or "vcenter"
        self.task_seconds = config.task_seconds or self.scenario.task_seconds or DEFAULT_TASK_SECONDS
        self.chaos = config.chaos
        self.registry = Registry()
        self.clock = Clock(config.time_scale)
        self.stats = Stats()
        self.events = EventLog(self.registry)
        self.instance_uuid = str(uuid.UUID(int=(config.seed * 7919 + 0x5D1E) % (1 << 128), version=4))
        esx = self.mode == "esx"
        ids = {
            "session": "ha-sessionmgr" if esx else "SessionManager",
            "collector": "ha-property-collector" if esx else "propertyCollector",
            "events": "ha-eventmgr" if esx else "EventManager",
            "tasks": "ha-taskmgr" if esx else "TaskManager",
            "views": "ViewManager",
        }
        self.inventory = build_inventory(self.registry, config, self.scenario, self.mode)
        self.session_manager = self.registry.add(SessionManager(ids["session"]))
        self.view_manager = self.registry.add(ViewManager(ids["views"]))
        self.event_manager = self.registry.add(EventManager(ids["events"], self.events))
        self.task_manager = self.registry.add(TaskManager(ids["tasks"]))
        self.collector_id = ids["collector"]
        self.manager_refs = register_managers(self, self.registry, esx)
        register_lazy(self)
        if not esx:
            for definition in HOST_ALARMS:
                self.registry.add(Alarm(definition, self.inventory.root))
        self.service_instance = self.registry.add(ServiceInstance("ServiceInstance", self._content()))
        self.tasks = TaskQueue(
            self.registry, self.clock, self.task_manager, config.max_active_tasks, self.stats.concurrency
        )
        self.reconfigure = HaReconfigure(self)
        self.maintenance = MaintenanceMode(self)
        users = [
            User(config.user, config.password, "admin"),
            User(config.readonly_user, config.readonly_password, "readonly"),
        ]
        users += [User(name, pw, role) for name, (pw, role) in config.users.items()]
        self.sessions = SessionTable(
            users,
            lambda: self.chaos.session_lifetime,
            self._end_session,
            idle_timeout=config.session_idle_timeout,
            max_sessions=config.max_sessions,
        )
        self.session_manager.table = self.sessions
        self._default_collectors: dict[str, PropertyCollector] = {}
        self._initial_issues()

    # -- identity ----------------------------------------------------------------------------------
    @property
    def release(self) -> str:
        return release_of(self.config.version)

    def about(self) -> wire.AboutInfo:
        version = ".".join(self.release.split(".")[:3])
        build = VCENTER_BUILDS.get(version, "24022515")
        if self.mode == "esx":
            host = self.inventory.hosts[0]
            return host.product.model_copy()
        return wire.AboutInfo(
            name="VMware vCenter Server",
            fullName=f"VMware vCenter Server {version} build-{build}",
            vendor="VMware, Inc.",
            version=version,
            build=build,
            localeVersion="INTL",
            localeBuild="000",
            osType="linux-x64",
            productLineId="vpx",
            apiType="VirtualCenter",
            apiVersion=self.release,
            instanceUuid=self.instance_uuid,
            licenseProductName="VMware VirtualCenter Server",
            licenseProductVersion=version.split(".")[0] + ".0",
        )

    def _content(self) -> wire.ServiceContent:
        return wire.ServiceContent(
            rootFolder=self.inventory.root.ref,
            propertyCollector=MoRef("PropertyCollector", self.collector_id),
            viewManager=self.view_manager.ref,
            about=self.about(),
            sessionManager=self.session_manager.ref,
            eventManager=self.event_manager.ref,
            taskManager=self.task_manager.ref,
        ).model_copy(update=self.manager_refs)

    def hello_releases(self) -> list[str]:
        """Releases ``/api/vcenter/system?action=hello`` offers: the ones it serves (:attr:`path_releases`), oldest
        first."""
        return sorted(self.path_releases, key=_key)

    @cached_property
    def path_releases(self) -> frozenset[str]:
        """Releases accepted in ``/sdk/vim25/{release}/``: 7.0.0.0 up to the server's own, as a vCenter serves the
        releases up to its own (a newer one answers 404, like an unknown one)."""
        top = _key(self.release)
        return frozenset(r for r in KNOWN_RELEASES if _key(r) <= top)

    @property
    def has_hello(self) -> bool:
        return self.mode != "esx" and _key(self.release) >= _key("8.0.2.0")

    @property
    def accepts_api_session(self) -> bool:
        """``POST /api/session`` tokens work on ``/sdk`` from 8.0 Update 3."""
        return self.mode != "esx" and _key(self.release) >= _key("8.0.3.0")

    # -- events ------------------------------------------------------------------------------------
    def post(self, event: wire.Event) -> wire.Event:
        with self.registry.lock:
            self.events.post(event)
            self.registry.changed(self.event_manager)
        return event

    def _initial_issues(self) -> None:
        """Hosts that start in ``initializationError`` carry the HA error their last configuration left."""
        created = Clock.now() - timedelta(hours=6)
        for host in self.inventory.hosts:
            if host.das_state == "initializationError":
                message = default_fault_message("HostMisconfiguration")
                event = self.events.make(
                    "HostDasErrorEvent",
                    host=host,
                    created=created,
                    text=f"{message}: configFailed",
                    message=message,
                    reason="configFailed",
                )
                self.events.post(event)
                host.config_issues.append(event)

    # -- sessions and session-scoped objects -------------------------------------------------------
    def own(self, session: Session, obj: ManagedObject) -> ManagedObject:
        obj.owner = session.key
        if len(session.owned) >= 256:  # a long session creating and destroying many views
            session.owned[:] = [o for o in session.owned if o.alive]
        session.owned.append(obj)
        self.registry.add(obj)
        return obj

    def new_session_id(self, session: Session) -> str:
        return session_object_id(session.key)

    def default_collector(self, session: Session) -> PropertyCollector:
        """The ``propertyCollector`` singleton, private per session (filters are session-scoped)."""
        with self.registry.lock:
            pc = self._default_collectors.get(session.key)
            if pc is None or not pc.alive:
                pc = PropertyCollector(self.collector_id, self.registry, session.key)
                pc.owner = session.key
                session.owned.append(pc)
                self._default_collectors[session.key] = pc
            return pc

    def _end_session(self, session: Session) -> None:
        with self.registry.lock:
            for obj in reversed(session.owned):
                if isinstance(obj, PropertyCollector):
                    obj.destroy()
                if obj.alive and self.registry.get(obj.TYPE, obj.moid) is obj:
                    self.registry.remove(obj)
                obj.alive = False
            session.owned.clear()
            self._default_collectors.pop(session.key, None)

    def host(self, moid: str) -> HostSystem | None:
        obj = self.registry.get("HostSystem", moid)
        return obj if isinstance(obj, HostSystem) else None

    def shutdown(self) -> None:
        self.clock.stop()


def _key(release: str) -> tuple[int, ...]:
    return tuple(int(p) for p in release.split("."))
