"""Connection settings with safe defaults: server URL, TLS verification, timeouts, retries, secrets.

Everything a caller can get wrong here raises :class:`~vsphere_nb.errors.ConfigError` *before* any network
traffic, with a message that names the bad value (never a password).

* :func:`parse_server` turns ``vc.example.com`` / ``https://vc:8443`` / ``http://127.0.0.1:PORT`` into an origin.
  Plain ``http`` is accepted only for loopback hosts (the embedded simulator): anywhere else it would send the
  password in clear text.
* :func:`resolve_verify` turns the ``verify=`` argument into what httpx needs. ``verify=False`` is allowed but
  loud: one :class:`InsecureTLSWarning` per connection (and no second copy of it in the log).
* :class:`Timeouts` and :class:`RetryPolicy` are small frozen dataclasses, like ``httpx.Timeout``;
  ``Timeouts.total`` bounds a whole call, :data:`MAX_RESPONSE_BYTES` the size of an answer.
* :class:`Secret` holds a password or session token so that it never shows in a ``repr``, a log line or an
  exception message; :func:`redact` scrubs any live secret out of a text (used by the log filter).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import random
import re
import ssl
import warnings
import weakref
from dataclasses import dataclass
from typing import Union
from urllib.parse import urlsplit

import httpx

from ._version import __version__
from .errors import ConfigError

__all__ = [
    "DEFAULT_RELEASE",
    "PREFERRED_RELEASES",
    "DEFAULT_USER_AGENT",
    "InsecureTLSWarning",
    "Secret",
    "redact",
    "check_session_token",
    "Timeouts",
    "MAX_RESPONSE_BYTES",
    "RetryPolicy",
    "parse_server",
    "resolve_verify",
    "parse_release",
    "VerifyArg",
]

logger = logging.getLogger("vsphere_nb.config")

#: the first release with VI/JSON (vCenter 8.0 Update 1); used for the first content read and as last fallback
DEFAULT_RELEASE = "8.0.1.0"
#: releases offered to ``/api/vcenter/system?action=hello``, most preferred first
PREFERRED_RELEASES: tuple[str, ...] = ("9.1.1.0", "9.0.0.0", "8.0.3.0", "8.0.2.0", "8.0.1.0")
DEFAULT_USER_AGENT = f"vsphere-nb/{__version__} httpx/{httpx.__version__}"

#: what ``verify=`` accepts: True (system CAs), False (no verification), a CA file/dir path, or a ready SSLContext
VerifyArg = Union[bool, str, "os.PathLike[str]", ssl.SSLContext]

_RELEASE_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)\.(\d+)$")


class InsecureTLSWarning(UserWarning):
    """Emitted once per connection when TLS certificate verification is switched off with ``verify=False``.

    Shown every time, not once per line of code as Python shows a ``UserWarning`` by default (a notebook cell run
    twice connects twice): vsphere-nb appends an ``"always"`` filter for this category at import, which any filter
    of the application (``warnings.simplefilter("ignore", InsecureTLSWarning)``) still overrides. It is the only
    message: no log record repeats it (the ``connected to …`` INFO line notes the verification is off), so a
    terminal or a notebook shows it exactly once per connection.
    """


# after the filters Python and the application set up, so an explicit "ignore" of theirs still wins
warnings.filterwarnings("always", category=InsecureTLSWarning, append=True)


# ---------------------------------------------------------------------------------------------
# secrets
# ---------------------------------------------------------------------------------------------
_LIVE_SECRETS: weakref.WeakSet[Secret] = weakref.WeakSet()


class Secret:
    """A password or session token. ``repr``/``str`` show ``'***'``; only :meth:`reveal` gives the value.

    Live secrets are remembered (weakly) so :func:`redact` can scrub them from any text, e.g. a third-party
    DEBUG log line. Secrets refuse to be pickled so they cannot end up in a file by accident.
    """

    __slots__ = ("__weakref__", "_value")

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise ConfigError(f"a password or token must be a string, not {type(value).__name__}")
        self._value = value
        if value:
            _LIVE_SECRETS.add(self)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


_HEADER_VALUE_RE = re.compile(
    r"""(vmware-api-session-id|authorization|cookie|set-cookie)(['"]?\s*[,:=]\s*b?['"]?)([^'"\s,)\]]+)""",
    re.IGNORECASE,
)


def check_session_token(value: str, where: str) -> str:
    """``value`` when it can be a session id (printable ASCII, no spaces: what vCenter issues), else a
    :class:`~vsphere_nb.errors.ConfigError` naming ``where`` (the file, the variable, the argument) and what is
    wrong — never the value itself."""
    for char in value:
        if "!" <= char <= "~":
            continue
        if char.isspace():
            what = "a space or line break"
        elif ord(char) < 32 or ord(char) == 127:
            what = "a control character"
        elif ord(char) > 127:
            what = "a non-ASCII character"
        else:
            what = "a character that cannot be sent"
        raise ConfigError(
            f"{where} does not hold a usable session token: it contains {what} (a session id is printable ASCII)"
        )
    return value


def redact(text: str) -> str:
    """``text`` with every live :class:`Secret` value and every session/auth header value replaced by ``***``."""
    for secret in list(_LIVE_SECRETS):
        value = secret.reveal()
        if len(value) >= 3 and value in text:
            text = text.replace(value, "***")
    return _HEADER_VALUE_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


# ---------------------------------------------------------------------------------------------
# timeouts and retries
# ---------------------------------------------------------------------------------------------
def _check_seconds(name: str, value: float | None, *, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")


@dataclass(frozen=True)
class Timeouts:
    """HTTP timeouts in seconds (``None`` = wait forever).

    ``connect``, ``read``, ``write`` and ``pool`` are httpx's: ``read`` bounds the wait for *each* chunk of an
    answer, so long-poll calls (``WaitForUpdatesEx``) keep their ``maxWaitSeconds`` below it — but a server that
    trickles a byte every few seconds restarts it forever. ``total`` bounds the whole exchange of one call: from
    sending the request to the last byte of the answer, a read's retries and their pauses included. Its default,
    300 s, is five read timeouts: far above any answer a healthy vCenter gives (a 2,000-object page takes
    seconds), low enough that a stuck server costs minutes, not forever. A long poll is kept below it too.
    """

    connect: float | None = 10.0
    read: float | None = 60.0
    write: float | None = 30.0
    pool: float | None = 30.0
    total: float | None = 300.0

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "pool", "total"):
            _check_seconds(f"Timeouts.{name}", getattr(self, name))

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)

    @property
    def longest_wait(self) -> float | None:
        """The longest a single answer may take to arrive: the smaller of ``read`` and ``total``."""
        known = [t for t in (self.read, self.total) if t is not None]
        return min(known) if known else None


#: the largest response body read (bytes, after decompression): 128 MiB. A 10,000-host inventory page of 2,000
#: objects is ~4 MB and a 1,000-event page ~2 MB, so this is ~30x what vsphere-nb's own calls receive, while a
#: broken or hostile server can no longer make the client hold an answer of any size in memory (decoding an
#: answer takes a few times its size). Raise it with ``connect(..., max_response_bytes=...)``.
MAX_RESPONSE_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter (AWS architecture blog) for *read* calls only.

    ``attempts`` counts every try (4 = the first one plus 3 retries). Retry ``n`` (1-based) sleeps a uniform
    random time in ``[0, min(cap, base * 2**(n-1))]``. A ``Retry-After`` header in seconds, when present,
    replaces the computed sleep (still capped).
    """

    attempts: int = 4
    base: float = 0.2
    cap: float = 5.0

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or self.attempts < 1:
            raise ConfigError(f"RetryPolicy.attempts must be an integer >= 1, got {self.attempts!r}")
        for name in ("base", "cap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"RetryPolicy.{name} must be a number >= 0, got {value!r}")
        if self.cap < self.base:
            raise ConfigError(f"RetryPolicy.cap ({self.cap}) must not be below base ({self.base})")

    def delay(self, retry: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to sleep before retry number ``retry`` (1 for the first retry)."""
        if retry_after is not None and retry_after >= 0:
            return min(self.cap, retry_after)
        ceiling = min(self.cap, self.base * (2 ** max(0, retry - 1)))
        return (rng or random).uniform(0.0, ceiling)


# ---------------------------------------------------------------------------------------------
# server URL
# ---------------------------------------------------------------------------------------------
def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9\-_.]*[A-Za-z0-9])?$")


def parse_server(server: str) -> str:
    """The origin (``scheme://host[:port]``, no trailing slash) for ``server``.

    Accepts a bare host name (``https`` implied), an ``https://`` URL, or ``http://`` to a loopback address.
    Rejects anything with a path, query, fragment or user info (credentials never belong in a URL).
    """
    if not isinstance(server, str) or not server.strip():
        raise ConfigError("server must be a host name or URL such as 'vc.example.com' or 'https://vc.example.com'")
    text = server.strip()
    if any(ch.isspace() for ch in text):
        raise ConfigError(f"server {text!r} contains white space")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise ConfigError(f"server {server!r} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise ConfigError(f"server {server!r}: scheme must be https (or http for a loopback simulator)")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ConfigError("server URL must not contain user info; pass user= and password= instead")
    if not host:
        raise ConfigError(f"server {server!r} has no host name")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"server {server!r}: give only scheme, host and port (no path such as /sdk or /ui)")
    is_ip = True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        is_ip = False
    if not is_ip and not _HOST_RE.match(host):
        raise ConfigError(f"server {server!r}: {host!r} is not a valid host name")
    if scheme == "http" and not _is_loopback(host):
        raise ConfigError(
            f"server {server!r}: plain http is only allowed for a loopback simulator (127.0.0.1/localhost); "
            "use https for a real vCenter"
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


# ---------------------------------------------------------------------------------------------
# TLS
# ---------------------------------------------------------------------------------------------
def _insecure_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def resolve_verify(verify: VerifyArg, *, stacklevel: int = 2) -> bool | ssl.SSLContext:
    """Turn ``verify=`` into an httpx ``verify`` value.

    * ``True``: httpx's default trust store.
    * a path to a PEM CA file (or a directory of hashed CA files): an :class:`ssl.SSLContext` trusting it; a
      missing or unreadable path raises :class:`ConfigError` naming the path.
    * ``False``: an unverified context, with one :class:`InsecureTLSWarning`, because an unverified connection
      hands the vCenter password to whoever sits in the middle.
    * an :class:`ssl.SSLContext`: used as is (already resolved; no second warning).
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is True:
        return True
    if verify is False:
        message = "TLS certificate verification is disabled (verify=False): the connection can be intercepted"
        warnings.warn(message, InsecureTLSWarning, stacklevel=stacklevel + 1)
        return _insecure_context()
    if isinstance(verify, (str, os.PathLike)):
        path = os.fspath(verify)
        if not path:
            raise ConfigError("verify: empty CA path")
        if not os.path.exists(path):
            raise ConfigError(f"verify: CA file not found: {path}")
        try:
            if os.path.isdir(path):
                ctx = ssl.create_default_context(capath=path)
            else:
                with open(path, "rb"):
                    pass
                ctx = ssl.create_default_context(cafile=path)
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise ConfigError(f"verify: cannot load CA certificates from {path}: {exc}") from None
        return ctx
    raise ConfigError(f"verify must be True, False, a CA file path or an ssl.SSLContext, not {type(verify).__name__}")


def parse_release(text: object) -> tuple[int, int, int, int] | None:
    """``"8.0.3.0"`` → ``(8, 0, 3, 0)``; anything else → ``None``."""
    if not isinstance(text, str):
        return None
    match = _RELEASE_RE.match(text.strip())
    if not match:
        return None
    a, b, c, d = (int(g) for g in match.groups())
    return (a, b, c, d)
