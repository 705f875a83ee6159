"""The evidence of one rule for one host: which of its conditions hold, with what line, and how much each counts.

A condition's strength comes from where its fact comes from (*directness*): the last attempt's fault and output and
the agent's current state count 1, configuration facts (vmknics, datastores, vSAN) 0.8, config issues and the
agent's log 0.7, history events 0.5, the cluster's own config issues 0.3. *Recency*: a fault of an attempt that a
later attempt succeeded over, and events from an earlier episode (see :attr:`HostFacts.fresh_since`), count a
quarter. *Specificity*: a line that healthy hosts of the same cluster carry too counts a tenth.

Pure: no I/O; :func:`evaluate` is what :func:`vsphere_nb.diagnosis.reason.weigh` calls for every candidate rule.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .facts import HostFacts, blank_host, telling_first
from .rules import DiagnosisRule

__all__ = ["Evidence", "evaluate", "fact_holds", "short_text", "MAX_EVIDENCE_CHARS"]

MAX_EVIDENCE_CHARS = 300

#: where each fact comes from, and how directly it speaks about the host now
_FACT_SOURCE: dict[str, tuple[str, float]] = {
    "das_state": ("state", 1.0),
    "connection_state": ("state", 1.0),
    "power_state": ("state", 1.0),
    "in_maintenance": ("state", 1.0),
    "healthy": ("state", 1.0),
    "ha_enabled": ("state", 1.0),
    "state_age_minutes": ("state", 1.0),
    "outcome": ("task", 1.0),
    "fault_type": ("task", 1.0),
    "fault_reason": ("task", 1.0),
    "attempts": ("task", 1.0),
    "attempts_failed": ("task", 1.0),
    "same_failure_repeated": ("task", 1.0),
    "mgmt_vmknics": ("config", 0.8),
    "datastores": ("config", 0.8),
    "datastores_accessible": ("config", 0.8),
    "heartbeat_datastores": ("config", 0.8),
    "isolation_addresses_count": ("config", 0.8),
    "version_vs_vcenter": ("config", 0.8),
    "vsan_enabled": ("config", 0.8),
    "cluster_unhealthy_share": ("cluster", 0.3),
}
_TEXT_SOURCE: dict[str, tuple[str, float]] = {
    "output": ("task", 1.0),
    "message": ("task", 1.0),
    "config_issue": ("config issue", 0.7),
    "agent_log": ("agent log", 0.7),
    "event_message": ("events", 0.5),
    "cluster_config_issue": ("cluster", 0.3),
}
_STALE = 0.25
_SHARED = 0.1
_TASK_FACTS = frozenset({"fault_type", "fault_reason"})


def short_text(text: Any) -> str:
    value = " ".join(str(text).split())
    return value if len(value) <= MAX_EVIDENCE_CHARS else value[: MAX_EVIDENCE_CHARS - 1] + "…"


def _fmt_time(value: Any) -> str:
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M UTC"))  # naive values are UTC
    return str(value)


def fact_holds(name: str, want: Any, value: Any) -> bool:
    if value is None:
        return False
    if isinstance(want, dict):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return ("min" not in want or value >= want["min"]) and ("max" not in want or value <= want["max"])
    if isinstance(value, bool):
        return value in want or str(value).lower() in want
    return str(value) in want


@dataclass(frozen=True)
class Evidence:
    """One observation behind a cause: its source, its text, and how much it counts (0…1)."""

    source: str
    text: str
    factor: float
    note: str = ""

    def line(self) -> str:
        return f"{self.text} ({self.note})" if self.note else self.text


def _fmt_fact(name: str, value: Any) -> str:
    if name == "state_age_minutes" and isinstance(value, (int, float)):
        return f"state for {value / 60:.1f} h" if value >= 90 else f"state for {value:.0f} min"
    return f"{name}: {value}"


def _event_times(facts: HostFacts) -> dict[str, Any]:
    newest: dict[str, Any] = {}
    for when, *_rest in facts.events:
        message = _rest[2]
        if message and (newest.get(message) is None or (when is not None and when > newest[message])):
            newest[message] = when
    return newest


def _line_factor(key: str, line: str, facts: HostFacts, times: dict[str, Any]) -> tuple[float, str]:
    factor = _TEXT_SOURCE.get(key, ("", 0.5))[1]
    note = ""
    if key in ("output", "message") and facts.values.get("fault_stale"):
        factor *= _STALE
        note = "from an attempt a later one succeeded over"
    if key in ("config_issue", "event_message") and blank_host(line, facts.values.get("host")) in facts.shared_lines:
        factor *= _SHARED
        note = "healthy hosts of the cluster carry it too"
    if key == "event_message" and facts.fresh_since is not None:
        when = times.get(line)
        if when is not None and when < facts.fresh_since:
            factor *= _STALE
            note = note or "older than the host's last state change or successful attempt"
    return factor, note


_ANY_ORDER = ("output", "message", "config_issue", "agent_log", "event_message")
#: (pattern, text) → whether it matches: fleets repeat the same outputs, messages and config issues
_SEARCHES: dict[tuple[Any, str], bool] = {}
_SEARCH_CACHE_MAX = 200_000


def _matches(pattern: Any, text: str) -> bool:
    if not text:
        return False
    key = (pattern, text)
    hit = _SEARCHES.get(key)
    if hit is None:
        if len(_SEARCHES) >= _SEARCH_CACHE_MAX:
            _SEARCHES.clear()
        hit = _SEARCHES[key] = pattern.search(text) is not None
    return hit


def evaluate(rule: DiagnosisRule, facts: HostFacts, now: pd.Timestamp | None) -> list[list[Evidence]] | None:
    """The evidence of each condition of ``rule`` if every one holds for ``facts``, else ``None``: one group per
    condition (a text condition lists one line per source that matches, e.g. the task output and the agent
    log); a condition counts as much as its strongest line."""
    evidence: list[list[Evidence]] = []
    values = facts.values
    for name, want in rule.facts.items():
        value = values.get(name)
        if not fact_holds(name, want, value):
            return None
        source, factor = _FACT_SOURCE.get(name, ("state", 1.0))
        note = ""
        if name in _TASK_FACTS and values.get("fault_stale"):
            factor *= _STALE
            note = "from an attempt a later one succeeded over"
        evidence.append([Evidence(source, _fmt_fact(name, value), factor, note)])
    times: dict[str, Any] | None = None
    for name, pattern in rule.texts.items():
        if not _matches(pattern, facts.joined.get(name, "")):  # one search over all lines
            return None
        keys = _ANY_ORDER if name == "any_text" else (name,)
        hit_keys = [k for k in keys if k == name or _matches(pattern, facts.joined.get(k, ""))]
        found: list[Evidence] = []
        for key in hit_keys:
            for line in telling_first(facts.texts.get(key, [])):
                if not pattern.search(line):
                    continue
                if times is None:
                    times = _event_times(facts)
                factor, note = _line_factor(key, line, facts, times)
                label = _TEXT_SOURCE.get(key, (key, 0.5))[0] if key == "agent_log" else key
                found.append(
                    Evidence(_TEXT_SOURCE.get(key, (key, 0.5))[0], f"{label}: {short_text(line)}", factor, note)
                )
                break
        if not found:  # the pattern spans lines (a user's rule): report the start of the text
            source, factor = _TEXT_SOURCE.get(name, ("text", 0.5))
            found.append(Evidence(source, f"{name}: {short_text(facts.joined.get(name, ''))}", factor))
        evidence.append(found)
    cond = rule.events
    if cond is not None:
        since = None
        if cond.within is not None and now is not None:
            since = (now - cond.within).tz_convert("UTC").tz_localize(None).to_pydatetime()
        hits = [
            e
            for e in facts.events
            if (e[1] in cond.types or e[2] in cond.types)
            and (since is None or (e[0] is not None and e[0] >= since))
            and (cond.message is None or cond.message.search(e[3]))
        ]
        if len(hits) < cond.min_count:
            return None
        last = hits[-1]
        kinds = Counter(h[1] for h in hits)
        names = ", ".join(f"{k} ×{n}" for k, n in kinds.most_common())
        factor, note = 0.5, ""
        if blank_host(last[3], values.get("host")) in facts.shared_lines:
            factor *= _SHARED
            note = "healthy hosts of the cluster carry it too"
        elif facts.fresh_since is not None and last[0] is not None and last[0] < facts.fresh_since:
            factor *= _STALE
            note = "older than the host's last state change or successful attempt"
        evidence.append(
            [Evidence("events", f"events: {names}; last {_fmt_time(last[0])}: {short_text(last[3])}", factor, note)]
        )
    return evidence
