"""The shared widget machinery: the throttled updater, error reporting, tables, the handler-error fixture."""

from __future__ import annotations

import logging
import threading
import time

import ipywidgets as widgets
import pandas as pd
import pytest
from widget_helpers import fail_on_handler_errors, handler_errors  # noqa: F401  (autouse fixture)

from vsphere_nb.client.config import Secret
from vsphere_nb.errors import ConfigError, ServerFault
from vsphere_nb.widgets._util import Panel, Throttle, html_table, report_error
from vsphere_nb.wire import MethodFault, decode_as


# -- the handler-error fixture ---------------------------------------------------------------------
def test_a_raising_button_handler_is_only_logged_and_the_detector_sees_it(caplog: pytest.LogCaptureFixture) -> None:
    button = widgets.Button()

    def broken(_b: object) -> None:
        raise RuntimeError("boom in a handler")

    button.on_click(broken)
    button.click()  # does not raise: this is why the fixture exists
    found = handler_errors(caplog.get_records("call"))
    assert len(found) == 1 and "boom in a handler" in (found[0].exc_text or str(found[0].exc_info))
    caplog.clear()  # the deliberate error must not fail this very test


def test_the_detector_ignores_ordinary_records() -> None:
    ordinary = logging.LogRecord("vsphere_nb.widgets", logging.INFO, __file__, 1, "connect: InvalidLogin", None, None)
    other = logging.LogRecord("vsphere_nb.batch", logging.WARNING, __file__, 1, "slow vCenter", None, None)
    assert handler_errors([ordinary, other]) == []


# -- report_error ----------------------------------------------------------------------------------
def test_expected_errors_are_one_line_without_traceback(caplog: pytest.LogCaptureFixture) -> None:
    out = widgets.Output()
    line = report_error(out, ConfigError("enter the server\nname"), "connect")
    assert line == "connect: ConfigError: enter the server name"
    assert out.outputs == ({"output_type": "stream", "name": "stdout", "text": line + "\n"},)
    assert not handler_errors(caplog.get_records("call"))


def test_unexpected_errors_show_the_traceback_and_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    out = widgets.Output()
    try:
        {}["missing"]
    except KeyError as exc:
        report_error(out, exc, "plan")
    (entry,) = out.outputs
    assert entry["name"] == "stderr" and "Traceback (most recent call last)" in entry["text"]
    assert "KeyError" in entry["text"]
    assert len(handler_errors(caplog.get_records("call"))) == 1
    caplog.clear()


def test_secrets_are_redacted_from_error_text() -> None:
    secret = Secret("hunter2-very-secret")
    fault = decode_as({"_typeName": "InvalidLogin", "faultstring": "bad password hunter2-very-secret"}, MethodFault)
    out = widgets.Output()
    line = report_error(out, ServerFault(fault, method="Login"), "connect")
    assert "hunter2-very-secret" not in line and "hunter2-very-secret" not in out.outputs[0]["text"]
    assert "***" in line
    del secret


def test_the_error_output_keeps_a_bounded_history() -> None:
    out = widgets.Output()
    for i in range(50):
        report_error(out, ConfigError(f"problem {i}"))
    assert len(out.outputs) == 20 and "problem 49" in out.outputs[-1]["text"]


def test_panel_handlers_route_errors_into_the_panel() -> None:
    panel = Panel()
    button = widgets.Button()
    button.on_click(panel.action(lambda: (_ for _ in ()).throw(ConfigError("no hosts selected")), "plan"))
    button.click()
    assert panel.error_lines() == ["plan: ConfigError: no hosts selected\n"]
    # shown once: the message below, only "plan failed" in the status line
    assert "no hosts selected" not in panel.status.value and "plan failed" in panel.status.value
    button.click()  # a new action clears the previous one's errors
    assert len(panel.error_lines()) == 1


# -- Throttle --------------------------------------------------------------------------------------
def test_throttle_applies_the_latest_value_at_a_bounded_rate() -> None:
    applied: list[int] = []
    throttle = Throttle(applied.append, interval=0.1)
    try:
        started = time.monotonic()
        for i in range(200):
            throttle.push(i)
            time.sleep(0.003)
        elapsed = time.monotonic() - started
        assert throttle.idle(5)
        assert applied[-1] == 199
        assert len(applied) <= elapsed / 0.1 + 3, (len(applied), elapsed)
        assert applied == sorted(applied)
    finally:
        throttle.close()


def test_throttle_runs_calls_after_the_pending_value_and_from_one_thread() -> None:
    seen: list[tuple[str, object, str]] = []
    throttle = Throttle(
        lambda v: seen.append(("value", v, threading.current_thread().name)), interval=10, name="one-worker"
    )
    try:
        throttle.push(1)
        assert throttle.idle(5)
        throttle.push(2)  # the interval (10 s) has not passed: held back ...
        throttle.call(lambda: seen.append(("call", None, threading.current_thread().name)))
        assert throttle.idle(5)  # ... until a call needs it applied first
        assert [(k, v) for k, v, _ in seen] == [("value", 1), ("value", 2), ("call", None)]
        assert {t for _, _, t in seen} == {"one-worker"}
    finally:
        throttle.close()


def test_throttle_survives_errors_and_reports_them() -> None:
    errors: list[BaseException] = []
    applied: list[int] = []

    def apply(v: int) -> None:
        if v == 1:
            raise ValueError("bad update")
        applied.append(v)

    throttle = Throttle(apply, interval=0.0, on_error=errors.append)
    try:
        throttle.push(1)
        assert throttle.idle(5)
        throttle.push(2)
        assert throttle.idle(5)
        assert applied == [2] and isinstance(errors[0], ValueError)
    finally:
        throttle.close()


# -- tables ----------------------------------------------------------------------------------------
def test_html_table_escapes_and_caps() -> None:
    frame = pd.DataFrame({"host": ["<script>alert(1)</script>"] * 300, "output": ["a & b\n<c>"] * 300})
    text = html_table(frame, ["host", "output", "absent"], max_rows=10, what="hosts", pre=("output",))
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "a &amp; b\n&lt;c&gt;" in text and "<pre" in text
    assert "showing 10 of 300 hosts" in text
    assert text.count("<tr>") == 11  # header + 10 rows
    assert "absent" not in text
    assert "no hosts" in html_table(frame.iloc[:0], ["host"], what="hosts")
