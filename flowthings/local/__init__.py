"""The local flowthings platform: a real REST server on SQLite for demos and tests.

Install with the ``local`` extra and run ``python -m flowthings.local serve``
(or ``demo``). In tests, use :func:`flowthings.local.testing.local_platform`
or the ``flowthings_platform`` / ``flowthings_api`` pytest fixtures.

Names are imported lazily so importing this package (as pytest does for the
``flowthings.local.testing`` plugin) does not pull in starlette or uvicorn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowthings.local.core.platform import Credentials, Platform, Principal
    from flowthings.local.http.app import create_app

    from .testing import LocalPlatform, local_platform

__all__ = [
    "Credentials",
    "LocalPlatform",
    "Platform",
    "Principal",
    "create_app",
    "local_platform",
]

_WHERE = {
    "Credentials": ".core.platform",
    "Platform": ".core.platform",
    "Principal": ".core.platform",
    "create_app": ".http.app",
    "LocalPlatform": ".testing",
    "local_platform": ".testing",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
