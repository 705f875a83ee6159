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
    serviceManager: ManagedObjectReference | None = None
    customizationSpecManager: ManagedObjectReference | None = None
    guestCustomizationManager: ManagedObjectReference | None = None
    accountManager: ManagedObjectReference | None = None
    diagnosticManager: ManagedObjectReference | None = None
    datastoreNamespaceManager: ManagedObjectReference | None = None
    virtualDiskManager: ManagedObjectReference | None = None
    virtualizationManager: ManagedObjectReference | None = None
    snmpSystem: ManagedObjectReference | None = None
    vmProvisioningChecker: ManagedObjectReference | None = None
    vmCompatibilityChecker: ManagedObjectReference | None = None
    ovfManager: ManagedObjectReference | None = None
    ipPoolManager: ManagedObjectReference | None = None
    dvSwitchManager: ManagedObjectReference | None = None
    hostProfileManager: ManagedObjectReference | None = None
    clusterProfileManager: ManagedObjectReference | None = None
    complianceManager: ManagedObjectReference | None = None
    localizationManager: ManagedObjectReference | None = None
    storageResourceManager: ManagedObjectReference | None = None
    guestOperationsManager: ManagedObjectReference | None = None
    overheadMemoryManager: ManagedObjectReference | None = None
    certificateManager: ManagedObjectReference | None = None
    ioFilterManager: ManagedObjectReference | None = None
    vStorageObjectManager: ManagedObjectReference | None = None
    hostSpecManager: ManagedObjectReference | None = None
    cryptoManager: ManagedObjectReference | None = None
    healthUpdateManager: ManagedObjectReference | None = None
    failoverClusterConfigurator: ManagedObjectReference | None = None
    failoverClusterManager: ManagedObjectReference | None = None
    tenantManager: ManagedObjectReference | None = None
    siteInfoManager: ManagedObjectReference | None = None
    storageQueryManager: ManagedObjectReference | None = None
    #: Since 9.0.0.0
    directPathProfileManager: ManagedObjectReference | None = None


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
