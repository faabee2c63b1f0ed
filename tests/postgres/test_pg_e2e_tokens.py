"""``tests/local/test_platform_tokens.py`` on the PostgreSQL engine (see this directory's conftest)."""

from tests.local import test_platform_tokens as _source
from tests.postgres.conftest import rerun

rerun(_source, globals())
