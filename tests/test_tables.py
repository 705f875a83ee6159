"""One palette, one severity rule, one category scheme: pinned against the vocabulary."""

from __future__ import annotations

from vsphere_nb.tables import palette
from vsphere_nb.tables.categories import EVENT_CATEGORIES, event_category
from vsphere_nb.tables.events import event_columns, event_rows
from vsphere_nb.vocabulary import CAUSES, OUTCOMES


def test_every_cause_of_the_diagnosis_has_its_own_colour_and_a_label():
    from vsphere_nb.diagnosis import CAUSES as diagnosis_causes

    assert diagnosis_causes is CAUSES  # one definition
    missing = [c for c in CAUSES if c not in palette.CAUSE_COLORS]
    assert not missing, missing
    assert set(palette.CAUSE_COLORS) == set(CAUSES)  # no colour for a cause that does not exist
    assert len(set(palette.CAUSE_COLORS.values())) == len(CAUSES)  # two causes never share a colour
    for cause in CAUSES:
        assert palette.cause_color(cause) == palette.CAUSE_COLORS[cause]
        assert palette.label(cause) and palette.label(cause) != ""


def test_every_outcome_and_host_state_has_a_colour_and_a_label():
    for outcome in OUTCOMES:
        assert outcome in palette.OUTCOME_COLORS and outcome in palette.TERMINAL_STYLES
        assert palette.label(outcome)
    from vsphere_nb.batch.progress import HOST_STATES

    for state in HOST_STATES:
        assert state in palette.HOST_STATE_COLORS, state
        assert palette.label(state)


def test_every_event_category_has_a_label():
    for category in EVENT_CATEGORIES:
        assert palette.label(category)
    assert event_category("DasHostIsolatedEvent") in EVENT_CATEGORIES


def test_one_severity_rule_for_a_run_and_the_history():
    events = [
        {"_typeName": "DasHostIsolatedEvent", "key": 1, "createdTime": "2026-01-01T00:00:00Z"},
        {"_typeName": "HostIsolationIpPingFailedEvent", "key": 2, "createdTime": "2026-01-01T00:00:01Z"},
        {"_typeName": "EventEx", "eventTypeId": "com.vmware.vc.HA.AllHostAddrsPingable", "severity": "info", "key": 3},
        {"_typeName": "HostDasEnabledEvent", "key": 4},
    ]
    run = event_columns(events)["severity"]
    history = event_rows(events)["severity"]
    assert run == history == ["error", "warning", "info", "info"]
