"""Settings of a simulator: the ``Simulator(...)`` arguments, which mirror ``vsphere-nb simulate`` flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..errors import ConfigError

__all__ = ["SimulatorConfig", "ChaosConfig", "KNOWN_RELEASES", "VCENTER_BUILDS", "release_of"]

#: VI/JSON releases a path may name (the OpenAPI spec, release 9.1.1.0, lists 7.0.0.0 … 9.1.1.0); newest last
KNOWN_RELEASES = (
    "7.0.0.0",
    "7.0.1.0",
    "7.0.2.0",
    "7.0.3.0",
    "8.0.0.1",
    "8.0.1.0",
    "8.0.2.0",
    "8.0.3.0",
    "9.0.0.0",
    "9.1.0.0",
    "9.1.1.0",
)

#: vCenter version -> build (the 9.1 builds are placeholders: no public build numbers were at hand)
VCENTER_BUILDS = {
    "8.0.1": "21560480",
    "8.0.2": "22385739",
    "8.0.3": "24022515",
    "9.0.0": "24755230",
    "9.1.0": "25181424",
    "9.1.1": "25335112",
}


class _Redacted:
    def __repr__(self) -> str:
        return "'***'"


_REDACTED = _Redacted()


def release_of(version: str) -> str:
    """``8.0.3`` -> ``8.0.3.0``."""
    parts = version.split(".")
    while len(parts) < 4:
        parts.append("0")
    return ".".join(parts[:4])


@dataclass
class ChaosConfig:
    """Fault injection, changeable while the simulator runs (``sim.chaos.drop_rate = 0.2``).

    * ``latency`` + uniform ``[0, jitter]`` seconds are added before each ``/sdk`` and ``/api`` answer;
    * ``http_503_rate``: probability of a ``503`` from the "reverse proxy" (text body, as envoy writes);
    * ``drop_rate``: probability that the connection is closed without any HTTP answer;
    * ``session_lifetime``: seconds after login when a session stops being valid (``NotAuthenticated``);
    * ``restart_every``: seconds between automatic server restarts (sessions lost, tasks continue).
    """

    latency: float = 0.0
    jitter: float = 0.0
    http_503_rate: float = 0.0
    drop_rate: float = 0.0
    session_lifetime: float | None = None
    restart_every: float | None = None

    def validate(self) -> None:
        for name in ("latency", "jitter"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0")
        for name in ("http_503_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1")
        for name in ("session_lifetime", "restart_every"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigError(f"{name} must be > 0")

    @property
    def active(self) -> bool:
        return bool(self.latency or self.jitter or self.http_503_rate or self.drop_rate)


@dataclass
class SimulatorConfig:
    datacenters: int = 1
    clusters: int = 4
    hosts_per_cluster: int = 8
    standalone_hosts: int = 2
    scenario: object = "mixed"
    seed: int = 0
    task_seconds: float | None = None
    time_scale: float = 10.0
    max_active_tasks: int = 640
    mode: Literal["vcenter", "esx"] | None = None
    version: str = "8.0.3"
    host_name_style: Literal["vcsim", "fqdn"] = "vcsim"
    bind: str = "127.0.0.1"
    port: int = 0
    tls: bool = False
    tls_dir: str | None = None
    user: str = "administrator@vsphere.local"
    password: str | None = None
    readonly_user: str = "readonly@vsphere.local"
    readonly_password: str | None = None
    #: extra users: name -> (password, role) with role "admin" or "readonly"
    users: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: HTTP status of NotAuthenticated faults: 500 (documented) or 401 (newer releases, unsettled)
    not_authenticated_status: int = 500
    #: how an unset result (WaitForUpdatesEx timeout …) is answered: 200 with an empty body, or 204
    empty_answer_status: int = 200
    #: seconds a session may stay unused before it ends (vCenter: 30 minutes); ``None`` = never
    session_idle_timeout: float | None = 1800.0
    #: sessions that may exist at once (vpxd's HTTP session map: 2,000); a login beyond answers 503; ``None`` = no cap
    max_sessions: int | None = 2000
    chaos: ChaosConfig = field(default_factory=ChaosConfig)

    def __repr__(self) -> str:
        """Every field, with passwords shown as ``'***'`` (as the client shows a ``Secret``)."""
        shown = []
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name in ("password", "readonly_password") and value is not None:
                value = _REDACTED
            elif name == "users":
                value = {user: (_REDACTED, role) for user, (_password, role) in value.items()}
            shown.append(f"{name}={value!r}")
        return f"SimulatorConfig({', '.join(shown)})"

    def validate(self) -> None:
        if self.datacenters < 1:
            raise ConfigError("datacenters must be >= 1")
        for name in ("clusters", "hosts_per_cluster", "standalone_hosts"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0")
        if self.time_scale <= 0:
            raise ConfigError("time_scale must be > 0")
        if self.task_seconds is not None and self.task_seconds <= 0:
            raise ConfigError("task_seconds must be > 0")
        if self.max_active_tasks < 1:
            raise ConfigError("max_active_tasks must be >= 1")
        if self.mode not in (None, "vcenter", "esx"):
            raise ConfigError("mode must be 'vcenter' or 'esx'")
        if self.host_name_style not in ("vcsim", "fqdn"):
            raise ConfigError("host_name_style must be 'vcsim' or 'fqdn'")
        if release_of(self.version) not in KNOWN_RELEASES:
            raise ConfigError(f"unknown vCenter version {self.version!r} (one of {', '.join(VCENTER_BUILDS)})")
        if not 0 <= self.port <= 65535:
            raise ConfigError("port must be between 0 and 65535")
        if self.not_authenticated_status not in (401, 403, 500):
            raise ConfigError("not_authenticated_status must be 500, 401 or 403")
        if self.empty_answer_status not in (200, 204):
            raise ConfigError("empty_answer_status must be 200 or 204")
        if self.session_idle_timeout is not None and self.session_idle_timeout <= 0:
            raise ConfigError("session_idle_timeout must be > 0")
        if self.max_sessions is not None and self.max_sessions < 1:
            raise ConfigError("max_sessions must be >= 1")
        for name, (_password, role) in self.users.items():
            if role not in ("admin", "readonly"):
                raise ConfigError(f"user {name}: role must be 'admin' or 'readonly'")
        self.chaos.validate()
