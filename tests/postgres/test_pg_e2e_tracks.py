"""``tests/local/test_platform_tracks.py`` on the PostgreSQL engine (see this directory's conftest)."""

from tests.local import test_platform_tracks as _source
from tests.postgres.conftest import rerun

rerun(_source, globals())
