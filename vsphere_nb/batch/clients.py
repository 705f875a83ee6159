"""The connections a run is given: what the batch needs of each, as a type.

:class:`vsphere_nb.Client` (what :func:`vsphere_nb.connect` gives) is a :class:`RunClient`; inside
``ReconfigurePlan.execute_async`` an :class:`~vsphere_nb.client.aio.AsyncClient` is accepted as well. A run takes
one connection, several, or ``{vCenter name: connection}``.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, TypeVar

import pandas as pd

from ..client.aio import AsyncClient, vcenter_name

__all__ = ["RunClient", "Connection", "Clients", "clients_by_name"]

T = TypeVar("T")


class RunClient(Protocol):
    """A blocking connection as a run uses it: the async client the engine drives, the loop it runs on, the
    server it names, and the hosts table a retry re-reads for a fresh pre-flight."""

    @property
    def aio(self) -> AsyncClient: ...

    @property
    def server(self) -> str: ...

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]: ...

    def hosts(self) -> pd.DataFrame: ...


#: one connection of a run
Connection: TypeAlias = RunClient | AsyncClient
#: the connections of a run: one, several, or ``{vCenter name: connection}``
Clients: TypeAlias = Connection | Sequence[Connection] | Mapping[str, Connection]


def clients_by_name(clients: Clients) -> dict[str, Connection]:
    """``{vCenter name: client}`` from one client, a list of clients or a mapping."""
    if isinstance(clients, Mapping):
        return dict(clients)
    if not isinstance(clients, (list, tuple)):
        clients = [clients]  # type: ignore[list-item]
    return {vcenter_name(c): c for c in clients}
