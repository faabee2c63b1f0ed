"""The import graph of ``flowthings.local``: no cycles, layers point one way.

Read from the source with :mod:`ast` (nothing is imported), so the test sees
every import a module makes, including those inside functions and those
under ``if TYPE_CHECKING:``.

* **Cycles**: every import that runs — at module level or inside a function
  (a lazy import that closes a ring only hides it) — except the lazy imports
  of the top-level modules, which defer on purpose (``testing.__getattr__``
  loads ``pytest_fixtures``, which imports ``testing``, so that ``testing``
  needs no pytest). Importing ``a.b.c`` also runs the ``__init__`` of
  ``a.b``, which counts as an edge. Imports under ``if TYPE_CHECKING:`` never
  run and are left out.
* **Layers**: every import, including those under ``if TYPE_CHECKING:`` — a
  type-only import is still a dependency of the code. The rules are :data:`MAY_IMPORT` and match
  ``docs/architecture.md``: ``base`` at the bottom; ``storage`` and ``query``
  on it; ``analytics`` on ``query``; ``tracks`` on ``analytics``; ``core`` on
  all of those; ``http`` and ``realtime`` on ``core`` and never on each
  other. The top-level modules (``__init__``, ``__main__``, ``testing``,
  ``pytest_fixtures``, ``_demo``, ``_extra``) are the public API and the
  wiring: they may import anything, and nothing below may import them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

import flowthings.local

ROOT = Path(flowthings.local.__file__).parent
PACKAGE = "flowthings.local"

_BELOW_CORE = frozenset({"base", "storage", "query", "analytics", "tracks"})

MAY_IMPORT: Mapping[str, frozenset[str]] = {
    "base": frozenset(),
    "storage": frozenset({"base"}),
    "query": frozenset({"base"}),
    "analytics": frozenset({"base", "query"}),
    "tracks": frozenset({"base", "query", "analytics"}),
    "core": _BELOW_CORE,
    "http": _BELOW_CORE | {"core"},
    "realtime": _BELOW_CORE | {"core"},
}
"""Which other subpackages each subpackage may import (its own always)."""

TOP = "(top level)"

When = Literal["module", "lazy", "typing"]


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    when: When
    """At import time, inside a function, or under ``if TYPE_CHECKING:``."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(body: Iterable[ast.stmt], when: When) -> Iterator[tuple[ast.stmt, When]]:
    """Yield the import statements in ``body`` with when they run."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, when
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.body, "typing")
            yield from _walk(node.orelse, when)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _walk(node.body, "typing" if when == "typing" else "lazy")
        else:  # if/try/with/for/class...: their statements run when the node does
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from _walk([child], when)
                elif isinstance(child, (ast.excepthandler, ast.match_case)):
                    yield from _walk(child.body, when)


def _targets(node: ast.stmt, name: str, is_package: bool, known: Mapping[str, Path]) -> list[str]:
    """The ``flowthings.local`` modules an import statement loads."""
    if isinstance(node, ast.Import):
        bases = [alias.name for alias in node.names]
        return [b for b in bases if b == PACKAGE or b.startswith(PACKAGE + ".")]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        anchor = name.split(".") if is_package else name.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    if not (base == PACKAGE or base.startswith(PACKAGE + ".")):
        return []
    # ``from pkg import mod`` loads pkg.mod when it is a module, else takes a name from pkg.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def _imports(modules: Mapping[str, Path]) -> list[Import]:
    out: list[Import] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, when in _walk(tree.body, "module"):
            for target in _targets(node, name, path.name == "__init__.py", modules):
                out.append(Import(name, target, node.lineno, when))
    return out


def _layer(module: str) -> str:
    first = module[len(PACKAGE) + 1 :].split(".")[0]
    return first if first in MAY_IMPORT else TOP


def find_cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a self-import)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan; the graph is small, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
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
            if len(component) > 1 or v in edges.get(v, ()):
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def layer_violations(imports: Iterable[Import]) -> list[str]:
    bad = []
    for imp in imports:
        src, dst = _layer(imp.source), _layer(imp.target)
        if src in (TOP, dst):
            continue
        if dst == TOP or dst not in MAY_IMPORT.get(src, frozenset()):
            bad.append(f"{imp.source}:{imp.line} ({src}) imports {imp.target} ({dst})")
    return bad


MODULES = _modules()
IMPORTS = _imports(MODULES)


def test_the_walk_sees_the_platform() -> None:
    # Guards against a walk that silently finds nothing (and so no cycle).
    assert len(MODULES) > 30
    pairs = {(i.source, i.target) for i in IMPORTS}
    assert ("flowthings.local.http.app", "flowthings.local.core.dispatch") in pairs
    assert ("flowthings.local.core.drops", "flowthings.local.core.routing") in pairs
    # relative imports resolve too
    assert ("flowthings.local.pytest_fixtures", "flowthings.local.testing") in pairs


def test_imports_are_classified() -> None:
    when = {(i.source, i.target): i.when for i in IMPORTS}
    assert when["flowthings.local.http.app", "flowthings.local.core.dispatch"] == "module"
    assert when["flowthings.local.core.resources", "flowthings.local.query.params"] == "lazy"
    assert when["flowthings.local.core.calls", "flowthings.local.core.platform"] == "typing"


def test_the_cycles_of_issue_15_stay_broken() -> None:
    # Were rings through lazy and type-only imports; now not even a type-only back edge.
    pairs = {(i.source, i.target) for i in IMPORTS}
    local = "flowthings.local."
    for source, target in [
        ("core.routing", "core.drops"),
        ("core.extensions", "core.dispatch"),
        ("core.platform", "core.extensions"),
        ("core.platform", "core.dispatch"),
    ]:
        assert (local + source, local + target) not in pairs


def test_every_subpackage_has_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(MAY_IMPORT), "add a new subpackage to MAY_IMPORT and the docs"


def test_every_subpackage_says_what_it_owns_and_may_import() -> None:
    for package in MAY_IMPORT:
        doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text("utf-8")))
        assert doc, package
        assert "may import" in " ".join(doc.split()), package


def test_every_import_names_an_existing_module() -> None:
    missing = sorted({f"{i.source}:{i.line} -> {i.target}" for i in IMPORTS if i.target not in MODULES})
    assert not missing


def test_no_import_cycles() -> None:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for imp in IMPORTS:
        if imp.when == "typing" or (imp.when == "lazy" and _layer(imp.source) == TOP):
            continue
        edges[imp.source].add(imp.target)
        # importing a.b.c runs a.b's __init__ first
        parent = imp.target.rpartition(".")[0]
        while parent.startswith(PACKAGE + "."):
            if parent != imp.source:
                edges[imp.source].add(parent)
            parent = parent.rpartition(".")[0]
    assert find_cycles(edges) == []


def test_layers_point_one_way() -> None:
    assert layer_violations(IMPORTS) == []


# The checks themselves must be able to fail.


def test_find_cycles_reports_a_ring_and_a_self_import() -> None:
    ring = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert find_cycles(ring) == [["a", "b", "c"], ["e"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("flowthings.local.query.params", "flowthings.local.core.platform"),  # upward
        ("flowthings.local.storage.store", "flowthings.local.query.parser"),  # sideways
        ("flowthings.local.http.app", "flowthings.local.realtime.ws"),  # between the edges
        ("flowthings.local.core.platform", "flowthings.local.testing"),  # into the public API
    ],
)
def test_layer_violations_are_reported(source: str, target: str) -> None:
    assert layer_violations([Import(source, target, 1, "lazy")]) != []


def test_allowed_imports_pass() -> None:
    ok = [
        Import("flowthings.local.core.platform", "flowthings.local.storage.store", 1, "module"),
        Import("flowthings.local.testing", "flowthings.local.realtime.ws", 1, "lazy"),
        Import("flowthings.local.tracks.js", "flowthings.local.tracks.js_pool", 1, "module"),
    ]
    assert layer_violations(ok) == []
