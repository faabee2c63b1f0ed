"""Fixtures for the wire-level service tests (respx, no sockets)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from flowthings import API, Token

BASE = "https://api.flowthings.io/v0.1/acc"
CREDS = Token("acc", "sekrit")


def envelope(body: Any = None, status: int = 200, references: Any = None, errors: Any = None) -> dict[str, Any]:
    """A platform envelope."""
    return {
        "head": {
            "ok": status < 400,
            "status": status,
            "messages": [],
            "errors": errors or [],
            "references": references or {},
        },
        "body": body,
    }


class Wire:
    """The respx router plus helpers to read what the SDK sent."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.router = router
        self.route = router.route()
        self.reply(200, {})

    def reply(self, status: int = 200, body: Any = None, references: Any = None, errors: Any = None) -> None:
        self.route.mock(
            return_value=httpx.Response(status, json=envelope(body, status, references, errors))
        )

    @property
    def request(self) -> httpx.Request:
        return self.route.calls.last.request

    @property
    def json(self) -> Any:
        content = self.request.content
        return json.loads(content) if content else None

    @property
    def query(self) -> list[tuple[str, str]]:
        return list(self.request.url.params.multi_items())


@pytest.fixture
def wire() -> Iterator[Wire]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield Wire(router)


@pytest.fixture
def api() -> Iterator[API]:
    with API(CREDS, max_retries=0) as client:
        yield client
