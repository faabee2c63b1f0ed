"""The green ``find_iter`` door in-process, with fake libraries and a scripted wire.

The fake pool runs a spawned call at its first wait, so the order of spawns
and waits shows the prefetching logic; real green threads, real sockets and
concurrent writers are in `test_green_find_iter.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from flowthings import API, FlowThingsNotFound, GreenPageIterator, Token
from flowthings.models import Drop

from .green_fakes import FakePool, fake_eventlet, fake_gevent

PAGES = [["d01", "d02", "d03"], ["d04", "d05", "d06"], ["d07"]]


class Pages:
    """Answers the n-th drop find with ``PAGES[n]`` (``fail_at``: a 404 instead)."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.fail_at = fail_at

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        n = len(self.requests) - 1
        if n == self.fail_at:
            head = {"status": 404, "ok": False, "errors": ["gone"]}
            return httpx.Response(404, json={"head": head, "body": None})
        body = [{"id": i, "flowId": "f1", "elems": {}} for i in PAGES[n]]
        return httpx.Response(200, json={"head": {"status": 200, "ok": True}, "body": body})

    def filters(self) -> list[str | None]:
        return [r.url.params.get("filter") for r in self.requests]


def _api(lib_name: str, wire: Pages) -> API:
    lib = fake_eventlet() if lib_name == "eventlet" else fake_gevent()
    client = httpx.Client(transport=httpx.MockTransport(wire))
    return API(Token("acc", "tok"), async_lib=lib, http_client=client)


@pytest.fixture(params=["eventlet", "gevent"])
def lib_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def wire() -> Pages:
    return Pages()


@pytest.fixture
def api(lib_name: str, wire: Pages) -> Iterator[API]:
    with _api(lib_name, wire) as api:
        yield api


def _pool(api: API) -> tuple[Any, FakePool]:
    async_api = api.async_()
    pool = async_api.pool
    assert isinstance(pool, FakePool)
    return async_api, pool


def test_the_next_page_is_spawned_before_this_pages_items_are_handed_out(
    api: API, wire: Pages
) -> None:
    async_api, pool = _pool(api)
    drops = async_api.drop("f1").find_iter(sort="id", order="asc", page_size=3)
    assert isinstance(drops, GreenPageIterator)
    assert len(pool.threads) == 1  # the first page, requested at once
    assert next(drops)["id"] == "d01"
    assert len(pool.threads) == 2  # page 2 is on its way while page 1 is read
    assert drops.prefetching
    assert [d["id"] for d in drops] == [f"d0{i}" for i in range(2, 8)]
    assert not drops.prefetching
    assert len(pool.threads) == 3  # the short page ends it: no fourth request
    # The sync door's cursor requests, one by one.
    assert wire.filters() == [None, "id > 'd03'", "id > 'd06'"]
    assert async_api.pending == 0  # not queued for results()


def test_the_same_requests_as_the_sync_door(api: API, wire: Pages, lib_name: str) -> None:
    green = [d["id"] for d in api.lazy().drop("f1").find_iter(sort="id", page_size=3)]
    green_wire = [str(r.url) for r in wire.requests]
    with _api(lib_name, sync_wire := Pages()) as other:
        sync = [d["id"] for d in other.drop("f1").find_iter(sort="id", page_size=3)]
    assert green == sync
    assert green_wire == [str(r.url) for r in sync_wire.requests]


def test_typed_views_yield_models(api: API) -> None:
    drops = list(api.async_().drop("f1").typed.find_iter(sort="id", page_size=3))
    assert [type(d) for d in drops] == [Drop] * 7
    assert drops[-1].id == "d07"


@pytest.mark.parametrize(
    "params", [{"start": 3}, {"refs": True}, {"page_size": 0}, {"order": "up"}]
)
def test_bad_arguments_raise_at_the_call_before_any_request(
    api: API, wire: Pages, params: dict[str, Any]
) -> None:
    async_api, pool = _pool(api)
    with pytest.raises((TypeError, ValueError)):
        async_api.drop("f1").find_iter(**params)
    assert pool.threads == []
    assert wire.requests == []


def test_a_failed_page_raises_at_the_iteration_point(lib_name: str) -> None:
    with _api(lib_name, Pages(fail_at=1)) as api:
        drops = api.async_().drop("f1").find_iter(sort="id", page_size=3)
        taken = [next(drops)["id"] for _ in range(3)]
        with pytest.raises(FlowThingsNotFound):
            next(drops)
        assert taken == ["d01", "d02", "d03"]
        assert list(drops) == []  # finished


def test_close_kills_the_request_in_flight(api: API, wire: Pages) -> None:
    async_api, pool = _pool(api)
    with async_api.drop("f1").find_iter(sort="id", page_size=3) as drops:
        next(drops)
    assert pool.threads[1].killed  # page 2 never ran
    assert len(wire.requests) == 1
    assert not drops.prefetching
    assert list(drops) == []
    drops.close()  # idempotent
    assert "sort=id order=desc page_size=3" in repr(drops)


def test_only_readable_services_have_it(api: API) -> None:
    with pytest.raises(AttributeError):
        api.async_().statistics.find_iter  # noqa: B018
    with pytest.raises(AttributeError):
        api.lazy().drop.find_iter  # noqa: B018
