"""Share: immutable access granted to another identity or group (``/share``, prefix ``s``)."""

from __future__ import annotations

from typing import ClassVar

from ._base import FlowthingsModel, Resource
from ._query import ShareQuery

__all__ = ["Share", "SharePermission"]


class SharePermission(FlowthingsModel):
    """What a share grants below one path (recursively)."""

    read: bool | None = None
    """Read objects (flows, tracks, ...)."""

    write: bool | None = None
    """Create and modify objects."""

    dropRead: bool | None = None
    """Read drops."""

    dropWrite: bool | None = None
    """Write drops."""

    administer: bool | None = None
    """Administer the path."""


class Share(Resource):
    """A share: immutable; create it, read it, delete it.

    Examples:
        >>> Share(issuedTo="i548b1c1bd4c607c7716e4ac2",
        ...       paths={"/alice/ideas": SharePermission(read=True)}).to_wire()
        {'issuedTo': 'i548b1c1bd4c607c7716e4ac2', 'paths': {'/alice/ideas': {'read': True}}}
    """

    q: ClassVar[ShareQuery] = ShareQuery()
    """Typed filter members: ``Share.q.issuedTo == "i..."``."""

    issuedTo: str
    """The recipient: an identity id (``i...``) or a group id (``g...``)."""

    paths: dict[str, SharePermission]
    """Path to the permissions granted below it."""

    duration: int | None = None
    """Lifetime in milliseconds."""

    description: str | None = None
    """Free text."""

    issuedBy: str | None = None
    """Id of the issuing identity (server-set)."""

    expiresInMs: int | None = None
    """Remaining lifetime in milliseconds at read time (server-set)."""
