"""The import graph of a package, read from its source (no module is imported).

An edge ``a -> b`` means module ``a`` imports module ``b`` when it runs: an
``import`` / ``from ... import`` at module level *or inside a function* (a
lazy import still ties the two modules together at run time). Imports under
``if TYPE_CHECKING:`` are left out: they never run, they only name types for
the checkers (and, with ``from __future__ import annotations``, cannot
create an import-time cycle). Importing ``pkg.mod`` is an edge to ``pkg.mod``
only, not to ``pkg``'s ``__init__`` (which Python runs first): a package's
own facade re-exporting its modules is not a cycle with them.

Used by ``test_import_cycles.py``; parametrize it with another package root
(``flowthings/local``) to hold that package to the same rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Root:
    """A package to check: its directory, dotted name, and sub-packages left out."""

    path: Path
    name: str
    exclude: tuple[str, ...] = ()

    def modules(self) -> dict[str, Path]:
        """Dotted module name -> source file, for every module of the package."""
        found: dict[str, Path] = {}
        for file in sorted(self.path.rglob("*.py")):
            rel = file.relative_to(self.path).with_suffix("")
            parts = list(rel.parts)
            if any("/".join(parts[: i + 1]) in self.exclude for i in range(len(parts))):
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([self.name, *parts])] = file
        return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, typing_too: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run (``if TYPE_CHECKING:`` bodies skipped
    unless ``typing_too``)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test) and not typing_too:
            for child in node.orelse:
                yield from _imports_in(child, typing_too)
            continue
        yield from _imports_in(node, typing_too)


def _imports_in(node: ast.AST, typing_too: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node, typing_too)


def edges(root: Root, *, typing_too: bool = False) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports at run time
    (and under ``TYPE_CHECKING`` with ``typing_too``)."""
    modules = root.modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, file in modules.items():
        is_package = file.name == "__init__.py"
        package = name if is_package else name.rpartition(".")[0]
        for node in _imports(ast.parse(file.read_text(), str(file)), typing_too):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    stem = node.module or ""
                # `from pkg import mod` imports the module pkg.mod; `from mod import name` mod.
                targets = [
                    f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem
                    for alias in node.names
                ]
            for target in targets:
                while target and target not in modules:  # `import a.b.c` of a non-module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)
