"""The ``drop_elems`` side table: top-level drop elements SQLite reads without JSON.

A filter such as ``elems.temp > 39.99`` or a sort by ``elems.n`` over a big
flow used to make SQLite parse every stored document (``json_extract`` on the
``data`` text).  This table holds one row per top-level element of each drop's
``elems``, already classified, so the finds of ``core.find_sql`` read an index
range instead (issue 20).  It is a *separate* table next to ``objects``: the
``objects`` schema does not change.

Columns:

``drop_seq``
    the drop's ``objects.seq``;
``flow``
    its flow id;
``elem``
    the element name (a key of ``elems``);
``cls``
    what SQL may conclude from the value (``base.elem_class``): a number, a
    string, a boolean, null, an array, or *opaque* for everything SQL must
    not judge (an object: typed wrapper, drop reference, map; any string of
    a document holding an escaped NUL, which SQLite's JSON functions cut);
``val``
    the scalar, typed (no column affinity: numbers stay numbers).

Rows are maintained by triggers on ``objects`` (insert, update of ``data``,
delete: capacity eviction, flow deletion, MPUT and every other write path
included), so no Python write path can forget them.  Files written by the
previous schema (no ``drop_elems``) are migrated when opened: the table,
index and triggers are created and filled from the stored drops in one
transaction (:func:`ensure`).
"""

from __future__ import annotations

import sqlite3
from typing import Final

from flowthings.local.base.elem_class import ARRAY, BOOL, NULL, NUMBER, OPAQUE, STRING

__all__ = ["ensure"]

# one row per element of the drop ``new``; strings of a document holding an
# escaped NUL are opaque (the JSON functions would hand back a cut string)
_ROWS: Final = f"""
SELECT new.seq, new.flow_id, j.key,
    CASE j.type
        WHEN 'integer' THEN {NUMBER} WHEN 'real' THEN {NUMBER}
        WHEN 'text' THEN CASE WHEN instr(new.data, '\\u0000') > 0 THEN {OPAQUE} ELSE {STRING} END
        WHEN 'true' THEN {BOOL} WHEN 'false' THEN {BOOL}
        WHEN 'null' THEN {NULL} WHEN 'array' THEN {ARRAY} ELSE {OPAQUE} END,
    CASE WHEN j.type IN ('object', 'array') THEN NULL
        WHEN j.type = 'text' AND instr(new.data, '\\u0000') > 0 THEN NULL ELSE j.atom END
FROM json_each(new.data, '$.elems') AS j
WHERE json_type(new.data, '$.elems') = 'object'
"""

_SCHEMA: Final = (
    """CREATE TABLE drop_elems (
    drop_seq INTEGER NOT NULL,
    flow TEXT NOT NULL,
    elem TEXT NOT NULL,
    cls INTEGER NOT NULL,
    val,
    PRIMARY KEY (drop_seq, elem)
) WITHOUT ROWID""",
    "CREATE INDEX ix_drop_elems ON drop_elems (flow, elem, cls, val)",
    f"""CREATE TRIGGER tr_drop_elems_insert AFTER INSERT ON objects WHEN new.kind = 'drop'
BEGIN
    INSERT OR REPLACE INTO drop_elems {_ROWS};
END""",
    f"""CREATE TRIGGER tr_drop_elems_update AFTER UPDATE OF data ON objects
WHEN new.kind = 'drop'
BEGIN
    DELETE FROM drop_elems WHERE drop_seq = old.seq;
    INSERT OR REPLACE INTO drop_elems {_ROWS};
END""",
    """CREATE TRIGGER tr_drop_elems_delete AFTER DELETE ON objects WHEN old.kind = 'drop'
BEGIN
    DELETE FROM drop_elems WHERE drop_seq = old.seq;
END""",
)

# the migration: the same rows for every drop already stored
_BACKFILL: Final = "INSERT OR REPLACE INTO drop_elems " + _ROWS.replace("new.", "o.").replace(
    "FROM json_each(o.data", "FROM objects AS o, json_each(o.data"
).replace("WHERE json_type", "WHERE o.kind = 'drop' AND json_type")


def ensure(conn: sqlite3.Connection) -> None:
    """Create ``drop_elems`` (and fill it from stored drops) unless it exists.

    ``conn`` is in autocommit mode (``isolation_level=None``), ``objects``
    exists.  Idempotent; a file of the previous schema is migrated once.
    """
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'drop_elems'").fetchone():
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute(_BACKFILL)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
