"""A realistic application, type-checked under ``mypy --strict`` and strict pyright.

Never executed: ``test_checkers.py`` runs both checkers on it; it must be clean.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from typing_extensions import assert_type

from flowthings import API, M, P, Token, WebSocketClient, mem
from flowthings.models import Drop, Flow, References


def sensors(api: API, account: str, paths: Iterable[str], verbose: bool) -> list[Flow]:
    flows = [api.flow.typed.create(Flow(path=f"/{account}/{p}", capacity=100)) for p in paths]
    renamed = api.flow.typed.update_many([M(f, displayName=f.path.upper()) for f in flows])
    assert_type(renamed, dict[str, Flow])
    found = api.flow.find(mem.path.re(f"^/{account}/"), limit=50, sort="path", order="asc")
    for flow in found:
        print(flow["path"], flow.get("displayName"))
    answer = api.flow.find(limit=5, refs=verbose)
    if isinstance(answer, tuple):
        body, refs = answer
        assert_type(refs, References)
        print(len(body), len(refs))
    typed_drops = api.drop(flows[0].id or "").typed
    for drop in typed_drops.find(Drop.q.elems["temp"] > 20, limit=10, only=["elems"]):
        print(drop.plain_elems().get("temp"))
    stored = api.drop(flows[0].id or "").create({"elems": {"temp": 21.5}}, hints=0)
    print(stored["id"])
    by_flow = api.drop.find_in_flows({f.id or "": P(limit=1) for f in flows})
    print({k: len(v) for k, v in by_flow.items()})
    rows = api.drop(flows[0].id or "").typed.aggregate(["$avg:temp"], group_by=["$day"])
    print([row.model_dump() for row in rows])
    token = api.token.create({"paths": {f"/{account}/": {"dropRead": True}}})
    print(token["tokenString"])
    return flows


def live(api: API, flow_id: str) -> None:
    seen: list[dict[str, Any]] = []

    def on_message(ws: WebSocketClient, resource: str, data: dict[str, Any]) -> None:
        seen.append(data)
        if len(seen) > 3:
            ws.close()

    ws = api.websocket.connect(
        on_open=lambda ws: ws.subscribe(flow_id),
        on_message=on_message,
        on_error=lambda ws, exc: print("error", exc),
        reconnect=True,
        max_retries=5,
    )
    ws.run()


def green(api: API, flow_ids: list[str]) -> None:
    lazy_api = api.lazy()
    thunks = [lazy_api.drop(fid).find(limit=1) for fid in flow_ids]
    for thunk in thunks:
        for drop in thunk.unwrap():
            print(drop["id"])
    async_api = api.async_()
    for fid in flow_ids:
        async_api.flow.typed.read(fid)
    for result in async_api.results():
        print(result)


def main() -> None:
    with API(Token.from_env(), secure=False, host="localhost:8080") as api:
        sensors(api, api.creds.account, ["a", "b"], verbose=False)
