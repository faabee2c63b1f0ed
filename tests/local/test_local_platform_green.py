"""``local_platform()`` in a monkey-patched process fails at once with a way out.

Its server thread would be a greenlet blocked in asyncio, so without the
check the ``with`` block hangs forever. Patching must come first in a
process, hence one subprocess per library.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PATCH = {
    "gevent": "from gevent import monkey; monkey.patch_all()",
    "eventlet": "import eventlet; eventlet.monkey_patch()",
}


@pytest.mark.parametrize("library", sorted(PATCH))
def test_local_platform_refuses_a_green_patched_process(library: str) -> None:
    script = textwrap.dedent(
        f"""
        {PATCH[library]}
        from flowthings.local.testing import local_platform
        try:
            with local_platform():
                print("started")
        except RuntimeError as exc:
            print("refused:", exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"refused: local_platform() cannot run in a process "
                                  f"monkey-patched by {library}")
    assert "python -m flowthings.local serve" in done.stdout


def test_an_unpatched_process_is_not_refused() -> None:
    from flowthings.local.testing import _green_patched_library

    assert _green_patched_library() is None
