"""Property tests: any JSON drop content, typed or plain, round-trips unchanged."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from flowthings.models import Drop, Flow
from flowthings.models.elements import _KNOWN

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
names = st.text(min_size=1, max_size=6)
type_names = st.sampled_from([*sorted(_KNOWN), "futureType"]) | st.text(max_size=6)


def _json(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(children, max_size=3)
        | st.dictionaries(names, children, max_size=3)
        | st.fixed_dictionaries({"type": type_names, "value": children})
    )


json_values = st.recursive(scalars, _json, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(names, json_values, max_size=4))
@example({"a": {"type": "float", "value": 2**53 + 1}})  # an int a float would round
def test_any_elems_round_trip(elems: dict[str, Any]) -> None:
    wire = {"elems": elems}
    assert Drop.model_validate(wire).to_wire() == wire


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(names.filter(lambda n: n not in Flow.model_fields), json_values,
                       max_size=3))  # fmt: skip
def test_unknown_members_round_trip(extra: dict[str, Any]) -> None:
    wire = {"path": "/alice/pears", **extra}
    assert Flow.model_validate(wire).to_wire() == wire
