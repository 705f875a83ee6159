"""``DiagnosePanel``: the triage board — why HA broke, cause by cause — with a host detail and two charts.

* **Diagnose** runs :meth:`Client.diagnose <vsphere_nb.sync.Client.diagnose>` (with the latest run of the shared
  state, if any) on a background thread, so the kernel never blocks; a loaded diagnosis can be shown with
  :meth:`show` (``DiagnosePanel(diagnosis=vsphere_nb.diagnose(...))`` works offline, e.g. on a saved run).
* The board lists the causes (hosts, clusters, scope, the next step of an example host); pick a cause to see its
  hosts, and **Select these hosts** puts them into the shared selection for a launch or a retry.
* The host detail shows the diagnosis (cause, confidence, scope, evidence, next step, reference), the cluster's HA
  settings, the fault output and the state/event timeline (history and run together).
* Charts: causes by cluster, and an event swimlane of the selected cause's hosts (hosts × time, one marker per
  event category).

Everything a server wrote is escaped before it is shown.
"""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as widgets

from ..diagnosis import Diagnosis
from ..diagnosis import charts as diagnosis_charts
from ..safetext import html_text
from ..tables.palette import cause_color
from ._util import MPL_LOCK, Panel, chart_image, html_table, styled

__all__ = ["DiagnosePanel"]

#: the columns of the panel's hosts table (a few of ``Diagnosis.hosts``)
BOARD_COLUMNS = ["vcenter", "cluster", "host", "das_state", "confidence", "scope", "next_step"]
TIMELINE_COLUMNS = ["created_time", "category", "event_type_id", "message"]
ALL = ""


def _e(value: Any) -> str:
    return html_text(value)


def _png(fig: Any) -> bytes:
    # lazy: matplotlib loads with the first chart drawn
    from ..batch.charts import figure_png

    with MPL_LOCK:
        return figure_png(fig)


class DiagnosePanel(Panel):
    """Why HA broke: a triage board over :class:`~vsphere_nb.diagnosis.Diagnosis`."""

    name = "diagnose"

    def __init__(self, state: Any = None, *, diagnosis: Diagnosis | None = None, charts: bool = True) -> None:
        super().__init__(state)
        self.charts = charts
        self.diagnosis: Diagnosis | None = None
        self._worker: threading.Thread | None = None
        self.since = widgets.Text(value="72h", description="history", layout=widgets.Layout(width="180px"))
        self.rules = widgets.Text(
            value="",
            placeholder="site-rules.yaml (optional)",
            description="rules",
            layout=widgets.Layout(width="320px"),
        )
        self.diagnose_button = styled(widgets.Button(description="Diagnose", icon="stethoscope"), "vnb-diagnose-run")
        self.board = styled(widgets.HTML(value="<i>not diagnosed yet</i>"), "vnb-diagnose-board")
        self.cause = styled(
            widgets.Dropdown(options=[("(all causes)", ALL)], description="cause"), "vnb-diagnose-cause"
        )
        self.select_button = styled(
            widgets.Button(description="Select these hosts", disabled=True), "vnb-diagnose-select"
        )
        self.select_fixable_button = styled(
            widgets.Button(
                description="Select the hosts a reconfigure can fix", disabled=True, layout=widgets.Layout(width="auto")
            ),
            "vnb-diagnose-select-fixable",
        )
        self.hosts_table = styled(widgets.HTML(value=""), "vnb-diagnose-hosts")
        self.host = styled(widgets.Dropdown(options=[], description="host"), "vnb-diagnose-host")
        self.detail = styled(widgets.HTML(value=""), "vnb-diagnose-detail")
        self.causes_chart = chart_image("vnb-diagnose-causes-chart")
        self.swimlane_chart = chart_image("vnb-diagnose-swimlane")
        self.diagnose_button.on_click(self.action(self._start, "diagnose"))
        self.select_button.on_click(self.action(self._select, "select"))
        self.select_fixable_button.on_click(self.action(self.select_fixable, "select"))
        self.state.observe(self.observer(self._run_finished, "diagnose"), "run")
        self.cause.observe(self.observer(lambda _c: self._show_cause(), "cause"), "value")
        self.host.observe(self.observer(lambda _c: self._show_host(), "host"), "value")
        # one chart per row at the panel's width (side by side they were squeezed and stretched out of aspect)
        box = widgets.Layout(width="100%")
        charts_box = widgets.VBox([self.causes_chart, self.swimlane_chart] if charts else [], layout=box)
        self._finish_layout(
            widgets.HBox([self.since, self.rules, self.diagnose_button]),
            self.board,
            widgets.HBox([self.cause, self.select_button, self.select_fixable_button]),
            self.hosts_table,
            self.host,
            self.detail,
            charts_box,
        )
        if diagnosis is not None:
            self.show(diagnosis)

    # -- running ---------------------------------------------------------------------------------
    def _start(self) -> None:
        client = self.state.client
        if client is None:
            self.set_status("connect first (Connect tab), or show a diagnosis with panel.show(d)", "warn")
            return
        if self._worker is not None and self._worker.is_alive():
            return
        since, rules, run = self.since.value.strip() or "72h", self.rules.value.strip() or None, self.state.run
        self.diagnose_button.disabled = True
        self.set_status("reading the fleet, the clusters and the HA history …", "busy")

        def work() -> None:
            try:
                result = client.diagnose(run=run, since=since, rules=rules)
                with self.state.lock:
                    self.show(result)
            except Exception as exc:
                with self.state.lock:
                    self.report(exc, "diagnose")
            finally:
                self.diagnose_button.disabled = False

        self._worker = threading.Thread(target=work, name="vsphere-nb-diagnose", daemon=True)
        self._worker.start()

    def wait(self, timeout: float = 60.0) -> None:
        """Block until a running diagnosis has been shown (for scripts and tests)."""
        if self._worker is not None:
            self._worker.join(timeout)

    # -- showing ---------------------------------------------------------------------------------
    def show(self, diagnosis: Diagnosis) -> None:
        """Show ``diagnosis`` (from :meth:`Client.diagnose` or :func:`vsphere_nb.diagnose`); the Launch tab's next
        plan shows its causes."""
        self.diagnosis = diagnosis
        self.state.diagnosis = diagnosis
        fixable = diagnosis.hosts["reconfigure_fixes"] if "reconfigure_fixes" in diagnosis.hosts.columns else None
        self.select_fixable_button.disabled = fixable is None or not bool(fixable.fillna(False).any())
        self.board.value = self._board_html(diagnosis)
        options = [("(all causes)", ALL)] + [
            (f"{cause} ({int(hosts)})", str(cause))
            for cause, hosts in zip(diagnosis.summary["cause"], diagnosis.summary["hosts"])
        ]
        self.cause.options = options
        self.cause.value = ALL
        self._show_cause()
        if self.charts:
            self.causes_chart.value = _png(diagnosis_charts.causes_by_cluster(diagnosis.hosts))
        n = len(diagnosis.hosts)
        self.set_status(f"{n} host(s) diagnosed, {len(diagnosis.summary)} cause(s)" if n else "no unhealthy host", "ok")

    def _board_html(self, diagnosis: Diagnosis) -> str:
        if not len(diagnosis.summary):
            return "<b>Every HA host is healthy.</b>"
        cards = []
        r: Any  # a row of the summary (itertuples)
        for r in diagnosis.summary.itertuples():
            colour = cause_color(str(r.cause))
            cards.append(
                f"<div class='vnb-cause' style='border-left:6px solid {colour};padding:3px 8px;margin:3px 0'>"
                f"<b>{_e(r.cause)}</b> — {int(r.hosts)} host(s) in {int(r.clusters)} cluster(s), scope "
                f"<i>{_e(r.scope)}</i>, e.g. {_e(r.example_host)}<br><small>{_e(r.next_step)}</small></div>"
            )
        return "".join(cards)

    def _rows(self) -> Any:
        if self.diagnosis is None:
            return None
        hosts = self.diagnosis.hosts
        cause = self.cause.value
        return hosts if cause == ALL else hosts[hosts["cause"].astype(str) == cause]

    def _show_cause(self) -> None:
        rows = self._rows()
        if rows is None:
            return
        self.select_button.disabled = not len(rows)
        self.hosts_table.value = html_table(rows, BOARD_COLUMNS, max_rows=300, what="hosts")
        keys = list(zip(rows["vcenter"].astype(str), rows["host_moid"].astype(str)))
        names = rows["host"].astype(str).tolist()
        several = rows["vcenter"].astype(str).nunique() > 1
        labels = [f"{n} ({vc})" if several else n for n, (vc, _m) in zip(names, keys)]
        self.host.options = list(zip(labels, keys))  # value: the (vcenter, host moId) key
        self.host.value = keys[0] if keys else None
        if self.charts and self.diagnosis is not None:
            self.swimlane_chart.value = _png(diagnosis_charts.event_swimlane(self.diagnosis.events, hosts=keys))

    def _select(self) -> None:
        rows = self._rows()
        if rows is None or not len(rows):
            return
        keys = frozenset(zip(rows["vcenter"].astype(str), rows["host_moid"].astype(str)))
        self.state.selected = keys
        self.set_status(f"{len(keys)} host(s) selected for a launch or a retry (Launch tab)", "ok")

    def select_fixable(self) -> None:
        """One click: select every diagnosed host whose cause a reconfigure can fix by itself."""
        if self.diagnosis is None:
            return
        hosts = self.diagnosis.hosts
        rows = hosts[hosts["reconfigure_fixes"].fillna(False).astype(bool)]
        keys = frozenset(zip(rows["vcenter"].astype(str), rows["host_moid"].astype(str)))
        self.state.selected = keys
        self.set_status(f"{len(keys)} host(s) a reconfigure can fix selected (Launch tab)", "ok")

    def _run_finished(self, _change: Any) -> None:
        """After a run, diagnose again (the states changed), when connected and a diagnosis was shown."""
        if self.state.run is not None and self.state.client is not None and self.diagnosis is not None:
            self._start()

    def _show_host(self) -> None:
        if self.diagnosis is None or not self.host.value:
            self.detail.value = ""
            return
        info = self.diagnosis.detail(self.host.value)
        d, cluster = info["diagnosis"], info["cluster"]  # info keyed by (vcenter, host moId)
        evidence = "".join(f"<li>{_e(x)}</li>" for x in d.get("evidence") or [])
        settings = ""
        if cluster:
            keys = (
                "ha_enabled",
                "host_monitoring",
                "admission_control",
                "isolation_response",
                "heartbeat_policy",
                "heartbeat_datastores",
                "isolation_addresses",
                "primary_host",
                "config_issues",
            )
            settings = "".join(f"<tr><td>{_e(k)}</td><td>{_e(cluster.get(k))}</td></tr>" for k in keys)
            settings = f"<b>Cluster HA settings</b><table class='vnb-table'>{settings}</table>"
        output = "\n".join(info["output"])
        chain = info["fault_chain"]
        faults = (
            "<b>Fault chain</b>" + html_table(chain, ["depth", "fault_type", "fault_reason", "message"], what="faults")
            if len(chain)
            else ""
        )
        timeline = html_table(info["timeline"].iloc[::-1], TIMELINE_COLUMNS, max_rows=100, what="events")
        self.detail.value = (
            f"<div class='vnb-diagnose-host-detail'><h4>{_e(d.get('host'))} — {_e(d.get('cause'))}</h4>"
            f"<p>confidence <b>{_e(d.get('confidence'))}</b>, scope <b>{_e(d.get('scope'))}</b>, state "
            f"<code>{_e(d.get('das_state'))}</code></p>"
            f"<p><b>Next step:</b> {_e(d.get('next_step'))}<br><small>{_e(d.get('reference'))}</small></p>"
            f"<b>Evidence</b><ul>{evidence}</ul>"
            f"<p><b>Alternative:</b> {_e(d.get('alternative'))}</p>{settings}{faults}"
            + (f"<b>Task output</b><pre style='white-space:pre-wrap'>{_e(output)}</pre>" if output else "")
            + f"<b>Timeline</b> (newest first){timeline}</div>"
        )
