"""Filter regexes are evaluated in linear time and hostile patterns are clear 400s.

Attacks over real loopback sockets: REST filters, aggregation filters and
WebSocket finds, plus unit checks of the regex module itself.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websocket  # websocket-client

from flowthings.local.query.regex import (
    MAX_PATTERN_LENGTH,
    RegexError,
    compile_regex,
)
from flowthings.local.testing import LocalPlatform

from .._latency import assert_not_stalled, latencies

EVIL = "/^(a+)+$/"
EVIL_TEXT = "a" * 27 + "!"


class Tenant:
    """One account with a flow holding drops whose strings trigger backtracking."""

    def __init__(self, lp: LocalPlatform) -> None:
        creds = lp.new_account()
        self.lp, self.account, self.token = lp, creds.account, creds.token
        self.http = httpx.Client(
            base_url=lp.url(account=self.account),
            headers={"X-Auth-Token": creds.token},
            timeout=30,
        )
        r = self.http.post("/flow", json={"path": f"/{self.account}/victim"})
        assert r.status_code == 201, r.text
        self.flow = r.json()["body"]
        for _ in range(3):
            r = self.http.post(f"/drop/{self.flow['id']}", json={"elems": {"s": EVIL_TEXT}})
            assert r.status_code == 201, r.text

    def find(self, flt: str) -> httpx.Response:
        return self.http.get(f"/drop/{self.flow['id']}", params={"filter": flt})


@pytest.fixture
def tenant(flowthings_platform: LocalPlatform) -> Iterator[Tenant]:
    t = Tenant(flowthings_platform)
    yield t
    t.http.close()


def _errors(r: httpx.Response) -> str:
    return " ".join(r.json()["head"]["errors"])


def test_catastrophic_backtracking_pattern_answers_fast(tenant: Tenant) -> None:
    for flt in (f"elems.s =~ {EVIL}", f"MATCHES {EVIL}", "elems.s =~ /^(a|aa)*$/"):
        start = time.monotonic()
        r = tenant.find(flt)
        assert r.status_code == 200, r.text
        assert r.json()["body"] == []
        assert time.monotonic() - start < 1.0, flt


def test_matching_semantics_kept(tenant: Tenant) -> None:
    assert len(tenant.find("elems.s =~ /^a+!$/").json()["body"]) == 3
    assert len(tenant.find("elems.s =~ /A{27}/i").json()["body"]) == 3
    assert len(tenant.find("elems.s =~ /\\u0021\\Z/").json()["body"]) == 3  # Java-style escapes
    assert len(tenant.find("elems.s =~ /^ a+ # comment\n !$/x").json()["body"]) == 3
    assert tenant.find("elems.s =~ /^b/").json()["body"] == []


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("/(a)\\1/", "\\1 (filter regexes use RE2"),  # backreference
        ("/a(?=b)/", "(?= (filter regexes use RE2"),  # lookahead
        ("/(?<!a)b/", "(?<! (filter regexes use RE2"),  # lookbehind
        ("/a++/", "++ (filter regexes use RE2"),  # possessive quantifier
        ("/(?>a+)b/", "(?> (filter regexes use RE2"),  # atomic group
        ("/(.{100}){100}/", "repetition"),
        ("/[\\w\\W]{1000}/", "too large"),
        ("/\\uD800/", "surrogate"),
        ("/a/q", "unknown regex flag"),
        ("/" + "a" * (MAX_PATTERN_LENGTH + 1) + "/", "longer than"),
    ],
)
def test_refused_patterns_are_clear_400s(tenant: Tenant, pattern: str, reason: str) -> None:
    start = time.monotonic()
    for flt in (f"elems.s =~ {pattern}", f"MATCHES {pattern}"):
        r = tenant.find(flt)
        assert r.status_code == 400, r.text
        assert reason in _errors(r)
    assert time.monotonic() - start < 2.0


def test_lone_surrogate_in_filter_text_is_400(tenant: Tenant) -> None:
    # a raw surrogate code point cannot travel in a URL; a JSON WebSocket frame can carry it
    with pytest.raises(RegexError, match="surrogate"):
        compile_regex("a\ud800")


def test_aggregation_filter_uses_the_linear_engine(tenant: Tenant) -> None:
    url = f"/drop/{tenant.flow['id']}/aggregate"
    start = time.monotonic()
    r = tenant.http.post(url, json={"output": ["$count"], "filter": f"elems.s =~ {EVIL}"})
    assert time.monotonic() - start < 1.0
    assert r.status_code == 200, r.text
    r = tenant.http.post(url, json={"output": ["$count"], "filter": "elems.s =~ /(a)\\1/"})
    assert r.status_code == 400, r.text
    assert "\\1" in _errors(r)


def _ws(lp: LocalPlatform, t: Tenant) -> Any:
    headers = {"X-Auth-Token": t.token, "X-Auth-Account": t.account}
    r = httpx.post(f"{lp.base_url}/session", headers=headers)
    assert r.status_code == 201, r.text
    return websocket.create_connection(
        f"ws://{lp.ws_host}/session/{r.json()['body']['id']}/ws", timeout=10
    )


def test_websocket_find_uses_the_linear_engine(
    flowthings_platform: LocalPlatform, tenant: Tenant
) -> None:
    sock = _ws(flowthings_platform, tenant)
    try:
        frames: list[tuple[str, int]] = [
            (f"elems.s =~ {EVIL}", 200),
            ("elems.s =~ /a(?=b)/", 400),
            ("elems.s =~ /a\ud800/", 400),  # a lone surrogate inside a JSON frame
        ]
        for i, (flt, status) in enumerate(frames):
            start = time.monotonic()
            frame = {
                "msgId": i,
                "type": "findmany",
                "object": "drop",
                "flowId": tenant.flow["id"],
                "options": {"filter": flt},
            }
            sock.send(json.dumps(frame))
            reply = json.loads(sock.recv())
            assert time.monotonic() - start < 1.0
            assert reply["head"]["status"] == status, reply
    finally:
        sock.close()


def test_other_accounts_stay_fast_while_one_floods_regexes(
    flowthings_platform: LocalPlatform, tenant: Tenant
) -> None:
    other = Tenant(flowthings_platform)
    stop = threading.Event()

    def flood() -> None:
        with httpx.Client(
            base_url=tenant.http.base_url, headers={"X-Auth-Token": tenant.token}, timeout=30
        ) as c:
            while not stop.is_set():
                c.get(f"/drop/{tenant.flow['id']}", params={"filter": f"MATCHES {EVIL}"})

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        measured = latencies(other.http)
    finally:
        stop.set()
        for t in threads:
            t.join()
        other.http.close()
    assert_not_stalled(measured)


# ---------------------------------------------------------------- the module itself


def test_flags_map_to_re2() -> None:
    assert compile_regex("^b$", "m").search("a\nb\nc")
    assert not compile_regex("^b$").search("a\nb\nc")
    assert compile_regex("a.b", "s").search("a\nb")
    assert not compile_regex("a.b").search("a\nb")
    assert compile_regex("ABC", "i").search("xabcx")
    assert compile_regex("a b c # spaced", "x").search("abc")
    assert compile_regex("[ ]", "x").search(" ")  # whitespace in a class is kept
    assert compile_regex("a\\ b", "x").search("a b")
    assert compile_regex("x", "gu").search("x")


def test_surrogate_pairs_and_stored_lone_surrogates() -> None:
    assert compile_regex("\\uD83D\\uDE00").search("smile \U0001f600")
    # a string with a lone surrogate (legacy data) is searched, never a crash
    assert compile_regex("b").search("a\ud800b")
    assert not compile_regex("z").search("a\ud800b")


def test_linear_time_on_long_input() -> None:
    regex = compile_regex("^(a+)+$")
    start = time.monotonic()
    assert not regex.search("a" * 100_000 + "!")
    assert time.monotonic() - start < 0.5


# ---------------------------------------------------------------- cost on large data

# RE2's DFA gives up on this pattern (2^20 states), so its NFA runs: linear, but
# ~10 ns per character and instruction
HEAVY = "/[ab]*a[ab]{20}c/"


def _heavy_tenant(lp: LocalPlatform, size: int, drops: int) -> Tenant:
    t = Tenant(lp)
    rng = random.Random(size)  # random a/b text: no DFA state is reused, the NFA runs
    text = "".join(rng.choice("ab") for _ in range(size))
    for _ in range(drops):
        r = t.http.post(f"/drop/{t.flow['id']}", json={"elems": {"big": text}})
        assert r.status_code == 201, r.text
    return t


def test_one_search_too_costly_for_the_data_is_a_400(flowthings_platform: LocalPlatform) -> None:
    t = _heavy_tenant(flowthings_platform, 900_000, 1)
    try:
        start = time.monotonic()
        r = t.find("elems.big =~ /[ab]*a[ab]{200}c/")  # ~600 instructions x 900k characters
        assert r.status_code == 400, r.text
        assert "too costly" in _errors(r)
        assert time.monotonic() - start < 1.0
        assert t.find("elems.big =~ /abab/").status_code == 200  # simple patterns stay fine
    finally:
        t.http.close()


def test_request_regex_time_is_budgeted(
    flowthings_platform: LocalPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowthings.local.query import regex as _filter_regex

    t = _heavy_tenant(flowthings_platform, 200_000, 4)
    try:
        monkeypatch.setattr(_filter_regex, "REQUEST_REGEX_SECONDS", 0.01)
        r = t.find(f"MATCHES {HEAVY}")
        assert r.status_code == 400, r.text
        assert "took more than" in _errors(r)
        assert t.find("elems.big =~ /^[ab]/").status_code == 200  # per request, not spent
        monkeypatch.undo()
        assert t.find("MATCHES /^[ab]+$/").status_code == 200
    finally:
        t.http.close()


def test_costly_regex_queries_do_not_stall_other_accounts(
    flowthings_platform: LocalPlatform, tenant: Tenant
) -> None:
    heavy = _heavy_tenant(flowthings_platform, 300_000, 3)
    stop = threading.Event()

    def flood() -> None:
        with httpx.Client(
            base_url=heavy.http.base_url, headers={"X-Auth-Token": heavy.token}, timeout=60
        ) as c:
            while not stop.is_set():
                c.get(f"/drop/{heavy.flow['id']}", params={"filter": f"MATCHES {HEAVY}"})

    threads = [threading.Thread(target=flood) for _ in range(3)]
    for th in threads:
        th.start()
    try:
        time.sleep(0.2)
        measured = latencies(tenant.http)
    finally:
        stop.set()
        for th in threads:
            th.join()
        heavy.http.close()
    assert_not_stalled(measured)
