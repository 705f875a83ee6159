"""Scheduler: caps, canary gate, failure budget, cancel — unit cases and a randomized simulation (hypothesis)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vsphere_nb.batch import BatchLimits, PlannedHost, Scheduler
from vsphere_nb.batch.records import FAILURE_OUTCOMES, FINAL_TASK_OUTCOMES
from vsphere_nb.errors import ConfigError


def make_hosts(layout, canary=0):
    """Round-robin plan over clusters ``layout = [n_hosts_cluster0, …]`` (like make_plan), first ``canary`` canaries."""
    queues = [[(c, i) for i in range(n)] for c, n in enumerate(layout)]
    order = []
    while any(queues):
        for q in queues:
            if q:
                order.append(q.pop(0))
    return [
        PlannedHost(
            vcenter="vc1",
            host=f"c{c}-h{i}",
            host_moid=f"host-{c}-{i}",
            cluster=f"C{c}",
            cluster_moid=f"domain-c{c}",
            canary=k < canary,
            order=k,
        )
        for k, (c, i) in enumerate(order)
    ]


def launch_all(sched):
    hosts = sched.launchable()
    for h in hosts:
        sched.launched(h)
    return hosts


def test_global_cap():
    sched = Scheduler(make_hosts([1] * 10), BatchLimits(max_in_flight=3))
    assert len(launch_all(sched)) == 3
    assert sched.launchable() == []
    sched.finished(sched.running[0], "success")
    assert len(sched.launchable()) == 1


def test_per_cluster_cap_and_other_clusters_fill_the_global_cap():
    hosts = make_hosts([10, 10])
    sched = Scheduler(hosts, BatchLimits(max_in_flight=32, per_cluster=4))
    launched = launch_all(sched)
    assert len(launched) == 8
    assert sched.running_in(("vc1", "domain-c0")) == 4 and sched.running_in(("vc1", "domain-c1")) == 4
    sched.finished(launched[0], "success")
    nxt = sched.launchable()
    assert [h.cluster for h in nxt] == [launched[0].cluster]


def test_no_cluster_cap():
    sched = Scheduler(make_hosts([6]), BatchLimits(max_in_flight=5, per_cluster=None))
    assert len(launch_all(sched)) == 5


def test_launchable_follows_plan_order():
    hosts = make_hosts([3, 3, 3])
    sched = Scheduler(hosts, BatchLimits(max_in_flight=4, per_cluster=2))
    assert [h.order for h in sched.launchable()] == [0, 1, 2, 3]


def test_canary_gate_opens_only_after_all_canaries_succeed():
    hosts = make_hosts([3, 3, 3], canary=2)
    sched = Scheduler(hosts, BatchLimits(canary=2))
    first = launch_all(sched)
    assert [h.canary for h in first] == [True, True]
    assert sched.canary_phase and sched.launchable() == []
    with pytest.raises(RuntimeError, match="canary"):
        sched.launched(hosts[2])
    sched.finished(first[0], "success")
    assert sched.launchable() == []  # still waiting for the second canary
    sched.finished(first[1], "success")
    assert not sched.canary_phase
    assert len(sched.launchable()) == 7


@pytest.mark.parametrize("bad", sorted(FINAL_TASK_OUTCOMES - {"success"}))
def test_a_canary_that_does_not_succeed_stops_the_run(bad):
    hosts = make_hosts([3, 3], canary=2)
    sched = Scheduler(hosts, BatchLimits(canary=2))
    a, b = launch_all(sched)
    sched.finished(a, bad)
    assert sched.stop_reason == "canary_failed"
    assert sched.launchable() == []
    assert not sched.done  # the other canary is still followed
    sched.finished(b, "success")
    assert sched.done
    assert [h.order for h in sched.not_launched()] == [2, 3, 4, 5]
    counts = sched.counts()
    assert counts["not_launched"] == 4 and counts[bad] == 1 and counts["success"] == 1


def test_failure_budget_count():
    hosts = make_hosts([10])
    sched = Scheduler(hosts, BatchLimits(max_in_flight=3, per_cluster=3, max_failures=1))
    assert sched.failure_budget == 1
    a, b, c = launch_all(sched)
    sched.finished(a, "fault")
    assert not sched.stopped  # one failure is tolerated
    assert len(sched.launchable()) == 1
    sched.finished(b, "timed_out")
    assert sched.stop_reason == "failure_budget_exceeded"
    assert sched.launchable() == []
    sched.finished(c, "success")  # running ones are followed to the end
    assert sched.done and sched.failures == 2
    assert len(sched.not_launched()) == 7


def test_failure_budget_percent():
    sched = Scheduler(make_hosts([20]), BatchLimits(max_in_flight=20, per_cluster=None, max_failures="10%"))
    assert sched.failure_budget == 2
    running = launch_all(sched)
    for h in running[:2]:
        sched.finished(h, "launch_failed")
    assert not sched.stopped
    sched.finished(running[2], "agent_unhealthy")
    assert sched.stop_reason == "failure_budget_exceeded"


def test_cancelled_outcome_does_not_count_as_failure():
    sched = Scheduler(make_hosts([4]), BatchLimits(max_failures=0))
    h = launch_all(sched)[0]
    sched.finished(h, "cancelled")
    assert sched.failures == 0 and not sched.stopped
    assert "cancelled" not in FAILURE_OUTCOMES


@pytest.mark.parametrize("cancel_running", [False, True])
def test_cancel_stops_launching_and_reports_what_to_cancel(cancel_running):
    sched = Scheduler(
        make_hosts([5]), BatchLimits(max_in_flight=2, per_cluster=2, cancel_running_on_cancel=cancel_running)
    )
    running = launch_all(sched)
    to_cancel = sched.cancel()
    assert to_cancel == (running if cancel_running else [])
    assert sched.stop_reason == "cancelled" and sched.launchable() == []
    with pytest.raises(RuntimeError, match="stopped"):
        sched.launched(sched.not_launched()[0])
    for h in running:
        sched.finished(h, "cancelled" if cancel_running else "success")
    assert sched.done and len(sched.not_launched()) == 3
    sched.cancel()  # idempotent
    assert sched.stop_reason == "cancelled"


def test_first_stop_reason_wins():
    sched = Scheduler(make_hosts([4], canary=1), BatchLimits(canary=1, max_failures=0))
    h = launch_all(sched)[0]
    sched.cancel()
    sched.finished(h, "fault")
    assert sched.stop_reason == "cancelled"


def test_misuse_raises():
    hosts = make_hosts([2])
    sched = Scheduler(hosts, BatchLimits(max_in_flight=1))
    sched.launched(hosts[0])
    with pytest.raises(RuntimeError, match="already"):
        sched.launched(hosts[0])
    with pytest.raises(RuntimeError, match="global cap"):
        sched.launched(hosts[1])
    with pytest.raises(ValueError):
        sched.finished(hosts[0], "not_launched")
    with pytest.raises(RuntimeError, match="not running"):
        sched.finished(hosts[1], "success")
    with pytest.raises(KeyError):
        sched.finished(("vc9", "host-x"), "success")
    sched.finished(hosts[0].key, "success")  # keys work as well as PlannedHost
    assert sched.outcome(hosts[0]) == "success"


def test_cluster_cap_violation_raises():
    hosts = make_hosts([3])
    sched = Scheduler(hosts, BatchLimits(per_cluster=1))
    sched.launched(hosts[0])
    with pytest.raises(RuntimeError, match="cluster cap"):
        sched.launched(hosts[1])


def test_plan_validation():
    hosts = make_hosts([2])
    with pytest.raises(ConfigError, match="twice"):
        Scheduler(hosts + [hosts[0]])
    with pytest.raises(ConfigError, match="first"):
        Scheduler([hosts[0], PlannedHost(**{**hosts[1].to_dict(), "canary": True})])


def test_adopt_counts_running_tasks_without_checking_caps():
    hosts = make_hosts([3])
    sched = Scheduler(hosts, BatchLimits(max_in_flight=1, per_cluster=1))
    sched.adopt(hosts[1])
    sched.adopt(hosts[2])
    assert sched.running_count == 2 and sched.launchable() == []
    sched.finished(hosts[1], "success")
    sched.finished(hosts[2], "success")
    assert [h.host_moid for h in launch_all(sched)] == [hosts[0].host_moid]


def test_empty_plan_is_done():
    sched = Scheduler([], BatchLimits())
    assert sched.done and sched.launchable() == []


def test_large_plan_is_fast():
    import time

    hosts = make_hosts([50] * 400)  # 20,000 hosts
    sched = Scheduler(hosts, BatchLimits(max_in_flight=32, per_cluster=4))
    start = time.perf_counter()
    while not sched.done:
        for h in sched.launchable():
            sched.launched(h)
        sched.finished(sched.running[0], "success")
    assert time.perf_counter() - start < 10
    assert sched.counts()["success"] == 20_000


# ---------------------------------------------------------------------------------------------
# randomized simulation
# ---------------------------------------------------------------------------------------------
def reference_launchable(sched, hosts, limits, n_canary, status):
    """Greedy scan in plan order: what launchable() must answer."""
    if sched.stopped:
        return []
    slots = limits.max_in_flight - sched.running_count
    taken = {}
    out = []
    for h in hosts:
        if len(out) >= slots:
            break
        if status[h.key] != "pending":
            continue
        if sched.canary_phase and h.order >= n_canary:
            break
        per = limits.per_cluster
        if per is not None and sched.running_in(h.cluster_key) + taken.get(h.cluster_key, 0) >= per:
            continue
        taken[h.cluster_key] = taken.get(h.cluster_key, 0) + 1
        out.append(h)
    return out


limits_strategy = st.builds(
    BatchLimits,
    max_in_flight=st.integers(1, 6),
    per_cluster=st.one_of(st.none(), st.integers(1, 4)),
    canary=st.integers(0, 4),
    max_failures=st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["0%", "20%", "50%"])),
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layout=st.lists(st.integers(0, 7), min_size=1, max_size=6),
    limits=limits_strategy,
    actions=st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, 1000), st.sampled_from(sorted(FINAL_TASK_OUTCOMES))), max_size=120
    ),
)
def test_randomized_simulation_never_breaks_a_rule(layout, limits, actions):
    hosts = make_hosts(layout, canary=limits.canary)
    n_canary = min(limits.canary, len(hosts))
    sched = Scheduler(hosts, limits)
    status = {h.key: "pending" for h in hosts}
    outcomes = {}
    budget = limits.failure_budget(len(hosts))
    stopped_at_launch_count = None

    def check():
        running = [h for h in hosts if status[h.key] == "running"]
        assert sched.running_count == len(running) <= limits.max_in_flight
        if limits.per_cluster is not None:
            per = {}
            for h in running:
                per[h.cluster_key] = per.get(h.cluster_key, 0) + 1
            assert all(v <= limits.per_cluster for v in per.values())
        # canary gate: a non-canary ever launched means every canary finished with success
        if any(status[h.key] != "pending" for h in hosts[n_canary:]):
            assert all(outcomes.get(h.key) == "success" for h in hosts[:n_canary])
        fails = sum(1 for o in outcomes.values() if o in FAILURE_OUTCOMES)
        assert sched.failures == fails
        if budget is not None and fails > budget:
            assert sched.stopped
        offered = sched.launchable()
        assert offered == reference_launchable(sched, hosts, limits, n_canary, status)
        if not sched.stopped and not running and any(v == "pending" for v in status.values()):
            assert offered, "nothing running, nothing offered, not stopped: the run would hang"

    def step(kind, pick, outcome):
        nonlocal stopped_at_launch_count
        if kind <= 4:  # launch a random non-empty part of what is offered (not necessarily in order)
            offered = sched.launchable()
            if offered:
                chosen = [h for i, h in enumerate(offered) if (pick >> (i % 10)) & 1] or offered[:1]
                for h in chosen:
                    sched.launched(h)
                    status[h.key] = "running"
        elif kind <= 8:
            running = [h for h in hosts if status[h.key] == "running"]
            if running:
                h = running[pick % len(running)]
                sched.finished(h, outcome)
                status[h.key] = "done"
                outcomes[h.key] = outcome
        elif pick % 7 == 0:
            sched.cancel()
        if sched.stopped and stopped_at_launch_count is None:
            stopped_at_launch_count = sum(1 for v in status.values() if v != "pending")

    for action in actions:
        step(*action)
        check()
    # drive to the end: launch what is offered, finish the oldest running with success
    for _ in range(10 * len(hosts) + 10):
        if sched.done:
            break
        step(0, 1023, "success")
        step(5, 0, "success")
        check()
    assert sched.done
    assert all(v in ("done", "pending") for v in status.values())
    pending = [h for h in hosts if status[h.key] == "pending"]
    assert pending == sched.not_launched()
    if pending:
        assert sched.stopped
    if stopped_at_launch_count is not None:  # nothing launched after the stop
        assert sum(1 for v in status.values() if v != "pending") == stopped_at_launch_count
    assert sum(sched.counts().values()) == len(hosts)
