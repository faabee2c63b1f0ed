"""``.ci/run``: the README command first, then every other supported Python, none skipped silently.

The script runs for real against stand-ins: ``pip``, ``pytest`` and
``python -m nox`` record their calls (and can be told to fail), and a fake
pyenv root holds some of the supported interpreters. ``PATH`` holds only the
stand-ins and the few tools the script uses, so the machine's own
interpreters cannot leak in.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import noxfile

ROOT = Path(__file__).resolve().parents[1]
MAIN = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@dataclass
class Ci:
    returncode: int
    output: str
    calls: list[str]


@pytest.fixture
def ci(tmp_path: Path) -> Callable[..., Ci]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for tool in ("bash", "env", "mktemp", "tail", "timeout", "dirname", "rm"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    _script(bin_dir / "pip", f'echo "pip $*" >> {log}\n')
    _script(bin_dir / "pytest", f'echo "pytest $*" >> {log}\n')
    # `python` is the real interpreter, except for `python -m nox ...`
    _script(
        bin_dir / "python",
        f"""if [ "$1" = "-m" ] && [ "$2" = "nox" ]; then
    echo "nox $*" >> {log}
    if [ -n "$FAIL_SESSION" ] && [ "$5" = "$FAIL_SESSION" ]; then exit 3; fi
    exit 0
fi
exec {sys.executable} "$@"
""",
    )

    def run(present: list[str], **env: str) -> Ci:
        pyenv = tmp_path / "pyenv"
        shutil.rmtree(pyenv, ignore_errors=True)
        for v in present:
            versions = pyenv / "versions" / f"{v}.9" / "bin"
            versions.mkdir(parents=True)
            _script(versions / f"python{v}", "exit 0\n")
        log.write_text("", encoding="utf-8")
        result = subprocess.run(
            [str(ROOT / ".ci" / "run")],
            env={"PATH": str(bin_dir), "PYENV_ROOT": str(pyenv), "HOME": str(tmp_path), **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        calls = log.read_text(encoding="utf-8").splitlines()
        return Ci(result.returncode, result.stdout + result.stderr, calls)

    return run


def others() -> list[str]:
    return [v for v in noxfile.PYTHONS if v != MAIN]


def test_readme_command_first_then_every_other_python_then_lowest(ci: Callable[..., Ci]) -> None:
    run = ci
    res = run(noxfile.PYTHONS)
    assert res.returncode == 0, res.output
    assert res.calls[:2] == ['pip install -e .[dev]', "pytest "]
    sessions = [c.split(" -s ")[1] for c in res.calls[2:]]
    assert sessions == [*(f"tests-{v}" for v in others()), "lowest"]
    assert all("--error-on-missing-interpreters" in c for c in res.calls[2:])
    assert "NOT TESTED" not in res.output


def test_a_missing_python_is_named_and_never_passed_silently(ci: Callable[..., Ci]) -> None:
    run = ci
    missing = others()[-1]
    res = run([v for v in noxfile.PYTHONS if v != missing])
    assert res.returncode == 0, res.output
    assert f"Python {missing}: NOT FOUND" in res.output
    assert f"NOT TESTED (interpreter not found): {missing}" in res.output
    assert f"tests-{missing}" not in "\n".join(res.calls)
    strict = run([v for v in noxfile.PYTHONS if v != missing], CI_REQUIRE_ALL_PYTHONS="1")
    assert strict.returncode == 1


def test_a_failing_python_fails_ci(ci: Callable[..., Ci]) -> None:
    run = ci
    failing = f"tests-{others()[0]}"
    res = run(noxfile.PYTHONS, FAIL_SESSION=failing)
    assert res.returncode == 1
    assert f"FAILED: {failing}" in res.output
    # the other runs still ran: one report shows every broken interpreter
    assert len(res.calls) == 2 + len(others()) + 1


def test_a_failing_readme_command_stops_ci_before_the_other_pythons(
    ci: Callable[..., Ci], tmp_path: Path
) -> None:
    run = ci
    _script(tmp_path / "bin" / "pytest", "exit 1\n")
    res = run(noxfile.PYTHONS)
    assert res.returncode == 1
    assert not [c for c in res.calls if c.startswith("nox")]


def test_pyenv_interpreters_are_found_newest_patch_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("3.12.1", "3.12.10", "3.12.2", "3.12-dev", "3.13.0"):
        b = tmp_path / "versions" / name / "bin"
        b.mkdir(parents=True)
        (b / f"python{name[:4]}").touch()
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    assert noxfile.pyenv_bin_dirs() == [
        str(tmp_path / "versions" / "3.12.10" / "bin"),
        str(tmp_path / "versions" / "3.13.0" / "bin"),
    ]
    # importing the noxfile (as this module does) leaves PATH alone
    assert str(tmp_path) not in os.environ["PATH"]
