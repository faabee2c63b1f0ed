"""``tests/local/test_local_queries.py`` on the PostgreSQL engine (see this directory's conftest)."""

from tests.local import test_local_queries as _source
from tests.postgres.conftest import rerun

rerun(_source, globals())
