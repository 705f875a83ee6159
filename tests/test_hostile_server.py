"""The client against a hostile proxy in front of the simulator (tests/hostile_proxy.py, 127.0.0.1 only): stacked
compression, odd header bytes, 503s on chosen calls or at a seeded rate, and property values rewritten into
shapes their declared type does not allow. Every expectation comes from what the proxy did (its counters, the
bytes it wrote) and the simulator's own model, never from the client under test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_proxy import HostileProxy

from vsphere_nb import errors
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sim():
    with Simulator(clusters=2, hosts_per_cluster=4, standalone_hosts=1, scenario="healthy", seed=3) as simulator:
        yield simulator


@pytest.fixture
def proxy(sim):
    with HostileProxy(sim.url, seed=16) as hostile:
        yield hostile


# ---------------------------------------------------------------------------------------------
# stacked compression
# ---------------------------------------------------------------------------------------------
def test_answers_through_any_encoding_chain_read_the_same(sim, proxy):
    with connect(sim.url, sim.user, sim.password) as vc:
        plain = vc.hosts().drop(columns="vcenter")
    for layers in (1, 2, 3):
        proxy.gzip_layers = layers
        with connect(proxy.url, sim.user, sim.password) as vc:
            assert vc.hosts().drop(columns="vcenter").equals(plain)
    assert proxy.seen["RetrievePropertiesEx"] >= 3


_BOMB_SCRIPT = """
import json, resource, sys
sys.path.insert(0, {tests!r})
from hostile_proxy import HostileProxy, gzip_bomb
from vsphere_nb import errors
from vsphere_nb.simulator import Simulator
from vsphere_nb.sync import connect

bomb = gzip_bomb({expanded}, layers=2)
with Simulator(clusters=1, hosts_per_cluster=2, standalone_hosts=0, scenario="healthy") as sim:
    with HostileProxy(sim.url) as proxy, connect(proxy.url, sim.user, sim.password, max_response_bytes={cap}) as vc:
        vc.hosts()  # warm: every module and buffer a normal pass needs
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        proxy.bodies["RetrievePropertiesEx"] = (bomb, "gzip, gzip")
        try:
            vc.hosts()
            outcome = "read"
        except errors.ProtocolError as exc:
            outcome = str(exc)
        except MemoryError:
            outcome = "MemoryError"
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"outcome": outcome, "grown_kib": after - before, "body": len(bomb)}}))
"""


def test_a_stacked_gzip_bomb_fails_with_the_cap_and_memory_stays_flat():
    """1 GiB of zeros as ``gzip, gzip`` (about 2 KB): decoded in one go it would grow the process by more than
    1 GiB; decoded in bounded steps the read stops at the cap (16 MiB here) with the error naming it."""
    cap = 16 << 20
    script = _BOMB_SCRIPT.format(tests=str(ROOT / "tests"), expanded=1 << 30, cap=cap)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["body"] < 4096
    assert "capped at 16 MiB (max_response_bytes)" in result["outcome"], result
    assert "RetrievePropertiesEx" in result["outcome"]
    assert result["grown_kib"] < 3 * cap // 1024, result  # the kept answer up to the cap, never the bomb


def test_an_encoding_the_client_did_not_ask_for_is_a_protocol_error(sim, proxy):
    proxy.bodies["RetrievePropertiesEx"] = (b"\x8b\x02\x80hello\x03", "br")
    with connect(proxy.url, sim.user, sim.password) as vc:
        with pytest.raises(errors.ProtocolError, match=r"Content-Encoding \(br\) is not one this client reads"):
            vc.hosts()
    proxy.bodies["RetrievePropertiesEx"] = (b"not gzip", "gzip")
    with connect(proxy.url, sim.user, sim.password) as vc:
        with pytest.raises(errors.ProtocolError, match=r"does not decode as its Content-Encoding says"):
            vc.hosts()


# ---------------------------------------------------------------------------------------------
# odd header bytes
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    [
        (b"X-Note", "café".encode()),  # UTF-8
        (b"X-Note", "café".encode("latin-1")),  # latin-1
        (b"X-Trace", bytes(range(0x80, 0x100))),  # every high byte
        (b"Server", "vCenter ☃".encode()),
    ],
)
def test_non_ascii_response_headers_break_nothing(sim, proxy, header):
    proxy.extra_headers.append(header)
    with connect(proxy.url, sim.user, sim.password) as vc:
        assert vc.about.name
        hosts = vc.hosts()
        assert len(hosts) == 9
        assert vc.get(vc.content.rootFolder, "name") == "Datacenters"


def test_a_latin1_session_id_is_sent_back_byte_for_byte(sim, proxy):
    """The proxy appends a latin-1 byte to the session id it hands out and takes it off what comes back: a call
    only works when the client returns exactly the bytes it was given."""
    proxy.session_suffix = "é".encode("latin-1")
    with connect(proxy.url, sim.user, sim.password) as vc:
        assert vc.session_token.reveal().endswith("é")
        assert len(vc.hosts()) == 9
    assert proxy.seen["RetrievePropertiesEx"] >= 1


def test_the_cli_reads_hosts_through_odd_headers(sim, proxy):
    proxy.extra_headers.append((b"X-Note", "café".encode()))
    proxy.session_suffix = b"\xe9"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VSPHERE_PASSWORD": sim.password}
    done = subprocess.run(
        [sys.executable, "-m", "vsphere_nb", "hosts", "--server", proxy.url, "--user", sim.user, "-o", "csv"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stdout.strip().splitlines()) == 1 + 9


# ---------------------------------------------------------------------------------------------
# 503s: a cleanup failure never costs a read; creating views and collectors is retried
# ---------------------------------------------------------------------------------------------
def test_a_failed_destroy_view_keeps_the_hosts_read(sim, proxy, caplog):
    proxy.fail_methods["DestroyView"] = 503
    with connect(proxy.url, sim.user, sim.password) as vc:
        with caplog.at_level("INFO", logger="vsphere_nb.property"):
            hosts = vc.hosts()
        clusters = vc.clusters()
    assert len(hosts) == 9 and len(clusters) == 2
    assert proxy.failed["DestroyView"] >= 2
    assert any(
        "DestroyView" in r.getMessage() and "drops it with the session" in r.getMessage() for r in caplog.records
    )


def test_creating_views_and_collectors_is_retried(sim, proxy):
    with connect(proxy.url, sim.user, sim.password) as vc:
        proxy.fail_next.update({"CreateContainerView": 2, "CreateCollectorForEvents": 2})
        assert len(vc.hosts()) == 9
        vc.events(since="1h")
        assert vc.stats.retries >= 4
    assert proxy.failed["CreateContainerView"] == 2 and proxy.failed["CreateCollectorForEvents"] == 2


def test_a_failed_destroy_collector_keeps_the_events_read(sim, proxy):
    proxy.fail_methods["DestroyCollector"] = 503
    with connect(sim.url, sim.user, sim.password) as vc:
        expected = vc.events(since="72h", types="all")
    with connect(proxy.url, sim.user, sim.password) as vc:
        got = vc.events(since="72h", types="all")
    assert proxy.failed["DestroyCollector"] == 1
    assert len(got) == len(expected)


def test_forty_hosts_calls_all_succeed_with_ten_percent_503s(sim, proxy):
    with connect(proxy.url, sim.user, sim.password) as vc:
        proxy.fail_rate = 0.10  # seeded: the same requests fail on every run
        ok = 0
        for _ in range(40):
            if len(vc.hosts()) == 9:
                ok += 1
    assert ok == 40
    failed = sum(proxy.failed.values())
    assert failed >= 0.05 * sum(proxy.seen.values())  # the proxy did answer about one request in ten with a 503
    assert proxy.failed["CreateContainerView"] and proxy.failed["DestroyView"]


def test_cli_hosts_csv_on_5000_hosts_survives_a_503_on_destroy_view():
    with Simulator(clusters=50, hosts_per_cluster=100, standalone_hosts=0, scenario="healthy", seed=1) as big:
        with HostileProxy(big.url) as hostile:
            hostile.fail_methods["DestroyView"] = 503
            env = {**os.environ, "PYTHONPATH": str(ROOT), "VSPHERE_PASSWORD": big.password}
            done = subprocess.run(
                [sys.executable, "-m", "vsphere_nb", "hosts", "--server", hostile.url, "--user", big.user, "-o", "csv"],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
                stdin=subprocess.DEVNULL,
            )
            assert hostile.failed["DestroyView"] == 1
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert len(done.stdout.strip().splitlines()) == 1 + 5000


# ---------------------------------------------------------------------------------------------
# values that do not decode as their declared type
# ---------------------------------------------------------------------------------------------
MOREF = {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-1"}


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("runtime.connectionState", {"_typeName": "Frobnicate", "_value": [1, 2]}),
        ("runtime.connectionState", {"_typeName": "boolean", "_value": True}),
        ("runtime.connectionState", MOREF),
        ("runtime.connectionState", {"_typeName": "HostSystemConnectionState", "_value": 3}),
        ("runtime.powerState", {"_typeName": "ArrayOfString", "_value": ["poweredOn"]}),
        ("runtime.inMaintenanceMode", {"_typeName": "string", "_value": "false"}),
        ("runtime.inMaintenanceMode", {"_typeName": "int", "_value": 0}),
        ("disabledMethod", {"_typeName": "string", "_value": "ReconfigureHostForDAS_Task"}),
        ("disabledMethod", {"_typeName": "ArrayOfInt", "_value": [1]}),
        ("parent", {"_typeName": "string", "_value": "domain-c7"}),
    ],
)
def test_an_undecodable_value_of_a_property_eligibility_reads_makes_no_host_eligible(sim, proxy, prop, value):
    proxy.rewrite[prop] = value
    with connect(proxy.url, sim.user, sim.password) as vc:
        hosts = vc.hosts()
    assert len(hosts) == 9
    assert not hosts["eligible"].any(), hosts[["host", "eligible", "skip_reason"]]
    assert hosts["skip_reason"].astype(str).str.contains(f"{prop} unreadable", regex=False).all()
    assert hosts["data_issues"].astype(str).str.startswith(f"{prop}: undecodable").all()
    column = {
        "runtime.connectionState": "connection_state",
        "runtime.powerState": "power_state",
        "disabledMethod": "disabled_methods",
    }.get(prop)
    if column:
        assert hosts[column].isna().all()  # the cell is empty, never "[1, 2]"


def test_an_undecodable_value_of_another_property_is_flagged_but_changes_no_eligibility(sim, proxy):
    with connect(sim.url, sim.user, sim.password) as vc:
        plain = vc.hosts()
    proxy.rewrite["overallStatus"] = {"_typeName": "Frobnicate", "_value": [1, 2]}
    proxy.rewrite["datastore"] = {"_typeName": "boolean", "_value": False}
    with connect(proxy.url, sim.user, sim.password) as vc:
        hosts = vc.hosts()
    assert hosts["eligible"].tolist() == plain["eligible"].tolist()
    assert hosts["data_issues"].astype(str).str.contains("overallStatus: undecodable Frobnicate", regex=False).all()
    assert hosts["data_issues"].astype(str).str.contains("datastore: undecodable boolean", regex=False).all()
    assert hosts["datastores"].isna().all()  # unknown, not "no datastores"


def test_a_plan_never_launches_a_host_with_an_unreadable_connection_state(sim, proxy):
    proxy.rewrite["runtime.connectionState"] = {"_typeName": "Frobnicate", "_value": [1, 2]}
    with connect(proxy.url, sim.user, sim.password) as vc:
        plan = vc.plan_reconfigure(vc.hosts())
    assert len(plan.launch) == 0 and len(plan.skipped) == 9
    assert plan.skipped["skip_reason"].astype(str).str.contains("runtime.connectionState unreadable").all()
