"""A real run that stops early, for the report and terminal tests: the demo fleet's unhealthy hosts with a
failure budget of 3, so some hosts fail, some never launch and the pre-flight skips others."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def stopped_run(run_dir: Path) -> Any:
    from vsphere_nb import BatchLimits, connect
    from vsphere_nb.simulator import Simulator

    with Simulator(scenario="story", seed=1, time_scale=50.0) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            hosts = vc.hosts()
            picked = hosts[hosts["das_state"].astype(object).ne("connectedToMaster")]
            limits = BatchLimits(max_in_flight=4, per_cluster=1, max_failures=3)
            run = vc.plan_reconfigure(picked, limits).execute(run_dir=run_dir)
    counts = run.end_counts()
    assert counts["failed"] > 3 and counts["not launched"] > 0 and counts["skipped"] > 0, counts
    return run
