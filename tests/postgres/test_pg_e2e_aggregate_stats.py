"""``tests/local/test_platform_aggregate_stats.py`` on the PostgreSQL engine (see this directory's conftest)."""

from tests.local import test_platform_aggregate_stats as _source
from tests.postgres.conftest import rerun

rerun(_source, globals())
