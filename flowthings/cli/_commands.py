"""The commands: ``flows``, ``drops``, ``export``, ``tail`` and ``put``.

Each takes the parsed arguments and a connected `API` and returns an exit
code; failures are raised (`CliError` or an SDK exception) and turned into one
line by `flowthings.cli.main`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import sys
import threading
from collections import deque
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, cast

from .._errors import FlowThingsConnectionError, FlowThingsException, FlowThingsNotFound
from ..filters import as_filter, mem
from ..websocket._client import FlowThingsConnectionLost, FlowThingsNotConnected
from ._errors import CliError, ExitCode, reach_advice
from ._output import Progress, plain, printable, when, write_rows

if TYPE_CHECKING:
    from .._api import API
    from ..websocket._client import WebSocketClient

__all__ = ["cmd_drops", "cmd_export", "cmd_flows", "cmd_put", "cmd_tail", "resolve_flow"]

_FLOW_ID = re.compile(r"f[0-9a-f]{24}")
_FLOW_COLUMNS = ("id", "path", "capacity", "description")
_DROP_COLUMNS = ("id", "creationDate", "elems")
_EXPORT_COLUMNS = ("id", "creationDate")
# The command line creates no flows: say where to see the ones there are.
_LIST_HINT = " (`flowthings flows` lists your flows; create one with api.flow.create())"


def resolve_flow(api: API, ref: str) -> dict[str, Any]:
    """The flow named by ``ref``: an id, a path, or a path below the account."""
    if _FLOW_ID.fullmatch(ref):
        try:
            flow: dict[str, Any] = api.flow.read(ref)
        except FlowThingsNotFound:
            raise CliError(f"no flow with id {ref}{_LIST_HINT}", ExitCode.NOT_FOUND) from None
        return flow
    path = ref if ref.startswith("/") else f"/{api.creds.account}/{ref}"
    found = api.flow.find(mem.path == path, limit=1)
    if not found:
        raise CliError(f"no flow at path {path}{_LIST_HINT}", ExitCode.NOT_FOUND)
    first: dict[str, Any] = found[0]
    return first


def _filters(args: argparse.Namespace) -> tuple[Any, ...]:
    return (args.filter,) if args.filter else ()


def _limit(args: argparse.Namespace) -> dict[str, Any]:
    return {"limit": args.limit} if args.limit else {}


def cmd_flows(args: argparse.Namespace, api: API, out: IO[str]) -> int:
    """``flowthings flows``: the account's flows, by path."""
    flows = api.flow.find_iter(*_filters(args), sort="path", order="asc", **_limit(args))
    write_rows(flows, args.format, _FLOW_COLUMNS, out)
    return ExitCode.OK


def _plain_drops(drops: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (plain(d) for d in drops)


def cmd_drops(args: argparse.Namespace, api: API, out: IO[str]) -> int:
    """``flowthings drops``: the newest drops of a flow (or the oldest, --order asc)."""
    flow = resolve_flow(api, args.flow)
    drops = api.drop(flow["id"]).find_iter(
        *_filters(args), order=args.order, hints=0, page_size=min(args.limit or 1000, 1000),
        **_limit(args),
    )  # fmt: skip
    write_rows(_plain_drops(drops), args.format, _DROP_COLUMNS, out)
    return ExitCode.OK


def _total(api: API, flow_id: str, args: argparse.Namespace) -> int | None:
    """How many drops the export will write (for the ETA), if the platform says."""
    with contextlib.suppress(Exception):  # only the progress line needs it
        rows = api.drop(flow_id).aggregate(["$count"], filter=args.filter or None)
        return int(rows[0]["$count"]) if rows else 0
    return None


def cmd_export(args: argparse.Namespace, api: API, out: IO[str]) -> int:
    """``flowthings export``: every drop of a flow, streamed to a file or stdout."""
    flow = resolve_flow(api, args.flow)
    drops = api.drop(flow["id"]).find_iter(
        *_filters(args), order=args.order, hints=0, page_size=args.page_size
    )
    progress = Progress("drops")
    if progress.enabled:
        progress.total = _total(api, flow["id"], args)
    target: IO[str]
    with contextlib.ExitStack() as stack:
        if args.output == "-":
            target = out
        else:
            try:
                target = stack.enter_context(open(args.output, "w", encoding="utf-8", newline=""))
            except OSError as exc:
                raise CliError(
                    f"cannot write {args.output}: {exc.strerror or exc}", ExitCode.USAGE
                ) from None
        try:
            write_rows(progress.track(_plain_drops(drops)), args.format, _EXPORT_COLUMNS, target)
        finally:
            progress.close()
    return ExitCode.OK


def _not_json(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity: Python's json reads them, JSON has none


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise CliError(
            f"{text} is too large for a number (the platform stores doubles)", ExitCode.USAGE
        )
    return value


def _value(text: str) -> Any:
    """``key=value`` values: JSON when they parse (``21``, ``true``, ``[1,2]``), else text."""
    try:
        return json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except ValueError:
        return text


def parse_elems(pairs: list[str]) -> dict[str, Any]:
    """``["temp=21", "room.name=hall"]`` -> ``{"temp": 21, "room": {"name": "hall"}}``."""
    elems: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise CliError(f"expected key=value, got {pair!r}", ExitCode.USAGE)
        *parents, leaf = key.split(".")
        if not all((*parents, leaf)):
            raise CliError(f"{key!r}: an empty name between dots", ExitCode.USAGE)
        node = elems
        for part in parents:
            child: object = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise CliError(f"{key!r}: {part!r} is already a value", ExitCode.USAGE)
            node = cast("dict[str, Any]", child)  # made here: string keys
        if leaf in node:  # a second value would silently replace the first
            raise CliError(f"{key!r} is given twice", ExitCode.USAGE)
        node[leaf] = _value(text)
    return elems


def cmd_put(args: argparse.Namespace, api: API, out: IO[str]) -> int:
    """``flowthings put``: write one drop."""
    elems = parse_elems(args.elems)
    flow = resolve_flow(api, args.flow)
    drop = plain(api.drop(flow["id"]).create({"elems": elems}, hints=0))
    if args.format == "json":
        out.write(json.dumps(drop, separators=(",", ":"), ensure_ascii=False) + "\n")
    else:
        out.write(printable(f"created {drop.get('id')} in {flow['path']}") + "\n")
    return ExitCode.OK


class _Tail:
    """Prints pushed drops once each, catching up over REST after a reconnection."""

    def __init__(self, args: argparse.Namespace, api: API, flow: dict[str, Any], out: IO[str]):
        self.args, self.api, self.flow, self.out = args, api, flow, out
        self.drops = api.drop(flow["id"])
        self.seen: deque[str] = deque(maxlen=10_000)
        self.last_date: int | None = None
        self.printed = 0
        self.done = threading.Event()

    def matches(self, drop: dict[str, Any]) -> bool:
        if not self.args.filter:
            return True
        # Subscriptions carry no filter: the platform itself decides, one find per push.
        hits = self.drops.find_many(as_filter(self.args.filter) & (mem.id == drop["id"]), limit=1)
        return bool(hits)

    def show(self, drop: dict[str, Any]) -> None:
        ident = drop.get("id")
        if not isinstance(ident, str) or ident in self.seen or self.done.is_set():
            return
        self.seen.append(ident)
        date = drop.get("creationDate")
        if isinstance(date, int):
            self.last_date = max(self.last_date or date, date)
        if not self.matches(drop):
            return
        drop = plain(drop)
        if self.args.format == "jsonl":
            line = json.dumps(drop, separators=(",", ":"), ensure_ascii=False)
        else:
            elems = json.dumps(drop.get("elems", {}), separators=(",", ":"), ensure_ascii=False)
            line = printable(f"{when(date)}  {ident}  {elems}")
        self.out.write(line + "\n")
        self.out.flush()
        self.printed += 1
        if self.args.count and self.printed >= self.args.count:
            self.done.set()

    def catch_up(self) -> None:
        """After a reconnection: the drops written while the connection was down."""
        if self.last_date is None:
            return
        since = mem.creationDate >= self.last_date
        for drop in self.drops.find_iter(since, order="asc", page_size=500):
            self.show(drop)

    def on_message(self, ws: WebSocketClient, resource: str, data: Any) -> None:
        if isinstance(data, dict):
            self.show(cast("dict[str, Any]", data))  # a pushed drop: a JSON object
        if self.done.is_set():
            ws.close()

    def on_error(self, ws: WebSocketClient, exc: BaseException) -> None:
        if isinstance(exc, FlowThingsConnectionLost):
            print("flowthings: connection lost; reconnecting", file=sys.stderr)

    def on_reconnect(self, ws: WebSocketClient, attempt: int) -> None:
        print("flowthings: reconnected", file=sys.stderr)
        self.catch_up()

    def on_open(self, ws: WebSocketClient) -> None:
        print(
            f"flowthings: tailing {printable(self.flow['path'])} (Ctrl-C to stop)", file=sys.stderr
        )
        sys.stderr.flush()

    def on_close(self, ws: WebSocketClient) -> None:
        self.done.set()


def cmd_tail(args: argparse.Namespace, api: API, out: IO[str]) -> int:
    """``flowthings tail``: live drops over the WebSocket, one line each."""
    flow = resolve_flow(api, args.flow)
    if args.filter:
        api.drop(flow["id"]).find_many(args.filter, limit=1)  # a bad filter fails now
    tail = _Tail(args, api, flow, out)
    try:
        ws = _connect_ws(api, tail)
    except FlowThingsConnectionError as exc:
        raise _unreachable(api, args, exc) from None
    ws.subscribe(flow["id"])
    try:
        ws.run_in_thread(wait_open=args.connect_timeout)
    except FlowThingsNotConnected as exc:
        cause = exc.__cause__
        if isinstance(cause, FlowThingsException) and cause.status in (401, 403):
            raise cause from None
        raise _unreachable(api, args, cause) from None
    try:
        while not tail.done.wait(0.25):
            pass
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a tail normally ends
    finally:
        ws.close()
    return ExitCode.OK


def _unreachable(api: API, args: argparse.Namespace, cause: BaseException | None) -> CliError:
    shown: str = getattr(args, "ws_shown", "the WebSocket host")
    reason = f" ({str(cause).split(' -- ', 1)[0]})" if cause else ""
    return CliError(
        f"no WebSocket connection to {shown} within {args.connect_timeout:g} s{reason}; "
        + reach_advice(cause, shown, "FLOWTHINGS_WS_HOST or --ws-host"),
        ExitCode.UNREACHABLE,
    )


def _connect_ws(api: API, tail: _Tail) -> WebSocketClient:
    return api.websocket.connect(
        on_open=tail.on_open,
        on_message=tail.on_message,
        on_error=tail.on_error,
        on_close=tail.on_close,
        on_reconnect=tail.on_reconnect,
    )
