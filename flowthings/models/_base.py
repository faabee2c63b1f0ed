"""Base classes shared by every flowthings model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["FlowthingsModel", "Resource"]


class FlowthingsModel(BaseModel):
    """Base of every flowthings model: a tolerant reader of platform JSON.

    Attributes are the camelCase wire names. Unknown members sent by the
    platform are kept (``extra="allow"``) and written back by `to_wire`.
    """

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        use_attribute_docstrings=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """Return the JSON object to send to the platform.

        Fields that were never set (neither given nor read from the server) are
        left out, so a parsed server answer round-trips unchanged and a new
        model sends only what the caller gave.

        Returns:
            The JSON-compatible dict, keyed by wire names.
        """
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Show what was set (given or read from the server), not every None default.
        shown = self.model_fields_set | set(self.__pydantic_extra__ or ())
        for name, value in super().__repr_args__():
            if name is None or name in shown:
                yield name, value


class Resource(FlowthingsModel):
    """A persisted platform object: the members every resource carries.

    All of them are set by the server (read-only) and therefore optional.
    """

    id: str | None = None
    """Object id: a type letter followed by 24 hex digits (``f...`` for flows)."""

    creationDate: int | None = None
    """Creation time, milliseconds since the epoch (server-set)."""

    creatorId: str | None = None
    """Id of the identity (``i...``) that created the object (server-set)."""

    lastEditDate: int | None = None
    """Time of the last update, milliseconds since the epoch (server-set)."""

    lastEditorId: str | None = None
    """Id of the identity that made the last update (server-set)."""
