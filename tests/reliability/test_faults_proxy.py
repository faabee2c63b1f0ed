"""Faults in front of the real local platform (the fault server as a proxy).

Shows, with real data, that after faults the same `API` keeps working, that
retried reads and updates are transparent, and why POST is not retried by
default: a POST whose answer is lost has already been applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flowthings import API, FlowThingsConnectionError, FlowThingsServerError, FlowThingsTimeout
from flowthings.local.testing import LocalPlatform

from . import _fault_server as fs
from .conftest import FaultApi


@pytest.fixture
def fault_proxy(flowthings_platform: LocalPlatform) -> Iterator[fs.FaultServer]:
    with fs.FaultServer(upstream=flowthings_platform.host) as server:
        yield server


@pytest.fixture
def fault_platform_api(
    flowthings_platform: LocalPlatform,
    fault_proxy: fs.FaultServer,
    fault_api: Callable[..., FaultApi],
    fault_secret: str,
) -> Callable[..., tuple[FaultApi, API, dict[str, Any]]]:
    """`(api through the proxy, direct api, a flow)` on a fresh account.

    The account's token is `fault_secret`, so `fault_logs` checks it never reaches a log.
    """
    creds = flowthings_platform.new_account(token=fault_secret)

    def make(**kwargs: Any) -> tuple[FaultApi, API, dict[str, Any]]:
        fa = fault_api(host=fault_proxy.host, **kwargs)
        fa.api.creds = creds
        direct = flowthings_platform.api_for(creds)
        flow = fa.api.flow.create({"path": f"/{creds.account}/faults"})
        return fa, direct, flow

    return make


def test_reads_recover_after_faults(
    fault_proxy: fs.FaultServer, fault_platform_api: Callable[..., tuple[FaultApi, API, dict[str, Any]]]
) -> None:
    fa, direct, flow = fault_platform_api(timeout=0.25)
    with direct:
        # two faults, then the platform: the retries are invisible
        fault_proxy.script(fs.reset_mid_body(), fs.html_page(502))
        assert fa.api.flow.read(flow["id"]) == direct.flow.read(flow["id"])
        # three faults: the error surfaces, typed...
        for faults, error in [
            ((fs.reset_before_response(),) * 3, FlowThingsConnectionError),
            ((fs.stall_mid_body(),) * 3, FlowThingsTimeout),
            ((fs.html_page(503),) * 3, FlowThingsServerError),
            ((fs.truncated_json(),), FlowThingsServerError),
        ]:
            fault_proxy.script(*faults)
            with pytest.raises(error):
                fa.api.flow.read(flow["id"])
            # ...and the same API then reads, writes and deletes real data
            assert fa.api.flow.read(flow["id"])["path"] == flow["path"]
        drop = fa.api.drop(flow["id"]).create({"elems": {"n": 1}})
        assert fa.api.drop(flow["id"]).read(drop["id"])["elems"]["n"]["value"] == 1
        assert fault_proxy.pending == 0


def test_update_retried_after_a_lost_answer_is_applied_once(
    fault_proxy: fs.FaultServer, fault_platform_api: Callable[..., tuple[FaultApi, API, dict[str, Any]]]
) -> None:
    fa, direct, flow = fault_platform_api()
    with direct:
        fault_proxy.script(fs.proxy_then_reset())
        updated = fa.api.flow.update({"id": flow["id"], "description": "after a reset"})
        assert updated["description"] == "after a reset"
        assert direct.flow.read(flow["id"])["description"] == "after a reset"
        assert [r.method for r in fault_proxy.requests[-2:]] == ["PUT", "PUT"]


@pytest.mark.parametrize("retry_post", [False, True])
def test_post_with_a_lost_answer(
    fault_proxy: fs.FaultServer,
    fault_platform_api: Callable[..., tuple[FaultApi, API, dict[str, Any]]],
    retry_post: bool,
) -> None:
    fa, direct, flow = fault_platform_api(retry_post=retry_post)
    with direct:
        fault_proxy.script(fs.proxy_then_reset())
        if retry_post:
            fa.api.drop(flow["id"]).create({"elems": {"n": 1}})
        else:
            with pytest.raises(FlowThingsConnectionError):
                fa.api.drop(flow["id"]).create({"elems": {"n": 1}})
        drops = direct.drop(flow["id"]).find()
        # Not retried: exactly one drop. Opted in: the retry duplicated it.
        assert len(drops) == (2 if retry_post else 1)
        posts = [r for r in fault_proxy.requests if r.method == "POST" and "/drop/" in r.path]
        assert len(posts) == (2 if retry_post else 1)
        # the pool recovered
        assert len(fa.api.drop(flow["id"]).find()) == len(drops)
