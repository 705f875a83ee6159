"""``ServiceContent``, ``AboutInfo``, ``UserSession``."""

from __future__ import annotations

from typing import Optional

from ._common import UtcDatetime
from .base import VimObject
from .moref import ManagedObjectReference

__all__ = ["AboutInfo", "ServiceContent", "UserSession"]


class AboutInfo(VimObject):
    name: str = ""
    fullName: str = ""
    vendor: str = ""
    version: str = ""
    patchLevel: Optional[str] = None
    build: str = ""
    localeVersion: Optional[str] = None
    localeBuild: Optional[str] = None
    osType: str = ""
    productLineId: str = ""
    apiType: str = ""
    apiVersion: str = ""
    instanceUuid: Optional[str] = None
    licenseProductName: Optional[str] = None
    licenseProductVersion: Optional[str] = None


class ServiceContent(VimObject):
    rootFolder: ManagedObjectReference
    propertyCollector: ManagedObjectReference
    viewManager: Optional[ManagedObjectReference] = None
    about: AboutInfo
    setting: Optional[ManagedObjectReference] = None
    userDirectory: Optional[ManagedObjectReference] = None
    sessionManager: Optional[ManagedObjectReference] = None
    authorizationManager: Optional[ManagedObjectReference] = None
    perfManager: Optional[ManagedObjectReference] = None
    scheduledTaskManager: Optional[ManagedObjectReference] = None
    alarmManager: Optional[ManagedObjectReference] = None
    eventManager: Optional[ManagedObjectReference] = None
    taskManager: Optional[ManagedObjectReference] = None
    extensionManager: Optional[ManagedObjectReference] = None
    customFieldsManager: Optional[ManagedObjectReference] = None
    searchIndex: Optional[ManagedObjectReference] = None
    fileManager: Optional[ManagedObjectReference] = None
    licenseManager: Optional[ManagedObjectReference] = None


class UserSession(VimObject):
    key: str
    userName: str
    fullName: str = ""
    loginTime: Optional[UtcDatetime] = None
    lastActiveTime: Optional[UtcDatetime] = None
    locale: str = "en"
    messageLocale: str = "en"
    extensionSession: Optional[bool] = None
    ipAddress: Optional[str] = None
    userAgent: Optional[str] = None
    callCount: Optional[int] = None
