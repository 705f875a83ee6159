"""The ``MethodFault`` family, ``LocalizableMessage`` and ``LocalizedMethodFault``.

Ancestry follows VMware's tables (checked against pyVmomi in the tests). A fault matches a name by its own
type or any ancestor (``NotAuthenticated`` is a ``NoPermission``); an unknown fault type decodes into the
class its slot expects (``MethodFault`` at the top) and keeps its wire name and fields.
"""

from __future__ import annotations

from ._common import AnyValue, Known
from .base import VimObject, ancestry
from .enums import DasConfigFaultDasConfigFaultReason
from .moref import ManagedObjectReference
from .plain import fault_text

__all__ = [
    "KeyAnyValue",
    "LocalizableMessage",
    "LocalizedMethodFault",
    "MethodFault",
    "RuntimeFault",
    "VimFault",
    "SecurityError",
    "NoPermission",
    "NoPermissionEntityPrivileges",
    "NotAuthenticated",
    "InvalidLogin",
    "DasConfigFault",
    "NotSupported",
    "ManagedObjectNotFound",
    "InvalidArgument",
    "InvalidState",
    "HostCommunication",
    "HostNotConnected",
    "HostNotReachable",
    "InvalidRequest",
    "MethodNotFound",
    "RequestCanceled",
    "InvalidProperty",
    "SystemError",
    "NotImplemented",
    "InvalidCollectorVersion",
    "InvalidType",
    "TaskInProgress",
    "Timedout",
    "InvalidLocale",
    "MethodDisabled",
    "fault_message",
    "fault_ancestry",
]


class KeyAnyValue(VimObject):
    key: str
    value: AnyValue = None


class LocalizableMessage(VimObject):
    key: str
    arg: list[KeyAnyValue] | None = None
    message: str | None = None


class MethodFault(VimObject):
    faultCause: MethodFault | None = None
    faultMessage: list[LocalizableMessage] | None = None

    @property
    def type_name(self) -> str:
        return self.vim_type or type(self).__name__

    @property
    def faultstring(self) -> str | None:
        """The optional top-level ``faultstring`` text (not a VMware field; kept when a server sends it)."""
        extra = self.model_extra or {}
        value = extra.get("faultstring") or extra.get("localizedMessage")
        return value if isinstance(value, str) else None

    def message(self) -> str:
        return fault_message(self)

    def ancestry(self) -> list[str]:
        """This fault's type and every type it derives from, most specific first (:func:`fault_ancestry`)."""
        return fault_ancestry(self)

    def causes(self) -> list[MethodFault]:
        """This fault and every ``faultCause`` below it, outermost first."""
        out: list[MethodFault] = []
        node: MethodFault | None = self
        while node is not None and len(out) < 64:
            out.append(node)
            node = node.faultCause
        return out


class RuntimeFault(MethodFault):
    pass


class VimFault(MethodFault):
    pass


class SecurityError(RuntimeFault):
    pass


class NoPermissionEntityPrivileges(VimObject):
    entity: ManagedObjectReference | None = None
    privilegeIds: list[str] | None = None


class NoPermission(SecurityError):
    object: ManagedObjectReference | None = None
    privilegeId: str | None = None
    missingPrivileges: list[NoPermissionEntityPrivileges] | None = None


class NotAuthenticated(NoPermission):
    pass


class InvalidLogin(VimFault):
    pass


class InvalidLocale(VimFault):
    pass


class DasConfigFault(VimFault):
    reason: Known(DasConfigFaultDasConfigFaultReason) | None = None
    output: str | None = None
    event: list[Event] | None = None  # noqa: F821  (resolved in wire/__init__)


class NotSupported(RuntimeFault):
    pass


class MethodDisabled(RuntimeFault):
    """The method is listed in the entity's ``disabledMethod`` (``source`` names who disabled it)."""

    source: str | None = None


class NotImplemented(RuntimeFault):
    pass


class ManagedObjectNotFound(RuntimeFault):
    obj: ManagedObjectReference | None = None


class InvalidArgument(RuntimeFault):
    invalidProperty: str | None = None


class InvalidState(VimFault):
    pass


class TaskInProgress(VimFault):
    task: ManagedObjectReference | None = None


class Timedout(VimFault):
    pass


class HostCommunication(RuntimeFault):
    pass


class HostNotConnected(HostCommunication):
    pass


class HostNotReachable(HostCommunication):
    pass


class InvalidRequest(RuntimeFault):
    pass


class MethodNotFound(InvalidRequest):
    receiver: ManagedObjectReference | None = None
    method: str | None = None


class InvalidType(InvalidRequest):
    argument: str | None = None


class RequestCanceled(RuntimeFault):
    pass


class InvalidProperty(MethodFault):
    name: str | None = None


class InvalidCollectorVersion(MethodFault):
    pass


class SystemError(RuntimeFault):
    reason: str | None = None


class LocalizedMethodFault(VimObject):
    """SOAP-era wrapper ``{fault, localizedMessage}``; unwrapped wherever a fault is expected."""

    fault: MethodFault | None = None
    localizedMessage: str | None = None


def fault_ancestry(fault: MethodFault) -> list[str]:
    names = ancestry(fault.type_name, fallback=type(fault))
    if "MethodFault" not in names:
        names.insert(-1, "MethodFault")
    return names


def fault_message(fault: MethodFault) -> str:
    """A readable message: ``faultMessage[].message``, then ``faultstring``, then type fields, then the type name
    (the same text :func:`vsphere_nb.wire.plain.fault_text` reads from the fault's wire dict)."""
    return fault_text(fault.to_wire())
