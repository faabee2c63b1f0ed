"""Persistence of the local platform: SQLite (:class:`.store.Store`) or PostgreSQL.

:func:`.opener.open_store` picks the engine from a database URL; the core
talks to either through the :class:`.engine.Storage` protocol
(:class:`.postgres.PgStore` is the PostgreSQL engine, shared by several
processes).

Owns the schema, the connection and its lock, object and drop
rows, the hourly statistics counters and the account rows. It knows nothing
of permissions, filters or HTTP: callers pass plain dicts and get plain dicts
back. It may import only :mod:`flowthings.local.base`; ``core`` is its only
user.
"""
