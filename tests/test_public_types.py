"""Types a user can see: every public name of ``vsphere_nb.__all__`` has resolvable annotations, and ``Any`` appears
in a public signature only where no real type exists (a VI property or method value, JSON documents)."""

from __future__ import annotations

import inspect
import typing

import pandas as pd
import pytest

import vsphere_nb
from vsphere_nb.batch.execute import BatchRun

#: where Any is the honest type: a VI value depends on the property or method asked for, and JSON/YAML documents
#: (a run's metadata, limits as saved, a host's detail) hold values of any JSON type
ALLOWED: dict[str, set[str]] = {
    "AsyncClient.get": {"return"},
    "AsyncClient.invoke": {"params", "return"},
    "AsyncClient.invoke_json": {"params", "return"},
    "Client.get": {"return"},
    "Client.invoke": {"params", "return"},
    "Client.run": {"coro"},  # Coroutine[Any, Any, T]: the send and yield types of any coroutine
    "Client.submit": {"coro"},
    "BatchLimits.to_dict": {"return"},
    "BatchLimits.from_dict": {"data"},
    "RunResult.meta": {"return"},
    "BatchRun.meta": {"return"},
    "Diagnosis.detail": {"return"},
}


def _has_any(tp: object) -> bool:
    return tp is typing.Any or any(_has_any(arg) for arg in typing.get_args(tp))


def _public_callables() -> list[tuple[str, typing.Callable[..., object]]]:
    found: list[tuple[str, typing.Callable[..., object]]] = []
    for name in vsphere_nb.__all__:
        obj = getattr(vsphere_nb, name)
        if inspect.isfunction(obj):
            found.append((name, obj))
        elif inspect.isclass(obj) and obj.__module__.startswith("vsphere_nb") and not issubclass(obj, BaseException):
            if name in (
                "MoRef",
                "ManagedObjectReference",
            ):  # a wire model: its fields are pinned by the conformance test
                continue
            for klass in obj.__mro__:
                if not klass.__module__.startswith("vsphere_nb"):
                    continue
                for member, value in vars(klass).items():
                    if member.startswith("_") and member != "__init__":
                        continue
                    fn = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
                    if inspect.isfunction(fn) and not any(q == f"{name}.{member}" for q, _ in found):
                        found.append((f"{name}.{member}", fn))
    return found


def test_every_public_signature_resolves_and_uses_real_types():
    offenders = {}
    for qualname, fn in _public_callables():
        hints = typing.get_type_hints(fn, localns={"BatchRun": BatchRun})
        with_any = {param for param, tp in hints.items() if _has_any(tp)} - ALLOWED.get(qualname, set())
        if with_any:
            offenders[qualname] = sorted(with_any)
    assert not offenders, offenders


def test_the_notebook_api_returns_its_real_types():
    from vsphere_nb import Client, Diagnosis, ReconfigurePlan, RunHandle
    from vsphere_nb.batch.execute import BatchRun as Run

    def returns(fn: typing.Callable[..., object]) -> object:
        return typing.get_type_hints(fn, localns={"BatchRun": Run})["return"]

    assert returns(Client.hosts) is pd.DataFrame
    assert returns(Client.events) is pd.DataFrame
    assert returns(Client.clusters) is pd.DataFrame
    assert returns(Client.diagnose) is Diagnosis
    assert returns(Client.plan_reconfigure) is ReconfigurePlan
    assert returns(ReconfigurePlan.start) is RunHandle
    assert returns(ReconfigurePlan.execute) is Run
    assert returns(RunHandle.wait) is Run
    assert returns(vsphere_nb.connect) is Client


@pytest.mark.parametrize("tp", [typing.Any, list[typing.Any], dict[str, typing.Any] | None])
def test_the_any_finder_finds_any(tp: object) -> None:
    assert _has_any(tp)
