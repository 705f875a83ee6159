"""``ServiceContent``, ``AboutInfo``, ``UserSession``."""

from __future__ import annotations

from ._common import UtcDatetime
from .base import VimObject
from .moref import ManagedObjectReference

__all__ = ["AboutInfo", "ServiceContent", "UserSession"]


class AboutInfo(VimObject):
    name: str = ""
    fullName: str = ""
    vendor: str = ""
    version: str = ""
    patchLevel: str | None = None
    build: str = ""
    localeVersion: str | None = None
    localeBuild: str | None = None
    osType: str = ""
    productLineId: str = ""
    apiType: str = ""
    apiVersion: str = ""
    instanceUuid: str | None = None
    licenseProductName: str | None = None
    licenseProductVersion: str | None = None


class ServiceContent(VimObject):
    rootFolder: ManagedObjectReference
    propertyCollector: ManagedObjectReference
    viewManager: ManagedObjectReference | None = None
    about: AboutInfo
    setting: ManagedObjectReference | None = None
    userDirectory: ManagedObjectReference | None = None
    sessionManager: ManagedObjectReference | None = None
    authorizationManager: ManagedObjectReference | None = None
    perfManager: ManagedObjectReference | None = None
    scheduledTaskManager: ManagedObjectReference | None = None
    alarmManager: ManagedObjectReference | None = None
    eventManager: ManagedObjectReference | None = None
    taskManager: ManagedObjectReference | None = None
    extensionManager: ManagedObjectReference | None = None
    customFieldsManager: ManagedObjectReference | None = None
    searchIndex: ManagedObjectReference | None = None
    fileManager: ManagedObjectReference | None = None
    licenseManager: ManagedObjectReference | None = None


class UserSession(VimObject):
    key: str
    userName: str
    fullName: str = ""
    loginTime: UtcDatetime | None = None
    lastActiveTime: UtcDatetime | None = None
    locale: str = "en"
    messageLocale: str = "en"
    extensionSession: bool | None = None
    ipAddress: str | None = None
    userAgent: str | None = None
    callCount: int | None = None
