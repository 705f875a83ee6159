"""``ConnectPanel``: connect to a vCenter (server, user, password, TLS) or to the built-in simulator.

The password is a ``Password`` widget, and it is cleared after every connection attempt: a widget's value is
part of the widget state that Jupyter can save into the notebook file, so it must not stay there. A password
given to the constructor (a notebook's parameters cell) is kept as a :class:`~vsphere_nb.config.Secret`, never
put into a widget, and dropped once used. The simulator's generated password is used internally and never
displayed. Only :mod:`vsphere_nb.sync` (``connect``) and :mod:`vsphere_nb.simulator` (``Simulator``) are used.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from ..config import InsecureTLSWarning, Secret
from ..errors import ConfigError
from ..simulator import BUILTIN_SCENARIOS, Simulator
from ..sync import connect
from ._util import Panel, styled

__all__ = ["ConnectPanel", "RELEASE_SOURCES"]

#: how the VI/JSON release was chosen, as shown to the user (``Client.release_source``)
RELEASE_SOURCES = {
    "explicit": "set explicitly",
    "hello": "negotiated with the server (system hello)",
    "about": "from the server's about.apiVersion",
    "default": "default (the server offered nothing newer)",
}

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
        self._preset_password: Secret | None = Secret(password) if password else None
        self._external_sim: Simulator | None = simulator if isinstance(simulator, Simulator) else None
        sim_options: dict[str, Any] = dict(simulator) if isinstance(simulator, Mapping) else {}
        self.simulator_options: dict[str, Any] = {
            k: v for k, v in sim_options.items() if k not in ("scenario", "clusters", "hosts_per_cluster")
        }
        self._owned_sim: Simulator | None = None

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
            widgets.Password(
                value="",
                description="Password",
                placeholder="(given in the parameters cell)" if self._preset_password else "",
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
            widgets.HTML(value=f'<span style="color:#c62828"><b>{html.escape(_TLS_WARNING)}</b></span>'),
            "vnb-tls-warning",
        )
        scenario = str(sim_options.get("scenario", "mixed"))
        scenarios = list(BUILTIN_SCENARIOS) + ([scenario] if scenario not in BUILTIN_SCENARIOS else [])
        self.scenario = styled(
            widgets.Dropdown(options=scenarios, value=scenario, description="Scenario"), "vnb-scenario"
        )
        self.clusters = styled(
            widgets.BoundedIntText(value=int(sim_options.get("clusters", 4)), min=1, max=1000, description="Clusters"),
            "vnb-sim-clusters",
        )
        self.hosts_per_cluster = styled(
            widgets.BoundedIntText(
                value=int(sim_options.get("hosts_per_cluster", 8)), min=1, max=10000, description="Hosts/cluster"
            ),
            "vnb-sim-hosts",
        )
        self.connect_button = styled(
            widgets.Button(description="Connect", button_style="primary", icon="plug"), "vnb-connect"
        )
        self.disconnect_button = styled(widgets.Button(description="Disconnect", disabled=True), "vnb-disconnect")
        self.info = styled(widgets.HTML(value=""), "vnb-connection-info")

        self.vcenter_box = widgets.VBox(
            [self.server, self.user, self.password, self.ca_file, self.skip_verify, self.tls_warning]
        )
        self.simulator_box = widgets.VBox([self.scenario, self.clusters, self.hosts_per_cluster])
        self._finish_layout(
            self.mode,
            self.vcenter_box,
            self.simulator_box,
            widgets.HBox([self.connect_button, self.disconnect_button]),
            self.info,
        )

        self.connect_button.on_click(self.action(self.connect, "connect"))
        self.disconnect_button.on_click(self.action(self.disconnect, "disconnect"))
        self.mode.observe(self.observer(self._show_mode), "value")
        self.skip_verify.observe(self.observer(self._show_mode), "value")
        self.state.observe(self.observer(self._client_changed), "client")
        self.state.observe(self.observer(self._running_changed), "running")
        self._show_mode(None)
        if self._external_sim is not None:
            self.simulator_box.layout.display = "none"
        self.set_status("not connected")

    # -- actions ---------------------------------------------------------------------------------
    def connect(self) -> Any:
        """Connect with what the form says (closing a previous connection first); returns the client."""
        password_text = self.password.value
        self.password.value = ""  # never left in the widget state, whatever happens next
        if self.state.running:
            raise ConfigError("a run is in progress: wait for it (or stop it) before reconnecting")
        self.disconnect()
        if self.mode.value == SIMULATOR:
            return self._connect_simulator()
        server = self.server.value.strip()
        user = self.user.value.strip()
        if not server:
            raise ConfigError("enter the vCenter server name")
        if not user:
            raise ConfigError("enter the user name")
        if password_text:
            secret = Secret(password_text)
        elif self._preset_password is not None:
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
            client = connect(server, user, secret, verify=verify)
        self.state.client = client
        return client

    def _connect_simulator(self) -> Any:
        sim = self._external_sim
        if sim is None:
            options = {
                "scenario": self.scenario.value,
                "clusters": int(self.clusters.value),
                "hosts_per_cluster": int(self.hosts_per_cluster.value),
                **self.simulator_options,
            }
            self.set_status(
                f"starting the simulator ({options['clusters']} × {options['hosts_per_cluster']} hosts) …", "busy"
            )
            sim = Simulator(**options)
            sim.start()
            self._owned_sim = sim
            self.state.simulator = sim
        try:
            client = connect(sim.url, sim.user, sim.password, verify=sim.ca_file or True)
        except BaseException:
            self._stop_owned_sim()
            raise
        self.state.client = client
        return client

    def disconnect(self) -> None:
        """Close the client and stop the simulator this panel started. Idempotent."""
        if self.state.running:
            raise ConfigError("a run is in progress: wait for it (or stop it) before disconnecting")
        client = self.state.client
        try:
            if client is not None:
                self.state.client = None
                client.close()
        finally:
            self._stop_owned_sim()

    def _stop_owned_sim(self) -> None:
        sim, self._owned_sim = self._owned_sim, None
        if sim is not None:
            if self.state.simulator is sim:
                self.state.simulator = None
            sim.stop()

    def close(self) -> None:
        """Close the connection and stop the simulator, even while a run is in progress."""
        client, self.state.client = self.state.client, None
        try:
            if client is not None:
                client.close()
        finally:
            self._stop_owned_sim()

    # -- views -----------------------------------------------------------------------------------
    def _show_mode(self, _change: Any) -> None:
        simulated = self.mode.value == SIMULATOR
        self.vcenter_box.layout.display = "none" if simulated else None
        self.simulator_box.layout.display = None if simulated and self._external_sim is None else "none"
        self.tls_warning.layout.display = None if self.skip_verify.value else "none"
        self.ca_file.disabled = bool(self.skip_verify.value)

    def _running_changed(self, _change: Any) -> None:
        self.connect_button.disabled = bool(self.state.running)
        self.disconnect_button.disabled = bool(self.state.running) or self.state.client is None

    def _client_changed(self, _change: Any) -> None:
        client = self.state.client
        self.disconnect_button.disabled = client is None or bool(self.state.running)
        if client is None:
            self.info.value = ""
            self.set_status("not connected")
            return
        about = client.about
        e = html.escape
        chosen = RELEASE_SOURCES.get(client.release_source, client.release_source)
        rows = [
            ("vCenter", client.vcenter),
            ("Product", about.fullName or about.name or ""),
            ("Version", f"{about.version or '?'} (build {about.build or '?'})"),
            ("API release", f"{client.release} — {chosen}"),
            ("User", client.user or "(session token)"),
        ]
        sim = self.state.simulator or self._external_sim
        if sim is not None:
            cfg = sim.config
            rows.append(
                (
                    "Simulator",
                    f"scenario {sim.scenario.name}, {cfg.clusters} clusters × "
                    f"{cfg.hosts_per_cluster} hosts (+{cfg.standalone_hosts} standalone)",
                )
            )
        self.info.value = (
            "<table class='vnb-connection'>"
            + "".join(f"<tr><th style='text-align:left'>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
            + "</table>"
        )
        self.set_status(f"connected to {client.vcenter}", "ok")
