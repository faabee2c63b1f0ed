"""Persistence of the local platform: one SQLite database behind :class:`.store.Store`.

Owns the schema, the connection and its lock, object and drop
rows, the hourly statistics counters and the account rows. It knows nothing
of permissions, filters or HTTP: callers pass plain dicts and get plain dicts
back. It may import only :mod:`flowthings.local.base`; ``core`` is its only
user.
"""
