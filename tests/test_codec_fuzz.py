"""Hypothesis on the decoder: any body either decodes or raises ProtocolError — never another exception.

The inputs range from arbitrary JSON to VI/JSON-shaped values built from real type names and field names (so the
model validators, boxing, fault unwrapping and enum paths are reached), and garbled copies of the wire fixtures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vsphere_nb import errors, wire

FIXTURES = Path(__file__).parent / "fixtures" / "wire"
BODIES = [
    json.dumps(json.loads(p.read_text())["response"]["body"]).encode()
    for p in sorted(FIXTURES.glob("*.json"))
    if "body" in json.loads(p.read_text())["response"]
]
TARGETS = [wire.TaskInfo, wire.UpdateSet, wire.RetrieveResult, wire.MethodFault]

TYPE_NAMES = [
    "TaskInfo",
    "UpdateSet",
    "RetrieveResult",
    "ObjectContent",
    "DynamicProperty",
    "PropertyFilterUpdate",
    "ObjectUpdate",
    "PropertyChange",
    "MethodFault",
    "DasConfigFault",
    "NotAuthenticated",
    "NoPermission",
    "LocalizedMethodFault",
    "LocalizableMessage",
    "KeyAnyValue",
    "ManagedObjectReference",
    "EventEx",
    "HostDasErrorEvent",
    "TaskEvent",
    "ClusterDasFdmHostState",
    "HostRuntimeInfo",
    "ServiceContent",
    "string",
    "boolean",
    "int",
    "long",
    "double",
    "dateTime",
    "TaskInfoState",
    "ArrayOfEvent",
    "ArrayOfManagedObjectReference",
    "ArrayOfString",
    "ArrayOfInt",
    "ArrayOfDouble",
    "ArrayOfTaskInfoState",
    "UnknownFutureType",
    "",
]
FIELDS = [
    "key",
    "task",
    "state",
    "error",
    "result",
    "fault",
    "faultCause",
    "faultMessage",
    "localizedMessage",
    "objects",
    "token",
    "version",
    "filterSet",
    "objectSet",
    "changeSet",
    "kind",
    "obj",
    "name",
    "op",
    "val",
    "propSet",
    "missingSet",
    "type",
    "value",
    "_value",
    "createdTime",
    "chainId",
    "event",
    "reason",
    "output",
    "arg",
    "message",
    "eventTypeId",
    "info",
    "queueTime",
    "eventChainId",
    "cancelled",
    "filter",
    "truncated",
    "path",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "2026-03-01T08:57:35.279575Z",
            "not a date",
            "9999-99-99T99:99:99Z",
            "success",
            "error",
            "assign",
            "enter",
            "master",
            "HostNetworkMisconfiguration",
            "-1e999",
        ]
    ),
)

json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=10), children, max_size=4),
    ),
    max_leaves=25,
)

vi_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.fixed_dictionaries(
            {"_typeName": st.sampled_from(TYPE_NAMES)},
            optional={f: children for f in FIELDS},
        ),
    ),
    max_leaves=30,
)

any_value = st.one_of(json_values, vi_values)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decode_body_or_protocol_error(body: bytes | str) -> None:
    try:
        wire.decode_body(body)
    except errors.ProtocolError:
        pass


@FUZZ
@given(any_value)
def test_decode_body_of_any_json(value):
    _decode_body_or_protocol_error(json.dumps(value).encode())


@FUZZ
@given(any_value, st.sampled_from(TARGETS))
def test_decode_as_of_any_json(value, cls):
    try:
        result = wire.decode_as(value, cls)
    except errors.ProtocolError:
        return
    assert isinstance(result, cls)


@FUZZ
@given(vi_values, st.sampled_from(TARGETS))
def test_decode_as_of_decoded_values(value, cls):
    """decode_as also accepts an already-decoded object (what AsyncClient.invoke returns)."""
    try:
        decoded = wire.decode_any(value)
    except Exception:  # decode_any is the raw layer; decode_body is the guarded entry point
        return
    try:
        wire.decode_as(decoded, cls)
    except errors.ProtocolError:
        pass


@FUZZ
@given(st.sampled_from(BODIES), st.data())
def test_truncated_and_garbled_fixture_bodies(body, data):
    cut = data.draw(st.integers(min_value=0, max_value=len(body)))
    _decode_body_or_protocol_error(body[:cut])
    pos = data.draw(st.integers(min_value=0, max_value=max(0, len(body) - 1)))
    junk = data.draw(st.binary(min_size=1, max_size=4))
    _decode_body_or_protocol_error(body[:pos] + junk + body[pos + len(junk) :])


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(body):
    _decode_body_or_protocol_error(body)


@FUZZ
@given(st.text(max_size=200))
def test_random_text(body):
    _decode_body_or_protocol_error(body)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # recursion bomb
        b'{"_typeName": "double", "_value": ' + b"9" * 400 + b"}",  # int too large for a float
        b'{"_typeName": "dateTime", "_value": "99999-01-01T00:00:00Z"}',
        b'{"_typeName": "TaskInfo", "queueTime": "0000-00-00T00:00:00Z"}',
        b'{"_typeName": "ArrayOfdouble", "_value": [1e308, 123456789012345678901234567890e300]}',
        b"\xff\xfe\x00",
        b'{"_typeName": "ManagedObjectReference", "_value": 5}',
        b'{"_typeName": "LocalizedMethodFault", "fault": "not an object"}',
        b'{"_typeName": 17}',
    ],
)
def test_known_nasty_bodies(body):
    _decode_body_or_protocol_error(body)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return
    for cls in TARGETS:
        try:
            wire.decode_as(data, cls)
        except errors.ProtocolError:
            pass
