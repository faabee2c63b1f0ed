"""Every Python block of docs/*.md runs here, or is explicitly marked as not run.

See ``tests/docs/snippets.py`` for the convention. One test per page: its
blocks run in order in one namespace, seeded with ``api``, ``account``
(a fresh account of the session's local platform) and ``host`` (its address) unless the page is marked
standalone. A block that raises fails the page, with the block's line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest

from flowthings import API
from flowthings.local.testing import LocalPlatform

from .snippets import Block, Page, SnippetError, load_pages, parse_page

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = load_pages(DOCS)


def _run_block(page: Page, block: Block, namespace: dict[str, Any]) -> None:
    # Pad with blank lines so tracebacks show the line numbers of the page.
    code = compile("\n" * block.line + block.code, f"docs/{page.name}", "exec")
    try:
        exec(code, namespace)
    except BaseException as exc:
        tb = "".join(traceback.format_exception(exc))
        pytest.fail(f"docs/{page.name}, block at line {block.line} raised:\n{tb}")


def _run_script(page: Page, block: Block, platform: LocalPlatform, tmp_path: Path) -> None:
    creds = platform.new_account()
    if len(block.includes) == 1:
        script = ROOT / block.includes[0]  # the file itself, so __file__ is right
    else:
        script = tmp_path / f"snippet_{block.line}.py"
        code = block.code
        if block.includes:
            code = "".join((ROOT / p).read_text(encoding="utf-8") for p in block.includes)
        script.write_text(code, encoding="utf-8")
    env = {
        **os.environ,
        "FLOWTHINGS_HOST": platform.host,
        "FLOWTHINGS_ACCOUNT": creds.account,
        "FLOWTHINGS_TOKEN": creds.token,
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, (
        f"docs/{page.name}, script block at line {block.line} {block.includes} failed:\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )


@pytest.mark.parametrize("page", [p for p in PAGES if p.blocks], ids=lambda p: p.name)
def test_page_snippets_run(
    page: Page,
    flowthings_platform: LocalPlatform,
    flowthings_api: API,
    tmp_path: Path,
) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    if not page.standalone:
        namespace.update(
            api=flowthings_api,
            account=flowthings_api.creds.account,
            host=flowthings_platform.host,
        )
    for block in page.blocks:
        if block.mode == "run":
            _run_block(page, block, namespace)
        elif block.mode == "script":
            _run_script(page, block, flowthings_platform, tmp_path)


def test_docs_have_runnable_snippets_and_few_skipped() -> None:
    blocks = [b for p in PAGES for b in p.blocks]
    run = [b for b in blocks if b.mode != "no-run"]
    assert len(run) >= 30
    assert len(blocks) - len(run) <= len(run) // 5, "non-running snippets must stay rare"


def test_quickstart_is_standalone() -> None:
    (quickstart,) = [p for p in PAGES if p.name == "quickstart.md"]
    assert quickstart.standalone
    assert quickstart.blocks
    assert all(b.mode == "run" for b in quickstart.blocks)


# -- the convention itself ---------------------------------------------------


def test_unmarked_python_blocks_are_run() -> None:
    page = parse_page("text\n\n```python\nx = 1\n```\n\n```py\ny = 2\n```\n")
    assert [(b.mode, b.code) for b in page.blocks] == [("run", "x = 1\n"), ("run", "y = 2\n")]
    assert not page.standalone


def test_standalone_marker_must_be_its_own_line() -> None:
    assert not parse_page("Write `<!-- snippets: standalone -->` on a page.\n").standalone
    assert parse_page("# Page\n\n  <!-- snippets: standalone -->\n").standalone


def test_other_languages_are_not_python_blocks() -> None:
    page = parse_page("```bash\npython -m x\n```\n\n```\nplain\n```\n\n```text\nt\n```\n")
    assert page.blocks == ()


def test_markers() -> None:
    page = parse_page(
        "<!-- snippets: standalone -->\n"
        "<!-- no-run: needs hosted credentials -->\n"
        "```python\na()\n```\n"
        "<!-- run: script -->\n\n"
        "```python\nb()\n```\n"
        "    ```python\n    c()\n    ```\n"
    )
    assert page.standalone
    assert [(b.mode, b.reason, b.code, b.line) for b in page.blocks] == [
        ("no-run", "needs hosted credentials", "a()\n", 3),
        ("script", "", "b()\n", 8),
        ("run", "", "c()\n", 11),
    ]


def test_include_blocks_run_the_included_files_as_scripts() -> None:
    page = parse_page('```python\n--8<-- "examples/a.py"\n```\n')
    assert [(b.mode, b.includes) for b in page.blocks] == [("script", ("examples/a.py",))]
    page = parse_page('<!-- no-run: why -->\n```python\n--8<-- "examples/a.py"\n```\n')
    assert [(b.mode, b.includes) for b in page.blocks] == [("no-run", ("examples/a.py",))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!-- no-run -->\n```python\nx\n```\n", "needs a reason"),
        ("<!-- no-run:   -->\n```python\nx\n```\n", "needs a reason"),
        ("<!-- norun: why -->\n```python\nx\n```\n", "unknown snippet marker"),
        ("<!-- run: thread -->\n```python\nx\n```\n", "unknown run mode"),
        ("```pycon\n>>> x\n```\n", "cannot hold >>> prompts"),
        ("```python\n>>> 1 + 1\n2\n```\n", "cannot hold >>> prompts"),
        ("```python\nx = 1\n", "unclosed code fence"),
        ('```python\n--8<-- "a.py"\nx = 1\n```\n', "mix of --8<-- includes and code"),
    ],
)
def test_blocks_breaking_the_convention_are_errors(text: str, message: str) -> None:
    with pytest.raises(SnippetError, match=message):
        parse_page(text)


def test_a_failing_block_fails_the_page() -> None:
    page = parse_page("text\n\n```python\nx = 1\nassert x + 1 == 3\n```\n", "bad.md")
    with pytest.raises(pytest.fail.Exception, match=r"docs/bad.md, block at line 3 raised") as info:
        _run_block(page, page.blocks[0], {})
    assert 'File "docs/bad.md", line 5' in str(info.value)  # the page's own line number
