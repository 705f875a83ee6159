"""The simulator over real HTTP: paths, sessions, release negotiation, faults, TLS, restart, chaos, stats."""

from __future__ import annotations

import asyncio
import ssl
import time

import httpx
import pytest
from conftest import Vi, moref

from vsphere_nb import wire


# -- service content, releases ------------------------------------------------------------------
def test_service_content_needs_no_session(sim, make_vi):
    vi = make_vi(sim, login=False)
    content = wire.decode_as(vi.content(), wire.ServiceContent)
    assert content.about.apiType == "VirtualCenter"
    assert content.about.version == "8.0.3" and content.about.apiVersion == "8.0.3.0"
    assert content.rootFolder == wire.MoRef("Folder", "group-d1")
    assert content.sessionManager == wire.MoRef("SessionManager", "SessionManager")
    assert content.propertyCollector == wire.MoRef("PropertyCollector", "propertyCollector")
    retrieved = vi.call("ServiceInstance", "ServiceInstance", "RetrieveServiceContent")
    assert retrieved == vi.content()


@pytest.mark.parametrize("release", ["7.0.3.0", "8.0.1.0", "8.0.2.0", "8.0.3.0"])
def test_releases_in_path_are_accepted(sim, make_vi, release):
    vi = make_vi(sim, login=False, release=release)
    assert vi.content()["_typeName"] == "ServiceContent"


@pytest.mark.parametrize("release", ["9.0.0.0", "9.1.0.0", "9.1.1.0"])
def test_releases_newer_than_the_server_are_404(sim, make_vi, release):
    """A vCenter 8.0U3 serves the releases up to its own: a newer one is as unknown as a made-up one."""
    vi = make_vi(sim, login=False, release=release)
    fault = vi.fault(vi.get("ServiceInstance", "ServiceInstance", "content"), 404)
    assert fault["_typeName"] == "InvalidRequest" and release in fault["faultMessage"][0]["message"]


def test_unknown_release_is_404(sim, make_vi):
    vi = make_vi(sim, login=False, release="6.5.0.0")
    assert vi.fault(vi.get("ServiceInstance", "ServiceInstance", "content"), 404)["_typeName"] == "InvalidRequest"


def test_hello_picks_the_best_common_release(sim):
    url = f"{sim.url}/api/vcenter/system?action=hello"
    assert httpx.post(url, json={"api_releases": ["9.1.1.0", "9.0.0.0", "8.0.3.0", "8.0.2.0"]}).json() == {
        "api_release": "8.0.3.0"
    }
    assert httpx.post(url, json={"api_releases": ["8.0.2.0", "8.0.3.0"]}).json() == {"api_release": "8.0.2.0"}
    assert httpx.post(url, json={"api_releases": ["9.1.1.0"]}).json() == {"api_release": ""}
    assert httpx.post(url, content=b"nope").status_code == 400


def test_hello_is_404_on_801_and_in_esx_mode(make_sim):
    for sim in (make_sim(version="8.0.1"), make_sim(mode="esx")):
        r = httpx.post(f"{sim.url}/api/vcenter/system?action=hello", json={"api_releases": ["8.0.1.0"]})
        assert r.status_code == 404
        assert r.json()["error_type"] == "NOT_FOUND"


def test_configured_version_shows_in_about_and_hello(make_sim):
    sim = make_sim(version="9.0.0")
    about = Vi(sim.url).content()["about"]
    assert about["apiVersion"] == "9.0.0.0"
    r = httpx.post(f"{sim.url}/api/vcenter/system?action=hello", json={"api_releases": ["9.1.1.0", "9.0.0.0"]})
    assert r.json() == {"api_release": "9.0.0.0"}


# -- sessions -----------------------------------------------------------------------------------
def test_login_returns_user_session_and_token(sim, make_vi):
    vi = make_vi(sim, login=False)
    response = vi.post(
        "SessionManager", "SessionManager", "Login", {"userName": sim.user, "password": sim.password, "locale": "en"}
    )
    session = wire.decode_as(vi.ok(response), wire.UserSession)
    assert session.userName == sim.user
    token = response.headers["vmware-api-session-id"]
    assert len(token) == 40 and token not in response.text
    current = wire.decode_as(vi.read("SessionManager", "SessionManager", "currentSession"), wire.UserSession)
    assert current.key == session.key


def test_invalid_login(sim, make_vi):
    vi = make_vi(sim, login=False)
    fault = vi.fault(vi.post("SessionManager", "SessionManager", "Login", {"userName": sim.user, "password": "x"}))
    assert fault["_typeName"] == "InvalidLogin"
    assert fault["faultMessage"][0]["message"]
    assert wire.decode_as(fault, wire.MethodFault).is_a("VimFault")


def test_passwords_are_random_per_simulator_and_absent_from_repr(make_sim):
    a, b = make_sim(), make_sim()
    assert a.password != b.password and len(a.password) >= 12
    assert a.password not in repr(a)


def test_calls_without_session_are_not_authenticated(sim, make_vi):
    vi = make_vi(sim, login=False)
    for response in (
        vi.get("HostSystem", "host-1", "name"),
        vi.post("ViewManager", "ViewManager", "CreateListView", {}),
        vi.get("SessionManager", "SessionManager", "currentSession"),
    ):
        fault = vi.fault(response)
        assert fault["_typeName"] == "NotAuthenticated"
        assert wire.decode_as(fault, wire.MethodFault).is_a("NoPermission")


def test_not_authenticated_status_knob(make_sim, make_vi):
    sim = make_sim(not_authenticated_status=401)
    vi = make_vi(sim, login=False)
    assert vi.fault(vi.get("HostSystem", "host-1", "name"), 401)["_typeName"] == "NotAuthenticated"


def test_logout_ends_the_session(sim, vi):
    assert vi.post("SessionManager", "SessionManager", "Logout").status_code == 204
    assert vi.fault(vi.get("SessionManager", "SessionManager", "currentSession"))["_typeName"] == "NotAuthenticated"


def test_session_lifetime_then_relogin(make_sim, make_vi):
    import time

    sim = make_sim(session_lifetime=0.3)
    vi = make_vi(sim)
    time.sleep(0.4)
    assert vi.fault(vi.get("SessionManager", "SessionManager", "currentSession"))["_typeName"] == "NotAuthenticated"
    assert sim.stats()["chaos"]["session_expiries"] == 1
    sim.chaos.session_lifetime = None
    vi.login(sim.user, sim.password)
    assert vi.read("SessionManager", "SessionManager", "currentSession")["userName"] == sim.user
    assert sim.stats()["sessions"] == 1


def test_expire_sessions_now(sim, vi):
    view = vi.container_view(["HostSystem"])
    assert sim.expire_sessions() == 1
    assert vi.fault(vi.get("ContainerView", view["value"], "view"))["_typeName"] == "NotAuthenticated"
    vi.login(sim.user, sim.password)
    # the expired session's views died with it
    assert vi.fault(vi.get("ContainerView", view["value"], "view"))["_typeName"] == "ManagedObjectNotFound"


def test_api_session_token_works_on_sdk_from_803(make_sim, make_vi):
    sim = make_sim()
    r = httpx.post(f"{sim.url}/api/session", auth=(sim.user, sim.password))
    assert r.status_code == 201
    vi = make_vi(sim, login=False)
    vi.token = r.json()
    assert vi.read("SessionManager", "SessionManager", "currentSession")["userName"] == sim.user
    assert httpx.post(f"{sim.url}/api/session", auth=(sim.user, "bad")).status_code == 401
    old = make_sim(version="8.0.2")
    token = httpx.post(f"{old.url}/api/session", auth=(old.user, old.password)).json()
    vi_old = make_vi(old, login=False, release="8.0.2.0")  # an 8.0.2 vCenter serves releases up to its own
    vi_old.token = token
    assert (
        vi_old.fault(vi_old.get("SessionManager", "SessionManager", "currentSession"))["_typeName"]
        == "NotAuthenticated"
    )


# -- routing and faults -------------------------------------------------------------------------
def test_property_reads_are_plain_values(vi):
    host = next(iter(vi.hosts(["name"])))
    assert isinstance(vi.read("HostSystem", host, "name"), str)
    runtime = wire.decode_as(vi.read("HostSystem", host, "runtime"), wire.HostRuntimeInfo)
    assert str(runtime.connectionState) == "connected"
    datastores = vi.read("HostSystem", host, "datastore")
    assert isinstance(datastores, list) and datastores[0]["_typeName"] == "ManagedObjectReference"
    assert vi.read("HostSystem", host, "overallStatus") in ("green", "yellow", "red", "gray")


def test_unknown_property_method_and_object(vi):
    host = next(iter(vi.hosts(["name"])))
    fault = vi.fault(vi.get("HostSystem", host, "noSuchProperty"))
    assert fault["_typeName"] == "InvalidProperty" and fault["name"] == "noSuchProperty"
    fault = vi.fault(vi.post("HostSystem", host, "NoSuchMethod"))
    assert fault["_typeName"] == "MethodNotFound" and fault["method"] == "NoSuchMethod"
    assert wire.decode_as(fault, wire.MethodFault).is_a("InvalidRequest")
    fault = vi.fault(vi.post("HostSystem", host, "runtime"))  # POST of a property name
    assert fault["_typeName"] == "MethodNotFound"
    fault = vi.fault(vi.get("HostSystem", "host-999999", "name"))
    assert fault["_typeName"] == "ManagedObjectNotFound"
    assert fault["obj"] == moref("HostSystem", "host-999999")
    fault = vi.fault(vi.get("VirtualMachine", "vm-1", "name"))
    assert fault["_typeName"] == "ManagedObjectNotFound"
    assert vi.get("HostSystem", host, "ReconfigureHostForDAS_Task").status_code == 405
    assert vi.fault(vi.get("NoSuchType", "x", "name"))["_typeName"] == "InvalidProperty"


def test_bad_bodies_get_clean_faults(vi):
    url = vi.url("ViewManager", "ViewManager", "CreateContainerView")
    for content in (b"{not json", b"[1, 2]", b'"text"'):
        r = vi.http.post(url, content=content, headers=vi.headers())
        fault = vi.fault(r)
        assert fault["_typeName"] == "InvalidArgument" and r.headers["content-type"] == "application/json"
    fault = vi.fault(vi.post("ViewManager", "ViewManager", "CreateContainerView", {"recursive": True}))
    assert fault["invalidProperty"] == "container"
    fault = vi.fault(
        vi.post("ViewManager", "ViewManager", "CreateContainerView", {"container": {"type": 3}, "recursive": True})
    )
    assert fault["_typeName"] == "InvalidArgument" and fault["invalidProperty"] == "container"
    fault = vi.fault(
        vi.post(
            "PropertyCollector",
            "propertyCollector",
            "RetrievePropertiesEx",
            {"specSet": [{"_typeName": "PropertyFilterSpec", "objectSet": "x"}]},
        )
    )
    assert fault["invalidProperty"] == "specSet"


def test_percent_encoded_view_ids(vi):
    view = vi.container_view(["HostSystem"])
    assert view["value"].startswith("session[")
    # Vi percent-encodes moIds; an unencoded path works too
    assert vi.read("ContainerView", view["value"], "view")
    raw = f"{vi.base_url}/sdk/vim25/8.0.3.0/ContainerView/{view['value']}/view"
    assert vi.http.get(raw, headers=vi.headers()).status_code == 200


def test_session_objects_are_private(sim, make_vi):
    alice, bob = make_vi(sim), make_vi(sim)
    view = alice.container_view(["HostSystem"])
    assert bob.fault(bob.get("ContainerView", view["value"], "view"))["_typeName"] == "ManagedObjectNotFound"


# -- TLS ----------------------------------------------------------------------------------------
def test_tls_with_generated_ca(make_sim):
    sim = make_sim(tls=True)
    assert sim.url.startswith("https://") and sim.ca_file
    r = httpx.get(
        f"{sim.url}/sdk/vim25/8.0.3.0/ServiceInstance/ServiceInstance/content",
        verify=ssl.create_default_context(cafile=sim.ca_file),
    )
    assert r.status_code == 200
    with pytest.raises(httpx.ConnectError) as info:
        httpx.get(f"{sim.url}/sdk/vim25/8.0.3.0/ServiceInstance/ServiceInstance/content")  # system CAs only
    assert isinstance(info.value.__context__, ssl.SSLError) or "CERTIFICATE" in str(info.value).upper()


# -- restart and chaos --------------------------------------------------------------------------
def test_restart_keeps_port_and_tasks_loses_sessions(make_sim, make_vi):
    sim = make_sim(task_seconds=10, time_scale=10)  # ~1 s tasks
    vi = make_vi(sim)
    host = next(h for h, p in vi.hosts(["runtime.dasHostState"]).items() if p.get("runtime.dasHostState"))
    task = vi.reconfigure(host)
    port = sim.port
    sim.restart(downtime=0.1)
    assert sim.port == port
    assert vi.fault(vi.get("Task", task["value"], "info"))["_typeName"] == "NotAuthenticated"
    vi.login(sim.user, sim.password)
    assert vi.wait_task(task["value"])["state"] == "success"
    stats = sim.stats()
    assert stats["chaos"]["restarts"] == 1 and stats["sessions"] == 1


def test_a_restart_cuts_requests_in_flight_without_an_error_traceback(make_sim):
    """A stop or restart cancels the requests in flight (the outage it simulates); uvicorn would log each one as
    "Exception in ASGI application" with a CancelledError traceback. Other errors are still logged in full."""
    import logging
    import sys
    import threading

    from vsphere_nb.simulator.server import _CUT_REQUESTS

    sim = make_sim(latency=5.0)  # every /sdk request waits 5 s before it is answered: still in flight at the stop
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.addHandler(handler)
    outcome: list[object] = []

    def ask() -> None:
        try:
            outcome.append(httpx.get(f"{sim.url}/sdk/vim25/8.0.3.0/ServiceInstance/ServiceInstance/content"))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    try:
        thread = threading.Thread(target=ask)
        thread.start()
        deadline = time.monotonic() + 10
        while not sim._server._server.server_state.tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sim._server._server.server_state.tasks, "the request never reached the server"
        sim.restart()
        thread.join(10)
    finally:
        uvicorn_error.removeHandler(handler)
    assert outcome and isinstance(outcome[0], httpx.HTTPError), outcome  # the client saw the connection cut
    assert [r.getMessage() for r in records if r.levelno >= logging.ERROR] == []
    try:
        raise ValueError("a real bug")
    except ValueError:
        real = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    assert _CUT_REQUESTS.filter(real)  # anything but a cut request keeps its traceback


def test_connection_refused_while_restarting(make_sim):
    sim = make_sim()
    sim._server.stop()  # the gap of a restart
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sim.url}/sdk/vim25/8.0.3.0/ServiceInstance/ServiceInstance/content")
    sim._server.start()
    assert httpx.get(f"{sim.url}/sdk/vim25/8.0.3.0/ServiceInstance/ServiceInstance/content").status_code == 200


def test_chaos_503_and_dropped_connections(make_sim, make_vi):
    sim = make_sim(http_503_rate=1.0)
    vi = make_vi(sim, login=False)
    r = vi.get("ServiceInstance", "ServiceInstance", "content")
    assert r.status_code == 503 and r.headers["content-type"].startswith("text/plain")
    sim.chaos.http_503_rate = 0.0
    sim.chaos.drop_rate = 1.0
    for _ in range(4):
        with pytest.raises(httpx.RemoteProtocolError):
            vi.get("ServiceInstance", "ServiceInstance", "content")
    sim.chaos.drop_rate = 0.0
    assert vi.get("ServiceInstance", "ServiceInstance", "content").status_code == 200
    chaos = httpx.get(f"{sim.url}/simulator/stats").json()["chaos"]  # /simulator is never chaotic
    assert chaos["http_503"] == 1 and chaos["dropped_connections"] == 4


def test_dropped_launch_may_have_happened(make_sim, make_vi):
    """Half the drops happen after the call took effect: the task exists although no answer came."""
    sim = make_sim(task_seconds=60)
    vi = make_vi(sim)
    hosts = list(vi.hosts(["name"]))
    sim.chaos.drop_rate = 1.0
    for host in hosts:
        with pytest.raises(httpx.RemoteProtocolError):
            vi.reconfigure(host)
    sim.chaos.drop_rate = 0.0
    launched = sim.stats()["launches_per_host"]
    assert 0 < len(launched) < len(hosts)
    for host in launched:
        assert vi.read("HostSystem", host, "recentTask"), "a launched task is visible in recentTask"


def test_latency_and_jitter(make_sim, make_vi):
    import time

    sim = make_sim(latency=0.05, jitter=0.05)
    vi = make_vi(sim, login=False)
    start = time.monotonic()
    for _ in range(5):
        vi.content()
    assert time.monotonic() - start >= 0.25


def test_restart_every(make_sim, make_vi):
    import time

    sim = make_sim(restart_every=0.3)
    deadline = time.monotonic() + 10
    while sim.stats()["chaos"]["restarts"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert make_vi(sim).content()["_typeName"] == "ServiceContent"


# -- stats --------------------------------------------------------------------------------------
def test_stats_and_reset(sim, vi):
    host = next(iter(vi.hosts(["name"])))
    vi.wait_task(vi.reconfigure(host)["value"])
    stats = httpx.get(f"{sim.url}/simulator/stats").json()
    assert set(stats) == {
        "requests",
        "launches_per_host",
        "max_concurrent_tasks",
        "max_concurrent_tasks_per_cluster",
        "sessions",
        "chaos",
    }
    assert stats["requests"]["HostSystem.ReconfigureHostForDAS_Task"] == 1
    assert stats["requests"]["SessionManager.Login"] == 1
    assert stats["launches_per_host"] == {host: 1}
    assert stats["max_concurrent_tasks"] == 1
    assert sum(stats["max_concurrent_tasks_per_cluster"].values()) == 1
    assert stats["sessions"] == 1
    reset = httpx.post(f"{sim.url}/simulator/stats/reset").json()
    assert reset["requests"] == {} and reset["launches_per_host"] == {} and reset["max_concurrent_tasks"] == 0
    assert reset["sessions"] == 1  # a gauge, not a counter


# -- in-process ---------------------------------------------------------------------------------
def test_in_process_asgi_transport_with_tasks():
    from vsphere_nb.simulator import Simulator

    sim = Simulator(
        **{
            "clusters": 1,
            "hosts_per_cluster": 2,
            "standalone_hosts": 0,
            "scenario": "healthy",
            "task_seconds": 1.0,
            "time_scale": 20.0,
        }
    )

    async def scenario() -> dict:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(sim.app), base_url="http://sim") as client:
            base = "/sdk/vim25/8.0.3.0"
            r = await client.post(
                f"{base}/SessionManager/SessionManager/Login", json={"userName": sim.user, "password": sim.password}
            )
            headers = {"vmware-api-session-id": r.headers["vmware-api-session-id"]}
            host = sim.inventory.hosts[0].moid
            task = (await client.post(f"{base}/HostSystem/{host}/ReconfigureHostForDAS_Task", headers=headers)).json()
            view = (
                await client.post(
                    f"{base}/ViewManager/ViewManager/CreateListView", headers=headers, json={"obj": [task]}
                )
            ).json()
            spec = {
                "_typeName": "PropertyFilterSpec",
                "objectSet": [
                    {
                        "_typeName": "ObjectSpec",
                        "obj": view,
                        "skip": True,
                        "selectSet": [{"_typeName": "TraversalSpec", "name": "v", "type": "ListView", "path": "view"}],
                    }
                ],
                "propSet": [{"_typeName": "PropertySpec", "type": "Task", "pathSet": ["info.state"]}],
            }
            await client.post(
                f"{base}/PropertyCollector/propertyCollector/CreateFilter",
                headers=headers,
                json={"spec": spec, "partialUpdates": False},
            )
            version, state = "", None
            while state not in ("success", "error"):
                r = await client.post(
                    f"{base}/PropertyCollector/propertyCollector/WaitForUpdatesEx",
                    headers=headers,
                    json={"version": version, "options": {"_typeName": "WaitOptions", "maxWaitSeconds": 5}},
                )
                update = wire.decode_as(r.json(), wire.UpdateSet)
                version = update.version
                for change in update.filterSet[0].objectSet[0].changeSet or []:
                    state = str(change.val)
            with pytest.raises(httpx.RemoteProtocolError):
                sim.chaos.drop_rate = 1.0
                await client.get(f"{base}/ServiceInstance/ServiceInstance/content")
            return {"state": state}

    try:
        assert asyncio.run(scenario()) == {"state": "success"}
    finally:
        sim.stop()
