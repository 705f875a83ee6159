"""The readers of the fleet, above the client and below the batch and the diagnosis: the ``hosts`` table in one
PropertyCollector pass (``inventory``), who may be reconfigured (``eligibility``), the clusters' HA context and
the per-host diagnosis columns (``clusters``), and the HA event history (``history``). They import neither
``batch`` nor ``diagnosis``."""
