"""`find_iter` of the typed views: the sync cursor iterator, each item parsed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..models._base import FlowthingsModel
from ._paging import DEFAULT_PAGE_SIZE

if TYPE_CHECKING:
    from .._filters import Filter
    from ._base import ReadableService

__all__ = ["TypedFindIterMixin"]

ModelT = TypeVar("ModelT", bound=FlowthingsModel)


class TypedFindIterMixin(Generic[ModelT]):
    """Adds `find_iter` (models) to a typed view wrapping a readable service."""

    _service: ReadableService

    def _one(self, params: dict[str, Any]) -> Callable[[Any], ModelT]:  # pragma: no cover
        raise NotImplementedError

    def find_iter(
        self, *filters: Filter | str, page_size: int = DEFAULT_PAGE_SIZE, **params: Any
    ) -> Iterator[ModelT]:
        """Streams every match as a model (see the sync `find_iter` for the guarantee).

        With ``only=``, models lacking required members are built without
        validation, as ``find`` does.

        Examples:
            >>> for drop in api.drop(flow_id).typed.find_iter(order='asc'):
            ...     print(drop.id, drop.elems)
        """
        items = self._service.find_iter(*filters, page_size=page_size, **params)
        one = self._one(params)
        return (one(item) for item in items)
