"""A run's live progress, as the Launch panel shows it: the bar and its one-line status, the header's chips (hosts
per live state during a run, per outcome after it; a click filters the host table), the per-cluster table and the
hosts past ``pending``, latest change first.

:meth:`RunProgressView.show` is called with the engine's newest :class:`~vsphere_nb.batch.progress.Progress`
snapshot from the panel's update thread, under the shared state ``lock``; a chip click re-filters under the same
lock from the kernel thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import ipywidgets as widgets

from ..batch.progress import HOST_STATES, Progress
from ..safetext import html_text
from ._util import status_html, styled
from .chips import ChipBar, color_of
from .plan_view import cluster_progress_html

__all__ = ["RunProgressView", "STATE_ORDER", "RUNNING_TITLE", "ENDED_TITLE"]

#: the chips' order: the run's live host states (a host still pending has no chip), then the hosts the plan skipped
STATE_ORDER: tuple[str, ...] = (*(state for state in HOST_STATES if state != "pending"), "skipped")
_WIDE = {"description_width": "initial"}
#: what the chips count: the hosts of the run under way, then (once it ended) that run's outcomes
RUNNING_TITLE = "Hosts:"
ENDED_TITLE = "Last run:"


class RunProgressView:
    """:attr:`progress` (the bar), :attr:`progress_text`, :attr:`chips`, :attr:`cluster_table`, :attr:`host_table`
    (at most ``max_host_rows`` hosts)."""

    def __init__(self, lock: threading.RLock | threading.Lock, *, max_host_rows: int = 100) -> None:
        self._lock = lock
        self.max_host_rows = max_host_rows
        self.progress = styled(
            widgets.IntProgress(
                value=0,
                min=0,
                max=1,
                description="Progress",
                bar_style="info",
                style=_WIDE,
                layout=widgets.Layout(width="60%"),
            ),
            "vnb-progress",
        )
        self.progress_text = styled(widgets.HTML(value=""), "vnb-progress-text")
        self.cluster_table = styled(widgets.HTML(value=""), "vnb-cluster-progress")
        self.host_table = styled(widgets.HTML(value=""), "vnb-host-states")
        self.chips = ChipBar(title=RUNNING_TITLE, css="vnb-launch-chips")
        self.chips.on_change(lambda _v: self._refilter_hosts())
        self._last_snap: Progress | None = None
        #: each host's latest state and when it changed (a sequence number): the host table's order
        self._host_order: dict[tuple[str, str], tuple[str, int]] = {}
        self._seq = 0

    def start(self) -> None:
        """A new run: no host has changed state yet; the chips count this run's hosts."""
        self._host_order, self._seq = {}, 0
        self.chips.set_title(RUNNING_TITLE)

    def clear(self) -> None:
        """A new plan: the last run's progress is history."""
        with self.progress.hold_sync():
            self.progress.value, self.progress.max = 0, 1
            self.progress.description, self.progress.bar_style = "Progress", "info"
        self.progress_text.value = self.cluster_table.value = self.host_table.value = ""

    def show(self, snap: Progress) -> None:
        """Show a snapshot (the caller holds the lock)."""
        for key, (_name, _cluster, host_state, _pct) in snap.hosts.items():
            previous = self._host_order.get(key)
            if previous is None or previous[0] != host_state:
                self._seq += 1
                self._host_order[key] = (host_state, self._seq)
        with self.progress.hold_sync():
            self.progress.max = max(snap.total, 1)
            self.progress.value = snap.done
            self.progress.bar_style = (
                "danger"
                if snap.stop_reason
                else "warning"
                if snap.failed or snap.not_launched
                else "success"
                if snap.finished
                else "info"
            )
            # launched-and-ended hosts only: a host that never launched is not "done"
            self.progress.description = f"{snap.completed} of {snap.total} finished"
        self.progress_text.value = status_html(snap.line(), "error" if snap.stop_reason else "info")
        self.cluster_table.value = cluster_progress_html(snap)
        self._last_snap = snap
        states = {k: v for k, v in snap.states.items() if k != "pending"}
        self.chips.set_counts(states, order=STATE_ORDER)
        self.host_table.value = self._hosts_html(snap)

    def show_outcomes(self, counts: Mapping[str, int]) -> None:
        """After the run: the chips count hosts per outcome, and say they belong to the last run (a new plan
        shown below them is not that run)."""
        self.chips.set_title(ENDED_TITLE)
        self.chips.set_counts(dict(counts), order=STATE_ORDER)

    def _refilter_hosts(self) -> None:
        with self._lock:
            if self._last_snap is not None:
                self.host_table.value = self._hosts_html(self._last_snap)

    def _hosts_html(self, snap: Progress) -> str:
        wanted = set(self.chips.value)
        active = [
            (seq, key)
            for key, (st, seq) in self._host_order.items()
            if st != "pending" and (not wanted or st in wanted)
        ]
        active.sort(reverse=True)
        rows = []
        for _seq, key in active[: self.max_host_rows]:
            name, cluster, host_state, pct = snap.hosts.get(key, (key[1], "", "?", None))
            color = color_of(host_state)
            rows.append(
                f"<tr><td>{html_text(str(name))}</td><td>{html_text(str(cluster or ''))}</td>"
                f"<td>{html_text(str(key[0]))}</td>"
                f"<td><span style='color:{color};font-weight:bold'>●</span> {html_text(host_state)}</td>"
                f"<td>{'' if pct is None else f'{int(pct)} %'}</td></tr>"
            )
        if not rows:
            return "<i>no host in these states</i>" if wanted else "<i>no host started yet</i>"
        note = (
            f"latest {len(rows)} of {len(active)} hosts past pending"
            if len(active) > len(rows)
            else f"{len(active)} hosts past pending"
        )
        return (
            f'<div class="vnb-note"><small>{note}, latest change first</small></div>'
            '<table class="vnb-table" style="white-space:nowrap">'
            "<thead><tr><th>host</th><th>cluster</th><th>vCenter</th><th>state</th><th>task</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
