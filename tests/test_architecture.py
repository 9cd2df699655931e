"""Data flows one way: every import in src/tumorsim follows the layer order, and no
modules import each other in a cycle.

Each module's imports are read with :mod:`ast` (module level, inside functions and under
``if TYPE_CHECKING:``), so an import moved into a function to dodge a cycle is still
seen. A module may import its own layer and the layers listed before it, never a later
one; within a layer the run-time imports (all but ``TYPE_CHECKING`` ones) must not form
a cycle. docs/architecture.md explains the order.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "src" / "tumorsim"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # the package itself: __version__, and the top-level names it loads on first use (its
    # TYPE_CHECKING imports of them are not run); plain tables of text
    ("base", ("tumorsim", "tumorsim.text_table")),
    ("model", ("tumorsim.model",)),
    ("errors", ("tumorsim.errors",)),
    # per-patient random streams: the cohort samples covariates on them, the engine lives on
    ("random streams", ("tumorsim.engine.random",)),
    ("results", ("tumorsim.results",)),
    ("io", ("tumorsim.io",)),
    ("cohort", ("tumorsim.cohort",)),
    ("engine", ("tumorsim.engine",)),
    ("runner", ("tumorsim.runner",)),
    ("analysis", ("tumorsim.analysis",)),
    ("trial", ("tumorsim.trial",)),
    ("validation", ("tumorsim.validation",)),
    ("calibration", ("tumorsim.calibration",)),
    # SBML and PhysiCell exports: the model handed to other tools
    ("export", ("tumorsim.export",)),
    ("report", ("tumorsim.report",)),
    # global sensitivity analysis: runs scenarios and trials, saves its figure
    ("sensitivity", ("tumorsim.sensitivity",)),
    ("demo", ("tumorsim.demo",)),
    ("cli", ("tumorsim.cli", "tumorsim.__main__")),
)
"""Layers from the bottom up: (name, modules or packages in it)."""

ROOT = "tumorsim"


@dataclass(frozen=True)
class Import:
    """One import of a tumorsim module by another."""

    importer: str
    imported: str
    line: int
    type_checking_only: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, type_checking: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Every node below ``node``, with whether it sits under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for part in child.body:
                yield part, True
                yield from _walk(part, True)
            for part in child.orelse:
                yield part, type_checking
                yield from _walk(part, type_checking)
            continue
        yield child, type_checking
        yield from _walk(child, type_checking)


def imports_of(name: str, source: str, modules: set[str]) -> list[Import]:
    """The tumorsim modules that module ``name`` (with text ``source``) imports."""
    package = name if name in modules and _is_package(name) else name.rpartition(".")[0]
    found = []
    for node, type_checking in _walk(ast.parse(source), False):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the importer's package upwards
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                targets.append(submodule if submodule in modules else origin)
        for target in targets:
            if target == ROOT or target.startswith(ROOT + "."):
                found.append(Import(name, _known(target, modules), node.lineno, type_checking))
    return found


_PACKAGES: set[str] = set()


def _is_package(name: str) -> bool:
    return name in _PACKAGES


def _known(target: str, modules: set[str]) -> str:
    """``target``, or the closest enclosing module that exists (``a.b.name`` -> ``a.b``)."""
    while target not in modules and "." in target:
        target = target.rpartition(".")[0]
    return target


def layer_of(module: str) -> int | None:
    """Index in :data:`LAYERS` of the longest entry containing ``module``."""
    best: tuple[int, int] | None = None  # (length of the entry, layer)
    for index, (_, entries) in enumerate(LAYERS):
        for entry in entries:
            inside = module == entry if entry == ROOT else (
                module == entry or module.startswith(entry + "."))
            if inside and (best is None or len(entry) > best[0]):
                best = (len(entry), index)
    return None if best is None else best[1]


def against_the_flow(imports: list[Import]) -> list[str]:
    """Imports of a later layer, described."""
    out = []
    for imp in imports:
        if imp.importer == ROOT and imp.type_checking_only:
            continue  # the lazily loaded top-level names, for type checkers only
        low, high = layer_of(imp.importer), layer_of(imp.imported)
        assert low is not None and high is not None
        if high > low:
            out.append(f"{imp.importer} (layer {LAYERS[low][0]}) imports {imp.imported} "
                       f"(layer {LAYERS[high][0]}) at line {imp.line}")
    return out


def cycles(imports: list[Import]) -> list[list[str]]:
    """Cycles among run-time imports (Tarjan's strongly connected components)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if not imp.type_checking_only and imp.importer != imp.imported:
            graph.setdefault(imp.importer, set()).add(imp.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def package_imports() -> list[Import]:
    modules = all_modules()
    _PACKAGES.clear()
    _PACKAGES.update(name for name, path in modules.items() if path.name == "__init__.py")
    out = []
    for name, path in modules.items():
        out += imports_of(name, path.read_text(encoding="utf-8"), set(modules))
    return out


# --- the package --------------------------------------------------------------------------


def test_every_module_has_a_layer() -> None:
    modules = all_modules()
    assert len(modules) > 50  # the walk found the package
    missing = [m for m in modules if layer_of(m) is None]
    assert not missing, f"modules outside every layer (add them to LAYERS): {missing}"


def test_no_import_runs_against_the_layer_order() -> None:
    problems = against_the_flow(package_imports())
    assert not problems, "\n".join(problems)


def test_no_import_cycles() -> None:
    found = cycles(package_imports())
    assert not found, f"import cycles: {found}"


# --- the checker itself -------------------------------------------------------------------


@pytest.fixture()
def modules() -> set[str]:
    return set(all_modules())


def test_checker_sees_imports_inside_functions_and_type_checking(modules: set[str]) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from tumorsim.results import SimulationResult\n"
        "def f():\n"
        "    from tumorsim.demo import run_demo\n"
        "    from tumorsim.engine import kernel\n"
    )
    found = imports_of("tumorsim.model.example", source, modules)
    assert [(i.imported, i.type_checking_only) for i in found] == [
        ("tumorsim.results", True), ("tumorsim.demo", False), ("tumorsim.engine.kernel", False)]
    problems = against_the_flow(found)
    assert len(problems) == 3 and "tumorsim.demo (layer demo)" in problems[1]


def test_checker_finds_a_cycle_hidden_in_a_function(modules: set[str]) -> None:
    first = imports_of("tumorsim.cohort.data", "import tumorsim.cohort.population\n", modules)
    second = imports_of("tumorsim.cohort.population",
                        "def f():\n    from tumorsim.cohort.data import ColumnMap\n", modules)
    assert cycles(first + second) == [["tumorsim.cohort.data", "tumorsim.cohort.population"]]
    type_only = imports_of("tumorsim.cohort.population",
                           "if TYPE_CHECKING:\n    from tumorsim.cohort import data\n", modules)
    assert cycles(first + type_only) == []


def test_longest_entry_decides_the_layer() -> None:
    names = [name for name, _ in LAYERS]
    assert layer_of("tumorsim.export.sbml") == names.index("export")
    assert layer_of("tumorsim.io.results_file") == names.index("io")
    assert layer_of("tumorsim.engine.random") == names.index("random streams")
    assert layer_of("tumorsim.io.results_file") == names.index("io")
    assert layer_of("tumorsim.engine.kernel") == names.index("engine")
    assert layer_of("tumorsim") == names.index("base")
    assert layer_of("tumorsim.unknown") is None
