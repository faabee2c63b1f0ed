"""The PostgreSQL engine answers like the SQLite one: filters, sorts, schema, documents.

The SQL pre-filter in the ``jsonb`` dialect is checked the way
``tests/local/test_filter_sql.py`` checks SQLite's: random filters over random
drops (typed wrappers, references, escaped NULs, huge and near-equal numbers)
must give exactly what the Python evaluator gives over every drop.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings

from flowthings.local.core.find_sql import find_drops
from flowthings.local.query.params import parse_query, run_query
from flowthings.local.query.sql import JSONB, drop_prefilter
from flowthings.local.storage.engine import StorageError
from flowthings.local.storage.opener import open_store
from flowthings.local.storage.pg_notify import MAX_PAYLOAD, payload
from flowthings.local.storage.pg_schema import MIGRATIONS, SCHEMA_VERSION
from flowthings.local.storage.postgres import PgStore, pg_sql
from flowthings.local.storage.store import AccountRow, Store
from tests.conftest import PostgresServer
from tests.local.test_filter_sql import _TRICKY, _drops, _filters

NOW = 1_700_000_100_000
_flows = itertools.count()


@pytest.fixture(scope="module")
def store(postgres_server: PostgresServer) -> Iterator[PgStore]:
    s = open_store(postgres_server.create_database())
    assert isinstance(s, PgStore)
    yield s
    s.close()


def _fill(store: PgStore | Store, drops: list[dict[str, Any]]) -> str:
    flow = f"f{next(_flows)}"
    for i, drop in enumerate(drops):
        obj = {"id": f"{flow}d{i}", "flowId": flow, "path": "/a/f",
               "creationDate": 1_700_000_000_000 + i // 2, **drop}  # fmt: skip
        store.insert("a", "drop", obj, flow_id=flow)
    return flow


def _both(store: PgStore, flow: str, params: dict[str, Any]) -> tuple[list[str], list[str]]:
    q = parse_query(params)
    newest = q.descending or q.sort != "creationDate"
    everything = store.scan("a", "drop", flow_id=flow, newest_first=newest)
    reference = run_query(everything, q, drop=True, now_ms=NOW)
    got = find_drops(store, "a", flow, q, now_ms=NOW)
    return [d["id"] for d in got], [d["id"] for d in reference]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(_drops, _filters)
@example(_TRICKY, "x == 1")
@example(_TRICKY, "x == 0 || y == 'a' || x >= true")
@example(_TRICKY, "x > 'a' && y <= 'a'")
@example(_TRICKY, "x == 'a' || x == 'd1'")
@example(_TRICKY, "x.y > 2 && EXISTS x")
@example(_TRICKY, "n == 'a' || x == 'a\\u0000b' || x < 'a\\u0000c'")
@example(_TRICKY, "x < 0.30000000000000005 && x > 0.30000000000000003")
@example(_TRICKY, "x CONTAINS ['a'] || location.lat >= 2.5 || NOT creationDate > 1700000000003")
@example(_TRICKY, "x == true || AGE < 99997 || x IN []")
@example(
    [{"elems": {"n": 1e308}}, {"elems": {"x": "z"}}, {"elems": {"x": "É"}}], "n > 1 || x < 'é'"
)
def test_jsonb_filter_answers_like_the_evaluator(
    store: PgStore, drops: list[dict[str, Any]], text: str
) -> None:
    flow = _fill(store, drops)
    got, expected = _both(store, flow, {"filter": text, "limit": "1000"})
    assert got == expected, (text, drop_prefilter(text, JSONB))


def test_huge_numbers_and_accents_compare_exactly(store: PgStore) -> None:
    # numeric, not float8 (1e400 would overflow); "C" collation: code point order
    flow = f"f{next(_flows)}"
    for i, raw in enumerate(['{"n":1e400,"s":"é"}', '{"n":-1e-400,"s":"z"}', '{"n":5,"s":"E"}']):
        doc = raw[:-1] + f',"id":"{flow}d{i}","flowId":"{flow}","creationDate":{i}}}'
        with store.transaction(), store._conn() as conn:
            conn.execute(
                "INSERT INTO objects (id, account, kind, flow_id, creation_date, data)"
                " VALUES (%s, 'a', 'drop', %s, %s, %s)",
                (f"{flow}d{i}", flow, i, doc),
            )
    for text in ["n > 1e300", "n < 0", "n == 5", "s > 'z'", "s < 'a'", "s >= 'é'"]:
        got, expected = _both(store, flow, {"filter": text, "limit": "9"})
        assert got == expected, text


@pytest.mark.parametrize("sort", ["x", "elems.y", "n", "path", "creationDate"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sorted_pages_are_the_evaluators(store: PgStore, sort: str, order: str) -> None:
    flow = _fill(store, _TRICKY * 2)
    for skip, limit in [(0, 3), (1, 4), (0, 100)]:
        params = {"sort": sort, "order": order, "skip": str(skip), "limit": str(limit)}
        got, expected = _both(store, flow, {**params, "filter": "EXISTS x || y == 'a'"})
        assert got == expected


def test_documents_come_back_exactly_as_written(store: PgStore) -> None:
    # key order, NUL escapes, big integers and float spelling survive (data is
    # the text written; doc is only the jsonb the filters read)
    obj = {"z": 1, "id": "o-exact", "a": "x\x00y", "n": 10**30, "f": 0.1, "creationDate": 5}
    store.insert("a", "thing", obj)
    got = store.get("a", "thing", "o-exact")
    assert got == obj
    assert list(got) == list(obj)
    with store._conn() as conn:
        doc = conn.execute("SELECT doc FROM objects WHERE id = 'o-exact'").fetchone()[0]
    assert doc is None  # jsonb cannot hold \u0000: every filtered scan keeps the row


def test_accounts_tokens_stamps_and_statistics(store: PgStore) -> None:
    store.add_account(AccountRow("acct1", "mtok1", "i1"), 1)
    assert store.account("acct1") == AccountRow("acct1", "mtok1", "i1")
    assert store.account_by_token("mtok1") == AccountRow("acct1", "mtok1", "i1")
    before = store.access_stamp("acct1")
    store.insert("acct1", "token", {"id": "t1", "tokenString": "ts1", "creationDate": 1})
    assert store.access_stamp("acct1") != before
    assert store.token_by_string("ts1") == (
        "acct1",
        {"id": "t1", "tokenString": "ts1", "creationDate": 1},
    )
    assert store.has_kind("acct1", "token")
    assert not store.has_kind("acct1", "track")
    stamp = store.access_stamp("acct1")

    def delete_then_fail() -> None:
        with store.transaction():
            store.delete("t1")
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert store.get("acct1", "token", "t1") is not None
    assert store.access_stamp("acct1") != stamp  # a rollback moves the epoch
    hour = 3_600_000
    for ts in (hour * 5 + 1, hour * 5 + 2, hour * 6):
        store.bump("acct1", "flowDropAdded", "f", ts)
    assert store.stat_counts("acct1", "flowDropAdded", "f", 0, hour * 7) == [
        (hour * 5, 2),
        (hour * 6, 1),
    ]


def test_eviction_keeps_the_newest_and_counts(store: PgStore) -> None:
    flow = _fill(store, [{"elems": {"i": i}} for i in range(7)])
    assert store.count_drops(flow) == 7
    with store.transaction():
        assert store.evict(flow, 3) == 4
    assert [d["elems"]["i"] for d in store.scan("a", "drop", flow_id=flow)] == [6, 5, 4]
    store.repath_drops(flow, "/a/moved")
    assert {d["path"] for d in store.scan("a", "drop", flow_id=flow)} == {"/a/moved"}
    assert store.get_many("a", "drop", [f"{flow}d6", "nope"]).keys() == {f"{flow}d6"}
    assert store.delete_drops(flow) == 3
    assert store.count_drops(flow) == 0


def test_schema_is_versioned_and_migration_idempotent(pg_url: str) -> None:
    for _ in range(2):  # a second open (a second process, a restart) changes nothing
        PgStore(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        versions = conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        assert versions == [(v,) for v, _ in MIGRATIONS]
        assert versions[-1] == (SCHEMA_VERSION,)
        conn.execute("INSERT INTO schema_version VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(StorageError, match="upgrade flowthings"):
        PgStore(pg_url)


def test_a_version_1_database_is_migrated_with_its_byte_counts(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)")
        conn.execute(MIGRATIONS[0][1])
        conn.execute("INSERT INTO schema_version VALUES (1)")
        for i, data in enumerate(['{"id":"x1"}', '{"id":"x2","s":"\u00e9t\u00e9"}']):
            conn.execute(
                "INSERT INTO objects (id, account, kind, creation_date, data)"
                " VALUES (%s, 'acc', 'flow', 1, %s)",
                (f"x{i}", data),
            )
    s = PgStore(pg_url)
    try:
        exact = sum(len(d.encode()) for d in ['{"id":"x1"}', '{"id":"x2","s":"\u00e9t\u00e9"}'])
        assert s.stored_bytes("acc") == exact
        assert s.stored_bytes("nobody") == 0
    finally:
        s.close()


def test_an_unreachable_database_is_a_clear_error(postgres_server: PostgresServer) -> None:
    with pytest.raises(StorageError, match='database "nosuchdb" does not exist'):
        PgStore(postgres_server.database_url("nosuchdb"))


def test_placeholders_and_payloads() -> None:
    assert pg_sql("a = ? AND b LIKE '%?%'") == "a = %s AND b LIKE '%%?%%'"
    big = ["d", "acct", "flow", "id", {"elems": {"s": "x" * 10_000}}]
    assert payload("o", big).endswith('"id",null]]')
    assert len(payload("o", big).encode()) <= MAX_PAYLOAD


def test_a_flow_path_taken_by_another_process_is_a_400(pg_url: str) -> None:
    from flowthings.local.base.envelope import PlatformError

    with PgStore(pg_url) as one, PgStore(pg_url) as two:
        one.insert("a", "flow", {"id": "f-one", "path": "/a/x", "creationDate": 1})
        with pytest.raises(PlatformError, match="already exists") as caught:
            two.insert("a", "flow", {"id": "f-two", "path": "/a/x", "creationDate": 2})
        assert caught.value.status == 400
        assert two.get("a", "flow", "f-two") is None
