"""From ``(release, Type, moId, name, body)`` to an answer: routing, sessions, parameters, method table.

Like vcsim, calls dispatch by method name: handlers register with :func:`method` under a managed object
type (or an abstract ancestor such as ``View``), and :func:`invoke` finds the handler along the target's
``ANCESTRY``. A GET names a *property*, a POST a *method*; each type's table of properties and methods
tells them apart (GET of a method → ``405``, POST of a property or unknown name → ``MethodNotFound``,
GET of an unknown property → ``InvalidProperty``).

Parameters are decoded with the wire models (``wire.decode_as``); anything that does not validate is an
``InvalidArgument`` naming the parameter — never a traceback.

Every handler returns one of: a wire model / MoRef, a list of them, a pre-encoded wire dict, a plain
JSON value, :data:`VOID` (``204``), or :data:`~.collector.UNSET_ANSWER` (an unset result: an empty
``200`` or a ``204``, per ``empty_answer_status``).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import wire
from ..errors import ProtocolError
from ..wire import MoRef
from . import faults
from .collector import UNSET_ANSWER
from .model import ManagedObject
from .properties import KNOWN_MANAGED_TYPES, UNSET, encode_declared
from .releases import needs_scrub, scrub
from .sessions import CURRENT_SESSION, Session
from .vmodl_methods import vmware_method

if TYPE_CHECKING:  # pragma: no cover  (an annotation only: handlers get the vCenter in their Call)
    from .vcenter import Vcenter

__all__ = [
    "VOID",
    "Call",
    "Answer",
    "Param",
    "method",
    "METHODS",
    "invoke",
    "read_property",
    "SESSION_HEADER",
    "served",
    "SERVED_TYPES",
    "resolve",
    "authenticate",
    "fault_answer",
    "answer_for",
    "dumps",
    "out_of_sessions",
]

SESSION_HEADER = "vmware-api-session-id"


class _Void:
    def __repr__(self) -> str:
        return "VOID"


#: a void method's result (``204 No Content``)
VOID: Any = _Void()


@dataclass
class Call:
    """One request as the handlers see it."""

    vc: Vcenter
    session: Session | None
    type_name: str
    moid: str
    name: str
    ip: str | None = None
    user_agent: str | None = None
    #: the API release named in the path (``8.0.3.0``); the server's own release when empty
    release: str = ""
    #: headers to add to the answer (Login sets the session header)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# the method table
# ---------------------------------------------------------------------------------------------
ParamKind = str | type


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind  # "string" "boolean" "int" "ints" "strings" "moref" "morefs" or a wire class
    required: bool = True
    many: bool = False  # a list of ``kind`` (wire classes)


@dataclass(frozen=True)
class MethodSpec:
    type_name: str
    name: str
    params: tuple[Param, ...]
    handler: Callable[..., Any]
    auth: bool = True
    privilege: str | None = None


#: (type, method) -> spec
METHODS: dict[tuple[str, str], MethodSpec] = {}


def method(
    type_name: str, name: str, *params: Param, auth: bool = True, privilege: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``handler(call, this, **params)`` as ``type_name.name``."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        METHODS[(type_name, name)] = MethodSpec(type_name, name, tuple(params), handler, auth, privilege)
        return handler

    return register


def find_method(ancestry: tuple[str, ...], name: str) -> MethodSpec | None:
    for type_name in ancestry:
        spec = METHODS.get((type_name, name))
        if spec is not None:
            return spec
    return None


#: managed object types served, by name (for routing before an object is resolved)
SERVED_TYPES: dict[str, type[ManagedObject]] = {}


def served(cls: type[ManagedObject]) -> type[ManagedObject]:
    SERVED_TYPES[cls.TYPE] = cls
    return cls


# ---------------------------------------------------------------------------------------------
# decoding parameters
# ---------------------------------------------------------------------------------------------
def _decode_param(param: Param, value: Any) -> Any:
    kind = param.kind
    where = param.name
    if kind == "string":
        if not isinstance(value, str):
            raise faults.invalid_argument(where, f"Parameter '{where}' must be a string.")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise faults.invalid_argument(where, f"Parameter '{where}' must be a boolean.")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise faults.invalid_argument(where, f"Parameter '{where}' must be an integer.")
        return value
    if kind == "ints":
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise faults.invalid_argument(where, f"Parameter '{where}' must be a list of integers.")
        return value
    if kind == "strings":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise faults.invalid_argument(where, f"Parameter '{where}' must be a list of strings.")
        return value
    if kind in ("moref", "morefs"):
        items = value if kind == "morefs" else [value]
        if kind == "morefs" and not isinstance(value, list):
            raise faults.invalid_argument(where, f"Parameter '{where}' must be a list of ManagedObjectReference.")
        refs = []
        for item in items:
            if not isinstance(item, dict):
                raise faults.invalid_argument(where, f"Parameter '{where}' must be a ManagedObjectReference.")
            try:
                refs.append(wire.decode_as(item, wire.ManagedObjectReference))
            except ProtocolError as exc:
                raise faults.invalid_argument(where, f"Parameter '{where}': {exc}") from None
        return refs if kind == "morefs" else refs[0]
    assert isinstance(kind, type)
    items = value if param.many else [value]
    if param.many and not isinstance(value, list):
        raise faults.invalid_argument(where, f"Parameter '{where}' must be a list of {kind.__name__}.")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise faults.invalid_argument(where, f"Parameter '{where}' must be a {kind.__name__} object.")
        try:
            decoded: Any = wire.decode_as(item, kind)
        except ProtocolError as exc:
            raise faults.invalid_argument(where, f"Parameter '{where}': {exc}") from None
        out.append(decoded)
    return out if param.many else out[0]


def decode_params(spec: MethodSpec, body: bytes) -> dict[str, Any]:
    data: Any = {}
    if body and body.strip():
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise faults.invalid_argument(None, "The request body is not valid JSON.") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise faults.invalid_argument(None, "The request body must be a JSON object of named parameters.")
    out: dict[str, Any] = {}
    for param in spec.params:
        value = data.get(param.name)
        if value is None:
            if param.required:
                raise faults.invalid_argument(param.name, f"Required parameter '{param.name}' is missing.")
            out[param.name] = None
            continue
        out[param.name] = _decode_param(param, value)
    return out


# ---------------------------------------------------------------------------------------------
# encoding results
# ---------------------------------------------------------------------------------------------
def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_result(value: Any) -> Any:
    if isinstance(value, wire.VimObject):
        return value.to_wire()
    if isinstance(value, dict):
        return value  # already wire-shaped (built from the wire models, cached)
    if isinstance(value, list):
        return [encode_result(v) for v in value]
    return wire.encode_value(value)


#: what vpxd answers a new session when its HTTP session map is full ("Out of HTTP sessions: Limited to 2000")
OUT_OF_SESSIONS_BODY = b"503 Service Unavailable: out of HTTP sessions"


def out_of_sessions() -> Answer:
    """The answer to a login beyond the session cap: ``503`` with a text body, no VI/JSON fault."""
    return Answer(503, OUT_OF_SESSIONS_BODY, {"content-type": "text/plain"})


def answer_for(call: Call, result: Any) -> Answer:
    if isinstance(result, Answer):
        return result
    if result is VOID:
        return Answer(204, b"", call.headers)
    if result is UNSET_ANSWER or result is UNSET:
        status = call.vc.config.empty_answer_status
        return Answer(status, b"", {**call.headers, **({"content-type": "application/json"} if status == 200 else {})})
    return Answer(
        200, dumps(_for_release(call, encode_result(result))), {**call.headers, "content-type": "application/json"}
    )


def _older_release(call: Call) -> bool:
    return bool(call.release) and needs_scrub(call.release, call.vc.release)


def _for_release(call: Call, encoded: Any) -> Any:
    """``encoded`` as the path's release knows it (fields newer than the release left out)."""
    return scrub(encoded, call.release) if _older_release(call) else encoded


def fault_answer(fault: faults.SimFault, headers: dict[str, str] | None = None) -> Answer:
    return Answer(fault.status, dumps(fault.body()), {**(headers or {}), "content-type": "application/json"})


# ---------------------------------------------------------------------------------------------
# resolving the target
# ---------------------------------------------------------------------------------------------
def resolve(call: Call) -> ManagedObject:
    vc = call.vc
    ref = MoRef(call.type_name, call.moid)
    if call.type_name == "PropertyCollector" and call.moid == vc.collector_id:
        if call.session is None:
            raise faults.managed_object_not_found(ref)
        return vc.default_collector(call.session)
    obj = vc.registry.get(call.type_name, call.moid)
    if obj is None or not obj.alive:
        raise faults.managed_object_not_found(ref)
    if obj.owner is not None and (call.session is None or obj.owner != call.session.key):
        raise faults.managed_object_not_found(ref)  # another session's view/collector/filter
    return obj


def authenticate(call: Call) -> Session:
    if call.session is None:
        raise faults.not_authenticated(call.vc.config.not_authenticated_status)
    return call.session


# ---------------------------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------------------------
async def invoke(call: Call, body: bytes) -> Answer:
    """POST ``Type/moId/Method``."""
    cls = SERVED_TYPES.get(call.type_name)
    ref = MoRef(call.type_name, call.moid)
    if cls is None:
        if call.type_name in KNOWN_MANAGED_TYPES:
            authenticate(call)
            raise faults.managed_object_not_found(ref)
        raise faults.method_not_found(ref, call.name)
    spec = find_method(cls.ANCESTRY, call.name)
    if spec is None or spec.auth:
        authenticate(call)
    if spec is None:
        this = resolve(call)
        if vmware_method(this.ANCESTRY, call.name):
            raise faults.not_implemented(call.type_name, call.name)
        raise faults.method_not_found(ref, call.name)
    this = resolve(call)
    if spec.privilege and call.session is not None and spec.privilege not in call.session.user.privileges:
        raise faults.no_permission(this.ref, spec.privilege)
    params = decode_params(spec, body)
    token = CURRENT_SESSION.set(call.session)
    try:
        result = spec.handler(call, this, **params)
        if inspect.isawaitable(result):
            result = await result
    finally:
        CURRENT_SESSION.reset(token)
    return answer_for(call, result)


def read_property(call: Call) -> Answer:
    """GET ``Type/moId/property`` (top-level properties only, as VI/JSON serves them)."""
    cls = SERVED_TYPES.get(call.type_name)
    ref = MoRef(call.type_name, call.moid)
    unauthenticated = call.type_name == "ServiceInstance" and call.name == "content"
    if cls is None:
        authenticate(call)
        if call.type_name in KNOWN_MANAGED_TYPES:
            raise faults.managed_object_not_found(ref)
        raise faults.invalid_property(call.name)
    if not unauthenticated:
        authenticate(call)
    this = resolve(call)
    if call.name not in this.PROPERTIES:
        if find_method(this.ANCESTRY, call.name) is not None:
            raise faults.SimFault(
                faults.invalid_request(f"'{call.name}' is a method of {call.type_name}: invoke it with POST.").fault,
                405,
            )
        raise faults.invalid_property(call.name, f"Invalid property '{call.name}' for {call.type_name}.")
    cacheable = call.name not in this.NO_CACHE and not _older_release(call)
    if cacheable:
        hit = this.cache.get(("get", call.name))
        if isinstance(hit, Answer):
            return hit
    token = CURRENT_SESSION.set(call.session)
    try:
        with call.vc.registry.lock:
            value = this.prop(call.name)
            if value is None:
                answer = answer_for(call, UNSET_ANSWER)
            else:
                plain = _for_release(call, _plain(value, this.PROPERTIES[call.name]))
                answer = Answer(200, dumps(plain), {"content-type": "application/json"})
            if cacheable and not call.headers:
                this.cache[("get", call.name)] = answer
    finally:
        CURRENT_SESSION.reset(token)
    return answer


def _plain(value: Any, declared: str) -> Any:
    """A property value as a GET answers it: data objects with ``_typeName``, arrays and primitives bare."""
    if isinstance(value, list):
        return [encode_result(v) for v in value]
    encoded = encode_declared(value, declared)
    if isinstance(encoded, dict) and "_value" in encoded and encoded.get("_typeName") != "ManagedObjectReference":
        return encoded["_value"]
    return encoded
