"""The reasoning: every rule weighed over host facts → cause, evidence, confidence, scope, next step per host.

Pure (no I/O, no server): :func:`diagnose` runs on a live fleet's frames and on saved runs alike.

* **Every rule is evaluated.** A rule whose conditions all hold (and whose ``unless`` does not) supports its cause
  with ``weight × strength``; its strength is that of its weakest condition, weighed by directness, recency and
  specificity (:mod:`vsphere_nb.diagnosis.evidence`).
* A cause's support is the sum of its rules' (the strongest in full, each further one half of the previous
  share); the top cause wins, ``unknown`` when no cause reaches :data:`MIN_SUPPORT`. ``confidence`` starts from
  the winning rule's (one step lower when its evidence is indirect), drops a step when the runner-up is close
  (margin under 30 %), rises a step when two independent sources agree with a clear margin, and rises when two
  attempts failed the same way (which also rules out ``election``).
* Every row lists all the evidence of its cause (strongest first) and an ``alternative``: the runner-up and the
  observation that tells the two apart.
* Scope: ``cluster`` when the cause looks shared — at least 2 hosts of one cluster with the same cause making at
  least half of the cluster, or at least 3 making at least 30 %; else ``host`` (always ``host`` for ``unknown``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from ..errors import ConfigError
from ..tables.columns import DIAGNOSIS_COLUMNS, diagnosis_frame
from .evidence import Evidence, evaluate, fact_holds, short_text
from .facts import HostFacts, gather
from .result import Diagnosis
from .rules import CONFIDENCE_LEVELS, TELLS_APART, DiagnosisRule, RulesArg, load_rules, reconfigure_fixes

__all__ = ["diagnose", "evaluate", "scope_of", "MIN_SUPPORT", "weigh", "RunFrames"]

#: the least support a cause needs; below it the host's cause is ``unknown``
MIN_SUPPORT = 0.45


class RunFrames(Protocol):
    """A run's frames as the diagnosis reads them (:class:`vsphere_nb.RunResult` is one): its attempts, its
    events and the hosts it saved."""

    @property
    def tasks(self) -> pd.DataFrame: ...

    @property
    def events(self) -> pd.DataFrame: ...

    @property
    def hosts(self) -> pd.DataFrame | None: ...


def _step(level: str, by: int) -> str:
    i = CONFIDENCE_LEVELS.index(level) + by
    return CONFIDENCE_LEVELS[max(0, min(i, len(CONFIDENCE_LEVELS) - 1))]


def _raise(level: str) -> str:
    return _step(level, 1)


def scope_of(count: int, cluster_hosts: int) -> str:
    """``cluster`` when ``count`` hosts of a cluster of ``cluster_hosts`` sharing one cause look shared."""
    if count < 2 or cluster_hosts <= 0:
        return "host"
    share = count / cluster_hosts
    return "cluster" if share >= 0.5 or (count >= 3 and share >= 0.3) else "host"


class _Format(dict[str, Any]):
    """The placeholders of a next step, read from the host's facts only when the text names them."""

    def __init__(self, facts: dict[str, Any], count: int) -> None:
        super().__init__(count=count)
        self.facts = facts

    def __missing__(self, key: str) -> Any:
        if key not in self.facts:
            return "{" + key + "}"
        value = self.facts[key]
        return "not known" if _missing(value) else value


def _next_step(rule: DiagnosisRule | None, scope: str, values: dict[str, Any], count: int) -> str:
    if rule is None:
        return (
            f"nothing specific explains {values.get('host')} ({values.get('das_state')}): read its HA events, the "
            "task output and the agent log (/var/log/fdm.log) below, then add a site rule for what you find"
        )
    template = rule.next_step_cluster if (scope == "cluster" and rule.next_step_cluster) else rule.next_step
    fields = _Format(values, count)
    try:
        return template.format_map(fields)
    except (ValueError, IndexError, AttributeError):
        return template


def _missing(value: Any) -> bool:
    if value is None or isinstance(value, (str, int, bool)):  # the common cases without pandas
        return value is None or value == ""
    if isinstance(value, float):
        return value != value  # NaN
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclass
class Verdict:
    """The weighed outcome for one host."""

    cause: str
    rule: DiagnosisRule | None
    confidence: str
    support: float
    evidence: list[str]
    alternative: str


_KEY_FACTS = ("das_state", "fault_reason", "fault_type", "outcome", "connection_state")


class RuleIndex:
    """Rules by the value of one fact they require (a rule asking for ``das_state: [networkIsolated]`` is only
    tried on isolated hosts), the rest tried on every host; candidates keep the rules' order."""

    def __init__(self, rules: list[DiagnosisRule]) -> None:
        self.rules = rules
        self.free: list[tuple[int, DiagnosisRule]] = []
        self.keyed: dict[tuple[str, str], list[tuple[int, DiagnosisRule]]] = {}
        for i, rule in enumerate(rules):
            for name in _KEY_FACTS:
                want = rule.facts.get(name)
                if isinstance(want, frozenset) and all(isinstance(w, str) for w in want):
                    for w in want:
                        self.keyed.setdefault((name, w), []).append((i, rule))
                    break
            else:
                self.free.append((i, rule))

    def candidates(self, values: dict[str, Any]) -> list[DiagnosisRule]:
        found = list(self.free)
        for name in _KEY_FACTS:
            value = values.get(name)
            if value is not None:
                found += self.keyed.get((name, str(value)), ())
        found.sort(key=lambda item: item[0])
        return [rule for _i, rule in found]


def weigh(
    facts: HostFacts, rules: list[DiagnosisRule], now: pd.Timestamp | None, index: RuleIndex | None = None
) -> Verdict:
    """Evaluate every rule for one host and weigh the causes (see the module doc)."""
    repeated = bool(facts.values.get("same_failure_repeated"))
    fired: dict[str, list[tuple[float, DiagnosisRule, list[Evidence]]]] = {}
    values = facts.values
    for rule in (index or RuleIndex(rules)).candidates(values):
        if repeated and rule.cause == "election":
            continue
        # a cheap gate on the rule's facts before the full evaluation (most rules stop here)
        if not all(fact_holds(name, want, values.get(name)) for name, want in rule.facts.items()):
            continue
        if rule.unless and all(fact_holds(name, want, values.get(name)) for name, want in rule.unless.items()):
            continue
        if rule.texts and not facts.joined.get("any_text") and not any(facts.joined.get(k) for k in rule.texts):
            continue
        groups = evaluate(rule, facts, now)
        if groups is None:
            continue
        strength = min((max(e.factor for e in g) for g in groups if g), default=1.0)
        found = [e for g in groups for e in g]
        fired.setdefault(rule.cause, []).append((rule.weight * strength, rule, found))
    scores: list[tuple[float, str]] = []
    for cause, hits in fired.items():
        hits.sort(key=lambda h: -h[0])
        scores.append((sum(h[0] * (0.5**i) for i, h in enumerate(hits)), cause))
    scores.sort(key=lambda s: (-s[0], s[1]))
    if not scores or scores[0][0] < MIN_SUPPORT:
        weak = ", ".join(f"{c} ({v:.2f})" for v, c in scores[:3])
        evidence = _unknown_evidence(facts)
        if weak:
            evidence.append(f"too weak to name a cause: {weak}")
        alternative = f"{scores[0][1]}: {TELLS_APART.get(scores[0][1], '')}" if scores else "no cause has any evidence"
        return Verdict("unknown", None, "low", round(scores[0][0], 3) if scores else 0.0, evidence, alternative)
    top, cause = scores[0]
    hits = fired[cause]
    best_rule = hits[0][1]
    items: list[Evidence] = []
    seen: set[str] = set()
    for _score, _rule, found in hits:
        for item in sorted(found, key=lambda e: -e.factor):
            if item.text not in seen:
                seen.add(item.text)
                items.append(item)
    strength = hits[0][0] / best_rule.weight
    confidence = best_rule.confidence if strength >= 0.9 else _step(best_rule.confidence, -1)
    second, runner = (scores[1][0], scores[1][1]) if len(scores) > 1 else (0.0, None)
    margin = (top - second) / top
    sources = {e.source for e in items if e.factor >= 0.5}
    if margin < 0.3:
        confidence = _step(confidence, -1)
    elif margin >= 0.6 and len(sources) >= 2:
        confidence = _step(confidence, 1)
    lines = [e.line() for e in items]
    if repeated:
        confidence = _raise(confidence)
        lines.append(f"attempts: {facts.values.get('attempts_failed')} failed the same way")
    if runner is None:
        alternative = "none: no other cause has evidence"
    else:
        alternative = f"{runner} ({second:.2f} vs {top:.2f}): {TELLS_APART.get(cause, '')}"
        if TELLS_APART.get(runner):
            alternative += f"; for {runner}: {TELLS_APART[runner]}"
    return Verdict(cause, best_rule, confidence, round(top, 3), lines, alternative)


def diagnose_facts(
    all_facts: list[HostFacts], rules: list[DiagnosisRule], now: pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per host of ``all_facts`` (columns :data:`~vsphere_nb.tables.columns.DIAGNOSIS_COLUMNS`)."""
    index = RuleIndex(rules)
    verdicts = [weigh(facts, rules, now, index) for facts in all_facts]
    per_cluster = Counter(
        (f.values.get("vcenter"), f.values.get("cluster"), v.cause) for f, v in zip(all_facts, verdicts)
    )
    rows: dict[str, list[Any]] = {c: [] for c in DIAGNOSIS_COLUMNS}
    for facts, verdict in zip(all_facts, verdicts):
        v = facts.values
        cause = verdict.cause
        evidence = list(verdict.evidence)
        count = per_cluster[(v.get("vcenter"), v.get("cluster"), cause)] if v.get("cluster") is not None else 1
        shared = v.get("cluster") is not None and cause != "unknown"  # "no rule matched" is not a shared cause
        scope = scope_of(count, int(v.get("cluster_hosts") or 0)) if shared else "host"
        if scope == "cluster":
            evidence.append(f"cluster: {count} of {v.get('cluster_hosts')} hosts of {v.get('cluster')} share it")
        if facts.log_note:
            evidence.append(facts.log_note)
        rule = verdict.rule
        rows["vcenter"].append(v.get("vcenter"))
        rows["cluster"].append(v.get("cluster"))
        rows["host"].append(v.get("host"))
        rows["host_moid"].append(v.get("host_moid"))
        rows["das_state"].append(v.get("das_state"))
        rows["cause"].append(cause)
        rows["confidence"].append(verdict.confidence)
        rows["scope"].append(scope)
        rows["evidence"].append(evidence)
        rows["alternative"].append(verdict.alternative)
        rows["support"].append(verdict.support)
        fixes = reconfigure_fixes(cause)
        if cause == "host-unreachable" and v.get("connection_state") not in (None, "connected"):
            fixes = False  # vCenter cannot reach the host: reconnect it first
        rows["reconfigure_fixes"].append(fixes)
        rows["next_step"].append(_next_step(rule, scope, v, count))
        rows["reference"].append(rule.reference if rule else "ha-troubleshooting § The agent states")
        rows["rule"].append(rule.id if rule else None)
    return diagnosis_frame(pd.DataFrame(rows, columns=DIAGNOSIS_COLUMNS))


def _unknown_evidence(facts: HostFacts) -> list[str]:
    v = facts.values
    out = [f"das_state: {v.get('das_state')}"]
    if v.get("fault_reason"):
        out.append(f"fault_reason: {v.get('fault_reason')}")
    for name in ("output", "config_issue", "event_message"):
        lines = facts.texts.get(name) or []
        if lines:
            out.append(f"{name}: {short_text(lines[-1])}")
    return out


def _run_frames(run: Any) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
    if run is None:
        return None, None, None
    if isinstance(run, dict):
        return run.get("tasks"), run.get("events"), run.get("hosts")
    return getattr(run, "tasks", None), getattr(run, "events", None), getattr(run, "hosts", None)


def _after_run(hosts: pd.DataFrame, tasks: pd.DataFrame | None) -> pd.DataFrame:
    """A run's saved (pre-run) hosts with ``das_state`` replaced by each host's state after its last attempt."""
    if tasks is None or not len(tasks) or "das_state_after" not in tasks.columns:
        return hosts
    done = tasks[tasks["das_state_after"].notna()]
    if "attempt" in done.columns:
        done = done.sort_values("attempt", kind="stable")
    after = dict(zip(done["host_moid"].astype(str), done["das_state_after"].astype(str)))
    out = hosts.copy()
    states = out["das_state"].astype(object).tolist()
    for i, moid in enumerate(out["host_moid"].astype(str)):
        if moid in after:
            states[i] = after[moid]
    out["das_state"] = pd.Categorical(states)
    return out


def _combined_events(history: pd.DataFrame | None, run_events: pd.DataFrame | None) -> pd.DataFrame | None:
    frames = [f for f in (history, run_events) if f is not None and len(f)]
    if not frames:
        return None
    if len(frames) == 1:
        return frames[0]
    # the host and cluster names too: the timelines and the swimlane show hosts by name
    cols = ["vcenter", "cluster", "host", "host_moid", "event_key", "event_type", "event_type_id", "created_time"]
    cols += ["message"]
    cols += [c for c in ("category", "source") if all(c in f.columns for f in frames)]
    names = {c: object for c in ("vcenter", "cluster", "host", "host_moid")}
    parts = [
        f[[c for c in cols if c in f.columns]].astype({c: t for c, t in names.items() if c in f.columns})
        for f in frames
    ]
    both = pd.concat(parts, ignore_index=True)
    if "event_key" in both.columns:
        keyed = both["event_key"].notna()
        both = pd.concat([both[keyed].drop_duplicates(["vcenter", "event_key"]), both[~keyed]], ignore_index=True)
    return both


def diagnose(
    hosts: pd.DataFrame | None,
    *,
    run: RunFrames | Mapping[str, pd.DataFrame] | None = None,
    events: pd.DataFrame | None = None,
    clusters: pd.DataFrame | None = None,
    rules: RulesArg | None = None,
    now: pd.Timestamp | datetime | str | None = None,
    logs: Mapping[tuple[str, str], list[str] | str] | None = None,
) -> Diagnosis:
    """Diagnose every unhealthy or failed host: see :class:`~vsphere_nb.diagnosis.Diagnosis`.

    ``hosts`` is the inventory frame (``None``: the run's saved ``hosts``); ``run`` a run result (or a dict of
    its frames) whose attempts and events are used; ``events`` the HA history (:meth:`Client.events`);
    ``clusters`` the cluster frame (:meth:`Client.clusters`); ``rules`` a site rule file to merge; ``now`` the
    reference time of event windows and state ages (default: the newest event, else the current time);
    ``logs`` the agent logs of diagnosed hosts, ``{(vcenter, host_moid): [lines] or "note why not read"}``.
    """
    tasks, run_events, run_hosts = _run_frames(run)
    if hosts is None and run_hosts is not None:
        hosts = _after_run(run_hosts, tasks)
    if hosts is None:
        raise ConfigError("diagnose() needs a hosts frame (or a run that saved one)")
    if not isinstance(hosts, pd.DataFrame):
        raise ConfigError(f"hosts must be a DataFrame, not {type(hosts).__name__}")
    rule_list = load_rules(rules)
    all_events = _combined_events(events, run_events)
    if now is None:
        if all_events is not None and "created_time" in all_events.columns and all_events["created_time"].notna().any():
            now = pd.Timestamp(all_events["created_time"].max())
        else:
            now = pd.Timestamp.now(tz="UTC")
    else:
        now = pd.Timestamp(now)
        if now.tzinfo is None:
            now = now.tz_localize("UTC")
    facts = gather(
        hosts, tasks=tasks, events=all_events, clusters=clusters, logs=dict(logs) if logs is not None else None, now=now
    )
    frame = diagnose_facts(facts, rule_list, now)
    run_dir = getattr(run, "run_dir", None)
    return Diagnosis(
        frame,
        facts={(f.values.get("vcenter"), f.values.get("host_moid")): f for f in facts},
        run_dir=run_dir,
        events=all_events,
        clusters=clusters,
        faults=run.get("faults") if isinstance(run, dict) else getattr(run, "faults", None),
    )
