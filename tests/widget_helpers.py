"""Helpers for the widget tests: fail on swallowed handler errors, walk widget trees, wait for conditions.

``button.click()`` never raises what a handler raised: ipywidgets logs it ("Exception in callback …") and goes
on, so a test that only clicks would pass over a broken callback. :func:`fail_on_handler_errors` (autouse in
every ``tests/test_widgets_*.py`` that imports it) fails the test on any such record, on an unexpected error a
panel reported (logged at ERROR by ``vsphere_nb.widgets``) and on a failing progress callback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from vsphere_nb.widgets._util import iter_widgets

_HANDLER_MESSAGES = (
    "Exception in callback",
    "Exception in widget method",
    "Exception in interact callback",
    "progress callback failed",
)


def handler_errors(records: Iterable[logging.LogRecord]) -> list[logging.LogRecord]:
    """The records that mean a widget callback failed."""
    bad = []
    for r in records:
        message = r.getMessage()
        if any(message.startswith(m) for m in _HANDLER_MESSAGES):
            bad.append(r)
        elif r.name.startswith("vsphere_nb.widgets") and r.levelno >= logging.ERROR:
            bad.append(r)
    return bad


@pytest.fixture(autouse=True)
def fail_on_handler_errors(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING)
    yield caplog
    bad = handler_errors(caplog.get_records("call"))
    if bad:
        details = "\n".join(f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in bad)
        pytest.fail(f"widget handler error(s) logged:\n{details}")


def widget_strings(root: Any) -> list[str]:
    """Every string in the synced state of ``root`` and the widgets below it (incl. Output text)."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            return
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    for w in iter_widgets(root):
        walk(w.get_state())
    return out


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def assert_no_errors(*panels: Any) -> None:
    for panel in panels:
        assert panel.error_lines() == [], f"{panel.name} panel shows errors: {panel.error_lines()}"


def grid_data(grid_widget: Any) -> str:
    """The JSON of the rows an ``ITable`` grid widget holds (what the browser receives)."""
    return str(grid_widget._dt_args.get("data_json", "[]"))


def grid_rows(grid_widget: Any) -> list[list[str]]:
    """The rows an ``ITable`` grid widget holds, as lists of cell HTML."""
    import json

    return list(json.loads(grid_data(grid_widget)))


def grid_texts(grid_widget: Any) -> list[list[str]]:
    """The rows an ``ITable`` grid widget holds, each cell as the text a browser shows (tags dropped, entities
    decoded; a coloured dot is CSS, not text)."""
    import html
    import re

    return [[html.unescape(re.sub(r"<[^>]*>", "", cell)) for cell in row] for row in grid_rows(grid_widget)]
