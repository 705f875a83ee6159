"""Wire fixtures written from the reference (tests/fixtures/wire/*.json), including every *unsettled* variant.

Each fixture is ``{"description", "source", "request": {method, path}, "response": {status, headers, body |
body_text}}``. They are checked twice: decoded by the wire package on their own, and replayed through the real
client (httpx.MockTransport) to check what a caller sees.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from fake_vcenter import FakeVCenter, aconnect

from vsphere_nb import errors, wire

FIXTURES = Path(__file__).parent / "fixtures" / "wire"
ALL = sorted(p.stem for p in FIXTURES.glob("*.json"))
HOST = wire.MoRef("HostSystem", "host-1003")


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def body_bytes(fx: dict) -> bytes:
    resp = fx["response"]
    if "body_text" in resp:
        return resp["body_text"].encode()
    if "body" in resp:
        return json.dumps(resp["body"]).encode()
    return b""


def as_response(fx: dict) -> httpx.Response:
    resp = fx["response"]
    return httpx.Response(resp["status"], content=body_bytes(fx), headers=resp.get("headers") or {})


def decode(name: str):
    return wire.decode_body(body_bytes(load(name)))


def run(coro):
    return asyncio.run(coro)


# ------------------------------------------------------------------------------------------------
# the fixture set itself
# ------------------------------------------------------------------------------------------------
def test_fixture_set_covers_every_unsettled_variant():
    required = {
        "wait_empty_204",
        "wait_empty_200",
        "launch_moref_flat",
        "launch_moref_boxed",
        "task_info_error_direct",
        "task_info_error_wrapped",
        "fault_das_config_faultstring",
        "fault_no_permission",
        "not_authenticated_500",
        "not_authenticated_401_json",
        "not_authenticated_403_json",
        "not_authenticated_401_bare",
        "not_authenticated_403_bare",
        "service_content",
        "task_info_success",
        "retrieve_result_token",
        "retrieve_result_last",
        "update_set",
        "events_ha",
        "hello_release",
        "hello_empty",
        "hello_404",
    }
    assert required <= set(ALL)
    assert "faultstring" in load("fault_das_config_faultstring")["response"]["body"]
    assert "faultstring" not in load("fault_no_permission")["response"]["body"]


@pytest.mark.parametrize("name", ALL)
def test_every_fixture_is_well_formed_and_decodes(name):
    fx = load(name)
    assert fx["description"] and fx["source"].startswith("vi-json.md")
    assert isinstance(fx["response"]["status"], int)
    if "body_text" in fx["response"] and fx["response"]["body_text"].strip():
        with pytest.raises(errors.ProtocolError):  # an HTML/text error page is not VI/JSON
            wire.decode_body(body_bytes(fx))
        return
    value = wire.decode_body(body_bytes(fx))
    if not body_bytes(fx).strip():
        assert value is None
    # every data object in a VI/JSON body carries _typeName (the /api hello answer is not VI/JSON; a boxed value's
    # "_value" and the deliberately untyped field of the unknown fault are the exceptions)
    if not name.startswith("hello") and "body" in fx["response"]:
        stack = [fx["response"]["body"]]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                assert "_typeName" in node, (name, node)
                stack.extend(v for k, v in node.items() if k not in ("_value", "shinyNewField"))
            elif isinstance(node, list):
                stack.extend(node)


# ------------------------------------------------------------------------------------------------
# decoded on their own
# ------------------------------------------------------------------------------------------------
def test_service_content():
    content = wire.decode_as(decode("service_content"), wire.ServiceContent)
    assert content.sessionManager == wire.MoRef("SessionManager", "SessionManager")
    assert content.propertyCollector.value == "propertyCollector"
    assert content.about.apiType == "VirtualCenter" and content.about.apiVersion == "8.0.3.0"
    assert content.vStorageObjectManager == wire.MoRef("VcenterVStorageObjectManager", "VStorageObjectManager")
    assert content.searchIndex == wire.MoRef("SearchIndex", "SearchIndex") and not content.raw_extra


def test_moref_flat_and_boxed_decode_the_same():
    assert decode("launch_moref_flat") == decode("launch_moref_boxed") == wire.MoRef("Task", "task-1234")


def test_task_info_success_and_running():
    ok = wire.decode_as(decode("task_info_success"), wire.TaskInfo)
    assert str(ok.state) == "success" and ok.done and ok.error is None
    assert ok.reason.is_a("TaskReasonUser") and ok.eventChainId == 9081
    running = wire.decode_as(decode("task_info_running"), wire.TaskInfo)
    assert not running.done and running.progress == 42


def test_task_error_direct_das_config_fault_with_events():
    info = wire.decode_as(decode("task_info_error_direct"), wire.TaskInfo)
    err = info.error
    assert isinstance(err, wire.DasConfigFault) and err.is_a("VimFault")
    assert err.reason == wire.DasConfigFaultDasConfigFaultReason.HostNetworkMisconfiguration
    assert "management network is misconfigured" in err.message()
    assert [type(e).__name__ for e in err.event] == ["HostDasErrorEvent", "EventEx"]
    assert str(err.event[0].reason) == "configFailed"
    assert err.event[1].eventTypeId == "com.vmware.vc.HA.HostAgentErrorEvent"
    assert err.event[1].arguments[0].value == "agentFailed"
    assert err.faultMessage[0].arg[0].value == "esx-c1-h03.lab.local"


def test_task_error_wrapped_is_unwrapped():
    info = wire.decode_as(decode("task_info_error_wrapped"), wire.TaskInfo)
    assert isinstance(info.error, wire.DasConfigFault)
    assert str(info.error.reason) == "NoDatastoresConfigured"
    assert "no datastores configured" in info.error.message()


def test_cancelled_task():
    info = wire.decode_as(decode("task_info_cancelled"), wire.TaskInfo)
    assert info.cancelled and str(info.state) == "error" and info.error.is_a("RequestCanceled")


@pytest.mark.parametrize(
    "name, type_name, ancestors, text",
    [
        ("fault_das_config_faultstring", "DasConfigFault", ["VimFault"], "vSphere HA is not enabled"),
        ("fault_no_permission", "NoPermission", ["SecurityError", "RuntimeFault"], "Host.Config.Connection"),
        ("fault_not_supported", "NotSupported", ["RuntimeFault"], "not supported"),
        ("fault_managed_object_not_found", "ManagedObjectNotFound", ["RuntimeFault"], "host-999"),
        ("fault_wrapped_localized", "HostNotConnected", ["HostCommunication", "RuntimeFault"], "disconnected"),
        ("fault_unknown_type", "HaFutureFault", ["MethodFault"], "HaFutureFault"),
        ("invalid_login", "InvalidLogin", ["VimFault"], "incorrect user name"),
        ("not_authenticated_500", "NotAuthenticated", ["NoPermission", "SecurityError"], "not authenticated"),
    ],
)
def test_fault_bodies(name, type_name, ancestors, text):
    fault = wire.decode_as(load(name)["response"]["body"], wire.MethodFault)
    assert fault.type_name == type_name
    assert all(fault.is_a(a) for a in ancestors) and fault.is_a("MethodFault")
    assert text in fault.message()


def test_unknown_fault_keeps_its_fields_and_cause():
    fault = wire.decode_as(load("fault_unknown_type")["response"]["body"], wire.MethodFault)
    assert fault.raw_extra["shinyNewField"] == {"depth": 2}
    assert [c.type_name for c in fault.causes()] == ["HaFutureFault", "InvalidState"]


def test_retrieve_result_with_token_and_boxed_values():
    result = wire.decode_as(decode("retrieve_result_token"), wire.RetrieveResult)
    assert result.token == "1" and len(result.objects) == 3
    h1 = result.objects[0].props()
    assert h1["name"] == "esx-c1-h01.lab.local"
    assert h1["parent"] == wire.MoRef("ClusterComputeResource", "domain-c8")
    assert h1["runtime.connectionState"] == wire.HostSystemConnectionState.connected
    assert h1["runtime.inMaintenanceMode"] is False
    assert str(h1["runtime.dasHostState"].state) == "master"
    assert h1["datastore"] == [wire.MoRef("Datastore", "datastore-11"), wire.MoRef("Datastore", "datastore-12")]
    issues = result.objects[1].props()["configIssue"]
    assert isinstance(issues, list) and isinstance(issues[0], wire.HostDasErrorEvent)
    missing = result.objects[2].missingSet[0]
    assert missing.path == "runtime.dasHostState" and missing.fault.is_a("NoPermission")
    last = wire.decode_as(decode("retrieve_result_last"), wire.RetrieveResult)
    assert last.token is None and str(last.objects[0].props()["runtime.dasHostState"].state) == "initializationError"


def test_update_set():
    us = wire.decode_as(decode("update_set"), wire.UpdateSet)
    assert us.version == "1_42" and us.truncated is False
    (fu,) = us.filterSet
    kinds = [str(u.kind) for u in fu.objectSet]
    assert kinds == ["enter", "modify", "leave"]
    modify = fu.objectSet[1].changeSet
    assert modify[0].val == wire.TaskInfoState.error
    assert isinstance(modify[1].val, wire.DasConfigFault)
    assert str(modify[2].op) == "remove" and modify[2].val is None


def test_ha_events():
    events = decode("events_ha")
    names = [e.vim_type for e in events]
    assert names == [
        "HostDasErrorEvent",
        "EventEx",
        "EventEx",
        "HostDasEnabledEvent",
        "DasHostFailedEvent",
        "TaskEvent",
        "HostFutureHaEvent",
    ]
    assert wire.event_type_id(events[2]) == "com.vmware.vc.HA.HostStateChangedEvent"
    assert events[2].arguments[1].value == "connectedToMaster"
    assert events[4].failedHost.host == wire.MoRef("HostSystem", "host-1003")
    assert isinstance(events[5].info, wire.TaskInfo)
    assert events[6].raw_extra["novelty"] == [1, 2, 3]  # unknown event type kept whole


def test_host_runtime_keeps_unknown_nested_types():
    rt = wire.decode_as(decode("host_runtime"), wire.HostRuntimeInfo)
    assert str(rt.dasHostState.state) == "initializationError"
    assert rt.raw_extra["cryptoState"] == "safe"


# ------------------------------------------------------------------------------------------------
# replayed through the client
# ------------------------------------------------------------------------------------------------
def _fake_answering(name: str) -> FakeVCenter:
    fx = load(name)
    fake = FakeVCenter()
    fake.set_property("HostSystem", "host-1003", "runtime", load("host_runtime")["response"]["body"])
    path = fx["request"]["path"]
    type_, _, member = path.split("/")[:3]
    fake.inject(f"{type_}.{member}", as_response(fx))
    return fake


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("not_authenticated_")])
def test_replay_not_authenticated_variants_relogin_and_replay(name):
    fake = _fake_answering(name)

    async def main():
        async with await aconnect(fake) as vc:
            return await vc.get(HOST, "runtime"), vc.stats.relogins

    runtime, relogins = run(main())
    assert isinstance(runtime, wire.HostRuntimeInfo) and relogins == 1 and fake.logins == 2


@pytest.mark.parametrize(
    "name",
    [
        "fault_das_config_faultstring",
        "fault_no_permission",
        "fault_not_supported",
        "fault_managed_object_not_found",
        "fault_wrapped_localized",
        "fault_unknown_type",
    ],
)
def test_replay_launch_faults(name):
    fake = _fake_answering(name)
    target = wire.MoRef("HostSystem", load(name)["request"]["path"].split("/")[1])

    async def main():
        async with await aconnect(fake) as vc:
            await vc.invoke(target, "ReconfigureHostForDAS_Task")

    with pytest.raises(errors.ServerFault) as info:
        run(main())
    exc = info.value
    assert exc.status == 500 and exc.method == "ReconfigureHostForDAS_Task" and exc.moref == target
    assert exc.raw == load(name)["response"]["body"]
    assert exc.is_a("MethodFault")


@pytest.mark.parametrize("name", ["launch_moref_flat", "launch_moref_boxed"])
def test_replay_launch_answers(name):
    fake = _fake_answering(name)

    async def main():
        async with await aconnect(fake) as vc:
            return await vc.invoke(HOST, "ReconfigureHostForDAS_Task")

    assert run(main()) == wire.MoRef("Task", "task-1234")


@pytest.mark.parametrize("name", ["wait_empty_204", "wait_empty_200", "update_set"])
def test_replay_wait_answers(name):
    fake = _fake_answering(name)
    collector = wire.MoRef("PropertyCollector", "session[52b0d4e8]52a0")

    async def main():
        async with await aconnect(fake) as vc:
            return await vc.invoke(
                collector, "WaitForUpdatesEx", version="1_41", options=wire.WaitOptions(maxWaitSeconds=20)
            )

    result = run(main())
    if name == "update_set":
        assert isinstance(result, wire.UpdateSet) and result.version == "1_42"
    else:
        assert result is None


def test_replay_gateway_html_is_retried_then_protocol_error():
    fx = load("gateway_502_html")
    fake = FakeVCenter()
    fake.inject("HostSystem.runtime", *[as_response(fx) for _ in range(4)])

    async def main():
        async with await aconnect(fake) as vc:
            await vc.get(HOST, "runtime")

    with pytest.raises(errors.ProtocolError) as info:
        run(main())
    assert info.value.status == 502 and "502 Bad Gateway" in str(info.value)
    assert len(fake.calls("HostSystem.runtime")) == 4


def test_replay_invalid_login():
    fake = _fake_answering("invalid_login")
    with pytest.raises(errors.ServerFault) as info:
        run(aconnect(fake))
    assert info.value.is_a("InvalidLogin") and not isinstance(info.value, errors.NotAuthenticatedError)


@pytest.mark.parametrize(
    "name, release, source",
    [
        ("hello_release", "8.0.3.0", "hello"),
        ("hello_empty", "8.0.2.0", "about"),
        ("hello_404", "8.0.2.0", "about"),
    ],
)
def test_replay_hello_answers(name, release, source):
    fake = FakeVCenter(api_version="8.0.2.0")
    fake.inject("hello", as_response(load(name)))

    async def main():
        async with await aconnect(fake) as vc:
            return vc.release, vc.release_source

    assert run(main()) == (release, source)


def test_replay_login_header_and_session():
    fx = load("login_user_session")
    fake = FakeVCenter()
    fake.inject("SessionManager.Login", as_response(fx))
    fake.sessions.add(fx["response"]["headers"]["vmware-api-session-id"])

    async def main():
        async with await aconnect(fake) as vc:
            return vc.session, vc.session_token.reveal()

    session, token = run(main())
    assert session.userName == "VSPHERE.LOCAL\\Administrator" and session.ipAddress == "10.0.0.15"
    assert token == fx["response"]["headers"]["vmware-api-session-id"]
