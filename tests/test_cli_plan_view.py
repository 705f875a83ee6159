"""The limits of a plan in words an operator reads before saying yes (not a dataclass repr)."""

from __future__ import annotations

from vsphere_nb.batch import BatchLimits
from vsphere_nb.cli._plan_view import limits_in_words


def test_default_limits_in_words():
    assert limits_in_words(BatchLimits(), 40) == [
        "at most 32 tasks at once, at most 4 per cluster",
        "no canary phase",
        "no failure budget: failures do not stop the run",
        "a task that runs longer than 15 min counts as timed out",
        "after success, wait up to 5 min for a healthy HA agent",
        "cancelling stops new launches; running tasks finish",
    ]


def test_every_limit_in_words():
    limits = BatchLimits(
        max_in_flight=1,
        per_cluster=None,
        canary=1,
        max_failures="10%",
        task_timeout=90,
        post_check=False,
        cancel_running_on_cancel=True,
    )
    words = limits_in_words(limits, 25)
    assert words[0] == "at most 1 task at once, no per-cluster cap"
    assert words[1] == "canary: the first host runs alone; the rest start only if it succeeds"
    assert words[2] == "stop launching when failures exceed 10% of the 25 hosts (2 failures tolerated)"
    assert words[3] == "a task that runs longer than 1.5 min counts as timed out"
    assert words[4:] == [
        "no post-check of the HA agent after success",
        "cancelling also cancels the tasks already running",
    ]
    assert limits_in_words(BatchLimits(max_failures=0))[2] == "stop launching after 1 failure (0 tolerated)"
