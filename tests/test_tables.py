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


# the state table of VMware's HA troubleshooting guide (ClusterDasFdmAvailabilityState, 8.0): healthy are master and
# connectedToMaster; election and retry are transient ("look again after a minute"); every other state is broken
_GUIDE_STATES = {
    "master": "healthy",
    "connectedToMaster": "healthy",
    "election": "transient",
    "retry": "transient",
    "uninitialized": "unhealthy",
    "networkPartitionedFromMaster": "unhealthy",
    "networkIsolated": "unhealthy",
    "hostDown": "unhealthy",
    "initializationError": "unhealthy",
    "uninitializationError": "unhealthy",
    "fdmUnreachable": "unhealthy",
}


def test_every_ha_state_reads_as_the_guide_says_with_one_colour_per_reading():
    from vsphere_nb.vocabulary import DAS_STATES

    assert set(DAS_STATES) == set(_GUIDE_STATES)
    for state, health in _GUIDE_STATES.items():
        assert palette.ha_health(state) == health, state
        assert palette.ha_state_color(state) == palette.HA_HEALTH_COLORS[health]
        assert health in palette.TERMINAL_STYLES
    # a state this release does not know is not taken for healthy; no state is no colour, not a guess
    assert palette.ha_health("someFutureState") == "unhealthy"
    assert [palette.ha_health(v) for v in (None, "", float("nan"))] == [None, None, None]
    assert palette.ha_state_color(None) == ""
    assert palette.HA_HEALTH_COLORS["healthy"] == palette.OUTCOME_COLORS["success"]
    assert palette.HA_HEALTH_COLORS["unhealthy"] == palette.OUTCOME_COLORS["fault"]


def test_the_healthy_states_are_written_down_once():
    """Every module and the notebooks read :data:`vsphere_nb.vocabulary.HEALTHY_DAS_STATES`; a second copy of the
    set is how the runbook once drifted from the panel."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    pair = re.compile(r"""["']master["']\s*,\s*["']connectedToMaster["']""")
    copies = [
        str(p.relative_to(root))
        for p in [*(root / "vsphere_nb").rglob("*.py"), *(root / "notebooks").glob("*.ipynb")]
        if "simulator" not in p.parts and pair.search(p.read_text(encoding="utf-8"))
    ]
    assert copies == ["vsphere_nb/vocabulary.py"], copies


def test_errors_and_warnings_stand_out_the_same_way_in_a_grid_and_a_terminal():
    from vsphere_nb.tables.columns import KNOWN_CATEGORIES

    assert set(KNOWN_CATEGORIES["severity"]) == {"error", "warning", "info", "user"}  # vSphere's EventSeverity
    assert palette.cell_color("severity", "error") == palette.OUTCOME_COLORS["fault"]
    assert palette.cell_color("severity", "warning") == palette.HA_HEALTH_COLORS["transient"]
    assert palette.cell_color("severity", "info") == palette.cell_color("severity", "user") == ""
    assert palette.TERMINAL_STYLES["error"] == palette.TERMINAL_STYLES["fault"]
    assert palette.TERMINAL_STYLES["warning"] == palette.TERMINAL_STYLES["transient"]
