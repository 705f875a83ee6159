"""``RunbookState``: what the panels share — the connection, the hosts, the selection, the plan, the run.

Panels never call each other; each one observes the traits it cares about and sets the ones it produces
(Connect → ``client``/``clients``/``simulator``; Hosts → ``hosts``/``selected``; Launch → ``plan``/``handle``/``running``/
``run``; Results shows ``run``). That keeps every panel usable alone, e.g. a :class:`ResultsPanel` over a
loaded run directory.

Traits hold objects compared by identity or value; ``selected`` is always a ``frozenset`` (assign a new set to
change it — in-place changes would not notify the panels).
"""

from __future__ import annotations

import threading
from typing import Any

import traitlets

__all__ = ["RunbookState", "HostKey"]

#: ``(vcenter, host_moid)``: a host's identity in the selection, as in the batch API
HostKey = tuple[str, str]


class RunbookState(traitlets.HasTraits):
    """Shared state of the runbook panels (a traitlets ``HasTraits``: ``state.observe(fn, "run")``)."""

    #: the connected :class:`~vsphere_nb.sync.Client` (the first one when several vCenters are connected), or
    #: ``None``
    client = traitlets.Any(None, allow_none=True)
    #: every connected client, one per vCenter (``(client,)`` with one vCenter; empty when not connected)
    clients = traitlets.Any(())
    #: the :class:`~vsphere_nb.simulator.Simulator` the Connect panel started (it stops it), or ``None``
    simulator = traitlets.Any(None, allow_none=True)
    #: the hosts DataFrame (``Client.hosts()``), or ``None`` before the first load
    hosts = traitlets.Any(None, allow_none=True)
    #: selected hosts as ``(vcenter, host_moid)`` keys
    selected = traitlets.Any(frozenset())
    #: the current :class:`~vsphere_nb.batch.execute.ReconfigurePlan` (a dry run), or ``None``
    plan = traitlets.Any(None, allow_none=True)
    #: the :class:`~vsphere_nb.batch.execute.RunHandle` of the latest run started here
    handle = traitlets.Any(None, allow_none=True)
    #: true from the launch until the run's result has been shown
    running = traitlets.Bool(False)
    #: the latest finished run (:class:`~vsphere_nb.batch.execute.BatchRun` or a loaded ``RunResult``)
    run = traitlets.Any(None, allow_none=True)
    #: the latest :class:`~vsphere_nb.diagnosis.Diagnosis` shown in the Diagnose tab (the plan shows its causes)
    diagnosis = traitlets.Any(None, allow_none=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: taken by every panel while it changes widgets (kernel thread and updater threads alike)
        self.lock = threading.RLock()

    @traitlets.validate("selected")
    def _frozen(self, proposal: Any) -> frozenset[tuple[str, str]]:
        value = proposal["value"]
        return value if isinstance(value, frozenset) else frozenset(value or ())

    def __repr__(self) -> str:
        hosts = None if self.hosts is None else len(self.hosts)
        return (
            f"<RunbookState client={'yes' if self.client is not None else 'no'} hosts={hosts} "
            f"selected={len(self.selected)} plan={'yes' if self.plan is not None else 'no'} "
            f"running={self.running} run={getattr(self.run, 'run_id', None)}>"
        )
