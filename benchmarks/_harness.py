"""The shared harness of the benchmarks: timing, rows, the results table.

Every figure is a :class:`Row`: what was measured, the baseline it is compared
with (measured in the same run, against the same server), their ratio, and
the target when the project has one. Timings use ``time.perf_counter``, warm
up first, repeat, and keep the median; two sides of a comparison are run in
interleaved rounds so that machine noise hits both alike; as in ``timeit``,
the cyclic GC is collected before and paused during each timed round.
"""

from __future__ import annotations

import contextlib
import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

__all__ = [
    "CheckFailed",
    "Row",
    "Settings",
    "header_lines",
    "interleaved",
    "interleaved_samples",
    "markdown_table",
    "median_seconds",
    "check",
    "paired_ratio",
]


class CheckFailed(Exception):
    """A benchmark's own correctness check failed, so its figures mean nothing.

    (Say, the SDK received fewer pushes than were written: its rate would be
    reported as 0 pushes/s.) ``python -m benchmarks`` then exits 1 instead of
    printing a table.
    """


def check(ok: bool, message: str) -> None:
    """Raise `CheckFailed` with ``message`` unless ``ok`` (unlike ``assert``, kept under -O)."""
    if not ok:
        raise CheckFailed(message)


@dataclass(frozen=True)
class Settings:
    """The sizes of one run; ``quick`` is the small-N mode CI runs."""

    quick: bool
    calls: int
    """Calls per round in the per-call overhead benchmarks."""
    rounds: int
    """Interleaved rounds (the median of rounds is reported)."""
    parse_drops: int
    """Drops in the typed parsing benchmark (1000 in the issue)."""
    filters: int
    """Filters compiled per round."""
    green_sizes: tuple[int, int]
    """The two fan-out sizes (100 and 1000 in the issue)."""
    green_latency: float
    """Server latency of the fan-out benchmark, seconds."""
    green_max_sequential: int
    """Sequential calls actually made; above that the baseline is extrapolated."""
    ws_drops: int
    """Drops pushed in the WebSocket throughput benchmark."""
    ws_latency_samples: int
    """Single writes timed in the WebSocket latency benchmark."""
    writes: int
    """Drops written in the platform write-rate benchmark."""
    query_drops: int
    """Drops stored in the flow of the platform query benchmark."""
    bulk_drops: int = 80
    """Drops written per round in the bulk-write benchmark."""

    @classmethod
    def make(cls, quick: bool) -> Settings:
        """The quick (CI, < 30 s) or the full settings."""
        if quick:
            return cls(
                quick=True, calls=20, rounds=5, parse_drops=200, filters=300,
                green_sizes=(20, 100), green_latency=0.02, green_max_sequential=20,
                ws_drops=150, ws_latency_samples=20, writes=150, query_drops=2000,
                bulk_drops=80,
            )  # fmt: skip
        return cls(
            quick=False, calls=100, rounds=21, parse_drops=1000, filters=3000,
            green_sizes=(100, 1000), green_latency=0.02, green_max_sequential=200,
            ws_drops=2000, ws_latency_samples=200, writes=2000, query_drops=100_000,
            bulk_drops=400,
        )  # fmt: skip


@dataclass
class Row:
    """One line of the results table.

    ``measured`` and ``baseline`` are in ``unit``; ``ratio`` is
    ``measured / baseline`` unless given. ``target`` is a bound on the ratio:
    ``"<= 1.10"`` or ``">= 5"`` (or empty when there is none).
    """

    group: str
    name: str
    n: int
    measured: float
    baseline: float
    unit: str
    baseline_name: str
    target: str = ""
    ratio: float = field(default=float("nan"))
    note: str = ""

    def __post_init__(self) -> None:
        if self.ratio != self.ratio:  # NaN: not given
            self.ratio = self.measured / self.baseline if self.baseline else float("inf")

    @property
    def passed(self) -> bool | None:
        """``None`` without a target, else whether the ratio meets it."""
        if not self.target:
            return None
        op, bound = self.target.split()
        limit = float(bound)
        return self.ratio <= limit if op == "<=" else self.ratio >= limit


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """As ``timeit``: collect first, then no cyclic GC while timing (a collection
    landing in one side's slot would otherwise dominate a few-ms timing)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def median_seconds(fn: Callable[[], object], repeat: int, number: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` timings of ``number``
    calls each, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        with _no_gc():
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def interleaved(
    fns: Sequence[Callable[[], object]], rounds: int, number: int, warmup: int = 3
) -> list[float]:
    """Median seconds per call of each of ``fns``, timed in interleaved rounds
    of ``number`` calls (so that noise hits every side alike), the order
    rotating from round to round."""
    return [statistics.median(s) for s in interleaved_samples(fns, rounds, number, warmup)]


def interleaved_samples(
    fns: Sequence[Callable[[], object]], rounds: int, number: int, warmup: int = 3
) -> list[list[float]]:
    """Like :func:`interleaved`, but every round's seconds per call, per side."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for round_index in range(rounds):
        # rotate the order every round: no side always follows the same one
        # (the after-effects of a side, e.g. closing connections, land on all)
        shift = round_index % len(fns)
        for index in [*range(shift, len(fns)), *range(shift)]:
            fn = fns[index]
            with _no_gc():
                start = time.perf_counter()
                for _ in range(number):
                    fn()
                samples[index].append((time.perf_counter() - start) / number)
    return samples


def paired_ratio(measured: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of the per-round ratios of two sides timed in the same rounds
    (steadier than the ratio of medians when the machine's speed drifts)."""
    return statistics.median(m / b for m, b in zip(measured, baseline, strict=True))


def _fmt(value: float, unit: str) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return "n/a"
    if unit == "ms":
        return f"{value:.3f} ms" if value < 10 else f"{value:.1f} ms"
    if unit == "us":
        return f"{value:.1f} µs"
    if unit == "s":
        return f"{value:.3f} s"
    return f"{value:,.0f} {unit}"


def _pass(row: Row) -> str:
    passed = row.passed
    if passed is None:
        return ""
    return "pass" if passed else "FAIL"


def markdown_table(rows: Sequence[Row]) -> str:
    """The results as a markdown table, one row per :class:`Row`."""
    lines = [
        "| Group | Benchmark | N | Measured | Baseline | Baseline is | Ratio | Target | Pass |",
        "|---|---|--:|--:|--:|---|--:|---|---|",
    ]
    for row in rows:
        ratio = "n/a" if row.ratio != row.ratio else f"{row.ratio:.2f}"
        target = row.target.replace("<=", "≤").replace(">=", "≥")
        name = f"{row.name} ({row.note})" if row.note else row.name
        lines.append(
            f"| {row.group} | {name} | {row.n} | {_fmt(row.measured, row.unit)} | "
            f"{_fmt(row.baseline, row.unit)} | {row.baseline_name} | {ratio} | {target} | "
            f"{_pass(row)} |"
        )
    return "\n".join(lines)


def header_lines(settings: Settings, elapsed: float) -> list[str]:
    """Date, interpreter, platform and mode of the run."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    mode = "quick (CI smoke run, small N)" if settings.quick else "full"
    return [
        f"- Date: {now}; took {elapsed:.0f} s",
        f"- Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}, {_cpus()} CPUs",
        f"- Mode: {mode}; executable `{sys.executable}`",
    ]


def _cpus() -> str:
    import os

    return str(os.cpu_count() or "?")
