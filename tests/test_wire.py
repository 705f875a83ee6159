"""Wire models: decoding and encoding VI/JSON as the reference describes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timezone

import pytest

from vsphere_nb import ProtocolError, wire
from vsphere_nb.wire import MoRef


def test_moref_flat_and_boxed_forms_decode_equal():
    flat = {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-42"}
    boxed = {"_typeName": "ManagedObjectReference", "_value": {"type": "HostSystem", "value": "host-42"}}
    assert wire.decode_any(flat) == wire.decode_any(boxed) == MoRef("HostSystem", "host-42")
    assert wire.decode_as(boxed, wire.ManagedObjectReference) == MoRef("HostSystem", "host-42")


def test_moref_encodes_flat_and_is_hashable():
    ref = MoRef("HostSystem", "host-42")
    assert ref.to_wire() == {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-42"}
    assert {ref: 1}[MoRef("HostSystem", "host-42")] == 1
    assert repr(ref) == "MoRef('HostSystem', 'host-42')"


@pytest.mark.parametrize(
    ("boxed", "expected"),
    [
        ({"_typeName": "string", "_value": "esx01"}, "esx01"),
        ({"_typeName": "boolean", "_value": True}, True),
        ({"_typeName": "int", "_value": 7}, 7),
        ({"_typeName": "long", "_value": 2**40}, 2**40),
        ({"_typeName": "ArrayOfString", "_value": ["a", "b"]}, ["a", "b"]),
        ({"_typeName": "TaskInfoState", "_value": "error"}, wire.TaskInfoState.error),
        ({"_typeName": "TaskInfoState", "_value": "someFutureState"}, "someFutureState"),
    ],
)
def test_boxed_any_values_decode_to_plain_python(boxed, expected):
    assert wire.decode_any(boxed) == expected


def test_boxed_datetime_is_tz_aware():
    value = wire.decode_any({"_typeName": "dateTime", "_value": "2026-03-01T08:57:35.279575Z"})
    assert value == datetime(2026, 3, 1, 8, 57, 35, 279575, tzinfo=UTC)


def test_array_of_morefs_and_events():
    refs = wire.decode_any(
        {
            "_typeName": "ArrayOfManagedObjectReference",
            "_value": [{"_typeName": "ManagedObjectReference", "type": "Datastore", "value": "datastore-1"}],
        }
    )
    assert refs == [MoRef("Datastore", "datastore-1")]
    events = wire.decode_any(
        {
            "_typeName": "ArrayOfEvent",
            "_value": [
                {
                    "_typeName": "HostDasErrorEvent",
                    "key": 1,
                    "chainId": 1,
                    "createdTime": "2026-01-01T00:00:00Z",
                    "reason": "configFailed",
                }
            ],
        }
    )
    assert isinstance(events[0], wire.HostDasErrorEvent)
    assert events[0].reason is wire.HostDasErrorEventHostDasErrorReason.configFailed


def test_box_round_trip_keeps_wire_types():
    for value, type_name in [
        ("x", "string"),
        (True, "boolean"),
        (3, "int"),
        (2**40, "long"),
        (1.5, "double"),
        (wire.HostSystemConnectionState.connected, "HostSystemConnectionState"),
        ([MoRef("Datastore", "d")], "ArrayOfManagedObjectReference"),
    ]:
        boxed = wire.box(value)
        assert boxed["_typeName"] == type_name
        assert wire.decode_any(boxed) == value
    assert wire.box(wire.Boxed("ArrayOfEvent", [])) == {"_typeName": "ArrayOfEvent", "_value": []}


def test_data_objects_in_any_slots_are_not_boxed():
    state = wire.ClusterDasFdmHostState(state="master")
    assert wire.box(state) == {"_typeName": "ClusterDasFdmHostState", "state": "master"}


def _task(error):
    return {
        "_typeName": "TaskInfo",
        "key": "task-1",
        "task": {"_typeName": "ManagedObjectReference", "type": "Task", "value": "task-1"},
        "state": "error",
        "error": error,
        "eventChainId": 77,
    }


DAS_FAULT = {
    "_typeName": "DasConfigFault",
    "reason": "HostNetworkMisconfiguration",
    "output": "vmk0 unreachable",
    "faultMessage": [
        {
            "_typeName": "LocalizableMessage",
            "key": "com.vmware.vim.das.net",
            "message": "HA agent cannot reach the isolation address",
        }
    ],
    "event": [
        {
            "_typeName": "HostDasErrorEvent",
            "key": 5,
            "chainId": 77,
            "createdTime": "2026-03-01T08:57:35Z",
            "reason": "communicationInitFailed",
        }
    ],
}


@pytest.mark.parametrize("wrapped", [False, True])
def test_task_error_direct_or_wrapped(wrapped):
    error = {"_typeName": "LocalizedMethodFault", "fault": DAS_FAULT, "localizedMessage": "x"} if wrapped else DAS_FAULT
    info = wire.decode_as(_task(error), wire.TaskInfo)
    assert isinstance(info.error, wire.DasConfigFault)
    assert info.error.reason is wire.DasConfigFaultReason.HostNetworkMisconfiguration
    assert info.error.message() == "HA agent cannot reach the isolation address"
    assert isinstance(info.error.event[0], wire.HostDasErrorEvent)
    assert info.state is wire.TaskInfoState.error and info.done


def test_unknown_reason_is_kept():
    fault = wire.decode_as({**DAS_FAULT, "reason": "BrandNewReason"}, wire.MethodFault)
    assert fault.reason == "BrandNewReason"
    assert fault.to_wire()["reason"] == "BrandNewReason"


def test_unknown_fault_type_decodes_to_base_and_keeps_fields():
    fault = wire.decode_as({"_typeName": "HostConfigFaultV9", "detail": {"a": 1}}, wire.MethodFault)
    assert type(fault) is wire.MethodFault and fault.type_name == "HostConfigFaultV9"
    assert fault.raw_extra == {"detail": {"a": 1}}
    assert fault.is_a("MethodFault") and not fault.is_a("RuntimeFault")
    assert fault.to_wire() == {"_typeName": "HostConfigFaultV9", "detail": {"a": 1}}


def test_unknown_event_subtype_decodes_to_event_and_keeps_fields():
    events = wire.decode_any(
        {
            "_typeName": "ArrayOfEvent",
            "_value": [
                {
                    "_typeName": "FutureHaEvent",
                    "key": 1,
                    "chainId": 2,
                    "createdTime": "2026-01-01T00:00:00Z",
                    "zone": "a",
                }
            ],
        }
    )
    event = wire.decode_as(events[0].to_wire(), wire.Event)
    assert type(event) is wire.Event and event.vim_type == "FutureHaEvent" and event.raw_extra == {"zone": "a"}


def test_unknown_fields_are_kept_and_reencoded():
    info = wire.decode_as({**_task(DAS_FAULT), "progressDetails": {"x": 1}}, wire.TaskInfo)
    assert info.raw_extra["progressDetails"] == {"x": 1}
    assert info.to_wire()["progressDetails"] == {"x": 1}


def test_fault_ancestry():
    fault = wire.decode_as({"_typeName": "NotAuthenticated"}, wire.MethodFault)
    for ancestor in ("NotAuthenticated", "NoPermission", "SecurityError", "RuntimeFault", "MethodFault"):
        assert fault.is_a(ancestor)
    assert not fault.is_a("VimFault")
    assert wire.decode_as({"_typeName": "HostNotConnected"}, wire.MethodFault).is_a("HostCommunication")
    assert wire.decode_as({"_typeName": "MethodNotFound"}, wire.MethodFault).is_a("InvalidRequest")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "_typeName": "InvalidLogin",
                "faultMessage": [
                    {
                        "_typeName": "LocalizableMessage",
                        "key": "k",
                        "message": "Cannot complete login due to an incorrect user name or password.",
                    }
                ],
            },
            "Cannot complete login due to an incorrect user name or password.",
        ),
        ({"_typeName": "InvalidLogin", "faultstring": "bad login"}, "bad login"),
        (
            {
                "_typeName": "NoPermission",
                "object": {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-9"},
                "missingPrivileges": [
                    {"_typeName": "NoPermissionEntityPrivileges", "privilegeIds": ["Host.Config.Connection"]}
                ],
            },
            "permission denied on host-9: missing Host.Config.Connection",
        ),
        ({"_typeName": "NotSupported"}, "NotSupported"),
    ],
)
def test_readable_message_order(body, expected):
    assert wire.decode_as(body, wire.MethodFault).message() == expected


def test_fault_cause_chain():
    fault = wire.decode_as(
        {
            "_typeName": "DasConfigFault",
            "faultCause": {"_typeName": "LocalizedMethodFault", "fault": {"_typeName": "HostNotConnected"}},
        },
        wire.MethodFault,
    )
    assert [f.type_name for f in fault.causes()] == ["DasConfigFault", "HostNotConnected"]


def test_encode_request_objects_carry_type_names():
    spec = wire.PropertyFilterSpec(
        objectSet=[
            wire.ObjectSpec(
                obj=MoRef("ContainerView", "session[1]view-1"),
                skip=True,
                selectSet=[wire.TraversalSpec(name="view", type="ContainerView", path="view", skip=False)],
            )
        ],
        propSet=[wire.PropertySpec(type="HostSystem", pathSet=["name", "runtime.dasHostState"])],
    )
    out = spec.to_wire()
    assert out["_typeName"] == "PropertyFilterSpec"
    assert out["objectSet"][0]["selectSet"][0]["_typeName"] == "TraversalSpec"
    assert out["propSet"][0] == {
        "_typeName": "PropertySpec",
        "type": "HostSystem",
        "pathSet": ["name", "runtime.dasHostState"],
    }
    assert wire.decode_as(out, wire.PropertyFilterSpec) == spec


def test_dynamic_property_values_are_boxed_on_encode():
    prop = wire.DynamicProperty(name="name", val="esx01")
    assert prop.to_wire() == {
        "_typeName": "DynamicProperty",
        "name": "name",
        "val": {"_typeName": "string", "_value": "esx01"},
    }


@pytest.mark.parametrize("body", [b"<html>502 Bad Gateway</html>", b'{"_typeName": "TaskInfo"', b"\xff\xfe"])
def test_bad_bodies_raise_protocol_error(body):
    with pytest.raises(ProtocolError):
        wire.decode_body(body)


def test_empty_body_is_none():
    assert wire.decode_body(b"") is None and wire.decode_body(b"  \n") is None


def test_shape_errors_raise_protocol_error():
    with pytest.raises(ProtocolError):
        wire.decode_as({"_typeName": "TaskInfo", "state": "error"}, wire.TaskInfo)
    with pytest.raises(ProtocolError):
        wire.decode_body(b'{"_typeName": "ArrayOfString", "_value": 5}')


# -- plain JSON helpers and dates ---------------------------------------------------------------
def test_parse_body_keeps_the_wire_form_and_rejects_what_is_not_json():
    body = b'[{"_typeName": "ManagedObjectReference", "_value": {"type": "Task", "value": "task-1"}}]'
    assert wire.parse_body(body) == [
        {"_typeName": "ManagedObjectReference", "_value": {"type": "Task", "value": "task-1"}}
    ]
    assert wire.parse_body(b"  ") is None
    with pytest.raises(ProtocolError):
        wire.parse_body(b"<html>gateway</html>")
    with pytest.raises(ProtocolError):
        wire.parse_body(b"\xff\xfe")


def test_ref_value_reads_flat_and_boxed_morefs():
    assert wire.ref_value({"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-9"}) == "host-9"
    assert (
        wire.ref_value({"_typeName": "ManagedObjectReference", "_value": {"type": "HostSystem", "value": "host-9"}})
        == "host-9"
    )
    assert wire.ref_value(None) is None and wire.ref_value({"value": 9}) is None and wire.ref_value("host-9") is None


def test_unbox_list_reads_boxed_and_plain_arrays():
    assert wire.unbox_list({"_typeName": "ArrayOfEvent", "_value": [{"key": 1}]}) == [{"key": 1}]
    assert wire.unbox_list([{"key": 1}]) == [{"key": 1}]
    assert wire.unbox_list(None) == [] and wire.unbox_list({"_typeName": "Event"}) == []


def test_dates_are_written_in_utc_with_microseconds_and_four_digit_years():
    from datetime import timedelta

    assert (
        wire.format_datetime(datetime(2026, 3, 1, 10, 57, 35, 279575, tzinfo=timezone(timedelta(hours=2))))
        == "2026-03-01T08:57:35.279575Z"
    )
    assert wire.format_datetime(datetime(2026, 3, 1, 8, 57, 35)) == "2026-03-01T08:57:35.000000Z"  # naive = UTC
    early = wire.format_datetime(datetime(999, 1, 2, tzinfo=UTC))
    assert early == "0999-01-02T00:00:00.000000Z" and wire.parse_datetime(early).year == 999


def test_decoded_morefs_are_morefs_and_equal_to_built_ones():
    ref = wire.decode_as({"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-1"}, MoRef)
    assert ref == MoRef("HostSystem", "host-1") and hash(ref) == hash(MoRef("HostSystem", "host-1"))
    with pytest.raises(ProtocolError):
        wire.decode_as({"_typeName": "ManagedObjectReference", "type": "HostSystem"}, MoRef)


# ---------------------------------------------------------------------------------------------
# tolerance: what real servers send that the schema does not allow
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        {"_typeName": "ArrayOfString", "_value": None},  # govmomi's empty array
        {"_typeName": "ArrayOfString"},  # no _value at all
        {"_typeName": "ArrayOfManagedObjectReference", "_value": None},
        {"_typeName": "ArrayOfEvent"},
    ],
)
def test_empty_ish_boxed_arrays_read_as_empty_lists(value):
    assert wire.decode_any(value) == []
    prop = wire.decode_as(
        {"_typeName": "DynamicProperty", "name": "disabledMethod", "val": value}, wire.DynamicProperty
    )
    assert prop.val == []


def test_unknown_subtype_in_a_boxed_array_decodes_as_the_element_type_with_its_fields():
    events = wire.decode_any(
        {
            "_typeName": "ArrayOfEvent",
            "_value": [
                {
                    "_typeName": "FutureHaEvent",
                    "key": 1,
                    "chainId": 2,
                    "createdTime": "2026-01-01T00:00:00Z",
                    "zone": "a",
                }
            ],
        }
    )
    event = events[0]
    assert type(event) is wire.Event and event.vim_type == "FutureHaEvent" and event.is_a("Event")
    assert event.raw_extra == {"zone": "a"}
    assert event.to_wire()["_typeName"] == "FutureHaEvent" and event.to_wire()["zone"] == "a"


def test_unknown_subtype_in_a_typed_slot_decodes_as_the_declared_type():
    config = wire.decode_any(
        {
            "_typeName": "ClusterConfigInfoEx",
            "dasConfig": {"_typeName": "ClusterDasConfigInfoV2", "enabled": True, "quorum": 3},
        }
    )
    assert isinstance(config.dasConfig, wire.ClusterDasConfigInfo) and config.dasConfig.enabled is True
    assert config.dasConfig.vim_type == "ClusterDasConfigInfoV2" and config.dasConfig.raw_extra == {"quorum": 3}


def test_a_property_value_that_does_not_decode_is_kept_not_fatal():
    bad = {"_typeName": "ClusterDasFdmHostState", "state": {"not": "a string"}}
    body = {
        "_typeName": "RetrieveResult",
        "objects": [
            {
                "_typeName": "ObjectContent",
                "obj": {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": f"host-{i}"},
                "propSet": [
                    {"_typeName": "DynamicProperty", "name": "name", "val": f"esx{i}"},
                    {
                        "_typeName": "DynamicProperty",
                        "name": "runtime.dasHostState",
                        "val": bad if i == 1 else {"_typeName": "ClusterDasFdmHostState", "state": "master"},
                    },
                ],
            }
            for i in range(3)
        ],
    }
    result = wire.decode_body(json.dumps(body).encode())
    props = [o.props() for o in result.objects]
    assert [p["name"] for p in props] == ["esx0", "esx1", "esx2"]
    assert props[0]["runtime.dasHostState"].state == "master" and props[2]["runtime.dasHostState"].state == "master"
    odd = props[1]["runtime.dasHostState"]
    assert isinstance(odd, wire.UndecodedValue)
    assert odd.raw == bad and odd.type_name == "ClusterDasFdmHostState"
    assert "ClusterDasFdmHostState.state" in odd.reason and "\n" not in odd.reason
    # written back as received
    assert result.to_wire()["objects"][1]["propSet"][1]["val"] == bad


def test_property_changes_stay_strict():
    # an update set is applied as a whole (a TaskInfo is rebuilt from info.* changes): a change that does not
    # decode fails the answer, and the waiter asks again
    update = {
        "_typeName": "UpdateSet",
        "version": "2",
        "filterSet": [
            {
                "_typeName": "PropertyFilterUpdate",
                "filter": {"_typeName": "ManagedObjectReference", "type": "PropertyFilter", "value": "f-1"},
                "objectSet": [
                    {
                        "_typeName": "ObjectUpdate",
                        "kind": "modify",
                        "obj": {"_typeName": "ManagedObjectReference", "type": "Task", "value": "task-1"},
                        "changeSet": [
                            {
                                "_typeName": "PropertyChange",
                                "name": "info.progress",
                                "op": "assign",
                                "val": {"_typeName": "int", "_value": "x"},
                            }
                        ],
                    }
                ],
            }
        ],
    }
    with pytest.raises(ProtocolError, match="int expects an integer"):
        wire.decode_body(json.dumps(update).encode())


def test_a_bad_value_outside_property_values_still_fails_the_answer():
    # a fault or a task's own fields are not per-object data: a malformed answer there is a ProtocolError
    with pytest.raises(ProtocolError):
        wire.decode_body(b'{"_typeName": "TaskInfo", "key": "task-1", "state": {"x": 1}}')


def test_null_objects_list_is_an_empty_result():
    assert wire.decode_body(b'{"_typeName": "RetrieveResult", "objects": null}').objects == []


def test_unknown_subtype_alone_in_an_any_slot_becomes_the_declared_type_on_request():
    value = wire.decode_any(
        {
            "_typeName": "ClusterDasFdmHostStateV9",
            "state": "master",
            "stateReporter": {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-1"},
            "electionEpoch": {"_typeName": "long", "_value": 12},
        }
    )
    assert type(value) is wire.VimObject and value.stateReporter == MoRef("HostSystem", "host-1")
    state = wire.as_declared(value, wire.ClusterDasFdmHostState)
    assert type(state) is wire.ClusterDasFdmHostState and state.state == "master" and state.state.__class__ is not str
    assert state.vim_type == "ClusterDasFdmHostStateV9" and state.stateReporter == MoRef("HostSystem", "host-1")
    assert state.raw_extra["electionEpoch"] == {"_typeName": "long", "_value": 12}  # kept as sent
    assert wire.as_declared("plain", wire.ClusterDasFdmHostState) == "plain"
    odd = wire.as_declared(wire.decode_any({"_typeName": "Nope", "state": 3}), wire.ClusterDasFdmHostState)
    assert isinstance(odd, wire.UndecodedValue) and odd.type_name == "Nope"


def test_a_page_with_a_broken_object_keeps_every_other_object():
    def ref(value):
        return {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": value}

    def prop(name, val):
        return {"_typeName": "DynamicProperty", "name": name, "val": val}

    page = {
        "_typeName": "RetrieveResult",
        "token": "t-1",
        "objects": [
            {"_typeName": "ObjectContent", "obj": ref("host-1"), "propSet": [prop("name", "esx1")]},
            {  # one property without a name
                "_typeName": "ObjectContent",
                "obj": ref("host-2"),
                "propSet": [prop("name", "esx2"), {"_typeName": "DynamicProperty", "val": "x"}],
            },
            {"_typeName": "ObjectContent", "obj": ref("host-3"), "propSet": {"name": "esx3"}},  # not a list
            {"_typeName": "ObjectContent", "obj": "host-4", "propSet": [prop("name", "esx4")]},  # no usable obj
            {"_typeName": "ObjectContent", "obj": ref("host-5"), "propSet": [prop("name", "esx5")]},
        ],
    }
    result = wire.decode_body(json.dumps(page).encode())
    assert result.token == "t-1"
    by_moid = {o.obj.value: o.props() for o in result.objects}
    assert list(by_moid) == ["host-1", "host-2", "host-3", "host-5"]
    assert by_moid["host-1"] == {"name": "esx1"} and by_moid["host-5"] == {"name": "esx5"}
    assert by_moid["host-2"]["name"] == "esx2"
    assert "DynamicProperty.name: Field required" in by_moid["host-2"]["propSet[1]"].reason
    assert isinstance(by_moid["host-3"]["propSet"], wire.UndecodedValue)
    assert [u.raw["obj"] for u in result.unreadable] == ["host-4"]
    assert wire.decode_body(json.dumps({**page, "objects": page["objects"][:1]}).encode()).unreadable == []
    assert "unreadable" not in result.to_wire() and "_unreadable" not in result.to_wire()


def test_reasons_are_one_printable_line():
    value = wire.decode_property({"_typeName": "ArrayOfEv\x1b[31ment\nX", "_value": 5})
    assert isinstance(value, wire.UndecodedValue)
    assert value.reason.isprintable() and "\\x1b" in value.reason
