"""The asyncio client's awaited surface stays in step with the sync services (issue 18)."""

from __future__ import annotations

import flowthings.asyncio._services as runtime
from flowthings import Token
from flowthings.asyncio import API

from .gen_asyncio import CLASSES, SYNC_METHODS, TARGET, render


def test_generated_surface_is_in_step_with_the_services() -> None:
    assert TARGET.read_text() == render(), (
        "services changed: run `PYTHONPATH=. python -m tests.typing.gen_asyncio`"
    )


def test_every_service_of_the_api_has_an_async_class() -> None:
    api = API(Token("acc", "tok"))
    services = {type(value).__name__ for value in vars(api).values() if hasattr(value, "path")}
    # the WebSocket service is hand-written: its client is asyncio-native, not a mirror
    assert services - {"AsyncWebSocketService"} <= set(CLASSES)
    assert len(services) == 14  # every service of the sync API


def test_every_async_name_is_the_sync_class_at_run_time() -> None:
    # One implementation: the awaited names are the sync classes themselves.
    for name in CLASSES:
        if name.startswith("_"):
            continue
        sync = getattr(runtime, f"Async{name}")
        assert sync.__name__ == name


def test_every_io_method_is_awaited_in_the_stub() -> None:
    text = TARGET.read_text()
    sync_defs = {
        line.split("def ", 1)[1].split("(", 1)[0]
        for line in text.splitlines()
        if line.startswith("    def ")
    }
    # The plain defs are the no-I/O helpers, properties and the deprecated raisers.
    assert sync_defs <= SYNC_METHODS | {
        "path", "asynchronous", "flow_id", "typed", "model", "untyped", "update", "update_many", "save",
    }  # fmt: skip
    for awaited in ("read", "find", "find_many", "create", "update", "delete", "aggregate"):
        assert f"    async def {awaited}(" in text
