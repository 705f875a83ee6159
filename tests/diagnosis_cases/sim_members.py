"""A case set with ``members``, hosts in maintenance mode and HA-disabled clusters, loaded into simulators: the
cases through :func:`~tests.diagnosis_cases.sim_fleet.build_sim_fleet` (each member's slot reserved among the
healthy peers), then every member loaded onto its slot the way a case's failing host is (its state, datastores,
config issues, events, agent log and attempts), then the maintenance flags and the clusters' HA switch set.

A member's slot is served as a healthy peer first, so it carries the case's ``peers_events`` as the pure fleet's
members do (:mod:`tests.diagnosis_cases.fleet`). A set without these fields loads exactly as ``build_sim_fleet``
loads it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from tests.diagnosis_cases.fleet import load_cases, members_of
from tests.diagnosis_cases.sim_fleet import SimFleet, _load_case, _ordered, build_sim_fleet


def build_sim_fleet_with_members(cases: list[dict[str, Any]] | None = None, **sim_kwargs: Any) -> SimFleet:
    cases = load_cases() if cases is None else cases
    base = [{**c, "peers": int(c.get("peers", 3)) + len(c["members"])} if c.get("members") else c for c in cases]
    fleet = build_sim_fleet(base, **sim_kwargs)
    for vc_name, own in _ordered(base).items():
        vc = fleet.sims[vc_name].vc
        rows: list[dict[str, Any]] = fleet.tasks[vc_name].to_dict("records")  # task ids go on from the cases'
        loaded = len(rows)
        now = datetime.now(UTC)
        with vc.registry.lock:
            for case, cluster in zip(own, vc.inventory.clusters()):
                hosts = sorted(cluster.hosts, key=lambda h: h.name)
                failing = int(case.get("failing", 1))
                first_slot = failing + int(case.get("peers", 3)) - len(case.get("members") or [])
                maintenance = [h for h in hosts[:failing] if (case.get("host") or {}).get("in_maintenance")]
                for member, host in zip(members_of(case), hosts[first_slot:]):
                    saved = cluster.hosts
                    cluster.hosts = [host]  # _load_case loads the failing hosts of the cluster it is given
                    try:
                        _load_case(vc, member, cluster, now, fleet.expected, rows, vc_name)
                    finally:
                        cluster.hosts = saved
                    if member["host"].get("in_maintenance"):
                        maintenance.append(host)
                for host in maintenance:
                    host.in_maintenance = True
                    vc.registry.changed(host)
                if not (case.get("cluster") or {}).get("ha_enabled", True):
                    cluster.ha_enabled = False  # HA off: vCenter unconfigured every agent of the cluster
                    vc.registry.changed(cluster)
                    for host in hosts:
                        host.das_state = None
                        vc.registry.changed(host)
        if len(rows) > loaded:
            fleet.tasks[vc_name] = pd.DataFrame(rows)
    return fleet
