"""The exception tree of vsphere-nb.

Three kinds of failure are kept apart, as in govmomi: the network or HTTP layer failed
(:class:`TransportError`), the server answered something that is not VI/JSON (:class:`ProtocolError`), or the
server answered with a fault (:class:`ServerFault`). A *task* that ends in ``error`` is not an exception of
the client at all: it is a result (a row in a table, with its outcome and fault).

::

    VsphereError
    ├── ConfigError                 bad arguments given by the caller (URL, CA file, limits …)
    ├── TransportError              no usable HTTP answer
    │   ├── ConnectError            cannot connect / connection reset
    │   ├── TimeoutError            connect/read/write timeout, or the call's overall deadline (``Timeouts.total``)
    │   └── TLSError                certificate verification or handshake failed
    ├── ProtocolError               the answer is not well-formed VI/JSON, or is larger than ``max_response_bytes``
    ├── ServerFault                 the server answered a MethodFault (``.fault``, ``.raw``, ``.method``, ``.moref``)
    │   └── NotAuthenticatedError   session missing/expired and re-login was not possible
    ├── LaunchStateUnknown          a ``*_Task`` launch got no answer: the task may or may not exist
    └── RunDirectoryError           a run directory or journal cannot be used

Messages never contain passwords or session tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover -- annotations only: at run time errors imports nothing of vsphere_nb
    from .wire.faults import MethodFault
    from .wire.moref import ManagedObjectReference

__all__ = [
    "VsphereError",
    "ConfigError",
    "TransportError",
    "ConnectError",
    "TimeoutError",
    "TLSError",
    "ProtocolError",
    "ServerFault",
    "NotAuthenticatedError",
    "LaunchStateUnknown",
    "RunDirectoryError",
]


class VsphereError(Exception):
    """Base of every error vsphere-nb raises on purpose."""


class ConfigError(VsphereError, ValueError):
    """An argument or setting given by the caller cannot be used."""


class TransportError(VsphereError):
    """No usable HTTP answer: connection, timeout or TLS failure."""

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class ConnectError(TransportError):
    pass


class TimeoutError(TransportError):
    """A connect/read/write/pool timeout, or the call's overall deadline (``Timeouts.total``, default 300 s): httpx's
    read timeout restarts with every byte, so only the deadline stops a server that trickles its answer. Never
    retried when the deadline passed; a ``*_Task`` launch that hits it raises :class:`LaunchStateUnknown` instead."""


class TLSError(TransportError):
    pass


class ProtocolError(VsphereError):
    """The server's answer is not well-formed VI/JSON (bad JSON, wrong shape, HTML error page …), or is larger than
    the client's cap (``max_response_bytes``, default 128 MiB; the message names it), which stops reading it.

    A single property value that does not decode is *not* a ``ProtocolError``: it is kept as a
    :class:`~vsphere_nb.wire.UndecodedValue` and flagged on its object (``hosts``' ``data_issues``)."""

    def __init__(self, message: str, *, status: int | None = None, method: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.method = method


class ServerFault(VsphereError):
    """The server answered a ``MethodFault``.

    ``fault`` is the typed model, ``raw`` the body as received, ``method`` the called method or property,
    ``moref`` the target object, ``status`` the HTTP status.
    """

    def __init__(
        self,
        fault: MethodFault,
        *,
        raw: dict[str, Any] | None = None,
        method: str | None = None,
        moref: ManagedObjectReference | None = None,
        status: int | None = None,
    ) -> None:
        self.fault = fault
        self.raw = raw or {}
        self.method = method
        self.moref = moref
        self.status = status
        super().__init__(self._text())

    def _text(self) -> str:
        where = ""
        if self.moref is not None:
            where = f" on {self.moref.type}:{self.moref.value}"
        call = f"{self.method}{where}: " if self.method else (where.strip() + ": " if where else "")
        return f"{call}{self.fault.type_name}: {self.fault.message()}"

    @property
    def type_name(self) -> str:
        return self.fault.type_name

    def is_a(self, type_name: str) -> bool:
        """True when the fault is ``type_name`` or one of its descendants (``NotAuthenticated`` is a ``NoPermission``)."""
        return type_name in self.fault.ancestry()


class NotAuthenticatedError(ServerFault):
    """The session is missing or expired and could not be renewed (no credentials, or re-login failed)."""


class LaunchStateUnknown(VsphereError):
    """A task launch (``*_Task``) got no answer; the task may exist. Check the entity's ``recentTask`` before relaunching."""

    def __init__(self, message: str, *, method: str, moref: ManagedObjectReference | None = None) -> None:
        super().__init__(message)
        self.method = method
        self.moref = moref


class RunDirectoryError(VsphereError):
    """A run directory is missing, unreadable or not a vsphere-nb run."""
