"""What diagnosis knows about each host, gathered from frames only (no server): :func:`gather`.

Sources, all optional but ``hosts``:

* ``hosts`` — the inventory frame (``das_state``, ``connection_state``, ``config_issues``, ``datastores`` and,
  when :meth:`Client.diagnose <vsphere_nb.sync.Client.diagnose>` collected them, ``mgmt_vmknics``,
  ``datastores_accessible``, ``heartbeat_datastores``, ``version_vs_vcenter``);
* a run's ``tasks`` — every attempt per host: latest outcome, fault type / reason / output / message, and
  whether the last two attempts failed the same way;
* ``events`` — the HA event history and the run's events (same frame shape), per host;
* ``clusters`` — the cluster frame (isolation addresses, heartbeat datastores, config issues).

Which hosts are diagnosed: hosts of HA-enabled clusters that are not in maintenance mode and are unhealthy
(``das_state`` not ``master``/``connectedToMaster``, or not connected), plus every host whose latest attempt in
the run did not end ``success``/``skipped``/``not_launched``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from ..tables.categories import event_category
from ..vocabulary import DIAGNOSED_OUTCOMES, HEALTHY_DAS_STATES

__all__ = [
    "HostFacts",
    "gather",
    "bounded_lines",
    "bound_lines",
    "HEALTHY_STATES",
    "DIAGNOSED_OUTCOMES",
    "MAX_FIELD_CHARS",
    "MAX_LINE_CHARS",
]

#: the one definition (:data:`vsphere_nb.vocabulary.HEALTHY_DAS_STATES`), under the name the diagnosis uses
HEALTHY_STATES = HEALTHY_DAS_STATES
#: latest-attempt outcomes that make a host worth diagnosing even when its state looks fine now
#: event categories whose messages count as text evidence
#: what leads a host into its state is logged shortly before the change (the agent retries for minutes, an install
#: for up to an hour): evidence up to this long before the last state change still speaks about the current state;
#: older evidence describes an earlier episode
STATE_CHANGE_LEAD = timedelta(hours=6)
_TEXT_CATEGORIES = frozenset({"agent-error", "isolation", "partition", "network", "host-failure"})


_TELLING = re.compile(r"error|fail|abort|cannot|denied|timed out|not ", re.IGNORECASE)


def telling_first(lines: list[str]) -> list[str]:
    """Distinct lines, those that say what went wrong (error, failed, aborting …) first: the evidence line."""
    unique = list(dict.fromkeys(lines))
    flags = [bool(_TELLING.search(x)) for x in unique]
    return [x for x, f in zip(unique, flags) if f] + [x for x, f in zip(unique, flags) if not f]


@dataclass
class HostFacts:
    """Everything the rules may look at for one host. ``texts`` holds the lines per text key (order them with
    :func:`telling_first` to pick evidence), ``joined`` the same lines joined by newlines (one regex search per
    rule and key)."""

    values: dict[str, Any]
    texts: dict[str, list[str]]
    joined: dict[str, str] = field(default_factory=dict)
    #: (created_time as naive-UTC datetime, event_type_id, event_type, message, category), oldest first
    events: list[tuple[Any, str, str, str, str]] = field(default_factory=list)
    #: evidence before this (naive-UTC) time describes a problem that may be fixed: the host's last state change
    #: (less :data:`STATE_CHANGE_LEAD`) or its last successful attempt, whichever is newer
    fresh_since: Any = None
    #: text lines that healthy hosts of the same cluster carry too (host names blanked): no evidence for one host
    shared_lines: frozenset[str] = frozenset()
    #: a note on the agent log when it could not be read (no permission, no such log)
    log_note: str | None = None


def _col(frame: pd.DataFrame, name: str) -> list[Any]:
    """A column as Python values, missing values as ``None`` (vectorised: no per-cell checks)."""
    if name not in frame.columns:
        return [None] * len(frame)
    series = frame[name]
    values = series.astype(object)
    return values.where(series.notna().to_numpy(), None).tolist()


#: the most of one text field (a task's output, a fault message, a host's config issues, its event messages) the
#: rules read: the last 64 KB — how an agent's output ended is at its end
MAX_FIELD_CHARS = 64 * 1024
#: the most of one line the rules read: its first and last 2 KB (an error line states its point first, a line
#: that is a whole log squeezed into one ends with how it ended)
MAX_LINE_CHARS = 4 * 1024
_HALF_LINE = MAX_LINE_CHARS // 2


def _cut(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else f"{line[:_HALF_LINE]} … {line[-_HALF_LINE:]}"


def bounded_lines(text: Any) -> list[str]:
    """The lines of one text field as the rules see them: the field's last :data:`MAX_FIELD_CHARS` characters,
    non-empty stripped lines (``; `` separates config issues), each longer than :data:`MAX_LINE_CHARS` cut to its
    first and last 2 KB. Whatever a server wrote, a rule never searches more than this."""
    if not isinstance(text, str) or not text:
        return []
    return list(_split(text[-MAX_FIELD_CHARS:]))


def bound_lines(lines: list[str]) -> list[str]:
    """A list of lines (event messages) bounded like one field: each line cut like a field's lines, the last
    lines kept up to :data:`MAX_FIELD_CHARS` in all."""
    out: list[str] = []
    total = 0
    for line in reversed(lines):
        cut = _cut(line)
        total += len(cut) + 1
        if total > MAX_FIELD_CHARS:
            break
        out.append(cut)
    out.reverse()
    return out


@lru_cache(maxsize=4096)
def _split(text: str) -> tuple[str, ...]:
    """Non-empty stripped lines, each cut to :data:`MAX_LINE_CHARS`; cached: fleets repeat the same texts."""
    return tuple(_cut(line.strip()) for line in text.replace("; ", "\n").splitlines() if line.strip())


def _times(frame: pd.DataFrame, name: str) -> list[Any]:
    """A tz-aware time column as naive-UTC ``datetime`` objects (``None`` for missing): converted in C."""
    if name not in frame.columns:
        return [None] * len(frame)
    series = pd.to_datetime(frame[name], utc=True, errors="coerce")
    return series.dt.tz_localize(None).to_numpy(dtype="datetime64[us]").tolist()


def _count_list(text: Any) -> int | None:
    if text is None:
        return None
    if not isinstance(text, str):
        return None
    return len([p for p in text.split(",") if p.strip()])


def _tasks_by_host(tasks: pd.DataFrame | None) -> dict[tuple[Any, Any], list[dict[str, Any]]]:
    if tasks is None or not len(tasks):
        return {}
    frame = tasks[tasks["attempt"] > 0] if "attempt" in tasks.columns else tasks
    frame = frame.sort_values("attempt", kind="stable") if "attempt" in frame.columns else frame
    cols = ["vcenter", "host_moid", "host", "cluster", "attempt", "outcome", "fault_type", "fault_reason"]
    cols += ["fault_output", "fault_message", "das_state_after", "completed_at"]
    data = {c: _col(frame, c) for c in cols}
    out: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for i in range(len(frame)):
        row = {c: data[c][i] for c in cols}
        out.setdefault((row["vcenter"], row["host_moid"]), []).append(row)
    return out


def _events_index(events: pd.DataFrame | None) -> tuple[dict[Any, np.ndarray], dict[str, list[Any]]]:
    """Row positions per host (by ``host_moid``, then ``vcenter``) and the event columns as lists."""
    if events is None or not len(events) or "host_moid" not in events.columns:
        return {}, {}
    frame = events.sort_values("created_time", kind="stable") if "created_time" in events.columns else events
    frame = frame.reset_index(drop=True)
    keys = ["vcenter", "host_moid"] if "vcenter" in frame.columns else ["host_moid"]
    groups = frame.groupby(keys, observed=True, sort=False, dropna=True).indices
    type_ids = _col(frame, "event_type_id")
    types = _col(frame, "event_type")
    given = _col(frame, "category")  # absent or empty in runs saved before the column existed
    cats = [c or event_category(t or u) for c, t, u in zip(given, type_ids, types)]
    created = _times(frame, "created_time")
    messages = [_cut(m) if m else "" for m in _col(frame, "message")]
    ids = [t or u or "" for t, u in zip(type_ids, types)]
    names = [u or "" for u in types]
    cats = [c or "other" for c in cats]
    cols: dict[str, list[Any]] = {
        # one tuple per event, built once: (created_time, event_type_id, event_type, message, category)
        "tuple": list(zip(created, ids, names, messages, cats)),
        # the message when the event's category carries text evidence, else None
        "text": [m if (m and c in _TEXT_CATEGORIES) else None for m, c in zip(messages, cats)],
    }
    index: dict[Any, np.ndarray] = {}
    for key, rows in groups.items():
        k = key if isinstance(key, tuple) and len(keys) == 2 else (None, key[0] if isinstance(key, tuple) else key)
        index[k] = np.asarray(rows)
    return index, cols


def _cluster_facts(clusters: pd.DataFrame | None) -> dict[tuple[Any, Any], dict[str, Any]]:
    if clusters is None or not len(clusters):
        return {}
    names = [
        "vcenter",
        "cluster",
        "cluster_moid",
        "isolation_addresses",
        "heartbeat_datastores",
        "config_issues",
        "hosts",
        "hosts_unhealthy",
        "vsan_enabled",
    ]
    data = {c: _col(clusters, c) for c in names}
    out: dict[tuple[Any, Any], dict[str, Any]] = {}
    for i in range(len(clusters)):
        row = {c: data[c][i] for c in names}
        out[(row["vcenter"], row["cluster_moid"] or row["cluster"])] = row
        out.setdefault((row["vcenter"], row["cluster"]), row)
    return out


def _same_failure(attempts: list[dict[str, Any]]) -> bool:
    failed = [a for a in attempts if a["outcome"] in DIAGNOSED_OUTCOMES]
    if len(failed) < 2:
        return False
    a, b = failed[-2], failed[-1]
    return (a["fault_type"], a["fault_reason"], a["outcome"]) == (b["fault_type"], b["fault_reason"], b["outcome"])


def gather(
    hosts: pd.DataFrame,
    *,
    tasks: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    clusters: pd.DataFrame | None = None,
    logs: dict[tuple[Any, Any], Any] | None = None,
    now: Any = None,
) -> list[HostFacts]:
    """Facts of every host worth diagnosing (see the module doc), in the order of ``hosts``.

    ``logs`` maps ``(vcenter, host_moid)`` to the agent log's lines (or a note why it could not be read);
    ``now`` (naive UTC) is the reference time of ``state_age_minutes``."""
    attempts_of = _tasks_by_host(tasks)
    ev_index, ev = _events_index(events)
    cluster_of = _cluster_facts(clusters)
    cols = {
        c: _col(hosts, c)
        for c in (
            "vcenter",
            "cluster",
            "cluster_moid",
            "host",
            "host_moid",
            "das_state",
            "connection_state",
            "power_state",
            "in_maintenance",
            "ha_enabled",
            "config_issues",
            "datastores",
            "mgmt_vmknics",
            "datastores_accessible",
            "heartbeat_datastores",
            "version_vs_vcenter",
            "state_changed_at",
        )
    }
    changed = _times(hosts, "state_changed_at")
    cols["state_changed_at"] = changed
    shared = _shared_lines(hosts, cols, ev_index, ev)
    ctx = _Context(logs or {}, shared, now)
    # cluster sizes and unhealthy shares from the hosts frame itself (clusters frame optional)
    sizes: dict[tuple[Any, Any], list[int]] = {}
    for i in range(len(hosts)):
        key = (cols["vcenter"][i], cols["cluster"][i])
        size = sizes.setdefault(key, [0, 0])
        size[0] += 1
        if cols["das_state"][i] not in HEALTHY_STATES:
            size[1] += 1
    out: list[HostFacts] = []
    seen: set[tuple[Any, Any]] = set()
    for i in range(len(hosts)):
        key = (cols["vcenter"][i], cols["host_moid"][i])
        seen.add(key)
        attempts = attempts_of.get(key, [])
        last = attempts[-1] if attempts else None
        das_state = cols["das_state"][i]
        connected = cols["connection_state"][i] in (None, "connected")
        unhealthy = (das_state not in HEALTHY_STATES) or not connected
        failed = last is not None and last["outcome"] in DIAGNOSED_OUTCOMES
        skip = not unhealthy or cols["ha_enabled"][i] is False or cols["in_maintenance"][i] is True
        if skip and not failed:
            continue
        if not unhealthy and last is not None and failed and _recovered_since(last, cols["state_changed_at"][i]):
            continue  # healthy now, and its state changed after the attempt failed: the failure is history
        row = {c: cols[c][i] for c in cols}
        out.append(_facts(row, attempts, ev_index, ev, cluster_of, sizes, ctx))
    # hosts of the run that the hosts frame does not list (a saved run diagnosed with an older inventory)
    for key, attempts in attempts_of.items():
        if key in seen or attempts[-1]["outcome"] not in DIAGNOSED_OUTCOMES:
            continue
        last = attempts[-1]
        row = {
            "vcenter": last["vcenter"],
            "cluster": last["cluster"],
            "host": last["host"],
            "host_moid": last["host_moid"],
            "das_state": last["das_state_after"],
        }
        out.append(_facts(row, attempts, ev_index, ev, cluster_of, sizes, ctx))
    return out


def _facts(
    row: dict[str, Any],
    attempts: list[dict[str, Any]],
    ev_index: dict[Any, np.ndarray],
    ev: dict[str, list[Any]],
    cluster_of: dict[tuple[Any, Any], dict[str, Any]],
    sizes: dict[tuple[Any, Any], list[int]],
    ctx: _Context,
) -> HostFacts:
    last = attempts[-1] if attempts else None
    failed_attempts = [a for a in attempts if a["outcome"] in DIAGNOSED_OUTCOMES]
    evidence_attempt = failed_attempts[-1] if failed_attempts else last
    cluster = cluster_of.get((row.get("vcenter"), row.get("cluster_moid"))) or cluster_of.get(
        (row.get("vcenter"), row.get("cluster"))
    )
    size = sizes.get((row.get("vcenter"), row.get("cluster")), [0, 0])
    cluster_hosts = (cluster or {}).get("hosts") or size[0]
    datastores = _count_list(row.get("datastores"))
    accessible = row.get("datastores_accessible")
    values: dict[str, Any] = {
        "vcenter": row.get("vcenter"),
        "cluster": row.get("cluster"),
        "cluster_moid": row.get("cluster_moid"),
        "host": row.get("host"),
        "host_moid": row.get("host_moid"),
        "das_state": row.get("das_state"),
        "connection_state": row.get("connection_state"),
        "power_state": row.get("power_state"),
        "in_maintenance": row.get("in_maintenance"),
        "ha_enabled": row.get("ha_enabled"),
        "healthy": row.get("das_state") in HEALTHY_STATES,
        "outcome": last["outcome"] if last else None,
        "fault_type": evidence_attempt["fault_type"] if evidence_attempt else None,
        "fault_reason": evidence_attempt["fault_reason"] if evidence_attempt else None,
        "attempts": len(attempts),
        "attempts_failed": len(failed_attempts),
        "same_failure_repeated": _same_failure(attempts),
        # the fault comes from an attempt that a later attempt succeeded over: it describes a fixed problem
        "fault_stale": bool(failed_attempts) and last is not None and last["outcome"] == "success",
        "mgmt_vmknics": row.get("mgmt_vmknics"),
        "datastores": datastores,
        "datastores_accessible": accessible if accessible is not None else datastores,
        # the host's own heartbeat datastores (the primary's choice for it); the cluster's preferred list is a
        # setting, not what a host has, so it never stands in for the count
        "heartbeat_datastores": row.get("heartbeat_datastores"),
        "isolation_addresses": (cluster or {}).get("isolation_addresses") or "",
        "version_vs_vcenter": row.get("version_vs_vcenter"),
        "cluster_hosts": int(cluster_hosts or 0),
        "cluster_unhealthy_share": (size[1] / size[0]) if size[0] else None,
        "vsan_enabled": (cluster or {}).get("vsan_enabled"),
        "state_age_minutes": _age_minutes(row.get("state_changed_at"), ctx.now),
    }
    values["isolation_addresses_count"] = _count_list(values["isolation_addresses"]) or 0
    events: list[tuple[Any, str, str, str, str]] = []
    event_message: list[str] = []
    rows = ev_index.get((row.get("vcenter"), row.get("host_moid")))
    if rows is None:
        rows = ev_index.get((None, row.get("host_moid")))
    if rows is not None and len(rows):
        positions = rows.tolist()
        pick = itemgetter(*positions)
        events = [pick(ev["tuple"])] if len(positions) == 1 else list(pick(ev["tuple"]))
        texts_of = [pick(ev["text"])] if len(positions) == 1 else pick(ev["text"])
        event_message = bound_lines(list(dict.fromkeys(t for t in texts_of if t)))
    output = bounded_lines(evidence_attempt["fault_output"]) if evidence_attempt else []
    message = bounded_lines(evidence_attempt["fault_message"]) if evidence_attempt else []
    config_issue = bounded_lines(row.get("config_issues"))
    texts = {
        "output": output,
        "message": message,
        "config_issue": config_issue,
        "event_message": event_message,
        "cluster_config_issue": bounded_lines((cluster or {}).get("config_issues")),
    }
    log = ctx.logs.get((row.get("vcenter"), row.get("host_moid")))
    lines = [str(x).strip() for x in log if str(x).strip()] if isinstance(log, (list, tuple)) else []
    texts["agent_log"] = bound_lines(lines)  # the agent's log is server text too: bounded like the other fields
    texts["any_text"] = output + message + config_issue + event_message + texts["agent_log"]
    joined = {k: "\n".join(v) for k, v in texts.items()}
    successes = [a["completed_at"] for a in attempts if a["outcome"] == "success" and a["completed_at"] is not None]
    changed = row.get("state_changed_at")
    marks = [
        m
        for m in (
            changed - STATE_CHANGE_LEAD if changed is not None else None,
            _naive(successes[-1]) if successes else None,
        )
        if m is not None
    ]
    key = (row.get("vcenter"), row.get("cluster"))
    return HostFacts(
        values=values,
        texts=texts,
        joined=joined,
        events=events,
        fresh_since=max(marks) if marks else None,
        shared_lines=ctx.shared.get(key, frozenset()),
        log_note=log if isinstance(log, str) else None,
    )


@dataclass
class _Context:
    logs: dict[tuple[Any, Any], Any]
    shared: dict[tuple[Any, Any], frozenset[str]]
    now: Any


def _recovered_since(attempt: dict[str, Any], changed_at: Any) -> bool:
    """Whether a host's state changed (to the healthy state it is in now) after ``attempt`` ended."""
    ended = _naive(attempt.get("completed_at"))
    return ended is not None and changed_at is not None and changed_at > ended


def _naive(value: Any) -> Any:
    """A time as a naive-UTC ``datetime`` (``None`` stays ``None``)."""
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def _age_minutes(since: Any, now: Any) -> float | None:
    if since is None or now is None:
        return None
    return max(0.0, float((_naive(now) - since).total_seconds()) / 60.0)


def blank_host(line: str, host: Any) -> str:
    """A text line with the host's name blanked, so the same warning on two hosts compares equal."""
    return line.replace(str(host), "{host}") if host else line


def _shared_lines(
    hosts: pd.DataFrame, cols: dict[str, list[Any]], ev_index: dict[Any, np.ndarray], ev: dict[str, list[Any]]
) -> dict[tuple[Any, Any], frozenset[str]]:
    """Per (vcenter, cluster): the config issue lines and HA event messages its healthy hosts carry."""
    out: dict[tuple[Any, Any], set[str]] = {}
    for i in range(len(hosts)):
        if cols["das_state"][i] not in HEALTHY_STATES or cols["connection_state"][i] not in (None, "connected"):
            continue
        key = (cols["vcenter"][i], cols["cluster"][i])
        bag = out.setdefault(key, set())
        name = cols["host"][i]
        bag.update(blank_host(line, name) for line in bounded_lines(cols["config_issues"][i]))
        rows = ev_index.get((cols["vcenter"][i], cols["host_moid"][i]))
        if rows is not None:
            bag.update(blank_host(ev["tuple"][r][3], name) for r in rows.tolist() if ev["tuple"][r][3])
    return {k: frozenset(v) for k, v in out.items()}
