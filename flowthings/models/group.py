"""Group: a named set of identities (``/group``, id prefix ``g``)."""

from __future__ import annotations

from typing import ClassVar

from ._base import Resource
from ._query import GroupQuery

__all__ = ["Group"]


class Group(Resource):
    """A group of identities; shares can be issued to it.

    Examples:
        >>> Group(memberIds=["i551ac39bd4c6c02e55b7463a"]).to_wire()
        {'memberIds': ['i551ac39bd4c6c02e55b7463a']}
    """

    q: ClassVar[GroupQuery] = GroupQuery()
    """Typed filter members: ``Group.q.displayName == "Maintenance"``."""

    memberIds: list[str]
    """Ids of the member identities (``i...``)."""

    displayName: str | None = None
    """Display name."""

    description: str | None = None
    """Free text (updatable)."""
