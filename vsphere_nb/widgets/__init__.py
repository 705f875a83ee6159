"""Notebook panels (ipywidgets) for the vSphere HA batch: connect, pick hosts, plan and launch, inspect results.

::

    from vsphere_nb.widgets import RunbookPanel
    panel = RunbookPanel(simulator=dict(scenario="mixed"), autoconnect=True)
    panel

The panels are thin views: they call only the core API (:func:`vsphere_nb.sync.connect`, ``Client.hosts()``,
``Client.plan_reconfigure()``, ``plan.start()``, ``RunHandle``, ``BatchRun``, :mod:`vsphere_nb.batch.charts`) and
never speak HTTP themselves (a test checks this). Module map: ``state`` (the shared ``RunbookState``),
``connect``, ``hosts``, ``launch`` (+ ``plan_view``), ``results`` (+ ``detail``), ``diagnose`` (the triage board),
``runbook`` (the tabs), ``grid`` (the sortable, filterable data grid), ``chips`` (the coloured summary headers),
``_util`` (error Output, throttle, static tables).
"""

from __future__ import annotations

from .connect import ConnectPanel
from .diagnose import DiagnosePanel
from .hosts import HostsPanel
from .launch import LaunchPanel
from .results import ResultsPanel
from .runbook import RunbookPanel
from .state import RunbookState

__all__ = [
    "RunbookPanel",
    "RunbookState",
    "ConnectPanel",
    "HostsPanel",
    "LaunchPanel",
    "ResultsPanel",
    "DiagnosePanel",
]
