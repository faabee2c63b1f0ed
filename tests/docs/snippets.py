"""Extract the Python code blocks of the documentation and classify them.

The convention (also described in ``docs/architecture.md``, "Writing docs"):

* Every fenced block whose language is Python (```` ```python ````, ``py``,
  ``python3``, ``pycon``) is **run** by ``tests/docs/test_doc_snippets.py``.
* The runnable blocks of one page run in order, in one namespace. The
  namespace starts with ``api`` (an ``API`` on a fresh account of a local
  platform), ``account`` (that account's name) and ``host`` (the platform's
  ``host:port``), unless the page has the line
  ``<!-- snippets: standalone -->``: then it starts empty, which proves the
  page can be copied as is.
* ``<!-- run: script -->`` on the line before a fence runs that block alone,
  as a program in a new interpreter, with ``FLOWTHINGS_HOST``,
  ``FLOWTHINGS_ACCOUNT`` and ``FLOWTHINGS_TOKEN`` set to a fresh account of
  the local platform (for programs that must monkey-patch first).
* ``<!-- no-run: REASON -->`` on the line before a fence marks a block that
  is not run; the reason is required.
* A block made only of ``--8<-- "path"`` lines (pymdownx.snippets includes,
  paths relative to the repository root) shows those files; it runs as a
  script, like ``<!-- run: script -->``, with the files' text as its code.
* Anything else is an error: an unknown marker, a ``no-run`` without a
  reason, or a ``>>>`` prompt in a block that is run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Block", "Page", "SnippetError", "parse_page"]

PYTHON_LANGS = frozenset({"python", "py", "python3", "pycon"})
STANDALONE = "<!-- snippets: standalone -->"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_INCLUDE = re.compile(r'^\s*-{1,2}8<-{1,2}\s+"(?P<path>[^"]+)"\s*$')
_MARKER = re.compile(r"^\s*<!--\s*(?P<kind>[a-z-]+)\s*:?\s*(?P<arg>.*?)\s*-->\s*$")


class SnippetError(ValueError):
    """A Python block that breaks the convention."""


@dataclass(frozen=True)
class Block:
    """One Python code block of a page."""

    line: int
    """1-based line of the opening fence."""
    code: str
    mode: str
    """``"run"`` (page namespace), ``"script"`` (own interpreter) or ``"no-run"``."""
    reason: str = ""
    includes: tuple[str, ...] = ()
    """The files a ``--8<--`` block shows (its code is then their text)."""


@dataclass(frozen=True)
class Page:
    name: str
    standalone: bool
    blocks: tuple[Block, ...]


def _language(info: str) -> str:
    info = info.strip().lstrip("{").strip()
    word = info.split()[0] if info.split() else ""
    return word.lstrip(".").lower()


def _marker(lines: list[str], fence_index: int, name: str) -> tuple[str, str]:
    """The mode and reason given by the marker line before the fence at ``fence_index``."""
    i = fence_index - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    if i < 0:
        return "run", ""
    m = _MARKER.match(lines[i])
    if not m or m.group("kind") not in {"no-run", "run", "snippets"}:
        if lines[i].strip().startswith("<!--") and ("run" in lines[i] or "snippet" in lines[i]):
            raise SnippetError(f"{name}:{i + 1}: unknown snippet marker {lines[i].strip()!r}")
        return "run", ""
    kind, arg = m.group("kind"), m.group("arg")
    if kind == "no-run":
        if not arg:
            raise SnippetError(f"{name}:{i + 1}: <!-- no-run: ... --> needs a reason")
        return "no-run", arg
    if kind == "run":
        if arg != "script":
            raise SnippetError(f"{name}:{i + 1}: unknown run mode {arg!r} (only 'script')")
        return "script", ""
    return "run", ""  # the page-level standalone marker


def parse_page(text: str, name: str = "<page>") -> Page:
    """The Python blocks of a Markdown page, classified by the convention.

    Raises:
        SnippetError: When a block breaks the convention.
    """
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m.group("fence"), m.group("indent")
        lang = _language(m.group("info"))
        end = i + 1
        while end < len(lines):
            close = lines[end].strip()
            if close.startswith(fence[0] * len(fence)) and not close.strip(fence[0]):
                break
            end += 1
        if end == len(lines):
            raise SnippetError(f"{name}:{i + 1}: unclosed code fence")
        if lang in PYTHON_LANGS:
            body = [ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines[i + 1 : end]]
            code = "\n".join(body) + "\n"
            mode, reason = _marker(lines, i, name)
            found = [_INCLUDE.match(ln) for ln in body if ln.strip()]
            if found and all(found):
                paths = tuple(m.group("path") for m in found if m)
                blocks.append(
                    Block(i + 1, code, "script" if mode == "run" else mode, reason, paths)
                )
                i = end + 1
                continue
            if any(found):
                raise SnippetError(f"{name}:{i + 1}: mix of --8<-- includes and code")
            if mode != "no-run" and (lang == "pycon" or re.search(r"^\s*>>>", code, re.M)):
                raise SnippetError(
                    f"{name}:{i + 1}: a block that is run cannot hold >>> prompts; "
                    "write plain code with asserts, or mark it <!-- no-run: reason -->"
                )
            blocks.append(Block(i + 1, code, mode, reason))
        i = end + 1
    standalone = any(line.strip() == STANDALONE for line in lines)
    return Page(name, standalone, tuple(blocks))


def load_pages(docs: Path) -> list[Page]:
    """Every page of ``docs`` (recursively), parsed."""
    return [
        parse_page(path.read_text(encoding="utf-8"), str(path.relative_to(docs)))
        for path in sorted(docs.rglob("*.md"))
    ]
