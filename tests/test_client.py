"""AsyncClient against a fake vCenter behind httpx.MockTransport: sessions, release choice, retries, faults."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fake_vcenter import SESSION_HEADER, FakeVCenter, aconnect, fault, json_response, moref

from vsphere_nb import errors, wire
from vsphere_nb.client import AsyncClient, call_policy
from vsphere_nb.config import RetryPolicy

HOST = wire.MoRef("HostSystem", "host-1003")
RUNTIME = {
    "_typeName": "HostRuntimeInfo",
    "connectionState": "connected",
    "powerState": "poweredOn",
    "inMaintenanceMode": False,
    "dasHostState": {"_typeName": "ClusterDasFdmHostState", "state": "master"},
}


def run(coro):
    return asyncio.run(coro)


def fake_with_host(**kwargs) -> FakeVCenter:
    fake = FakeVCenter(**kwargs)
    fake.set_property("HostSystem", "host-1003", "runtime", RUNTIME)
    fake.set_property("HostSystem", "host-1003", "name", {"_typeName": "string", "_value": "esx03"})
    return fake


# ------------------------------------------------------------------------------------------------
# connect, content, login
# ------------------------------------------------------------------------------------------------
def test_connect_reads_content_without_session_then_logs_in_with_moid_from_content():
    fake = fake_with_host()
    fake.content["sessionManager"] = moref("SessionManager", "SessionManager-7")

    async def main():
        async with await aconnect(fake) as vc:
            assert vc.content.sessionManager == wire.MoRef("SessionManager", "SessionManager-7")
            assert vc.session is not None and vc.session.userName == fake.user
            assert vc.server == "https://vc.test"
            assert vc.base_url == "https://vc.test/sdk/vim25/8.0.3.0/"
            assert vc.about.apiVersion == "8.0.3.0"

    run(main())
    first = fake.requests[0]
    assert first.method == "GET"
    assert first.url.path == "/sdk/vim25/8.0.1.0/ServiceInstance/ServiceInstance/content"
    assert SESSION_HEADER not in first.headers
    login = fake.calls("SessionManager.Login")[0]
    assert login.url.path == "/sdk/vim25/8.0.3.0/SessionManager/SessionManager-7/Login"
    assert json.loads(login.content) == {"userName": fake.user, "password": fake.password}
    assert SESSION_HEADER not in login.headers
    assert fake.calls("SessionManager.Logout")[0].url.path.endswith("/SessionManager/SessionManager-7/Logout")


def test_session_header_sent_on_every_later_call():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            token = vc.session_token.reveal()
            runtime = await vc.get(HOST, "runtime")
            name = await vc.get(HOST, "name")
            return token, runtime, name

    token, runtime, name = run(main())
    assert isinstance(runtime, wire.HostRuntimeInfo) and str(runtime.dasHostState.state) == "master"
    assert name == "esx03"
    after_login = fake.requests[fake.requests.index(fake.calls("SessionManager.Login")[0]) + 1 :]
    assert after_login and all(r.headers.get(SESSION_HEADER) == token for r in after_login)


def test_token_rotation_keeps_the_newest_value():
    fake = fake_with_host(rotate_tokens=True)

    async def main():
        async with await aconnect(fake) as vc:
            for _ in range(4):
                await vc.get(HOST, "name")
            return vc.stats.relogins

    relogins = run(main())
    assert relogins == 0 and fake.logins == 1  # a stale token would have forced a re-login
    sent = [r.headers.get(SESSION_HEADER) for r in fake.calls("HostSystem.name")]
    assert len(set(sent)) == 4  # a new token each time, each the one the previous answer carried


@pytest.mark.parametrize("style", ["500", "401json", "403json", "401bare", "403bare"])
def test_expired_session_relogin_once_then_replay(style):
    fake = fake_with_host(expired_style=style)

    async def main():
        async with await aconnect(fake) as vc:
            fake.expire_sessions()
            value = await vc.get(HOST, "runtime")
            return value, vc.stats.relogins

    value, relogins = run(main())
    assert isinstance(value, wire.HostRuntimeInfo)
    assert fake.logins == 2 and relogins == 1
    assert len(fake.calls("HostSystem.runtime")) == 2


def test_relogin_happens_only_once_per_call():
    fake = fake_with_host()
    not_auth = lambda request: fault("NotAuthenticated")  # noqa: E731

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.runtime", not_auth, not_auth, not_auth)
            with pytest.raises(errors.NotAuthenticatedError) as info:
                await vc.get(HOST, "runtime")
            return info.value

    exc = run(main())
    assert fake.logins == 2  # one re-login, not a loop
    assert len(fake.calls("HostSystem.runtime")) == 2
    assert exc.is_a("NoPermission") and exc.method == "runtime" and exc.moref == HOST


def test_concurrent_expiry_leads_to_a_single_relogin():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.expire_sessions()
            values = await asyncio.gather(*(vc.get(HOST, "name") for _ in range(12)))
            return values, vc.stats.relogins

    values, relogins = run(main())
    assert values == ["esx03"] * 12
    assert fake.logins == 2 and relogins == 1


def test_relogin_failure_raises_not_authenticated():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.expire_sessions()
            fake.password = "changed-meanwhile"
            with pytest.raises(errors.NotAuthenticatedError) as info:
                await vc.get(HOST, "runtime")
            return info.value

    exc = run(main())
    assert isinstance(exc.__cause__, errors.ServerFault) and exc.__cause__.is_a("InvalidLogin")


def test_invalid_login_is_a_server_fault_not_not_authenticated():
    fake = fake_with_host()

    async def main():
        await aconnect(fake, user=fake.user, password="wrong")

    with pytest.raises(errors.ServerFault) as info:
        run(main())
    assert not isinstance(info.value, errors.NotAuthenticatedError)
    assert info.value.is_a("InvalidLogin") and info.value.is_a("VimFault")
    assert "incorrect user name or password" in str(info.value)


# ------------------------------------------------------------------------------------------------
# task launches
# ------------------------------------------------------------------------------------------------
def _task_handler(request, body):
    return json_response(200, moref("Task", "task-77"))


def test_launch_returns_task_moref_and_sends_no_body():
    fake = fake_with_host()
    fake.on("HostSystem.ReconfigureHostForDAS_Task", _task_handler)

    async def main():
        async with await aconnect(fake) as vc:
            return await vc.invoke(HOST, "ReconfigureHostForDAS_Task")

    assert run(main()) == wire.MoRef("Task", "task-77")
    (req,) = fake.calls("HostSystem.ReconfigureHostForDAS_Task")
    assert req.method == "POST" and req.content == b""
    assert req.url.path == "/sdk/vim25/8.0.3.0/HostSystem/host-1003/ReconfigureHostForDAS_Task"


@pytest.mark.parametrize("style", ["500", "401bare", "403json"])
def test_launch_is_never_replayed_after_session_expiry(style):
    fake = fake_with_host(expired_style=style)
    fake.on("HostSystem.ReconfigureHostForDAS_Task", _task_handler)

    async def main():
        async with await aconnect(fake) as vc:
            fake.expire_sessions()
            with pytest.raises(errors.LaunchStateUnknown) as info:
                await vc.invoke(HOST, "ReconfigureHostForDAS_Task")
            # the session was renewed, so the caller's next (checked) launch works without another login
            again = await vc.invoke(HOST, "ReconfigureHostForDAS_Task")
            return info.value, again

    exc, again = run(main())
    assert exc.method == "ReconfigureHostForDAS_Task" and exc.moref == HOST
    assert "recentTask" in str(exc)
    assert again == wire.MoRef("Task", "task-77")
    assert len(fake.calls("HostSystem.ReconfigureHostForDAS_Task")) == 2  # the failed one + the caller's own retry
    assert fake.logins == 2


def test_launch_without_credentials_raises_not_authenticated():
    fake = fake_with_host()
    token = fake._new_token()

    async def main():
        async with await aconnect(fake, session_token=token) as vc:
            fake.expire_sessions()
            await vc.invoke(HOST, "ReconfigureHostForDAS_Task")

    with pytest.raises(errors.NotAuthenticatedError):
        run(main())
    assert fake.logins == 0


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
    ],
)
def test_launch_whose_connection_drops_after_sending_is_state_unknown(exc):
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.ReconfigureHostForDAS_Task", exc)
            with pytest.raises(errors.LaunchStateUnknown) as info:
                await vc.invoke(HOST, "ReconfigureHostForDAS_Task")
            return info.value, vc.stats

    err, stats = run(main())
    assert isinstance(err.__cause__, errors.TransportError)
    assert len(fake.calls("HostSystem.ReconfigureHostForDAS_Task")) == 1
    assert stats.transport_errors == 1 and stats.retries == 0


def test_launch_that_could_not_connect_is_a_plain_connect_error():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.ReconfigureHostForDAS_Task", httpx.ConnectError("[Errno 111] Connection refused"))
            await vc.invoke(HOST, "ReconfigureHostForDAS_Task")

    with pytest.raises(errors.ConnectError) as info:
        run(main())
    assert "https://vc.test" in str(info.value)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_launch_answered_by_a_gateway_error_is_state_unknown_and_not_retried(status):
    fake = fake_with_host()
    fake.on("HostSystem.ReconfigureHostForDAS_Task", _task_handler)

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.ReconfigureHostForDAS_Task", httpx.Response(status, content=b"<html>busy</html>"))
            await vc.invoke(HOST, "ReconfigureHostForDAS_Task")

    with pytest.raises(errors.LaunchStateUnknown):
        run(main())
    assert len(fake.calls("HostSystem.ReconfigureHostForDAS_Task")) == 1


# ------------------------------------------------------------------------------------------------
# logout / close / session token
# ------------------------------------------------------------------------------------------------
def test_close_logs_out_and_is_idempotent():
    fake = fake_with_host()

    async def main():
        vc = await aconnect(fake)
        token = vc.session_token.reveal()
        await vc.close()
        await vc.close()
        return vc, token

    vc, token = run(main())
    (logout,) = fake.calls("SessionManager.Logout")
    assert logout.headers[SESSION_HEADER] == token and logout.content == b""
    assert token not in fake.sessions and fake.logouts == 1
    assert vc.is_closed and vc.session is None


def test_close_survives_a_failing_logout():
    fake = fake_with_host()

    async def main():
        vc = await aconnect(fake)
        fake.inject("SessionManager.Logout", httpx.ConnectError("refused"))
        await vc.close()
        return vc

    assert run(main()).is_closed


def test_session_token_reuse_skips_login_and_is_not_logged_out():
    fake = fake_with_host()
    token = fake._new_token()

    async def main():
        async with await aconnect(fake, session_token=token) as vc:
            assert vc.session is not None
            return await vc.get(HOST, "name")

    assert run(main()) == "esx03"
    assert fake.logins == 0 and fake.logouts == 0 and token in fake.sessions
    assert len(fake.calls("SessionManager.currentSession")) == 1
    assert all(r.headers.get(SESSION_HEADER) == token for r in fake.calls("HostSystem.name"))


@pytest.mark.parametrize("answer", ["null", "fault"])
def test_invalid_session_token_without_password_raises(answer):
    fake = fake_with_host()
    if answer == "fault":
        fake.inject("SessionManager.currentSession", fault("NotAuthenticated"))

    async def main():
        await aconnect(fake, session_token="not-a-valid-token")

    with pytest.raises(errors.NotAuthenticatedError):
        run(main())


def test_invalid_session_token_with_credentials_falls_back_to_login():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake, user=fake.user, password=fake.password, session_token="stale") as vc:
            return vc.session_token.reveal()

    token = run(main())
    assert fake.logins == 1 and token.startswith("tok-")


def test_expired_reused_session_without_credentials_raises():
    fake = fake_with_host()
    token = fake._new_token()

    async def main():
        async with await aconnect(fake, session_token=token) as vc:
            fake.expire_sessions()
            await vc.get(HOST, "name")

    with pytest.raises(errors.NotAuthenticatedError):
        run(main())


def test_anonymous_client_can_read_about_only():
    fake = fake_with_host()

    async def main():
        async with await AsyncClient.connect("https://vc.test", transport=fake.transport()) as vc:
            assert vc.session is None and vc.about.version == "8.0.3"
            with pytest.raises(errors.NotAuthenticatedError):
                await vc.get(HOST, "name")

    run(main())
    assert fake.calls("SessionManager.Logout") == []


# ------------------------------------------------------------------------------------------------
# release negotiation
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "hello, api_version, explicit, expected, source",
    [
        ("8.0.3.0", "8.0.3.0", "8.0.2.0", "8.0.2.0", "explicit"),
        ("8.0.2.0", "8.0.3.0", None, "8.0.2.0", "hello"),
        (404, "8.0.2.0", None, "8.0.2.0", "about"),
        ("", "8.0.2.0", None, "8.0.2.0", "about"),
        (httpx.ConnectError("refused"), "8.0.3.0", None, "8.0.3.0", "about"),
        (404, "7.0.3.0", None, "8.0.1.0", "default"),
        (404, "8.0", None, "8.0.1.0", "default"),
        ("", "", None, "8.0.1.0", "default"),
        ("not-a-release", "garbage", None, "8.0.1.0", "default"),
    ],
)
def test_release_negotiation(hello, api_version, explicit, expected, source):
    fake = fake_with_host(hello=hello, api_version=api_version)

    async def main():
        async with await aconnect(fake, release=explicit) as vc:
            await vc.get(HOST, "name")
            return vc.release, vc.release_source

    assert run(main()) == (expected, source)
    first = fake.requests[0]
    assert first.url.path == f"/sdk/vim25/{explicit or '8.0.1.0'}/ServiceInstance/ServiceInstance/content"
    assert fake.calls("HostSystem.name")[0].url.path.startswith(f"/sdk/vim25/{expected}/")
    hellos = fake.calls("hello")
    if explicit:
        assert hellos == []
    else:
        assert hellos and json.loads(hellos[0].content) == {
            "api_releases": ["9.1.1.0", "9.0.0.0", "8.0.3.0", "8.0.2.0", "8.0.1.0"]
        }
        assert hellos[0].url.params["action"] == "hello"


def test_content_404_means_no_vi_json():
    fake = fake_with_host()
    fake.inject("ServiceInstance.content", httpx.Response(404, content=b""))

    with pytest.raises(errors.ProtocolError, match="8.0 Update 1"):
        run(aconnect(fake))


# ------------------------------------------------------------------------------------------------
# retries
# ------------------------------------------------------------------------------------------------
def test_503_is_retried_for_property_reads():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.name", httpx.Response(503), httpx.Response(502, content=b"<html/>"))
            value = await vc.get(HOST, "name")
            return value, vc.stats

    value, stats = run(main())
    assert value == "esx03"
    assert len(fake.calls("HostSystem.name")) == 3 and stats.retries == 2
    assert stats.by_call["HostSystem.name"] == 3


def test_503_is_retried_for_read_only_methods():
    fake = fake_with_host()
    fake.on(
        "PropertyCollector.RetrievePropertiesEx",
        lambda request, body: json_response(200, {"_typeName": "RetrieveResult", "objects": []}),
    )

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("PropertyCollector.RetrievePropertiesEx", httpx.Response(503), httpx.ReadError("reset"))
            return await vc.invoke(vc.content.propertyCollector, "RetrievePropertiesEx", specSet=[])

    result = run(main())
    assert isinstance(result, wire.RetrieveResult)
    assert len(fake.calls("PropertyCollector.RetrievePropertiesEx")) == 3


def test_503_is_not_retried_for_method_calls():
    fake = fake_with_host()
    fake.on("HostSystem.UpdateFlags", lambda request, body: httpx.Response(204))

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.UpdateFlags", httpx.Response(503, content=b"Service Unavailable"))
            await vc.invoke(
                HOST, "UpdateFlags", flagInfo={"_typeName": "HostFlagInfo", "backgroundSnapshotsEnabled": True}
            )

    with pytest.raises(errors.ProtocolError) as info:
        run(main())
    assert info.value.status == 503
    assert len(fake.calls("HostSystem.UpdateFlags")) == 1


def test_connection_reset_is_not_retried_for_method_calls():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.UpdateFlags", httpx.ReadError("reset"))
            await vc.invoke(HOST, "UpdateFlags")

    with pytest.raises(errors.ConnectError):
        run(main())
    assert len(fake.calls("HostSystem.UpdateFlags")) == 1


def test_retries_are_capped_then_protocol_error():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake, retry=RetryPolicy(attempts=3, base=0.001, cap=0.002)) as vc:
            fake.inject(
                "HostSystem.name",
                *[httpx.Response(503, content=b"<html>503</html>", headers={"Content-Type": "text/html"})] * 5,
            )
            await vc.get(HOST, "name")

    with pytest.raises(errors.ProtocolError) as info:
        run(main())
    assert info.value.status == 503 and "text/html" in str(info.value)
    assert len(fake.calls("HostSystem.name")) == 3


def test_read_timeout_on_a_read_is_not_retried():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.name", httpx.ReadTimeout("slow"))
            await vc.get(HOST, "name")

    with pytest.raises(errors.TimeoutError, match="waiting for the answer"):
        run(main())
    assert len(fake.calls("HostSystem.name")) == 1


def test_call_policy_table():
    assert call_policy("ReconfigureHostForDAS_Task") == "launch"
    assert call_policy("WaitForUpdatesEx") == "read"
    assert call_policy("ContinueRetrievePropertiesEx") == "read"
    assert call_policy("QueryEvents") == "read"
    assert call_policy("Logout") == "session"
    for method in ("CreateContainerView", "CreateFilter", "CreatePropertyCollector", "CreateCollectorForEvents"):
        assert call_policy(method) == "create"  # creates a session-scoped object only: retried like a read
    assert call_policy("DestroyView") == "write"


# ------------------------------------------------------------------------------------------------
# faults and odd answers
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "type_name, ancestors",
    [
        ("NotAuthenticated", ["NoPermission", "SecurityError", "RuntimeFault", "MethodFault"]),
        ("NoPermission", ["SecurityError", "RuntimeFault", "MethodFault"]),
        ("InvalidLogin", ["VimFault", "MethodFault"]),
        ("DasConfigFault", ["VimFault", "MethodFault"]),
        ("NotSupported", ["RuntimeFault", "MethodFault"]),
        ("ManagedObjectNotFound", ["RuntimeFault", "MethodFault"]),
        ("InvalidArgument", ["RuntimeFault"]),
        ("InvalidState", ["VimFault"]),
        ("HostNotConnected", ["HostCommunication", "RuntimeFault"]),
        ("MethodNotFound", ["InvalidRequest", "RuntimeFault"]),
        ("RequestCanceled", ["RuntimeFault"]),
        ("InvalidProperty", ["MethodFault"]),
        ("SomeFutureFault", ["MethodFault"]),
    ],
)
@pytest.mark.parametrize("wrapped", [False, True])
def test_faults_become_server_faults_with_ancestry(type_name, ancestors, wrapped):
    fake = fake_with_host()
    body = {
        "_typeName": type_name,
        "faultMessage": [{"_typeName": "LocalizableMessage", "key": "k", "message": f"{type_name} happened"}],
    }
    if wrapped:
        body = {"_typeName": "LocalizedMethodFault", "fault": body, "localizedMessage": "wrapped"}

    async def main():
        async with await aconnect(fake) as vc:
            # a plain method (not a launch) so a NotAuthenticated here is 'unfixable' after one re-login
            fake.inject("HostSystem.UpdateFlags", json_response(500, body), json_response(500, body))
            await vc.invoke(HOST, "UpdateFlags")

    with pytest.raises(errors.ServerFault) as info:
        run(main())
    exc = info.value
    assert exc.type_name == type_name
    assert exc.is_a(type_name) and all(exc.is_a(a) for a in ancestors)
    assert not exc.is_a("DasConfigFault") or type_name == "DasConfigFault"
    assert exc.status == 500 and exc.method == "UpdateFlags" and exc.moref == HOST
    assert exc.raw == body
    assert f"{type_name} happened" in str(exc)
    assert isinstance(exc, errors.NotAuthenticatedError) == (type_name == "NotAuthenticated")


@pytest.mark.parametrize("with_faultstring", [True, False])
def test_faultstring_is_optional(with_faultstring):
    fake = fake_with_host()
    body = {"_typeName": "DasConfigFault", "reason": "HostNetworkMisconfiguration", "output": "vmk0 down"}
    if with_faultstring:
        body["faultstring"] = "HA config failed on esx03"

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.ReconfigureHostForDAS_Task", json_response(500, body))
            await vc.invoke(HOST, "ReconfigureHostForDAS_Task")

    with pytest.raises(errors.ServerFault) as info:
        run(main())
    fault_obj = info.value.fault
    assert isinstance(fault_obj, wire.DasConfigFault)
    assert str(fault_obj.reason) == "HostNetworkMisconfiguration"
    if with_faultstring:
        assert "HA config failed on esx03" in str(info.value)
    else:
        assert "reason HostNetworkMisconfiguration" in str(info.value)


def test_403_with_a_permission_fault_is_not_a_session_expiry():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.runtime", fault("NoPermission", status=403, privilegeId="System.Read"))
            await vc.get(HOST, "runtime")

    with pytest.raises(errors.ServerFault) as info:
        run(main())
    assert not isinstance(info.value, errors.NotAuthenticatedError) and info.value.status == 403
    assert fake.logins == 1


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, content=b"<html>Internal Server Error</html>", headers={"Content-Type": "text/html"}),
        httpx.Response(400, content=b'{"error": "no _typeName here"}', headers={"Content-Type": "application/json"}),
        httpx.Response(500, content=b"", headers={}),
    ],
)
def test_non_fault_error_bodies_are_protocol_errors(response):
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.UpdateFlags", response)
            await vc.invoke(HOST, "UpdateFlags")

    with pytest.raises(errors.ProtocolError) as info:
        run(main())
    assert info.value.status == response.status_code


def test_garbled_2xx_body_is_a_protocol_error():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.name", httpx.Response(200, content=b'{"_typeName": "string", "_val'))
            await vc.get(HOST, "name")

    with pytest.raises(errors.ProtocolError, match="name on HostSystem:host-1003"):
        run(main())


# ------------------------------------------------------------------------------------------------
# encoding of calls
# ------------------------------------------------------------------------------------------------
def test_moid_is_percent_encoded_in_the_path():
    fake = fake_with_host()
    view = wire.MoRef("ContainerView", "session[52e1]/5a 2?#")
    fake.set_property("ContainerView", view.value, "view", {"_typeName": "ArrayOfManagedObjectReference", "_value": []})

    async def main():
        async with await aconnect(fake) as vc:
            return await vc.get(view, "view")

    assert run(main()) == []
    (req,) = fake.calls("ContainerView.view")
    assert req.url.raw_path.decode().endswith("/ContainerView/session%5B52e1%5D%2F5a%202%3F%23/view")


def test_params_are_encoded_with_type_names_and_none_left_out():
    fake = fake_with_host()
    seen = {}

    def handler(request, body):
        seen.update(body)
        return json_response(200, moref("ContainerView", "session[1]v1"))

    fake.on("ViewManager.CreateContainerView", handler)

    async def main():
        async with await aconnect(fake) as vc:
            return await vc.invoke(
                vc.content.viewManager,
                "CreateContainerView",
                container=vc.content.rootFolder,
                type=["HostSystem"],
                recursive=True,
                unused=None,
            )

    assert run(main()) == wire.MoRef("ContainerView", "session[1]v1")
    assert seen == {"container": moref("Folder", "group-d1"), "type": ["HostSystem"], "recursive": True}


@pytest.mark.parametrize(
    "response", [httpx.Response(204), httpx.Response(200, content=b""), httpx.Response(200, content=b"  \n")]
)
def test_void_answers_are_none(response):
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            fake.inject("HostSystem.UpdateFlags", response)
            return await vc.invoke(HOST, "UpdateFlags")

    assert run(main()) is None


def test_stats_count_requests_per_call():
    fake = fake_with_host()

    async def main():
        async with await aconnect(fake) as vc:
            await vc.get(HOST, "name")
            await vc.get(HOST, "name")
            await vc.get(HOST, "runtime")
            return vc.stats.as_dict()

    stats = run(main())
    assert stats["by_call"]["HostSystem.name"] == 2
    assert stats["by_call"]["HostSystem.runtime"] == 1
    assert stats["by_call"]["ServiceInstance.content"] == 1
    assert stats["by_call"]["SessionManager.Login"] == 1
    assert stats["requests"] == sum(stats["by_call"].values())


def test_config_errors_before_any_request():
    fake = fake_with_host()
    with pytest.raises(errors.ConfigError):
        run(aconnect(fake, server="ftp://vc.test"))
    with pytest.raises(errors.ConfigError):
        run(aconnect(fake, user="admin", password=None))
    with pytest.raises(errors.ConfigError):
        run(aconnect(fake, release="latest"))
    with pytest.raises(errors.ConfigError, match="/no/such/ca.pem"):
        run(aconnect(fake, verify="/no/such/ca.pem"))
    assert fake.requests == []


def test_closed_client_refuses_calls():
    fake = fake_with_host()

    async def main():
        vc = await aconnect(fake)
        await vc.close()
        with pytest.raises(RuntimeError):
            await vc.get(HOST, "name")

    run(main())


# -- plain JSON answers (bulk reads) -----------------------------------------------------------
EVENT_PAGE = [
    {
        "_typeName": "HostDasEnabledEvent",
        "key": 7,
        "chainId": 5,
        "createdTime": "2026-03-01T08:57:35.279575Z",
        "host": {
            "_typeName": "HostEventArgument",
            "name": "esx03",
            "host": {"_typeName": "ManagedObjectReference", "_value": {"type": "HostSystem", "value": "host-1003"}},
        },
        "futureField": {"_typeName": "SomethingNew", "x": 1},
    },
]


def test_invoke_json_returns_the_answer_as_the_server_wrote_it():
    fake = fake_with_host()
    fake.on(
        "EventHistoryCollector.ReadNextEvents",
        lambda request, body: json_response(200, {"_typeName": "ArrayOfEvent", "_value": EVENT_PAGE}),
    )

    async def main():
        async with await aconnect(fake) as vc:
            return await vc.invoke_json(
                wire.MoRef("EventHistoryCollector", "session[1]c"), "ReadNextEvents", maxCount=1000
            )

    answer = run(main())
    assert wire.unbox_list(answer) == EVENT_PAGE  # boxed MoRef, unknown type and field kept as they came
    (req,) = fake.calls("EventHistoryCollector.ReadNextEvents")
    assert json.loads(req.content) == {"maxCount": 1000}


def test_invoke_json_raises_server_faults_like_invoke():
    fake = fake_with_host()
    fake.on(
        "EventHistoryCollector.ReadNextEvents",
        lambda request, body: fault("ManagedObjectNotFound", obj=moref("EventHistoryCollector", "gone")),
    )

    async def main():
        async with await aconnect(fake) as vc:
            await vc.invoke_json(wire.MoRef("EventHistoryCollector", "gone"), "ReadNextEvents", maxCount=10)

    with pytest.raises(errors.ServerFault) as exc:
        run(main())
    assert exc.value.is_a("ManagedObjectNotFound")
