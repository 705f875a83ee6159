"""Simulator: property reads per second over loopback, and its memory for 10,000 hosts.

Reads: ``GET /sdk/vim25/{release}/HostSystem/{id}/runtime`` with a session, ``concurrency`` requests in flight
from one httpx ``AsyncClient`` (keep-alive) for ``seconds``, cycling over the hosts. The simulator runs in its own
process (``vsphere-nb simulate``). Baseline: the same load against ``python -m benchmarks.baselines bare-server``
— the simulator's own uvicorn server class answering a fixed body with no routing, model or session — i.e. the
ceiling of the HTTP stack on this machine with this client; the ratio says how much of it the simulator keeps.
Both are measured with the same single client process, so on a 2-core machine the absolute numbers are a lower
bound (the load generator shares the CPU).

Memory: resident memory of a simulator process with 10,000 hosts after start and after one full
PropertyCollector pass, against an empty simulator (no hosts) as the baseline.

Target (issue 6): ≥ 1,000 reads/s.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from typing import Any

import httpx

from .common import REPO, SimProcess

__all__ = ["run", "read_rate"]

MB = 1024**2


async def _load(
    base: str, paths: list[str], headers: dict[str, str], seconds: float, concurrency: int
) -> dict[str, Any]:
    done = errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:

        async def worker(offset: int) -> None:
            nonlocal done, errors
            i = offset
            while time.perf_counter() < stop:
                r = await http.get(paths[i % len(paths)])
                if r.status_code == 200 and r.content:
                    done += 1
                else:
                    errors += 1
                i += concurrency

        for w in range(concurrency):  # warm the connections
            await http.get(paths[w % len(paths)])
        start = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {"reads": done, "errors": errors, "seconds": elapsed, "per_second": done / elapsed}


async def _raw_load(
    base: str, paths: list[str], headers: dict[str, str], seconds: float, concurrency: int
) -> dict[str, Any]:
    """The same load with a minimal HTTP/1.1 keep-alive client on raw asyncio streams (a ``wrk``-like load
    generator): far less client CPU per request than httpx, so the server, not the client, sets the rate."""
    from urllib.parse import urlsplit

    url = urlsplit(base)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [f"GET {p} HTTP/1.1\r\nHost: {url.netloc}\r\n{extra}\r\n".encode() for p in paths]
    done = errors = 0
    stop = 0.0

    async def worker(offset: int) -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        i = offset
        try:
            while time.perf_counter() < stop:
                writer.write(requests[i % len(requests)])
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                if status == 200 and body:
                    done += 1
                else:
                    errors += 1
                i += concurrency
        finally:
            writer.close()

    start = time.perf_counter()
    stop = start + seconds
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - start
    return {"reads": done, "errors": errors, "seconds": elapsed, "per_second": done / elapsed}


def read_rate(sim: SimProcess, *, seconds: float, concurrency: int) -> dict[str, Any]:
    """Reads per second of ``runtime`` on the simulator's hosts."""
    with sim.connect() as vc:
        release = vc.release
        moids = [str(m) for m in vc.hosts()["host_moid"]]
    login = httpx.post(
        f"{sim.url}/sdk/vim25/{release}/SessionManager/SessionManager/Login",
        json={"userName": sim.user, "password": sim.password},
        timeout=30,
    )
    login.raise_for_status()
    token = login.headers["vmware-api-session-id"]
    paths = [f"/sdk/vim25/{release}/HostSystem/{m}/runtime" for m in moids]
    headers = {"vmware-api-session-id": token}
    return {
        "raw": asyncio.run(_raw_load(sim.url, paths, headers, seconds, concurrency)),
        "httpx": asyncio.run(_load(sim.url, paths, headers, seconds, concurrency)),
    }


def _bare_rate(seconds: float, concurrency: int) -> dict[str, Any]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.baselines", "bare-server"], stdout=subprocess.PIPE, text=True, cwd=str(REPO)
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"listening on (\S+)", line)
        if not match:
            raise RuntimeError(f"bare server did not start: {line!r}")
        paths = [f"/sdk/vim25/8.0.3.0/HostSystem/host-{1000 + i}/runtime" for i in range(1000)]
        return {
            "raw": asyncio.run(_raw_load(match.group(1), paths, {}, seconds, concurrency)),
            "httpx": asyncio.run(_load(match.group(1), paths, {}, seconds, concurrency)),
        }
    finally:
        proc.terminate()
        proc.wait(10)


def _memory(hosts: int) -> dict[str, Any]:
    clusters = max(1, hosts // 40)
    with SimProcess.of(clusters=0, hosts_per_cluster=0, standalone_hosts=0, scenario="mixed", seed=1) as empty:
        time.sleep(0.5)
        with empty.connect() as vc:  # the same code paths loaded (modules are imported on first use)
            vc.hosts()
        empty_rss = empty.rss()
    with SimProcess.of(
        clusters=clusters, hosts_per_cluster=hosts // clusters, standalone_hosts=0, scenario="mixed", seed=1
    ) as sim:
        time.sleep(0.5)
        started = sim.rss()
        with sim.connect() as vc:
            n = len(vc.hosts())
        after_pass = sim.rss()
    return {
        "hosts": n,
        "rss_after_start": started,
        "rss_after_inventory_pass": after_pass,
        "baseline_empty_simulator_rss": empty_rss,
        "bytes_per_host": (after_pass - empty_rss) / max(n, 1),
    }


def run(*, hosts: int = 10_000, seconds: float = 5.0, concurrency: int = 8) -> dict[str, Any]:
    clusters = max(1, hosts // 40)
    with SimProcess.of(
        clusters=clusters, hosts_per_cluster=hosts // clusters, standalone_hosts=0, scenario="mixed", seed=1
    ) as sim:
        ours = read_rate(sim, seconds=seconds, concurrency=concurrency)
    bare = _bare_rate(seconds, concurrency)
    memory = _memory(hosts)
    return {
        "name": "simulator",
        "hosts": hosts,
        "concurrency": concurrency,
        "reads": ours,
        "baseline_bare_http": bare,
        "share_of_http_ceiling": ours["raw"]["per_second"] / bare["raw"]["per_second"],
        "share_of_http_ceiling_httpx": ours["httpx"]["per_second"] / bare["httpx"]["per_second"],
        "memory": memory,
        "targets": [
            {
                "name": "property reads per second over loopback (raw HTTP/1.1 load generator)",
                "target": "≥ 1,000/s",
                "value": ours["raw"]["per_second"],
                "met": ours["raw"]["per_second"] >= 1000,
            }
        ],
    }
