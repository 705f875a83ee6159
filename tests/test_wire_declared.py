"""The declared types of the properties the inventory reads come from VMware's own type tables (pyVmomi, a
test-only oracle), and a decoded value is held against them."""

from __future__ import annotations

import pytest

from vsphere_nb import wire
from vsphere_nb.wire import UndecodedValue, check_declared

VmomiSupport = pytest.importorskip("pyVmomi.VmomiSupport")
vim = pytest.importorskip("pyVmomi").vim


def declared_by_vmware(managed_type, path: str) -> str:
    t = managed_type
    for part in path.split("."):
        t = {p.name: p for p in t._GetPropertyList()}[part].type
    return VmomiSupport.GetWsdlName(t)


@pytest.mark.parametrize(
    ("managed_type", "table"),
    [("HostSystem", wire.HOST_PROPERTY_TYPES), ("ClusterComputeResource", wire.CLUSTER_PROPERTY_TYPES)],
)
def test_every_declared_type_is_vmwares(managed_type, table):
    cls = getattr(vim, managed_type)
    for path, declared in table.items():
        assert declared_by_vmware(cls, path) == declared, path


def test_the_inventory_reads_exactly_the_paths_it_declares():
    from vsphere_nb.inventory import CLUSTER_PATHS, HOST_PATHS

    assert set(HOST_PATHS) == set(wire.HOST_PROPERTY_TYPES)
    assert set(CLUSTER_PATHS) == set(wire.CLUSTER_PROPERTY_TYPES)


@pytest.mark.parametrize(
    ("value", "declared"),
    [
        ("connected", "HostSystemConnectionState"),
        ("aNewStateFromVcenter10", "HostSystemConnectionState"),  # a newer server's enum value is kept
        (wire.HostSystemConnectionState("connected"), "HostSystemConnectionState"),
        (True, "boolean"),
        (None, "boolean"),
        (wire.MoRef("ClusterComputeResource", "domain-c7"), "ManagedEntity"),
        ([wire.MoRef("Datastore", "ds-1")], "ArrayOfDatastore"),
        ([], "ArrayOfMethodName"),
        (["ReconfigureHostForDAS_Task"], "ArrayOfMethodName"),
        ("8.0.3", "string"),
    ],
)
def test_values_of_their_declared_type_pass_unchanged(value, declared):
    assert check_declared(value, declared) is value


@pytest.mark.parametrize(
    ("value", "declared", "reason"),
    [
        ([1, 2], "HostSystemConnectionState", "expected HostSystemConnectionState, got a list"),
        (True, "HostSystemConnectionState", "got a boolean"),
        (3, "HostSystemPowerState", "got a number"),
        (wire.MoRef("HostSystem", "host-1"), "HostSystemConnectionState", "got a reference"),
        ("false", "boolean", "expected boolean, got text"),
        (0, "boolean", "got a number"),
        ("domain-c7", "ManagedEntity", "expected ManagedEntity, got text"),
        ("ReconfigureHostForDAS_Task", "ArrayOfMethodName", "(a list), got text"),
        ([wire.MoRef("Datastore", "ds-1"), "ds-2"], "ArrayOfDatastore", "element 1: expected Datastore, got text"),
        ("master", "ClusterDasFdmHostState", "expected ClusterDasFdmHostState, got text"),
    ],
)
def test_values_of_another_shape_become_undecoded(value, declared, reason):
    out = check_declared(value, declared)
    assert isinstance(out, UndecodedValue) and reason in out.reason


def test_an_unknown_boxed_type_holding_a_list_does_not_decode():
    out = wire.decode_property({"_typeName": "Frobnicate", "_value": [1, 2]})
    assert isinstance(out, UndecodedValue) and out.type_name == "Frobnicate"
    assert wire.decode_property({"_typeName": "HostSystemNewEnum", "_value": "soon"}) == "soon"  # newer enum: kept
