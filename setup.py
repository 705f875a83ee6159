"""What ``pyproject.toml`` cannot say on its own (everything else lives there).

* The notebooks ship inside the package as ``vsphere_nb/notebooks/`` (package data) from the one copy in the
  top-level ``notebooks/`` folder: ``package_dir`` maps the ``vsphere_nb.notebooks`` package onto it. The package
  list is discovered (every folder of ``vsphere_nb``, data folders included) plus that mapped one:
  pyproject.toml cannot combine discovery with a mapped package.
* The long description an index shows is the README's opening: the text above the marker line below (plain
  Markdown without relative links, which an index cannot resolve).
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).resolve().parent
#: README.md's line that ends the package's long description
DESCRIPTION_END = "<!-- end of the package description -->"


def long_description() -> str:
    text = (HERE / "README.md").read_text(encoding="utf-8")
    opening, found, _ = text.partition(DESCRIPTION_END)
    if not found:
        raise SystemExit(f"README.md: no {DESCRIPTION_END!r} line (it ends the package's long description)")
    return opening.rstrip() + "\n"


setup(
    packages=[
        *find_namespace_packages(include=["vsphere_nb", "vsphere_nb.*"], exclude=["*.__pycache__"]),
        "vsphere_nb.notebooks",
    ],
    package_dir={"vsphere_nb.notebooks": "notebooks"},
    long_description=long_description(),
    long_description_content_type="text/markdown",
)
