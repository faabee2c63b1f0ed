"""Shared helpers of the local platform's HTTP tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from flowthings.local.testing import LocalPlatform


class Client:
    """An httpx client bound to a fresh account of the session platform."""

    def __init__(self, lp: LocalPlatform) -> None:
        creds = lp.new_account()
        self.lp, self.account = lp, creds.account
        # the platform gives a cold track-JS worker up to 30 s to start (V8 on a busy
        # CI machine): httpx's default 5 s would cut the first tracked write short
        self.http = httpx.Client(headers={"X-Auth-Token": creds.token}, timeout=45.0)

    def __call__(
        self, method: str, path: str, raw: bytes | None = None, *, version: str = "0.1", **kw: Any
    ) -> httpx.Response:
        """Send ``raw`` to ``/v{version}/{account}{path}``."""
        url = self.lp.url(path, version=version, account=self.account)
        return self.http.request(method, url, content=raw, **kw)

    def body(self, method: str, path: str, value: Any = None, **kw: Any) -> Any:
        """Send ``value`` as JSON, check for a 200/201 and return the envelope's body."""
        r = self(method, path, None if value is None else json.dumps(value).encode(), **kw)
        assert r.status_code in (200, 201), r.text
        return r.json()["body"]


@pytest.fixture
def client(flowthings_platform: LocalPlatform) -> Iterator[Client]:
    c = Client(flowthings_platform)
    yield c
    c.http.close()
