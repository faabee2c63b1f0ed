"""Findings of the wave-4 attacker pass.

* A credential header given twice is a 400 (REST and ``POST /session``):
  which copy counts would otherwise depend on who reads it — a proxy keeping
  the last copy would authorize one user while the platform served another.
* Pending WebSocket sessions are capped per account (429 with Retry-After),
  and expire oldest first.
* The WebSocket handshake's debug log never shows a credential header.
"""

from __future__ import annotations

import logging
import time

import httpx
import pytest
import websocket

from flowthings.local.http.server import RedactSecretHeaders
from flowthings.local.realtime.ws import SessionStore, _Creds

from .conftest import World


def _twice(name: str, first: str, second: str) -> list[tuple[str, str]]:
    return [(name, first), (name, second)]


def test_a_token_given_twice_is_refused_whatever_the_order(world: World) -> None:
    alice, bob = world.alice, world.bob
    for first, second in ((bob.token, alice.token), (alice.token, bob.token)):
        r = httpx.get(
            f"{world.lp.base_url}/v0.1/{bob.account}/flow",
            headers=_twice("X-Auth-Token", first, second),
        )
        assert r.status_code == 400, r.text
        assert r.json()["head"]["errors"] == ["The X-Auth-Token header is given more than once."]
    # one copy still works
    assert bob.call("GET", "/flow").status == 200


def test_an_account_given_twice_is_refused(world: World) -> None:
    alice, bob = world.alice, world.bob
    headers = [("X-Auth-Token", bob.token), *_twice("X-Auth-Account", bob.account, alice.account)]
    r = httpx.get(f"{world.lp.base_url}/v0.1/{bob.account}/flow", headers=headers)
    assert r.status_code == 400
    r = httpx.post(f"{world.lp.base_url}/session", headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["head"]["errors"] == ["The X-Auth-Account header is given more than once."]
    r = httpx.post(
        f"{world.lp.base_url}/session",
        headers=[("X-Auth-Account", bob.account), *_twice("X-Auth-Token", bob.token, bob.token)],
    )
    assert r.status_code == 400


def test_pending_sessions_are_capped_per_account_and_freed_by_claims_and_expiry() -> None:
    store = SessionStore(ttl=0.3, per_account=3)
    alice, bob = _Creds("alice", "a" * 32), _Creds("bob", "b" * 32)
    ids = [store.create(alice) for _ in range(3)]
    with pytest.raises(Exception) as info:
        store.create(alice)
    assert getattr(info.value, "status", None) == 429
    assert getattr(info.value, "retry_after", None) == 1
    store.create(bob)  # another account is not affected
    assert store.claim(ids[0]) == alice  # a claim frees a slot
    assert store.claim(ids[0]) is None  # once
    store.create(alice)
    time.sleep(0.4)  # every session expired: slots are free again, ids are gone
    assert store.claim(ids[1]) is None
    assert len(store) == 0
    for _ in range(3):
        store.create(alice)


def test_the_session_cap_is_a_429_over_http(world: World) -> None:
    from flowthings.local.realtime import ws as ws_module

    bob = world.bob
    headers = {"X-Auth-Token": bob.token, "X-Auth-Account": bob.account}
    statuses = []
    for _ in range(ws_module.SessionStore.per_account + 1):
        r = bob.http.post("/session", headers=headers)
        statuses.append(r.status_code)
    assert statuses[:-1] == [201] * ws_module.SessionStore.per_account
    assert statuses[-1] == 429
    assert r.headers["Retry-After"] == "15"
    # the other tenant can still open sessions
    alice = world.alice
    r = alice.http.post(
        "/session", headers={"X-Auth-Token": alice.token, "X-Auth-Account": alice.account}
    )
    assert r.status_code == 201


def test_the_handshake_debug_log_never_shows_a_credential(world: World) -> None:
    logger = logging.getLogger("uvicorn.error")
    assert any(isinstance(f, RedactSecretHeaders) for f in logger.filters)
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler, level = Keep(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    secret = world.bob.token
    try:
        sid = world.bob.http.post(
            "/session", headers={"X-Auth-Token": secret, "X-Auth-Account": world.bob.account}
        ).json()["body"]["id"]
        ws = websocket.create_connection(
            f"ws://{world.lp.host}/session/{sid}/ws",
            header=[f"X-Auth-Token: {secret}", f"Authorization: Bearer {secret}",
                    "Cookie: s=" + secret],
            suppress_origin=True,
            timeout=10,
        )  # fmt: skip
        ws.close()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    handshake = [m for m in records if m.startswith("< ")]
    assert any(m.lower().startswith("< x-auth-token: ") for m in handshake), records
    assert "< X-Auth-Token: [redacted]" in handshake or "< x-auth-token: [redacted]" in handshake
    assert not [m for m in records if secret in m]
