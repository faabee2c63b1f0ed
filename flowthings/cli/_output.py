"""How the command line prints: tables for people, jsonl/csv/json for pipes, progress."""

from __future__ import annotations

import csv
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import IO, Any, cast

__all__ = ["FORMATS", "Progress", "plain", "printable", "when", "write_rows"]

FORMATS = ("table", "jsonl", "csv", "json")
_CELL = 60


def plain(value: Any) -> Any:
    """``value`` with typed elements (``{"type": ..., "value": ...}``) unwrapped."""
    if isinstance(value, Mapping):
        obj = cast("Mapping[str, Any]", value)  # JSON: string keys
        if set(obj) == {"type", "value"} and isinstance(obj["type"], str):
            return plain(obj["value"])
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(value, list):
        return [plain(v) for v in cast("list[object]", value)]
    return value


def when(ms: Any) -> str:
    """A platform time (ms since the epoch) as UTC ISO text; anything else as text."""
    if isinstance(ms, int | float) and not isinstance(ms, bool):
        moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
    return "" if ms is None else str(ms)


# C0 and C1 controls, DEL, and the bidirectional overrides/isolates: text made of
# them can move the cursor, clear the screen, set the window title, write the
# clipboard (OSC 52) or reorder what the reader sees. Flow descriptions, drop
# values and error messages come from the platform (and from whoever shares a
# flow), so what is printed for a person shows them escaped.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with terminal control characters shown as escapes (``\\x1b``)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _cell(value: Any) -> str:
    text = printable(_text(value).replace("\n", " "))
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], out: IO[str]) -> None:
    cells = [
        [_cell(when(r.get(c)) if c == "creationDate" else r.get(c)) for c in columns] for r in rows
    ]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out.write(line.rstrip() + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


def _elems(obj: Mapping[str, Any]) -> dict[str, Any]:
    elems = obj.get("elems")
    if not isinstance(elems, Mapping):
        return {}
    return {f"elems.{k}": v for k, v in cast("Mapping[str, Any]", elems).items()}


def _csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: IO[str]) -> int:
    """CSV: ``columns``, then one ``elems.<name>`` column per element of the first row.

    A stream cannot know every element in advance: elements missing from the
    header (one that first appears later) go to a last ``_extra`` column, as a
    JSON object, so no element is lost. Other members (``path``,
    ``lastEditDate``, ...) are left out; jsonl keeps everything.
    """
    writer = csv.writer(out, lineterminator="\n")
    base = [c for c in columns if c != "elems"]
    header: list[str] | None = None
    count = 0
    for row in rows:
        elems = _elems(row)
        if header is None:
            header = [*base, *sorted(elems)]
            writer.writerow([*header, "_extra"])
        cells = [_text(elems[c] if c in elems else row.get(c)) for c in header]
        extra = {k[len("elems.") :]: v for k, v in elems.items() if k not in header}
        writer.writerow([*cells, _text(extra) if extra else ""])
        count += 1
    if header is None:
        writer.writerow([*base, "_extra"])
    return count


def write_rows(
    rows: Iterable[Mapping[str, Any]], fmt: str, columns: Sequence[str], out: IO[str]
) -> int:
    """Write ``rows`` in ``fmt`` (streamed, except for ``table`` and ``json``); return the count."""
    if fmt == "jsonl":
        count = 0
        for row in rows:
            out.write(json.dumps(row, separators=(",", ":"), ensure_ascii=False) + "\n")
            count += 1
        return count
    if fmt == "csv":
        return _csv(rows, columns, out)
    listed = list(rows)
    if fmt == "json":
        json.dump(listed, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        _table(listed, columns, out)
    return len(listed)


class Progress:
    """A one-line progress report on stderr: count, rate and (with a total) ETA.

    Quiet unless the stream is a terminal, so logs and pipes stay clean.
    """

    def __init__(self, noun: str, total: int | None = None, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.noun, self.total, self.count = noun, total, 0
        self.started = self._shown = time.monotonic()

    def track(self, items: Iterable[Any]) -> Iterator[Any]:
        """Yield ``items``, counting them."""
        for item in items:
            yield item
            self.count += 1
            if self.enabled and time.monotonic() - self._shown >= 0.2:
                self._show()

    def line(self) -> str:
        """The report: ``12,000 / 50,000 drops (24%)  8,100/s  ETA 5s``."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.count / elapsed
        text = f"{self.count:,}"
        if self.total:
            text += f" / {self.total:,} {self.noun} ({100 * self.count // self.total}%)"
        else:
            text += f" {self.noun}"
        text += f"  {rate:,.0f}/s"
        if self.total and rate > 0 and self.count < self.total:
            text += f"  ETA {_duration((self.total - self.count) / rate)}"
        return text

    def _show(self) -> None:
        self._shown = time.monotonic()
        self.stream.write("\r" + self.line() + "\033[K")
        self.stream.flush()

    def close(self) -> None:
        """Print the final count (on a terminal)."""
        if self.enabled:
            self._show()
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02}m"
