"""The documentation site builds with ``mkdocs build --strict``.

Strict mode turns every warning into a failure: a broken link, a missing
page, an API reference directive (``::: name``) naming nothing, a docstring
cross-reference that resolves nowhere, a missing ``--8<--`` include.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    assert importlib.util.find_spec("mkdocs"), "in the dev extra: install it, not skip"
    assert importlib.util.find_spec("mkdocstrings_handlers.python"), "in the dev extra: install it, not skip"
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    # The build really rendered the pages and the API reference.
    assert (site / "index.html").is_file()
    assert (site / "quickstart" / "index.html").is_file()
    reference = (site / "reference" / "index.html").read_text(encoding="utf-8")
    assert 'id="flowthings.API"' in reference
    assert 'id="flowthings.models.Drop"' in reference


def test_reference_documents_every_public_name() -> None:
    import flowthings

    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    directives = {
        line.removeprefix("::: ").strip()
        for line in reference.splitlines()
        if line.startswith("::: ")
    }
    aliases = {"M": "Modify", "P": "Params"}  # documented under their class names
    missing = [
        name
        for name in flowthings.__all__
        if name != "__version__" and f"flowthings.{aliases.get(name, name)}" not in directives
    ]
    assert missing == []
    assert {
        "flowthings.models",
        "flowthings.services.typed",
        "flowthings.local.testing",
    } <= directives
