"""vc.events(): one event collector per call, large pages, window on the server's clock, filters, cap."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from vsphere_nb import ConfigError, connect
from vsphere_nb.batch.frames import EVENT_COLUMNS
from vsphere_nb.history import resolve_window
from vsphere_nb.simulator.clock import Clock


def _post_history(sim, per_host: int, *, hours_back: float = 10.0) -> int:
    """``per_host`` backdated HA events on every HA host (isolation pings and state changes), oldest first."""
    vc = sim.vc
    now = Clock.now()
    hosts = [h for h in vc.inventory.hosts if h.ha_enabled]
    n = 0
    for i in range(per_host):
        when = now - timedelta(hours=hours_back * (per_host - i) / per_host)
        for host in hosts:
            if i % 2:
                event = vc.events.make(
                    "HostIsolationIpPingFailedEvent", host=host, created=when, isolationIp="10.9.9.9"
                )
            else:
                event = vc.events.make(
                    "com.vmware.vc.HA.HostStateChangedEvent", host=host, created=when, text="networkIsolated"
                )
            vc.post(event)
            n += 1
    return n


def test_history_frame_shape_and_categories(make_sim):
    sim = make_sim(clusters=2, hosts_per_cluster=4)
    posted = _post_history(sim, 6)
    with connect(sim.url, sim.user, sim.password) as vc:
        ev = vc.events(since="24h")
    assert list(ev.columns) == EVENT_COLUMNS
    assert len(ev) == posted
    assert set(ev["source"].astype(str)) == {"history"}
    assert set(ev["category"].astype(str)) == {"isolation", "state-change"}
    assert str(ev["created_time"].dtype) == "datetime64[us, UTC]"
    assert ev["created_time"].is_monotonic_increasing
    assert ev["host"].notna().all() and ev["cluster"].notna().all()
    iso = ev[ev["event_type_id"] == "HostIsolationIpPingFailedEvent"]
    assert set(iso["severity"].astype(str)) == {"warning"}


def test_one_collector_large_pages_and_few_requests(make_sim):
    sim = make_sim(clusters=4, hosts_per_cluster=10)
    posted = _post_history(sim, 60)  # 2,400 events
    with connect(sim.url, sim.user, sim.password) as vc:
        before = vc.stats.requests
        seen: list[int] = []
        ev = vc.events(since="24h", progress=seen.append)
        used = vc.stats.requests - before
    assert len(ev) == posted
    assert seen and seen[-1] == posted  # progress reported as pages arrive
    # CurrentTime + description + create + ceil(2400/1000) reads + the empty read + destroy (+1 page-size probe)
    assert used <= 10, used
    assert used <= posted / 200


def test_window_filters_by_server_time(make_sim):
    sim = make_sim(clusters=1, hosts_per_cluster=3)
    _post_history(sim, 10, hours_back=48)  # spread over two days
    with connect(sim.url, sim.user, sim.password) as vc:
        day = vc.events(since="24h")
        two = vc.events(since="3d")
        ranged = vc.events(since=pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=3), until="12h")
    assert 0 < len(day) < len(two)
    assert day["created_time"].min() >= two["created_time"].max() - pd.Timedelta("25h")
    assert len(ranged) < len(two)


def test_filters_by_cluster_and_host_names_and_frames(make_sim):
    sim = make_sim(clusters=3, hosts_per_cluster=3)
    _post_history(sim, 2)
    with connect(sim.url, sim.user, sim.password) as vc:
        one = vc.events(clusters=["DC0_C1"])
        assert set(one["cluster"].astype(str)) == {"DC0_C1"}
        hosts = vc.hosts(clusters=["DC0_C2"])
        by_frame = vc.events(hosts=hosts.head(1))
        assert set(by_frame["host"].astype(str)) == {str(hosts["host"].iloc[0])}
        clusters = vc.clusters()
        by_cluster_frame = vc.events(clusters=clusters[clusters["cluster"] == "DC0_C0"])
        assert set(by_cluster_frame["cluster"].astype(str)) == {"DC0_C0"}
        names = vc.events(hosts=["DC0_C0_H01", "DC0_C2_H02"])
        assert set(names["host"].astype(str)) == {"DC0_C0_H01", "DC0_C2_H02"}


def test_types_all_and_list(make_sim):
    sim = make_sim(clusters=1, hosts_per_cluster=2)
    _post_history(sim, 4)
    with connect(sim.url, sim.user, sim.password) as vc:
        only = vc.events(types=["HostIsolationIpPingFailedEvent"])
        every = vc.events(types="all")
    assert set(only["event_type_id"].astype(str)) == {"HostIsolationIpPingFailedEvent"}
    assert len(every) >= len(only)
    with pytest.raises(ConfigError):
        vc_types = []
        with connect(sim.url, sim.user, sim.password) as vc:
            vc.events(types=vc_types)


def test_huge_window_is_capped_with_a_clear_warning(make_sim):
    sim = make_sim(clusters=2, hosts_per_cluster=5)
    _post_history(sim, 40)  # 400 events
    with connect(sim.url, sim.user, sim.password) as vc:
        with pytest.warns(UserWarning, match=r"capped at 150 events .* narrow 'since'"):
            ev = vc.events(max_events=150)
    assert len(ev) == 150 and ev.attrs["truncated"] is True


def test_history_and_run_events_concatenate(make_sim):
    sim = make_sim(clusters=1, hosts_per_cluster=3, scenario="mixed")
    _post_history(sim, 2)
    with connect(sim.url, sim.user, sim.password) as vc:
        hosts = vc.hosts()
        run = vc.plan_reconfigure(hosts[hosts["eligible"].fillna(False).astype(bool)]).execute()
        history = vc.events()
    both = pd.concat([history, run.events], ignore_index=True)
    assert list(both.columns) == EVENT_COLUMNS
    assert set(both["source"].astype(str)) >= {"history", "task_chain"}
    assert both["category"].notna().all()


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [("soon", None, "since"), ("24h", "48h", "until must be after since"), (object(), None, "since")],
)
def test_bad_windows_are_one_line_errors(since, until, message):
    now = pd.Timestamp("2026-12-05T00:00:00Z").to_pydatetime()
    with pytest.raises(ConfigError, match=message):
        resolve_window(since, until, now)


def test_windows_from_durations_and_datetimes():
    now = pd.Timestamp("2026-12-05T00:00:00Z").to_pydatetime()
    begin, end = resolve_window("24h", None, now)
    assert begin == now - timedelta(hours=24) and end is None
    begin, end = resolve_window("2026-12-01", "2026-12-02T12:00:00+02:00", now)
    assert begin.isoformat() == "2026-12-01T00:00:00+00:00" and end.isoformat() == "2026-12-02T10:00:00+00:00"
    begin, _ = resolve_window(timedelta(minutes=30), None, now)
    assert begin == now - timedelta(minutes=30)


def test_ha_event_types_reads_the_real_description_shape(make_sim):
    """EventEx/ExtendedEvent ids come from fullFormat (key is the kind): all HA ids are asked for, "EventEx" is not."""
    from vsphere_nb import wire
    from vsphere_nb.history import described_type_id, ha_event_types

    sim = make_sim(clusters=1, hosts_per_cluster=2)
    with connect(sim.url, sim.user, sim.password) as vc:
        types = set(vc.run(ha_event_types(vc.aio)))
    assert {"com.vmware.vc.HA.DasHostIsolatedEvent", "com.vmware.vc.HA.NotAllHostAddrsPingable"} <= types
    assert {"com.vmware.vc.HA.HeartbeatDatastoreNotSufficient", "com.vmware.vc.HA.HostHasNoSslThumbprint"} <= types
    assert not {"EventEx", "ExtendedEvent"} & types
    # the old shape (key = the id) still reads
    old = wire.EventDescriptionEventDetail(key="com.vmware.vc.HA.HostAgentErrorEvent", fullFormat="x")
    assert described_type_id(old) == "com.vmware.vc.HA.HostAgentErrorEvent"
    real = wire.EventDescriptionEventDetail(key="EventEx", fullFormat="com.vmware.vc.HA.InvalidMaster|text {a|b}")
    assert described_type_id(real) == "com.vmware.vc.HA.InvalidMaster"
