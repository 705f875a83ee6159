"""What the Launch panel shows as text: the dry run's summary, the limits in words, the per-cluster progress."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..batch.limits import BatchLimits
from ..batch.progress import Progress
from ..safetext import html_text
from ._util import html_table

__all__ = ["plan_summary_html", "cluster_progress_html", "limits_text"]


def plan_summary_html(plan: Any) -> str:
    """The dry run in two lines: how many hosts launch where, how many are skipped and why, the limits."""
    e = html_text
    frame = plan.to_frame()
    launch = frame[frame["skip_reason"].isna()]
    skipped = frame[frame["skip_reason"].notna()]
    clusters = launch[["vcenter", "cluster"]].drop_duplicates().shape[0] if len(launch) else 0
    vcenters = launch["vcenter"].nunique() if len(launch) else 0
    attempt = int(launch["attempt"].max()) if len(launch) else 1
    where = f"{clusters} cluster(s)" + (f" on {vcenters} vCenters" if vcenters > 1 else "")
    head = (
        f"<div><b>Dry run</b>{' (retry, attempt ' + str(attempt) + ')' if attempt > 1 else ''}: "
        f"<b>{len(launch)}</b> host(s) to launch in {where}, <b>{len(skipped)}</b> skipped — nothing launched "
        f"yet.</div><div><b>Limits:</b> {e(limits_text(plan.limits, len(launch)))}.</div>"
    )
    parts = [head]
    flagged = launch[launch["flag"].notna()] if "flag" in launch.columns else launch.iloc[0:0]
    if len(flagged):
        kinds = flagged["flag"].astype(str).value_counts()
        parts.append(
            "<div class='vnb-plan-flagged' style='color:#b35900'><b>Warning: "
            f"{len(flagged)} host(s) will not be helped by a reconfigure</b> ("
            + "; ".join(f"{e(str(k))} ×{int(n)}" for k, n in kinds.items())
            + "): they launch only if you tick the box when you confirm.</div>"
        )
    if len(skipped):
        reasons = skipped["skip_reason"].astype(str).value_counts()
        parts.append(
            "<div><b>Skipped, by reason:</b> "
            + "; ".join(f"{e(str(reason))} ({int(n)})" for reason, n in reasons.items())
            + "</div>"
        )
    return "".join(parts)


def cluster_progress_html(snap: Progress) -> str:
    """One row per cluster of a run's progress: hosts, finished (launched and ended), failed, not launched,
    running."""
    columns = ["cluster", "hosts", "finished", "failed", "not launched", "running"]
    frame = pd.DataFrame(
        [
            {
                "cluster": c or "(standalone)",
                "hosts": v.get("total", 0),
                "finished": v.get("finished", v.get("done", 0)),
                "failed": v.get("failed", 0),
                "not launched": v.get("not_launched", 0),
                "running": v.get("running", 0),
            }
            for c, v in sorted(snap.clusters.items())
        ],
        columns=columns,
    )
    return html_table(frame, list(frame.columns), max_rows=200, what="clusters")


def limits_text(limits: BatchLimits, planned: int | None = None) -> str:
    """The limits in words (:meth:`BatchLimits.in_words`), one sentence after the other."""
    return "; ".join(limits.in_words(planned))
