"""The thread and asyncio WebSocket clients keep one public surface (drift test).

`flowthings.WebSocketClient` (threads) and `flowthings.asyncio.WebSocketClient`
offer the same subscriptions, request helpers and drop iterators on purpose,
built from the same pure pieces. Nothing else keeps their hand-written
signatures and docstrings in step: this test compares every public method and
property of the two (name, parameters with their kinds, defaults and
annotations, the first line of the docstring), modulo what the concurrency
model changes by design:

* an awaited method returns ``X`` where the thread client returns a
  ``Future[X]``; an ``AsyncFooIterator`` stands for a ``FooIterator``;
* the thread client's ``callback``/``errback`` parameters (1.0.5's callback
  style, called in its reader thread) have no asyncio counterpart: the reply is
  what ``await`` returns, the failure what it raises;
* lifecycle: see `LIFECYCLE`.

A difference not listed here fails the test: align the two clients, or list it
with its reason.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

from flowthings import WebSocketClient as ThreadClient
from flowthings.asyncio import WebSocketClient as AsyncClient
from flowthings.services._params import JSONObject

LIFECYCLE: dict[str, str | None] = {
    # thread name -> asyncio name (None: no counterpart), and why
    "close": "aclose",  # an awaited close is spelled aclose (asyncio's convention)
    "__enter__": "__aenter__",  # `with` starts the reader thread, `async with` the task
    "__exit__": "__aexit__",
    "run": None,  # blocks the calling thread as the reader (1.0.5); a task needs no such call
    "run_in_thread": None,  # asyncio: `open()` starts the reader task and waits for the connection
    "wait_open": None,  # asyncio: `open()` itself waits
}
ASYNC_ONLY: dict[str, str] = {
    "open": "the thread client starts with run()/run_in_thread(wait_open=...)",
    "messages": "the thread client hands pushed dicts to its on_message callback;"
    " the asyncio client has no push callbacks, so it iterates them",
}
THREAD_ONLY_PARAMETERS = {"callback", "errback"}
"""The thread client's per-request callbacks (1.0.5); ``await`` replaces them."""
SIGNATURE_EXEMPT = {
    "close": "close(timeout) waits for the reader thread; aclose() is bounded by close_timeout",
    "__exit__": "(*exc_info) against the (exc_type, exc, tb) asyncio's protocol checkers want",
}
SHARED_OPTIONS = (
    "heartbeat_interval",
    "request_timeout",
    "reconnect",
    "max_retries",
    "backoff_base",
    "backoff_max",
    "connect_timeout",
    "header",
    "creds",
)
"""The ``connect()`` options both clients take (the rest is transport-specific:
``url``/``sslopt``/``sockopt`` and the push callbacks for threads, ``ssl`` for asyncio)."""

_FUTURE = re.compile(r"^Future\[(.*)\]$")
_ASYNC_NAME = re.compile(r"\bAsync(?=[A-Z])")


def public_members(cls: type) -> dict[str, Any]:
    names = [n for n in dir(cls) if not n.startswith("_") or n in LIFECYCLE.values()]
    names += [n for n in LIFECYCLE if n.startswith("__") and hasattr(cls, n)]
    return {n: inspect.getattr_static(cls, n) for n in names}


def first_doc_line(member: Any) -> str:
    target = member.fget if isinstance(member, property) else member
    doc = inspect.getdoc(target) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def thread_annotation(text: str, *, awaited: bool) -> str:
    """A thread client annotation as the asyncio client would spell it."""
    match = _FUTURE.match(text)
    if awaited and match:
        text = match.group(1)
    return text


def async_annotation(text: str) -> str:
    """An asyncio annotation as the thread client would spell it."""
    return _ASYNC_NAME.sub("", text).replace("JSONObject", "dict[str, Any]")


def shape(member: Any, *, thread: bool, awaited: bool) -> list[tuple[str, str, str, str]]:
    """``[(name, kind, default, annotation)]`` of a method or property, ``return`` last."""
    func = member.fget if isinstance(member, property) else member
    sig = inspect.signature(func)
    rows = []
    for p in sig.parameters.values():
        if thread and p.name in THREAD_ONLY_PARAMETERS:
            continue
        ann = str(p.annotation)
        ann = thread_annotation(ann, awaited=False) if thread else async_annotation(ann)
        rows.append((p.name, p.kind.name, repr(p.default), ann))
    ret = str(sig.return_annotation)
    ret = thread_annotation(ret, awaited=awaited) if thread else async_annotation(ret)
    rows.append(("return", "", "", ret))
    return rows


def test_json_object_is_a_plain_dict_alias() -> None:
    # the normalisation below relies on it (the thread client may not import
    # the REST services' JSONObject: it spells the same type out)
    assert JSONObject == dict[str, Any]


def test_same_public_members() -> None:
    thread, aio = public_members(ThreadClient), public_members(AsyncClient)
    mapped = {LIFECYCLE.get(n, n) for n in thread} - {None}
    assert mapped == set(aio) - set(ASYNC_ONLY), (
        f"thread only: {sorted(mapped - set(aio))}; asyncio only: {sorted(set(aio) - mapped)}"
    )
    assert set(ASYNC_ONLY) <= set(aio)
    for name in LIFECYCLE:
        assert name in thread, f"{name} is listed but the thread client has no such member"


def _pairs() -> list[tuple[str, str]]:
    thread, aio = public_members(ThreadClient), public_members(AsyncClient)
    out = []
    for name in sorted(thread):
        other = LIFECYCLE.get(name, name)
        if other is not None and other in aio:
            out.append((name, other))
    return out


@pytest.mark.parametrize(("name", "other"), _pairs())
def test_same_signature_and_first_doc_line(name: str, other: str) -> None:
    t = inspect.getattr_static(ThreadClient, name)
    a = inspect.getattr_static(AsyncClient, other)
    assert isinstance(t, property) == isinstance(a, property), name
    if name not in SIGNATURE_EXEMPT:
        awaited = inspect.iscoroutinefunction(a)
        assert shape(t, thread=True, awaited=awaited) == shape(a, thread=False, awaited=awaited)
    if not name.startswith("__"):
        assert first_doc_line(t), f"{name} has no docstring"
        assert first_doc_line(t) == first_doc_line(a), name


@pytest.mark.parametrize("option", SHARED_OPTIONS)
def test_shared_connect_options_agree(option: str) -> None:
    t = inspect.signature(ThreadClient.__init__).parameters[option]
    a = inspect.signature(AsyncClient.__init__).parameters[option]
    assert (t.kind, t.default, str(t.annotation)) == (a.kind, a.default, str(a.annotation))


def test_the_comparison_sees_a_drift() -> None:
    # guard against a normalisation that makes every pair equal
    t = inspect.getattr_static(ThreadClient, "find_drop")
    a = inspect.getattr_static(AsyncClient, "drops")
    assert shape(t, thread=True, awaited=True) != shape(a, thread=False, awaited=False)
    assert shape(t, thread=True, awaited=False) != shape(t, thread=True, awaited=True)
