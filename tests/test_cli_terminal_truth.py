"""What the terminal says is true at a glance, on the demo fleet in a 120-column pseudo-terminal:
``events`` reads like a log (message first, at most two lines per event); ``hosts --only-unhealthy`` lists only
hosts of HA-enabled clusters; a run that stops early never ends on "N of N finished"."""

from __future__ import annotations

import re

import pytest
from test_cli_terminal import assert_safe_and_fits, login, run_in_pty

from vsphere_nb import connect
from vsphere_nb.simulator import Simulator

HEALTHY = {"master", "connectedToMaster"}


@pytest.fixture(scope="module")
def demo():
    """The demo fleet (the ``story`` scenario), with HA turned off on one cluster whose hosts still report a
    broken agent — the case ``--only-unhealthy`` used to list."""
    with Simulator(scenario="story", seed=1, task_seconds=20, time_scale=100) as sim:
        off = sim.inventory.clusters()[-1]
        off.ha_enabled = False
        for host in off.hosts:
            host.das_state = "uninitialized"
        yield sim


def test_events_take_at_most_two_lines_each_message_first(demo):
    args, env = login(demo)
    with connect(demo.url, demo.user, demo.password) as vc:
        events = vc.events(since="7d")
    assert len(events) >= 20
    raw = run_in_pty(["events", *args, "--since", "7d"], env=env)
    lines = [line for line in assert_safe_and_fits(raw) if line.strip()]
    header = next(i for i, line in enumerate(lines) if line.startswith("message"))
    assert re.match(r"message +host +time \(UTC\) +category", lines[header]), lines[header]
    body = lines[header + 1 :]
    assert len(events) <= len(body) <= 2 * len(events), (len(body), len(events))
    # each event starts a line with its message; its host and compact time are on that same line
    starts = [line for line in body if re.search(r"\d\d-\d\d \d\d:\d\d:\d\d", line)]
    assert len(starts) == len(events)
    assert all(not re.match(r"\s", line) for line in starts)
    for host in set(events["host"].dropna().astype(str)):
        assert any(host in line for line in starts), host
    # no type name or message word split: a continuation line is plain message text
    assert not any(line.strip().startswith(("Event", "vent")) for line in body)


def test_only_unhealthy_lists_hosts_of_ha_enabled_clusters_only(demo):
    args, env = login(demo)
    raw = run_in_pty(["hosts", *args, "--only-unhealthy"], env=env)
    lines = assert_safe_and_fits(raw)
    by_name = {h.name: h for h in demo.inventory.hosts}
    rows = [line for line in lines if line.split() and line.split()[0] != "cluster"]
    listed = [h for line in rows for h in [next((n for n in line.split() if n in by_name), None)] if h]
    assert listed, lines
    assert all(by_name[h].ha_enabled for h in listed), [h for h in listed if not by_name[h].ha_enabled]
    expected = {
        h.name
        for h in demo.inventory.hosts
        if h.ha_enabled and (h.das_state not in HEALTHY or h.connection_state != "connected")
    }
    assert set(listed) == expected
    # the case exists: hosts of the HA-disabled cluster or standalone with a broken agent state
    assert any(not h.ha_enabled and h.das_state not in HEALTHY for h in demo.inventory.hosts)


def test_a_run_that_stops_early_never_ends_on_all_finished(demo, tmp_path):
    args, env = login(demo)
    argv = [
        "reconfigure",
        *args,
        "--only-unhealthy",
        "--yes",
        "--include-flagged",  # the hosts a reconfigure will not help too: they fail, and the budget stops the run
        "--max-in-flight",
        "1",
        "--max-failures",
        "0",
        "--run-dir",
        str(tmp_path / "run"),
    ]
    raw = run_in_pty(argv, env=env, code=1)
    lines = assert_safe_and_fits(raw)
    last = [line for line in lines if "Reconfigure for vSphere HA - ended" in line][-1]
    finished = re.search(r"(\d+) of (\d+) finished", last)
    assert finished and int(finished.group(1)) < int(finished.group(2)), last
    assert re.search(r"not launched \d+", last), last
    assert "done" not in last
    summary = next(line for line in lines if "planned hosts finished" in line)
    assert re.search(r"\d+ of \d+ planned hosts finished \(\d+ succeeded, \d+ failed\), \d+ not launched", summary)
