"""The README's promises ``mypy --strict flowthings`` and ``ruff check .``, enforced.

They run inside the test suite, so ``pytest`` (and ``.ci/run``, the README's
test command) fails when either does. mypy keeps its incremental cache in the
repository's ``.mypy_cache`` (git-ignored): a cold run takes tens of seconds,
a warm one about a second. (pyright runs in ``tests/typing/``.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.timeout(660)  # a cold mypy cache on a loaded 2-core machine
def test_mypy_strict_is_clean() -> None:
    done = _run("mypy", "--strict", "flowthings")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout


def test_ruff_check_is_clean() -> None:
    done = _run("ruff", "check", ".")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
