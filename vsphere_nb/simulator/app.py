"""The ASGI application: ``/sdk/vim25/…`` (VI/JSON), ``/sdk`` (a SOAP fault pointing to VI/JSON, and
``vimServiceVersions.xml``), ``/api/…`` (hello, session) and ``/simulator/…`` (stats).

``/sdk`` is the hot path and is served by a small raw-ASGI handler (no per-request routing tables or
request objects): parse the raw path, find the session, dispatch, send cached bytes when possible. The
rest is an ordinary Starlette app. Chaos (latency, 503, dropped connections) applies to ``/sdk`` and
``/api`` only, never to ``/simulator`` — tests and benchmarks must be able to read the counters.

A *dropped connection* closes the socket without any HTTP answer: under uvicorn the simulator's HTTP
protocol class records each connection's transport (see :mod:`.server`) and the app aborts it; in-process
(``httpx.ASGITransport``) there is no socket, so the app raises ``httpx.RemoteProtocolError`` — what httpx
raises for a real dropped connection. Half the drops happen before the request is executed and half after
(the call took effect but its answer was lost: the case ``LaunchStateUnknown`` exists for).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import random
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import faults, methods, soap  # noqa: F401  (methods registers the handlers)
from .dispatch import SESSION_HEADER, Answer, Call, dumps, fault_answer, invoke, read_property
from .sessions import SessionLimitReached
from .vcenter import Vcenter

__all__ = ["SimulatorApp"]

log = logging.getLogger(__name__)

_SESSION_HEADER_B = SESSION_HEADER.encode()
_UA_B = b"user-agent"
_503_BODY = b"upstream connect error or disconnect/reset before headers. reset reason: connection failure"


def _vapi_error(status: int, error_type: str, message: str, msg_id: str) -> JSONResponse:
    return JSONResponse(
        {"error_type": error_type, "messages": [{"args": [], "default_message": message, "id": msg_id}]},
        status_code=status,
    )


class SimulatorApp:
    """ASGI callable. ``transports`` maps client address → asyncio transport (filled by the uvicorn protocol)."""

    def __init__(
        self,
        vc: Vcenter,
        transports: dict[Any, asyncio.BaseTransport] | None = None,
        root_causes: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.vc = vc
        #: the root-cause stories' ground truth (test-only; a vCenter has no such thing)
        self.root_causes = dict(root_causes or {})
        self.transports = transports if transports is not None else {}
        self.rng = random.Random((vc.config.seed << 8) ^ 0xC4A05)
        self._vapi_tokens: set[str] = set()
        self.web = Starlette(
            routes=[
                Route("/simulator/stats", self._stats, methods=["GET"]),
                Route("/simulator/stats/reset", self._reset_stats, methods=["POST"]),
                Route("/simulator/info", self._info, methods=["GET"]),
                Route("/simulator/root-causes", self._root_causes, methods=["GET"]),
                Route("/api/vcenter/system", self._hello, methods=["POST"]),
                Route("/api/session", self._api_login, methods=["POST"]),
                Route("/api/session", self._api_logout, methods=["DELETE"]),
            ]
        )

    # -- ASGI entry --------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.web(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/simulator/"):
            await self.web(scope, receive, send)
            return
        chaos = self.vc.chaos
        if chaos.latency or chaos.jitter:
            await asyncio.sleep(chaos.latency + (self.rng.uniform(0.0, chaos.jitter) if chaos.jitter else 0.0))
        drop_after = False
        if chaos.drop_rate and self.rng.random() < chaos.drop_rate:
            if self.rng.random() < 0.5:
                await self._drop(scope)
                return
            drop_after = True
        if chaos.http_503_rate and self.rng.random() < chaos.http_503_rate:
            self.vc.stats.chaos_event("http_503")
            await _send(send, Answer(503, _503_BODY, {"content-type": "text/plain"}))
            return
        if path == "/sdk" or (path.startswith("/sdk/") and not path.startswith("/sdk/vim25/")):
            answer = await self._soap(scope, receive)
            if drop_after:
                await self._drop(scope)
                return
            await _send(send, answer)
            return
        if path.startswith("/sdk/"):
            answer = await self._sdk(scope, receive)
            if drop_after:
                await self._drop(scope)
                return
            await _send(send, answer)
            return
        if drop_after:
            await self._drop(scope)
            return
        await self.web(scope, receive, send)

    async def _drop(self, scope: dict[str, Any]) -> None:
        self.vc.stats.chaos_event("dropped_connections")
        transport = self.transports.get(scope.get("client") and tuple(scope["client"]))
        if transport is None:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        transport.abort()  # type: ignore[attr-defined]  # an asyncio.Transport: the server's own socket
        # let the protocol see the connection loss (a few loop turns through TLS) before the cycle ends,
        # so uvicorn does not complain that no response was started
        for _ in range(20):
            await asyncio.sleep(0)

    # -- /sdk --------------------------------------------------------------------------------------
    async def _sdk(self, scope: dict[str, Any], receive: Callable[..., Any]) -> Answer:
        method = scope["method"]
        raw = scope.get("raw_path") or scope["path"].encode()
        parts = [unquote(p.decode("latin-1")) for p in raw.split(b"?", 1)[0].split(b"/")]
        # ["", "sdk", "vim25", release, Type, moId, name]
        if len(parts) != 7 or parts[2] != "vim25" or not all(parts[3:]):
            return _not_found("No VI/JSON resource at this path; expected /sdk/vim25/{release}/{type}/{moId}/{name}.")
        release, type_name, moid, name = parts[3], parts[4], parts[5], parts[6]
        if release not in self.vc.path_releases:
            return _not_found(f"Unsupported API release '{release}'.")
        session = self._session(scope)
        user_agent = None
        for key, value in scope["headers"]:
            if key == _UA_B:
                user_agent = value.decode("latin-1")
                break
        client = scope.get("client")
        call = Call(
            self.vc,
            session,
            type_name,
            moid,
            name,
            ip=client[0] if client else None,
            user_agent=user_agent,
            release=release,
        )
        self.vc.stats.request(f"{type_name}.{name}")
        try:
            if method == "GET":
                return read_property(call)
            if method == "POST":
                body = await _read_body(receive)
                return await invoke(call, body)
            return Answer(
                405,
                dumps(faults.invalid_request(f"HTTP method {method} is not allowed here.").body()),
                {"content-type": "application/json", "allow": "GET, POST"},
            )
        except faults.SimFault as fault:
            return fault_answer(fault, call.headers)
        except Exception:
            log.exception("simulator: unexpected error in %s %s/%s/%s", method, type_name, moid, name)
            return fault_answer(faults.system_error("internal simulator error"))

    async def _soap(self, scope: dict[str, Any], receive: Callable[..., Any]) -> Answer:
        """``/sdk`` outside ``/sdk/vim25``: the service versions document, or a SOAP fault naming VI/JSON."""
        vc = self.vc
        releases = sorted(vc.path_releases, key=_release_key)
        if scope["method"] in ("GET", "HEAD") and scope["path"] == "/sdk/vimServiceVersions.xml":
            prior = [r for r in reversed(releases) if r != vc.release]
            return Answer(200, soap.service_versions(vc.release, prior), {"content-type": "text/xml"})
        if scope["method"] == "POST":
            await _read_body(receive)
        vc.stats.request("soap")
        return Answer(500, soap.soap_fault(releases[-1], releases), {"content-type": soap.SOAP_CONTENT_TYPE})

    def _session(self, scope: dict[str, Any]) -> Any:
        token = None
        for key, value in scope["headers"]:
            if key == _SESSION_HEADER_B:
                token = value.decode("latin-1")
                break
        session, expired = self.vc.sessions.lookup(token)
        if expired:
            self.vc.stats.chaos_event("session_expiries")
        return session

    # -- /api --------------------------------------------------------------------------------------
    async def _hello(self, request: Request) -> Response:
        vc = self.vc
        if request.query_params.get("action") != "hello" or not vc.has_hello:
            return _vapi_error(404, "NOT_FOUND", "Not found.", "com.vmware.vapi.rest.httpNotFound")
        vc.stats.request("vcenter.system.hello")
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            return _vapi_error(
                400, "INVALID_ARGUMENT", "The request body is not valid JSON.", "com.vmware.vapi.rest.badRequest"
            )
        wanted = data.get("api_releases") if isinstance(data, dict) else None
        if not isinstance(wanted, list) or not all(isinstance(r, str) for r in wanted):
            return _vapi_error(
                400, "INVALID_ARGUMENT", 'Expected {"api_releases": [string, ...]}.', "com.vmware.vapi.rest.badRequest"
            )
        offered = set(vc.hello_releases())
        best = next((r for r in wanted if r in offered), "")
        return JSONResponse({"api_release": best})

    async def _api_login(self, request: Request) -> Response:
        vc = self.vc
        if vc.mode == "esx":
            return _vapi_error(404, "NOT_FOUND", "Not found.", "com.vmware.vapi.rest.httpNotFound")
        vc.stats.request("api.session.create")
        header = request.headers.get("authorization", "")
        user = None
        if header.lower().startswith("basic "):
            try:
                name, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                name, password = "", ""
            user = vc.sessions.authenticate(name, password)
        if user is None:
            return _vapi_error(
                401,
                "UNAUTHENTICATED",
                "Authentication required.",
                "com.vmware.vapi.endpoint.method.authentication.required",
            )
        if vc.accepts_api_session:
            try:
                session = vc.sessions.login(
                    user,
                    ip=request.client.host if request.client else None,
                    user_agent=request.headers.get("user-agent"),
                )
            except SessionLimitReached as exc:
                return _vapi_error(
                    503,
                    "SERVICE_UNAVAILABLE",
                    f"Session count is limited to {exc.limit}.",
                    "com.vmware.vapi.endpoint.failedToLoginMaxUserSessionCountReached",
                )
            token = session.token
        else:  # before 8.0 U3 an /api token does not work on /sdk
            token = secrets.token_hex(16)
            self._vapi_tokens.add(token)
        return JSONResponse(token, status_code=201)

    async def _api_logout(self, request: Request) -> Response:
        token = request.headers.get(SESSION_HEADER)
        self._vapi_tokens.discard(token or "")
        session, _ = self.vc.sessions.lookup(token)
        if session is not None:
            self.vc.sessions.logout(session)
        return Response(status_code=204)

    # -- /simulator --------------------------------------------------------------------------------
    async def _stats(self, request: Request) -> Response:
        return JSONResponse(self.vc.stats.snapshot(self.vc.sessions.active))

    async def _reset_stats(self, request: Request) -> Response:
        self.vc.stats.reset()
        return JSONResponse(self.vc.stats.snapshot(self.vc.sessions.active))

    async def _root_causes(self, request: Request) -> Response:
        """Test-only ground truth of root-cause stories (a vCenter has no such thing)."""
        return JSONResponse({"hosts": self.root_causes})

    async def _info(self, request: Request) -> Response:
        vc = self.vc
        inv = vc.inventory
        return JSONResponse(
            {
                "mode": vc.mode,
                "version": vc.config.version,
                "release": vc.release,
                "scenario": vc.scenario.name,
                "seed": vc.config.seed,
                "task_seconds": vc.task_seconds,
                "time_scale": vc.config.time_scale,
                "max_active_tasks": vc.config.max_active_tasks,
                "datacenters": len(inv.datacenters),
                "clusters": len(inv.clusters()),
                "hosts": len(inv.hosts),
                "user": vc.config.user,
                "readonly_user": vc.config.readonly_user,
            }
        )


async def _read_body(receive: Callable[..., Any]) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _release_key(release: str) -> tuple[int, ...]:
    return tuple(int(p) for p in release.split("."))


def _not_found(text: str) -> Answer:
    return Answer(404, dumps(faults.invalid_request(text).body()), {"content-type": "application/json"})


async def _send(send: Callable[..., Any], answer: Answer) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
    headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
