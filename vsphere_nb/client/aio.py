"""The async VI/JSON client: connect, choose the API release, log in, read properties, call methods.

::

    async with await AsyncClient.connect("vc.example.com", "administrator@vsphere.local", pw) as vc:
        runtime = await vc.get(MoRef("HostSystem", "host-42"), "runtime")
        task = await vc.invoke(MoRef("HostSystem", "host-42"), "ReconfigureHostForDAS_Task")

What happens on ``connect``:

1. ``GET /sdk/vim25/8.0.1.0/ServiceInstance/ServiceInstance/content`` without a session (or under the explicit
   ``release``). The singletons (``sessionManager``, ``propertyCollector`` …) are taken from that answer and
   never hard-coded anywhere else.
2. The release: explicit ``release`` → ``POST /api/vcenter/system?action=hello`` → ``about.apiVersion`` (when it
   is ``8.0.1.0`` or newer) → ``8.0.1.0``. ``client.release_source`` says which one won.
3. The session: ``session_token`` (checked with ``SessionManager.currentSession``) or ``Login``.

How a call can fail, and what the caller sees:

* no usable HTTP answer → :class:`~vsphere_nb.errors.TransportError` (``ConnectError``/``TimeoutError``/``TLSError``);
* an answer with a ``MethodFault`` body → :class:`~vsphere_nb.errors.ServerFault` (``.is_a("NoPermission")`` …);
* any other non-2xx answer, or a body that is not VI/JSON → :class:`~vsphere_nb.errors.ProtocolError`;
* session expired (``NotAuthenticated`` in a 500, or a 401/403): log in again once and replay the call when that
  is safe (:data:`READ_ONLY_METHODS`, property reads, ordinary methods). A ``*_Task`` launch is never replayed:
  :class:`~vsphere_nb.errors.LaunchStateUnknown`. Methods tied to the dead session (:data:`NO_REPLAY_METHODS`) and
  clients without a password get :class:`~vsphere_nb.errors.NotAuthenticatedError`.
* reads, and the creation of views, collectors and filters (:data:`~vsphere_nb.client._call_policy.CREATE_METHODS`), are
  retried on 502/503/504 and dropped connections (:class:`~vsphere_nb.client.config.RetryPolicy`); nothing else is.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from .. import errors, wire
from ._answers import interpret, not_authenticated, synthetic_not_authenticated, target, unverified
from ._call_policy import (
    LOGIN,
    NO_REPLAY_METHODS,
    POLICIES,
    PROBE,
    READ,
    READ_ONLY_METHODS,
    SESSION,
    Policy,
    call_policy,
)
from ._handshake import negotiate_release, read_content
from ._offload import OFFLOAD_BYTES, offload
from ._transport import ClientStats, Transport
from .config import (
    DEFAULT_RELEASE,
    DEFAULT_USER_AGENT,
    MAX_RESPONSE_BYTES,
    RetryPolicy,
    Secret,
    Timeouts,
    VerifyArg,
    check_session_token,
    parse_release,
    parse_server,
    resolve_verify,
)

__all__ = ["AsyncClient", "READ_ONLY_METHODS", "NO_REPLAY_METHODS", "call_policy", "ClientStats"]

logger = logging.getLogger("vsphere_nb.client")


def vcenter_name(client: Any) -> str:
    """The name a client's vCenter has in every table: ``host[:port]`` of its URL."""
    server = getattr(client, "server", "") or ""
    return urlsplit(server).netloc or server


class AsyncClient:
    """A logged-in VI/JSON session on one vCenter. Create it with :meth:`connect`; close it (or use
    ``async with``) to log out. One client may serve many concurrent calls; a session expiry seen by several
    of them at once leads to a single re-login."""

    def __init__(
        self,
        transport: Transport,
        content: wire.ServiceContent,
        *,
        release: str,
        release_source: str,
        user: str | None,
        password: Secret | None,
    ) -> None:
        # private: use ``await AsyncClient.connect(...)``
        self._transport = transport
        self._content = content
        self._release = release
        self._release_source = release_source
        self._user = user
        self._password = password
        self._session: wire.UserSession | None = None
        self._owns_session = False
        self._login_generation = 0
        self._login_lock = asyncio.Lock()

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------
    @classmethod
    async def connect(
        cls,
        server: str,
        user: str | None = None,
        password: str | Secret | None = None,
        *,
        session_token: str | Secret | None = None,
        verify: VerifyArg = True,
        release: str | None = None,
        timeout: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> AsyncClient:
        """Connect to ``server``, choose the release and open (or adopt) a session.

        ``user``/``password`` log in (and allow a re-login when the session expires); ``session_token`` adopts an
        existing session instead (it is not logged out on close — it belongs to whoever created it). With
        neither, the client is anonymous: only ``content``/``about`` are usable. ``transport`` is an httpx async
        transport, e.g. ``httpx.ASGITransport(simulator.app)``. ``timeout.total`` bounds every call as a whole;
        ``max_response_bytes`` caps the size of any answer (:data:`~vsphere_nb.client.config.MAX_RESPONSE_BYTES`).
        ``verify=False`` warns once (an :class:`~vsphere_nb.client.config.InsecureTLSWarning`) for this connection.
        """
        origin = parse_server(server)
        tls = resolve_verify(verify, stacklevel=3)
        if not isinstance(timeout, Timeouts):
            raise errors.ConfigError("timeout must be a vsphere_nb.client.config.Timeouts")
        if not isinstance(retry, RetryPolicy):
            raise errors.ConfigError("retry must be a vsphere_nb.client.config.RetryPolicy")
        if (user is None) != (password is None):
            raise errors.ConfigError("give both user and password (or neither, with session_token=)")
        if user is not None and (not isinstance(user, str) or not user):
            raise errors.ConfigError("user must be a non-empty string")
        secret = Secret(password) if password is not None else None
        token = Secret(session_token) if session_token is not None else None
        if token is not None:
            check_session_token(token.reveal(), "session_token")
        if release is not None and parse_release(release) is None:
            raise errors.ConfigError(f"release must look like '8.0.3.0', got {release!r}")

        http = Transport(
            origin,
            verify=tls,
            timeouts=timeout,
            retry=retry,
            http_transport=transport,
            user_agent=user_agent,
            max_response_bytes=max_response_bytes,
        )
        try:
            content = await read_content(http, release or DEFAULT_RELEASE)
            client = cls(
                http, content, release=release or DEFAULT_RELEASE, release_source="explicit", user=user, password=secret
            )
            if release is None:
                client._release, client._release_source = await negotiate_release(http, content)
            await client._open_session(token)
        except BaseException:
            await http.aclose()
            raise
        logger.info(
            "connected to %s (release %s via %s)%s%s",
            origin,
            client.release,
            client.release_source,
            f" as {client.session.userName}" if client.session else "",
            ", TLS certificate verification OFF" if unverified(tls) else "",
        )
        return client

    async def _open_session(self, token: Secret | None) -> None:
        if token is not None and token:
            self._transport.token = token
            session: Any = None
            try:
                session = await self._call("GET", self._session_manager(), "currentSession", policy=PROBE)
            except errors.NotAuthenticatedError:
                session = None
            if session is not None:
                self._session = wire.decode_as(session, wire.UserSession)
                self._owns_session = False
                return
            self._transport.token = None
            if self._password is None:
                raise errors.NotAuthenticatedError(
                    synthetic_not_authenticated("the given session token is not (or no longer) valid"),
                    method="currentSession",
                    moref=self._session_manager(),
                )
            logger.info("the given session token is not valid; logging in as %s instead", self._user)
        if self._password is not None:
            await self._login()

    # ------------------------------------------------------------------------------------------
    # public properties
    # ------------------------------------------------------------------------------------------
    @property
    def content(self) -> wire.ServiceContent:
        return self._content

    @property
    def about(self) -> wire.AboutInfo:
        return self._content.about

    @property
    def release(self) -> str:
        return self._release

    @property
    def release_source(self) -> str:
        """``"explicit"``, ``"hello"``, ``"about"`` or ``"default"``."""
        return self._release_source

    @property
    def session(self) -> wire.UserSession | None:
        return self._session

    @property
    def session_token(self) -> Secret | None:
        """The current session token (a :class:`~vsphere_nb.client.config.Secret`), e.g. to hand to another process."""
        return self._transport.token

    @property
    def server(self) -> str:
        """The server origin, e.g. ``https://vc.example.com``."""
        return self._transport.origin

    @property
    def base_url(self) -> str:
        """``{server}/sdk/vim25/{release}/``."""
        return f"{self._transport.origin}/sdk/vim25/{self._release}/"

    @property
    def user(self) -> str | None:
        return self._user

    @property
    def stats(self) -> ClientStats:
        return self._transport.stats

    @property
    def timeouts(self) -> Timeouts:
        return self._transport.timeouts

    @property
    def max_response_bytes(self) -> int:
        """The size cap on any answer (bytes)."""
        return self._transport.max_response_bytes

    @property
    def is_closed(self) -> bool:
        return self._transport.is_closed

    def __repr__(self) -> str:
        state = "closed" if self.is_closed else ("session" if self._transport.token else "no session")
        who = f" user={self._user!r}" if self._user else ""
        return f"<AsyncClient {self.server} release={self._release} ({self._release_source}){who} {state}>"

    # ------------------------------------------------------------------------------------------
    # the API
    # ------------------------------------------------------------------------------------------
    async def get(self, moref: wire.MoRef, prop: str) -> Any:
        """Read one top-level property: ``GET {base}{type}/{moId}/{prop}``; the value decoded (``None`` if unset)."""
        return await self._call("GET", moref, prop, policy=READ)

    async def invoke(self, moref: wire.MoRef, method: str, /, **params: Any) -> Any:
        """Call ``method`` on ``moref`` with named parameters (``None`` values are left out); the result decoded,
        ``None`` for a void result. See the module doc for retries, re-login and ``*_Task`` launches."""
        return await self._method(moref, method, params, decode=True)

    async def invoke_json(self, moref: wire.MoRef, method: str, /, **params: Any) -> Any:
        """:meth:`invoke`, with the answer as plain JSON instead of models (``_typeName`` s and boxed values as
        the server wrote them); faults are raised as with :meth:`invoke`. For bulk reads whose caller needs a few
        fields of each item and keeps the rest as wire JSON: a page of 1,000 events parses in milliseconds this
        way, against a few hundred as models."""
        return await self._method(moref, method, params, decode=False)

    async def _method(self, moref: wire.MoRef, method: str, params: dict[str, Any], *, decode: bool) -> Any:
        body = {name: wire.encode_value(value) for name, value in params.items() if value is not None}
        policy = POLICIES[call_policy(method)]
        return await self._call("POST", moref, method, policy=policy, body=body if body else None, decode=decode)

    async def login(self) -> wire.UserSession:
        """Log in again with the stored credentials (a new session replaces the current one)."""
        if self._password is None or self._user is None:
            raise errors.ConfigError("this client has no user/password to log in with")
        return await self._login()

    async def logout(self) -> None:
        """``SessionManager.Logout``. A session that is already gone counts as logged out."""
        if self._transport.token is None or self.is_closed:
            self._session = None
            return
        try:
            await self._call("POST", self._session_manager(), "Logout", policy=SESSION)
        except errors.NotAuthenticatedError:
            pass
        finally:
            self._transport.token = None
            self._session = None
            self._owns_session = False

    async def close(self) -> None:
        """Log out (best effort, only a session this client opened) and close the connections. Idempotent."""
        if self.is_closed:
            return
        if self._owns_session and self._transport.token is not None:
            try:
                limit = min(10.0, self.timeouts.connect or 10.0)
                await asyncio.wait_for(self.logout(), timeout=limit)
            except (TimeoutError, errors.VsphereError) as exc:
                logger.debug("logout on close failed (%s); closing anyway", type(exc).__name__)
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------------------------------
    # internals
    # ------------------------------------------------------------------------------------------
    def _session_manager(self) -> wire.MoRef:
        sm = self._content.sessionManager
        if sm is None:
            raise errors.ProtocolError("the service content has no sessionManager", method="content")
        return sm

    def _path(self, moref: wire.MoRef, name: str) -> str:
        if not isinstance(moref, wire.MoRef):
            raise TypeError(f"expected a ManagedObjectReference, got {type(moref).__name__}")
        return (
            f"/sdk/vim25/{self._release}/{quote(moref.type, safe='')}/{quote(moref.value, safe='')}/"
            f"{quote(name, safe='')}"
        )

    async def _login(self) -> wire.UserSession:
        assert self._user is not None and self._password is not None
        self._transport.token = None
        sm = self._session_manager()
        value = await self._call(
            "POST",
            sm,
            "Login",
            policy=LOGIN,
            body={"userName": self._user, "password": self._password.reveal()},
        )
        if self._transport.token is None:
            raise errors.ProtocolError(
                "Login succeeded but the answer carried no vmware-api-session-id header", method="Login"
            )
        self._session = wire.decode_as(value, wire.UserSession) if value is not None else None
        self._owns_session = True
        self._login_generation += 1
        logger.debug("logged in to %s as %s", self.server, self._user)
        return self._session

    async def _relogin(self, generation: int) -> None:
        """Renew the session once for every call that saw it expire under ``generation``."""
        async with self._login_lock:
            if self._login_generation != generation:
                return  # another call renewed it meanwhile
            await self._login()
            self.stats.relogins += 1
            logger.info("session on %s expired; logged in again as %s", self.server, self._user)

    async def _call(
        self,
        http_method: str,
        moref: wire.MoRef,
        name: str,
        *,
        policy: Policy,
        body: dict[str, Any] | None = None,
        decode: bool = True,
    ) -> Any:
        if self.is_closed:
            raise RuntimeError("this client is closed")
        path = self._path(moref, name)
        launch = policy.on_expiry == "launch"
        generation = self._login_generation

        async def send() -> httpx.Response:
            # the one way this call goes out: first, and again after a re-login (a launch never is sent again)
            return await self._transport.send(
                http_method,
                path,
                call=f"{moref.type}.{name}",
                json_body=body,
                has_body=body is not None,
                retry=policy.retry,
                launch=launch,
                moref=moref,
                token=policy.on_expiry != "none",
            )

        def refused(found: tuple[wire.MethodFault, dict[str, Any]], status: int) -> errors.NotAuthenticatedError:
            return errors.NotAuthenticatedError(found[0], raw=found[1], method=name, moref=moref, status=status)

        response = await send()
        expired = not_authenticated(response) if policy.on_expiry != "none" else None
        if expired:
            if policy.on_expiry == "fail" or self._password is None:
                self.stats.faults += 1
                raise refused(expired, response.status_code)
            try:
                await self._relogin(generation)
            except errors.ServerFault as exc:
                raise refused(expired, response.status_code) from exc
            if launch:
                raise errors.LaunchStateUnknown(
                    f"{name}{target(moref)}: the session had expired (HTTP {response.status_code}); logged in again "
                    "but a task launch is never replayed automatically - check the entity's recentTask, then launch "
                    "again",
                    method=name,
                    moref=moref,
                )
            response = await send()
            again = not_authenticated(response)
            if again:
                self.stats.faults += 1
                raise refused(again, response.status_code)
        if decode and 200 <= response.status_code < 300 and len(response.content) >= OFFLOAD_BYTES:
            # a large page (inventory, a big update set): decoded off the loop so other calls' answers are not
            # held back meanwhile
            return await offload(interpret, response, self.stats, method=name, moref=moref, launch=launch)
        return interpret(response, self.stats, method=name, moref=moref, launch=launch, decode=decode)
