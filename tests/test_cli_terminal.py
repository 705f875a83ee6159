"""The CLI in a real terminal: ``vsphere-nb hosts`` and ``reconfigure`` driven through a 120-column pseudo-terminal
against a simulator whose names hold terminal escapes and a bidi override. Tables fit the width, server text never
reaches the terminal as a control, ``NO_COLOR`` means no colour, missing values are empty cells."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from vsphere_nb.cli._terminal import cell_text, safe_text
from vsphere_nb.simulator import Simulator

ROOT = Path(__file__).resolve().parents[1]
EVIL_HOST = "evil\x1b]0;pwned\x07\u202eabc"
EVIL_CLUSTER = "clu\x1b[2Jster\x00"
#: every CSI sequence (colours, cursor moves of the live display) — what is left must be plain text
CSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[25])[0-9;]*m")


@pytest.fixture(scope="module")
def sim():
    with Simulator(
        clusters=3, hosts_per_cluster=4, standalone_hosts=1, scenario="mixed", seed=2, task_seconds=20, time_scale=100
    ) as sim:
        sim.inventory.hosts[0].name = EVIL_HOST
        sim.inventory.hosts[0].compute_resource.name = EVIL_CLUSTER
        yield sim


def run_in_pty(
    argv: list[str], *, env: dict[str, str] | None = None, cols: int = 120, timeout: float = 90, code: int = 0
) -> str:
    """Run ``python -m vsphere_nb ARGV`` with stdin, stdout and stderr on a ``cols``-wide pseudo-terminal; the
    raw bytes it wrote, decoded."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")}
    full_env.update({"PYTHONPATH": str(ROOT), "TERM": "xterm-256color", **(env or {})})
    proc = subprocess.Popen(
        [sys.executable, "-m", "vsphere_nb", *argv], stdin=slave, stdout=slave, stderr=slave, env=full_env
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
        if time.monotonic() > deadline:
            proc.kill()
            break
    os.close(master)
    assert proc.wait(timeout=30) == code, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode("utf-8", errors="replace")


def visible_lines(raw: str) -> list[str]:
    text = CSI.sub("", raw)
    lines: list[str] = []
    for line in text.split("\n"):
        lines.append(line.rstrip("\r").split("\r")[-1])  # a carriage return redraws the line
    return lines


def assert_safe_and_fits(raw: str, cols: int = 120) -> list[str]:
    lines = visible_lines(raw)
    assert max(len(line) for line in lines) <= cols, max(lines, key=len)
    leftover = CSI.sub("", raw)
    # no escape but the CSI sequences rich writes itself; no BEL, NUL or bidi override from the server
    assert "\x1b" not in leftover and "\x07" not in leftover and "\x00" not in leftover
    assert "\u202e" not in raw and "pwned\x07" not in raw and "\x1b]0;" not in raw
    assert "NaN" not in leftover and "<NA>" not in leftover
    return lines


def login(sim: Simulator) -> tuple[list[str], dict[str, str]]:
    return ["--server", sim.url, "--user", sim.user], {"VSPHERE_PASSWORD": sim.password}


def test_hosts_table_in_a_120_column_terminal(sim):
    args, env = login(sim)
    raw = run_in_pty(["hosts", *args], env=env)
    lines = assert_safe_and_fits(raw)
    text = "\n".join(lines)
    assert safe_text(EVIL_HOST) in text and "\\x1b]0;pwned\\x07\\u202eabc" in text
    assert "clu\\x1b[2Jster\\x00" in text
    header = next(line for line in lines if line.startswith("cluster"))
    assert re.match(r"cluster +host +connection +maintenance +HA state +why skipped", header)
    assert COLOUR.search(raw)  # a terminal gets colours (HA states, outcomes)
    for h in sim.inventory.hosts[1:]:
        assert h.name in text
    assert sim.password not in raw


def test_no_color_means_no_colour(sim):
    args, env = login(sim)
    raw = run_in_pty(["hosts", *args], env={**env, "NO_COLOR": "1"})
    assert_safe_and_fits(raw)
    assert not COLOUR.search(raw)


def test_narrow_terminal_still_fits(sim):
    args, env = login(sim)
    raw = run_in_pty(["hosts", *args], env=env, cols=80)
    assert_safe_and_fits(raw, cols=80)


def test_plan_listing_in_a_terminal(sim):
    args, env = login(sim)
    raw = run_in_pty(["reconfigure", *args, "--dry-run", "--canary", "2", "--max-failures", "10%"], env=env)
    lines = assert_safe_and_fits(raw)
    text = "\n".join(lines)
    assert "\\x1b]0;pwned\\x07\\u202eabc" in text and "clu\\x1b[2Jster\\x00" in text
    assert "the first 2 hosts run alone" in text
    assert "stop launching when failures exceed 10%" in text
    assert "BatchLimits(" not in text and "Dry run: nothing launched." in text


def test_a_run_with_live_progress_and_summary_in_a_terminal(sim, tmp_path):
    args, env = login(sim)
    argv = [
        "reconfigure",
        *args,
        "--yes",
        "--include-flagged",
        "--per-cluster",
        "1",
        "--run-dir",
        str(tmp_path / "run"),
    ]
    raw = run_in_pty(argv, env=env, code=1)  # exit 1: the mixed scenario fails some hosts
    lines = assert_safe_and_fits(raw)
    text = "\n".join(lines)
    assert "Reconfigure for vSphere HA" in text and "finished" in text  # the live display
    assert re.search(r"^outcome +hosts", text, re.M) and re.search(r"^total +\d+", text, re.M)
    assert "Hosts that need attention" in text
    assert f"Run directory: {tmp_path / 'run'}" in text


@pytest.mark.parametrize(
    "value, shown",
    [
        ("plain host-01.example.com", "plain host-01.example.com"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("a\u202eb\u2066c", "a\\u202eb\\u2066c"),
        ("nul\x00 del\x7f c1\x9b", "nul\\x00 del\\x7f c1\\x9b"),
        ("two\nlines\tand\r\u2028", "two lines and  "),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("ünïcode ok ✓ 東京", "ünïcode ok ✓ 東京"),
    ],
)
def test_safe_text(value, shown):
    assert safe_text(value) == shown


def test_cell_text_leaves_missing_values_empty():
    import numpy as np
    import pandas as pd

    assert [cell_text(v) for v in (None, float("nan"), pd.NA, pd.NaT, np.nan)] == [""] * 5
    assert cell_text(True) == "yes" and cell_text(False) == ""
    assert cell_text(["a", None, "b\x1b"]) == "a, b\\x1b"
    assert cell_text(3.0) == "3" and cell_text(2.5) == "2.5"
    assert cell_text(pd.Timestamp("2026-03-01T08:00:00.123456Z")) == "2026-03-01 08:00:00Z"
