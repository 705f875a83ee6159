"""The attempt book (pure): outcomes, identity of tasks (ids are reused), deadlines — no server, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from vsphere_nb.batch.attempts import AttemptBook, LookUp, Progress, Release, Write
from vsphere_nb.batch.limits import BatchLimits
from vsphere_nb.batch.plan import PlannedHost

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LIMITS = BatchLimits(task_timeout=100, post_check_timeout=30)


def host(i: int, das: str = "initializationError") -> PlannedHost:
    return PlannedHost(
        vcenter="vc", host=f"esx{i}", host_moid=f"host-{i}", cluster="C", cluster_moid="c-1", das_state=das
    )


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def info(state: str, host_moid: str, queued: datetime, **extra) -> dict:
    return {
        "state": state,
        "entity": {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": host_moid},
        "queueTime": iso(queued),
        **extra,
    }


def kinds(effects) -> list[str]:
    return [type(e).__name__ + (f":{e.kind}" if isinstance(e, Write) else "") for e in effects]


def test_a_task_that_succeeds_holds_its_slot_until_the_agent_is_healthy():
    book = AttemptBook(LIMITS)
    h = host(1)
    assert kinds(book.track(h, "task-1", now=0, sent_at=T0, answered_at=T0)) == ["Progress"]
    effects = book.task_fields("task-1", info("success", "host-1", T0), now=1, whole=True)
    assert kinds(effects) == ["Write:finished", "Progress"]
    finished = effects[0]
    # only what vCenter sent is journalled: no key, task, name or chain id filled in by the client
    assert set(finished.fields["info"]) == {"state", "entity", "queueTime"}
    assert finished.fields["outcome"] == "success" and finished.fields["task_moid"] == "task-1"
    assert h.key in book  # the slot is held for the post-check
    effects = book.das("host-1", "connectedToMaster", now=2, vcenter="vc")
    assert kinds(effects) == ["Write:post_checked", "Release"]
    assert effects[-1] == Release(h, "success") and h.key not in book


def test_an_unhealthy_agent_after_success_is_agent_unhealthy_at_the_post_check_deadline():
    book = AttemptBook(LIMITS)
    h = host(1)
    book.track(h, "task-1", now=0, sent_at=T0)
    book.task_fields("task-1", info("success", "host-1", T0), now=5, whole=True)
    assert book.tick(34) == []
    effects = book.tick(35)
    assert effects[-1] == Release(h, "agent_unhealthy")
    assert effects[0].fields["healthy"] is False


def test_faults_and_cancels_end_at_once_with_the_agent_state_kept_for_the_diagnosis():
    book = AttemptBook(LIMITS)
    a, b = host(1), host(2)
    book.track(a, "task-1", now=0, sent_at=T0)
    book.track(b, "task-2", now=0, sent_at=T0)
    book.das("host-1", "initializationError", now=0, vcenter="vc")
    fault = {"_typeName": "DasConfigFault", "reason": "HostNetworkMisconfiguration"}
    effects = book.task_fields("task-1", info("error", "host-1", T0, error=fault), now=1, whole=True)
    assert kinds(effects) == ["Write:finished", "Write:post_checked", "Release"]
    assert effects[0].fields["info"]["error"] == fault and effects[-1].outcome == "fault"
    effects = book.task_fields("task-2", info("error", "host-2", T0, cancelled=True), now=1, whole=True)
    assert effects[-1] == Release(b, "cancelled")


def test_a_task_not_ended_in_time_is_timed_out_with_what_vcenter_said_so_far():
    book = AttemptBook(LIMITS)
    h = host(1)
    book.track(h, "task-1", now=10, sent_at=T0)
    book.task_fields("task-1", info("running", "host-1", T0), now=11, whole=True)
    assert book.next_deadline(11) == 110
    assert book.tick(109) == []
    effects = book.tick(110)
    assert effects[0].fields["outcome"] == "timed_out" and effects[0].fields["info"]["state"] == "running"
    assert effects[-1] == Release(h, "timed_out")


def test_updates_that_beat_the_launch_answer_are_kept_and_applied():
    book = AttemptBook(LIMITS)
    assert book.task_fields("task-9", info("success", "host-1", T0), now=1, whole=True) == []
    assert book.unclaimed == 1
    effects = book.track(host(1), "task-9", now=2, sent_at=T0 - timedelta(seconds=1), answered_at=T0)
    assert kinds(effects) == ["Progress", "Write:finished", "Progress"]
    assert book.unclaimed == 0


def test_a_reused_task_id_is_never_applied_to_the_wrong_host():
    """After a vCenter restart, task-1 names another host's task: host-1's attempt is not marked success."""
    book = AttemptBook(LIMITS)
    a = host(1)
    book.track(a, "task-1", now=0, sent_at=T0, answered_at=T0)
    book.task_fields("task-1", info("running", "host-1", T0), now=1, whole=True)
    later = T0 + timedelta(minutes=10)
    effects = book.task_fields("task-1", info("success", "host-2", later), now=600, whole=True)
    assert [type(e) for e in effects] == [LookUp]
    assert effects[0].host == a and ("task-1", T0) in effects[0].gone
    assert a.key in book and book.get(a.key).task is None
    # the other host's launch claims the id and sees its own facts
    b = host(2)
    effects = book.track(b, "task-1", now=601, sent_at=later - timedelta(seconds=1), answered_at=later)
    assert effects[-1] == Progress(b, "post_check", 100)
    # nothing is found for host-1's task: it is lost, never success
    effects = book.found(a.key, None, now=602)
    assert effects[0].fields["outcome"] == "lost" and effects[-1] == Release(a, "lost")


def test_a_fact_about_another_host_under_our_task_id_is_not_ours():
    book = AttemptBook(LIMITS)
    a = host(1)
    book.track(a, "task-1", now=0, sent_at=T0, answered_at=T0)
    effects = book.task_fields("task-1", info("success", "host-2", T0), now=1, whole=True)
    assert [type(e) for e in effects] == [LookUp] and a.key in book


def test_a_reused_id_on_the_same_host_is_told_apart_by_its_queue_time():
    book = AttemptBook(LIMITS)
    a = host(1)
    book.track(a, "task-1", now=0, sent_at=T0, answered_at=T0)
    book.task_fields("task-1", info("running", "host-1", T0), now=1, whole=True)
    effects = book.task_fields("task-1", info("success", "host-1", T0 + timedelta(hours=1)), now=2, whole=True)
    assert [type(e) for e in effects] == [LookUp]
    # the look-up finds the real task under a new id
    effects = book.found(a.key, "task-77", now=3)
    assert effects == []
    effects = book.task_fields("task-77", info("success", "host-1", T0), now=4, whole=True)
    assert kinds(effects) == ["Write:finished", "Progress"]


def test_a_task_queued_before_the_launch_was_sent_is_not_ours():
    book = AttemptBook(LIMITS)
    a = host(1)
    old = T0 - timedelta(hours=2)
    book.task_fields("task-1", info("success", "host-1", old), now=0, whole=True)
    effects = book.track(a, "task-1", now=1, sent_at=T0, answered_at=T0)
    assert kinds(effects) == ["Progress"]  # the stale facts were not applied
    assert book.get(a.key).fields == {}


def test_a_vanished_task_is_looked_up_once_and_a_found_task_is_followed():
    book = AttemptBook(LIMITS)
    a = host(1)
    book.track(a, "task-1", now=0, sent_at=T0)
    first = book.vanished("task-1")
    assert [type(e) for e in first] == [LookUp]
    assert book.vanished("task-1") == []  # already looking
    assert book.found(a.key, "task-2", now=1) == []
    effects = book.task_fields("task-2", info("error", "host-1", T0, error={"_typeName": "SystemError"}), now=2)
    assert effects[-1] == Release(a, "fault")


# ---------------------------------------------------------------------------------------------
# a state machine that interleaves facts, lost answers, look-ups and deadlines
# ---------------------------------------------------------------------------------------------
class BookMachine(RuleBasedStateMachine):
    """Invariants: each attempt is released exactly once; nothing is written for an attempt after its release;
    a ``finished`` record precedes every release; ``success`` needs the host's own task to have succeeded."""

    def __init__(self) -> None:
        super().__init__()
        self.book = AttemptBook(LIMITS)
        self.now = 0.0
        self.next_id = 1
        self.hosts = [host(i) for i in range(4)]
        self.tracked: set[int] = set()
        self.released: dict[int, str] = {}
        self.finished_written: set[int] = set()
        self.tasks: dict[int, tuple[str, datetime]] = {}  # host index -> its real task (id, queued)
        self.succeeded: set[int] = set()

    def apply(self, effects) -> None:
        for e in effects:
            i = int(e.host.host_moid.split("-")[1])
            assert i not in self.released, f"effect {e} after release"
            if isinstance(e, Write) and e.kind == "finished":
                self.finished_written.add(i)
            if isinstance(e, Release):
                assert i in self.finished_written or e.outcome in ("success", "agent_unhealthy")
                if e.outcome in ("success", "agent_unhealthy"):
                    assert i in self.succeeded, "success without the host's own task succeeding"
                self.released[i] = e.outcome

    @rule(i=st.integers(0, 3), reuse=st.booleans())
    def launch(self, i, reuse):
        if i in self.tracked:
            return
        if reuse and self.tasks:  # vCenter restarted: an id is handed out again
            task = next(iter(self.tasks.values()))[0]
        else:
            task = f"task-{self.next_id}"
            self.next_id += 1
        sent = T0 + timedelta(seconds=self.now)
        self.tasks[i] = (task, sent)
        self.tracked.add(i)
        self.apply(self.book.track(self.hosts[i], task, now=self.now, sent_at=sent, answered_at=sent))

    @rule(i=st.integers(0, 3), state=st.sampled_from(["queued", "running", "success", "error"]))
    def fact(self, i, state):
        if i not in self.tasks:
            return
        task, queued = self.tasks[i]
        if any(j != i and t == task for j, (t, _q) in self.tasks.items() if self.tasks[j][1] > queued):
            return  # this id was handed to a later task: the old one is gone from vCenter
        if state == "success":
            self.succeeded.add(i)
        self.apply(self.book.task_fields(task, info(state, f"host-{i}", queued), now=self.now, whole=True))

    @rule(i=st.integers(0, 3), j=st.integers(0, 3), state=st.sampled_from(["running", "success", "error"]))
    def stray(self, i, j, state):
        """Facts about another host's older task under host i's task id (ids handed out again after a restart):
        host j's task of an hour before, never one of this run's launches."""
        if i not in self.tasks or i == j:
            return
        task, queued = self.tasks[i]
        earlier = queued - timedelta(hours=1)
        self.apply(self.book.task_fields(task, info(state, f"host-{j}", earlier), now=self.now, whole=True))

    @rule(i=st.integers(0, 3), healthy=st.booleans())
    def agent(self, i, healthy):
        self.apply(
            self.book.das(
                f"host-{i}", "connectedToMaster" if healthy else "initializationError", now=self.now, vcenter="vc"
            )
        )

    @rule(i=st.integers(0, 3))
    def vanish(self, i):
        if i in self.tasks:
            self.apply(self.book.vanished(self.tasks[i][0]))

    @rule(i=st.integers(0, 3), found=st.booleans())
    def look_up_answer(self, i, found):
        key = self.hosts[i].key
        att = self.book.get(key)
        if att is None or not att.looking:
            return
        if found:
            task = f"task-{self.next_id}"
            self.next_id += 1
            self.tasks[i] = (task, att.sent_at)
            self.apply(self.book.found(key, task, now=self.now))
        else:
            self.apply(self.book.found(key, None, now=self.now))

    @rule(dt=st.floats(0, 60))
    def time_passes(self, dt):
        self.now += dt
        self.apply(self.book.tick(self.now))

    @precondition(lambda self: self.tracked)
    @invariant()
    def every_tracked_attempt_is_in_the_book_or_released_once(self):
        for i in self.tracked:
            assert (self.hosts[i].key in self.book) != (i in self.released)

    def teardown(self):
        # whatever happened, time alone ends every attempt
        self.now += 1000
        self.apply(self.book.tick(self.now))
        self.now += 1000
        self.apply(self.book.tick(self.now))
        assert len(self.book) == 0
        assert set(self.released) == self.tracked


TestBookMachine = BookMachine.TestCase
TestBookMachine.settings = settings(max_examples=200, stateful_step_count=40, deadline=None, derandomize=True)
