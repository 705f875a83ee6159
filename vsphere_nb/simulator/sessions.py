"""Users, sessions and ``SessionManager``.

Two users by default: an administrator with every privilege and a read-only user without
``Host.Config.Connection`` (so ``ReconfigureHostForDAS_Task`` answers ``NoPermission``). Passwords are
generated per simulator (``secrets.token_urlsafe``) unless given. Tokens are 40 hex characters, sent back in
the ``vmware-api-session-id`` header; neither passwords nor tokens appear in any repr or log line.

As on a vCenter, a session that is not used for ``SimulatorConfig.session_idle_timeout`` seconds ends (vCenter's
default: 30 minutes), and at most ``SimulatorConfig.max_sessions`` may exist at once (vpxd's HTTP session map
holds 2,000): a login beyond the cap answers ``503 Service Unavailable``, as vpxd does when it is "out of HTTP
sessions", until idle ones expire or are logged out. Sessions can also expire a fixed time after login
(``ChaosConfig.session_lifetime``) and are all dropped by a server restart. Ended sessions leave ``sessionList``
at once. Session-scoped objects (views, collectors, filters, event collectors) die with their session.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .. import wire
from .clock import Clock
from .model import ManagedObject

__all__ = [
    "User",
    "Session",
    "SessionTable",
    "SessionManager",
    "ADMIN_PRIVILEGES",
    "READONLY_PRIVILEGES",
    "CURRENT_SESSION",
    "SessionLimitReached",
]

#: the session of the request being handled (set by the dispatcher; per asyncio task)
CURRENT_SESSION: ContextVar[Session | None] = ContextVar("vsphere_nb_sim_session", default=None)

#: privileges the simulator checks
ADMIN_PRIVILEGES = frozenset(
    {
        "System.Anonymous",
        "System.View",
        "System.Read",
        "Host.Config.Connection",
        "Global.CancelTask",
        "Host.Config.Maintenance",
        "Sessions.TerminateSession",
        "Global.Diagnostics",
    }
)
READONLY_PRIVILEGES = frozenset({"System.Anonymous", "System.View", "System.Read"})


@dataclass(frozen=True)
class User:
    name: str
    password: str = field(repr=False)
    role: str = "admin"  # "admin" or "readonly"

    @property
    def privileges(self) -> frozenset[str]:
        return ADMIN_PRIVILEGES if self.role == "admin" else READONLY_PRIVILEGES

    @property
    def full_name(self) -> str:
        return "Administrator vsphere.local" if self.role == "admin" else "Read-only vsphere.local"


class SessionLimitReached(Exception):
    """A login while ``max_sessions`` sessions exist (vpxd: "Out of HTTP sessions: Limited to 2000")."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Out of HTTP sessions: limited to {limit}")
        self.limit = limit


class Session:
    """One login. ``token`` is the secret; ``key`` is the public ``UserSession.key``."""

    __slots__ = (
        "call_count",
        "expires_at",
        "ip",
        "key",
        "last_active",
        "last_used",
        "locale",
        "login_time",
        "owned",
        "token",
        "user",
        "user_agent",
    )

    def __init__(
        self, user: User, *, locale: str, ip: str | None, user_agent: str | None, lifetime: float | None
    ) -> None:
        self.token = secrets.token_hex(20)
        self.key = "52" + str(uuid.uuid4())[2:]
        self.user = user
        self.login_time = Clock.now()
        self.last_active = self.login_time
        self.locale = locale or "en"
        self.ip = ip
        self.user_agent = user_agent
        self.expires_at = time.monotonic() + lifetime if lifetime else None
        #: monotonic time of the last call (the idle timeout counts from it)
        self.last_used = time.monotonic()
        self.call_count = 0
        #: session-scoped managed objects, destroyed with the session
        self.owned: list[ManagedObject] = []

    def __repr__(self) -> str:
        return f"<Session {self.key} user={self.user.name}>"

    def expired(self, now: float | None = None, idle_timeout: float | None = None) -> bool:
        """Past its lifetime, or idle for ``idle_timeout`` seconds (the table passes its own)."""
        now = time.monotonic() if now is None else now
        if self.expires_at is not None and now >= self.expires_at:
            return True
        return idle_timeout is not None and now - self.last_used >= idle_timeout

    def user_session(self) -> wire.UserSession:
        return wire.UserSession(
            key=self.key,
            userName=self.user.name,
            fullName=self.user.full_name,
            loginTime=self.login_time,
            lastActiveTime=self.last_active,
            locale=self.locale,
            messageLocale=self.locale,
            extensionSession=False,
            ipAddress=self.ip,
            userAgent=self.user_agent,
            callCount=self.call_count,
        )


class SessionTable:
    """Users and live sessions, thread-safe. ``on_end(session)`` runs when a session ends (cleanup).

    ``idle_timeout`` (seconds, ``None`` = never) ends sessions not used for that long; ``max_sessions`` caps how
    many may exist (``None`` = no cap). Both are read on every use, so a test may change them on a running server.
    """

    def __init__(
        self,
        users: list[User],
        lifetime: Callable[[], float | None],
        on_end: Callable[[Session], None],
        *,
        idle_timeout: float | None = None,
        max_sessions: int | None = None,
    ) -> None:
        self.users = {u.name.lower(): u for u in users}
        self._lifetime = lifetime
        self._on_end = on_end
        self.idle_timeout = idle_timeout
        self.max_sessions = max_sessions
        #: logins refused because the table was full
        self.refused = 0
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.expired_count = 0
        self.logins = 0
        #: every token ever issued, kept for :meth:`issued_tokens` (secret scanners in tests); never logged
        self._issued: list[str] = []

    def authenticate(self, name: str, password: str) -> User | None:
        user = self.users.get((name or "").lower())
        if user is None:
            hmac.compare_digest(password.encode(), b"x" * len(password.encode()))  # same work either way
            return None
        if not hmac.compare_digest(user.password.encode(), (password or "").encode()):
            return None
        return user

    def login(self, user: User, *, locale: str = "en", ip: str | None = None, user_agent: str | None = None) -> Session:
        """A new session; :class:`SessionLimitReached` when ``max_sessions`` live sessions exist."""
        self.sweep()
        session = Session(user, locale=locale, ip=ip, user_agent=user_agent, lifetime=self._lifetime())
        with self._lock:
            if self.max_sessions is not None and len(self._sessions) >= self.max_sessions:
                self.refused += 1
                raise SessionLimitReached(self.max_sessions)
            self._sessions[session.token] = session
            self._issued.append(session.token)
            self.logins += 1
        return session

    def sweep(self) -> int:
        """End every expired session now (they leave ``sessionList`` and free their place under the cap)."""
        now = time.monotonic()
        with self._lock:
            ended = [s for s in self._sessions.values() if s.expired(now, self.idle_timeout)]
            for session in ended:
                del self._sessions[session.token]
            self.expired_count += len(ended)
        for session in ended:
            self._on_end(session)
        return len(ended)

    def issued_tokens(self) -> tuple[str, ...]:
        """Every session token this table has issued, live or ended (read-only copy).

        For tests that scan written files for leaked tokens: a token that expired or died in a restart is
        still a secret that must never reach a file.
        """
        with self._lock:
            return tuple(self._issued)

    def lookup(self, token: str | None) -> tuple[Session | None, bool]:
        """``(session, expired_now)``; an expired session is ended on first sight."""
        if not token:
            return None, False
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None, False
            if session.expired(idle_timeout=self.idle_timeout):
                del self._sessions[token]
                self.expired_count += 1
                expired = session
            else:
                session.last_active = Clock.now()
                session.last_used = time.monotonic()
                session.call_count += 1
                return session, False
        self._on_end(expired)
        return None, True

    def logout(self, session: Session) -> None:
        with self._lock:
            removed = self._sessions.pop(session.token, None)
        if removed is not None:
            self._on_end(removed)

    def expire_all(self) -> int:
        """Make every live session expired (each is noticed, and counted, on its next use)."""
        with self._lock:
            for session in self._sessions.values():
                session.expires_at = 0.0
            return len(self._sessions)

    def clear(self) -> int:
        """Drop every session (a server restart). Returns how many were dropped."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            self._on_end(session)
        return len(sessions)

    def active(self) -> int:
        self.sweep()
        with self._lock:
            return len(self._sessions)

    def all(self) -> list[Session]:
        """The live sessions (expired ones are ended first)."""
        self.sweep()
        with self._lock:
            return list(self._sessions.values())

    def by_key(self, key: str) -> Session | None:
        """The live session whose public ``UserSession.key`` is ``key``."""
        now = time.monotonic()
        with self._lock:
            return next(
                (s for s in self._sessions.values() if s.key == key and not s.expired(now, self.idle_timeout)), None
            )


class SessionManager(ManagedObject):
    TYPE = "SessionManager"
    ANCESTRY = ("SessionManager", "ManagedObject")
    PROPERTIES = {
        "sessionList": "ArrayOfUserSession",
        "currentSession": "UserSession",
        "defaultLocale": "string",
        "supportedLocaleList": "ArrayOfString",
        "messageLocaleList": "ArrayOfString",
        "message": "string",
    }

    #: depend on who asks and when: never cached
    NO_CACHE = frozenset({"currentSession", "sessionList"})

    #: the live sessions (set by the vCenter that owns this manager)
    table: SessionTable | None = None

    def visible_sessions(self, session: Session | None) -> list[Session]:
        """``sessionList`` as ``session`` sees it: every live session with ``Sessions.TerminateSession``, else its
        own only (a vCenter shows other users' sessions only to those who may end them)."""
        if session is None or self.table is None:
            return []
        if "Sessions.TerminateSession" in session.user.privileges:
            return sorted(self.table.all(), key=lambda s: s.login_time)
        return [session]

    def prop(self, name: str) -> Any:
        if name == "sessionList":
            return [s.user_session() for s in self.visible_sessions(CURRENT_SESSION.get())]
        if name == "currentSession":
            session = CURRENT_SESSION.get()
            return session.user_session() if session is not None else None
        if name == "defaultLocale":
            return "en"
        if name in ("supportedLocaleList", "messageLocaleList"):
            return ["en", "de", "fr", "ja", "ko", "zh_CN", "zh_TW", "es"]
        return None
