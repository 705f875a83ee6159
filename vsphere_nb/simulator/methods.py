"""The methods the simulator serves, one small handler each, grouped by managed object type.

Handlers run with the request's :class:`~.dispatch.Call` and the resolved target object. Anything that
touches shared state takes ``vc.registry.lock``; only ``WaitForUpdatesEx`` awaits (outside the lock).
"""

from __future__ import annotations

from typing import Any

from .. import wire
from ..wire import MoRef
from . import das_runtime, diagnostics, faults, methods_operations, search  # noqa: F401  (they register their handlers)
from .collector import PropertyCollector, PropertyFilter, check_types, retrieve
from .dispatch import VOID, Call, Param, method, out_of_sessions, served
from .events import MAX_COLLECTORS, EventHistoryCollector, EventManager
from .inventory import (
    ClusterComputeResource,
    ComputeResource,
    Datacenter,
    Datastore,
    Folder,
    HostSystem,
    ManagedEntity,
    Network,
    ResourcePool,
)
from .managers import MANAGERS, manager_class
from .properties import KNOWN_MANAGED_TYPES
from .sessions import Session, SessionLimitReached, SessionManager
from .tasks import Task, TaskManager
from .vcenter import ServiceInstance
from .views import ContainerView, ListView, ViewManager

__all__ = ["QUERY_EVENTS_LIMIT"]

#: QueryEvents answers at most this many events when the filter sets no maxCount (and never more)
QUERY_EVENTS_LIMIT = 1000
#: ReadNextEvents / ReadPreviousEvents accept maxCount in 1 … this
READ_EVENTS_LIMIT = 1000

for _cls in (
    ServiceInstance,
    SessionManager,
    ViewManager,
    ContainerView,
    ListView,
    PropertyCollector,
    PropertyFilter,
    TaskManager,
    Task,
    EventManager,
    EventHistoryCollector,
    Folder,
    Datacenter,
    ComputeResource,
    ClusterComputeResource,
    HostSystem,
    Datastore,
    Network,
    ResourcePool,
    *(manager_class(spec) for spec in MANAGERS),
):
    served(_cls)


def _session(call: Call) -> Session:
    assert call.session is not None
    return call.session


# -- ServiceInstance ---------------------------------------------------------------------------
@method("ServiceInstance", "RetrieveServiceContent", auth=False)
def retrieve_service_content(call: Call, this: ServiceInstance) -> Any:
    return this.content


@method("ServiceInstance", "CurrentTime", auth=False)
def current_time(call: Call, this: ServiceInstance) -> Any:
    return call.vc.clock.now()


# -- SessionManager ----------------------------------------------------------------------------
@method(
    "SessionManager",
    "Login",
    Param("userName", "string"),
    Param("password", "string"),
    Param("locale", "string", required=False),
    auth=False,
)
def login(call: Call, this: SessionManager, userName: str, password: str, locale: str | None) -> Any:
    vc = call.vc
    user = vc.sessions.authenticate(userName, password)
    if user is None:
        raise faults.invalid_login()
    try:
        session = vc.sessions.login(user, locale=locale or "en", ip=call.ip, user_agent=call.user_agent)
    except SessionLimitReached:
        return out_of_sessions()
    call.headers["vmware-api-session-id"] = session.token
    return session.user_session()


@method("SessionManager", "Logout")
def logout(call: Call, this: SessionManager) -> Any:
    call.vc.sessions.logout(_session(call))
    return VOID


@method(
    "SessionManager",
    "SessionIsActive",
    Param("sessionID", "string"),
    Param("userName", "string"),
    privilege="Sessions.TerminateSession",
)
def session_is_active(call: Call, this: SessionManager, sessionID: str, userName: str) -> Any:
    return any(s.key == sessionID and s.user.name.lower() == userName.lower() for s in call.vc.sessions.all())


@method("SessionManager", "TerminateSession", Param("sessionId", "strings"), privilege="Sessions.TerminateSession")
def terminate_session(call: Call, this: SessionManager, sessionId: list[str]) -> Any:
    table = call.vc.sessions
    own = _session(call)
    ended = []
    for key in sessionId:
        if key == own.key:
            raise faults.invalid_argument("sessionId", "The current session cannot be terminated; use Logout.")
        session = table.by_key(key)
        if session is None:
            raise faults.not_found(f"The session '{key}' does not exist.")
        ended.append(session)
    for session in ended:
        table.logout(session)
    return VOID


# -- ViewManager / views -----------------------------------------------------------------------
@method(
    "ViewManager",
    "CreateContainerView",
    Param("container", "moref"),
    Param("type", "strings", required=False),
    Param("recursive", "boolean"),
)
def create_container_view(
    call: Call, this: ViewManager, container: MoRef, type: list[str] | None, recursive: bool
) -> Any:
    vc = call.vc
    session = _session(call)
    with vc.registry.lock:
        target = vc.registry.resolve(container)
        if target is None:
            raise faults.managed_object_not_found(container)
        if not isinstance(target, ManagedEntity):
            raise faults.invalid_argument("container", f"'{container.type}:{container.value}' is not a container.")
        for name in type or ():
            if name not in KNOWN_MANAGED_TYPES:
                raise faults.invalid_argument("type", f"Invalid type '{name}'.")
        view = ContainerView(vc.new_session_id(session), target, list(type or ()), recursive)
        vc.own(session, view)
        return view.ref


@method("ViewManager", "CreateListView", Param("obj", "morefs", required=False))
def create_list_view(call: Call, this: ViewManager, obj: list[MoRef] | None) -> Any:
    vc = call.vc
    session = _session(call)
    with vc.registry.lock:
        view = ListView(vc.new_session_id(session), vc.registry)
        view.add(obj or [])
        vc.own(session, view)
        return view.ref


@method("View", "DestroyView")
def destroy_view(call: Call, this: Any) -> Any:
    vc = call.vc
    with vc.registry.lock:
        vc.registry.remove(this)
    return VOID


@method("ListView", "ModifyListView", Param("add", "morefs", required=False), Param("remove", "morefs", required=False))
def modify_list_view(call: Call, this: ListView, add: list[MoRef] | None, remove: list[MoRef] | None) -> Any:
    vc = call.vc
    with vc.registry.lock:
        unresolved = this.add(add or [])
        this.remove(remove or [])
        vc.registry.changed(this)
    return unresolved


@method("ListView", "ResetListView", Param("obj", "morefs", required=False))
def reset_list_view(call: Call, this: ListView, obj: list[MoRef] | None) -> Any:
    vc = call.vc
    with vc.registry.lock:
        unresolved = this.reset(obj or [])
        vc.registry.changed(this)
    return unresolved


# -- PropertyCollector -------------------------------------------------------------------------
@method(
    "PropertyCollector",
    "RetrievePropertiesEx",
    Param("specSet", wire.PropertyFilterSpec, many=True),
    Param("options", wire.RetrieveOptions, required=False),
)
def retrieve_properties_ex(
    call: Call, this: PropertyCollector, specSet: list[wire.PropertyFilterSpec], options: wire.RetrieveOptions | None
) -> Any:
    with call.vc.registry.lock:
        return this.retrieve_ex(specSet, options.maxObjects if options else None)


@method("PropertyCollector", "ContinueRetrievePropertiesEx", Param("token", "string"))
def continue_retrieve(call: Call, this: PropertyCollector, token: str) -> Any:
    with call.vc.registry.lock:
        return this.continue_ex(token)


@method("PropertyCollector", "CancelRetrievePropertiesEx", Param("token", "string"))
def cancel_retrieve(call: Call, this: PropertyCollector, token: str) -> Any:
    with call.vc.registry.lock:
        this.cancel_ex(token)
    return VOID


@method("PropertyCollector", "RetrieveProperties", Param("specSet", wire.PropertyFilterSpec, many=True))
def retrieve_properties(call: Call, this: PropertyCollector, specSet: list[wire.PropertyFilterSpec]) -> Any:
    with call.vc.registry.lock:
        return retrieve(specSet, call.vc.registry)


@method("PropertyCollector", "CreateFilter", Param("spec", wire.PropertyFilterSpec), Param("partialUpdates", "boolean"))
def create_filter(call: Call, this: PropertyCollector, spec: wire.PropertyFilterSpec, partialUpdates: bool) -> Any:
    vc = call.vc
    session = _session(call)
    with vc.registry.lock:
        check_types(spec)
        flt = PropertyFilter(vc.new_session_id(session), this, spec, partialUpdates)
        vc.own(session, flt)
        this.add_filter(flt)
        vc.registry.changed(this)
        return flt.ref


@method(
    "PropertyCollector",
    "WaitForUpdatesEx",
    Param("version", "string", required=False),
    Param("options", wire.WaitOptions, required=False),
)
async def wait_for_updates_ex(
    call: Call, this: PropertyCollector, version: str | None, options: wire.WaitOptions | None
) -> Any:
    max_wait = options.maxWaitSeconds if options is not None else None
    max_updates = options.maxObjectUpdates if options is not None else None
    if max_wait is not None and max_wait < 0:
        raise faults.invalid_argument("options.maxWaitSeconds", "maxWaitSeconds must not be negative.")
    return await this.wait_for_updates(version, max_wait, max_updates)


@method("PropertyCollector", "CancelWaitForUpdates")
def cancel_wait_for_updates(call: Call, this: PropertyCollector) -> Any:
    this.cancel_wait()
    return VOID


@method("PropertyCollector", "CreatePropertyCollector")
def create_property_collector(call: Call, this: PropertyCollector) -> Any:
    vc = call.vc
    session = _session(call)
    with vc.registry.lock:
        pc = PropertyCollector(vc.new_session_id(session), vc.registry, session.key)
        vc.own(session, pc)
        return pc.ref


@method("PropertyCollector", "DestroyPropertyCollector")
def destroy_property_collector(call: Call, this: PropertyCollector) -> Any:
    vc = call.vc
    with vc.registry.lock:
        this.destroy()
        if vc.registry.get(this.TYPE, this.moid) is this:
            vc.registry.remove(this)
        this.alive = False
    return VOID


@method("PropertyFilter", "DestroyPropertyFilter")
def destroy_property_filter(call: Call, this: PropertyFilter) -> Any:
    vc = call.vc
    with vc.registry.lock:
        this.collector.remove_filter(this)
        vc.registry.remove(this)
        vc.registry.changed(this.collector)
    return VOID


# -- Task --------------------------------------------------------------------------------------
@method("Task", "CancelTask", privilege="Global.CancelTask")
def cancel_task(call: Call, this: Task) -> Any:
    call.vc.tasks.cancel(this)
    return VOID


# -- EventManager / collectors -----------------------------------------------------------------
@method("EventManager", "QueryEvents", Param("filter", wire.EventFilterSpec))
def query_events(call: Call, this: EventManager, filter: wire.EventFilterSpec) -> Any:
    vc = call.vc
    limit = filter.maxCount if filter.maxCount is not None else QUERY_EVENTS_LIMIT
    if limit <= 0:
        raise faults.invalid_argument("filter.maxCount", "maxCount must be a positive number.")
    limit = min(limit, QUERY_EVENTS_LIMIT)
    with vc.registry.lock:
        events = vc.events.matching(filter, vc.registry)
        return vc.events.encoded(reversed(events[-limit:]))


@method("EventManager", "CreateCollectorForEvents", Param("filter", wire.EventFilterSpec))
def create_collector_for_events(call: Call, this: EventManager, filter: wire.EventFilterSpec) -> Any:
    vc = call.vc
    session = _session(call)
    with vc.registry.lock:
        mine = [o for o in session.owned if isinstance(o, EventHistoryCollector) and o.alive]
        if len(mine) >= MAX_COLLECTORS:
            raise faults.invalid_state(
                f"The maximum number of event collectors ({MAX_COLLECTORS}) for this session has been reached."
            )
        if filter.entity is not None and vc.registry.resolve(filter.entity.entity) is None:
            raise faults.invalid_argument("filter.entity", "The entity of the filter does not exist.")
        collector = EventHistoryCollector(vc.new_session_id(session), vc.events, vc.registry, filter, session.key)
        vc.own(session, collector)
        return collector.ref


def _max_count(value: int) -> int:
    if not 0 < value <= READ_EVENTS_LIMIT:
        raise faults.invalid_argument("maxCount", f"maxCount must be between 1 and {READ_EVENTS_LIMIT}.")
    return value


@method("EventHistoryCollector", "ReadNextEvents", Param("maxCount", "int"))
def read_next_events(call: Call, this: EventHistoryCollector, maxCount: int) -> Any:
    with call.vc.registry.lock:
        return this.log.encoded(this.read_next(_max_count(maxCount)))


@method("EventHistoryCollector", "ReadPreviousEvents", Param("maxCount", "int"))
def read_previous_events(call: Call, this: EventHistoryCollector, maxCount: int) -> Any:
    with call.vc.registry.lock:
        return this.log.encoded(this.read_previous(_max_count(maxCount)))


@method("HistoryCollector", "RewindCollector")
def rewind_collector(call: Call, this: EventHistoryCollector) -> Any:
    with call.vc.registry.lock:
        this.rewind()
    return VOID


@method("HistoryCollector", "ResetCollector")
def reset_collector(call: Call, this: EventHistoryCollector) -> Any:
    with call.vc.registry.lock:
        this.reset()
    return VOID


@method("HistoryCollector", "SetCollectorPageSize", Param("maxCount", "int"))
def set_collector_page_size(call: Call, this: EventHistoryCollector, maxCount: int) -> Any:
    with call.vc.registry.lock:
        this.page_size = _max_count(maxCount)
        call.vc.registry.changed(this)
    return VOID


@method("HistoryCollector", "DestroyCollector")
def destroy_collector(call: Call, this: EventHistoryCollector) -> Any:
    with call.vc.registry.lock:
        call.vc.registry.remove(this)
    return VOID


# -- HostSystem --------------------------------------------------------------------------------
@method("HostSystem", "ReconfigureHostForDAS_Task")
def reconfigure_host_for_das(call: Call, this: HostSystem) -> Any:
    return call.vc.reconfigure.launch(this, _session(call))
