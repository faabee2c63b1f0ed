"""The ``drop_elems`` side table stays equal to the stored drops' elements.

Every write path (insert, bulk insert, update, MPUT-style replace, delete,
capacity eviction, flow drop deletion, path change) keeps it in sync through
triggers; a database file of the previous schema is migrated when opened; the
compiled filter of a top-level element reads the table, not the JSON text.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flowthings.local.base.elem_class import ARRAY, BOOL, NULL, NUMBER, OPAQUE, STRING
from flowthings.local.core.find_sql import find_drops
from flowthings.local.query.params import parse_query
from flowthings.local.query.sql import FLOW, drop_prefilter
from flowthings.local.storage.store import Store


def _rows(store: Store) -> set[tuple[Any, ...]]:
    return set(store.select("SELECT drop_seq, flow, elem, cls, val FROM drop_elems", ()))


def _expected(store: Store) -> set[tuple[Any, ...]]:
    """The rows the elements of every stored drop call for, computed in Python."""
    out = set()
    for seq, flow, data in store.select(
        "SELECT seq, flow_id, data FROM objects WHERE kind = 'drop'", ()
    ):
        doc = store.decode(data)
        elems = doc.get("elems")
        if not isinstance(elems, dict):
            continue
        for name, v in elems.items():
            if isinstance(v, bool):
                cls, val = BOOL, int(v)
            elif isinstance(v, (int, float)):  # SQLite reads an int beyond 64 bits as a real
                cls, val = NUMBER, (float(v) if abs(v) >= 2**63 else v)
            elif isinstance(v, str):
                cls, val = (OPAQUE, None) if "\\u0000" in data else (STRING, v)
            elif v is None:
                cls, val = NULL, None
            elif isinstance(v, list):
                cls, val = ARRAY, None
            else:
                cls, val = OPAQUE, None
            out.add((seq, flow, name, cls, val))
    return out


def _drop(i: int, elems: Any, flow: str = "f1") -> dict[str, Any]:
    return {"id": f"d{flow}{i}", "flowId": flow, "creationDate": 1000 + i, "elems": elems}


def test_every_write_path_keeps_the_side_table_in_sync() -> None:
    with Store() as store:
        values: list[Any] = [1, 2.5, "a", "a\x00b", True, False, None, [1], {"type": "x"}, 10**30]
        for i, v in enumerate(values):
            store.insert("a", "drop", _drop(i, {"x": v, "y": i}), flow_id="f1")
        store.insert("a", "drop", _drop(99, "not a map"), flow_id="f1")
        store.insert("a", "flow", {"id": "f1", "creationDate": 1, "path": "/a/f"})
        store.insert_drops("a", "f2", [_drop(i, {"z": i}, "f2") for i in range(5)])
        assert _rows(store) == _expected(store)
        assert any(r[3] == OPAQUE and r[2] == "x" for r in _rows(store))  # the NUL document
        store.replace(_drop(0, {"x": "changed", "w": 3}))
        assert _rows(store) == _expected(store)
        store.delete("df11")
        assert _rows(store) == _expected(store)
        assert store.evict("f1", 4) > 0
        assert _rows(store) == _expected(store)
        store.repath_drops("f1", "/a/g")
        assert _rows(store) == _expected(store)
        store.delete_drops("f2")
        assert not [r for r in _rows(store) if r[1] == "f2"]
        assert _rows(store) == _expected(store)


def test_a_rolled_back_write_leaves_no_rows() -> None:
    with Store() as store:
        try:
            with store.transaction():
                store.insert("a", "drop", _drop(1, {"x": 1}), flow_id="f1")
                raise RuntimeError
        except RuntimeError:
            pass
        assert _rows(store) == set()


_OLD_SCHEMA = """
CREATE TABLE accounts (name TEXT PRIMARY KEY, master_token TEXT NOT NULL UNIQUE,
    identity_id TEXT NOT NULL, creation_date INTEGER NOT NULL);
CREATE TABLE objects (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL, kind TEXT NOT NULL, flow_id TEXT, path TEXT,
    creation_date INTEGER NOT NULL, data TEXT NOT NULL);
"""


def test_a_file_of_the_previous_schema_is_migrated(tmp_path: Path) -> None:
    path = str(tmp_path / "old.db")
    conn = sqlite3.connect(path)
    conn.executescript(_OLD_SCHEMA)
    conn.executemany(
        "INSERT INTO objects (id, account, kind, flow_id, path, creation_date, data)"
        " VALUES (?, 'a', 'drop', 'f1', '/a/f', ?, ?)",
        [(f"d{i}", 1000 + i, f'{{"id":"d{i}","creationDate":{1000 + i},"elems":{{"t":{i}}}}}')
         for i in range(50)],
    )  # fmt: skip
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert len(_rows(store)) == 50
        assert _rows(store) == _expected(store)
        q = parse_query({"filter": "t > 44.5", "limit": "100"})
        got = find_drops(store, "a", "f1", q, now_ms=2000)
        assert [d["elems"]["t"] for d in got] == [49, 48, 47, 46, 45]
    with Store(path) as store:  # opening again migrates nothing twice
        assert len(_rows(store)) == 50


def test_a_top_level_element_is_filtered_without_parsing_documents() -> None:
    pre = drop_prefilter("elems.temp > 39.99 && city == 'c1'", elems_table=True)
    assert pre is not None
    assert "json_" not in pre.sql
    assert "drop_elems" in pre.sql
    assert len(pre.drivers) == 2  # either element's index range lists the candidates
    assert all(FLOW in params for _, params in pre.drivers)
    nested = drop_prefilter("elems.a.b > 1", elems_table=True)
    assert nested is not None
    assert "json_extract" in nested.sql
    with Store() as store:
        store.insert_drops("a", "f1", [_drop(i, {"temp": i / 10}) for i in range(500)])
        for sql, params in pre.bound_drivers(0, "f1"):
            plan = " ".join(str(r[-1]) for r in store.select("EXPLAIN QUERY PLAN " + sql, params))
            assert "ix_drop_elems" in plan, plan
        # a selective find reads its few rows by rowid, not the flow's whole index
        q = parse_query({"filter": "temp > 49.85", "limit": "20"})
        assert [d["elems"]["temp"] for d in find_drops(store, "a", "f1", q, now_ms=0)] == [
            49.9
        ]
