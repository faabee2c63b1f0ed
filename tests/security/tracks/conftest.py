"""Accounts, shares and raw HTTP clients for the track attacks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from flowthings.local.testing import LocalPlatform


class Actor:
    """Raw HTTP as one set of credentials, addressing one account's URLs."""

    def __init__(self, lp: LocalPlatform, account: str, token: str) -> None:
        self.lp, self.account, self.token = lp, account, token
        self.http = httpx.Client(
            base_url=lp.url(account=account), headers={"X-Auth-Token": token}, timeout=60
        )

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        r = self.http.request(method, path, json=body)
        assert r.status_code in (200, 201), r.text
        return r.json()["body"]

    def drops(self, flow: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.ok("GET", f"/drop/{flow['id']}?limit=1000")
        return found

    def flow(self, path: str) -> dict[str, Any]:
        made: dict[str, Any] = self.ok("POST", "/flow", {"path": f"/{self.account}{path}"})
        return made


class Pair:
    """``alice`` owns the account; ``bob`` (another account) holds a share of ``/alice/shared``."""

    def __init__(self, lp: LocalPlatform) -> None:
        a, b = lp.new_account(), lp.new_account()
        self.alice = Actor(lp, a.account, a.token)
        bob_home = Actor(lp, b.account, b.token)
        self.bob_id = bob_home.ok("GET", "/identity")[0]["id"]
        bob_home.http.close()
        self.bob = Actor(lp, a.account, b.token)  # bob's master token on alice's account
        self.shared = self.alice.flow("/shared")
        self.out = self.alice.flow("/shared/out")
        self.secret = self.alice.flow("/secret")
        self.share = self.alice.ok(
            "POST",
            "/share",
            {
                "issuedTo": self.bob_id,
                "paths": {
                    self.shared["path"]: {
                        "read": True,
                        "write": True,
                        "dropRead": True,
                        "dropWrite": True,
                    }
                },
            },
        )

    def close(self) -> None:
        self.alice.http.close()
        self.bob.http.close()


@pytest.fixture
def pair(flowthings_platform: LocalPlatform) -> Iterator[Pair]:
    p = Pair(flowthings_platform)
    yield p
    p.close()
