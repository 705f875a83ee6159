"""The VI/JSON client, one package: :class:`AsyncClient` (``aio``) over the HTTP layer (``_transport``, its
failures named by ``_transport_errors``, its logs kept free of secrets by ``_log_redaction``), what is asked before
a session exists (``_handshake``: service content, release), how an answer is read (``_answers``), which calls may
be retried and how (``_call_policy``), large answers decoded off the event loop (``_offload``), the connection
options (``config``) and the PropertyCollector helpers (``property``).

Modules whose names start with ``_`` are this package's own; everything above it uses ``aio``, ``config`` and
``property``. Names are loaded on first use, so ``vsphere_nb.client.config`` does not load httpx's client stack.
"""

import typing as _typing

from .._lazy import lazy_attributes as _lazy_attributes

if _typing.TYPE_CHECKING:
    from .aio import AsyncClient, vcenter_name

__getattr__, __dir__ = _lazy_attributes(__name__, globals(), {"AsyncClient": ".aio", "vcenter_name": ".aio"})

__all__ = ["AsyncClient", "vcenter_name"]
