"""Connection options shared by the subcommands that talk to a vCenter.

The password never comes from a flag (it would land in shell history and ``ps``): ``VSPHERE_PASSWORD`` or an
interactive prompt. ``--session-token`` / ``VSPHERE_SESSION_TOKEN`` reuse an existing SSO session instead.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import warnings
from typing import Any

from ..errors import ConfigError

__all__ = ["add_connection_args", "connect_from_args"]


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--server", required=True, help="vCenter: host name, https://host or a base URL with port")
    group.add_argument("--user", help="user name (password from VSPHERE_PASSWORD or a prompt)")
    tls = group.add_mutually_exclusive_group()
    tls.add_argument("--insecure", action="store_true", help="skip TLS certificate verification (not recommended)")
    tls.add_argument("--ca-bundle", metavar="PEM", help="verify the server against this CA bundle")
    group.add_argument(
        "--session-token",
        default=None,
        help="reuse an existing session (or set VSPHERE_SESSION_TOKEN); no password needed",
    )
    group.add_argument("--release", default=None, help="VI/JSON release to use (default: negotiated)")


def connect_from_args(args: argparse.Namespace) -> Any:
    from ..config import InsecureTLSWarning
    from ..sync import connect

    token = args.session_token or os.environ.get("VSPHERE_SESSION_TOKEN") or None
    password = None
    if token is None:
        if not args.user:
            raise ConfigError("--user is required (or --session-token / VSPHERE_SESSION_TOKEN)")
        password = os.environ.get("VSPHERE_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise ConfigError("no password: set VSPHERE_PASSWORD (stdin is not a terminal, cannot prompt)")
            password = getpass.getpass(f"password for {args.user}: ")
    if args.ca_bundle and not os.path.isfile(args.ca_bundle):
        raise ConfigError(f"CA bundle not found: {args.ca_bundle}")
    verify: Any = args.ca_bundle or (not args.insecure)
    if args.insecure:
        print("vsphere-nb: warning: TLS certificate verification is OFF (--insecure)", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureTLSWarning)  # already said on stderr, once
        return connect(args.server, args.user, password, session_token=token, verify=verify, release=args.release)
