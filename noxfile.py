"""Nox sessions: the test suite on every supported Python, lint, types, docs, lowest deps.

``nox -l`` lists them; ``nox -s tests-3.12`` runs one; arguments after ``--``
go to pytest (``nox -s tests-3.13 -- tests/local -x``). Each session installs
the checkout with ``pip install -e ".[dev]"`` into its own virtualenv under
``.nox/`` (pip's cache is shared between them) and runs the README's test
command, ``pytest``.

Interpreters are found on ``PATH`` (``python3.10`` ...) and, when present,
under pyenv (``$PYENV_ROOT/versions/3.X.*/bin``), which this module adds to
``PATH``. A missing interpreter makes its session fail when nox runs with
``--error-on-missing-interpreters`` (``.ci/run`` passes it), and is reported as
skipped otherwise.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nox

# Keep in step with the classifiers and requires-python in pyproject.toml.
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
ROOT = Path(__file__).resolve().parent

nox.options.sessions = ["lint", "types", *(f"tests-{v}" for v in PYTHONS)]
nox.options.reuse_existing_virtualenvs = True


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", name))


def pyenv_bin_dirs() -> list[str]:
    """The ``bin`` directory of the newest pyenv patch release of each supported Python."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found: list[str] = []
    for minor in PYTHONS:
        candidates = sorted(
            (p for p in root.glob(f"{minor}.*") if re.fullmatch(rf"{re.escape(minor)}\.\d+", p.name)),
            key=lambda p: _version_key(p.name),
        )
        if candidates and (candidates[-1] / "bin" / f"python{minor}").exists():
            found.append(str(candidates[-1] / "bin"))
    return found


def put_pyenv_on_path() -> None:
    """Prepend :func:`pyenv_bin_dirs` to ``PATH`` (nox looks up ``pythonX.Y`` there)."""
    os.environ["PATH"] = os.pathsep.join([*pyenv_bin_dirs(), os.environ.get("PATH", "")])


# pyenv's interpreters are not on PATH by default (only its shims, which may
# point elsewhere). Only when nox loads this file (under its own module name):
# a plain `import noxfile` (tests, .ci/run) must not change the caller's PATH.
if __name__ != "noxfile":
    put_pyenv_on_path()


def _install_dev(session: nox.Session, *pip_args: str) -> None:
    session.install(*pip_args, "-e", ".[dev]")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite (the README's command): ``pip install -e ".[dev]" && pytest``."""
    _install_dev(session)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHONS[0])
def lowest(session: nox.Session) -> None:
    """The suite with every dependency at the lowest series pyproject.toml allows."""
    constraints = Path(session.create_tmp()) / "lowest.txt"
    constraints.write_text("\n".join(lowest_constraints()) + "\n", encoding="utf-8")
    _install_dev(session, "-c", str(constraints))
    session.run("pytest", *session.posargs)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """``ruff check .`` with the ruff of the running environment."""
    session.run(sys.executable, "-m", "ruff", "check", ".", *session.posargs)


@nox.session(python=False)
def types(session: nox.Session) -> None:
    """``mypy --strict flowthings`` with the mypy of the running environment."""
    session.run(sys.executable, "-m", "mypy", "--strict", "flowthings", *session.posargs)


@nox.session(python=False)
def docs(session: nox.Session) -> None:
    """``mkdocs build --strict`` into ``site/``."""
    session.run(sys.executable, "-m", "mkdocs", "build", "--strict", *session.posargs)


def lowest_constraints() -> list[str]:
    """``name==X.Y.*`` for each ``>=X.Y`` lower bound that applies to this Python."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - nox itself usually runs on 3.11+
        import tomli as tomllib
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [r for r in extra if not r.startswith("flowthings")]
    pins: dict[str, str] = {}
    for req in map(Requirement, reqs):
        # `lowest` runs on the oldest Python: evaluate the markers for it
        if req.marker is not None and not req.marker.evaluate({"python_version": PYTHONS[0]}):
            continue
        for spec in req.specifier:
            if spec.operator == ">=":
                pins[req.name.lower()] = f"{req.name.lower()}=={spec.version}.*"
    return sorted(pins.values())
