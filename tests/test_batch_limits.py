"""BatchLimits: safe defaults, validation as ConfigError, failure budget parsing, journal round trip."""

import pytest

from vsphere_nb.batch import BatchLimits, FailureBudget
from vsphere_nb.errors import ConfigError


def test_defaults_are_the_documented_safe_values():
    limits = BatchLimits()
    assert limits.max_in_flight == 32
    assert limits.per_cluster == 4
    assert limits.canary == 0
    assert limits.max_failures is None
    assert limits.task_timeout == 900.0
    assert limits.post_check_timeout == 300.0
    assert limits.post_check is True
    assert limits.cancel_running_on_cancel is False
    assert limits.failure_budget(100) is None


@pytest.mark.parametrize(
    ("value", "planned", "allowed"),
    [
        (0, 10, 0),
        (3, 10, 3),
        ("3", 10, 3),
        (" 5 ", 1, 5),
        ("10%", 25, 2),  # 2.5 rounds down: the 3rd failure exceeds 10 %
        ("10%", 30, 3),
        ("0%", 100, 0),
        ("100%", 7, 7),
        ("2.5%", 200, 5),
        ("33%", 3, 0),
        ("5 %", 40, 2),
    ],
)
def test_failure_budget(value, planned, allowed):
    limits = BatchLimits(max_failures=value)
    assert isinstance(limits.max_failures, FailureBudget)
    assert limits.failure_budget(planned) == allowed


@pytest.mark.parametrize("value", [-1, "-1", "abc", "150%", "%", "3 hosts", 1.5, True, [3]])
def test_bad_failure_budget_is_a_config_error(value):
    with pytest.raises(ConfigError):
        BatchLimits(max_failures=value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_in_flight": 0},
        {"max_in_flight": 1.5},
        {"per_cluster": 0},
        {"canary": -1},
        {"canary": True},
        {"task_timeout": 0},
        {"task_timeout": -3},
        {"post_check_timeout": float("inf")},
        {"post_check": "yes"},
        {"cancel_running_on_cancel": 1},
    ],
)
def test_invalid_values_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        BatchLimits(**kwargs)


def test_config_error_is_a_value_error_for_callers_that_catch_those():
    with pytest.raises(ValueError):
        BatchLimits(max_in_flight=0)


def test_per_cluster_none_means_no_cluster_cap():
    assert BatchLimits(per_cluster=None).per_cluster is None


def test_round_trip_through_dict_keeps_everything():
    limits = BatchLimits(
        max_in_flight=8,
        per_cluster=2,
        canary=3,
        max_failures="15%",
        task_timeout=60,
        post_check=False,
        cancel_running_on_cancel=True,
    )
    data = limits.to_dict()
    assert data["max_failures"] == "15%"
    assert BatchLimits.from_dict(data) == limits
    assert BatchLimits.from_dict({**data, "from_the_future": 1}) == limits
    assert BatchLimits.from_dict(BatchLimits(max_failures=2).to_dict()).failure_budget(100) == 2


def test_failure_budget_str():
    assert str(FailureBudget.parse("7")) == "7"
    assert str(FailureBudget.parse("12.5%")) == "12.5%"
    assert str(FailureBudget.parse("20%")) == "20%"
    with pytest.raises(ConfigError):
        FailureBudget()


def test_the_same_limits_on_a_simulator_clock():
    from vsphere_nb.batch import BatchLimits

    base = BatchLimits()
    fast = base.on_simulator_clock(20.0)
    assert fast.task_timeout == base.task_timeout / 20 and fast.post_check_timeout == base.post_check_timeout / 20
    assert (fast.max_in_flight, fast.per_cluster, fast.canary, fast.max_failures) == (
        base.max_in_flight,
        base.per_cluster,
        base.canary,
        base.max_failures,
    )
    assert fast.unreachable_timeout == base.unreachable_timeout  # the server's answers are not on its clock
    with pytest.raises(ConfigError):
        base.on_simulator_clock(0)
