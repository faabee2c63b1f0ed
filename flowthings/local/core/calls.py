"""The transport-independent request type and the extension handler signature.

A :class:`Call` is what the HTTP app and the WebSocket layer build from a
request and hand to :func:`~flowthings.local.core.dispatch.dispatch`; a
:data:`Handler` is an extra route (aggregation, statistics, track simulate, or
one a test registers in ``Platform.extensions``). They live here, below
``dispatch``, ``extensions`` and ``platform``, so that those three import this
module instead of each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flowthings.local.base.envelope import Result
from flowthings.local.core.auth import Principal

if TYPE_CHECKING:
    from flowthings.local.core.platform import Platform

__all__ = ["NO_BODY", "Call", "Handler"]

NO_BODY: Any = None
"""The body of a call that has none (a GET)."""


@dataclass
class Call:
    """One request, independent of the transport."""

    method: str
    version: str
    account: str
    segments: list[str]
    params: Mapping[str, Any] = field(default_factory=dict)
    body: Any = NO_BODY
    token: str | None = None
    auth_account: str | None = None
    cancel: threading.Event | None = None
    """Set by the transport when the caller went away: the work stops (SQLite
    reads and filter evaluations raise), nobody waits for the answer."""
    checked: bool = False
    """The transport decoded ``body`` with
    :func:`~flowthings.local.core.validate.parse_document` (the checks of
    ``validate_document`` passed already: a drop write does not walk it again)."""


Handler = Callable[["Platform", Principal, Call], Result]
"""An extension route: gets the platform, the authenticated principal and the
call; authorizes itself (``Platform.authorize``) and returns the result."""
