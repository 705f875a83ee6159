"""Why did HA break? Rules (data, ``rules.yaml``) over frames (hosts, a run, the HA event history, clusters).

``diagnose(hosts, run=..., events=..., clusters=..., rules="site-rules.yaml")`` → :class:`Diagnosis`. Pure: it
never calls a server (``Client.diagnose`` gathers, this reasons), so it runs on saved runs as well.
"""

from __future__ import annotations

from .reason import HOST_COLUMNS, diagnose, scope_of
from .result import CAUSE_COLOURS, SUMMARY_COLUMNS, Diagnosis, load_diagnosis
from .rules import CAUSES, CONFIDENCE_LEVELS, FIX_FIRST, DiagnosisRule, builtin_rules, load_rules, reconfigure_fixes

__all__ = [
    "diagnose",
    "Diagnosis",
    "load_diagnosis",
    "load_rules",
    "builtin_rules",
    "DiagnosisRule",
    "CAUSES",
    "CONFIDENCE_LEVELS",
    "FIX_FIRST",
    "reconfigure_fixes",
    "CAUSE_COLOURS",
    "HOST_COLUMNS",
    "SUMMARY_COLUMNS",
    "scope_of",
]
