"""Every wire model's ``_typeName``, field names, ancestry and enum values exist in VMware's type tables (pyVmomi)."""

from __future__ import annotations

import pytest

from vsphere_nb import wire

VmomiSupport = pytest.importorskip("pyVmomi.VmomiSupport")

#: types that are not DynamicData in VMware's tables
NOT_DATA = {"ManagedObjectReference"}


def vmware_type(name: str):
    try:
        return VmomiSupport.GetWsdlType("urn:vim25", name)
    except KeyError:
        return None


def vmware_fields(vtype) -> set[str]:
    return {p.name for p in vtype._GetPropertyList()}


def vmware_ancestors(vtype) -> list[str]:
    names = []
    for klass in vtype.__mro__:
        try:
            names.append(VmomiSupport.GetWsdlName(klass))
        except Exception:
            continue
    return names


MODELS = sorted(n for n in wire.REGISTRY if n not in NOT_DATA and n != "VimObject")


@pytest.mark.parametrize("name", MODELS)
def test_model_type_name_exists_in_vmware_tables(name):
    assert vmware_type(name) is not None, f"{name} is not a VMware type name"


@pytest.mark.parametrize("name", MODELS)
def test_model_fields_exist_on_vmware_type(name):
    vtype = vmware_type(name)
    cls = wire.REGISTRY[name]
    declared = {f.alias or n for n, f in cls.model_fields.items() if n != "vim_type"}
    unknown = declared - vmware_fields(vtype)
    assert not unknown, f"{name} declares fields VMware's {name} does not have: {sorted(unknown)}"


@pytest.mark.parametrize("name", MODELS)
def test_model_ancestry_matches_vmware(name):
    cls = wire.REGISTRY[name]
    vm_ancestors = vmware_ancestors(vmware_type(name))
    for klass in cls.__mro__[1:]:
        if klass is wire.VimObject:
            break
        if issubclass(klass, wire.VimObject):
            assert klass.__name__ in vm_ancestors, f"{name}: {klass.__name__} is not a VMware ancestor ({vm_ancestors})"


@pytest.mark.parametrize("name", sorted(wire.ENUMS))
def test_enum_values_exist_in_vmware(name):
    vtype = vmware_type(name)
    assert vtype is not None, f"enum {name} is not a VMware type name"
    ours = {m.value for m in wire.ENUMS[name]}
    assert ours <= set(vtype.values), f"{name}: values not in VMware's enum: {sorted(ours - set(vtype.values))}"


def test_das_config_fault_reasons_are_complete():
    vtype = vmware_type("DasConfigFaultDasConfigFaultReason")
    assert {m.value for m in wire.DasConfigFaultReason} == set(vtype.values)


def test_fdm_states_are_complete():
    vtype = vmware_type("ClusterDasFdmAvailabilityState")
    assert {m.value for m in wire.ClusterDasFdmAvailabilityState} == set(vtype.values)
