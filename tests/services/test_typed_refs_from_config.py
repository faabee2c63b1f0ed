"""``refs`` set for every call (``API(params=...)`` or ``defaults.params``) gives
the typed views ``(model, references)`` tuples, as it gives the sync calls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import flowthings
from flowthings import API
from flowthings.local.testing import LocalPlatform
from flowthings.models import Drop, Flow


@pytest.fixture
def refs_api(flowthings_platform: LocalPlatform) -> Iterator[API]:
    creds = flowthings_platform.new_account()
    with flowthings_platform.api_for(creds, params={"refs": True}) as api:
        yield api


def test_api_params_refs_gives_typed_tuples(refs_api: API) -> None:
    account = refs_api.creds.account
    flow, refs = refs_api.flow.typed.create(Flow(path=f"/{account}/sensors"))
    assert isinstance(flow, Flow)
    assert flow.creatorId in refs
    assert flow.id is not None
    drop, _ = refs_api.drop(flow.id).typed.create({"elems": {"t": 1}})
    assert isinstance(drop, Drop)
    drops, drop_refs = refs_api.drop(flow.id).typed.find(limit=5)
    assert [d.id for d in drops] == [drop.id]
    assert flow.id in drop_refs
    read, _ = refs_api.flow.typed.read(flow.id)
    assert read == flow
    # a per-call refs=False still wins over the configured one
    assert isinstance(refs_api.flow.typed.read(flow.id, refs=False), Flow)


def test_defaults_params_refs_gives_typed_tuples(
    flowthings_api: API, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = flowthings_api.creds.account
    flow = flowthings_api.flow.typed.create(Flow(path=f"/{account}/plain"))
    assert flow.id is not None
    monkeypatch.setattr(flowthings.defaults, "params", {"refs": True})
    read, refs = flowthings_api.flow.typed.read(flow.id)
    assert read.id == flow.id
    assert flow.creatorId in refs
