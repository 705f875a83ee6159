"""The heap is frozen while a run is under way, and unfrozen when the last run ends."""

from __future__ import annotations

import gc

from vsphere_nb.batch import heap


def test_first_hold_freezes_and_last_release_unfreezes():
    gc.unfreeze()
    heap.hold()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        heap.hold()  # a second run under way: nothing changes
        heap.release()
        # still frozen, not frozen again (frozen objects that other threads free meanwhile leave the count)
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        heap.release()
    assert gc.get_freeze_count() == 0
    heap.release()  # one release too many is harmless
    assert gc.get_freeze_count() == 0


def test_a_run_releases_the_heap_when_it_ends(tmp_path):
    from vsphere_nb.simulator import Simulator
    from vsphere_nb.sync import connect

    gc.unfreeze()
    with (
        Simulator(
            clusters=1, hosts_per_cluster=2, standalone_hosts=0, scenario="healthy", task_seconds=10, time_scale=100
        ) as sim,
        connect(sim.url, sim.user, sim.password) as vc,
    ):
        handle = vc.plan_reconfigure(vc.hosts()).start(run_dir=tmp_path / "run")
        handle.wait()
    assert gc.get_freeze_count() == 0
