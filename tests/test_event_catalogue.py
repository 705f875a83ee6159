"""Every event type id anywhere in the package exists in vCenter 8.0 U3's public event catalogue
(tests/diagnosis_cases/vcenter_event_catalogue.tsv), or is a standard event type of VMware's own type tables
(pyVmomi, a test-only oracle): no made-up ids such as ``com.vmware.vc.HA.HostIsolatedEvent``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import vsphere_nb
from vsphere_nb.wire.categories import HA_HISTORY_TYPES, event_category

CATALOGUE = Path(__file__).parent / "diagnosis_cases" / "vcenter_event_catalogue.tsv"
PACKAGE = Path(vsphere_nb.__file__).parent
_HA_ID = re.compile(r"\bcom\.vmware\.vc\.(?:HA|ha)\.[A-Za-z]+\b")
_EVENT_NAME = re.compile(r"(?<![.\w])[A-Z][A-Za-z]*Event\b")
#: names ending in "Event" that are not event types: EventManager's methods and an array type name
_NOT_EVENT_TYPES = {"LogUserEvent", "PostEvent", "ArrayOfEvent"}


def _catalogue() -> dict[str, str]:
    rows = {}
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            ident, kind, _desc = line.split("\t")
            rows[ident] = kind
    return rows


def _package_texts() -> dict[str, str]:
    return {
        str(p.relative_to(PACKAGE)): p.read_text(encoding="utf-8")
        for p in sorted(PACKAGE.rglob("*"))
        if p.suffix in (".py", ".yaml", ".yml", ".json") and p.is_file()
    }


def test_catalogue_is_the_public_one() -> None:
    rows = _catalogue()
    assert rows["com.vmware.vc.HA.DasHostIsolatedEvent"] == "ExtendedEvent"
    assert rows["com.vmware.vc.HA.HostAgentErrorEvent"] == "EventEx"
    assert rows["HostIsolationIpPingFailedEvent"] == "Standard"
    assert "com.vmware.vc.HA.HostIsolatedEvent" not in rows


def test_every_ha_event_id_in_the_package_is_catalogued() -> None:
    known = _catalogue()
    unknown = sorted(
        {(name, ident) for name, text in _package_texts().items() for ident in _HA_ID.findall(text)}
        - {(n, i) for n, i in [] if i in known}
    )
    unknown = [(n, i) for n, i in unknown if i not in known]
    assert unknown == []


def test_every_standard_event_type_name_in_the_package_exists() -> None:
    pyvmomi = pytest.importorskip("pyVmomi")
    from pyVmomi import VmomiSupport

    known = _catalogue()
    bad = []
    for name, text in _package_texts().items():
        for ident in set(_EVENT_NAME.findall(text)) - _NOT_EVENT_TYPES:
            if ident in known:
                continue
            try:
                VmomiSupport.GetWsdlType("urn:vim25", ident)
            except KeyError:
                bad.append((name, ident))
    assert pyvmomi and sorted(bad) == []


def test_methods_named_like_events_are_eventmanager_methods() -> None:
    pytest.importorskip("pyVmomi")
    from pyVmomi import VmomiSupport

    manager = VmomiSupport.GetVmodlType("vim.event.EventManager")
    methods = {m.name for m in manager._methodInfo.values()} if hasattr(manager, "_methodInfo") else set()
    if not methods:
        methods = {k[0].upper() + k[1:] for k in dir(manager) if not k.startswith("_")}
    assert {"LogUserEvent", "PostEvent"} <= methods


def test_history_fallback_asks_for_the_catalogued_ha_ids() -> None:
    ha_ids = {i for i, kind in _catalogue().items() if i.startswith("com.vmware.vc.HA.") and kind != "Standard"}
    wanted = {
        "com.vmware.vc.HA.DasHostIsolatedEvent",
        "com.vmware.vc.HA.HeartbeatDatastoreNotSufficient",
        "com.vmware.vc.HA.HostHasNoSslThumbprint",
        "com.vmware.vc.HA.NotAllHostAddrsPingable",
        "com.vmware.vc.HA.VcCannotFindMasterEvent",
        "com.vmware.vc.HA.HostHasNoMountedDatastores",
    }
    assert wanted <= ha_ids
    assert wanted <= set(HA_HISTORY_TYPES)
    assert event_category("com.vmware.vc.HA.DasHostIsolatedEvent") == "isolation"
