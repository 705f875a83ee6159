"""Diagnosis charts as matplotlib ``Figure`` objects (no pyplot): the shared charts of :mod:`vsphere_nb.charts`.

* :func:`causes_by_cluster` — a heat map of diagnosed hosts per cause in each cluster, in the causes' colours;
* :func:`event_swimlane` — hosts × time, one marker per event, shaped and coloured by category (history and
  run together), so a cluster-wide problem shows as a vertical band and a flapping host as a busy lane.
"""

from __future__ import annotations

from ..charts.causes import causes_by_cluster
from ..charts.events import events_swimlane as event_swimlane

__all__ = ["causes_by_cluster", "event_swimlane"]
