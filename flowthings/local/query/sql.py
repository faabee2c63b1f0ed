"""Compile a drop filter to a conservative SQL pre-filter (issue 20).

A find over a big flow used to decode every stored document and test it in
Python.  :func:`drop_prefilter` turns the parsed filter into a SQL condition
that the database evaluates on the stored JSON text, so only the rows it keeps
are decoded.  The condition is **conservative**: it may keep rows the filter
rejects, never the reverse; the exact Python evaluator (``_filter_compile``)
still runs on every kept row, so results are identical to a full scan.

Why not exact SQL: the evaluator's semantics (typed elements unwrapped at any
level, drop members falling back to ``elems``, references equal to their ids,
``bool`` never equal to a number, Java remainders) would make exact SQL large
and fragile.  A superset only has to be *right in one direction*:

* a member ``x`` of a drop may resolve through several JSON paths
  (``elems.x``, ``x`` for drop members, typed wrappers ``{"type", "value"}``
  at any level, a skipped ``value`` segment); the leaf tests all of them,
  ORed (at most :data:`MAX_PATHS`, else no restriction), and keeps any row
  holding an object at one of them (a typed wrapper, possibly nested);
* numbers are compared against bounds widened by a relative 1e-9, so a float
  the database parses one ulp away from Python still passes;
* ``==`` with a string also keeps any object (drop references equal their ids);
* what SQL does not express (regex, ``MATCHES``, ``HAS``, ``WITHIN``, modulo,
  member-to-member, ``null`` tests) restricts nothing (``None``).

``AND`` keeps its restricting children, ``OR`` restricts only when every child
does, and ``NOT`` only negates an *exact* child: ``creationDate`` compared with
a number and ``AGE`` of ``creationDate`` use the indexed ``creation_date``
column and are exact (every drop carries its creation date there).

SQL text comes from a :class:`Dialect`: :data:`SQLITE` (JSON1 functions over
the ``data`` text) and :data:`JSONB` (PostgreSQL operators over the ``doc``
``jsonb`` column, with ``?`` placeholders that the PostgreSQL store
translates). On PostgreSQL, numbers are compared as ``numeric`` (exact, no
overflow) and strings in the ``"C"`` collation (code point order, as Python
and SQLite compare them); a value of another JSON type than the literal's is
excluded, which the evaluator's ``equals``/``order`` agree with (mixed types
never match).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol

from lark import Token, Tree

from flowthings.local.base.elem_class import ARRAY, BOOL, NUMBER, OPAQUE, STRING
from flowthings.local.query.evaluate import DROP_TOP_LEVEL

__all__ = [
    "FLOW",
    "JSONB",
    "MAX_PATHS",
    "NOW",
    "SQLITE",
    "Dialect",
    "Prefilter",
    "drop_prefilter",
    "json_path",
]

MAX_PATHS: Final = 16
"""Most JSON paths one member may resolve through before SQL gives up on it."""

_WIDEN: Final = 1e-9
_INT64: Final = 2**63 - 1
_EXACT_FLOAT_INT: Final = 2**53


class _Now:
    """Placeholder parameter: the query's "now" (ms), bound when the query runs."""

    def __repr__(self) -> str:
        return "NOW"


NOW: Final = _Now()


class _Flow:
    """Placeholder parameter: the searched flow's id, bound when the query runs."""

    def __repr__(self) -> str:
        return "FLOW"


FLOW: Final = _Flow()


class Dialect(Protocol):
    """The SQL spelling of the few JSON operations the pre-filter uses."""

    def __hash__(self) -> int:  # drop_prefilter caches per dialect
        ...

    def extract(self, path: tuple[str, ...]) -> str:
        """SQL expression: the scalar at ``path`` of the document (NULL if absent)."""
        ...

    def type_of(self, path: tuple[str, ...]) -> str:
        """SQL expression: the JSON type name at ``path`` (NULL if absent)."""
        ...

    def is_type(self, path: tuple[str, ...], names: tuple[str, ...]) -> str:
        """SQL condition: the value at ``path`` is of one of the JSON types ``names``."""
        ...

    def number(self, path: tuple[str, ...]) -> str:
        """SQL expression: the value at ``path`` to compare with a number parameter."""
        ...

    def text(self, path: tuple[str, ...]) -> str:
        """SQL expression: the value at ``path`` to compare with a string parameter."""
        ...

    @property
    def created(self) -> str:
        """SQL expression: the indexed creation date column."""
        ...

    @property
    def false(self) -> str:
        """SQL condition that is never true."""
        ...

    @property
    def has_nul(self) -> str:
        """SQL condition: the document holds an escaped NUL its JSON functions cut at."""
        ...


def json_path(path: tuple[str, ...]) -> str:
    """A SQLite JSON path with every label quoted (``$."elems"."x"``)."""
    return "$" + "".join(f'."{segment}"' for segment in path)


class _Sqlite:
    """SQLite's JSON1 functions over the ``data`` text column."""

    def extract(self, path: tuple[str, ...]) -> str:
        return f"json_extract(data, '{json_path(path)}')"

    def type_of(self, path: tuple[str, ...]) -> str:
        return f"json_type(data, '{json_path(path)}')"

    def is_type(self, path: tuple[str, ...], names: tuple[str, ...]) -> str:
        listed = ", ".join(f"'{n}'" for n in names)
        return f"{self.type_of(path)} IN ({listed})"

    def number(self, path: tuple[str, ...]) -> str:
        return self.extract(path)

    def text(self, path: tuple[str, ...]) -> str:
        return self.extract(path)

    @property
    def created(self) -> str:
        return "creation_date"

    @property
    def false(self) -> str:
        return "0"

    @property
    def has_nul(self) -> str:
        return "instr(data, '\\u0000') > 0"


SQLITE: Final[Dialect] = _Sqlite()

# SQLite's JSON type names (what the builder asks for) as jsonb_typeof's
_JSONB_TYPES: Final = {"integer": "number", "real": "number", "text": "string"}


class _Jsonb:
    """PostgreSQL's ``jsonb`` operators over the ``doc`` column.

    A document that ``jsonb`` cannot hold (a string with ``\\u0000``) has a
    NULL ``doc``; the PostgreSQL store keeps those rows itself, so
    :attr:`has_nul` is never true here.
    """

    @staticmethod
    def _at(path: tuple[str, ...]) -> str:
        # a text[] literal; member_paths/_sort_path refuse quotes and backslashes
        return "doc #> '{" + ",".join(f'"{segment}"' for segment in path) + "}'"

    def extract(self, path: tuple[str, ...]) -> str:
        return f"({self._at(path)} #>> '{{}}')"

    def type_of(self, path: tuple[str, ...]) -> str:
        return f"jsonb_typeof({self._at(path)})"

    def is_type(self, path: tuple[str, ...], names: tuple[str, ...]) -> str:
        kinds = dict.fromkeys(_JSONB_TYPES.get(n, n) for n in names if n not in ("true", "false"))
        conds = [f"{self.type_of(path)} IN ({', '.join(repr(k) for k in kinds)})"] if kinds else []
        conds += [f"{self._at(path)} = '{n}'::jsonb" for n in names if n in ("true", "false")]
        return "(" + " OR ".join(conds) + ")"

    def number(self, path: tuple[str, ...]) -> str:
        at = self._at(path)
        return f"(CASE WHEN jsonb_typeof({at}) = 'number' THEN ({at})::numeric END)"

    def text(self, path: tuple[str, ...]) -> str:
        at = self._at(path)
        return f"((CASE WHEN jsonb_typeof({at}) = 'string' THEN {at} #>> '{{}}' END) COLLATE \"C\")"

    @property
    def created(self) -> str:
        return "creation_date"

    @property
    def false(self) -> str:
        return "FALSE"

    @property
    def has_nul(self) -> str:
        return "FALSE"


JSONB: Final[Dialect] = _Jsonb()


@dataclass(frozen=True)
class Prefilter:
    """A SQL condition and its parameters.

    :data:`NOW` marks the query time, :data:`FLOW` the searched flow's id.
    ``drivers`` are queries selecting ``drop_seq`` from the side table, each
    with its parameters, whose rows include every row the condition keeps
    (the side-table leaves of a top-level ``AND``): a selective one lets a
    find read just those rows.
    """

    sql: str
    params: tuple[Any, ...]
    exact: bool
    drivers: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def bind(self, now_ms: int, flow_id: str | None = None) -> tuple[Any, ...]:
        """The parameters with :data:`NOW` and :data:`FLOW` replaced."""
        return _bind(self.params, now_ms, flow_id)

    def bound_drivers(self, now_ms: int, flow_id: str) -> list[tuple[str, tuple[Any, ...]]]:
        """The drivers with :data:`NOW` and :data:`FLOW` replaced in their parameters."""
        return [(sql, _bind(params, now_ms, flow_id)) for sql, params in self.drivers]


def _bind(params: tuple[Any, ...], now_ms: int, flow_id: str | None) -> tuple[Any, ...]:
    return tuple(now_ms if p is NOW else flow_id if p is FLOW else p for p in params)


@functools.lru_cache(maxsize=256)
def drop_prefilter(
    text: str, dialect: Dialect = SQLITE, *, elems_table: bool = False
) -> Prefilter | None:
    """The conservative SQL condition for drop filter ``text``, or ``None``.

    ``text`` must already be a valid filter (it is parsed again, cached).
    ``None`` means SQL cannot rule any row out. With ``elems_table`` a member
    naming one top-level element (``x``, ``elems.x``) is tested on the
    ``drop_elems`` side table (``storage.elems``) instead of the JSON text,
    so SQLite reads an index range and parses no document for it; its
    parameters then include :data:`FLOW`.
    """
    from flowthings.local.query.parser import _parser

    try:
        tree = _parser().parse(text)
    except Exception:  # the find reports the syntax error itself
        return None
    try:
        return _Builder(dialect, elems_table).node(tree)
    except RecursionError:  # pragma: no cover - the grammar caps nesting first
        return None


# ----------------------------------------------------------------- members


def member_paths(segments: list[str]) -> list[tuple[str, ...]] | None:
    """Every JSON path through which a drop member may resolve (``None``: too many).

    A first segment that is not a drop member, or a drop member the drop may
    lack, is looked up in ``elems``; between any two segments a typed wrapper
    may add a ``value`` level; a ``value`` segment may be skipped. The value
    found may itself be a typed wrapper (unwrapped through any number of
    container wrappers): every leaf also keeps a row holding an object there.
    """
    if not segments or any('"' in s or "'" in s or "\\" in s for s in segments):
        return None
    if segments[0] == "elems":
        bases = [segments]
    elif segments[0] in DROP_TOP_LEVEL:
        bases = [segments, ["elems", *segments]]
    else:
        bases = [["elems", *segments]]
    out: list[tuple[str, ...]] = []
    for base in bases:
        partial: list[tuple[str, ...]] = [(base[0],)]
        for segment in base[1:]:
            grown: list[tuple[str, ...]] = []
            for p in partial:
                for q in (p, (*p, "value")):  # the current value may be a typed wrapper
                    grown.append((*q, segment))
                    if segment == "value":
                        grown.append(q)  # `value` is skipped where absent
            partial = grown
            if len(partial) > MAX_PATHS:
                return None
        out.extend(partial)
    unique = list(dict.fromkeys(out))
    return unique if len(unique) <= MAX_PATHS else None


# ----------------------------------------------------------------- literals


def _literal(node: Any) -> tuple[str, Any] | None:
    """``(kind, value)`` of a literal operand: number, string, bool; else ``None``."""
    if not isinstance(node, Tree):
        return None
    kind = node.data
    token = node.children[-1]
    if kind in ("number", "date") and isinstance(token, Token):
        try:
            value = float(str(token)) if any(c in str(token) for c in ".eE") else int(str(token))
        except ValueError:
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if abs(value) >= _EXACT_FLOAT_INT:  # beyond exact floats: let Python decide
            return None
        return ("number", value)
    if kind in ("string", "object_id", "email") and isinstance(token, Token):
        from flowthings.local.query.compiler import CompileError, _decode_string

        try:
            return ("string", _decode_string(token))
        except CompileError:  # pragma: no cover - the filter compiled already
            return None
    if kind == "true":
        return ("bool", True)
    if kind == "false":
        return ("bool", False)
    return None


def _bounds(value: float) -> tuple[float, float]:
    slack = abs(value) * _WIDEN + 1e-300
    return value - slack, value + slack


# ----------------------------------------------------------------- builder


class _Builder:
    def __init__(self, dialect: Dialect, elems_table: bool = False) -> None:
        self.d = dialect
        self.side = elems_table

    def _element(self, segments: list[str]) -> str | None:
        """The top-level element a member names, when the side table can answer for it.

        ``x`` and ``elems.x`` resolve through ``elems.x`` and, when ``elems``
        is a typed wrapper, ``elems.value.x``: both are covered by the rows of
        ``x`` and of ``value`` (an object there is :data:`OPAQUE`, so kept).
        ``value`` itself may be skipped by the evaluator: JSON decides.
        """
        if not self.side:
            return None
        if len(segments) == 2 and segments[0] == "elems":
            name = segments[1]
        elif len(segments) == 1 and segments[0] not in DROP_TOP_LEVEL:
            name = segments[0]
        else:
            return None
        return None if name == "value" else name

    def node(self, node: Any) -> Prefilter | None:
        if not isinstance(node, Tree):
            return None
        method = getattr(self, f"_{node.data}", None)
        if method is None:
            return None
        result: Prefilter | None = method(node.children)
        return result

    # boolean structure

    def _paren(self, children: list[Any]) -> Prefilter | None:
        return self.node(children[0])

    def _and_expr(self, children: list[Any]) -> Prefilter | None:
        parts = [self.node(c) for c in children]
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        exact = len(kept) == len(parts) and all(p.exact for p in kept)
        return _join(kept, " AND ", exact)

    def _or_expr(self, children: list[Any]) -> Prefilter | None:
        parts = [self.node(c) for c in children]
        if any(p is None for p in parts):
            return None
        kept = [p for p in parts if p is not None]
        return _join(kept, " OR ", all(p.exact for p in kept))

    def _not_(self, children: list[Any]) -> Prefilter | None:
        inner = self.node(children[-1])
        if inner is None or not inner.exact:
            return None
        return Prefilter(f"NOT ({inner.sql})", inner.params, True)

    # leaves

    def _compare(self, children: list[Any]) -> Prefilter | None:
        member, op_token, operand = children
        op = str(op_token)
        segments = [str(s) for s in member.children]
        literal = _literal(operand)
        if literal is None or op == "!=":
            return None
        kind, value = literal
        if segments == ["creationDate"] and kind == "number":
            return Prefilter(f"{self.d.created} {op.replace('==', '=')} ?", (value,), True)
        name = self._element(segments)
        if name is not None:
            return _side_compare(name, op, kind, value)
        paths = member_paths(segments)
        if paths is None:
            return None
        if kind == "number":
            low, high = _bounds(float(value))
            if op == "==":
                return _any(
                    self.d, paths, lambda p: f"{self.d.number(p)} BETWEEN ? AND ?", (low, high)
                )
            bound = high if op in ("<", "<=") else low
            return _any(self.d, paths, lambda p: f"{self.d.number(p)} {op} ?", (bound,))
        if kind == "string":
            if "\x00" in value:
                return None
            # SQLite's JSON functions cut a string at an escaped NUL (\u0000): a
            # document holding one is always kept
            nul = self.d.has_nul
            if op == "==":
                # a drop reference (an object) equals a string naming its flow or drop
                leaf = _any(
                    self.d,
                    paths,
                    lambda p: f"({self.d.text(p)} = ? OR {self.d.type_of(p)} = 'object')",
                    (value,),
                )
            else:
                leaf = _any(self.d, paths, lambda p: f"{self.d.text(p)} {op} ?", (value,))
            return Prefilter(f"({leaf.sql} OR {nul})", leaf.params, False)
        if op == "==":  # bool
            name = "true" if value else "false"
            return _any(self.d, paths, lambda p: self.d.is_type(p, (name,)), ())
        return None  # booleans are not ordered

    def _in_(self, children: list[Any]) -> Prefilter | None:
        member, _, options = children
        parts = []
        for option in options.children:
            if option.data == "null":
                return None  # a missing member is IN a list holding null
            leaf = self._compare([member, Token("CMP_OP", "=="), option])
            if leaf is None:
                return None
            parts.append(leaf)
        if not parts:
            return Prefilter(self.d.false, (), False)  # IN [] matches nothing
        return _join(parts, " OR ", False)

    def _exists(self, children: list[Any]) -> Prefilter | None:
        segments = [str(s) for s in children[-1].children]
        name = self._element(segments)
        if name is not None:
            return _side(name, f"cls IN ({NUMBER}, {STRING}, {BOOL}, {ARRAY})", ())
        paths = member_paths(segments)
        if paths is None:
            return None
        kinds = ("integer", "real", "text", "true", "false", "object", "array")
        return _any(self.d, paths, lambda p: self.d.is_type(p, kinds), ())

    def _contains(self, children: list[Any]) -> Prefilter | None:
        segments = [str(s) for s in children[0].children]
        name = self._element(segments)
        if name is not None:
            return _side(name, f"cls = {ARRAY}", ())
        paths = member_paths(segments)
        if paths is None:
            return None
        return _any(self.d, paths, lambda p: self.d.is_type(p, ("array",)), ())

    def _age(self, children: list[Any]) -> Prefilter | None:
        rest = children[1:]
        if isinstance(rest[0], Tree):  # AGE(member): may be any member; Python decides
            return None
        op, limit = str(rest[0]), _literal(Tree("number", [rest[1]]))
        if limit is None:
            return None
        sql = f"? - {self.d.created} {op.replace('==', '=')} ?"
        return Prefilter(sql, (NOW, limit[1]), True)


def _side(name: str, cond: str, params: tuple[Any, ...]) -> Prefilter:
    """Drops whose element ``name`` meets ``cond``, or whose ``name``/``value`` is opaque.

    The condition looks the row's elements up by primary key (``drop_seq``),
    so a scan that fills its page early stops early; the driver lists the
    same rows from the ``(flow, elem, cls, val)`` index, for selective finds.
    """
    sql = (
        f"EXISTS (SELECT 1 FROM drop_elems WHERE drop_seq = seq AND elem = ? AND {cond})"
        f" OR EXISTS (SELECT 1 FROM drop_elems WHERE drop_seq = seq"
        f" AND elem IN (?, 'value') AND cls = {OPAQUE})"
    )
    driver = (
        f"SELECT drop_seq FROM drop_elems WHERE flow = ? AND elem = ? AND {cond}"
        f" UNION ALL SELECT drop_seq FROM drop_elems WHERE flow = ?"
        f" AND elem IN (?, 'value') AND cls = {OPAQUE}"
    )
    return Prefilter(
        f"({sql})", (name, *params, name), False, ((driver, (FLOW, name, *params, FLOW, name)),)
    )


def _side_compare(name: str, op: str, kind: str, value: Any) -> Prefilter | None:
    """The side-table form of ``name op literal`` (same superset as the JSON form)."""
    if kind == "number":
        low, high = _bounds(float(value))
        if op == "==":
            return _side(name, f"cls = {NUMBER} AND val BETWEEN ? AND ?", (low, high))
        bound = high if op in ("<", "<=") else low
        return _side(name, f"cls = {NUMBER} AND val {op} ?", (bound,))
    if kind == "string":
        # strings of a document holding an escaped NUL are opaque (kept above);
        # a drop reference equal to a string is an object (opaque, kept)
        if "\x00" in value:
            return None
        return _side(name, f"cls = {STRING} AND val {op.replace('==', '=')} ?", (value,))
    if op == "==":  # bool
        return _side(name, f"cls = {BOOL} AND val = ?", (1 if value else 0,))
    return None  # booleans are not ordered


def _join(parts: list[Prefilter], glue: str, exact: bool) -> Prefilter:
    if len(parts) == 1:
        return replace(parts[0], exact=exact)
    sql = glue.join(f"({p.sql})" for p in parts)
    params = tuple(x for p in parts for x in p.params)
    # every row an AND keeps is kept by each part: any part's driver lists them
    drivers = tuple(d for p in parts for d in p.drivers) if glue == " AND " else ()
    return Prefilter(sql, params, exact, drivers)


def _any(
    d: Dialect, paths: list[tuple[str, ...]], leaf: Any, params: tuple[Any, ...]
) -> Prefilter:
    # An object where the member resolves may be a typed wrapper, which plain()
    # unwraps to its payload (through any number of container wrappers): kept.
    sql = " OR ".join(f"({leaf(p)} OR {d.is_type(p, ('object',))})" for p in paths)
    return Prefilter(f"({sql})", params * len(paths), False)
