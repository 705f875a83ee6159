"""``RunbookPanel``: the panels in tabs — Connect, Hosts, Diagnose, Launch, Results — around one shared state.

A notebook's parameters cell can prefill it::

    panel = RunbookPanel(simulator=dict(scenario="mixed", clusters=4, hosts_per_cluster=8), autoconnect=True)
    panel                                   # shows the tabs
    ...
    panel.close()                           # stops what the panel started (the run's launching, client, simulator)

Everything the panels do is reachable from code as well (``panel.hosts.only_unhealthy.value = True``,
``panel.hosts.select_all.click()``, ``panel.launch.plan_button.click()`` …), which is how the tests drive it.
"""

from __future__ import annotations

import logging
from typing import Any

import ipywidgets as widgets

from ..batch.limits import BatchLimits
from ..config import Secret
from ._util import styled
from .connect import ConnectPanel
from .diagnose import DiagnosePanel
from .hosts import HostsPanel
from .launch import LaunchPanel
from .results import ResultsPanel
from .state import RunbookState

__all__ = ["RunbookPanel"]

logger = logging.getLogger("vsphere_nb.widgets")

TAB_TITLES = ("Connect", "Hosts", "Diagnose", "Launch", "Results")


class RunbookPanel:
    """Connect → select hosts → diagnose → plan and launch → inspect results, in one ``Tab``.

    ``server``/``user``/``password``/``verify`` prefill the Connect panel (the password is kept as a secret,
    never put into a widget); ``simulator`` (a dict of ``Simulator`` arguments, ``True``, or a running
    ``Simulator``) selects the built-in simulator; ``limits`` prefill the Launch panel; ``run_dir`` is the run
    folder (default ``runs/<run id>``). ``autoconnect=True`` connects at once when a password or a simulator is
    given — errors then show in the Connect panel, never as an exception from the constructor.
    """

    def __init__(
        self,
        server: str | None = None,
        user: str | None = None,
        password: str | Secret | None = None,
        *,
        simulator: Any = None,
        verify: Any = True,
        limits: BatchLimits | None = None,
        autoconnect: bool = False,
        run_dir: str | None = None,
        charts: bool = True,
    ) -> None:
        self.state = RunbookState()
        self.connect = ConnectPanel(
            self.state, server=server, user=user, password=password, simulator=simulator, verify=verify
        )
        self.hosts = HostsPanel(self.state)
        self.launch = LaunchPanel(self.state, limits=limits, run_dir=run_dir)
        self.results = ResultsPanel(self.state, charts=charts)
        self.diagnose = DiagnosePanel(self.state, charts=charts)
        self.panels = (self.connect, self.hosts, self.diagnose, self.launch, self.results)
        self.widget = styled(widgets.Tab(children=[p.widget for p in self.panels], titles=TAB_TITLES), "vnb-runbook")
        if autoconnect and (password or simulator not in (None, False)):
            self.connect.connect_button.click()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def errors(self) -> dict[str, list[str]]:
        """Every panel's error lines, by panel name (empty lists when all went well)."""
        return {p.name: p.error_lines() for p in self.panels}

    def close(self, *, wait: float = 10.0) -> None:
        """Stop what the panel started: stop launching (waiting up to ``wait`` s for running tasks), close the
        client, stop the simulator and the panels' update threads. The widgets stay on screen. Idempotent."""
        handle = self.state.handle
        if handle is not None and not handle.done():
            try:
                handle.cancel()
                handle.wait(wait)
            except Exception as exc:
                logger.warning(
                    "run %s still going at close (%s); resume it from %s",
                    handle.run_id,
                    type(exc).__name__,
                    handle.run_dir,
                )
        for panel in self.panels:
            panel.close()
        self.state.running = False
        with self.state.lock:
            self.connect.close()

    def __enter__(self) -> RunbookPanel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<RunbookPanel {self.state!r}>"
