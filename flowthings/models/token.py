"""Token: an immutable, restricted access token (``/token``, id prefix ``k``).

Not to be confused with `flowthings.Token`, the credentials an
`API` signs its requests with.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ._base import FlowthingsModel, Resource
from ._query import TokenQuery

__all__ = ["Token", "TokenPermission"]


class TokenPermission(FlowthingsModel):
    """What a token grants below one path (recursively); objects are always readable."""

    dropRead: bool | None = None
    """Read drops."""

    dropWrite: bool | None = None
    """Write drops."""


class Token(Resource):
    """A token resource: immutable; create it, read it, delete it (revocation).

    Examples:
        >>> Token(paths={"/alice/thermostat": TokenPermission(dropRead=True)}).to_wire()
        {'paths': {'/alice/thermostat': {'dropRead': True}}}
    """

    q: ClassVar[TokenQuery] = TokenQuery()
    """Typed filter members: ``Token.q.description == "thermostat"``."""

    paths: dict[str, TokenPermission]
    """Path to the drop permissions granted below it."""

    duration: int | None = None
    """Lifetime in milliseconds; absent means the token does not expire."""

    description: str | None = None
    """Free text."""

    tokenString: str | None = Field(default=None, repr=False)
    """The secret to send as ``X-Auth-Token`` (server-set; hidden from ``repr``)."""

    expiresInMs: int | None = None
    """Remaining lifetime in milliseconds at read time (server-set)."""

    issuedBy: str | None = None
    """Id of the issuing identity (server-set)."""
