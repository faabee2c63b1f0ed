"""The pytest fixtures of the local platform.

Loaded by pytest through the ``flowthings.local.testing`` plugin (its
``pytest_plugins``), so they are available in every test session where
flowthings is installed. They live apart from `flowthings.local.testing`
because they need pytest, and `local_platform` must work without it (in
demos, examples and scripts installed with only the ``local`` extra).

Fixtures:

* ``flowthings_platform`` (session scope): a `LocalPlatform` on a free
  loopback port with an in-memory database.
* ``flowthings_api`` (function scope): an ``API`` signed in to a *fresh*
  account of that platform, so each test starts from an empty namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .testing import LocalPlatform, local_platform

if TYPE_CHECKING:
    from flowthings import API

__all__ = ["flowthings_api", "flowthings_platform"]


@pytest.fixture(scope="session")
def flowthings_platform() -> Iterator[LocalPlatform]:
    """A local platform shared by the whole test session."""
    with local_platform() as lp:
        yield lp


@pytest.fixture
def flowthings_api(flowthings_platform: LocalPlatform) -> Iterator[API]:
    """An ``API`` on a fresh account of the session's local platform."""
    creds = flowthings_platform.new_account()
    with flowthings_platform.api_for(creds) as api:
        yield api
