"""Scenarios: who the fleet is, and how each ``ReconfigureHostForDAS_Task`` ends.

A scenario is a YAML or JSON document (built-ins live in ``scenarios/*.yaml``)::

    name: mixed
    description: ...
    mode: vcenter            # or esx (ReconfigureHostForDAS_Task -> NotSupported)
    task_seconds: 30         # optional default task duration, simulated seconds
    fleet:                   # the inventory's initial state (seeded fractions of hosts)
      ha_disabled_every: 5   # 1 cluster in every 5 has HA off (index % every == offset) when clusters >= 4
      maintenance: 0.03
      disconnected: 0.015
      not_responding: 0.01
      reconfigure_disabled: 0.01      # ReconfigureHostForDAS_Task in disabledMethod (vLCM remediation running)
      no_datastores: 0.0
      initial_das_state: {connectedToMaster: 0.8, initializationError: 0.2}
      product_versions: {"8.0.3": 0.7, "8.0.2": 0.3}
    names:                   # optional: names an inventory administrator chose (hostile ones included)
      clusters: ["Prod$_$East", "<img src=x onerror=alert(1)>"]  # the n-th cluster of each datacenter
      hosts: ["{name}", "{name} <b>"]    # templates cycled over the hosts; {name} is the generated name
    rules:                   # first match wins; no match -> success
      - match: {cluster: "*_C1", host: "*H0?", moid: "host-1*", fraction: 0.06}
        outcome: error       # success | error (task error) | fault (the launch itself answers 500)
        reason: HostNetworkMisconfiguration      # DasConfigFault.reason
        host_error: communicationInitFailed      # HostDasErrorEvent.reason (default derived from reason)
        output: "..."        # DasConfigFault.output (default: realistic text for the reason)
        output_size: 102400  # the output repeated (line by line) to this many characters
        fault_message: ["..."]                   # DasConfigFault.faultMessage texts
        events: [{type: HostIsolationIpPingFailedEvent, isolationIp: 10.0.0.1}]
        duration: 45         # simulated seconds
        times: 2             # applies to each host this many times, then falls through (flaky hosts)
        das_state: networkPartitionedFromMaster  # dasHostState after the task (default master/connectedToMaster,
                                                 # initializationError after an error)
        agent_unhealthy_seconds: 60              # after success, stay ``unhealthy_state`` this long, then healthy
        unhealthy_state: election
        root_cause: management-network           # tell this cause's story (stories.py): state, configIssue,
                                                 # HA history, network/cluster settings and task defaults agree

Names are returned the way ``ManagedEntity.name`` is: ``%`` (unless it starts an escape), ``/`` and ``\\``
escaped as ``%25``, ``%2f`` and ``%5c``; names must stay unique (a template without ``{name}`` is refused).

Every selector given must match: ``cluster``/``host`` are globs on names, ``moid`` a glob (or list of globs)
on the host moId, ``fraction`` a share of hosts chosen by a seeded hash: rules with a ``fraction`` get
consecutive bands of [0, 1), so fractions partition the fleet and sum to at most 1. Everything is seeded:
the same seed gives the same fleet and the same outcomes.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .. import wire
from ..errors import ConfigError
from .stories import STORIES, STORY_CAUSES

__all__ = [
    "Scenario",
    "Rule",
    "Match",
    "EventSpec",
    "Fleet",
    "BUILTIN_SCENARIOS",
    "load_scenario",
    "seeded_fraction",
    "default_output",
    "default_host_error",
    "default_fault_message",
    "Names",
    "entity_name",
]

BUILTIN_SCENARIOS = (
    "healthy",
    "mixed",
    "flaky",
    "agent-slow",
    "network-partition",
    "esx",
    "root-causes",
    "story",
    "hostile",
)

_DAS_STATES = {m.value for m in wire.ClusterDasFdmAvailabilityState}
_HOST_ERRORS = {m.value for m in wire.HostDasErrorEventHostDasErrorReason}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Match(_Strict):
    cluster: str | None = None
    host: str | None = None
    moid: str | list[str] | None = None
    fraction: float | None = Field(default=None, ge=0.0, le=1.0)


class EventSpec(BaseModel):
    """An extra event a failing task logs and lists in ``DasConfigFault.event`` (any wire event type)."""

    model_config = ConfigDict(extra="allow")

    type: str
    message: str | None = None  # fullFormattedMessage

    @field_validator("type")
    @classmethod
    def _known_event_type(cls, value: str) -> str:
        klass = wire.REGISTRY.get(value)
        if klass is None or not issubclass(klass, wire.Event):
            raise ValueError(f"unknown event type {value!r}")
        return value

    def fields(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def entity_name(name: str) -> str:
    """``name`` as ``ManagedEntity.name`` returns it: ``/`` as ``%2f``, ``\\`` as ``%5c``, and ``%`` as ``%25``
    unless it already starts an escape sequence (VMware's vSphere API reference, ``ManagedEntity.name``)."""
    out = []
    for i, char in enumerate(name):
        if char == "%":
            escape = name[i + 1 : i + 3]
            out.append("%" if len(escape) == 2 and all(c in "0123456789abcdefABCDEF" for c in escape) else "%25")
        else:
            out.append({"/": "%2f", "\\": "%5c"}.get(char, char))
    return "".join(out)


class Names(_Strict):
    """Names chosen by the inventory's administrators instead of the generated ``DC0_C1`` / ``DC0_C1_H03``."""

    #: the n-th cluster of each datacenter gets the n-th name (clusters beyond the list keep generated names)
    clusters: list[str] = []
    #: host-name templates, cycled over the fleet's hosts in order; ``{name}`` is replaced by the generated name
    hosts: list[str] = []

    @field_validator("clusters")
    @classmethod
    def _unique_clusters(cls, value: list[str]) -> list[str]:
        escaped = [entity_name(v) for v in value]
        if any(not v.strip() for v in value):
            raise ValueError("a cluster name cannot be empty")
        if len(set(escaped)) != len(escaped):
            raise ValueError("cluster names must be unique")
        return value

    @field_validator("hosts")
    @classmethod
    def _templates(cls, value: list[str]) -> list[str]:
        for template in value:
            if "{name}" not in template:
                raise ValueError(f"host name template {template!r} lacks {{name}} (host names must stay unique)")
        return value

    def cluster(self, index: int, generated: str) -> str:
        return entity_name(self.clusters[index]) if index < len(self.clusters) else generated

    def host(self, index: int, generated: str) -> str:
        if not self.hosts:
            return generated
        return entity_name(self.hosts[index % len(self.hosts)].replace("{name}", generated))


class Rule(_Strict):
    name: str | None = None
    match: Match = Match()
    outcome: Literal["success", "error", "fault"] = "success"
    reason: str | None = None
    host_error: str | None = None
    output: str | None = None
    output_size: int | None = Field(default=None, ge=1, le=16 * 1024 * 1024)
    fault_message: str | list[str] | None = None
    events: list[EventSpec] = []
    duration: float | None = Field(default=None, gt=0)
    times: int | None = Field(default=None, ge=1)
    das_state: str | None = None
    agent_unhealthy_seconds: float | None = Field(default=None, ge=0)
    unhealthy_state: str = "election"
    #: a cause of the diagnosis vocabulary: the simulator tells its story (see stories.py) for matching hosts
    root_cause: str | None = None

    #: [lo, hi) band of the seeded fraction, set by Scenario
    band: tuple[float, float] | None = Field(default=None, exclude=True)

    @field_validator("das_state", "unhealthy_state")
    @classmethod
    def _das_state(cls, value: str | None) -> str | None:
        if value is not None and value not in _DAS_STATES:
            raise ValueError(f"unknown dasHostState {value!r} (one of {sorted(_DAS_STATES)})")
        return value

    @field_validator("host_error")
    @classmethod
    def _host_error(cls, value: str | None) -> str | None:
        if value is not None and value not in _HOST_ERRORS:
            raise ValueError(f"unknown HostDasErrorEvent reason {value!r} (one of {sorted(_HOST_ERRORS)})")
        return value

    @field_validator("root_cause")
    @classmethod
    def _root_cause(cls, value: str | None) -> str | None:
        if value is not None and value not in STORY_CAUSES:
            raise ValueError(f"unknown root cause {value!r} (one of {', '.join(STORY_CAUSES)})")
        return value

    @model_validator(mode="after")
    def _error_needs_reason(self) -> Rule:
        if self.root_cause is not None:
            self._story_defaults()
        if self.outcome in ("error", "fault") and not self.reason:
            self.reason = "Other"
        return self

    def _story_defaults(self) -> None:
        """Fill the reconfigure behaviour from the root cause's story, keeping what the rule set itself."""
        story = STORIES[self.root_cause or ""]
        given = self.model_fields_set
        defaults: dict[str, Any] = {
            "outcome": story.outcome,
            "reason": story.reason,
            "host_error": story.host_error,
            "output": story.output,
            "fault_message": story.fault_message,
            "times": story.times,
            "agent_unhealthy_seconds": story.agent_unhealthy_seconds,
            "unhealthy_state": story.unhealthy_state,
        }
        for name, value in defaults.items():
            if name not in given and value is not None:
                object.__setattr__(self, name, value)
        if "events" not in given and story.events:
            object.__setattr__(self, "events", [EventSpec.model_validate(dict(e)) for e in story.events])

    def output_text(self) -> str:
        """``DasConfigFault.output``: the rule's text (or the reason's realistic one), repeated line by line up to
        ``output_size`` characters when given."""
        text = self.output if self.output is not None else default_output(self.reason or "Other")
        if self.output_size is None or not text:
            return text
        lines, size = text.splitlines() or [text], 0
        out: list[str] = []
        while size < self.output_size:
            line = lines[len(out) % len(lines)]
            out.append(line)
            size += len(line) + 1
        return "\n".join(out)[: self.output_size]

    def fault_messages(self) -> list[str]:
        if self.fault_message is None:
            return [default_fault_message(self.reason or "Other")]
        return [self.fault_message] if isinstance(self.fault_message, str) else list(self.fault_message)

    def matches(self, *, cluster: str, host: str, moid: str, u: float) -> bool:
        m = self.match
        if m.cluster is not None and not fnmatch.fnmatchcase(cluster, m.cluster):
            return False
        if m.host is not None and not fnmatch.fnmatchcase(host, m.host):
            return False
        if m.moid is not None:
            globs = [m.moid] if isinstance(m.moid, str) else m.moid
            if not any(fnmatch.fnmatchcase(moid, g) for g in globs):
                return False
        return not (self.band is not None and not self.band[0] <= u < self.band[1])


class Fleet(_Strict):
    ha_disabled_every: int | None = Field(default=None, ge=2)
    ha_disabled_offset: int = Field(default=3, ge=0)
    ha_disabled_min_clusters: int = Field(default=4, ge=1)
    ha_disabled_clusters: list[str] = []
    maintenance: float = Field(default=0.0, ge=0, le=1)
    disconnected: float = Field(default=0.0, ge=0, le=1)
    not_responding: float = Field(default=0.0, ge=0, le=1)
    reconfigure_disabled: float = Field(default=0.0, ge=0, le=1)
    no_datastores: float = Field(default=0.0, ge=0, le=1)
    initial_das_state: dict[str, float] = {"connectedToMaster": 1.0}
    product_versions: dict[str, float] = {"8.0.3": 1.0}

    @field_validator("initial_das_state")
    @classmethod
    def _states(cls, value: dict[str, float]) -> dict[str, float]:
        bad = set(value) - _DAS_STATES
        if bad:
            raise ValueError(f"unknown dasHostState {sorted(bad)}")
        if not value or sum(value.values()) <= 0:
            raise ValueError("initial_das_state needs a positive weight")
        return value

    @field_validator("product_versions")
    @classmethod
    def _versions(cls, value: dict[str, float]) -> dict[str, float]:
        if not value or sum(value.values()) <= 0:
            raise ValueError("product_versions needs a positive weight")
        for version in value:
            if version not in ESXI_BUILDS:
                raise ValueError(f"unknown ESXi version {version!r} (one of {sorted(ESXI_BUILDS)})")
        return value

    def ha_disabled(self, index: int, name: str, clusters: int) -> bool:
        if any(fnmatch.fnmatchcase(name, g) for g in self.ha_disabled_clusters):
            return True
        if self.ha_disabled_every and clusters >= self.ha_disabled_min_clusters:
            return index % self.ha_disabled_every == self.ha_disabled_offset % self.ha_disabled_every
        return False


class Scenario(_Strict):
    name: str
    description: str = ""
    mode: Literal["vcenter", "esx"] | None = None
    task_seconds: float | None = Field(default=None, gt=0)
    fleet: Fleet = Fleet()
    names: Names = Names()
    rules: list[Rule] = []

    @model_validator(mode="after")
    def _bands(self) -> Scenario:
        lo = 0.0
        for rule in self.rules:
            if rule.match.fraction is not None:
                hi = lo + rule.match.fraction
                if hi > 1.0 + 1e-9:
                    raise ValueError(
                        f"rule fractions add up to more than 1 (at rule {rule.name or self.rules.index(rule)})"
                    )
                rule.band = (lo, hi)
                lo = hi
        return self


#: ESXi version -> (build, apiVersion)
ESXI_BUILDS: dict[str, tuple[str, str]] = {
    "7.0.3": ("21424296", "7.0.3.0"),
    "8.0.1": ("21495797", "8.0.1.0"),
    "8.0.2": ("22380479", "8.0.2.0"),
    "8.0.3": ("24022510", "8.0.3.0"),
    "9.0.0": ("24755229", "9.0.0.0"),
}


def seeded_fraction(seed: int, salt: str, key: str) -> float:
    """A uniform number in [0, 1) fixed by (seed, salt, key): deterministic per host, independent per purpose."""
    digest = hashlib.sha256(f"{seed}:{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:7], "big") / float(1 << 56)


def load_scenario(spec: str | Path | Scenario | dict[str, Any]) -> Scenario:
    """A built-in name (``mixed``), a path to a ``.yaml``/``.yml``/``.json`` file, a dict, or a Scenario."""
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, dict):
        return _validate(spec, "<dict>")
    text_spec = str(spec)
    if text_spec in BUILTIN_SCENARIOS:
        text = resources.files(__package__).joinpath("scenarios", f"{text_spec}.yaml").read_text(encoding="utf-8")
        return _validate(yaml.safe_load(text), text_spec)
    path = Path(text_spec)
    if not path.is_file():
        raise ConfigError(f"unknown scenario {text_spec!r}: not a built-in ({', '.join(BUILTIN_SCENARIOS)}) nor a file")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read scenario file {path}: {exc}") from exc
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
    return _validate(data, str(path))


def _validate(data: Any, where: str) -> Scenario:
    if not isinstance(data, dict):
        raise ConfigError(f"scenario {where}: expected a mapping at the top level")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise ConfigError(f"scenario {where}: {loc}: {first.get('msg')}") from None


# ---------------------------------------------------------------------------------------------
# realistic texts per DasConfigFault.reason (what fdm installer / vpxd write)
# ---------------------------------------------------------------------------------------------
_OUTPUT = {
    "HostNetworkMisconfiguration": (
        "[fdm-installer] Configuring vSphere HA agent\n"
        "[fdm-installer] Checking management network\n"
        "[fdm-installer] ERROR: no management network (vmk0) has a reachable IPv4 gateway; VLAN 112 tagging mismatch on vmnic0\n"
        "[fdm-installer] Aborting: host network misconfiguration"
    ),
    "DasNetworkMisconfiguration": (
        "[fdm] Election traffic on port 8182 not received from 3 of 7 peers\n"
        "[fdm] vmk0 has IPv6 only while cluster peers use IPv4\n"
        "[fdm] Aborting: vSphere HA network misconfiguration"
    ),
    "NoDatastoresConfigured": (
        "[fdm] Heartbeat datastore selection: 0 candidate datastores accessible by this host (2 required)\n"
        "[fdm] Aborting: no datastores configured for vSphere HA heartbeating"
    ),
    "HostMisconfiguration": (
        "[fdm-installer] Installing VIB VMware_bootbank_vmware-fdm_8.0.3-24022510\n"
        "[fdm-installer] ERROR: [InstallationError] Not enough space on /tmp (ramdisk tmp is 100% full)\n"
        "[fdm-installer] Host requires a reboot to complete a pending VIB operation"
    ),
    "SetDesiredImageSpecFailed": (
        "[vLCM] Setting desired image spec with vSphere HA solution component failed\n"
        "[vLCM] Depot https://vcenter/vum/repository/hostupdate not reachable from host"
    ),
    "ApplyHAVibsOnClusterFailed": (
        "[vLCM] Applying vSphere HA VIBs on cluster failed: remediation of host failed\n"
        "[vLCM] Component 'vSphere FDM' 8.0.3-24022510: VIB signature verification failed"
    ),
    "Other": (
        "[vpxd] Cannot verify the SSL thumbprint of the host: expected 5A:1F:...:9C, received 7B:02:...:E1\n"
        "[vpxd] Reconfigure vSphere HA failed"
    ),
    "VSanNotSupportedOnHost": (
        "[fdm] vSAN is enabled on the cluster but the host has no vSAN vmknic configured\n"
        "[fdm] Aborting: vSAN network not usable for vSphere HA"
    ),
    "NoPrimaryAgentAvailable": (
        "[fdm] No vSphere HA master agent reachable (election in progress)\n"
        "[fdm] Retry the operation once the election completes"
    ),
    "InsufficientPrivileges": "[fdm-installer] Access denied writing /etc/opt/vmware/fdm (vpxuser lacks privileges)",
    "CreateConfigVvolFailed": "[fdm] Creating the vSphere HA config vVol on datastore vvol-ds01 failed: storage provider offline",
}

_MESSAGES = {
    "HostNetworkMisconfiguration": "vSphere HA cannot be configured on this host because of a misconfiguration in the host network setup.",
    "DasNetworkMisconfiguration": "vSphere HA agent cannot be correctly configured: the vSphere HA network is misconfigured.",
    "NoDatastoresConfigured": "vSphere HA cannot be configured on this host: no datastores are configured for heartbeating.",
    "HostMisconfiguration": "Cannot install the vSphere HA agent on the host: the host is misconfigured.",
    "SetDesiredImageSpecFailed": "Cannot set the desired image spec with the vSphere HA component on the cluster.",
    "ApplyHAVibsOnClusterFailed": "Cannot apply the vSphere HA VIBs on the cluster.",
    "Other": "Cannot complete the configuration of the vSphere HA agent on the host. See the task details for additional information.",
    "VSanNotSupportedOnHost": "vSphere HA cannot be configured on this host: vSAN is not supported on the host.",
    "NoPrimaryAgentAvailable": "vSphere HA agent cannot be configured: no vSphere HA master agent is available.",
    "InsufficientPrivileges": "vSphere HA agent cannot be configured: insufficient privileges on the host.",
    "CreateConfigVvolFailed": "vSphere HA agent cannot be configured: the config vVol could not be created.",
}

_HOST_ERROR = {
    "HostNetworkMisconfiguration": "communicationInitFailed",
    "DasNetworkMisconfiguration": "communicationInitFailed",
    "NoPrimaryAgentAvailable": "agentFailed",
    "Other": "other",
}


def default_output(reason: str) -> str:
    return _OUTPUT.get(reason, f"[fdm] vSphere HA configuration failed: {reason}")


def default_fault_message(reason: str) -> str:
    return _MESSAGES.get(reason, f"Cannot configure vSphere HA on the host ({reason}).")


def default_host_error(reason: str) -> str:
    return _HOST_ERROR.get(reason, "configFailed")
