"""Shared fixtures: a running simulator over real HTTP, and a tiny VI/JSON caller for tests.

* ``sim`` — a started :class:`~vsphere_nb.simulator.Simulator` (healthy scenario, 2 clusters × 4 hosts + 1
  standalone host, tasks of ~0.1 s real time) on 127.0.0.1, stopped after the test.
* ``make_sim(**kwargs)`` — start simulators with other settings (all stopped after the test).
* ``vi`` — a :class:`Vi` logged in to ``sim`` as the administrator; ``make_vi(sim, ...)`` for others.

``Vi`` speaks VI/JSON with plain httpx on purpose: the simulator's own tests must not depend on the client
they are meant to check. Tests of the client use ``sim.url``, ``sim.user`` and ``sim.password`` instead.
"""

from __future__ import annotations

import signal
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from vsphere_nb.simulator import Simulator

#: settings of the default ``sim`` fixture: small and fast
FAST = dict(
    clusters=2, hosts_per_cluster=4, standalone_hosts=1, scenario="healthy", seed=1, task_seconds=2.0, time_scale=20.0
)

MOREF = "ManagedObjectReference"


def moref(type_name: str, value: str) -> dict[str, str]:
    return {"_typeName": MOREF, "type": type_name, "value": value}


class Vi:
    """A minimal VI/JSON caller (sync httpx) for simulator tests."""

    def __init__(
        self,
        base_url: str,
        *,
        release: str = "8.0.3.0",
        verify: Any = True,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.release = release
        self.http = httpx.Client(verify=verify, transport=transport, timeout=timeout)
        self.token: str | None = None
        self._content: dict[str, Any] | None = None

    def close(self) -> None:
        self.http.close()

    def url(self, type_name: str, moid: str, name: str) -> str:
        from urllib.parse import quote

        return f"{self.base_url}/sdk/vim25/{self.release}/{type_name}/{quote(moid, safe='')}/{name}"

    def headers(self) -> dict[str, str]:
        return {"vmware-api-session-id": self.token} if self.token else {}

    # -- raw -------------------------------------------------------------------------------------
    def get(self, type_name: str, moid: str, prop: str) -> httpx.Response:
        return self.http.get(self.url(type_name, moid, prop), headers=self.headers())

    def post(self, type_name: str, moid: str, method: str, body: Any = None, **kw: Any) -> httpx.Response:
        if body is None:
            return self.http.post(self.url(type_name, moid, method), headers=self.headers(), **kw)
        return self.http.post(self.url(type_name, moid, method), headers=self.headers(), json=body, **kw)

    # -- checked ---------------------------------------------------------------------------------
    def ok(self, response: httpx.Response) -> Any:
        assert 200 <= response.status_code < 300, f"{response.status_code}: {response.text[:500]}"
        token = response.headers.get("vmware-api-session-id")
        if token:
            self.token = token
        return response.json() if response.content else None

    def call(self, type_name: str, moid: str, method: str, body: Any = None, **kw: Any) -> Any:
        return self.ok(self.post(type_name, moid, method, body, **kw))

    def read(self, type_name: str, moid: str, prop: str) -> Any:
        return self.ok(self.get(type_name, moid, prop))

    def fault(self, response: httpx.Response, status: int = 500) -> dict[str, Any]:
        assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:500]}"
        body = response.json()
        assert isinstance(body, dict) and "_typeName" in body, body
        return body

    # -- conveniences ----------------------------------------------------------------------------
    def login(self, user: str, password: str) -> dict[str, Any]:
        manager = self.singleton("sessionManager")
        return self.call("SessionManager", manager, "Login", {"userName": user, "password": password})

    def content(self) -> dict[str, Any]:
        self._content = self.read("ServiceInstance", "ServiceInstance", "content")
        return self._content

    def singleton(self, name: str) -> str:
        """A singleton's moId from the service content (ESX mode uses other ids than vCenter)."""
        if self._content is None:
            self.content()
        assert self._content is not None
        return self._content[name]["value"]

    def container_view(self, types: list[str], container: dict[str, str] | None = None) -> dict[str, str]:
        container = container or self.content()["rootFolder"]
        return self.call(
            "ViewManager",
            self.singleton("viewManager"),
            "CreateContainerView",
            {"container": container, "type": types, "recursive": True},
        )

    def retrieve(
        self,
        view: dict[str, str],
        type_name: str,
        paths: list[str],
        max_objects: int | None = None,
        collector: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every ObjectContent of ``type_name`` objects in ``view`` (follows tokens)."""
        collector = collector or self.singleton("propertyCollector")
        body: dict[str, Any] = {"specSet": [view_spec(view, type_name, paths)]}
        if max_objects:
            body["options"] = {"_typeName": "RetrieveOptions", "maxObjects": max_objects}
        result = self.call("PropertyCollector", collector, "RetrievePropertiesEx", body)
        objects = []
        while result:
            objects.extend(result["objects"])
            token = result.get("token")
            if not token:
                break
            result = self.call("PropertyCollector", collector, "ContinueRetrievePropertiesEx", {"token": token})
        return objects

    def hosts(self, paths: list[str]) -> dict[str, dict[str, Any]]:
        """``{host moId: {path: decoded value}}`` for every host."""
        from vsphere_nb import wire

        view = self.container_view(["HostSystem"])
        out = {}
        for oc in self.retrieve(view, "HostSystem", paths):
            out[oc["obj"]["value"]] = {p["name"]: wire.decode_any(p["val"]) for p in oc.get("propSet", [])}
        return out

    def reconfigure(self, host_moid: str) -> dict[str, str]:
        return self.call("HostSystem", host_moid, "ReconfigureHostForDAS_Task")

    def task_info(self, task_moid: str) -> dict[str, Any]:
        return self.read("Task", task_moid, "info")

    def wait_task(self, task_moid: str, timeout: float = 20.0) -> dict[str, Any]:
        import time

        deadline = time.monotonic() + timeout
        while True:
            info = self.task_info(task_moid)
            if info["state"] in ("success", "error"):
                return info
            assert time.monotonic() < deadline, f"task {task_moid} still {info['state']}"
            time.sleep(0.02)


def view_spec(view: dict[str, str], type_name: str, paths: list[str]) -> dict[str, Any]:
    """A PropertyFilterSpec over a view's objects of ``type_name``."""
    return {
        "_typeName": "PropertyFilterSpec",
        "objectSet": [
            {
                "_typeName": "ObjectSpec",
                "obj": view,
                "skip": True,
                "selectSet": [
                    {"_typeName": "TraversalSpec", "name": "view", "type": view["type"], "path": "view", "skip": False}
                ],
            }
        ],
        "propSet": [{"_typeName": "PropertySpec", "type": type_name, "pathSet": paths}],
    }


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Simulator]]:
    started: list[Simulator] = []

    def factory(**kwargs: Any) -> Simulator:
        settings = {**FAST, **kwargs}
        sim = Simulator(**settings)
        started.append(sim)
        return sim.start()

    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: Callable[..., Simulator]) -> Simulator:
    return make_sim()


@pytest.fixture
def make_vi() -> Iterator[Callable[..., Vi]]:
    made: list[Vi] = []

    def factory(
        sim: Simulator, user: str | None = None, password: str | None = None, *, login: bool = True, **kwargs: Any
    ) -> Vi:
        if sim.ca_file:
            kwargs.setdefault("verify", ssl.create_default_context(cafile=sim.ca_file))
        vi = Vi(sim.url, **kwargs)
        made.append(vi)
        if login:
            vi.login(user or sim.user, password if password is not None else sim.password)
        return vi

    yield factory
    for vi in made:
        vi.close()


@pytest.fixture
def vi(sim: Simulator, make_vi: Callable[..., Vi]) -> Vi:
    return make_vi(sim)


@pytest.fixture(autouse=True)
def _no_inherited_terminal_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest-xdist workers export ``COLUMNS=80``/``LINES=24``; the CLI lays out piped output for ``COLUMNS`` (120
    when unset). Every test starts from the same place, however the suite is run; a test wants a width, it sets it."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


def pytest_configure(config: pytest.Config) -> None:
    """A shell without job control starts background commands with SIGINT ignored (``(make test &)`` in a script);
    a child inherits that, and Python then installs no Ctrl-C handler in it: the tests that press Ctrl-C in a CLI
    child would see it ignored. A handled signal is reset to the default across ``exec``, so handling it here
    gives every child the Ctrl-C a terminal would."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _signals_left_as_found() -> Iterator[None]:
    """A test that leaves SIGINT or SIGTERM changed in its worker changes every later test that interrupts a child
    (ignored, the child inherits it and Python then installs no Ctrl-C handler there)."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    changed = {sig.name: signal.getsignal(sig) for sig, handler in before.items() if signal.getsignal(sig) != handler}
    assert not changed, f"this test left signal dispositions changed: {changed}"
