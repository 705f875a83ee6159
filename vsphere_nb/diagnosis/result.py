"""The :class:`Diagnosis` result: ``.hosts`` (one row per diagnosed host), ``.summary`` (per cause), a triage
board as ``_repr_html_``, ``save()`` next to a run's frames and :func:`load_diagnosis` back."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, RunDirectoryError
from ..run_files import refuse_link
from ..safetext import html_text
from ..tables.columns import DIAGNOSIS_COLUMNS, DIAGNOSIS_SUMMARY_COLUMNS, diagnosis_frame
from ..tables.palette import cause_color
from ..vocabulary import label
from .facts import HostFacts
from .rules import CAUSES

__all__ = ["Diagnosis", "load_diagnosis"]

_FILE = "diagnosis"
_HTML_ROWS = 200


def _summary(hosts: pd.DataFrame) -> pd.DataFrame:
    rows = []
    if len(hosts):
        for cause, group in hosts.groupby("cause", observed=True, sort=False):
            scopes = set(group["scope"].astype(str))
            scope = scopes.pop() if len(scopes) == 1 else "mixed"
            first = group.sort_values(["scope", "host"], key=lambda s: s.astype(str)).iloc[0]
            rows.append(
                {
                    "cause": str(cause),
                    "hosts": len(group),
                    "clusters": group["cluster"].astype(object).dropna().nunique(),
                    "scope": scope,
                    "example_host": str(first["host"]),
                    "next_step": str(first["next_step"]),
                }
            )
    frame = pd.DataFrame(rows, columns=DIAGNOSIS_SUMMARY_COLUMNS)
    if len(frame):
        frame = frame.sort_values(["hosts", "cause"], ascending=[False, True], kind="stable").reset_index(drop=True)
    frame["cause"] = pd.Categorical(frame["cause"], categories=list(CAUSES))
    return frame


class Diagnosis:
    """Why HA is broken, host by host: ``.hosts``, ``.summary``, ``.hosts_for(cause)``, ``.detail(host)``;
    ``.events`` and ``.clusters`` are the inputs it read."""

    def __init__(
        self,
        hosts: pd.DataFrame,
        *,
        facts: dict[tuple[str | None, str | None], HostFacts] | None = None,
        run_dir: str | os.PathLike[str] | None = None,
        events: pd.DataFrame | None = None,
        clusters: pd.DataFrame | None = None,
        faults: pd.DataFrame | None = None,
    ) -> None:
        self.hosts = hosts
        self.summary = _summary(hosts)
        self._facts = facts or {}
        self.run_dir = Path(run_dir) if run_dir is not None else None
        #: the events the diagnosis read (HA history and the run's, one frame), for timelines and charts
        self.events = events
        #: the cluster frame it used (HA settings per cluster), if any
        self.clusters = clusters
        #: the run's fault chains (``faults`` frame), if a run was given
        self.faults = faults

    def __len__(self) -> int:
        return len(self.hosts)

    def hosts_for(self, cause: str) -> pd.DataFrame:
        """The diagnosed hosts of one cause (e.g. to select them for a launch or a retry)."""
        if cause not in CAUSES:
            raise ConfigError(f"unknown cause {cause!r} (one of {', '.join(CAUSES)})")
        return self.hosts[self.hosts["cause"] == cause]

    def detail(self, host: str | tuple[str, str], vcenter: str | None = None) -> dict[str, Any]:
        """One host's diagnosis, facts, cluster HA settings, fault chain (last failed task), task output and event
        timeline (history and run together). ``host`` is a ``(vcenter, host_moid)`` key, or a name or moId (with
        ``vcenter`` when two vCenters have a host of that name or moId)."""
        frame = self.hosts
        if isinstance(host, tuple) and len(host) == 2:
            vcenter, host = host
        if vcenter is not None:
            frame = frame[frame["vcenter"].astype(str) == str(vcenter)]
        match = frame[(frame["host"].astype(str) == str(host)) | (frame["host_moid"].astype(str) == str(host))]
        if not len(match):
            raise ConfigError(f"host {host!r} is not in this diagnosis")
        if match["vcenter"].astype(str).nunique() > 1:
            where = ", ".join(sorted(match["vcenter"].astype(str).unique()))
            raise ConfigError(f"host {host!r} is in several vCenters ({where}): pass (vcenter, host_moid)")
        row = match.iloc[0]
        facts = self._facts.get((row["vcenter"], row["host_moid"]))
        timeline = pd.DataFrame(
            facts.events if facts else [],
            columns=["created_time", "event_type_id", "event_type", "message", "category"],
        )
        timeline["created_time"] = pd.to_datetime(timeline["created_time"], utc=True)  # naive UTC in the facts
        cluster: dict[Any, Any] = {}
        if self.clusters is not None and len(self.clusters) and "cluster" in self.clusters.columns:
            same = self.clusters["cluster"].astype(str) == str(row["cluster"])
            if "vcenter" in self.clusters.columns:
                same &= self.clusters["vcenter"].astype(str) == str(row["vcenter"])
            match_c = self.clusters[same]
            cluster = {k: _shown(v) for k, v in match_c.iloc[0].to_dict().items()} if len(match_c) else {}
        chain = pd.DataFrame(columns=["task_moid", "depth", "fault_type", "fault_reason", "message", "output"])
        if self.faults is not None and len(self.faults) and "host_moid" in self.faults.columns:
            mine = self.faults["host_moid"].astype(str) == str(row["host_moid"])
            if "vcenter" in self.faults.columns:
                mine &= self.faults["vcenter"].astype(str) == str(row["vcenter"])
            own = self.faults[mine]
            if len(own):
                last_task = (
                    own["task_moid"].astype(object).dropna().iloc[-1] if own["task_moid"].notna().any() else None
                )
                if last_task is not None:
                    own = own[own["task_moid"].astype(object) == last_task]
                chain = own[[c for c in chain.columns if c in own.columns]].sort_values("depth")
        return {
            "cluster": cluster,
            "fault_chain": chain,
            "diagnosis": row.to_dict(),
            "facts": dict(facts.values) if facts else {},
            "output": (facts.texts.get("output") if facts else []) or [],
            "timeline": timeline,
        }

    def __repr__(self) -> str:
        parts = ", ".join(f"{r.cause}={r.hosts}" for r in self.summary.itertuples())
        return f"<Diagnosis {len(self.hosts)} hosts: {parts or 'nothing to diagnose'}>"

    # -- HTML ------------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        return triage_board_html(self)

    # -- files -----------------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike[str] | None = None) -> Path:
        """Write ``diagnosis.parquet``, ``diagnosis.csv`` and ``diagnosis_summary.csv`` into ``directory``
        (default: the run's directory); ``evidence`` is a list in Parquet and JSON text in CSV."""
        target = Path(directory) if directory is not None else self.run_dir
        if target is None:
            raise ConfigError("save() needs a directory (this diagnosis has no run directory)")
        try:
            target.mkdir(parents=True, exist_ok=True)
            for name in (f"{_FILE}.parquet", f"{_FILE}.csv", f"{_FILE}_summary.csv"):
                refuse_link(target / name)  # a run directory's files are never written through links
            frame = self.hosts.copy()
            frame.to_parquet(target / f"{_FILE}.parquet", index=False)
            csv = frame.copy()
            csv["evidence"] = [json.dumps(list(e), ensure_ascii=False) for e in csv["evidence"]]
            csv.to_csv(target / f"{_FILE}.csv", index=False)
            self.summary.to_csv(target / f"{_FILE}_summary.csv", index=False)
        except OSError as exc:
            raise RunDirectoryError(f"cannot save the diagnosis to {target}: {exc.strerror or exc}") from exc
        return target


def _shown(value: Any) -> Any:
    """A cluster setting as shown: a missing value reads "not set", never ``nan``."""
    try:
        missing = value is None or (not isinstance(value, (list, tuple, dict)) and bool(pd.isna(value)))
    except (TypeError, ValueError):
        missing = False
    return "not set" if missing else value


def load_diagnosis(directory: str | os.PathLike[str]) -> Diagnosis:
    """A diagnosis saved by :meth:`Diagnosis.save` (Parquet, else CSV)."""
    path = Path(directory)
    try:
        if (path / f"{_FILE}.parquet").exists():
            frame = pd.read_parquet(path / f"{_FILE}.parquet")
            frame["evidence"] = [list(e) if e is not None else [] for e in frame["evidence"]]
        elif (path / f"{_FILE}.csv").exists():
            frame = pd.read_csv(path / f"{_FILE}.csv", dtype=str, keep_default_na=False)
            frame["evidence"] = [json.loads(e) if e else [] for e in frame["evidence"]]
        else:
            raise RunDirectoryError(f"{path} holds no saved diagnosis")
    except (OSError, ValueError) as exc:
        raise RunDirectoryError(f"the diagnosis in {path} is unreadable: {exc}") from None
    for col in DIAGNOSIS_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    return Diagnosis(diagnosis_frame(frame[DIAGNOSIS_COLUMNS].copy()), run_dir=path)


def _e(value: Any) -> str:
    """Server text made safe for HTML (:func:`vsphere_nb.safetext.html_text`; a list shown as its items)."""
    return html_text(value)


def triage_board_html(diagnosis: Diagnosis, *, max_rows: int = _HTML_ROWS) -> str:
    """The triage board: one card per cause (hosts, clusters, scope, next step), then the hosts table."""
    hosts, summary = diagnosis.hosts, diagnosis.summary
    if not len(hosts):
        return "<div class='vsnb-diagnosis'><b>Diagnosis</b>: no unhealthy or failed host.</div>"
    cards = []
    r: Any  # a row of the frame (itertuples)
    for r in summary.itertuples():
        colour = cause_color(str(r.cause))
        cards.append(
            f"<div style='border-left:6px solid {colour};padding:4px 8px;margin:4px 0;background:#fafafa'>"
            f"<b>{_e(r.cause)}</b> — {int(r.hosts)} host(s), {int(r.clusters)} cluster(s), scope <i>{_e(r.scope)}</i>"
            f" (e.g. {_e(r.example_host)})<br><span style='color:#444'>{_e(r.next_step)}</span></div>"
        )
    body = []
    shown = hosts.sort_values(["cause", "cluster", "host"], key=lambda s: s.astype(str)).head(max_rows)
    for r in shown.itertuples():
        colour = cause_color(str(r.cause))
        evidence = "".join(f"<li>{_e(x)}</li>" for x in (r.evidence or []))
        name = "<td style='white-space:nowrap'>"  # names, states and causes never break inside a word
        body.append(
            "<tr>"
            f"{name}{_e(r.cluster)}</td>{name}{_e(r.host)}</td>{name}{_e(r.das_state)}</td>"
            f"<td style='color:{colour};font-weight:bold;white-space:nowrap'>{_e(r.cause)}</td>"
            f"{name}{_e(r.confidence)}</td>"
            f"{name}{_e(r.scope)}</td><td><ul style='margin:0;padding-left:1em'>{evidence}</ul></td>"
            f"<td>{_e(r.next_step)}</td><td>{_e(r.reference)}</td></tr>"
        )
    more = f"<p>… {len(hosts) - max_rows} more host(s) in <code>.hosts</code></p>" if len(hosts) > max_rows else ""
    head = "".join(
        f"<th style='text-align:left'>{_e(label(h))}</th>"
        for h in ("cluster", "host", "das_state", "cause", "confidence", "scope", "evidence", "next_step", "reference")
    )
    return (
        "<div class='vsnb-diagnosis'>"
        f"<h4 style='margin:4px 0'>Diagnosis: {len(hosts)} host(s), {len(summary)} cause(s)</h4>"
        + "".join(cards)
        + f"<table style='font-size:90%'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        + more
        + "</div>"
    )
