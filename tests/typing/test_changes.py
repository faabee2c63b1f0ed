"""``M``'s per-model change types stay in step with the models (issue 16)."""

from __future__ import annotations

import pytest
from typing_extensions import get_overloads

from flowthings import M
from flowthings.models import Drop, Flow

from .gen_changes import MODELS, TARGET, render


def test_generated_changes_are_in_step_with_the_models() -> None:
    assert TARGET.read_text() == render(), (
        "models changed: run `PYTHONPATH=. python tests/typing/gen_changes.py`"
    )


def test_m_has_one_overload_per_model() -> None:
    typed = [
        overload.__annotations__["model"]
        for overload in get_overloads(M.__init__)
        if "changes" in overload.__annotations__
    ]
    assert [name for name in typed if name in {m.__name__ for m in MODELS}] == [
        m.__name__ for m in MODELS
    ]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: M(Flow(path="/a/b"), displayNme="x"), id="typo"),
        pytest.param(lambda: M(Drop(elems={}), color="red"), id="undeclared"),
    ],
)
def test_m_refuses_unknown_keys_of_a_model(make: object) -> None:
    with pytest.raises(ValueError, match="has no field"):
        make()  # type: ignore[operator]


def test_m_takes_extra_members_the_model_already_holds() -> None:
    flow = Flow.model_validate({"path": "/a/b", "color": "red"})
    new, diff = M(flow, color="blue").done()  # type: ignore[call-overload]
    assert diff == {"color": "blue"}
    assert new.model_extra == {"color": "blue"}


def test_modify_stays_the_way_to_set_an_undeclared_member() -> None:
    new, diff = M(Flow(path="/a/b")).modify("color", "red").done()
    assert diff == {"color": "red"}
    assert new.model_extra == {"color": "red"}


def test_dicts_stay_free_form() -> None:
    assert M({"id": "f1"}, anything=1).done() == ({"id": "f1", "anything": 1}, {"anything": 1})
