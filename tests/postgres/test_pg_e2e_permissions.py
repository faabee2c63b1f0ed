"""``tests/local/test_permissions.py`` on the PostgreSQL engine (see this directory's conftest)."""

from tests.local import test_permissions as _source
from tests.postgres.conftest import rerun

rerun(_source, globals())
