"""Diagnosis rules are data: the built-in ``rules.yaml`` plus an optional site file, validated here.

A rule file is YAML (or JSON) ``{version: 1, rules: [...]}``; each rule::

    - id: partitioned-state                 # unique; a site rule with the same id replaces the built-in one
      cause: management-network             # one of CAUSES
      confidence: high                      # low | medium | high (adjusted by margin, sources and repeats)
      weight: 1.2                           # how much its evidence counts (default 1)
      when:                                 # every condition must hold
        das_state: [networkPartitionedFromMaster]     # a fact: value or list of values (any of them)
        datastores_accessible: {max: 0}               # a numeric fact: {min: n} and/or {max: n}
        any_text: "vlan|management network"           # RE2 regex (case-insensitive) on one of the text facts
        events: {types: [HostIsolationIpPingFailedEvent], within: 72h, min_count: 1}
      next_step: "check {host}'s vmknic"    # placeholders: see FORMAT_FIELDS
      next_step_cluster: "..."              # used instead when the scope is cluster
      reference: "ha-troubleshooting § The agent states: networkPartitionedFromMaster"

Any problem with a file is a :class:`~vsphere_nb.errors.ConfigError` with one line naming the file, the rule
and the key.

Patterns are RE2 (:func:`compile_pattern`): matching takes time linear in the text whatever the pattern, so a
site rule such as ``(\\w+\\s?)+ uplink down`` cannot run away; a pattern RE2 cannot compile (backreferences,
lookaround) is refused with the reason. The text a rule searches is bounded too (see
:func:`~vsphere_nb.diagnosis.facts.bounded_lines`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeAlias, cast

import pandas as pd
import re2
import yaml

from ..errors import ConfigError
from ..tables.durations import parse_duration
from ..vocabulary import CAUSES, CONFIDENCE_LEVELS

__all__ = [
    "CAUSES",
    "CONFIDENCE_LEVELS",
    "FACT_KEYS",
    "TEXT_KEYS",
    "TELLS_APART",
    "FIX_FIRST",
    "reconfigure_fixes",
    "FORMAT_FIELDS",
    "DiagnosisRule",
    "EventCondition",
    "load_rules",
    "RulesArg",
    "builtin_rules",
    "parse_duration",
    "compile_pattern",
    "TextPattern",
]

#: causes a reconfigure cannot fix by itself, and what has to be fixed first (the launch plan flags their hosts);
#: the other causes (election, timeout, an unreachable agent on a connected host) a reconfigure may clear, and for
#: ``unknown`` nobody can say
FIX_FIRST: dict[str, str] = {
    "management-network": "the management network (VLAN, uplinks, IP version)",
    "isolation-address": "the isolation address(es) or the host's path to them",
    "datastore-access": "the host's datastores / heartbeat datastores",
    "agent-install": "free disk or memory on the host, or the pending reboot",
    "image-remediation": "the cluster image (remediate it in Lifecycle Manager)",
    "certificate": "the host's SSL thumbprint in vCenter (reconnect the host)",
    "permissions": "the user's or vCenter's privileges on the host",
    "vsan-network": "the host's vSAN network",
    "agent-unhealthy-after-success": "whatever keeps the agent unhealthy (a reconfigure already succeeded)",
}


def reconfigure_fixes(cause: str) -> bool | None:
    """Whether a reconfigure alone may fix a host with ``cause`` (``None``: unknown cause)."""
    if cause == "unknown":
        return None
    return cause not in FIX_FIRST


#: per cause, the observation that confirms it against a runner-up (the ``alternative`` column)
TELLS_APART: dict[str, str] = {
    "management-network": "vmkping the peers' management addresses from the host's management vmknic",
    "isolation-address": "ping the isolation address(es) from the host's management vmknic",
    "datastore-access": "list the datastores the host mounts and can reach (heartbeat candidates)",
    "agent-install": "read the task output and the agent log for the VIB install error (disk, memory, reboot)",
    "image-remediation": "check the cluster image's compliance in Lifecycle Manager",
    "election": "look again in a few minutes: an election ends with a master",
    "certificate": "compare the host's SSL thumbprint with the one vCenter holds (reconnect the host)",
    "permissions": "check the user's privileges on the host (Host.Config.Connection) and lockdown mode",
    "host-unreachable": "check whether vCenter reaches the host (connection state) and whether hostd/vpxa run",
    "vsan-network": "vmkping the peers' vSAN addresses from the host's vSAN vmknic",
    "timeout": "check vCenter-to-host latency and the host's load while the task runs",
    "agent-unhealthy-after-success": "read the agent's state again and its log: the task itself succeeded",
    "unknown": "read the host's HA events, the task output and the agent log",
}

#: facts a rule may compare (value / list of values / {min, max}); see facts.py for where each comes from
FACT_KEYS: frozenset[str] = frozenset(
    {
        "das_state",
        "connection_state",
        "power_state",
        "in_maintenance",
        "healthy",
        "outcome",
        "fault_type",
        "fault_reason",
        "attempts",
        "attempts_failed",
        "same_failure_repeated",
        "mgmt_vmknics",
        "datastores",
        "datastores_accessible",
        "heartbeat_datastores",
        "isolation_addresses_count",
        "version_vs_vcenter",
        "cluster_unhealthy_share",
        "ha_enabled",
        "vsan_enabled",
        "state_age_minutes",
    }
)
#: text facts a rule may match with a regex (the evidence is the matching line)
TEXT_KEYS: frozenset[str] = frozenset(
    {"output", "message", "config_issue", "event_message", "cluster_config_issue", "agent_log", "any_text"}
)
_SPECIAL_KEYS = frozenset({"events"})
#: placeholders of next_step texts
FORMAT_FIELDS: tuple[str, ...] = (
    "host",
    "cluster",
    "vcenter",
    "count",
    "cluster_hosts",
    "das_state",
    "connection_state",
    "fault_reason",
    "isolation_addresses",
    "heartbeat_datastores",
    "datastores_accessible",
    "mgmt_vmknics",
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_RULE_KEYS = frozenset(
    {"id", "cause", "confidence", "weight", "when", "unless", "next_step", "next_step_cluster", "reference"}
)


@dataclass(frozen=True)
class EventCondition:
    """Events present in the host's history: any of ``types`` (type ids or names), within a window."""

    types: frozenset[str]
    within: pd.Timedelta | None = None
    min_count: int = 1
    message: TextPattern | None = None


@dataclass(frozen=True)
class DiagnosisRule:
    id: str
    cause: str
    confidence: str
    facts: dict[str, Any] = field(default_factory=dict)
    #: how much the rule's evidence counts when it holds (support = weight × the weakest condition's strength)
    weight: float = 1.0
    texts: dict[str, TextPattern] = field(default_factory=dict)
    events: EventCondition | None = None
    #: fact conditions that, when all hold, keep the rule from firing (``unless: {vsan_enabled: true}``); an
    #: unknown fact never holds, so the rule still fires where the fact was not collected
    unless: dict[str, Any] = field(default_factory=dict)
    next_step: str = ""
    next_step_cluster: str | None = None
    reference: str = ""
    source: str = "built-in"


def _fail(where: str, text: str) -> ConfigError:
    return ConfigError(f"rule file {where}: {text}")


class TextPattern(Protocol):
    """A compiled rule pattern (RE2): ``search`` runs in time linear in the text, whatever the pattern."""

    pattern: str

    def search(self, text: str) -> Any: ...


#: the longest pattern a rule may hold
MAX_PATTERN_CHARS = 2000


def _re2_options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # the reason goes into the one-line error, not to stderr
    options.max_mem = 8 << 20
    return options


def compile_pattern(value: str) -> TextPattern:
    """``value`` compiled with RE2 (case-insensitive, ``^``/``$`` at line ends): a linear-time engine, so no
    pattern can run away on long text. Raises ``ValueError`` with RE2's reason when it cannot compile it
    (backreferences, lookaround and possessive quantifiers are not RE2 syntax)."""
    try:
        return cast(TextPattern, re2.compile("(?m)" + value, options=_re2_options()))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise ValueError(" ".join(text.split()) or "not a valid RE2 pattern") from None


def _regex(value: Any, where: str) -> TextPattern:
    if not isinstance(value, str) or not value:
        raise _fail(where, "expected a non-empty regular expression")
    if len(value) > MAX_PATTERN_CHARS:
        raise _fail(where, f"the regular expression is longer than {MAX_PATTERN_CHARS} characters")
    try:
        return compile_pattern(value)
    except ValueError as exc:
        shown = value if len(value) <= 80 else value[:79] + "…"
        raise _fail(
            where, f"bad regular expression {shown!r}: {exc} (rules use RE2 syntax: no backreferences or lookaround)"
        ) from None


def _fact_value(value: Any, where: str) -> Any:
    if isinstance(value, dict):
        bad = set(value) - {"min", "max"}
        if bad or not value:
            raise _fail(where, "a numeric condition takes only 'min' and/or 'max'")
        for k, v in value.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise _fail(where, f"'{k}' must be a number, not {v!r}")
        return dict(value)
    if isinstance(value, list):
        if not value:
            raise _fail(where, "an empty list matches nothing")
        return frozenset(str(v) if not isinstance(v, bool) else v for v in value)
    if value is None:
        raise _fail(where, "a condition needs a value")
    return frozenset({value if isinstance(value, bool) else str(value)})


def _duration(value: Any, where: str) -> pd.Timedelta:
    try:
        out = parse_duration(value)
    except (ValueError, TypeError):
        raise _fail(where, f"bad duration {value!r} (use e.g. 30m, 24h, 7d)") from None
    if out <= pd.Timedelta(0):
        raise _fail(where, "the window must be positive")
    return out


def _events(value: Any, where: str) -> EventCondition:
    if isinstance(value, list):
        value = {"types": value}
    if not isinstance(value, dict):
        raise _fail(where, "expected {types: [...], within: 24h, min_count: 1}")
    bad = set(value) - {"types", "within", "min_count", "message"}
    if bad:
        raise _fail(where, f"unknown key(s) {', '.join(sorted(bad))}")
    types = value.get("types")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        raise _fail(where, "'types' must be a non-empty list of event type ids or names")
    min_count = value.get("min_count", 1)
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise _fail(where, "'min_count' must be a positive integer")
    return EventCondition(
        types=frozenset(types),
        within=_duration(value["within"], f"{where}.within") if value.get("within") is not None else None,
        min_count=min_count,
        message=_regex(value["message"], f"{where}.message") if value.get("message") is not None else None,
    )


def _rule(data: Any, where: str, source: str) -> DiagnosisRule:
    if not isinstance(data, dict):
        raise _fail(where, "each rule must be a mapping")
    rid = data.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise _fail(where, f"rule id {rid!r} must be a short name (letters, digits, - _ .)")
    where = f"{where} (rule {rid})"
    bad = set(data) - _RULE_KEYS
    if bad:
        raise _fail(where, f"unknown key(s) {', '.join(sorted(bad))}")
    cause = data.get("cause")
    if cause not in CAUSES:
        raise _fail(where, f"cause {cause!r} is not one of {', '.join(CAUSES)}")
    confidence = data.get("confidence", "medium")
    if confidence not in CONFIDENCE_LEVELS:
        raise _fail(where, f"confidence {confidence!r} is not one of {', '.join(CONFIDENCE_LEVELS)}")
    weight = data.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 10:
        raise _fail(where, f"weight {weight!r} must be a number above 0 and at most 10")
    when = data.get("when")
    if not isinstance(when, dict) or not when:
        raise _fail(where, "'when' must be a non-empty mapping of conditions")
    facts: dict[str, Any] = {}
    texts: dict[str, TextPattern] = {}
    events = None
    for key, value in when.items():
        if key in FACT_KEYS:
            facts[key] = _fact_value(value, f"{where}: when.{key}")
        elif key in TEXT_KEYS:
            texts[key] = _regex(value, f"{where}: when.{key}")
        elif key == "events":
            events = _events(value, f"{where}: when.events")
        else:
            known = ", ".join(sorted(FACT_KEYS | TEXT_KEYS | _SPECIAL_KEYS))
            raise _fail(where, f"unknown condition {key!r} (known: {known})")
    unless: dict[str, Any] = {}
    raw_unless = data.get("unless")
    if raw_unless is not None:
        if not isinstance(raw_unless, dict) or not raw_unless:
            raise _fail(where, "'unless' must be a non-empty mapping of fact conditions")
        for key, value in raw_unless.items():
            if key not in FACT_KEYS:
                raise _fail(where, f"unknown fact {key!r} in 'unless' (known: {', '.join(sorted(FACT_KEYS))})")
            unless[key] = _fact_value(value, f"{where}: unless.{key}")
    for key in ("next_step", "next_step_cluster", "reference"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise _fail(where, f"'{key}' must be text")
    if not data.get("next_step"):
        raise _fail(where, "'next_step' is required")
    return DiagnosisRule(
        id=rid,
        cause=cause,
        confidence=confidence,
        facts=facts,
        weight=float(weight),
        texts=texts,
        events=events,
        unless=unless,
        next_step=data["next_step"],
        next_step_cluster=data.get("next_step_cluster"),
        reference=data.get("reference") or "",
        source=source,
    )


def parse_rules(document: Any, where: str, source: str) -> list[DiagnosisRule]:
    """Rules of one parsed document (``{version, rules}`` or a bare list)."""
    if isinstance(document, dict):
        version = document.get("version", 1)
        if version != 1:
            raise _fail(where, f"unsupported version {version!r} (this vsphere-nb reads version 1)")
        bad = set(document) - {"version", "rules"}
        if bad:
            raise _fail(where, f"unknown top-level key(s) {', '.join(sorted(bad))}")
        document = document.get("rules")
    if not isinstance(document, list):
        raise _fail(where, "expected 'rules:' with a list of rules")
    rules = [_rule(item, f"{where} rule #{i + 1}", source) for i, item in enumerate(document)]
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise _fail(where, f"rule id {rule.id!r} appears twice")
        seen.add(rule.id)
    return rules


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read rule file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"rule file {path}: not UTF-8 text (byte {exc.start} is not UTF-8)") from None
    try:
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        first = " ".join(str(exc).split())
        raise ConfigError(
            f"rule file {path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {first}"
        ) from None


_BUILTIN: list[DiagnosisRule] | None = None


def builtin_rules() -> list[DiagnosisRule]:
    """The rules shipped in ``vsphere_nb/diagnosis/rules.yaml`` (parsed once)."""
    global _BUILTIN
    if _BUILTIN is None:
        text = resources.files(__package__).joinpath("rules.yaml").read_text(encoding="utf-8")
        _BUILTIN = parse_rules(yaml.safe_load(text), "rules.yaml", "built-in")
    return list(_BUILTIN)


#: site rules: a YAML/JSON file, a parsed document (``{version: 1, rules: [...]}``), or a list of rules
RulesArg: TypeAlias = str | os.PathLike[str] | Mapping[str, object] | Sequence[object]


def load_rules(extra: RulesArg | None = None) -> list[DiagnosisRule]:
    """Built-in rules, with a site file (path), a parsed document or a list of rules merged in.

    A site rule with a built-in's id replaces it; rules with new ids are added (every rule is weighed).
    """
    rules = builtin_rules()
    if extra is None:
        return rules
    if isinstance(extra, (str, Path)):
        path = Path(extra)
        if not path.is_file():
            raise ConfigError(f"rule file {path} does not exist")
        site = parse_rules(_read(path), str(path), str(path))
    elif isinstance(extra, (list, dict)):
        if isinstance(extra, list) and extra and all(isinstance(r, DiagnosisRule) for r in extra):
            site = list(extra)
        else:
            site = parse_rules(extra, "<rules>", "site")
    else:
        raise ConfigError(f"rules must be a file path, a mapping or a list, not {type(extra).__name__}")
    by_id = {r.id: r for r in site}
    merged = [by_id.pop(r.id, r) for r in rules]
    new = [r for r in site if r.id in by_id]
    return new + merged
