"""The blocking facade: works from plain code and from inside a running event loop (as in a Jupyter kernel)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import warnings

import pytest
from fake_vcenter import FakeVCenter, json_response, moref

from vsphere_nb import errors, wire
from vsphere_nb.client.config import InsecureTLSWarning, RetryPolicy
from vsphere_nb.sync import Client, connect

HOST = wire.MoRef("HostSystem", "host-1003")


def make_fake() -> FakeVCenter:
    fake = FakeVCenter()
    fake.set_property("HostSystem", "host-1003", "name", {"_typeName": "string", "_value": "esx03"})
    fake.on("HostSystem.ReconfigureHostForDAS_Task", lambda r, b: json_response(200, moref("Task", "task-9")))
    return fake


def sync_connect(fake: FakeVCenter, **kwargs) -> Client:
    kwargs.setdefault("retry", RetryPolicy(attempts=2, base=0.001, cap=0.002))
    return connect("https://vc.test", fake.user, fake.password, transport=fake.transport(), **kwargs)


def _loop_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "vsphere-nb-loop")


def test_blocking_use_and_context_manager_logs_out():
    fake = make_fake()
    before = _loop_threads()
    with sync_connect(fake) as vc:
        assert vc.get(HOST, "name") == "esx03"
        assert vc.invoke(HOST, "ReconfigureHostForDAS_Task") == wire.MoRef("Task", "task-9")
        assert vc.release == "8.0.3.0" and vc.release_source == "hello"
        assert vc.session.userName == fake.user
        assert vc.stats.by_call["HostSystem.name"] == 1
        assert _loop_threads() == before + 1
    assert fake.logouts == 1 and vc.is_closed
    assert _loop_threads() == before  # the loop thread is gone
    vc.close()  # idempotent


def test_works_when_called_from_inside_a_running_event_loop():
    """A Jupyter cell runs while the kernel's loop is running: asyncio.run() would fail there, this must not."""
    fake = make_fake()

    async def notebook_cell():
        assert asyncio.get_running_loop().is_running()
        with sync_connect(fake) as vc:
            name = vc.get(HOST, "name")
            task = vc.invoke(HOST, "ReconfigureHostForDAS_Task")

            # the batch engine's pattern: hand whole coroutines to the client's loop
            async def two_reads():
                return await asyncio.gather(vc.aio.get(HOST, "name"), vc.aio.get(HOST, "name"))

            both = vc.run(two_reads())
        return name, task, both

    name, task, both = asyncio.run(notebook_cell())
    assert name == "esx03" and task == wire.MoRef("Task", "task-9") and list(both) == ["esx03", "esx03"]
    assert fake.logouts == 1


def test_run_executes_on_the_private_loop_thread():
    fake = make_fake()

    async def where():
        return threading.current_thread().name, asyncio.get_running_loop()

    with sync_connect(fake) as vc:
        name, loop = vc.run(where())
        assert name == "vsphere-nb-loop" and loop is vc.loop
        assert vc.run(vc.aio.get(HOST, "name")) == "esx03"


def test_run_from_the_loop_thread_itself_is_refused_not_deadlocked():
    fake = make_fake()
    with sync_connect(fake) as vc:

        async def nested():
            coro = asyncio.sleep(0)
            try:
                vc.run(coro)
            except RuntimeError as exc:
                return str(exc)
            return "no error"

        assert "await client.aio" in vc.run(nested(), timeout=5)


def test_run_refuses_non_coroutines():
    fake = make_fake()
    with sync_connect(fake) as vc:
        with pytest.raises(TypeError):
            vc.run(asyncio.sleep)  # type: ignore[arg-type]


def test_errors_propagate_to_the_caller_thread():
    fake = make_fake()
    fake.inject(
        "HostSystem.runtime",
        json_response(500, {"_typeName": "ManagedObjectNotFound", "obj": moref("HostSystem", "host-1003")}),
    )
    with sync_connect(fake) as vc:
        with pytest.raises(errors.ServerFault) as info:
            vc.get(HOST, "runtime")
    assert info.value.is_a("RuntimeFault")


def test_failed_connect_stops_its_loop_thread():
    fake = make_fake()
    before = _loop_threads()
    with pytest.raises(errors.ServerFault):
        connect("https://vc.test", fake.user, "wrong", transport=fake.transport())
    assert _loop_threads() == before


def test_timeout_in_the_caller_cancels_the_work_on_the_loop():
    fake = make_fake()
    with sync_connect(fake) as vc:
        state = {}

        async def slow():
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                state["cancelled"] = True
                raise

        started = time.perf_counter()
        with pytest.raises(concurrent.futures.TimeoutError):
            vc.run(slow(), timeout=0.1)
        deadline = time.time() + 2
        while "cancelled" not in state and time.time() < deadline:
            time.sleep(0.01)
        assert state.get("cancelled") is True
        assert time.perf_counter() - started < 2


def test_insecure_warning_points_at_the_callers_line():
    fake = make_fake()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sync_connect(fake, verify=False):
            pass
    insecure = [w for w in caught if issubclass(w.category, InsecureTLSWarning)]
    assert len(insecure) == 1
    assert insecure[0].filename == __file__


def test_bad_url_is_a_config_error_without_starting_a_thread():
    before = _loop_threads()
    with pytest.raises(errors.ConfigError):
        connect("ftp://vc.test", "u", "p")
    assert _loop_threads() == before


def test_two_clients_have_independent_loops():
    fake_a, fake_b = make_fake(), make_fake()
    with sync_connect(fake_a) as a, sync_connect(fake_b) as b:
        assert a.loop is not b.loop
        assert a.get(HOST, "name") == b.get(HOST, "name") == "esx03"
    assert fake_a.logouts == fake_b.logouts == 1
