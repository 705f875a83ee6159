"""Data objects of the service-content managers a browsing client reads (roles and privileges, performance
intervals, licences, element descriptions) and the ``NotFound`` fault they answer.

Names and fields are VMware's (checked against pyVmomi's tables by the tests); undeclared fields a server sends
are kept as extras.
"""

from __future__ import annotations

from .base import VimObject
from .faults import VimFault

__all__ = [
    "Description",
    "ElementDescription",
    "AuthorizationPrivilege",
    "AuthorizationRole",
    "PerfInterval",
    "LicenseManagerLicenseInfo",
    "LicenseAvailabilityInfo",
    "LicenseFeatureInfo",
    "KeyValue",
    "NotFound",
    "InvalidName",
]


class Description(VimObject):
    label: str = ""
    summary: str = ""


class ElementDescription(Description):
    key: str = ""


class AuthorizationPrivilege(VimObject):
    privId: str
    onParent: bool = False
    name: str = ""
    privGroupName: str = ""


class AuthorizationRole(VimObject):
    roleId: int
    system: bool = False
    name: str = ""
    info: Description | None = None
    privilege: list[str] | None = None


class PerfInterval(VimObject):
    key: int = 0
    samplingPeriod: int = 0
    name: str = ""
    length: int = 0
    level: int | None = None
    enabled: bool = True


class KeyValue(VimObject):
    key: str = ""
    value: str = ""


class LicenseFeatureInfo(VimObject):
    key: str = ""
    featureName: str = ""
    featureDescription: str | None = None
    state: str | None = None
    costUnit: str = ""


class LicenseAvailabilityInfo(VimObject):
    feature: LicenseFeatureInfo | None = None
    total: int = 0
    available: int = 0


class LicenseManagerLicenseInfo(VimObject):
    licenseKey: str = ""
    editionKey: str = ""
    name: str = ""
    total: int = 0
    used: int | None = None
    costUnit: str = ""
    properties: list[VimObject] | None = None  # KeyAnyValue
    labels: list[KeyValue] | None = None


class NotFound(VimFault):
    """``vim.fault.NotFound``: e.g. ``TerminateSession`` of a session that does not exist."""


class InvalidName(VimFault):
    """``vim.fault.InvalidName``: e.g. ``OptionManager.QueryOptions`` of an option that does not exist."""

    name: str = ""
