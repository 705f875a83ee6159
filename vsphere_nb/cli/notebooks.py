"""``vsphere-nb notebooks DIR``: copy the notebooks that ship with the package into ``DIR``, for a team to adapt
and commit.

The notebooks are package data: ``vsphere_nb/notebooks/`` in an installed wheel, built from the one copy in a
source checkout's top-level ``notebooks/`` folder (which an editable install, or a checkout on ``PYTHONPATH``,
reads directly). :func:`notebooks_source` finds them and :func:`copy_notebooks` copies them; ``vsphere-nb demo``
uses both. Nothing is ever written into the installed package or next to it (site-packages): such a ``DIR`` is
refused.

Existing files are not overwritten unless asked (``--force``): every target is checked before anything is
written, and each notebook is written under a temporary name and renamed into place once all are written, so a
refusal or an error leaves ``DIR`` as it was.
"""

from __future__ import annotations

import argparse
import os
import sysconfig
import tempfile
from pathlib import Path
from typing import Literal

from ..errors import ConfigError

__all__ = [
    "add_parser",
    "run",
    "RUNBOOK",
    "APP",
    "notebooks_source",
    "copy_notebooks",
    "check_target",
    "protected_dirs",
]

#: the runbook (the notebook ``vsphere-nb demo`` opens in JupyterLab)
RUNBOOK = "reconfigure-ha-runbook.ipynb"
#: the app Voila serves (``vsphere-nb demo --voila``): a header and the panels
APP = "app.ipynb"
#: where the shipped notebooks are, inside the package (a wheel) and in a source checkout
_PACKAGE = Path(__file__).resolve().parents[1]
_CANDIDATES = (_PACKAGE / "notebooks", _PACKAGE.parent / "notebooks")

Existing = Literal["refuse", "overwrite", "keep"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "notebooks",
        help="copy the runbook templates (notebooks) into a directory",
        description="Copy the notebooks that ship with vsphere-nb (the runbook, the Voila app, fault analysis, "
        "multi-vCenter) into DIR, created if missing, to adapt and commit. An existing file is never overwritten "
        "unless --force.",
    )
    p.add_argument("dir", metavar="DIR", help="the directory to write the notebooks into")
    p.add_argument("--force", action="store_true", help="overwrite notebooks already in DIR")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    # lazy: rich loads when the command runs, not for --help
    from ._terminal import safe_text

    target = Path(args.dir)
    written = copy_notebooks(target, existing="overwrite" if args.force else "refuse")
    for path, replaced in written:
        print(f"{'overwrote' if replaced else 'wrote'} {safe_text(path)}")
    print(f"{len(written)} notebooks in {safe_text(target)}; start with {RUNBOOK} (see its first cell)")
    return 0


def notebooks_source() -> Path:
    """The folder holding the notebooks that ship with the package: ``vsphere_nb/notebooks/`` of an installed
    wheel, else the top-level ``notebooks/`` of the source checkout the package was imported from."""
    for candidate in _CANDIDATES:
        if (candidate / RUNBOOK).is_file() and (candidate / APP).is_file():
            return candidate
    raise ConfigError(f"the notebooks are missing from this installation ({_CANDIDATES[0]}): reinstall vsphere-nb")


def protected_dirs() -> list[tuple[Path, str]]:
    """Folders nothing is written into, each with what it is: the shipped notebooks' folder, the package, and the
    interpreter's site-packages (where the package is installed)."""
    dirs = [(notebooks_source(), "the notebooks vsphere-nb ships"), (_PACKAGE, "the vsphere_nb package")]
    for key in ("purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.append((Path(path), "where Python packages are installed"))
    return [(d.resolve(), why) for d, why in dirs]


def check_target(target: Path) -> Path:
    """``target`` resolved, or :class:`ConfigError` when it lies in :func:`protected_dirs` or is not a folder."""
    resolved = target.expanduser().resolve()
    for protected, why in protected_dirs():
        if resolved == protected or protected in resolved.parents:
            raise ConfigError(f"{target}: inside {protected} ({why}); choose another directory")
    if resolved.exists() and not resolved.is_dir():
        raise ConfigError(f"{target}: exists and is not a directory")
    return resolved


def copy_notebooks(target: str | os.PathLike[str], *, existing: Existing = "refuse") -> list[tuple[Path, bool]]:
    """Copy the shipped notebooks into ``target`` (created if missing); returns ``(path, replaced)`` per notebook
    written. ``existing``: ``"refuse"`` raises :class:`ConfigError` naming the notebooks already there before
    anything is written; ``"overwrite"`` replaces them; ``"keep"`` leaves them as they are (the demo keeps a
    working directory's edited notebooks)."""
    source = notebooks_source()
    directory = check_target(Path(target))
    notebooks = sorted(source.glob("*.ipynb"))
    present = [nb.name for nb in notebooks if (directory / nb.name).exists()]
    if present and existing == "refuse":
        raise ConfigError(
            f"{target}: {', '.join(present)} already there; nothing written (--force to overwrite)"
            if len(present) < len(notebooks)
            else f"{target}: the notebooks are already there; nothing written (--force to overwrite)"
        )
    for name in present:
        if (directory / name).is_dir():
            raise ConfigError(f"{target}: {name} is a directory; nothing written")
    todo = [nb for nb in notebooks if not (existing == "keep" and nb.name in present)]
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    mode = _file_mode()
    staged: list[tuple[Path, Path]] = []
    try:
        for nb in todo:
            fd, name = tempfile.mkstemp(prefix=f".{nb.name}.", suffix=".tmp", dir=directory)
            staged.append((Path(name), directory / nb.name))
            with os.fdopen(fd, "wb") as out:
                out.write(nb.read_bytes())
            os.chmod(name, mode)
    except BaseException:
        for staging, _ in staged:
            staging.unlink(missing_ok=True)
        if created:
            directory.rmdir()
        raise
    written = []
    for staging, final in staged:
        replaced = final.exists()
        os.replace(staging, final)
        written.append((final, replaced))
    return written


def _file_mode() -> int:
    """The mode a new file gets here (0o666 less the umask), as a plain copy would have."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
