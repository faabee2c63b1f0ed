"""``python -m flowthings.cli``: the same as the ``flowthings`` command."""

from flowthings.cli import main

raise SystemExit(main())
