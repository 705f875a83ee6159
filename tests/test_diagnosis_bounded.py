"""Diagnosis rules on hostile text: bounded text, a linear-time engine, patterns it cannot run refused in one line.

Times are generous ceilings (a shared CI machine), each far below what the unbounded backtracking engine took on
the same input (seconds to minutes)."""

from __future__ import annotations

import time

import pandas as pd
import pytest
import yaml
from test_diagnosis import NOW, host, hosts_of, run_of, task

from vsphere_nb import ConfigError, diagnose
from vsphere_nb.diagnosis import load_rules
from vsphere_nb.diagnosis.facts import MAX_FIELD_CHARS, MAX_LINE_CHARS, bounded_lines


def cause_of(d, name: str) -> str:
    return str(d.hosts.set_index("host").loc[name, "cause"])


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - started


# --- bounded text ----------------------------------------------------------------------------------------------
def test_bounded_lines_keep_the_end_of_a_field_and_both_ends_of_a_long_line():
    text = "first line\n" + "x" * 200_000 + "\n" + "middle " * 3000 + "\nlast line: Error: agent aborted"
    lines = bounded_lines(text)
    assert sum(len(line) for line in lines) <= MAX_FIELD_CHARS
    assert all(len(line) <= MAX_LINE_CHARS + 3 for line in lines)
    assert lines[-1] == "last line: Error: agent aborted" and "first line" not in lines
    one = bounded_lines("START " + "datastore " * 60_000 + "datastore ds9 inaccessible")[0]
    assert one.endswith("datastore ds9 inaccessible") and len(one) <= MAX_LINE_CHARS + 3


# --- linear time -----------------------------------------------------------------------------------------------
def test_heartbeat_text_on_one_594_kb_line_is_fast_and_still_matches_its_end():
    line = "datastore " * 59_400  # 594 KB, one line: quadratic for `datastore.* inaccessible` with backtracking
    hosts = hosts_of(host("H1"), host("H2"))
    run = run_of(
        task("H1", fault_reason="Other", fault_output=line),
        task("H2", fault_reason="Other", fault_output=line + " heartbeat datastore ds9 inaccessible"),
    )
    d, seconds = timed(diagnose, hosts, run=run, now=NOW)
    assert seconds < 3, seconds
    assert cause_of(d, "H2") == "datastore-access"
    assert cause_of(d, "H1") != "datastore-access"


def _output(i: int) -> str:
    """~100 KB of an agent log: many lines naming datastores, networks and heartbeats, none saying what broke,
    then the line that does (varied per host)."""
    body = "".join(
        f"2026-12-05T03:{n % 60:02d}:00Z fdm[{n}] checking datastore ds-{n % 7} heartbeat slot {n} on vmk{n % 3} ok "
        f"word word word word word word word word\n"
        for n in range(800)
    )
    ends = ["vSphere HA agent cannot reach the isolation address 10.0.0.1", "host is misconfigured: vlan 12 down"]
    return body + ends[i % 2]


def test_twenty_hosts_with_100_kb_outputs_diagnose_and_report_fast(tmp_path):
    names = [f"H{i:02d}" for i in range(20)]
    outputs = [_output(i) for i in range(20)]
    assert all(95_000 < len(o) < 110_000 for o in outputs)
    hosts = hosts_of(*(host(n) for n in names))
    run = run_of(*(task(n, fault_reason="Other", fault_output=o) for n, o in zip(names, outputs)))
    d, seconds = timed(diagnose, hosts, run=run, now=NOW)
    assert seconds < 2, seconds
    assert len(d.hosts) == 20
    html, seconds = timed(d._repr_html_)
    assert seconds < 2, seconds
    assert "isolation-address" in html


def test_a_site_rule_that_backtracks_forever_in_python_is_linear_here(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text(
        "rules:\n"
        "  - id: uplink\n"
        "    cause: management-network\n"
        "    when: {any_text: '(\\w+\\s?)+ uplink down'}\n"
        "    next_step: check the uplinks of {host}\n"
    )
    rules = load_rules(site)
    words = "word " * 12_000  # with backtracking: 2^n paths before giving up on every start position
    hosts = hosts_of(host("H1"), host("H2"), host("H3"))
    run = run_of(
        task("H1", fault_reason="Other", fault_output=words + "!"),
        task("H2", fault_reason="Other", fault_output=words + "uplink down"),
        task("H3", fault_reason="Other", fault_output="\n".join([words] * 30)),
    )
    d, seconds = timed(diagnose, hosts, run=run, now=NOW, rules=rules)
    assert seconds < 3, seconds
    assert cause_of(d, "H2") == "management-network"
    assert d.hosts.set_index("host").loc["H2", "rule"] == "uplink"
    assert d.hosts.set_index("host").loc["H1", "rule"] != "uplink"


# --- patterns and files refused in one line ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(ab)\\1", "invalid escape sequence"),
        ("uplink(?=down)", "invalid perl operator"),
        ("(?<!no )uplink", "invalid perl operator"),
        ("a++", "bad repetition operator"),
        ("x{1001}", "invalid repetition size"),
    ],
)
def test_a_pattern_re2_cannot_compile_is_refused_naming_file_rule_and_why(tmp_path, pattern, reason):
    site = tmp_path / "site.yaml"
    rule = {"id": "my-rule", "cause": "timeout", "when": {"output": pattern}, "next_step": "s"}
    site.write_text(yaml.safe_dump({"rules": [rule]}))
    with pytest.raises(ConfigError) as info:
        load_rules(site)
    message = str(info.value)
    assert "\n" not in message
    assert str(site) in message and "rule my-rule" in message and "when.output" in message
    assert reason in message and "RE2" in message


def test_event_message_patterns_use_re2_too(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text(
        "rules:\n"
        "  - id: ev\n"
        "    cause: timeout\n"
        "    when: {events: {types: [X], message: '(a)\\1'}}\n"
        "    next_step: s\n"
    )
    with pytest.raises(ConfigError, match=r"rule ev.*when\.events\.message.*invalid escape sequence"):
        load_rules(site)


@pytest.mark.parametrize("data", [b"rules: []\n# caf\xe9\n", b"\xff\xfe r\x00u\x00l\x00e\x00s\x00", b"\x80"])
def test_a_rule_file_that_is_not_utf8_is_one_line(tmp_path, data):
    site = tmp_path / "site.yaml"
    site.write_bytes(data)
    with pytest.raises(ConfigError) as info:
        load_rules(site)
    message = str(info.value)
    assert "\n" not in message and str(site) in message and "not UTF-8" in message


def test_the_cli_says_one_line_for_a_rule_file_that_is_not_utf8_or_not_re2(sim, capsys, monkeypatch, tmp_path):
    from vsphere_nb.cli import main

    monkeypatch.setenv("VSPHERE_PASSWORD", sim.password)
    for name, data, fragment in [
        ("latin1.yaml", b"rules: []\n# caf\xe9\n", "not UTF-8"),
        ("re2.yaml", b"rules: [{id: r1, cause: timeout, when: {output: '(a)\\1'}, next_step: s}]\n", "RE2"),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        code = main(["diagnose", "--server", sim.url, "--user", sim.user, "--rules", str(path)])
        out, err = capsys.readouterr()
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and fragment in lines[0] and str(path) in lines[0], err
        assert "Traceback" not in out + err


def test_builtin_rules_compile_and_keep_their_meaning():
    """Every built-in rule's pattern, compiled by RE2, finds what it found with Python's engine on the texts the
    simulator's root causes write (the scenario's outputs, messages and config issues)."""
    import re

    from vsphere_nb.diagnosis import builtin_rules
    from vsphere_nb.simulator.stories import __file__ as stories_file

    corpus = open(stories_file, encoding="utf-8").read()
    for rule in builtin_rules():
        for key, pattern in rule.texts.items():
            reference = re.compile(pattern.pattern.removeprefix("(?m)"), re.IGNORECASE | re.MULTILINE)
            for line in corpus.splitlines():
                assert bool(pattern.search(line)) == bool(reference.search(line)), (rule.id, key, line)


def test_frames_with_missing_text_are_fine():
    hosts = hosts_of(host("H1", config_issues=None))
    d = diagnose(hosts, run=run_of(task("H1", fault_output=None, fault_message=pd.NA)), now=NOW)
    assert len(d.hosts) == 1
