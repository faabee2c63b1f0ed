"""The session platform of ``tests/postgres`` runs on PostgreSQL.

``flowthings_platform`` (and so ``flowthings_api``) is overridden here: the
end-to-end modules re-run in this directory (``test_pg_e2e_*.py``) exercise
tokens, shares, tracks, queries, aggregation and statistics over HTTP on the
PostgreSQL engine, with exactly the assertions they make on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from flowthings.local.testing import LocalPlatform, local_platform
from tests.conftest import PostgresServer


@pytest.fixture(scope="session")
def flowthings_platform(postgres_server: PostgresServer) -> Iterator[LocalPlatform]:
    with local_platform(db=postgres_server.create_database()) as lp:
        yield lp


def rerun(module: ModuleType, namespace: dict[str, Any]) -> None:
    """Collect ``module``'s tests (and its fixtures and helpers) again in ``namespace``."""
    namespace.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
