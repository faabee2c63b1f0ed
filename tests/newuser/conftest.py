"""A new user's walk through flowthings: the command line's fixture is shared."""

from __future__ import annotations

from ..cli.conftest import Cli, cli

__all__ = ["Cli", "cli"]
