"""The public API is pinned: adding or removing a name is a deliberate change to this list."""

import vsphere_nb

EXPECTED = {
    "__version__",
    "wire",
    "MoRef",
    "ManagedObjectReference",
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
    "TaskFailed",
    "RunDirectoryError",
    "connect",
    "Client",
    "AsyncClient",
    "Timeouts",
    "RetryPolicy",
    "InsecureTLSWarning",
    "BatchLimits",
    "plan_reconfigure",
    "ReconfigurePlan",
    "RunHandle",
    "BatchRun",
    "RunResult",
    "resume",
    "load_run",
    "diagnose",
    "Diagnosis",
    "load_diagnosis",
}


def test_public_api_is_pinned():
    assert set(vsphere_nb.__all__) == EXPECTED


def test_every_public_name_resolves():
    for name in vsphere_nb.__all__:
        assert getattr(vsphere_nb, name) is not None


def test_exception_tree():
    from vsphere_nb import errors

    assert issubclass(errors.ConnectError, errors.TransportError)
    assert issubclass(errors.TLSError, errors.TransportError)
    assert issubclass(errors.NotAuthenticatedError, errors.ServerFault)
    for cls in (errors.TransportError, errors.ProtocolError, errors.ServerFault, errors.TaskFailed):
        assert issubclass(cls, errors.VsphereError)
    assert not issubclass(errors.ServerFault, errors.TransportError)
    assert not issubclass(errors.TaskFailed, errors.ServerFault)
