"""Filter compilation throughput, SDK side and platform side.

* **SDK**: building a five-clause filter with ``mem``/``AGE``/``EXISTS`` and
  compiling it (``str(expr)``), against the baseline of formatting the same
  filter string by hand with an f-string (what a caller without the filter
  tree would write, with the least escaping that keeps the string valid).
* **platform**: the local platform parsing and compiling a filter string into
  a predicate (lark LALR + compiler, cache bypassed), against CPython's own
  parser (``ast.parse``) on the equivalent Python expression.

Every iteration uses different literal values, so no cache can help.

    python -m benchmarks --only filters [--quick]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import Row, Settings, check, interleaved
from flowthings import AGE, EXISTS, mem

GROUP = "filter compilation"


def _sdk(i: int) -> str:
    expr = (
        ((mem.elems.temp > i) & (mem.elems.room == f"kitchen {i}"))
        | (mem.path.re("^/alice/", "i") & ~EXISTS(mem.elems.alarm))
        | (60_000 + i > AGE)
    )
    return str(expr)


def _by_hand(i: int) -> str:
    room = f"kitchen {i}".replace("\\", "\\\\").replace("'", "\\'")
    return (
        f"(((elems.temp > {i}) && (elems.room == '{room}')) || ((path =~ /^\\/alice\\//i) && "
        f"(NOT EXISTS elems.alarm))) || (AGE < {60_000 + i})"
    )


def _python(i: int) -> str:
    return (
        f"(((elems.temp > {i}) and (elems.room == 'kitchen {i}')) or "
        f"(re.search('^/alice/', path, re.I) and (not hasattr(elems, 'alarm')))) "
        f"or (age < {60_000 + i})"
    )


def rows(settings: Settings) -> list[Row]:
    """The filter compilation rows."""
    from flowthings.local.query.parser import _parse_cached, parse_filter

    check(_sdk(3) == _by_hand(3), f"SDK filter {_sdk(3)!r} != hand-written {_by_hand(3)!r}")
    parse_filter(_sdk(0))  # builds the lark parser once (not part of the measurement)
    parse_uncached = _parse_cached.__wrapped__
    n = settings.filters
    counter = [0, 0, 0, 0]

    def loop(slot: int, fn: object) -> object:
        def run() -> None:
            start = counter[slot]
            for i in range(start, start + n):
                fn(i)  # type: ignore[operator]
            counter[slot] = start + n

        return run

    t_sdk, t_hand = interleaved(
        [loop(0, _sdk), loop(1, _by_hand)], settings.rounds, 1, warmup=1
    )
    texts = [_sdk(i) for i in range(n)]
    pys = [_python(i) for i in range(n)]
    t_platform, t_ast = interleaved(
        [lambda: [parse_uncached(t) for t in texts], lambda: [ast.parse(p) for p in pys]],
        settings.rounds,
        1,
        warmup=1,
    )
    return [
        Row(GROUP, "SDK: build + compile a 5-clause filter (str(expr))", n, n / t_sdk,
            n / t_hand, "filters/s", "the same string formatted by hand (f-string)"),
        Row(GROUP, "platform: parse + compile a filter string (lark, uncached)", n,
            n / t_platform, n / t_ast, "filters/s",
            "`ast.parse` of the equivalent Python expression"),
    ]  # fmt: skip
