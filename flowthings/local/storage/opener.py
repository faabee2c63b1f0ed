"""Open the store a database URL names (SQLite or PostgreSQL).

Kept apart from :mod:`.engine` (the protocol both engines import) so that
choosing an engine never forms an import cycle.
"""

from __future__ import annotations

from flowthings.local.storage.engine import Storage, is_postgres_url, sqlite_path

__all__ = ["open_store"]


def open_store(db: str = ":memory:") -> Storage:
    """Open the store a database URL names.

    Args:
        db: ``postgresql://user@host:port/dbname`` (PostgreSQL, needs the
            ``postgres`` extra), ``sqlite:///path``, a file path, or
            ``":memory:"`` (SQLite).

    Raises:
        StorageError: the PostgreSQL server cannot be reached or refused us.
        sqlite3.Error: the SQLite file cannot be opened as a database.
    """
    if is_postgres_url(db):
        from flowthings.local.storage.postgres import PgStore

        return PgStore(db)
    from flowthings.local.storage.store import Store

    return Store(sqlite_path(db))
