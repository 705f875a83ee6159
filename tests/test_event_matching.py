"""Matching a run's events to the attempts they belong to (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vsphere_nb.batch.event_matching import AttemptWindow, match_events
from vsphere_nb.wire.plain import event_ref

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def event(key: int, type_name: str, host: str, at: datetime, chain: int | None = None) -> dict:
    return {
        "_typeName": type_name,
        "key": key,
        "chainId": chain if chain is not None else key,
        "createdTime": iso(at),
        "host": {"_typeName": "HostEventArgument", "name": host, "host": {"type": "HostSystem", "value": host}},
    }


def refs(*events):
    return [event_ref(e) for e in events]


def window(host: str, attempt: int, chain: int | None, queued: datetime | None) -> AttemptWindow:
    return AttemptWindow(host, attempt, chain, iso(queued) if queued else None, record=(host, attempt))


def test_chain_events_go_to_their_task_and_host_events_to_the_attempt_before_them():
    windows = [window("host-1", 1, 500, T0), window("host-1", 2, 600, T0 + timedelta(minutes=10))]
    evs = refs(
        event(1, "TaskEvent", "host-1", T0, chain=500),
        event(2, "HostDasErrorEvent", "host-1", T0 + timedelta(minutes=1)),
        event(3, "HostDasEnabledEvent", "host-1", T0 + timedelta(minutes=11)),
        event(4, "HostDasErrorEvent", "host-1", T0 - timedelta(hours=1)),  # before the run: someone else's
        event(5, "TaskEvent", "host-1", T0 + timedelta(minutes=2), chain=999),  # another task on the host
    )
    matches, kept = match_events(evs, windows, running_hosts=set(), window_start=T0, final=True)
    got = {(m.record, m.source): sorted(e["key"] for e in m.events) for m in matches}
    assert got == {
        (("host-1", 1), "task_chain"): [1],
        (("host-1", 1), "host_events"): [2],
        (("host-1", 2), "host_events"): [3],
    }
    assert kept == []


def test_while_running_only_ended_attempts_are_matched_and_the_rest_is_kept():
    windows = [window("host-1", 1, 500, T0), window("host-2", 1, 501, T0)]
    evs = refs(
        event(1, "HostDasErrorEvent", "host-1", T0 + timedelta(seconds=30)),
        event(2, "HostDasErrorEvent", "host-2", T0 + timedelta(seconds=30)),
        event(3, "TaskEvent", "host-3", T0, chain=777),  # its attempt's chain id may not be known yet
    )
    matches, kept = match_events(evs, windows, running_hosts={"host-2"}, window_start=T0, final=False)
    assert [m.record for m in matches] == [("host-1", 1)]
    assert sorted(e.key for e in kept) == [2, 3]
    matches, kept = match_events(kept, windows, running_hosts=set(), window_start=T0, final=True)
    assert [m.record for m in matches] == [("host-2", 1)] and kept == []


def test_clock_skew_of_a_few_seconds_is_tolerated():
    windows = [window("host-1", 1, 500, T0)]
    evs = refs(event(1, "HostDasEnablingEvent", "host-1", T0 - timedelta(seconds=3)))
    matches, _ = match_events(evs, windows, running_hosts=set(), window_start=T0, final=True)
    assert len(matches) == 1
