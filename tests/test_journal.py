"""The run journal: durable appends, torn-line tolerance, clear errors, and the state resume needs."""

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vsphere_nb import wire
from vsphere_nb.batch import (
    JOURNAL_NAME,
    BatchLimits,
    Journal,
    PlannedHost,
    make_plan,
    read_journal,
    state_from_journal,
)
from vsphere_nb.batch.journal import redact_url
from vsphere_nb.errors import RunDirectoryError, ServerFault

HOST = PlannedHost(vcenter="vc1", host="esx1", host_moid="host-1", cluster="C0", cluster_moid="domain-c1")


def task_info(moid="task-1", state="success", **extra):
    info = {
        "_typeName": "TaskInfo",
        "key": moid,
        "task": {"_typeName": "ManagedObjectReference", "type": "Task", "value": moid},
        "state": state,
        "queueTime": "2026-03-01T08:00:00Z",
        "startTime": "2026-03-01T08:00:01.5Z",
        "eventChainId": 42,
    }
    if state in ("success", "error"):
        info["completeTime"] = "2026-03-01T08:01:01.5Z"
    info.update(extra)
    return info


def hosts_df():
    import pandas as pd

    rows = [
        {
            "vcenter": "vc1",
            "datacenter": "DC0",
            "cluster": "C0",
            "cluster_moid": "domain-c1",
            "host": f"esx{i}",
            "host_moid": f"host-{i}",
            "connection_state": "connected",
            "in_maintenance": i == 3,
            "ha_enabled": True,
            "das_state": "initializationError",
        }
        for i in range(1, 4)
    ]
    return pd.DataFrame(rows)


def test_create_append_and_read(tmp_path):
    with Journal.create(tmp_path / "run") as journal:
        started = journal.run_started(
            run_id="run-1", vcenters=["https://vc1.example/sdk"], limits=BatchLimits(canary=1)
        )
        journal.launching(HOST)
    assert started["kind"] == "run_started" and started["run_id"] == "run-1"
    contents = read_journal(tmp_path / "run")
    assert [r["kind"] for r in contents.records] == ["run_started", "launching"]
    assert contents.torn_tail is False
    assert all(isinstance(r["at"], str) and r["at"].endswith("Z") for r in contents.records)
    raw = (tmp_path / "run" / JOURNAL_NAME).read_text(encoding="utf-8")
    assert raw.count("\n") == 2 and all(json.loads(line) for line in raw.splitlines())


def test_create_refuses_an_existing_journal(tmp_path):
    Journal.create(tmp_path).close()
    with pytest.raises(RunDirectoryError, match="already holds a journal"):
        Journal.create(tmp_path)


def test_every_record_is_fsynced_with_a_zero_interval(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    monkeypatch.setattr(Journal, "fsync_interval", 0.0)
    journal = Journal.create(tmp_path)
    before = len(synced)
    journal.run_started(run_id="run-1")
    journal.launching(HOST)
    journal.launched(HOST, "task-9")
    assert len(synced) - before == 3
    journal.close()


def test_records_are_flushed_at_once_and_fsynced_as_a_group(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    monkeypatch.setattr(Journal, "fsync_interval", 3600.0)
    journal = Journal.create(tmp_path)
    before = len(synced)
    journal.run_started(run_id="run-1")  # the first record of a group is synced at once
    journal.launching(HOST)
    journal.launched(HOST, "task-9")
    assert len(synced) - before == 1
    # the writer is still open: another reader (another process would see the same) finds every record
    state = state_from_journal(tmp_path)
    assert state.stage("vc1", "host-1") == "launched"
    assert state.records.get("vc1", "host-1", 1).task_moid == "task-9"
    with open(tmp_path / JOURNAL_NAME, "rb") as other:
        assert other.read().count(b"\n") == 3
    journal.close()  # closing syncs what the group left unsynced
    assert len(synced) - before == 2
    assert journal.closed
    with pytest.raises(RunDirectoryError, match="closed"):
        journal.launching(HOST)


def test_torn_last_line_is_ignored(tmp_path):
    with Journal.create(tmp_path) as journal:
        journal.run_started(run_id="run-1")
        journal.launching(HOST)
    with open(tmp_path / JOURNAL_NAME, "ab") as fh:
        fh.write(b'{"kind":"launched","vcenter":"vc1","host_mo')  # crash mid-write
    contents = read_journal(tmp_path)
    assert contents.torn_tail and [r["kind"] for r in contents.records] == ["run_started", "launching"]
    state = state_from_journal(tmp_path)
    assert state.torn_tail and state.stage("vc1", "host-1") == "launching"


def test_reopening_cuts_the_torn_tail_and_appends_cleanly(tmp_path):
    with Journal.create(tmp_path) as journal:
        journal.run_started(run_id="run-1")
    with open(tmp_path / JOURNAL_NAME, "ab") as fh:
        fh.write(b'{"kind":"laun')
    with Journal.open(tmp_path) as journal:
        journal.launching(HOST)
    contents = read_journal(tmp_path)
    assert not contents.torn_tail
    assert [r["kind"] for r in contents.records] == ["run_started", "launching"]


def test_a_broken_line_before_the_last_is_an_error(tmp_path):
    with Journal.create(tmp_path) as journal:
        journal.run_started(run_id="run-1")
    with open(tmp_path / JOURNAL_NAME, "ab") as fh:
        fh.write(b'{"kind":"laun\n{"kind":"launching"}\n')
    with pytest.raises(RunDirectoryError, match="line 2"):
        read_journal(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no complete record"),
        (b'{"kind":"launching"}\n', "does not start with a run_started"),
        (b'{"kind":"run_started","run_id":"r"}\n\xff\xfe\n{"kind":"x"}\n', "not UTF-8"),
        (b"[1,2]\n", "not a journal record"),
        (b'{"no_kind":1}\n', "not a journal record"),
        (b"[" * 100_000 + b"\n", "not a JSON record"),
    ],
)
def test_garbled_journals_raise_run_directory_error(tmp_path, content, message):
    (tmp_path / JOURNAL_NAME).write_bytes(content)
    with pytest.raises(RunDirectoryError, match=message):
        read_journal(tmp_path)


def test_missing_directory_or_journal(tmp_path):
    with pytest.raises(RunDirectoryError, match="does not exist"):
        read_journal(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunDirectoryError, match="not a directory"):
        state_from_journal(tmp_path / "file")
    with pytest.raises(RunDirectoryError, match="no journal.jsonl"):
        state_from_journal(tmp_path)
    with pytest.raises(RunDirectoryError):
        Journal.open(tmp_path)


def test_state_from_journal_for_every_stage(tmp_path):
    df = hosts_df()
    plan = make_plan(df, BatchLimits(canary=1, max_failures="10%"))
    hosts = {h.host_moid: h for h in plan.launch}
    extra = PlannedHost(vcenter="vc1", host="esx9", host_moid="host-9", cluster="C0", cluster_moid="domain-c1")
    with Journal.create(tmp_path) as j:
        j.run_started(
            run_id="run-7",
            vcenters=["https://admin:s3cret@vc1.example/sdk"],
            limits=BatchLimits(canary=1, max_failures="10%"),
        )
        j.planned(plan)
        j.launching(hosts["host-1"])
        j.launched(hosts["host-1"], "task-1")
        j.finished(hosts["host-1"], task_info("task-1"))
        j.post_checked(
            hosts["host-1"], das_state_before="initializationError", das_state_after="connectedToMaster", healthy=True
        )
        j.launching(hosts["host-2"])  # no answer: the task may or may not exist
        j.launching(extra)
        j.launch_failed(extra, {"_typeName": "NoPermission", "privilegeId": "Host.Config.Connection"})
        j.append("from_a_newer_release", anything=1)  # unknown kinds are ignored
        j.stopped("cancelled")
    state = state_from_journal(tmp_path)
    assert state.run_id == "run-7" and not state.run_finished and state.stop_reason == "cancelled"
    assert state.vcenters == ["https://vc1.example/sdk"]  # credentials never written
    assert "s3cret" not in (tmp_path / JOURNAL_NAME).read_text()
    assert state.limits == BatchLimits(canary=1, max_failures="10%")
    assert state.stage("vc1", "host-1") == "post_checked"
    assert state.stage("vc1", "host-2") == "launching"
    assert state.stage("vc1", "host-3", 0) == "skipped"
    assert state.stage("vc1", "host-9") == "finished"
    assert state.stage("vc1", "host-404") is None
    assert state.stage_counts() == {"post_checked": 1, "launching": 1, "skipped": 1, "finished": 1}
    rec = state.records.get("vc1", "host-9", 1)
    assert rec.outcome == "launch_failed" and rec.fault["_typeName"] == "NoPermission"
    assert state.records.get("vc1", "host-3", 0).skip_reason == "in maintenance mode"
    # the remaining stages
    with Journal.open(tmp_path) as j:
        j.launched(hosts["host-2"], "task-2")
        state = state_from_journal(tmp_path)
        assert (
            state.stage("vc1", "host-2") == "launched" and state.records.get("vc1", "host-2", 1).task_moid == "task-2"
        )
        j.finished(hosts["host-2"], task_info("task-2", "success"))
        state = state_from_journal(tmp_path)
        assert state.stage("vc1", "host-2") == "finished" and state.records.get("vc1", "host-2", 1).outcome == "success"
        j.launching(hosts["host-2"], attempt=2)
        j.not_launched(extra, "run cancelled before this host was launched", attempt=2)
        j.run_finished(stop_reason="cancelled", counts={"success": 1})
    state = state_from_journal(tmp_path)
    assert state.run_finished
    assert state.stage("vc1", "host-2") == "launching" and state.stage("vc1", "host-2", 1) == "finished"
    second = state.records.get("vc1", "host-2", 2)
    assert second.cluster == "C0" and second.das_state_before == "initializationError"  # inherited
    assert state.stage("vc1", "host-9") == "not_launched"
    assert state.stage_counts() == {"post_checked": 1, "launching": 1, "skipped": 1, "not_launched": 1}


def test_planned_hosts_without_records_are_not_started(tmp_path):
    plan = make_plan(hosts_df())
    with Journal.create(tmp_path) as j:
        j.run_started(run_id="r")
        j.planned(plan)
    state = state_from_journal(tmp_path)
    assert sorted(r.host_moid for r in state.records.latest() if r.stage == "planned") == ["host-1", "host-2"]
    assert len(state.records.host_rows) == 3


def test_wire_models_and_server_faults_are_written_as_wire_json(tmp_path):
    info = wire.decode_as(
        task_info("task-5", "error", error={"_typeName": "DasConfigFault", "reason": "Other"}), wire.TaskInfo
    )
    fault = ServerFault(
        wire.decode_as({"_typeName": "NotSupported"}, wire.MethodFault),
        raw={"_typeName": "NotSupported", "faultstring": "not on ESXi"},
    )
    with Journal.create(tmp_path) as j:
        j.run_started(run_id="r")
        j.finished(HOST, info)
        j.launch_failed(HOST, fault, attempt=2)
        j.events(
            HOST,
            [
                wire.decode_as(
                    {
                        "_typeName": "HostDasErrorEvent",
                        "key": 1,
                        "chainId": 1,
                        "createdTime": "2026-03-01T08:00:00Z",
                        "reason": "configFailed",
                    },
                    wire.Event,
                )
            ],
            source="host_events",
        )
    state = state_from_journal(tmp_path)
    first = state.records.get("vc1", "host-1", 1)
    assert first.outcome == "fault" and first.fault["reason"] == "Other" and first.task_moid == "task-5"
    assert len(first.events) == 1 and first.events.event_type == ["HostDasErrorEvent"]
    second = state.records.get("vc1", "host-1", 2)
    assert second.fault == {"_typeName": "NotSupported", "faultstring": "not on ESXi"}


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "launched", "vcenter": "vc1", "host_moid": "host-1"},  # no task_moid
        {"kind": "launching", "vcenter": 3, "host_moid": "host-1"},
        {"kind": "launching", "vcenter": "vc1", "host_moid": "host-1", "attempt": "two"},
        {"kind": "finished", "vcenter": "vc1", "host_moid": "host-1", "outcome": "great"},
        {"kind": "finished", "vcenter": "vc1", "host_moid": "host-1"},  # no outcome, no info
        {"kind": "events", "vcenter": "vc1", "host_moid": "host-1", "events": "x"},
        {"kind": "planned", "launch": [{"vcenter": "vc1"}]},
        {"kind": "post_checked", "vcenter": "vc1", "host_moid": "h", "healthy": "yes"},
    ],
)
def test_malformed_records_are_run_directory_errors(tmp_path, bad):
    lines = [{"kind": "run_started", "run_id": "r"}, bad]
    (tmp_path / JOURNAL_NAME).write_text("".join(json.dumps(x) + "\n" for x in lines))
    with pytest.raises(RunDirectoryError, match="record 2"):
        state_from_journal(tmp_path)


def test_malformed_limits_are_a_run_directory_error(tmp_path):
    (tmp_path / JOURNAL_NAME).write_text(
        json.dumps({"kind": "run_started", "run_id": "r", "limits": {"max_in_flight": 0}}) + "\n"
    )
    with pytest.raises(RunDirectoryError, match="limits"):
        state_from_journal(tmp_path)


def test_redact_url():
    assert redact_url("https://u:p@vc.example:443/sdk") == "https://vc.example:443/sdk"
    assert redact_url("vc.example") == "vc.example"


# ---------------------------------------------------------------------------------------------
# fuzz: whatever the bytes, the reader answers records or RunDirectoryError, nothing else
# ---------------------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
kinds = st.sampled_from(
    [
        "run_started",
        "planned",
        "launching",
        "launched",
        "launch_failed",
        "task_update",
        "finished",
        "post_checked",
        "events",
        "not_launched",
        "stopped",
        "run_finished",
        "other",
    ]
)
fields = st.sampled_from(
    [
        "run_id",
        "vcenters",
        "limits",
        "vcenter",
        "host",
        "host_moid",
        "attempt",
        "task_moid",
        "info",
        "fault",
        "outcome",
        "events",
        "source",
        "reason",
        "healthy",
        "hosts",
        "launch",
        "skipped",
        "das_state_before",
        "stop_reason",
        "created_at",
    ]
)
records = st.builds(lambda kind, body: {**body, "kind": kind}, kinds, st.dictionaries(fields, json_values, max_size=6))


@pytest.fixture(scope="module")
def fuzz_dir():
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def _write_and_read(directory: Path, data: bytes) -> None:
    (directory / JOURNAL_NAME).write_bytes(data)
    try:
        read_journal(directory)
        state_from_journal(directory)
    except RunDirectoryError:
        pass


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400))
def test_fuzz_garbage_bytes(fuzz_dir, data):
    _write_and_read(fuzz_dir, data)
    _write_and_read(fuzz_dir, b'{"kind":"run_started","run_id":"r"}\n' + data)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(body=st.lists(records, max_size=8), tail=st.binary(max_size=20))
def test_fuzz_structured_records(fuzz_dir, body, tail):
    lines = [{"kind": "run_started", "run_id": "r"}, *body]
    data = "".join(json.dumps(x) + "\n" for x in lines).encode() + tail
    _write_and_read(fuzz_dir, data)


def test_end_of_last_line_reads_backwards_in_chunks(tmp_path):
    import os

    from vsphere_nb.batch.journal import _end_of_last_line

    for i, data in enumerate([b"", b"abc", b"a\n", b"a\nbc", b"x" * 5000 + b"\n" + b"y" * 3000, b"\n" + b"z" * 4500]):
        path = tmp_path / f"f{i}"
        path.write_bytes(data)
        fd = os.open(path, os.O_RDONLY)
        try:
            assert _end_of_last_line(fd, chunk=1000) == data.rfind(b"\n") + 1
        finally:
            os.close(fd)
