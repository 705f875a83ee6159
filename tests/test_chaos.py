"""The chaos suite, scaled down for ``make test`` (``make chaos`` runs it with 500 hosts).

A batch through the real CLI in a child process, against a simulator answering 503s, dropping connections, adding
0–300 ms of latency, expiring sessions and restarting once; the client is killed with SIGKILL mid-run and the run
is resumed from its directory. See :mod:`benchmarks.chaos` for what is checked. A second test makes sure those
checks can fail: a duplicate launch and a lost result are planted in a clean run and must be reported.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the benchmarks package lives next to the tests
    sys.path.insert(0, str(ROOT))

from benchmarks.chaos import SMALL, ChaosReport, _check, run_chaos  # noqa: E402


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_batch_survives_chaos_kill_and_resume(tmp_path: Path) -> None:
    report = run_chaos(SMALL, tmp_path)
    detail = json.dumps(report.as_dict(), indent=1, default=str)
    # the run really was under full chaos, and really was killed mid-run
    assert report.killed_after_launches is not None and report.first_exit_code == -9, detail
    for key in ("http_503", "dropped_connections", "restarts", "session_expiries"):
        assert report.faults_injected.get(key, 0) > 0, f"no {key}: {detail}"
    # every host ends with exactly one outcome, nothing launched twice, caps held, nothing lost, the run finished
    assert report.hosts == SMALL.hosts
    assert report.hosts_without_outcome == [] and report.hosts_with_several_outcomes == [], detail
    assert report.hosts_with_one_outcome == report.hosts, detail
    assert report.duplicate_launches == 0, detail
    assert report.max_concurrent_tasks <= SMALL.max_in_flight, detail
    assert report.max_concurrent_per_cluster <= SMALL.per_cluster, detail
    assert report.lost_results == [], detail
    assert report.run_finished and report.resume_exit_code in (0, 1), detail
    # and no file written holds the password or a session token
    assert report.tokens_issued > 0 and report.secret_hits == [], detail
    assert report.problems == [], detail


def test_the_checks_catch_a_duplicate_launch_and_a_lost_result(tmp_path: Path) -> None:
    """A clean run passes ``_check``; the same run with a second launch counted on the server and one host's
    outcome cut from the journal must fail it."""
    from vsphere_nb.batch import BatchLimits
    from vsphere_nb.batch.journal import read_journal
    from vsphere_nb.batch.result import RunResult
    from vsphere_nb.simulator import Simulator
    from vsphere_nb.sync import connect

    settings = SMALL
    with (
        Simulator(
            clusters=2,
            hosts_per_cluster=3,
            standalone_hosts=0,
            scenario="healthy",
            seed=1,
            task_seconds=2.0,
            time_scale=40.0,
        ) as sim,
        connect(sim.url, sim.user, sim.password) as vc,
    ):
        run_dir = tmp_path / "run"
        vc.plan_reconfigure(vc.hosts(), BatchLimits(max_in_flight=3, per_cluster=2)).execute(run_dir=run_dir)
        sim.vc.stats.chaos.update({"http_503": 1, "dropped_connections": 1, "restarts": 1, "session_expiries": 1})

        clean = ChaosReport(settings={})
        _check(clean, sim, run_dir, settings, RunResult, read_journal)
        assert clean.problems == [] and clean.hosts_with_one_outcome == 6

        victim = sorted(sim.vc.stats.launches)[0]
        sim.vc.stats.launched(victim)  # the server saw a second launch
        journal = run_dir / "journal.jsonl"
        lines = journal.read_text().splitlines(keepends=True)
        kept = [
            line
            for line in lines
            if not (
                f'"{victim}"' in line
                and any(f'"kind":"{kind}"' in line for kind in ("launched", "finished", "post_checked"))
            )
        ]
        journal.write_text("".join(kept))
        broken = ChaosReport(settings={})
        _check(broken, sim, run_dir, settings, RunResult, read_journal)
    assert broken.duplicate_launches == 1
    assert victim in broken.hosts_without_outcome
    assert any(victim in text for text in broken.lost_results)
    assert len(broken.problems) >= 3
