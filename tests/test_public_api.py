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
    assert len(vsphere_nb.__all__) == len(EXPECTED)  # no name listed twice


def test_every_public_name_is_exported_and_nothing_else():
    """Both directions, as httpx's own test does: every public attribute of the package is in ``__all__``, and
    every name of ``__all__`` resolves. Submodules (``vsphere_nb.errors`` once imported) are not API names."""
    import types

    for name in vsphere_nb.__all__:
        getattr(vsphere_nb, name)  # load everything the lazy package offers
    public = {
        name
        for name in dir(vsphere_nb)
        if (not name.startswith("_") or name == "__version__")
        and not (isinstance(getattr(vsphere_nb, name), types.ModuleType) and name not in vsphere_nb.__all__)
    }
    assert public == set(vsphere_nb.__all__), (public - set(vsphere_nb.__all__), set(vsphere_nb.__all__) - public)


def test_every_public_name_resolves():
    for name in vsphere_nb.__all__:
        assert getattr(vsphere_nb, name) is not None


def test_exception_tree():
    from vsphere_nb import errors

    assert issubclass(errors.ConnectError, errors.TransportError)
    assert issubclass(errors.TLSError, errors.TransportError)
    assert issubclass(errors.NotAuthenticatedError, errors.ServerFault)
    for cls in (errors.TransportError, errors.ProtocolError, errors.ServerFault, errors.RunDirectoryError):
        assert issubclass(cls, errors.VsphereError)
    assert not issubclass(errors.ServerFault, errors.TransportError)
