"""The storage seam: which engine a ``--db`` value picks, and the URL helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowthings.local.storage.engine import (
    StorageError,
    is_postgres_url,
    redact_url,
    sqlite_path,
)
from flowthings.local.storage.opener import open_store
from flowthings.local.storage.store import Store


@pytest.mark.parametrize(
    ("db", "path"),
    [
        (":memory:", ":memory:"),
        ("data/flowthings.db", "data/flowthings.db"),
        ("sqlite:///data/flowthings.db", "data/flowthings.db"),
        ("sqlite:////abs/flowthings.db", "/abs/flowthings.db"),
        ("sqlite:///", ":memory:"),
    ],
)
def test_sqlite_values(db: str, path: str) -> None:
    assert not is_postgres_url(db)
    assert sqlite_path(db) == path


def test_a_sqlite_url_without_its_third_slash_is_refused() -> None:
    with pytest.raises(StorageError, match="sqlite:///path"):
        sqlite_path("sqlite://host/x.db")


def test_open_store_picks_sqlite_for_paths_and_urls(tmp_path: Path) -> None:
    for db in (":memory:", str(tmp_path / "a.db"), f"sqlite:///{tmp_path / 'b.db'}"):
        with open_store(db) as store:
            assert isinstance(store, Store)
            assert store.dialect == "sqlite"
            assert not store.shared
    assert (tmp_path / "b.db").exists()


def test_postgres_urls_are_recognised_and_redacted() -> None:
    assert is_postgres_url("postgresql://u@h/db")
    assert is_postgres_url("postgres://u@h/db")
    assert redact_url("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact_url("/tmp/x.db") == "/tmp/x.db"
