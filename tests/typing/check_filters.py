"""Static types of the documented filter / M / P uses.

``assert_type`` is a no-op at run time; the mypy run of ``tests/typing/test_mypy.py`` checks
every line (and fails if an operator overload is widened to ``bool`` or
``Any``).  (This file is not collected by pytest: its name starts with ``check_``.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict
from typing_extensions import assert_type

from flowthings._modify import M, Modify, P, Params
from flowthings.filters import (
    AGE,
    EXISTS,
    HAS,
    MATCHES,
    NOT,
    Age,
    And,
    Compare,
    Exists,
    FilterLike,
    Has,
    ListMatch,
    Matches,
    Member,
    Modulo,
    ModuloTerm,
    Not,
    Or,
    RegexMatch,
    Within,
    compile_filter,
    mem,
)


class Flow(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = None
    path: str
    displayName: str | None = None


def test_filter_types() -> None:
    assert_type(mem.foo, Member)
    assert_type(mem["elems"].foo, Member)
    assert_type(mem.foo == 1, Compare)
    assert_type(mem.foo != "x", Compare)
    assert_type(mem.foo < 1.5, Compare)
    assert_type(mem.foo <= mem.bar, Compare)
    assert_type(mem.foo > dt.datetime(2020, 1, 1), Compare)
    assert_type(mem.foo >= True, Compare)
    assert_type(mem.count % 2, ModuloTerm)
    assert_type((mem.count % 2) == 0, Modulo)
    assert_type(mem.foo.re("x", "i"), RegexMatch)
    assert_type(mem.foo.IN(1, 2, 3), ListMatch)
    assert_type(mem.foo.IN(["a", "b"]), ListMatch)
    assert_type(mem.foo.CONTAINS("a"), ListMatch)
    assert_type(mem.loc.WITHIN(5, "KM", [1.0, 2.0]), Within)
    assert_type(mem.loc.WITHIN(5, "MILES", zip="02134"), Within)
    assert_type(AGE > 5, Age)
    assert_type(AGE("lastEditDate") <= dt.timedelta(hours=1), Age)
    assert_type(EXISTS("foo"), Exists)
    assert_type(EXISTS(mem.foo), Exists)
    assert_type(HAS("date"), Has)
    assert_type(MATCHES("x"), Matches)
    assert_type(NOT(mem.a == 1), Not)
    assert_type(~(mem.a == 1), Not)
    assert_type((mem.a == 1).AND(mem.b == 2), And)
    assert_type((mem.a == 1) & (mem.b == 2), And)
    assert_type((mem.a == 1).OR("raw == 1"), Or)
    assert_type((mem.a == 1) | (mem.b == 2), Or)
    assert_type(str(mem.a == 1), str)
    raw: FilterLike = "a == 1"
    assert_type(compile_filter(raw), str)


def test_modify_and_params_types() -> None:
    new_dict, diff = M({"id": "f1"}, displayName="x").done()
    assert_type(new_dict, dict[str, Any])
    assert_type(diff, dict[str, Any])
    assert_type(M().done()[0], dict[str, Any])
    flow = Flow(id="f1", path="/a")
    # a pydantic model that is not a flowthings model: changes go through modify()
    new_flow, _ = M(flow).modify("displayName", "x").modify("path", "/b").done()
    assert_type(new_flow, Flow)
    assert_type(M(flow).model_id, str)
    untyped: Modify = M(flow)
    assert_type(untyped.done()[0], Any)
    assert_type(P(limit=10).refs(True).only("id").limit(3), Params)
    assert_type(P().filter(mem.a == 1, "b == 2").to_dict(), dict[str, Any])
    assert new_flow.path == "/b"
