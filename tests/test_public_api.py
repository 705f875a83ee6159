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


def test_lazy_names_stay_objects_once_every_submodule_is_imported():
    """A package attribute named like one of its submodules is replaced by that module when the submodule is
    imported (``from vsphere_nb.batch import preflight`` would then give a module): no exported name may clash."""
    import importlib
    import pkgutil
    import types

    for package_name in ("vsphere_nb", "vsphere_nb.batch", "vsphere_nb.simulator", "vsphere_nb.diagnosis"):
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("__"):  # __main__ runs the command
                importlib.import_module(f"{package_name}.{info.name}")
        for name in package.__all__:
            value = getattr(package, name)
            assert not isinstance(value, types.ModuleType) or name == "wire", f"{package_name}.{name} is a module"
