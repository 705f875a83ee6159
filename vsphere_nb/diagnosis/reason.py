"""The reasoning: rules over host facts → cause, evidence, confidence, scope and next step per host.

Pure (no I/O, no server): :func:`diagnose` runs on a live fleet's frames and on saved runs alike.

* The first rule (in file order, site rules first) whose conditions all hold gives the cause; its evidence is
  the fact behind every condition (the fault reason, the matching ``output`` line, the event type, count and
  time, the config issue text, the cluster setting). No rule → ``unknown``.
* Two attempts that failed the same way are not transient: ``election`` rules are skipped for such hosts and the
  confidence of the matching rule goes up one step.
* Scope: ``cluster`` when the cause looks shared — at least 2 hosts of one cluster with the same cause making at
  least half of the cluster, or at least 3 making at least 30 %; else ``host`` (always ``host`` for ``unknown``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from .facts import HostFacts, gather, telling_first
from .rules import CONFIDENCE_LEVELS, DiagnosisRule, load_rules

__all__ = ["diagnose", "evaluate", "HOST_COLUMNS", "scope_of"]

HOST_COLUMNS = [
    "vcenter",
    "cluster",
    "host",
    "host_moid",
    "das_state",
    "cause",
    "confidence",
    "scope",
    "evidence",
    "next_step",
    "reference",
    "rule",
]
_MAX_EVIDENCE_CHARS = 300


def _short(text: Any) -> str:
    value = " ".join(str(text).split())
    return value if len(value) <= _MAX_EVIDENCE_CHARS else value[: _MAX_EVIDENCE_CHARS - 1] + "…"


def _fmt_time(value: Any) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M UTC")  # naive values are UTC
    return str(value)


def _fact_holds(name: str, want: Any, value: Any) -> bool:
    if value is None:
        return False
    if isinstance(want, dict):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return ("min" not in want or value >= want["min"]) and ("max" not in want or value <= want["max"])
    if isinstance(value, bool):
        return value in want or str(value).lower() in want
    return str(value) in want


def _fact_evidence(name: str, value: Any) -> str:
    return f"{name}: {value}"


def evaluate(rule: DiagnosisRule, facts: HostFacts, now: pd.Timestamp | None) -> list[str] | None:
    """The evidence if every condition of ``rule`` holds for ``facts``, else ``None``."""
    evidence: list[str] = []
    values = facts.values
    for name, want in rule.facts.items():
        value = values.get(name)
        if not _fact_holds(name, want, value):
            return None
        evidence.append(_fact_evidence(name, value))
    for name, pattern in rule.texts.items():
        if pattern.search(facts.joined.get(name, "")) is None:  # one search over all lines
            return None
        hit = next((line for line in telling_first(facts.texts.get(name, [])) if pattern.search(line)), None)
        if hit is None:  # the pattern spans lines (a user's rule): report the start of the text
            hit = facts.joined.get(name, "")
        label = "text" if name == "any_text" else name
        evidence.append(f"{label}: {_short(hit)}")
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
        evidence.append(f"events: {names}; last {_fmt_time(last[0])}: {_short(last[3])}")
    return evidence


def _raise(level: str) -> str:
    i = CONFIDENCE_LEVELS.index(level)
    return CONFIDENCE_LEVELS[min(i + 1, len(CONFIDENCE_LEVELS) - 1)]


def scope_of(count: int, cluster_hosts: int) -> str:
    """``cluster`` when ``count`` hosts of a cluster of ``cluster_hosts`` sharing one cause look shared."""
    if count < 2 or cluster_hosts <= 0:
        return "host"
    share = count / cluster_hosts
    return "cluster" if share >= 0.5 or (count >= 3 and share >= 0.3) else "host"


class _Format(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _next_step(rule: DiagnosisRule | None, scope: str, values: dict[str, Any], count: int) -> str:
    if rule is None:
        return (
            f"no rule explains {values.get('host')} ({values.get('das_state')}): read its HA events and the task "
            "output below, then add a site rule for what you find"
        )
    template = rule.next_step_cluster if (scope == "cluster" and rule.next_step_cluster) else rule.next_step
    fields = _Format({k: ("-" if v is None or v == "" else v) for k, v in values.items()})
    fields["count"] = count
    try:
        return template.format_map(fields)
    except (ValueError, IndexError, AttributeError):
        return template


def diagnose_facts(
    all_facts: list[HostFacts], rules: list[DiagnosisRule], now: pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per host of ``all_facts`` (columns :data:`HOST_COLUMNS`)."""
    matched: list[tuple[DiagnosisRule | None, list[str], str]] = []
    for facts in all_facts:
        repeated = bool(facts.values.get("same_failure_repeated"))
        found: tuple[DiagnosisRule | None, list[str], str] = (None, [], "low")
        for candidate in rules:
            if repeated and candidate.cause == "election":
                continue
            evidence = evaluate(candidate, facts, now)
            if evidence is not None:
                confidence = candidate.confidence
                if repeated:
                    confidence = _raise(confidence)
                    evidence.append(f"attempts: {facts.values.get('attempts_failed')} failed the same way")
                found = (candidate, evidence, confidence)
                break
        if found[0] is None:
            found = (None, _unknown_evidence(facts), "low")
        matched.append(found)
    causes = [m[0].cause if m[0] else "unknown" for m in matched]
    per_cluster = Counter((f.values.get("vcenter"), f.values.get("cluster"), c) for f, c in zip(all_facts, causes))
    rows: dict[str, list[Any]] = {c: [] for c in HOST_COLUMNS}
    for facts, (rule, evidence, confidence), cause in zip(all_facts, matched, causes):
        v = facts.values
        count = per_cluster[(v.get("vcenter"), v.get("cluster"), cause)] if v.get("cluster") is not None else 1
        shared = v.get("cluster") is not None and cause != "unknown"  # "no rule matched" is not a shared cause
        scope = scope_of(count, int(v.get("cluster_hosts") or 0)) if shared else "host"
        if scope == "cluster":
            evidence = [*evidence, f"cluster: {count} of {v.get('cluster_hosts')} hosts of {v.get('cluster')} share it"]
        rows["vcenter"].append(v.get("vcenter"))
        rows["cluster"].append(v.get("cluster"))
        rows["host"].append(v.get("host"))
        rows["host_moid"].append(v.get("host_moid"))
        rows["das_state"].append(v.get("das_state"))
        rows["cause"].append(cause)
        rows["confidence"].append(confidence)
        rows["scope"].append(scope)
        rows["evidence"].append(evidence)
        rows["next_step"].append(_next_step(rule, scope, v, count))
        rows["reference"].append(rule.reference if rule else "ha-troubleshooting § The agent states")
        rows["rule"].append(rule.id if rule else None)
    return _typed(pd.DataFrame(rows, columns=HOST_COLUMNS))


def _unknown_evidence(facts: HostFacts) -> list[str]:
    v = facts.values
    out = [f"das_state: {v.get('das_state')}"]
    if v.get("fault_reason"):
        out.append(f"fault_reason: {v.get('fault_reason')}")
    for name in ("output", "config_issue", "event_message"):
        lines = facts.texts.get(name) or []
        if lines:
            out.append(f"{name}: {_short(lines[-1])}")
    return out


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    from .rules import CAUSES

    for col in ("vcenter", "cluster", "host", "host_moid", "das_state", "rule"):
        frame[col] = frame[col].astype("category")
    frame["cause"] = pd.Categorical(frame["cause"], categories=list(CAUSES))
    frame["confidence"] = pd.Categorical(frame["confidence"], categories=list(CONFIDENCE_LEVELS), ordered=True)
    frame["scope"] = pd.Categorical(frame["scope"], categories=["cluster", "host"])
    for col in ("next_step", "reference"):
        frame[col] = frame[col].astype("string")
    return frame


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
    cols += [c for c in ("category",) if all(c in f.columns for f in frames)]
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
    run: Any = None,
    events: pd.DataFrame | None = None,
    clusters: pd.DataFrame | None = None,
    rules: Any = None,
    now: Any = None,
) -> Any:
    """Diagnose every unhealthy or failed host: see :class:`~vsphere_nb.diagnosis.Diagnosis`.

    ``hosts`` is the inventory frame (``None``: the run's saved ``hosts``); ``run`` a run result (or a dict of
    its frames) whose attempts and events are used; ``events`` the HA history (:meth:`Client.events`);
    ``clusters`` the cluster frame (:meth:`Client.clusters`); ``rules`` a site rule file to merge; ``now`` the
    reference time of event windows (default: the newest event, else the current time).
    """
    from ..errors import ConfigError
    from .result import Diagnosis

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
    facts = gather(hosts, tasks=tasks, events=all_events, clusters=clusters)
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
