"""The ``flowthings`` command line: flows and drops from a terminal.

Commands ``flows``, ``drops``, ``export``, ``tail`` and ``put``; credentials
and hosts come from the environment (``FLOWTHINGS_ACCOUNT``,
``FLOWTHINGS_TOKEN``, ``FLOWTHINGS_HOST``, ...). See ``flowthings --help``
and docs/cli.md. Built on the standard library only (``argparse``, ``csv``).
"""

from ._app import build_parser, main
from ._errors import ExitCode

__all__ = ["ExitCode", "build_parser", "main"]
