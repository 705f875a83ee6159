"""Connection options shared by the subcommands that talk to a vCenter.

Secrets never come from a flag's value (it would land in shell history and ``ps``):

* the password: ``VSPHERE_PASSWORD``, or an interactive prompt (``--password`` is refused in one line). ``VSPHERE_PASSWORD`` set but empty is a mistake,
  not a password: the user is asked on a terminal, refused otherwise (never an empty login attempt);
* a session token (reusing an SSO session instead of logging in): ``--session-token-file FILE`` (``-`` reads
  standard input, for a secrets manager's pipe), else ``VSPHERE_SESSION_TOKEN``, else a prompt when
  ``--session-token`` is given without a value. ``--session-token TOKEN`` is refused with a one-line error.

``--insecure`` is announced once, on stderr, by the command itself (the library's own warning is silenced here).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import warnings
from typing import Any

from ..errors import ConfigError

__all__ = ["add_connection_args", "connect_from_args", "session_token_from_args", "password_from_env"]

#: what ``--session-token`` holds when given without a value: ask for the token
_ASK = object()
#: a token file larger than this is not a token
_MAX_TOKEN_FILE = 64 * 1024


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--server", required=True, help="vCenter: host name, https://host or a base URL with port")
    group.add_argument("--user", help="user name (password from VSPHERE_PASSWORD or a prompt)")
    tls = group.add_mutually_exclusive_group()
    tls.add_argument("--insecure", action="store_true", help="skip TLS certificate verification (not recommended)")
    tls.add_argument("--ca-bundle", metavar="PEM", help="verify the server against this CA bundle")
    token = group.add_mutually_exclusive_group()
    token.add_argument(
        "--session-token",
        nargs="?",
        const=_ASK,
        default=None,
        metavar="",
        help="reuse an existing session: the token from VSPHERE_SESSION_TOKEN, or asked for (never as a value here)",
    )
    token.add_argument(
        "--session-token-file",
        metavar="FILE",
        default=None,
        help="reuse an existing session whose token is in FILE ('-' reads it from standard input)",
    )
    group.add_argument("--release", default=None, help="VI/JSON release to use (default: negotiated)")
    # not an option: caught to refuse it in one line, without argparse echoing the password back in its error
    group.add_argument("--password", nargs="?", const="", default=None, dest="password_flag", help=argparse.SUPPRESS)


def _ask(prompt: str, what: str, how: str) -> str:
    if not sys.stdin.isatty():
        raise ConfigError(f"no {what}: {how} (stdin is not a terminal, cannot prompt)")
    value = getpass.getpass(prompt)
    if not value:
        raise ConfigError(f"no {what} given")
    return value


def _check_token(value: str, where: str) -> str:
    from ..config import check_session_token  # here, not at import: `--help` and `--version` load no HTTP stack

    return check_session_token(value, where)


def _read_token_file(path: str) -> str:
    try:
        if path == "-":
            text = sys.stdin.read(_MAX_TOKEN_FILE + 1)
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read(_MAX_TOKEN_FILE + 1)
    except FileNotFoundError:
        raise ConfigError(f"session token file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the session token file {path}: {type(exc).__name__}") from None
    token = text.strip()
    if not token or len(text) > _MAX_TOKEN_FILE or any(ch.isspace() for ch in token):
        where = "standard input" if path == "-" else path
        raise ConfigError(f"{where} does not hold a session token (one line, no spaces)")
    return _check_token(token, f"session token file {'standard input' if path == '-' else path}")


def session_token_from_args(args: argparse.Namespace) -> str | None:
    """The session token to reuse, or ``None`` to log in with user and password (see module doc)."""
    flag = getattr(args, "session_token", None)
    if flag is not None and flag is not _ASK:
        raise ConfigError(
            "--session-token takes no value: a token on the command line shows in ps and shell history; "
            "use VSPHERE_SESSION_TOKEN, --session-token-file FILE, or --session-token alone to be asked"
        )
    path = getattr(args, "session_token_file", None)
    if path is not None:
        return _read_token_file(path)
    env = os.environ.get("VSPHERE_SESSION_TOKEN")
    if env and env.strip():
        return _check_token(env.strip(), "VSPHERE_SESSION_TOKEN")
    if flag is _ASK:
        typed = _ask(
            f"session token for {args.server}: ", "session token", "set VSPHERE_SESSION_TOKEN or --session-token-file"
        )
        return _check_token(typed.strip(), "the session token typed")
    if env is not None and not args.user:
        raise ConfigError("VSPHERE_SESSION_TOKEN is set but empty: set it to the token, or give --user")
    return None


def password_from_env(user: str) -> str:
    """``VSPHERE_PASSWORD``, or asked for on a terminal; never an empty password."""
    password = os.environ.get("VSPHERE_PASSWORD")
    if password:
        return password
    if password is not None:  # set but empty: most likely a failed `export VSPHERE_PASSWORD=$(…)`
        if not sys.stdin.isatty():
            raise ConfigError("VSPHERE_PASSWORD is set but empty: set it to the password, or unset it to be asked")
        print("vsphere-nb: VSPHERE_PASSWORD is set but empty; asking instead", file=sys.stderr)
    return _ask(f"password for {user}: ", "password", "set VSPHERE_PASSWORD")


def connect_from_args(args: argparse.Namespace) -> Any:
    from ..config import InsecureTLSWarning
    from ..sync import connect

    if getattr(args, "password_flag", None) is not None:
        raise ConfigError(
            "--password is not accepted: a password on the command line shows in ps and shell history; "
            "set VSPHERE_PASSWORD or let vsphere-nb ask for it"
        )
    token = session_token_from_args(args)
    user, password = args.user, None
    if token is None:
        if not user:
            raise ConfigError("--user is required (or a session token: VSPHERE_SESSION_TOKEN / --session-token-file)")
        password = password_from_env(user)
    elif user and os.environ.get("VSPHERE_PASSWORD"):
        password = os.environ["VSPHERE_PASSWORD"]  # a token and credentials: log in if the token is stale
    else:
        user = None  # the token alone
    if args.ca_bundle and not os.path.isfile(args.ca_bundle):
        raise ConfigError(f"CA bundle not found: {args.ca_bundle}")
    verify: Any = args.ca_bundle or (not args.insecure)
    if args.insecure:
        print("vsphere-nb: warning: TLS certificate verification is OFF (--insecure)", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureTLSWarning)  # already said on stderr, once
        return connect(args.server, user, password, session_token=token, verify=verify, release=args.release)
