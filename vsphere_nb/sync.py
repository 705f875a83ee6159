"""The notebook-facing client: :func:`connect` gives a :class:`Client` — the blocking client
(:class:`~vsphere_nb.client.blocking.BlockingClient`: ``run``, ``submit``, ``get``, ``invoke``, …) plus the verbs a
notebook reads the fleet with: :meth:`Client.hosts`, :meth:`Client.events`, :meth:`Client.clusters`,
:meth:`Client.diagnose` and :meth:`Client.plan_reconfigure`. It sits above the batch and the diagnosis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeAlias, cast

import httpx
import pandas as pd

from .batch.execute import ReconfigurePlan, plan_reconfigure
from .batch.limits import BatchLimits
from .batch.result import RunResult
from .client.blocking import BlockingClient, LoopThread, start_client
from .client.config import (
    DEFAULT_USER_AGENT,
    MAX_RESPONSE_BYTES,
    RetryPolicy,
    Secret,
    Timeouts,
    VerifyArg,
    parse_server,
    resolve_verify,
)
from .diagnosis import Diagnosis, diagnose
from .diagnosis.rules import RulesArg
from .fleet.agent_log import read_agent_logs
from .fleet.clusters import add_state_change_times, clusters_frame, collect_fleet, diagnosis_hosts_frame
from .fleet.history import DEFAULT_MAX_EVENTS, read_history, server_now
from .fleet.inventory import collect_inventory, filter_hosts, hosts_frame

__all__ = ["Client", "connect", "LoopThread"]

logger = logging.getLogger("vsphere_nb.sync")

#: names (or moIds) of hosts or clusters, one name, or a frame with the ``host``/``host_moid`` (``cluster``/
#: ``cluster_moid``) columns
Names: TypeAlias = str | Iterable[str] | pd.DataFrame
#: a point in time: a duration counted back from the server's clock (``"24h"``, ``"7d"``, a ``timedelta``), or a
#: date/time (ISO text or a datetime; naive = UTC)
TimeArg: TypeAlias = str | datetime | timedelta | pd.Timestamp | pd.Timedelta


class Client(BlockingClient):
    """Blocking twin of :class:`~vsphere_nb.client.aio.AsyncClient` with the notebook's verbs; create it with
    :func:`connect`."""

    # -- the core job ---------------------------------------------------------------------------
    def hosts(
        self,
        *,
        clusters: Iterable[str] | None = None,
        host_names: Iterable[str] | None = None,
        only_unhealthy: bool = False,
        page_size: int = 2000,
        diagnostics: bool = False,
    ) -> pd.DataFrame:
        """The ``hosts`` DataFrame: every host with its HA state and pre-flight eligibility, in one
        PropertyCollector pass. ``clusters``/``host_names`` select (unknown names raise ``ConfigError``).
        ``diagnostics=True`` adds what diagnosis reads per host (management vmknics, accessible datastores,
        heartbeat datastores, version vs vCenter's; see :mod:`vsphere_nb.fleet.clusters`) in the same pass.

        A value the server sent that cannot be used costs its cell only: the cell is empty, the host's
        ``data_issues`` says which property and why, and each kind of issue is logged once as a warning."""

        if diagnostics:
            fleet = self.run(collect_fleet(self._aio, page_size=page_size, vcenter=self.vcenter))
            frame = diagnosis_hosts_frame(fleet, self.about.version)
        else:
            frame = hosts_frame(self.run(collect_inventory(self._aio, page_size=page_size, vcenter=self.vcenter)))
        return filter_hosts(frame, clusters=clusters, host_names=host_names, only_unhealthy=only_unhealthy)

    def events(
        self,
        *,
        hosts: Names | None = None,
        clusters: Names | None = None,
        since: TimeArg = "24h",
        until: TimeArg | None = None,
        types: str | Iterable[str] = "ha",
        max_events: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> pd.DataFrame:
        """The HA event history of a window as a DataFrame (the run's events columns plus ``category``): one
        event collector, read in large pages. See :mod:`vsphere_nb.fleet.history`."""

        return self.run(
            read_history(
                self._aio,
                hosts=hosts,
                clusters=clusters,
                since=since,
                until=until,
                types=types,
                max_events=max_events or DEFAULT_MAX_EVENTS,
                progress=progress,
                vcenter=self.vcenter,
            )
        )

    def clusters(self, *, page_size: int = 2000) -> pd.DataFrame:
        """One row per cluster with its HA settings and host health, in one PropertyCollector pass
        (see :mod:`vsphere_nb.fleet.clusters`)."""

        return clusters_frame(self.run(collect_fleet(self._aio, page_size=page_size, vcenter=self.vcenter)))

    def diagnose(
        self,
        hosts: pd.DataFrame | str | Iterable[str] | None = None,
        *,
        run: RunResult | Mapping[str, pd.DataFrame] | None = None,
        since: TimeArg = "72h",
        rules: RulesArg | None = None,
        agent_logs: bool = True,
    ) -> Diagnosis:
        """Gather (one fleet pass, the HA history since ``since``) and :func:`~vsphere_nb.diagnosis.diagnose`.

        ``hosts`` narrows which hosts are diagnosed (a frame or names); ``run`` adds a run's attempts and events;
        ``agent_logs`` reads the HA agent's log (:func:`~vsphere_nb.fleet.agent_log.read_agent_logs`) of the hosts
        that need a diagnosis, and only theirs.
        """

        inv = self.run(collect_fleet(self._aio, vcenter=self.vcenter))
        history = self.run(read_history(self._aio, since=since, vcenter=self.vcenter))
        frame = add_state_change_times(diagnosis_hosts_frame(inv, self.about.version), history)
        if hosts is not None:
            names = hosts["host_moid"].astype(str).tolist() if isinstance(hosts, pd.DataFrame) else hosts
            frame = filter_hosts(frame, host_names=[names] if isinstance(names, str) else names)
        clusters = clusters_frame(inv)
        now = self.run(server_now(self._aio))  # state ages and event windows on the server's clock
        first = diagnose(frame, run=run, events=history, clusters=clusters, rules=rules, now=now)
        if not agent_logs or not len(first.hosts):
            return first
        mine = first.hosts[first.hosts["vcenter"].astype(str) == str(self.vcenter)]
        logs = self.run(read_agent_logs(self._aio, mine["host_moid"].astype(str).tolist()))
        keyed = {(self.vcenter, moid): lines for moid, lines in logs.items()}
        return diagnose(frame, run=run, events=history, clusters=clusters, rules=rules, logs=keyed, now=now)

    def plan_reconfigure(
        self,
        hosts: pd.DataFrame,
        limits: BatchLimits | None = None,
        *,
        diagnosis: Diagnosis | pd.DataFrame | bool | None = None,
    ) -> ReconfigurePlan:
        """A dry run of *Reconfigure for vSphere HA* over ``hosts``: see :class:`~vsphere_nb.batch.ReconfigurePlan`.

        ``diagnosis`` (``vc.diagnose()``, or ``True`` to diagnose ``hosts`` now) adds each host's cause and flags
        the hosts a reconfigure will not help (launching them needs ``confirm_flagged=True``)."""

        advice = self.diagnose() if diagnosis is True else diagnosis
        return plan_reconfigure({self.vcenter: self}, hosts, limits, diagnosis=cast(Any, advice))


def connect(
    server: str,
    user: str | None = None,
    password: str | Secret | None = None,
    *,
    session_token: str | Secret | None = None,
    verify: VerifyArg = True,
    release: str | None = None,
    timeout: Timeouts = Timeouts(),
    retry: RetryPolicy = RetryPolicy(),
    transport: httpx.AsyncBaseTransport | None = None,
    user_agent: str = DEFAULT_USER_AGENT,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
) -> Client:
    """Blocking :meth:`AsyncClient.connect <vsphere_nb.client.aio.AsyncClient.connect>`; works inside Jupyter."""
    parse_server(server)  # a bad URL fails before anything else happens
    # resolved here, in the caller's thread, so an InsecureTLSWarning points at the caller's line
    tls = resolve_verify(verify, stacklevel=2)
    return start_client(
        Client,
        server,
        user,
        password,
        session_token=session_token,
        verify=tls,
        release=release,
        timeout=timeout,
        retry=retry,
        transport=transport,
        user_agent=user_agent,
        max_response_bytes=max_response_bytes,
    )
