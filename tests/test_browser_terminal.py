"""The terminal, as a reader sees it: ``vsphere-nb events`` and a run that stops early, captured from a
120-column pseudo-terminal on the demo fleet and rendered (colours included) by chromium to
``artifacts/screenshots/terminal-*.png`` — and to ``docs/terminal-*.png`` when missing or with
``VSPHERE_NB_UPDATE_SCREENSHOT=1``. The rendered text is checked too: the events take at most two lines each."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest
from browser_helpers import DOCS, SCREENSHOTS, chromium_page, require_chromium
from test_cli_terminal import login, run_in_pty

from vsphere_nb import connect
from vsphere_nb.simulator import Simulator

pytestmark = pytest.mark.browser


def _page(raw: str, title: str) -> str:
    """The terminal's output as an HTML page: ``rich`` turns the ANSI colours into styles."""
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=120, color_system="truecolor", file=open(os.devnull, "w"))
    for line in raw.replace("\r\n", "\n").split("\n"):
        console.print(Text.from_ansi(line.split("\r")[-1]), soft_wrap=True)
    body = console.export_html(inline_styles=True, code_format="<pre style='{stylesheet}'>{code}</pre>")
    return (
        f"<html><head><title>{html.escape(title)}</title></head>"
        "<body style='margin:0;background:#fff;color:#111;font:13px monospace'>"
        f"<div style='padding:8px 12px;width:120ch'>{body}</div></body></html>"
    )


def test_terminal_screenshots(tmp_path: Path) -> None:
    require_chromium()
    with Simulator(scenario="story", seed=1, task_seconds=20, time_scale=100) as sim:
        args, env = login(sim)
        with connect(sim.url, sim.user, sim.password) as vc:
            events = len(vc.events(since="7d"))
        shots = {
            "events": run_in_pty(["events", *args, "--since", "7d"], env=env),
            "run": run_in_pty(
                [
                    "reconfigure",
                    *args,
                    "--only-unhealthy",
                    "--yes",
                    "--max-in-flight",
                    "1",
                    "--max-failures",
                    "0",
                    "--run-dir",
                    str(tmp_path / "run"),
                ],
                env=env,
                code=1,
            ),
        }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_page(width=1100, height=900) as bp:
        for name, raw in shots.items():
            if name == "run":  # the end of the run: the last display, the summary
                end = raw.rfind("Reconfigure for vSphere HA - ended")
                raw = raw[raw.rfind("\n", 0, end) + 1 :]
            bp.page.set_content(_page(raw, name))
            text = bp.page.locator("pre").inner_text()
            if name == "events":
                lines = [line for line in text.splitlines() if line.strip()]
                assert len(lines) - 1 <= 2 * events, (len(lines), events)
            path = SCREENSHOTS / f"terminal-{name}.png"
            bp.page.locator("pre").screenshot(path=str(path))
            target = DOCS / f"terminal-{name}.png"
            if not target.exists() or os.environ.get("VSPHERE_NB_UPDATE_SCREENSHOT") == "1":
                from browser_helpers import publish_top

                publish_top(path, target, max_height=1400)
        assert bp.page_errors == []
