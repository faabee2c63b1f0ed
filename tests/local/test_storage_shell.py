"""The lifecycle shell both storage engines share (``storage._lifecycle.EngineShell``).

The engines' own tests (tests/local/test_store_lifecycle.py, tests/postgres)
pin the behaviour end to end; these pin the shell's contract with an engine:
``_release`` once, ``_outermost`` once per outermost block, inner blocks join.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from flowthings.local.storage._lifecycle import EngineShell
from flowthings.local.storage.postgres import PgStore
from flowthings.local.storage.store import Store


class _Recorder(EngineShell):
    def __init__(self) -> None:
        super().__init__()
        self.log: list[str] = []

    def _release(self) -> None:
        self.log.append("release")

    @contextmanager
    def _outermost(self) -> Iterator[None]:
        self.log.append(f"begin depth={self._depth}")
        try:
            yield
        except BaseException:
            self.log.append("rollback")
            raise
        else:
            self.log.append("commit")


def test_both_engines_use_the_shell() -> None:
    assert issubclass(Store, EngineShell)
    assert issubclass(PgStore, EngineShell)


def test_close_releases_once_and_with_block_closes() -> None:
    with _Recorder() as eng:
        assert not eng.closed
    assert eng.closed
    eng.close()
    eng.close()
    assert eng.log == ["release"]


def test_inner_transactions_join_the_outermost() -> None:
    eng = _Recorder()
    with eng.transaction():
        with eng.transaction():
            with eng.transaction():
                assert eng._depth == 3
            assert eng._depth == 2
        eng.log.append("outer body")
    assert eng._depth == 0
    assert eng.log == ["begin depth=1", "outer body", "commit"]


def test_an_error_in_an_inner_block_rolls_back_the_outermost() -> None:
    eng = _Recorder()
    with pytest.raises(KeyError), eng.transaction(), eng.transaction():
        raise KeyError("x")
    assert eng.log == ["begin depth=1", "rollback"]
    assert eng._depth == 0
    with eng.transaction():  # a fresh outermost after the failed one
        pass
    assert eng.log[-2:] == ["begin depth=1", "commit"]


def test_a_failing_begin_leaves_no_depth_behind() -> None:
    class Refuses(_Recorder):
        def _outermost(self) -> Iterator[None]:  # type: ignore[override]
            raise OSError("database gone")

    eng = Refuses()
    with pytest.raises(OSError), eng.transaction():
        pass  # pragma: no cover - never entered
    assert eng._depth == 0


def test_a_transaction_holds_the_lock_for_other_threads() -> None:
    eng = _Recorder()
    entered = threading.Event()
    seen: list[bool] = []

    def other() -> None:
        entered.wait(5)
        seen.append(eng.lock.acquire(blocking=False))

    t = threading.Thread(target=other)
    t.start()
    with eng.transaction():
        entered.set()
        t.join(5)
    assert seen == [False]
