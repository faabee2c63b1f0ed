"""Run the flowthings benchmarks; print a markdown table and write it to a file.

    python -m benchmarks [--quick] [--output PATH] [--only SECTION ...]
    python benchmarks/run.py ...            (the same)

Sections (in order): ``overhead`` (per-call overhead and typed parsing,
:mod:`benchmarks.bench_request_overhead`), ``filters`` (filter compilation,
:mod:`benchmarks.bench_filters`), ``green`` (eventlet/gevent fan-out,
:mod:`benchmarks.bench_green`), ``websocket`` (push throughput and latency,
:mod:`benchmarks.bench_websocket`), ``platform`` (local platform write and
query rates, :mod:`benchmarks.bench_local_platform`), ``bulk`` (``create_many``
against sequential ``create``, :mod:`benchmarks.bench_bulk`), ``asyncio`` (the
asyncio client's per-call overhead, :mod:`benchmarks.bench_asyncio`, and
concurrent finds against the green views, :mod:`benchmarks.bench_asyncio_fanout`),
``postgres`` (two ``serve`` processes on PostgreSQL against one on SQLite,
:mod:`benchmarks.bench_postgres`).

Every row is a measurement, a baseline measured in the same run (against the
same local server when there is one), their ratio, and the target when the
project has one. ``--quick`` uses small N (the CI smoke run, under 30 s);
without it the run takes a few minutes and its table is the one committed as
``benchmarks/results.md`` (the default output of a full run of every
section; a quick or partial run writes only where ``--output`` says).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import CheckFailed, Row, Settings, header_lines, markdown_table

SECTIONS = (
    "overhead",
    "filters",
    "green",
    "websocket",
    "platform",
    "bulk",
    "asyncio",
    "postgres",
)
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.md"

_READING = """\
How to read it: **Ratio = Measured / Baseline**. For times (µs, ms, s) lower
is better; for rates (req/s, pushes/s) higher is better; the fan-out
speed-up rows give **sequential / async** instead (higher is better). Both
sides of a comparison run in the same process, in interleaved rounds where
possible, against the same local platform (uvicorn on loopback, in-memory
SQLite), so the ratios hold on a noisy machine even when the absolute
numbers move. A target applies to the ratio."""


def _progress(message: str) -> None:
    """One progress line on stderr (stdout carries only the table)."""
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _section(name: str, progress: Callable[[str], None]) -> Iterator[None]:
    progress(f"running {name} ...")
    started = time.perf_counter()
    yield
    progress(f"  {name} done in {time.perf_counter() - started:.1f} s")


def run_sections(
    settings: Settings, only: Sequence[str], progress: Callable[[str], None] = _progress
) -> list[Row]:
    """Run the chosen sections; return their rows in table order.

    ``progress`` gets a line as each section starts and ends (a quick run
    takes tens of seconds, a full one minutes).
    """
    rows: list[Row] = []
    server_sections = [
        s for s in ("overhead", "websocket", "platform", "bulk", "asyncio") if s in only
    ]
    if server_sections:
        from benchmarks import bench_local_platform, bench_request_overhead, bench_websocket
        from flowthings.local.testing import local_platform

        with local_platform() as lp:
            if "overhead" in only:
                with _section("overhead", progress):
                    rows += bench_request_overhead.rows(settings, lp)
            if "websocket" in only:
                with _section("websocket", progress):
                    rows += bench_websocket.rows(settings, lp)
            if "platform" in only:
                with _section("platform", progress):
                    rows += bench_local_platform.rows(settings, lp)
            if "bulk" in only:
                from benchmarks import bench_bulk

                with _section("bulk", progress):
                    rows += bench_bulk.rows(settings, lp)
            if "asyncio" in only:
                from benchmarks import bench_asyncio

                with _section("asyncio overhead", progress):
                    rows += bench_asyncio.rows(settings, lp)
    if "filters" in only:
        with _section("filters", progress):
            rows += _filters(settings)
    if "green" in only:
        from benchmarks import bench_green

        with _section("green (eventlet and gevent child processes)", progress):
            rows += bench_green.rows(settings)
    if "asyncio" in only:
        from benchmarks import bench_asyncio_fanout

        with _section("asyncio fan-out (asyncio, eventlet and gevent child processes)", progress):
            rows += bench_asyncio_fanout.rows(settings)
    if "postgres" in only:
        from benchmarks import bench_postgres

        with _section("postgres (serve processes on PostgreSQL and SQLite)", progress):
            rows += bench_postgres.rows(settings)
    order = {group: i for i, group in enumerate(_group_order())}
    return sorted(rows, key=lambda r: order.get(r.group, len(order)))


def _filters(settings: Settings) -> list[Row]:
    from benchmarks import bench_filters

    return bench_filters.rows(settings)


def _group_order() -> list[str]:
    return [
        "per-call overhead",
        "typed parsing",
        "filter compilation",
        "green fan-out",
        "asyncio fan-out",
        "WebSocket push",
        "local platform",
        "bulk writes",
        "PostgreSQL platform",
    ]


def render(rows: Sequence[Row], settings: Settings, elapsed: float) -> str:
    """The results document: header, the table, how to read it."""
    sizes = (
        f"calls per round {settings.calls} x {settings.rounds} rounds; typed parsing "
        f"{settings.parse_drops} drops; {settings.filters} filters per round; fan-out "
        f"{settings.green_sizes[0]} and {settings.green_sizes[1]} calls at "
        f"{settings.green_latency * 1000:.0f} ms; {settings.ws_drops} pushes, "
        f"{settings.ws_latency_samples} latency samples; {settings.writes} writes; "
        f"query over {settings.query_drops} drops; {settings.bulk_drops} drops per bulk round"
    )
    with_target = [r for r in rows if r.target]
    passed = sum(1 for r in with_target if r.passed)
    lines = [
        "# flowthings benchmarks",
        "",
        "Generated by `python -m benchmarks" + (" --quick" if settings.quick else "") + "`.",
        "",
        *header_lines(settings, elapsed),
        f"- N: {sizes}",
        f"- Targets met: {passed} of {len(with_target)}",
        "",
        markdown_table(rows),
        "",
        _READING,
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """The command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="small N (CI smoke run, < 30 s)")
    parser.add_argument(
        "--output", type=Path, default=None,
        help=f"where to write the table (default: {DEFAULT_OUTPUT} for a full run of every "
        "section, nowhere otherwise; '-' for nowhere)",
    )  # fmt: skip
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    args = parser.parse_args(argv)
    settings = Settings.make(args.quick)
    mode = "quick" if args.quick else "full (a few minutes)"
    _progress(f"benchmarks: {mode} run of {', '.join(args.only)}; the table follows on stdout")
    started = time.perf_counter()
    try:
        rows = run_sections(settings, args.only)
    except CheckFailed as exc:
        # a wrong answer makes every figure meaningless: no table, a failing exit code
        _progress(f"error: a benchmark's correctness check failed: {exc}")
        raise SystemExit(1) from None
    document = render(rows, settings, time.perf_counter() - started)
    print(document)
    output = args.output
    if output is None and not args.quick and set(args.only) == set(SECTIONS):
        output = DEFAULT_OUTPUT
    if output is not None and str(output) != "-":
        output.write_text(document, encoding="utf-8")
        print(f"written to {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
