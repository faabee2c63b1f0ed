"""Which modules of the ``local`` extra are missing, and the one line that says so.

Both doors into the platform check this first (`local_platform` and
``python -m flowthings.local``), so a user who installed only the SDK gets
the install command instead of a traceback from deep inside an import.
"""

from __future__ import annotations

import importlib.util

__all__ = ["INSTALL_LOCAL", "missing_local_packages", "missing_message", "require_local_extra"]

INSTALL_LOCAL = 'pip install "flowthings[local]"'

# import name -> distribution name (what the user sees and pip installs)
_LOCAL_EXTRA = {
    "starlette": "starlette",
    "uvicorn": "uvicorn",
    "lark": "lark",
    "websockets": "websockets",
    "py_mini_racer": "mini-racer",
    "re2": "google-re2",
}


def missing_local_packages() -> list[str]:
    """Distribution names of the ``local`` extra whose module cannot be found."""
    return [dist for mod, dist in _LOCAL_EXTRA.items() if importlib.util.find_spec(mod) is None]


def missing_message(missing: list[str]) -> str:
    """One line naming the missing packages and the command that installs them."""
    return (
        f"the local flowthings platform needs {', '.join(missing)} (not installed): {INSTALL_LOCAL}"
    )


def require_local_extra() -> None:
    """Raise ``ImportError`` naming what is missing when the ``local`` extra is incomplete."""
    missing = missing_local_packages()
    if missing:
        raise ImportError(missing_message(missing))
