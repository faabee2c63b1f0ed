"""`GreenThunk`: a result that waits for its green thread on first access."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, Generic, TypeVar, cast

__all__ = ["GreenThunk"]

T = TypeVar("T")

_PENDING: Any = object()


class GreenThunk(MutableMapping[Any, Any], Generic[T]):
    """The result of a `lazy()` call: waits on its green thread when first read.

    It then behaves like the result itself:

    - a dict result: a mutable mapping (`thunk['id']`, `in`, `keys()`,
      `items()`, `get()`, assignment, `==` with a dict);
    - a list result: a sequence (`len`, iteration, `thunk[0]`, slices, `in`,
      `reversed`, `index`, `count`, `==` with a list);
    - a `refs=True` result: a 2-tuple, so `body, refs = thunk` works;
    - any other attribute is read from the result, so the model of a typed
      call reads through (`lazy_api.flow.typed.read(fid).path`).

    As in 1.0.5, `isinstance(thunk, MutableMapping)` is true whatever the
    result; it is not registered as a `Sequence`, and code that type-checks
    its input (`json.dumps`, `isinstance(x, list)`, pydantic) should be given
    `thunk.unwrap()`, the plain result. `str()` and `repr()` show the result.
    Once waited, the result is kept; a failed request raises its
    `FlowThingsException` on every access.

    Examples:
        >>> drops = lazy_api.drop(flow_id).find(limit=10)  # returns at once
        >>> len(drops)                                      # waits here

    Args:
        wait: Called (once) to get the result; blocks the calling green
            thread until the request is done.
    """

    __slots__ = ("_data", "_wait")

    def __init__(self, wait: Callable[[], T]) -> None:
        self._wait = wait
        self._data: T = _PENDING

    def unwrap(self) -> T:
        """Waits if needed and returns the plain result (dict, list, tuple, ...)."""
        if self._data is _PENDING:
            self._data = self._wait()
        return self._data

    force = unwrap
    """Alias of `unwrap()`, as in 1.0.5."""

    def _container(self) -> Any:
        return self.unwrap()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.unwrap(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._container()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._container()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._container()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._container())

    def __len__(self) -> int:
        return len(self._container())

    def __contains__(self, item: object) -> bool:
        return item in self._container()

    def __reversed__(self) -> Iterator[Any]:
        backwards: Iterator[Any] = reversed(self._container())
        return backwards

    def __bool__(self) -> bool:
        return bool(self.unwrap())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, GreenThunk):
            other = cast("GreenThunk[object]", other).unwrap()
        return bool(self.unwrap() == other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dict or list it stands for

    def index(self, value: Any, *args: Any) -> int:
        """Index of `value` in a list result (`list.index`)."""
        result: int = self._container().index(value, *args)
        return result

    def count(self, value: Any) -> int:
        """Occurrences of `value` in a list result (`list.count`)."""
        result: int = self._container().count(value)
        return result

    def __str__(self) -> str:
        return str(self.unwrap())

    def __repr__(self) -> str:
        return repr(self.unwrap())
