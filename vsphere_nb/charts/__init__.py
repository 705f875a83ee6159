"""Charts every surface shares, as matplotlib ``Figure`` objects in one visual language (:mod:`vsphere_nb.tables.palette`):
the event swimlane (``events``) and the causes-by-cluster heat map (``causes``) that the run's charts, the
diagnosis, the panels and the report all draw, on the chart kit (``_kit``: sizes, axes, notes, empty charts).
Above the tables only: a chart reads frames, never a server, the batch or the diagnosis."""
