"""``Simulator``: the embedded vCenter as one object — a real HTTP server, or an in-process ASGI app.

::

    with Simulator(clusters=4, hosts_per_cluster=8, scenario="mixed", seed=1) as sim:
        print(sim.url, sim.user, sim.password)      # real HTTP on 127.0.0.1, a free port

    sim = Simulator(scenario="healthy", time_scale=50)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(sim.app), base_url="http://sim")  # in-process

Both ways share one model and one clock (a scheduler thread, started on first use). Constructor arguments
mirror the ``vsphere-nb simulate`` flags; chaos knobs can also be changed while running through
``sim.chaos`` (e.g. ``sim.chaos.drop_rate = 0.1``).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .app import SimulatorApp
from .config import ChaosConfig, SimulatorConfig
from .inventory import Inventory
from .scenarios import Scenario
from .server import HttpServer
from .storytelling import tell_stories
from .tls import generate_tls
from .vcenter import Vcenter

__all__ = ["Simulator"]


class Simulator:
    def __init__(
        self,
        *,
        clusters: int = 4,
        hosts_per_cluster: int = 8,
        standalone_hosts: int = 2,
        datacenters: int = 1,
        scenario: Any = "mixed",
        seed: int = 0,
        task_seconds: float | None = None,
        time_scale: float = 10.0,
        max_active_tasks: int = 640,
        mode: str | None = None,
        version: str = "8.0.3",
        host_name_style: str = "vcsim",
        tls: bool = False,
        tls_dir: str | None = None,
        bind: str = "127.0.0.1",
        port: int = 0,
        user: str = "administrator@vsphere.local",
        password: str | None = None,
        readonly_user: str = "readonly@vsphere.local",
        readonly_password: str | None = None,
        users: dict[str, tuple[str, str]] | None = None,
        not_authenticated_status: int = 500,
        empty_answer_status: int = 200,
        session_idle_timeout: float | None = 1800.0,
        max_sessions: int | None = 2000,
        latency: float = 0.0,
        jitter: float = 0.0,
        http_503_rate: float = 0.0,
        drop_rate: float = 0.0,
        session_lifetime: float | None = None,
        restart_every: float | None = None,
    ) -> None:
        chaos = ChaosConfig(
            latency=latency,
            jitter=jitter,
            http_503_rate=http_503_rate,
            drop_rate=drop_rate,
            session_lifetime=session_lifetime,
            restart_every=restart_every,
        )
        self.config = SimulatorConfig(
            datacenters=datacenters,
            clusters=clusters,
            hosts_per_cluster=hosts_per_cluster,
            standalone_hosts=standalone_hosts,
            scenario=scenario,
            seed=seed,
            task_seconds=task_seconds,
            time_scale=time_scale,
            max_active_tasks=max_active_tasks,
            mode=mode,  # type: ignore[arg-type]  # checked by SimulatorConfig.validate
            version=version,
            host_name_style=host_name_style,  # type: ignore[arg-type]
            bind=bind,
            port=port,
            tls=tls,
            tls_dir=tls_dir,
            user=user,
            password=password,
            readonly_user=readonly_user,
            readonly_password=readonly_password,
            users=dict(users or {}),
            not_authenticated_status=not_authenticated_status,
            empty_answer_status=empty_answer_status,
            session_idle_timeout=session_idle_timeout,
            max_sessions=max_sessions,
            chaos=chaos,
        )
        self.vc = Vcenter(self.config)
        #: ground truth of the root-cause stories: host moId -> {host, cluster, cause} (``GET /simulator/root-causes``)
        self.stories = tell_stories(self.vc)
        self._transports: dict[Any, Any] = {}
        self.app = SimulatorApp(self.vc, self._transports, root_causes=self.stories)
        self._server: HttpServer | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ca_file: str | None = None
        self._restarter: threading.Thread | None = None
        self._stop_restarts = threading.Event()

    # -- identity ----------------------------------------------------------------------------------
    @property
    def user(self) -> str:
        return self.config.user

    @property
    def password(self) -> str:
        return self.config.password or ""

    @property
    def readonly_user(self) -> str:
        return self.config.readonly_user

    @property
    def readonly_password(self) -> str:
        return self.config.readonly_password or ""

    @property
    def chaos(self) -> ChaosConfig:
        return self.config.chaos

    @property
    def scenario(self) -> Scenario:
        return self.vc.scenario

    @property
    def inventory(self) -> Inventory:
        return self.vc.inventory

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not serving HTTP; use start() or 'with Simulator(...)'")
        return self._server.port

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:PORT`` — the base URL a client connects to."""
        host = self.config.bind
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{host}:{self.port}"

    def __repr__(self) -> str:
        where = self.url if self._server is not None and self._server.running else "not serving"
        return (
            f"<Simulator {where} mode={self.vc.mode} scenario={self.vc.scenario.name} "
            f"hosts={len(self.vc.inventory.hosts)} user={self.user}>"
        )

    # -- life cycle --------------------------------------------------------------------------------
    def start(self) -> Simulator:
        """Serve real HTTP(S) in a background thread on ``bind``:``port`` (0 = a free port)."""
        if self._server is not None and self._server.running:
            return self
        certfile = keyfile = None
        if self.config.tls:
            directory = self.config.tls_dir
            if directory is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="vsphere-nb-sim-tls-")
                directory = self._tmp.name
            files = generate_tls(directory, self.config.bind)
            self.ca_file, certfile, keyfile = files.ca_file, files.cert_file, files.key_file
        self._server = HttpServer(
            self.app,
            bind=self.config.bind,
            port=self.config.port,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
            transports=self._transports,
        )
        self._server.start()
        if self.chaos.restart_every:
            self._stop_restarts.clear()
            self._restarter = threading.Thread(target=self._restart_loop, name="vsphere-nb-sim-restarts", daemon=True)
            self._restarter.start()
        return self

    def stop(self) -> None:
        """Stop serving and stop the clock. Idempotent."""
        self._stop_restarts.set()
        if self._restarter is not None:
            self._restarter.join(timeout=10)
            self._restarter = None
        if self._server is not None:
            self._server.stop()
        self.vc.shutdown()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def restart(self, downtime: float = 0.0, *, forget_tasks: bool = False) -> None:
        """Stop the HTTP server and start it again on the same port: sessions are lost, tasks continue.

        ``forget_tasks=True`` is a vCenter *service* restart: every task is gone (running ones never finish,
        ``recentTask`` is empty) and task ids are handed out again from the start — a client that matches
        tasks by id alone is fooled by it. The events logged before the restart stay (vCenter keeps them in
        its database)."""
        with self.outage(forget_tasks=forget_tasks):
            if downtime > 0:
                self._stop_restarts.wait(downtime)

    @contextmanager
    def outage(self, *, forget_tasks: bool = False) -> Iterator[None]:
        """vCenter down for as long as the block runs, then back on the same port (a :meth:`restart` whose
        downtime ends when the caller says so, e.g. once a client has given up): clients get "connection
        refused" meanwhile, sessions are lost, tasks continue (``forget_tasks`` as in :meth:`restart`)."""
        if self._server is None:
            raise RuntimeError("the simulator is not serving HTTP")
        self._server.stop()
        self.vc.sessions.clear()
        if forget_tasks:
            self.vc.tasks.forget_all()
        self.vc.stats.chaos_event("restarts")
        try:
            yield
        finally:
            self._server.start()

    def expire_sessions(self) -> int:
        """Expire every session now (as ``session_lifetime`` would): the next call of each gets ``NotAuthenticated``."""
        return self.vc.sessions.expire_all()

    def _restart_loop(self) -> None:
        while not self._stop_restarts.wait(self.chaos.restart_every or 3600):
            try:
                self.restart()
            except Exception:
                logging.getLogger(__name__).exception("simulator restart failed")

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- statistics --------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """The ``/simulator/stats`` document, read directly."""
        return self.vc.stats.snapshot(self.vc.sessions.active)

    def reset_stats(self) -> None:
        self.vc.stats.reset()

    def issued_tokens(self) -> tuple[str, ...]:
        """Every session token issued so far (``/sdk`` logins and ``/api/session``), for secret scanners."""
        return self.vc.sessions.issued_tokens() + tuple(sorted(self.app._vapi_tokens))
