"""A small, scriptable fake vCenter for ``httpx.MockTransport`` (shared by the client/property/sync tests).

It speaks the VI/JSON wire format (``/sdk/vim25/{release}/…``, as VMware documents it) for the calls the client makes on its
own (content, hello, Login, Logout, currentSession) and lets each test add property values and method handlers.
Every request is recorded (``fake.requests``) so tests can assert on paths, headers and bodies.

Faults and odd answers are injected per call name (``"HostSystem.ReconfigureHostForDAS_Task"``) with
:meth:`FakeVCenter.inject`: each queued item (an ``httpx.Response``, an exception instance, or a callable) is
used once, before the normal handler.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx

SESSION_HEADER = "vmware-api-session-id"

CONTENT = {
    "_typeName": "ServiceContent",
    "rootFolder": {"_typeName": "ManagedObjectReference", "type": "Folder", "value": "group-d1"},
    "propertyCollector": {
        "_typeName": "ManagedObjectReference",
        "type": "PropertyCollector",
        "value": "propertyCollector",
    },
    "viewManager": {"_typeName": "ManagedObjectReference", "type": "ViewManager", "value": "ViewManager"},
    "sessionManager": {"_typeName": "ManagedObjectReference", "type": "SessionManager", "value": "SessionManager"},
    "eventManager": {"_typeName": "ManagedObjectReference", "type": "EventManager", "value": "EventManager"},
    "taskManager": {"_typeName": "ManagedObjectReference", "type": "TaskManager", "value": "TaskManager"},
    "about": {
        "_typeName": "AboutInfo",
        "name": "VMware vCenter Server",
        "fullName": "VMware vCenter Server 8.0.3 build-24022515",
        "vendor": "VMware, Inc.",
        "version": "8.0.3",
        "build": "24022515",
        "osType": "linux-x64",
        "productLineId": "vpx",
        "apiType": "VirtualCenter",
        "apiVersion": "8.0.3.0",
        "instanceUuid": "0f2d1a5c-3c1e-4d4b-9d4f-4e2a9c0d1b11",
    },
}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )


def fault(type_name: str, status: int = 500, **fields: Any) -> httpx.Response:
    return json_response(status, {"_typeName": type_name, **fields})


def moref(type_: str, value: str) -> dict[str, str]:
    return {"_typeName": "ManagedObjectReference", "type": type_, "value": value}


Handler = Callable[[httpx.Request, Any], httpx.Response]


class FakeVCenter:
    """See module doc. ``hello``: a release string (answered), ``""`` (no common release), an int (that HTTP
    status), or an exception instance (raised). ``expired_style``: how a missing/expired session is answered —
    ``"500"`` (NotAuthenticated fault), ``"401json"``, ``"403json"``, ``"401bare"``, ``"403bare"``."""

    def __init__(
        self,
        *,
        user: str = "administrator@vsphere.local",
        password: str = "Sup3r-Secret-Pw!",
        hello: Any = "8.0.3.0",
        api_version: str = "8.0.3.0",
        expired_style: str = "500",
        rotate_tokens: bool = False,
        content: dict[str, Any] | None = None,
    ) -> None:
        self.user = user
        self.password = password
        self.hello = hello
        self.expired_style = expired_style
        self.rotate_tokens = rotate_tokens
        self.content = json.loads(json.dumps(content or CONTENT))
        self.content["about"]["apiVersion"] = api_version
        self.requests: list[httpx.Request] = []
        self.sessions: set[str] = set()
        self.issued: list[str] = []  # every token ever handed out
        self.logins = 0
        self.logouts = 0
        self.properties: dict[tuple[str, str, str], Any] = {}
        self.handlers: dict[str, Handler] = {}
        self.injected: dict[str, list[Any]] = {}
        self._tokens = itertools.count(1)

    # -- scripting --------------------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def set_property(self, type_: str, value: str, name: str, val: Any) -> None:
        self.properties[(type_, value, name)] = val

    def on(self, call: str, handler: Handler) -> None:
        """Route ``"Type.Method"`` (or ``"Type.property"`` for GET) to ``handler(request, body)``."""
        self.handlers[call] = handler

    def inject(self, call: str, *items: Any) -> None:
        self.injected.setdefault(call, []).extend(items)

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def calls(self, call: str | None = None) -> list[httpx.Request]:
        if call is None:
            return list(self.requests)
        return [r for r in self.requests if self.call_name(r) == call]

    @staticmethod
    def raw_parts(request: httpx.Request) -> list[str]:
        """The path segments, split *before* percent-decoding (a moId may contain '/')."""
        raw = request.url.raw_path.decode("ascii").split("?", 1)[0]
        return [unquote(p) for p in raw.split("/")]

    @classmethod
    def call_name(cls, request: httpx.Request) -> str:
        parts = cls.raw_parts(request)
        if request.url.path.startswith("/sdk/vim25/") and len(parts) >= 7:
            return f"{parts[4]}.{parts[6]}"
        if request.url.path == "/api/vcenter/system":
            return "hello"
        return request.url.path

    # -- answers ----------------------------------------------------------------------------------
    def _new_token(self) -> str:
        token = f"tok-{next(self._tokens):04d}-52e1b9aa7d"
        self.sessions.add(token)
        self.issued.append(token)
        return token

    def _expired(self) -> httpx.Response:
        style = self.expired_style
        body = {
            "_typeName": "NotAuthenticated",
            "faultMessage": [
                {
                    "_typeName": "LocalizableMessage",
                    "key": "vim.fault.NotAuthenticated",
                    "message": "The session is not authenticated.",
                }
            ],
            "object": moref("Folder", "group-d1"),
            "privilegeId": "System.View",
        }
        if style == "500":
            return json_response(500, body)
        if style in ("401json", "403json"):
            return json_response(int(style[:3]), body)
        if style in ("401bare", "403bare"):
            return httpx.Response(int(style[:3]), content=b"")
        raise AssertionError(style)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        call = self.call_name(request)
        queue = self.injected.get(call)
        if queue:
            item = queue.pop(0)
            if isinstance(item, BaseException):
                raise item
            if callable(item):
                return item(request)
            return item
        if call == "hello":
            if isinstance(self.hello, BaseException):
                raise self.hello
            if isinstance(self.hello, int):
                return httpx.Response(self.hello, content=b"")
            assert json.loads(request.content)["api_releases"][0] == "9.1.1.0"
            return json_response(200, {"api_release": self.hello})
        if not request.url.path.startswith("/sdk/vim25/"):
            return httpx.Response(404, content=b"<html>not found</html>", headers={"Content-Type": "text/html"})
        type_, value, name = self.raw_parts(request)[4:7]
        body = json.loads(request.content) if request.content else None
        if call == "ServiceInstance.content":
            return json_response(200, self.content)
        if call == "SessionManager.Login":
            if body != {"userName": self.user, "password": self.password}:
                return fault(
                    "InvalidLogin",
                    faultMessage=[
                        {
                            "_typeName": "LocalizableMessage",
                            "key": "vim.fault.InvalidLogin",
                            "message": "Cannot complete login due to an incorrect user name or password.",
                        }
                    ],
                )
            self.logins += 1
            token = self._new_token()
            return json_response(
                200,
                {
                    "_typeName": "UserSession",
                    "key": f"52{self.logins:06d}",
                    "userName": self.user,
                    "fullName": "Administrator",
                    "loginTime": "2026-03-01T08:57:35.279575Z",
                    "lastActiveTime": "2026-03-01T08:57:35.279575Z",
                    "locale": "en",
                    "messageLocale": "en",
                },
                headers={SESSION_HEADER: token},
            )
        token = request.headers.get(SESSION_HEADER)
        if call == "SessionManager.currentSession" and token not in self.sessions:
            return httpx.Response(200, content=b"")
        if token not in self.sessions:
            return self._expired()
        if call == "SessionManager.Logout":
            self.sessions.discard(token)
            self.logouts += 1
            return httpx.Response(204)
        headers: dict[str, str] = {}
        if self.rotate_tokens:
            self.sessions.discard(token)
            headers[SESSION_HEADER] = self._new_token()
        response = self._dispatch(request, call, type_, value, name, body)
        if 200 <= response.status_code < 300 and headers:
            response.headers.update(headers)
        elif headers:  # a failed call keeps the old token valid
            self.sessions.add(token)
            self.sessions.discard(headers[SESSION_HEADER])
        return response

    def _dispatch(
        self, request: httpx.Request, call: str, type_: str, value: str, name: str, body: Any
    ) -> httpx.Response:
        if call in self.handlers:
            return self.handlers[call](request, body)
        if call == "SessionManager.currentSession":
            return json_response(
                200,
                {
                    "_typeName": "UserSession",
                    "key": "52000001",
                    "userName": self.user,
                    "locale": "en",
                    "messageLocale": "en",
                },
            )
        if request.method == "GET":
            key = (type_, value, name)
            if key in self.properties:
                return json_response(200, self.properties[key])
            if (type_, value) in {(k[0], k[1]) for k in self.properties}:
                return fault("InvalidProperty", name=name)
            return fault("ManagedObjectNotFound", obj=moref(type_, value))
        return fault("MethodNotFound", method=name, receiver=moref(type_, value))


async def aconnect(fake: FakeVCenter, server: str = "https://vc.test", **kwargs: Any):
    """``AsyncClient.connect`` to ``fake`` with a fast retry policy by default: through a MockTransport for the
    default server name, over real HTTP for any other ``server`` (see :func:`serve`)."""
    from vsphere_nb.client.aio import AsyncClient
    from vsphere_nb.client.config import RetryPolicy

    kwargs.setdefault("retry", RetryPolicy(attempts=4, base=0.001, cap=0.005))
    if "user" not in kwargs and "session_token" not in kwargs:
        kwargs["user"], kwargs["password"] = fake.user, fake.password
    user = kwargs.pop("user", None)
    password = kwargs.pop("password", None)
    if server == "https://vc.test":
        kwargs.setdefault("transport", fake.transport())
    return await AsyncClient.connect(server, user, password, **kwargs)


# ------------------------------------------------------------------------------------------------
# the same fake over real HTTP (for TLS tests and httpcore's own logging)
# ------------------------------------------------------------------------------------------------
import contextlib  # noqa: E402
import http.server  # noqa: E402
import ssl  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

#: a response header (not sent on) that makes :func:`serve` write the body one byte every that many seconds
TRICKLE_HEADER = "x-test-trickle-seconds"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeVCenter  # set on a subclass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host", "127.0.0.1")
        request = httpx.Request(
            self.command, f"http://{host}{self.path}", headers=dict(self.headers.items()), content=body
        )
        try:
            response = self.fake.handle(request)
        except Exception:  # an injected exception: drop the connection like a crashed server
            self.close_connection = True
            self.connection.close()
            return
        content = response.content
        trickle = float(response.headers.get(TRICKLE_HEADER) or 0)
        self.send_response(response.status_code)
        for key, value in response.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", TRICKLE_HEADER):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if content and trickle:
            self._trickle(content, trickle)
        elif content:
            self.wfile.write(content)

    def _trickle(self, content: bytes, seconds: float) -> None:
        """One byte every ``seconds``: each byte restarts the client's read timeout."""
        for i in range(len(content)):
            try:
                self.wfile.write(content[i : i + 1])
                self.wfile.flush()
            except OSError:  # the client gave up
                self.close_connection = True
                return
            time.sleep(seconds)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@contextlib.contextmanager
def serve(fake: FakeVCenter, tls: ssl.SSLContext | None = None):
    """Serve ``fake`` on 127.0.0.1 (a free port) in a thread; yields the origin URL."""
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def make_ca_and_server_cert(directory) -> tuple[str, str, str]:
    """A throw-away CA and a server certificate for 127.0.0.1/localhost signed by it: (ca.pem, cert.pem, key.pem)
    — the simulator's own generator, so the test server and ``vsphere-nb simulate --tls`` agree."""
    from vsphere_nb.simulator.tls import generate_tls

    files = generate_tls(directory)
    return files.ca_file, files.cert_file, files.key_file
