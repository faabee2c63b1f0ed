"""Run ``mypy --strict`` and strict pyright once each over the typing contract
and check what they report (issue 16: every mistake flagged by both, correct
code clean under both).

- ``check_*.py`` must type-check cleanly (their ``assert_type`` calls pin the
  public API's types);
- ``reject_*.pyfail`` are Python sources that mark each line both checkers
  must reject: ``# E: [mypy-code] [pyrightRule]``; every marked line must get
  those codes from the checker each names, and no other line may get an
  error. Their suffix keeps them out of plain mypy, pyright and ruff runs;
- the runnable ``examples/*.py`` and the Python blocks of ``docs/*.md`` (one
  module per page, its blocks in order, as ``tests/docs`` runs them) must be
  clean too: they are what users copy.

One start of each checker covers every file (a start costs most of the time).
The pyright run also holds the SDK package itself (``flowthings/`` but its
``local/`` platform, per ``[tool.pyright]``) to strict mode; for mypy the
project's own ``mypy --strict flowthings`` run does that.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.snippets import load_pages

HERE = Path(__file__).parent
ROOT = HERE.parent.parent

FILES = sorted(HERE.glob("check_*.py")) + sorted(HERE.glob("reject_*.pyfail"))
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
MARKER = re.compile(r"#\s*E:\s*((?:\[[A-Za-z-]+\]\s*)+)")
ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")
PYRIGHT = Path(sys.executable).with_name("pyright")
SDK = (ROOT / "flowthings").resolve()

# What the docs' pages get before their first block (see tests/docs/snippets.py).
# Blocks repeat imports on purpose (each reads on its own) and show names
# they do not use, so those two rules are off for the docs modules.
HEADER = "# pyright: strict, reportDuplicateImport=false, reportUnusedImport=false"
PRELUDE = f"""\
{HEADER}
from flowthings import API as _API, Token as _Token

api = _API(_Token("acc", "token"), host="localhost:8080", secure=False)
account = "acc"
host = "localhost:8080"
"""

Errors = dict[tuple[str, int], set[str]]
"""(file label, line) -> error codes."""


@dataclass(frozen=True)
class Source:
    """One file given to the checkers, and how its lines map back."""

    path: Path
    label: str
    lines: tuple[tuple[str, int], ...] = ()
    """For a generated docs module: line -> (page, line in the page)."""

    def locate(self, line: int) -> tuple[str, int]:
        if not self.lines:
            return self.label, line
        return self.lines[line - 1] if 0 < line <= len(self.lines) else (self.label, line)


def _docs_modules(into: Path) -> Iterator[Source]:
    """One module per docs page: its runnable blocks in order; scripts on their own."""
    for page in load_pages(ROOT / "docs"):
        label = f"docs/{page.name}"
        stem = re.sub(r"\W", "_", page.name.removesuffix(".md"))
        text: list[str] = []
        where: list[tuple[str, int]] = []
        if not page.standalone:
            text += PRELUDE.splitlines()
            where += [(label, 0)] * len(PRELUDE.splitlines())
        else:
            text.append(HEADER)
            where.append((label, 0))
        for block in page.blocks:
            if block.mode == "run":
                lines = block.code.splitlines()
                text += lines
                where += [(label, block.line + i) for i in range(1, len(lines) + 1)]
            elif block.mode == "script" and not block.includes:
                lines = block.code.splitlines()
                path = into / f"doc_{stem}_{block.line}.py"
                path.write_text("\n".join([HEADER, *lines]) + "\n")
                yield Source(
                    path, label, ((label, 0), *((label, block.line + i) for i in range(1, len(lines) + 1)))
                )
        if len(where) > 1 + (0 if page.standalone else len(PRELUDE.splitlines()) - 1):
            path = into / f"doc_{stem}.py"
            path.write_text("\n".join(text) + "\n")
            yield Source(path, label, tuple(where))


# Per checkout (worktrees may run at once), and stable: mypy's cache maps a
# module name to the path it saw, so the docs modules keep theirs across runs.
SCRATCH = Path(tempfile.gettempdir()) / f"flowthings-typing-{hashlib.sha1(bytes(ROOT)).hexdigest()[:10]}"


@pytest.fixture(scope="module")
def sources() -> list[Source]:
    docs = SCRATCH / "docs"
    shutil.rmtree(docs, ignore_errors=True)
    docs.mkdir(parents=True)
    found = [Source(f, f.name) for f in FILES]
    found += [Source(f, f"examples/{f.name}") for f in EXAMPLES]
    found += list(_docs_modules(docs))
    return found


def _by_path(sources: list[Source]) -> dict[Path, Source]:
    return {s.path.resolve(): s for s in sources}


@pytest.fixture(scope="module")
def mypy_errors(sources: list[Source]) -> Errors:
    cache = SCRATCH / "mypy-cache"
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy",
            "--config-file", str(ROOT / "pyproject.toml"),
            "--strict",
            "--scripts-are-modules",  # several reject_*.pyfail files
            "--cache-dir", str(cache),
            "--show-error-codes",
            "--no-pretty",
            "--no-error-summary",
            *(str(s.path) for s in sources),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    if result.returncode not in (0, 1):
        pytest.fail(f"mypy crashed:\n{result.stdout}\n{result.stderr}")
    known = _by_path(sources)
    errors: Errors = defaultdict(set)
    for line in result.stdout.splitlines():
        match = ERROR.match(line)
        if match is None:
            continue
        path = (ROOT / match["file"]).resolve()
        if path in known:
            errors[known[path].locate(int(match["line"]))].add(match["code"])
    return errors


@pytest.fixture(scope="module")
def pyright_errors(sources: list[Source]) -> Errors:
    result = subprocess.run(
        [
            str(PYRIGHT), "--outputjson",
            "--pythonpath", sys.executable,
            str(ROOT / "flowthings"),  # the SDK itself: strict-clean too (config excludes local/)
            *(str(s.path) for s in sources),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    try:
        report = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"pyright crashed:\n{result.stdout}\n{result.stderr}")
    known = _by_path(sources)
    errors: Errors = defaultdict(set)
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] != "error":
            continue
        path = Path(diagnostic["file"]).resolve()
        line = diagnostic["range"]["start"]["line"] + 1
        if path in known:
            errors[known[path].locate(line)].add(diagnostic.get("rule", "error"))
        elif path.is_relative_to(SDK):
            errors[(f"flowthings/{path.relative_to(SDK)}", line)].add(diagnostic.get("rule", "error"))
    return errors


def _expected(path: Path) -> tuple[Errors, Errors]:
    """The (mypy, pyright) codes each marked line of ``path`` must get."""
    mypy: Errors = {}
    pyright: Errors = {}
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        match = MARKER.search(text)
        if match:
            codes = set(re.findall(r"\[([A-Za-z-]+)\]", match[1]))
            mypy[(path.name, number)] = {c for c in codes if not c.startswith("report")}
            pyright[(path.name, number)] = {c for c in codes if c.startswith("report")}
    return mypy, pyright


def _in(errors: Errors, label: str) -> Errors:
    return {key: codes for key, codes in errors.items() if key[0] == label}


def test_there_are_files_to_check(sources: list[Source]) -> None:
    assert any(f.name.startswith("check_") for f in FILES)
    assert any(f.name.startswith("reject_") for f in FILES)
    assert {"check_filters.py", "check_typed_properties.py", "reject_init_typed.pyfail"} <= {
        f.name for f in FILES
    }
    assert sum(s.label.startswith("docs/") for s in sources) >= 5


@pytest.mark.parametrize("path", [f for f in FILES if f.name.startswith("check_")], ids=str)
def test_typechecks_cleanly(path: Path, mypy_errors: Errors, pyright_errors: Errors) -> None:
    assert _in(mypy_errors, path.name) == {}, "mypy"
    assert _in(pyright_errors, path.name) == {}, "pyright"


@pytest.mark.parametrize("path", [f for f in FILES if f.name.startswith("reject_")], ids=str)
def test_rejects_exactly_the_marked_lines(
    path: Path, mypy_errors: Errors, pyright_errors: Errors
) -> None:
    expected_mypy, expected_pyright = _expected(path)
    assert expected_mypy, f"{path.name} has no '# E: [code]' markers"
    unpinned = [key for key, codes in expected_pyright.items() if not codes]
    assert unpinned == [], "pin each marked line's pyright rule too: # E: [code] [reportRule]"
    for checker, expected, reported in (
        ("mypy", expected_mypy, mypy_errors),
        ("pyright", expected_pyright, pyright_errors),
    ):
        found = _in(reported, path.name)
        missing = {k: v - found.get(k, set()) for k, v in expected.items() if v - found.get(k, set())}
        unexpected = {k: v for k, v in found.items() if k not in expected}
        assert missing == {}, f"{checker} accepted misuse it must reject"
        assert unexpected == {}, f"{checker} reported errors on unmarked lines"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_typecheck_cleanly(path: Path, mypy_errors: Errors, pyright_errors: Errors) -> None:
    label = f"examples/{path.name}"
    assert _in(mypy_errors, label) == {}, "mypy"
    assert _in(pyright_errors, label) == {}, "pyright"


@pytest.mark.parametrize(
    "page", sorted(p.name for p in load_pages(ROOT / "docs")), ids=str
)
def test_docs_blocks_typecheck_cleanly(page: str, mypy_errors: Errors, pyright_errors: Errors) -> None:
    label = f"docs/{page}"
    assert _in(mypy_errors, label) == {}, "mypy"
    assert _in(pyright_errors, label) == {}, "pyright"


def test_the_sdk_is_clean_under_strict_pyright(pyright_errors: Errors) -> None:
    found = {key: codes for key, codes in pyright_errors.items() if key[0].startswith("flowthings/")}
    assert found == {}
