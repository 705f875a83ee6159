"""Every Python vsphere-nb claims (``requires-python = ">=3.11"``), checked on the CPythons this machine has.

``nox`` (the default sessions) runs ``smoke`` on 3.11, 3.12 and 3.13: each installs vsphere-nb from this tree
into a fresh virtualenv (dependencies from the package index) and runs ``tests/smoke.py`` outside the source
tree: the embedded simulator, the hosts table, a small batch and a diagnosis. ``nox -s refuse_old_python`` checks
that pip refuses Python 3.10 with a message naming ``requires-python``. A Python that is not installed is
skipped, never downloaded. ``make test`` stays on the machine's Python.
"""

from __future__ import annotations

import glob
import os
import pathlib

import nox

ROOT = pathlib.Path(__file__).resolve().parent
SUPPORTED = ["3.11", "3.12", "3.13"]

nox.options.sessions = ["smoke"]
nox.options.error_on_missing_interpreters = False
nox.options.download_python = "never"
nox.options.reuse_existing_virtualenvs = True


def _pyenv_pythons_first() -> None:
    """pyenv's shims answer only for the active version: put each installed version's own ``bin`` first on PATH so
    ``python3.12`` is found whichever version pyenv has active."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin")), reverse=True)
    if found:
        os.environ["PATH"] = os.pathsep.join([*found, os.environ.get("PATH", "")])


_pyenv_pythons_first()


@nox.session(python=SUPPORTED)
def smoke(session: nox.Session) -> None:
    """Install vsphere-nb and drive it end to end against its simulator."""
    session.install(str(ROOT))
    session.chdir(session.create_tmp())  # nothing importable from the source tree
    session.run("python", "-W", "error::UserWarning", str(ROOT / "tests" / "smoke.py"))


@nox.session(python="3.10", venv_backend="none")
def refuse_old_python(session: nox.Session) -> None:
    """pip must refuse to install vsphere-nb on Python 3.10, naming requires-python."""
    output = session.run(
        "python3.10", "-m", "pip", "install", "--dry-run", "--no-deps", str(ROOT), silent=True, success_codes=[1]
    )
    if "requires a different Python" not in str(output) or ">=3.11" not in str(output):
        session.error(f"pip did not refuse Python 3.10 for requires-python: {output}")
