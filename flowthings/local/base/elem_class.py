"""Classes of a drop element in the ``drop_elems`` side table (``storage.elems``).

Shared by the storage that fills the table and the query compiler that reads
it (``query.sql``, ``core.find_sql``). The first three mirror the sort classes
of ``query.params._sort_key`` (numbers, strings, booleans), so SQL orders
known values the way Python does.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ARRAY", "BOOL", "NULL", "NUMBER", "OPAQUE", "STRING"]

NUMBER: Final = 0
"""A JSON number; ``val`` is the number as SQLite's JSON reads it."""
STRING: Final = 1
"""A JSON string; ``val`` is the text."""
BOOL: Final = 2
"""``true``/``false``; ``val`` is 1 or 0."""
NULL: Final = 3
"""JSON ``null``."""
ARRAY: Final = 4
"""A JSON array (``val`` is NULL)."""
OPAQUE: Final = 9
"""What SQL must not judge: an object (typed wrapper, drop reference, map), or
any string of a document holding an escaped NUL (SQLite's JSON cuts it)."""
