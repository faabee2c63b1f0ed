"""Identity: a user account (``/identity``, id prefix ``i``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ._base import FlowthingsModel, Resource
from ._query import IdentityQuery
from .share import SharePermission

__all__ = ["Identity", "ReceivedShare"]


class ReceivedShare(FlowthingsModel):
    """A share an identity received, as listed in ``Identity.shares``."""

    paths: dict[str, SharePermission]
    """Path to the permissions granted below it."""


class Identity(Resource):
    """An identity (user account).

    Examples:
        >>> Identity(firstName="Joe").to_wire()
        {'firstName': 'Joe'}
    """

    q: ClassVar[IdentityQuery] = IdentityQuery()
    """Typed filter members: ``Identity.q.name == "joeb"``."""

    name: str | None = None
    """Account name: the account segment of paths and URLs."""

    email: str | None = None
    """E-mail address."""

    firstName: str | None = None
    """First name (updatable)."""

    lastName: str | None = None
    """Last name (updatable)."""

    middleName: str | None = None
    """Middle name (updatable)."""

    salutation: str | None = None
    """Salutation, e.g. ``Mr`` (updatable)."""

    icon: str | None = None
    """Icon URL."""

    groupIds: list[str] | None = None
    """Ids of the groups the identity belongs to (server-set)."""

    shares: dict[str, ReceivedShare] | None = None
    """Shares received, by share id (server-set)."""

    masterToken: str | None = Field(default=None, repr=False)
    """The master token, visible to the identity itself only (server-set; hidden from
    ``repr``)."""
