"""A deliberately messy fake vCenter: the inventory of :class:`~tests.fake_vcenter.FakeVCenter` written the way
sloppy or newer servers write it, for the tolerance tests of the client (``tests/test_inventory.py``).

``MessyVCenter(hosts=1000)`` answers ``CreateContainerView`` / ``RetrievePropertiesEx`` (paged by ``maxObjects``)
/ ``ContinueRetrievePropertiesEx`` / ``DestroyView`` with one datacenter, clusters of 50 hosts and one datastore per
cluster, and sprinkles, over every host:

* empty arrays as govmomi writes them — ``{"_typeName": "ArrayOfString", "_value": null}`` — or with no
  ``_value`` at all (``disabledMethod``, ``datastore``, ``configIssue``);
* subtypes this client has never heard of: ``configIssue`` events of ``_typeName`` ``HostHaAgentFutureEvent``
  with extra fields, clusters whose ``dasConfig`` is a ``ClusterDasConfigInfoV2``, a ``dasHostState`` that is a
  ``ClusterDasFdmHostStateV9``;
* enum values from a newer release (``overallStatus`` ``"purple"``).

``corrupt`` maps a host moId to ``(property path, wire value)`` replacing that one property of that one host — the
"one bad value among 1,000 hosts". ``missing`` maps a host moId to a property path the server reports in
``missingSet`` (not readable) instead of a value.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
from fake_vcenter import FakeVCenter, json_response, moref

HOSTS_PER_CLUSTER = 50


def _array(type_name: str, items: list[Any], style: int) -> dict[str, Any]:
    """A boxed array; an empty one in one of the three shapes servers use (``[]``, ``null``, absent)."""
    if items:
        return {"_typeName": type_name, "_value": items}
    if style == 0:
        return {"_typeName": type_name, "_value": []}
    if style == 1:
        return {"_typeName": type_name, "_value": None}
    return {"_typeName": type_name}


def host_name(i: int) -> str:
    return f"esx{i:04d}.lab.example"


class MessyVCenter(FakeVCenter):
    """See module doc."""

    def __init__(
        self,
        *,
        hosts: int = 1000,
        corrupt: dict[str, tuple[str, Any]] | None = None,
        missing: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.host_count = hosts
        self.corrupt = dict(corrupt or {})
        self.missing = dict(missing or {})
        self.results: dict[str, list[dict[str, Any]]] = {}
        self._tokens_seq = itertools.count(1)
        self.on("ViewManager.CreateContainerView", lambda r, b: json_response(200, moref("ContainerView", "view-1")))
        self.on("ContainerView.DestroyView", lambda r, b: httpx.Response(204))
        self.on("PropertyCollector.RetrievePropertiesEx", self._retrieve)
        self.on("PropertyCollector.ContinueRetrievePropertiesEx", self._continue)

    # -- the inventory ----------------------------------------------------------------------------
    def objects(self) -> list[dict[str, Any]]:
        """Every ``ObjectContent`` of the inventory, as wire JSON."""
        out = [
            self._oc(moref("Folder", "group-d1"), {"name": "Datacenters"}),
            self._oc(moref("Datacenter", "datacenter-1"), {"name": "DC0", "parent": moref("Folder", "group-d1")}),
            self._oc(moref("Folder", "group-h2"), {"name": "host", "parent": moref("Datacenter", "datacenter-1")}),
        ]
        clusters = (self.host_count + HOSTS_PER_CLUSTER - 1) // HOSTS_PER_CLUSTER
        for c in range(clusters):
            das: dict[str, Any] = {"_typeName": "ClusterDasConfigInfo", "enabled": True}
            if c % 2:
                das = {"_typeName": "ClusterDasConfigInfoV2", "enabled": True, "quorumPolicy": "majority"}
            config = {"_typeName": "ClusterConfigInfoEx", "dasConfig": das, "drsConfig": {"_typeName": "Future"}}
            out.append(
                self._oc(
                    moref("ClusterComputeResource", f"domain-c{c}"),
                    {"name": f"C{c}", "parent": moref("Folder", "group-h2"), "configurationEx": config},
                )
            )
            out.append(self._oc(moref("Datastore", f"datastore-{c}"), {"name": f"ds-C{c}"}))
        for i in range(self.host_count):
            out.append(self._host(i))
        return out

    def _host(self, i: int) -> dict[str, Any]:
        moid = f"host-{i}"
        c = i // HOSTS_PER_CLUSTER
        style = i % 3
        state: dict[str, Any] = {
            "_typeName": "ClusterDasFdmHostState",
            "state": "master" if i % HOSTS_PER_CLUSTER == 0 else "connectedToMaster",
            "stateReporter": moref("HostSystem", f"host-{c * HOSTS_PER_CLUSTER}"),
        }
        if i % 7 == 0:
            state = {**state, "_typeName": "ClusterDasFdmHostStateV9", "electionEpoch": 12}
        issues: list[Any] = []
        if i % 5 == 0:
            issues = [
                {
                    "_typeName": "HostHaAgentFutureEvent",
                    "key": 1000 + i,
                    "chainId": 1000 + i,
                    "createdTime": "2026-03-01T08:57:35.279575Z",
                    "fullFormattedMessage": f"HA agent on {host_name(i)} reports a future condition",
                    "futureDetail": {"_typeName": "FutureDetail", "code": 7},
                }
            ]
        props: dict[str, Any] = {
            "name": host_name(i),
            "parent": moref("ClusterComputeResource", f"domain-c{c}"),
            "runtime.connectionState": "connected",
            "runtime.powerState": "poweredOn",
            "runtime.inMaintenanceMode": {"_typeName": "boolean", "_value": False},
            "runtime.dasHostState": state,
            "configIssue": _array("ArrayOfEvent", issues, style),
            "overallStatus": "purple" if i % 11 == 0 else "green",
            "summary.config.product.version": "8.0.3",
            "summary.config.product.build": "24022515",
            "datastore": _array(
                "ArrayOfManagedObjectReference", [moref("Datastore", f"datastore-{c}")] if i % 4 else [], style
            ),
            "disabledMethod": _array("ArrayOfString", [], style),
        }
        if moid in self.corrupt:
            path, value = self.corrupt[moid]
            props[path] = value
        missing = self.missing.get(moid)
        if missing is not None:
            props.pop(missing, None)
        oc = self._oc(moref("HostSystem", moid), props)
        if missing is not None:
            oc["missingSet"] = [
                {
                    "_typeName": "MissingProperty",
                    "path": missing,
                    "fault": {"_typeName": "NoPermission", "privilegeId": "System.Read"},
                }
            ]
        return oc

    @staticmethod
    def _oc(ref: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        prop_set = []
        for name, value in props.items():
            boxed = value
            if isinstance(value, str):
                boxed = {"_typeName": "string", "_value": value}
            prop_set.append({"_typeName": "DynamicProperty", "name": name, "val": boxed})
        return {"_typeName": "ObjectContent", "obj": ref, "propSet": prop_set}

    # -- the PropertyCollector --------------------------------------------------------------------
    def _page(self, objects: list[dict[str, Any]], size: int) -> httpx.Response:
        page, rest = objects[:size], objects[size:]
        body: dict[str, Any] = {"_typeName": "RetrieveResult", "objects": page}
        if rest:
            token = f"token-{next(self._tokens_seq)}"
            self.results[token] = rest
            body["token"] = token
        return httpx.Response(200, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})

    def _retrieve(self, request: httpx.Request, body: Any) -> httpx.Response:
        size = int((body.get("options") or {}).get("maxObjects") or 100)
        self.page_size = size
        return self._page(self.objects(), size)

    def _continue(self, request: httpx.Request, body: Any) -> httpx.Response:
        rest = self.results.pop(body["token"])
        return self._page(rest, self.page_size)
