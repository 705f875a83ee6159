"""The embedded vCenter simulator: VI/JSON over HTTP, realistic HA failures, chaos knobs.

``Simulator`` is the entry point (see :mod:`.simulator`); ``load_scenario`` reads built-in or file scenarios.
Module map: ``model`` (registry) · ``inventory`` (entity types and their properties) · ``building`` (the
seeded fleet) · ``hostinfo`` (hardware, network, date/time of hosts) · ``managers`` (the ServiceContent managers,
one table) · ``search`` (SearchIndex) · ``properties`` (paths, declared types) · ``collector`` (PropertyCollector)
· ``views`` · ``tasks`` (queue on the clock) · ``clock`` · ``reconfigure`` (HA behaviour) · ``events`` ·
``sessions`` · ``scenarios`` · ``dispatch`` + ``methods`` (method table) · ``vmodl_methods`` (VMware's method
names: ``NotImplemented`` vs ``MethodNotFound``) · ``releases`` (fields per API release) · ``soap`` (the hint
for SOAP clients) · ``app`` (ASGI) · ``server`` (uvicorn thread) · ``tls`` · ``stats`` · ``config``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .config import ChaosConfig, SimulatorConfig
    from .scenarios import BUILTIN_SCENARIOS, Scenario, load_scenario
    from .simulator import Simulator

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "ChaosConfig": ".config",
        "SimulatorConfig": ".config",
        "BUILTIN_SCENARIOS": ".scenarios",
        "Scenario": ".scenarios",
        "load_scenario": ".scenarios",
        "Simulator": ".simulator",
    },
)

__all__ = ["Simulator", "SimulatorConfig", "ChaosConfig", "Scenario", "load_scenario", "BUILTIN_SCENARIOS"]
