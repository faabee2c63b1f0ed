"""The SQLite store keeps decoded flows (every drop write reads its flow 2-3 times).

What a read returns must always be what is stored: a caller changing the
object it got does not change the next read's, and a replace, a delete or a
rolled-back transaction is seen at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flowthings.local.storage.store import QuotaExceeded, Store


def _flow(fid: str = "f1", path: str = "/a/x", **extra: object) -> dict[str, object]:
    return {"id": fid, "path": path, "creationDate": 1, "capacity": 10, **extra}


@pytest.fixture
def store() -> Iterator[Store]:
    with Store() as s:
        s.insert("a", "flow", _flow(nested={"k": [1]}))
        yield s


def test_each_read_gets_its_own_object(store: Store) -> None:
    first = store.get("a", "flow", "f1")
    assert first is not None
    first["path"] = "/changed"
    first.pop("capacity")
    again = store.get("a", "flow", "f1")
    assert again == _flow(nested={"k": [1]})
    assert again is not first


def test_other_accounts_and_kinds_do_not_see_a_kept_flow(store: Store) -> None:
    assert store.get("a", "flow", "f1") is not None  # kept now
    assert store.get("b", "flow", "f1") is None
    assert store.get("a", "drop", "f1") is None


def test_replace_and_delete_are_seen_at_once(store: Store) -> None:
    assert store.get("a", "flow", "f1") is not None
    store.replace(_flow(path="/a/y"))
    assert store.get("a", "flow", "f1") == _flow(path="/a/y")
    store.delete("f1")
    assert store.get("a", "flow", "f1") is None


def test_a_rolled_back_replace_leaves_the_stored_flow(store: Store) -> None:
    store.quota = 400
    assert store.get("a", "flow", "f1") is not None
    seen: list[object] = []

    def too_big() -> None:
        with store.transaction():
            store.replace(_flow(path="/a/z", big="x" * 1000))
            seen.append(store.get("a", "flow", "f1"))  # the transaction sees its own write

    with pytest.raises(QuotaExceeded):
        too_big()
    assert seen == [_flow(path="/a/z", big="x" * 1000)]
    assert store.get("a", "flow", "f1") == _flow(nested={"k": [1]})
