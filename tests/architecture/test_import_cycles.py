"""Layers point one way: no import cycle inside a package (issue 15).

The graph is read from the source (see `import_graph`): module-level and
function-level (lazy) imports count; imports under ``if TYPE_CHECKING:`` do
not (they never run: they only name types for the checkers). Add a package
root to ``ROOTS`` to hold it to the same rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .import_graph import Root, cycles, edges

REPO = Path(__file__).resolve().parents[2]

ROOTS = [
    # flowthings/local is the local platform, checked as its own root.
    pytest.param(Root(REPO / "flowthings", "flowthings", exclude=("local",)), id="flowthings"),
    pytest.param(Root(REPO / "benchmarks", "benchmarks"), id="benchmarks"),
]


@pytest.mark.parametrize("root", ROOTS)
def test_no_import_cycles(root: Root) -> None:
    graph = edges(root)
    assert len(graph) > 5, "the walker found no modules: wrong root?"
    found = cycles(graph)
    assert not found, "import cycles (module -> imports):\n" + "\n".join(
        "  " + ", ".join(f"{m} -> {sorted(graph[m] & set(c))}" for m in c) for c in found
    )


def test_the_walker_sees_cycles_lazy_imports_and_skips_type_checking(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import A\n")
    (pkg / "a.py").write_text("from .sub import b\nA = 1\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..c import C\n"
        "def f():\n    from pkg.a import A\n    return A\n"
    )
    (pkg / "c.py").write_text("from .sub.b import f\n")
    root = Root(pkg, "pkg")
    graph = edges(root)
    assert graph["pkg"] == {"pkg.a"}
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.a"}  # the lazy import counts, TYPE_CHECKING does not
    assert graph["pkg.c"] == {"pkg.sub.b"}
    assert cycles(graph) == [["pkg.a", "pkg.sub.b"]]
    (pkg / "sub" / "b.py").write_text("def f():\n    return 1\n")
    assert cycles(edges(root)) == []
