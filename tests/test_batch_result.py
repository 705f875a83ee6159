"""RunResult: frames, summary, notebook repr, save (Parquet + CSV + journal) and load_run round trips."""

import json

import pandas as pd
import pytest

from benchmarks.synthetic import synthetic_records
from vsphere_nb.batch import (
    SCHEMAS,
    BatchLimits,
    Journal,
    PlannedHost,
    RunRecords,
    RunResult,
    load_run,
)
from vsphere_nb.batch.journal import JOURNAL_NAME
from vsphere_nb.batch.result import FRAME_NAMES, RUN_META_NAME
from vsphere_nb.errors import ConfigError, RunDirectoryError
from vsphere_nb.vocabulary import OUTCOMES


def synthetic_result(n=120, m=900, **kwargs):
    rr = RunRecords("run-s")
    rr.vcenters = ["vc1.example.test"]
    rr.limits = BatchLimits(canary=2, max_failures="10%").to_dict()
    rr.created_at = "2026-03-01T08:00:00.000000Z"
    for r in synthetic_records(n, m, seed=9):
        rr.add(r)
    rr.host_rows = [
        {
            "vcenter": "vc1.example.test",
            "host": r.host,
            "host_moid": r.host_moid,
            "cluster": r.cluster,
            "in_maintenance": False,
            "ha_enabled": True,
            "eligible": r.outcome != "skipped",
            "das_state": r.das_state_before,
        }
        for r in rr
    ]
    rr.stop_reason = kwargs.get("stop_reason")
    rr.run_finished = True
    return RunResult.from_records(rr)


def test_frames_summary_and_repr():
    result = synthetic_result()
    assert len(result.tasks) == 120 and len(result.hosts) == 120
    assert result.tasks is result.tasks  # built once
    summary = result.summary()
    assert list(summary.index) == list(OUTCOMES)
    assert summary.index[-1] == "lost"
    assert summary.sum() == 120 and summary.dtype == "int64"
    assert summary["fault"] == int((result.tasks["outcome"] == "fault").sum())
    assert "RunResult('run-s': success=" in repr(result)
    html = result._repr_html_()
    assert "Run run-s" in html and "<table>" in html and "Top fault reasons" in html


def test_summary_counts_the_latest_attempt_and_in_progress():
    rr = RunRecords("r")
    base = {"vcenter": "vc1", "host_moid": "host-1", "host": "esx1"}
    rr.apply({"kind": "finished", **base, "attempt": 1, "outcome": "fault", "info": {"state": "error"}})
    rr.apply({"kind": "finished", **base, "attempt": 2, "outcome": "success", "info": {"state": "success"}})
    rr.apply({"kind": "launching", "vcenter": "vc1", "host_moid": "host-2", "host": "esx2"})
    result = RunResult.from_records(rr)
    summary = result.summary()
    assert summary["success"] == 1 and summary["fault"] == 0 and summary["in progress"] == 1
    assert len(result.tasks) == 3


def test_refresh_rebuilds_from_records():
    rr = RunRecords("r")
    result = RunResult.from_records(rr)
    assert result.tasks.empty
    rr.apply({"kind": "launching", "vcenter": "vc1", "host_moid": "host-1", "host": "esx1"})
    assert result.tasks.empty  # cached until refreshed
    assert len(result.refresh().tasks) == 1


def test_html_repr_escapes():
    rr = RunRecords("<b>run</b>")
    rr.stop_reason = "<i>x</i>"
    html = RunResult.from_records(rr)._repr_html_()
    assert "<b>run</b>" not in html and "&lt;b&gt;run&lt;/b&gt;" in html and "&lt;i&gt;" in html


def test_save_and_load_round_trip_keeps_dtypes(tmp_path):
    result = synthetic_result(stop_reason="failure_budget_exceeded")
    target = result.save(tmp_path / "saved")
    names = {p.name for p in target.iterdir()}
    for frame in FRAME_NAMES:
        assert f"{frame}.parquet" in names and f"{frame}.csv" in names
    assert RUN_META_NAME in names and not any(n.endswith(".tmp") for n in names)
    loaded = load_run(target)
    for name in FRAME_NAMES:
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(result, name), check_exact=True)
    assert isinstance(loaded.tasks["outcome"].dtype, pd.CategoricalDtype)
    assert str(loaded.events["created_time"].dtype) == "datetime64[us, UTC]"
    assert loaded.run_id == "run-s" and loaded.stop_reason == "failure_budget_exceeded"
    assert loaded.limits == BatchLimits(canary=2, max_failures="10%")
    assert loaded.vcenters == ["vc1.example.test"] and loaded.created_at == "2026-03-01T08:00:00.000000Z"
    pd.testing.assert_series_equal(loaded.summary(), result.summary())
    meta = json.loads((target / RUN_META_NAME).read_text())
    assert meta["frames"] == list(FRAME_NAMES)


def test_csv_alone_loads_with_the_schema_dtypes(tmp_path):
    result = synthetic_result()
    target = result.save(tmp_path)
    for p in target.glob("*.parquet"):
        p.unlink()
    loaded = load_run(target)
    for name in FRAME_NAMES:
        got, want = getattr(loaded, name), getattr(result, name)
        for column, kind in SCHEMAS[name].items():
            if kind in ("category", "id"):
                assert isinstance(got[column].dtype, pd.CategoricalDtype), (name, column)
            else:
                assert got[column].dtype == want[column].dtype, (name, column)
        cols = list(SCHEMAS[name])
        pd.testing.assert_frame_equal(
            got[cols].astype(object).where(got[cols].notna(), None).replace("", None),
            want[cols].astype(object).where(want[cols].notna(), None).replace("", None),
            check_dtype=False,
        )


def test_saving_elsewhere_copies_the_journal_and_saving_in_place_keeps_it(tmp_path):
    run_dir = tmp_path / "run"
    host = PlannedHost(vcenter="vc1", host="esx1", host_moid="host-1", cluster="C0", cluster_moid="domain-c1")
    with Journal.create(run_dir) as j:
        j.run_started(run_id="run-j", limits=BatchLimits(per_cluster=2))
        j.launching(host)
        j.launched(host, "task-1")
        j.finished(host, {"state": "success", "task": {"value": "task-1"}})
    before = (run_dir / JOURNAL_NAME).read_bytes()
    loaded = load_run(run_dir)  # nothing saved yet: replayed from the journal
    assert loaded.run_id == "run-j" and loaded.tasks["outcome"].tolist() == ["success"]
    assert loaded.limits == BatchLimits(per_cluster=2)
    loaded.save()  # into the run directory
    assert (run_dir / JOURNAL_NAME).read_bytes() == before
    other = loaded.save(tmp_path / "copy")
    assert (other / JOURNAL_NAME).read_bytes() == before
    again = load_run(other)
    pd.testing.assert_frame_equal(again.tasks, loaded.tasks)


def test_load_errors(tmp_path):
    with pytest.raises(RunDirectoryError, match="does not exist"):
        load_run(tmp_path / "missing")
    with pytest.raises(RunDirectoryError, match="neither saved frames nor"):
        load_run(tmp_path)
    synthetic_result(20, 50).save(tmp_path / "bad")
    (tmp_path / "bad" / "events.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(RunDirectoryError, match="events.parquet"):
        load_run(tmp_path / "bad")
    (tmp_path / "bad" / RUN_META_NAME).write_text("[")
    with pytest.raises(RunDirectoryError, match="run.json"):
        load_run(tmp_path / "bad")


def test_save_needs_a_directory_and_result_needs_data():
    with pytest.raises(ConfigError):
        synthetic_result(5, 5).save()
    with pytest.raises(ConfigError):
        RunResult(run_id="x")
