"""A multi-tenant world on a platform in its own ``serve`` process.

The fairness tests that flood the server with CPU-heavy input run against a
separate process, as a shared team server runs: the in-process platform of
the test session shares its interpreter with thousands of tests' objects (a
garbage collection pass there walks all of them) and with the attacker's
client threads, which would measure the test process rather than the server.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .conftest import Actor, World, build_world, close_world

_LISTENING = re.compile(r"flowthings local platform on http://(\S+?) ")


@dataclass(frozen=True)
class ServedPlatform:
    """A ``python -m flowthings.local serve`` process on a free loopback port."""

    host: str

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}"


@contextmanager
def served_world() -> Iterator[World]:
    """Start ``serve`` with accounts alice, bob and carol and build the usual world on it."""
    names = {who: f"{who}{secrets.token_hex(3)}" for who in ("alice", "bob", "carol")}
    tokens = {who: secrets.token_hex(16) for who in names}
    argv = [sys.executable, "-m", "flowthings.local", "serve", "--port", "0"]
    argv += ["--log-level", "warning"]
    for who, name in names.items():
        argv += ["--account", name, "--token", tokens[who]]
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            found = _LISTENING.match(first)
            if found is None:
                proc.kill()
                log.seek(0)
                raise AssertionError(f"serve did not start: {first!r} {log.read()}")
            lp = ServedPlatform(found.group(1))
            actors = [Actor(lp, names[who], tokens[who]) for who in ("alice", "bob", "carol")]
            w = build_world(lp, *actors)
            try:
                yield w
            finally:
                close_world(w)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(20)
            if proc.stdout is not None:
                proc.stdout.close()
