"""The tables: vsphere-nb's real contract. Above ``wire`` and below everything else (client, fleet readers, batch,
diagnosis, charts, report, widgets, CLI), so every surface and the diagnosis read the same definitions:

* ``columns``: each frame's column schema, once, and how each kind of column becomes a typed pandas column;
* ``categories``: the one event-category scheme (event type → category) and the HA event types;
* ``events``: the one reader from wire events to rows, with the one severity rule;
* ``palette``: the one palette (outcomes, HA states, causes, event categories), for charts, report, panels, terminal;
* ``durations``: ``"30m"``, ``"24h"``, ``"7d"`` → a time span.

The words themselves (outcomes, states, stages, causes) are :mod:`vsphere_nb.vocabulary`, the leaf below the wire.
"""
