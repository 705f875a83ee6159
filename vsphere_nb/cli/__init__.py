"""The ``vsphere-nb`` command. Each subcommand lives in its own module of this package and exposes
``add_parser(subparsers)``; the parser's ``func(args) -> int`` runs it.

Exit codes: 0 success, 1 the job ran but some hosts did not end healthy, 2 usage or connection errors.
Every error a user can cause is one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import VsphereError

#: subcommand modules, in the order ``--help`` lists them
SUBCOMMANDS = ("simulate", "hosts", "events", "diagnose", "reconfigure", "report", "demo", "notebooks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vsphere-nb",
        description="Batch 'Reconfigure for vSphere HA' over VI/JSON, with an embedded vCenter simulator.",
    )
    parser.add_argument("--version", action="version", version=f"vsphere-nb {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # subcommand not part of this build
            raise
        module.add_parser(sub)
    return parser


def _one_line(text: str) -> str:
    """An error as one printable line: a YAML error spans lines; a server's or user's name may hold control
    characters (see :func:`._terminal.safe_text`)."""
    from ._terminal import safe_text

    return " ".join(safe_text(text).split())


class _SafeFormatter(logging.Formatter):
    """Log lines with server text neutralised, line by line (a traceback keeps its lines)."""

    def format(self, record: logging.LogRecord) -> str:
        from ._terminal import safe_text

        return "\n".join(safe_text(line) for line in super().format(record).split("\n"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    handler = logging.StreamHandler()
    handler.setFormatter(_SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except VsphereError as exc:
        print(f"vsphere-nb: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"vsphere-nb: error: {_one_line(f'{exc.strerror or exc}' + (f': {exc.filename}' if exc.filename else ''))}",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
