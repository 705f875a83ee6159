"""``ConnectPanel``: connect to one or several vCenters (server, user, password, TLS) or to built-in simulators.

Several vCenters: **Connect** replaces every connection with the form's; **Add vCenter** keeps the ones there and
adds the form's (one row each in the connection table). In simulator mode, *vCenters* simulators start at once
(seeds ``seed``, ``seed + 1`` …: different fleets with the same names). The hosts of every connected vCenter go
into one table and one plan, with the caps and the failure budget per vCenter (as the batch API does).

The password box is a :class:`~vsphere_nb.widgets.password.PasswordField`: what is typed travels to the kernel
as a message, never as widget state (which Jupyter can save into the notebook file, typed-but-never-submitted
text included), and it is cleared after every connection attempt. A password given to the constructor (a
notebook's parameters cell) is kept as a :class:`~vsphere_nb.client.config.Secret`, never put into a widget, bound to
the server and user it was given with — change either field and it is dropped (a changed server also empties
the box), so it is never sent to another server — and dropped once used. The simulator's generated password is used internally and never
displayed. Only :mod:`vsphere_nb.sync` (``connect``) and :mod:`vsphere_nb.simulator` (``Simulator``) are used.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from ..client.config import InsecureTLSWarning, Secret
from ..errors import ConfigError
from ..safetext import html_text
from ..simulator import BUILTIN_SCENARIOS, Simulator
from ..sync import connect
from ._util import Panel, styled
from .password import PasswordField

__all__ = ["ConnectPanel", "RELEASE_SOURCES", "STORY_SCENARIO"]

#: the demo fleet (6 clusters × 12 hosts, a quarter unhealthy for several reasons), the simulator's default here
STORY_SCENARIO = str(Path(__file__).resolve().parents[1] / "simulator" / "scenarios" / "story.yaml")
_SIM_FORM_KEYS = ("scenario", "clusters", "hosts_per_cluster", "vcenters")

#: how the VI/JSON release was chosen, as shown to the user (``Client.release_source``)
RELEASE_SOURCES = {
    "explicit": "set explicitly",
    "hello": "negotiated with the server (system hello)",
    "about": "from the server's about.apiVersion",
    "default": "default (the server offered nothing newer)",
}

#: the hint in the password box when a password was given to the panel (by a notebook or the app's environment)
_PRESET_PLACEHOLDER = "(already given, not shown)"

VCENTER = "vCenter"
SIMULATOR = "Built-in simulator"

_TLS_WARNING = (
    "⚠ TLS certificate verification is OFF: anyone between this kernel and the server can read "
    "the password. Use a CA bundle instead whenever you can."
)


class ConnectPanel(Panel):
    """Connect form. Drive it with :attr:`connect_button` (or :meth:`connect`) and :attr:`disconnect_button`.

    ``simulator`` — ``None`` (vCenter mode), ``True``, a dict of ``Simulator`` arguments (``scenario``,
    ``clusters``, ``hosts_per_cluster`` prefill the form; other keys such as ``time_scale`` or ``seed`` are
    passed through) or a running :class:`~vsphere_nb.simulator.Simulator` to connect to (not stopped here).
    ``verify`` — ``True``, ``False`` (skip verification, with a warning) or a CA bundle path.
    """

    name = "connect"

    def __init__(
        self,
        state: Any = None,
        *,
        server: str | None = None,
        user: str | None = None,
        password: str | Secret | None = None,
        simulator: Any = None,
        verify: Any = True,
    ) -> None:
        super().__init__(state)
        self._preset_password: Secret | None = (
            password if isinstance(password, Secret) else Secret(password) if password else None
        )
        #: the server and user the preset password belongs to; it is never sent anywhere else
        self._preset_for = ((server or "").strip(), (user or "").strip())
        self._external_sim: Simulator | None = simulator if isinstance(simulator, Simulator) else None
        sim_options: dict[str, Any] = dict(simulator) if isinstance(simulator, Mapping) else {}
        self.simulator_options: dict[str, Any] = {k: v for k, v in sim_options.items() if k not in _SIM_FORM_KEYS}
        self._owned_sims: list[Simulator] = []

        self.mode = styled(
            widgets.ToggleButtons(
                options=[VCENTER, SIMULATOR],
                value=SIMULATOR if simulator not in (None, False) else VCENTER,
                description="Connect to",
            ),
            "vnb-mode",
        )
        self.server = styled(
            widgets.Text(
                value=server or "", description="Server", placeholder="vcenter.example.com[:port] or https://…"
            ),
            "vnb-server",
        )
        self.user = styled(
            widgets.Text(value=user or "", description="User", placeholder="administrator@vsphere.local"), "vnb-user"
        )
        self.password = styled(
            PasswordField(
                description="Password",
                placeholder=_PRESET_PLACEHOLDER if self._preset_password else "",
            ),
            "vnb-password",
        )
        self.ca_file = styled(
            widgets.Text(
                value=str(verify) if isinstance(verify, str) else "",
                description="CA bundle",
                placeholder="path to a PEM file (optional)",
            ),
            "vnb-ca-file",
        )
        self.skip_verify = styled(
            widgets.Checkbox(value=verify is False, description="Skip TLS verification", indent=False),
            "vnb-skip-verify",
        )
        self.tls_warning = styled(
            widgets.HTML(value=f'<span style="color:#c62828"><b>{html_text(_TLS_WARNING)}</b></span>'),
            "vnb-tls-warning",
        )
        scenario = str(sim_options.get("scenario", "story"))
        if scenario == STORY_SCENARIO or Path(scenario).resolve() == Path(STORY_SCENARIO):
            scenario = "story"  # the demo fleet, however it was named: listed once
        scenarios = [("story (the demo fleet)", "story")] + [(n, n) for n in BUILTIN_SCENARIOS if n != "story"]
        if scenario not in [value for _label, value in scenarios]:
            scenarios.append(
                (Path(scenario).stem if scenario.endswith((".yaml", ".yml", ".json")) else scenario, scenario)
            )
        self.scenario = styled(
            widgets.Dropdown(options=scenarios, value=scenario, description="Scenario"), "vnb-scenario"
        )
        self.clusters = styled(
            widgets.BoundedIntText(value=int(sim_options.get("clusters", 6)), min=1, max=1000, description="Clusters"),
            "vnb-sim-clusters",
        )
        self.hosts_per_cluster = styled(
            widgets.BoundedIntText(
                value=int(sim_options.get("hosts_per_cluster", 12)),
                min=1,
                max=10000,
                description="Hosts per cluster",
                style={"description_width": "initial"},
            ),
            "vnb-sim-hosts",
        )
        self.vcenters = styled(
            widgets.BoundedIntText(value=int(sim_options.get("vcenters", 1)), min=1, max=8, description="vCenters"),
            "vnb-sim-vcenters",
        )
        self.connect_button = styled(
            widgets.Button(description="Connect", button_style="primary", icon="plug"), "vnb-connect"
        )
        self.add_button = styled(
            widgets.Button(description="Add vCenter", icon="plus", tooltip="connect the form's vCenter as well"),
            "vnb-add-vcenter",
        )
        self.disconnect_button = styled(
            widgets.Button(description="Disconnect all", disabled=True, layout=widgets.Layout(width="auto")),
            "vnb-disconnect",
        )
        self.info = styled(widgets.HTML(value=""), "vnb-connection-info")

        self.vcenter_box = widgets.VBox(
            [self.server, self.user, self.password, self.ca_file, self.skip_verify, self.tls_warning]
        )
        self.simulator_box = widgets.VBox([self.scenario, self.clusters, self.hosts_per_cluster, self.vcenters])
        self._finish_layout(
            self.mode,
            self.vcenter_box,
            self.simulator_box,
            widgets.HBox([self.connect_button, self.add_button, self.disconnect_button]),
            self.info,
        )

        self.connect_button.on_click(self.action(self.connect, "connect"))
        self.add_button.on_click(self.action(self.add_vcenter, "add vCenter"))
        self.disconnect_button.on_click(self.action(self.disconnect, "disconnect"))
        self.mode.observe(self.observer(self._show_mode), "value")
        self.skip_verify.observe(self.observer(self._show_mode), "value")
        self.server.observe(self.observer(self._server_changed), "value")
        self.user.observe(self.observer(self._user_changed), "value")
        self.state.observe(self.observer(self._client_changed), ["client", "clients"])
        self.state.observe(self.observer(self._running_changed), "running")
        self._show_mode(None)
        if self._external_sim is not None:
            self.simulator_box.layout.display = "none"
        self.set_status("not connected")

    # -- actions ---------------------------------------------------------------------------------
    def connect(self) -> Any:
        """Connect with what the form says (closing every previous connection first); returns the client."""
        password_text = self.password.value
        self.password.value = ""  # never left in the widget state, whatever happens next
        if self.state.running:
            raise ConfigError("a run is in progress: wait for it (or stop it) before reconnecting")
        self.disconnect()
        if self.mode.value == SIMULATOR:
            return self._connect_simulators()
        client = self._connect_vcenter(password_text)
        self._set_clients([client])
        return client

    def add_vcenter(self) -> Any:
        """Connect the form's vCenter (or one more simulator) and keep the connections already there."""
        password_text = self.password.value
        self.password.value = ""
        if self.state.running:
            raise ConfigError("a run is in progress: wait for it before adding a vCenter")
        current = list(self.state.clients or ())
        if self.mode.value == SIMULATOR:
            client = self._start_simulator(len(self._owned_sims) + len(current))
        else:
            client = self._connect_vcenter(password_text)
        if any(c.vcenter == client.vcenter for c in current):
            client.close()
            raise ConfigError(f"already connected to {client.vcenter}")
        self._set_clients([*current, client])
        return client

    def _set_clients(self, clients: list[Any]) -> None:
        with self.state.hold_trait_notifications():
            self.state.clients = tuple(clients)
            self.state.client = clients[0] if clients else None

    def _connect_vcenter(self, password_text: str) -> Any:
        server = self.server.value.strip()
        user = self.user.value.strip()
        if not server:
            raise ConfigError("enter the vCenter server name")
        if not user:
            raise ConfigError("enter the user name")
        if password_text:
            secret = Secret(password_text)
        elif self._preset_password is not None and self._preset_for == (server, user):
            secret = self._preset_password
        else:
            raise ConfigError("enter the password")
        self._preset_password = None  # used once
        verify: Any = True
        if self.skip_verify.value:
            verify = False
        elif self.ca_file.value.strip():
            verify = self.ca_file.value.strip()
        self.set_status(f"connecting to {server} …", "busy")
        with warnings.catch_warnings():
            # the panel shows its own warning next to the checkbox
            warnings.simplefilter("ignore", InsecureTLSWarning)
            return connect(server, user, secret, verify=verify)

    def _connect_simulators(self) -> Any:
        sim = self._external_sim
        if sim is not None:
            client = connect(sim.url, sim.user, sim.password, verify=sim.ca_file or True)
            self._set_clients([client])
            return client
        clients: list[Any] = []
        try:
            for i in range(int(self.vcenters.value)):
                clients.append(self._start_simulator(i))
        except BaseException:
            for client in clients:
                client.close()
            self._stop_owned_sims()
            raise
        self._set_clients(clients)
        return clients[0]

    def _start_simulator(self, index: int) -> Any:
        options = {
            "scenario": self.scenario.value,
            "clusters": int(self.clusters.value),
            "hosts_per_cluster": int(self.hosts_per_cluster.value),
            **self.simulator_options,
        }
        options["seed"] = int(options.get("seed", 0)) + index
        self.set_status(
            f"starting simulator {index + 1} ({options['clusters']} × {options['hosts_per_cluster']} hosts) …", "busy"
        )
        sim = Simulator(**options)
        sim.start()
        self._owned_sims.append(sim)
        if self.state.simulator is None:
            self.state.simulator = sim
        try:
            return connect(sim.url, sim.user, sim.password, verify=sim.ca_file or True)
        except BaseException:
            self._owned_sims.remove(sim)
            if self.state.simulator is sim:
                self.state.simulator = None
            sim.stop()
            raise

    def disconnect(self) -> None:
        """Close every client and stop the simulators this panel started. Idempotent."""
        if self.state.running:
            raise ConfigError("a run is in progress: wait for it (or stop it) before disconnecting")
        self.close()

    def _stop_owned_sims(self) -> None:
        sims, self._owned_sims = self._owned_sims, []
        if self.state.simulator in sims:
            self.state.simulator = None
        for sim in sims:
            sim.stop()

    def close(self) -> None:
        """Close the connections and stop the simulators, even while a run is in progress."""
        clients = list(self.state.clients or ()) or ([self.state.client] if self.state.client is not None else [])
        self._set_clients([])
        try:
            for client in clients:
                try:
                    client.close()
                except Exception as exc:  # one failing close must not keep the others (or a simulator) open
                    self.report(exc, "disconnect")
        finally:
            self._stop_owned_sims()

    # -- the preset password follows its server ---------------------------------------------------
    def _drop_preset(self) -> None:
        self._preset_password = None
        self.password.placeholder = ""

    def _server_changed(self, change: Any) -> None:
        """Another server: the password typed or given for the previous one is not for it."""
        if str(change.get("new", "")).strip() == str(change.get("old", "")).strip():
            return
        self.password.value = ""
        if self._preset_password is not None and self.server.value.strip() != self._preset_for[0]:
            self._drop_preset()

    def _user_changed(self, _change: Any) -> None:
        """Another user: the preset password belongs to the account it was given with."""
        if self._preset_password is not None and self.user.value.strip() != self._preset_for[1]:
            self._drop_preset()

    # -- views -----------------------------------------------------------------------------------
    def _show_mode(self, _change: Any) -> None:
        simulated = self.mode.value == SIMULATOR
        self.vcenter_box.layout.display = "none" if simulated else None
        self.simulator_box.layout.display = None if simulated and self._external_sim is None else "none"
        self.tls_warning.layout.display = None if self.skip_verify.value else "none"
        self.ca_file.disabled = bool(self.skip_verify.value)

    def _running_changed(self, _change: Any) -> None:
        self.connect_button.disabled = bool(self.state.running)
        self.add_button.disabled = bool(self.state.running)
        self.disconnect_button.disabled = bool(self.state.running) or self.state.client is None

    def _client_changed(self, _change: Any) -> None:
        clients = list(self.state.clients or ()) or ([self.state.client] if self.state.client is not None else [])
        self.disconnect_button.disabled = not clients or bool(self.state.running)
        if not clients:
            self.info.value = ""
            self.set_status("not connected")
            return
        e = html_text
        sims = {f"{sim.url}": sim for sim in [*self._owned_sims, self._external_sim] if sim is not None}
        header = ["vCenter", "product", "version", "API release", "user", "simulator"]
        rows = []
        for client in clients:
            about = client.about
            chosen = RELEASE_SOURCES.get(client.release_source, client.release_source)
            sim = next((s for url, s in sims.items() if client.vcenter in url), None)
            sim_text = ""
            if sim is not None:
                cfg = sim.config
                sim_text = (
                    f"scenario {sim.scenario.name}, {cfg.clusters} clusters × {cfg.hosts_per_cluster} hosts "
                    f"(+{cfg.standalone_hosts} standalone)"
                )
            rows.append(
                [
                    client.vcenter,
                    about.fullName or about.name or "",
                    f"{about.version or '?'} (build {about.build or '?'})",
                    f"{client.release} — {chosen}",
                    client.user or "(session token)",
                    sim_text,
                ]
            )
        self.info.value = (
            "<table class='vnb-table vnb-connection'><thead><tr>"
            + "".join(f"<th style='text-align:left'>{e(h)}</th>" for h in header)
            + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>" for row in rows)
            + "</tbody></table>"
        )
        names = ", ".join(c.vcenter for c in clients)
        self.set_status(
            f"connected to {names}" if len(clients) == 1 else f"connected to {len(clients)} vCenters: {names}", "ok"
        )
