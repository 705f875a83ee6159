"""VMware's method names per managed object type (own methods, not inherited), from VMware's vim25 tables.

The simulator answers a method it does not serve with ``NotImplemented`` when VMware defines it on the target's
type or an ancestor (see :func:`vmware_method`), and with ``MethodNotFound`` otherwise — as a vCenter answers an
unknown name. Generated from pyVmomi's type tables; ``tests/test_simulator_browse.py`` checks it against them.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["VMWARE_METHODS", "vmware_method"]

_TABLE = """
ManagedObject:
ExtensibleManagedObject: setCustomValue
ManagedEntity: Destroy_Task Reload Rename_Task
Folder: AddStandaloneHost_Task BatchAddHostsToCluster_Task BatchAddStandaloneHosts_Task CreateCluster
    CreateClusterEx CreateDVS_Task CreateDatacenter CreateFolder CreateStoragePod CreateVM_Task MoveIntoFolder_Task
    RegisterVM_Task UnregisterAndDestroy_Task
Datacenter: BatchQueryConnectInfo PowerOnMultiVM_Task QueryConnectionInfo QueryConnectionInfoViaSpec
    ReconfigureDatacenter_Task queryDatacenterConfigOptionDescriptor
ComputeResource: DisableNetworkBoot_Task EnableNetworkBoot_Task ReconfigureComputeResource_Task
ClusterComputeResource: AbandonHciWorkflow AddHost_Task ApplyRecommendation CancelRecommendation
    ClusterEnterMaintenanceMode ConfigureHCI_Task EvcManager ExtendHCI_Task FindRulesForVm GetResourceUsage
    GetSystemVMsRestrictedDatastores MoveHostInto_Task MoveInto_Task PlaceVm RecommendHostsForVm
    ReconfigureCluster_Task RefreshRecommendation RetrieveDasAdvancedRuntimeInfo SetCryptoMode
    StampAllRulesWithUuid_Task ValidateHCIConfiguration
HostSystem: AcquireCimServicesTicket ConfigureCryptoKey DisconnectHost_Task EnableCrypto EnterLockdownMode
    EnterMaintenanceMode_Task ExitLockdownMode ExitMaintenanceMode_Task PowerDownHostToStandBy_Task
    PowerUpHostFromStandBy_Task PrepareCrypto QueryHostConnectionInfo QueryMemoryOverhead QueryMemoryOverheadEx
    QueryProductLockerLocation QueryTpmAttestationReport RebootHost_Task ReconfigureHostForDAS_Task
    ReconnectHost_Task RetrieveFreeEpcMemory RetrieveHardwareUptime ShutdownHost_Task UpdateFlags UpdateIpmi
    UpdateProductLockerLocation_Task UpdateSystemResources UpdateSystemSwapConfiguration
Datastore: DatastoreEnterMaintenanceMode DatastoreExitMaintenanceMode_Task DestroyDatastore IsClusteredVmdkEnabled
    RefreshDatastore RefreshDatastoreStorageInfo RenameDatastore UpdateVVolVirtualMachineFiles_Task
    UpdateVirtualMachineFiles_Task
ResourcePool: CreateChildVM_Task CreateResourcePool CreateVApp DestroyChildren ImportVApp MoveIntoResourcePool
    QueryResourceConfigOption RefreshRuntime RegisterChildVM_Task UpdateChildResourceConfiguration UpdateConfig
Network: DestroyNetwork
Task: CancelTask SetTaskDescription SetTaskState UpdateProgress
TaskManager: CreateCollectorForTasks CreateCollectorWithInfoFilterForTasks CreateTask ReadNextTasksByViewSpec
EventManager: CreateCollectorForEvents LogUserEvent PostEvent QueryEvents RetrieveArgumentDescription
EventHistoryCollector: ReadNextEvents ReadPreviousEvents
HistoryCollector: DestroyCollector ResetCollector RewindCollector SetCollectorPageSize
ViewManager: CreateContainerView CreateInventoryView CreateListView CreateListViewFromView
View: DestroyView
ManagedObjectView:
ContainerView:
ListView: ModifyListView ResetListView ResetListViewFromView
PropertyCollector: CancelRetrievePropertiesEx CancelWaitForUpdates CheckForUpdates ContinueRetrievePropertiesEx
    CreateFilter CreatePropertyCollector DestroyPropertyCollector RetrieveProperties RetrievePropertiesEx
    WaitForUpdates WaitForUpdatesEx
PropertyFilter: DestroyPropertyFilter
SessionManager: AcquireCloneTicket AcquireGenericServiceTicket AcquireLocalTicket CloneSession ImpersonateUser Login
    LoginBySSPI LoginByToken LoginExtensionByCertificate LoginExtensionBySubjectName Logout SessionIsActive
    SetLocale TerminateSession UpdateServiceMessage
ServiceInstance: CurrentTime QueryVMotionCompatibility RetrieveProductComponents RetrieveServiceContent
    ValidateMigration
OptionManager: QueryOptions UpdateOptions
UserDirectory: RetrieveUserGroups
AuthorizationManager: AddAuthorizationRole FetchUserPrivilegeOnEntities HasPrivilegeOnEntities HasPrivilegeOnEntity
    HasUserPrivilegeOnEntities MergePermissions RemoveAuthorizationRole RemoveEntityPermission
    ResetEntityPermissions RetrieveAllPermissions RetrieveEntityPermissions RetrieveRolePermissions
    SetEntityPermissions UpdateAuthorizationRole
ServiceManager: QueryServiceList
PerformanceManager: CreatePerfInterval QueryAvailablePerfMetric QueryPerf QueryPerfComposite QueryPerfCounter
    QueryPerfCounterByLevel QueryPerfProviderSummary RemovePerfInterval ResetCounterLevelMapping
    UpdateCounterLevelMapping UpdatePerfInterval
ScheduledTaskManager: CreateObjectScheduledTask CreateScheduledTask RetrieveEntityScheduledTask
    RetrieveObjectScheduledTask
AlarmManager: AcknowledgeAlarm AreAlarmActionsEnabled ClearTriggeredAlarms CreateAlarm DisableAlarm EnableAlarm
    EnableAlarmActions GetAlarm GetAlarmState
ExtensionManager: FindExtension GetPublicKey QueryExtensionIpAllocationUsage QueryManagedBy RegisterExtension
    SetExtensionCertificate SetPublicKey SetServiceAccount UnregisterExtension UpdateExtension
CustomizationSpecManager: CheckCustomizationResources CreateCustomizationSpec CustomizationSpecItemToXml
    DeleteCustomizationSpec DoesCustomizationSpecExist DuplicateCustomizationSpec GetCustomizationSpec
    IsGuestOsCustomizable OverwriteCustomizationSpec RenameCustomizationSpec XmlToCustomizationSpecItem
VirtualMachineGuestCustomizationManager: AbortCustomization_Task CustomizeGuest_Task StartGuestNetwork_Task
CustomFieldsManager: AddCustomFieldDef RemoveCustomFieldDef RenameCustomFieldDef SetField
DiagnosticManager: BrowseDiagnosticLog EmitSyslogMark FetchAuditRecords GenerateLogBundles_Task QueryDescriptions
LicenseManager: AddLicense CheckLicenseFeature ConfigureLicenseSource DecodeLicense DisableFeature EnableFeature
    QueryLicenseSourceAvailability QueryLicenseUsage QuerySupportedFeatures RemoveLicense RemoveLicenseLabel
    SetLicenseEdition UpdateLicense UpdateLicenseLabel
LicenseAssignmentManager: QueryAssignedLicenses RemoveAssignedLicense UpdateAssignedLicense
SearchIndex: FindAllByDnsName FindAllByIp FindAllByUuid FindByDatastorePath FindByDnsName FindByInventoryPath
    FindByIp FindByUuid FindChild Query QueryNext
FileManager: ChangeOwner CopyDatastoreFile_Task DeleteDatastoreFile_Task MakeDirectory MoveDatastoreFile_Task
    QueryFileLockInfo
DatastoreNamespaceManager: ConvertNamespacePathToUuidPath CreateDirectory DeleteDirectory IncreaseDirectorySize
    QueryDirectoryInfo
VirtualDiskManager: CopyVirtualDisk_Task CreateVirtualDisk_Task DefragmentVirtualDisk_Task DeleteVirtualDisk_Task
    EagerZeroVirtualDisk_Task ExtendVirtualDisk_Task ImportUnmanagedSnapshot InflateVirtualDisk_Task
    MoveVirtualDisk_Task QueryVirtualDiskFragmentation QueryVirtualDiskGeometry QueryVirtualDiskUuid
    ReleaseManagedSnapshot SetVirtualDiskUuid ShrinkVirtualDisk_Task ZeroFillVirtualDisk_Task
HostSnmpSystem: ReconfigureSnmpAgent SendTestNotification
VirtualMachineProvisioningChecker: CheckClone_Task CheckInstantClone_Task CheckMigrate_Task CheckRelocate_Task
    QueryVMotionCompatibilityEx_Task
VirtualMachineCompatibilityChecker: CheckCompatibility_Task CheckPowerOn_Task CheckVmConfig_Task
OvfManager: CreateDescriptor CreateImportSpec ParseDescriptor ValidateHost
IpPoolManager: AllocateIpv4Address AllocateIpv6Address CreateIpPool DestroyIpPool QueryIPAllocations QueryIpPools
    ReleaseIpAllocation UpdateIpPool
DistributedVirtualSwitchManager: DVSManagerExportEntity_Task DVSManagerImportEntity_Task DVSManagerLookupDvPortGroup
    GetVpcNetworkSpan QueryAvailableDvsSpec QueryCompatibleHostForExistingDvs QueryCompatibleHostForNewDvs
    QueryCompatibleVmnicsFromHosts QueryDvsByUuid QueryDvsCheckCompatibility QueryDvsCompatibleHostSpec
    QueryDvsConfigTarget QueryDvsFeatureCapability QuerySupportedNetworkOffloadSpec RectifyDvsOnHost_Task
ProfileManager: CreateProfile FindAssociatedProfile QueryPolicyMetadata
HostProfileManager: ApplyEntitiesConfig_Task ApplyHostConfig_Task CheckAnswerFileStatus_Task
    CompositeHostProfile_Task CreateDefaultProfile ExportAnswerFile_Task GenerateConfigTaskList
    GenerateHostConfigTaskSpec_Task GenerateHostProfileTaskList_Task QueryAnswerFileStatus QueryHostProfileMetadata
    QueryProfileStructure RetrieveAnswerFile RetrieveAnswerFileForProfile RetrieveHostCustomizations
    RetrieveHostCustomizationsForProfile UpdateAnswerFile_Task ValidateHostProfileComposition_Task
ClusterProfileManager:
ProfileComplianceManager: CheckCompliance_Task ClearComplianceStatus QueryComplianceStatus QueryExpressionMetadata
LocalizationManager:
StorageResourceManager: ApplyStorageDrsRecommendationToPod_Task ApplyStorageDrsRecommendation_Task
    CancelStorageDrsRecommendation ConfigureDatastoreIORM_Task ConfigureStorageDrsForPod_Task
    QueryDatastorePerformanceSummary QueryIORMConfigOption RecommendDatastores RefreshStorageDrsRecommendation
    RefreshStorageDrsRecommendationsForPod_Task ValidateStoragePodConfig
GuestOperationsManager:
OverheadMemoryManager: LookupVmOverheadMemory
CertificateManager: CertMgrRefreshCACertificatesAndCRLs_Task CertMgrRefreshCertificates_Task
    CertMgrRevokeCertificates_Task
IoFilterManager: InitiateTransitionToVLCM_Task InstallIoFilter_Task QueryDisksUsingFilter QueryIoFilterInfo
    QueryIoFilterIssues ResolveInstallationErrorsOnCluster_Task ResolveInstallationErrorsOnHost_Task
    UninstallIoFilter_Task UpgradeIoFilter_Task
VStorageObjectManagerBase: RenameVStorageObjectEx RepairVStorageObjectChain_Task RevertVStorageObjectEx_Task
    UnregisterDisk_Task VStorageObjectCreateSnapshotEx_Task VStorageObjectDeleteSnapshotEx2_Task
    VStorageObjectDeleteSnapshotEx_Task VStorageObjectExtendDiskEx_Task
VcenterVStorageObjectManager: AttachTagToVStorageObject ClearVStorageObjectControlFlags CloneVStorageObject_Task
    CreateDiskFromSnapshot_Task CreateDisk_Task DeleteSnapshot_Task DeleteVStorageObjectEx_Task
    DeleteVStorageObject_Task DetachTagFromVStorageObject ExtendDisk_Task InflateDisk_Task
    ListTagsAttachedToVStorageObject ListVStorageObject ListVStorageObjectsAttachedToTag QueryVirtualDiskUuidEx
    ReconcileDatastoreInventoryEx_Task ReconcileDatastoreInventory_Task RegisterDisk RelocateVStorageObject_Task
    RenameVStorageObject RetrieveSnapshotDetails RetrieveSnapshotInfo RetrieveVStorageInfrastructureObjectPolicy
    RetrieveVStorageObject RetrieveVStorageObjectAssociations RetrieveVStorageObjectState RevertVStorageObject_Task
    ScheduleReconcileDatastoreInventory SetVStorageObjectControlFlags SetVirtualDiskUuidEx_Task
    UpdateVStorageInfrastructureObjectPolicy_Task UpdateVStorageObjectCrypto_Task UpdateVStorageObjectPolicy_Task
    VCenterUpdateVStorageObjectMetadataEx_Task VStorageObjectCreateSnapshot_Task
    VstorageObjectVCenterQueryChangedDiskAreas
HostSpecificationManager: DeleteHostSpecification DeleteHostSubSpecification HostSpecGetUpdatedHosts
    RetrieveHostSpecification UpdateHostSpecification UpdateHostSubSpecification
CryptoManager: AddKey AddKeys ListKeys RemoveKey RemoveKeys
CryptoManagerKmip: GenerateClientCsr GenerateKey GenerateSelfSignedClientCert GetDefaultKmsCluster
    IsKmsClusterActive ListKmipServers ListKmsClusters MarkDefault QueryCryptoKeyStatus RegisterKmipServer
    RegisterKmsCluster RemoveKmipServer RetrieveClientCert RetrieveClientCsr RetrieveKmipServerCert
    RetrieveKmipServersStatus_Task RetrieveSelfSignedClientCert SetDefaultKmsCluster SetKeyCustomAttributes
    UnregisterKmsCluster UpdateKmipServer UpdateKmsSignedCsrClientCert UpdateSelfSignedClientCert UploadClientCert
    UploadKmipServerCert
HealthUpdateManager: AddFilter AddFilterEntities AddMonitoredEntities HasMonitoredEntity HasProvider
    PostHealthUpdates QueryFilterEntities QueryFilterInfoIds QueryFilterList QueryFilterName QueryHealthUpdateInfos
    QueryHealthUpdates QueryMonitoredEntities QueryProviderList QueryProviderName QueryUnmonitoredHosts
    RegisterHealthUpdateProvider RemoveFilter RemoveFilterEntities RemoveMonitoredEntities
    UnregisterHealthUpdateProvider
FailoverClusterConfigurator: configureVcha_Task createPassiveNode_Task createWitnessNode_Task deployVcha_Task
    destroyVcha_Task getVchaConfig prepareVcha_Task
FailoverClusterManager: GetVchaClusterHealth getClusterMode initiateFailover_Task setClusterMode_Task
TenantTenantManager: MarkServiceProviderEntities RetrieveServiceProviderEntities UnmarkServiceProviderEntities
SiteInfoManager: GetSiteInfo
StorageQueryManager: QueryHostsWithAttachedLun
DirectPathProfileManager: DirectPathProfileManagerCreate DirectPathProfileManagerDelete DirectPathProfileManagerList
    DirectPathProfileManagerQueryCapacity DirectPathProfileManagerUpdate
"""


def _parse(text: str) -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    current = ""
    names: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            if current:
                table[current] = frozenset(names)
            current, _, rest = line.partition(":")
            names = rest.split()
        else:
            names += line.split()
    if current:
        table[current] = frozenset(names)
    return table


#: managed object type -> the methods VMware defines on it (not inherited ones)
VMWARE_METHODS: dict[str, frozenset[str]] = _parse(_TABLE)


@lru_cache(maxsize=1024)
def vmware_method(ancestry: tuple[str, ...], name: str) -> bool:
    """Whether VMware defines method ``name`` on a type with this ancestry."""
    return any(name in VMWARE_METHODS.get(t, ()) for t in ancestry)
