"""Shapes of non-resource answers: statistics series, aggregation rows, references."""

from __future__ import annotations

from collections.abc import ItemsView, KeysView, ValuesView
from typing import Any, TypeAlias

from ._base import FlowthingsModel

__all__ = ["AggregateRow", "References", "StatisticsSeries"]

StatisticsSeries: TypeAlias = list[int]
"""A statistics answer: one count per time bucket (12 months, the days of a month, ...)."""

References: TypeAlias = dict[str, Any]
"""The ``head.references`` of an answer, returned beside the body when ``refs=True``."""


class AggregateRow(FlowthingsModel):
    """One group of an aggregation answer.

    Its keys are the ``groupBy`` entries and the ``output`` selectors, verbatim
    (``"town"``, ``"$avg:windSpeed"``, ``"$count"``), so the row reads like a dict.

    Examples:
        >>> row = AggregateRow.model_validate({"town": "Queens", "$count": 17})
        >>> row["$count"], row.get("$avg:x"), list(row.keys())
        (17, None, ['town', '$count'])
    """

    def _data(self) -> dict[str, Any]:
        return self.__pydantic_extra__ or {}

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data()

    def __len__(self) -> int:
        return len(self._data())

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value of ``key``, or ``default`` when the row lacks it."""
        return self._data().get(key, default)

    def keys(self) -> KeysView[str]:
        """Return the row's keys, in answer order."""
        return self._data().keys()

    def values(self) -> ValuesView[Any]:
        """Return the row's values, in answer order."""
        return self._data().values()

    def items(self) -> ItemsView[str, Any]:
        """Return the row's ``(key, value)`` pairs, in answer order."""
        return self._data().items()
