"""Run ``mypy --strict`` once over the typing files and check what it reports.

- ``check_*.py`` must type-check cleanly (their ``assert_type`` calls pin the
  public API's types);
- ``reject_*.pyfail`` are Python sources that mark each line mypy must reject
  with ``# E: [code]``; every marked line must get that error code, and no
  other line may get an error. Their suffix keeps them out of a plain
  ``mypy tests/typing`` (and ruff) run, which must stay clean.

The runnable ``examples/*.py`` are checked in the same run (one mypy start
costs most of the time) and must be clean too: they are what users copy.

Only errors located in these files count: a type error elsewhere in the
package is reported by the project's own ``mypy --strict flowthings`` run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


FILES = sorted(HERE.glob("check_*.py")) + sorted(HERE.glob("reject_*.pyfail"))
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
MARKER = re.compile(r"#\s*E:\s*\[([a-z-]+)\]")
ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")

Errors = dict[tuple[str, int], set[str]]


@pytest.fixture(scope="module")
def reported() -> Errors:
    cache = Path(tempfile.gettempdir()) / "flowthings-typing-mypy-cache"
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
            *(str(f.relative_to(ROOT)) for f in FILES + EXAMPLES),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    if result.returncode not in (0, 1):
        pytest.fail(f"mypy crashed:\n{result.stdout}\n{result.stderr}")
    errors: Errors = defaultdict(set)
    for line in result.stdout.splitlines():
        match = ERROR.match(line)
        if match is None:
            continue
        path = Path(match["file"])
        if path.resolve().parent == HERE.resolve():
            errors[(path.name, int(match["line"]))].add(match["code"])
        elif path.resolve() in {e.resolve() for e in EXAMPLES}:
            errors[(f"examples/{path.name}", int(match["line"]))].add(match["code"])
    return errors


def _expected(path: Path) -> Errors:
    expected: Errors = {}
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        match = MARKER.search(text)
        if match:
            expected[(path.name, number)] = {match[1]}
    return expected


def test_there_are_files_to_check() -> None:
    assert any(f.name.startswith("check_") for f in FILES)
    assert any(f.name.startswith("reject_") for f in FILES)
    assert {"check_filters.py", "check_typed_properties.py", "reject_init_typed.pyfail"} <= {
        f.name for f in FILES
    }


@pytest.mark.parametrize("path", [f for f in FILES if f.name.startswith("check_")], ids=str)
def test_typechecks_cleanly(path: Path, reported: Errors) -> None:
    found = {key: codes for key, codes in reported.items() if key[0] == path.name}
    assert found == {}


@pytest.mark.parametrize("path", [f for f in FILES if f.name.startswith("reject_")], ids=str)
def test_rejects_exactly_the_marked_lines(path: Path, reported: Errors) -> None:
    expected = _expected(path)
    assert expected, f"{path.name} has no '# E: [code]' markers"
    found = {key: codes for key, codes in reported.items() if key[0] == path.name}
    missing = {k: v - found.get(k, set()) for k, v in expected.items() if v - found.get(k, set())}
    unexpected = {k: v for k, v in found.items() if k not in expected}
    assert missing == {}, "mypy accepted misuse it must reject"
    assert unexpected == {}, "mypy reported errors on unmarked lines"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_typecheck_cleanly(path: Path, reported: Errors) -> None:
    found = {key: codes for key, codes in reported.items() if key[0] == f"examples/{path.name}"}
    assert found == {}
