"""Fixtures of the fault-injection suite (`test_faults*.py`).

Every fixture here is namespaced `fault_*` (the platform-load tests share the
folder). `fault_api` builds `API` objects against a `FaultServer`, counts the
attempts the SDK made (an httpx request hook: it sees attempts the server
never does, e.g. refused connections), and captures every log record at DEBUG;
at teardown it checks that no record contains the token.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import flowthings
from flowthings import API, Token

from ._fault_server import Behaviour, FaultServer

TIMEOUT = 0.5
"""The API timeout of the suite (seconds)."""
BACKOFF = 0.02
"""`defaults.retry_backoff` during the suite."""
MAX_RETRIES = 2

_LOGGERS = ("flowthings", "httpx", "httpcore", "h11")


def hang_bound(timeout: float, attempts: int, backoff: float = BACKOFF) -> float:
    """A generous upper bound of one faulty call: (timeout x attempts + backoff) x 3 + 2 s."""
    waits = sum(backoff * 2.0**i for i in range(attempts - 1))
    return 3 * (timeout * attempts + waits) + 2.0


@contextlib.contextmanager
def returns_within(seconds: float) -> Iterator[None]:
    """Fails when the block (raising or not) took longer than `seconds`."""
    started = time.monotonic()
    try:
        yield
    finally:
        elapsed = time.monotonic() - started
        assert elapsed < seconds, f"call took {elapsed:.2f} s, bound {seconds:.2f} s"


class FaultApi:
    """An `API` plus the attempts it made (request hook)."""

    def __init__(self, api: API) -> None:
        self.api = api
        self.attempts: list[httpx.Request] = []
        api.http_client.event_hooks["request"].append(self.attempts.append)


# The calls of the matrix: (method, retry_post) -> a call on the API.
CALLS: dict[str, Callable[[API], Any]] = {
    "GET": lambda api: api.flow.read("f1"),
    "PUT": lambda api: api.flow.update({"id": "f1", "displayName": "x"}),
    "DELETE": lambda api: api.flow.delete("f1"),
    "POST": lambda api: api.flow.create({"path": "/acct/x"}),
}
CASES = [
    pytest.param("GET", False, id="GET"),
    pytest.param("PUT", False, id="PUT"),
    pytest.param("DELETE", False, id="DELETE"),
    pytest.param("POST", False, id="POST"),
    pytest.param("POST", True, id="POST-retry_post"),
]


def script_every_attempt(
    server: FaultServer, fault: Callable[[], Behaviour], method: str, retry_post: bool
) -> int:
    """Scripts ``fault`` for every attempt the SDK may make of a request that
    reached the server (``1 + MAX_RETRIES``, or 1 for a POST without
    ``retry_post``); returns that number of attempts."""
    attempts = 1 + MAX_RETRIES if method != "POST" or retry_post else 1
    server.script(*(fault() for _ in range(attempts)))
    return attempts


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A scripted loopback server (normal answers once the script is empty)."""
    with FaultServer() as server:
        yield server


@pytest.fixture
def fault_secret() -> str:
    return "tok-" + secrets.token_hex(16)


@pytest.fixture
def fault_creds(fault_secret: str) -> Token:
    return Token("acct", fault_secret)


@pytest.fixture
def fault_defaults(monkeypatch: pytest.MonkeyPatch) -> flowthings.Defaults:
    """Short backoff; every other default as shipped (restored afterwards)."""
    monkeypatch.setattr(flowthings.defaults, "retry_backoff", BACKOFF)
    return flowthings.defaults


@pytest.fixture
def fault_logs(caplog: pytest.LogCaptureFixture, fault_secret: str) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG (root and the HTTP loggers); none may hold the token."""
    caplog.set_level(logging.DEBUG)
    for name in _LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    assert_no_secret(caplog, fault_secret)


def assert_no_secret(caplog: pytest.LogCaptureFixture, secret: str) -> None:
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    # The capture is real: the SDK and httpcore did log at DEBUG.
    assert any(r.name == "flowthings" and r.levelno == logging.DEBUG for r in records)
    assert any(r.name.startswith("httpcore") and r.levelno == logging.DEBUG for r in records)
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    for record in records:
        text = formatter.format(record) + repr(record.args) + repr(record.__dict__)
        assert secret not in text, f"token in log record {record.name}: {text[:300]}"


@pytest.fixture
def fault_api(
    fault_server: FaultServer, fault_creds: Token, fault_defaults: flowthings.Defaults, fault_logs: Any
) -> Iterator[Callable[..., FaultApi]]:
    """Factory: `fault_api(**API_kwargs)` -> `FaultApi` on the fault server (closed afterwards)."""
    made: list[API] = []

    def make(**kwargs: Any) -> FaultApi:
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("max_retries", MAX_RETRIES)
        kwargs.setdefault("host", fault_server.host)
        api = API(fault_creds, secure=False, **kwargs)
        made.append(api)
        return FaultApi(api)

    yield make
    for api in made:
        api.close()


def assert_recovers(fa: FaultApi, server: FaultServer) -> None:
    """The same API serves normal requests again (twice: keep-alive works too)."""
    assert server.pending == 0, "the script was not used up"
    before = len(server.requests)
    assert fa.api.flow.read("f1") == {"id": "f1"}
    assert fa.api.flow.read("f1") == {"id": "f1"}
    after = server.requests[before:]
    assert [r.method for r in after] == ["GET", "GET"]
    assert after[0].headers["x-auth-token"] == fa.api.creds.token  # the secret is on the wire...
    assert after[0].conn == after[1].conn, "the pool did not keep the healthy connection alive"


def log_failure(fa: FaultApi, exc: BaseException) -> None:
    """Logs `exc` with its traceback (as an app would); `fault_logs` then checks the record.

    Also: neither the exception nor its cause shows the token in `str` or `repr`.
    """
    logging.getLogger("tests.reliability").error("call failed: %s", exc, exc_info=exc)
    secret = fa.api.creds.token
    for one in (exc, exc.__cause__, exc.__context__):
        if one is not None:
            assert secret not in str(one)
            assert secret not in repr(one)
