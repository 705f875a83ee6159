"""The install smoke test `nox -s smoke` runs on every CPython it finds (see noxfile.py).

Run from outside the source tree against an *installed* vsphere-nb: the embedded simulator, one connection, the
hosts table, a small batch and a diagnosis. Exits non-zero (with the assertion) when any of them misbehaves.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile


def main() -> int:
    import vsphere_nb
    from vsphere_nb import BatchLimits, connect
    from vsphere_nb.simulator import Simulator

    source = pathlib.Path(__file__).resolve().parent.parent / "vsphere_nb"
    installed = pathlib.Path(vsphere_nb.__file__).resolve()
    # nox keeps its virtualenvs inside the checkout (.nox/): what matters is that the package is not the source's
    assert installed.parent != source, f"vsphere_nb was imported from the source tree ({installed}), not installed"
    assert "site-packages" in installed.parts, f"vsphere_nb was not imported from an installation ({installed})"

    with Simulator(clusters=2, hosts_per_cluster=4, scenario="mixed", seed=1, time_scale=50) as sim:
        with connect(sim.url, sim.user, sim.password) as vc:
            hosts = vc.hosts()
            assert len(hosts) >= 8, len(hosts)  # the scenario adds standalone hosts
            unhealthy = vc.hosts(only_unhealthy=True)
            assert 0 < len(unhealthy) < len(hosts), len(unhealthy)
            plan = vc.plan_reconfigure(unhealthy, limits=BatchLimits(max_in_flight=4, per_cluster=2))
            with tempfile.TemporaryDirectory() as run_dir:
                run = plan.execute(run_dir=run_dir)
                tasks = run.tasks
                assert set(tasks["host"]) == set(unhealthy["host"]), (set(tasks["host"]), set(unhealthy["host"]))
                assert tasks["outcome"].notna().all(), tasks[["host", "outcome"]]
                diagnosis = vc.diagnose(run=run)
                assert list(diagnosis.hosts.columns)[:4] == ["vcenter", "cluster", "host", "host_moid"]
    outcomes = tasks["outcome"].astype(str).value_counts().to_dict()
    print(
        f"smoke ok on Python {sys.version.split()[0]}: {len(hosts)} hosts, {len(tasks)} tasks {outcomes}, "
        f"{len(diagnosis.hosts)} diagnosed, vsphere-nb {vsphere_nb.__version__} from {installed.parent}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
