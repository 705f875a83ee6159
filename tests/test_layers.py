"""The import graph, file by file (grimp, which import-linter is built on): no upward import between the layers
of pyproject's layers contract, and no import cycle between files beyond the ones listed here as still to break."""

from __future__ import annotations

import pathlib
import tomllib

import grimp
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]

#: cycles inside one package that are not broken yet (each a set of files importing one another); a new cycle, or
#: one of these growing, fails the test
KNOWN_CYCLES: list[frozenset[str]] = []


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("vsphere_nb", exclude_type_checking_imports=True)


def _layers() -> list[list[str]]:
    (contract,) = [c for c in CONFIG["contracts"] if c["type"] == "layers"]
    return [[name.strip() for name in layer.split("|")] for layer in contract["layers"]]


def _layer_of(module: str, layers: list[list[str]]) -> int | None:
    for index, layer in enumerate(layers):
        if any(module == name or module.startswith(name + ".") for name in layer):
            return index
    return None


def _cycles(graph: grimp.ImportGraph) -> list[frozenset[str]]:
    """Strongly connected components of more than one file (Tarjan, iterative)."""
    edges = {
        m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i.startswith("vsphere_nb"))
        for m in graph.modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if child < len(edges[node]):
                work.append((node, child + 1))
                nxt = edges[node][child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_upward_import_between_layers(graph):
    layers = _layers()
    upward = []
    for importer in graph.modules:
        low = _layer_of(importer, layers)
        if low is None:
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            high = _layer_of(imported, layers)
            if high is not None and high < low:
                upward.append(f"{importer} -> {imported}")
    assert not upward, upward


def test_independent_siblings_do_not_import_each_other(graph):
    crossing = []
    for layer in _layers():
        for a in layer:
            for b in layer:
                if a != b and graph.chain_exists(importer=a, imported=b, as_packages=True):
                    crossing.append(f"{a} -> {b}")
    assert not crossing, crossing


def test_every_package_is_in_a_layer(graph):
    layers = _layers()
    top = {".".join(m.split(".")[:2]) for m in graph.modules if m.count(".") >= 1}
    outside = sorted(m for m in top if _layer_of(m, layers) is None and m != "vsphere_nb.__main__")
    assert not outside, outside


def test_no_import_cycle_between_files(graph):
    cycles = _cycles(graph)
    unknown = [sorted(c) for c in cycles if not any(c <= known for known in KNOWN_CYCLES)]
    assert not unknown, unknown


def test_the_cycle_finder_finds_a_cycle():
    g = grimp.ImportGraph()
    for name in ("vsphere_nb", "vsphere_nb.a", "vsphere_nb.b", "vsphere_nb.c"):
        g.add_module(name)
    g.add_import(importer="vsphere_nb.a", imported="vsphere_nb.b")
    g.add_import(importer="vsphere_nb.b", imported="vsphere_nb.c")
    g.add_import(importer="vsphere_nb.c", imported="vsphere_nb.a")
    assert _cycles(g) == [frozenset({"vsphere_nb.a", "vsphere_nb.b", "vsphere_nb.c"})]


def _function_level_imports(path: pathlib.Path) -> list[int]:
    import ast

    tree = ast.parse(path.read_text())
    lines: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines.update(n.lineno for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return sorted(lines)


def test_an_import_inside_a_function_is_a_lazy_load_that_says_why():
    """No import inside a function breaks a circle; the ones left load a heavy module on first use, and a
    ``# lazy: why`` comment above the block says so (modules of a known cycle are still to fix)."""
    exempt = {name for cycle in KNOWN_CYCLES for name in cycle}
    missing = []
    for path in sorted((ROOT / "vsphere_nb").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if module in exempt:
            continue
        source = path.read_text().split("\n")
        for lineno in _function_level_imports(path):
            above = lineno - 2
            while above >= 0 and source[above].strip().startswith(("from ", "import ")):
                above -= 1
            comment = source[above].strip() if above >= 0 else ""
            if not (comment.startswith("# lazy:") and len(comment) > len("# lazy: ") + 10):
                missing.append(f"{path.relative_to(ROOT)}:{lineno}")
    assert not missing, missing
