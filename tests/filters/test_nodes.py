"""The expression tree: node structure, immutability, equality, closed set."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from flowthings.filters import (
    AGE,
    EXISTS,
    NOT,
    Age,
    And,
    BooleanLiteral,
    Compare,
    DateLiteral,
    Exists,
    Filter,
    ListMatch,
    Member,
    MemberPath,
    Modulo,
    Not,
    NumberLiteral,
    Or,
    RawFilter,
    RegexLiteral,
    RegexMatch,
    StringLiteral,
    Within,
    compile_filter,
    mem,
)

_A = mem.a == 1
_B = mem.b == "x"


def _path(name: str) -> MemberPath:
    return MemberPath(tuple(name.split(".")))


@pytest.mark.parametrize(
    ("built", "tree"),
    [
        pytest.param(mem.a == 1, Compare(_path("a"), "==", NumberLiteral(1)), id="compare"),
        pytest.param(mem.a == True, Compare(_path("a"), "==", BooleanLiteral(True)), id="bool"),  # noqa: E712
        pytest.param(mem.a <= mem.b.c, Compare(_path("a"), "<=", _path("b.c")), id="member"),
        pytest.param(mem.a.re("x", "i"), RegexMatch(_path("a"), RegexLiteral("x", "i")), id="re"),
        pytest.param(
            mem.a.IN("x", 2),
            ListMatch(_path("a"), "IN", (StringLiteral("x"), NumberLiteral(2))),
            id="in",
        ),
        pytest.param(
            mem.l.WITHIN(5, "KM", [1, 2]), Within(_path("l"), 5, "KM", (1, 2)), id="within"
        ),
        pytest.param(mem.l.WITHIN(5, zip=7), Within(_path("l"), 5, "MILES", zip="7"), id="zip"),
        pytest.param((mem.n % 2) == 0, Modulo(_path("n"), 2, "==", 0), id="modulo"),
        pytest.param(AGE > 5, Age(">", 5), id="age"),
        pytest.param(AGE("x.y") > 5, Age(">", 5, _path("x.y")), id="age-field"),
        pytest.param(EXISTS("a.b"), Exists(_path("a.b")), id="exists"),
        pytest.param(_A & _B, And(_A, _B), id="and"),
        pytest.param(_A | "raw", Or(_A, RawFilter("raw")), id="or-raw"),
        pytest.param(~_A, Not(_A), id="not"),
    ],
)
def test_builders_produce_the_documented_tree(built: Filter, tree: Filter) -> None:
    assert built == tree
    assert hash(built) == hash(tree)
    assert str(built) == str(tree)


def test_repr_shows_structure() -> None:
    assert repr(_A & NOT(_B)) == (
        "And(left=Compare(member=MemberPath(segments=('a',)), op='==', "
        "operand=NumberLiteral(value=1)), right=Not(operand=Compare("
        "member=MemberPath(segments=('b',)), op='==', operand=StringLiteral(value='x'))))"
    )


def test_nodes_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _A.op = "!="  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        _A.extra = 1  # type: ignore[attr-defined]


def test_nodes_have_no_dict() -> None:
    assert not hasattr(_A, "__dict__")
    assert not hasattr(_A & _B, "__dict__")


def test_structural_equality_and_hashing() -> None:
    assert (mem.a == 1) == (mem["a"] == 1)
    assert (mem.a == 1) != (mem.a == 2)
    assert (mem.a == 1) != (mem.a != 1)
    assert len({mem.a == 1, mem["a"] == 1, _A & _B, _A.AND(_B)}) == 2
    # 1 and 1.0 compile differently, so they are different trees
    assert (mem.a == 1) != (mem.a == 1.0)
    assert (mem.a == 1) != (mem.a == True)  # noqa: E712
    assert len({mem.a == 1, mem.a == 1.0, mem.a == True}) == 3  # noqa: E712


@pytest.mark.parametrize(
    "node",
    [
        pytest.param(_A & ~_B | (AGE("x") < 3), id="tree"),
        pytest.param(mem.l.WITHIN(1, "KM", (1, 2)), id="within"),
        pytest.param(Compare(_path("d"), ">", DateLiteral(5)), id="date"),
    ],
)
def test_copy_and_pickle(node: Filter) -> None:
    assert copy.copy(node) == node
    assert copy.deepcopy(node) == node
    assert pickle.loads(pickle.dumps(node)) == node
    assert str(pickle.loads(pickle.dumps(node))) == str(node)


def test_filter_set_is_closed() -> None:
    with pytest.raises(TypeError, match="closed set"):

        class Custom(Filter):  # pyright: ignore
            pass


def test_compile_filter_refuses_foreign_objects() -> None:
    with pytest.raises(TypeError, match="not a filter node"):
        compile_filter(object())  # type: ignore[arg-type]


def test_compile_filter_renders_value_nodes() -> None:
    assert compile_filter(_path("a.b")) == "a.b"
    assert compile_filter(StringLiteral("x'y")) == "'x\\'y'"
    assert compile_filter(DateLiteral(12)) == "Date(12)"
    assert compile_filter(RegexLiteral("a/b", "i")) == "/a\\/b/i"


# ------------------------------------------------------------------- members


def test_member_is_immutable_and_unhashable() -> None:
    m = mem.a
    with pytest.raises(AttributeError, match="immutable"):
        m.b = 1
    with pytest.raises(TypeError, match="unhashable"):
        hash(m)


def test_member_repr() -> None:
    assert repr(mem.elems.foo) == "Member('elems.foo')"
    assert repr(mem) == "mem"
    assert repr(AGE) == "AGE"
    assert repr(AGE("a")("b")) == "AGE('a.b')"
    assert repr(mem.n % 3) == "ModuloTerm('n' % 3)"


@pytest.mark.parametrize("name", ["__wrapped__", "__array__", "_repr_html_", "_ipython_display_"])
def test_tool_probes_are_not_members(name: str) -> None:
    assert not hasattr(mem, name)
    assert not hasattr(mem.a, name)


def test_underscore_names_are_members() -> None:
    assert str(mem._id) == "_id"
    assert str(mem.a._b) == "a._b"


def test_members_copy_and_pickle() -> None:
    m = mem.elems.foo
    for other in (copy.copy(m), copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert type(other) is Member
        assert str(other) == "elems.foo"


def test_member_subclass_builds_the_same_nodes() -> None:
    class IntField(Member):
        """What a typed model field could look like."""

        __slots__ = ()

        def __gt__(self, other: int) -> Compare:  # type: ignore[override]
            return super().__gt__(other)

    field = IntField.from_path(("elems", "count"))
    assert isinstance(field, IntField)
    assert (field > 3) == (mem.elems.count > 3)
    assert (field == mem.x) == Compare(_path("elems.count"), "==", _path("x"))
    assert EXISTS(field) == EXISTS("elems.count")
    assert str(field.IN(1, 2)) == "elems.count IN [1,2]"
