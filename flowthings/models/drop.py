"""Drop: one data point in a flow (``/drop/{flowId}``, id prefix ``d``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import JsonValue

from ._base import FlowthingsModel, Resource
from ._query import DropQuery
from .elements import ElemValue, Location, plain

__all__ = ["Drop", "ParentDropRef"]


class ParentDropRef(FlowthingsModel):
    """Where a drop produced by a track came from."""

    flowId: str
    """Id of the source drop's flow."""

    dropId: str
    """Id of the source drop."""


class Drop(Resource):
    """A drop.

    ``elems`` maps element names to plain JSON or typed elements
    (`flowthings.models.elements`); `plain_elems` strips the types.

    Examples:
        >>> Drop(elems={"temperature": 60}).to_wire()
        {'elems': {'temperature': 60}}
    """

    q: ClassVar[DropQuery] = DropQuery()
    """Typed filter members: ``Drop.q.elems["temp"] > 3``, ``Drop.q.fhash == "x"``."""

    elems: dict[str, ElemValue]
    """The drop's data: element name to plain JSON or typed ``{type, value}`` element."""

    path: str | None = None
    """Path of the flow holding the drop; needed only when creating via ``POST /drop``."""

    flowId: str | None = None
    """Id of the flow holding the drop (server-set)."""

    location: Location | None = None
    """Where the drop was produced (``location WITHIN ...`` in filters)."""

    fhash: str | None = None
    """De-duplication key: the hosted platform uses it to de-duplicate drops.

    The local platform stores it and filters on it but does not de-duplicate.
    """

    parentDropId: ParentDropRef | None = None
    """Source drop, for drops written by a track (server-set)."""

    version: int | None = None
    """Version counter (server-set)."""

    def plain_elems(self) -> dict[str, JsonValue]:
        """Return ``elems`` with every typed element replaced by its plain value.

        Returns:
            A new dict of plain JSON values.
        """
        return {name: plain(value) for name, value in self.elems.items()}
