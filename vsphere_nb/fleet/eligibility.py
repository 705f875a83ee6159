"""Pre-flight eligibility: which hosts *Reconfigure for vSphere HA* can be launched on, and why not.

A pure function of the hosts frame (no network), so the same rules apply to a live inventory, a saved one and a
test fixture. The rules, in the order their reasons are listed in ``skip_reason`` (all that apply, ``"; "``-joined):

===================================================  ===========================================================
``connection_state`` ``disconnected``                 ``host disconnected`` — vCenter cannot reach the host agent
``connection_state`` ``notResponding``                ``host not responding``
``power_state`` ``poweredOff`` / ``standBy``          ``host powered off`` / ``host in standby mode``
``in_maintenance``                                    ``in maintenance mode`` — HA is deliberately off there
no ``cluster``                                        ``standalone host (not in a cluster)``
``ha_enabled`` false                                  ``vSphere HA not enabled on the cluster``
``ReconfigureHostForDAS_Task`` in ``disabled_methods`` ``ReconfigureHostForDAS_Task is disabled on the host``
a property above unreadable (``data_issues``)         ``runtime.connectionState unreadable (see data_issues)``
===================================================  ===========================================================

An unreadable value never makes a host eligible: when ``data_issues`` says that a property these rules read
(:data:`ELIGIBILITY_PROPERTIES`: the host's connection and power state, maintenance flag, parent, disabled
methods, or its cluster's ``configurationEx``) did not decode as its declared type or had an unusable shape, the
cell it fills is empty and proves nothing, so the host is not eligible and ``skip_reason`` names the property.
Other data issues (a datastore list, the config issues, a property the server reported as not readable) do not
change eligibility.

A column that is absent disables its rule (a value that is missing counts as false/unknown). ``eligible`` and
``skip_reason`` are recomputed from scratch, so calling :func:`preflight` twice gives the same frame.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..vocabulary import HEALTHY_DAS_STATES, UNHEALTHY

__all__ = [
    "preflight",
    "unhealthy_mask",
    "unhealthy_only",
    "eligible_only",
    "unreadable_properties",
    "SKIP_REASONS",
    "ELIGIBILITY_PROPERTIES",
    "METHOD",
    "UNHEALTHY",
]

#: the method a host must not have in ``disabledMethod``
METHOD = "ReconfigureHostForDAS_Task"

#: every reason text preflight can give
SKIP_REASONS: tuple[str, ...] = (
    "host disconnected",
    "host not responding",
    "host powered off",
    "host in standby mode",
    "in maintenance mode",
    "standalone host (not in a cluster)",
    "vSphere HA not enabled on the cluster",
    f"{METHOD} is disabled on the host",
)

_SPLIT = re.compile(r"[\s,;]+")

#: properties the rules above read (through the columns they fill): an unreadable value of one makes the host
#: ineligible
ELIGIBILITY_PROPERTIES: tuple[str, ...] = (
    "runtime.connectionState",
    "runtime.powerState",
    "runtime.inMaintenanceMode",
    "parent",
    "disabledMethod",
    "configurationEx",
)
#: how ``data_issues`` says a value could not be used (``inventory``: an undecodable value, an unusable shape)
_UNREADABLE_MARKS = ("undecodable", "unusable value")


def unreadable_properties(data_issues: Any) -> list[str]:
    """The :data:`ELIGIBILITY_PROPERTIES` a host's ``data_issues`` cell names as undecodable or unusable."""
    if not isinstance(data_issues, str) or not data_issues:
        return []
    return [
        prop for prop in ELIGIBILITY_PROPERTIES if any(f"{prop}: {mark}" in data_issues for mark in _UNREADABLE_MARKS)
    ]


def unreadable_reason(prop: str) -> str:
    """The ``skip_reason`` text for an unreadable eligibility property."""
    return f"{prop} unreadable (see data_issues)"


def _text(df: pd.DataFrame, column: str) -> np.ndarray | None:
    if column not in df.columns:
        return None
    series = df[column]
    values = series.astype(object).to_numpy()
    return np.where(series.isna().to_numpy(), "", values).astype(object)


def _flag(df: pd.DataFrame, column: str) -> np.ndarray | None:
    if column not in df.columns:
        return None
    try:
        return df[column].astype("boolean").fillna(False).to_numpy(dtype=bool)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"hosts column {column!r} must hold true/false values") from exc


def _method_disabled(value: Any) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return False
    if isinstance(value, str):
        return METHOD in _SPLIT.split(value)
    try:
        return any(str(v) == METHOD for v in value)
    except TypeError:
        return False


def preflight(hosts: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``hosts`` with ``eligible`` (bool) and ``skip_reason`` (category, ``NaN`` when eligible)."""
    if not isinstance(hosts, pd.DataFrame):
        raise ConfigError("preflight expects the hosts DataFrame")
    missing = [c for c in ("host", "host_moid", "cluster") if c not in hosts.columns]
    if missing:
        raise ConfigError(f"hosts frame lacks column(s): {', '.join(missing)}")
    df = hosts.copy()
    n = len(df)
    rules: list[tuple[Any, str]] = []
    conn = _text(df, "connection_state")
    if conn is not None:
        rules.append((conn == "disconnected", SKIP_REASONS[0]))
        rules.append((conn == "notResponding", SKIP_REASONS[1]))
    power = _text(df, "power_state")
    if power is not None:
        rules.append((power == "poweredOff", SKIP_REASONS[2]))
        rules.append((power == "standBy", SKIP_REASONS[3]))
    maint = _flag(df, "in_maintenance")
    if maint is not None:
        rules.append((maint, SKIP_REASONS[4]))
    cluster = _text(df, "cluster")
    standalone = cluster == ""
    cluster_moid = _text(df, "cluster_moid")
    if cluster_moid is not None:
        standalone = standalone & (cluster_moid == "")
    rules.append((standalone, SKIP_REASONS[5]))
    ha = _flag(df, "ha_enabled")
    if ha is not None:
        rules.append((~ha & ~standalone, SKIP_REASONS[6]))
    if "disabled_methods" in df.columns:
        disabled = np.fromiter((_method_disabled(v) for v in df["disabled_methods"].tolist()), dtype=bool, count=n)
        rules.append((disabled, SKIP_REASONS[7]))

    unreadable: dict[int, list[str]] = {}
    if "data_issues" in df.columns:
        cells = df["data_issues"].tolist()
        for i in np.flatnonzero(df["data_issues"].notna().to_numpy()):
            props = unreadable_properties(cells[i])
            if props:
                unreadable[int(i)] = props

    any_reason = np.zeros(n, dtype=bool)
    for mask, _ in rules:
        any_reason |= mask
    any_reason[list(unreadable)] = True
    reasons = np.full(n, None, dtype=object)
    for i in np.flatnonzero(any_reason):
        props = unreadable.get(int(i), [])
        # a cluster whose configuration did not decode counts as HA off in its column: say why, not "not enabled"
        texts = [
            text for mask, text in rules if mask[i] and not (text == SKIP_REASONS[6] and "configurationEx" in props)
        ]
        texts += [unreadable_reason(prop) for prop in props]
        reasons[i] = "; ".join(texts)
    df["eligible"] = ~any_reason
    df["skip_reason"] = pd.Categorical(reasons)
    return df


def _das_state(df: pd.DataFrame) -> pd.Series:
    if "das_state" not in df.columns:
        raise ConfigError("hosts frame lacks column 'das_state'")
    return df["das_state"].astype(object)


def unhealthy_mask(hosts: pd.DataFrame) -> np.ndarray:
    """:data:`UNHEALTHY`, one boolean per row: ``ha_enabled`` true (a standalone host or an HA-disabled cluster is
    never unhealthy: HA is not asked of it), and ``das_state`` not ``master``/``connectedToMaster`` (a missing
    state counts as unhealthy) or ``connection_state`` not ``connected``. The one definition of the word."""
    agent_bad = ~_das_state(hosts).isin(HEALTHY_DAS_STATES).to_numpy(dtype=bool)
    if "connection_state" in hosts.columns:
        agent_bad |= hosts["connection_state"].astype(object).ne("connected").to_numpy(dtype=bool)
    if "ha_enabled" in hosts.columns:
        ha = hosts["ha_enabled"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:  # an older frame: HA is at least possible for a host in a cluster
        cluster = _text(hosts, "cluster")
        ha = np.ones(len(hosts), dtype=bool) if cluster is None else cluster != ""
    return np.asarray(ha & agent_bad, dtype=bool)


def unhealthy_only(hosts: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`unhealthy_mask`."""
    return hosts[unhealthy_mask(hosts)]


def eligible_only(hosts: pd.DataFrame) -> pd.DataFrame:
    """Rows pre-flight lets through (runs :func:`preflight` first when ``eligible`` is absent)."""
    if "eligible" not in hosts.columns:
        hosts = preflight(hosts)
    return hosts[hosts["eligible"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
