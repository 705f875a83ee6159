"""Faults the simulator raises, built from the wire models with the messages a vCenter writes.

A handler raises :class:`SimFault`; the HTTP layer turns it into ``500`` (or the configured status) with the
fault object itself as the JSON body, exactly as VI/JSON does (reference §5). Keeping the builders here means
every fault text lives in one place and the tests can compare against it.
"""

from __future__ import annotations

from typing import Any

from .. import wire
from ..wire import MoRef

__all__ = [
    "SimFault",
    "message",
    "not_authenticated",
    "invalid_login",
    "no_permission",
    "not_supported",
    "method_not_found",
    "managed_object_not_found",
    "invalid_argument",
    "invalid_property",
    "invalid_request",
    "invalid_type",
    "invalid_state",
    "host_not_connected",
    "method_disabled",
    "request_canceled",
    "invalid_collector_version",
    "system_error",
    "not_implemented",
    "not_found",
    "invalid_name",
]


class SimFault(Exception):
    """A method fault to answer instead of a result. ``status`` is the HTTP status (500 unless a knob says otherwise)."""

    def __init__(self, fault: wire.MethodFault, status: int = 500) -> None:
        super().__init__(fault.type_name)
        self.fault = fault
        self.status = status

    def body(self) -> dict[str, Any]:
        return self.fault.to_wire()


def message(key: str, text: str, **args: Any) -> wire.LocalizableMessage:
    """A ``LocalizableMessage`` with optional boxed arguments (``KeyAnyValue``)."""
    arg = [wire.KeyAnyValue(key=k, value=v) for k, v in args.items()] or None
    return wire.LocalizableMessage(key=key, arg=arg, message=text)


def not_authenticated(status: int = 500) -> SimFault:
    return SimFault(
        wire.NotAuthenticated(
            faultMessage=[message("vim.fault.NotAuthenticated", "The session is not authenticated.")]
        ),
        status,
    )


def invalid_login() -> SimFault:
    return SimFault(
        wire.InvalidLogin(
            faultMessage=[
                message("vim.fault.InvalidLogin", "Cannot complete login due to an incorrect user name or password.")
            ]
        )
    )


def no_permission(obj: MoRef, privilege: str) -> SimFault:
    return SimFault(
        wire.NoPermission(
            object=obj,
            privilegeId=privilege,
            missingPrivileges=[wire.NoPermissionEntityPrivileges(entity=obj, privilegeIds=[privilege])],
            faultMessage=[
                message(
                    "vim.fault.NoPermission",
                    f"Permission to perform this operation was denied. Required privilege '{privilege}' on managed object "
                    f"with id '{obj.type}:{obj.value}'.",
                )
            ],
        )
    )


def not_supported(text: str = "The operation is not supported on the object.") -> SimFault:
    return SimFault(wire.NotSupported(faultMessage=[message("vmodl.fault.NotSupported", text)]))


def method_not_found(receiver: MoRef, method: str) -> SimFault:
    return SimFault(
        wire.MethodNotFound(
            receiver=receiver,
            method=method,
            faultMessage=[message("vmodl.fault.MethodNotFound", f"Method '{method}' not found on {receiver.type}.")],
        )
    )


def managed_object_not_found(obj: MoRef) -> SimFault:
    return SimFault(
        wire.ManagedObjectNotFound(
            obj=obj,
            faultMessage=[
                message(
                    "vmodl.fault.ManagedObjectNotFound",
                    f"The object '{obj.type}:{obj.value}' has already been deleted or has not been completely created",
                )
            ],
        )
    )


def invalid_argument(prop: str | None, text: str) -> SimFault:
    return SimFault(
        wire.InvalidArgument(invalidProperty=prop, faultMessage=[message("vmodl.fault.InvalidArgument", text)])
    )


def invalid_property(name: str, text: str | None = None) -> SimFault:
    return SimFault(
        wire.InvalidProperty(
            name=name, faultMessage=[message("vmodl.query.InvalidProperty", text or f"Invalid property: '{name}'.")]
        )
    )


def invalid_request(text: str) -> SimFault:
    return SimFault(wire.InvalidRequest(faultMessage=[message("vmodl.fault.InvalidRequest", text)]))


def invalid_type(argument: str, text: str) -> SimFault:
    return SimFault(wire.InvalidType(argument=argument, faultMessage=[message("vmodl.fault.InvalidType", text)]))


def invalid_state(text: str) -> SimFault:
    return SimFault(wire.InvalidState(faultMessage=[message("vim.fault.InvalidState", text)]))


def host_not_connected(host_name: str) -> SimFault:
    return SimFault(
        wire.HostNotConnected(
            faultMessage=[
                message(
                    "vim.fault.HostNotConnected",
                    f"Unable to communicate with the remote host {host_name}, since it is disconnected.",
                )
            ]
        )
    )


def method_disabled(method: str, source: str | None) -> SimFault:
    who = f" by '{source}'" if source else ""
    return SimFault(
        wire.MethodDisabled(
            source=source, faultMessage=[message("vim.fault.MethodDisabled", f"The method {method} is disabled{who}.")]
        )
    )


def request_canceled(text: str = "The request was canceled.") -> SimFault:
    return SimFault(wire.RequestCanceled(faultMessage=[message("vmodl.fault.RequestCanceled", text)]))


def invalid_collector_version() -> SimFault:
    return SimFault(
        wire.InvalidCollectorVersion(
            faultMessage=[
                message(
                    "vmodl.query.InvalidCollectorVersion",
                    "The specified version is invalid for this property collector.",
                )
            ]
        )
    )


def system_error(reason: str) -> SimFault:
    return SimFault(
        wire.SystemError(
            reason=reason,
            faultMessage=[message("vmodl.fault.SystemError", f"A general system error occurred: {reason}")],
        )
    )


def not_implemented(type_name: str, method: str) -> SimFault:
    """A VMware method the simulator does not serve (the README's simulator section lists what it serves)."""
    return SimFault(
        wire.NotImplemented(
            faultMessage=[
                message(
                    "vmodl.fault.NotImplemented",
                    f"{type_name}.{method} is not implemented by the vsphere-nb simulator "
                    "(see the README, 'The simulator', for what is in scope).",
                )
            ]
        )
    )


def not_found(text: str) -> SimFault:
    return SimFault(wire.NotFound(faultMessage=[message("vim.fault.NotFound", text)]))


def invalid_name(name: str, text: str) -> SimFault:
    return SimFault(wire.InvalidName(name=name, faultMessage=[message("vim.fault.InvalidName", text)]))
