"""The baselines every benchmark figure is compared with — the way the job is commonly done without vsphere-nb.

Each one is implemented honestly: over the same HTTP client (:class:`~vsphere_nb.client.aio.AsyncClient`: same
connection pool, same JSON codec), against the same simulator, producing the same answer as the code it is
compared with (the inventory baseline builds the very same ``hosts`` table, checked by the benchmark). They are
labelled in ``results.md`` with what they imitate:

* :func:`per_host_inventory` — one ``GET`` per host per property, as pyVmomi property access and PowerCLI
  ``Get-View`` loops do (``host.runtime``, ``host.summary`` … each a round trip), optionally ``concurrency``
  requests in flight (a tuned script), then the clusters, datacenters and datastores the table names.
* :func:`polling_batch` — launch under the same caps, then poll ``Task.info`` every second per task, as PowerCLI
  ``Wait-Task`` and Ansible's vmware modules do.
* :func:`sequential_batch` — launch one host, wait for its task with a PropertyCollector filter and
  ``WaitForUpdatesEx`` loop (pyVmomi's ``pyVim.task.WaitForTask``, the community samples' ``wait_for_tasks``),
  destroy the filter, next host.
* :func:`naive_frames` — one Python dict per row, ``pd.DataFrame(rows)``, then the same dtypes.
* :func:`naive_filter` — a pandas boolean mask over the hosts table (the floor for a widget's filter).
* ``python -m benchmarks.baselines bare-server`` — uvicorn serving a fixed JSON answer: the HTTP stack's ceiling
  for the simulator's reads per second.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vsphere_nb import wire
from vsphere_nb.errors import ServerFault, VsphereError
from vsphere_nb.wire import MoRef

__all__ = [
    "HOST_PROPERTIES",
    "per_host_inventory",
    "polling_batch",
    "sequential_batch",
    "BatchOutcome",
    "naive_frames",
    "naive_filter",
    "bare_app",
]

#: the top-level HostSystem properties the hosts table needs (a GET cannot read nested paths)
HOST_PROPERTIES = (
    "name",
    "parent",
    "runtime",
    "configIssue",
    "overallStatus",
    "summary",
    "datastore",
    "disabledMethod",
)
RECONFIGURE = "ReconfigureHostForDAS_Task"
#: the columns a hosts panel's search box looks in
SEARCH_COLUMNS = (
    "host",
    "host_moid",
    "cluster",
    "datacenter",
    "das_state",
    "connection_state",
    "version",
    "build",
    "skip_reason",
    "config_issues",
    "vcenter",
)


# ---------------------------------------------------------------------------------------------
# inventory: one GET per host per property
# ---------------------------------------------------------------------------------------------
async def per_host_inventory(client: Any, *, limit: int | None = None, concurrency: int = 1) -> pd.DataFrame:
    """The ``hosts`` table of :mod:`vsphere_nb.fleet.inventory` (same code builds it), read property by property.

    Lists the hosts through a ``ContainerView`` (``GET …/view``: one request, as a script would do), keeps the
    first ``limit``, then reads :data:`HOST_PROPERTIES` of each host, then what the table names: each cluster's
    ``name``/``parent``/``configurationEx``, the folders and datacenter above it, each datastore's ``name`` and
    the name of each HA state reporter outside the selection. ``concurrency`` requests are in flight at once
    (1 = a plain loop).
    """
    from vsphere_nb.client.aio import vcenter_name
    from vsphere_nb.client.property import create_container_view, destroy_view
    from vsphere_nb.fleet.inventory import Inventory

    sem = asyncio.Semaphore(max(1, concurrency))

    async def read(ref: MoRef, prop: str) -> Any:
        async with sem:
            return await client.get(ref, prop)

    async def read_all(ref: MoRef, props: Sequence[str]) -> dict[str, Any]:
        if concurrency <= 1:
            return {p: await read(ref, p) for p in props}
        values = await asyncio.gather(*(read(ref, p) for p in props))
        return dict(zip(props, values))

    async def read_many(refs: Iterable[MoRef], props: Sequence[str]) -> dict[MoRef, dict[str, Any]]:
        refs = list(refs)
        if concurrency <= 1:
            return {ref: await read_all(ref, props) for ref in refs}
        results = await asyncio.gather(*(read_all(ref, props) for ref in refs))
        return dict(zip(refs, results))

    view = await create_container_view(client, client.content.rootFolder, ["HostSystem"], recursive=True)
    try:
        refs = list(await client.get(view, "view") or [])
    finally:
        await destroy_view(client, view)
    refs = sorted(refs, key=lambda r: r.value)[:limit] if limit else refs
    inv = Inventory(vcenter=vcenter_name(client))

    raw = await read_many(refs, HOST_PROPERTIES)
    for ref, props in raw.items():
        runtime = props["runtime"]
        product = getattr(getattr(props["summary"], "config", None), "product", None)
        inv.objects[ref] = {
            "name": props["name"],
            "parent": props["parent"],
            "runtime.connectionState": getattr(runtime, "connectionState", None),
            "runtime.powerState": getattr(runtime, "powerState", None),
            "runtime.inMaintenanceMode": getattr(runtime, "inMaintenanceMode", None),
            "runtime.dasHostState": getattr(runtime, "dasHostState", None),
            "configIssue": props["configIssue"],
            "overallStatus": props["overallStatus"],
            "summary.config.product.version": getattr(product, "version", None),
            "summary.config.product.build": getattr(product, "build", None),
            "datastore": props["datastore"],
            "disabledMethod": props["disabledMethod"],
        }
    # the containers above the hosts, each read once
    parents = {p["parent"] for p in inv.objects.values() if isinstance(p.get("parent"), MoRef)}
    clusters = [p for p in parents if p.type == "ClusterComputeResource"]
    others = [p for p in parents if p.type != "ClusterComputeResource"]
    inv.objects.update(await read_many(clusters, ("name", "parent", "configurationEx")))
    inv.objects.update(await read_many(others, ("name", "parent")))
    frontier = {p["parent"] for p in inv.objects.values() if isinstance(p.get("parent"), MoRef)} - set(inv.objects)
    while frontier:  # folders up to the datacenter (the table names it), never above it
        level = await read_many(sorted(frontier, key=str), ("name", "parent"))
        inv.objects.update(level)
        frontier = {
            p["parent"] for ref, p in level.items() if ref.type != "Datacenter" and isinstance(p.get("parent"), MoRef)
        } - set(inv.objects)
    datastores = {d for p in raw.values() for d in (p["datastore"] or [])}
    inv.objects.update(await read_many(sorted(datastores, key=str), ("name",)))
    reporters = {getattr(o.get("runtime.dasHostState"), "stateReporter", None) for o in list(inv.objects.values())}
    missing = sorted((r for r in reporters if isinstance(r, MoRef) and r not in inv.objects), key=str)
    for ref, props in (await read_many(missing, ("name",))).items():
        inv.objects[ref] = props
    from vsphere_nb.fleet.inventory import hosts_frame

    frame = hosts_frame(inv)
    # reporters outside the selection were read for their name only: they are not rows of this table
    selected = {ref.value for ref in refs}
    return frame[frame["host_moid"].astype(str).isin(selected)].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# batch: per-task polling, and sequential launch-and-wait
# ---------------------------------------------------------------------------------------------
@dataclass
class BatchOutcome:
    """What a baseline batch did: final task state per host moId, wall time, requests (client-side count)."""

    states: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    requests: int = 0
    max_in_flight: int = 0
    max_per_cluster: int = 0

    @property
    def hosts(self) -> int:
        return len(self.states)


async def _launch(client: Any, host_moid: str) -> MoRef | None:
    try:
        return wire.decode_as(await client.invoke(MoRef("HostSystem", host_moid), RECONFIGURE), wire.MoRef)
    except ServerFault:
        return None


async def polling_batch(
    client: Any, hosts: Sequence[tuple[str, str]], *, max_in_flight: int, per_cluster: int, interval: float = 1.0
) -> BatchOutcome:
    """Launch ``hosts`` (``(host moId, cluster moId)`` pairs) under the same caps as vsphere-nb, then poll each
    task's ``info`` every ``interval`` seconds until it ends (PowerCLI ``Wait-Task``, Ansible)."""
    out = BatchOutcome()
    before = client.stats.requests
    pending = list(hosts)
    running: Counter[str] = Counter()
    in_flight = 0
    changed = asyncio.Event()

    async def one(host_moid: str, cluster: str) -> None:
        nonlocal in_flight
        try:
            task = await _launch(client, host_moid)
            if task is None:
                out.states[host_moid] = "launch_failed"
                return
            while True:
                await asyncio.sleep(interval)
                info = wire.decode_as(await client.get(task, "info"), wire.TaskInfo)
                if info.done:
                    out.states[host_moid] = str(getattr(info.state, "value", info.state))
                    return
        except VsphereError as exc:
            out.states[host_moid] = f"error: {type(exc).__name__}"
        finally:
            in_flight -= 1
            running[cluster] -= 1
            changed.set()

    start = time.perf_counter()
    workers: list[asyncio.Task[None]] = []
    while pending or in_flight:
        for item in list(pending):
            if in_flight >= max_in_flight:
                break
            host_moid, cluster = item
            if running[cluster] >= per_cluster:
                continue
            pending.remove(item)
            in_flight += 1
            running[cluster] += 1
            out.max_in_flight = max(out.max_in_flight, in_flight)
            out.max_per_cluster = max(out.max_per_cluster, running[cluster])
            workers.append(asyncio.ensure_future(one(host_moid, cluster)))
        changed.clear()
        if pending or in_flight:
            await changed.wait()
    await asyncio.gather(*workers)
    out.seconds = time.perf_counter() - start
    out.requests = client.stats.requests - before
    return out


async def sequential_batch(client: Any, host_moids: Sequence[str]) -> BatchOutcome:
    """One host at a time: launch, ``CreateFilter`` on the task, ``WaitForUpdatesEx`` until ``success``/``error``,
    ``DestroyPropertyFilter`` — what ``pyVim.task.WaitForTask`` does after each launch."""
    out = BatchOutcome()
    before = client.stats.requests
    pc = client.content.propertyCollector
    start = time.perf_counter()
    for host_moid in host_moids:
        task = await _launch(client, host_moid)
        if task is None:
            out.states[host_moid] = "launch_failed"
            continue
        spec = wire.PropertyFilterSpec(
            objectSet=[wire.ObjectSpec(obj=task, skip=False)],
            propSet=[wire.PropertySpec(type="Task", pathSet=["info.state", "info.error"])],
        )
        filt = wire.decode_as(await client.invoke(pc, "CreateFilter", spec=spec, partialUpdates=True), wire.MoRef)
        version, state = "", None
        try:
            while state not in ("success", "error"):
                result = await client.invoke(
                    pc, "WaitForUpdatesEx", version=version, options=wire.WaitOptions(maxWaitSeconds=20)
                )
                if result is None:
                    continue
                update = wire.decode_as(result, wire.UpdateSet)
                version = update.version
                for fset in update.filterSet or []:
                    for obj in fset.objectSet or []:
                        for change in obj.changeSet or []:
                            if change.name == "info.state" and change.val is not None:
                                state = str(getattr(change.val, "value", change.val))
        finally:
            await client.invoke(filt, "DestroyPropertyFilter")
        out.states[host_moid] = state or "unknown"
        out.max_in_flight = out.max_per_cluster = 1
    out.seconds = time.perf_counter() - start
    out.requests = client.stats.requests - before
    return out


# ---------------------------------------------------------------------------------------------
# frames: one dict per row
# ---------------------------------------------------------------------------------------------
def naive_frames(records: Sequence[Any]) -> dict[str, pd.DataFrame]:
    """``tasks`` and ``events`` built row by row (a dict per row, ``pd.DataFrame(rows)``), then given the same
    dtypes as vsphere-nb's frames (categories, UTC datetimes, pyarrow strings). Faults: outermost type, first
    ``reason`` and message, as in the tasks frame."""
    from vsphere_nb.wire.plain import fault_chain, fault_text

    task_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    for rec in records:
        chain = fault_chain(rec.fault) if rec.fault else []
        reason = next((f.get("reason") for f in chain if f.get("reason")), None)
        task_rows.append(
            {
                "run_id": rec.run_id,
                "vcenter": rec.vcenter,
                "cluster": rec.cluster,
                "host": rec.host,
                "host_moid": rec.host_moid,
                "attempt": rec.attempt,
                "outcome": rec.outcome,
                "task_moid": rec.task_moid,
                "state": rec.state,
                "queued_at": rec.queued_at,
                "started_at": rec.started_at,
                "completed_at": rec.completed_at,
                "fault_type": chain[0].get("_typeName") if chain else None,
                "fault_reason": reason,
                "fault_message": fault_text(chain[0]) if chain else None,
                "das_state_before": rec.das_state_before,
                "das_state_after": rec.das_state_after,
                "event_chain_id": rec.event_chain_id,
                "canary": rec.canary,
                "stage": rec.stage,
                "skip_reason": rec.skip_reason,
            }
        )
        ev = rec.events
        if ev is None:
            continue
        for i in range(len(ev)):
            event_rows.append(
                {
                    "run_id": rec.run_id,
                    "vcenter": rec.vcenter,
                    "cluster": rec.cluster,
                    "host": rec.host,
                    "host_moid": rec.host_moid,
                    "task_moid": rec.task_moid,
                    "source": ev.source[i],
                    "event_key": ev.event_key[i],
                    "chain_id": ev.chain_id[i],
                    "event_type": ev.event_type[i],
                    "event_type_id": ev.event_type_id[i],
                    "created_time": ev.created_time[i],
                    "user_name": ev.user_name[i],
                    "severity": ev.severity[i],
                    "message": ev.message[i],
                }
            )
    tasks = pd.DataFrame(task_rows)
    events = pd.DataFrame(event_rows)
    for frame, times, cats, texts in (
        (
            tasks,
            ("queued_at", "started_at", "completed_at"),
            (
                "run_id",
                "vcenter",
                "cluster",
                "host",
                "host_moid",
                "outcome",
                "task_moid",
                "state",
                "fault_type",
                "fault_reason",
                "das_state_before",
                "das_state_after",
                "stage",
            ),
            ("fault_message", "skip_reason"),
        ),
        (
            events,
            ("created_time",),
            (
                "run_id",
                "vcenter",
                "cluster",
                "host",
                "host_moid",
                "task_moid",
                "source",
                "event_type",
                "event_type_id",
                "user_name",
                "severity",
            ),
            ("message",),
        ),
    ):
        if not len(frame):
            continue
        for col in times:
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        for col in cats:
            frame[col] = frame[col].astype("category")
        for col in texts:
            frame[col] = frame[col].astype("string[pyarrow]")
    if len(tasks):
        tasks["duration_s"] = (tasks["completed_at"] - tasks["started_at"]).dt.total_seconds()
    return {"tasks": tasks, "events": events}


def naive_filter(
    hosts: pd.DataFrame,
    *,
    text: str = "",
    clusters: Sequence[str] = (),
    states: Sequence[str] = (),
    only_unhealthy: bool = False,
) -> pd.DataFrame:
    """The floor for a hosts panel's filter: one pandas boolean mask, no widget work."""
    mask = pd.Series(True, index=hosts.index)
    for term in text.lower().split():  # any of the searchable columns contains the term
        hit = pd.Series(False, index=hosts.index)
        for col in SEARCH_COLUMNS:
            if col in hosts:
                hit |= hosts[col].astype(str).str.lower().str.contains(term, regex=False)
        mask &= hit
    if clusters:
        mask &= hosts["cluster"].astype(str).isin(list(clusters))
    if states:
        mask &= hosts["das_state"].astype(str).isin(list(states))
    if only_unhealthy:  # HA enabled on its cluster, and the agent not master/connectedToMaster or not connected
        agent_bad = ~hosts["das_state"].astype(str).isin(["master", "connectedToMaster"])
        agent_bad |= hosts["connection_state"].astype(str) != "connected"
        mask &= hosts["ha_enabled"].fillna(False).astype(bool) & agent_bad
    return hosts[mask]


# ---------------------------------------------------------------------------------------------
# the HTTP stack's ceiling
# ---------------------------------------------------------------------------------------------
_BARE_BODY = (
    b'{"_typeName":"HostRuntimeInfo","connectionState":"connected","powerState":"poweredOn",'
    b'"inMaintenanceMode":false,"dasHostState":{"_typeName":"ClusterDasFdmHostState",'
    b'"state":"connectedToMaster"}}'
)


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A raw ASGI app answering every request with a fixed HostRuntimeInfo: no routing, no model, no session."""
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(_BARE_BODY)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": _BARE_BODY})


def _serve_bare() -> int:
    """Serve :func:`bare_app` with the simulator's own server class (same uvicorn settings) until killed."""
    import threading

    from vsphere_nb.simulator.server import HttpServer

    server = HttpServer(bare_app, bind="127.0.0.1", port=0)
    server.start()
    print(f"bare server listening on http://127.0.0.1:{server.port}", flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":  # pragma: no cover - a child process of the benchmarks
    if sys.argv[1:] == ["bare-server"]:
        sys.exit(_serve_bare())
    print("usage: python -m benchmarks.baselines bare-server", file=sys.stderr)
    sys.exit(2)
