"""US ZIP code centroids for ``WITHIN ... OF [ZIP=code]`` filters.

The table ships inside the package (``zipcodes.csv.gz``: 42,789 five-digit
codes with their latitude and longitude, derived from the MIT-licensed
``zipcodes`` package; its license is in ``zipcodes.LICENSE.txt`` beside it),
so a lookup never touches the network.  It is read
once, on the first ZIP filter, and kept for the life of the process (~1 MB).

Accepted spellings: five digits (``02134``), ZIP+4 (``02134-1234``; the
``+4`` part is ignored because the centroid is per five-digit code), and
fewer than five digits, which are zero-padded: a client that sends the
code as a number (``zip=2134`` in the python builder) loses its leading
zeros, and the padded code is the only one it can mean.
"""

from __future__ import annotations

import gzip
import re
import threading
from importlib import resources
from typing import Final

__all__ = ["ZipError", "lookup"]

_CODE: Final = re.compile(r"(\d{1,5})(?:-\d{4})?")

_lock = threading.Lock()
_table: dict[str, tuple[float, float]] | None = None


class ZipError(ValueError):
    """The text is not a ZIP code, or not one the table knows."""


def _load() -> dict[str, tuple[float, float]]:
    global _table
    with _lock:
        if _table is None:
            raw = resources.files(__package__ or "flowthings.local.query").joinpath("zipcodes.csv.gz")
            table: dict[str, tuple[float, float]] = {}
            for line in gzip.decompress(raw.read_bytes()).decode("ascii").splitlines():
                if line.startswith("#"):
                    continue
                code, lat, lon = line.split(",")
                table[code] = (float(lat), float(lon))
            _table = table
        return _table


def lookup(text: str) -> tuple[float, float]:
    """The ``(lat, lon)`` centroid of a US ZIP code.

    Args:
        text: The code as written in the filter (surrounding blanks allowed).

    Returns:
        Latitude and longitude in degrees.

    Raises:
        ZipError: ``text`` is not a ZIP code, or is one the table does not know.
    """
    code = text.strip()
    match = _CODE.fullmatch(code)
    if match is None:
        raise ZipError(f"'{code}' is not a US ZIP code (5 digits, or ZIP+4 like 12345-6789)")
    five = match.group(1).zfill(5)
    point = _load().get(five)
    if point is None:
        raise ZipError(f"unknown US ZIP code '{code}'")
    return point
